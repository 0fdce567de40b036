//! Counts what the server saw: reads the request log `kv-emulator --log-requests` prints on
//! stderr, one line per request,
//!
//! ```text
//! #12 POST /client/v4/accounts/bench/storage/kv/namespaces/…/bulk/get -> 429 rate-limited (31 body bytes)
//! ```
//!
//! and counts requests and 429s. Other lines are passed on to our stderr. The emulator prints
//! its log every 200 ms, so [`Counter::settled`] waits for it to catch up.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Requests and 429s seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    pub requests: u64,
    pub throttled: u64,
}

impl std::ops::Sub for Seen {
    type Output = Seen;
    fn sub(self, rhs: Seen) -> Seen {
        Seen {
            requests: self.requests - rhs.requests,
            throttled: self.throttled - rhs.throttled,
        }
    }
}

/// A thread reading one emulator's log.
pub struct Counter {
    requests: Arc<AtomicU64>,
    throttled: Arc<AtomicU64>,
}

/// The status of a request-log line (`None` for other lines; `Some(None)` for `dropped`).
pub fn parse_status(line: &str) -> Option<Option<u16>> {
    if !line.starts_with('#') {
        return None;
    }
    let (_, rest) = line.split_once(" -> ")?;
    let status = rest.split([' ', '(']).next()?;
    if status == "dropped" {
        return Some(None);
    }
    status.parse().ok().map(Some)
}

impl Counter {
    /// Starts reading `stderr` on a thread (it ends with the emulator).
    pub fn start(stderr: impl Read + Send + 'static) -> Counter {
        let requests = Arc::new(AtomicU64::new(0));
        let throttled = Arc::new(AtomicU64::new(0));
        let (r, t) = (Arc::clone(&requests), Arc::clone(&throttled));
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                match parse_status(&line) {
                    Some(status) => {
                        r.fetch_add(1, Ordering::Relaxed);
                        if status == Some(429) {
                            t.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    None => eprintln!("{line}"),
                }
            }
        });
        Counter {
            requests,
            throttled,
        }
    }

    fn now(&self) -> Seen {
        Seen {
            requests: self.requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }

    /// The counts once every request answered so far is in the log: the emulator logs a
    /// request before answering it and prints its log every 200 ms, so after the last answer
    /// the counts are complete within 200 ms; this waits until they have not moved for 500 ms.
    pub fn settled(&self) -> Seen {
        let mut last = self.now();
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = self.now();
            if now == last {
                return now;
            }
            last = now;
        }
    }

    /// Waits until at least `requests` requests are in the log (at most 5 s), then returns
    /// the settled counts.
    pub fn at_least(&self, requests: u64) -> Seen {
        for _ in 0..100 {
            if self.now().requests >= requests {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.settled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_emulator_log_format() {
        let line = "#12 POST /client/v4/accounts/a/storage/kv/namespaces/x/bulk/get -> 429 rate-limited (31 body bytes)";
        assert_eq!(parse_status(line), Some(Some(429)));
        let line =
            "#0 PUT /client/v4/accounts/a/storage/kv/namespaces/x/bulk -> 200 (1234 body bytes)";
        assert_eq!(parse_status(line), Some(Some(200)));
        let line = "#3 GET /p?cursor=a -> 503 fault=503 (0 body bytes)";
        assert_eq!(parse_status(line), Some(Some(503)));
        let line = "#4 GET /p -> dropped fault=drop (0 body bytes)";
        assert_eq!(parse_status(line), Some(None));
        assert_eq!(parse_status("kv-emulator: SIGTERM, shutting down"), None);
    }
}
