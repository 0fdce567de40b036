//! Smoke test of the `kv-bench-cf` example: a tiny run against the scaled-down
//! Cloudflare-shaped emulator prints one JSON object per job, then the write+get+delete
//! sequence, each with the documented fields and sane values. No timing is asserted.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn kv_bench_cf() -> PathBuf {
    common::example_binary("kv-bench-cf")
}

#[test]
fn tiny_quick_json_run_prints_every_field() {
    let out = Command::new(kv_bench_cf())
        .args([
            "--keys",
            "300",
            "--big-keys",
            "3000",
            "--latency",
            "5",
            "--quick",
            "--json",
        ])
        .output()
        .expect("kv-bench-cf runs");
    assert!(
        out.status.success(),
        "kv-bench-cf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let names: Vec<&str> = lines.iter().filter_map(|l| l["job"].as_str()).collect();
    assert_eq!(
        names,
        [
            "bulk_write",
            "bulk_get",
            "bulk_delete",
            "big_delete",
            "sequence"
        ],
        "{text}"
    );
    // The minimum requests at the API's maxima (10,000 per write/delete, 100 per get).
    let min = [1, 3, 1, 1, 5];
    let keys = [300, 300, 300, 3000, 300];
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["keys"], keys[i], "{line}");
        assert_eq!(line["min_requests"], min[i], "{line}");
        assert!(line["concurrency"].as_u64().unwrap_or(0) >= 1, "{line}");
        for field in [
            "seconds",
            "floor_seconds",
            "vs_floor",
            "naive_seconds",
            "vs_naive",
        ] {
            let v = line[field].as_f64().unwrap_or(-1.0);
            assert!(v > 0.0 && v.is_finite(), "{field} in {line}");
        }
        // The server saw at least the minimum, on both sides; the naive client sends exactly
        // the minimum plus its retries after 429s.
        let requests = line["requests"].as_u64().unwrap_or(0);
        assert!(requests >= min[i], "requests in {line}");
        let throttled = line["throttled_429"].as_u64().unwrap_or(u64::MAX);
        assert!(throttled <= requests, "throttled_429 in {line}");
        let naive = line["naive_requests"].as_u64().unwrap_or(0);
        let naive_throttled = line["naive_throttled_429"].as_u64().unwrap_or(u64::MAX);
        assert_eq!(naive, min[i] + naive_throttled, "naive requests in {line}");
        assert_eq!(line["failed_keys"], 0, "{line}");
        // The scaled-down window, told to the emulator only.
        assert_eq!(line["latency_ms"], 5, "{line}");
        assert_eq!(line["rate_limit"], 60, "{line}");
        assert_eq!(line["rate_window_secs"].as_f64(), Some(10.0), "{line}");
        assert_eq!(line["rate_penalty_secs"].as_f64(), Some(10.0), "{line}");
        assert_eq!(line["max_rps"], 200, "{line}");
        assert_eq!(line["bulk_item_cost_us"], 0, "{line}");
    }
    // The sequence sums its three jobs.
    let sum = |field: &str| -> u64 { lines[..3].iter().map(|l| l[field].as_u64().unwrap()).sum() };
    assert_eq!(lines[4]["requests"].as_u64(), Some(sum("requests")));
    assert_eq!(
        lines[4]["naive_requests"].as_u64(),
        Some(sum("naive_requests"))
    );
}

#[test]
fn naive_off_leaves_the_naive_fields_null() {
    let out = Command::new(kv_bench_cf())
        .args([
            "--keys",
            "200",
            "--latency",
            "1",
            "--quick",
            "--jobs",
            "write",
            "--naive",
            "off",
            "--concurrency",
            "2",
            "--json",
        ])
        .output()
        .expect("kv-bench-cf runs");
    assert!(
        out.status.success(),
        "kv-bench-cf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let line = &lines[0];
    assert_eq!(line["job"], "bulk_write");
    assert_eq!(line["concurrency"], 2);
    assert!(line["seconds"].as_f64().unwrap_or(0.0) > 0.0, "{line}");
    for field in [
        "naive_seconds",
        "naive_requests",
        "naive_throttled_429",
        "vs_naive",
    ] {
        assert!(line[field].is_null(), "{field} in {line}");
    }
}
