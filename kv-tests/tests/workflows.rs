//! Whole-namespace workflows through the emulator: export, import, copy, purge, typed JSON.
//!
//! The round trips check emulator state directly (keys, exact bytes, metadata, expiration).
//! The NDJSON round trip uses 100,000 keys; the wrangler-format and copy round trips use
//! 20,000 in the default suite, and `cargo test -p kv-tests --test workflows -- --ignored`
//! runs them with 100,000 too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kv_proto::{
    KeyInfo, KeyPage, ListKeys, NamespaceId, Plan, Poll, workflow::ExportConfig,
    workflow::ExportOp, workflow::ExportOutput, workflow::ExportPlan,
};
use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan, StoredEntry};
use kv_ureq::records::KeyListReader;
use kv_ureq::{AccountId, Auth, BulkWriteItem, Client, Key, PlanConfig, RetryPolicy};
use serde_json::json;

const ACCOUNT: &str = "acct";
const OTHER_ACCOUNT: &str = "other";

fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.worker_threads(2)).expect("the emulator starts")
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_base_delay(Duration::from_millis(2))
        .with_max_delay(Duration::from_millis(20))
        .with_min_rate_limited_delay(Duration::from_millis(2))
}

fn client(emu: &Emulator, account: &str) -> Client {
    Client::builder(
        Auth::api_token("test-token").expect("token"),
        AccountId::new(account).expect("account"),
    )
    .base_url(emu.base_url())
    .proxy(kv_ureq::ProxyConfig::Disabled)
    .retry_policy(fast_retries(10))
    .concurrency(4)
    .build()
    .expect("client")
}

/// Key `i`'s entry: text (some with a real U+FFFD), binary (invalid UTF-8), metadata on
/// every third key, an expiration on every fifth.
fn entry(i: usize, now: u64) -> StoredEntry {
    let mut e = match i % 7 {
        0 => StoredEntry::new(vec![0xff, 0xfe, (i % 256) as u8, 0x80, b'x']),
        1 => StoredEntry::new(format!("text \u{FFFD} real replacement char {i}")),
        2 => StoredEntry::new(Vec::new()),
        3 => StoredEntry::new(format!(
            "{{\"n\":{i},\"s\":\"quote \\\" and \\\\ and \\n\"}}"
        )),
        _ => StoredEntry::new(format!("value {i} héllo 🙂")),
    };
    if i.is_multiple_of(3) {
        e = e.with_metadata(json!({"i": i, "tag": "m"}));
    }
    if i.is_multiple_of(5) {
        e = e.with_expiration(now + 86_400 + i as u64);
    }
    e
}

fn key(i: usize) -> String {
    format!("k/{i:07}")
}

fn seed(emu: &Emulator, ns: &str, n: usize) {
    let now = emu.now();
    for i in 0..n {
        emu.put_entry(ACCOUNT, ns, &key(i), entry(i, now))
            .expect("seeded");
    }
}

/// The two namespaces hold the same keys with the same bytes, metadata and expiration.
fn assert_identical(emu: &Emulator, (acct_a, a): (&str, &str), (acct_b, b): (&str, &str)) {
    let keys_a = emu.keys(acct_a, a).expect("a");
    let keys_b = emu.keys(acct_b, b).expect("b");
    assert_eq!(keys_a.len(), keys_b.len(), "key counts differ");
    assert_eq!(keys_a, keys_b, "key sets differ");
    for k in &keys_a {
        let (ea, eb) = (emu.entry(acct_a, a, k), emu.entry(acct_b, b, k));
        assert_eq!(ea, eb, "entry {k:?} differs");
    }
}

fn round_trip_ndjson(n: usize) {
    let emu = emulator(EmulatorConfig::default());
    let src = emu.create_namespace(ACCOUNT, "src").expect("ns");
    let dst = emu.create_namespace(ACCOUNT, "dst").expect("ns");
    seed(&emu, &src, n);
    let client = client(&emu, ACCOUNT);
    let (s, d) = (
        client.namespace(src.as_str()).expect("id"),
        client.namespace(dst.as_str()).expect("id"),
    );

    let started = Instant::now();
    let mut file = Vec::new();
    let mut last_total = 0;
    let export = s
        .export()
        .concurrency(4)
        .on_progress(|p| last_total = p.total_known)
        .to_ndjson(&mut file)
        .expect("export runs");
    assert!(export.is_success(), "{:?}", export.failed.first());
    assert_eq!((export.listed, export.exported), (n as u64, n as u64));
    assert!(export.vanished.is_empty());
    assert_eq!(last_total, n as u64);
    // Binary values and text with a real U+FFFD are re-read exactly.
    assert_eq!(
        export.refetched,
        (0..n).filter(|i| i % 7 <= 1).count() as u64
    );
    let lines = file
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(lines, n);
    eprintln!(
        "export of {n}: {:?}, {} requests",
        started.elapsed(),
        export.requests_sent
    );

    let started = Instant::now();
    let size = file.len() as u64;
    let mut bytes_seen = 0;
    let import = d
        .import(&file[..])
        .concurrency(4)
        .on_bytes_read(|b| bytes_seen = b)
        .run()
        .expect("import runs");
    assert!(import.is_success(), "{:?}", import.bulk.failed.first());
    assert_eq!(
        (import.records_read, import.bulk.succeeded),
        (n as u64, n as u64)
    );
    assert_eq!(import.bytes_read, size);
    assert!(bytes_seen > 0 && bytes_seen <= size);
    eprintln!("import of {n}: {:?}", started.elapsed());

    assert_identical(&emu, (ACCOUNT, &src), (ACCOUNT, &dst));
}

/// The full round trip of the issue: 100,000 keys (about 40 s in debug, so it stays in the
/// default suite).
#[test]
fn export_ndjson_then_import_is_identical_100k() {
    round_trip_ndjson(100_000);
}

fn round_trip_wrangler(n: usize) {
    let emu = emulator(EmulatorConfig::default());
    let src = emu.create_namespace(ACCOUNT, "src").expect("ns");
    let dst = emu.create_namespace(ACCOUNT, "dst").expect("ns");
    seed(&emu, &src, n);
    let client = client(&emu, ACCOUNT);
    let s = client.namespace(src.as_str()).expect("id");
    let d = client.namespace(dst.as_str()).expect("id");
    let mut file = Vec::new();
    let export = s.export().to_wrangler_json(&mut file).expect("export");
    assert!(export.is_success());
    assert_eq!(file.first(), Some(&b'['));
    let import = d.import(&file[..]).run().expect("import");
    assert!(import.is_success(), "{:?}", import.bulk.failed.first());
    assert_eq!(import.records_read, n as u64);
    assert_identical(&emu, (ACCOUNT, &src), (ACCOUNT, &dst));
}

#[test]
fn export_wrangler_json_then_import_is_identical() {
    round_trip_wrangler(20_000);
}

#[test]
#[ignore = "100,000 keys; run with --ignored"]
fn export_wrangler_json_then_import_is_identical_100k() {
    round_trip_wrangler(100_000);
}

fn round_trip_copy(n: usize) {
    let emu = emulator(EmulatorConfig::default());
    let src = emu.create_namespace(ACCOUNT, "src").expect("ns");
    let dst = emu.create_namespace(OTHER_ACCOUNT, "dst").expect("ns");
    seed(&emu, &src, n);
    // Another client: another account.
    let (a, b) = (client(&emu, ACCOUNT), client(&emu, OTHER_ACCOUNT));
    let s = a.namespace(src.as_str()).expect("id");
    let d = b.namespace(dst.as_str()).expect("id");
    let report = s.copy_to(&d).concurrency(4).run().expect("copy runs");
    assert!(report.is_success(), "{:?}", report.import.failed.first());
    assert_eq!(
        (report.export.exported, report.import.succeeded),
        (n as u64, n as u64)
    );
    assert_identical(&emu, (ACCOUNT, &src), (OTHER_ACCOUNT, &dst));
}

#[test]
fn copy_to_another_account_is_identical() {
    round_trip_copy(20_000);
}

#[test]
#[ignore = "100,000 keys; run with --ignored"]
fn copy_to_another_account_is_identical_100k() {
    round_trip_copy(100_000);
}

#[test]
fn copy_and_export_by_prefix() {
    let emu = emulator(EmulatorConfig::default());
    let src = emu.create_namespace(ACCOUNT, "src").expect("ns");
    let dst = emu.create_namespace(ACCOUNT, "dst").expect("ns");
    for i in 0..300u32 {
        let k = if i.is_multiple_of(2) {
            format!("a:{i}")
        } else {
            format!("b:{i}")
        };
        emu.put_entry(ACCOUNT, &src, &k, StoredEntry::new(format!("{i}")))
            .expect("seed");
    }
    let client = client(&emu, ACCOUNT);
    let s = client.namespace(src.as_str()).expect("id");
    let d = client.namespace(dst.as_str()).expect("id");
    let report = s.copy_to(&d).prefix("a:").run().expect("copy");
    assert_eq!(report.import.succeeded, 150);
    let keys = emu.keys(ACCOUNT, &dst).expect("keys");
    assert_eq!(keys.len(), 150);
    assert!(keys.iter().all(|k| k.starts_with("a:")));

    let mut names = Vec::new();
    let export = s
        .export()
        .prefix("b:")
        .for_each(|r| {
            names.push(r.key);
            Ok(())
        })
        .expect("export");
    assert_eq!(export.exported, 150);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "records come in key order");
}

#[test]
fn purge_by_prefix_removes_exactly_those_keys_under_faults() {
    let plan = FaultPlan::new(0x9e3779b9, 0.2)
        .with_mix([
            (FaultKind::TooManyRequests, 1),
            (FaultKind::InternalServerError, 1),
            (FaultKind::BadGateway, 1),
            (FaultKind::ServiceUnavailable, 1),
            (FaultKind::DropConnection, 1),
            (FaultKind::PartialBulk, 3),
        ])
        .retry_after_secs(0)
        .partial_fraction(0.5);
    let emu = emulator(EmulatorConfig::default());
    let ns = emu.create_namespace(ACCOUNT, "purge").expect("ns");
    for i in 0..5_000 {
        let k = match i % 3 {
            0 => format!("tmp:{i:05}"),
            1 => format!("keep:{i:05}"),
            _ => format!("tmp{i:05}"), // shares the "tmp" start but not the prefix "tmp:"
        };
        emu.put_entry(ACCOUNT, &ns, &k, StoredEntry::new("v"))
            .expect("seed");
    }
    let expected: Vec<String> = emu
        .keys(ACCOUNT, &ns)
        .expect("keys")
        .into_iter()
        .filter(|k| !k.starts_with("tmp:"))
        .collect();
    emu.set_faults(plan);
    let client = client(&emu, ACCOUNT);
    let handle = client.namespace(ns.as_str()).expect("id");
    let mut exhausted_total = None;
    let report = handle
        .purge()
        .prefix("tmp:")
        .config(
            PlanConfig::default()
                .with_max_batch_items(50)
                .with_max_key_attempts(20)
                .with_backoff(fast_retries(20)),
        )
        .concurrency(4)
        .on_progress(|p| {
            if p.exhausted {
                exhausted_total = Some(p.total_known);
            }
        })
        .run()
        .expect("purge runs");
    let faults = emu.faults_injected();
    assert!(faults > 0);
    emu.clear_faults();
    assert!(
        report.is_success(),
        "{:?} {:?}",
        report.listing_error,
        report.bulk.failed.first()
    );
    let tmp = (0..5_000u32).filter(|i| i.is_multiple_of(3)).count() as u64;
    assert_eq!((report.listed, report.bulk.succeeded), (tmp, tmp));
    assert_eq!(exhausted_total, Some(tmp));
    eprintln!(
        "purge: {faults} faults injected, {} keys re-sent after partial answers",
        report.bulk.retries
    );
    assert_eq!(emu.keys(ACCOUNT, &ns).expect("keys"), expected);
}

#[test]
fn purge_everything_and_bulk_delete_from_a_key_listing() {
    let emu = emulator(EmulatorConfig::default());
    let ns = emu.create_namespace(ACCOUNT, "purge").expect("ns");
    for i in 0..2_500 {
        emu.put_entry(ACCOUNT, &ns, &key(i), StoredEntry::new("v"))
            .expect("seed");
    }
    let client = client(&emu, ACCOUNT);
    let handle = client.namespace(ns.as_str()).expect("id");

    // `wrangler kv key list` output: objects with "name", plus one broken entry.
    let listing = br#"[{"name": "k/0000000", "expiration": 1900000000}, "k/0000001", {"nom": "x"}, {"name": "k/0000002", "metadata": {"v": 1}}]"#;
    let report = handle
        .bulk_delete(KeyListReader::new(&listing[..]))
        .run()
        .expect("runs");
    assert_eq!(
        (report.requested, report.succeeded, report.failed.len()),
        (4, 3, 1)
    );
    assert_eq!(report.failed[0].attempts, 0);
    assert_eq!(emu.key_count(ACCOUNT, &ns), Ok(2_497));

    let report = handle.purge().run().expect("purge");
    assert!(report.is_success());
    assert_eq!(report.listed, 2_497);
    assert_eq!(emu.key_count(ACCOUNT, &ns), Ok(0));
}

#[test]
fn import_reports_invalid_records_by_position_and_writes_the_rest() {
    let emu = emulator(EmulatorConfig::default());
    let ns = emu.create_namespace(ACCOUNT, "imp").expect("ns");
    let client = client(&emu, ACCOUNT);
    let handle = client.namespace(ns.as_str()).expect("id");
    let file = concat!(
        "{\"key\":\"a\",\"value\":\"1\",\"metadata\":{\"v\":1},\"expiration_ttl\":3600}\n",
        "{\"key\":\"b\",\"value\":\"2\",\"expiration_ttl\":5}\n",
        "\n",
        "{\"key\":\"c\",\"value\":\"AP8=\",\"base64\":true}\n",
        "{\"key\":\"d\",\"value\":\"!!\",\"base64\":true}\n",
        "{\"key\":\"e\",\"valu\":\"x\"}\n",
        "{\"key\":\"f\",\"value\":\"6\"}\n",
    );
    let report = handle.import(file.as_bytes()).run().expect("runs");
    assert_eq!(report.records_read, 6);
    assert_eq!(report.bulk.succeeded, 3);
    let failed: HashMap<&str, String> = report
        .bulk
        .failed
        .iter()
        .map(|f| {
            assert_eq!(f.attempts, 0);
            (f.key.as_str(), f.error.to_string())
        })
        .collect();
    assert!(
        failed["<record 2>"].contains("record 2 (line 2)"),
        "{failed:?}"
    );
    assert!(
        failed["<record 4>"].contains("record 4 (line 5)"),
        "{failed:?}"
    );
    assert!(
        failed["<record 5>"].contains("record 5 (line 6)"),
        "{failed:?}"
    );
    let a = emu.entry(ACCOUNT, &ns, "a").expect("a");
    assert_eq!(
        (a.value.as_slice(), a.metadata),
        (&b"1"[..], Some(json!({"v": 1})))
    );
    assert!(a.expiration.is_some());
    assert_eq!(emu.entry(ACCOUNT, &ns, "c").expect("c").value, [0x00, 0xff]);
    assert!(emu.entry(ACCOUNT, &ns, "f").is_some());
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Clone)]
struct User {
    name: String,
    age: u32,
}

#[test]
fn typed_bulk_get_one_bad_value_among_100_is_one_error() {
    let emu = emulator(EmulatorConfig::default().log_bodies(true));
    let ns = emu.create_namespace(ACCOUNT, "typed").expect("ns");
    let client = client(&emu, ACCOUNT);
    let handle = client.namespace(ns.as_str()).expect("id");
    let items = (0..100).map(|i| {
        let user = User {
            name: format!("user {i}"),
            age: i,
        };
        BulkWriteItem::json(Key::new(format!("u{i:03}")).expect("key"), &user).expect("json")
    });
    let write = handle.bulk_write(items).run().expect("write");
    assert_eq!(write.succeeded, 100);
    handle.put("u042", "{not json: secret}").expect("put");
    handle
        .put_json(
            "u007",
            &User {
                name: "Seven".into(),
                age: 7,
            },
        )
        .expect("put_json");

    emu.clear_requests();
    let report = handle
        .bulk_get((0..100).map(|i| format!("u{i:03}")))
        .typed::<User>()
        .with_metadata()
        .run()
        .expect("runs");
    assert_eq!(report.requests_sent, 1, "one request of 100 keys");
    let body = emu.requests()[0].body.clone().unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&body).contains("\"json\""),
        "type text, not json"
    );
    assert_eq!(report.values.len(), 99);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].key, "u042");
    let message = report.failed[0].error.to_string();
    assert!(message.contains("`values.u042`"), "{message}");
    assert!(
        !message.contains("secret"),
        "the value is not quoted: {message}"
    );
    assert_eq!(report.values[&Key::new("u007").expect("key")].name, "Seven");
    assert_eq!(report.values[&Key::new("u099").expect("key")].age, 99);
}

/// An export keeps every listed key: one deleted between the list and the get is reported
/// vanished (after a single GET confirms it), not dropped and not failed.
#[test]
fn export_plan_reports_vanished_keys() {
    let mut plan = ExportPlan::new(
        ListKeys::new(NamespaceId::new("ns1").expect("id")),
        ExportConfig::default(),
    )
    .expect("plan");
    let info = |n: &str| KeyInfo {
        name: kv_proto::Key::new(n).expect("key"),
        expiration: Some(1_900_000_000),
        metadata: Some(json!({"m": n})),
    };
    let mut records = Vec::new();
    loop {
        match plan.poll(Instant::now()) {
            Poll::Send(t, ExportOp::List(_)) => plan.handle(
                t,
                Ok(ExportOutput::List(KeyPage {
                    keys: vec![info("a"), info("gone"), info("z")],
                    cursor: None,
                    count: None,
                }))
                .into(),
            ),
            Poll::Send(t, ExportOp::Get(op)) => {
                let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":"1","metadata":{"m":"a"},"expiration":1900000000},"gone":null,"z":{"value":"26","metadata":null}}}}"#;
                plan.handle(
                    t,
                    kv_proto::Operation::parse(&op, kv_proto::http::Response::new(&body[..]))
                        .map(ExportOutput::Get)
                        .into(),
                );
            }
            Poll::Send(t, ExportOp::Value(op)) => {
                assert_eq!(op.key().as_str(), "gone");
                plan.handle(t, Ok(ExportOutput::Value(None)).into());
            }
            Poll::Done => break,
            other => panic!("unexpected {other:?}"),
        }
        records.extend(plan.take_records());
    }
    let report = plan.finish();
    assert_eq!(report.vanished, ["gone"]);
    assert!(report.failed.is_empty());
    assert_eq!(
        records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["a", "z"]
    );
    // The listing's metadata and expiration fill in what the bulk get left out.
    assert_eq!(records[1].metadata, Some(json!({"m": "z"})));
    assert_eq!(records[1].expiration, Some(1_900_000_000));
}
