//! Smoke tests of kv-ureq's high-level API against the emulator over loopback: bulk jobs with
//! several threads, partial `unsuccessful_keys` re-sent, paging, and the namespace handle.

use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan};
use kv_ureq::{AccountId, Auth, BulkWriteItem, Client, Key, PlanConfig, RetryPolicy};
use serde_json::json;

const ACCOUNT: &str = "smoke";

fn client(emu: &Emulator) -> Client {
    Client::builder(
        Auth::api_token("t").unwrap(),
        AccountId::new(ACCOUNT).unwrap(),
    )
    .base_url(emu.base_url())
    .retry_policy(
        RetryPolicy::default()
            .with_base_delay(Duration::from_millis(5))
            .with_max_delay(Duration::from_millis(20))
            .with_min_rate_limited_delay(Duration::from_millis(5)),
    )
    .concurrency(4)
    .build()
    .unwrap()
}

fn items(n: usize) -> Vec<BulkWriteItem> {
    (0..n)
        .map(|i| {
            BulkWriteItem::text(Key::new(format!("k/{i:05}")).unwrap(), format!("v{i}")).unwrap()
        })
        .collect()
}

#[test]
fn bulk_jobs_round_trip_through_the_emulator() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let c = client(&emu);
    let created = c.create_namespace("smoke").unwrap();
    let ns = c.namespace(&created.id).unwrap();

    let write = ns.bulk_write(items(5000)).batch_size(500).run().unwrap();
    assert!(
        write.is_success(),
        "{:?}",
        write.failed_keys().take(3).collect::<Vec<_>>()
    );
    assert_eq!(write.requests_sent, 10);
    assert_eq!(emu.key_count(ACCOUNT, created.id.as_str()).unwrap(), 5000);

    let listed = ns.keys_with_prefix("k/").limit(1000).count();
    assert_eq!(listed, 5000);

    let keys: Vec<String> = (0..5000).map(|i| format!("k/{i:05}")).collect();
    let read = ns.bulk_get(&keys).run().unwrap();
    assert!(read.is_success());
    assert_eq!(read.values.len(), 5000);
    assert_eq!(
        read.values[&Key::new("k/04321").unwrap()].as_text(),
        Some("v4321")
    );

    ns.put_with("one", "1")
        .metadata(json!({"m": 1}))
        .send()
        .unwrap();
    assert_eq!(ns.metadata("one").unwrap(), Some(json!({"m": 1})));
    assert_eq!(ns.get_text("one").unwrap().as_deref(), Some("1"));
    assert_eq!(ns.get("nope").unwrap(), None);

    let delete = ns
        .bulk_delete(keys.iter().chain([&"one".to_owned()]))
        .run()
        .unwrap();
    assert!(delete.is_success());
    assert_eq!(emu.key_count(ACCOUNT, created.id.as_str()).unwrap(), 0);
    c.delete_namespace(&created.id).unwrap();
    assert!(
        c.get_namespace(&created.id)
            .unwrap_err()
            .is_namespace_not_found()
    );
}

#[test]
fn partial_bulk_answers_are_resent_until_every_key_is_written() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let c = client(&emu);
    let created = c.create_namespace("partial").unwrap();
    let ns = c.namespace(&created.id).unwrap();
    emu.set_faults(FaultPlan::always(FaultKind::PartialBulk).max_faults(3));
    let fast = RetryPolicy::default()
        .with_base_delay(Duration::from_millis(2))
        .with_max_delay(Duration::from_millis(10));
    let report = ns
        .bulk_write(items(2000))
        .config(PlanConfig::default().with_backoff(fast))
        .run()
        .unwrap();
    assert!(
        report.is_success(),
        "{:?}",
        report.failed_keys().take(3).collect::<Vec<_>>()
    );
    assert!(
        report.retries > 0,
        "the emulator reported keys unsuccessful"
    );
    assert_eq!(emu.key_count(ACCOUNT, created.id.as_str()).unwrap(), 2000);
}
