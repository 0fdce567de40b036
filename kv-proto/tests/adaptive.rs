//! The adaptive batch size of bulk write and delete plans, driven through the public API by
//! simulated servers: growth toward 10,000 items when answers are quick, shrink and split on
//! 524, 413 and timeouts, and the exactly-once accounting under random scripts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kv_proto::{
    BulkDelete, BulkDeletePlan, BulkReport, BulkResponse, BulkWrite, BulkWriteItem, BulkWritePlan,
    Error, GetNamespace, Key, NamespaceId, Operation, Outcome, Plan, PlanConfig, Poll, Ticket,
    TransportErrorKind,
};
use proptest::prelude::*;

fn ns() -> NamespaceId {
    NamespaceId::new("ns1").unwrap()
}

fn status_error(status: u16) -> Error {
    let op = GetNamespace::new(ns());
    let body = br#"{"success":false,"errors":[{"code":10001,"message":"x"}]}"#;
    let answer = http::Response::builder()
        .status(status)
        .body(&body[..])
        .unwrap();
    op.parse(answer).unwrap_err()
}

fn timeout() -> Error {
    Error::transport(TransportErrorKind::Timeout, "read timed out")
}

/// What a simulated server does with one batch.
enum Answer {
    Ok(Duration),
    /// Success, but these keys (indices into the batch) are listed unsuccessful.
    Unsuccessful(Vec<usize>),
    Fail(Error),
}

#[derive(Default)]
struct Seen {
    /// Keys the server accepted, with multiplicity.
    done: Vec<String>,
    requests: u64,
    batch_sizes: Vec<usize>,
}

/// Drives `plan` with up to `concurrency` batches in flight, answering each (in an order
/// picked by `pick`) as `server` says; every request is "sent" `attempts(batch)` times.
fn drive<P, O>(
    plan: &mut P,
    concurrency: usize,
    keys_of: impl Fn(&O) -> Vec<String>,
    mut pick: impl FnMut(usize) -> usize,
    mut server: impl FnMut(&[String]) -> (Answer, u32),
) -> Seen
where
    P: Plan<Op = O>,
    O: Operation<Output = BulkResponse>,
{
    let mut now = Instant::now();
    let mut in_flight: Vec<(Ticket, Vec<String>)> = Vec::new();
    let mut seen = Seen::default();
    let mut steps = 0u64;
    loop {
        steps += 1;
        assert!(steps < 1_000_000, "runaway plan");
        let step = if in_flight.len() < concurrency {
            plan.poll(now)
        } else {
            Poll::Idle
        };
        match step {
            Poll::Send(t, op) => {
                let ks = keys_of(&op);
                assert!(!ks.is_empty() && ks.len() <= 10_000);
                seen.batch_sizes.push(ks.len());
                in_flight.push((t, ks));
                continue;
            }
            Poll::Wait(d) if in_flight.is_empty() => {
                now += d;
                continue;
            }
            Poll::Done => {
                assert!(in_flight.is_empty());
                return seen;
            }
            Poll::Wait(_) | Poll::Idle => {}
        }
        assert!(!in_flight.is_empty(), "Idle with nothing in flight");
        let (t, ks) = in_flight.swap_remove(pick(in_flight.len()));
        let (answer, attempts) = server(&ks);
        seen.requests += u64::from(attempts);
        let outcome = match answer {
            Answer::Ok(elapsed) => {
                seen.done.extend(ks.iter().cloned());
                Outcome::from_attempts(
                    Ok(BulkResponse {
                        successful_key_count: ks.len() as u64,
                        unsuccessful_keys: vec![],
                    }),
                    attempts,
                    false,
                    elapsed,
                )
            }
            Answer::Unsuccessful(bad) => {
                let bad: Vec<String> = bad.into_iter().map(|i| ks[i].clone()).collect();
                seen.done
                    .extend(ks.iter().filter(|k| !bad.contains(k)).cloned());
                Outcome::from_attempts(
                    Ok(BulkResponse {
                        successful_key_count: (ks.len() - bad.len()) as u64,
                        unsuccessful_keys: bad,
                    }),
                    attempts,
                    false,
                    Duration::from_millis(5),
                )
            }
            Answer::Fail(e) => {
                let maybe = e.maybe_applied();
                Outcome::from_attempts(Err(e), attempts, maybe, Duration::from_secs(100))
            }
        };
        plan.handle(t, outcome);
    }
}

fn delete_keys(op: &BulkDelete) -> Vec<String> {
    op.keys().iter().map(|k| k.as_str().to_owned()).collect()
}

fn write_keys(op: &BulkWrite) -> Vec<String> {
    op.keys().map(|k| k.as_str().to_owned()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn check_accounting(report: &BulkReport, input: &[String], seen: &Seen) {
    assert_eq!(report.requested, input.len() as u64);
    assert_eq!(
        report.succeeded + report.failed.len() as u64 + report.not_attempted.len() as u64,
        report.requested
    );
    assert_eq!(report.succeeded, seen.done.len() as u64);
    let mut accounted = seen.done.clone();
    accounted.extend(report.failed.iter().map(|f| f.key.clone()));
    accounted.extend(report.not_attempted.iter().cloned());
    assert_eq!(
        sorted(accounted),
        sorted(input.to_vec()),
        "a key lost or twice"
    );
    assert_eq!(report.requests_sent, seen.requests);
}

fn key_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("k{i:07}")).collect()
}

#[test]
fn a_million_key_delete_with_quick_answers_takes_at_most_120_requests() {
    for concurrency in [1, 4, 16] {
        let input = key_names(1_000_000);
        let mut plan =
            BulkDeletePlan::new(BulkDelete::template(ns()), &input, PlanConfig::default()).unwrap();
        let seen = drive(
            &mut plan,
            concurrency,
            delete_keys,
            |_| 0,
            // 100 ms latency and 1 µs per item: far inside the edge's 100 s.
            |ks| {
                let d = Duration::from_millis(100) + Duration::from_micros(ks.len() as u64);
                (Answer::Ok(d), 1)
            },
        );
        let report = plan.finish();
        check_accounting(&report, &input, &seen);
        assert!(report.is_success());
        println!(
            "concurrency {concurrency}: {} requests",
            report.requests_sent
        );
        assert!(
            report.requests_sent <= 120,
            "concurrency {concurrency}: {} requests (sizes {:?})",
            report.requests_sent,
            &seen.batch_sizes[..20.min(seen.batch_sizes.len())]
        );
        assert_eq!(seen.batch_sizes.iter().max(), Some(&10_000));
    }
}

#[test]
fn an_explicit_batch_size_stays_fixed() {
    let input = key_names(30_000);
    let config = PlanConfig::default().with_max_batch_items(1_000);
    let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), &input, config).unwrap();
    let seen = drive(
        &mut plan,
        4,
        delete_keys,
        |_| 0,
        |_| (Answer::Ok(Duration::from_millis(1)), 1),
    );
    assert!(seen.batch_sizes.iter().all(|&n| n == 1_000));
    assert_eq!(plan.finish().requests_sent, 30);
}

#[test]
fn big_batches_that_time_out_are_split_and_nothing_is_lost() {
    // The server needs 30 µs per item and the edge gives up after 100 s... scaled: batches
    // over 3,000 items answer 524 (or time out, or 413), smaller ones succeed.
    for (i, failure) in [status_error(524), status_error(413), timeout()]
        .into_iter()
        .enumerate()
    {
        let input = key_names(200_000);
        let mut plan =
            BulkDeletePlan::new(BulkDelete::template(ns()), &input, PlanConfig::default()).unwrap();
        let mut failures = 0;
        let seen = drive(
            &mut plan,
            8,
            delete_keys,
            |n| n / 2,
            |ks| {
                if ks.len() > 3_000 {
                    failures += 1;
                    (Answer::Fail(failure.clone()), 1)
                } else {
                    // Quick enough to grow: the sizer will try bigger batches again.
                    (Answer::Ok(Duration::from_millis(50)), 1)
                }
            },
        );
        let report = plan.finish();
        check_accounting(&report, &input, &seen);
        assert!(report.is_success(), "case {i}: {:?}", report.failed.first());
        assert_eq!(report.succeeded, 200_000);
        assert!(
            failures > 0,
            "case {i}: the sizer never tried a large batch"
        );
        // After a failure the sizer backs off: far fewer failures than requests.
        assert!(
            failures * 4 <= report.requests_sent,
            "case {i}: {failures} failures in {} requests",
            report.requests_sent
        );
    }
}

#[test]
fn a_split_write_keeps_its_items_and_a_single_item_failure_fails_it() {
    // Every batch of more than one item answers 524; single items succeed except "k0000003",
    // which always times out: it fails alone, everything else is written exactly once.
    let input = key_names(50);
    let items: Vec<BulkWriteItem> = input
        .iter()
        .map(|k| BulkWriteItem::text(Key::new(k.as_str()).unwrap(), "v").unwrap())
        .collect();
    let mut plan =
        BulkWritePlan::new(BulkWrite::template(ns()), items, PlanConfig::default()).unwrap();
    let seen = drive(
        &mut plan,
        3,
        write_keys,
        |_| 0,
        |ks| {
            if ks.len() > 1 {
                (Answer::Fail(status_error(524)), 1)
            } else if ks[0] == "k0000003" {
                (Answer::Fail(timeout()), 3)
            } else {
                (Answer::Ok(Duration::from_millis(1)), 1)
            }
        },
    );
    let report = plan.finish();
    check_accounting(&report, &input, &seen);
    assert_eq!(report.succeeded, 49);
    assert_eq!(report.failed.len(), 1);
    let f = &report.failed[0];
    assert_eq!(f.key, "k0000003");
    assert!(f.error.is_timeout());
    assert!(f.maybe_applied, "a timed-out write may have been applied");
    assert!(f.attempts > 3, "the split sends count too: {}", f.attempts);
}

/// A small deterministic generator for the scripts.
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

    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn exactly_once_accounting_under_524_413_timeout_scripts(
        n in 0usize..3_000,
        concurrency in 1usize..8,
        shrink_pct in 0u64..60,
        other_fail_pct in 0u64..15,
        unsuccessful_pct in 0u64..30,
        big in 1usize..3_000,
        write in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let input = key_names(n);
        let mut rng = Rng(seed);
        let errors = [status_error(524), status_error(413), timeout()];
        // Batches over `big` items fail with a 524, a 413 or a timeout `shrink_pct` of the
        // time; any batch may fail otherwise (a 500) or list some keys unsuccessful.
        let mut server = |ks: &[String]| {
            let attempts = 1 + rng.below(3) as u32;
            if ks.len() > big && rng.chance(shrink_pct.max(20)) || rng.chance(shrink_pct / 4) {
                return (Answer::Fail(errors[rng.below(3)].clone()), attempts);
            }
            if rng.chance(other_fail_pct) {
                return (Answer::Fail(status_error(500)), attempts);
            }
            if rng.chance(unsuccessful_pct) {
                let bad: Vec<usize> = (0..ks.len()).filter(|_| rng.chance(20)).collect();
                return (Answer::Unsuccessful(bad), attempts);
            }
            let ms = rng.below(2_000) as u64;
            (Answer::Ok(Duration::from_millis(ms)), attempts)
        };
        let mut order = Rng(seed ^ 0xABCD);
        let pick = |len: usize| order.below(len);
        let (report, seen) = if write {
            let items: Vec<BulkWriteItem> = input
                .iter()
                .map(|k| BulkWriteItem::text(Key::new(k.as_str()).unwrap(), "v").unwrap())
                .collect();
            let mut plan = BulkWritePlan::new(BulkWrite::template(ns()), items, PlanConfig::default()).unwrap();
            let seen = drive(&mut plan, concurrency, write_keys, pick, &mut server);
            (plan.finish(), seen)
        } else {
            let mut plan = BulkDeletePlan::new(BulkDelete::template(ns()), &input, PlanConfig::default()).unwrap();
            let seen = drive(&mut plan, concurrency, delete_keys, pick, &mut server);
            (plan.finish(), seen)
        };
        check_accounting(&report, &input, &seen);
        prop_assert_eq!(report.abandoned, 0);
        // Every failed key carries the requests that carried it.
        let per_key: HashMap<&str, u32> =
            report.failed.iter().map(|f| (f.key.as_str(), f.attempts)).collect();
        for (k, a) in per_key {
            prop_assert!(a >= 1, "{} failed without a request", k);
        }
    }
}
