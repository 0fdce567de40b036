//! Hostile or broken servers: a scripted HTTP server of our own on loopback answers
//! `kv_ureq::Client` calls with oversized, slow, malformed or misleading responses. Each must
//! end in a typed error (never a panic, never a hang), with bounded reading.

mod rel_common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kv_ureq::kv_proto::BulkWrite;
use kv_ureq::{
    BulkWriteItem, Client, ErrorKind, Key, NamespaceId, RetryPolicy, TransportErrorKind,
};
use rel_common::{Conn, Scripted, TOKEN, builder};
use serde_json::{Value, json};

const NS: &str = "0f2ac74b498b48028cb68387c421e279";

/// A client for `srv` with no retries and a 5 s budget per request.
fn client_for(srv: &Scripted) -> Client {
    builder(&srv.base_url())
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// Runs `f` on its own thread and fails the test if it takes more than 30 s (a hang) or
/// panics.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{what}: no result in 30 s (hang or panic): {e}"))
}

/// The status line and body a [`swappable`] server answers with.
type Answer = Arc<Mutex<(String, Vec<u8>)>>;

/// A server whose answer the test swaps between calls.
fn swappable() -> (Scripted, Answer) {
    let answer = Arc::new(Mutex::new((String::from("200 OK"), Vec::new())));
    let a = answer.clone();
    let srv = Scripted::start(move |c: &mut Conn| {
        let (status, body) = a.lock().unwrap().clone();
        c.respond(&status, &[("Content-Type", "application/json")], &body);
    });
    (srv, answer)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn endless_chunked_body_stops_at_the_cap() {
    // Streams chunks forever (up to 1 GiB) to a metadata read, whose cap is 1 MiB.
    let srv = Scripted::start(|c: &mut Conn| {
        if !c.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n") {
            return;
        }
        let chunk = {
            let data = vec![b'['; 64 * 1024];
            let mut v = format!("{:x}\r\n", data.len()).into_bytes();
            v.extend_from_slice(&data);
            v.extend_from_slice(b"\r\n");
            v
        };
        for _ in 0..(1 << 14) {
            if !c.send(&chunk) {
                return;
            }
        }
    });
    let before = peak_rss_kib();
    let client = client_for(&srv);
    let err = bounded("chunked", move || {
        client.namespace(NS).unwrap().metadata("k").unwrap_err()
    });
    assert!(err.is_too_large(), "{err}");
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { limit } if *limit == kv_ureq::kv_proto::limits::MAX_SMALL_JSON_RESPONSE),
        "{err:?}"
    );
    // The server managed to push at most the cap plus what the kernel's socket buffers hold,
    // far from the 1 GiB it tried to send.
    std::thread::sleep(Duration::from_millis(300));
    let written = srv.bytes_written();
    assert!(written < 64 << 20, "the server wrote {written} bytes");
    if let (Some(b), Some(a)) = (before, peak_rss_kib()) {
        assert!(a - b < 256 * 1024, "peak RSS grew by {} KiB", a - b);
    }
}

#[test]
fn announced_gigabyte_is_refused_before_reading() {
    let srv = Scripted::start(|c: &mut Conn| {
        let _ = c.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1073741824\r\n\r\n",
        );
        let block = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            if !c.send(&block) {
                return;
            }
        }
    });
    let client = client_for(&srv);
    let err = bounded("1 GiB value", move || {
        client.namespace(NS).unwrap().get("big").unwrap_err()
    });
    assert!(err.is_too_large(), "{err}");
    assert!(!err.is_retryable(), "{err}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(srv.bytes_written() < 64 << 20, "{}", srv.bytes_written());
}

#[test]
fn slow_drip_trips_the_timeout() {
    // Headers at once, then one body byte every 100 ms.
    let drip_body = Scripted::start(|c: &mut Conn| {
        if !c.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        ) {
            return;
        }
        for _ in 0..1000 {
            std::thread::sleep(Duration::from_millis(100));
            if !c.send(b" ") {
                return;
            }
        }
    });
    // The status line itself, one byte every 100 ms.
    let drip_head = Scripted::start(|c: &mut Conn| {
        for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".iter() {
            std::thread::sleep(Duration::from_millis(100));
            if !c.send(&[*b]) {
                return;
            }
        }
    });
    for srv in [&drip_body, &drip_head] {
        let client = builder(&srv.base_url())
            .retry_policy(RetryPolicy::none())
            .request_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let err = bounded("drip", move || client.get_namespace(NS).unwrap_err());
        assert!(err.is_timeout(), "{err:?}");
        assert!(err.is_retryable());
    }
}

#[test]
fn huge_headers_are_an_invalid_response() {
    let srv = Scripted::start(|c: &mut Conn| {
        let mut head = b"HTTP/1.1 200 OK\r\nX-Huge: ".to_vec();
        head.extend(std::iter::repeat_n(b'a', 1 << 20));
        head.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
        let _ = c.send(&head);
    });
    let client = client_for(&srv);
    let err = bounded("huge header", move || client.get_namespace(NS).unwrap_err());
    assert!(err.is_transport(), "{err:?}");
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::InvalidResponse),
        "{err}"
    );

    // Many headers instead of one long one.
    let srv = Scripted::start(|c: &mut Conn| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..20_000 {
            head.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
        }
        head.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
        let _ = c.send(&head);
    });
    let client = client_for(&srv);
    let err = bounded("many headers", move || {
        client.get_namespace(NS).unwrap_err()
    });
    assert!(err.is_transport(), "{err:?}");
}

#[test]
fn wrong_content_length() {
    let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"abc","title":"t"}}"#;
    // Shorter than the body: the client reads the announced bytes, which are not JSON.
    let short = Scripted::start(move |c: &mut Conn| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n".to_vec();
        r.extend_from_slice(body);
        let _ = c.send(&r);
    });
    let client = client_for(&short);
    let err = bounded("short length", move || {
        client.get_namespace(NS).unwrap_err()
    });
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
    assert!(!err.is_retryable());

    // Longer than the body, then the connection closes: a transport failure.
    let long = Scripted::start(move |c: &mut Conn| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_vec();
        r.extend_from_slice(body);
        let _ = c.send(&r);
    });
    let client = client_for(&long);
    let err = bounded("long length", move || client.get_namespace(NS).unwrap_err());
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::ConnectionClosed),
        "{err:?}"
    );
    assert!(err.is_retryable());

    // Longer than the body and the connection stays open: the timeout fires.
    let stall = Scripted::start(move |c: &mut Conn| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_vec();
        r.extend_from_slice(body);
        let _ = c.send(&r);
        std::thread::sleep(Duration::from_secs(3));
    });
    let client = builder(&stall.base_url())
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = bounded("stalled length", move || {
        client.get_namespace(NS).unwrap_err()
    });
    assert!(err.is_timeout(), "{err:?}");

    // Two different Content-Length headers.
    let twice = Scripted::start(move |c: &mut Conn| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nContent-Length: 77\r\n\r\n".to_vec();
        r.extend_from_slice(body);
        let _ = c.send(&r);
    });
    let client = client_for(&twice);
    let r = bounded("two lengths", move || client.get_namespace(NS));
    // Either refused or read with one of the lengths; never a panic or a wrong success.
    if let Ok(ns) = r {
        assert_eq!(ns.id, "abc");
    }
}

#[test]
fn invalid_chunked_encoding() {
    for bad in [
        &b"zz\r\nhello\r\n0\r\n\r\n"[..],               // not hex
        &b"5\r\nhello world\r\n0\r\n\r\n"[..],          // chunk longer than its size
        &b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\n"[..], // size overflows
        &b"3\r\n{}"[..],                                // cut short, then closed
        &b"-1\r\n{}\r\n0\r\n\r\n"[..],                  // negative size
    ] {
        let bad = bad.to_vec();
        let srv = Scripted::start(move |c: &mut Conn| {
            let mut r =
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .to_vec();
            r.extend_from_slice(&bad);
            let _ = c.send(&r);
        });
        let client = client_for(&srv);
        let err = bounded("chunked", move || client.get_namespace(NS).unwrap_err());
        assert!(
            err.is_transport() || matches!(err.kind(), ErrorKind::Decode(_)),
            "{err:?}"
        );
    }
}

#[test]
fn malformed_bodies_are_typed_errors() {
    let (srv, answer) = swappable();
    let client = client_for(&srv);
    let set = |status: &str, body: Vec<u8>| {
        *answer.lock().unwrap() = (status.to_owned(), body);
    };
    let ns = client.namespace(NS).unwrap();

    // Non-UTF-8 inside JSON strings, under 200 and under 400.
    let mut bad = br#"{"success":true,"errors":[],"result":{"id":"a"#.to_vec();
    bad.extend_from_slice(&[0xff, 0xfe]);
    bad.extend_from_slice(br#"","title":"t"}}"#);
    set("200 OK", bad.clone());
    let c = client.clone();
    let e = bounded("non-utf8 200", move || c.get_namespace(NS).unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    set("400 Bad Request", bad);
    let c = client.clone();
    let e = bounded("non-utf8 400", move || c.get_namespace(NS).unwrap_err());
    assert!(
        matches!(e.kind(), ErrorKind::Http(_) | ErrorKind::Api(_)),
        "{e:?}"
    );
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400));

    // 100,000 levels of nesting: no stack overflow, a decode error (200) or an HTTP error
    // with an excerpt (4xx).
    let depth = 100_000;
    let mut deep = br#"{"success":true,"errors":[],"result":"#.to_vec();
    deep.extend(std::iter::repeat_n(b'[', depth));
    deep.extend(std::iter::repeat_n(b']', depth));
    deep.push(b'}');
    for (status, want_http) in [("200 OK", false), ("422 Unprocessable Entity", true)] {
        set(status, deep.clone());
        let c = client.clone();
        let e = bounded("deep", move || c.get_namespace(NS).unwrap_err());
        if want_http {
            // An envelope (it has `success`) whose result is skipped without recursion.
            assert!(matches!(e.kind(), ErrorKind::Api(_)), "{e:?}");
            assert_eq!(e.status().map(|s| s.as_u16()), Some(422));
            // A bare nested document is not an envelope: an HTTP error with a short excerpt.
            let bare: Vec<u8> = std::iter::repeat_n(b'[', depth)
                .chain(std::iter::repeat_n(b']', depth))
                .collect();
            set(status, bare);
            let c = client.clone();
            let e = bounded("deep bare", move || c.get_namespace(NS).unwrap_err());
            assert!(matches!(e.kind(), ErrorKind::Http(_)), "{e:?}");
            assert!(e.to_string().len() < 2_000, "bounded excerpt");
        } else {
            assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
        }
        // Nested metadata in a key listing too.
        let mut page = br#"{"success":true,"errors":[],"result":[{"name":"k","metadata":"#.to_vec();
        page.extend(std::iter::repeat_n(b'{', 1).chain(std::iter::repeat_n(b'[', depth)));
        set(status, page);
        let c = client.clone();
        let e = bounded("deep metadata", move || {
            c.namespace(NS).unwrap().keys().next().unwrap().unwrap_err()
        });
        assert!(
            matches!(e.kind(), ErrorKind::Decode(_) | ErrorKind::Http(_)),
            "{e:?}"
        );
    }

    // Empty body with 200: JSON routes fail to decode; a value read gives an empty value
    // (a value may be empty).
    set("200 OK", Vec::new());
    let c = client.clone();
    let e = bounded("empty namespace", move || c.get_namespace(NS).unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    let n = ns.clone();
    let e = bounded("empty delete", move || n.delete("k").unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    let n = ns.clone();
    let v = bounded("empty value", move || n.get("k").unwrap());
    assert_eq!(v.map(|v| v.bytes), Some(Vec::new()));

    // HTML pages, under 200 and under 5xx.
    let html = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>";
    set("200 OK", html.to_vec());
    let c = client.clone();
    let e = bounded("html 200", move || c.get_namespace(NS).unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    for status in [
        "500 Internal Server Error",
        "502 Bad Gateway",
        "503 Service Unavailable",
    ] {
        set(status, html.to_vec());
        let n = ns.clone();
        let e = bounded("html 5xx", move || n.get("k").unwrap_err());
        assert!(matches!(e.kind(), ErrorKind::Http(_)), "{e:?}");
        assert!(e.is_server_error() && e.is_retryable(), "{e}");
        assert!(e.to_string().contains("502 Bad Gateway"), "excerpt: {e}");
    }
}

#[test]
fn numbers_out_of_range() {
    let (srv, answer) = swappable();
    let client = client_for(&srv);
    let op = BulkWrite::new(
        NamespaceId::new(NS).unwrap(),
        vec![BulkWriteItem::text(Key::new("k").unwrap(), "v").unwrap()],
    )
    .unwrap();
    for n in [
        "1e300",
        "-1",
        "18446744073709551616",
        "1.5",
        "-0.5",
        "1e999",
        "99999999999999999999999999999",
    ] {
        let body = format!(
            r#"{{"success":true,"errors":[],"result":{{"successful_key_count":{n},"unsuccessful_keys":[]}}}}"#
        );
        *answer.lock().unwrap() = ("200 OK".into(), body.into_bytes());
        let (c, o) = (client.clone(), op.clone());
        let e = bounded("count", move || c.execute(&o).unwrap_err());
        assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{n}: {e:?}");
    }
    // In range at the top: accepted exactly.
    *answer.lock().unwrap() = (
        "200 OK".into(),
        br#"{"success":true,"result":{"successful_key_count":18446744073709551615}}"#.to_vec(),
    );
    let r = client.execute(&op).unwrap();
    assert_eq!(r.successful_key_count, u64::MAX);

    // Expirations, result_info counts and error codes out of range.
    for body in [
        r#"{"success":true,"result":[{"name":"k","expiration":-5}]}"#,
        r#"{"success":true,"result":[{"name":"k","expiration":1e300}]}"#,
        r#"{"success":true,"result":[],"result_info":{"count":-1,"cursor":""}}"#,
    ] {
        *answer.lock().unwrap() = ("200 OK".into(), body.as_bytes().to_vec());
        let c = client.clone();
        let e = bounded("list", move || {
            c.namespace(NS).unwrap().keys().next().unwrap().unwrap_err()
        });
        assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{body}: {e:?}");
    }
    *answer.lock().unwrap() = (
        "400 Bad Request".into(),
        br#"{"success":false,"errors":[{"code":99999999999,"message":"m"}]}"#.to_vec(),
    );
    let c = client.clone();
    let e = bounded("code", move || c.get_namespace(NS).unwrap_err());
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e:?}");
}

/// Replaces the value at `path` (object keys / array indexes) in `doc`.
fn with_field(doc: &Value, path: &[&str], value: Value) -> Value {
    let mut out = doc.clone();
    let mut cur = &mut out;
    for p in &path[..path.len() - 1] {
        cur = match p.parse::<usize>() {
            Ok(i) => &mut cur[i],
            Err(_) => &mut cur[*p],
        };
    }
    let last = path[path.len() - 1];
    match last.parse::<usize>() {
        Ok(i) => cur[i] = value,
        Err(_) => cur[last] = value,
    }
    out
}

fn wrong_values_for(good: &Value) -> Vec<Value> {
    let all = [
        json!("s"),
        json!(7),
        json!(-7),
        json!(1.5),
        json!(true),
        json!([]),
        json!({}),
        json!([1, "x"]),
    ];
    let same_type = |v: &Value| {
        std::mem::discriminant(v) == std::mem::discriminant(good)
            && !(v.is_number() && good.is_number() && v.as_u64().is_none())
    };
    all.into_iter().filter(|v| !same_type(v)).collect()
}

#[test]
fn wrong_types_in_every_field() {
    let (srv, answer) = swappable();
    let client = client_for(&srv);
    let ns_id = NamespaceId::new(NS).unwrap();
    type Call = Box<dyn Fn(&Client) -> Result<(), kv_ureq::Error> + Send + Sync>;
    let env = |result: Value, info: Option<Value>| {
        let mut v = json!({"success": true, "errors": [], "messages": [], "result": result});
        if let Some(i) = info {
            v["result_info"] = i;
        }
        v
    };
    let ns_doc = json!({"id": NS, "title": "t", "supports_url_encoding": true, "jurisdiction": "eu", "mode": "instant", "beta": false});
    let cases: Vec<(Value, Vec<Vec<&str>>, Call)> = vec![
        (
            env(ns_doc.clone(), None),
            vec![
                vec!["success"],
                vec!["errors"],
                vec!["messages"],
                vec!["result"],
                vec!["result", "id"],
                vec!["result", "title"],
                vec!["result", "supports_url_encoding"],
                vec!["result", "jurisdiction"],
                vec!["result", "mode"],
                vec!["result", "beta"],
            ],
            Box::new(|c: &Client| c.get_namespace(NS).map(|_| ())),
        ),
        (
            env(
                json!([ns_doc.clone()]),
                Some(json!({"count": 1, "page": 1, "per_page": 20, "total_count": 1})),
            ),
            vec![
                vec!["result"],
                vec!["result", "0"],
                vec!["result", "0", "id"],
                vec!["result_info"],
                vec!["result_info", "count"],
                vec!["result_info", "page"],
                vec!["result_info", "per_page"],
                vec!["result_info", "total_count"],
            ],
            Box::new(|c: &Client| c.namespaces().next().unwrap().map(|_| ())),
        ),
        (
            env(
                json!([{"name": "k", "expiration": 1_900_000_000u64, "metadata": {"a": 1}}]),
                Some(json!({"count": 1, "cursor": "c1"})),
            ),
            vec![
                vec!["result"],
                vec!["result", "0"],
                vec!["result", "0", "name"],
                vec!["result", "0", "expiration"],
                vec!["result_info", "count"],
                vec!["result_info", "cursor"],
            ],
            Box::new(|c: &Client| c.namespace(NS).unwrap().keys().next().unwrap().map(|_| ())),
        ),
        (
            env(
                json!({"successful_key_count": 1, "unsuccessful_keys": ["k"]}),
                None,
            ),
            vec![
                vec!["result"],
                vec!["result", "successful_key_count"],
                vec!["result", "unsuccessful_keys"],
                vec!["result", "unsuccessful_keys", "0"],
            ],
            Box::new(move |c: &Client| {
                let op = BulkWrite::new(
                    NamespaceId::new(NS).unwrap(),
                    vec![BulkWriteItem::text(Key::new("k").unwrap(), "v").unwrap()],
                )
                .unwrap();
                c.execute(&op).map(|_| ())
            }),
        ),
        (
            env(
                json!({"values": {"k": {"value": "v", "metadata": {"a": 1}, "expiration": 1_900_000_000u64}}}),
                None,
            ),
            vec![
                vec!["result"],
                vec!["result", "values"],
                vec!["result", "values", "k"],
                vec!["result", "values", "k", "value"],
                vec!["result", "values", "k", "expiration"],
            ],
            Box::new(move |c: &Client| {
                let op = kv_ureq::kv_proto::BulkGet::new(
                    NamespaceId::new(NS).unwrap(),
                    vec![Key::new("k").unwrap()],
                )
                .unwrap()
                .with_metadata();
                c.execute(&op).map(|_| ())
            }),
        ),
    ];
    let _ = ns_id;
    let mut checked = 0;
    for (doc, paths, call) in &cases {
        // The unmodified document is accepted.
        *answer.lock().unwrap() = ("200 OK".into(), serde_json::to_vec(doc).unwrap());
        call(&client).unwrap_or_else(|e| panic!("valid {doc}: {e}"));
        for path in paths {
            let mut good = doc.clone();
            for p in path {
                good = match p.parse::<usize>() {
                    Ok(i) => good[i].clone(),
                    Err(_) => good[*p].clone(),
                };
            }
            for wrong in wrong_values_for(&good) {
                let bad = with_field(doc, path, wrong.clone());
                *answer.lock().unwrap() = ("200 OK".into(), serde_json::to_vec(&bad).unwrap());
                // serde's derived structs also accept an array of their fields in order; an
                // empty one means every (optional) field is absent, as if `{}` were sent.
                let lenient = good.is_object() && wrong == json!([]);
                match call(&client) {
                    Ok(()) if lenient => {}
                    Err(e) => assert!(
                        matches!(e.kind(), ErrorKind::Decode(_) | ErrorKind::Api(_)),
                        "{path:?} = {wrong}: {e:?}"
                    ),
                    // `success: false`-like values are errors; anything accepted must be one of
                    // the documented leniencies: a JSON value where any JSON is allowed.
                    Ok(()) => panic!("{path:?} = {wrong} was accepted: {bad}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "{checked} cases");
}

#[test]
fn redirects_are_not_followed_and_the_token_stays_home() {
    let elsewhere = Scripted::start(|c: &mut Conn| {
        c.respond(
            "200 OK",
            &[],
            br#"{"success":true,"result":{"id":"x","title":"t"}}"#,
        );
    });
    let target = format!("http://{}/client/v4/accounts/x", elsewhere.addr);
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let t = target.clone();
        let srv = Scripted::start(move |c: &mut Conn| {
            c.respond(status, &[("Location", t.as_str())], b"");
        });
        // Default retries: a redirect is not retried either.
        let client = builder(&srv.base_url())
            .request_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let e = bounded("redirect", move || client.get_namespace(NS).unwrap_err());
        assert_eq!(
            e.transport_kind(),
            Some(TransportErrorKind::Redirect),
            "{status}: {e:?}"
        );
        assert!(!e.is_retryable(), "{e}");
        assert!(!e.to_string().contains(TOKEN), "{e}");
        assert_eq!(srv.heads().len(), 1, "{status}: sent once");
        assert!(
            srv.heads()[0].contains(TOKEN),
            "the real server got the token"
        );
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        elsewhere.heads().is_empty(),
        "the redirect target was contacted: {:?}",
        elsewhere.heads()
    );
}

#[test]
fn connection_closed_names_the_stage() {
    use kv_ureq::kv_proto::error::TransportStage;
    let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"abc","title":"t"}}"#;

    // Reads the request head, then closes: no status line ever comes.
    let before_headers = Scripted::start(|_c: &mut Conn| {});
    let client = client_for(&before_headers);
    let err = bounded("close before headers", move || {
        client.get_namespace(NS).unwrap_err()
    });
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::ConnectionClosed),
        "{err:?}"
    );
    assert_eq!(
        err.transport_stage(),
        Some(TransportStage::AwaitingHeaders),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("while awaiting the response headers"),
        "{err}"
    );

    // Headers and half the announced body, then closes.
    let mid_body = Scripted::start(move |c: &mut Conn| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_vec();
        r.extend_from_slice(body);
        let _ = c.send(&r);
    });
    let client = client_for(&mid_body);
    let err = bounded("close mid-body", move || {
        client.get_namespace(NS).unwrap_err()
    });
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::ConnectionClosed),
        "{err:?}"
    );
    assert_eq!(
        err.transport_stage(),
        Some(TransportStage::ReadingBody),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("while reading the response body"),
        "{err}"
    );

    // Reads the head of a 40 MB bulk write, then closes without reading its body: the
    // client is still writing when the connection goes.
    let while_sending = Scripted::start(|_c: &mut Conn| {});
    let client = client_for(&while_sending);
    let items: Vec<BulkWriteItem> = (0..40)
        .map(|i| {
            BulkWriteItem::text(Key::new(format!("k{i}")).unwrap(), "x".repeat(1 << 20)).unwrap()
        })
        .collect();
    let op = BulkWrite::new(NamespaceId::new(NS).unwrap(), items).unwrap();
    let err = bounded("close while sending", move || {
        client.execute(&op).unwrap_err()
    });
    assert!(err.is_transport(), "{err:?}");
    assert_eq!(
        err.transport_stage(),
        Some(TransportStage::SendingRequest),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("while sending the request"),
        "{err}"
    );
}

#[test]
fn timeouts_name_the_limit() {
    use kv_ureq::kv_proto::{error::TimeoutLimit, error::TransportStage};
    // Headers at once, then the body never comes.
    let stall = Scripted::start(|c: &mut Conn| {
        let _ = c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{");
        std::thread::sleep(Duration::from_secs(3));
    });
    let client = builder(&stall.base_url())
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let err = bounded("stalled body", move || {
        client.get_namespace(NS).unwrap_err()
    });
    assert!(err.is_timeout(), "{err:?}");
    let t = err.transport_error().unwrap();
    assert_eq!(t.timeout, Some(TimeoutLimit::Request), "{err:?}");
    assert_eq!(t.timeout_after, Some(Duration::from_millis(400)), "{err:?}");
    assert_eq!(t.stage, Some(TransportStage::ReadingBody), "{err:?}");
    assert!(
        err.to_string()
            .contains("the request timeout (400ms) elapsed while reading the response body"),
        "{err}"
    );

    // No answer at all.
    let silent = Scripted::start(|_c: &mut Conn| std::thread::sleep(Duration::from_secs(3)));
    let client = builder(&silent.base_url())
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let err = bounded("silent", move || client.get_namespace(NS).unwrap_err());
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        err.to_string()
            .contains("the request timeout (400ms) elapsed"),
        "{err}"
    );
}

/// A server answering its n-th request with `script[n]` (the last entry once past the end),
/// counting requests.
fn scripted_answers(script: Vec<(&'static str, Vec<u8>)>) -> (Scripted, Arc<Mutex<usize>>) {
    let count = Arc::new(Mutex::new(0usize));
    let n = count.clone();
    let srv = Scripted::start(move |c: &mut Conn| {
        let i = {
            let mut n = n.lock().unwrap();
            *n += 1;
            *n - 1
        };
        let (status, body) = &script[i.min(script.len() - 1)];
        c.respond(status, &[("Content-Type", "application/json")], body);
    });
    (srv, count)
}

#[test]
fn garbled_answers_are_retried_for_idempotent_requests_only() {
    use kv_ureq::kv_proto::{BulkDelete, BulkGet};
    let fast = |srv: &Scripted| {
        builder(&srv.base_url())
            .retry_policy(rel_common::fast_retries(3))
            .build()
            .unwrap()
    };
    let ns_id = NamespaceId::new(NS).unwrap();
    let keys: Vec<Key> = (0..1000)
        .map(|i| Key::new(format!("k{i}")).unwrap())
        .collect();
    let bulk_ok =
        br#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_count":1000,"unsuccessful_keys":[]}}"#.to_vec();
    let cut = br#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_co"#.to_vec();
    let says_nothing = br#"{"success":false,"errors":[],"messages":[],"result":null}"#.to_vec();

    // Bulk delete of 1,000 keys: a cut body, then a body that contradicts itself, then success.
    let (srv, count) = scripted_answers(vec![
        ("200 OK", cut.clone()),
        ("200 OK", says_nothing.clone()),
        ("200 OK", bulk_ok.clone()),
    ]);
    let (c, op) = (
        fast(&srv),
        BulkDelete::new(ns_id.clone(), keys.clone()).unwrap(),
    );
    let r = bounded("bulk delete", move || c.execute(&op)).unwrap();
    assert_eq!(r.successful_key_count, 1000);
    assert_eq!(*count.lock().unwrap(), 3);

    // Bulk get of 100 keys: a cut body, then the values.
    let mut values = serde_json::Map::new();
    for i in 0..100 {
        values.insert(format!("k{i}"), json!("v"));
    }
    let get_ok = serde_json::to_vec(
        &json!({"success": true, "errors": [], "messages": [], "result": {"values": values}}),
    )
    .unwrap();
    let (srv, count) = scripted_answers(vec![
        ("200 OK", get_ok[..get_ok.len() / 2].to_vec()),
        ("200 OK", get_ok),
    ]);
    let (c, op) = (
        fast(&srv),
        BulkGet::new(ns_id.clone(), keys[..100].to_vec()).unwrap(),
    );
    let r = bounded("bulk get", move || c.execute(&op)).unwrap();
    assert_eq!(r.len(), 100);
    assert_eq!(*count.lock().unwrap(), 2);

    // Bounded: garbled every time gives up after the attempts, with the decode error.
    let (srv, count) = scripted_answers(vec![("200 OK", cut.clone())]);
    let (c, op) = (
        fast(&srv),
        BulkDelete::new(ns_id.clone(), keys.clone()).unwrap(),
    );
    let e = bounded("always cut", move || c.execute(&op)).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(_)) && e.is_garbled(),
        "{e:?}"
    );
    assert_eq!(*count.lock().unwrap(), 3);

    // A 200 success:false with a definite code is final.
    let (srv, count) = scripted_answers(vec![(
        "200 OK",
        br#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#.to_vec(),
    )]);
    let (c, op) = (
        fast(&srv),
        BulkDelete::new(ns_id.clone(), keys.clone()).unwrap(),
    );
    let e = bounded("auth under 200", move || c.execute(&op)).unwrap_err();
    assert!(e.is_auth() && !e.is_garbled(), "{e:?}");
    assert_eq!(*count.lock().unwrap(), 1);

    // Namespace creation is not idempotent: a garbled answer is not re-sent.
    let (srv, count) = scripted_answers(vec![("200 OK", cut.clone())]);
    let c = fast(&srv);
    let e = bounded("create", move || c.create_namespace("t").unwrap_err());
    assert!(e.is_garbled(), "{e:?}");
    assert_eq!(*count.lock().unwrap(), 1);
}

#[test]
fn a_5xx_carrying_10009_is_a_failed_read_not_a_missing_key() {
    let not_found = br#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null}"#.to_vec();
    // 500 + 10009, then the value: retried, and the value comes back.
    let (srv, count) = scripted_answers(vec![
        ("500 Internal Server Error", not_found.clone()),
        ("200 OK", b"v".to_vec()),
    ]);
    let c = builder(&srv.base_url())
        .retry_policy(rel_common::fast_retries(3))
        .build()
        .unwrap();
    let v = bounded("500 then value", move || c.namespace(NS).unwrap().get("k")).unwrap();
    assert_eq!(v.map(|v| v.bytes), Some(b"v".to_vec()));
    assert_eq!(*count.lock().unwrap(), 2);
    // 500 + 10009 every time: an error, never "missing".
    let (srv, _) = scripted_answers(vec![("500 Internal Server Error", not_found.clone())]);
    let c = client_for(&srv);
    let e = bounded("500", move || c.namespace(NS).unwrap().get("k")).unwrap_err();
    assert!(e.is_server_error(), "{e:?}");
    // 404 + 10009: missing, at once.
    let (srv, count) = scripted_answers(vec![("404 Not Found", not_found)]);
    let c = client_for(&srv);
    let v = bounded("404", move || c.namespace(NS).unwrap().get("k")).unwrap();
    assert_eq!(v, None);
    assert_eq!(*count.lock().unwrap(), 1);
}
