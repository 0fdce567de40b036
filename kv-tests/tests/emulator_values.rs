//! Values, metadata, key decoding and expiration, over raw HTTP.

mod common;

use std::time::Duration;

use common::{ACCOUNT, Http, enc, multipart, start};
use kv_tests::StoredEntry;
use serde_json::{Value, json};

#[test]
fn raw_values_are_byte_exact() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("v");
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let r = h.raw("PUT", &format!("/{ns}/values/bin"), &binary);
    assert_eq!(r.result(), Value::Null);
    let got = h.get(&format!("/{ns}/values/bin"));
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert!(got.header("expiration").is_none());
    assert_eq!(got.body, binary);

    // A JSON body on a raw write is stored verbatim, never unpacked.
    let doc = br#"{"value":"x","metadata":{"a":1}}"#;
    h.send(
        "PUT",
        &format!("/{ns}/values/doc"),
        Some("application/json"),
        Some(doc.to_vec()),
    );
    assert_eq!(h.get(&format!("/{ns}/values/doc")).body, doc);
    assert_eq!(h.get(&format!("/{ns}/metadata/doc")).result(), Value::Null);
    // A body that looks like an error envelope comes back as is, with 200.
    let env = br#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}]}"#;
    h.raw("PUT", &format!("/{ns}/values/env"), env);
    let r = h.get(&format!("/{ns}/values/env"));
    assert_eq!((r.status, r.body.as_slice()), (200, &env[..]));

    // Empty values are allowed.
    h.raw("PUT", &format!("/{ns}/values/empty"), b"");
    let r = h.get(&format!("/{ns}/values/empty"));
    assert_eq!((r.status, r.body.len()), (200, 0));
    // Writes replace value, metadata and expiration.
    let (ct, body) = multipart(&[("value", b"one"), ("metadata", br#"{"m":1}"#)]);
    h.send(
        "PUT",
        &format!("/{ns}/values/re?expiration_ttl=600"),
        Some(&ct),
        Some(body),
    );
    h.raw("PUT", &format!("/{ns}/values/re"), b"two");
    let e = emu.entry(ACCOUNT, &ns, "re").unwrap();
    assert_eq!(e, StoredEntry::new("two"));

    // Missing keys.
    let msg = h.get(&format!("/{ns}/values/missing")).error(404, 10009);
    assert_eq!(msg, "get: 'key not found'");
    h.get(&format!("/{ns}/metadata/missing")).error(404, 10009);
    // Deleting a missing key succeeds.
    assert_eq!(
        h.delete(&format!("/{ns}/values/missing")).result(),
        Value::Null
    );
    assert_eq!(h.delete(&format!("/{ns}/values/bin")).result(), Value::Null);
    h.get(&format!("/{ns}/values/bin")).error(404, 10009);
}

#[test]
fn value_size_limit() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("big");
    let max = vec![b'x'; 26_214_400];
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/max"), &max).status, 200);
    assert_eq!(h.get(&format!("/{ns}/values/max")).body.len(), 26_214_400);
    let over = vec![b'x'; 26_214_401];
    let msg = h
        .raw("PUT", &format!("/{ns}/values/over"), &over)
        .error(413, 10001);
    assert_eq!(msg, "Value length of 26214401 exceeds limit of 26214400.");
    // Far over the buffer limit: still a clean 413 on a live connection.
    let way_over = vec![b'x'; 30 * 1024 * 1024];
    h.raw("PUT", &format!("/{ns}/values/over"), &way_over)
        .error(413, 10001);
    let (ct, body) = multipart(&[("value", &over)]);
    h.send("PUT", &format!("/{ns}/values/over"), Some(&ct), Some(body))
        .error(413, 10001);
    assert!(emu.entry(ACCOUNT, &ns, "over").is_none());
}

#[test]
fn multipart_writes() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("mp");
    let value: Vec<u8> = vec![0, 159, 146, 150, b'\r', b'\n', b'-', b'-'];
    let (ct, body) = multipart(&[
        ("value", &value),
        ("metadata", br#"{"someMetadataKey": "someMetadataValue"}"#),
    ]);
    let r = h.send("PUT", &format!("/{ns}/values/k"), Some(&ct), Some(body));
    assert_eq!(r.result(), Value::Null);
    assert_eq!(h.get(&format!("/{ns}/values/k")).body, value);
    assert_eq!(
        h.get(&format!("/{ns}/metadata/k")).result(),
        json!({"someMetadataKey": "someMetadataValue"})
    );
    // Metadata may be any JSON.
    for meta in [json!(42), json!("s"), json!([1, 2]), json!(true)] {
        let (ct, body) = multipart(&[("metadata", meta.to_string().as_bytes()), ("value", b"v")]);
        h.send("PUT", &format!("/{ns}/values/any"), Some(&ct), Some(body));
        assert_eq!(h.get(&format!("/{ns}/metadata/any")).result(), meta);
    }
    // Value part only: metadata null.
    let (ct, body) = multipart(&[("value", b"plain")]);
    h.send("PUT", &format!("/{ns}/values/k"), Some(&ct), Some(body));
    assert_eq!(h.get(&format!("/{ns}/metadata/k")).result(), Value::Null);
    assert_eq!(h.get(&format!("/{ns}/values/k")).body, b"plain");

    // Metadata not JSON: 400, nothing written.
    let (ct, body) = multipart(&[("value", b"x"), ("metadata", b"{not json")]);
    h.send("PUT", &format!("/{ns}/values/bad"), Some(&ct), Some(body))
        .error(400, 10012);
    assert!(emu.entry(ACCOUNT, &ns, "bad").is_none());
    // Metadata 1024 bytes ok, 1025 too large.
    let fits = json!({ "p": "a".repeat(1024 - 8) });
    assert_eq!(fits.to_string().len(), 1024);
    let (ct, body) = multipart(&[("value", b"x"), ("metadata", fits.to_string().as_bytes())]);
    assert_eq!(
        h.send("PUT", &format!("/{ns}/values/m"), Some(&ct), Some(body))
            .status,
        200
    );
    let over = json!({ "p": "a".repeat(1024 - 7) });
    let (ct, body) = multipart(&[("value", b"x"), ("metadata", over.to_string().as_bytes())]);
    let msg = h
        .send("PUT", &format!("/{ns}/values/m2"), Some(&ct), Some(body))
        .error(413, 10001);
    assert_eq!(msg, "Metadata length of 1025 exceeds limit of 1024.");
    // No value part.
    let (ct, body) = multipart(&[("metadata", b"{}")]);
    h.send("PUT", &format!("/{ns}/values/nv"), Some(&ct), Some(body))
        .error(400, 10012);
    // Broken multipart.
    h.send(
        "PUT",
        &format!("/{ns}/values/x"),
        Some("multipart/form-data; boundary=zzz"),
        Some(b"garbage".to_vec()),
    )
    .error(400, 10012);
    h.send(
        "PUT",
        &format!("/{ns}/values/x"),
        Some("multipart/form-data"),
        Some(b"--".to_vec()),
    )
    .error(400, 10012);
}

#[test]
fn tricky_keys_are_decoded_once() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("keys");
    let long_ascii = "k".repeat(512);
    let long_utf8 = format!("{}{}", "é".repeat(255), "ab"); // 512 bytes
    assert_eq!(long_utf8.len(), 512);
    let keys = [
        "a/b",
        "what?",
        "hash#tag",
        "%2F",
        "100%",
        "with space",
        "plus+sign",
        "emoji 🦀 ключ",
        "./dot",
        "..x",
        "~!*'();:@&=$,[]",
        "\u{7f}\u{1}tab\t",
        long_ascii.as_str(),
        long_utf8.as_str(),
    ];
    for (i, key) in keys.iter().enumerate() {
        let path = format!("/{ns}/values/{}", enc(key));
        let r = h.raw("PUT", &path, format!("v{i}").as_bytes());
        assert_eq!(r.status, 200, "{key:?}: {}", r.text());
        assert_eq!(h.get(&path).body, format!("v{i}").as_bytes(), "{key:?}");
        let stored = emu
            .entry(ACCOUNT, &ns, key)
            .unwrap_or_else(|| panic!("{key:?} not stored"));
        assert_eq!(stored.value, format!("v{i}").as_bytes());
        assert_eq!(h.get(&format!("/{ns}/metadata/{}", enc(key))).status, 200);
    }
    // `%252F` is the key `%2F`, not `/`.
    assert_eq!(h.get(&format!("/{ns}/values/%252F")).body, b"v3");
    // Unreserved characters may also be sent unencoded, and `+` is not a space in a path.
    assert_eq!(h.get(&format!("/{ns}/values/plus+sign")).body, b"v6");
    // Listing returns the decoded names, sorted by UTF-8 bytes.
    let listed: Vec<String> = h
        .get(&format!("/{ns}/keys"))
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    // Delete via an encoded path.
    h.delete(&format!("/{ns}/values/{}", enc("a/b")));
    assert!(emu.entry(ACCOUNT, &ns, "a/b").is_none());

    // Limits on the decoded key.
    let too_long = "k".repeat(513);
    let msg = h
        .raw("PUT", &format!("/{ns}/values/{too_long}"), b"v")
        .error(414, 10001);
    assert_eq!(
        msg,
        "UTF-8 encoded length of 513 exceeds key length limit of 512."
    );
    let too_long_utf8 = format!("{}{}", "é".repeat(256), "a");
    h.get(&format!("/{ns}/values/{}", enc(&too_long_utf8)))
        .error(414, 10001);
    let msg = h
        .raw("PUT", &format!("/{ns}/values/"), b"v")
        .error(400, 10001);
    assert_eq!(msg, "Key names must not be empty");
    let msg = h
        .raw("PUT", &format!("/{ns}/values/%2E"), b"v")
        .error(400, 10001);
    assert_eq!(msg, "Illegal key name \".\". Please use a different name.");
    h.raw("PUT", &format!("/{ns}/values/%2E%2E"), b"v")
        .error(400, 10001);
    h.delete(&format!("/{ns}/values/%2e%2e")).error(400, 10001);
    h.get(&format!("/{ns}/metadata/%2E")).error(400, 10001);
    // Percent-decoding to invalid UTF-8.
    h.raw("PUT", &format!("/{ns}/values/%FF%FE"), b"v")
        .error(400, 10001);
}

#[test]
fn expiration_follows_the_clock() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = h.create_ns("exp");
    let now = 2_000_000_000;
    emu.set_now(now);
    assert!(emu.now() >= now && emu.now() <= now + 2);

    // TTL: stored as absolute time, reported in the header, list and bulk get.
    h.raw("PUT", &format!("/{ns}/values/ttl?expiration_ttl=60"), b"v");
    let exp = emu.entry(ACCOUNT, &ns, "ttl").unwrap().expiration.unwrap();
    assert!((now + 60..=now + 62).contains(&exp), "{exp}");
    let r = h.get(&format!("/{ns}/values/ttl"));
    assert_eq!(r.header("expiration"), Some(exp.to_string().as_str()));
    let keys = h.get(&format!("/{ns}/keys")).result();
    assert_eq!(keys[0]["expiration"], exp);

    // Absolute expiration.
    let at = now + 3600;
    h.raw("PUT", &format!("/{ns}/values/abs?expiration={at}"), b"v");
    assert_eq!(emu.entry(ACCOUNT, &ns, "abs").unwrap().expiration, Some(at));
    // TTL wins over expiration, even an invalid one.
    h.raw(
        "PUT",
        &format!("/{ns}/values/both?expiration={at}&expiration_ttl=120"),
        b"v",
    );
    let e = emu.entry(ACCOUNT, &ns, "both").unwrap().expiration.unwrap();
    assert!(e < at && e >= now + 120);
    assert_eq!(
        h.raw(
            "PUT",
            &format!("/{ns}/values/both2?expiration=5&expiration_ttl=120"),
            b"v"
        )
        .status,
        200
    );
    // Floats with no fraction are accepted.
    assert_eq!(
        h.raw("PUT", &format!("/{ns}/values/f?expiration_ttl=60.0"), b"v")
            .status,
        200
    );

    // Validation.
    let msg = h
        .raw("PUT", &format!("/{ns}/values/x?expiration_ttl=59"), b"v")
        .error(400, 10034);
    assert_eq!(
        msg,
        "Invalid expiration_ttl of 59. Expiration TTL must be at least 60."
    );
    h.raw("PUT", &format!("/{ns}/values/x?expiration_ttl=abc"), b"v")
        .error(400, 10034);
    h.raw("PUT", &format!("/{ns}/values/x?expiration_ttl=-60"), b"v")
        .error(400, 10034);
    h.raw("PUT", &format!("/{ns}/values/x?expiration_ttl=60.5"), b"v")
        .error(400, 10034);
    let soon = emu.now() + 30;
    let msg = h
        .raw("PUT", &format!("/{ns}/values/x?expiration={soon}"), b"v")
        .error(400, 10034);
    assert_eq!(
        msg,
        format!(
            "Invalid expiration of {soon}. Expiration times must be at least 60 seconds in the future."
        )
    );
    let msg = h
        .raw("PUT", &format!("/{ns}/values/x?expiration=1000"), b"v")
        .error(400, 10034);
    assert_eq!(
        msg,
        "Invalid expiration of 1000. Please specify integer greater than the current number of seconds since the UNIX epoch."
    );
    assert!(emu.entry(ACCOUNT, &ns, "x").is_none());

    // Moving the clock expires keys everywhere.
    h.raw("PUT", &format!("/{ns}/values/forever"), b"v");
    emu.advance(Duration::from_secs(200));
    h.get(&format!("/{ns}/values/ttl")).error(404, 10009);
    h.get(&format!("/{ns}/metadata/ttl")).error(404, 10009);
    let names: Vec<Value> = h
        .get(&format!("/{ns}/keys"))
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].clone())
        .collect();
    assert_eq!(names, [json!("abs"), json!("forever")]);
    let bulk = h
        .json(
            "POST",
            &format!("/{ns}/bulk/get"),
            &json!({"keys": ["ttl", "abs"]}),
        )
        .result();
    assert_eq!(bulk["values"], json!({"ttl": null, "abs": "v"}));
    assert!(emu.entry(ACCOUNT, &ns, "ttl").is_none());
    assert_eq!(emu.key_count(ACCOUNT, &ns).unwrap(), 2);
    emu.advance(Duration::from_secs(3600));
    h.get(&format!("/{ns}/values/abs")).error(404, 10009);
    assert_eq!(emu.keys(ACCOUNT, &ns).unwrap(), ["forever"]);
    // A key can be written again after it expired.
    h.raw("PUT", &format!("/{ns}/values/abs"), b"again");
    assert_eq!(h.get(&format!("/{ns}/values/abs")).body, b"again");
}

#[test]
fn seeding_api() {
    let emu = start();
    let h = Http::new(&emu);
    let ns = emu.create_namespace(ACCOUNT, "seed").unwrap();
    let far = emu.now() + 10_000;
    emu.put_entry(
        ACCOUNT,
        &ns,
        "s",
        StoredEntry::new(vec![1, 2, 3])
            .with_metadata(json!({"a": 1}))
            .with_expiration(far),
    )
    .unwrap();
    let r = h.get(&format!("/{ns}/values/s"));
    assert_eq!(r.body, [1, 2, 3]);
    assert_eq!(r.header("expiration"), Some(far.to_string().as_str()));
    assert_eq!(
        h.get(&format!("/{ns}/metadata/s")).result(),
        json!({"a": 1})
    );
    assert!(matches!(
        emu.put_entry(ACCOUNT, &ns, "", StoredEntry::new("")),
        Err(kv_tests::SeedError::InvalidKey(_))
    ));
    assert!(matches!(
        emu.put_entry(
            ACCOUNT,
            "ffffffffffffffffffffffffffffffff",
            "k",
            StoredEntry::new("")
        ),
        Err(kv_tests::SeedError::NamespaceNotFound(_))
    ));
    // An expiration in the past hides the key at once.
    emu.put_entry(
        ACCOUNT,
        &ns,
        "old",
        StoredEntry::new("x").with_expiration(1),
    )
    .unwrap();
    h.get(&format!("/{ns}/values/old")).error(404, 10009);
    assert_eq!(emu.delete_key(ACCOUNT, &ns, "s"), Ok(true));
    assert_eq!(emu.delete_key(ACCOUNT, &ns, "s"), Ok(false));
    h.get(&format!("/{ns}/values/s")).error(404, 10009);
}
