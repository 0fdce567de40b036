//! Raw-HTTP helpers for the emulator tests (ureq as a plain HTTP client, no kv-proto).
#![allow(dead_code)]

use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig};
use serde_json::Value;
use ureq::http;

/// The account used by most tests.
pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// Starts an emulator suited to tests (one worker thread).
pub fn start() -> Emulator {
    start_with(EmulatorConfig::default())
}

/// Starts an emulator with this configuration (one worker thread).
pub fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.worker_threads(1)).expect("emulator starts")
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn result(&self) -> Value {
        let v = self.json();
        assert_eq!(v["success"], true, "not a success: {v}");
        assert_eq!(v["errors"], Value::Array(vec![]));
        assert_eq!(v["messages"], Value::Array(vec![]));
        v["result"].clone()
    }

    /// Asserts a failure envelope with this status and code; returns the message.
    pub fn error(&self, status: u16, code: u64) -> String {
        let v = self.json();
        assert_eq!(self.status, status, "status of {v}");
        assert_eq!(v["success"], false, "{v}");
        assert_eq!(v["result"], Value::Null, "{v}");
        assert!(v["messages"].is_array(), "{v}");
        assert_eq!(v["errors"][0]["code"], code, "{v}");
        v["errors"][0]["message"].as_str().unwrap().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A tiny raw HTTP client bound to one emulator and one account.
pub struct Http {
    pub agent: ureq::Agent,
    pub base: String,
    pub account: String,
    /// `(header, value)` pairs sent with every request.
    pub auth: Vec<(String, String)>,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl Http {
    pub fn new(emu: &Emulator) -> Http {
        Http {
            agent: agent(),
            base: emu.base_url().to_owned(),
            account: ACCOUNT.to_owned(),
            auth: vec![("authorization".into(), "Bearer test-token".into())],
        }
    }

    pub fn without_auth(mut self) -> Http {
        self.auth.clear();
        self
    }

    pub fn with_headers(mut self, headers: &[(&str, &str)]) -> Http {
        self.auth = headers
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        self
    }

    /// `{base}/accounts/{account}/storage/kv/namespaces` + `rest`.
    pub fn url(&self, rest: &str) -> String {
        format!(
            "{}/accounts/{}/storage/kv/namespaces{rest}",
            self.base, self.account
        )
    }

    /// Sends a request to an absolute URL.
    pub fn send_abs(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Resp {
        let mut b = http::Request::builder().method(method).uri(url);
        for (k, v) in &self.auth {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        let mut resp = match body {
            Some(body) => self.agent.run(b.body(body).unwrap()),
            None => self.agent.run(b.body(()).unwrap()),
        }
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .body_mut()
            .with_config()
            .limit(200 * 1024 * 1024)
            .read_to_vec()
            .unwrap();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Sends a request to `url(rest)`.
    pub fn send(
        &self,
        method: &str,
        rest: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Resp {
        self.send_abs(method, &self.url(rest), content_type, body)
    }

    pub fn get(&self, rest: &str) -> Resp {
        self.send("GET", rest, None, None)
    }

    pub fn delete(&self, rest: &str) -> Resp {
        self.send("DELETE", rest, None, None)
    }

    pub fn json(&self, method: &str, rest: &str, body: &Value) -> Resp {
        self.send(
            method,
            rest,
            Some("application/json"),
            Some(serde_json::to_vec(body).unwrap()),
        )
    }

    pub fn raw(&self, method: &str, rest: &str, body: &[u8]) -> Resp {
        self.send(
            method,
            rest,
            Some("application/octet-stream"),
            Some(body.to_vec()),
        )
    }

    /// Creates a namespace over HTTP and returns its id.
    pub fn create_ns(&self, title: &str) -> String {
        let r = self.json("POST", "", &serde_json::json!({ "title": title }));
        assert_eq!(r.status, 200, "{}", r.text());
        r.result()["id"].as_str().unwrap().to_owned()
    }
}

/// Percent-encodes every byte outside RFC 3986 unreserved.
pub fn enc(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A multipart/form-data body with the given parts; returns (content type, body).
pub fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----emu-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if *name == "value" {
            body.extend_from_slice(
                b"Content-Disposition: form-data; name=\"value\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            );
        } else {
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `target/<profile>/examples/<name>`, next to the running test's `deps/` folder, built with the
/// same profile and target directory when missing (a run filtered to one test may not have
/// built the examples).
pub fn example_binary(name: &str) -> std::path::PathBuf {
    use std::process::Command;
    let me = std::env::current_exe().expect("current_exe");
    let deps = me.parent().expect("deps folder");
    let profile_dir = deps.parent().expect("profile folder");
    let exe = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        let profile = profile_dir
            .file_name()
            .and_then(|p| p.to_str())
            .unwrap_or("debug");
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .args(["build", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .args(["-p", "kv-tests", "--example", name, "--target-dir"])
            .arg(profile_dir.parent().expect("target folder"));
        match profile {
            "debug" => {}
            "release" => {
                cargo.arg("--release");
            }
            other => {
                cargo.args(["--profile", other]);
            }
        }
        let status = cargo.status().expect("cargo runs");
        assert!(
            status.success() && exe.is_file(),
            "building {}",
            exe.display()
        );
    }
    exe
}
