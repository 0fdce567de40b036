//! A simulated shell driving `RetryPolicy` and `Pacer` together on a fake clock, through the
//! public API only.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kv_proto::{
    Error, ErrorKind, Pacer, RetryPolicy, TransportErrorKind, error::HttpError,
    error::ResponseMeta, retry::GiveUpReason, retry::RetryDecision,
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

// ---- What is retried, per route and error class -----------------------------------------------

mod common;

use kv_proto::{
    BulkDelete, BulkGet, BulkWrite, BulkWriteItem, CreateNamespace, DeleteNamespace, DeleteValue,
    GetMetadata, GetNamespace, GetValue, ListKeys, ListNamespaces, Operation, PutValue,
    RenameNamespace, Title, TryGetValue,
};

/// One route: its name, whether it is idempotent, and its `parse` (output dropped).
type Route = (
    &'static str,
    bool,
    Box<dyn Fn(http::Response<&[u8]>) -> Result<(), Error>>,
);

fn route<O: Operation + 'static>(name: &'static str, op: O) -> Route {
    (
        name,
        op.is_idempotent(),
        Box::new(move |r| op.parse(r).map(|_| ())),
    )
}

fn routes() -> Vec<Route> {
    use common::{key, ns};
    let items: Vec<BulkWriteItem> = (0..1000)
        .map(|i| BulkWriteItem::text(key(&format!("k{i}")), "v").unwrap())
        .collect();
    let keys: Vec<_> = (0..100).map(|i| key(&format!("k{i}"))).collect();
    vec![
        route("ListNamespaces", ListNamespaces::new()),
        route(
            "CreateNamespace",
            CreateNamespace::new(Title::new("t").unwrap()),
        ),
        route("GetNamespace", GetNamespace::new(ns())),
        route(
            "RenameNamespace",
            RenameNamespace::new(ns(), Title::new("t").unwrap()),
        ),
        route("DeleteNamespace", DeleteNamespace::new(ns())),
        route("ListKeys", ListKeys::new(ns())),
        route("GetValue", GetValue::new(ns(), key("k"))),
        route("TryGetValue", TryGetValue::new(ns(), key("k"))),
        route(
            "PutValue",
            PutValue::new(ns(), key("k"), b"v".to_vec()).unwrap(),
        ),
        route("DeleteValue", DeleteValue::new(ns(), key("k"))),
        route("GetMetadata", GetMetadata::new(ns(), key("k"))),
        route("BulkWrite", BulkWrite::new(ns(), items).unwrap()),
        route("BulkDelete", BulkDelete::new(ns(), keys.clone()).unwrap()),
        route("BulkGet", BulkGet::new(ns(), keys.clone()).unwrap()),
        route(
            "BulkGet json",
            BulkGet::new(ns(), keys.clone()).unwrap().json(),
        ),
        route(
            "BulkGet json metadata",
            BulkGet::new(ns(), keys).unwrap().json().with_metadata(),
        ),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// Retried for every route (the failure proves the request was not processed).
    Unprocessed,
    /// Retried for idempotent routes only (may come after the server acted).
    Transient,
    /// A garbled 2xx: retried for idempotent routes only.
    Garbled,
    /// Never retried.
    Final,
}

/// A scripted answer: name, status, headers, body, and its class.
type Case = (
    &'static str,
    u16,
    Vec<(&'static str, &'static str)>,
    String,
    Class,
);

fn envelope_failure(code: Option<u32>) -> String {
    let errors = code.map_or(String::new(), |c| {
        format!(r#"{{"code":{c},"message":"m"}}"#)
    });
    format!(r#"{{"success":false,"errors":[{errors}],"messages":[],"result":null}}"#)
}

#[test]
fn retry_decisions_per_route_and_error_class() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let cut = r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"k0":"#.to_owned();
    let cases: Vec<Case> = vec![
        (
            "cut JSON under 200",
            200,
            vec![],
            cut.clone(),
            Class::Garbled,
        ),
        (
            "HTML under 200",
            200,
            vec![],
            "<html>captive</html>".into(),
            Class::Garbled,
        ),
        (
            "200 success:false, no errors",
            200,
            vec![],
            envelope_failure(None),
            Class::Garbled,
        ),
        (
            "200 success:false, unknown code",
            200,
            vec![],
            envelope_failure(Some(1234)),
            Class::Garbled,
        ),
        (
            "200 success:false, code 0",
            200,
            vec![],
            envelope_failure(Some(0)),
            Class::Garbled,
        ),
        (
            "200 success:false, auth 10000",
            200,
            vec![],
            envelope_failure(Some(10000)),
            Class::Final,
        ),
        (
            "200 success:false, 10009",
            200,
            vec![],
            envelope_failure(Some(10009)),
            Class::Final,
        ),
        (
            "200 success:false, 10013",
            200,
            vec![],
            envelope_failure(Some(10013)),
            Class::Final,
        ),
        (
            "200 success:false, 10014",
            200,
            vec![],
            envelope_failure(Some(10014)),
            Class::Final,
        ),
        (
            "200 success:false, quota 10048",
            200,
            vec![],
            envelope_failure(Some(10048)),
            Class::Final,
        ),
        (
            "200 success:false, 7003",
            200,
            vec![],
            envelope_failure(Some(7003)),
            Class::Final,
        ),
        (
            "cut JSON under 200, x-should-retry: false",
            200,
            vec![("x-should-retry", "false")],
            cut.clone(),
            Class::Final,
        ),
        (
            "502 HTML",
            502,
            vec![],
            "<html>bad gateway</html>".into(),
            Class::Transient,
        ),
        (
            "500 envelope",
            500,
            vec![],
            envelope_failure(Some(10001)),
            Class::Transient,
        ),
        (
            "429 971",
            429,
            vec![],
            envelope_failure(Some(971)),
            Class::Unprocessed,
        ),
        (
            "429 quota",
            429,
            vec![],
            envelope_failure(Some(10048)),
            Class::Final,
        ),
        (
            "404 10013",
            404,
            vec![],
            envelope_failure(Some(10013)),
            Class::Final,
        ),
        (
            "403 10000",
            403,
            vec![],
            envelope_failure(Some(10000)),
            Class::Final,
        ),
        (
            "400 10001",
            400,
            vec![],
            envelope_failure(Some(10001)),
            Class::Final,
        ),
    ];
    let policy = RetryPolicy::default().with_max_attempts(3);
    for (name, idempotent, parse) in routes() {
        assert_eq!(idempotent, name != "CreateNamespace", "{name}");
        let value_read = matches!(name, "GetValue" | "TryGetValue");
        for (case, status, headers, body, class) in &cases {
            let mut b = http::Response::builder().status(*status);
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            let outcome = parse(b.body(body.as_bytes()).unwrap());
            if value_read && *status == 200 {
                // A value read's 2xx body is the stored bytes: never garbled, never an error.
                assert!(outcome.is_ok(), "{name} / {case}");
                continue;
            }
            let err = outcome.expect_err(&format!("{name} / {case}"));
            let retried = match class {
                Class::Unprocessed => true,
                Class::Transient | Class::Garbled => idempotent,
                Class::Final => false,
            };
            assert_eq!(
                err.is_garbled(),
                *class == Class::Garbled,
                "{name} / {case}: {err}"
            );
            assert_eq!(
                err.is_retryable_for(idempotent),
                retried,
                "{name} / {case}: {err}"
            );
            let mut state = policy.start(7).idempotent(idempotent);
            let first = state.on_error(&err, now);
            if retried {
                assert!(
                    matches!(first, RetryDecision::Retry(_)),
                    "{name} / {case}: {first:?}"
                );
                // Bounded like any retry.
                assert!(matches!(state.on_error(&err, now), RetryDecision::Retry(_)));
                assert_eq!(
                    state.on_error(&err, now),
                    RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted),
                    "{name} / {case}"
                );
            } else {
                assert_eq!(
                    first,
                    RetryDecision::GiveUp(GiveUpReason::NotRetryable),
                    "{name} / {case}: {err}"
                );
            }
            // `decide_for` agrees with the state machine.
            assert_eq!(
                matches!(
                    policy.decide_for(idempotent, 1, &err, now, 7),
                    RetryDecision::Retry(_)
                ),
                retried,
                "{name} / {case}"
            );
        }
    }
    // Transport failures.
    for (kind, class) in [
        (TransportErrorKind::Dns, Class::Unprocessed),
        (TransportErrorKind::Connect, Class::Unprocessed),
        (TransportErrorKind::Timeout, Class::Transient),
        (TransportErrorKind::ConnectionClosed, Class::Transient),
        (TransportErrorKind::InvalidResponse, Class::Transient),
        (TransportErrorKind::Tls, Class::Final),
        (TransportErrorKind::Redirect, Class::Final),
    ] {
        let err = Error::transport(kind, "x");
        assert!(!err.is_garbled());
        for idempotent in [true, false] {
            let want = match class {
                Class::Unprocessed => true,
                Class::Transient => idempotent,
                _ => false,
            };
            assert_eq!(
                err.is_retryable_for(idempotent),
                want,
                "{kind:?} {idempotent}"
            );
        }
    }
    // Other kinds are never garbled, whatever the request.
    for err in [
        Error::response_too_large(10),
        Error::protocol("repeated cursor"),
    ] {
        assert!(!err.is_garbled() && !err.is_retryable_for(true));
    }
}

#[test]
fn a_garbled_answer_costs_a_bulk_batch_one_retry_not_the_batch() {
    // A batch of 1,000 writes answered with a cut body, then properly: one retry, success.
    let op = routes().into_iter().find(|r| r.0 == "BulkWrite").unwrap();
    let cut = http::Response::builder()
        .status(200)
        .body(&br#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_co"#[..])
        .unwrap();
    let err = (op.2)(cut).unwrap_err();
    let mut c = clock();
    let mut pacer = Pacer::unlimited();
    let mut outcomes = VecDeque::from([Err(err), Ok(())]);
    let (result, sends) = drive(
        &mut c,
        &mut pacer,
        &RetryPolicy::default(),
        1,
        &mut outcomes,
    );
    assert!(result.is_ok());
    assert_eq!(sends.len(), 2);
}
