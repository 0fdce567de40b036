//! Measures how kv-ureq's bulk jobs scale with concurrency against the Cloudflare-shaped
//! emulator, to choose `kv_ureq::DEFAULT_CONCURRENCY`.
//!
//! For each concurrency, a fresh in-process emulator with `EmulatorConfig::like_cloudflare()`
//! (100 ms per answer, 200 µs per bulk item, 1,200 requests per sliding 5 minutes with rate-limit
//! headers, 524 past 100 s) and a fresh namespace; then, timed one after the other, a bulk
//! write, a bulk get and a bulk delete of the same keys through a client with its default
//! pacing for a loopback URL (the server-driven pacer), or `--pacing on` (Cloudflare's limits)
//! or `--pacing off`. The emulator's request log gives the number of requests and of 429s.
//!
//! ```sh
//! cargo run --release -p kv-tests --example concurrency-sweep -- \
//!     [--keys 10000] [--concurrency 1,2,4,8,16,32] [--pacing auto|on|off] [--value-bytes 100]
//! ```
//!
//! Prints one Markdown table row per concurrency.

use std::time::{Duration, Instant};

use kv_tests::{Emulator, EmulatorConfig};
use kv_ureq::{AccountId, Auth, BulkValue, BulkWriteItem, Client, ClientBuilder, Key, ProxyConfig};

const ACCOUNT: &str = "sweep";
const TOKEN: &str = "sweep-token";

struct Args {
    keys: usize,
    concurrency: Vec<usize>,
    pacing: Option<bool>,
    value_bytes: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        keys: 10_000,
        concurrency: vec![1, 2, 4, 8, 16, 32],
        pacing: None,
        value_bytes: 100,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--keys" => args.keys = value()?.parse().map_err(|e| format!("--keys: {e}"))?,
            "--value-bytes" => {
                args.value_bytes = value()?
                    .parse()
                    .map_err(|e| format!("--value-bytes: {e}"))?;
            }
            "--concurrency" => {
                args.concurrency = value()?
                    .split(',')
                    .map(|c| c.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--concurrency: {e}"))?;
            }
            "--pacing" => {
                args.pacing = match value()?.as_str() {
                    "auto" => None,
                    "on" => Some(true),
                    "off" => Some(false),
                    other => return Err(format!("--pacing: auto, on or off, not {other}")),
                };
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.keys == 0 || args.concurrency.contains(&0) {
        return Err("--keys and every --concurrency must be at least 1".into());
    }
    Ok(args)
}

fn key(i: usize) -> String {
    format!("sweep-{i:07}")
}

/// One row: seconds for write, get, delete; requests; 429s.
struct Row {
    write: Duration,
    get: Duration,
    delete: Duration,
    requests: usize,
    rate_limited: usize,
}

fn one(args: &Args, c: usize) -> Result<Row, String> {
    let emu = Emulator::start(EmulatorConfig::like_cloudflare()).map_err(|e| e.to_string())?;
    let auth = Auth::api_token(TOKEN).map_err(|e| e.to_string())?;
    let account = AccountId::new(ACCOUNT).map_err(|e| e.to_string())?;
    let mut builder: ClientBuilder = Client::builder(auth, account)
        .base_url(emu.base_url())
        .proxy(ProxyConfig::Disabled)
        .concurrency(c);
    if let Some(on) = args.pacing {
        builder = builder.pacing(on);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let created = client
        .create_namespace(format!("sweep-c{c}"))
        .map_err(|e| e.to_string())?;
    let ns = client.namespace(&created.id).map_err(|e| e.to_string())?;
    let n = args.keys;
    let value = "v".repeat(args.value_bytes);

    let t = Instant::now();
    let report = ns
        .bulk_write((0..n).map(|i| {
            BulkWriteItem::text(Key::new(key(i)).expect("valid key"), value.as_str())
                .expect("small value")
        }))
        .run()
        .map_err(|e| e.to_string())?;
    let write = t.elapsed();
    if !report.is_success() || report.succeeded != n as u64 {
        return Err(format!("write: {} of {n}", report.succeeded));
    }

    let t = Instant::now();
    let report = ns
        .bulk_get((0..n).map(key))
        .run()
        .map_err(|e| e.to_string())?;
    let get = t.elapsed();
    let present = report
        .values
        .values()
        .filter(|v| matches!(v, BulkValue::Text(_)))
        .count();
    if !report.is_success() || present != n {
        return Err(format!("get: {present} of {n}"));
    }

    let t = Instant::now();
    let report = ns
        .bulk_delete((0..n).map(key))
        .run()
        .map_err(|e| e.to_string())?;
    let delete = t.elapsed();
    if !report.is_success() || report.succeeded != n as u64 {
        return Err(format!("delete: {} of {n}", report.succeeded));
    }

    let log = emu.stop_and_take_requests();
    Ok(Row {
        write,
        get,
        delete,
        requests: log.len(),
        rate_limited: log.iter().filter(|r| r.status == Some(429)).count(),
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("concurrency-sweep: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "keys {}, value {} B, pacing {}",
        args.keys,
        args.value_bytes,
        match args.pacing {
            None => "auto (server-driven for loopback)",
            Some(true) => "on (Cloudflare's limits)",
            Some(false) => "off",
        }
    );
    println!(
        "| concurrency | bulk write (s) | bulk get (s) | bulk delete (s) | total (s) | requests | 429s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &c in &args.concurrency {
        match one(&args, c) {
            Ok(r) => {
                let total = r.write + r.get + r.delete;
                println!(
                    "| {c} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
                    r.write.as_secs_f64(),
                    r.get.as_secs_f64(),
                    r.delete.as_secs_f64(),
                    total.as_secs_f64(),
                    r.requests,
                    r.rate_limited
                );
            }
            Err(e) => {
                eprintln!("concurrency-sweep: concurrency {c}: {e}");
                std::process::exit(1);
            }
        }
    }
}
