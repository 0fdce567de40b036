//! The client over closure transports (no network): headers, caps, the retry loop, pacing,
//! configuration and `from_env_with`.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Probe;
use http::{Request, Response, StatusCode};
use kv_ureq::kv_proto::Limit;
use kv_ureq::{
    AccountId, Auth, Client, ClientBuilder, Error, ErrorKind, Pacer, RetryPolicy,
    TransportErrorKind,
};

const TOKEN: &str = "super-secret-token-42";

fn builder() -> ClientBuilder {
    Client::builder(
        Auth::api_token(TOKEN).unwrap(),
        AccountId::new("acc").unwrap(),
    )
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(max_attempts)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(4))
        .with_min_rate_limited_delay(Duration::from_millis(1))
}

fn status(code: u16) -> Response<Vec<u8>> {
    Response::builder().status(code).body(Vec::new()).unwrap()
}

/// A transport that answers from a list, one response per call, and counts calls.
type Answer = Result<Response<Vec<u8>>, Error>;

fn scripted(
    answers: Vec<Answer>,
) -> (
    impl Fn(Request<Vec<u8>>, u64) -> Answer + Send + Sync,
    Arc<AtomicU32>,
) {
    let calls = Arc::new(AtomicU32::new(0));
    let answers = Mutex::new(answers.into_iter());
    let c = calls.clone();
    let transport = move |_req: Request<Vec<u8>>, _max: u64| {
        c.fetch_add(1, Ordering::SeqCst);
        answers
            .lock()
            .unwrap()
            .next()
            .unwrap_or_else(|| Ok(status(200)))
    };
    (transport, calls)
}

#[test]
fn headers_reach_the_parser_intact() {
    let client = builder()
        .transport(|_req: Request<Vec<u8>>, _max: u64| {
            Ok(Response::builder()
                .status(200)
                .header("cf-ray", "ray-1")
                .header("expiration", "1700000000")
                .header("x-multi", "a")
                .header("x-multi", "b")
                .body(b"payload".to_vec())
                .unwrap())
        })
        .build()
        .unwrap();
    let r = client.execute(&Probe::get("/x")).unwrap();
    assert_eq!(r.headers()["cf-ray"], "ray-1");
    assert_eq!(r.headers()["expiration"], "1700000000");
    assert_eq!(r.headers().get_all("x-multi").iter().count(), 2);
    assert_eq!(r.body(), b"payload");
}

#[test]
fn the_request_carries_auth_user_agent_and_the_cap() {
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let client = builder()
        .user_agent_suffix("tests/0")
        .transport(move |req: Request<Vec<u8>>, max: u64| {
            *s.lock().unwrap() = Some((req.uri().to_string(), req.headers().clone(), max));
            Ok(status(200))
        })
        .build()
        .unwrap();
    let mut probe = Probe::get("/accounts/acc/thing");
    probe.max = 12345;
    client.execute(&probe).unwrap();
    let (uri, headers, max) = seen.lock().unwrap().take().unwrap();
    assert_eq!(
        uri,
        "https://api.cloudflare.com/client/v4/accounts/acc/thing"
    );
    assert_eq!(headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(
        headers["user-agent"],
        concat!("kv-ureq/", env!("CARGO_PKG_VERSION"), " tests/0")
    );
    assert_eq!(max, 12345);
}

#[test]
fn a_custom_transport_cannot_exceed_the_cap() {
    let client = builder()
        .transport(|_req: Request<Vec<u8>>, _max: u64| Ok(Response::new(vec![0u8; 11])))
        .build()
        .unwrap();
    let mut probe = Probe::get("/x");
    probe.max = 10;
    let err = client.execute(&probe).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { limit: 10 }),
        "{err:?}"
    );
}

#[test]
fn a_3xx_from_a_custom_transport_is_a_redirect_error_and_not_retried() {
    let moved = Response::builder()
        .status(308)
        .header("location", "https://elsewhere.example/steal")
        .body(b"<html>moved</html>".to_vec())
        .unwrap();
    let (t, calls) = scripted(vec![Ok(moved)]);
    let client = builder()
        .transport(t)
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    let err = client.execute(&Probe::get("/x")).unwrap_err();
    // The same kind a UreqTransport's 3xx gives (tests/loopback.rs).
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::Redirect),
        "{err:?}"
    );
    assert!(err.to_string().contains("elsewhere.example"), "{err}");
    assert!(!err.to_string().contains("steal"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn retries_until_success() {
    let (t, calls) = scripted(vec![
        Ok(status(503)),
        Err(Error::transport(
            TransportErrorKind::ConnectionClosed,
            "reset",
        )),
        Ok(status(200)),
    ]);
    let client = builder()
        .transport(t)
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();
    assert_eq!(client.execute(&Probe::get("/x")).unwrap().status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn gives_up_after_max_attempts_with_the_last_error() {
    let (t, calls) = scripted(vec![Ok(status(500)), Ok(status(502)), Ok(status(503))]);
    let client = builder()
        .transport(t)
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let err = client.execute(&Probe::get("/x")).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn does_not_retry_what_is_not_retryable() {
    for answer in [
        Ok(status(400)),
        Ok(status(404)),
        Err(Error::transport(TransportErrorKind::Tls, "bad cert")),
        Err(Error::transport(TransportErrorKind::Redirect, "302")),
    ] {
        let (t, calls) = scripted(vec![answer]);
        let client = builder()
            .transport(t)
            .retry_policy(fast_retries(5))
            .build()
            .unwrap();
        assert!(client.execute(&Probe::get("/x")).is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn execute_once_does_not_retry() {
    let (t, calls) = scripted(vec![Ok(status(503)), Ok(status(200))]);
    let client = builder()
        .transport(t)
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();
    let err = client.execute_once(&Probe::get("/x")).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

fn too_many(retry_after_ms: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(429)
        .header("retry-after-ms", retry_after_ms)
        .body(Vec::new())
        .unwrap()
}

#[test]
fn retry_after_is_waited_for() {
    let (t, calls) = scripted(vec![Ok(too_many("60")), Ok(status(200))]);
    let client = builder()
        .transport(t)
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    let start = Instant::now();
    client.execute(&Probe::get("/x")).unwrap();
    // The policy's backoff is at most 4 ms: only Retry-After explains a 60 ms wait.
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_retry_after_beyond_the_policy_gives_up_at_once() {
    let (t, calls) = scripted(vec![Ok(too_many("3600000"))]);
    let client = builder()
        .transport(t)
        .retry_policy(fast_retries(3).with_max_retry_after(Duration::from_secs(1)))
        .build()
        .unwrap();
    let err = client.execute(&Probe::get("/x")).unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_429_with_retry_after_holds_back_every_clone() {
    // A pacer so generous it never waits on its own: any wait comes from the 429's pause.
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let calls = AtomicU32::new(0);
    let client = builder()
        .transport(move |_req: Request<Vec<u8>>, _max: u64| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                let _ = tx.lock().unwrap().send(());
                Ok(too_many("300"))
            } else {
                Ok(status(200))
            }
        })
        .pacer(Pacer::new(1_000_000, Duration::from_secs(1)).unwrap())
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    assert!(client.is_pacing());
    let retrying = client.clone();
    let worker = std::thread::spawn(move || retrying.execute(&Probe::get("/x")).map(|_| ()));
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    // The worker holds the pacer back right after it parses the 429; poll (1 ms apart, far
    // slower than the pacer's own 1 µs spacing, so an unheld pacer never waits) until this
    // thread's turn is held back, instead of guessing how long that takes on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(10);
    let waited = loop {
        let w = client.pace();
        if !w.is_zero() {
            break w;
        }
        assert!(
            Instant::now() < deadline,
            "the 429 never held the pacer back"
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    // Another thread of the same client waits for the server's Retry-After too.
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    worker.join().unwrap().unwrap();
}

#[test]
fn pacing_spaces_requests_across_clones() {
    let client = builder()
        .transport(|_req: Request<Vec<u8>>, _max: u64| Ok(status(200)))
        .pacer(Pacer::new(1, Duration::from_millis(100)).unwrap()) // one per 100 ms
        .build()
        .unwrap();
    let clone = client.clone();
    assert_eq!(client.pace(), Duration::ZERO);
    // The clone shares the schedule: the one request of this window is spent.
    let waited = clone.pace();
    assert!(waited > Duration::from_millis(50), "{waited:?}");
}

#[test]
fn pacing_defaults_follow_the_base_url() {
    let cf = builder().build().unwrap();
    assert!(cf.is_pacing());
    let local = builder()
        .base_url("http://127.0.0.1:8787/client/v4")
        .build()
        .unwrap();
    assert!(!local.is_pacing());
    assert_eq!(local.pace(), Duration::ZERO);
    let forced = builder()
        .base_url("http://localhost:8787/client/v4")
        .pacing(true)
        .build()
        .unwrap();
    assert!(forced.is_pacing());
    let off = builder().pacing(false).build().unwrap();
    assert!(!off.is_pacing());
}

#[test]
fn builder_rejects_bad_settings() {
    let err = builder()
        .base_url("http://api.example.com/client/v4")
        .build()
        .unwrap_err();
    assert_eq!(err.limit(), Some(Limit::BaseUrl));
    let err = builder().concurrency(0).build().unwrap_err();
    assert_eq!(err.limit(), Some(Limit::Config));
    let err = builder()
        .user_agent_suffix("bad\nvalue")
        .build()
        .unwrap_err();
    assert!(err.is_invalid_input());
    assert_eq!(builder().concurrency(16).build().unwrap().concurrency(), 16);
    assert_eq!(builder().build().unwrap().concurrency(), 16);
}

#[test]
fn debug_never_shows_credentials() {
    let b = builder().proxy(kv_ureq::ProxyConfig::Url(
        "http://user:hunter2@proxy:3128".into(),
    ));
    assert!(!format!("{b:?}").contains(TOKEN));
    assert!(!format!("{b:?}").contains("hunter2"));
    let c = builder().build().unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(TOKEN), "{dbg}");
    assert!(dbg.contains("acc"));
    let key = Client::new(
        Auth::api_key("me@example.com", "globalkey123").unwrap(),
        AccountId::new("acc").unwrap(),
    );
    let dbg = format!("{key:?}");
    assert!(!dbg.contains("globalkey123") && !dbg.contains("me@example.com"));
}

#[test]
fn client_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Client>();
    fn object_safe(_: &dyn kv_ureq::Transport) {}
    object_safe(&kv_ureq::UreqTransport::new());
}

fn env(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: Vec<(&'static str, &'static str)> = vars.to_vec();
    move |name: &str| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn from_env_reads_token_account_and_base_url() {
    let c = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_TOKEN", "tok-from-env"),
        ("CLOUDFLARE_ACCOUNT_ID", " acc9 "),
        ("CLOUDFLARE_API_BASE_URL", "http://127.0.0.1:1/wrangler"),
        ("CLOUDFLARE_BASE_URL", "http://127.0.0.1:1/sdk"),
    ]))
    .unwrap();
    assert!(c.endpoint().auth().is_token());
    assert_eq!(c.endpoint().account().as_str(), "acc9");
    assert_eq!(c.endpoint().base_url(), "http://127.0.0.1:1/wrangler");

    let c = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_TOKEN", "tok"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
        ("CLOUDFLARE_API_BASE_URL", "  "),
        ("CLOUDFLARE_BASE_URL", "http://127.0.0.1:1/sdk"),
    ]))
    .unwrap();
    assert_eq!(c.endpoint().base_url(), "http://127.0.0.1:1/sdk");

    let c = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_TOKEN", "tok"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
    ]))
    .unwrap();
    assert_eq!(
        c.endpoint().base_url(),
        kv_ureq::kv_proto::defaults::DEFAULT_BASE_URL
    );
}

#[test]
fn from_env_key_and_email_and_precedence() {
    let c = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_KEY", "globalkey"),
        ("CLOUDFLARE_EMAIL", "me@example.com"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
    ]))
    .unwrap();
    assert!(!c.endpoint().auth().is_token());

    // A token wins over a key pair.
    let c = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_TOKEN", "tok"),
        ("CLOUDFLARE_API_KEY", "globalkey"),
        ("CLOUDFLARE_EMAIL", "me@example.com"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
    ]))
    .unwrap();
    assert!(c.endpoint().auth().is_token());
}

#[test]
fn from_env_errors_name_the_variable_not_the_value() {
    let err = Client::from_env_with(env(&[("CLOUDFLARE_ACCOUNT_ID", "acc")])).unwrap_err();
    assert_eq!(err.limit(), Some(Limit::Credentials));
    assert!(err.to_string().contains("CLOUDFLARE_API_TOKEN"), "{err}");

    let err = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_KEY", "globalkey"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("CLOUDFLARE_EMAIL"), "{err}");
    assert!(!err.to_string().contains("globalkey"));

    let err = Client::from_env_with(env(&[("CLOUDFLARE_API_TOKEN", "tok")])).unwrap_err();
    assert_eq!(err.limit(), Some(Limit::AccountId));
    assert!(err.to_string().contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");

    let err = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_TOKEN", "bad token with spaces"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("CLOUDFLARE_API_TOKEN"), "{err}");
    assert!(!err.to_string().contains("spaces"), "{err}");

    let err = Client::from_env_with(env(&[
        ("CLOUDFLARE_API_TOKEN", "tok"),
        ("CLOUDFLARE_ACCOUNT_ID", "acc"),
        ("CLOUDFLARE_BASE_URL", "http://api.example.com/client/v4"),
    ]))
    .unwrap_err();
    assert_eq!(err.limit(), Some(Limit::BaseUrl));
}

/// A namespace create is not idempotent: a timeout may hide a processed create, and resending it
/// would fail with 10014. Only failures that prove nothing was processed are retried.
#[test]
fn namespace_create_is_resent_only_when_it_was_never_processed() {
    let create = kv_ureq::kv_proto::CreateNamespace::new(kv_ureq::Title::new("t").unwrap());
    let ok = Response::builder()
        .status(200)
        .body(
            br#"{"success":true,"errors":[],"messages":[],"result":{"id":"abc","title":"t"}}"#
                .to_vec(),
        )
        .unwrap();

    let (transport, calls) = scripted(vec![Err(Error::transport(
        TransportErrorKind::Timeout,
        "read timed out",
    ))]);
    let client = builder()
        .retry_policy(fast_retries(5))
        .transport(transport)
        .build()
        .unwrap();
    assert!(client.execute(&create).unwrap_err().is_timeout());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a timed-out create is not resent"
    );

    let (transport, calls) = scripted(vec![
        Err(Error::transport(TransportErrorKind::Connect, "refused")),
        Ok(status(429)),
        Ok(ok),
    ]);
    let client = builder()
        .retry_policy(fast_retries(5))
        .transport(transport)
        .build()
        .unwrap();
    assert_eq!(client.execute(&create).unwrap().id, "abc");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "connect failure and 429 are resent"
    );
}
