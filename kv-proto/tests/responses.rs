//! Realistic response fixtures for every route, and every error of kv-api.md §9.

use std::time::Duration;

use kv_proto::{
    BulkDelete, BulkGet, BulkPayload, BulkResponse, BulkValue, BulkWrite, BulkWriteItem,
    CreateNamespace, DeleteNamespace, DeleteValue, Error, ErrorKind, GetMetadata, GetNamespace,
    GetValue, KeyInfo, ListKeys, ListNamespaces, Namespace, Operation, PageInfo, PutValue,
    RenameNamespace, Title, TryGetValue, error::RetryAfter,
};
use serde_json::json;

mod common;

use common::{all_ops, key, ns, reads_a_value};

fn resp(
    status: u16,
    headers: &[(&str, &str)],
    body: &'static str,
) -> http::Response<&'static [u8]> {
    let mut b = http::Response::builder().status(status);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(body.as_bytes()).unwrap()
}

fn ok(body: &'static str) -> http::Response<&'static [u8]> {
    resp(200, &[("content-type", "application/json")], body)
}

fn api(e: &Error) -> &kv_proto::error::ApiError {
    match e.kind() {
        ErrorKind::Api(a) => a,
        other => panic!("expected an API error, got {other:?}"),
    }
}

const NS_JSON: &str = r#"{"id":"0f2ac74b498b48028cb68387c421e279","title":"My Own Namespace","supports_url_encoding":true}"#;

fn my_ns() -> Namespace {
    Namespace {
        id: kv_proto::NamespaceId::new("0f2ac74b498b48028cb68387c421e279").unwrap(),
        title: "My Own Namespace".into(),
        supports_url_encoding: Some(true),
        jurisdiction: None,
        mode: None,
        beta: None,
    }
}

// ---------- successes ----------

#[test]
fn list_namespaces_page() {
    let body = r#"{"errors":[],"messages":[],"result":[
        {"id":"0f2ac74b498b48028cb68387c421e279","title":"My Own Namespace","supports_url_encoding":true},
        {"id":"1f2ac74b498b48028cb68387c421e279","title":"eu","jurisdiction":"eu","mode":"instant","beta":false,"created":"2025-01-01"}],
        "success":true,"result_info":{"count":2,"page":1.0,"per_page":20,"total_count":2,"total_pages":1}}"#;
    let page = ListNamespaces::new().parse(ok(body)).unwrap();
    assert_eq!(page.namespaces.len(), 2);
    assert_eq!(page.namespaces[0], my_ns());
    assert_eq!(page.namespaces[1].jurisdiction.as_deref(), Some("eu"));
    assert_eq!(page.namespaces[1].mode.as_deref(), Some("instant"));
    assert_eq!(page.namespaces[1].beta, Some(false));
    assert_eq!(
        page.info,
        Some(PageInfo {
            count: 2,
            page: 1,
            per_page: 20,
            total_count: 2
        })
    );
    // Empty page, result_info with missing fields, and no result_info at all.
    let page = ListNamespaces::new()
        .parse(ok(
            r#"{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"page":4}}"#,
        ))
        .unwrap();
    assert!(page.namespaces.is_empty());
    assert_eq!(page.info.unwrap().page, 4);
    assert_eq!(page.info.unwrap().total_count, 0);
    let page = ListNamespaces::new()
        .parse(ok(
            r#"{"success":true,"errors":[],"messages":[],"result":[]}"#,
        ))
        .unwrap();
    assert_eq!(page.info, None);
}

#[test]
fn create_get_rename_delete_namespace() {
    let title = Title::new("My Own Namespace").unwrap();
    let body: &'static str = Box::leak(
        format!(r#"{{"success":true,"errors":[],"messages":[],"result":{NS_JSON}}}"#)
            .into_boxed_str(),
    );
    assert_eq!(
        CreateNamespace::new(title.clone()).parse(ok(body)).unwrap(),
        my_ns()
    );
    assert_eq!(GetNamespace::new(ns()).parse(ok(body)).unwrap(), my_ns());
    let rename = RenameNamespace::new(ns(), title);
    assert_eq!(rename.parse(ok(body)).unwrap(), Some(my_ns()));
    for empty in [
        r#"{"success":true,"errors":[],"messages":[],"result":null}"#,
        r#"{"success":true,"errors":[],"messages":[],"result":{}}"#,
        r#"{"success":true,"errors":[],"messages":[]}"#,
    ] {
        assert_eq!(rename.parse(ok(empty)).unwrap(), None, "{empty}");
        DeleteNamespace::new(ns()).parse(ok(empty)).unwrap();
        DeleteValue::new(ns(), key("k")).parse(ok(empty)).unwrap();
        PutValue::new(ns(), key("k"), b"v".to_vec())
            .unwrap()
            .parse(ok(empty))
            .unwrap();
    }
    // A namespace object without an id is a decode error, not a silent default.
    let e = GetNamespace::new(ns())
        .parse(ok(r#"{"success":true,"errors":[],"result":{"title":"x"}}"#))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path == "result"),
        "{e:?}"
    );
    let e = RenameNamespace::new(ns(), Title::new("x").unwrap())
        .parse(ok(r#"{"success":true,"errors":[],"result":{"title":"x"}}"#))
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Decode(_)));
}

#[test]
fn list_keys_pages() {
    let body = r#"{"success":true,"errors":[],"messages":[],"result":[
        {"name":"My-Key","expiration":1577836800,"metadata":{"someMetadataKey":"someMetadataValue"}},
        {"name":"plain"},
        {"name":"nullmeta","metadata":null,"expiration":1.5778368e9}],
        "result_info":{"count":3,"cursor":"6Ck1la0VxJ0djhidm1MdX2FyDGxLKVeeHZZmORS_8XeSuhz9SjIJRaSa2lnsF01tQOHrfTGAP3R5X1Kv5iVUuMbNKhWNAXHOl6ePB0TUL8nw"}}"#;
    let page = ListKeys::new(ns()).parse(ok(body)).unwrap();
    assert_eq!(
        page.keys,
        vec![
            KeyInfo {
                name: key("My-Key"),
                expiration: Some(1_577_836_800),
                metadata: Some(json!({"someMetadataKey": "someMetadataValue"}))
            },
            KeyInfo {
                name: key("plain"),
                expiration: None,
                metadata: None
            },
            KeyInfo {
                name: key("nullmeta"),
                expiration: Some(1_577_836_800),
                metadata: None
            },
        ]
    );
    assert!(page.cursor.as_deref().unwrap().starts_with("6Ck1"));
    assert_eq!(page.count, Some(3));

    // Last page: blank, null or missing cursor all mean done.
    for info in [
        r#","result_info":{"count":0,"cursor":""}"#,
        r#","result_info":{"cursor":null}"#,
        "",
    ] {
        let body = Box::leak(
            format!(r#"{{"success":true,"errors":[],"messages":[],"result":[]{info}}}"#)
                .into_boxed_str(),
        );
        let page = ListKeys::new(ns()).parse(ok(body)).unwrap();
        assert_eq!(page.cursor, None, "{info}");
    }
    // An empty page with a cursor is not the end.
    let page = ListKeys::new(ns())
        .parse(ok(r#"{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"count":0,"cursor":"more"}}"#))
        .unwrap();
    assert!(page.keys.is_empty());
    assert_eq!(page.cursor.as_deref(), Some("more"));
}

#[test]
fn get_value_bytes_exactly() {
    let op = GetValue::new(ns(), key("k"));
    // Looks like a failed envelope, but status 200: it is the stored value.
    let body = r#"{"success":false,"errors":[{"code":10009,"message":"x"}]}"#;
    let v = op
        .parse(resp(
            200,
            &[("content-type", "application/octet-stream")],
            body,
        ))
        .unwrap();
    assert_eq!(v.bytes, body.as_bytes());
    assert_eq!(v.expiration, None);
    let v = op
        .parse(resp(200, &[("expiration", "1900000000")], "\u{0}\u{ff}"))
        .unwrap();
    assert_eq!(v.bytes, "\u{0}\u{ff}".as_bytes());
    assert_eq!(v.expiration, Some(1_900_000_000));
    // Empty value.
    let v = op.parse(resp(200, &[], "")).unwrap();
    assert!(v.bytes.is_empty());
    assert_eq!(v.text().unwrap(), "");
    // Binary bytes that are not UTF-8.
    let raw = http::Response::builder()
        .header("expiration", "garbage")
        .body(&[0xffu8, 0xfe, 0x00][..])
        .unwrap();
    let v = op.parse(raw).unwrap();
    assert_eq!(v.bytes, [0xff, 0xfe, 0x00]);
    assert_eq!(v.expiration, None);
    assert!(matches!(v.text().unwrap_err().kind(), ErrorKind::Decode(_)));
    // Optional read: a value is Some.
    assert_eq!(
        TryGetValue::new(ns(), key("k"))
            .parse(resp(200, &[], "x"))
            .unwrap()
            .unwrap()
            .bytes,
        b"x"
    );
}

#[test]
fn value_json_helper_reports_path() {
    let v = kv_proto::StoredValue {
        bytes: br#"{"a":[1,"x"]}"#.to_vec(),
        expiration: None,
    };
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct T {
        a: Vec<u32>,
    }
    let e = v.json::<T>().unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path == "a[1]"),
        "{e:?}"
    );
}

#[test]
fn get_metadata_any_json_or_none() {
    let op = GetMetadata::new(ns(), key("k"));
    let cases = [
        (
            r#"{"success":true,"errors":[],"messages":[],"result":{"someMetadataKey":"someMetadataValue"}}"#,
            Some(json!({"someMetadataKey": "someMetadataValue"})),
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":"just a string"}"#,
            Some(json!("just a string")),
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":[1,2.5,false]}"#,
            Some(json!([1, 2.5, false])),
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":null}"#,
            None,
        ),
        (r#"{"success":true,"errors":[],"messages":[]}"#, None),
    ];
    for (body, want) in cases {
        assert_eq!(op.parse(ok(body)).unwrap(), want, "{body}");
    }
}

#[test]
fn bulk_results_lenient() {
    let write = BulkWrite::new(ns(), vec![BulkWriteItem::text(key("a"), "1").unwrap()]).unwrap();
    let delete = BulkDelete::new(ns(), vec![key("a")]).unwrap();
    let cases = [
        (
            r#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_count":2,"unsuccessful_keys":[]}}"#,
            2,
            vec![],
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_count":3.0,"unsuccessful_keys":["x","y"]}}"#,
            3,
            vec!["x", "y"],
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":{"unsuccessful_keys":null}}"#,
            0,
            vec![],
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":{}}"#,
            0,
            vec![],
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":null}"#,
            0,
            vec![],
        ),
        (
            r#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_count":20000000000}}"#,
            20_000_000_000,
            vec![],
        ),
    ];
    for (body, count, failed) in cases {
        let want = BulkResponse {
            successful_key_count: count,
            unsuccessful_keys: failed.into_iter().map(String::from).collect(),
        };
        assert_eq!(write.parse(ok(body)).unwrap(), want, "{body}");
        assert_eq!(delete.parse(ok(body)).unwrap(), want, "{body}");
    }
    for bad in [
        r#"{"success":true,"errors":[],"result":{"successful_key_count":-1}}"#,
        r#"{"success":true,"errors":[],"result":{"successful_key_count":1.5}}"#,
        r#"{"success":true,"errors":[],"result":{"unsuccessful_keys":[1]}}"#,
    ] {
        let e = write.parse(ok(bad)).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Decode(d) if d.path.starts_with("result.")),
            "{e:?}"
        );
    }
}

#[test]
fn bulk_get_text() {
    let op = BulkGet::new(
        ns(),
        vec![key("k1"), key("missing"), key("k\"3"), key("k1")],
    )
    .unwrap();
    // Any order; unrequested keys ignored; an escaped key matched.
    let body = r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"extra":"zzz","k\"3":"three","missing":null,"k1":"v1"}}}"#;
    let out = op.parse(ok(body)).unwrap();
    assert_eq!(out.len(), 3);
    let got: Vec<(&str, &BulkValue)> = out.iter().collect();
    assert_eq!(
        got,
        vec![
            ("k1", &BulkValue::Text("v1".into())),
            ("missing", &BulkValue::Missing),
            ("k\"3", &BulkValue::Text("three".into())),
        ]
    );
    assert_eq!(out.get("extra"), None);
    assert_eq!(out.missing().collect::<Vec<_>>(), ["missing"]);
    // Keys the server leaves out are missing.
    let out = op
        .parse(ok(
            r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"k1":"v1"}}}"#,
        ))
        .unwrap();
    assert_eq!(out.missing().collect::<Vec<_>>(), ["missing", "k\"3"]);
    // A non-string value under type text is a decode error with a path.
    let e = op
        .parse(ok(
            r#"{"success":true,"errors":[],"result":{"values":{"k1":5}}}"#,
        ))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path == "result.values.k1"),
        "{e:?}"
    );
    // No values object at all.
    let e = op
        .parse(ok(r#"{"success":true,"errors":[],"result":{}}"#))
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Decode(_)));
}

#[test]
fn bulk_get_json_and_metadata() {
    let op = BulkGet::new(ns(), vec![key("a"), key("b"), key("n"), key("gone")])
        .unwrap()
        .json();
    // A JSON read asks for metadata on the wire, so a stored JSON null (an entry object whose
    // value is null) stays distinguishable from a missing key (null); the metadata is dropped.
    let body = r#"{"success":true,"errors":[],"messages":[],"result":{"values":{
        "a":{"value":{"x":[1,2]},"metadata":{"m":1}},
        "b":{"value":7,"metadata":null,"expiration":1900000000},
        "n":{"value":null,"metadata":null},
        "gone":null}}}"#;
    let out = op.parse(ok(body)).unwrap();
    assert_eq!(out.get("a"), Some(&BulkValue::Json(json!({"x": [1, 2]}))));
    assert_eq!(out.get("a").unwrap().metadata(), None);
    assert_eq!(out.get("b"), Some(&BulkValue::Json(json!(7))));
    assert_eq!(
        out.get("n"),
        Some(&BulkValue::Json(serde_json::Value::Null))
    );
    assert_eq!(out.get("gone"), Some(&BulkValue::Missing));
    assert_eq!(out.missing().collect::<Vec<_>>(), ["gone"]);

    let op = op.with_metadata();
    let body = r#"{"success":true,"errors":[],"messages":[],"result":{"values":{
        "gone":null,
        "n":{"value":null,"metadata":null},
        "a":{"value":{"x":1},"metadata":{"m":true},"expiration":1900000000.0}}}}"#;
    let out = op.parse(ok(body)).unwrap();
    assert_eq!(out.get("gone"), Some(&BulkValue::Missing));
    assert_eq!(
        out.get("n"),
        Some(&BulkValue::WithMetadata {
            value: BulkPayload::Json(serde_json::Value::Null),
            metadata: None,
            expiration: None
        })
    );
    let a = out.get("a").unwrap();
    assert_eq!(a.as_json(), Some(&json!({"x": 1})));
    assert_eq!(a.metadata(), Some(&json!({"m": true})));
    assert_eq!(a.expiration(), Some(1_900_000_000));
    assert_eq!(out.get("b"), Some(&BulkValue::Missing));

    let op = BulkGet::new(ns(), vec![key("t")]).unwrap().with_metadata();
    let out = op
        .parse(ok(r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"t":{"value":"hi","metadata":{"a":1}}}}}"#))
        .unwrap();
    assert_eq!(out.get("t").unwrap().as_text(), Some("hi"));
    assert_eq!(out.get("t").unwrap().metadata(), Some(&json!({"a": 1})));
    let all: Vec<(String, BulkValue)> = out.into_iter().collect();
    assert_eq!(all.len(), 1);
}

// ---------- errors (kv-api.md §9) ----------

/// A type-erased `op.parse`.
#[test]
fn key_not_found_10009() {
    let r = || {
        resp(
            404,
            &[
                ("cf-ray", "8a1b2c3d4e5f6a7b-SJC"),
                ("content-type", "application/json"),
            ],
            r#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null}"#,
        )
    };
    let e = GetValue::new(ns(), key("k")).parse(r()).unwrap_err();
    assert!(e.is_key_not_found() && e.is_not_found());
    assert!(!e.is_namespace_not_found() && !e.is_retryable() && !e.is_auth());
    assert_eq!(e.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(e.ray_id(), Some("8a1b2c3d4e5f6a7b-SJC"));
    assert_eq!(e.codes(), [10009]);
    assert_eq!(api(&e).errors[0].message, "get: 'key not found'");
    let e = GetMetadata::new(ns(), key("k")).parse(r()).unwrap_err();
    assert!(e.is_key_not_found());
    assert_eq!(TryGetValue::new(ns(), key("k")).parse(r()).unwrap(), None);
}

#[test]
fn namespace_not_found_10013_everywhere() {
    for (_, parse) in all_ops() {
        let e = parse(resp(
            404,
            &[],
            r#"{"success":false,"errors":[{"code":10013,"message":"get namespace: 'namespace not found'"}],"messages":[],"result":null}"#,
        ))
        .unwrap_err();
        assert!(e.is_namespace_not_found() && e.is_not_found() && !e.is_key_not_found());
        assert!(!e.is_retryable());
    }
}

#[test]
fn invalid_namespace_id_10011() {
    let e = GetNamespace::new(ns())
        .parse(resp(400, &[], r#"{"success":false,"errors":[{"code":10011,"message":"could not parse UUID from request's namespace_id: 'zzz'"}],"messages":[],"result":null}"#))
        .unwrap_err();
    assert!(e.has_code(kv_proto::codes::INVALID_NAMESPACE_ID));
    assert!(!e.is_not_found() && !e.is_retryable() && !e.is_auth());
    assert_eq!(e.status(), Some(http::StatusCode::BAD_REQUEST));
}

#[test]
fn title_exists_10014_and_title_missing_10019() {
    let op = CreateNamespace::new(Title::new("dup").unwrap());
    let e = op
        .parse(resp(400, &[], r#"{"success":false,"errors":[{"code":10014,"message":"create namespace: 'A namespace with this account ID and title already exists'"}],"messages":[],"result":null}"#))
        .unwrap_err();
    assert!(e.has_code(kv_proto::codes::TITLE_EXISTS) && !e.is_retryable());
    let e = RenameNamespace::new(ns(), Title::new("x").unwrap())
        .parse(resp(400, &[], r#"{"success":false,"errors":[{"code":10019,"message":"The title is required.","documentation_url":"https://developers.cloudflare.com/kv","source":{"pointer":"/title"}}],"messages":[{"code":1000,"message":"note"}],"result":null}"#))
        .unwrap_err();
    let a = api(&e);
    assert_eq!(a.errors[0].code, 10019);
    assert_eq!(
        a.errors[0].documentation_url.as_deref(),
        Some("https://developers.cloudflare.com/kv")
    );
    assert_eq!(a.errors[0].source.as_ref().unwrap().pointer, "/title");
    assert_eq!(a.messages[0].message, "note");
}

#[test]
fn rate_limited_971_with_retry_after() {
    for (_, parse) in all_ops() {
        let e = parse(resp(
            429,
            &[("retry-after", "30"), ("cf-ray", "r1")],
            r#"{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}"#,
        ))
        .unwrap_err();
        assert!(e.is_rate_limited() && e.is_retryable() && !e.is_quota_exceeded());
        assert_eq!(
            e.retry_after(),
            Some(RetryAfter::Delay(Duration::from_secs(30)))
        );
        assert_eq!(e.codes(), [971]);
    }
    // HTTP-date form.
    let e = GetValue::new(ns(), key("k"))
        .parse(resp(
            429,
            &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
            r#"{"success":false,"errors":[{"code":971,"message":"x"}]}"#,
        ))
        .unwrap_err();
    assert!(matches!(e.retry_after(), Some(RetryAfter::At(_))));
}

#[test]
fn daily_quota_10048_not_retryable() {
    for status in [429, 400] {
        let r = http::Response::builder()
            .status(status)
            .body(&br#"{"success":false,"errors":[{"code":10048,"message":"your account has reached the free usage limit for this operation for today"}],"messages":[],"result":null}"#[..])
            .unwrap();
        let e = PutValue::new(ns(), key("k"), b"v".to_vec())
            .unwrap()
            .parse(r)
            .unwrap_err();
        assert!(e.is_quota_exceeded() && e.is_rate_limited() && !e.is_retryable());
    }
}

#[test]
fn auth_10000_403_and_405() {
    let e = ListNamespaces::new()
        .parse(resp(403, &[], r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#))
        .unwrap_err();
    assert!(e.is_auth() && !e.is_retryable() && !e.is_not_found());
    let e = PutValue::new(ns(), key("k"), b"v".to_vec())
        .unwrap()
        .parse(resp(405, &[], r#"{"success":false,"errors":[{"code":10000,"message":"PUT method not allowed for the api_token authentication scheme"}],"messages":[],"result":null}"#))
        .unwrap_err();
    assert!(e.is_auth() && !e.is_retryable());
    assert_eq!(e.status(), Some(http::StatusCode::METHOD_NOT_ALLOWED));
}

#[test]
fn payload_too_large_413_without_code() {
    // A 413 from the edge may be HTML or an envelope without items.
    for body in [
        "<html><body>413 Request Entity Too Large</body></html>",
        r#"{"success":false,"errors":[],"messages":[],"result":null}"#,
    ] {
        let e = BulkWrite::new(ns(), vec![BulkWriteItem::text(key("k"), "v").unwrap()])
            .unwrap()
            .parse(resp(413, &[], body))
            .unwrap_err();
        assert!(e.is_too_large() && !e.is_retryable(), "{e:?}");
        assert_eq!(e.codes(), Vec::<u32>::new());
    }
}

#[test]
fn html_502_is_http_error_everywhere() {
    for (_, parse) in all_ops() {
        let e = parse(resp(
            502,
            &[("content-type", "text/html"), ("cf-ray", "r502")],
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>cloudflare</body></html>",
        ))
        .unwrap_err();
        match e.kind() {
            ErrorKind::Http(h) => {
                assert_eq!(h.meta.status, 502);
                assert!(h.excerpt.contains("502 Bad Gateway"));
            }
            other => panic!("{other:?}"),
        }
        assert!(e.is_server_error() && e.is_retryable());
        assert_eq!(e.ray_id(), Some("r502"));
    }
}

#[test]
fn success_false_under_200_everywhere_but_value_read() {
    for (name, parse) in all_ops() {
        let r = ok(
            r#"{"success":false,"errors":[{"code":10001,"message":"Invalid input"}],"messages":[],"result":null}"#,
        );
        let out = parse(r);
        if reads_a_value(name) {
            // Read value: a 200 body is the value, whatever it looks like.
            assert!(out.is_ok(), "{name}");
        } else {
            let e = out.unwrap_err();
            assert_eq!(e.codes(), [10001]);
            assert_eq!(e.status(), Some(http::StatusCode::OK));
            assert!(!e.is_retryable());
        }
    }
}

#[test]
fn empty_errors_failure() {
    let e = GetValue::new(ns(), key("k"))
        .parse(resp(
            404,
            &[],
            r#"{"success":false,"errors":[],"messages":[],"result":null}"#,
        ))
        .unwrap_err();
    assert!(api(&e).errors.is_empty());
    assert!(e.is_not_found() && !e.is_key_not_found());
    // So the optional read reports it rather than guessing "missing key".
    assert!(
        TryGetValue::new(ns(), key("k"))
            .parse(resp(
                404,
                &[],
                r#"{"success":false,"errors":[],"messages":[],"result":null}"#
            ))
            .is_err()
    );
    assert!(e.to_string().contains("no error details"), "{e}");
}

#[test]
fn no_route_7003_and_bulk_get_limit_10029() {
    let e = ListKeys::new(ns())
        .parse(resp(400, &[], r#"{"success":false,"errors":[{"code":7003,"message":"Could not route to /accounts/x, perhaps your object identifier is invalid?"},{"code":7000,"message":"No route for that URI"}],"messages":[],"result":null}"#))
        .unwrap_err();
    assert_eq!(e.codes(), [7003, 7000]);
    let e = BulkGet::new(ns(), vec![key("k")])
        .unwrap()
        .parse(resp(400, &[], r#"{"success":false,"errors":[{"code":10029,"message":"bulk get keys: 'You can request a maximum of 100 keys'"}],"messages":[],"result":null}"#))
        .unwrap_err();
    assert!(e.has_code(10029));
}

#[test]
fn wrong_shape_2xx_is_decode_with_path_and_excerpt() {
    let e = ListKeys::new(ns())
        .parse(ok(
            r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"a"},{"name":7}]}"#,
        ))
        .unwrap_err();
    match e.kind() {
        ErrorKind::Decode(d) => {
            assert_eq!(d.path, "result[1].name");
            assert!(d.excerpt.starts_with(r#"{"success":true"#));
            assert_eq!(d.meta.status, 200);
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_retryable());
    // Truncated JSON.
    let e = ListNamespaces::new()
        .parse(ok(r#"{"success":true,"errors":[],"result":[{"id":"a""#))
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Decode(_)));
    // 200 HTML.
    let e = GetNamespace::new(ns())
        .parse(ok("<html>captive portal</html>"))
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Decode(d) if d.excerpt.contains("captive")));
}

#[test]
fn decode_path_is_dot_at_the_root_and_never_a_question_mark() {
    let root_cases: [&'static str; 4] = [
        "",
        "[1,2]",
        r#"{"success":true,"errors":[],"messages":[],"result":null} trailing"#,
        "<html>captive portal</html>",
    ];
    for body in root_cases {
        let e = ListKeys::new(ns()).parse(ok(body)).unwrap_err();
        match e.kind() {
            ErrorKind::Decode(d) => assert_eq!(d.path(), ".", "{body:?}"),
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("at `.`"), "{e}");
    }
    // Cut while a key is expected: serde_path_to_error says `?`; we name the container.
    let e = ListKeys::new(ns())
        .parse(ok(r#"{"success":true,"#))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path() == "."),
        "{e:?}"
    );
    assert!(!e.to_string().contains('?'), "{e}");
    let e = BulkGet::new(ns(), vec![key("k1")])
        .unwrap()
        .parse(ok(r#"{"success":true,"result":{"values":{"k1":"v","#))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path() == "result.values"),
        "{e:?}"
    );
    // Nested paths; keys that are not plain identifiers are quoted.
    let e = BulkGet::new(ns(), vec![key("user/1.a")])
        .unwrap()
        .parse(ok(r#"{"success":true,"result":{"values":{"user/1.a":7}}}"#))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path() == r#"result.values["user/1.a"]"#),
        "{e:?}"
    );
    assert!(
        e.to_string().contains(r#"at `result.values["user/1.a"]`"#),
        "{e}"
    );
    let e = kv_proto::StoredValue {
        bytes: b"not json".to_vec(),
        expiration: None,
    }
    .json::<u32>()
    .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode(d) if d.path() == "."),
        "{e:?}"
    );
}

#[test]
fn decode_errors_of_a_bulk_get_never_print_stored_values() {
    const SECRET: &str = "sk_live_9f8e7d6c5b4a";
    const META: &str = "ssn-078-05-1120";
    let bodies: [&'static str; 3] = [
        // A value of the wrong type next to a secret.
        r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":"sk_live_9f8e7d6c5b4a","metadata":{"id":"ssn-078-05-1120"},"expiration":"soon"}}}}"#,
        // Cut in the middle of the secret.
        r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":"sk_live_9f8e7d6c5b4a","metadata":{"id":"ssn-078-05-1120"}},"b":{"value":"sk_live_9f8e7d6c5b4a"#,
        // The secret where a number belongs: serde quotes it in its message.
        r#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":"x","metadata":null,"expiration":"sk_live_9f8e7d6c5b4a"}}}}"#,
    ];
    let op = BulkGet::new(ns(), vec![key("a"), key("b")])
        .unwrap()
        .json()
        .with_metadata();
    for body in bodies {
        let e = op.parse(ok(body)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
        for shown in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(!shown.contains(META), "{shown}");
            assert!(!shown.contains("sk_live"), "{shown}");
        }
        assert!(e.to_string().contains("at `result.values."), "{e}");
        // The shape is there: envelope names, punctuation, elided strings.
        assert!(
            e.to_string().contains(r#"{"success":true,"errors":[],"#),
            "{e}"
        );
        // Opt-in: the excerpt itself.
        assert!(e.decode_excerpt().unwrap().contains(SECRET));
        match e.kind() {
            ErrorKind::Decode(d) => {
                assert!(d.excerpt().contains(SECRET));
                assert!(!d.skeleton().contains(SECRET));
            }
            other => panic!("{other:?}"),
        }
    }
    // serde quotes a bad string in its raw message; the redacted one does not.
    let e = GetNamespace::new(ns())
        .parse(ok(r#"{"success":true,"result":{"id":"a","title":"t","supports_url_encoding":"sk_live_9f8e7d6c5b4a"}}"#))
        .unwrap_err();
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(!format!("{e:?}").contains(SECRET), "{e:?}");
    match e.kind() {
        ErrorKind::Decode(d) => {
            assert!(d.message.contains(SECRET), "{}", d.message);
            assert!(!d.redacted_message().contains(SECRET));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn try_get_value_is_missing_only_on_a_404_with_10009() {
    const KEY_NOT_FOUND: &str = r#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null}"#;
    let op = TryGetValue::new(ns(), key("k"));
    // 404 + 10009: missing.
    assert_eq!(op.parse(resp(404, &[], KEY_NOT_FOUND)).unwrap(), None);
    // The same envelope under a 5xx is a failed read: an error, and a retryable one.
    for status in [500, 502, 503] {
        let e = op.parse(resp(status, &[], KEY_NOT_FOUND)).unwrap_err();
        assert!(e.is_server_error() && e.is_retryable(), "{status}: {e:?}");
        assert!(e.is_key_not_found(), "the code is still reported");
    }
    // Under any other non-404 status, too (never a success).
    for status in [400, 403, 409, 429] {
        assert!(
            op.parse(resp(status, &[], KEY_NOT_FOUND)).is_err(),
            "{status}"
        );
    }
    // A 404 without 10009 (namespace missing, or no detail) stays an error.
    assert!(op.parse(resp(404, &[], r#"{"success":false,"errors":[{"code":10013,"message":"get: 'namespace not found'"}],"messages":[],"result":null}"#)).unwrap_err().is_namespace_not_found());
    assert!(
        op.parse(resp(
            404,
            &[],
            r#"{"success":false,"errors":[],"messages":[],"result":null}"#
        ))
        .is_err()
    );
    // A 200 is the stored bytes, even when they look like a 10009 envelope.
    let v = op.parse(resp(200, &[], KEY_NOT_FOUND)).unwrap().unwrap();
    assert_eq!(v.bytes, KEY_NOT_FOUND.as_bytes());
    // GetValue and GetMetadata report the 5xx as an error as well.
    assert!(
        GetValue::new(ns(), key("k"))
            .parse(resp(500, &[], KEY_NOT_FOUND))
            .unwrap_err()
            .is_retryable()
    );
    assert!(
        GetMetadata::new(ns(), key("k"))
            .parse(resp(500, &[], KEY_NOT_FOUND))
            .unwrap_err()
            .is_retryable()
    );
}

// ---- ids and keys from the server are validated ----

/// A listed key name or a namespace id that could not be passed back to the API (a key `..`,
/// an id with a slash) is a decode error, not a value that fails later.
#[test]
fn invalid_key_names_and_namespace_ids_from_the_server_are_decode_errors() {
    let keys = br#"{"success":true,"errors":[],"messages":[],"result":[{"name":"ok"},{"name":".."}],"result_info":{"cursor":""}}"#;
    let err = ListKeys::new(ns())
        .parse(http::Response::new(&keys[..]))
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
    assert!(err.is_garbled(), "{err:?}");

    let long = format!(
        r#"{{"success":true,"errors":[],"messages":[],"result":[{{"name":"{}"}}]}}"#,
        "k".repeat(513)
    );
    let err = ListKeys::new(ns())
        .parse(http::Response::new(long.as_bytes()))
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");

    for id in ["../evil", "", "a b"] {
        let body = json!({"success": true, "errors": [], "messages": [], "result": {"id": id, "title": "t"}}).to_string();
        let err = GetNamespace::new(ns())
            .parse(http::Response::new(body.as_bytes()))
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Decode(_)),
            "{id:?}: {err:?}"
        );
        let list = json!({"success": true, "errors": [], "messages": [], "result": [{"id": id, "title": "t"}]}).to_string();
        let err = ListNamespaces::new()
            .parse(http::Response::new(list.as_bytes()))
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Decode(_)),
            "{id:?}: {err:?}"
        );
    }

    // Valid ones come back typed, ready to pass back.
    let body = br#"{"success":true,"errors":[],"messages":[],"result":{"id":"0f2ac74b498b48028cb68387c421e279","title":"t"}}"#;
    let got = GetNamespace::new(ns())
        .parse(http::Response::new(&body[..]))
        .unwrap();
    let again = GetNamespace::new(got.id.clone());
    assert_eq!(again.namespace_id(), Some(&got.id));
}
