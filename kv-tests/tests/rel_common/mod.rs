//! Shared helpers of the reliability, hostile-server and security suites: the fault seed, an
//! emulator and a client wired to it, and a tiny scripted HTTP server of our own.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig};
use kv_ureq::{AccountId, Auth, Client, ClientBuilder, RetryPolicy};

/// The account every suite uses.
pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// A token that must never show up anywhere we format or log.
pub const TOKEN: &str = "tok-SECRET-7f3a9c1e5b";

/// The fault seed: `KV_FAULT_SEED` (decimal or `0x` hex) or a fixed default. Every assertion
/// message of the fault suites includes it, so a failure can be replayed with
/// `KV_FAULT_SEED=<seed> cargo test -p kv-tests --test reliability_faults`.
pub fn seed() -> u64 {
    const DEFAULT: u64 = 0x5eed_2024;
    match std::env::var("KV_FAULT_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("KV_FAULT_SEED={s:?} is not a u64"))
        }
        Err(_) => DEFAULT,
    }
}

/// Starts an emulator (2 worker threads, request log on).
pub fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.worker_threads(2)).expect("the emulator starts")
}

/// Retries with millisecond delays, `attempts` sends in all.
pub fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_base_delay(Duration::from_millis(2))
        .with_max_delay(Duration::from_millis(20))
        .with_min_rate_limited_delay(Duration::from_millis(2))
}

/// A client builder for `base` with the test token.
pub fn builder(base: &str) -> ClientBuilder {
    Client::builder(
        Auth::api_token(TOKEN).expect("valid token"),
        AccountId::new(ACCOUNT).expect("valid account"),
    )
    .base_url(base)
    .proxy(kv_ureq::ProxyConfig::Disabled)
}

/// Creates a namespace directly in the emulator and returns its id.
pub fn namespace(emu: &Emulator, title: &str) -> String {
    emu.create_namespace(ACCOUNT, title).expect("namespace")
}

// ---------------------------------------------------------------------------------------------
// A scripted server of our own on loopback: each accepted connection is handed to a closure
// that reads the request head and writes whatever it likes, byte by byte if it wants.

/// What a handler may do with one connection.
pub struct Conn {
    pub stream: TcpStream,
    /// The raw request head (up to and including the blank line).
    pub head: String,
    /// Bytes the handler managed to write (shared with the test).
    pub written: Arc<AtomicU64>,
}

impl Conn {
    /// Writes bytes, counting them; `false` once the peer is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        match self.stream.write_all(bytes) {
            Ok(()) => {
                self.written
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    /// Writes a whole response with a correct `Content-Length`.
    pub fn respond(&mut self, status: &str, headers: &[(&str, &str)], body: &[u8]) -> bool {
        let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        self.send(&bytes)
    }
}

/// A loopback server running `handler` for every connection, one thread per connection.
pub struct Scripted {
    pub addr: SocketAddr,
    /// Bytes written by all handlers so far.
    pub written: Arc<AtomicU64>,
    /// Every request head received.
    pub heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Scripted {
    /// Binds `127.0.0.1:0` and serves.
    pub fn start(handler: impl Fn(&mut Conn) + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let written = Arc::new(AtomicU64::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let (w, h, s) = (written.clone(), heads.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let (w, h, handler) = (w.clone(), h.clone(), handler.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
                    let head = read_head(&mut stream);
                    h.lock().unwrap().push(head.clone());
                    let mut conn = Conn {
                        stream,
                        head,
                        written: w,
                    };
                    handler(&mut conn);
                    let _ = conn.stream.flush();
                });
            }
        });
        Scripted {
            addr,
            written,
            heads,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT/client/v4`.
    pub fn base_url(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    /// Bytes written by the handlers so far.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Request heads received so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Reads up to the end of the request head (and, when announced, a small body), so the
/// client is never blocked writing.
fn read_head(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len.min(1 << 20)];
    let _ = stream.read_exact(&mut body);
    head
}
