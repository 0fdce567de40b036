//! The token and the API key never appear in `Debug` or `Display` of any public type we
//! format: client, builder, endpoint, credentials, every operation, requests, errors (from a
//! transport failure, from a redirect, from a server that echoes the credentials back), nor in
//! what the emulator logs. Plain-http base URLs are refused unless the host is loopback.

mod rel_common;

use std::time::Duration;

use kv_tests::EmulatorConfig;
use kv_ureq::http;
use kv_ureq::kv_proto::{
    BulkDelete, BulkGet, BulkWrite, CreateNamespace, DeleteNamespace, DeleteValue, GetMetadata,
    GetNamespace, GetValue, ListKeys, ListNamespaces, PutValue, RenameNamespace, TryGetValue,
};
use kv_ureq::{
    AccountId, Auth, BulkWriteItem, Client, Endpoint, Key, Limit, Metadata, NamespaceId, Operation,
    RetryPolicy, Title,
};
use rel_common::{ACCOUNT, Conn, Scripted, TOKEN, builder, emulator};
use serde_json::json;

const API_KEY: &str = "KEY-SECRET-0123456789abcdef";
const EMAIL: &str = "secret.person@example.com";

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, API_KEY, EMAIL] {
        assert!(!text.contains(secret), "{what} leaks {secret:?}: {text}");
    }
}

fn auths() -> Vec<Auth> {
    vec![
        Auth::api_token(TOKEN).unwrap(),
        Auth::api_key(EMAIL, API_KEY).unwrap(),
    ]
}

fn ns() -> NamespaceId {
    NamespaceId::new("0f2ac74b498b48028cb68387c421e279").unwrap()
}

/// Every operation type, with its request as built for `ep`.
fn requests(ep: &Endpoint) -> Vec<(String, http::Request<Vec<u8>>)> {
    let k = Key::new("k").unwrap();
    let item = BulkWriteItem::text(k.clone(), "v")
        .unwrap()
        .metadata(Metadata::new(json!({"m": 1})).unwrap());
    fn one<O: Operation + std::fmt::Debug>(
        op: O,
        ep: &Endpoint,
    ) -> (String, http::Request<Vec<u8>>) {
        (format!("{op:?}"), op.request(ep))
    }
    vec![
        one(ListNamespaces::new(), ep),
        one(CreateNamespace::new(Title::new("t").unwrap()), ep),
        one(GetNamespace::new(ns()), ep),
        one(RenameNamespace::new(ns(), Title::new("t").unwrap()), ep),
        one(DeleteNamespace::new(ns()), ep),
        one(ListKeys::new(ns()).prefix("p").cursor("c"), ep),
        one(GetValue::new(ns(), k.clone()), ep),
        one(TryGetValue::new(ns(), k.clone()), ep),
        one(
            PutValue::new(ns(), k.clone(), b"v".to_vec())
                .unwrap()
                .metadata(Metadata::new(json!({"a": 1})).unwrap()),
            ep,
        ),
        one(DeleteValue::new(ns(), k.clone()), ep),
        one(GetMetadata::new(ns(), k.clone()), ep),
        one(BulkWrite::new(ns(), vec![item]).unwrap(), ep),
        one(BulkDelete::new(ns(), vec![k.clone()]).unwrap(), ep),
        one(
            BulkGet::new(ns(), vec![k]).unwrap().json().with_metadata(),
            ep,
        ),
    ]
}

#[test]
fn nothing_we_format_shows_a_credential() {
    for auth in auths() {
        assert_clean("Auth", &format!("{auth:?}"));
        let account = AccountId::new(ACCOUNT).unwrap();
        let ep = Endpoint::new(account.clone(), auth.clone());
        assert_clean("Endpoint", &format!("{ep:?}"));
        let b = Client::builder(auth.clone(), account.clone());
        assert_clean("ClientBuilder", &format!("{b:?}"));
        let client = b.build().unwrap();
        assert_clean("Client", &format!("{client:?}"));
        let handle = client.namespace(ns()).unwrap();
        assert_clean("NamespaceHandle", &format!("{handle:?}"));
        assert_clean("Keys", &format!("{:?}", handle.keys()));
        assert_clean("Put", &format!("{:?}", handle.put_with("k", "v")));
        assert_clean("BulkDeleteJob", &format!("{:?}", handle.bulk_delete(["k"])));
        for (op_debug, req) in requests(&ep) {
            assert_clean("operation", &op_debug);
            // http's own Debug of a request: credential headers are marked sensitive.
            let shown = format!("{req:?}");
            assert_clean("http::Request", &shown);
            assert!(shown.contains("Sensitive"), "{shown}");
            for (name, value) in req.headers() {
                if matches!(
                    name.as_str(),
                    "authorization" | "x-auth-key" | "x-auth-email"
                ) {
                    assert!(value.is_sensitive(), "{name} is not marked sensitive");
                }
            }
        }
    }
}

#[test]
fn transport_and_redirect_errors_show_no_credential() {
    // Nothing listens on a just-closed port: a connect error.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for auth in auths() {
        let client = Client::builder(auth, AccountId::new(ACCOUNT).unwrap())
            .base_url(format!("http://127.0.0.1:{port}/client/v4"))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let e = client.get_namespace(ns()).unwrap_err();
        assert!(e.is_transport(), "{e:?}");
        assert_clean("connect error", &format!("{e} {e:?}"));
    }
    // A redirect that carries the token in its target.
    let srv = Scripted::start(|c: &mut Conn| {
        let location = format!("http://127.0.0.1:1/steal?token={TOKEN}");
        c.respond("302 Found", &[("Location", location.as_str())], b"");
    });
    let client = builder(&srv.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.get_namespace(ns()).unwrap_err();
    assert_clean("redirect error", &format!("{e} {e:?}"));
}

#[test]
fn errors_from_a_server_echoing_the_credentials_do_not_repeat_them() {
    // A hostile (or buggy) server quotes the request head back in its error bodies.
    let srv = Scripted::start(|c: &mut Conn| {
        let head = c.head.clone();
        let quoted = serde_json::to_string(&head).unwrap();
        let (status, body) = if head.starts_with("GET") {
            ("502 Bad Gateway", format!("<html>{head}</html>"))
        } else if head.starts_with("DELETE") {
            (
                "400 Bad Request",
                format!(r#"{{"success":false,"errors":[{{"code":1,"message":{quoted}}}]}}"#),
            )
        } else {
            (
                "200 OK",
                format!(r#"{{"success":true,"result":{{"bogus":{quoted}}}"#),
            )
        };
        c.respond(status, &[("Content-Type", "text/html")], body.as_bytes());
    });
    for auth in auths() {
        let client = Client::builder(auth, AccountId::new(ACCOUNT).unwrap())
            .base_url(srv.base_url())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let e = client.get_namespace(ns()).unwrap_err();
        assert!(e.is_server_error(), "{e:?}");
        assert_clean("HTTP error excerpt", &format!("{e} {e:?}"));
        let e = client.delete_namespace(ns()).unwrap_err();
        assert_clean("API error message", &format!("{e} {e:?}"));
        let e = client.create_namespace("t").unwrap_err();
        assert_clean("decode error excerpt", &format!("{e} {e:?}"));
    }
    assert!(
        srv.heads()
            .iter()
            .all(|h| h.contains("Bearer") || h.contains(API_KEY))
    );
}

/// A custom transport (a closure: no network at all) that quotes every credential header of
/// the request back, in three shapes: an error envelope, an HTML error page, and a 200 whose
/// body does not decode.
fn echoing_transport(
    request: http::Request<Vec<u8>>,
    _max: u64,
) -> Result<http::Response<Vec<u8>>, kv_ureq::Error> {
    let quoted: String = request
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {} ", String::from_utf8_lossy(value.as_bytes())))
        .collect();
    assert!(
        quoted.contains("Bearer") || quoted.contains(API_KEY),
        "{quoted}"
    );
    let json = serde_json::to_string(&quoted).unwrap();
    let (status, body) = match *request.method() {
        http::Method::DELETE => (
            400,
            format!(
                r#"{{"success":false,"errors":[{{"code":1,"message":{json}}}],"messages":[]}}"#
            ),
        ),
        http::Method::GET => (502, format!("<html><body>{quoted}</body></html>")),
        _ => (200, format!(r#"{{"success":true,"result":{{"id":{json}"#)),
    };
    Ok(http::Response::builder()
        .status(status)
        .body(body.into_bytes())
        .unwrap())
}

#[test]
fn a_custom_transport_echoing_the_credentials_gets_redacted_errors() {
    use kv_ureq::ErrorKind;
    use kv_ureq::kv_proto::exchange;
    let kind = |e: &kv_ureq::Error| match e.kind() {
        ErrorKind::Api(_) => "api",
        ErrorKind::Http(_) => "http",
        ErrorKind::Decode(_) => "decode",
        other => panic!("unexpected {other:?}"),
    };
    for auth in auths() {
        let account = AccountId::new(ACCOUNT).unwrap();
        let endpoint = Endpoint::new(account.clone(), auth.clone());

        // 1. kv-ureq's client over the custom transport.
        let client = Client::builder(auth, account)
            .transport(echoing_transport)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let via_client = [
            client.delete_namespace(ns()).unwrap_err(),
            client.get_namespace(ns()).unwrap_err(),
            client.create_namespace("t").unwrap_err(),
        ];

        // 2. kv-proto alone: the exchange helper with the same function as `send`.
        let via_exchange = [
            exchange(&DeleteNamespace::new(ns()), &endpoint, echoing_transport).unwrap_err(),
            exchange(&GetNamespace::new(ns()), &endpoint, echoing_transport).unwrap_err(),
            exchange(
                &CreateNamespace::new(Title::new("t").unwrap()),
                &endpoint,
                echoing_transport,
            )
            .unwrap_err(),
        ];

        for errors in [via_client, via_exchange] {
            let kinds: Vec<&str> = errors.iter().map(kind).collect();
            assert_eq!(kinds, ["api", "http", "decode"]);
            for e in &errors {
                let shown = format!("{e} {e:?}");
                assert_clean("custom transport error", &shown);
                // A decode error shows only the body's shape; the excerpt it keeps for a
                // caller who asks is redacted as well.
                let excerpt = e.decode_excerpt().unwrap_or_default();
                assert_clean("custom transport decode excerpt", excerpt);
                assert!(
                    shown.contains("[redacted]") || excerpt.contains("[redacted]"),
                    "{shown} / {excerpt}"
                );
            }
        }
    }
}

#[test]
fn the_emulator_log_redacts_what_the_client_sent() {
    let emu = emulator(EmulatorConfig::default().log_bodies(true));
    let client = builder(emu.base_url())
        .request_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let created = client.create_namespace("leaks").unwrap();
    let ns = client.namespace(&created.id).unwrap();
    ns.put("k", "v").unwrap();
    let log = emu.requests();
    assert!(!log.is_empty());
    let shown = format!("{log:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(
        log.iter()
            .all(|r| r.header("authorization") == Some("[redacted]"))
    );
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    let auth = Auth::api_token(TOKEN).unwrap();
    let account = AccountId::new(ACCOUNT).unwrap();
    for bad in [
        "http://api.cloudflare.com/client/v4",
        "http://10.0.0.1/client/v4",
        "http://192.168.1.1:8787/client/v4",
        "http://localhost.evil.example/client/v4",
        "http://127.0.0.1.evil.example/client/v4",
        "http://[::2]/client/v4",
        "http://0.0.0.0:8787/client/v4",
        "ftp://127.0.0.1/client/v4",
        "http://user:pw@127.0.0.1/client/v4",
    ] {
        let e = Client::builder(auth.clone(), account.clone())
            .base_url(bad)
            .build()
            .unwrap_err();
        assert_eq!(e.limit(), Some(Limit::BaseUrl), "{bad}: {e}");
        assert_clean("base URL error", &format!("{e} {e:?}"));
    }
    for ok in [
        "https://api.cloudflare.com/client/v4",
        "http://127.0.0.1:8787/client/v4",
        "http://127.9.9.9/client/v4",
        "http://localhost:1/client/v4",
        "http://[::1]:8787/client/v4",
    ] {
        let c = Client::builder(auth.clone(), account.clone())
            .base_url(ok)
            .build();
        assert!(c.is_ok(), "{ok}: {:?}", c.err());
    }
}
