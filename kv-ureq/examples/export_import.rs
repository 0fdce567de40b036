//! Whole-namespace work: fill a namespace with text and binary values, metadata and
//! expirations; export it to NDJSON; import the file into a new namespace; copy it to a
//! namespace of another account; purge a prefix. Runs on the in-process emulator, no setup:
//!
//! ```text
//! cargo run -p kv-ureq --example export_import
//! ```

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use kv_ureq::{AccountId, Auth, BulkWriteItem, Client, Error, Key, Metadata};
use serde_json::json;

const KEYS: usize = 5_000;

fn main() {
    if let Err(e) = run() {
        eprintln!("export_import failed: {e}");
        std::process::exit(1);
    }
}

fn client(base: &str, account: &str) -> Result<Client, Error> {
    Client::builder(Auth::api_token("emulator-token")?, AccountId::new(account)?)
        .base_url(base)
        .concurrency(4)
        .build()
}

fn run() -> Result<(), Error> {
    let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default())
        .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
    let seed_error = |e: kv_tests::SeedError| Error::protocol(e.to_string());
    let prod = client(emu.base_url(), "prod")?;
    let staging = client(emu.base_url(), "staging")?;
    let source = prod.namespace(
        emu.create_namespace("prod", "source")
            .map_err(seed_error)?
            .as_str(),
    )?;
    let restored = prod.namespace(
        emu.create_namespace("prod", "restored")
            .map_err(seed_error)?
            .as_str(),
    )?;
    let mirror = staging.namespace(
        emu.create_namespace("staging", "mirror")
            .map_err(seed_error)?
            .as_str(),
    )?;

    // 1. Fill: text, binary (not UTF-8), metadata, expirations.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let items = (0..KEYS).map(|i| {
        let key = Key::new(format!(
            "{}/{i:05}",
            if i.is_multiple_of(4) { "tmp" } else { "user" }
        ))?;
        let item = if i.is_multiple_of(10) {
            BulkWriteItem::binary(key, &[0xff, 0x00, i as u8])?
        } else {
            BulkWriteItem::json(key, &json!({"id": i, "name": format!("user {i}")}))?
        };
        let item = item.metadata(Metadata::new(json!({"v": i % 3}))?);
        Ok(if i.is_multiple_of(5) {
            item.expiration(kv_ureq::Expiration::At(now + 86_400))
        } else {
            item
        })
    });
    let items: Vec<BulkWriteItem> = items.collect::<Result<_, Error>>()?;
    let written = source.bulk_write(items).run()?;
    println!(
        "wrote {} keys in {} requests",
        written.succeeded, written.requests_sent
    );

    // 2. Export to NDJSON (any io::Write: a file, stdout, a Vec).
    let t = Instant::now();
    let mut file = Vec::new();
    let export = source
        .export()
        .on_progress(|p| {
            if p.exhausted && p.done == p.total_known {
                println!("  export: {} of {} keys", p.done, p.total_known);
            }
        })
        .to_ndjson(&mut file)?;
    println!(
        "exported {} keys ({} re-read exactly with a single GET, {} vanished) to {} bytes of NDJSON in {:?}, {} requests",
        export.exported,
        export.refetched,
        export.vanished.len(),
        file.len(),
        t.elapsed(),
        export.requests_sent
    );
    let first = file
        .split(|&b| b == b'\n')
        .find(|l| l.windows(6).any(|w| w == b"base64"));
    if let Some(line) = first {
        println!("  a binary record: {}", String::from_utf8_lossy(line));
    }

    // 3. Import the file into another namespace (NDJSON or wrangler's JSON array, detected).
    let t = Instant::now();
    let import = restored.import(&file[..]).run()?;
    println!(
        "imported {} of {} records in {:?}, {} requests",
        import.bulk.succeeded,
        import.records_read,
        t.elapsed(),
        import.bulk.requests_sent
    );

    // 4. Copy to a namespace of another account (another client), without a file.
    let copy = source.copy_to(&mirror).prefix("user/").run()?;
    println!(
        "copied {} keys under user/ to the other account",
        copy.import.succeeded
    );

    // 5. Purge a prefix.
    let purge = restored.purge().prefix("tmp/").run()?;
    println!(
        "purged {} keys under tmp/ in {} requests",
        purge.bulk.succeeded, purge.bulk.requests_sent
    );

    // The emulator's own view: the copy is exact.
    let a = emu.entry("prod", source.id().as_str(), "user/00001");
    let b = emu.entry("staging", mirror.id().as_str(), "user/00001");
    assert_eq!(a, b);
    let bin = emu
        .entry("prod", restored.id().as_str(), "user/00010")
        .map(|e| e.value);
    assert_eq!(bin, Some(vec![0xff, 0x00, 10]));
    println!("checked: binary values, metadata and expirations survived byte for byte");
    Ok(())
}
