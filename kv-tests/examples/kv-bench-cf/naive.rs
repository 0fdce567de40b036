//! The naive client, what a user of the official SDKs gets: raw ureq + serde_json, one
//! request at a time, the API's maximum batch sizes (10,000 keys per bulk write and delete,
//! 100 per bulk get), no pacing. Like the SDKs that retry (cloudflare-python/-typescript/-go,
//! see `shared/peers.md`), on a 429 it sleeps `Retry-After` (at least 1 s) and sends the same
//! request again; unlike them it never gives up on a 429, so that it finishes the job.
//!
//! It also does the untimed setup of both sides (creating the namespace, filling it), and
//! records when each setup request was sent: those requests count against the window.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ureq::Agent;

use crate::{ACCOUNT, TOKEN};

/// The API's maximum keys per bulk write or bulk delete request.
pub const MAX_WRITE: usize = 10_000;
/// The API's maximum keys per bulk get request.
pub const MAX_GET: usize = 100;

/// A naive client for one account.
pub struct Naive {
    agent: Agent,
    base: String,
    auth: String,
    /// Send instants of every request (first attempts and retries).
    pub sent: Vec<Instant>,
    /// 429 answers received.
    pub throttled: u64,
}

#[derive(Deserialize)]
struct Envelope<T> {
    success: bool,
    result: Option<T>,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct BulkResult {
    #[serde(default)]
    unsuccessful_keys: Vec<String>,
}

#[derive(Deserialize)]
struct GetResult {
    values: HashMap<String, Option<String>>,
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
}

/// `Retry-After` in whole seconds (1 when missing or unreadable, at least 1).
fn retry_after(response: &ureq::http::Response<ureq::Body>) -> Duration {
    let secs = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs.max(1))
}

impl Naive {
    /// A keep-alive agent (statuses as data, no proxy) for `base_url`.
    pub fn new(base_url: &str) -> Naive {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build();
        Naive {
            agent: Agent::new_with_config(config),
            base: format!("{base_url}/accounts/{ACCOUNT}/storage/kv/namespaces"),
            auth: format!("Bearer {TOKEN}"),
            sent: Vec::new(),
            throttled: 0,
        }
    }

    /// Sends `body` to `POST`/`PUT` `{base}{suffix}` until the answer is not a 429 (sleeping
    /// `Retry-After` after each 429); the body of a 200, else an error.
    fn send(&mut self, method: &str, suffix: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        let url = format!("{}{suffix}", self.base);
        loop {
            let builder = match method {
                "PUT" => self.agent.put(&url),
                _ => self.agent.post(&url),
            };
            self.sent.push(Instant::now());
            let mut response = builder
                .header("authorization", &self.auth)
                .header("content-type", "application/json")
                .send(body)
                .map_err(|e| format!("naive {method} {suffix}: {e}"))?;
            let status = response.status();
            if status == 429 {
                self.throttled += 1;
                let wait = retry_after(&response);
                let _ = response.body_mut().read_to_vec();
                std::thread::sleep(wait);
                continue;
            }
            let bytes = response
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .map_err(|e| format!("naive {method} {suffix}: {e}"))?;
            if status != 200 {
                return Err(format!("naive {method} {suffix}: HTTP {status}"));
            }
            return Ok(bytes);
        }
    }

    /// Creates a namespace; its id.
    pub fn create_namespace(&mut self, title: &str) -> Result<String, String> {
        let body = serde_json::to_vec(&serde_json::json!({ "title": title }))
            .map_err(|e| e.to_string())?;
        let reply = self.send("POST", "", &body)?;
        let env: Envelope<Created> =
            serde_json::from_slice(&reply).map_err(|e| format!("create namespace: {e}"))?;
        match env.result {
            Some(c) if env.success => Ok(c.id),
            _ => Err("create namespace: no result".into()),
        }
    }

    /// Writes keys `0..n` (values from [`crate::value`]), 10,000 per request.
    pub fn write(&mut self, ns: &str, n: usize) -> Result<(), String> {
        for start in (0..n).step_by(MAX_WRITE) {
            let pairs: Vec<(String, String)> = (start..(start + MAX_WRITE).min(n))
                .map(|i| (crate::key(i), crate::value(i)))
                .collect();
            let items: Vec<WriteItem<'_>> = pairs
                .iter()
                .map(|(k, v)| WriteItem { key: k, value: v })
                .collect();
            let body = serde_json::to_vec(&items).map_err(|e| e.to_string())?;
            let reply = self.send("PUT", &format!("/{ns}/bulk"), &body)?;
            check_bulk(&reply, "bulk write")?;
        }
        Ok(())
    }

    /// Reads keys `0..n`, 100 per request; every one must be there.
    pub fn get(&mut self, ns: &str, n: usize) -> Result<(), String> {
        let mut present = 0;
        for start in (0..n).step_by(MAX_GET) {
            let keys: Vec<String> = (start..(start + MAX_GET).min(n)).map(crate::key).collect();
            let body = serde_json::to_vec(&GetBody {
                keys: &keys,
                kind: "text",
            })
            .map_err(|e| e.to_string())?;
            let reply = self.send("POST", &format!("/{ns}/bulk/get"), &body)?;
            let env: Envelope<GetResult> =
                serde_json::from_slice(&reply).map_err(|e| format!("naive bulk get: {e}"))?;
            match env.result {
                Some(r) if env.success => present += r.values.values().flatten().count(),
                _ => return Err("naive bulk get: no result".into()),
            }
        }
        if present != n {
            return Err(format!("naive bulk get: {present} of {n} values"));
        }
        Ok(())
    }

    /// Deletes keys `0..n`, 10,000 per request.
    pub fn delete(&mut self, ns: &str, n: usize) -> Result<(), String> {
        for start in (0..n).step_by(MAX_WRITE) {
            let keys: Vec<String> = (start..(start + MAX_WRITE).min(n))
                .map(crate::key)
                .collect();
            let body = serde_json::to_vec(&keys).map_err(|e| e.to_string())?;
            let reply = self.send("POST", &format!("/{ns}/bulk/delete"), &body)?;
            check_bulk(&reply, "bulk delete")?;
        }
        Ok(())
    }
}

fn check_bulk(body: &[u8], what: &str) -> Result<(), String> {
    let env: Envelope<BulkResult> =
        serde_json::from_slice(body).map_err(|e| format!("naive {what}: {e}"))?;
    match env.result {
        Some(r) if env.success && r.unsuccessful_keys.is_empty() => Ok(()),
        _ => Err(format!("naive {what}: not fully successful")),
    }
}
