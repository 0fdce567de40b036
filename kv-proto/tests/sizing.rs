//! `BatchSizer` against a simulated Cloudflare-shaped server, through a small reference loop
//! that wires it the way the bulk engine is meant to (see the `sizing` module docs):
//!
//! - `poll`: re-queued parts first, else take `next_size()` items from the input (closing the
//!   batch early at the byte cap);
//! - `handle`, success: `on_success(items, bytes, elapsed)`;
//! - `handle`, error with `BatchSizer::should_shrink`: `on_too_large_or_slow(items)`; `Some(p)`
//!   re-queues the batch in parts of `p` ahead of new input without counting an attempt,
//!   `None` (a single item) is an ordinary failure.
//!
//! Pure: simulated time, a `Pacer` for the request budget, no I/O.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use kv_proto::{BatchSizer, Error, Pacer, TransportErrorKind};
use proptest::prelude::*;

const EDGE: Duration = Duration::from_secs(100);

/// How the simulated server answers a batch of `items` items (the `n`-th request, 0-based).
trait Server {
    /// Time to answer; past [`EDGE`] the answer is a 524 (after `EDGE`), writes discarded.
    fn time(&mut self, n: usize, items: usize) -> Duration;
}

/// `latency + items × per_item`, like the emulator's `--like-cloudflare` profile.
struct Linear {
    latency: Duration,
    per_item: Duration,
}

impl Server for Linear {
    fn time(&mut self, _n: usize, items: usize) -> Duration {
        self.latency + self.per_item * items as u32
    }
}

/// Fast for `fast_requests` requests, then `slow_per_item` per item.
struct Slowing {
    fast_requests: usize,
    slow_per_item: Duration,
}

impl Server for Slowing {
    fn time(&mut self, n: usize, items: usize) -> Duration {
        let per = if n < self.fast_requests {
            Duration::from_micros(200)
        } else {
            self.slow_per_item
        };
        Duration::from_millis(100) + per * items as u32
    }
}

/// One item per key: `bytes(key)` body bytes.
fn bytes(key: u32) -> usize {
    60 + (key as usize % 7) * 10
}

#[derive(Debug, Default)]
struct Run {
    requests: usize,
    /// Simulated wall time of the whole job.
    elapsed: Duration,
    /// How many times each key was in a batch the server applied.
    applied: Vec<u32>,
    /// Keys given up (a single item that still failed).
    failed: Vec<u32>,
    sizes: Vec<usize>,
    splits: usize,
}

/// Writes keys `0..n` with up to `concurrency` batches in flight, paced by `pacer`, sized by
/// `sizer`. Batches in flight are answered in the order they finish.
fn run(
    n: u32,
    mut sizer: BatchSizer,
    mut pacer: Pacer,
    server: &mut dyn Server,
    concurrency: usize,
) -> Run {
    let t0 = Instant::now();
    let mut now = t0;
    let mut input = 0..n;
    let mut parts: VecDeque<Vec<u32>> = VecDeque::new();
    let mut in_flight: Vec<(Instant, Instant, Vec<u32>)> = Vec::new(); // (sent, answer, keys)
    let mut out = Run {
        applied: vec![0; n as usize],
        ..Run::default()
    };
    loop {
        // poll: fill the in-flight slots.
        while in_flight.len() < concurrency {
            let batch = match parts.pop_front() {
                Some(p) => p,
                None => {
                    let size = sizer.next_size();
                    let mut b = Vec::new();
                    let mut body = 0;
                    while b.len() < size {
                        let Some(k) = input.clone().next() else { break };
                        if !b.is_empty() && body + bytes(k) > sizer.byte_cap() {
                            break; // the caller enforces bytes exactly
                        }
                        input.next();
                        body += bytes(k);
                        b.push(k);
                    }
                    if b.is_empty() {
                        break;
                    }
                    b
                }
            };
            let sent = now + pacer.reserve(now);
            let took = server.time(out.requests, batch.len());
            out.requests += 1;
            out.sizes.push(batch.len());
            in_flight.push((sent, sent + took.min(EDGE), batch));
        }
        // handle: the earliest answer.
        let Some(i) = (0..in_flight.len()).min_by_key(|&i| in_flight[i].1) else {
            break;
        };
        let (sent, at, keys) = in_flight.swap_remove(i);
        now = now.max(at);
        let elapsed = at - sent;
        let body: usize = keys.iter().map(|&k| bytes(k)).sum();
        if elapsed < EDGE {
            for &k in &keys {
                out.applied[k as usize] += 1;
            }
            sizer.on_success(keys.len(), body, elapsed);
        } else {
            let err = edge_timeout();
            assert!(BatchSizer::should_shrink(&err));
            match sizer.on_too_large_or_slow(keys.len()) {
                Some(p) => {
                    out.splits += 1;
                    // Ahead of new input, in order.
                    for chunk in keys.chunks(p).rev() {
                        parts.push_front(chunk.to_vec());
                    }
                }
                None => out.failed.extend(keys),
            }
        }
    }
    out.elapsed = now - t0;
    out
}

/// A 524 as the client sees it: here a request timeout, which `should_shrink` also accepts.
fn edge_timeout() -> Error {
    Error::transport(TransportErrorKind::Timeout, "edge timeout (524)")
}

fn cloudflare_shaped() -> Linear {
    Linear {
        latency: Duration::from_millis(100),
        per_item: Duration::from_micros(200),
    }
}

#[test]
fn fewer_larger_requests_win_under_a_tight_budget() {
    // 200,000 keys; the account has 100 requests per 5 minutes left to this job.
    let n = 200_000;
    let tight = || Pacer::new(100, Duration::from_secs(300)).unwrap();
    let fixed = run(
        n,
        BatchSizer::fixed(1_000),
        tight(),
        &mut cloudflare_shaped(),
        4,
    );
    let adaptive = run(
        n,
        BatchSizer::for_writes(),
        tight(),
        &mut cloudflare_shaped(),
        4,
    );
    println!(
        "fixed 1,000: {} requests, {:?}; adaptive: {} requests, {:?}, sizes {:?}",
        fixed.requests, fixed.elapsed, adaptive.requests, adaptive.elapsed, adaptive.sizes
    );
    assert_eq!(fixed.requests, 200);
    // 90 per window (100 less the margin): the third window at the earliest.
    assert!(
        fixed.elapsed >= Duration::from_secs(600),
        "{:?}",
        fixed.elapsed
    );
    assert!(adaptive.requests <= 30, "{}", adaptive.requests);
    assert!(
        adaptive.elapsed < Duration::from_secs(30),
        "{:?}",
        adaptive.elapsed
    );
    for r in [&fixed, &adaptive] {
        assert!(r.applied.iter().all(|&a| a == 1));
        assert!(r.failed.is_empty());
    }
}

#[test]
fn grows_to_the_api_limit_on_a_fast_server() {
    let r = run(
        100_000,
        BatchSizer::for_writes(),
        Pacer::cloudflare_default(),
        &mut cloudflare_shaped(),
        1,
    );
    assert_eq!(
        r.sizes,
        [1_000, 1_000, 2_000, 2_000, 4_000, 4_000, 8_000, 8_000]
            .into_iter()
            .chain([10_000; 7])
            .collect::<Vec<_>>()
    );
    assert_eq!(r.splits, 0);
}

#[test]
fn stays_put_on_a_slow_server() {
    // 20 ms per item: 1,000 items take 20 s, 2,000 would take 40 s (> 25 s).
    let mut slow = Linear {
        latency: Duration::from_millis(100),
        per_item: Duration::from_millis(20),
    };
    let r = run(
        20_000,
        BatchSizer::for_writes(),
        Pacer::unlimited(),
        &mut slow,
        4,
    );
    assert!(r.sizes.iter().all(|&s| s == 1_000), "{:?}", r.sizes);
    assert_eq!(r.splits, 0);
}

#[test]
fn a_server_that_slows_down_gets_split_batches_and_no_key_is_lost_or_applied_twice() {
    // Fast for 10 requests (the size grows to 8,000), then 15 ms per item: 8,000 items
    // would take 120 s (524), 2,000 take 30 s (fine but not clean).
    let mut server = Slowing {
        fast_requests: 10,
        slow_per_item: Duration::from_millis(15),
    };
    let n = 60_000;
    let r = run(
        n,
        BatchSizer::for_writes(),
        Pacer::unlimited(),
        &mut server,
        4,
    );
    assert!(r.splits > 0, "{:?}", r.sizes);
    assert!(r.failed.is_empty());
    assert!(r.applied.iter().all(|&a| a == 1), "every key exactly once");
    // After the slowdown nothing larger than 6,600 items (100 s at 15 ms) is sent twice in a
    // row: the sizer learned.
    let big = r.sizes.iter().filter(|&&s| s > 6_600).count();
    assert!(big <= 8, "{:?}", r.sizes);
}

#[test]
fn a_hopeless_item_fails_alone_after_at_most_fourteen_splits() {
    // Every request takes past the edge limit: each batch splits until single items fail.
    struct Never;
    impl Server for Never {
        fn time(&mut self, _n: usize, _items: usize) -> Duration {
            EDGE
        }
    }
    let r = run(
        3_000,
        BatchSizer::for_writes(),
        Pacer::unlimited(),
        &mut Never,
        2,
    );
    assert_eq!(r.failed.len(), 3_000);
    let mut failed = r.failed.clone();
    failed.sort_unstable();
    failed.dedup();
    assert_eq!(failed.len(), 3_000, "each key reported once");
    assert!(r.applied.iter().all(|&a| a == 0));
    // A split tree with single-item leaves: fewer than 2 requests per key.
    assert!(r.requests <= 3 * 2 * 1_000, "{}", r.requests);
}

/// Random per-request speeds, some past the edge limit.
struct Scripted(Vec<(u32, bool)>);

impl Server for Scripted {
    fn time(&mut self, n: usize, items: usize) -> Duration {
        let (micros_per_item, timeout) = self.0[n % self.0.len()];
        if timeout {
            return EDGE;
        }
        Duration::from_millis(50) + Duration::from_micros(u64::from(micros_per_item)) * items as u32
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_key_is_applied_once_or_failed_once(
        n in 1u32..30_000,
        concurrency in 1usize..6,
        byte_cap in 100usize..2_000_000,
        script in proptest::collection::vec((0u32..30_000, proptest::bool::weighted(0.2)), 1..40),
    ) {
        let sizer = BatchSizer::for_writes().with_byte_cap(byte_cap);
        let r = run(n, sizer, Pacer::unlimited(), &mut Scripted(script), concurrency);
        let mut failed = vec![0u32; n as usize];
        for &k in &r.failed {
            failed[k as usize] += 1;
        }
        for (k, (applied, failed)) in r.applied.iter().zip(&failed).enumerate() {
            prop_assert_eq!(applied + failed, 1, "key {}", k);
        }
        prop_assert!(r.sizes.iter().all(|&s| (1..=10_000).contains(&s)));
    }
}
