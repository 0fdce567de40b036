//! Our client's side: the only module that uses kv-ureq (so that API changes to the bulk
//! jobs touch this file only).
//!
//! The client is built as a user would against Cloudflare: its own defaults (pacing on, with
//! the pacer for Cloudflare's 1,200 per 5 minutes; default retry policy; default concurrency
//! unless `--concurrency`). The only change is the base URL, and since that is loopback,
//! pacing has to be asked for explicitly (it is off for loopback by default). It is told
//! nothing about the emulator's limits: whatever `--quick` or `--rate-limit` set, it learns
//! them only from the answers (rate-limit headers, 429s).

use kv_ureq::{AccountId, Auth, BulkValue, BulkWriteItem, Client, Key, ProxyConfig};

use crate::{ACCOUNT, TOKEN};

/// The concurrency the client uses when not told otherwise.
pub fn default_concurrency() -> usize {
    kv_ureq::DEFAULT_CONCURRENCY
}

/// The client for `base_url`, pacing as against Cloudflare.
pub fn client(base_url: &str, concurrency: Option<usize>) -> Result<Client, String> {
    let auth = Auth::api_token(TOKEN).map_err(|e| e.to_string())?;
    let account = AccountId::new(ACCOUNT).map_err(|e| e.to_string())?;
    let mut builder = Client::builder(auth, account)
        .base_url(base_url)
        .pacing(true)
        .proxy(ProxyConfig::Disabled);
    if let Some(c) = concurrency {
        builder = builder.concurrency(c);
    }
    builder.build().map_err(|e| e.to_string())
}

/// Bulk write of keys `0..n`; how many keys were not written.
pub fn write(client: &Client, ns: &str, n: usize) -> Result<u64, String> {
    let ns = client.namespace(ns).map_err(|e| e.to_string())?;
    let items = (0..n).map(|i| {
        let key = Key::new(crate::key(i)).expect("bench keys are valid keys");
        BulkWriteItem::text(key, crate::value(i)).expect("bench values are small")
    });
    let report = ns.bulk_write(items).run().map_err(|e| e.to_string())?;
    Ok(n as u64 - report.succeeded.min(n as u64))
}

/// Bulk get of keys `0..n`; how many values are missing.
pub fn get(client: &Client, ns: &str, n: usize) -> Result<u64, String> {
    let ns = client.namespace(ns).map_err(|e| e.to_string())?;
    let report = ns
        .bulk_get((0..n).map(crate::key))
        .run()
        .map_err(|e| e.to_string())?;
    let present = report
        .values
        .values()
        .filter(|v| matches!(v, BulkValue::Text(_)))
        .count() as u64;
    Ok(n as u64 - present.min(n as u64))
}

/// Bulk delete of keys `0..n`, made lazily; how many keys were not deleted.
pub fn delete(client: &Client, ns: &str, n: usize) -> Result<u64, String> {
    let ns = client.namespace(ns).map_err(|e| e.to_string())?;
    let report = ns
        .bulk_delete((0..n).map(crate::key))
        .run()
        .map_err(|e| e.to_string())?;
    Ok(n as u64 - report.succeeded.min(n as u64))
}
