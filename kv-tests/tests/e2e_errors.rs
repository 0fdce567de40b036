//! End-to-end contract suite, part 2: the documented errors surface as the right error kinds,
//! and invalid input is refused before anything reaches the wire. Each test runs over the ureq
//! transport and over the hand-written `TcpStream` transport, each with its own emulator.

mod e2e_common;

use e2e_common::{ACCOUNT, Stack, TOKEN, client_for, env, env_with};
use kv_tests::EmulatorConfig;
use kv_ureq::http;
use kv_ureq::kv_proto::{GetValue, codes};
use kv_ureq::{
    AccountId, Auth, BulkWriteItem, Client, Endpoint, Error, ErrorKind, Key, NamespaceId, Operation,
};
use serde_json::json;

contract_tests!(
    missing_key,
    deleted_namespace,
    unknown_and_malformed_namespace_ids,
    duplicate_title,
    auth_failure_with_wrong_token,
    auth_with_api_key,
    invalid_input_is_never_sent,
    bulk_get_over_25_mib_is_413,
    response_over_the_operation_cap,
);

fn missing_key(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("missing");
    // The strict read (one-shot `execute` of a kv-proto op) is an error ...
    let err = e
        .client
        .execute(&GetValue::new(ns.id().clone(), Key::new("nope").unwrap()))
        .unwrap_err();
    assert!(err.is_key_not_found(), "{err}");
    assert!(err.is_not_found() && !err.is_namespace_not_found());
    assert!(!err.is_retryable());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(err.ray_id().is_some_and(|r| r.ends_with("-EMU")), "{err:?}");
    // ... the handle's read is None, metadata is an error.
    assert_eq!(ns.get("nope").unwrap(), None);
    assert!(ns.metadata("nope").unwrap_err().is_key_not_found());
}

fn deleted_namespace(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("doomed");
    ns.put("k", "v").unwrap();
    e.client.delete_namespace(ns.id()).unwrap();
    assert!(e.emu.namespace(ACCOUNT, ns.id().as_str()).is_none());

    let check = |what: &str, err: &Error| {
        assert!(err.is_namespace_not_found(), "{what}: {err}");
        assert!(!err.is_key_not_found(), "{what}");
        assert!(!err.is_retryable(), "{what}");
    };
    // A missing namespace is an error even where a missing key is not.
    check("get", &ns.get("k").unwrap_err());
    check("put", &ns.put("k", "v").unwrap_err());
    check("delete", &ns.delete("k").unwrap_err());
    check("metadata", &ns.metadata("k").unwrap_err());
    check("info", &ns.info().unwrap_err());
    check(
        "delete namespace",
        &e.client.delete_namespace(ns.id()).unwrap_err(),
    );
    check(
        "rename",
        &e.client.rename_namespace(ns.id(), "x").unwrap_err(),
    );
    let mut keys = ns.keys();
    check("keys", &keys.next().unwrap().unwrap_err());
    assert!(keys.next().is_none(), "an error ends the iteration");

    // Bulk jobs name every key with the error.
    let items: Vec<_> = (0..3)
        .map(|i| BulkWriteItem::text(Key::new(format!("k{i}")).unwrap(), "v").unwrap())
        .collect();
    let report = ns.bulk_write(items).run().unwrap();
    assert!(!report.is_success());
    assert_eq!(report.failed.len(), 3);
    for f in &report.failed {
        check("bulk write", &f.error);
    }
    let report = ns.bulk_get(["a", "b"]).run().unwrap();
    assert_eq!(report.failed_keys().collect::<Vec<_>>().len(), 2);
    check("bulk get", &report.failed[0].error);
    let report = ns.bulk_delete(["a"]).run().unwrap();
    check("bulk delete", &report.failed[0].error);
}

fn unknown_and_malformed_namespace_ids(stack: Stack) {
    let e = env(stack);
    // Well-formed (32 hex) but never created: not found.
    let unknown = "0123456789abcdef0123456789abcdef";
    let err = e.client.get_namespace(unknown).unwrap_err();
    assert!(err.is_namespace_not_found(), "{err}");
    assert!(
        e.client
            .namespace(unknown)
            .unwrap()
            .get("k")
            .unwrap_err()
            .is_namespace_not_found()
    );
    // Valid for the client ([0-9A-Za-z], <= 32) but not an id the server accepts: the
    // server's 10011 comes back as an API error with that code, not retried.
    e.emu.clear_requests();
    let err = e.client.get_namespace("zzzz").unwrap_err();
    assert!(err.has_code(codes::INVALID_NAMESPACE_ID), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(!err.is_retryable() && !err.is_namespace_not_found());
    assert_eq!(e.emu.requests().len(), 1, "not retried");
}

fn duplicate_title(stack: Stack) {
    let e = env(stack);
    let first = e.client.create_namespace("same-title").unwrap();
    let err = e.client.create_namespace("same-title").unwrap_err();
    assert!(err.has_code(codes::TITLE_EXISTS), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(e.emu.namespaces(ACCOUNT).len(), 1);
    // Renaming another namespace to a taken title is refused the same way.
    let second = e.client.create_namespace("other-title").unwrap();
    let err = e
        .client
        .rename_namespace(&second.id, "same-title")
        .unwrap_err();
    assert!(err.has_code(codes::TITLE_EXISTS), "{err:?}");
    assert_eq!(
        e.client.get_namespace(&first.id).unwrap().title,
        "same-title"
    );
    assert_eq!(
        e.client.get_namespace(&second.id).unwrap().title,
        "other-title"
    );
}

fn auth_failure_with_wrong_token(stack: Stack) {
    let e = env_with(stack, EmulatorConfig::default().token("right-token-123"));
    // `e.client` sends TOKEN, which this emulator does not accept.
    assert_ne!(TOKEN, "right-token-123");
    let err = e.client.create_namespace("nope").unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert!(err.has_code(codes::AUTH));
    assert!(!err.is_retryable());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(e.emu.requests().len(), 1, "auth failures are not retried");
    // The token is never echoed in the error.
    for shown in [
        err.to_string(),
        format!("{err:?}"),
        format!("{:?}", e.client),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }
    assert!(e.emu.namespaces(ACCOUNT).is_empty());
    let mut listing = e.client.namespaces();
    assert!(listing.next().unwrap().unwrap_err().is_auth());

    // The right token works.
    let good = client_for(&e.emu, stack, "right-token-123");
    let ns = good.create_namespace("yes").unwrap();
    // A handle of the wrong client on an existing namespace: still auth, not not-found.
    let wrong = e.client.namespace(&ns.id).unwrap();
    let err = wrong.get("k").unwrap_err();
    assert!(err.is_auth() && !err.is_not_found(), "{err}");
}

fn auth_with_api_key(stack: Stack) {
    let e = env_with(
        stack,
        EmulatorConfig::default().api_key("me@example.com", "global-key-1"),
    );
    let build = |email: &str, key: &str| {
        let b = Client::builder(
            Auth::api_key(email, key).unwrap(),
            AccountId::new(ACCOUNT).unwrap(),
        )
        .base_url(e.emu.base_url());
        match stack {
            Stack::Ureq => b,
            Stack::Custom => b.transport(e2e_common::transport::send),
        }
        .build()
        .unwrap()
    };
    let good = build("me@example.com", "global-key-1");
    good.create_namespace("api-key").unwrap();
    let bad = build("me@example.com", "global-key-2");
    let err = bad.create_namespace("api-key-2").unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert!(!format!("{err:?}").contains("global-key-2"));
    // Bearer tokens are refused when the emulator expects a key pair.
    assert!(e.client.create_namespace("t").unwrap_err().is_auth());
}

fn invalid_input_is_never_sent(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("valid");
    e.emu.clear_requests();
    let c = &e.client;

    let mut errors: Vec<(&str, Error)> = vec![
        ("empty key", ns.put("", "v").unwrap_err()),
        ("dot key", ns.get(".").unwrap_err()),
        ("dotdot key", ns.delete("..").unwrap_err()),
        ("513-byte key", ns.put("k".repeat(513), "v").unwrap_err()),
        (
            "513-byte utf8 key",
            ns.get(format!("{}a", "é".repeat(256))).unwrap_err(),
        ),
        (
            "value over 25 MiB",
            ns.put("big", vec![0u8; 26_214_401]).unwrap_err(),
        ),
        ("ttl 59", ns.put_with("k", "v").ttl(59).send().unwrap_err()),
        (
            "metadata 1025 bytes",
            ns.put_with("k", "v")
                .metadata(json!({"x": "y".repeat(1020)}))
                .send()
                .unwrap_err(),
        ),
        ("namespace id with dash", c.namespace("bad-id").unwrap_err()),
        (
            "namespace id too long",
            c.get_namespace("a".repeat(33)).unwrap_err(),
        ),
        ("path traversal id", c.delete_namespace("../x").unwrap_err()),
        ("empty title", c.create_namespace("").unwrap_err()),
        (
            "title over 512 chars",
            c.create_namespace("t".repeat(513)).unwrap_err(),
        ),
        (
            "list limit 5",
            ns.keys().limit(5).next().unwrap().unwrap_err(),
        ),
        (
            "list limit 1001",
            ns.keys().limit(1001).next().unwrap().unwrap_err(),
        ),
        (
            "per_page 4",
            c.namespaces().per_page(4).next().unwrap().unwrap_err(),
        ),
        (
            "bulk concurrency 0",
            ns.bulk_get(["a"]).concurrency(0).run().unwrap_err(),
        ),
        (
            "bulk get batch over 100",
            ns.bulk_get(["a"]).batch_size(101).run().unwrap_err(),
        ),
    ];
    errors.push((
        "bulk item over 25 MiB",
        BulkWriteItem::binary(Key::new("b").unwrap(), &vec![0u8; 26_214_401]).unwrap_err(),
    ));
    for (what, err) in &errors {
        assert!(err.is_invalid_input(), "{what}: {err:?}");
        assert!(!err.is_retryable(), "{what}");
    }
    assert!(
        e.emu.requests().is_empty(),
        "sent: {:?}",
        e.emu.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );

    // Bulk jobs drop invalid strings (named in the report) and send the rest.
    let report = ns.bulk_delete(["ok-1", "", "..", "ok-2"]).run().unwrap();
    assert_eq!(report.succeeded, 2);
    let rejected: Vec<(&str, u32)> = report
        .failed
        .iter()
        .map(|r| (r.key.as_str(), r.attempts))
        .collect();
    assert_eq!(rejected, [("", 0), ("..", 0)]);
    assert!(!report.is_success());
    let sent = e.emu.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path.rsplit('/').take(2).collect::<Vec<_>>(),
        ["delete", "bulk"]
    );
}

fn bulk_get_over_25_mib_is_413(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("big-bulk-get");
    let nsid = ns.id().as_str();
    // Seeded through the emulator's own API (no 13 MiB uploads needed).
    let half = 13 * 1024 * 1024;
    for k in ["big-1", "big-2"] {
        e.emu
            .put_entry(
                ACCOUNT,
                nsid,
                k,
                kv_tests::StoredEntry::new(vec![b'a'; half]),
            )
            .unwrap();
    }
    // Together they exceed 25 MiB: the server answers 413, reported on both keys.
    e.emu.clear_requests();
    let report = ns.bulk_get(["big-1", "big-2"]).run().unwrap();
    assert!(!report.is_success());
    assert_eq!(report.failed.len(), 2);
    let err = &report.failed[0].error;
    assert!(err.is_too_large(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(413));
    assert!(!err.is_retryable());
    assert_eq!(e.emu.requests().len(), 1, "a 413 is not retried");
    // Either key alone gets through.
    let report = ns.bulk_get(["big-2"]).run().unwrap();
    assert!(report.is_success());
    let big = &report.values[&Key::new("big-2").unwrap()];
    assert_eq!(big.as_text().map(str::len), Some(half));
}

/// GetValue with a smaller response cap, to see the transport enforce it.
struct Capped(GetValue, u64);

impl Operation for Capped {
    type Output = <GetValue as Operation>::Output;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        self.0.request(endpoint)
    }

    fn max_response_bytes(&self) -> u64 {
        self.1
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Self::Output, Error> {
        self.0.parse(response)
    }
}

fn response_over_the_operation_cap(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("cap");
    ns.put("k", vec![7u8; 1000]).unwrap();
    let get = GetValue::new(
        NamespaceId::new(ns.id().as_str()).unwrap(),
        Key::new("k").unwrap(),
    );
    assert_eq!(
        e.client
            .execute(&Capped(get.clone(), 1000))
            .unwrap()
            .bytes
            .len(),
        1000
    );
    let err = e.client.execute(&Capped(get, 999)).unwrap_err();
    assert!(err.is_too_large(), "{err:?}");
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { limit: 999 }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}
