//! Listing keys: order, prefix, limit, cursor paging through 10,000 keys.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{ACCOUNT, Http, start};
use kv_tests::StoredEntry;
use serde_json::{Value, json};

fn names(v: &Value) -> Vec<String> {
    v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn pages_through_ten_thousand_keys() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("many");
    let all: Vec<String> = (0..10_000).map(|i| format!("key-{i:05}")).collect();
    // Seed through bulk write (one request) to also exercise the full-size bulk route.
    let items: Vec<Value> = all
        .iter()
        .map(|k| json!({"key": k, "value": "v"}))
        .collect();
    let r = h
        .json("PUT", &format!("/{ns}/bulk"), &Value::Array(items))
        .result();
    assert_eq!(r["successful_key_count"], 10_000);

    // Default limit 1000: 10 full pages, the last with an empty cursor.
    let mut got = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let q = if cursor.is_empty() {
            String::new()
        } else {
            format!("?cursor={cursor}")
        };
        let v = h.get(&format!("/{ns}/keys{q}")).json();
        pages += 1;
        let page = names(&v);
        assert_eq!(v["result_info"]["count"], page.len());
        got.extend(page);
        cursor = v["result_info"]["cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 10);
    assert_eq!(got, all);

    // limit=10 with a prefix: exactly the 110 keys key-099xx.. no: key-09*.
    let mut got = Vec::new();
    let mut cursor = String::new();
    loop {
        let v = h
            .get(&format!(
                "/{ns}/keys?prefix=key-09&limit=10&cursor={cursor}"
            ))
            .json();
        got.extend(names(&v));
        cursor = v["result_info"]["cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    let expected: Vec<String> = all
        .iter()
        .filter(|k| k.starts_with("key-09"))
        .cloned()
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 1000);
}

#[test]
fn order_prefix_limit_and_fields() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("order");
    let keys = ["b", "a", "ab", "B", "é", "z", "a/b", "a b", "🦀", "~"];
    for k in keys {
        emu.put_entry(ACCOUNT, &ns, k, StoredEntry::new("v"))
            .unwrap();
    }
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    let v = h.get(&format!("/{ns}/keys")).json();
    assert_eq!(names(&v), sorted);
    assert_eq!(v["result_info"], json!({"count": 10, "cursor": ""}));
    // Keys without metadata or expiration carry only their name.
    assert_eq!(v["result"][0], json!({"name": "B"}));

    // Prefix: exact match and longer keys, encoded in the query.
    let v = h.get(&format!("/{ns}/keys?prefix=a")).json();
    assert_eq!(names(&v), ["a", "a b", "a/b", "ab"]);
    let v = h.get(&format!("/{ns}/keys?prefix=a%2F")).json();
    assert_eq!(names(&v), ["a/b"]);
    let v = h.get(&format!("/{ns}/keys?prefix=a+b")).json(); // form-decoding: + is a space
    assert_eq!(names(&v), ["a b"]);
    let v = h.get(&format!("/{ns}/keys?prefix=nothing")).json();
    assert_eq!(v["result"], json!([]));
    assert_eq!(v["result_info"], json!({"count": 0, "cursor": ""}));

    // Metadata and expiration fields appear only when set.
    let exp = emu.now() + 1000;
    emu.put_entry(
        ACCOUNT,
        &ns,
        "m",
        StoredEntry::new("v")
            .with_metadata(json!({"x": [1]}))
            .with_expiration(exp),
    )
    .unwrap();
    let v = h.get(&format!("/{ns}/keys?prefix=m")).json();
    assert_eq!(
        v["result"][0],
        json!({"name": "m", "expiration": exp, "metadata": {"x": [1]}})
    );

    // Limit bounds.
    assert_eq!(h.get(&format!("/{ns}/keys?limit=10")).status, 200);
    assert_eq!(h.get(&format!("/{ns}/keys?limit=1000")).status, 200);
    h.get(&format!("/{ns}/keys?limit=9")).error(400, 10001);
    h.get(&format!("/{ns}/keys?limit=1001")).error(400, 10001);
    h.get(&format!("/{ns}/keys?limit=ten")).error(400, 10001);
    h.get(&format!("/{ns}/keys?cursor=!!!")).error(400, 10001);
}

#[test]
fn cursor_survives_changes_and_expiry() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("churn");
    for i in 0..30 {
        let e = StoredEntry::new("v");
        // every third key expires soon
        let e = if i % 3 == 0 {
            e.with_expiration(emu.now() + 100)
        } else {
            e
        };
        emu.put_entry(ACCOUNT, &ns, &format!("k{i:02}"), e).unwrap();
    }
    let v = h.get(&format!("/{ns}/keys?limit=10")).json();
    assert_eq!(names(&v).first().map(String::as_str), Some("k00"));
    let cursor = v["result_info"]["cursor"].as_str().unwrap().to_owned();
    assert!(!cursor.is_empty());
    // Between pages: keys expire, one is deleted, one is added before the cursor.
    emu.advance(Duration::from_secs(200));
    emu.delete_key(ACCOUNT, &ns, "k10").unwrap();
    emu.put_entry(ACCOUNT, &ns, "k00a", StoredEntry::new("v"))
        .unwrap();
    let mut rest = Vec::new();
    let mut cursor = cursor;
    while !cursor.is_empty() {
        let v = h
            .get(&format!("/{ns}/keys?limit=10&cursor={cursor}"))
            .json();
        rest.extend(names(&v));
        cursor = v["result_info"]["cursor"].as_str().unwrap().to_owned();
    }
    let set: BTreeSet<&str> = rest.iter().map(String::as_str).collect();
    assert_eq!(set.len(), rest.len(), "no duplicates");
    assert!(!set.contains("k10") && !set.contains("k12") && !set.contains("k00a"));
    assert!(set.contains("k11") && set.contains("k29"));
    // Only live keys are counted.
    assert_eq!(emu.key_count(ACCOUNT, &ns).unwrap(), 30 - 10 - 1 + 1);
}
