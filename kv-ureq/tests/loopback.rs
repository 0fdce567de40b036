//! The ureq transport against tiny scripted servers on 127.0.0.1: redirects, caps, truncation,
//! timeouts, keep-alive, status as data, request bodies.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use common::{After, Probe, Server, respond};
use http::Method;
use kv_ureq::{
    AccountId, Auth, Client, ClientBuilder, ErrorKind, ProxyConfig, RetryPolicy, Transport,
    TransportErrorKind, UreqTransport,
};

const TOKEN: &str = "super-secret-token-42";

/// A builder for `base` with the test token, account "acc" and no proxy.
fn builder(base: &str) -> ClientBuilder {
    Client::builder(
        Auth::api_token(TOKEN).unwrap(),
        AccountId::new("acc").unwrap(),
    )
    .base_url(base)
    .proxy(ProxyConfig::Disabled)
}

fn client(base: &str) -> Client {
    builder(base)
        .request_timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[test]
fn redirect_is_not_followed_and_the_token_stays_home() {
    let elsewhere = Server::start(|_, _, out| {
        respond(out, "200 OK", &[], b"stolen");
        After::Close
    });
    let location = format!("http://{}/steal", elsewhere.addr);
    let origin = Server::start(move |_, _, out| {
        respond(out, "302 Found", &[("location", location.as_str())], b"");
        After::Close
    });
    // Retries on: a redirect must not be retried either.
    let c = builder(&origin.base_url())
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let err = c.execute(&Probe::get("/x")).unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::Redirect),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert!(!err.to_string().contains(TOKEN));
    assert_eq!(origin.seen().len(), 1);
    assert_eq!(
        origin.seen()[0].header("authorization").as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        elsewhere
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // The transport itself hands the 3xx back as data, like any status; the client's
    // kv_proto::exchange made it the Redirect error above, as it does for any transport.
    let t = UreqTransport::builder()
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap();
    let request = http::Request::get(format!("{}/x", origin.base_url()))
        .body(Vec::new())
        .unwrap();
    let response = t.send(request, 100).unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        format!("http://{}/steal", elsewhere.addr)
    );
    assert_eq!(
        elsewhere
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn status_is_data_and_every_header_is_kept() {
    let server = Server::start(|_, _, out| {
        respond(
            out,
            "503 Service Unavailable",
            &[
                ("cf-ray", "8abc-LHR"),
                ("retry-after", "7"),
                ("x-multi", "one"),
                ("x-multi", "two"),
                ("expiration", "1700000000"),
                ("content-type", "application/json"),
            ],
            br#"{"success":false,"errors":[{"code":10001,"message":"busy"}]}"#,
        );
        After::KeepOpen
    });
    let t = UreqTransport::builder()
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap();
    let req = http::Request::get(format!("{}/x", server.base_url()))
        .body(Vec::new())
        .unwrap();
    let resp = t.send(req, 1024).unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["cf-ray"], "8abc-LHR");
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(resp.headers()["expiration"], "1700000000");
    let multi: Vec<_> = resp.headers().get_all("x-multi").iter().collect();
    assert_eq!(multi, ["one", "two"]);
    assert!(resp.body().starts_with(br#"{"success":false"#));

    // Through the client the status becomes the operation's error, with the meta intact.
    let err = client(&server.base_url())
        .execute_once(&Probe::get("/x"))
        .unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.ray_id(), Some("8abc-LHR"));
    assert!(err.retry_after().is_some() && err.is_retryable());
}

#[test]
fn body_at_the_cap_is_fine_and_one_byte_more_is_too_large() {
    let server = Server::start(|i, _, out| {
        if i == 0 {
            respond(out, "200 OK", &[], &[b'a'; 100]);
        } else {
            // Chunked, so no Content-Length shortcut: the cap must stop the read itself.
            let _ = out.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
            let _ = out.write_all(b"65\r\n");
            let _ = out.write_all(&[b'b'; 101]);
            let _ = out.write_all(b"\r\n0\r\n\r\n");
        }
        After::KeepOpen
    });
    let c = client(&server.base_url());
    let mut probe = Probe::get("/x");
    probe.max = 100;
    assert_eq!(c.execute_once(&probe).unwrap().body().len(), 100);
    let err = c.execute_once(&probe).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { limit: 100 }),
        "{err:?}"
    );
    assert!(err.is_too_large() && !err.is_retryable());
}

#[test]
fn content_length_over_the_cap_fails_before_reading() {
    let server = Server::start(|_, _, out| {
        // Promise a huge body and send none of it: the client must not wait for it.
        let _ = out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n");
        let _ = out.flush();
        std::thread::sleep(Duration::from_secs(3));
        After::Close
    });
    let mut probe = Probe::get("/x");
    probe.max = 1000;
    let err = client(&server.base_url()).execute_once(&probe).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { limit: 1000 }),
        "{err:?}"
    );
}

#[test]
fn an_endless_body_is_cut_off_near_the_cap() {
    const TOTAL: usize = 64 << 20;
    let (tx, rx) = mpsc::channel();
    let server = Server::start(move |_, _, out| {
        let _ = out.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let chunk = vec![b'z'; 16 * 1024];
        let mut written = 0;
        while written < TOTAL {
            if out.write_all(b"4000\r\n").is_err()
                || out.write_all(&chunk).is_err()
                || out.write_all(b"\r\n").is_err()
            {
                break;
            }
            written += chunk.len();
        }
        let _ = tx.send(written);
        After::Close
    });
    let mut probe = Probe::get("/x");
    probe.max = 64 * 1024;
    let err = client(&server.base_url()).execute_once(&probe).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { .. }),
        "{err:?}"
    );
    let written = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    // The client hung up after about the cap; the server could only fill socket buffers.
    assert!(written < TOTAL / 2, "server wrote {written} bytes");
}

#[test]
fn truncated_body_is_a_closed_connection() {
    let server = Server::start(|_, _, out| {
        let _ = out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten..");
        After::Close
    });
    let err = client(&server.base_url())
        .execute_once(&Probe::get("/x"))
        .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::ConnectionClosed),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(!err.to_string().contains(TOKEN));
}

#[test]
fn connection_closed_before_any_answer() {
    let server = Server::start(|_, _, _| After::Close);
    let err = client(&server.base_url())
        .execute_once(&Probe::get("/x"))
        .unwrap_err();
    assert!(err.is_transport() && err.is_retryable(), "{err:?}");
}

#[test]
fn slow_drip_trips_the_request_timeout() {
    let server = Server::start(|_, _, out| {
        let _ = out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
        for _ in 0..100 {
            if out.write_all(b"x").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        After::Close
    });
    let c = builder(&server.base_url())
        .request_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = c.execute_once(&Probe::get("/x")).unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
}

#[test]
fn silent_server_trips_the_request_timeout() {
    let server = Server::start(|_, _, _| {
        std::thread::sleep(Duration::from_secs(3));
        After::Close
    });
    let c = builder(&server.base_url())
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = c.execute_once(&Probe::get("/x")).unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = Server::start(|i, _, out| {
        respond(out, "200 OK", &[], format!("answer {i}").as_bytes());
        After::KeepOpen
    });
    let c = client(&server.base_url());
    for i in 0..3 {
        let r = c.execute_once(&Probe::get("/x")).unwrap();
        assert_eq!(r.body(), format!("answer {i}").as_bytes());
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.connection == 0), "{seen:?}");
    assert_eq!(
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn request_bodies_and_headers_on_the_wire() {
    let server = Server::start(|_, _, out| {
        respond(out, "200 OK", &[], b"{}");
        After::KeepOpen
    });
    let c = builder(&server.base_url())
        .user_agent_suffix("my-app/1.2")
        .build()
        .unwrap();

    c.execute_once(&Probe::get("/get")).unwrap();
    let mut delete = Probe::get("/del");
    delete.method = Method::DELETE;
    c.execute_once(&delete).unwrap();
    // The legacy DELETE /bulk carries a JSON body: it must be sent.
    delete.body = br#"["a","b"]"#.to_vec();
    c.execute_once(&delete).unwrap();
    // An empty value is a real (empty) body on PUT.
    let mut put = Probe::get("/put");
    put.method = Method::PUT;
    c.execute_once(&put).unwrap();

    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    let (get, del, del_body, put) = (&seen[0], &seen[1], &seen[2], &seen[3]);
    assert!(
        get.head.starts_with("GET /client/v4/get HTTP/1.1"),
        "{}",
        get.head
    );
    assert_eq!(get.header("content-length"), None, "{}", get.head);
    assert_eq!(get.header("transfer-encoding"), None);
    assert_eq!(
        get.header("user-agent").as_deref(),
        Some(concat!(
            "kv-ureq/",
            env!("CARGO_PKG_VERSION"),
            " my-app/1.2"
        ))
    );
    assert_eq!(get.header("accept").as_deref(), Some("application/json"));
    assert!(del.head.starts_with("DELETE "));
    assert_eq!(del.header("content-length"), None, "{}", del.head);
    assert!(del_body.head.starts_with("DELETE "));
    assert_eq!(del_body.body, br#"["a","b"]"#);
    assert!(put.head.starts_with("PUT "));
    assert_eq!(put.header("content-length").as_deref(), Some("0"));
}

#[test]
fn refused_connection_maps_to_connect() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = client(&format!("http://127.0.0.1:{port}/client/v4"))
        .execute_once(&Probe::get("/x"))
        .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::Connect),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[test]
fn plain_http_to_a_remote_host_is_refused_by_the_transport() {
    let t = UreqTransport::builder()
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap();
    let mut req = http::Request::get("http://example.invalid/client/v4/x")
        .body(Vec::new())
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    let err = t.send(req, 100).unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::Other),
        "{err:?}"
    );
    assert!(err.to_string().contains("plain http"), "{err}");
    assert!(!err.to_string().contains(TOKEN));
}

#[test]
fn explicit_proxy_tunnels_the_request() {
    let proxy = Server::start(|_, seen, out| {
        if seen.head.starts_with("CONNECT ") {
            let _ = out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        } else {
            respond(out, "200 OK", &[], b"via proxy");
        }
        After::KeepOpen
    });
    let t = UreqTransport::builder()
        .proxy(ProxyConfig::Url(format!("http://{}", proxy.addr)))
        .build()
        .unwrap();
    // A loopback target so plain http is allowed; the proxy answers on its behalf.
    let mut req = http::Request::get("http://127.0.0.1:9/client/v4/x")
        .body(Vec::new())
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    let resp = t.send(req, 100).unwrap();
    assert_eq!(resp.body(), b"via proxy");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].head.starts_with("CONNECT 127.0.0.1:9 "),
        "{}",
        seen[0].head
    );
    // The proxy hop sees the agent's user agent but never the credentials.
    assert!(!seen[0].head.contains(TOKEN));
    assert_eq!(
        seen[0].header("user-agent").as_deref(),
        Some(kv_ureq::USER_AGENT)
    );
    assert!(
        seen[1].head.starts_with("GET /client/v4/x "),
        "{}",
        seen[1].head
    );
}

#[test]
fn real_operations_over_the_wire() {
    use kv_ureq::kv_proto::{GetValue, Key, NamespaceId, limits::MAX_VALUE_BYTES};

    let big: Vec<u8> = (0..MAX_VALUE_BYTES).map(|i| (i % 251) as u8).collect();
    let body = big.clone();
    let server = Server::start(move |i, _, out| {
        if i == 0 {
            respond(
                out,
                "200 OK",
                &[
                    ("content-type", "application/octet-stream"),
                    ("expiration", "1900000000"),
                ],
                &body,
            );
        } else {
            respond(
                out,
                "404 Not Found",
                &[("content-type", "application/json"), ("cf-ray", "r-404")],
                br#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null}"#,
            );
        }
        After::KeepOpen
    });
    let c = builder(&server.base_url())
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let ns = NamespaceId::new("ns1").unwrap();

    // A 25 MiB binary value: above ureq's default 10 MiB body cap, byte for byte.
    let v = c
        .execute(&GetValue::new(ns.clone(), Key::new("a/b?c d").unwrap()))
        .unwrap();
    assert_eq!(v.bytes.len(), big.len());
    assert!(v.bytes == big);
    assert_eq!(v.expiration, Some(1_900_000_000));

    // A documented error surfaces as its kind, once (404 is not retried).
    let err = c
        .execute(&GetValue::new(ns, Key::new("gone").unwrap()))
        .unwrap_err();
    assert!(err.is_key_not_found(), "{err:?}");
    assert_eq!(err.ray_id(), Some("r-404"));

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].head.starts_with(
            "GET /client/v4/accounts/acc/storage/kv/namespaces/ns1/values/a%2Fb%3Fc%20d HTTP/1.1"
        ),
        "{}",
        seen[0].head
    );
}
