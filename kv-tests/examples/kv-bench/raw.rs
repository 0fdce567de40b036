//! The raw baseline: the same HTTP requests built by hand with a keep-alive `ureq::Agent` and
//! `serde_json`, no kv-proto and no kv-ureq. Same batch sizes, same list limit, same number
//! of threads (each takes the next batch from a shared counter), no retries.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use ureq::Agent;

use crate::work::{self, ACCOUNT, GET_BATCH, LIST_LIMIT, TOKEN, WRITE_BATCH};

/// The raw side: an agent and the namespace's URL.
pub struct Raw {
    agent: Agent,
    ns_url: String,
    auth: String,
}

#[derive(Deserialize)]
struct Envelope<T> {
    success: bool,
    result: Option<T>,
}

#[derive(Deserialize)]
struct BulkResult {
    successful_key_count: u64,
    #[serde(default)]
    unsuccessful_keys: Vec<String>,
}

#[derive(Deserialize)]
struct GetResult {
    values: HashMap<String, Option<String>>,
}

#[derive(Deserialize)]
struct ListPage {
    success: bool,
    result: Vec<ListedKey>,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ListedKey {
    #[allow(dead_code)]
    name: String,
}

#[derive(Deserialize)]
struct ResultInfo {
    cursor: Option<String>,
}

#[derive(Serialize)]
struct WriteItem<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct GetBody<'a> {
    keys: &'a [String],
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "withMetadata")]
    with_metadata: bool,
}

/// Runs `f(state, batch)` for batches `0..batches` on the calling thread plus `c - 1` scoped
/// threads, each taking the next batch number from a shared counter; returns every thread's
/// state.
fn parallel<T: Send>(
    batches: usize,
    c: usize,
    init: impl Fn() -> T + Sync,
    f: impl Fn(&mut T, usize) -> Result<(), String> + Sync,
) -> Result<Vec<T>, String> {
    let next = AtomicUsize::new(0);
    let work = || -> Result<T, String> {
        let mut state = init();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= batches {
                return Ok(state);
            }
            f(&mut state, b)?;
        }
    };
    std::thread::scope(|s| {
        let others: Vec<_> = (1..c.max(1)).map(|_| s.spawn(work)).collect();
        let mut out = vec![work()?];
        for h in others {
            out.push(h.join().map_err(|_| "worker panicked".to_owned())??);
        }
        Ok(out)
    })
}

/// The body of a 200 answer (read up to 64 MiB); otherwise the read error or `HTTP <status>`.
fn ok_body(mut response: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>, String> {
    let status = response.status();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}"));
    }
    Ok(bytes)
}

fn check_bulk(body: &[u8], sent: usize, what: &str) -> Result<u64, String> {
    let env: Envelope<BulkResult> =
        serde_json::from_slice(body).map_err(|e| format!("raw {what}: {e}"))?;
    match env.result {
        Some(r) if env.success && r.unsuccessful_keys.is_empty() => {
            Ok(r.successful_key_count.min(sent as u64))
        }
        _ => Err(format!("raw {what}: not fully successful")),
    }
}

impl Raw {
    /// A keep-alive agent (status codes as data, no proxy) for namespace `ns_id`; with
    /// `timeouts`, also the 10 s resolve/connect and 60 s whole-request timeouts our client
    /// sets (ureq then resolves on a new thread and sets socket timeouts before each I/O).
    pub fn new(base_url: &str, ns_id: &str, concurrency: usize, timeouts: bool) -> Raw {
        let t = |secs| timeouts.then(|| std::time::Duration::from_secs(secs));
        let config = Agent::config_builder()
            .timeout_global(t(60))
            .timeout_resolve(t(10))
            .timeout_connect(t(10))
            .http_status_as_error(false)
            .proxy(None)
            .max_idle_connections_per_host(concurrency.max(4))
            .build();
        Raw {
            agent: Agent::new_with_config(config),
            ns_url: format!("{base_url}/accounts/{ACCOUNT}/storage/kv/namespaces/{ns_id}"),
            auth: format!("Bearer {TOKEN}"),
        }
    }

    fn send(&self, method: &str, suffix: &str, body: Vec<u8>) -> Result<Vec<u8>, String> {
        let url = format!("{}{suffix}", self.ns_url);
        let builder = match method {
            "PUT" => self.agent.put(&url),
            _ => self.agent.post(&url),
        };
        builder
            .header("authorization", &self.auth)
            .header("content-type", "application/json")
            .send(body)
            .map_err(|e| e.to_string())
            .and_then(ok_body)
            .map_err(|e| format!("raw {method} {suffix}: {e}"))
    }

    /// Bulk write of keys `0..n` in batches of [`WRITE_BATCH`].
    pub fn write(&self, n: usize, c: usize, value_bytes: usize) -> Result<(), String> {
        let counts = parallel(
            work::batches(n, WRITE_BATCH),
            c,
            || 0u64,
            |done, b| {
                let range = work::batch_range(b, WRITE_BATCH, n);
                let pairs: Vec<(String, String)> = range
                    .map(|i| (work::key(i), work::value(i, value_bytes)))
                    .collect();
                let items: Vec<WriteItem<'_>> = pairs
                    .iter()
                    .map(|(k, v)| WriteItem { key: k, value: v })
                    .collect();
                let body = serde_json::to_vec(&items).map_err(|e| e.to_string())?;
                let reply = self.send("PUT", "/bulk", body)?;
                *done += check_bulk(&reply, items.len(), "bulk write")?;
                Ok(())
            },
        )?;
        expect_total(counts.iter().sum::<u64>(), n, "raw bulk write")
    }

    /// Bulk get of keys `0..n` in batches of [`GET_BATCH`]; values collected in one map.
    pub fn get(&self, n: usize, c: usize) -> Result<(), String> {
        let maps = parallel(
            work::batches(n, GET_BATCH),
            c,
            HashMap::<String, Option<String>>::new,
            |values, b| {
                let keys: Vec<String> = work::batch_range(b, GET_BATCH, n).map(work::key).collect();
                let body = serde_json::to_vec(&GetBody {
                    keys: &keys,
                    kind: "text",
                    with_metadata: false,
                })
                .map_err(|e| e.to_string())?;
                let reply = self.send("POST", "/bulk/get", body)?;
                let env: Envelope<GetResult> =
                    serde_json::from_slice(&reply).map_err(|e| format!("raw bulk get: {e}"))?;
                match env.result {
                    Some(r) if env.success => values.extend(r.values),
                    _ => return Err("raw bulk get: no result".into()),
                }
                Ok(())
            },
        )?;
        // One map per thread; merge into the first (nothing to merge at concurrency 1).
        let mut maps = maps.into_iter();
        let mut all = maps.next().unwrap_or_default();
        for m in maps {
            all.extend(m);
        }
        let present = all.values().filter(|v| v.is_some()).count();
        expect_total(present as u64, n, "raw bulk get")
    }

    /// Lists every key: `c` threads, each walking its shards' prefixes page by page.
    pub fn list(&self, n: usize, c: usize) -> Result<(), String> {
        let counts = parallel(
            c,
            c,
            || 0u64,
            |count, t| {
                for shard in work::shards_of(t, c) {
                    let prefix = work::shard_prefix(shard);
                    let mut cursor: Option<String> = None;
                    loop {
                        let mut req = self
                            .agent
                            .get(format!("{}/keys", self.ns_url))
                            .header("authorization", &self.auth)
                            .query("prefix", &prefix)
                            .query("limit", LIST_LIMIT.to_string());
                        if let Some(cur) = &cursor {
                            req = req.query("cursor", cur);
                        }
                        let bytes = req
                            .call()
                            .map_err(|e| e.to_string())
                            .and_then(ok_body)
                            .map_err(|e| format!("raw list: {e}"))?;
                        let page: ListPage =
                            serde_json::from_slice(&bytes).map_err(|e| format!("raw list: {e}"))?;
                        if !page.success {
                            return Err("raw list: success false".into());
                        }
                        *count += page.result.len() as u64;
                        match page.result_info.and_then(|i| i.cursor) {
                            Some(next) if !next.is_empty() => cursor = Some(next),
                            _ => break,
                        }
                    }
                }
                Ok(())
            },
        )?;
        expect_total(counts.iter().sum::<u64>(), n, "raw list")
    }

    /// Bulk delete of keys `0..n` in batches of [`WRITE_BATCH`].
    pub fn delete(&self, n: usize, c: usize) -> Result<(), String> {
        self.delete_with(n, c, work::key)
    }

    /// Bulk delete of `n` keys `key-{i:07}` made batch by batch (the RSS baseline).
    pub fn delete_streamed(&self, n: usize, c: usize) -> Result<(), String> {
        self.delete_with(n, c, |i| format!("key-{i:07}"))
    }

    fn delete_with(
        &self,
        n: usize,
        c: usize,
        key: impl Fn(usize) -> String + Sync,
    ) -> Result<(), String> {
        let counts = parallel(
            work::batches(n, WRITE_BATCH),
            c,
            || 0u64,
            |done, b| {
                let keys: Vec<String> = work::batch_range(b, WRITE_BATCH, n).map(&key).collect();
                let body = serde_json::to_vec(&keys).map_err(|e| e.to_string())?;
                let reply = self.send("POST", "/bulk/delete", body)?;
                *done += check_bulk(&reply, keys.len(), "bulk delete")?;
                Ok(())
            },
        )?;
        expect_total(counts.iter().sum::<u64>(), n, "raw bulk delete")
    }
}

fn expect_total(got: u64, n: usize, what: &str) -> Result<(), String> {
    if got == n as u64 {
        Ok(())
    } else {
        Err(format!("{what}: {got} keys, expected {n}"))
    }
}
