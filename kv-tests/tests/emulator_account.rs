//! The account routes tools ask before the KV routes: `GET /user/tokens/verify`,
//! `GET /memberships`, `GET /accounts` (and `GET /user`), over raw HTTP, with and without
//! valid credentials.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{Http, Resp, start_with};
use kv_tests::{DEFAULT_ACCOUNT_ID, Emulator, EmulatorConfig};
use serde_json::Value;

const CONFIGURED: &str = "9a7806061c88ada191ed06f989cc3dac";

fn get(h: &Http, path: &str) -> Resp {
    h.send_abs("GET", &format!("{}{path}", h.base), None, None)
}

fn is_hex32(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn verify_memberships_and_accounts_report_the_configured_account() {
    let emu = start_with(EmulatorConfig::default().account_id(CONFIGURED));
    let h = Http::new(&emu).with_headers(&[("authorization", "Bearer s3cret-token")]);

    let r = get(&h, "/user/tokens/verify");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.result();
    assert_eq!(v["status"], "active");
    assert!(is_hex32(&v["id"]), "{v}");
    assert!(
        !r.text().contains("s3cret"),
        "the token is echoed: {}",
        r.text()
    );
    // Stable per token, different across tokens.
    assert_eq!(get(&h, "/user/tokens/verify").result()["id"], v["id"]);
    let other = Http::new(&emu).with_headers(&[("authorization", "Bearer another")]);
    assert_ne!(get(&other, "/user/tokens/verify").result()["id"], v["id"]);

    let r = get(&h, "/memberships");
    let list = r.result();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["account"]["id"], CONFIGURED);
    assert_eq!(list[0]["account"]["name"], "KV Emulator");
    assert_eq!(list[0]["status"], "accepted");
    assert!(is_hex32(&list[0]["id"]));
    let info = &r.json()["result_info"];
    assert_eq!(
        (
            &info["page"],
            &info["per_page"],
            &info["count"],
            &info["total_count"],
            &info["total_pages"]
        ),
        (&1.into(), &20.into(), &1.into(), &1.into(), &1.into())
    );
    // Paging past the only item: empty, the totals unchanged.
    let r = get(&h, "/memberships?page=2&per_page=50");
    assert_eq!(r.result(), Value::Array(vec![]));
    let info = &r.json()["result_info"];
    assert_eq!((&info["page"], &info["count"]), (&2.into(), &0.into()));
    assert_eq!(
        (&info["per_page"], &info["total_count"]),
        (&50.into(), &1.into())
    );
    get(&h, "/memberships?page=0").error(400, 10001);
    get(&h, "/accounts?per_page=x").error(400, 10001);

    let r = get(&h, "/accounts");
    let list = r.result();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let a = &list[0];
    assert_eq!(a["id"], CONFIGURED);
    assert_eq!(a["name"], "KV Emulator");
    assert_eq!(a["type"], "standard");
    assert!(a["settings"].is_object(), "{a}");
    assert!(
        a["created_on"].as_str().is_some_and(|s| s.ends_with('Z')),
        "{a}"
    );
    assert_eq!(r.json()["result_info"]["total_count"], 1);

    // The KV routes work for the reported account (and, as before, for any valid one).
    let kv = Http {
        account: CONFIGURED.to_owned(),
        ..Http::new(&emu)
    };
    let ns = kv.create_ns("wrangler-style");
    assert_eq!(
        emu.namespace(CONFIGURED, &ns).unwrap().title,
        "wrangler-style"
    );

    // GET /user: no user details here (what wrangler whoami tolerates).
    get(&h, "/user").error(403, 9109);
    // Only GET.
    h.send_abs("POST", &format!("{}/accounts", h.base), None, Some(vec![]))
        .error(405, 10405);
    h.send_abs("DELETE", &format!("{}/memberships", h.base), None, None)
        .error(405, 10405);
}

#[test]
fn default_account_when_none_is_configured() {
    let emu = start_with(EmulatorConfig::default());
    let h = Http::new(&emu);
    assert_eq!(
        get(&h, "/memberships").result()[0]["account"]["id"],
        DEFAULT_ACCOUNT_ID
    );
    assert_eq!(get(&h, "/accounts").result()[0]["id"], DEFAULT_ACCOUNT_ID);
}

#[test]
fn account_routes_require_valid_credentials() {
    // Any credentials mode: none at all is refused.
    let emu = start_with(EmulatorConfig::default());
    let none = Http::new(&emu).without_auth();
    for path in ["/user/tokens/verify", "/memberships", "/accounts", "/user"] {
        assert_eq!(get(&none, path).error(403, 10000), "Authentication error");
    }
    let empty = Http::new(&emu).with_headers(&[("authorization", "Bearer ")]);
    get(&empty, "/memberships").error(403, 10000);

    // A configured token: a wrong one is refused, the right one accepted.
    let emu = start_with(EmulatorConfig::default().token("right"));
    let wrong = Http::new(&emu).with_headers(&[("authorization", "Bearer wrong")]);
    let right = Http::new(&emu).with_headers(&[("authorization", "Bearer right")]);
    for path in ["/user/tokens/verify", "/memberships", "/accounts"] {
        get(&wrong, path).error(403, 10000);
        assert_eq!(get(&right, path).status, 200, "{path}");
    }

    // A configured email + Global API Key: lists work; there is no token to verify.
    let emu = start_with(EmulatorConfig::default().api_key("me@example.com", "gk"));
    let key =
        Http::new(&emu).with_headers(&[("x-auth-email", "me@example.com"), ("x-auth-key", "gk")]);
    let bad =
        Http::new(&emu).with_headers(&[("x-auth-email", "me@example.com"), ("x-auth-key", "no")]);
    assert_eq!(get(&key, "/memberships").status, 200);
    assert_eq!(get(&key, "/accounts").status, 200);
    get(&bad, "/accounts").error(403, 10000);
    get(&key, "/user/tokens/verify").error(400, 6003);
    // Credentials stay out of the request log.
    for r in emu.requests() {
        assert_ne!(r.header("x-auth-key"), Some("gk"));
    }
}

#[test]
fn invalid_account_id_is_a_start_error() {
    for bad in ["", "has space", &"a".repeat(33)] {
        let err = Emulator::start(EmulatorConfig::default().account_id(bad)).unwrap_err();
        assert!(err.to_string().contains("invalid account id"), "{err}");
    }
}

#[test]
fn binary_account_id_flag() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kv-emulator"))
        .args(["--listen", "127.0.0.1:0", "--account-id", CONFIGURED])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut base = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut base)
        .unwrap();
    let h = Http {
        agent: common::agent(),
        base: base.trim_end().to_owned(),
        account: CONFIGURED.to_owned(),
        auth: vec![("authorization".into(), "Bearer t".into())],
    };
    let r = get(&h, "/memberships");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(r.result()[0]["account"]["id"], CONFIGURED);

    let out = Command::new(env!("CARGO_BIN_EXE_kv-emulator"))
        .args(["--listen", "127.0.0.1:0", "--account-id", "not valid!"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid account id"));
}
