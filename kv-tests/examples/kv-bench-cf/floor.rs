//! The floor: the least time the server's limits allow for a job, whatever the client.
//!
//! A job of `keys` keys needs at least `n = ceil(keys / max)` requests, `max` being the API's
//! maximum per request (10,000 for bulk write and delete, 100 for bulk get). Those `n` requests
//! are scheduled as early as the limits allow, in order, each starting at the earliest time
//! that satisfies every constraint (greedy list scheduling):
//!
//! - **round trips**: at most `c` requests in flight (the chosen concurrency); request `i`
//!   takes `T_i = latency + item_cost × items_i` from sending to its answer;
//! - **window** (sliding, as the emulator and Cloudflare count): at most `R` accepted requests
//!   in any `W`, so the `j`-th accepted request (counting the requests made before the job,
//!   see below) cannot be sent before the `(j − R)`-th plus `W`;
//! - **per second** (`max_rps`, Cloudflare: 200): the `j`-th cannot be sent before the
//!   `(j − M)`-th plus 1 s.
//!
//! The floor is when the last answer arrives. With no earlier requests and equal `T`, it is
//! at least each of
//!
//! ```text
//! ceil(n / c) × T                  round trips
//! floor((n − 1) / R) × W + T       the window: requests R+1.. wait for the first to age out
//! floor((n − 1) / M) × 1 s + T     the per-second cap
//! ```
//!
//! and the schedule combines them (e.g. 200 requests at 60 per 10 s: three full windows of
//! waiting, 30 s, plus the round trips of the last 20). The requests the benchmark made
//! before the job (creating the namespace, filling it) count against the window from the
//! moment they were sent: the floor of a job is for a client that starts with what is left
//! of the budget. A 429 penalty is never in the floor: a client that never exceeds the limit
//! never gets one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The limits the emulator enforces, as the floor sees them (seconds as `f64`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Added to every answer.
    pub latency: f64,
    /// Origin work per item of a bulk request.
    pub item_cost: f64,
    /// Requests per window.
    pub rate_limit: u64,
    /// The window.
    pub window: f64,
    /// Requests per sliding second, if capped.
    pub max_rps: Option<u64>,
}

/// Minimum requests for `keys` keys at `max_per_request` keys per request.
pub fn min_requests(keys: u64, max_per_request: u64) -> u64 {
    keys.div_ceil(max_per_request.max(1))
}

/// The floor, in seconds from the job's start, of `keys` keys sent in requests of
/// `max_per_request` (the last one holding the rest) at concurrency `c`; `history` holds the
/// send times (seconds, negative: before the job) of requests already counted by the window.
pub fn floor_secs(
    keys: u64,
    max_per_request: u64,
    c: usize,
    limits: &Limits,
    history: &[f64],
) -> f64 {
    let n = min_requests(keys, max_per_request);
    if n == 0 {
        return 0.0;
    }
    let per = max_per_request.max(1);
    // Every accepted request's send time, history first (sorted).
    let mut sent: Vec<f64> = history.to_vec();
    sent.sort_by(f64::total_cmp);
    let r = usize::try_from(limits.rate_limit.max(1)).unwrap_or(usize::MAX);
    let m = limits
        .max_rps
        .map(|m| usize::try_from(m.max(1)).unwrap_or(usize::MAX));
    // When each of the `c` slots is free again, as integer nanoseconds for the heap.
    let mut slots: BinaryHeap<Reverse<u64>> = (0..c.max(1)).map(|_| Reverse(0)).collect();
    let mut end = 0.0f64;
    for i in 0..n {
        let items = if i + 1 == n {
            keys - per * (n - 1)
        } else {
            per
        };
        let took = limits.latency + limits.item_cost * items as f64;
        let Reverse(free) = slots.pop().unwrap_or(Reverse(0));
        let mut start = free as f64 / 1e9;
        let j = sent.len();
        if j >= r {
            start = start.max(sent[j - r] + limits.window);
        }
        if let Some(m) = m
            && j >= m
        {
            start = start.max(sent[j - m] + 1.0);
        }
        start = start.max(0.0);
        sent.push(start);
        let done = start + took;
        end = end.max(done);
        slots.push(Reverse((done * 1e9).round() as u64));
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const CF: Limits = Limits {
        latency: 0.1,
        item_cost: 0.0,
        rate_limit: 1200,
        window: 300.0,
        max_rps: Some(200),
    };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn minimum_requests_round_up() {
        assert_eq!(min_requests(10_000, 10_000), 1);
        assert_eq!(min_requests(10_000, 100), 100);
        assert_eq!(min_requests(10_001, 100), 101);
        assert_eq!(min_requests(1_000_000, 10_000), 100);
        assert_eq!(min_requests(0, 100), 0);
    }

    #[test]
    fn within_the_budget_only_round_trips_count() {
        // 100 bulk gets at concurrency 4: 25 round trips of 100 ms.
        assert!(close(floor_secs(10_000, 100, 4, &CF, &[]), 2.5));
        // One 10,000-key write: one round trip.
        assert!(close(floor_secs(10_000, 10_000, 4, &CF, &[]), 0.1));
        // Sequential: 100 round trips.
        assert!(close(floor_secs(10_000, 100, 1, &CF, &[]), 10.0));
        assert_eq!(floor_secs(0, 100, 4, &CF, &[]), 0.0);
    }

    #[test]
    fn the_window_makes_request_r_plus_one_wait_for_the_first() {
        let quick = Limits {
            rate_limit: 60,
            window: 10.0,
            ..CF
        };
        // 200 requests at 60 per 10 s, concurrency 4, 100 ms: request 181 (index 180) goes
        // at 30 s; the last 20 take 5 round trips: 30.5 s.
        assert!(close(floor_secs(20_000, 100, 4, &quick, &[]), 30.5));
        // 61 requests: the 61st at 10 s.
        assert!(close(floor_secs(6_100, 100, 4, &quick, &[]), 10.1));
        // At least the closed-form terms.
        let f = floor_secs(25_000, 100, 4, &quick, &[]);
        assert!(f >= (250f64 / 4.0).ceil() * 0.1 - 1e-9);
        assert!(f >= (249 / 60) as f64 * 10.0 + 0.1 - 1e-9);
    }

    #[test]
    fn earlier_requests_use_up_the_window() {
        let quick = Limits {
            rate_limit: 60,
            window: 10.0,
            ..CF
        };
        // One request sent 0.5 s before the job: the job's 60th request waits until 9.5 s.
        assert!(close(floor_secs(6_000, 100, 4, &quick, &[-0.5]), 9.6));
        // Long before: no effect.
        assert!(close(floor_secs(6_000, 100, 4, &quick, &[-20.0]), 1.5));
    }

    #[test]
    fn the_per_second_cap_binds_at_high_concurrency() {
        let fast = Limits {
            latency: 0.001,
            ..CF
        };
        // 1,000 requests at concurrency 1,000 and 200 per second: the last goes at 4 s.
        assert!(close(floor_secs(100_000, 100, 1000, &fast, &[]), 4.001));
        let uncapped = Limits {
            max_rps: None,
            ..fast
        };
        assert!(close(floor_secs(100_000, 100, 1000, &uncapped, &[]), 0.001));
    }

    #[test]
    fn item_cost_adds_origin_work() {
        let slow = Limits {
            item_cost: 0.000_2,
            ..CF
        };
        // One 10,000-key write: 2 s of work plus 100 ms.
        assert!(close(floor_secs(10_000, 10_000, 4, &slow, &[]), 2.1));
        // 15,000 keys: 2.1 s and 1.1 s in parallel.
        assert!(close(floor_secs(15_000, 10_000, 4, &slow, &[]), 2.1));
    }
}
