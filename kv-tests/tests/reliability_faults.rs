//! Faults survived, nothing lost: kv-ureq's bulk jobs and listing against the emulator's fault
//! plan, with the end state checked through the emulator's own inspection API (never through
//! the client).
//!
//! Seeded: `KV_FAULT_SEED=<u64>` replays a run (default: a fixed seed); every assertion
//! message names the seed. With concurrency 1 the emulator sees the same arrival order on
//! every run, so the same seed gives the same faults and the same report (checked below).

mod rel_common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan, StoredEntry};
use kv_ureq::{BulkValue, BulkWriteItem, Client, Key, Metadata, PlanConfig};
use rel_common::{ACCOUNT, builder, emulator, fast_retries, namespace, seed};
use serde_json::{Value, json};

/// How to replay a run, for every assertion message.
fn replay(seed: u64) -> String {
    format!("seed {seed} (replay with KV_FAULT_SEED={seed})")
}

/// The key, value and metadata of item `i`. Keys carry characters that need escaping in
/// JSON and would break a URL (`/ ? # % space`, non-ASCII); every tenth value is binary
/// (sent base64), the others are text with quotes, newlines and non-ASCII.
struct Spec {
    key: String,
    value: Vec<u8>,
    binary: bool,
    metadata: Value,
}

fn spec(i: usize) -> Spec {
    let key = if i.is_multiple_of(7) {
        format!("rel/{i:05}/ü ?#%2F\"")
    } else {
        format!("rel/{i:05}")
    };
    let binary = i.is_multiple_of(10);
    let value = if binary {
        (0..(i % 64 + 3))
            .map(|j| (i.wrapping_mul(31) + j * 97) as u8)
            .chain([0, 255, 128])
            .collect()
    } else {
        format!("value {i} ✓ \"q\"\n\\{}", "x".repeat(i % 50)).into_bytes()
    };
    Spec {
        key,
        value,
        binary,
        metadata: json!({"i": i, "tag": "rel", "nested": {"even": i.is_multiple_of(2)}}),
    }
}

fn item(s: &Spec) -> BulkWriteItem {
    let key = Key::new(s.key.clone()).expect("valid key");
    let item = if s.binary {
        BulkWriteItem::binary(key, &s.value)
    } else {
        BulkWriteItem::text(key, String::from_utf8(s.value.clone()).expect("utf-8"))
    }
    .expect("valid value");
    item.metadata(Metadata::new(s.metadata.clone()).expect("small metadata"))
}

/// The value a text bulk get returns for stored bytes (the emulator decodes lossily).
fn as_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fault_counts(emu: &Emulator) -> BTreeMap<FaultKind, usize> {
    let mut counts = BTreeMap::new();
    for r in emu.requests() {
        if let Some(f) = r.fault {
            *counts.entry(f).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn twenty_thousand_keys_survive_a_fifth_of_requests_failing() {
    const N: usize = 20_000;
    let seed = seed();
    let ctx = replay(seed);
    // About 20 % of requests fail, in every way: 429 with `Retry-After: 0`, 500 (JSON),
    // 502/503 (HTML), dropped connections, truncated bodies (processed first), answers slower
    // than the client's timeout (processed first), partial bulk answers (weighted up, as they
    // only apply to bulk write and delete).
    let plan = FaultPlan::new(seed, 0.2)
        .with_mix(FaultKind::ALL.map(|k| (k, if k == FaultKind::PartialBulk { 3 } else { 1 })))
        .retry_after_secs(0)
        .slow_delay(Duration::from_millis(1500))
        .partial_fraction(0.3);
    let emu = emulator(EmulatorConfig::default().faults(plan));
    let ns_id = namespace(&emu, "faults");
    let client = builder(emu.base_url())
        .request_timeout(Duration::from_millis(400))
        .retry_policy(fast_retries(20))
        .concurrency(4)
        .build()
        .expect("client");
    let ns = client.namespace(&ns_id).expect("namespace id");
    let plan_config = PlanConfig::default()
        .with_max_batch_items(250)
        .with_max_key_attempts(20)
        .with_backoff(fast_retries(20))
        .with_jitter_seed(seed);
    let get_config = PlanConfig::default()
        .with_max_key_attempts(20)
        .with_backoff(fast_retries(20))
        .with_jitter_seed(seed);
    let specs: Vec<Spec> = (0..N).map(spec).collect();

    // Bulk write.
    let write = ns
        .bulk_write(specs.iter().map(item).collect::<Vec<_>>())
        .config(plan_config.clone())
        .concurrency(4)
        .run()
        .expect("job runs");
    assert!(
        write.is_success(),
        "{ctx}: not written: {:?}",
        write
            .failed
            .iter()
            .take(5)
            .map(|f| (f.key.as_str(), f.error.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        (write.requested, write.succeeded),
        (N as u64, N as u64),
        "{ctx}"
    );
    assert!(write.retries > 0, "{ctx}: partial answers were re-sent");

    // End state, through the emulator's inspection API.
    assert_eq!(emu.key_count(ACCOUNT, &ns_id).unwrap(), N, "{ctx}");
    for s in &specs {
        let e = emu
            .entry(ACCOUNT, &ns_id, &s.key)
            .unwrap_or_else(|| panic!("{ctx}: {:?} is missing", s.key));
        assert!(e.value == s.value, "{ctx}: value of {:?} differs", s.key);
        assert_eq!(e.metadata.as_ref(), Some(&s.metadata), "{ctx}: {:?}", s.key);
        assert_eq!(e.expiration, None, "{ctx}: {:?}", s.key);
    }

    // Bulk get of every key, with metadata (100 keys per request, the API's limit).
    let read = ns
        .bulk_get(specs.iter().map(|s| s.key.as_str()))
        .with_metadata()
        .config(get_config)
        .run()
        .expect("job runs");
    assert!(
        read.is_success(),
        "{ctx}: not read: {:?}",
        read.failed_keys().take(5).collect::<Vec<_>>()
    );
    assert_eq!(read.values.len(), N, "{ctx}");
    for s in &specs {
        let v = &read.values[&Key::new(s.key.clone()).unwrap()];
        assert_eq!(
            v.as_text(),
            Some(as_text(&s.value).as_str()),
            "{ctx}: {:?}",
            s.key
        );
        assert_eq!(v.metadata(), Some(&s.metadata), "{ctx}: {:?}", s.key);
    }

    // Listing every key (pages retried one by one).
    let listed: Vec<kv_ureq::KeyInfo> = ns
        .keys()
        .prefix("rel/")
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{ctx}: listing failed: {e}"));
    let names: Vec<&str> = listed.iter().map(|k| k.name.as_str()).collect();
    let mut expected: Vec<&str> = specs.iter().map(|s| s.key.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(names.len(), N, "{ctx}: listed {} keys", names.len());
    assert!(names == expected, "{ctx}: listing differs (order or names)");
    for k in &listed {
        let i: usize = k.name.as_str()[4..9].parse().unwrap();
        assert_eq!(k.metadata.as_ref(), Some(&specs[i].metadata), "{ctx}");
    }

    // Bulk delete of every key.
    let delete = ns
        .bulk_delete(specs.iter().map(|s| s.key.as_str()))
        .config(plan_config)
        .run()
        .expect("job runs");
    assert!(
        delete.is_success(),
        "{ctx}: not deleted: {:?}",
        delete.failed_keys().take(5).collect::<Vec<_>>()
    );
    assert_eq!(delete.succeeded, N as u64, "{ctx}");
    assert_eq!(emu.key_count(ACCOUNT, &ns_id).unwrap(), 0, "{ctx}");
    assert!(emu.keys(ACCOUNT, &ns_id).unwrap().is_empty(), "{ctx}");

    // The run really met every kind of fault.
    let counts = fault_counts(&emu);
    for kind in FaultKind::ALL {
        assert!(
            counts.get(&kind).copied().unwrap_or(0) > 0,
            "{ctx}: no {kind} fault was injected ({counts:?}); pick another seed"
        );
    }
    eprintln!("{ctx}: {} requests, faults {counts:?}", emu.request_count());
}

/// Faults whose effect is certain: the request is not processed at all (429, 500, 502, 503,
/// dropped connection), or processed exactly as the 200 answer says (partial bulk answers).
fn unambiguous(seed: u64, rate: f64) -> FaultPlan {
    FaultPlan::new(seed, rate)
        .with_mix([
            (FaultKind::TooManyRequests, 1),
            (FaultKind::InternalServerError, 1),
            (FaultKind::BadGateway, 1),
            (FaultKind::ServiceUnavailable, 1),
            (FaultKind::DropConnection, 1),
            (FaultKind::PartialBulk, 3),
        ])
        .retry_after_secs(0)
        .partial_fraction(0.5)
}

/// A client that gives up quickly: 2 attempts per request, 2 sends per key. The timeout is
/// generous, so no answer is ever lost to it (that would make the outcome ambiguous).
fn impatient(emu: &Emulator, concurrency: usize) -> Client {
    builder(emu.base_url())
        .request_timeout(Duration::from_secs(30))
        .retry_policy(fast_retries(2))
        .concurrency(concurrency)
        .build()
        .expect("client")
}

/// Bulk settings for the impatient client: batches of 50, 2 sends per key. Re-queued keys
/// are re-sent without delay, so batches are formed the same way on every run whatever the
/// timing (a backoff would let fresh keys overtake them depending on the clock).
fn impatient_plan(seed: u64) -> PlanConfig {
    PlanConfig::default()
        .with_max_batch_items(50)
        .with_max_key_attempts(2)
        .with_backoff(fast_retries(2).with_base_delay(Duration::ZERO))
        .with_jitter_seed(seed)
}

struct WriteRun {
    failed: BTreeSet<String>,
    stored: BTreeSet<String>,
    faults: Vec<Option<FaultKind>>,
}

/// Writes `n` keys under a high unambiguous fault rate, one request at a time, and checks
/// that the report and the emulator agree key by key.
fn write_under_unambiguous_faults(seed: u64, n: usize) -> (Emulator, String, WriteRun) {
    let ctx = replay(seed);
    let emu = emulator(EmulatorConfig::default().faults(unambiguous(seed, 0.75)));
    let ns_id = namespace(&emu, "exhausted");
    let client = impatient(&emu, 1);
    let ns = client.namespace(&ns_id).unwrap();
    let specs: Vec<Spec> = (0..n).map(spec).collect();
    let report = ns
        .bulk_write(specs.iter().map(item).collect::<Vec<_>>())
        .config(impatient_plan(seed))
        .concurrency(1)
        .run()
        .unwrap();
    let all: BTreeSet<String> = specs.iter().map(|s| s.key.clone()).collect();
    let failed: BTreeSet<String> = report.failed_keys().map(str::to_owned).collect();
    let stored: BTreeSet<String> = emu.keys(ACCOUNT, &ns_id).unwrap().into_iter().collect();

    assert_eq!(report.requested, n as u64, "{ctx}");
    assert_eq!(
        failed.len(),
        report.failed.len(),
        "{ctx}: a key reported failed twice"
    );
    assert!(
        !failed.is_empty() && failed.len() < n,
        "{ctx}: the fault rate should fail some keys but not all ({} of {n} failed)",
        failed.len()
    );
    // Exact agreement: the keys reported failed are exactly the keys missing.
    let missing: BTreeSet<String> = all.difference(&stored).cloned().collect();
    assert!(
        failed == missing,
        "{ctx}: reported failed but stored: {:?}; missing but not reported: {:?}",
        failed.intersection(&stored).take(5).collect::<Vec<_>>(),
        missing.difference(&failed).take(5).collect::<Vec<_>>()
    );
    assert_eq!(report.succeeded as usize, stored.len(), "{ctx}");
    // What was stored is byte-exact.
    for s in specs.iter().filter(|s| stored.contains(&s.key)) {
        let e = emu.entry(ACCOUNT, &ns_id, &s.key).unwrap();
        assert!(e.value == s.value, "{ctx}: value of {:?}", s.key);
        assert_eq!(e.metadata.as_ref(), Some(&s.metadata), "{ctx}");
    }
    // Every failure says why: the last request error, or the server kept refusing the key.
    for f in &report.failed {
        assert!(
            f.attempts >= 1 && f.attempts <= 2,
            "{ctx}: {:?} sent {} times",
            f.key,
            f.attempts
        );
        let e = &f.error;
        assert!(
            e.is_rate_limited() || e.is_server_error() || e.is_transport() || e.status().is_none(),
            "{ctx}: unexpected error for {:?}: {e}",
            f.key
        );
    }
    let faults = emu.requests().into_iter().map(|r| r.fault).collect();
    (
        emu,
        ns_id,
        WriteRun {
            failed,
            stored,
            faults,
        },
    )
}

#[test]
fn exhausted_retries_name_exactly_the_keys_that_did_not_make_it() {
    let seed = seed();
    let ctx = replay(seed);
    let n = 2_000;
    let (emu, ns_id, first) = write_under_unambiguous_faults(seed, n);

    // Reproducible: the same seed gives the same faults and the same failed keys.
    let (_, _, again) = write_under_unambiguous_faults(seed, n);
    assert_eq!(first.faults, again.faults, "{ctx}: fault sequence differs");
    assert!(first.failed == again.failed, "{ctx}: failed keys differ");

    // Bulk delete of every key (present or not) under the same faults.
    let client = impatient(&emu, 1);
    let ns = client.namespace(&ns_id).unwrap();
    let all: Vec<String> = (0..n).map(|i| spec(i).key).collect();
    let report = ns
        .bulk_delete(&all)
        .config(impatient_plan(seed))
        .concurrency(1)
        .run()
        .unwrap();
    let failed: BTreeSet<String> = report.failed_keys().map(str::to_owned).collect();
    assert!(!failed.is_empty(), "{ctx}: some deletes should fail");
    let left: BTreeSet<String> = emu.keys(ACCOUNT, &ns_id).unwrap().into_iter().collect();
    // Every key reported deleted is gone; every key still there was reported failed; a key
    // reported failed is still there unless it was never written.
    let expected_left: BTreeSet<String> = failed.intersection(&first.stored).cloned().collect();
    assert!(
        left == expected_left,
        "{ctx}: left but reported deleted: {:?}; reported failed but gone: {:?}",
        left.difference(&failed).take(5).collect::<Vec<_>>(),
        expected_left.difference(&left).take(5).collect::<Vec<_>>()
    );

    // Bulk get: whatever is reported read agrees with the emulator; the rest is named failed.
    for k in &all {
        if !left.contains(k) {
            emu.put_entry(ACCOUNT, &ns_id, k, StoredEntry::new(format!("v:{k}")))
                .unwrap();
        }
    }
    emu.delete_key(ACCOUNT, &ns_id, &all[1]).unwrap();
    let read = ns
        .bulk_get(&all)
        .config(impatient_plan(seed))
        .concurrency(1)
        .run()
        .unwrap();
    let unread: BTreeSet<&str> = read.failed_keys().collect();
    assert!(!unread.is_empty(), "{ctx}: some reads should fail");
    assert_eq!(
        read.values.len() + unread.len(),
        n,
        "{ctx}: every key is accounted for once"
    );
    for (key, value) in &read.values {
        assert!(
            !unread.contains(key.as_str()),
            "{ctx}: {key} both read and failed"
        );
        match emu.entry(ACCOUNT, &ns_id, key.as_str()) {
            Some(e) => assert_eq!(value.as_text(), Some(as_text(&e.value).as_str()), "{ctx}"),
            None => assert!(matches!(value, BulkValue::Missing), "{ctx}: {key}"),
        }
    }
}

/// Which keys each processed-but-unanswered request carried (the request log with bodies):
/// the requests whose fault was a truncated body or an answer slower than the timeout.
fn keys_of_unanswered_but_processed(emu: &Emulator) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for r in emu.requests() {
        if !matches!(
            r.fault,
            Some(FaultKind::TruncatedBody | FaultKind::SlowResponse)
        ) {
            continue;
        }
        let Some(body) = r.body.as_deref() else {
            continue;
        };
        let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
            continue;
        };
        for item in items {
            match item {
                Value::String(k) => keys.insert(k),
                Value::Object(o) => match o.get("key") {
                    Some(Value::String(k)) => keys.insert(k.clone()),
                    _ => false,
                },
                _ => false,
            };
        }
    }
    keys
}

#[test]
fn ambiguous_faults_never_lose_a_key_reported_written_or_deleted() {
    let seed = seed();
    let ctx = replay(seed);
    let n = 1_500;
    // Truncated bodies and slow answers are processed by the server although the client sees
    // a failure: a key can be written yet reported failed. What must hold is weaker but still
    // key by key (see the asserts).
    let plan = FaultPlan::new(seed, 0.7)
        .with_mix([
            (FaultKind::TruncatedBody, 2),
            (FaultKind::SlowResponse, 2),
            (FaultKind::DropConnection, 1),
            (FaultKind::ServiceUnavailable, 1),
            (FaultKind::PartialBulk, 2),
        ])
        .slow_delay(Duration::from_millis(2500));
    let emu = emulator(EmulatorConfig::default().faults(plan).log_bodies(true));
    let ns_id = namespace(&emu, "ambiguous");
    // Only injected slow answers may time out: an ordinary answer delayed by a loaded
    // machine would be a processed-but-unexplained failure, so the timeout leaves room.
    let client = builder(emu.base_url())
        .request_timeout(Duration::from_millis(1000))
        .retry_policy(fast_retries(2))
        .concurrency(2)
        .build()
        .unwrap();
    let ns = client.namespace(&ns_id).unwrap();
    let specs: Vec<Spec> = (0..n).map(spec).collect();
    let all: BTreeSet<String> = specs.iter().map(|s| s.key.clone()).collect();

    let report = ns
        .bulk_write(specs.iter().map(item).collect::<Vec<_>>())
        .config(impatient_plan(seed))
        .concurrency(2)
        .run()
        .unwrap();
    let failed: BTreeSet<String> = report.failed_keys().map(str::to_owned).collect();
    let stored: BTreeSet<String> = emu.keys(ACCOUNT, &ns_id).unwrap().into_iter().collect();
    let maybe = keys_of_unanswered_but_processed(&emu);
    assert!(
        !failed.is_empty() && !maybe.is_empty(),
        "{ctx}: the faults should bite"
    );
    assert_eq!(report.succeeded as usize + failed.len(), n, "{ctx}");
    // 1. Nothing reported written is missing.
    let succeeded: BTreeSet<String> = all.difference(&failed).cloned().collect();
    let lost: Vec<_> = succeeded.difference(&stored).take(5).collect();
    assert!(
        lost.is_empty(),
        "{ctx}: reported written but missing: {lost:?}"
    );
    // 2. A key reported failed yet stored was in a request the server processed but whose
    //    answer never arrived complete.
    let unexplained: Vec<_> = failed
        .intersection(&stored)
        .filter(|k| !maybe.contains(*k))
        .take(5)
        .collect();
    assert!(
        unexplained.is_empty(),
        "{ctx}: reported failed, stored, and never in an unanswered request: {unexplained:?}"
    );
    // 3. Whatever is stored is byte-exact (a retried write is the same write).
    for s in specs.iter().filter(|s| stored.contains(&s.key)) {
        let e = emu.entry(ACCOUNT, &ns_id, &s.key).unwrap();
        assert!(e.value == s.value, "{ctx}: value of {:?}", s.key);
    }

    // The same for a bulk delete of every key.
    emu.clear_requests();
    let report = ns
        .bulk_delete(&all)
        .config(impatient_plan(seed))
        .concurrency(2)
        .run()
        .unwrap();
    let failed: BTreeSet<String> = report.failed_keys().map(str::to_owned).collect();
    let left: BTreeSet<String> = emu.keys(ACCOUNT, &ns_id).unwrap().into_iter().collect();
    let maybe = keys_of_unanswered_but_processed(&emu);
    assert!(
        !failed.is_empty() && !maybe.is_empty(),
        "{ctx}: the faults should bite the delete too"
    );
    let undeleted: Vec<_> = left.difference(&failed).take(5).collect();
    assert!(
        undeleted.is_empty(),
        "{ctx}: reported deleted but still there: {undeleted:?}"
    );
    let unexplained: Vec<_> = failed
        .iter()
        .filter(|k| stored.contains(*k) && !left.contains(*k) && !maybe.contains(*k))
        .take(5)
        .collect();
    assert!(
        unexplained.is_empty(),
        "{ctx}: reported failed, deleted, and never in an unanswered request: {unexplained:?}"
    );
}
