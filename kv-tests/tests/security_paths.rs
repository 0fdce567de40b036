//! Path safety: whatever the key (any Unicode, control characters, `/ ? # %`, `.`/`..`-like
//! segments, spaces), the request target never carries a raw `/`, `?` or `#` from it, and a
//! put → get → list through the emulator returns the exact key and value. IDs with path
//! characters are rejected before anything is built.
//!
//! Case counts: `PROPTEST_CASES` (default 256) for the request-target property; the emulator
//! round trip runs 64 cases unless `PROPTEST_CASES` is set.

mod rel_common;

use std::sync::{Arc, Mutex};

use kv_tests::EmulatorConfig;
use kv_ureq::{AccountId, Auth, Client, Key, NamespaceId, RetryPolicy, http};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rel_common::{ACCOUNT, builder, emulator};

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(\\.|\\.\\.|/|//|%|%2F|%2e|\\?|#| |\\+|&|=|;|\\\\|\u{0}|\u{1}|\u{7f}|\r|\n|\t|é|🙂|\u{202e}|\u{feff}){1,12}",
        "[./]{1,6}",
        prop::collection::vec(any::<char>(), 1..60).prop_map(|c| c.into_iter().collect()),
    ]
    .prop_filter("valid key", |k| Key::new(k.as_str()).is_ok())
}

fn env_cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A client whose transport records every request target and answers 404/10009.
fn recording() -> (Client, Arc<Mutex<Vec<http::Uri>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let client = Client::builder(
        Auth::api_token("t").unwrap(),
        AccountId::new(ACCOUNT).unwrap(),
    )
    .retry_policy(RetryPolicy::none())
    .transport(move |req: http::Request<Vec<u8>>, _max: u64| {
        s.lock().unwrap().push(req.uri().clone());
        Ok(http::Response::builder()
            .status(404)
            .body(
                br#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}]}"#
                    .to_vec(),
            )
            .unwrap())
    })
    .build()
    .unwrap();
    (client, seen)
}

proptest! {
    #![proptest_config(Config { failure_persistence: None, ..Config::default() })]

    #[test]
    fn the_key_stays_one_path_segment(k in arb_key()) {
        let (client, seen) = recording();
        let ns = client.namespace("0f2ac74b498b48028cb68387c421e279").unwrap();
        let _ = ns.get(k.as_str());
        let _ = ns.put(k.as_str(), "v");
        let _ = ns.put_with(k.as_str(), "v").metadata(serde_json::json!({"a": 1})).ttl(60).send();
        let _ = ns.delete(k.as_str());
        let _ = ns.metadata(k.as_str());
        let uris = seen.lock().unwrap().clone();
        prop_assert_eq!(uris.len(), 5);
        for uri in uris {
            let path = uri.path();
            let segs: Vec<&str> = path.split('/').collect();
            // /client/v4/accounts/{acc}/storage/kv/namespaces/{ns}/{values|metadata}/{key}
            prop_assert_eq!(segs.len(), 11, "{}", path);
            let raw = segs[10];
            prop_assert!(!raw.contains(['/', '?', '#']), "{}", path);
            prop_assert!(raw != "." && raw != "..", "{}", path);
            prop_assert!(raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{}", path);
            prop_assert_eq!(percent_decode_str(raw).decode_utf8().unwrap(), k.as_str());
            // The query (expiration_ttl) never holds key material.
            if let Some(q) = uri.query() {
                prop_assert_eq!(q, "expiration_ttl=60");
            }
        }
    }
}

#[test]
fn put_get_list_round_trip_through_the_emulator() {
    let emu = emulator(EmulatorConfig::default().log_requests(true));
    let client = builder(emu.base_url()).build().unwrap();
    let id = emu.create_namespace(ACCOUNT, "paths").unwrap();
    let ns = client.namespace(&id).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(env_cases(64));
    runner
        .run(
            &(arb_key(), prop::collection::vec(any::<u8>(), 0..200)),
            |(k, value)| {
                emu.clear_requests();
                ns.put_with(k.as_str(), value.clone())
                    .metadata(serde_json::json!({ "key": k }))
                    .send()
                    .map_err(|e| TestCaseError::fail(format!("put {k:?}: {e}")))?;
                // What reached the wire: the key in one segment, decoded exactly once.
                let log = emu.requests();
                let raw = log[0].path.rsplit('/').next().unwrap().to_owned();
                prop_assert!(!raw.contains(['?', '#']), "{}", log[0].path);
                prop_assert_eq!(log[0].path.split('/').count(), 11, "{}", log[0].path);
                // The emulator (an independent decoder) stored exactly this key.
                let stored = emu.entry(ACCOUNT, &id, &k);
                prop_assert!(stored.is_some(), "{:?} not stored under its name", k);
                prop_assert_eq!(&stored.unwrap().value, &value);
                let got = ns
                    .get(k.as_str())
                    .map_err(|e| TestCaseError::fail(format!("get {k:?}: {e}")))?;
                prop_assert_eq!(got.map(|v| v.bytes), Some(value.clone()));
                let listed: Vec<kv_ureq::KeyInfo> = ns
                    .keys_with_prefix(k.as_str())
                    .collect::<Result<_, _>>()
                    .map_err(|e| TestCaseError::fail(format!("list {k:?}: {e}")))?;
                let hit = listed.iter().find(|i| i.name == k);
                prop_assert!(hit.is_some(), "{:?} not listed: {:?}", k, listed);
                let expected = serde_json::json!({ "key": k });
                prop_assert_eq!(hit.unwrap().metadata.as_ref(), Some(&expected));
                ns.delete(k.as_str())
                    .map_err(|e| TestCaseError::fail(format!("delete {k:?}: {e}")))?;
                prop_assert!(emu.entry(ACCOUNT, &id, &k).is_none());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(emu.key_count(ACCOUNT, &id).unwrap(), 0);
}

#[test]
fn ids_with_path_characters_are_rejected() {
    let client = builder("http://127.0.0.1:9/client/v4").build().unwrap();
    for bad in [
        "a/b",
        "..",
        ".",
        "a?b",
        "a#b",
        "%2F",
        "a%2e",
        " a",
        "a\u{0}",
        "ns/../../x",
        "é",
        "a\\b",
    ] {
        assert!(NamespaceId::new(bad).is_err(), "{bad:?}");
        assert!(AccountId::new(bad).is_err(), "{bad:?}");
        let e = client.namespace(bad).unwrap_err();
        assert!(e.is_invalid_input(), "{bad:?}: {e}");
        let e = client.get_namespace(bad).unwrap_err();
        assert!(e.is_invalid_input(), "{bad:?}: {e}");
    }
}
