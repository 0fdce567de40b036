//! Bulk plans driven through the public API by simulated shells on a fake clock.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use kv_proto::{
    BulkDelete, BulkDeletePlan, BulkGet, BulkGetPlan, BulkGetReport, BulkGetResponse, BulkReport,
    BulkResponse, BulkValue, BulkWrite, BulkWriteItem, BulkWritePlan, Endpoint, Error, ErrorKind,
    Key, Limit, NamespaceId, Operation, Plan, PlanConfig, Poll, RetryPolicy, Ticket,
    TransportErrorKind,
};
use proptest::prelude::*;

fn ns() -> NamespaceId {
    NamespaceId::new("ns1").unwrap()
}

fn key(i: usize) -> Key {
    Key::new(format!("key-{i:06}")).unwrap()
}

fn keys(n: usize) -> Vec<Key> {
    (0..n).map(key).collect()
}

fn item(i: usize) -> BulkWriteItem {
    BulkWriteItem::text(key(i), format!("value-{i}")).unwrap()
}

fn ok(n: usize) -> Result<BulkResponse, Error> {
    Ok(BulkResponse {
        successful_key_count: n as u64,
        unsuccessful_keys: vec![],
    })
}

fn unsuccessful(total: usize, bad: &[&Key]) -> Result<BulkResponse, Error> {
    Ok(BulkResponse {
        successful_key_count: (total - bad.len()) as u64,
        unsuccessful_keys: bad.iter().map(|k| k.as_str().to_owned()).collect(),
    })
}

fn server_error() -> Error {
    Error::transport(TransportErrorKind::Timeout, "read timed out")
}

/// No jitter, so backoffs are exactly 1 s, 2 s, 4 s, ...
fn exact() -> PlanConfig {
    PlanConfig::default().with_backoff(RetryPolicy::default().with_jitter(0.0))
}

/// Runs a delete plan single-threaded, answering every batch with success; returns batch sizes.
fn delete_sizes(n: usize, config: PlanConfig) -> (Vec<usize>, BulkReport) {
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(n), config).unwrap();
    let now = Instant::now();
    let mut sizes = Vec::new();
    loop {
        match plan.poll(now) {
            Poll::Send(t, op) => {
                sizes.push(op.keys().len());
                plan.handle(t, ok(op.keys().len()));
            }
            Poll::Done => break,
            Poll::Wait(d) => panic!("unexpected wait {d:?}"),
            Poll::Idle => panic!("idle with nothing in flight"),
        }
    }
    (sizes, plan.finish())
}

fn write_sizes(n: usize, config: PlanConfig) -> (Vec<usize>, BulkReport) {
    let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), (0..n).map(item), config).unwrap();
    let now = Instant::now();
    let mut sizes = Vec::new();
    loop {
        match plan.poll(now) {
            Poll::Send(t, op) => {
                sizes.push(op.items().len());
                plan.handle(t, ok(op.items().len()));
            }
            Poll::Done => break,
            Poll::Wait(d) => panic!("unexpected wait {d:?}"),
            Poll::Idle => panic!("idle with nothing in flight"),
        }
    }
    (sizes, plan.finish())
}

fn get_sizes(n: usize, config: PlanConfig) -> (Vec<usize>, BulkGetReport) {
    let mut plan = BulkGetPlan::new(BulkGet::template(ns()), keys(n), config).unwrap();
    let now = Instant::now();
    let mut sizes = Vec::new();
    loop {
        match plan.poll(now) {
            Poll::Send(t, op) => {
                sizes.push(op.keys().len());
                plan.handle(t, Ok(present(&op)));
            }
            Poll::Done => break,
            Poll::Wait(d) => panic!("unexpected wait {d:?}"),
            Poll::Idle => panic!("idle with nothing in flight"),
        }
    }
    (sizes, plan.finish())
}

/// A bulk get answer where every key's value is its own name (parsed from a wire body).
fn present(op: &BulkGet) -> BulkGetResponse {
    let values: serde_json::Map<String, serde_json::Value> = op
        .keys()
        .iter()
        .map(|k| (k.as_str().to_owned(), serde_json::Value::from(k.as_str())))
        .collect();
    let body = serde_json::json!({"success": true, "errors": [], "messages": [], "result": {"values": values}});
    let body = serde_json::to_vec(&body).unwrap();
    op.parse(http::Response::new(&body[..])).unwrap()
}

fn assert_invariant(r: &BulkReport) {
    assert_eq!(r.succeeded + r.failed.len() as u64, r.requested, "{r:?}");
}

// ---- boundaries ----

#[test]
fn delete_boundaries_at_the_default_1000() {
    for (n, want) in [
        (999, vec![999]),
        (1000, vec![1000]),
        (1001, vec![1000, 1]),
        (2500, vec![1000, 1000, 500]),
    ] {
        let (sizes, report) = delete_sizes(n, PlanConfig::default());
        assert_eq!(sizes, want, "n = {n}");
        assert_eq!(report.requested, n as u64);
        assert_eq!(report.succeeded, n as u64);
        assert_eq!(report.requests_sent, want.len() as u64);
        assert_invariant(&report);
    }
}

#[test]
fn write_boundaries_at_the_default_1000() {
    for (n, want) in [(999, vec![999]), (1000, vec![1000]), (1001, vec![1000, 1])] {
        let (sizes, report) = write_sizes(n, PlanConfig::default());
        assert_eq!(sizes, want, "n = {n}");
        assert_eq!(report.succeeded, n as u64);
    }
}

#[test]
fn boundaries_at_the_api_maximum_10000() {
    let config = PlanConfig::default().with_max_batch_items(10_000);
    for (n, want) in [
        (9_999, vec![9_999]),
        (10_000, vec![10_000]),
        (10_001, vec![10_000, 1]),
    ] {
        assert_eq!(delete_sizes(n, config.clone()).0, want, "delete n = {n}");
        assert_eq!(write_sizes(n, config.clone()).0, want, "write n = {n}");
    }
}

#[test]
fn get_boundaries_at_100() {
    for (n, want) in [(99, vec![99]), (100, vec![100]), (101, vec![100, 1])] {
        let (sizes, report) = get_sizes(n, PlanConfig::default());
        assert_eq!(sizes, want, "n = {n}");
        assert_eq!(report.requested, n as u64);
        assert_eq!(report.values.len(), n);
    }
    // Configurable lower.
    assert_eq!(
        get_sizes(25, PlanConfig::default().with_max_batch_items(10)).0,
        [10, 10, 5]
    );
}

#[test]
fn limits_above_the_api_are_rejected_as_config_errors() {
    let e = BulkDeletePlan::new(
        BulkDelete::template(ns()),
        keys(1),
        PlanConfig::default().with_max_batch_items(10_001),
    )
    .unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Config));
    let e = BulkWritePlan::new(
        BulkWrite::template(ns()),
        (0..1).map(item),
        PlanConfig::default().with_max_batch_items(10_001),
    )
    .unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Config));
    let e = BulkGetPlan::new(
        BulkGet::template(ns()),
        keys(1),
        PlanConfig::default().with_max_batch_items(101),
    )
    .unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Config));
    let e = BulkWritePlan::new(
        BulkWrite::template(ns()),
        (0..1).map(item),
        PlanConfig::default().with_max_body_bytes(100_000_001),
    )
    .unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Config));
    let e = BulkDeletePlan::new(
        BulkDelete::template(ns()),
        keys(1),
        PlanConfig::default().with_max_key_attempts(0),
    )
    .unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Config));
    // The API's own maxima are accepted.
    assert!(
        BulkWritePlan::new(
            BulkWrite::template(ns()),
            (0..1).map(item),
            PlanConfig::default()
                .with_max_batch_items(10_000)
                .with_max_body_bytes(100_000_000)
        )
        .is_ok()
    );
}

#[test]
fn empty_input_is_done_at_once() {
    let (sizes, report) = delete_sizes(0, PlanConfig::default());
    assert!(sizes.is_empty());
    assert_eq!((report.requested, report.requests_sent), (0, 0));
    let (sizes, report) = get_sizes(0, PlanConfig::default());
    assert!(sizes.is_empty());
    assert_eq!(report.requested, 0);
}

// ---- byte budget ----

#[test]
fn five_mib_values_split_under_the_100_mb_body_limit() {
    const MIB5: usize = 5 << 20;
    let make = |i: usize| BulkWriteItem::text(key(i), "v".repeat(MIB5)).unwrap();
    let per_item = make(0).encoded_len();
    for (budget, want) in [
        (100_000_000usize, 19usize),
        (kv_proto::defaults::DEFAULT_MAX_BODY_BYTES, 18),
    ] {
        let body = |n: usize| 1 + n * per_item;
        assert!(body(want) <= budget && body(want + 1) > budget);
        let config = PlanConfig::default().with_max_body_bytes(budget);
        let mut plan =
            BulkWritePlan::new(BulkWrite::template(ns()), (0..want + 3).map(make), config).unwrap();
        let now = Instant::now();
        let mut sizes = Vec::new();
        while let Poll::Send(t, op) = plan.poll(now) {
            assert!(op.body_len() <= budget);
            assert!(op.body_len() <= kv_proto::limits::MAX_BULK_WRITE_BODY_BYTES);
            assert_eq!(op.body_len(), 1 + op.items().len() * per_item);
            sizes.push(op.items().len());
            let n = op.items().len();
            drop(op);
            plan.handle(t, ok(n));
        }
        assert_eq!(sizes, [want, 3], "budget {budget}");
        assert_eq!(plan.finish().succeeded, (want + 3) as u64);
    }
}

#[test]
fn small_custom_budget_splits_exactly_and_bodies_match() {
    // Items of different sizes under a 300-byte budget; every body is measured for real.
    let items: Vec<BulkWriteItem> = (0..40)
        .map(|i| BulkWriteItem::text(key(i), "x".repeat((i * 7) % 90)).unwrap())
        .collect();
    let budget = 300;
    let config = PlanConfig::default().with_max_body_bytes(budget);
    let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), items.clone(), config).unwrap();
    let endpoint = Endpoint::new(
        kv_proto::AccountId::new("acc").unwrap(),
        kv_proto::Auth::api_token("t").unwrap(),
    );
    let now = Instant::now();
    let mut sent: Vec<BulkWriteItem> = Vec::new();
    while let Poll::Send(t, op) = plan.poll(now) {
        let body = op.request(&endpoint).into_body();
        assert_eq!(body.len(), op.body_len());
        assert!(body.len() <= budget);
        // Greedy: the next item would not have fitted (unless this was the last batch).
        if let Some(next) = items.get(sent.len() + op.items().len()) {
            assert!(op.body_len() + next.encoded_len() > budget);
        }
        sent.extend(op.items().iter().cloned());
        plan.handle(t, ok(op.items().len()));
    }
    assert_eq!(sent, items, "every item sent once, in order");
}

#[test]
fn an_item_too_large_for_the_budget_is_reported_failed_and_the_rest_goes_on() {
    let mut items: Vec<BulkWriteItem> = (0..5).map(item).collect();
    items.insert(2, BulkWriteItem::text(key(99), "y".repeat(500)).unwrap());
    let config = PlanConfig::default().with_max_body_bytes(200);
    let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), items, config).unwrap();
    let now = Instant::now();
    let mut sent = 0;
    while let Poll::Send(t, op) = plan.poll(now) {
        assert!(op.keys().all(|k| k != &key(99)));
        sent += op.items().len();
        plan.handle(t, ok(op.items().len()));
    }
    let report = plan.finish();
    assert_eq!(sent, 5);
    assert_eq!((report.requested, report.succeeded), (6, 5));
    assert_eq!(report.failed.len(), 1);
    let f = &report.failed[0];
    assert_eq!(f.key, key(99).as_str());
    assert_eq!(f.attempts, 0);
    assert_eq!(f.error.limit(), Some(Limit::BulkWriteBytes));
    assert_invariant(&report);
}

#[test]
fn an_item_edited_past_the_value_limit_fails_alone() {
    let mut bad = item(1);
    bad.value = "z".repeat(kv_proto::limits::MAX_VALUE_BYTES + 1);
    let items = vec![item(0), bad, item(2)];
    let mut plan =
        BulkWritePlan::new(BulkWrite::template(ns()), items, PlanConfig::default()).unwrap();
    let Poll::Send(t, op) = plan.poll(Instant::now()) else {
        panic!()
    };
    assert_eq!(op.items().len(), 2);
    plan.handle(t, ok(2));
    let report = plan.finish();
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].error.limit(), Some(Limit::ValueSize));
}

// ---- laziness ----

#[test]
fn input_is_pulled_one_batch_at_a_time() {
    let pulls = Rc::new(Cell::new(0usize));
    let counter = Rc::clone(&pulls);
    let source = (0..1_000_000).map(move |i| {
        counter.set(counter.get() + 1);
        key(i)
    });
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), source, PlanConfig::default()).unwrap();
    assert_eq!(pulls.get(), 0, "nothing pulled before the first poll");
    let now = Instant::now();
    let Poll::Send(t1, _) = plan.poll(now) else {
        panic!()
    };
    assert_eq!(pulls.get(), 1000);
    let p = plan.progress();
    assert_eq!(
        (p.total_known, p.in_flight, p.exhausted),
        (1000, 1000, false)
    );
    let Poll::Send(_, _) = plan.poll(now) else {
        panic!()
    };
    assert_eq!(pulls.get(), 2000);
    plan.handle(t1, ok(1000));
    assert_eq!(pulls.get(), 2000, "handling pulls nothing");
    assert_eq!(plan.progress().done, 1000);
}

#[test]
fn byte_split_pulls_at_most_one_item_ahead() {
    let pulls = Rc::new(Cell::new(0usize));
    let counter = Rc::clone(&pulls);
    let source = (0..100).map(move |i| {
        counter.set(counter.get() + 1);
        BulkWriteItem::text(key(i), "x".repeat(100)).unwrap()
    });
    let per = BulkWriteItem::text(key(0), "x".repeat(100))
        .unwrap()
        .encoded_len();
    let config = PlanConfig::default().with_max_body_bytes(1 + 3 * per);
    let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), source, config).unwrap();
    let Poll::Send(_, op) = plan.poll(Instant::now()) else {
        panic!()
    };
    assert_eq!(op.items().len(), 3);
    assert_eq!(pulls.get(), 4, "three batched, one held for the next batch");
}

// ---- concurrency ----

#[test]
fn out_of_order_completion_with_several_in_flight() {
    let config = PlanConfig::default().with_max_batch_items(10);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(45), config).unwrap();
    let now = Instant::now();
    let mut in_flight: Vec<(Ticket, BulkDelete)> = Vec::new();
    for _ in 0..5 {
        match plan.poll(now) {
            Poll::Send(t, op) => in_flight.push((t, op)),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(plan.poll(now), Poll::Idle));
    let p = plan.progress();
    assert_eq!((p.in_flight, p.total_known, p.exhausted), (45, 45, true));
    // Complete 3, 0, 4, 1, 2; batch 4 fails at the request level.
    for i in [3, 0, 4, 1, 2] {
        let (t, op) = &in_flight[i];
        let result = if i == 4 {
            Err(server_error())
        } else {
            ok(op.keys().len())
        };
        plan.handle(*t, result);
    }
    assert!(matches!(plan.poll(now), Poll::Done));
    let report = plan.finish();
    assert_eq!((report.succeeded, report.failed.len()), (40, 5));
    let failed: Vec<_> = report.failed.iter().map(|f| f.key.as_str()).collect();
    let expected: Vec<_> = in_flight[4].1.keys().iter().map(Key::as_str).collect();
    assert_eq!(failed, expected);
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.error.is_timeout() && f.attempts == 1)
    );
    assert_invariant(&report);
}

#[test]
fn unknown_and_reused_tickets_are_anomalies() {
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), keys(3), PlanConfig::default()).unwrap();
    let Poll::Send(t, _) = plan.poll(Instant::now()) else {
        panic!()
    };
    plan.handle(t, ok(3));
    plan.handle(t, ok(3)); // again
    let report = plan.finish();
    assert_eq!((report.succeeded, report.anomalies), (3, 1));
    assert_invariant(&report);
}

// ---- re-queue ----

#[test]
fn unsuccessful_keys_are_requeued_with_backoff_until_success() {
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(5), exact()).unwrap();
    let mut now = Instant::now();
    let Poll::Send(t, op) = plan.poll(now) else {
        panic!()
    };
    assert_eq!(op.keys().len(), 5);
    let (k1, k3) = (key(1), key(3));
    plan.handle(t, unsuccessful(5, &[&k1, &k3]));
    assert_eq!(plan.progress().queued_for_retry, 2);
    assert_eq!(plan.progress().done, 3);
    // Backing off: 1 s after the first failed send.
    assert!(matches!(plan.poll(now), Poll::Wait(d) if d == Duration::from_secs(1)));
    now += Duration::from_millis(400);
    assert!(matches!(plan.poll(now), Poll::Wait(d) if d == Duration::from_millis(600)));
    now += Duration::from_millis(600);
    let Poll::Send(t, op) = plan.poll(now) else {
        panic!()
    };
    assert_eq!(op.keys(), [k1.clone(), k3.clone()], "original order kept");
    // k3 fails again: the second backoff is 2 s.
    plan.handle(t, unsuccessful(2, &[&k3]));
    assert!(matches!(plan.poll(now), Poll::Wait(d) if d == Duration::from_secs(2)));
    now += Duration::from_secs(2);
    let Poll::Send(t, op) = plan.poll(now) else {
        panic!()
    };
    assert_eq!(op.keys(), [k3]);
    plan.handle(t, ok(1));
    assert!(matches!(plan.poll(now), Poll::Done));
    let report = plan.finish();
    assert_eq!((report.succeeded, report.failed.len()), (5, 0));
    assert_eq!(
        (report.requests_sent, report.retries, report.retry_rounds),
        (3, 3, 2)
    );
    assert_eq!(report.mismatches, 0);
}

#[test]
fn keys_still_unsuccessful_after_max_attempts_are_reported_exactly() {
    let config = exact().with_max_key_attempts(4);
    let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), (0..3).map(item), config).unwrap();
    let mut now = Instant::now();
    let stubborn = key(2);
    let mut waits = Vec::new();
    let mut sends = 0;
    loop {
        match plan.poll(now) {
            Poll::Send(t, op) => {
                sends += 1;
                let n = op.items().len();
                let bad: Vec<&Key> = op.keys().filter(|k| **k == stubborn).collect();
                plan.handle(t, unsuccessful(n, &bad));
            }
            Poll::Wait(d) => {
                waits.push(d);
                now += d;
            }
            Poll::Idle => panic!("nothing is in flight"),
            Poll::Done => break,
        }
    }
    assert_eq!(sends, 4);
    let s = Duration::from_secs;
    assert_eq!(waits, [s(1), s(2), s(4)]);
    let report = plan.finish();
    assert_eq!((report.succeeded, report.failed.len()), (2, 1));
    let f = &report.failed[0];
    assert_eq!((f.key.as_str(), f.attempts), (stubborn.as_str(), 4));
    assert!(matches!(f.error.kind(), ErrorKind::Protocol { .. }));
    assert!(f.error.to_string().contains("unsuccessful 4 time"));
    assert_eq!(report.retries, 3);
    assert_invariant(&report);
}

#[test]
fn max_key_attempts_one_never_resends() {
    let mut plan = BulkDeletePlan::new(
        BulkDelete::template(ns()),
        keys(2),
        PlanConfig::default().with_max_key_attempts(1),
    )
    .unwrap();
    let Poll::Send(t, _) = plan.poll(Instant::now()) else {
        panic!()
    };
    let k = key(0);
    plan.handle(t, unsuccessful(2, &[&k]));
    assert!(matches!(plan.poll(Instant::now()), Poll::Done));
    let r = plan.finish();
    assert_eq!((r.succeeded, r.failed.len(), r.requests_sent), (1, 1, 1));
}

#[test]
fn retries_join_fresh_items_in_the_next_batch() {
    let config = exact().with_max_batch_items(3);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(8), config).unwrap();
    let mut now = Instant::now();
    let Poll::Send(t, _) = plan.poll(now) else {
        panic!()
    };
    let k0 = key(0);
    plan.handle(t, unsuccessful(3, &[&k0]));
    // The backoff counts from the next poll (the shell polls right after handling).
    let Poll::Send(_, op) = plan.poll(now) else {
        panic!()
    };
    assert_eq!(op.keys(), [key(3), key(4), key(5)]);
    now += Duration::from_secs(1);
    let Poll::Send(_, op) = plan.poll(now) else {
        panic!()
    };
    // The ready retry goes first, then fresh keys fill the batch.
    assert_eq!(op.keys(), [key(0), key(6), key(7)]);
}

#[test]
fn wait_is_reported_while_other_requests_are_in_flight() {
    let config = exact().with_max_batch_items(2);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(4), config).unwrap();
    let now = Instant::now();
    let Poll::Send(t1, _) = plan.poll(now) else {
        panic!()
    };
    let Poll::Send(_t2, _) = plan.poll(now) else {
        panic!()
    };
    let k0 = key(0);
    plan.handle(t1, unsuccessful(2, &[&k0]));
    // A retry is pending and a request is in flight: wait 1 s or for the response.
    assert!(matches!(plan.poll(now), Poll::Wait(d) if d == Duration::from_secs(1)));
}

#[test]
fn jittered_backoff_stays_within_the_policy_bounds_and_follows_the_seed() {
    let run = |seed: u64| {
        let mut plan = BulkDeletePlan::new(
            BulkDelete::template(ns()),
            keys(1),
            PlanConfig::default().with_jitter_seed(seed),
        )
        .unwrap();
        let now = Instant::now();
        let Poll::Send(t, _) = plan.poll(now) else {
            panic!()
        };
        let k = key(0);
        plan.handle(t, unsuccessful(1, &[&k]));
        match plan.poll(now) {
            Poll::Wait(d) => d,
            other => panic!("{other:?}"),
        }
    };
    let waits: Vec<Duration> = (0..20).map(run).collect();
    for d in &waits {
        assert!(
            *d >= Duration::from_millis(750) && *d <= Duration::from_secs(1),
            "{d:?}"
        );
    }
    assert_eq!(run(7), run(7), "deterministic for a seed");
    assert!(
        waits.iter().any(|d| *d != waits[0]),
        "seeds spread the waits"
    );
}

#[test]
fn mismatched_counts_and_foreign_keys_are_counted_not_trusted() {
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(3), exact()).unwrap();
    let now = Instant::now();
    let Poll::Send(t, _) = plan.poll(now) else {
        panic!()
    };
    // Claims 7 successes and lists a key that was not in the batch, plus key 1.
    plan.handle(
        t,
        Ok(BulkResponse {
            successful_key_count: 7,
            unsuccessful_keys: vec!["not-sent".into(), key(1).as_str().into()],
        }),
    );
    assert_eq!(plan.progress().queued_for_retry, 1);
    assert!(matches!(plan.poll(now), Poll::Wait(_)));
    let Poll::Send(t, op) = plan.poll(now + Duration::from_secs(1)) else {
        panic!()
    };
    assert_eq!(op.keys(), [key(1)]);
    // The old API answered with no result (count 0): a mismatch, the key list is trusted.
    plan.handle(t, Ok(BulkResponse::default()));
    let r = plan.finish();
    assert_eq!((r.succeeded, r.mismatches, r.anomalies), (3, 2, 1));
}

// ---- request failures and stop_on_error ----

#[test]
fn a_failed_request_fails_its_keys_and_the_plan_goes_on() {
    let config = PlanConfig::default().with_max_batch_items(10);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(30), config).unwrap();
    let now = Instant::now();
    let mut batch = 0;
    while let Poll::Send(t, op) = plan.poll(now) {
        let r = if batch == 1 {
            Err(server_error())
        } else {
            ok(op.keys().len())
        };
        plan.handle(t, r);
        batch += 1;
    }
    let report = plan.finish();
    assert_eq!((report.succeeded, report.failed.len()), (20, 10));
    assert_eq!(
        report.requests_sent, 3,
        "not re-sent: the shell already retried it"
    );
    let first = &report.failed[0].error;
    assert!(
        report
            .failed
            .iter()
            .all(|f| std::sync::Arc::ptr_eq(&f.error, first))
    );
    assert!(report.stopped.is_none());
}

#[test]
fn stop_on_error_stops_sending_and_reports_the_rest() {
    let config = PlanConfig::default()
        .with_max_batch_items(10)
        .with_stop_on_error(true);
    let pulls = Rc::new(Cell::new(0usize));
    let counter = Rc::clone(&pulls);
    let source = (0..100).map(move |i| {
        counter.set(counter.get() + 1);
        key(i)
    });
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), source, config).unwrap();
    let now = Instant::now();
    let Poll::Send(t1, _) = plan.poll(now) else {
        panic!()
    };
    let Poll::Send(t2, _) = plan.poll(now) else {
        panic!()
    };
    plan.handle(t1, Err(server_error()));
    // Stopped: nothing new is sent while batch 2 is in flight.
    assert!(matches!(plan.poll(now), Poll::Idle));
    plan.handle(t2, ok(10));
    assert!(matches!(plan.poll(now), Poll::Done));
    assert_eq!(pulls.get(), 20, "nothing more pulled");
    let report = plan.finish();
    assert_eq!(
        (report.requested, report.succeeded, report.failed.len()),
        (20, 10, 10)
    );
    assert!(report.stopped.as_ref().is_some_and(|e| e.is_timeout()));
    assert_invariant(&report);
}

#[test]
fn stop_on_error_fails_keys_waiting_for_a_retry() {
    let config = exact().with_max_batch_items(2).with_stop_on_error(true);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(4), config).unwrap();
    let now = Instant::now();
    let Poll::Send(t1, _) = plan.poll(now) else {
        panic!()
    };
    let Poll::Send(t2, _) = plan.poll(now) else {
        panic!()
    };
    let k0 = key(0);
    plan.handle(t1, unsuccessful(2, &[&k0])); // key 0 waits for a retry
    plan.handle(t2, Err(server_error())); // stop
    assert!(matches!(plan.poll(now), Poll::Done));
    let report = plan.finish();
    assert_eq!((report.succeeded, report.failed.len()), (1, 3));
    let k0 = report
        .failed
        .iter()
        .find(|f| f.key == key(0).as_str())
        .unwrap();
    assert_eq!(k0.attempts, 1);
    assert!(
        k0.error.is_timeout(),
        "reported with the error that stopped the plan"
    );
}

#[test]
fn finish_before_done_reports_pending_keys_as_abandoned() {
    let config = PlanConfig::default().with_max_batch_items(10);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(100), config).unwrap();
    let Poll::Send(_, _) = plan.poll(Instant::now()) else {
        panic!()
    };
    let report = plan.finish();
    assert_eq!(
        (report.requested, report.abandoned, report.failed.len()),
        (10, 10, 10)
    );
    assert_invariant(&report);
}

#[test]
fn legacy_delete_method_is_configurable() {
    let endpoint = Endpoint::new(
        kv_proto::AccountId::new("acc").unwrap(),
        kv_proto::Auth::api_token("t").unwrap(),
    );
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), keys(1), PlanConfig::default()).unwrap();
    let Poll::Send(_, op) = plan.poll(Instant::now()) else {
        panic!()
    };
    let req = op.request(&endpoint);
    assert_eq!(req.method(), http::Method::POST);
    assert!(req.uri().path().ends_with("/bulk/delete"));
    let template = BulkDelete::template(ns()).legacy_delete_method();
    let mut plan = BulkDeletePlan::new(template, keys(1), PlanConfig::default()).unwrap();
    let Poll::Send(_, op) = plan.poll(Instant::now()) else {
        panic!()
    };
    let req = op.request(&endpoint);
    assert_eq!(req.method(), http::Method::DELETE);
    assert!(req.uri().path().ends_with("/bulk"));
}

#[test]
fn write_ops_carry_the_items_unchanged() {
    let items: Vec<BulkWriteItem> = (0..3)
        .map(|i| {
            item(i)
                .expiration(kv_proto::Expiration::ttl(120).unwrap())
                .metadata(kv_proto::Metadata::new(serde_json::json!({"i": i})).unwrap())
        })
        .collect();
    let mut plan = BulkWritePlan::new(
        BulkWrite::template(ns()),
        items.clone(),
        PlanConfig::default(),
    )
    .unwrap();
    let Poll::Send(_, op) = plan.poll(Instant::now()) else {
        panic!()
    };
    assert_eq!(op.items(), &items[..]);
    let checked = BulkWrite::new(ns(), items).unwrap();
    assert_eq!(op.body_len(), checked.body_len());
}

#[test]
fn stop_on_error_at_an_oversize_item_sends_nothing_more() {
    let mut items: Vec<BulkWriteItem> = (0..5).map(item).collect();
    items.insert(2, BulkWriteItem::text(key(99), "y".repeat(500)).unwrap());
    let config = PlanConfig::default()
        .with_max_body_bytes(200)
        .with_stop_on_error(true);
    let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), items, config).unwrap();
    // Items 0 and 1 were batched before the oversize item stopped the plan: not sent.
    assert!(matches!(plan.poll(Instant::now()), Poll::Done));
    let report = plan.finish();
    assert_eq!(
        (report.requested, report.succeeded, report.requests_sent),
        (3, 0, 0)
    );
    assert!(report.failed.iter().all(|f| f.attempts == 0));
    let stopped = report.stopped.unwrap();
    assert_eq!(stopped.limit(), Some(Limit::BulkWriteBytes));
}

#[test]
fn plans_and_reports_can_cross_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<BulkWritePlan<std::vec::IntoIter<BulkWriteItem>>>();
    send::<BulkDeletePlan<std::vec::IntoIter<Key>>>();
    send::<BulkGetPlan<std::vec::IntoIter<Key>>>();
    send::<(Ticket, BulkWrite)>();
    send_sync::<BulkReport>();
    send_sync::<BulkGetReport>();
}

// ---- bulk get ----

#[test]
fn get_reports_present_missing_and_duplicates() {
    let input: Vec<Key> = ["a", "b", "a", "gone", "b", "c"]
        .iter()
        .map(|k| Key::new(*k).unwrap())
        .collect();
    let config = PlanConfig::default().with_max_batch_items(2);
    let template = BulkGet::template(ns()).with_metadata();
    let mut plan = BulkGetPlan::new(template, input, config).unwrap();
    let now = Instant::now();
    let mut batches = Vec::new();
    while let Poll::Send(t, op) = plan.poll(now) {
        assert!(op.is_with_metadata());
        batches.push(
            op.keys()
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect::<Vec<_>>(),
        );
        let mut values = serde_json::Map::new();
        for k in op.keys() {
            let v = if k.as_str() == "gone" {
                serde_json::Value::Null
            } else {
                serde_json::json!({"value": format!("v-{}", k.as_str()), "metadata": null})
            };
            values.insert(k.as_str().to_owned(), v);
        }
        let body = serde_json::json!({"success": true, "errors": [], "messages": [], "result": {"values": values}});
        let body = serde_json::to_vec(&body).unwrap();
        plan.handle(t, op.parse(http::Response::new(&body[..])));
    }
    assert_eq!(batches, [vec!["a", "b"], vec!["gone", "c"]]);
    let report = plan.finish();
    assert_eq!((report.requested, report.duplicates), (4, 2));
    assert_eq!(report.values.len(), 4);
    assert_eq!(report.values["a"].as_text(), Some("v-a"));
    assert_eq!(report.values["c"].as_text(), Some("v-c"));
    assert!(report.values["gone"].is_missing());
    assert!(report.failed.is_empty() && report.is_success());
}

#[test]
fn get_key_left_out_of_the_answer_is_missing_and_failures_are_reported() {
    let config = PlanConfig::default().with_max_batch_items(2);
    let mut plan = BulkGetPlan::new(BulkGet::template(ns()).json(), keys(4), config).unwrap();
    let now = Instant::now();
    let Poll::Send(t1, op1) = plan.poll(now) else {
        panic!()
    };
    assert!(op1.is_json());
    let Poll::Send(t2, _) = plan.poll(now) else {
        panic!()
    };
    // An empty `values` object: both keys are missing.
    let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{}}}"#;
    plan.handle(t2, Err(server_error()));
    plan.handle(t1, op1.parse(http::Response::new(&body[..])));
    let report = plan.finish();
    assert!(report.values[key(0).as_str()].is_missing());
    assert!(report.values[key(1).as_str()].is_missing());
    assert_eq!(report.failed.len(), 2);
    assert_eq!(
        report.values.len() + report.failed.len(),
        report.requested as usize
    );
}

#[test]
fn get_values_of_keys_not_in_the_batch_are_anomalies() {
    let mut plan =
        BulkGetPlan::new(BulkGet::template(ns()), keys(1), PlanConfig::default()).unwrap();
    let Poll::Send(t, op) = plan.poll(Instant::now()) else {
        panic!()
    };
    // A result built for another request (as a buggy shell might pass).
    let other = BulkGet::new(ns(), vec![key(0), key(5)]).unwrap();
    let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"key-000000":"x","key-000005":"y"}}}"#;
    let result = other.parse(http::Response::new(&body[..]));
    drop(op);
    plan.handle(t, result);
    let report = plan.finish();
    assert_eq!(report.values[key(0).as_str()].as_text(), Some("x"));
    assert_eq!(report.anomalies, 1);
}

// ---- property: every key accounted for exactly once ----

/// A tiny deterministic RNG for the simulated server (seeded by proptest).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// How the simulated shell and server behave.
#[derive(Clone, Copy)]
struct Odds {
    concurrency: usize,
    fail_pct: u64,
    unsuccessful_pct: u64,
}

/// Drives a write or delete plan with random outcomes; returns (report, keys the server
/// counted as done, sends per key).
fn simulate<O>(
    mut poll: impl FnMut(Instant) -> Poll<O>,
    mut handle: impl FnMut(Ticket, Result<BulkResponse, Error>),
    mut progress: impl FnMut() -> kv_proto::Progress,
    batch_keys: impl Fn(&O) -> Vec<String>,
    rng: &mut Rng,
    odds: Odds,
) -> (Vec<String>, HashMap<String, u32>) {
    let Odds {
        concurrency,
        fail_pct,
        unsuccessful_pct,
    } = odds;
    let mut now = Instant::now();
    let mut in_flight: Vec<(Ticket, Vec<String>)> = Vec::new();
    let mut done = Vec::new();
    let mut sends: HashMap<String, u32> = HashMap::new();
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 100_000, "runaway plan");
        let p = progress();
        assert!(
            p.done + p.failed + p.in_flight + p.queued_for_retry <= p.total_known,
            "{p:?}"
        );
        let step = if in_flight.len() < concurrency {
            poll(now)
        } else {
            Poll::Idle
        };
        match step {
            Poll::Send(t, op) => {
                let ks = batch_keys(&op);
                for k in &ks {
                    *sends.entry(k.clone()).or_default() += 1;
                }
                in_flight.push((t, ks));
                continue;
            }
            Poll::Wait(d) if in_flight.is_empty() => {
                assert!(d > Duration::ZERO);
                now += d;
                continue;
            }
            Poll::Done => {
                assert!(in_flight.is_empty());
                break;
            }
            Poll::Wait(_) | Poll::Idle => {}
        }
        assert!(!in_flight.is_empty(), "Idle with nothing in flight");
        // Complete a random in-flight batch.
        let (t, ks) = in_flight.swap_remove(rng.below(in_flight.len()));
        if rng.chance(fail_pct) {
            handle(t, Err(server_error()));
            continue;
        }
        let mut bad: Vec<String> = ks
            .iter()
            .filter(|_| rng.chance(unsuccessful_pct))
            .cloned()
            .collect();
        for k in &ks {
            if !bad.contains(k) {
                done.push(k.clone());
            }
        }
        let good = ks.iter().filter(|k| !bad.contains(k)).count();
        if rng.chance(10) {
            bad.push("never-requested".into());
        }
        handle(
            t,
            Ok(BulkResponse {
                successful_key_count: good as u64,
                unsuccessful_keys: bad,
            }),
        );
    }
    (done, sends)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_key_is_accounted_for_exactly_once(
        n in 0usize..300,
        alphabet in prop_oneof![Just(usize::MAX), 1usize..40],
        batch in 1usize..40,
        attempts in 1u32..5,
        concurrency in 1usize..6,
        fail_pct in 0u64..40,
        unsuccessful_pct in 0u64..60,
        stop in any::<bool>(),
        write in any::<bool>(),
        seed in any::<u64>(),
    ) {
        // `alphabet` < n makes duplicate keys.
        let input: Vec<String> = (0..n).map(|i| format!("k{}", i % alphabet)).collect();
        let config = PlanConfig::default()
            .with_max_batch_items(batch)
            .with_max_key_attempts(attempts)
            .with_stop_on_error(stop)
            .with_jitter_seed(seed);
        let mut rng = Rng(seed);
        let odds = Odds { concurrency, fail_pct, unsuccessful_pct };
        let (report, done, sends) = if write {
            let items = input.iter().map(|k| BulkWriteItem::text(Key::new(k.as_str()).unwrap(), "v").unwrap());
            let plan = std::cell::RefCell::new(BulkWritePlan::new(BulkWrite::template(ns()), items, config).unwrap());
            let (done, sends) = simulate(
                |now| plan.borrow_mut().poll(now),
                |t, r| plan.borrow_mut().handle(t, r),
                || plan.borrow().progress(),
                |op: &BulkWrite| op.keys().map(|k| k.as_str().to_owned()).collect(),
                &mut rng, odds,
            );
            let p = plan.borrow().progress();
            let report = plan.into_inner().finish();
            prop_assert_eq!(p.done + p.failed, report.requested);
            prop_assert!(p.exhausted || stop);
            (report, done, sends)
        } else {
            let keys = input.iter().map(|k| Key::new(k.as_str()).unwrap());
            let plan = std::cell::RefCell::new(BulkDeletePlan::new(BulkDelete::template(ns()), keys, config).unwrap());
            let (done, sends) = simulate(
                |now| plan.borrow_mut().poll(now),
                |t, r| plan.borrow_mut().handle(t, r),
                || plan.borrow().progress(),
                |op: &BulkDelete| op.keys().iter().map(|k| k.as_str().to_owned()).collect(),
                &mut rng, odds,
            );
            (plan.into_inner().finish(), done, sends)
        };
        prop_assert_eq!(report.abandoned, 0);
        prop_assert_eq!(report.succeeded + report.failed.len() as u64, report.requested);
        prop_assert_eq!(report.succeeded, done.len() as u64);
        // Succeeded (as the server counted) plus failed is exactly the input pulled, as a
        // multiset: no key lost or duplicated.
        let mut accounted = done;
        accounted.extend(report.failed.iter().map(|f| f.key.as_str().to_owned()));
        if stop {
            // Items never pulled are not part of the report; the pulled ones are a prefix.
            prop_assert_eq!(sorted(accounted), sorted(input[..report.requested as usize].to_vec()));
        } else {
            prop_assert_eq!(report.requested, n as u64);
            prop_assert_eq!(sorted(accounted), sorted(input.clone()));
        }
        // No key is sent more than max_key_attempts times per occurrence.
        for (k, count) in &sends {
            let occurrences = input.iter().filter(|i| *i == k).count() as u32;
            prop_assert!(*count <= attempts * occurrences, "{} sent {} times", k, count);
        }
        for f in &report.failed {
            prop_assert!(f.attempts <= attempts);
        }
        if !stop {
            prop_assert!(report.stopped.is_none());
        }
    }

    #[test]
    fn bulk_get_resolves_every_distinct_key_once(
        n in 0usize..400,
        alphabet in 1usize..500,
        batch in 1usize..=100,
        concurrency in 1usize..6,
        fail_pct in 0u64..30,
        seed in any::<u64>(),
    ) {
        let input: Vec<Key> = (0..n).map(|i| key(i % alphabet)).collect();
        let distinct: std::collections::HashSet<&Key> = input.iter().collect();
        let mut plan = BulkGetPlan::new(BulkGet::template(ns()), input.clone(), PlanConfig::default().with_max_batch_items(batch)).unwrap();
        let mut rng = Rng(seed);
        let now = Instant::now();
        let mut in_flight: Vec<(Ticket, BulkGet)> = Vec::new();
        let mut requested_twice = false;
        let mut seen = std::collections::HashSet::new();
        loop {
            let step = if in_flight.len() < concurrency { plan.poll(now) } else { Poll::Idle };
            match step {
                Poll::Send(t, op) => {
                    prop_assert!(op.keys().len() <= batch);
                    for k in op.keys() {
                        requested_twice |= !seen.insert(k.clone());
                    }
                    in_flight.push((t, op));
                    continue;
                }
                Poll::Done => break,
                Poll::Wait(_) => prop_assert!(false, "bulk get never waits"),
                Poll::Idle => {}
            }
            let (t, op) = in_flight.swap_remove(rng.below(in_flight.len()));
            if rng.chance(fail_pct) {
                plan.handle(t, Err(server_error()));
            } else {
                plan.handle(t, Ok(present(&op)));
            }
        }
        prop_assert!(!requested_twice);
        let report = plan.finish();
        prop_assert_eq!(report.requested as usize, distinct.len());
        prop_assert_eq!(report.duplicates as usize, n - distinct.len());
        prop_assert_eq!(report.values.len() + report.failed.len(), distinct.len());
        for (k, v) in &report.values {
            prop_assert_eq!(v, &BulkValue::Text(k.as_str().to_owned()));
        }
        for f in &report.failed {
            prop_assert!(!report.values.contains_key(f.key.as_str()));
            prop_assert!(distinct.iter().any(|k| k.as_str() == f.key));
        }
    }
}

#[test]
fn invalid_inputs_fail_unsent_with_zero_attempts_and_count_as_requested() {
    let input = ["a", "", "..", "b", ".."];
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), input, PlanConfig::default()).unwrap();
    let now = Instant::now();
    let Poll::Send(t, op) = plan.poll(now) else {
        panic!("expected a batch")
    };
    assert_eq!(op.keys(), [Key::new("a").unwrap(), Key::new("b").unwrap()]);
    plan.handle(t, ok(2));
    assert!(matches!(plan.poll(now), Poll::Done));
    let report = plan.finish();
    assert_eq!((report.requested, report.succeeded), (5, 2));
    assert_eq!(
        report.succeeded + report.failed.len() as u64,
        report.requested
    );
    let failed: Vec<(&str, u32)> = report
        .failed
        .iter()
        .map(|f| (f.key.as_str(), f.attempts))
        .collect();
    assert_eq!(failed, [("", 0), ("..", 0), ("..", 0)]);
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.error.limit() == Some(Limit::Key))
    );

    // Bulk get: an invalid input is never a value, and the invariant holds.
    let mut plan = BulkGetPlan::new(
        BulkGet::template(ns()),
        vec!["a".to_string(), String::new(), "a".to_string()],
        PlanConfig::default(),
    )
    .unwrap();
    let Poll::Send(t, op) = plan.poll(now) else {
        panic!("expected a batch")
    };
    plan.handle(t, Ok(present(&op)));
    let report = plan.finish();
    assert_eq!((report.requested, report.duplicates), (2, 1));
    assert_eq!(report.values.len() + report.failed.len(), 2);
    assert_eq!(
        (report.failed[0].key.as_str(), report.failed[0].attempts),
        ("", 0)
    );
}

#[test]
fn an_invalid_input_stops_a_plan_that_stops_on_error() {
    let config = PlanConfig::default()
        .with_max_batch_items(1)
        .with_stop_on_error(true);
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), ["a", "..", "b"], config).unwrap();
    let now = Instant::now();
    let Poll::Send(t, _) = plan.poll(now) else {
        panic!("expected a batch")
    };
    // ".." is pulled for the next batch: the plan stops, "b" is never pulled.
    assert!(matches!(plan.poll(now), Poll::Idle));
    plan.handle(t, ok(1));
    assert!(matches!(plan.poll(now), Poll::Done));
    let report = plan.finish();
    assert_eq!(
        (report.requested, report.succeeded, report.failed.len()),
        (2, 1, 1)
    );
    assert!(report.stopped.as_ref().unwrap().is_invalid_input());
}

#[test]
fn finishing_early_fails_pending_keys_as_abandoned_not_as_a_protocol_error() {
    let config = PlanConfig::default().with_max_batch_items(2);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), keys(3), config).unwrap();
    let Poll::Send(_, _) = plan.poll(Instant::now()) else {
        panic!("expected a batch")
    };
    let report = plan.finish(); // one batch in flight, one key never pulled
    assert_eq!((report.requested, report.abandoned), (2, 2));
    for f in &report.failed {
        assert!(f.error.is_abandoned(), "{:?}", f.error);
        assert!(matches!(f.error.kind(), ErrorKind::Abandoned { .. }));
        assert_eq!(f.attempts, 1);
    }
}

/// Any plan, driven through the trait alone.
fn run_to_end<P: Plan>(
    mut plan: P,
    mut answer: impl FnMut(&P::Op) -> Result<<P::Op as Operation>::Output, Error>,
) -> P::Report {
    let now = Instant::now();
    loop {
        match plan.poll(now) {
            Poll::Send(t, op) => {
                let outcome = answer(&op);
                plan.handle(t, outcome);
            }
            Poll::Done => return plan.finish(),
            Poll::Wait(d) => panic!("unexpected wait {d:?}"),
            Poll::Idle => panic!("idle with nothing in flight"),
        }
    }
}

#[test]
fn every_bulk_plan_is_a_plan() {
    let report = run_to_end(
        BulkWritePlan::new(
            BulkWrite::template(ns()),
            (0..25).map(item),
            PlanConfig::default(),
        )
        .unwrap(),
        |op| ok(op.items().len()),
    );
    assert_eq!(report.succeeded, 25);
    let report = run_to_end(
        BulkDeletePlan::new(BulkDelete::template(ns()), keys(25), PlanConfig::default()).unwrap(),
        |op| ok(op.keys().len()),
    );
    assert_eq!(report.succeeded, 25);
    let template = BulkGet::template(ns()).json();
    let report = run_to_end(
        BulkGetPlan::new(template, keys(250), PlanConfig::default()).unwrap(),
        |op| {
            assert!(op.is_json() && !op.is_with_metadata());
            Ok(present(&op.clone().text()))
        },
    );
    assert_eq!((report.values.len(), report.requests_sent), (250, 3));
}

/// `Progress::total`: known from the start when the input says its exact length, known at the
/// end otherwise; a bulk get takes duplicates off as it meets them.
#[test]
fn progress_total_from_an_exact_size_hint() {
    let now = Instant::now();
    let config = PlanConfig::default().with_max_batch_items(10);
    // A Vec: 25 keys known before anything is pulled.
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), keys(25), config.clone()).unwrap();
    assert_eq!(plan.progress().total, Some(25));
    let Poll::Send(t, op) = plan.poll(now) else {
        panic!("expected a batch")
    };
    assert_eq!(
        (plan.progress().total_known, plan.progress().total),
        (10, Some(25))
    );
    plan.handle(t, ok(op.keys().len()));
    // A filter does not know its length: unknown until the input runs out.
    let unknown = (0..25).filter(|_| true).map(key);
    let mut plan =
        BulkDeletePlan::new(BulkDelete::template(ns()), unknown, config.clone()).unwrap();
    assert_eq!(plan.progress().total, None);
    while let Poll::Send(t, op) = plan.poll(now) {
        let n = op.keys().len();
        plan.handle(t, ok(n));
    }
    assert_eq!(plan.progress().total, Some(25));
    // A bulk get of 4 inputs with one duplicate: 4 at first, 3 once the duplicate is met.
    let mut plan = BulkGetPlan::new(BulkGet::template(ns()), ["a", "b", "a", "c"], config).unwrap();
    assert_eq!(plan.progress().total, Some(4));
    let Poll::Send(_, _) = plan.poll(now) else {
        panic!("expected a batch")
    };
    assert_eq!(plan.progress().total, Some(3));
}
