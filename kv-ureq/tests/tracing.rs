//! The `tracing` feature: the events of a call that fails once (503) and then succeeds.
//!
//! `cargo test -p kv-ureq --features tracing --test tracing`
#![cfg(feature = "tracing")]

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kv_ureq::{AccountId, Auth, Client, RetryPolicy};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::util::SubscriberInitExt;

const TOKEN: &str = "s3cr3t-t0k3n-value";

/// Everything the subscriber writes, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// A client whose transport answers 503 (with a cf-ray) and then 200 with a value; the server
/// echoes the Authorization header in its error body, as a hostile server might.
fn flaky_client(trace_keys: bool) -> Client {
    let calls = AtomicU32::new(0);
    Client::builder(Auth::api_token(TOKEN).unwrap(), AccountId::new("acc").unwrap())
        .retry_policy(
            RetryPolicy::default()
                .with_base_delay(Duration::from_millis(5))
                .with_max_delay(Duration::from_millis(10)),
        )
        .trace_keys(trace_keys)
        .transport(move |req: http::Request<Vec<u8>>, _max: u64| {
            let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let resp = if n == 0 {
                let body = format!(
                    r#"{{"success":false,"errors":[{{"code":10001,"message":"busy: {auth}"}}],"messages":[]}}"#
                );
                http::Response::builder()
                    .status(503)
                    .header("cf-ray", "8f00aa11bb22cc33-LHR")
                    .body(body.into_bytes())
            } else {
                http::Response::builder()
                    .status(200)
                    .header("cf-ray", "8f00aa11bb22dd44-LHR")
                    .body(b"hello".to_vec())
            };
            Ok(resp.unwrap())
        })
        .build()
        .unwrap()
}

fn capture(f: impl FnOnce()) -> String {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    {
        let _default = subscriber.set_default();
        f();
    }
    out.text()
}

#[test]
fn failing_then_succeeding_call_traces_each_attempt_and_no_credential() {
    let client = flaky_client(false);
    let text = capture(|| {
        let value = client
            .namespace("ns1")
            .unwrap()
            .get_text("user/alice@example.com");
        assert_eq!(value.unwrap().as_deref(), Some("hello"));
    });
    let attempts: Vec<&str> = text.lines().filter(|l| l.contains(" attempt ")).collect();
    assert_eq!(attempts.len(), 2, "{text}");
    assert!(attempts[0].contains("attempt=1"), "{text}");
    assert!(attempts[0].contains("status=503"), "{text}");
    assert!(
        attempts[0].contains("cf_ray=\"8f00aa11bb22cc33-LHR\""),
        "{text}"
    );
    assert!(attempts[0].contains("outcome=\"server_error\""), "{text}");
    assert!(attempts[0].contains("codes=[10001]"), "{text}");
    assert!(attempts[1].contains("attempt=2"), "{text}");
    assert!(attempts[1].contains("status=200"), "{text}");
    assert!(attempts[1].contains("bytes=5"), "{text}");
    assert!(attempts[1].contains("outcome=\"ok\""), "{text}");
    assert!(attempts.iter().all(|l| l.contains("elapsed_ms=")), "{text}");
    // The attempts happen inside the call's span, which names the route and the namespace.
    let route = "GET /accounts/{account_id}/storage/kv/namespaces/{namespace_id}/values/{key_name}";
    assert!(attempts.iter().all(|l| l.contains(route)), "{text}");
    assert!(
        attempts.iter().all(|l| l.contains("namespace_id=\"ns1\"")),
        "{text}"
    );
    let waits: Vec<&str> = text.lines().filter(|l| l.contains("retry wait")).collect();
    assert_eq!(waits.len(), 1, "{text}");
    assert!(
        waits[0].contains("attempt=1") && waits[0].contains("wait_ms="),
        "{text}"
    );
    // No credential, and no key name without trace_keys.
    assert!(!text.contains(TOKEN), "{text}");
    assert!(!text.contains("Bearer"), "{text}");
    assert!(!text.contains("alice"), "{text}");
}

#[test]
fn key_names_only_when_asked_for() {
    let client = flaky_client(true);
    let text = capture(|| {
        client
            .namespace("ns1")
            .unwrap()
            .get_text("user/alice")
            .unwrap();
    });
    assert!(text.contains("key=\"user/alice\""), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}

#[test]
fn a_bulk_job_has_a_span_with_its_counts() {
    // Requests meet in pairs, so both workers (the calling thread and one more) send some.
    let pairs = std::sync::Barrier::new(2);
    let client = Client::builder(Auth::api_token(TOKEN).unwrap(), AccountId::new("acc").unwrap())
        .concurrency(2)
        .transport(move |_req: http::Request<Vec<u8>>, _max: u64| {
            pairs.wait();
            let ok = r#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_count":1,"unsuccessful_keys":[]}}"#;
            Ok(http::Response::builder().status(200).body(ok.as_bytes().to_vec()).unwrap())
        })
        .build()
        .unwrap();
    let text = capture(|| {
        let ns = client.namespace("ns1").unwrap();
        let report = ns
            .bulk_delete(["a", "b", "c", "d"])
            .batch_size(1)
            .run()
            .unwrap();
        assert_eq!(report.succeeded, 4);
    });
    let done: Vec<&str> = text.lines().filter(|l| l.contains("job done")).collect();
    assert_eq!(done.len(), 1, "{text}");
    assert!(done[0].contains("kv.job{concurrency=2"), "{text}");
    assert!(done[0].contains("done=4 failed=0 total=4"), "{text}");
    // Every attempt, from either thread, reaches the subscriber inside the job's span.
    let bulk = "POST /accounts/{account_id}/storage/kv/namespaces/{namespace_id}/bulk/delete";
    let attempts = text
        .lines()
        .filter(|l| l.contains(" attempt ") && l.contains("kv.job") && l.contains(bulk));
    assert_eq!(attempts.count(), 4, "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}
