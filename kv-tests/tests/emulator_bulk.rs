//! Bulk write, bulk delete (both routes) and bulk get, with their limits.

mod common;

use common::{ACCOUNT, Http, start};
use kv_tests::StoredEntry;
use serde_json::{Value, json};

#[test]
fn bulk_write_stores_every_field() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("bw");
    emu.set_now(2_000_000_000);
    let r = h.json(
        "PUT",
        &format!("/{ns}/bulk"),
        &json!([
            {"key": "text", "value": "héllo"},
            {"key": "bin", "value": "AP8Q", "base64": true},
            {"key": "nopad", "value": "AP8", "base64": true},
            {"key": "meta", "value": "v", "metadata": {"a": [1, 2]}},
            {"key": "ttl", "value": "v", "expiration_ttl": 600},
            {"key": "abs", "value": "v", "expiration": 2_000_001_000u64},
            {"key": "both", "value": "v", "expiration": 5, "expiration_ttl": 120},
            {"key": "float", "value": "v", "expiration_ttl": 60.0},
            {"key": "a/b?#", "value": "v", "base64": false, "metadata": null},
        ]),
    );
    assert_eq!(
        r.result(),
        json!({"successful_key_count": 9, "unsuccessful_keys": []})
    );
    let get = |k: &str| emu.entry(ACCOUNT, &ns, k).unwrap();
    assert_eq!(get("text").value, "héllo".as_bytes());
    assert_eq!(get("bin").value, [0x00, 0xff, 0x10]);
    assert_eq!(get("nopad").value, [0x00, 0xff]);
    assert_eq!(get("meta").metadata, Some(json!({"a": [1, 2]})));
    let ttl = get("ttl").expiration.unwrap();
    assert!((2_000_000_600..2_000_000_610).contains(&ttl));
    assert_eq!(get("abs").expiration, Some(2_000_001_000));
    assert!(get("both").expiration.unwrap() >= 2_000_000_120);
    assert!(get("float").expiration.is_some());
    assert_eq!(get("a/b?#").metadata, None);
    // Later items win for duplicate keys; every item counts.
    let r = h.json(
        "PUT",
        &format!("/{ns}/bulk"),
        &json!([{"key": "dup", "value": "1"}, {"key": "dup", "value": "2"}]),
    );
    assert_eq!(r.result()["successful_key_count"], 2);
    assert_eq!(get("dup").value, b"2");
    // Empty array is fine.
    assert_eq!(
        h.json("PUT", &format!("/{ns}/bulk"), &json!([])).result()["successful_key_count"],
        0
    );
}

#[test]
fn bulk_write_validation_rejects_the_whole_request() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("bwv");
    let url = format!("/{ns}/bulk");
    let check = |body: Value, status: u16, code: u64| {
        let msg = h.json("PUT", &url, &body).error(status, code);
        assert_eq!(
            emu.key_count(ACCOUNT, &ns).unwrap(),
            0,
            "nothing written for {body}"
        );
        msg
    };
    let ok = json!({"key": "ok", "value": "v"});
    check(json!({"key": "k", "value": "v"}), 400, 10012);
    check(json!([ok, {"value": "v"}]), 400, 10012);
    check(json!([ok, {"key": "k"}]), 400, 10012);
    check(json!([ok, {"key": "k", "value": 5}]), 400, 10012);
    check(
        json!([ok, {"key": "k", "value": "v", "expiration_ttl": "60"}]),
        400,
        10012,
    );
    let msg = check(json!([ok, {"key": "", "value": "v"}]), 400, 10001);
    assert!(
        msg.contains("item 1") && msg.contains("Key names must not be empty"),
        "{msg}"
    );
    check(json!([ok, {"key": "..", "value": "v"}]), 400, 10001);
    check(
        json!([ok, {"key": "k".repeat(513), "value": "v"}]),
        400,
        10001,
    );
    check(
        json!([ok, {"key": "k", "value": "@@@", "base64": true}]),
        400,
        10001,
    );
    let msg = check(
        json!([ok, {"key": "k", "value": "v", "expiration_ttl": 59}]),
        400,
        10034,
    );
    assert!(msg.contains("Expiration TTL must be at least 60"), "{msg}");
    check(
        json!([ok, {"key": "k", "value": "v", "expiration": 100}]),
        400,
        10034,
    );
    check(
        json!([ok, {"key": "k", "value": "v", "expiration_ttl": -1}]),
        400,
        10034,
    );
    let big_meta = json!({"p": "a".repeat(1100)});
    check(
        json!([ok, {"key": "k", "value": "v", "metadata": big_meta}]),
        413,
        10001,
    );
    h.send("PUT", &url, Some("application/json"), Some(b"[{".to_vec()))
        .error(400, 10012);
    h.send("PUT", &url, Some("application/json"), Some(Vec::new()))
        .error(400, 10012);
    // More than 10,000 items.
    let items: Vec<Value> = (0..10_001)
        .map(|i| json!({"key": format!("k{i}"), "value": ""}))
        .collect();
    let msg = check(Value::Array(items), 400, 10001);
    assert!(msg.contains("10000"), "{msg}");
    // Value over 25 MiB.
    let big = "x".repeat(26_214_401);
    check(json!([{"key": "big", "value": big}]), 413, 10001);
}

#[test]
fn bulk_body_over_100_mb_is_413() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("huge");
    // 100,000,001 bytes of (invalid) JSON: the size check comes first.
    let body = vec![b' '; 100_000_001];
    let msg = h
        .send(
            "PUT",
            &format!("/{ns}/bulk"),
            Some("application/json"),
            Some(body),
        )
        .error(413, 10001);
    assert!(msg.contains("100000000"), "{msg}");
}

#[test]
fn bulk_delete_both_routes() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("bd");
    for k in ["a", "b", "c", "d", "a/b"] {
        emu.put_entry(ACCOUNT, &ns, k, StoredEntry::new("v"))
            .unwrap();
    }
    let r = h.json(
        "POST",
        &format!("/{ns}/bulk/delete"),
        &json!(["a", "missing", "a/b"]),
    );
    assert_eq!(
        r.result(),
        json!({"successful_key_count": 3, "unsuccessful_keys": []})
    );
    assert_eq!(emu.keys(ACCOUNT, &ns).unwrap(), ["b", "c", "d"]);
    // Deprecated DELETE .../bulk with a body.
    let r = h.json("DELETE", &format!("/{ns}/bulk"), &json!(["b", "c"]));
    assert_eq!(
        r.result(),
        json!({"successful_key_count": 2, "unsuccessful_keys": []})
    );
    assert_eq!(emu.keys(ACCOUNT, &ns).unwrap(), ["d"]);
    // Validation.
    let url = format!("/{ns}/bulk/delete");
    h.json("POST", &url, &json!({"keys": ["d"]}))
        .error(400, 10012);
    h.json("POST", &url, &json!(["d", 5])).error(400, 10012);
    h.json("POST", &url, &json!(["d", ""])).error(400, 10001);
    h.json("POST", &url, &json!(["d", "k".repeat(513)]))
        .error(400, 10001);
    h.send(
        "POST",
        &url,
        Some("application/json"),
        Some(b"nope".to_vec()),
    )
    .error(400, 10012);
    let many: Vec<String> = (0..10_001).map(|i| format!("k{i}")).collect();
    h.json("POST", &url, &json!(many)).error(400, 10001);
    assert_eq!(emu.keys(ACCOUNT, &ns).unwrap(), ["d"]);
    // 10,000 keys is fine.
    let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
    for k in &keys[..100] {
        emu.put_entry(ACCOUNT, &ns, k, StoredEntry::new("v"))
            .unwrap();
    }
    let r = h.json("POST", &url, &json!(keys));
    assert_eq!(r.result()["successful_key_count"], 10_000);
    assert_eq!(emu.keys(ACCOUNT, &ns).unwrap(), ["d"]);
}

#[test]
fn bulk_get_text_json_metadata() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("bg");
    let exp = emu.now() + 5000;
    emu.put_entry(ACCOUNT, &ns, "t", StoredEntry::new("plain text"))
        .unwrap();
    emu.put_entry(
        ACCOUNT,
        &ns,
        "j",
        StoredEntry::new(r#"{"n": [1, 2]}"#).with_metadata(json!({"m": true})),
    )
    .unwrap();
    emu.put_entry(
        ACCOUNT,
        &ns,
        "e",
        StoredEntry::new("42").with_expiration(exp),
    )
    .unwrap();
    let url = format!("/{ns}/bulk/get");

    let r = h.json("POST", &url, &json!({"keys": ["t", "j", "missing"]}));
    assert_eq!(
        r.result(),
        json!({"values": {"t": "plain text", "j": "{\"n\": [1, 2]}", "missing": null}})
    );
    let r = h.json("POST", &url, &json!({"keys": ["t"], "type": "text"}));
    assert_eq!(r.result()["values"]["t"], "plain text");
    let r = h.json(
        "POST",
        &url,
        &json!({"keys": ["j", "e", "missing"], "type": "json"}),
    );
    assert_eq!(
        r.result(),
        json!({"values": {"j": {"n": [1, 2]}, "e": 42, "missing": null}})
    );
    let r = h.json(
        "POST",
        &url,
        &json!({"keys": ["j", "e", "missing"], "type": "json", "withMetadata": true}),
    );
    assert_eq!(
        r.result(),
        json!({"values": {
            "j": {"value": {"n": [1, 2]}, "metadata": {"m": true}},
            "e": {"value": 42, "metadata": null, "expiration": exp},
            "missing": null
        }})
    );
    let r = h.json("POST", &url, &json!({"keys": ["t"], "withMetadata": true}));
    assert_eq!(
        r.result(),
        json!({"values": {"t": {"value": "plain text", "metadata": null}}})
    );
    // None exist: still 200.
    let r = h.json("POST", &url, &json!({"keys": ["x", "y"]}));
    assert_eq!(r.result(), json!({"values": {"x": null, "y": null}}));

    // Errors.
    let msg = h
        .json("POST", &url, &json!({"keys": ["t"], "type": "json"}))
        .error(400, 10001);
    assert_eq!(
        msg,
        "At least one of the requested keys corresponds to a non-json value"
    );
    let msg = h
        .json("POST", &url, &json!({"keys": ["t"], "type": "xml"}))
        .error(400, 10001);
    assert_eq!(msg, "\"xml\" is not a valid type. Use \"json\" or \"text\"");
    let hundred: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
    assert_eq!(h.json("POST", &url, &json!({"keys": hundred})).status, 200);
    let many: Vec<String> = (0..101).map(|i| format!("k{i}")).collect();
    let msg = h
        .json("POST", &url, &json!({"keys": many}))
        .error(400, 10029);
    assert_eq!(
        msg,
        "bulk get keys: 'You can request a maximum of 100 keys'"
    );
    h.json("POST", &url, &json!({"keys": []})).error(400, 10029);
    h.json("POST", &url, &json!({})).error(400, 10012);
    h.json("POST", &url, &json!(["t"])).error(400, 10012);
    h.json("POST", &url, &json!({"keys": [""]}))
        .error(400, 10001);
    h.json("POST", &url, &json!({"keys": ["t"], "withMetadata": "yes"}))
        .error(400, 10012);
    h.send("POST", &url, Some("application/json"), Some(b"{".to_vec()))
        .error(400, 10012);
}

#[test]
fn bulk_get_response_limit_is_25_mib() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("bg-big");
    let chunk = "x".repeat(13 * 1024 * 1024);
    emu.put_entry(ACCOUNT, &ns, "a", StoredEntry::new(chunk.clone()))
        .unwrap();
    emu.put_entry(ACCOUNT, &ns, "b", StoredEntry::new(chunk))
        .unwrap();
    let url = format!("/{ns}/bulk/get");
    assert_eq!(h.json("POST", &url, &json!({"keys": ["a"]})).status, 200);
    h.json("POST", &url, &json!({"keys": ["a", "b"]}))
        .error(413, 10001);
}
