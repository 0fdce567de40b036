//! A tour of kv-ureq: create a namespace, bulk-write 1,000 keys with metadata, read them back
//! in bulk, list them by prefix, read one with its metadata, bulk-delete them, delete the
//! namespace.
//!
//! ```text
//! cargo run -p kv-ureq --example quickstart
//! ```
//!
//! With no `CLOUDFLARE_API_TOKEN` set it starts the kv-tests emulator in this process and
//! talks to it over loopback. With `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_API_KEY` +
//! `CLOUDFLARE_EMAIL`) and `CLOUDFLARE_ACCOUNT_ID` set it talks to Cloudflare (about 25 API
//! requests, paced to stay under the rate limit) and cleans up after itself.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kv_ureq::{BulkWriteItem, Client, Error, Key, Metadata};
use serde_json::json;

const KEYS: usize = 1_000;
const PREFIX: &str = "quickstart/";

fn main() {
    if let Err(e) = run() {
        eprintln!("quickstart failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let use_cloudflare = std::env::var_os("CLOUDFLARE_API_TOKEN").is_some()
        || std::env::var_os("CLOUDFLARE_API_KEY").is_some();
    // Keep the emulator alive until the end of `run`.
    let (client, _emulator) = if use_cloudflare {
        let client = Client::from_env()?;
        println!("Talking to {}", client.endpoint().base_url());
        (client, None)
    } else {
        let emulator = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default())
            .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
        println!(
            "No CLOUDFLARE_API_TOKEN set: using the in-process emulator at {}",
            emulator.base_url()
        );
        let client = Client::builder(
            kv_ureq::Auth::api_token("emulator-token")?,
            kv_ureq::AccountId::new("quickstart")?,
        )
        .base_url(emulator.base_url())
        .build()?;
        (client, Some(emulator))
    };

    let total = Instant::now();
    let mut rows: Vec<(String, usize, Duration)> = Vec::new();

    // 1. A namespace with a unique title.
    let t = Instant::now();
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let created = client.create_namespace(format!("kv-ureq-quickstart-{stamp}"))?;
    let ns = client.namespace(&created.id)?;
    println!("Created namespace {} ({})", created.title, created.id);
    rows.push(("create namespace".to_owned(), 1, t.elapsed()));

    // The job's body is wrapped so the namespace is deleted even if a step fails.
    let outcome = steps(&ns, &mut rows);

    let t = Instant::now();
    let deleted = client.delete_namespace(ns.id());
    rows.push(("delete namespace".to_owned(), 1, t.elapsed()));
    outcome?;
    deleted?;

    println!();
    println!("{:<36} {:>8} {:>10}", "step", "requests", "time");
    for (step, requests, took) in &rows {
        println!(
            "{step:<36} {requests:>8} {:>8.1}ms",
            took.as_secs_f64() * 1000.0
        );
    }
    let requests: usize = rows.iter().map(|r| r.1).sum();
    println!(
        "{:<36} {requests:>8} {:>8.1}ms",
        "total",
        total.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

fn steps(
    ns: &kv_ureq::NamespaceHandle,
    rows: &mut Vec<(String, usize, Duration)>,
) -> Result<(), Error> {
    // 2. Bulk write 1,000 keys with metadata (chunked and sent concurrently by the driver).
    let items = (0..KEYS)
        .map(|i| {
            let key = Key::new(format!("{PREFIX}{i:04}"))?;
            let meta = Metadata::new(json!({"n": i, "even": i % 2 == 0}))?;
            Ok(BulkWriteItem::text(key, format!("value number {i}"))?.metadata(meta))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let t = Instant::now();
    let write = ns.bulk_write(items).run()?;
    let took = t.elapsed();
    check(write.is_success(), "bulk write", write.failed_keys())?;
    rows.push((
        format!("bulk write {} keys", write.succeeded),
        to_usize(write.requests_sent),
        took,
    ));

    // 3. Bulk get them back with metadata (100 keys per request, the API's limit).
    let keys: Vec<String> = (0..KEYS).map(|i| format!("{PREFIX}{i:04}")).collect();
    let t = Instant::now();
    let read = ns.bulk_get(&keys).with_metadata().run()?;
    let took = t.elapsed();
    check(read.is_success(), "bulk get", read.failed_keys())?;
    let intact = read
        .values
        .iter()
        .filter(|(k, v)| {
            let n = k.as_str().trim_start_matches(PREFIX);
            v.as_text()
                == n.parse::<usize>()
                    .ok()
                    .map(|n| format!("value number {n}"))
                    .as_deref()
        })
        .count();
    check(intact == KEYS, "bulk get (values)", std::iter::empty())?;
    rows.push((
        format!("bulk get {} keys (values checked)", read.values.len()),
        to_usize(read.requests_sent),
        took,
    ));

    // 4. List them by prefix (the iterator fetches every page lazily).
    let t = Instant::now();
    let mut listing = ns.keys_with_prefix(PREFIX);
    let listed = listing.by_ref().collect::<Result<Vec<_>, _>>()?;
    check(listed.len() == KEYS, "list keys", std::iter::empty())?;
    rows.push((
        format!("list {} keys by prefix", listed.len()),
        to_usize(listing.pages_fetched()),
        t.elapsed(),
    ));

    // 5. Read one key with its metadata.
    let t = Instant::now();
    let one = format!("{PREFIX}0042");
    let value = ns.get_text(&one)?;
    let meta = ns.metadata(&one)?;
    println!(
        "Read {one}: value {:?}, metadata {}",
        value.unwrap_or_default(),
        meta.unwrap_or_default()
    );
    rows.push(("read one value + its metadata".to_owned(), 2, t.elapsed()));

    // 6. Bulk delete them.
    let t = Instant::now();
    let delete = ns.bulk_delete(&keys).run()?;
    let took = t.elapsed();
    check(delete.is_success(), "bulk delete", delete.failed_keys())?;
    rows.push((
        format!("bulk delete {} keys", delete.succeeded),
        to_usize(delete.requests_sent),
        took,
    ));
    Ok(())
}

fn check<'a>(ok: bool, step: &str, failed: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    if ok {
        return Ok(());
    }
    let failed: Vec<&str> = failed.take(5).collect();
    Err(Error::protocol(format!(
        "{step} did not complete; first keys that failed: {failed:?}"
    )))
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
