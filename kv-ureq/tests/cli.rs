//! The `cfkv` binary (feature `cli`), run as a process against the in-process emulator;
//! results are checked in the emulator's state.
#![cfg(feature = "cli")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan, FaultScope, StoredEntry};
use serde_json::{Value, json};

const ACC: &str = "acc1";

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("UTF-8 stdout")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.out()))
    }
}

/// Runs `cfkv args` with `stdin`, configured for `base` (the emulator) through the
/// environment, as a user would.
fn cfkv_at(base: &str, token: &str, args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfkv"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CLOUDFLARE_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("CLOUDFLARE_API_BASE_URL", base)
        .env("CLOUDFLARE_API_TOKEN", token)
        .env("CLOUDFLARE_ACCOUNT_ID", ACC)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cfkv runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("stdin written");
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("cfkv ends");
    let run = Run {
        code: status.code().expect("exit status"),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    if run.code != 0 {
        eprintln!("cfkv {args:?} -> {}\n{}", run.code, run.stderr);
    }
    run
}

fn cfkv(emu: &Emulator, args: &[&str]) -> Run {
    cfkv_at(emu.base_url(), "test-token", args, b"")
}

fn cfkv_in(emu: &Emulator, args: &[&str], stdin: &[u8]) -> Run {
    cfkv_at(emu.base_url(), "test-token", args, stdin)
}

fn setup() -> (Emulator, String) {
    let emu = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let ns = emu.create_namespace(ACC, "cli-test").expect("namespace");
    (emu, ns)
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cfkv-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn wrangler_file(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"key": format!("k{i:05}"), "value": format!("v{i}")}))
        .collect();
    Value::from(items).to_string()
}

#[test]
fn namespace_create_list_rename_delete() {
    let emu = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let r = cfkv(&emu, &["namespace", "create", "first"]);
    assert_eq!(r.code, 0);
    let id = r.out().trim().to_owned();
    assert_eq!(emu.namespace(ACC, &id).expect("created").title, "first");

    let r = cfkv(&emu, &["--json", "namespace", "create", "second"]);
    let v = r.json();
    assert_eq!(v["title"], "second");
    let id2 = v["id"].as_str().expect("id").to_owned();
    assert!(emu.namespace(ACC, &id2).is_some());

    let r = cfkv(&emu, &["namespace", "list", "--json"]);
    let mut listed: Vec<(String, String)> = r
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_owned(),
                n["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        (id.clone(), "first".to_owned()),
        (id2.clone(), "second".to_owned()),
    ];
    expected.sort();
    assert_eq!(listed, expected);
    let r = cfkv(&emu, &["namespace", "list"]);
    assert!(r.out().contains(&format!("{id}\tfirst")), "{}", r.out());

    let r = cfkv(
        &emu,
        &["namespace", "rename", "--namespace-id", &id, "renamed"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(
        emu.namespace(ACC, &id).expect("still there").title,
        "renamed"
    );

    let r = cfkv(&emu, &["namespace", "delete", "--namespace-id", &id2]);
    assert_eq!(r.code, 0);
    assert!(emu.namespace(ACC, &id2).is_none());

    // A title in use: the API refuses it (code 10014), a plain failure.
    let r = cfkv(&emu, &["namespace", "create", "renamed"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("10014"), "{}", r.stderr);
}

#[test]
fn key_put_get_delete_list() {
    let (emu, ns) = setup();
    let n = ["--namespace-id", ns.as_str()];
    let r = cfkv(&emu, &["key", "put", n[0], n[1], "greeting", "hello"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        emu.entry(ACC, &ns, "greeting").expect("written").value,
        b"hello"
    );

    let now = emu.now();
    let exp = (now + 7200).to_string();
    let r = cfkv(
        &emu,
        &[
            "key",
            "put",
            n[0],
            n[1],
            "a/b?c",
            "x",
            "--metadata",
            r#"{"v":2}"#,
            "--expiration",
            &exp,
        ],
    );
    assert_eq!(r.code, 0);
    let e = emu.entry(ACC, &ns, "a/b?c").expect("written");
    assert_eq!(
        (e.metadata, e.expiration),
        (Some(json!({"v": 2})), Some(now + 7200))
    );

    let r = cfkv(
        &emu,
        &["key", "put", n[0], n[1], "ttl", "x", "--ttl", "3600"],
    );
    assert_eq!(r.code, 0);
    let exp = emu
        .entry(ACC, &ns, "ttl")
        .expect("written")
        .expiration
        .expect("expires");
    assert!(exp >= now + 3600 && exp <= now + 3700, "{exp} vs {now}");

    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let path = tmp("binary.bin");
    std::fs::write(&path, &binary).unwrap();
    let r = cfkv(
        &emu,
        &[
            "key",
            "put",
            n[0],
            n[1],
            "bin",
            "--path",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0);
    assert_eq!(emu.entry(ACC, &ns, "bin").expect("written").value, binary);

    let r = cfkv(&emu, &["key", "get", n[0], n[1], "bin"]);
    assert_eq!((r.code, &r.stdout), (0, &binary));
    let r = cfkv(&emu, &["key", "get", n[0], n[1], "greeting", "--text"]);
    assert_eq!((r.code, r.out()), (0, "hello\n".to_owned()));
    let r = cfkv(&emu, &["key", "get", n[0], n[1], "missing"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.is_empty() && r.stderr.contains("not found"),
        "{}",
        r.stderr
    );

    // wrangler's format: name, expiration and metadata when present.
    let r = cfkv(&emu, &["key", "list", n[0], n[1]]);
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert_eq!(
        list[0],
        json!({"name": "a/b?c", "expiration": now + 7200, "metadata": {"v": 2}})
    );
    assert_eq!(list[1], json!({"name": "bin"}));
    let r = cfkv(&emu, &["key", "list", n[0], n[1], "--prefix", "gr"]);
    assert_eq!(r.json(), json!([{"name": "greeting"}]));
    let r = cfkv(&emu, &["key", "list", n[0], n[1], "--prefix", "none"]);
    assert_eq!(r.json(), json!([]));

    let r = cfkv(&emu, &["key", "delete", n[0], n[1], "greeting"]);
    assert_eq!(r.code, 0);
    assert!(emu.entry(ACC, &ns, "greeting").is_none());
}

#[test]
fn bulk_put_both_formats_get_and_delete() {
    let (emu, ns) = setup();
    let n = ["--namespace-id", ns.as_str()];
    // wrangler's bulk JSON, from stdin.
    let r = cfkv_in(
        &emu,
        &["bulk", "put", n[0], n[1], "-"],
        wrangler_file(2500).as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 2500);
    assert!(r.stderr.contains("2500 written, 0 failed"), "{}", r.stderr);

    // NDJSON with metadata, expiration and a base64 binary value, from a file.
    let exp = emu.now() + 3600;
    let ndjson = format!(
        "{}\n{}\n",
        json!({"key": "meta", "value": "m", "metadata": {"a": 1}, "expiration": exp}),
        json!({"key": "bin", "value": "AP+A", "base64": true}),
    );
    let path = tmp("put.ndjson");
    std::fs::write(&path, ndjson).unwrap();
    let r = cfkv(&emu, &["bulk", "put", n[0], n[1], path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e = emu.entry(ACC, &ns, "meta").unwrap();
    assert_eq!(
        (e.value, e.metadata, e.expiration),
        (b"m".to_vec(), Some(json!({"a": 1})), Some(exp))
    );
    assert_eq!(emu.entry(ACC, &ns, "bin").unwrap().value, vec![0, 255, 128]);

    // Bulk get: 250 keys (3 requests of at most 100), one missing, in input order.
    let mut keys: Vec<String> = (0..249).map(|i| format!("k{i:05}")).collect();
    keys.push("nope".into());
    emu.clear_requests();
    let r = cfkv_in(
        &emu,
        &["bulk", "get", n[0], n[1], "-"],
        Value::from(keys.clone()).to_string().as_bytes(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = r.json();
    assert_eq!(got.as_object().unwrap().len(), 250);
    assert_eq!(got["k00007"], "v7");
    assert_eq!(got["nope"], Value::Null);
    assert!(
        r.out().starts_with("{\n\"k00000\": \"v0\",\n\"k00001\""),
        "{}",
        &r.out()[..40]
    );
    let gets: Vec<_> = emu
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(gets.len(), 3, "{gets:?}");
    let r = cfkv_in(
        &emu,
        &["bulk", "get", n[0], n[1], "-", "--metadata"],
        br#"["meta"]"#,
    );
    assert_eq!(
        r.json(),
        json!({"meta": {"value": "m", "metadata": {"a": 1}, "expiration": exp}})
    );

    // Bulk delete: an array of strings.
    let path = tmp("delete.json");
    std::fs::write(
        &path,
        Value::from(keys[..1000.min(keys.len())].to_vec()).to_string(),
    )
    .unwrap();
    let r = cfkv(
        &emu,
        &[
            "bulk",
            "delete",
            n[0],
            n[1],
            path.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["succeeded"], 250);
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 2500 + 2 - 249);
    assert!(emu.entry(ACC, &ns, "k00248").is_none() && emu.entry(ACC, &ns, "k00249").is_some());
}

#[test]
fn key_list_piped_into_bulk_delete() {
    let (emu, ns) = setup();
    for i in 0..1500 {
        let key = if i % 3 == 0 {
            format!("keep/{i}")
        } else {
            format!("drop/{i}")
        };
        emu.put_entry(
            ACC,
            &ns,
            &key,
            StoredEntry::new("v").with_metadata(json!({"i": i})),
        )
        .unwrap();
    }
    let n = ["--namespace-id", ns.as_str()];
    let list = cfkv(&emu, &["key", "list", n[0], n[1], "--prefix", "drop/"]);
    assert_eq!(list.code, 0);
    assert_eq!(list.json().as_array().unwrap().len(), 1000);
    let r = cfkv_in(&emu, &["bulk", "delete", n[0], n[1], "-"], &list.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let left = emu.keys(ACC, &ns).unwrap();
    assert_eq!(left.len(), 500);
    assert!(left.iter().all(|k| k.starts_with("keep/")));
}

#[test]
fn failed_keys_are_listed_and_can_be_repeated() {
    let (emu, ns) = setup();
    let n = ["--namespace-id", ns.as_str()];
    // One request at a time, so the fault hits the first batch (k00000..k00099).
    let fast = [
        "--max-attempts",
        "1",
        "--batch-size",
        "100",
        "--concurrency",
        "1",
    ];
    let input = tmp("faulty.json");
    std::fs::write(&input, wrangler_file(250)).unwrap();

    // One bulk request fails with a 503: its 100 keys fail, the others are written.
    emu.set_faults(
        FaultPlan::always(FaultKind::ServiceUnavailable)
            .scope(FaultScope::Bulk)
            .max_faults(1),
    );
    let r = cfkv(
        &emu,
        &[
            &fast[..],
            &["bulk", "put", n[0], n[1], input.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("150 written, 100 failed"), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("\nfailed: k").count() + usize::from(r.stderr.starts_with("failed: k")),
        20
    );
    assert!(
        r.stderr.contains("... and 80 more: use --failed-keys FILE"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 150);

    // Again from scratch, with --failed-keys: NDJSON records of just the failed keys.
    for k in emu.keys(ACC, &ns).unwrap() {
        emu.delete_key(ACC, &ns, &k).unwrap();
    }
    emu.set_faults(
        FaultPlan::always(FaultKind::ServiceUnavailable)
            .scope(FaultScope::Bulk)
            .max_faults(1),
    );
    let failed = tmp("failed.ndjson");
    let r = cfkv(
        &emu,
        &[
            &fast[..],
            &[
                "bulk",
                "put",
                n[0],
                n[1],
                input.to_str().unwrap(),
                "--failed-keys",
                failed.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_eq!(r.code, 1);
    let text = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(text.lines().count(), 100);
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(emu.entry(ACC, &ns, first["key"].as_str().unwrap()), None);
    let r = cfkv(&emu, &["bulk", "put", n[0], n[1], failed.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 250);
    assert_eq!(emu.entry(ACC, &ns, "k00123").unwrap().value, b"v123");

    // Bulk get and delete write a JSON array of keys, their own input.
    emu.set_faults(
        FaultPlan::always(FaultKind::ServiceUnavailable)
            .scope(FaultScope::Bulk)
            .max_faults(1),
    );
    let keys = tmp("keys.json");
    std::fs::write(
        &keys,
        Value::from((0..250).map(|i| format!("k{i:05}")).collect::<Vec<_>>()).to_string(),
    )
    .unwrap();
    let failed = tmp("failed-get.json");
    let r = cfkv(
        &emu,
        &[
            &fast[..],
            &[
                "bulk",
                "get",
                n[0],
                n[1],
                keys.to_str().unwrap(),
                "--failed-keys",
                failed.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.json().as_object().unwrap().len(), 150);
    let again: Vec<String> = serde_json::from_slice(&std::fs::read(&failed).unwrap()).unwrap();
    assert_eq!(again.len(), 100);
    let r = cfkv(&emu, &["bulk", "get", n[0], n[1], failed.to_str().unwrap()]);
    assert_eq!((r.code, r.json().as_object().unwrap().len()), (0, 100));

    emu.set_faults(
        FaultPlan::always(FaultKind::ServiceUnavailable)
            .scope(FaultScope::Bulk)
            .max_faults(1),
    );
    let failed = tmp("failed-delete.json");
    let r = cfkv(
        &emu,
        &[
            &fast[..],
            &[
                "bulk",
                "delete",
                n[0],
                n[1],
                keys.to_str().unwrap(),
                "--failed-keys",
                failed.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 100);
    let r = cfkv(
        &emu,
        &["bulk", "delete", n[0], n[1], failed.to_str().unwrap()],
    );
    assert_eq!(r.code, 0);
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 0);
}

#[test]
fn exit_statuses_for_usage_and_fatal_errors() {
    let (emu, ns) = setup();
    // 3: namespace not found (well-formed id); the job stops and lists what it did not send.
    let gone = "0123456789abcdef0123456789abcdef";
    let r = cfkv(&emu, &["key", "get", "--namespace-id", gone, "k"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = cfkv_in(
        &emu,
        &[
            "--batch-size",
            "100",
            "bulk",
            "put",
            "--namespace-id",
            gone,
            "-",
        ],
        wrangler_file(300).as_bytes(),
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("not attempted"), "{}", r.stderr);

    // 3: authentication.
    let locked = Emulator::start(EmulatorConfig {
        token: Some("right".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let r = cfkv_at(locked.base_url(), "wrong", &["namespace", "list"], b"");
    assert_eq!(r.code, 3, "{}", r.stderr);

    // 2: usage and configuration.
    assert_eq!(cfkv(&emu, &["key", "get", "k"]).code, 2); // no --namespace-id
    assert_eq!(cfkv(&emu, &["frobnicate"]).code, 2);
    assert_eq!(
        cfkv(
            &emu,
            &[
                "key",
                "put",
                "--namespace-id",
                &ns,
                "k",
                "v",
                "--metadata",
                "{oops"
            ]
        )
        .code,
        2
    );
    assert_eq!(
        cfkv(&emu, &["key", "put", "--namespace-id", &ns, "..", "v"]).code,
        2
    );
    assert_eq!(
        cfkv_in(
            &emu,
            &["bulk", "delete", "--namespace-id", &ns, "-"],
            b"not json"
        )
        .code,
        2
    );
    let r = cfkv_at(emu.base_url(), "", &["namespace", "list"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn help_is_complete() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let r = cfkv(&emu, &["--help"]);
    assert_eq!(r.code, 0);
    let help = r.out();
    for word in [
        "namespace",
        "key",
        "bulk",
        "export",
        "import",
        "copy",
        "purge",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_BASE_URL",
        "Exit status",
        "--failed-keys",
    ] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    for sub in [
        &["namespace"][..],
        &["namespace", "create"],
        &["namespace", "list"],
        &["namespace", "rename"],
        &["namespace", "delete"],
        &["key"],
        &["key", "put"],
        &["key", "get"],
        &["key", "delete"],
        &["key", "list"],
        &["bulk"],
        &["bulk", "put"],
        &["bulk", "get"],
        &["bulk", "delete"],
        &["export"],
        &["import"],
        &["copy"],
        &["purge"],
    ] {
        let r = cfkv(&emu, &[sub, &["--help"]].concat());
        assert_eq!(r.code, 0, "{sub:?}");
        assert!(r.out().contains("Usage: cfkv"), "{sub:?}: {}", r.out());
    }
}

#[test]
fn import_reports_records_confirmed_in_order_and_skips() {
    let (emu, ns) = setup();
    let n = ["--namespace-id", ns.as_str()];
    let lines: String = (0..250)
        .map(|i| {
            format!(
                "{}\n",
                json!({"key": format!("k{i:05}"), "value": format!("v{i}")})
            )
        })
        .collect();
    let input = tmp("import.ndjson");
    std::fs::write(&input, &lines).unwrap();
    let fast = [
        "--max-attempts",
        "1",
        "--batch-size",
        "100",
        "--concurrency",
        "1",
    ];

    // Records 50..149 go in the first request, which fails: 50 confirmed in order.
    emu.set_faults(
        FaultPlan::always(FaultKind::ServiceUnavailable)
            .scope(FaultScope::Bulk)
            .max_faults(1),
    );
    let r = cfkv(
        &emu,
        &[
            &fast[..],
            &[
                "import",
                n[0],
                n[1],
                input.to_str().unwrap(),
                "--skip",
                "50",
            ],
        ]
        .concat(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "import: 50 records confirmed in order (to go on from the first failure: --skip 50)"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 100);
    assert!(emu.entry(ACC, &ns, "k00000").is_none(), "skipped");

    let r = cfkv(
        &emu,
        &["import", n[0], n[1], input.to_str().unwrap(), "--skip", "0"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("import: 250 records confirmed in order\n"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.key_count(ACC, &ns).unwrap(), 250);
}

fn seed_mixed(emu: &Emulator, ns: &str, n: usize) {
    let exp = emu.now() + 86_400;
    for i in 0..n {
        let key = format!("m/{i:05}");
        let entry = match i % 4 {
            0 => StoredEntry::new(format!("text {i}")),
            1 => StoredEntry::new(vec![0u8, 0xff, 0x80, i as u8, 0xfe]), // not UTF-8
            2 => StoredEntry::new("with meta").with_metadata(json!({"i": i, "tag": "x"})),
            _ => StoredEntry::new("\u{fffd} looks replaced, is not").with_expiration(exp),
        };
        emu.put_entry(ACC, ns, &key, entry).unwrap();
    }
}

#[test]
fn export_import_identity_with_binary_values_copy_and_purge() {
    let (emu, src) = setup();
    seed_mixed(&emu, &src, 1200);
    let dst = emu.create_namespace(ACC, "imported").unwrap();
    let file = tmp("export.ndjson");
    let r = cfkv(
        &emu,
        &[
            "export",
            "--namespace-id",
            &src,
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 1200);
    assert!(
        text.lines().nth(1).unwrap().contains(r#""base64":true"#),
        "{}",
        text.lines().nth(1).unwrap()
    );
    let r = cfkv(
        &emu,
        &["import", "--namespace-id", &dst, file.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let same = |a: &str, b: &str| {
        let keys = emu.keys(ACC, a).unwrap();
        assert_eq!(keys, emu.keys(ACC, b).unwrap());
        for k in &keys {
            assert_eq!(emu.entry(ACC, a, k), emu.entry(ACC, b, k), "{k}");
        }
    };
    same(&src, &dst);

    // Through a pipe: export to stdout, import from stdin, a prefix.
    let dst2 = emu.create_namespace(ACC, "piped").unwrap();
    let out = cfkv(
        &emu,
        &["export", "--namespace-id", &src, "--prefix", "m/001"],
    );
    assert_eq!(out.code, 0);
    let r = cfkv_in(&emu, &["import", "--namespace-id", &dst2, "-"], &out.stdout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(emu.key_count(ACC, &dst2).unwrap(), 100);
    assert_eq!(
        emu.entry(ACC, &dst2, "m/00101"),
        emu.entry(ACC, &src, "m/00101")
    );

    // Copy, all of it and by prefix.
    let copied = emu.create_namespace(ACC, "copied").unwrap();
    let r = cfkv(&emu, &["copy", "--namespace-id", &src, "--to", &copied]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    same(&src, &copied);
    let some = emu.create_namespace(ACC, "some").unwrap();
    let r = cfkv(
        &emu,
        &[
            "--json",
            "copy",
            "--namespace-id",
            &src,
            "--to",
            &some,
            "--prefix",
            "m/011",
        ],
    );
    assert_eq!(r.json()["succeeded"], 100);
    assert_eq!(emu.key_count(ACC, &some).unwrap(), 100);

    // Purge: refused without --yes, then by prefix, then everything.
    let r = cfkv(&emu, &["purge", "--namespace-id", &copied]);
    assert_eq!(r.code, 2);
    assert_eq!(emu.key_count(ACC, &copied).unwrap(), 1200);
    let r = cfkv(
        &emu,
        &[
            "purge",
            "--namespace-id",
            &copied,
            "--prefix",
            "m/00",
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(emu.key_count(ACC, &copied).unwrap(), 200);
    let r = cfkv(&emu, &["purge", "--namespace-id", &copied, "--yes"]);
    assert_eq!(r.code, 0);
    assert_eq!(emu.key_count(ACC, &copied).unwrap(), 0);
}

#[test]
fn export_resumes_from_a_cursor_into_its_file() {
    let (emu, ns) = setup();
    seed_mixed(&emu, &ns, 3500);
    let full = tmp("full.ndjson");
    assert_eq!(
        cfkv(
            &emu,
            &[
                "export",
                "--namespace-id",
                &ns,
                "-o",
                full.to_str().unwrap()
            ]
        )
        .code,
        0
    );
    let expected = std::fs::read_to_string(&full).unwrap();

    // The first listing request fails (no retries): nothing was written, so the way on is to
    // run it again; the run after that writes the whole export.
    let part = tmp("part.ndjson");
    let part_s = part.to_str().unwrap();
    emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable).max_faults(1));
    let r = cfkv(
        &emu,
        &[
            "--max-attempts",
            "1",
            "export",
            "--namespace-id",
            &ns,
            "-o",
            part_s,
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("export: incomplete; nothing to resume from: run it again"),
        "{}",
        r.stderr
    );
    let r = cfkv(&emu, &["export", "--namespace-id", &ns, "-o", part_s]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&part).unwrap(), expected);

    // A killed run: the file ends in a cut line; resuming from a page boundary cuts it and
    // leaves out the keys the file holds.
    let client = kv_ureq::Client::builder(
        kv_ureq::Auth::api_token("t").unwrap(),
        kv_ureq::AccountId::new(ACC).unwrap(),
    )
    .base_url(emu.base_url())
    .build()
    .unwrap();
    let handle = client.namespace(ns.as_str()).unwrap();
    let mut keys = handle.keys();
    for _ in 0..1000 {
        keys.next().unwrap().unwrap();
    }
    assert_eq!(keys.buffered(), 0);
    let cursor = keys.cursor().expect("more pages");
    let killed = tmp("killed.ndjson");
    let lines: Vec<&str> = expected.lines().collect();
    std::fs::write(
        &killed,
        format!("{}\n{}", lines[..1700].join("\n"), &lines[1700][..10]),
    )
    .unwrap();
    let r = cfkv(
        &emu,
        &[
            "export",
            "--namespace-id",
            &ns,
            "-o",
            killed.to_str().unwrap(),
            "--resume-from",
            &cursor,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&killed).unwrap(), expected);
}
