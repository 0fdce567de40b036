//! End-to-end contract suite, part 1: every route of kv-ureq's `Client` / `NamespaceHandle`
//! against the emulator over loopback, tricky keys, metadata and expiration. Each test runs
//! twice (see `contract_tests!`): over the ureq transport and over the hand-written
//! `TcpStream` transport of the `custom_transport` example. Each run has its own emulator.

mod e2e_common;

use std::collections::BTreeSet;
use std::time::Duration;

use e2e_common::{ACCOUNT, Stack, env, random_bytes};
use kv_ureq::{
    BulkPayload, BulkValue, BulkWriteItem, Direction, Expiration, Key, Metadata, NamespaceOrder,
};
use serde_json::json;

contract_tests!(
    namespace_crud,
    namespace_list_pages_and_order,
    value_get_put_delete,
    binary_values_are_byte_exact,
    tricky_keys_round_trip_exactly,
    metadata_shapes,
    expiration_by_moving_the_clock,
    bulk_trio_small,
);

fn namespace_crud(stack: Stack) {
    let e = env(stack);
    let c = &e.client;
    let created = c.create_namespace("crud-one").unwrap();
    assert_eq!(created.title, "crud-one");
    assert_eq!(created.id.as_str().len(), 32, "{created:?}");
    // The emulator agrees.
    let stored = e
        .emu
        .namespace(ACCOUNT, created.id.as_str())
        .expect("stored");
    assert_eq!(stored.title, "crud-one");

    let got = c.get_namespace(&created.id).unwrap();
    assert_eq!(
        (got.id.as_str(), got.title.as_str()),
        (created.id.as_str(), "crud-one")
    );

    let renamed = c.rename_namespace(&created.id, "crud-renamed").unwrap();
    if let Some(r) = renamed {
        assert_eq!(r.title, "crud-renamed");
    }
    assert_eq!(c.get_namespace(&created.id).unwrap().title, "crud-renamed");
    assert_eq!(
        e.emu.namespace(ACCOUNT, created.id.as_str()).unwrap().title,
        "crud-renamed"
    );

    let handle = c.namespace(&created.id).unwrap();
    assert_eq!(handle.info().unwrap().title, "crud-renamed");

    let listed: Vec<_> = c.namespaces().collect::<Result<_, _>>().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.id);

    // Titles are JSON strings: any text goes, exactly.
    let odd = "title/with ? # % + spaces \"quotes\" 🦀 日本";
    let odd_ns = c.create_namespace(odd).unwrap();
    assert_eq!(odd_ns.title, odd);
    assert_eq!(
        e.emu.namespace(ACCOUNT, odd_ns.id.as_str()).unwrap().title,
        odd
    );
    assert_eq!(c.get_namespace(&odd_ns.id).unwrap().title, odd);
    let long = "t".repeat(512);
    c.rename_namespace(&odd_ns.id, long.as_str()).unwrap();
    assert_eq!(c.get_namespace(&odd_ns.id).unwrap().title, long);
    c.delete_namespace(&odd_ns.id).unwrap();

    c.delete_namespace(&created.id).unwrap();
    assert!(e.emu.namespace(ACCOUNT, created.id.as_str()).is_none());
    let err = c.get_namespace(&created.id).unwrap_err();
    assert!(err.is_namespace_not_found(), "{err}");
    assert!(err.is_not_found());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(c.namespaces().next().is_none());
}

fn namespace_list_pages_and_order(stack: Stack) {
    let e = env(stack);
    let c = &e.client;
    let mut ids = BTreeSet::new();
    for i in 0..25 {
        // Titles sort in the reverse order of creation.
        ids.insert(c.create_namespace(format!("ns-{:02}", 99 - i)).unwrap().id);
    }
    e.emu.clear_requests();

    let listed: Vec<_> = c
        .namespaces()
        .per_page(5)
        .collect::<Result<_, _>>()
        .unwrap();
    let listed_ids: BTreeSet<_> = listed.iter().map(|n| n.id.clone()).collect();
    assert_eq!(listed.len(), 25, "no duplicates, nothing missing");
    assert_eq!(listed_ids, ids);
    // Five full pages; the stop rule may ask for one more (empty) page, never more.
    let pages = e.emu.requests().len();
    assert!((5..=6).contains(&pages), "{pages} page requests");

    let by_title: Vec<String> = c
        .namespaces()
        .per_page(7)
        .order(NamespaceOrder::Title)
        .direction(Direction::Desc)
        .map(|n| n.map(|n| n.title))
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<String> = (75..100).rev().map(|i| format!("ns-{i:02}")).collect();
    assert_eq!(by_title, expected);

    // Out-of-range page size: an error item, nothing sent.
    e.emu.clear_requests();
    let mut bad = c.namespaces().per_page(1000);
    assert!(bad.next().unwrap().unwrap_err().is_invalid_input());
    assert!(bad.next().is_none());
    assert!(e.emu.requests().is_empty());
}

fn value_get_put_delete(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("values");
    assert_eq!(ns.get("greeting").unwrap(), None);

    ns.put("greeting", "hello").unwrap();
    assert_eq!(ns.get_text("greeting").unwrap().as_deref(), Some("hello"));
    let v = ns.get("greeting").unwrap().unwrap();
    assert_eq!(v.bytes, b"hello");
    assert_eq!(v.expiration, None);
    assert_eq!(
        e.emu
            .entry(ACCOUNT, ns.id().as_str(), "greeting")
            .unwrap()
            .value,
        b"hello"
    );

    // Overwrite replaces value and metadata.
    ns.put_with("greeting", "first")
        .metadata(json!({"v": 1}))
        .send()
        .unwrap();
    ns.put("greeting", "second").unwrap();
    assert_eq!(ns.get_bytes("greeting").unwrap().unwrap(), b"second");
    assert_eq!(ns.metadata("greeting").unwrap(), None);

    // JSON helpers.
    ns.put("doc", r#"{"a":[1,2,3],"b":"x"}"#).unwrap();
    let doc: serde_json::Value = ns.get_json("doc").unwrap().unwrap();
    assert_eq!(doc, json!({"a": [1, 2, 3], "b": "x"}));

    ns.delete("greeting").unwrap();
    assert_eq!(ns.get("greeting").unwrap(), None);
    assert!(e.emu.entry(ACCOUNT, ns.id().as_str(), "greeting").is_none());
    // Deleting a missing key succeeds.
    ns.delete("greeting").unwrap();
    assert_eq!(e.stored_keys(&ns), vec!["doc".to_owned()]);
    e.assert_stack_used();
}

fn binary_values_are_byte_exact(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("binary");
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("one".into(), vec![0]),
        ("all-bytes".into(), all_bytes.clone()),
        ("crlf".into(), b"\r\n\r\nHTTP/1.1 200 OK\r\n\r\n".to_vec()),
        ("not-utf8".into(), vec![0xff, 0xfe, 0xc3, 0x28, 0x80]),
        ("64k+1".into(), random_bytes(1, 64 * 1024 + 1)),
        ("1m".into(), random_bytes(2, 1 << 20)),
    ];
    for (key, bytes) in &cases {
        ns.put(key.as_str(), bytes.clone()).unwrap();
    }
    for (key, bytes) in &cases {
        let got = ns.get_bytes(key.as_str()).unwrap().unwrap();
        assert!(
            got == *bytes,
            "{key}: {} bytes back, {} sent",
            got.len(),
            bytes.len()
        );
        let stored = e.emu.entry(ACCOUNT, ns.id().as_str(), key).unwrap();
        assert!(stored.value == *bytes, "{key}: stored bytes differ");
    }
    // With metadata the value goes as multipart: still byte-exact.
    ns.put_with("multipart", all_bytes.clone())
        .metadata(json!({"kind": "bin"}))
        .send()
        .unwrap();
    assert_eq!(ns.get_bytes("multipart").unwrap().unwrap(), all_bytes);
    assert_eq!(
        ns.metadata("multipart").unwrap(),
        Some(json!({"kind": "bin"}))
    );
    // Bulk write with base64: byte-exact in the store.
    let item = BulkWriteItem::binary(Key::new("bulk-bin").unwrap(), &all_bytes).unwrap();
    assert!(ns.bulk_write([item]).run().unwrap().is_success());
    assert_eq!(ns.get_bytes("bulk-bin").unwrap().unwrap(), all_bytes);
    // Text of a non-UTF-8 value is a decode error, not garbage.
    assert!(ns.get_text("not-utf8").is_err());
}

/// Keys that break naive URL building, each put, read, listed, bulk-read, inspected in the
/// emulator's store and deleted under its exact name.
fn tricky_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "a/b",
        "/leading/slash",
        "trailing/",
        "?",
        "a?b=c&d=e",
        "#",
        "a#frag",
        "%2F",
        "%",
        "100%",
        "%zz",
        "with space",
        " ",
        "a+b",
        "+",
        "🦀 emoji ✓",
        "日本語/キー",
        "...",
        "..a",
        "./x",
        "../x",
        "a\\b",
        "tab\there",
        "quote\"and'apos",
        "semi;colon,comma",
        "<html>&amp;",
        "~tilde",
        "[brackets]{braces}|pipe^caret`tick",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    keys.push("k".repeat(512));
    keys.push("é".repeat(256)); // 512 bytes, 256 chars
    keys.push(format!("{}/{}", "x".repeat(255), "y".repeat(256)));
    keys
}

fn tricky_keys_round_trip_exactly(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("tricky");
    let keys = tricky_keys();
    for (i, key) in keys.iter().enumerate() {
        assert!(key.len() <= 512);
        ns.put_with(key.as_str(), format!("value {i}"))
            .metadata(json!({"i": i}))
            .send()
            .unwrap_or_else(|err| panic!("put {key:?}: {err}"));
    }
    let sorted: BTreeSet<String> = keys.iter().cloned().collect();
    // The emulator stored exactly these strings.
    assert_eq!(
        e.stored_keys(&ns),
        sorted.iter().cloned().collect::<Vec<_>>()
    );
    for (i, key) in keys.iter().enumerate() {
        let stored = e.emu.entry(ACCOUNT, ns.id().as_str(), key).unwrap();
        assert_eq!(stored.value, format!("value {i}").into_bytes(), "{key:?}");
        let got = ns
            .get_text(key.as_str())
            .unwrap_or_else(|err| panic!("get {key:?}: {err}"));
        assert_eq!(got, Some(format!("value {i}")), "{key:?}");
        assert_eq!(
            ns.metadata(key.as_str()).unwrap(),
            Some(json!({"i": i})),
            "{key:?}"
        );
    }
    // Listing returns the exact names, with metadata; also narrowed by tricky prefixes.
    let listed: Vec<_> = ns.keys().limit(10).collect::<Result<_, _>>().unwrap();
    let names: Vec<String> = listed.iter().map(|k| k.name.to_string()).collect();
    assert_eq!(names, sorted.iter().cloned().collect::<Vec<_>>());
    for k in &listed {
        let i = keys.iter().position(|x| *x == k.name).unwrap();
        assert_eq!(k.metadata, Some(json!({"i": i})));
    }
    for prefix in ["a?", "%", "..", "🦀", "a/", "+", " ", "#", "日本語/"] {
        let expected: Vec<String> = sorted
            .iter()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        assert!(!expected.is_empty(), "{prefix:?}");
        let got: Vec<String> = ns
            .keys_with_prefix(prefix)
            .map(|k| k.map(|k| k.name.into_string()))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, expected, "prefix {prefix:?}");
    }
    // Bulk get returns every key under its exact name.
    let report = ns.bulk_get(&keys).with_metadata().run().unwrap();
    assert!(report.is_success());
    assert_eq!(report.values.len(), keys.len());
    for (i, key) in keys.iter().enumerate() {
        let v = &report.values[&Key::new(key.as_str()).unwrap()];
        assert_eq!(v.as_text(), Some(format!("value {i}").as_str()), "{key:?}");
        assert_eq!(v.metadata(), Some(&json!({"i": i})), "{key:?}");
    }
    // Single deletes of half, bulk delete of the rest; nothing left.
    let (first, rest) = keys.split_at(keys.len() / 2);
    for key in first {
        ns.delete(key.as_str()).unwrap();
        assert!(
            e.emu.entry(ACCOUNT, ns.id().as_str(), key).is_none(),
            "{key:?}"
        );
    }
    let report = ns.bulk_delete(rest).run().unwrap();
    assert!(report.is_success());
    assert_eq!(report.succeeded, rest.len() as u64);
    assert_eq!(e.stored_count(&ns), 0);
    // And bulk write under the same names.
    let items: Vec<_> = keys
        .iter()
        .map(|k| BulkWriteItem::text(Key::new(k.as_str()).unwrap(), k.clone()).unwrap())
        .collect();
    assert!(ns.bulk_write(items).run().unwrap().is_success());
    for key in &keys {
        assert_eq!(
            e.emu.entry(ACCOUNT, ns.id().as_str(), key).unwrap().value,
            key.as_bytes(),
            "{key:?}"
        );
    }
}

fn metadata_shapes(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("metadata");
    let nsid = ns.id().as_str().to_owned();
    let cases = [
        (
            "object",
            json!({"owner": "me", "n": [1, 2.5, null], "nested": {"t": true}}),
        ),
        ("string", json!("just a string")),
        ("number", json!(42)),
        ("float", json!(-0.5)),
        ("bool", json!(false)),
        ("array", json!([1, "two", {"three": 3}])),
        ("unicode", json!({"名前": "🦀", "quote": "\"\\"})),
    ];
    for (key, meta) in &cases {
        ns.put_with(*key, "v").metadata(meta).send().unwrap();
    }
    for (key, meta) in &cases {
        assert_eq!(ns.metadata(*key).unwrap().as_ref(), Some(meta), "{key}");
        assert_eq!(
            e.emu.entry(ACCOUNT, &nsid, key).unwrap().metadata.as_ref(),
            Some(meta)
        );
    }
    let listed: Vec<_> = ns.keys().collect::<Result<_, _>>().unwrap();
    for k in &listed {
        let (_, meta) = cases.iter().find(|(n, _)| *n == k.name).unwrap();
        assert_eq!(k.metadata.as_ref(), Some(meta), "{}", k.name);
    }
    let report = ns
        .bulk_get(cases.iter().map(|(k, _)| *k))
        .with_metadata()
        .run()
        .unwrap();
    for (key, meta) in &cases {
        assert_eq!(
            report.values[&Key::new(*key).unwrap()].metadata(),
            Some(meta)
        );
    }

    // No metadata: None everywhere.
    ns.put("plain", "v").unwrap();
    assert_eq!(ns.metadata("plain").unwrap(), None);
    let plain = ns.keys_with_prefix("plain").next().unwrap().unwrap();
    assert_eq!(plain.metadata, None);

    // JSON null as metadata: reads back as "no metadata" (null) through every route.
    ns.put_with("null", "v")
        .metadata(json!(null))
        .send()
        .unwrap();
    assert_eq!(ns.metadata("null").unwrap(), None);
    let null = ns.keys_with_prefix("null").next().unwrap().unwrap();
    assert_eq!(null.metadata, None);

    // The 1024-byte limit: exactly 1024 goes through, 1025 is refused before sending.
    let at_limit = json!("x".repeat(1022)); // 1022 + 2 quotes
    ns.put_with("big-meta", "v")
        .metadata(&at_limit)
        .send()
        .unwrap();
    assert_eq!(ns.metadata("big-meta").unwrap(), Some(at_limit));
    e.emu.clear_requests();
    let err = ns
        .put_with("too-big-meta", "v")
        .metadata(json!("x".repeat(1023)))
        .send()
        .unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    assert!(e.emu.requests().is_empty());

    // Metadata on a missing key is a key-not-found error (unlike get, which is None).
    let err = ns.metadata("missing").unwrap_err();
    assert!(err.is_key_not_found(), "{err}");
}

fn expiration_by_moving_the_clock(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("expiry");
    let nsid = ns.id().as_str().to_owned();
    let now = 2_000_000_000;
    e.emu.set_now(now);

    ns.put_with("ttl", "short").ttl(60).send().unwrap();
    ns.put_with("abs", "long")
        .expire_at(now + 120)
        .metadata(json!({"m": 1}))
        .send()
        .unwrap();
    ns.put_with("expiration", "via enum")
        .expiration(Expiration::Ttl(300))
        .send()
        .unwrap();
    ns.put("forever", "v").unwrap();
    let items = vec![
        BulkWriteItem::text(Key::new("bulk-ttl").unwrap(), "b")
            .unwrap()
            .expiration(Expiration::ttl(60).unwrap()),
        BulkWriteItem::text(Key::new("bulk-abs").unwrap(), "b")
            .unwrap()
            .expiration(Expiration::at(now + 120)),
    ];
    assert!(ns.bulk_write(items).run().unwrap().is_success());

    // The value read carries the expiration header.
    assert_eq!(ns.get("ttl").unwrap().unwrap().expiration, Some(now + 60));
    assert_eq!(ns.get("abs").unwrap().unwrap().expiration, Some(now + 120));
    assert_eq!(
        ns.get("expiration").unwrap().unwrap().expiration,
        Some(now + 300)
    );
    assert_eq!(ns.get("forever").unwrap().unwrap().expiration, None);
    assert_eq!(
        e.emu.entry(ACCOUNT, &nsid, "bulk-ttl").unwrap().expiration,
        Some(now + 60)
    );
    // Listing and bulk get report it too.
    let listed: Vec<_> = ns.keys().collect::<Result<_, _>>().unwrap();
    let exp = |name: &str| listed.iter().find(|k| k.name == name).unwrap().expiration;
    assert_eq!(exp("ttl"), Some(now + 60));
    assert_eq!(exp("bulk-abs"), Some(now + 120));
    assert_eq!(exp("forever"), None);
    let all = [
        "ttl",
        "abs",
        "expiration",
        "forever",
        "bulk-ttl",
        "bulk-abs",
    ];
    let got = ns.bulk_get(all).with_metadata().run().unwrap();
    assert_eq!(
        got.values[&Key::new("abs").unwrap()].expiration(),
        Some(now + 120)
    );
    assert_eq!(
        got.values[&Key::new("ttl").unwrap()].expiration(),
        Some(now + 60)
    );

    // 60 s later the TTL keys are gone everywhere; the others remain.
    e.emu.advance(Duration::from_secs(60));
    assert_eq!(ns.get("ttl").unwrap(), None);
    assert_eq!(ns.get("bulk-ttl").unwrap(), None);
    assert!(ns.metadata("ttl").unwrap_err().is_key_not_found());
    assert_eq!(ns.get_text("abs").unwrap().as_deref(), Some("long"));
    let names: Vec<String> = ns.keys().map(|k| k.unwrap().name.into_string()).collect();
    assert_eq!(names, ["abs", "bulk-abs", "expiration", "forever"]);
    let got = ns.bulk_get(all).run().unwrap();
    assert!(got.values[&Key::new("ttl").unwrap()].is_missing());
    assert!(got.values[&Key::new("bulk-ttl").unwrap()].is_missing());
    assert_eq!(
        got.values[&Key::new("abs").unwrap()].as_text(),
        Some("long")
    );
    assert!(e.emu.entry(ACCOUNT, &nsid, "ttl").is_none());

    // At the absolute time those go too.
    e.emu.set_now(now + 120);
    assert_eq!(ns.get("abs").unwrap(), None);
    assert_eq!(ns.get("bulk-abs").unwrap(), None);
    let names: Vec<String> = ns.keys().map(|k| k.unwrap().name.into_string()).collect();
    assert_eq!(names, ["expiration", "forever"]);
    e.emu.advance(Duration::from_secs(10_000));
    let names: Vec<String> = ns.keys().map(|k| k.unwrap().name.into_string()).collect();
    assert_eq!(names, ["forever"]);

    // An absolute time in the past is the server's call (the client has no clock): a 400
    // with code 10034, not retried.
    let now = e.emu.now();
    e.emu.clear_requests();
    let err = ns
        .put_with("past", "v")
        .expire_at(now - 10)
        .send()
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err:?}");
    assert!(err.has_code(10034), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(e.emu.requests().len(), 1);
    assert!(e.emu.entry(ACCOUNT, &nsid, "past").is_none());

    // A TTL under 60 s is refused before sending.
    e.emu.clear_requests();
    assert!(
        ns.put_with("x", "v")
            .ttl(59)
            .send()
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(e.emu.requests().is_empty());
}

fn bulk_trio_small(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("bulk-small");
    let items: Vec<_> = (0..250)
        .map(|i| {
            let item = BulkWriteItem::text(
                Key::new(format!("k{i:03}")).unwrap(),
                format!("{{\"n\":{i}}}"),
            )
            .unwrap();
            if i % 2 == 0 {
                item.metadata(Metadata::new(json!({"even": i})).unwrap())
            } else {
                item
            }
        })
        .collect();
    let written = ns.bulk_write(items).batch_size(100).run().unwrap();
    assert!(written.is_success());
    assert_eq!(
        (written.requested, written.succeeded, written.requests_sent),
        (250, 250, 3)
    );
    assert_eq!(e.stored_count(&ns), 250);
    assert_eq!(
        e.emu
            .entry(ACCOUNT, ns.id().as_str(), "k010")
            .unwrap()
            .metadata,
        Some(json!({"even": 10}))
    );

    // Text, JSON and with-metadata reads; missing keys are reported as missing.
    let keys: Vec<String> = (0..260).map(|i| format!("k{i:03}")).collect();
    let text = ns.bulk_get(&keys).run().unwrap();
    assert!(text.is_success());
    assert_eq!(text.requests_sent, 3);
    assert_eq!(text.values.len(), 260);
    assert_eq!(
        text.values[&Key::new("k007").unwrap()].as_text(),
        Some("{\"n\":7}")
    );
    assert_eq!(text.values.values().filter(|v| v.is_missing()).count(), 10);
    let as_json = ns
        .bulk_get(&keys[..5])
        .json()
        .with_metadata()
        .run()
        .unwrap();
    let v = &as_json.values[&Key::new("k004").unwrap()];
    assert_eq!(v.as_json(), Some(&json!({"n": 4})));
    assert_eq!(v.metadata(), Some(&json!({"even": 4})));
    assert_eq!(
        as_json.values[&Key::new("k003").unwrap()],
        BulkValue::WithMetadata {
            value: BulkPayload::Json(json!({"n": 3})),
            metadata: None,
            expiration: None,
        }
    );
    let plain_json = ns.bulk_get(["k001", "k999"]).json().run().unwrap();
    assert_eq!(
        plain_json.values[&Key::new("k001").unwrap()],
        BulkValue::Json(json!({"n": 1}))
    );
    assert!(plain_json.values[&Key::new("k999").unwrap()].is_missing());

    // A stored JSON `null` is not a missing key, with or without metadata.
    ns.put("k-null", "null").unwrap();
    let nulls = ns.bulk_get(["k-null", "k999"]).json().run().unwrap();
    assert_eq!(
        nulls.values[&Key::new("k-null").unwrap()],
        BulkValue::Json(serde_json::Value::Null)
    );
    assert!(nulls.values[&Key::new("k999").unwrap()].is_missing());
    let nulls = ns
        .bulk_get(["k-null", "k999"])
        .json()
        .with_metadata()
        .run()
        .unwrap();
    assert_eq!(
        nulls.values[&Key::new("k-null").unwrap()].as_json(),
        Some(&serde_json::Value::Null)
    );
    assert!(nulls.values[&Key::new("k999").unwrap()].is_missing());
    ns.delete("k-null").unwrap();

    // Duplicates are read once.
    let dup = ns.bulk_get(["k001", "k001", "k002"]).run().unwrap();
    assert_eq!((dup.requested, dup.duplicates, dup.values.len()), (2, 1, 2));

    // Delete, with the legacy method for half.
    let (a, b) = keys.split_at(130);
    let del = ns.bulk_delete(a).run().unwrap();
    assert!(del.is_success());
    assert_eq!(del.succeeded, 130);
    let del = ns.bulk_delete(b).legacy_delete_method().run().unwrap();
    assert!(del.is_success());
    assert_eq!(e.stored_count(&ns), 0);
}
