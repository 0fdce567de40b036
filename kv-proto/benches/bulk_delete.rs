//! Building a 10,000-key bulk-delete request, against `serde_json::to_vec(&Vec<&str>)` of the
//! same keys.
//!
//! `cargo bench -p kv-proto --bench bulk_delete`
//!
//! What is timed: key validation happens when each [`Key`] is built, so the keys are built
//! once, outside the timed region. Two measurements of ours:
//! - `request (prebuilt op)`: `op.request(&endpoint)` on a ready `BulkDelete` (body, URL,
//!   headers), against `serde_json::to_vec(&keys)` on a ready `Vec<&str>`;
//! - `new + request`: `BulkDelete::new(ns, keys)` then `.request(&endpoint)`, where `keys` is
//!   a clone of the prebuilt `Vec<Key>` made in criterion's untimed setup (`iter_batched`),
//!   and the op and request are dropped outside the timed region too.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kv_proto::{AccountId, Auth, BulkDelete, Endpoint, Key, NamespaceId, Operation};

mod common;
use common::Rng;

/// 10,000 keys of 20 to 512 bytes; about one character in 16 needs a JSON escape or is
/// multi-byte UTF-8.
fn keys() -> Vec<Key> {
    let mut rng = Rng::new(0x6b76_6465_6c31);
    (0..10_000)
        .map(|_| {
            let len = rng.range(20, 512);
            Key::new(common::text(&mut rng, len, 16)).expect("valid key")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let strs: Vec<&str> = keys.iter().map(Key::as_str).collect();
    let endpoint = Endpoint::new(
        AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").expect("account"),
        Auth::api_token("bench-token-not-a-secret").expect("token"),
    );
    let ns = NamespaceId::new("0f2ac74b498b48028cb68387c421e279").expect("ns");
    let op = BulkDelete::new(ns.clone(), keys.clone()).expect("10,000 keys");

    // Check once that both sides produce the same body.
    let baseline = serde_json::to_vec(&strs).expect("serialize");
    assert_eq!(op.request(&endpoint).body(), &baseline);

    let mut g = c.benchmark_group("bulk_delete_10k");
    g.throughput(Throughput::Bytes(baseline.len() as u64));
    g.bench_function("kv_proto request (prebuilt op)", |b| {
        b.iter(|| black_box(&op).request(&endpoint))
    });
    g.bench_function("kv_proto new + request", |b| {
        b.iter_batched(
            || keys.clone(),
            |keys| {
                let op = BulkDelete::new(ns.clone(), keys).expect("10,000 keys");
                let request = op.request(&endpoint);
                (op, request)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("baseline serde_json::to_vec(Vec<&str>)", |b| {
        b.iter(|| serde_json::to_vec(black_box(&strs)))
    });
    g.finish();

    if common::bench_mode() {
        common::interleaved_ratio(
            "bulk_delete_10k request (prebuilt op)",
            41,
            10,
            common::timed(|| black_box(&op).request(&endpoint)),
            common::timed(|| serde_json::to_vec(black_box(&strs))),
        );
        common::interleaved_ratio(
            "bulk_delete_10k new + request",
            41,
            10,
            || {
                let keys = keys.clone();
                let start = Instant::now();
                let op = BulkDelete::new(ns.clone(), keys).expect("10,000 keys");
                let request = black_box(op.request(&endpoint));
                let elapsed = start.elapsed();
                drop((op, request));
                elapsed
            },
            || {
                let start = Instant::now();
                let body = black_box(serde_json::to_vec(black_box(&strs)));
                let elapsed = start.elapsed();
                drop(body);
                elapsed
            },
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
