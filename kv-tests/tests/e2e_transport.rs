//! The hand-written `TcpStream` transport of the `custom_transport` example, on its own:
//! kv-proto driven with no kv-ureq at all against the emulator (operations, pagers, a bulk
//! plan), and the transport's framing and failure handling against canned raw responses.

mod e2e_common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Instant;

use e2e_common::{ACCOUNT, TOKEN, transport};
use kv_tests::{Emulator, EmulatorConfig};
use kv_ureq::kv_proto::{
    AccountId, Auth, BulkGet, BulkWrite, BulkWriteItem, BulkWritePlan, CreateNamespace,
    DeleteNamespace, DeleteValue, Endpoint, Error, ErrorKind, GetNamespace, GetValue, Key,
    KeyPager, ListKeys, ListNamespaces, NamespaceId, NamespacePager, Operation, Pager, Plan,
    PlanConfig, Poll, PutValue, Title, TransportErrorKind, exchange, http,
};

/// The whole drive loop: kv-proto's exchange over the hand-written transport.
fn execute<O: Operation>(endpoint: &Endpoint, op: &O) -> Result<O::Output, Error> {
    exchange(op, endpoint, transport::send)
}

#[test]
fn kv_proto_alone_over_the_hand_written_transport() {
    let emu = Emulator::start(EmulatorConfig::default().worker_threads(1)).unwrap();
    let endpoint = Endpoint::new(
        AccountId::new(ACCOUNT).unwrap(),
        Auth::api_token(TOKEN).unwrap(),
    )
    .with_base_url(emu.base_url())
    .unwrap();

    // Namespaces: create 12, walk them 5 per page with the pager.
    let mut created = Vec::new();
    for i in 0..12 {
        let title = Title::new(format!("proto-{i:02}")).unwrap();
        created.push(execute(&endpoint, &CreateNamespace::new(title)).unwrap().id);
    }
    let mut pager = NamespacePager::new(ListNamespaces::new().per_page(5).unwrap());
    let mut seen = Vec::new();
    while let Poll::Send(ticket, op) = pager.poll(Instant::now()) {
        pager.handle(ticket, Ok(execute(&endpoint, &op).unwrap()));
        assert!(pager.take_error().is_none());
        seen.extend(pager.take_items());
    }
    assert_eq!(seen.len(), 12);
    created.sort();
    let mut seen_ids: Vec<String> = seen.into_iter().map(|n| n.id.into_string()).collect();
    seen_ids.sort();
    assert_eq!(seen_ids, created);

    let ns = NamespaceId::new(created[0].as_str()).unwrap();
    let key = Key::new("dir/a b?#%2F🦀").unwrap();
    execute(
        &endpoint,
        &PutValue::new(ns.clone(), key.clone(), vec![0, 159, 146, 150]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        emu.entry(ACCOUNT, ns.as_str(), "dir/a b?#%2F🦀")
            .unwrap()
            .value,
        [0, 159, 146, 150]
    );
    let value = execute(&endpoint, &GetValue::new(ns.clone(), key.clone())).unwrap();
    assert_eq!(value.bytes, [0, 159, 146, 150]);

    // A bulk plan driven by hand, one request at a time.
    let items = (0..2_500).map(|i| {
        BulkWriteItem::text(Key::new(format!("bulk/{i:04}")).unwrap(), i.to_string()).unwrap()
    });
    let mut plan = BulkWritePlan::new(
        BulkWrite::template(ns.clone()),
        items,
        PlanConfig::default(),
    )
    .unwrap();
    loop {
        match plan.poll(Instant::now()) {
            Poll::Send(ticket, op) => {
                let result = execute(&endpoint, &op);
                plan.handle(ticket, result);
            }
            Poll::Wait(d) => thread::sleep(d),
            Poll::Idle => unreachable!("nothing in flight"),
            Poll::Done => break,
        }
    }
    let report = plan.finish();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.requests_sent, 3);
    assert_eq!(emu.key_count(ACCOUNT, ns.as_str()).unwrap(), 2_501);

    let mut keys = KeyPager::new(
        ListKeys::new(ns.clone())
            .prefix("bulk/")
            .limit(1000)
            .unwrap(),
    );
    let mut listed = 0;
    while let Poll::Send(ticket, op) = keys.poll(Instant::now()) {
        keys.handle(ticket, Ok(execute(&endpoint, &op).unwrap()));
        assert!(keys.take_error().is_none());
        listed += keys.take_items().len();
    }
    assert_eq!((listed, keys.pages_fetched()), (2_500, 3));

    let got = execute(
        &endpoint,
        &BulkGet::new(
            ns.clone(),
            vec![Key::new("bulk/0042").unwrap(), Key::new("nope").unwrap()],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(got.get("bulk/0042").and_then(|v| v.as_text()), Some("42"));
    assert!(got.get("nope").unwrap().is_missing());

    execute(&endpoint, &DeleteValue::new(ns.clone(), key.clone())).unwrap();
    let err = execute(&endpoint, &GetValue::new(ns.clone(), key)).unwrap_err();
    assert!(err.is_key_not_found(), "{err}");
    execute(&endpoint, &DeleteNamespace::new(ns.clone())).unwrap();
    let err = execute(&endpoint, &GetNamespace::new(ns)).unwrap_err();
    assert!(err.is_namespace_not_found(), "{err}");
}

/// Serves one connection with `raw` (after reading the request head) and returns the URL.
fn canned(raw: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && sock.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let _ = sock.write_all(raw);
    });
    format!("http://{addr}/x")
}

fn get(url: &str, max: u64) -> Result<http::Response<Vec<u8>>, Error> {
    let req = http::Request::get(url).body(Vec::new()).unwrap();
    transport::send(req, max)
}

#[test]
fn transport_reads_content_length_chunked_and_close_delimited_bodies() {
    let r = get(
        &canned(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCf-Ray: abc-EMU\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello"),
        5,
    )
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body(), b"hello");
    assert_eq!(r.headers()["cf-ray"], "abc-EMU");
    assert_eq!(r.headers().get_all("x-a").iter().count(), 2);

    let r = get(
        &canned(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n6\r\npedia!\r\n0\r\nTrailer: x\r\n\r\n"),
        10,
    )
    .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.body(), b"Wikipedia!");

    let r = get(&canned(b"HTTP/1.0 503 Busy\r\n\r\nno length here"), 100).unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.body(), b"no length here");

    let r = get(
        &canned(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
        0,
    )
    .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.body().is_empty());
}

#[test]
fn transport_enforces_the_body_cap_in_every_framing() {
    for raw in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello!"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nsix!!!",
        b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
    ] {
        let err = get(&canned(raw), 5).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ResponseTooLarge { limit: 5 }),
            "{err:?}"
        );
    }
}

#[test]
fn transport_failures_map_to_transport_kinds() {
    let kind = |raw: &'static [u8]| get(&canned(raw), 100).unwrap_err().transport_kind();
    // Body shorter than announced, then the socket closes: retryable.
    let err = get(
        &canned(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"),
        100,
    )
    .unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::ConnectionClosed)
    );
    assert!(err.is_retryable());
    assert_eq!(kind(b""), Some(TransportErrorKind::ConnectionClosed));
    assert_eq!(
        kind(b"SSH-2.0-OpenSSH\r\n\r\n"),
        Some(TransportErrorKind::InvalidResponse)
    );
    assert_eq!(
        kind(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
        Some(TransportErrorKind::InvalidResponse)
    );
    assert_eq!(
        kind(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        Some(TransportErrorKind::InvalidResponse)
    );

    // Nothing listening: a connect error, retryable.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = get(&format!("http://127.0.0.1:{port}/"), 100).unwrap_err();
    assert_eq!(
        err.transport_kind(),
        Some(TransportErrorKind::Connect),
        "{err:?}"
    );
    assert!(err.is_retryable());

    // Only plain http to loopback.
    for url in ["https://127.0.0.1/", "http://example.com/"] {
        let err = get(url, 100).unwrap_err();
        assert_eq!(
            err.transport_kind(),
            Some(TransportErrorKind::Other),
            "{url}"
        );
        assert!(!err.is_retryable());
    }
}

#[test]
fn a_redirect_is_one_error_kind_whatever_the_transport() {
    use kv_ureq::{Client, ProxyConfig, RetryPolicy, Transport, UreqTransport};
    const MOVED: &[u8] =
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/steal\r\nContent-Length: 0\r\n\r\n";
    let base = || canned(MOVED).trim_end_matches("/x").to_owned();
    let endpoint = || {
        Endpoint::new(
            AccountId::new(ACCOUNT).unwrap(),
            Auth::api_token(TOKEN).unwrap(),
        )
        .with_base_url(&base())
        .unwrap()
    };
    let ureq = UreqTransport::builder()
        .proxy(ProxyConfig::Disabled)
        .build()
        .unwrap();
    let client = |transport: Option<fn(_, _) -> _>| {
        let builder = Client::builder(
            Auth::api_token(TOKEN).unwrap(),
            AccountId::new(ACCOUNT).unwrap(),
        )
        .base_url(base())
        .proxy(ProxyConfig::Disabled)
        .retry_policy(RetryPolicy::none());
        match transport {
            Some(t) => builder.transport(t),
            None => builder,
        }
        .build()
        .unwrap()
    };

    // Both transports hand the 3xx back as data ...
    assert_eq!(get(&canned(MOVED), 100).unwrap().status(), 302);
    let request = http::Request::get(canned(MOVED)).body(Vec::new()).unwrap();
    assert_eq!(ureq.send(request, 100).unwrap().status(), 302);

    // ... and kv-proto turns it into the same error, whichever transport and whichever shell.
    let op = GetNamespace::new(NamespaceId::new("ns1").unwrap());
    let errors = [
        exchange(&op, &endpoint(), transport::send).unwrap_err(),
        exchange(&op, &endpoint(), |r, max| ureq.send(r, max)).unwrap_err(),
        client(Some(transport::send))
            .get_namespace("ns1")
            .unwrap_err(),
        client(None).get_namespace("ns1").unwrap_err(),
    ];
    for e in errors {
        assert_eq!(
            e.transport_kind(),
            Some(TransportErrorKind::Redirect),
            "{e:?}"
        );
        assert!(!e.is_retryable());
        let text = e.to_string();
        assert!(text.contains("302") && text.contains("127.0.0.1"), "{text}");
        assert!(!text.contains(TOKEN) && !text.contains("steal"), "{text}");
    }
}
