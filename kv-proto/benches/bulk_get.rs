//! Parsing a 100-key bulk-get response (`withMetadata`, 1 KiB text values) with
//! `BulkGet::parse`, against `serde_json::from_slice::<serde_json::Value>` on the same bytes.
//!
//! `cargo bench -p kv-proto --bench bulk_get`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kv_proto::{BulkGet, Key, NamespaceId, Operation};
use serde_json::{Map, Value, json};

mod common;
use common::Rng;

/// The keys requested and the response body: 100 keys, 95 present with 1 KiB text values
/// (one in four is a JSON document stored as text, so it is full of `\"` escapes), small
/// metadata objects (absent on one in five), an expiration on one in three; 5 keys missing.
fn fixture() -> (Vec<Key>, Vec<u8>) {
    let mut rng = Rng::new(0x6b76_6765_7431);
    let mut keys = Vec::new();
    let mut values = Map::new();
    for i in 0..100u64 {
        let name = format!("user:{i:04}:session:{:016x}", rng.next_u64());
        let entry = if i % 20 == 7 {
            Value::Null
        } else {
            let text = if i % 4 == 0 {
                // A JSON document stored as text, padded to 1 KiB.
                let mut doc = json!({"id": i, "name": "item", "tags": ["a", "b"], "body": ""});
                let pad = 1024 - doc.to_string().len();
                doc["body"] = Value::String(common::prose(&mut rng, pad));
                doc.to_string()
            } else {
                common::prose(&mut rng, 1024)
            };
            let mut e = Map::new();
            e.insert("value".into(), Value::String(text));
            let metadata = if i % 5 == 3 {
                Value::Null
            } else {
                json!({"contentType": "text/plain", "version": i, "owner": format!("team-{}", i % 7)})
            };
            e.insert("metadata".into(), metadata);
            if i % 3 == 0 {
                e.insert("expiration".into(), json!(1_900_000_000u64 + i));
            }
            Value::Object(e)
        };
        values.insert(name.clone(), entry);
        keys.push(Key::new(name).expect("valid key"));
    }
    let body = json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": {"values": values},
    });
    (keys, serde_json::to_vec(&body).expect("serialize"))
}

fn bench(c: &mut Criterion) {
    let (keys, body) = fixture();
    let op = BulkGet::new(
        NamespaceId::new("0f2ac74b498b48028cb68387c421e279").expect("ns"),
        keys,
    )
    .expect("100 keys")
    .with_metadata();
    // Check once that the fixture parses as intended.
    let out = op.parse(http::Response::new(&body[..])).expect("parses");
    assert_eq!(out.len(), 100);
    assert_eq!(out.missing().count(), 5);
    assert!(
        out.iter()
            .filter_map(|(_, v)| v.as_text())
            .all(|t| t.len() == 1024)
    );

    common::versus(
        c,
        "bulk_get_100_with_metadata",
        body.len() as u64,
        200,
        ("kv_proto::BulkGet::parse", || {
            op.parse(http::Response::new(black_box(&body[..])))
        }),
        ("baseline serde_json::Value", || {
            serde_json::from_slice::<Value>(black_box(&body[..]))
        }),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
