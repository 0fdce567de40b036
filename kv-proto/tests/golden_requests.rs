//! Golden requests: for every route, the exact method, URL (path and query), headers and body.

use kv_proto::{
    AccountId, Auth, BulkDelete, BulkGet, BulkWrite, BulkWriteItem, CreateNamespace,
    DeleteNamespace, DeleteValue, Direction, Endpoint, Expiration, GetMetadata, GetNamespace,
    GetValue, Jurisdiction, Key, ListKeys, ListNamespaces, Metadata, NamespaceId, NamespaceMode,
    NamespaceOrder, Operation, PutValue, RenameNamespace, Title, TryGetValue,
};
use serde_json::json;

const BASE: &str = "https://api.cloudflare.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/storage/kv/namespaces";

fn ep() -> Endpoint {
    Endpoint::new(
        AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap(),
        Auth::api_token("tok_123").unwrap(),
    )
}

fn ns() -> NamespaceId {
    NamespaceId::new("0f2ac74b498b48028cb68387c421e279").unwrap()
}

fn key(k: &str) -> Key {
    Key::new(k).unwrap()
}

/// Every header, sorted, as (name, value) strings.
fn headers(req: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    h.sort();
    h
}

fn expect_headers(req: &http::Request<Vec<u8>>, accept: &str, content_type: Option<&str>) {
    let mut want = vec![
        ("accept".to_owned(), accept.to_owned()),
        ("authorization".to_owned(), "Bearer tok_123".to_owned()),
    ];
    if let Some(ct) = content_type {
        want.push(("content-type".to_owned(), ct.to_owned()));
    }
    want.sort();
    assert_eq!(headers(req), want);
}

fn mu(req: &http::Request<Vec<u8>>) -> (&str, String) {
    (req.method().as_str(), req.uri().to_string())
}

fn body_json(req: &http::Request<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(req.body()).unwrap()
}

const JSON: &str = "application/json";

#[test]
fn list_namespaces() {
    let req = ListNamespaces::new().request(&ep());
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri(), BASE);
    expect_headers(&req, JSON, None);
    assert!(req.body().is_empty());

    let req = ListNamespaces::new()
        .page(3)
        .unwrap()
        .per_page(100)
        .unwrap()
        .order(NamespaceOrder::Title)
        .direction(Direction::Desc)
        .request(&ep());
    assert_eq!(
        req.uri(),
        &*format!("{BASE}?page=3&per_page=100&order=title&direction=desc")
    );
    let req = ListNamespaces::new()
        .order(NamespaceOrder::Id)
        .direction(Direction::Asc)
        .request(&ep());
    assert_eq!(req.uri(), &*format!("{BASE}?order=id&direction=asc"));
}

#[test]
fn create_namespace() {
    let req = CreateNamespace::new(Title::new("my \"ns\" é").unwrap()).request(&ep());
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(req.uri(), BASE);
    expect_headers(&req, JSON, Some(JSON));
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        r#"{"title":"my \"ns\" é"}"#
    );

    let req = CreateNamespace::new(Title::new("t").unwrap())
        .jurisdiction(Jurisdiction::Fedramp)
        .mode(NamespaceMode::Instant)
        .request(&ep());
    assert_eq!(
        body_json(&req),
        json!({"title": "t", "jurisdiction": "fedramp", "mode": "instant"})
    );
    for (j, s) in [
        (Jurisdiction::Eu, "eu"),
        (Jurisdiction::Us, "us"),
        (Jurisdiction::Fedramp, "fedramp"),
    ] {
        let req = CreateNamespace::new(Title::new("t").unwrap())
            .jurisdiction(j)
            .request(&ep());
        assert_eq!(body_json(&req), json!({"title": "t", "jurisdiction": s}));
    }
}

#[test]
fn get_rename_delete_namespace() {
    let url = format!("{BASE}/0f2ac74b498b48028cb68387c421e279");

    let req = GetNamespace::new(ns()).request(&ep());
    assert_eq!(mu(&req), ("GET", url.clone()));
    expect_headers(&req, JSON, None);
    assert!(req.body().is_empty());

    let req = RenameNamespace::new(ns(), Title::new("renamed").unwrap()).request(&ep());
    assert_eq!(mu(&req), ("PUT", url.clone()));
    expect_headers(&req, JSON, Some(JSON));
    assert_eq!(req.body(), br#"{"title":"renamed"}"#.as_slice());

    let req = DeleteNamespace::new(ns()).request(&ep());
    assert_eq!(mu(&req), ("DELETE", url.clone()));
    expect_headers(&req, JSON, None);
    assert!(req.body().is_empty());
}

#[test]
fn list_keys() {
    let url = format!("{BASE}/0f2ac74b498b48028cb68387c421e279/keys");
    let req = ListKeys::new(ns()).request(&ep());
    assert_eq!(mu(&req), ("GET", url.clone()));
    expect_headers(&req, JSON, None);
    assert!(req.body().is_empty());

    let op = ListKeys::new(ns())
        .prefix("a b/c?&=")
        .limit(10)
        .unwrap()
        .cursor("6Ck1la0VxJ0djhidm1MdX2FyD+/=");
    let req = op.request(&ep());
    assert_eq!(
        req.uri(),
        &*format!(
            "{url}?prefix=a%20b%2Fc%3F%26%3D&limit=10&cursor=6Ck1la0VxJ0djhidm1MdX2FyD%2B%2F%3D"
        )
    );
    // with_cursor keeps prefix and limit, replaces the cursor; None / "" drop it.
    let next = op.with_cursor(Some("next".into())).request(&ep());
    assert_eq!(
        next.uri(),
        &*format!("{url}?prefix=a%20b%2Fc%3F%26%3D&limit=10&cursor=next")
    );
    for c in [None, Some(String::new())] {
        let first = op.with_cursor(c).request(&ep());
        assert_eq!(
            first.uri(),
            &*format!("{url}?prefix=a%20b%2Fc%3F%26%3D&limit=10")
        );
    }
}

#[test]
fn get_value_and_try_get_value() {
    let url =
        format!("{BASE}/0f2ac74b498b48028cb68387c421e279/values/a%2Fb%3Fc%23d%20%252F%2B%C3%A9");
    let k = key("a/b?c#d %2F+é");
    for req in [
        GetValue::new(ns(), k.clone()).request(&ep()),
        TryGetValue::new(ns(), k.clone()).request(&ep()),
        GetValue::new(ns(), k.clone()).optional().request(&ep()),
    ] {
        assert_eq!(mu(&req), ("GET", url.clone()));
        expect_headers(&req, "application/octet-stream, application/json", None);
        assert!(req.body().is_empty());
    }
}

#[test]
fn put_value_raw() {
    let url = format!("{BASE}/0f2ac74b498b48028cb68387c421e279/values/k");
    // A JSON-looking value is still sent raw, byte for byte.
    let value = br#"{"value":"x","metadata":{"a":1}}"#.to_vec();
    let req = PutValue::new(ns(), key("k"), value.clone())
        .unwrap()
        .request(&ep());
    assert_eq!(mu(&req), ("PUT", url.clone()));
    expect_headers(&req, JSON, Some("application/octet-stream"));
    assert_eq!(req.body(), &value);

    let req = PutValue::new(ns(), key("k"), Vec::new())
        .unwrap()
        .expiration(Expiration::ttl(60).unwrap())
        .request(&ep());
    assert_eq!(req.uri(), &*format!("{url}?expiration_ttl=60"));
    assert!(req.body().is_empty());

    let req = PutValue::new(ns(), key("k"), b"v".to_vec())
        .unwrap()
        .expiration(Expiration::at(1_900_000_000))
        .request(&ep());
    assert_eq!(req.uri(), &*format!("{url}?expiration=1900000000"));
}

#[test]
fn put_value_multipart_golden() {
    let url = format!("{BASE}/0f2ac74b498b48028cb68387c421e279/values/k");
    let req = PutValue::new(ns(), key("k"), b"hello".to_vec())
        .unwrap()
        .metadata(Metadata::new(json!({"someMetadataKey": "someMetadataValue"})).unwrap())
        .expiration(Expiration::ttl(3600).unwrap())
        .request(&ep());
    assert_eq!(req.method(), http::Method::PUT);
    assert_eq!(req.uri(), &*format!("{url}?expiration_ttl=3600"));
    let ct = req.headers()["content-type"].to_str().unwrap().to_owned();
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart content type");
    expect_headers(&req, JSON, Some(&ct));
    let want = format!(
        "--{boundary}\r\n\
         Content-Disposition: form-data; name=\"value\"; filename=\"blob\"\r\n\
         Content-Type: application/octet-stream\r\n\
         \r\n\
         hello\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"metadata\"\r\n\
         Content-Type: application/json\r\n\
         \r\n\
         {{\"someMetadataKey\":\"someMetadataValue\"}}\r\n\
         --{boundary}--\r\n"
    );
    assert_eq!(String::from_utf8(req.body().clone()).unwrap(), want);
    // Deterministic: the same op gives the same bytes.
    let again = PutValue::new(ns(), key("k"), b"hello".to_vec())
        .unwrap()
        .metadata(Metadata::new(json!({"someMetadataKey": "someMetadataValue"})).unwrap())
        .expiration(Expiration::ttl(3600).unwrap())
        .request(&ep());
    assert_eq!(again.body(), req.body());
    assert_eq!(again.headers(), req.headers());
}

#[test]
fn delete_value_and_get_metadata() {
    let base = format!("{BASE}/0f2ac74b498b48028cb68387c421e279");
    let req = DeleteValue::new(ns(), key("...")).request(&ep());
    assert_eq!(mu(&req), ("DELETE", format!("{base}/values/...")));
    expect_headers(&req, JSON, None);
    assert!(req.body().is_empty());

    let req = GetMetadata::new(ns(), key("user:1 ü")).request(&ep());
    assert_eq!(
        mu(&req),
        ("GET", format!("{base}/metadata/user%3A1%20%C3%BC"))
    );
    expect_headers(&req, JSON, None);
    assert!(req.body().is_empty());
}

#[test]
fn bulk_write() {
    let url = format!("{BASE}/0f2ac74b498b48028cb68387c421e279/bulk");
    let items = vec![
        BulkWriteItem::text(key("a"), "1").unwrap(),
        BulkWriteItem::binary(key("b/ü"), &[0, 1, 254, 255])
            .unwrap()
            .expiration(Expiration::at(1_900_000_000)),
        BulkWriteItem::text(key("c"), "line\n\"q\"")
            .unwrap()
            .expiration(Expiration::ttl(120).unwrap())
            .metadata(Metadata::new(json!({"v": [1, 2]})).unwrap()),
    ];
    let lens: Vec<usize> = items.iter().map(BulkWriteItem::encoded_len).collect();
    let op = BulkWrite::new(ns(), items).unwrap();
    let req = op.request(&ep());
    assert_eq!(mu(&req), ("PUT", url.clone()));
    expect_headers(&req, JSON, Some(JSON));
    let want = concat!(
        r#"[{"key":"a","value":"1"},"#,
        r#"{"key":"b/ü","value":"AAH+/w==","base64":true,"expiration":1900000000},"#,
        r#"{"key":"c","value":"line\n\"q\"","expiration_ttl":120,"metadata":{"v":[1,2]}}]"#
    );
    assert_eq!(std::str::from_utf8(req.body()).unwrap(), want);
    // encoded_len is exact: body = 1 + sum.
    assert_eq!(req.body().len(), 1 + lens.iter().sum::<usize>());
    assert_eq!(op.body_len(), req.body().len());
    assert_eq!(
        op.keys().map(Key::as_str).collect::<Vec<_>>(),
        ["a", "b/ü", "c"]
    );
}

#[test]
fn bulk_delete_both_methods() {
    let base = format!("{BASE}/0f2ac74b498b48028cb68387c421e279");
    let op = BulkDelete::new(ns(), vec![key("a"), key("b/\"c\"")]).unwrap();
    let req = op.request(&ep());
    assert_eq!(mu(&req), ("POST", format!("{base}/bulk/delete")));
    expect_headers(&req, JSON, Some(JSON));
    assert_eq!(req.body(), br#"["a","b/\"c\""]"#.as_slice());

    let req = op.clone().legacy_delete_method().request(&ep());
    assert_eq!(mu(&req), ("DELETE", format!("{base}/bulk")));
    expect_headers(&req, JSON, Some(JSON));
    assert_eq!(req.body(), br#"["a","b/\"c\""]"#.as_slice());
}

#[test]
fn bulk_get_bodies() {
    let url = format!("{BASE}/0f2ac74b498b48028cb68387c421e279/bulk/get");
    let op = BulkGet::new(ns(), vec![key("a"), key("b")]).unwrap();
    let req = op.request(&ep());
    assert_eq!(mu(&req), ("POST", url.clone()));
    expect_headers(&req, JSON, Some(JSON));
    assert_eq!(
        req.body(),
        br#"{"keys":["a","b"],"type":"text","withMetadata":false}"#.as_slice()
    );
    let req = op.clone().json().with_metadata().request(&ep());
    assert_eq!(
        req.body(),
        br#"{"keys":["a","b"],"type":"json","withMetadata":true}"#.as_slice()
    );
    // JSON without metadata still asks for it, to tell a stored null from a missing key.
    let req = op.clone().json().request(&ep());
    assert_eq!(
        req.body(),
        br#"{"keys":["a","b"],"type":"json","withMetadata":true}"#.as_slice()
    );
    let req = op.clone().text().with_metadata().request(&ep());
    assert_eq!(
        req.body(),
        br#"{"keys":["a","b"],"type":"text","withMetadata":true}"#.as_slice()
    );
    let req = op.json().text().request(&ep());
    assert_eq!(
        req.body(),
        br#"{"keys":["a","b"],"type":"text","withMetadata":false}"#.as_slice()
    );
}

#[test]
fn api_key_auth_and_user_agent_and_base_url() {
    let ep = Endpoint::new(
        AccountId::new("acc").unwrap(),
        Auth::api_key("me@example.com", "k3y").unwrap(),
    )
    .with_base_url("http://127.0.0.1:8787/client/v4/")
    .unwrap()
    .with_user_agent("kv-test/1")
    .unwrap();
    let req = GetValue::new(ns(), key("k")).request(&ep);
    assert_eq!(
        req.uri(),
        "http://127.0.0.1:8787/client/v4/accounts/acc/storage/kv/namespaces/0f2ac74b498b48028cb68387c421e279/values/k"
    );
    assert_eq!(
        headers(&req),
        [
            ("accept", "application/octet-stream, application/json"),
            ("user-agent", "kv-test/1"),
            ("x-auth-email", "me@example.com"),
            ("x-auth-key", "k3y"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn response_caps() {
    let k = key("k");
    assert_eq!(
        GetValue::new(ns(), k.clone()).max_response_bytes(),
        26_214_400 + 65_536
    );
    assert_eq!(
        TryGetValue::new(ns(), k.clone()).max_response_bytes(),
        26_214_400 + 65_536
    );
    let small = 1 << 20;
    assert_eq!(
        GetMetadata::new(ns(), k.clone()).max_response_bytes(),
        small
    );
    assert_eq!(
        DeleteValue::new(ns(), k.clone()).max_response_bytes(),
        small
    );
    assert_eq!(GetNamespace::new(ns()).max_response_bytes(), small);
    assert!(ListKeys::new(ns()).max_response_bytes() >= 8 << 20);
    let bulk_get = BulkGet::new(ns(), vec![k.clone()]).unwrap();
    assert!(bulk_get.max_response_bytes() > 26_214_400);
}
