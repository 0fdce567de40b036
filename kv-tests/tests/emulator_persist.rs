//! `--persist` / `EmulatorConfig::persist`: state survives a restart (SIGTERM, then a new
//! process on the same directory), byte for byte; and the binary's request log loses no line
//! at shutdown. Raw HTTP only (ureq), no kv-proto.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{ACCOUNT, Http, enc, multipart};
use kv_tests::{Emulator, EmulatorConfig, SeedError, StoredEntry};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_kv-emulator");

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("kv-emu-{name}-{}-{nanos}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the binary; returns it and the base URL (its first stdout line).
fn spawn(args: &[&str], stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(!line.is_empty(), "the emulator printed no base URL");
    (child, line.trim_end().to_owned())
}

fn sigterm_and_wait(child: &mut Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            return;
        }
        assert!(Instant::now() < deadline, "emulator did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn http(base: &str) -> Http {
    Http {
        agent: common::agent(),
        base: base.to_owned(),
        account: ACCOUNT.to_owned(),
        auth: vec![("authorization".into(), "Bearer tok".into())],
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Everything observable about a namespace over HTTP: its listing, and for every key the raw
/// value, the `expiration` header and the metadata route.
fn snapshot(h: &Http, ns: &str) -> Value {
    let listing = h.get(&format!("/{ns}/keys")).result();
    let mut keys = serde_json::Map::new();
    for k in listing.as_array().unwrap() {
        let name = k["name"].as_str().unwrap();
        let v = h.get(&format!("/{ns}/values/{}", enc(name)));
        assert_eq!(v.status, 200, "{name}");
        let meta = h.get(&format!("/{ns}/metadata/{}", enc(name))).result();
        keys.insert(
            name.to_owned(),
            json!({
                "value": v.body,
                "expiration": v.header("expiration"),
                "metadata": meta,
            }),
        );
    }
    json!({ "listing": listing, "keys": keys })
}

fn namespaces(h: &Http) -> Value {
    h.get("?per_page=100").result()
}

#[test]
fn binary_keeps_namespaces_values_metadata_and_expirations_across_sigterm() {
    let dir = TempDir::new("persist-bin");
    let (mut child, base) = spawn(&["--persist", dir.arg(), "--token", "tok"], Stdio::null());
    let h = http(&base);

    let alpha = h.create_ns("alpha");
    let beta = h.create_ns("beta");
    let gone = h.create_ns("gone");
    assert_eq!(
        h.json(
            "PUT",
            &format!("/{beta}"),
            &json!({"title": "beta renamed"})
        )
        .status,
        200
    );
    assert_eq!(h.delete(&format!("/{gone}")).status, 200);
    let jurisdiction = h
        .json("POST", "", &json!({"title": "in eu", "jurisdiction": "eu"}))
        .result();
    let eu = jurisdiction["id"].as_str().unwrap().to_owned();

    // Text, binary (every byte value, invalid UTF-8), empty, and tricky key names.
    let all_bytes: Vec<u8> = (0..=255u8).rev().collect();
    let put = |ns: &str, key: &str, q: &str, body: &[u8]| {
        let r = h.raw("PUT", &format!("/{ns}/values/{}{q}", enc(key)), body);
        assert_eq!(r.status, 200, "{key}: {}", r.text());
    };
    put(&alpha, "text", "", "héllo wörld".as_bytes());
    put(&alpha, "binary", "", &all_bytes);
    put(&alpha, "invalid-utf8", "", b"\xff\xfe\xc3\x28 \x80");
    put(&alpha, "empty", "", b"");
    put(&alpha, "a/b ?#%2F é 🦀", "", b"tricky");
    put(&alpha, "overwritten", "", b"first");
    put(&alpha, "overwritten", "", b"second");
    put(&alpha, "ttl", "?expiration_ttl=3600", b"expires via ttl");
    let at = now() + 7200;
    put(
        &alpha,
        "absolute",
        &format!("?expiration={at}"),
        b"expires at",
    );
    put(&alpha, "deleted", "", b"x");
    assert_eq!(h.delete(&format!("/{alpha}/values/deleted")).status, 200);
    // Multipart with metadata, and metadata with nested JSON, unicode and floats.
    let (ct, body) = multipart(&[
        ("value", b"\x00with metadata\x00"),
        (
            "metadata",
            br#"{"n":1,"f":1.5,"s":"\u00e9","nested":{"a":[true,null,"x"]}}"#,
        ),
    ]);
    let r = h.send(
        "PUT",
        &format!("/{alpha}/values/with-meta?expiration_ttl=600"),
        Some(&ct),
        Some(body),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Bulk write (one transaction) with base64, metadata and expirations; then bulk delete.
    let bulk: Vec<Value> = (0..50)
        .map(|i| {
            json!({
                "key": format!("bulk-{i:02}"),
                "value": if i % 2 == 0 { "AP8A/w==".to_owned() } else { format!("v{i}") },
                "base64": i % 2 == 0,
                "metadata": {"i": i},
                "expiration_ttl": 3600 + i,
            })
        })
        .collect();
    assert_eq!(
        h.json("PUT", &format!("/{beta}/bulk"), &Value::Array(bulk))
            .result()["successful_key_count"],
        50
    );
    let doomed: Vec<String> = (40..50).map(|i| format!("bulk-{i:02}")).collect();
    assert_eq!(
        h.json("POST", &format!("/{beta}/bulk/delete"), &json!(doomed))
            .result()["successful_key_count"],
        10
    );

    let before_ns = namespaces(&h);
    let before_alpha = snapshot(&h, &alpha);
    let before_beta = snapshot(&h, &beta);
    assert_eq!(before_alpha["listing"].as_array().unwrap().len(), 9);
    assert_eq!(before_beta["listing"].as_array().unwrap().len(), 40);
    let wal = dir.path().join("kv-emulator.sqlite3-wal");
    assert!(wal.exists(), "WAL mode");
    sigterm_and_wait(&mut child);
    // Closed cleanly: the WAL was checkpointed into the database file and removed.
    assert!(!wal.exists(), "the database was not closed at SIGTERM");

    let (mut child, base) = spawn(&["--persist", dir.arg(), "--token", "tok"], Stdio::null());
    let h = http(&base);
    assert_eq!(namespaces(&h), before_ns);
    let titles: Vec<&str> = before_ns
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3);
    for t in ["alpha", "beta renamed", "in eu"] {
        assert!(titles.contains(&t), "{t} missing from {titles:?}");
    }
    assert_eq!(h.get(&format!("/{eu}")).result()["jurisdiction"], "eu");
    assert_eq!(snapshot(&h, &alpha), before_alpha);
    assert_eq!(snapshot(&h, &beta), before_beta);
    // Spot checks on the exact bytes, metadata and expiration (not only "same as before").
    assert_eq!(h.get(&format!("/{alpha}/values/binary")).body, all_bytes);
    assert_eq!(
        h.get(&format!("/{alpha}/values/invalid-utf8")).body,
        b"\xff\xfe\xc3\x28 \x80"
    );
    assert_eq!(
        h.get(&format!("/{alpha}/values/overwritten")).body,
        b"second"
    );
    assert_eq!(h.get(&format!("/{alpha}/values/empty")).body, b"");
    let abs = h.get(&format!("/{alpha}/values/absolute"));
    assert_eq!(abs.header("expiration"), Some(at.to_string().as_str()));
    assert_eq!(
        h.get(&format!("/{alpha}/metadata/with-meta")).result(),
        json!({"n":1,"f":1.5,"s":"é","nested":{"a":[true,null,"x"]}})
    );
    assert_eq!(
        h.get(&format!("/{beta}/values/bulk-00")).body,
        [0x00, 0xff, 0x00, 0xff]
    );
    // Deletions persisted too.
    h.get(&format!("/{alpha}/values/deleted")).error(404, 10009);
    h.get(&format!("/{beta}/values/bulk-45")).error(404, 10009);
    h.get(&format!("/{gone}")).error(404, 10013);
    // Ids are not reused after a restart, not even the deleted namespace's.
    let fresh = h.create_ns("after restart");
    assert!(
        ![&alpha, &beta, &gone, &eu].contains(&&fresh),
        "{fresh} reused"
    );
    sigterm_and_wait(&mut child);
}

#[test]
fn a_second_emulator_on_the_same_directory_and_a_bad_directory_fail_clearly() {
    let dir = TempDir::new("persist-lock");
    let (mut child, _base) = spawn(&["--persist", dir.arg()], Stdio::null());
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--persist", dir.arg()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "no base URL when the database cannot be used"
    );
    sigterm_and_wait(&mut child);

    // A regular file where the directory should be.
    let file = TempDir::new("persist-file");
    std::fs::write(file.path(), b"not a directory").unwrap();
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--persist", file.arg()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("persistence database"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_file(file.path());

    // The same two errors from the library.
    let dir2 = TempDir::new("persist-lock-lib");
    let first = Emulator::start(EmulatorConfig::default().persist(dir2.path())).unwrap();
    let second = Emulator::start(EmulatorConfig::default().persist(dir2.path()));
    assert!(second.unwrap_err().to_string().contains("in use"));
    first.stop();
    // Once the first one stopped, the directory is free again.
    Emulator::start(EmulatorConfig::default().persist(dir2.path()))
        .unwrap()
        .stop();
}

#[test]
fn library_config_persists_seeding_and_http_changes() {
    let dir = TempDir::new("persist-lib");
    let config = || {
        EmulatorConfig::default()
            .worker_threads(1)
            .persist(dir.path())
    };
    let emu = Emulator::start(config()).unwrap();
    let h = Http::new(&emu);
    let ns = emu.create_namespace(ACCOUNT, "seeded").unwrap();
    let other = h.create_ns("over http");
    let exp = emu.now() + 3600;
    let seeded = StoredEntry::new(vec![0xc0, 0xaf, 0x00])
        .with_metadata(json!({"k": [1, 2.25, "ß"]}))
        .with_expiration(exp);
    emu.put_entry(ACCOUNT, &ns, "seeded", seeded.clone())
        .unwrap();
    emu.put_entry(ACCOUNT, &ns, "to-delete", StoredEntry::new("x"))
        .unwrap();
    assert_eq!(emu.delete_key(ACCOUNT, &ns, "to-delete"), Ok(true));
    assert_eq!(
        h.raw("PUT", &format!("/{other}/values/k"), b"v").status,
        200
    );
    let doomed = emu.create_namespace(ACCOUNT, "doomed").unwrap();
    emu.put_entry(ACCOUNT, &doomed, "k", StoredEntry::new("v"))
        .unwrap();
    assert!(emu.delete_namespace(ACCOUNT, &doomed));
    // An expiration far beyond i64 survives too (stored by bit pattern).
    let far = StoredEntry::new("far").with_expiration(u64::MAX);
    emu.put_entry(ACCOUNT, &ns, "far", far.clone()).unwrap();
    // A NUL inside a key (valid UTF-8, so a valid key) is kept whole.
    emu.put_entry(ACCOUNT, &ns, "nul\0inside", StoredEntry::new("n"))
        .unwrap();
    emu.stop();

    let emu = Emulator::start(config()).unwrap();
    let h = Http::new(&emu);
    assert_eq!(emu.entry(ACCOUNT, &ns, "seeded"), Some(seeded));
    assert_eq!(emu.entry(ACCOUNT, &ns, "far"), Some(far));
    assert_eq!(emu.entry(ACCOUNT, &ns, "to-delete"), None);
    assert_eq!(
        emu.keys(ACCOUNT, &ns).unwrap(),
        ["far", "nul\0inside", "seeded"]
    );
    assert_eq!(h.get(&format!("/{ns}/values/nul%00inside")).body, b"n");
    assert_eq!(emu.namespace(ACCOUNT, &other).unwrap().title, "over http");
    assert_eq!(emu.namespace(ACCOUNT, &doomed), None);
    assert_eq!(
        emu.put_entry(ACCOUNT, &doomed, "k", StoredEntry::new("v")),
        Err(SeedError::NamespaceNotFound(doomed.clone()))
    );
    assert_eq!(h.get(&format!("/{other}/values/k")).body, b"v");
    // Expirations are absolute: the moved clock hides the key, the stored time is unchanged,
    // and the clock offset itself is not persisted (a new start runs on real time).
    emu.advance(Duration::from_secs(7200));
    assert_eq!(emu.entry(ACCOUNT, &ns, "seeded"), None);
    h.get(&format!("/{ns}/values/seeded")).error(404, 10009);
    emu.stop();
    let emu = Emulator::start(config()).unwrap();
    assert_eq!(
        emu.entry(ACCOUNT, &ns, "seeded").unwrap().expiration,
        Some(exp)
    );
    emu.stop();
}

#[test]
fn answered_writes_survive_a_kill_9() {
    let dir = TempDir::new("persist-kill");
    let (mut child, base) = spawn(&["--persist", dir.arg()], Stdio::null());
    let h = http(&base);
    let ns = h.create_ns("crash");
    for i in 0..20 {
        let r = h.raw(
            "PUT",
            &format!("/{ns}/values/k{i}"),
            format!("v{i}").as_bytes(),
        );
        assert_eq!(r.status, 200);
    }
    assert_eq!(h.delete(&format!("/{ns}/values/k7")).status, 200);
    child.kill().unwrap(); // SIGKILL: no shutdown code runs, the WAL is left as it is
    child.wait().unwrap();

    let (mut child, base) = spawn(&["--persist", dir.arg()], Stdio::null());
    let h = http(&base);
    let keys = h.get(&format!("/{ns}/keys")).result();
    assert_eq!(keys.as_array().unwrap().len(), 19, "{keys}");
    assert_eq!(h.get(&format!("/{ns}/values/k19")).body, b"v19");
    h.get(&format!("/{ns}/values/k7")).error(404, 10009);
    sigterm_and_wait(&mut child);
}

#[test]
fn help_documents_the_new_flags() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in ["--persist <DIR>", "--account-id <ID>"] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn without_persist_nothing_is_written() {
    // The default stays in memory: two emulators never share state.
    let a = Emulator::start(EmulatorConfig::default().worker_threads(1)).unwrap();
    let ns = a.create_namespace(ACCOUNT, "mem").unwrap();
    a.stop();
    let b = Emulator::start(EmulatorConfig::default().worker_threads(1)).unwrap();
    assert_eq!(b.namespace(ACCOUNT, &ns), None);
    assert!(EmulatorConfig::default().persist.is_none());
}

#[test]
fn request_log_is_complete_after_sigterm() {
    let (mut child, base) = spawn(&["--log-requests"], Stdio::piped());
    let mut stderr = child.stderr.take().unwrap();
    let h = http(&base);
    const N: usize = 60;
    for i in 0..N {
        let r = h.get(&format!("?page={}", i + 1));
        assert_eq!(r.status, 200);
    }
    // Right away, well inside the 200 ms printing interval.
    sigterm_and_wait(&mut child);
    let mut text = String::new();
    stderr.read_to_string(&mut text).unwrap();
    for i in 0..N {
        let line = format!(
            "#{i} GET /client/v4/accounts/{ACCOUNT}/storage/kv/namespaces?page={} -> 200",
            i + 1
        );
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("tok"), "a credential in the log:\n{text}");
}
