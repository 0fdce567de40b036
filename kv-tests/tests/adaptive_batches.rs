//! The adaptive batch size end to end: kv-ureq's bulk write and delete against an emulator
//! whose bulk requests take 10 µs per item and whose edge gives up after 30 ms, so batches of
//! more than about 3,000 items are answered 524 (applied or not). Every key must arrive, no
//! key may fail, and every request must be counted.

mod rel_common;

use std::time::Duration;

use kv_tests::EmulatorConfig;
use kv_ureq::{BulkWriteItem, Key};
use rel_common::{ACCOUNT, builder, emulator, fast_retries, namespace};

const N: usize = 50_000;

fn key(i: usize) -> String {
    format!("adaptive/{i:06}")
}

fn run(applies: bool) {
    let emu = emulator(
        EmulatorConfig::default()
            .bulk_item_cost(Duration::from_micros(10))
            .edge_timeout(Duration::from_millis(30))
            .edge_timeout_applies(applies),
    );
    let ns_id = namespace(&emu, "adaptive");
    let client = builder(emu.base_url())
        .retry_policy(fast_retries(5))
        .build()
        .expect("client");
    let ns = client.namespace(&ns_id).expect("namespace id");
    let ctx = format!("edge_timeout_applies {applies}");

    let before = emu.request_count();
    let items: Vec<BulkWriteItem> = (0..N)
        .map(|i| BulkWriteItem::text(Key::new(key(i)).unwrap(), format!("v{i}")).unwrap())
        .collect();
    let write = ns.bulk_write(items).run().expect("job runs");
    assert!(
        write.is_success(),
        "{ctx}: {:?}",
        write.failed.first().map(|f| (&f.key, f.error.to_string()))
    );
    assert_eq!(
        (write.requested, write.succeeded),
        (N as u64, N as u64),
        "{ctx}"
    );
    assert_eq!(write.requests_sent, emu.request_count() - before, "{ctx}");
    let timeouts = emu
        .requests()
        .iter()
        .filter(|r| r.status == Some(524))
        .count();
    assert!(timeouts > 0, "{ctx}: no batch was ever too large");
    assert_eq!(emu.key_count(ACCOUNT, &ns_id).unwrap(), N, "{ctx}");
    for i in (0..N).step_by(997) {
        let e = emu.entry(ACCOUNT, &ns_id, &key(i)).expect("written");
        assert_eq!(e.value, format!("v{i}").into_bytes(), "{ctx}");
    }

    let before = emu.request_count();
    let delete = ns.bulk_delete((0..N).map(key)).run().expect("job runs");
    assert!(delete.is_success(), "{ctx}");
    assert_eq!(delete.succeeded, N as u64, "{ctx}");
    assert_eq!(delete.requests_sent, emu.request_count() - before, "{ctx}");
    assert_eq!(emu.key_count(ACCOUNT, &ns_id).unwrap(), 0, "{ctx}");
}

#[test]
fn a_large_write_and_delete_survive_524s_when_the_timed_out_batch_was_applied() {
    run(true);
}

#[test]
fn a_large_write_and_delete_survive_524s_when_the_timed_out_batch_was_not_applied() {
    run(false);
}
