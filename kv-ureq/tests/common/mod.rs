//! Shared test helpers: a probe operation and a tiny scripted HTTP/1.1 server on loopback.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use http::{Method, Request, Response};
use kv_ureq::kv_proto::{ErrorKind, error::HttpError, error::ResponseMeta};
use kv_ureq::{Endpoint, Error, Operation};

/// An operation that sends `method` to `{base}{path}` with `body` and returns the raw response
/// for 2xx, or an `Http` error (with the response's meta) otherwise.
pub struct Probe {
    pub method: Method,
    pub path: &'static str,
    pub body: Vec<u8>,
    pub max: u64,
}

impl Probe {
    pub fn get(path: &'static str) -> Probe {
        Probe {
            method: Method::GET,
            path,
            body: Vec::new(),
            max: 1 << 20,
        }
    }
}

impl Operation for Probe {
    type Output = Response<Vec<u8>>;

    fn request(&self, ep: &Endpoint) -> Request<Vec<u8>> {
        let ct = (!self.body.is_empty())
            .then(|| http::HeaderValue::from_static("application/octet-stream"));
        ep.build_request(
            self.method.clone(),
            format!("{}{}", ep.base_url(), self.path),
            &[],
            "application/json",
            ct,
            self.body.clone(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        self.max
    }

    fn parse(&self, r: Response<&[u8]>) -> Result<Response<Vec<u8>>, Error> {
        if r.status().is_success() {
            Ok(r.map(|b| b.to_vec()))
        } else {
            Err(Error::new(ErrorKind::Http(HttpError {
                meta: ResponseMeta::from_parts(r.status(), r.headers()),
                excerpt: String::from_utf8_lossy(r.body()).into_owned(),
            })))
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub connection: usize,
    pub head: String,
    pub body: Vec<u8>,
}

impl Seen {
    /// The value of a request header (case-insensitive name), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// What the script does after answering.
pub enum After {
    KeepOpen,
    Close,
}

type Script = dyn Fn(usize, &Seen, &mut TcpStream) -> After + Send + Sync;

/// A loopback server answering each request with a script; records what it saw.
pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn start(
        script: impl Fn(usize, &Seen, &mut TcpStream) -> After + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (c, s) = (connections.clone(), seen.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let conn = c.fetch_add(1, Ordering::SeqCst);
                let (s, script) = (s.clone(), script.clone());
                thread::spawn(move || serve(conn, stream, &s, &*script));
            }
        });
        Server {
            addr,
            connections,
            seen,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(conn: usize, stream: TcpStream, seen: &Mutex<Vec<Seen>>, script: &Script) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut seen_req = Seen {
            connection: conn,
            head,
            body: Vec::new(),
        };
        let len: usize = seen_req
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen_req.body = body;
        let index = {
            let mut all = seen.lock().unwrap();
            all.push(seen_req.clone());
            all.len() - 1
        };
        match script(index, &seen_req, &mut out) {
            After::KeepOpen => {}
            After::Close => return,
        }
    }
}

/// A complete response with a `Content-Length`.
pub fn respond(out: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut msg = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (n, v) in headers {
        msg.push_str(&format!("{n}: {v}\r\n"));
    }
    msg.push_str("\r\n");
    let _ = out.write_all(msg.as_bytes());
    let _ = out.write_all(body);
    let _ = out.flush();
}
