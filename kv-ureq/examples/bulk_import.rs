//! A bulk import with a progress line: 20,000 generated records (or the NDJSON / wrangler JSON
//! file given as an argument) written with a bulk job, a one-line progress bar on stderr,
//! then the report. The emulator drops a few keys of some bulk answers into
//! `unsuccessful_keys`, so the "re-sending" count moves too. Runs on the in-process emulator,
//! no setup:
//!
//! ```text
//! cargo run -p kv-ureq --example bulk_import
//! cargo run -p kv-ureq --example bulk_import -- users.ndjson   # a file, through ns.import
//! ```

use std::io::Write as _;
use std::time::{Duration, Instant};

use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan, FaultScope};
use kv_ureq::{AccountId, Auth, BulkWriteItem, Client, Error, Expiration, Key, Progress};
use serde::Serialize;

const RECORDS: u64 = 20_000;

#[derive(Serialize)]
struct Product {
    sku: String,
    price_cents: u64,
    tags: Vec<&'static str>,
}

/// Draws `[#########-----------]  9000/20000 written, 0 failed, 12 re-sending` on one line.
fn progress_line(p: &Progress) {
    const WIDTH: u64 = 30;
    let done = p.done + p.failed;
    let (bar, total) = match p.total {
        Some(total) if total > 0 => {
            let filled = (done * WIDTH / total).min(WIDTH);
            (
                format!(
                    "{}{}",
                    "#".repeat(filled as usize),
                    "-".repeat((WIDTH - filled) as usize)
                ),
                total.to_string(),
            )
        }
        // An import learns its total only when the file is read to the end.
        _ => ("?".repeat(WIDTH as usize), "?".to_owned()),
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{bar}] {done:>6}/{total} written, {} failed, {} re-sending ",
        p.failed, p.queued_for_retry
    );
    let _ = err.flush();
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bulk_import failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let emu = Emulator::start(EmulatorConfig::default())
        .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
    let id = emu
        .create_namespace("import", "catalog")
        .map_err(|e| Error::protocol(e.to_string()))?;
    // One bulk answer in five leaves some keys unsuccessful; the job re-sends them.
    emu.set_faults(
        FaultPlan::new(7, 0.2)
            .scope(FaultScope::Bulk)
            .with_mix([(FaultKind::PartialBulk, 1)]),
    );
    let client = Client::builder(
        Auth::api_token("emulator-token")?,
        AccountId::new("import")?,
    )
    .base_url(emu.base_url())
    .build()?;
    let ns = client.namespace(id.as_str())?;

    let t = Instant::now();
    let report = if let Some(path) = std::env::args_os().nth(1) {
        // A file: NDJSON or wrangler's JSON array, streamed.
        let file = std::fs::File::open(&path)
            .map_err(|e| Error::protocol(format!("{}: {e}", path.to_string_lossy())))?;
        let report = ns
            .import(std::io::BufReader::new(file))
            .on_progress(progress_line)
            .run()?;
        eprintln!();
        println!("{} records read", report.records_read);
        report.bulk
    } else {
        // Generated records. A Vec says its length, so `Progress::total` is known from the start.
        let items = (0..RECORDS)
            .map(|i| {
                let product = Product {
                    sku: format!("SKU-{i:06}"),
                    price_cents: 100 + i % 9_900,
                    tags: if i % 3 == 0 { vec!["sale"] } else { vec![] },
                };
                Ok(
                    BulkWriteItem::json(Key::new(format!("product/{i:06}"))?, &product)?
                        .expiration(Expiration::ttl(30 * 86_400)?),
                )
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let report = ns
            .bulk_write(items)
            .batch_size(500) // small batches, so the bar moves
            .deadline(Duration::from_secs(300))
            .on_progress(progress_line)
            .run()?;
        eprintln!();
        report
    };

    println!(
        "{} written, {} failed, {} not attempted, in {} requests ({} keys re-sent) and {:.1?}",
        report.succeeded,
        report.failed.len(),
        report.not_attempted.len(),
        report.requests_sent,
        report.retries,
        t.elapsed()
    );
    for f in report.failed.iter().take(10) {
        eprintln!("  {}: {} (sent {} times)", f.key, f.error, f.attempts);
    }
    // Err if the job stopped early or any key failed.
    let report = report.into_result()?;
    println!("spot check: {:?}", ns.get_text("product/000042")?);
    assert_eq!(report.succeeded, report.requested);
    Ok(())
}
