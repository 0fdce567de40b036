//! Peak memory of the whole-namespace workflows over 1,000,000 keys: seeds a `kv-emulator`
//! process (spawned from this profile's directory, built if missing), then measures the peak
//! RSS (`VmHWM` of this process, reset between phases through `/proc/self/clear_refs`) of
//!
//! 1. an export of every key to an NDJSON file,
//! 2. an import of that file (1,000,000 records) into a new namespace,
//! 3. a copy of the namespace into another one (export feeding import, no file).
//!
//! ```text
//! cargo run --release -p kv-tests --example workflow-rss [-- KEYS]
//! ```
//!
//! A benchmark, not a timed test: it prints the numbers (recorded in BENCHMARKS.md) and
//! fails only if a phase goes over 64 MiB or loses a key. Linux only (`/proc`).

#[path = "kv-bench/emu.rs"]
mod emu;

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::time::{Duration, Instant};

use kv_ureq::{AccountId, Auth, BulkWriteItem, Client, Key, Metadata, NamespaceHandle};
use serde_json::json;

const LIMIT_KIB: u64 = 64 * 1024;

fn status(field: &str) -> u64 {
    status_of("self", field)
}

fn status_of(pid: &str, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0).
fn reset_peak() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS ({e}); numbers include earlier phases");
    }
}

fn value(i: u64) -> Result<BulkWriteItem, kv_ureq::Error> {
    let key = Key::new(format!("user/{i:08}"))?;
    let item = if i.is_multiple_of(20) {
        let mut bytes = vec![0xff, 0xfe, 0x00];
        bytes.extend_from_slice(&i.to_le_bytes());
        BulkWriteItem::binary(key, &bytes)?
    } else {
        BulkWriteItem::json(
            key,
            &json!({"id": i, "name": format!("user number {i}"), "tags": ["a", "b"]}),
        )?
    };
    let item = if i.is_multiple_of(3) {
        item.metadata(Metadata::new(json!({"shard": i % 16}))?)
    } else {
        item
    };
    Ok(item)
}

struct Phase {
    name: &'static str,
    elapsed: Duration,
    peak_kib: u64,
    requests: u64,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("workflow-rss failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let keys: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().map_err(|e| format!("KEYS: {e}")))
        .transpose()?
        .unwrap_or(1_000_000);
    let emulator = emu::EmulatorProcess::spawn(Some(2))?;
    let client = Client::builder(
        Auth::api_token("bench-token").map_err(|e| e.to_string())?,
        AccountId::new("bench").map_err(|e| e.to_string())?,
    )
    .base_url(emulator.base_url())
    .pacing(false)
    .concurrency(4)
    .build()
    .map_err(|e| e.to_string())?;
    let ns = |title: &str| -> Result<NamespaceHandle, String> {
        let created = client.create_namespace(title).map_err(|e| e.to_string())?;
        client
            .namespace(created.id.as_str())
            .map_err(|e| e.to_string())
    };
    let (source, imported, copied) = (ns("source")?, ns("imported")?, ns("copied")?);
    let baseline = status("VmRSS:");

    let t = Instant::now();
    let seeded = source
        .bulk_write((0..keys).map(|i| value(i).expect("valid item")))
        .concurrency(4)
        .run()
        .map_err(|e| e.to_string())?;
    if seeded.succeeded != keys {
        return Err(format!("seeded {} of {keys}", seeded.succeeded));
    }
    eprintln!(
        "seeded {keys} keys in {:?} (peak {} KiB)",
        t.elapsed(),
        status("VmHWM:")
    );

    let path = std::env::temp_dir().join(format!("workflow-rss-{}.ndjson", std::process::id()));
    let mut phases = Vec::new();

    reset_peak();
    let t = Instant::now();
    let file = BufWriter::new(File::create(&path).map_err(|e| e.to_string())?);
    let export = source
        .export()
        .concurrency(4)
        .to_ndjson(file)
        .map_err(|e| e.to_string())?;
    phases.push(Phase {
        name: "export to NDJSON",
        elapsed: t.elapsed(),
        peak_kib: status("VmHWM:"),
        requests: export.requests_sent,
    });
    if export.exported != keys || !export.is_success() {
        return Err(format!("exported {} of {keys}", export.exported));
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    reset_peak();
    let t = Instant::now();
    let file = BufReader::new(File::open(&path).map_err(|e| e.to_string())?);
    let import = imported
        .import(file)
        .concurrency(4)
        .run()
        .map_err(|e| e.to_string())?;
    phases.push(Phase {
        name: "import of the file",
        elapsed: t.elapsed(),
        peak_kib: status("VmHWM:"),
        requests: import.bulk.requests_sent,
    });
    let _ = std::fs::remove_file(&path);
    if import.bulk.succeeded != keys {
        return Err(format!("imported {} of {keys}", import.bulk.succeeded));
    }

    reset_peak();
    let t = Instant::now();
    let copy = source
        .copy_to(&copied)
        .concurrency(4)
        .run()
        .map_err(|e| e.to_string())?;
    phases.push(Phase {
        name: "copy (no file)",
        elapsed: t.elapsed(),
        peak_kib: status("VmHWM:"),
        requests: copy.export.requests_sent + copy.import.requests_sent,
    });
    if copy.import.succeeded != keys {
        return Err(format!("copied {} of {keys}", copy.import.succeeded));
    }

    println!("{keys} keys, NDJSON file {size} bytes, client RSS before the phases {baseline} KiB");
    println!("| phase | time | requests | peak RSS (VmHWM) |");
    println!("|---|---:|---:|---:|");
    let mut over = false;
    for p in &phases {
        println!(
            "| {} | {:.1} s | {} | {:.1} MiB |",
            p.name,
            p.elapsed.as_secs_f64(),
            p.requests,
            p.peak_kib as f64 / 1024.0
        );
        over |= p.peak_kib > LIMIT_KIB;
    }
    println!(
        "(the emulator process, holding all {} keys in memory: peak {:.0} MiB, not counted above)",
        3 * keys,
        status_of(&emulator.pid().to_string(), "VmHWM:") as f64 / 1024.0
    );
    if over {
        return Err("a phase went over 64 MiB".into());
    }
    Ok(())
}
