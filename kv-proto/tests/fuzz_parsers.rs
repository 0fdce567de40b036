//! Fuzzing every response parser and every request builder with proptest.
//!
//! Each parser gets its own property, fed a mix of arbitrary bytes, arbitrary JSON (a
//! recursive strategy, bare or inside an envelope) and mutations of realistic responses
//! (bytes flipped, inserted, deleted; the body cut short; a field's value swapped for another
//! type), under arbitrary statuses and hostile headers. The property: `parse` returns (never
//! panics), a non-2xx status is never a success (except `TryGetValue`'s 404 "not found"), and the
//! error formats with bounded excerpts.
//!
//! Case counts come from `ProptestConfig::default()`, which reads `PROPTEST_CASES` (256 when
//! unset). The long run (see RELIABILITY.md):
//! `PROPTEST_CASES=100000 cargo test --release -p kv-proto --test fuzz_parsers`.

use kv_proto::{
    AccountId, Auth, BulkDelete, BulkGet, BulkWrite, BulkWriteItem, CreateNamespace,
    DeleteNamespace, DeleteValue, Endpoint, Error, ErrorKind, Expiration, GetMetadata,
    GetNamespace, GetValue, Key, ListKeys, ListNamespaces, Metadata, NamespaceId, Operation,
    PutValue, RenameNamespace, Title, TryGetValue, limits::EXCERPT_CHARS,
};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value as Json, json};

fn config() -> Config {
    // `Config::default()` honours PROPTEST_CASES; no regression files are written.
    Config {
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn case_count_follows_proptest_cases() {
    let want = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(256);
    assert_eq!(config().cases, want);
}

fn ns() -> NamespaceId {
    NamespaceId::new("0f2ac74b498b48028cb68387c421e279").unwrap()
}

fn key(k: &str) -> Key {
    Key::new(k).unwrap()
}

// ---- Inputs ----------------------------------------------------------------------------------

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Json::String),
        prop_oneof![
            Just("success"),
            Just("result"),
            Just("errors"),
            Just("values"),
            Just("name"),
            Just("k")
        ]
        .prop_map(|s| Json::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("success".to_owned()),
                        Just("errors".to_owned()),
                        Just("messages".to_owned()),
                        Just("result".to_owned()),
                        Just("result_info".to_owned()),
                        Just("values".to_owned()),
                        Just("successful_key_count".to_owned()),
                        Just("unsuccessful_keys".to_owned()),
                        Just("name".to_owned()),
                        Just("id".to_owned()),
                        Just("code".to_owned()),
                        Just("cursor".to_owned()),
                        Just("k".to_owned()),
                        ".{0,6}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// Realistic bodies, one or more per route family, success and failure.
fn fixtures() -> Vec<Json> {
    let ns = json!({"id": "0f2ac74b498b48028cb68387c421e279", "title": "t", "supports_url_encoding": true});
    let env =
        |result: Json| json!({"success": true, "errors": [], "messages": [], "result": result});
    vec![
        env(ns.clone()),
        json!({"success": true, "errors": [], "messages": [], "result": [ns],
               "result_info": {"count": 1, "page": 1, "per_page": 20, "total_count": 1}}),
        json!({"success": true, "errors": [], "messages": [],
               "result": [{"name": "k", "expiration": 1_900_000_000u64, "metadata": {"a": [1, 2]}}, {"name": "a"}],
               "result_info": {"count": 2, "cursor": "6Ck1la0VxJ0djhidm1MdX2FyD"}}),
        env(json!({"successful_key_count": 1, "unsuccessful_keys": ["a"]})),
        env(json!({"values": {"k": "text", "a": null}})),
        env(json!({"values": {"k": {"x": 1}, "a": [1, "b"]}})),
        env(
            json!({"values": {"k": {"value": "v", "metadata": {"m": 1}, "expiration": 1_900_000_000u64}, "a": null}}),
        ),
        env(json!({"m": 1})),
        env(Json::Null),
        json!({"success": false, "errors": [{"code": 10009, "message": "get: 'key not found'"}], "messages": [], "result": null}),
        json!({"success": false, "errors": [{"code": 971, "message": "Please wait"}, {"code": 10013, "message": "x"}], "messages": [{"code": 1, "message": "m"}], "result": null}),
    ]
}

/// One edit of a body.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
    /// Replace the value at a path (chosen by index among all paths) with another JSON value.
    Swap(usize, Json),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![
                any::<u8>(),
                Just(b'"'),
                Just(b'{'),
                Just(b'['),
                Just(b'\\'),
                Just(b',')
            ]
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), arb_json()).prop_map(|(i, v)| Mutation::Swap(i, v)),
    ]
}

fn paths(v: &Json, here: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match v {
        Json::Object(m) => {
            for (k, c) in m {
                let mut p = here.clone();
                p.push(k.clone());
                paths(c, p, out);
            }
        }
        Json::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let mut p = here.clone();
                p.push(i.to_string());
                paths(c, p, out);
            }
        }
        _ => {}
    }
}

fn swap(doc: &mut Json, which: usize, value: Json) {
    let mut all = Vec::new();
    paths(doc, Vec::new(), &mut all);
    let path = &all[which % all.len()];
    let mut cur = doc;
    for p in path {
        cur = match cur {
            Json::Object(m) => m.get_mut(p).unwrap(),
            Json::Array(a) => &mut a[p.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    *cur = value;
}

fn mutate(doc: &Json, edits: &[Mutation]) -> Vec<u8> {
    let mut doc = doc.clone();
    // Type swaps first (on the tree), then byte edits (on the text).
    for e in edits {
        if let Mutation::Swap(i, v) = e {
            swap(&mut doc, *i, v.clone());
        }
    }
    let mut bytes = serde_json::to_vec(&doc).unwrap();
    for e in edits {
        let len = bytes.len();
        match *e {
            Mutation::Flip(i, b) if len > 0 => bytes[i % len] ^= b | 1,
            Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Mutation::Delete(i, n) if len > 0 => {
                let start = i % len;
                bytes.drain(start..(start + n).min(len));
            }
            Mutation::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    let fixtures = fixtures();
    let n = fixtures.len();
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..256),
        2 => arb_json().prop_map(|j| serde_json::to_vec(&j).unwrap()),
        2 => (any::<bool>(), arb_json(), prop::option::of(arb_json())).prop_map(|(ok, r, info)| {
            let mut v = json!({"success": ok, "errors": [], "messages": [], "result": r});
            if let Some(i) = info {
                v["result_info"] = i;
            }
            serde_json::to_vec(&v).unwrap()
        }),
        5 => (0..n, prop::collection::vec(arb_mutation(), 0..4))
            .prop_map(move |(i, edits)| mutate(&fixtures[i], &edits)),
    ]
}

fn arb_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(200u16),
        1 => prop::sample::select(vec![201u16, 204, 304, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503]),
        1 => 100u16..1000,
    ]
}

fn arb_header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,25}",
        "-?[0-9]{0,5}\\.?[0-9]{0,5}(e[0-9]{1,4})?",
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        "[ -~]{0,40}",
    ]
}

fn arb_headers() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    prop::collection::vec(
        (
            prop_oneof![
                Just("retry-after"),
                Just("retry-after-ms"),
                Just("cf-ray"),
                Just("expiration"),
                Just("x-should-retry"),
                Just("content-type"),
            ],
            arb_header_value(),
        ),
        0..4,
    )
}

// ---- The property ----------------------------------------------------------------------------

fn check<O: Operation>(
    op: &O,
    status: u16,
    headers: &[(&'static str, String)],
    body: &[u8],
    not_found_is_ok: bool,
) -> Result<(), TestCaseError> {
    let mut b = http::Response::builder().status(status);
    for (n, v) in headers {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            b = b.header(*n, v);
        }
    }
    let Ok(resp) = b.body(body) else {
        return Ok(());
    };
    match op.parse(resp) {
        Ok(_) => prop_assert!(
            (200..300).contains(&status) || (not_found_is_ok && status == 404),
            "status {status} parsed as a success"
        ),
        Err(e) => {
            let shown = e.to_string();
            let _ = format!("{e:?}");
            match e.kind() {
                ErrorKind::Http(h) => {
                    prop_assert!(h.excerpt.chars().count() <= EXCERPT_CHARS + 1);
                    prop_assert!(!(200..300).contains(&status));
                }
                ErrorKind::Decode(d) => {
                    prop_assert!(d.excerpt.chars().count() <= EXCERPT_CHARS + 1);
                    prop_assert!(d.meta.status.is_success());
                }
                ErrorKind::Api(_) => {}
                other => prop_assert!(false, "unexpected kind from parse: {other:?}"),
            }
            prop_assert!(!shown.is_empty());
            if let Some(s) = e.status() {
                prop_assert_eq!(s.as_u16(), status);
            }
        }
    }
    Ok(())
}

macro_rules! parser_fuzz {
    ($($name:ident => $op:expr, $nf:expr;)*) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name(status in arb_status(), headers in arb_headers(), body in arb_body()) {
                    check(&$op, status, &headers, &body, $nf)?;
                }
            )*
        }
    };
}

parser_fuzz! {
    parse_list_namespaces => ListNamespaces::new(), false;
    parse_create_namespace => CreateNamespace::new(Title::new("t").unwrap()), false;
    parse_get_namespace => GetNamespace::new(ns()), false;
    parse_rename_namespace => RenameNamespace::new(ns(), Title::new("t").unwrap()), false;
    parse_delete_namespace => DeleteNamespace::new(ns()), false;
    parse_list_keys => ListKeys::new(ns()), false;
    parse_get_value => GetValue::new(ns(), key("k")), false;
    parse_try_get_value => TryGetValue::new(ns(), key("k")), true;
    parse_put_value => PutValue::new(ns(), key("k"), b"v".to_vec()).unwrap(), false;
    parse_delete_value => DeleteValue::new(ns(), key("k")), false;
    parse_get_metadata => GetMetadata::new(ns(), key("k")), false;
    parse_bulk_write => BulkWrite::new(ns(), vec![BulkWriteItem::text(key("k"), "v").unwrap()]).unwrap(), false;
    parse_bulk_delete => BulkDelete::new(ns(), vec![key("k"), key("a")]).unwrap(), false;
    parse_bulk_get_text => BulkGet::new(ns(), vec![key("k"), key("a")]).unwrap(), false;
    parse_bulk_get_json => BulkGet::new(ns(), vec![key("k"), key("a")]).unwrap().json(), false;
    parse_bulk_get_text_metadata => BulkGet::new(ns(), vec![key("k"), key("a")]).unwrap().with_metadata(), false;
    parse_bulk_get_json_metadata => BulkGet::new(ns(), vec![key("k"), key("a")]).unwrap().json().with_metadata(), false;
}

// ---- Decode errors never print stored strings ----------------------------------------------

/// A "stored" string: starts with an upper-case letter (so it is never a protocol field name
/// nor a word of our messages), at least 6 characters, sometimes with characters JSON and
/// `{:?}` escape.
fn arb_secret() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9]{5,14}( |\"|\\\\|é|\n)?[A-Za-z0-9]{0,6}"
}

/// Arbitrary JSON whose strings are all secrets (object keys are lower-case, and may appear
/// in a path: they are key names, not stored values).
fn arb_secret_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        arb_secret().prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("value".to_owned()),
                        Just("metadata".to_owned()),
                        Just("expiration".to_owned()),
                        Just("name".to_owned()),
                        Just("k".to_owned()),
                        Just("a".to_owned()),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

fn strings_in(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(items) => items.iter().for_each(|i| strings_in(i, out)),
        Json::Object(map) => map.values().for_each(|i| strings_in(i, out)),
        _ => {}
    }
}

/// The forms a stored string can take in a message: as is, JSON-escaped, `{:?}`-escaped, and
/// (for a body cut inside it) its first 6 characters.
fn leak_forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let debug = format!("{secret:?}");
    vec![
        secret.to_owned(),
        json[1..json.len() - 1].to_owned(),
        debug[1..debug.len() - 1].to_owned(),
        secret.chars().take(6).collect(),
    ]
}

fn assert_no_leak(e: &Error, secrets: &[String]) -> Result<(), TestCaseError> {
    for shown in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
        for secret in secrets {
            for form in leak_forms(secret) {
                prop_assert!(!shown.contains(&form), "{form:?} leaked: {shown}");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Every JSON parser, fed an envelope whose `result` is arbitrary JSON (whole, or cut
    /// anywhere, or with junk after it): a decode error's `Display` and `Debug` hold none of
    /// its strings, while the opt-in excerpt does whenever the body starts with one.
    #[test]
    fn decode_errors_never_print_stored_strings(
        result in arb_secret_json(),
        in_values in any::<bool>(),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        junk in any::<bool>(),
    ) {
        let result = if in_values { json!({"values": {"k": result, "a": "Zzzzzzzz"}}) } else { result };
        let mut secrets = Vec::new();
        strings_in(&result, &mut secrets);
        let mut body = serde_json::to_vec(
            &json!({"success": true, "errors": [], "messages": [], "result": result}),
        ).unwrap();
        if let Some(at) = cut {
            body.truncate(at.index(body.len()));
        }
        if junk {
            body.extend_from_slice(b" Trailing");
            secrets.push("Trailing".to_owned());
        }
        let b: &[u8] = &body;
        let ok = || http::Response::builder().status(200).body(b).unwrap();
        let keys = vec![key("k"), key("a")];
        let errors: Vec<Error> = [
            ListKeys::new(ns()).parse(ok()).err(),
            ListNamespaces::new().parse(ok()).err(),
            GetNamespace::new(ns()).parse(ok()).err(),
            GetMetadata::new(ns(), key("k")).parse(ok()).err(),
            BulkDelete::new(ns(), keys.clone()).unwrap().parse(ok()).err(),
            BulkGet::new(ns(), keys.clone()).unwrap().parse(ok()).err(),
            BulkGet::new(ns(), keys.clone()).unwrap().with_metadata().parse(ok()).err(),
            BulkGet::new(ns(), keys.clone()).unwrap().json().with_metadata().parse(ok()).err(),
            // A stored value read as JSON into the wrong type: serde quotes strings it rejects.
            kv_proto::StoredValue { bytes: body.clone(), expiration: None }.json::<Vec<u32>>().err(),
            kv_proto::StoredValue { bytes: body.clone(), expiration: None }
                .json::<std::collections::HashMap<String, bool>>().err(),
        ]
        .into_iter()
        .flatten()
        .collect();
        for e in &errors {
            prop_assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
            assert_no_leak(e, &secrets)?;
            prop_assert!(e.to_string().contains(" at `"), "{e}");
            prop_assert!(!e.to_string().contains("at `?`"), "{e}");
        }
    }
}

// ---- Request builders ------------------------------------------------------------------------

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[/?#%. \\\\]{1,12}",
        "(\\.|\\.\\.|/|%2F|%|\\?|#| |\u{0}|\u{7f}|é|🙂|\r\n){1,10}",
        prop::collection::vec(any::<char>(), 1..40).prop_map(|c| c.into_iter().collect()),
    ]
    .prop_filter("a valid key", |k| Key::new(k.as_str()).is_ok())
}

fn endpoint() -> Endpoint {
    Endpoint::new(
        AccountId::new("acc").unwrap(),
        Auth::api_token("t").unwrap(),
    )
}

/// The request's path, split on `/`, percent-decoded; the query pairs decoded.
fn split(req: &http::Request<Vec<u8>>) -> (Vec<String>, Vec<(String, String)>) {
    let uri = req.uri();
    let segs = uri
        .path()
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8().unwrap().into_owned())
        .collect();
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap();
            (
                percent_decode_str(n).decode_utf8().unwrap().into_owned(),
                percent_decode_str(v).decode_utf8().unwrap().into_owned(),
            )
        })
        .collect();
    (segs, query)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn key_routes_keep_the_key_in_one_segment(
        k in arb_key(),
        value in prop::collection::vec(any::<u8>(), 0..64),
        meta in prop::option::of(arb_json()),
        ttl in prop::option::of(60u64..10_000_000),
    ) {
        let ep = endpoint();
        let key = Key::new(k.as_str()).unwrap();
        let mut put = PutValue::new(ns(), key.clone(), value).unwrap();
        if let Some(m) = meta.and_then(|m| Metadata::new(m).ok()) {
            put = put.metadata(m);
        }
        if let Some(t) = ttl {
            put = put.expiration(Expiration::ttl(t).unwrap());
        }
        let reqs = [
            put.request(&ep),
            GetValue::new(ns(), key.clone()).request(&ep),
            DeleteValue::new(ns(), key.clone()).request(&ep),
            GetMetadata::new(ns(), key.clone()).request(&ep),
        ];
        for req in &reqs {
            let raw_path = req.uri().path();
            let last_raw = raw_path.rsplit('/').next().unwrap();
            // No raw `/ ? #` from the key: the key is the last segment, whole.
            prop_assert!(!last_raw.contains(['/', '?', '#', ' ']), "{raw_path}");
            let (segs, _) = split(req);
            prop_assert_eq!(segs.len(), 11, "{}", raw_path);
            prop_assert!(segs[8] == ns().as_str(), "{}", raw_path);
            prop_assert!(segs[9] == "values" || segs[9] == "metadata", "{}", raw_path);
            prop_assert_eq!(segs.last().unwrap(), &k);
            prop_assert_eq!(&segs[..8], &["", "client", "v4", "accounts", "acc", "storage", "kv", "namespaces"][..]);
            prop_assert_eq!(req.headers()["authorization"].to_str().unwrap(), "Bearer t");
        }
    }

    #[test]
    fn list_keys_query_round_trips(prefix in any::<String>(), cursor in any::<String>(), limit in 10u32..=1000) {
        let op = ListKeys::new(ns()).prefix(prefix.clone()).limit(limit).unwrap().cursor(cursor.clone());
        let req = op.request(&endpoint());
        let (segs, query) = split(&req);
        prop_assert_eq!(segs.last().map(String::as_str), Some("keys"));
        let get = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        prop_assert_eq!(get("prefix"), (!prefix.is_empty()).then_some(prefix));
        prop_assert_eq!(get("cursor"), (!cursor.is_empty()).then_some(cursor));
        prop_assert_eq!(get("limit"), Some(limit.to_string()));
    }

    #[test]
    fn bulk_bodies_are_json_that_round_trips(
        entries in prop::collection::vec((arb_key(), ".{0,30}", prop::collection::vec(any::<u8>(), 0..30), any::<bool>(), prop::option::of(arb_json())), 1..12),
    ) {
        let ep = endpoint();
        let mut items = Vec::new();
        let mut keys = Vec::new();
        for (k, text, bytes, binary, meta) in &entries {
            let key = Key::new(k.as_str()).unwrap();
            keys.push(key.clone());
            let mut item = if *binary {
                BulkWriteItem::binary(key, bytes).unwrap()
            } else {
                BulkWriteItem::text(key, text.clone()).unwrap()
            };
            if let Some(m) = meta.clone().and_then(|m| Metadata::new(m).ok()) {
                item = item.metadata(m);
            }
            items.push(item);
        }
        let write = BulkWrite::new(ns(), items.clone()).unwrap();
        let req = write.request(&ep);
        prop_assert_eq!(req.body().len(), write.body_len());
        let body: Json = serde_json::from_slice(req.body()).unwrap();
        let arr = body.as_array().unwrap();
        prop_assert_eq!(arr.len(), items.len());
        for (wire, item) in arr.iter().zip(&items) {
            prop_assert_eq!(wire["key"].as_str(), Some(item.key.as_str()));
            prop_assert_eq!(wire["value"].as_str(), Some(item.value.as_str()));
        }
        let del = BulkDelete::new(ns(), keys.clone()).unwrap().request(&ep);
        let body: Vec<String> = serde_json::from_slice(del.body()).unwrap();
        prop_assert_eq!(body, keys.iter().map(|k| k.as_str().to_owned()).collect::<Vec<_>>());
        let n = keys.len().min(100);
        let get = BulkGet::new(ns(), keys[..n].to_vec()).unwrap().with_metadata().request(&ep);
        let body: Json = serde_json::from_slice(get.body()).unwrap();
        prop_assert_eq!(body["keys"].as_array().unwrap().len(), n);
    }

    #[test]
    fn namespace_requests_never_panic(title in ".{1,600}", page in 1u32.., per_page in 5u32..=100) {
        let ep = endpoint();
        if let Ok(t) = Title::new(title.as_str()) {
            let req = CreateNamespace::new(t.clone()).request(&ep);
            let body: Json = serde_json::from_slice(req.body()).unwrap();
            prop_assert_eq!(body["title"].as_str(), Some(title.as_str()));
            let _ = RenameNamespace::new(ns(), t).request(&ep);
        }
        let req = ListNamespaces::new().page(page).unwrap().per_page(per_page).unwrap().request(&ep);
        let wanted = format!("per_page={per_page}");
        prop_assert!(req.uri().query().unwrap().contains(&wanted));
        let _ = GetNamespace::new(ns()).request(&ep);
        let _ = DeleteNamespace::new(ns()).request(&ep);
    }

    #[test]
    fn validation_never_panics(s in any::<String>(), v in arb_json()) {
        let _ = Key::new(s.as_str());
        let _ = NamespaceId::new(s.as_str());
        let _ = AccountId::new(s.as_str());
        let _ = Title::new(s.as_str());
        let _ = Auth::api_token(&s);
        let _ = Auth::api_key(&s, &s);
        let _ = endpoint().with_base_url(&s);
        let _ = Metadata::new(v);
    }
}

/// Errors made by the parsers are `Send + Sync` and cheap to move (one pointer).
#[test]
fn error_is_one_word() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Error>();
    assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
}
