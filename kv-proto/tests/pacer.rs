//! The pacer against a simulated Cloudflare rate limiter, on a simulated clock, through the
//! public API only: workers that reserve a slot, send, and feed every response's headers back
//! with `Pacer::observe`, as a shell does.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use kv_proto::Pacer;

const MS: fn(u64) -> Duration = Duration::from_millis;
const SECS: fn(u64) -> Duration = Duration::from_secs;

/// A fixed-window limiter: `limit` requests per `window` starting at `start`; it answers every
/// request with the rate-limit headers of the chosen form and rejects those over the limit.
struct Limiter {
    limit: u32,
    window: Duration,
    start: Instant,
    count: u32,
    form: Form,
    rejected: u32,
}

#[derive(Clone, Copy)]
enum Form {
    /// `Ratelimit` + `Ratelimit-Policy` (the IETF draft).
    Ietf,
    /// `x-ratelimit-limit` + `x-ratelimit-remaining` (no reset).
    Legacy,
    /// Both.
    Both,
    /// Nothing the pacer understands.
    Garbage,
    /// No headers at all.
    None,
}

impl Limiter {
    fn new(limit: u32, window: Duration, start: Instant, form: Form) -> Limiter {
        Limiter {
            limit,
            window,
            start,
            count: 0,
            form,
            rejected: 0,
        }
    }

    /// Counts a request arriving at `at`; returns whether it was accepted and the headers.
    fn handle(&mut self, at: Instant) -> (bool, http::HeaderMap) {
        while at >= self.start + self.window {
            self.start += self.window;
            self.count = 0;
        }
        self.count += 1;
        let accepted = self.count <= self.limit;
        if !accepted {
            self.rejected += 1;
        }
        let remaining = self.limit.saturating_sub(self.count);
        // Seconds to the reset, rounded up as Cloudflare does.
        let reset = (self.start + self.window - at)
            .as_nanos()
            .div_ceil(1_000_000_000);
        let (q, w) = (self.limit, self.window.as_secs());
        let mut h = http::HeaderMap::new();
        let mut put = |k: &'static str, v: String| {
            h.append(k, v.parse().unwrap());
        };
        match self.form {
            Form::Ietf => {
                put("ratelimit", format!("\"default\";r={remaining};t={reset}"));
                put("ratelimit-policy", format!("\"default\";q={q};w={w}"));
            }
            Form::Legacy => {
                put("x-ratelimit-limit", q.to_string());
                put("x-ratelimit-remaining", remaining.to_string());
            }
            Form::Both => {
                put("ratelimit", format!("\"default\";r={remaining};t={reset}"));
                put("ratelimit-policy", format!("\"default\";q={q};w={w}"));
                put("x-ratelimit-limit", q.to_string());
                put("x-ratelimit-remaining", remaining.to_string());
            }
            Form::Garbage => {
                put("ratelimit", format!("\"default\";r=-{remaining};t=soon"));
                put("ratelimit-policy", "q=;w=lots".to_string());
                put("x-ratelimit-limit", "unlimited".to_string());
                put("x-ratelimit-remaining", format!("{remaining}.5"));
            }
            Form::None => {}
        }
        (accepted, h)
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A worker wants to send its next request.
    Ready(usize),
    /// A worker's request reaches the server.
    Arrive(usize),
    /// A worker reads its response (the headers are kept aside, by worker).
    Respond(usize),
    /// The other process sends one request.
    Other,
}

struct Outcome {
    /// When each of this pacer's requests went out, and how long it waited for it.
    sends: Vec<(Instant, Duration)>,
    /// Requests of this pacer the server rejected.
    rejected: u32,
    /// Requests of the other process the server rejected.
    other_rejected: u32,
}

/// Runs `jobs` requests on `workers` workers, each taking `latency` (half to reach the
/// server, half back), through one shared pacer. The other process (if `other` is set) sends
/// one request every `other` at the same server, without pacing.
fn simulate(
    pacer: &mut Pacer,
    limiter: &mut Limiter,
    t0: Instant,
    jobs: usize,
    workers: usize,
    latency: Duration,
    other: Option<Duration>,
) -> Outcome {
    let mut queue = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |q: &mut BinaryHeap<_>, at: Instant, e: Event| {
        seq += 1;
        q.push(Reverse((at, seq, e)));
    };
    for w in 0..workers.min(jobs) {
        push(&mut queue, t0, Event::Ready(w));
    }
    if other.is_some() {
        push(&mut queue, t0, Event::Other);
    }
    let mut started = 0;
    let mut done = 0;
    let mut sends = Vec::new();
    let mut pending: Vec<Option<http::HeaderMap>> = vec![None; workers];
    let mut send_at = vec![t0; workers];
    let mut rejected = 0;
    let mut other_rejected = 0;
    while let Some(Reverse((now, _, event))) = queue.pop() {
        match event {
            Event::Ready(w) => {
                if started == jobs {
                    continue;
                }
                started += 1;
                let wait = pacer.reserve(now);
                sends.push((now + wait, wait));
                send_at[w] = now + wait;
                push(&mut queue, now + wait + latency / 2, Event::Arrive(w));
            }
            Event::Arrive(w) => {
                let (ok, headers) = limiter.handle(now);
                if !ok {
                    rejected += 1;
                }
                pending[w] = Some(headers);
                push(&mut queue, send_at[w] + latency, Event::Respond(w));
            }
            Event::Respond(w) => {
                let headers = pending[w].take().unwrap();
                pacer.observe(&headers, now);
                done += 1;
                push(&mut queue, now, Event::Ready(w));
            }
            Event::Other => {
                if done == jobs {
                    continue;
                }
                let (ok, _) = limiter.handle(now);
                if !ok {
                    other_rejected += 1;
                }
                push(&mut queue, now + other.unwrap(), Event::Other);
            }
        }
    }
    assert_eq!(done, jobs);
    Outcome {
        sends,
        rejected,
        other_rejected,
    }
}

/// The most of `sends` in any half-open window of length `per`.
fn max_in_window(sends: &[(Instant, Duration)], per: Duration) -> usize {
    let mut times: Vec<Instant> = sends.iter().map(|s| s.0).collect();
    times.sort();
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi].duration_since(times[lo]) >= per {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

fn last(sends: &[(Instant, Duration)], t0: Instant) -> Duration {
    sends.iter().map(|s| s.0).max().unwrap().duration_since(t0)
}

#[test]
fn a_job_that_fits_the_budget_never_waits() {
    let t0 = Instant::now();
    // 10,000 keys of bulk get = 100 requests: a twelfth of the budget.
    let mut pacer = Pacer::cloudflare_default();
    assert!((0..100).all(|_| pacer.reserve(t0).is_zero()));

    // The same through 4 workers at 100 ms, with every header form Cloudflare documents.
    for form in [Form::Ietf, Form::Legacy, Form::Both, Form::None] {
        let mut pacer = Pacer::cloudflare_default();
        let mut server = Limiter::new(1200, SECS(300), t0, form);
        let out = simulate(&mut pacer, &mut server, t0, 100, 4, MS(100), None);
        assert!(out.sends.iter().all(|s| s.1.is_zero()));
        // 25 rounds of 100 ms: the speed of the network.
        assert_eq!(last(&out.sends, t0), MS(2400));
        assert_eq!(out.rejected, 0);
    }

    // Even the whole budget (less the margin) goes without a wait, 200 per second at most.
    let mut pacer = Pacer::cloudflare_default();
    let mut server = Limiter::new(1200, SECS(300), t0, Form::Both);
    let out = simulate(&mut pacer, &mut server, t0, 1190, 4, MS(100), None);
    assert!(out.sends.iter().all(|s| s.1.is_zero()));
    assert_eq!(out.rejected, 0);
}

#[test]
fn a_smaller_server_limit_is_spread_over_its_windows() {
    let t0 = Instant::now();
    for (form, workers) in [(Form::Ietf, 1), (Form::Ietf, 4), (Form::Both, 4)] {
        let mut pacer = Pacer::cloudflare_default();
        let mut server = Limiter::new(60, SECS(10), t0, form);
        let out = simulate(&mut pacer, &mut server, t0, 250, workers, MS(100), None);
        assert_eq!(out.rejected, 0);
        assert!(max_in_window(&out.sends, SECS(10)) <= 60);
        // The floor: 60 per window means the 250th request goes in the fifth window, at 40 s
        // at the earliest. The pacer keeps 6 of each 60 in reserve, which still fits the last
        // 10 requests into that window.
        let end = last(&out.sends, t0);
        assert!(end >= SECS(40), "{end:?}");
        assert!(end < SECS(50), "{end:?} with {workers} workers");
    }
}

#[test]
fn a_legacy_only_server_limit_is_respected() {
    // x-ratelimit-* give no window and no reset: the configured window is assumed, so this is
    // slow but never blocked.
    let t0 = Instant::now();
    let mut pacer = Pacer::new(1200, SECS(10)).unwrap();
    let mut server = Limiter::new(60, SECS(10), t0, Form::Legacy);
    let out = simulate(&mut pacer, &mut server, t0, 150, 4, MS(100), None);
    assert_eq!(out.rejected, 0);
    assert!(max_in_window(&out.sends, SECS(10)) <= 60);
}

#[test]
fn another_process_spending_the_budget_slows_this_one_down() {
    let t0 = Instant::now();
    let alone = {
        let mut pacer = Pacer::cloudflare_default();
        let mut server = Limiter::new(60, SECS(10), t0, Form::Ietf);
        simulate(&mut pacer, &mut server, t0, 200, 4, MS(100), None)
    };
    let mut pacer = Pacer::cloudflare_default();
    let mut server = Limiter::new(60, SECS(10), t0, Form::Ietf);
    // The other process takes 2 requests a second: a third of the budget.
    let shared = simulate(&mut pacer, &mut server, t0, 200, 4, MS(100), Some(MS(500)));
    assert_eq!(alone.rejected, 0);
    // The falling `remaining` holds this pacer back: no request of either process is
    // rejected, so together they stay within 60 per window ...
    assert_eq!(shared.rejected, 0);
    assert_eq!(shared.other_rejected, 0);
    // ... although its own log would have let it send 54 per 10 s, as it does alone (200 in
    // the fourth window). It takes what the other process leaves, less the margin and what
    // it expects the other to spend: about 34 per 10 s.
    let (a, s) = (last(&alone.sends, t0), last(&shared.sends, t0));
    assert!(a > SECS(30) && a < SECS(35), "{a:?}");
    assert!(s > SECS(50) && s < SECS(70), "{s:?}");
}

#[test]
fn garbage_headers_change_nothing() {
    let t0 = Instant::now();
    let run = |form| {
        let mut pacer = Pacer::new(30, SECS(10)).unwrap();
        let mut server = Limiter::new(1000, SECS(10), t0, form);
        simulate(&mut pacer, &mut server, t0, 100, 4, MS(100), None).sends
    };
    let garbage = run(Form::Garbage);
    assert_eq!(garbage, run(Form::None));
    assert!(max_in_window(&garbage, SECS(10)) <= 27);
}

#[test]
fn a_429_holds_everyone_until_retry_after_and_then_spends_the_window() {
    let t0 = Instant::now();
    let mut pacer = Pacer::cloudflare_default();
    assert!(pacer.reserve(t0).is_zero());
    // The shell got a 429 with Retry-After: 300 (and the headers of an exhausted budget).
    let mut h = http::HeaderMap::new();
    h.insert("ratelimit", "\"default\";r=0;t=300".parse().unwrap());
    h.insert("retry-after", "300".parse().unwrap());
    pacer.observe(&h, t0 + MS(100));
    pacer.pause_until(t0 + MS(100) + SECS(300));
    // Every thread waits for the server, then the new window's budget goes at once (200 in
    // the first second).
    let waits: Vec<Duration> = (0..300).map(|_| pacer.reserve(t0 + MS(200))).collect();
    assert!(
        waits[..200].iter().all(|w| *w == MS(299_900)),
        "{:?}",
        &waits[..3]
    );
    assert!(waits[200..].iter().all(|w| *w == MS(300_900)));
}

/// Random limiters, workers and latencies.
mod random {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Alone on the token, once the first response told the limit, nothing is rejected.
        #[test]
        fn alone_nothing_is_rejected(
            q in 1u32..300,
            w in 1u64..30,
            workers in 1usize..6,
            latency in 10u64..400,
            jobs in 1usize..400,
            form in 0..3u8,
        ) {
            let form = [Form::Ietf, Form::Both, Form::Legacy][form as usize];
            let t0 = Instant::now();
            let mut pacer = Pacer::cloudflare_default();
            let mut server = Limiter::new(q, SECS(w), t0, form);
            // One request first: the limit is unknown until a response tells it.
            assert!(pacer.reserve(t0).is_zero());
            let (_, h) = server.handle(t0);
            pacer.observe(&h, t0);
            let out = simulate(&mut pacer, &mut server, t0, jobs, workers, MS(latency), None);
            prop_assert_eq!(out.rejected, 0, "A");
        }

        /// Another process spends a steady share of the budget: neither is ever rejected.
        #[test]
        fn shared_neither_is_rejected(
            q in 60u32..1200,
            w in 10u64..300,
            workers in 1usize..6,
            latency in 10u64..400,
            share in 4u32..20,
            jobs in 1usize..1500,
            form in 0..2u8,
        ) {
            let form = [Form::Ietf, Form::Both][form as usize];
            let t0 = Instant::now();
            let mut pacer = Pacer::cloudflare_default();
            let mut server = Limiter::new(q, SECS(w), t0, form);
            // The other process spends 1/share of the budget.
            let other = Some(SECS(w) * share / q);
            let out = simulate(&mut pacer, &mut server, t0, jobs, workers, MS(latency), other);
            prop_assert_eq!(out.rejected, 0, "A");
            prop_assert_eq!(out.other_rejected, 0, "B");
        }
    }
}
