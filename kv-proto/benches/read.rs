//! Read throughput: parsing a 1,000-key list page (`ListKeys::parse`, keys with metadata) and
//! a 25 MiB value read (`GetValue::parse` of a 200 response). Each is paired with a baseline
//! on the same bytes: `serde_json::Value` for the page, a plain copy (`<[u8]>::to_vec`) for
//! the value, since `GetValue` hands back an owned copy of the body.
//!
//! `cargo bench -p kv-proto --bench read`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kv_proto::{GetValue, Key, ListKeys, NamespaceId, Operation, limits::MAX_VALUE_BYTES};
use serde_json::{Value, json};

mod common;
use common::Rng;

/// A full page: 1,000 keys of 16 to 128 bytes (one character in 32 escaped or non-ASCII),
/// sorted; metadata on 4 keys in 5, an expiration on 1 in 3; a cursor.
fn list_page() -> Vec<u8> {
    let mut rng = Rng::new(0x6b76_6c69_7374);
    let mut names: Vec<String> = (0..1000)
        .map(|_| {
            let len = rng.range(16, 128);
            common::text(&mut rng, len, 32)
        })
        .collect();
    names.sort();
    let keys: Vec<Value> = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let mut k = json!({ "name": name });
            if i % 3 == 0 {
                k["expiration"] = json!(1_900_000_000u64 + i as u64);
            }
            if i % 5 != 4 {
                k["metadata"] =
                    json!({"contentType": "application/json", "size": i * 37, "tag": "v2"});
            }
            k
        })
        .collect();
    let body = json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": keys,
        "result_info": {"count": 1000, "cursor": "6Ck1la0VxJ0djhidm1MdX2FyDGxLKVeeHC0ZvX2Fq4Na"},
    });
    serde_json::to_vec(&body).expect("serialize")
}

fn bench_list(c: &mut Criterion) {
    let body = list_page();
    let op = ListKeys::new(NamespaceId::new("0f2ac74b498b48028cb68387c421e279").expect("ns"));
    let page = op.parse(http::Response::new(&body[..])).expect("parses");
    assert_eq!(page.keys.len(), 1000);
    assert!(page.cursor.is_some());

    common::versus(
        c,
        "list_keys_1000",
        body.len() as u64,
        20,
        ("kv_proto::ListKeys::parse", || {
            op.parse(http::Response::new(black_box(&body[..])))
        }),
        ("baseline serde_json::Value", || {
            serde_json::from_slice::<Value>(black_box(&body[..]))
        }),
    );
}

fn bench_value(c: &mut Criterion) {
    let mut rng = Rng::new(0x6b76_7661_6c75);
    let mut body = vec![0u8; MAX_VALUE_BYTES];
    for chunk in body.chunks_mut(8) {
        let r = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    let op = GetValue::new(
        NamespaceId::new("0f2ac74b498b48028cb68387c421e279").expect("ns"),
        Key::new("blobs/large.bin").expect("key"),
    );
    let response = || {
        http::Response::builder()
            .status(200)
            .header("content-type", "application/octet-stream")
            .header("expiration", "1900000000")
            .body(black_box(&body[..]))
            .expect("response")
    };
    let value = op.parse(response()).expect("parses");
    assert_eq!(value.bytes, body);
    assert_eq!(value.expiration, Some(1_900_000_000));

    common::versus(
        c,
        "get_value_25mib",
        body.len() as u64,
        4,
        ("kv_proto::GetValue::parse", || op.parse(response())),
        ("baseline <[u8]>::to_vec", || black_box(&body[..]).to_vec()),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_list, bench_value
}
criterion_main!(benches);
