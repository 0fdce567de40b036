//! Fault injection, rate-limit mode and the request log.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{ACCOUNT, Http, start, start_with};
use kv_tests::{EmulatorConfig, FaultKind, FaultPlan, FaultScope, RateLimit, StoredEntry};
use serde_json::{Value, json};

/// Sends one raw HTTP/1.1 request and reads until the server closes or `Connection: close`.
fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> (Vec<u8>, std::io::Result<()>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let res = s.read_to_end(&mut out).map(|_| ());
    (out, res)
}

fn get_request(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: emu\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
    )
}

#[test]
fn too_many_requests_then_recovers() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("f");
    emu.set_faults(
        FaultPlan::always(FaultKind::TooManyRequests)
            .retry_after_secs(0)
            .max_faults(2),
    );
    for _ in 0..2 {
        let r = h.raw("PUT", &format!("/{ns}/values/k"), b"v");
        let msg = r.error(429, 971);
        assert_eq!(
            msg,
            "Please wait and consider throttling your request speed"
        );
        assert_eq!(r.header("retry-after"), Some("0"));
    }
    assert!(
        emu.entry(ACCOUNT, &ns, "k").is_none(),
        "a 429 is not processed"
    );
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/k"), b"v").status, 200);
    assert_eq!(emu.faults_injected(), 2);
    let log = emu.requests();
    let faults: Vec<Option<FaultKind>> = log.iter().map(|r| r.fault).collect();
    assert_eq!(
        faults[1..],
        [
            Some(FaultKind::TooManyRequests),
            Some(FaultKind::TooManyRequests),
            None
        ]
    );
}

#[test]
fn server_errors_json_and_html() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("f");
    emu.set_faults(FaultPlan::always(FaultKind::InternalServerError));
    h.get(&format!("/{ns}/keys")).error(500, 10002);
    emu.set_faults(FaultPlan::always(FaultKind::BadGateway));
    let r = h.get(&format!("/{ns}/keys"));
    assert_eq!(r.status, 502);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("502 Bad Gateway"));
    emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable));
    let r = h.raw("PUT", &format!("/{ns}/values/k"), b"v");
    assert_eq!(r.status, 503);
    assert!(r.text().starts_with("<!DOCTYPE html>"));
    assert!(emu.entry(ACCOUNT, &ns, "k").is_none());
    emu.clear_faults();
    assert_eq!(h.get(&format!("/{ns}/keys")).status, 200);
}

#[test]
fn dropped_connection_gets_no_response() {
    let emu = start();
    let ns = emu.create_namespace(ACCOUNT, "f").unwrap();
    emu.set_faults(FaultPlan::always(FaultKind::DropConnection));
    let path = format!("/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces/{ns}/keys");
    let (out, _) = raw_exchange(emu.addr(), &get_request(&path));
    assert!(out.is_empty(), "got {:?}", String::from_utf8_lossy(&out));
    // ureq sees a transport error, not a status.
    let h = Http::new(&emu);
    let err = h
        .agent
        .get(&h.url(&format!("/{ns}/keys")))
        .header("authorization", "Bearer t")
        .call();
    assert!(err.is_err());
    // A dropped write is not processed.
    let put = h
        .agent
        .put(&h.url(&format!("/{ns}/values/k")))
        .header("authorization", "Bearer t")
        .send(&b"v"[..]);
    assert!(put.is_err());
    assert!(emu.entry(ACCOUNT, &ns, "k").is_none());
    // The raw exchange, the GET and the PUT were all dropped: logged with the fault, no status.
    let dropped: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.fault.is_some())
        .collect();
    assert!(dropped.len() >= 3, "{dropped:?}");
    assert!(dropped.iter().all(|r| r.status.is_none()), "{dropped:?}");
}

#[test]
fn truncated_body_is_short_of_content_length() {
    let emu = start();
    let ns = emu.create_namespace(ACCOUNT, "f").unwrap();
    let value = vec![b'z'; 1000];
    emu.put_entry(ACCOUNT, &ns, "k", StoredEntry::new(value))
        .unwrap();
    emu.set_faults(FaultPlan::always(FaultKind::TruncatedBody));
    let path = format!("/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces/{ns}/values/k");
    let (out, _) = raw_exchange(emu.addr(), &get_request(&path));
    let text = String::from_utf8_lossy(&out);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers arrive");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-length: 1000"),
        "{head}"
    );
    assert_eq!(body.len(), 500);
    // ureq notices the short body.
    let h = Http::new(&emu);
    let mut resp = h
        .agent
        .get(&h.url(&format!("/{ns}/values/k")))
        .header("authorization", "Bearer t")
        .call()
        .unwrap();
    assert!(resp.body_mut().read_to_vec().is_err());
    // Writes under a truncation fault are processed.
    let mut resp = h
        .agent
        .put(&h.url(&format!("/{ns}/values/w")))
        .header("authorization", "Bearer t")
        .send(&b"v"[..])
        .unwrap();
    assert!(resp.body_mut().read_to_vec().is_err());
    assert_eq!(emu.entry(ACCOUNT, &ns, "w").unwrap().value, b"v");
}

#[test]
fn slow_response_trips_a_client_timeout() {
    let emu = start();
    let ns = emu.create_namespace(ACCOUNT, "f").unwrap();
    emu.set_faults(
        FaultPlan::always(FaultKind::SlowResponse).slow_delay(Duration::from_millis(800)),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_millis(200)))
        .build()
        .into();
    let h = Http::new(&emu);
    let r = agent
        .get(&h.url(&format!("/{ns}/keys")))
        .header("authorization", "Bearer t")
        .call();
    // The client's own timeout ended the call (not a clock check: a loaded machine can be
    // slow, but only the timeout yields this error).
    assert!(matches!(r, Err(ureq::Error::Timeout(_))), "{r:?}");
    // A patient client gets the answer.
    let start = Instant::now();
    assert_eq!(h.get(&format!("/{ns}/keys")).status, 200);
    assert!(start.elapsed() >= Duration::from_millis(800));
}

#[test]
fn partial_bulk_really_skips_the_failed_keys() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("f");
    emu.set_faults(FaultPlan::always(FaultKind::PartialBulk).partial_fraction(0.3));
    // Not applicable to other routes: no fault there.
    assert_eq!(
        h.raw("PUT", &format!("/{ns}/values/solo"), b"v").status,
        200
    );
    assert_eq!(h.get(&format!("/{ns}/values/solo")).status, 200);
    let log = emu.requests();
    assert_eq!(log.len(), 3, "create, put, get: {log:?}");
    assert!(log.iter().all(|r| r.fault.is_none()), "{log:?}");

    let keys: Vec<String> = (0..200).map(|i| format!("k{i:03}")).collect();
    let items: Vec<Value> = keys
        .iter()
        .map(|k| json!({"key": k, "value": "v"}))
        .collect();
    let r = h
        .json("PUT", &format!("/{ns}/bulk"), &Value::Array(items))
        .result();
    let failed: Vec<String> = serde_json::from_value(r["unsuccessful_keys"].clone()).unwrap();
    assert!(!failed.is_empty() && failed.len() < 200, "{}", failed.len());
    assert_eq!(r["successful_key_count"], 200 - failed.len());
    let stored = emu.keys(ACCOUNT, &ns).unwrap();
    for k in &keys {
        assert_eq!(stored.contains(k), !failed.contains(k), "{k}");
    }

    // Bulk delete of everything: the failed ones stay.
    let r = h
        .json("POST", &format!("/{ns}/bulk/delete"), &json!(stored))
        .result();
    let kept: Vec<String> = serde_json::from_value(r["unsuccessful_keys"].clone()).unwrap();
    assert!(!kept.is_empty());
    assert_eq!(r["successful_key_count"], stored.len() - kept.len());
    let mut left = emu.keys(ACCOUNT, &ns).unwrap();
    left.sort();
    let mut kept_sorted = kept.clone();
    kept_sorted.sort();
    assert_eq!(left, kept_sorted);
    // Even a one-key request fails that key.
    let r = h
        .json("DELETE", &format!("/{ns}/bulk"), &json!([kept[0]]))
        .result();
    assert_eq!(
        r,
        json!({"successful_key_count": 0, "unsuccessful_keys": [kept[0]]})
    );
    assert!(emu.entry(ACCOUNT, &ns, &kept[0]).is_some());
}

#[test]
fn faults_are_deterministic_and_scoped() {
    let run = |seed: u64| -> Vec<Option<FaultKind>> {
        let emu = start_with(
            EmulatorConfig::default().faults(
                FaultPlan::new(seed, 0.5)
                    .with_mix([
                        (FaultKind::TooManyRequests, 1),
                        (FaultKind::InternalServerError, 1),
                        (FaultKind::BadGateway, 2),
                    ])
                    .retry_after_secs(0),
            ),
        );
        let h = Http::new(&emu);
        for _ in 0..40 {
            h.get("");
        }
        emu.requests().into_iter().map(|r| r.fault).collect()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
    let n = a.iter().filter(|f| f.is_some()).count();
    assert!((8..=32).contains(&n), "{n} faults of 40");
    assert!(a.iter().flatten().all(|k| *k != FaultKind::DropConnection));

    // Scope: only mutating routes misbehave.
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("s");
    emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable).scope(FaultScope::Mutating));
    assert_eq!(h.get(&format!("/{ns}/keys")).status, 200);
    assert_eq!(
        h.json("POST", &format!("/{ns}/bulk/get"), &json!({"keys": ["a"]}))
            .status,
        200
    );
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/k"), b"v").status, 503);
    assert_eq!(
        h.json("POST", &format!("/{ns}/bulk/delete"), &json!(["k"]))
            .status,
        503
    );
    emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable).scope(FaultScope::Bulk));
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/k"), b"v").status, 200);
    assert_eq!(
        h.json("POST", &format!("/{ns}/bulk/get"), &json!({"keys": ["a"]}))
            .status,
        503
    );
    emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable).scope(FaultScope::Reads));
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/k"), b"v").status, 200);
    assert_eq!(h.get(&format!("/{ns}/values/k")).status, 503);
    // The inspection API never sees faults.
    assert_eq!(emu.entry(ACCOUNT, &ns, "k").unwrap().value, b"v");
    // Unknown routes never get faults.
    emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable));
    h.send_abs("GET", &format!("{}/nowhere", h.base), None, None)
        .error(404, 7003);
}

#[test]
fn rate_limit_mode() {
    let emu = start_with(
        EmulatorConfig::default().rate_limit(RateLimit::new(5, Duration::from_millis(1500))),
    );
    let h = Http::new(&emu);
    for i in 0..5 {
        let r = h.get("");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some((4 - i).to_string().as_str())
        );
    }
    let r = h.get("");
    r.error(429, 971);
    assert_eq!(r.header("retry-after"), Some("2"));
    // Refused requests are not processed.
    h.json("POST", "", &json!({"title": "blocked"}))
        .error(429, 971);
    assert!(emu.namespaces(ACCOUNT).is_empty());
    assert!(emu.requests().last().unwrap().rate_limited);
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(h.json("POST", "", &json!({"title": "later"})).status, 200);
    // Off again.
    emu.set_rate_limit(None);
    for _ in 0..10 {
        assert_eq!(h.get("").status, 200);
    }
    assert!(h.get("").header("x-ratelimit-limit").is_none());
}

#[test]
fn request_log_records_raw_requests() {
    let emu = start_with(EmulatorConfig::default().log_bodies(true));
    let h = Http::new(&emu).with_headers(&[("authorization", "Bearer super-secret")]);
    let ns = h.create_ns("log");
    emu.clear_requests();
    h.raw(
        "PUT",
        &format!("/{ns}/values/a%2Fb?expiration_ttl=600"),
        b"hello",
    );
    let k = Http::new(&emu).with_headers(&[("x-auth-email", "e@x"), ("x-auth-key", "global-key")]);
    k.get(&format!("/{ns}/values/a%2Fb"));
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    let put = &log[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.path,
        format!("/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces/{ns}/values/a%2Fb")
    );
    assert_eq!(put.query.as_deref(), Some("expiration_ttl=600"));
    assert_eq!(put.body_len, 5);
    assert_eq!(put.body.as_deref(), Some(&b"hello"[..]));
    assert_eq!(put.status, Some(200));
    assert_eq!(put.header("authorization"), Some("[redacted]"));
    assert_eq!(put.header("content-type"), Some("application/octet-stream"));
    assert!(!format!("{log:?}").contains("super-secret"));
    assert!(!format!("{log:?}").contains("global-key"));
    assert_eq!(log[1].header("x-auth-key"), Some("[redacted]"));
    assert_eq!(log[1].header("x-auth-email"), Some("e@x"));
    assert!(log[1].seq > put.seq);
    emu.clear_requests();
    assert!(emu.requests().is_empty());
    emu.set_request_log(false);
    h.get("");
    assert!(emu.requests().is_empty());
    assert!(emu.request_count() >= 4);
}

#[test]
fn half_body_is_a_complete_but_cut_json_answer() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("f");
    emu.put_entry(ACCOUNT, &ns, "k", StoredEntry::new("value"))
        .unwrap();
    let whole = h.get(&format!("/{ns}/keys"));
    assert_eq!(whole.status, 200);
    emu.set_faults(FaultPlan::always(FaultKind::HalfBody));
    let cut = h.get(&format!("/{ns}/keys"));
    // Same status and content type; a Content-Length that matches the cut body, so the
    // client reads it to the end without a transport error.
    assert_eq!(cut.status, 200);
    assert_eq!(cut.header("content-type"), Some("application/json"));
    assert_eq!(
        cut.header("content-length"),
        Some(cut.body.len().to_string().as_str())
    );
    assert_eq!(cut.body, whole.body[..whole.body.len() / 2]);
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());
    // Processed: a bulk write under the fault is applied.
    let r = h.json(
        "PUT",
        &format!("/{ns}/bulk"),
        &json!([{"key": "b", "value": "v"}]),
    );
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(emu.entry(ACCOUNT, &ns, "b").unwrap().value, b"v");
    // Value reads (raw bytes, no envelope) never get it.
    let v = h.get(&format!("/{ns}/values/k"));
    assert_eq!(v.body, b"value");
    let log = emu.requests();
    assert_eq!(log.last().unwrap().fault, None);
    assert_eq!(log[log.len() - 2].fault, Some(FaultKind::HalfBody));
}

#[test]
fn success_false_with_status_200_is_not_processed() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("f");
    emu.set_faults(FaultPlan::always(FaultKind::SuccessFalse).scope(FaultScope::Mutating));
    let r = h.raw("PUT", &format!("/{ns}/values/k"), b"v");
    // `error` checks success false, result null, messages an array and the code.
    let msg = r.error(200, 10001);
    assert!(!msg.is_empty());
    assert_eq!(r.json()["errors"].as_array().unwrap().len(), 1);
    assert!(emu.entry(ACCOUNT, &ns, "k").is_none());
    assert_eq!(
        emu.requests().last().unwrap().fault,
        Some(FaultKind::SuccessFalse)
    );
    // Out of scope: reads are fine.
    assert_eq!(h.get(&format!("/{ns}/keys")).status, 200);
}

#[test]
fn apply_then_drop_changes_state_but_sends_nothing() {
    let emu = start();
    let ns = emu.create_namespace(ACCOUNT, "f").unwrap();
    emu.put_entry(ACCOUNT, &ns, "gone", StoredEntry::new("x"))
        .unwrap();
    emu.set_faults(FaultPlan::always(FaultKind::DropAfterApply));
    let h = Http::new(&emu);
    let put = h
        .agent
        .put(&h.url(&format!("/{ns}/values/k")))
        .header("authorization", "Bearer t")
        .send(&b"v"[..]);
    assert!(put.is_err(), "{put:?}");
    assert_eq!(emu.entry(ACCOUNT, &ns, "k").unwrap().value, b"v");
    // Raw: not a single byte of answer.
    let path = format!("/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces/{ns}/values/gone");
    let request = format!(
        "DELETE {path} HTTP/1.1\r\nHost: emu\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
    );
    let (out, _) = raw_exchange(emu.addr(), &request);
    assert!(out.is_empty(), "got {:?}", String::from_utf8_lossy(&out));
    assert!(emu.entry(ACCOUNT, &ns, "gone").is_none());
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|r| r.status.is_none() && r.fault == Some(FaultKind::DropAfterApply)),
        "{log:?}"
    );
}

#[test]
fn newer_kinds_are_opt_in_and_deterministic() {
    // The default mix is still the eight original kinds.
    assert_eq!(
        FaultPlan::new(1, 0.5).mix,
        FaultKind::ALL.map(|k| (k, 1)).to_vec()
    );
    assert!(FaultKind::NEWER.iter().all(|k| !FaultKind::ALL.contains(k)));

    /// What the client saw for each of 60 list-keys requests, and what the log says.
    fn run(seed: u64) -> Vec<(String, Option<FaultKind>)> {
        let emu = start_with(
            EmulatorConfig::default()
                .faults(FaultPlan::new(seed, 0.5).with_mix(FaultKind::NEWER.map(|k| (k, 1)))),
        );
        let ns = emu.create_namespace(ACCOUNT, "d").unwrap();
        let h = Http::new(&emu);
        let url = h.url(&format!("/{ns}/keys"));
        let seen: Vec<String> = (0..60)
            .map(
                |_| match h.agent.get(&url).header("authorization", "Bearer t").call() {
                    Err(_) => "no answer".to_owned(),
                    Ok(mut resp) => {
                        let status = resp.status().as_u16();
                        let body = resp.body_mut().read_to_vec().unwrap();
                        match serde_json::from_slice::<Value>(&body) {
                            Err(_) => format!("{status} garbled"),
                            Ok(v) => format!("{status} success={}", v["success"]),
                        }
                    }
                },
            )
            .collect();
        let faults = emu.requests().into_iter().map(|r| r.fault);
        seen.into_iter().zip(faults).collect()
    }
    let a = run(11);
    assert_eq!(a, run(11));
    assert_ne!(a, run(12));
    for (seen, fault) in &a {
        let expected = match fault {
            None => "200 success=true",
            Some(FaultKind::HalfBody) => "200 garbled",
            Some(FaultKind::SuccessFalse) => "200 success=false",
            Some(FaultKind::DropAfterApply) => "no answer",
            Some(other) => panic!("{other} is not in the mix"),
        };
        assert_eq!(seen, expected);
    }
    for kind in FaultKind::NEWER {
        assert!(
            a.iter().any(|(_, f)| *f == Some(kind)),
            "{kind} never picked: {a:?}"
        );
    }
}
