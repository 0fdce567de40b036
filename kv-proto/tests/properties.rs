//! Property tests: parsers never panic, results round-trip, keys round-trip through
//! percent-encoding, multipart bodies are well-formed, validation accepts exactly the
//! documented ranges.

use kv_proto::{
    AccountId, Auth, BulkDelete, BulkGet, BulkGetResponse, BulkPayload, BulkResponse, BulkValue,
    BulkWrite, BulkWriteItem, Endpoint, Expiration, GetMetadata, GetNamespace, GetValue, Key,
    KeyInfo, KeyPage, Limit, ListKeys, ListNamespaces, Metadata, Namespace, NamespacePage,
    Operation, PageInfo, PutValue, RenameNamespace, Title,
};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

mod common;

use common::{all_ops, key, ns};

fn ep() -> Endpoint {
    Endpoint::new(
        AccountId::new("acc").unwrap(),
        Auth::api_token("t").unwrap(),
    )
}

fn response(status: u16, body: &[u8]) -> http::Response<&[u8]> {
    http::Response::builder()
        .status(status)
        .header("retry-after", "3")
        .header("expiration", "x")
        .body(body)
        .unwrap()
}

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        // Floats with few significant digits: serde_json (without `float_roundtrip`) parses
        // those exactly, so round-trip comparisons test our code, not float formatting.
        (any::<i32>(), 0i32..6).prop_map(|(m, e)| Json::from(f64::from(m) / 10f64.powi(e))),
        ".{0,12}".prop_map(Json::from),
        prop_oneof![
            Just("success"),
            Just("errors"),
            Just("result"),
            Just("values"),
            Just("k")
        ]
        .prop_map(Json::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("success".to_owned()),
            Just("errors".to_owned()),
            Just("messages".to_owned()),
            Just("result".to_owned()),
            Just("result_info".to_owned()),
            Just("values".to_owned()),
            Just("value".to_owned()),
            Just("metadata".to_owned()),
            Just("expiration".to_owned()),
            Just("code".to_owned()),
            Just("message".to_owned()),
            Just("cursor".to_owned()),
            Just("count".to_owned()),
            Just("k".to_owned()),
            Just("id".to_owned()),
            Just("name".to_owned()),
            Just("successful_key_count".to_owned()),
            Just("unsuccessful_keys".to_owned()),
            ".{0,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys: any Unicode, 1..=512 bytes, not `.` or `..`.
fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,40}",
        ".{1,60}",
        "[/?#% +.%2Fé🙂\\\\]{1,20}",
        prop::collection::vec(any::<char>(), 1..128).prop_map(|v| v.into_iter().collect()),
    ]
    .prop_filter("valid key", |k| {
        !k.is_empty() && k.len() <= 512 && k != "." && k != ".."
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..300)) {
        for (_, parse) in all_ops() {
            let _ = parse(response(status, &body));
        }
    }

    #[test]
    fn arbitrary_json_never_panics(status in prop_oneof![Just(200u16), Just(404), Just(429), 100u16..600], doc in arb_json(), wrap in any::<bool>()) {
        let doc = if wrap {
            json!({"success": true, "errors": [], "messages": [], "result": doc, "result_info": {"count": 1, "cursor": "c"}})
        } else {
            doc
        };
        let bytes = serde_json::to_vec(&doc).unwrap();
        for (_, parse) in all_ops() {
            let out = parse(response(status, &bytes));
            if !(200..300).contains(&status) {
                // A non-2xx is always an error, whatever the body.
                prop_assert!(out.is_err() || status == 404);
            }
        }
    }

    #[test]
    fn truncated_valid_responses_never_panic(cut in 0usize..400) {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"k":{"value":"v","metadata":{"a":[1,2,{"b":null}]},"expiration":1.9e9}}},"result_info":{"count":1,"cursor":"abc"}}"#;
        let cut = cut.min(body.len());
        for (_, parse) in all_ops() {
            let _ = parse(response(200, &body[..cut]));
        }
    }

    #[test]
    fn key_round_trips_through_percent_encoding(k in arb_key()) {
        let req = GetValue::new(ns(), Key::new(k.clone()).unwrap()).request(&ep());
        let path = req.uri().path().to_owned();
        let prefix = "/client/v4/accounts/acc/storage/kv/namespaces/0f2ac74b498b48028cb68387c421e279/values/";
        prop_assert!(path.starts_with(prefix), "{}", path);
        let encoded = &path[prefix.len()..];
        prop_assert!(req.uri().query().is_none());
        // Only unreserved characters and %XX escapes.
        let b = encoded.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                prop_assert!(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit());
                i += 3;
            } else {
                prop_assert!(b[i].is_ascii_alphanumeric() || b"-._~".contains(&b[i]), "{:?} in {}", b[i] as char, encoded);
                i += 1;
            }
        }
        prop_assert!(!encoded.contains(['/', '?', '#']));
        let decoded = percent_decode_str(encoded).decode_utf8().unwrap();
        prop_assert_eq!(decoded.as_ref(), k.as_str());
        // Bodies carry keys as plain JSON strings.
        let req = BulkDelete::new(ns(), vec![Key::new(k.clone()).unwrap()]).unwrap().request(&ep());
        let keys: Vec<String> = serde_json::from_slice(req.body()).unwrap();
        prop_assert_eq!(&keys[0], &k);
    }

    #[test]
    fn multipart_is_well_formed(value in prop::collection::vec(any::<u8>(), 0..2000), meta in arb_json(), inject in any::<bool>()) {
        let Ok(metadata) = Metadata::new(meta) else { return Ok(()) };
        let mut value = value;
        if inject {
            // Boundary-looking text inside the value must not confuse the parser.
            value.extend_from_slice(b"\r\n--kv-proto-0000000000000000\r\n--\r\n");
        }
        let req = PutValue::new(ns(), key("k"), value.clone()).unwrap().metadata(metadata.clone()).request(&ep());
        let ct = req.headers()["content-type"].to_str().unwrap();
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let parts = parse_multipart(req.body(), boundary).unwrap();
        prop_assert_eq!(parts.len(), 2);
        prop_assert_eq!(parts[0].name.as_str(), "value");
        prop_assert_eq!(parts[0].content_type.as_deref(), Some("application/octet-stream"));
        prop_assert_eq!(&parts[0].body, &value);
        prop_assert_eq!(parts[1].name.as_str(), "metadata");
        prop_assert_eq!(parts[1].content_type.as_deref(), Some("application/json"));
        let back: Json = serde_json::from_slice(&parts[1].body).unwrap();
        prop_assert_eq!(&back, metadata.value());
    }

    #[test]
    fn namespaces_round_trip(
        raw in prop::collection::vec(("[A-Za-z0-9]{1,32}", ".{0,30}", any::<Option<bool>>(), prop::option::of(prop_oneof![Just("eu"), Just("us"), Just("fedramp")]), any::<Option<bool>>(), any::<bool>()), 0..6),
        info in prop::option::of((any::<u64>(), any::<u32>(), any::<u32>(), any::<u64>())),
    ) {
        let namespaces: Vec<Namespace> = raw.into_iter().map(|(id, title, url, j, beta, instant)| Namespace {
            id: kv_proto::NamespaceId::new(id).unwrap(), title, supports_url_encoding: url, jurisdiction: j.map(String::from),
            mode: instant.then(|| "instant".to_owned()), beta,
        }).collect();
        let info = info.map(|(count, page, per_page, total_count)| PageInfo { count, page: page.into(), per_page: per_page.into(), total_count });
        let mut env = json!({"success": true, "errors": [], "messages": [], "result": namespaces});
        if let Some(i) = info {
            env["result_info"] = serde_json::to_value(i).unwrap();
        }
        let body = serde_json::to_vec(&env).unwrap();
        let page = ListNamespaces::new().parse(http::Response::new(&body[..])).unwrap();
        prop_assert_eq!(&page, &NamespacePage { namespaces: namespaces.clone(), info });
        for ns_ in namespaces {
            let body = serde_json::to_vec(&json!({"success": true, "errors": [], "result": ns_})).unwrap();
            prop_assert_eq!(GetNamespace::new(ns()).parse(http::Response::new(&body[..])).unwrap(), ns_.clone());
            prop_assert_eq!(RenameNamespace::new(ns(), Title::new("t").unwrap()).parse(http::Response::new(&body[..])).unwrap(), Some(ns_));
        }
    }

    #[test]
    fn key_pages_round_trip(
        raw in prop::collection::vec(("x.{0,29}", any::<Option<u64>>(), prop::option::of(arb_json().prop_filter("not null", |j| !j.is_null()))), 0..8),
        cursor in prop::option::of("[A-Za-z0-9_-]{1,40}"),
        count in any::<Option<u64>>(),
    ) {
        let keys: Vec<KeyInfo> = raw.into_iter().map(|(name, expiration, metadata)| KeyInfo { name: kv_proto::Key::new(name).unwrap(), expiration, metadata }).collect();
        let body = serde_json::to_vec(&json!({"success": true, "errors": [], "messages": [], "result": keys,
            "result_info": {"count": count, "cursor": cursor.clone().unwrap_or_default()}})).unwrap();
        let page = ListKeys::new(ns()).parse(http::Response::new(&body[..])).unwrap();
        prop_assert_eq!(page, KeyPage { keys, cursor, count });
    }

    #[test]
    fn bulk_results_round_trip(count in any::<u64>(), failed in prop::collection::vec(".{1,20}", 0..10), as_float in any::<bool>()) {
        let r = BulkResponse { successful_key_count: count, unsuccessful_keys: failed };
        let mut result = serde_json::to_value(&r).unwrap();
        // As a float only where serde_json's default (not `float_roundtrip`) parser is exact:
        // up to 15 significant digits. Above that it may land one ulp off (x.5 at ~4e15), which
        // the integer check rightly refuses; servers send small counts.
        if as_float && count < 1_000_000_000_000_000 {
            result["successful_key_count"] = json!(count as f64);
        }
        let body = serde_json::to_vec(&json!({"success": true, "errors": [], "messages": [], "result": result})).unwrap();
        let op = BulkDelete::new(ns(), vec![key("k")]).unwrap();
        prop_assert_eq!(op.parse(http::Response::new(&body[..])).unwrap(), r);
    }

    #[test]
    fn bulk_get_round_trips(
        entries in prop::collection::btree_map(arb_key(), prop::option::of((arb_json(), prop::option::of(arb_json().prop_filter("not null", |j| !j.is_null())), any::<Option<u32>>())), 1..12),
        json_mode in any::<bool>(),
        with_metadata in any::<bool>(),
        extra in any::<bool>(),
    ) {
        let keys: Vec<Key> = entries.keys().map(|k| Key::new(k.clone()).unwrap()).collect();
        let mut op = BulkGet::new(ns(), keys).unwrap();
        if json_mode { op = op.json(); }
        if with_metadata { op = op.with_metadata(); }
        // Build what a server would send, and what we expect back.
        let mut values = serde_json::Map::new();
        let mut want = Vec::new();
        for (k, e) in &entries {
            let (wire, expect) = match e {
                None => (Json::Null, BulkValue::Missing),
                Some((v, meta, exp)) => {
                    let payload = if json_mode { BulkPayload::Json(v.clone()) } else { BulkPayload::Text(v.to_string()) };
                    let wire_value = if json_mode { v.clone() } else { Json::String(v.to_string()) };
                    // JSON reads always ask the server for metadata (to tell a stored `null`
                    // from a missing key), so the server answers with entry objects.
                    if with_metadata || json_mode {
                        let mut o = json!({"value": wire_value, "metadata": meta});
                        if let Some(x) = exp { o["expiration"] = json!(x); }
                        let expect = match payload {
                            p if with_metadata => BulkValue::WithMetadata { value: p, metadata: meta.clone(), expiration: exp.map(u64::from) },
                            BulkPayload::Json(j) => BulkValue::Json(j),
                            BulkPayload::Text(s) => BulkValue::Text(s),
                        };
                        (o, expect)
                    } else {
                        let BulkPayload::Text(s) = payload else { unreachable!("text mode") };
                        (wire_value, BulkValue::Text(s))
                    }
                }
            };
            values.insert(k.clone(), wire);
            want.push((k.clone(), expect));
        }
        if extra {
            values.insert("\u{0}not requested".into(), json!("zzz"));
        }
        let body = serde_json::to_vec(&json!({"success": true, "errors": [], "messages": [], "result": {"values": values}})).unwrap();
        let got: BulkGetResponse = op.parse(http::Response::new(&body[..])).unwrap();
        let got: Vec<(String, BulkValue)> = got.into_iter().collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn bulk_get_pairs_answers_in_any_order(
        entries in prop::collection::btree_map(arb_key(), prop::option::of("[a-z\"\\\\]{0,8}"), 1..20)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle(),
        answer_order in 0..3u8,
        dups in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..4),
        omit in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        extra in any::<bool>(),
    ) {
        // Requested in a shuffled order, possibly with duplicates; answered in request order,
        // reversed or sorted, with some keys left out and maybe one not requested.
        let mut request: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
        for (from, to) in &dups {
            let k = request[from.index(request.len())].clone();
            let at = to.index(request.len() + 1);
            request.insert(at, k);
        }
        let omitted: Vec<&str> = omit.iter().map(|i| entries[i.index(entries.len())].0.as_str()).collect();
        let mut answered: Vec<&(String, Option<String>)> =
            entries.iter().filter(|(k, _)| !omitted.contains(&k.as_str())).collect();
        match answer_order {
            0 => {}
            1 => answered.reverse(),
            _ => answered.sort(),
        }
        let mut parts: Vec<String> = answered
            .iter()
            .map(|(k, v)| format!("{}:{}", json!(k), json!(v)))
            .collect();
        if extra {
            parts.insert(parts.len() / 2, r#""\u0000not requested":"zzz""#.to_string());
        }
        let body = format!(
            r#"{{"success":true,"errors":[],"messages":[],"result":{{"values":{{{}}}}}}}"#,
            parts.join(",")
        );
        let op = BulkGet::new(ns(), request.iter().map(|k| key(k)).collect()).unwrap();
        let got: Vec<(String, BulkValue)> =
            op.parse(http::Response::new(body.as_bytes())).unwrap().into_iter().collect();
        // Every distinct requested key once, in first-request order, with its own value.
        let mut want: Vec<(String, BulkValue)> = Vec::new();
        for k in &request {
            if want.iter().any(|(w, _)| w == k) {
                continue;
            }
            let v = entries
                .iter()
                .find(|(e, _)| e == k)
                .and_then(|(_, v)| v.clone())
                .filter(|_| !omitted.contains(&k.as_str()))
                .map_or(BulkValue::Missing, BulkValue::Text);
            want.push((k.clone(), v));
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn get_value_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..500), exp in any::<Option<u64>>()) {
        let mut b = http::Response::builder();
        if let Some(e) = exp { b = b.header("expiration", e.to_string()); }
        let v = GetValue::new(ns(), key("k")).parse(b.body(&bytes[..]).unwrap()).unwrap();
        prop_assert_eq!(v.bytes, bytes);
        prop_assert_eq!(v.expiration, exp);
    }

    #[test]
    fn metadata_round_trips(meta in arb_json()) {
        let body = serde_json::to_vec(&json!({"success": true, "errors": [], "messages": [], "result": meta})).unwrap();
        let got = GetMetadata::new(ns(), key("k")).parse(http::Response::new(&body[..])).unwrap();
        let want = if meta.is_null() { None } else { Some(meta) };
        prop_assert_eq!(got, want);
    }

    #[test]
    fn list_limit_range(n in any::<u32>()) {
        let r = ListKeys::new(ns()).limit(n);
        prop_assert_eq!(r.is_ok(), (10..=1000).contains(&n));
        if let Err(e) = r { prop_assert_eq!(e.limit(), Some(Limit::ListLimit)); }
    }

    #[test]
    fn paging_ranges(n in any::<u32>()) {
        prop_assert_eq!(ListNamespaces::new().per_page(n).is_ok(), (5..=100).contains(&n));
        prop_assert_eq!(ListNamespaces::new().page(n).is_ok(), n >= 1);
    }

    #[test]
    fn encoded_len_is_exact(items in prop::collection::vec((arb_key(), ".{0,40}", any::<bool>(), prop::option::of(prop_oneof![any::<u64>().prop_map(Expiration::At), (60u64..).prop_map(Expiration::Ttl)]), prop::option::of(arb_json())), 1..8)) {
        let items: Vec<BulkWriteItem> = items.into_iter().map(|(k, v, bin, exp, meta)| {
            let mut item = if bin { BulkWriteItem::binary(Key::new(k).unwrap(), v.as_bytes()).unwrap() } else { BulkWriteItem::text(Key::new(k).unwrap(), v).unwrap() };
            if let Some(e) = exp { item = item.expiration(e); }
            if let Some(m) = meta.and_then(|m| Metadata::new(m).ok()) { item = item.metadata(m); }
            item
        }).collect();
        let total = 1 + items.iter().map(BulkWriteItem::encoded_len).sum::<usize>();
        let op = BulkWrite::new(ns(), items.clone()).unwrap();
        let req = op.request(&ep());
        prop_assert_eq!(req.body().len(), total);
        prop_assert_eq!(op.body_len(), total);
        let back: Vec<Json> = serde_json::from_slice(req.body()).unwrap();
        prop_assert_eq!(back.len(), items.len());
        for (item, wire) in items.iter().zip(&back) {
            prop_assert_eq!(wire["key"].as_str(), Some(item.key.as_str()));
            prop_assert_eq!(wire["value"].as_str(), Some(item.value.as_str()));
            prop_assert_eq!(wire.get("base64").is_some(), item.base64);
        }
    }
}

// ---------- a small, strict multipart parser (RFC 7578 / 2046), for tests only ----------

#[derive(Debug)]
struct Part {
    name: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let open = format!("--{boundary}\r\n");
    let delim = format!("\r\n--{boundary}");
    let rest = body
        .strip_prefix(open.as_bytes())
        .ok_or("body does not start with the boundary")?;
    let mut parts = Vec::new();
    let mut rest = rest;
    loop {
        let end = find(rest, delim.as_bytes()).ok_or("unterminated part")?;
        let (part, after) = (&rest[..end], &rest[end + delim.len()..]);
        let head_end = find(part, b"\r\n\r\n").ok_or("part without a header block")?;
        let head = std::str::from_utf8(&part[..head_end]).map_err(|e| e.to_string())?;
        let mut name = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let (h, v) = line.split_once(": ").ok_or("bad header line")?;
            match h.to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    let v = v
                        .strip_prefix("form-data; name=\"")
                        .ok_or("not form-data")?;
                    name = Some(v[..v.find('"').ok_or("unquoted name")?].to_owned());
                }
                "content-type" => content_type = Some(v.to_owned()),
                other => return Err(format!("unexpected header {other}")),
            }
        }
        parts.push(Part {
            name: name.ok_or("part without a name")?,
            content_type,
            body: part[head_end + 4..].to_vec(),
        });
        if after == b"--\r\n" {
            return Ok(parts);
        }
        rest = after.strip_prefix(b"\r\n").ok_or("bad delimiter line")?;
    }
}

#[test]
fn multipart_parser_rejects_malformed_bodies() {
    assert!(
        parse_multipart(
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n",
            "b"
        )
        .is_ok()
    );
    assert!(
        parse_multipart(
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b",
            "b"
        )
        .is_err()
    );
    assert!(parse_multipart(b"--c\r\n", "b").is_err());
}

#[test]
fn multipart_with_value_containing_crlf_dash_dash() {
    let value = b"--\r\n--\r\n\r\n--kv-proto-\r\n".to_vec();
    let req = PutValue::new(ns(), key("k"), value.clone())
        .unwrap()
        .metadata(Metadata::new(json!(null)).unwrap())
        .request(&ep());
    let ct = req.headers()["content-type"].to_str().unwrap();
    let parts = parse_multipart(req.body(), ct.rsplit('=').next().unwrap()).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].body, value);
    assert_eq!(parts[1].body, b"null");
}

// ---------- validation boundaries (at, below, above each limit) ----------

#[test]
fn value_size_boundary() {
    let max = kv_proto::limits::MAX_VALUE_BYTES;
    assert!(PutValue::new(ns(), key("k"), vec![0u8; max]).is_ok());
    let e = PutValue::new(ns(), key("k"), vec![0u8; max + 1]).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::ValueSize));
    assert!(PutValue::new(ns(), key("k"), Vec::new()).is_ok());
    let text = "a".repeat(max);
    assert!(BulkWriteItem::text(key("k"), text.clone()).is_ok());
    assert!(BulkWriteItem::text(key("k"), text + "a").is_err());
    assert!(BulkWriteItem::binary(key("k"), &vec![1u8; max]).is_ok());
    assert_eq!(
        BulkWriteItem::binary(key("k"), &vec![1u8; max + 1])
            .unwrap_err()
            .limit(),
        Some(Limit::ValueSize)
    );
}

#[test]
fn bulk_count_boundaries() {
    let keys = |n: usize| (0..n).map(|i| key(&format!("k{i}"))).collect::<Vec<_>>();
    for (n, ok) in [(0, false), (1, true), (100, true), (101, false)] {
        let r = BulkGet::new(ns(), keys(n));
        assert_eq!(r.is_ok(), ok, "bulk get {n}");
        if let Err(e) = r {
            assert_eq!(e.limit(), Some(Limit::BulkGetCount));
        }
    }
    for (n, ok) in [(0, false), (1, true), (10_000, true), (10_001, false)] {
        let r = BulkDelete::new(ns(), keys(n));
        assert_eq!(r.is_ok(), ok, "bulk delete {n}");
        if let Err(e) = r {
            assert_eq!(e.limit(), Some(Limit::BulkDeleteCount));
        }
        let items = keys(n)
            .into_iter()
            .map(|k| BulkWriteItem::text(k, "").unwrap())
            .collect();
        let r = BulkWrite::new(ns(), items);
        assert_eq!(r.is_ok(), ok, "bulk write {n}");
        if let Err(e) = r {
            assert_eq!(e.limit(), Some(Limit::BulkWriteCount));
        }
    }
}

#[test]
fn bulk_write_body_boundary() {
    let limit = kv_proto::limits::MAX_BULK_WRITE_BODY_BYTES;
    // Four items whose body is exactly the limit, then one byte more.
    let overhead = BulkWriteItem::text(key("k0"), "").unwrap().encoded_len();
    let payload = (limit - 1) / 4 - overhead;
    let extra = (limit - 1) - 4 * (overhead + payload);
    let mut items: Vec<BulkWriteItem> = (0..4)
        .map(|i| BulkWriteItem::text(key(&format!("k{i}")), "a".repeat(payload)).unwrap())
        .collect();
    items[3].value.push_str(&"a".repeat(extra));
    let total = 1 + items.iter().map(BulkWriteItem::encoded_len).sum::<usize>();
    assert_eq!(total, limit);
    let op = BulkWrite::new(ns(), items.clone()).unwrap();
    assert_eq!(op.body_len(), limit);
    items[0].value.push('a');
    let e = BulkWrite::new(ns(), items).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::BulkWriteBytes));
}

#[test]
fn hand_edited_items_are_rechecked() {
    let mut item = BulkWriteItem::text(key("k"), "v").unwrap();
    item.expiration = Some(Expiration::Ttl(59));
    let e = BulkWrite::new(ns(), vec![item.clone()]).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::ExpirationTtl));
    item.expiration = Some(Expiration::Ttl(60));
    assert!(BulkWrite::new(ns(), vec![item.clone()]).is_ok());
    item.value = "a".repeat(kv_proto::limits::MAX_VALUE_BYTES + 1);
    let e = BulkWrite::new(ns(), vec![item]).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::ValueSize));
}

#[test]
fn ttl_title_boundaries() {
    assert!(Expiration::ttl(59).is_err());
    assert!(Expiration::ttl(60).is_ok());
    assert!(Title::new("é".repeat(512)).is_ok());
    assert_eq!(
        Title::new("é".repeat(513)).unwrap_err().limit(),
        Some(Limit::Title)
    );
    assert!(Title::new("").is_err());
}
