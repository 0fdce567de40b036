//! Smoke test of the `kv-bench` example: a tiny run prints one JSON object per job and
//! concurrency plus the RSS line, each with the documented fields. No timing is asserted.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn kv_bench() -> PathBuf {
    common::example_binary("kv-bench")
}

#[test]
fn tiny_json_run_prints_every_field() {
    let out = Command::new(kv_bench())
        .args([
            "--keys",
            "300",
            "--reps",
            "1",
            "--rss-keys",
            "3000",
            "--json",
        ])
        .output()
        .expect("kv-bench runs");
    assert!(
        out.status.success(),
        "kv-bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(lines.len(), 9, "{text}");
    let mut jobs = Vec::new();
    for line in &lines[..8] {
        for field in ["seconds", "keys_per_sec", "baseline_keys_per_sec", "ratio"] {
            let v = line[field].as_f64().unwrap_or(-1.0);
            assert!(v > 0.0, "{field} in {line}");
        }
        assert_eq!(line["keys"], 300, "{line}");
        jobs.push((
            line["job"].as_str().unwrap_or("").to_owned(),
            line["concurrency"].as_u64().unwrap_or(0),
        ));
    }
    for job in ["bulk_write", "bulk_get", "list", "bulk_delete"] {
        for c in [1, 4] {
            assert!(
                jobs.contains(&(job.to_owned(), c)),
                "{job} at {c}: {jobs:?}"
            );
        }
    }
    let rss = &lines[8];
    assert_eq!(rss["job"], "rss");
    assert_eq!(rss["keys"], 3000);
    assert!(rss["peak_rss_bytes"].as_u64().unwrap_or(0) > 0, "{rss}");
}
