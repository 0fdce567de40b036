//! Throughput of the emulator on loopback (not a timed test).
//!
//! Run: `cargo bench -p kv-tests --bench emulator` (release). Options after `--`:
//! `--secs N` (per scenario, default 3), `--conns N` (client connections, default 4),
//! `--threads N` (emulator worker threads, default 2). `EMU_BENCH_ONLY=text` runs only the
//! scenarios whose name contains `text`.
//!
//! The load generator is deliberately cheap: one OS thread per keep-alive connection,
//! hand-written HTTP/1.1 requests on a `TcpStream`, one request in flight per connection.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kv_tests::{Emulator, EmulatorConfig, StoredEntry};

/// A prebuilt request, shared by client threads.
type Req = Arc<Vec<u8>>;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// One keep-alive connection with a reusable read buffer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends one request, reads the whole response; returns (status, body length).
    fn roundtrip(&mut self, request: &[u8]) -> io::Result<(u16, usize)> {
        self.stream.write_all(request)?;
        self.buf.clear();
        let mut chunk = [0u8; 64 * 1024];
        let header_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..header_end]).map_err(io::Error::other)?;
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let len = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .ok_or_else(|| io::Error::other("no content-length"))?;
        while self.buf.len() < header_end + len {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, len))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn request(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Runs `conns` threads, each sending requests from `make(thread, i)` for `secs`.
fn run<F>(name: &str, addr: SocketAddr, conns: usize, secs: f64, make: F)
where
    F: Fn(usize, u64) -> Arc<Vec<u8>> + Send + Sync + 'static,
{
    if let Ok(only) = std::env::var("EMU_BENCH_ONLY")
        && !name.contains(only.as_str())
    {
        return;
    }
    let make = Arc::new(make);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..conns)
        .map(|t| {
            let make = make.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr).expect("connect");
                let mut n: u64 = 0;
                let mut bytes: u64 = 0;
                while Instant::now() < deadline {
                    let req = make(t, n);
                    let (status, len) = conn.roundtrip(&req).expect("roundtrip");
                    assert_eq!(status, 200, "unexpected status");
                    n += 1;
                    bytes += len as u64;
                }
                (n, bytes)
            })
        })
        .collect();
    let (mut total, mut bytes) = (0u64, 0u64);
    for h in handles {
        let (n, b) = h.join().expect("client thread");
        total += n;
        bytes += b;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{name:<44} {total:>9} req in {elapsed:>5.2} s = {:>9.0} req/s  ({:.1} MB/s responses)",
        total as f64 / elapsed,
        bytes as f64 / elapsed / 1e6
    );
}

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; unknown arguments are ignored.
    let args: Vec<String> = std::env::args().collect();
    let secs = arg(&args, "--secs", 3.0);
    let conns = arg(&args, "--conns", 4.0) as usize;
    let threads = arg(&args, "--threads", 2.0) as usize;
    let emu = Emulator::start(
        EmulatorConfig::default()
            .worker_threads(threads)
            .log_requests(false),
    )
    .expect("emulator starts");
    let addr = emu.addr();
    let ns = emu.create_namespace(ACCOUNT, "bench").expect("namespace");
    let base = format!("/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces/{ns}");
    println!(
        "emulator: {threads} worker threads; load: {conns} keep-alive connections; {secs} s per scenario; {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Small requests.
    for i in 0..1000 {
        emu.put_entry(
            ACCOUNT,
            &ns,
            &format!("small-{i:04}"),
            StoredEntry::new("12345678"),
        )
        .expect("seed");
    }
    let gets: Arc<Vec<Arc<Vec<u8>>>> = Arc::new(
        (0..1000)
            .map(|i| Arc::new(request("GET", &format!("{base}/values/small-{i:04}"), b"")))
            .collect(),
    );
    let g = gets.clone();
    run("GET value (8 B)", addr, conns, secs, move |t, n| {
        g[(t * 131 + n as usize) % 1000].clone()
    });
    let puts: Arc<Vec<Arc<Vec<u8>>>> = Arc::new(
        (0..1000)
            .map(|i| {
                Arc::new(request(
                    "PUT",
                    &format!("{base}/values/small-{i:04}"),
                    b"abcdefgh",
                ))
            })
            .collect(),
    );
    run("PUT value (8 B, raw)", addr, conns, secs, move |t, n| {
        puts[(t * 131 + n as usize) % 1000].clone()
    });
    let meta = Arc::new(request("GET", &format!("{base}/metadata/small-0001"), b""));
    run("GET metadata", addr, conns, secs, move |_, _| meta.clone());
    let list = Arc::new(request(
        "GET",
        &format!("{base}/keys?limit=10&prefix=small-00"),
        b"",
    ));
    run("GET keys (limit 10)", addr, conns, secs, move |_, _| {
        list.clone()
    });

    // Full-size bulk requests.
    let bulk_get_body = serde_json::to_vec(&serde_json::json!({
        "keys": (0..100).map(|i| format!("small-{i:04}")).collect::<Vec<_>>(),
    }))
    .expect("json");
    let bulk_get = Arc::new(request("POST", &format!("{base}/bulk/get"), &bulk_get_body));
    run(
        "POST bulk/get (100 keys)",
        addr,
        conns,
        secs,
        move |_, _| bulk_get.clone(),
    );

    let keys: Vec<String> = (0..10_000).map(|i| format!("bulk-key-{i:05}")).collect();
    let write_body = serde_json::to_vec(
        &keys
            .iter()
            .map(|k| serde_json::json!({"key": k, "value": "value-of-16-byte"}))
            .collect::<Vec<_>>(),
    )
    .expect("json");
    let delete_body = serde_json::to_vec(&keys).expect("json");
    let bulk_write = Arc::new(request("PUT", &format!("{base}/bulk"), &write_body));
    let bulk_delete = Arc::new(request(
        "POST",
        &format!("{base}/bulk/delete"),
        &delete_body,
    ));
    let bw = bulk_write.clone();
    run("PUT bulk (10,000 pairs)", addr, conns, secs, move |_, _| {
        bw.clone()
    });
    let bd = bulk_delete.clone();
    run(
        "POST bulk/delete (10,000 keys, absent)",
        addr,
        conns,
        secs,
        move |_, _| bd.clone(),
    );
    // Alternate write and delete on each connection (own key set per thread) so every
    // delete removes 10,000 keys that exist.
    let per_thread: Vec<(Req, Req)> = (0..conns)
        .map(|t| {
            let keys: Vec<String> = (0..10_000).map(|i| format!("t{t}-key-{i:05}")).collect();
            let w = serde_json::to_vec(
                &keys
                    .iter()
                    .map(|k| serde_json::json!({"key": k, "value": "value-of-16-byte"}))
                    .collect::<Vec<_>>(),
            )
            .expect("json");
            let d = serde_json::to_vec(&keys).expect("json");
            (
                Arc::new(request("PUT", &format!("{base}/bulk"), &w)),
                Arc::new(request("POST", &format!("{base}/bulk/delete"), &d)),
            )
        })
        .collect();
    run(
        "bulk write+delete pairs (10,000 keys, present)",
        addr,
        conns,
        secs,
        move |t, n| {
            let (w, d) = &per_thread[t];
            if n % 2 == 0 { w.clone() } else { d.clone() }
        },
    );
    // Bulk delete of 10,000 keys that all exist: one connection; before each request the
    // keys are re-seeded through the in-process API, outside the timed section.
    let emu = Arc::new(emu);
    let name = "POST bulk/delete (10,000 keys, present; 1 conn)";
    if std::env::var("EMU_BENCH_ONLY").map_or(true, |o| name.contains(o.as_str())) {
        let mut conn = Conn::open(addr).expect("connect");
        let (mut n, mut busy) = (0u64, Duration::ZERO);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs_f64(secs * 2.0) {
            for k in &keys {
                emu.put_entry(ACCOUNT, &ns, k, StoredEntry::new("v"))
                    .expect("seed");
            }
            let t = Instant::now();
            let (status, _) = conn.roundtrip(&bulk_delete).expect("roundtrip");
            busy += t.elapsed();
            assert_eq!(status, 200);
            n += 1;
        }
        assert!(keys.iter().all(|k| emu.entry(ACCOUNT, &ns, k).is_none()));
        println!(
            "{name:<44} {n:>9} req in {:>5.2} s = {:>9.0} req/s  (timed section only)",
            busy.as_secs_f64(),
            n as f64 / busy.as_secs_f64()
        );
    }
}
