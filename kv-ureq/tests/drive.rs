//! The high-level API over closure transports (no network): the namespace handle, the paging
//! iterators and the bulk drivers (threads, progress, per-key failures, re-queues, rejects).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use http::{Method, Request, Response};
use kv_ureq::{
    AccountId, Auth, BulkWriteItem, Client, Error, Key, Metadata, PlanConfig, Progress, RetryPolicy,
};
use serde_json::{Value as Json, json};

const NS: &str = "0f2ac74b498b48028cb68387c421e279";

type Answer = Result<Response<Vec<u8>>, Error>;

fn client(
    concurrency: usize,
    transport: impl Fn(Request<Vec<u8>>, u64) -> Answer + Send + Sync + 'static,
) -> Client {
    Client::builder(
        Auth::api_token("t").unwrap(),
        AccountId::new("acc").unwrap(),
    )
    .retry_policy(RetryPolicy::none())
    .pacing(false)
    .concurrency(concurrency)
    .transport(transport)
    .build()
    .unwrap()
}

fn envelope(status: u16, result: Json, info: Option<Json>) -> Answer {
    let mut body = json!({"success": true, "errors": [], "messages": [], "result": result});
    if let Some(info) = info {
        body["result_info"] = info;
    }
    Ok(Response::builder()
        .status(status)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap())
}

fn error(status: u16, code: u64, message: &str) -> Answer {
    let body = json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null});
    Ok(Response::builder()
        .status(status)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap())
}

fn path(req: &Request<Vec<u8>>) -> String {
    req.uri().path().to_owned()
}

fn query(req: &Request<Vec<u8>>, name: &str) -> Option<String> {
    req.uri().query().and_then(|q| {
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    })
}

/// Keys of a bulk delete (a JSON array) or bulk get (`{"keys": [...]}`) body.
fn body_keys(req: &Request<Vec<u8>>) -> Vec<String> {
    let v: Json = serde_json::from_slice(req.body()).unwrap();
    let arr = match &v {
        Json::Array(a) => a.clone(),
        Json::Object(o) => o["keys"].as_array().unwrap().clone(),
        _ => panic!("unexpected body {v}"),
    };
    arr.into_iter()
        .map(|k| match k {
            Json::String(s) => s,
            Json::Object(o) => o["key"].as_str().unwrap().to_owned(),
            other => panic!("unexpected key {other}"),
        })
        .collect()
}

fn ok_bulk(keys: &[String]) -> Answer {
    envelope(
        200,
        json!({"successful_key_count": keys.len(), "unsuccessful_keys": []}),
        None,
    )
}

#[test]
fn bulk_delete_keeps_n_requests_in_flight() {
    // Each request waits until 4 are in flight at once (or 5 s pass, so a broken driver
    // fails the assertion instead of hanging).
    let state = Arc::new((Mutex::new((0usize, 0usize)), Condvar::new()));
    let s = state.clone();
    let c = client(4, move |req, _| {
        let keys = body_keys(&req);
        let (lock, cv) = &*s;
        let mut g = lock.lock().unwrap();
        g.0 += 1;
        g.1 = g.1.max(g.0);
        cv.notify_all();
        let (mut g, _) = cv
            .wait_timeout_while(g, Duration::from_secs(5), |g| g.1 < 4)
            .unwrap();
        g.0 -= 1;
        drop(g);
        ok_bulk(&keys)
    });
    let ns = c.namespace(NS).unwrap();
    let report = ns
        .bulk_delete((0..8000).map(|i| format!("k{i}")))
        .batch_size(1_000) // fixed (the default adapts)
        .run()
        .unwrap();
    assert_eq!(state.0.lock().unwrap().1, 4, "max requests in flight");
    assert!(report.is_success());
    assert_eq!(report.succeeded, 8000);
    assert_eq!(report.requests_sent, 8);
}

#[test]
fn concurrency_one_never_overlaps_and_zero_is_a_config_error() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let (f, m) = (in_flight.clone(), max.clone());
    let c = client(4, move |req, _| {
        let now = f.fetch_add(1, Ordering::SeqCst) + 1;
        m.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(2));
        f.fetch_sub(1, Ordering::SeqCst);
        ok_bulk(&body_keys(&req))
    });
    let ns = c.namespace(NS).unwrap();
    let report = ns
        .bulk_delete((0..50).map(|i| format!("k{i}")))
        .batch_size(10)
        .concurrency(1)
        .run()
        .unwrap();
    assert_eq!(report.requests_sent, 5);
    assert_eq!(max.load(Ordering::SeqCst), 1);
    let err = ns.bulk_delete(["a"]).concurrency(0).run().unwrap_err();
    assert!(err.is_invalid_input());
    let err = ns.bulk_delete(["a"]).batch_size(10_001).run().unwrap_err();
    assert!(err.is_invalid_input());
}

#[test]
fn progress_is_reported_after_each_response_and_ends_complete() {
    let c = client(3, |req, _| ok_bulk(&body_keys(&req)));
    let ns = c.namespace(NS).unwrap();
    let seen = Mutex::new(Vec::<Progress>::new());
    let report = ns
        .bulk_delete((0..1000).map(|i| format!("k{i}")))
        .batch_size(100)
        .on_progress(|p| seen.lock().unwrap().push(*p))
        .run()
        .unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 10, "one call per response");
    // Calls never overlap and come in order: `done` only grows.
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    let last = seen.last().unwrap();
    assert_eq!((last.done, last.failed, last.in_flight), (1000, 0, 0));
    assert_eq!(report.succeeded, 1000);
}

#[test]
fn a_failed_batch_names_each_of_its_keys_and_the_rest_succeed() {
    let c = client(2, |req, _| {
        let keys = body_keys(&req);
        if keys.iter().any(|k| k == "k13") {
            error(400, 10001, "bad batch")
        } else {
            ok_bulk(&keys)
        }
    });
    let ns = c.namespace(NS).unwrap();
    let report = ns
        .bulk_delete((0..40).map(|i| format!("k{i}")))
        .batch_size(10)
        .run()
        .unwrap();
    assert!(!report.is_success());
    assert_eq!(report.succeeded, 30);
    let failed: HashSet<&str> = report.failed_keys().collect();
    let expected: HashSet<String> = (10..20).map(|i| format!("k{i}")).collect();
    assert_eq!(failed, expected.iter().map(String::as_str).collect());
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.error.status().map(|s| s.as_u16()) == Some(400))
    );
}

#[test]
fn unsuccessful_keys_are_resent_until_they_succeed() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let a = attempts.clone();
    let c = client(2, move |req, _| {
        let keys = body_keys(&req);
        if keys.iter().any(|k| k == "flaky") && a.fetch_add(1, Ordering::SeqCst) < 2 {
            let ok = keys.len() - 1;
            return envelope(
                200,
                json!({"successful_key_count": ok, "unsuccessful_keys": ["flaky"]}),
                None,
            );
        }
        ok_bulk(&keys)
    });
    let ns = c.namespace(NS).unwrap();
    let fast = RetryPolicy::default()
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(2));
    let items = ["a", "flaky", "b"]
        .into_iter()
        .map(|k| BulkWriteItem::text(Key::new(k).unwrap(), "v").unwrap());
    let report = ns
        .bulk_write(items)
        .config(PlanConfig::default().with_backoff(fast))
        .run()
        .unwrap();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.succeeded, 3);
    assert_eq!(report.requests_sent, 3);
    assert_eq!(report.retries, 2);
}

#[test]
fn invalid_key_strings_fail_unsent_and_the_job_goes_on() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let s = sent.clone();
    let c = client(1, move |req, _| {
        let keys = body_keys(&req);
        s.lock().unwrap().extend(keys.clone());
        ok_bulk(&keys)
    });
    let ns = c.namespace(NS).unwrap();
    let long = "x".repeat(513);
    let report = ns
        .bulk_delete(vec!["a", "", "..", long.as_str(), "b"])
        .run()
        .unwrap();
    assert_eq!(*sent.lock().unwrap(), ["a", "b"]);
    assert_eq!(report.succeeded, 2);
    assert_eq!(report.requested, 5);
    let rejected: Vec<&str> = report.failed.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(rejected, ["", "..", long.as_str()]);
    assert!(report.failed.iter().all(|r| r.error.is_invalid_input()));
    assert!(report.failed.iter().all(|r| r.attempts == 0));
    assert!(!report.is_success());
    assert_eq!(report.failed_keys().count(), 3);
}

#[test]
fn bulk_get_chunks_by_100_and_returns_every_value() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = requests.clone();
    let c = client(4, move |req, _| {
        r.fetch_add(1, Ordering::SeqCst);
        assert!(path(&req).ends_with("/bulk/get"));
        let body: Json = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body["withMetadata"], true);
        let keys = body_keys(&req);
        assert!(keys.len() <= 100);
        let values: serde_json::Map<String, Json> = keys
            .into_iter()
            .map(|k| {
                let v = if k == "k7" {
                    Json::Null
                } else {
                    json!({"value": format!("v-{k}"), "metadata": {"k": k}})
                };
                (k, v)
            })
            .collect();
        envelope(200, json!({ "values": values }), None)
    });
    let ns = c.namespace(NS).unwrap();
    let report = ns
        .bulk_get((0..250).map(|i| format!("k{i}")))
        .with_metadata()
        .run()
        .unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    assert!(report.is_success());
    assert_eq!(report.values.len(), 250);
    let v = &report.values[&Key::new("k42").unwrap()];
    assert_eq!(v.as_text(), Some("v-k42"));
    assert_eq!(v.metadata(), Some(&json!({"k": "k42"})));
    assert!(report.values[&Key::new("k7").unwrap()].is_missing());
}

#[test]
fn a_panicking_transport_stops_the_job_instead_of_hanging() {
    let c = client(3, |req, _| {
        let keys = body_keys(&req);
        if keys.iter().any(|k| k == "k55") {
            panic!("boom");
        }
        std::thread::sleep(Duration::from_millis(1));
        ok_bulk(&keys)
    });
    let ns = c.namespace(NS).unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ns.bulk_delete((0..200).map(|i| format!("k{i}")))
            .batch_size(10)
            .run()
    }));
    assert!(result.is_err(), "the panic reaches the caller");
}

fn key_page(names: &[&str], cursor: &str) -> Answer {
    let keys: Vec<Json> = names.iter().map(|n| json!({"name": n})).collect();
    envelope(
        200,
        Json::Array(keys),
        Some(json!({"count": names.len(), "cursor": cursor})),
    )
}

#[test]
fn keys_walk_every_page_through_empty_pages_and_stop_on_a_blank_cursor() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let c2 = calls.clone();
    let c = client(1, move |req, _| {
        assert!(path(&req).ends_with("/keys"));
        assert_eq!(query(&req, "prefix").as_deref(), Some("p"));
        assert_eq!(query(&req, "limit").as_deref(), Some("10"));
        let cursor = query(&req, "cursor");
        c2.lock().unwrap().push(cursor.clone());
        match cursor.as_deref() {
            None => key_page(&["p1", "p2"], "c1"),
            Some("c1") => key_page(&[], "c2"), // empty page, more to come
            Some("c2") => key_page(&["p3"], ""),
            other => panic!("unexpected cursor {other:?}"),
        }
    });
    let ns = c.namespace(NS).unwrap();
    let mut keys = ns.keys_with_prefix("p").limit(10);
    // Lazy: nothing is fetched before the first `next`.
    assert!(calls.lock().unwrap().is_empty());
    assert_eq!(keys.next().unwrap().unwrap().name, "p1");
    assert_eq!(calls.lock().unwrap().len(), 1);
    let rest: Vec<String> = keys
        .by_ref()
        .map(|k| k.unwrap().name.into_string())
        .collect();
    assert_eq!(rest, ["p2", "p3"]);
    assert!(keys.next().is_none());
    assert_eq!(
        *calls.lock().unwrap(),
        [None, Some("c1".to_owned()), Some("c2".to_owned())]
    );
}

#[test]
fn keys_yield_an_error_once_then_end() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let c = client(1, move |req, _| {
        c2.fetch_add(1, Ordering::SeqCst);
        match query(&req, "cursor").as_deref() {
            None => key_page(&["a"], "c1"),
            _ => error(404, 10013, "namespace not found"),
        }
    });
    let ns = c.namespace(NS).unwrap();
    let items: Vec<Result<_, _>> = ns.keys().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().name, "a");
    assert!(items[1].as_ref().unwrap_err().is_namespace_not_found());
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let bad: Vec<_> = ns.keys().limit(5).collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].as_ref().unwrap_err().is_invalid_input());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "an invalid limit sends nothing"
    );
}

#[test]
fn namespaces_walk_every_page() {
    let c = client(1, |req, _| {
        let page: u64 = query(&req, "page").unwrap().parse().unwrap();
        let per_page: u64 = query(&req, "per_page").unwrap().parse().unwrap();
        assert_eq!(per_page, 5);
        let total = 12u64;
        let start = (page - 1) * per_page;
        let items: Vec<Json> = (start..total.min(start + per_page))
            .map(|i| json!({"id": format!("ns{i}"), "title": format!("t{i}")}))
            .collect();
        let count = items.len();
        envelope(
            200,
            Json::Array(items),
            Some(json!({"page": page, "per_page": per_page, "count": count, "total_count": total})),
        )
    });
    let ids: Vec<String> = c
        .namespaces()
        .per_page(5)
        .map(|n| n.unwrap().id.into_string())
        .collect();
    assert_eq!(ids.len(), 12);
    assert_eq!(ids[11], "ns11");
}

#[test]
fn single_key_routes() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let c = client(1, move |req, _| {
        let p = path(&req);
        s.lock().unwrap().push((
            req.method().clone(),
            p.clone(),
            req.headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned()),
        ));
        let key = p.rsplit('/').next().unwrap().to_owned();
        match (req.method().clone(), p.contains("/values/"), key.as_str()) {
            (Method::GET, true, "missing") => error(404, 10009, "get: 'key not found'"),
            (Method::GET, true, _) => Ok(Response::builder()
                .status(200)
                .body(br#"{"n":7}"#.to_vec())
                .unwrap()),
            (Method::GET, false, _) => envelope(200, json!({"owner": "me"}), None),
            _ => envelope(200, Json::Null, None),
        }
    });
    let ns = c.namespace(NS).unwrap();
    assert_eq!(ns.get("missing").unwrap(), None);
    assert_eq!(ns.get_text("a/b").unwrap().as_deref(), Some(r#"{"n":7}"#));
    let j: Json = ns.get_json("a").unwrap().unwrap();
    assert_eq!(j["n"], 7);
    assert_eq!(ns.metadata("a").unwrap(), Some(json!({"owner": "me"})));
    ns.put("a", "raw").unwrap();
    ns.put_with("a", "v")
        .metadata(json!({"x": 1}))
        .ttl(60)
        .send()
        .unwrap();
    ns.delete("a").unwrap();
    let before = seen.lock().unwrap().len();
    // Invalid inputs are refused before anything is sent.
    assert!(ns.get("..").unwrap_err().is_invalid_input());
    assert!(
        ns.put_with("a", "v")
            .ttl(59)
            .send()
            .unwrap_err()
            .is_invalid_input()
    );
    let big = Metadata::new(json!("x".repeat(2000)));
    assert!(big.is_err());
    assert!(
        ns.put_with("a", "v")
            .metadata(json!("x".repeat(2000)))
            .send()
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(c.namespace("not/valid").is_err());
    assert_eq!(seen.lock().unwrap().len(), before);

    let seen = seen.lock().unwrap();
    assert!(seen[1].1.ends_with("/values/a%2Fb"), "{:?}", seen[1]);
    assert_eq!(seen[4].2.as_deref(), Some("application/octet-stream"));
    assert!(
        seen[5]
            .2
            .as_deref()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    assert_eq!(seen[6].0, Method::DELETE);
}

#[test]
fn a_report_counts_every_http_request_and_each_keys_sends() {
    // Every request is answered 503 twice, then as asked: the first batch succeeds, the
    // second times out for good (after its attempts).
    let sent = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&sent);
    let tries = Arc::new(Mutex::new(std::collections::HashMap::<String, usize>::new()));
    let client = Client::builder(
        Auth::api_token("t").unwrap(),
        AccountId::new("acc").unwrap(),
    )
    .retry_policy(
        RetryPolicy::default()
            .with_max_attempts(4)
            .with_base_delay(Duration::from_millis(1))
            .with_max_delay(Duration::from_millis(2)),
    )
    .pacing(false)
    .transport(move |req: Request<Vec<u8>>, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        let keys = body_keys(&req);
        let first = keys[0].clone();
        let n = {
            let mut t = tries.lock().unwrap();
            let n = t.entry(first.clone()).or_default();
            *n += 1;
            *n
        };
        if n <= 2 {
            return error(503, 0, "busy");
        }
        if first == "b" {
            return Err(Error::transport(
                kv_ureq::TransportErrorKind::Timeout,
                "timed out",
            ));
        }
        envelope(
            200,
            json!({"successful_key_count": keys.len(), "unsuccessful_keys": []}),
            None,
        )
    })
    .build()
    .unwrap();
    let ns = client.namespace(NS).unwrap();
    let report = ns
        .bulk_delete(["a", "b"])
        .config(PlanConfig::default().with_max_batch_items(1))
        .concurrency(1)
        .run()
        .unwrap();
    // "a": 3 requests; "b": 4 requests (attempts exhausted on the timeout).
    assert_eq!(report.requests_sent, 7);
    assert_eq!(report.requests_sent, sent.load(Ordering::SeqCst) as u64);
    assert_eq!(report.succeeded, 1);
    let b = &report.failed[0];
    assert_eq!(
        (b.key.as_str(), b.attempts, b.maybe_applied),
        ("b", 4, true)
    );
    assert!(report.stopped.is_none(), "a timeout is not fatal");
    assert!(report.into_result().unwrap_err().is_timeout());
}

#[test]
fn execute_outcome_reports_the_attempts() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let client = Client::builder(
        Auth::api_token("t").unwrap(),
        AccountId::new("acc").unwrap(),
    )
    .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
    .pacing(false)
    .transport(move |_req: Request<Vec<u8>>, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            // A cut 200 body: garbled, retried, possibly applied.
            return Ok(Response::builder()
                .status(200)
                .body(br#"{"success":tr"#.to_vec())
                .unwrap());
        }
        envelope(200, Json::Null, None)
    })
    .build()
    .unwrap();
    let op = kv_ureq::kv_proto::DeleteValue::new(
        kv_ureq::NamespaceId::new(NS).unwrap(),
        Key::new("k").unwrap(),
    );
    let outcome = client.execute_outcome(&op);
    assert!(outcome.result.is_ok());
    assert_eq!((outcome.attempts, outcome.maybe_applied), (2, true));
}
