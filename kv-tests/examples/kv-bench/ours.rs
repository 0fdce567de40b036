//! The jobs through our client: kv-ureq's bulk jobs and key iterator (kv-proto underneath).

use kv_ureq::{
    AccountId, Auth, BulkReport, BulkValue, BulkWriteItem, Client, Key, NamespaceHandle,
    ProxyConfig,
};

use crate::work::{self, ACCOUNT, LIST_LIMIT, TOKEN};

/// A client for the emulator: pacing off, no proxy, `concurrency` requests in flight.
pub fn client(base_url: &str, concurrency: usize) -> Result<Client, String> {
    let auth = Auth::api_token(TOKEN).map_err(|e| e.to_string())?;
    let account = AccountId::new(ACCOUNT).map_err(|e| e.to_string())?;
    Client::builder(auth, account)
        .base_url(base_url)
        .pacing(false)
        .proxy(ProxyConfig::Disabled)
        .concurrency(concurrency)
        .build()
        .map_err(|e| e.to_string())
}

/// A fresh namespace (not timed).
pub fn create_namespace(client: &Client, title: &str) -> Result<NamespaceHandle, String> {
    let created = client.create_namespace(title).map_err(|e| e.to_string())?;
    client.namespace(&created.id).map_err(|e| e.to_string())
}

fn item(i: usize, value_bytes: usize) -> BulkWriteItem {
    let key = Key::new(work::key(i)).expect("bench keys are valid keys");
    BulkWriteItem::text(key, work::value(i, value_bytes)).expect("bench values are small")
}

/// Ok if every one of the `n` keys was written or deleted, else `ours <what>: <k> of <n>
/// <verb>, <f> failed`.
fn all_done(report: &BulkReport, n: usize, what: &str, verb: &str) -> Result<(), String> {
    if !report.is_success() || report.succeeded != n as u64 {
        return Err(format!(
            "ours {what}: {} of {n} {verb}, {} failed",
            report.succeeded,
            report.failed.len()
        ));
    }
    Ok(())
}

/// Bulk write of keys `0..n`, items made lazily from the iterator.
pub fn write(ns: &NamespaceHandle, n: usize, c: usize, value_bytes: usize) -> Result<(), String> {
    let report = ns
        .bulk_write((0..n).map(|i| item(i, value_bytes)))
        // The baseline's batch size: the same requests on both sides (not the adaptive size).
        .batch_size(work::WRITE_BATCH)
        .concurrency(c)
        .run()
        .map_err(|e| e.to_string())?;
    all_done(&report, n, "bulk write", "written")
}

/// Bulk get of keys `0..n`; every value must be there.
pub fn get(ns: &NamespaceHandle, n: usize, c: usize) -> Result<(), String> {
    let report = ns
        .bulk_get((0..n).map(work::key))
        .concurrency(c)
        .run()
        .map_err(|e| e.to_string())?;
    let present = report
        .values
        .values()
        .filter(|v| matches!(v, BulkValue::Text(_)))
        .count();
    if !report.is_success() || present != n {
        return Err(format!(
            "ours bulk get: {present} of {n} values, {} failed",
            report.failed.len()
        ));
    }
    Ok(())
}

/// Lists every key: the calling thread plus `c - 1` threads, each walking its shards'
/// prefixes with the key iterator.
pub fn list(ns: &NamespaceHandle, n: usize, c: usize) -> Result<(), String> {
    let walk = |t: usize| -> Result<usize, String> {
        let mut count = 0;
        for shard in work::shards_of(t, c) {
            for k in ns
                .keys()
                .prefix(work::shard_prefix(shard))
                .limit(LIST_LIMIT)
            {
                k.map_err(|e| e.to_string())?;
                count += 1;
            }
        }
        Ok(count)
    };
    let total = std::thread::scope(|s| {
        let others: Vec<_> = (1..c).map(|t| s.spawn(move || walk(t))).collect();
        let mut total = walk(0)?;
        for h in others {
            total += h.join().map_err(|_| "list thread panicked".to_owned())??;
        }
        Ok::<usize, String>(total)
    })?;
    if total != n {
        return Err(format!("ours list: {total} keys listed, expected {n}"));
    }
    Ok(())
}

/// Bulk delete of keys `0..n`, key strings made lazily.
pub fn delete(ns: &NamespaceHandle, n: usize, c: usize) -> Result<(), String> {
    let report = ns
        .bulk_delete((0..n).map(work::key))
        .batch_size(work::WRITE_BATCH)
        .concurrency(c)
        .run()
        .map_err(|e| e.to_string())?;
    all_done(&report, n, "bulk delete", "deleted")
}

/// Bulk delete of `n` lazily generated keys `key-{i:07}` (the RSS job).
pub fn delete_streamed(ns: &NamespaceHandle, n: usize, c: usize) -> Result<(), String> {
    let report = ns
        .bulk_delete((0..n).map(|i| format!("key-{i:07}")))
        .batch_size(work::WRITE_BATCH)
        .concurrency(c)
        .run()
        .map_err(|e| e.to_string())?;
    all_done(&report, n, "streamed delete", "deleted")
}
