//! The `kv-emulator` binary: first stdout line, flags, clean shutdown on SIGTERM/SIGINT.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ACCOUNT, Http};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_kv-emulator");

fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(!line.is_empty(), "the emulator printed no base URL");
    (child, line.trim_end().to_owned())
}

fn http(base: &str, token: &str) -> Http {
    Http {
        agent: common::agent(),
        base: base.to_owned(),
        account: ACCOUNT.to_owned(),
        auth: vec![("authorization".into(), format!("Bearer {token}"))],
    }
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "emulator did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn serves_and_stops_on_sigterm() {
    let (mut child, base) = spawn(&["--listen", "127.0.0.1:0", "--token", "tok"]);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(base.ends_with("/client/v4"), "{base}");
    let port: u16 = base["http://127.0.0.1:".len()..base.len() - "/client/v4".len()]
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let h = http(&base, "tok");
    let ns = h.create_ns("from-binary");
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/k"), b"v").status, 200);
    assert_eq!(h.get(&format!("/{ns}/values/k")).body, b"v");
    http(&base, "wrong").get("").error(403, 10000);
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child).success());
}

#[test]
fn stops_on_sigint_and_applies_fault_flags() {
    let (mut child, base) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "me@example.com:gk",
        "--fault-rate",
        "1",
        "--faults",
        "503",
        "--fault-scope",
        "mutating",
        "--seed",
        "3",
    ]);
    let h = Http {
        auth: vec![
            ("x-auth-email".into(), "me@example.com".into()),
            ("x-auth-key".into(), "gk".into()),
        ],
        ..http(&base, "")
    };
    assert_eq!(h.get("").status, 200);
    assert_eq!(h.json("POST", "", &json!({"title": "x"})).status, 503);
    signal(&child, "-INT");
    assert!(wait_exit(&mut child).success());
}

#[test]
fn rate_limit_flags() {
    let (mut child, base) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--rate-limit",
        "2",
        "--rate-window",
        "60",
    ]);
    let h = http(&base, "any");
    assert_eq!(h.get("").status, 200);
    assert_eq!(h.get("").status, 200);
    let r = h.get("");
    r.error(429, 971);
    assert!(r.header("retry-after").is_some());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--token",
        "--api-key",
        "--threads",
        "--fault-rate",
        "--seed",
        "--faults",
        "--fault-scope",
        "--retry-after",
        "--slow-ms",
        "--max-faults",
        "--partial-fraction",
        "--rate-limit",
        "--rate-window",
        "--log-requests",
        "--max-namespaces",
        "--like-cloudflare",
        "--latency",
        "--latency-jitter",
        "--bulk-item-cost",
        "--edge-timeout",
        "--edge-timeout-writes",
        "--rate-penalty",
        "--max-rps",
        "--ratelimit-headers",
        "half-body",
        "success-false",
        "apply-drop",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    // Bad flags fail fast.
    let out = Command::new(BIN)
        .args(["--faults", "404"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--fault-rate", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    for bad in [
        &["--ratelimit-headers", "draft"][..],
        &["--edge-timeout-writes", "maybe"],
        &["--latency", "-5"],
        // A penalty or header choice without any limit is a mistake, not silently ignored.
        &["--rate-penalty", "5"],
        &["--ratelimit-headers", "ietf"],
        &["--rate-limit", "5", "--rate-penalty", "-1"],
    ] {
        let out = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .args(bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} accepted");
    }
}

#[test]
fn cloudflare_flags_override_the_profile() {
    let (mut child, base) = spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--like-cloudflare",
        "--latency",
        "30",
        "--rate-limit",
        "4",
        "--rate-window",
        "20",
        "--rate-penalty",
        "7",
        "--ratelimit-headers",
        "ietf",
        "--bulk-item-cost",
        "1000",
        "--edge-timeout",
        "40",
        "--edge-timeout-writes",
        "discarded",
    ]);
    let h = http(&base, "any");
    let started = Instant::now();
    let ns = h.create_ns("cf");
    assert!(started.elapsed() >= Duration::from_millis(30));
    // 50 items x 1 ms > 40 ms: 524, and discarded.
    let items: Vec<_> = (0..50)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let r = h.json("PUT", &format!("/{ns}/bulk"), &json!(items));
    assert_eq!(r.status, 524);
    let r = h.get(&format!("/{ns}/keys"));
    assert_eq!(r.result(), json!([]));
    assert_eq!(r.header("ratelimit-policy"), Some("\"default\";q=4;w=20"));
    assert!(r.header("x-ratelimit-limit").is_none(), "ietf only");
    assert_eq!(h.get("").status, 200);
    let r = h.get("");
    r.error(429, 971);
    assert_eq!(r.header("retry-after"), Some("7"));
    child.kill().unwrap();
    child.wait().unwrap();

    // --max-rps alone is a 1 s window.
    let (mut child, base) = spawn(&["--listen", "127.0.0.1:0", "--max-rps", "2"]);
    let h = http(&base, "any");
    let r = h.get("");
    assert_eq!(r.header("ratelimit-policy"), Some("\"default\";q=2;w=1"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("2"));
    child.kill().unwrap();
    child.wait().unwrap();
}
