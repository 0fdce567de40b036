//! A simulated shell driving `RetryPolicy` and `Pacer` together on a fake clock, through the
//! public API only.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kv_proto::{
    Error, ErrorKind, GiveUpReason, HttpError, Pacer, ResponseMeta, RetryDecision, RetryPolicy,
    TransportErrorKind,
};

/// A fake clock: a monotonic `Instant` and a wall-clock `SystemTime` advanced together.
struct Clock {
    mono: Instant,
    wall: SystemTime,
}

impl Clock {
    fn sleep(&mut self, d: Duration) {
        self.mono += d;
        self.wall += d;
    }
}

fn status(code: u16, headers: &[(&'static str, &str)]) -> Error {
    let mut h = http::HeaderMap::new();
    for (k, v) in headers {
        h.insert(*k, v.parse().unwrap());
    }
    let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(code).unwrap(), &h);
    Error::new(ErrorKind::Http(HttpError {
        meta,
        excerpt: String::new(),
    }))
}

/// Sends one request with retries; `outcomes` scripts the server. Returns the send times.
fn drive(
    clock: &mut Clock,
    pacer: &mut Pacer,
    policy: &RetryPolicy,
    seed: u64,
    outcomes: &mut VecDeque<Result<(), Error>>,
) -> (Result<(), Error>, Vec<Instant>) {
    let mut state = policy.start(seed);
    let mut sends = Vec::new();
    loop {
        let wait = pacer.reserve(clock.mono);
        clock.sleep(wait);
        sends.push(clock.mono);
        let outcome = outcomes.pop_front().unwrap_or(Ok(()));
        match outcome {
            Ok(()) => return (Ok(()), sends),
            Err(e) => match state.on_error(&e, clock.wall) {
                RetryDecision::Retry(d) => {
                    if e.is_rate_limited() {
                        // Everyone backs off together.
                        pacer.pause_until(clock.mono + d);
                    }
                    clock.sleep(d);
                }
                RetryDecision::GiveUp(_) => return (Err(e), sends),
            },
        }
    }
}

fn clock() -> Clock {
    Clock {
        mono: Instant::now(),
        wall: UNIX_EPOCH + Duration::from_secs(1_750_000_000),
    }
}

#[test]
fn rate_limit_then_success_waits_for_the_server() {
    let mut c = clock();
    let start = c.mono;
    let mut pacer = Pacer::cloudflare_default();
    let policy = RetryPolicy::default();
    let date = httpdate::fmt_http_date(c.wall + Duration::from_secs(300));
    let mut script = VecDeque::from([
        Err(status(503, &[])),
        Err(status(429, &[("retry-after", &date)])),
        Ok(()),
    ]);
    let (result, sends) = drive(&mut c, &mut pacer, &policy, 1, &mut script);
    assert!(result.is_ok());
    assert_eq!(sends.len(), 3);
    // The third send happens no earlier than the server's date (300 s after the start), plus the
    // first retry's jittered backoff of at most 1 s.
    let third = sends[2].duration_since(start);
    assert!(third >= Duration::from_secs(300), "{third:?}");
    assert!(third <= Duration::from_secs(302), "{third:?}");
    // The next request from anyone is paced after the pause.
    let next = pacer.reserve(sends[1]);
    assert!(next >= Duration::from_secs(299), "{next:?}");
}

#[test]
fn gives_up_on_an_hour_long_block_and_keeps_the_error() {
    let mut c = clock();
    let mut pacer = Pacer::unlimited();
    let mut script = VecDeque::from([Err(status(429, &[("retry-after", "3600")]))]);
    let (result, sends) = drive(&mut c, &mut pacer, &RetryPolicy::default(), 2, &mut script);
    let err = result.unwrap_err();
    assert_eq!(sends.len(), 1);
    assert_eq!(
        err.retry_after().map(|r| r.delay_from(c.wall)),
        Some(Duration::from_secs(3600))
    );
    assert_eq!(
        RetryPolicy::default().decide(1, &err, c.wall, 2),
        RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(Duration::from_secs(3600)))
    );
}

#[test]
fn persistent_timeouts_use_every_attempt() {
    let mut c = clock();
    let start = c.mono;
    let mut pacer = Pacer::unlimited();
    let policy = RetryPolicy::default();
    let mut script: VecDeque<_> = (0..50)
        .map(|_| Err(Error::transport(TransportErrorKind::Timeout, "timed out")))
        .collect();
    let (result, sends) = drive(&mut c, &mut pacer, &policy, 3, &mut script);
    assert!(result.unwrap_err().is_timeout());
    assert_eq!(sends.len(), 10);
    // 151 s of backoff at most, at least 75 % of it.
    let total = c.mono.duration_since(start);
    assert!(total <= Duration::from_secs(151), "{total:?}");
    assert!(total >= Duration::from_secs_f64(151.0 * 0.75), "{total:?}");
}

#[test]
fn many_requests_stay_under_the_cloudflare_limit() {
    let mut c = clock();
    let mut pacer = Pacer::cloudflare_default();
    let policy = RetryPolicy::default();
    let mut all = Vec::new();
    for i in 0..2_500u64 {
        // Every 7th request fails once with a 502 and is retried.
        let mut script = if i % 7 == 0 {
            VecDeque::from([Err(status(502, &[]))])
        } else {
            VecDeque::new()
        };
        let (result, sends) = drive(&mut c, &mut pacer, &policy, i, &mut script);
        assert!(result.is_ok());
        all.extend(sends);
    }
    all.sort();
    let window = Duration::from_secs(300);
    let mut lo = 0;
    for hi in 0..all.len() {
        while all[hi].duration_since(all[lo]) >= window {
            lo += 1;
        }
        assert!(hi - lo < 1_200, "{} sends in 5 minutes", hi - lo + 1);
    }
}
