//! `kv-bench`: end-to-end throughput of the KV client against the emulator, side by side with
//! a raw baseline (the same HTTP requests built by hand with ureq and serde_json), and the
//! client's peak RSS while bulk-deleting a million streamed keys.
//!
//! ```text
//! cargo build --release -p kv-tests --bin kv-emulator
//! cargo run --release -p kv-tests --example kv-bench -- [--keys N] [--json] [--reps N]
//! ```
//!
//! The emulator runs in its own process (`kv-emulator` in this executable's profile directory, built with
//! cargo if missing, or `--emulator-url` for one already running) and is killed at the end.
//! See `kv-tests/PERF.md` for the method and the results.
#![forbid(unsafe_code)]

mod emu;
mod ours;
mod raw;
mod work;

use std::io::Write as _;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::json;

/// End-to-end benchmark of the Workers KV client (kv-ureq + kv-proto) against the emulator,
/// each job paired with a raw ureq + serde_json baseline doing the same requests.
///
/// Jobs: bulk write N keys (1,000 per request), bulk get them (100 per request), list them
/// (1,000 per page; threads split the key prefixes), bulk delete them (1,000 per request),
/// at each concurrency; pacing off. Then the client's peak RSS while bulk-deleting
/// --rss-keys lazily generated keys, measured in a fresh child process.
#[derive(Debug, Parser)]
#[command(name = "kv-bench", version)]
struct Args {
    /// Keys per job (use e.g. 2000 for a quick run).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    keys: usize,

    /// Value size in bytes (ASCII text).
    #[arg(long, default_value_t = 100, value_name = "BYTES")]
    value_bytes: usize,

    /// Concurrencies to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,4",
        value_name = "LIST"
    )]
    concurrency: Vec<usize>,

    /// Repetitions; each job reports the best (shortest) time of each side.
    #[arg(long, default_value_t = 5, value_name = "N")]
    reps: usize,

    /// Keys bulk-deleted in the RSS job (0 skips it).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    rss_keys: usize,

    /// Print one JSON object per line instead of the table.
    #[arg(long)]
    json: bool,

    /// Use an emulator already running at this base URL (e.g. http://127.0.0.1:8787/client/v4)
    /// instead of spawning one.
    #[arg(long, value_name = "URL")]
    emulator_url: Option<String>,

    /// Worker threads of the spawned emulator (default: its own default, the CPU count).
    #[arg(long, value_name = "N")]
    emulator_threads: Option<usize>,

    /// Run only one side (for profiling; ratios are then not meaningful).
    #[arg(long, value_enum, value_name = "SIDE")]
    only: Option<Side>,

    /// Jobs to run, comma-separated (default: all four; a namespace is only filled by write,
    /// so get, list and delete need write).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    jobs: Option<Vec<Job>>,

    /// Give the raw baseline's agent the same timeouts as our client (10 s resolve and
    /// connect, 60 s per request); by default it has none, the cheapest setting.
    #[arg(long)]
    baseline_timeouts: bool,

    /// Internal: run only the RSS job with this side in this process and print its result.
    #[arg(long, hide = true, value_enum, requires = "emulator_url")]
    rss_child: Option<Side>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Side {
    Ours,
    Raw,
}

impl Side {
    /// The name on the command line (`--only`, `--rss-child`) and in the progress lines.
    fn name(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Raw => "raw",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Job {
    Write,
    Get,
    List,
    Delete,
}

impl Job {
    const ALL: [Job; 4] = [Job::Write, Job::Get, Job::List, Job::Delete];

    fn name(self) -> &'static str {
        match self {
            Job::Write => "bulk_write",
            Job::Get => "bulk_get",
            Job::List => "list",
            Job::Delete => "bulk_delete",
        }
    }
}

/// Times of one job at one concurrency, per repetition.
#[derive(Debug)]
struct Row {
    job: Job,
    concurrency: usize,
    ours: Vec<Duration>,
    raw: Vec<Duration>,
}

impl Row {
    fn best(times: &[Duration]) -> Duration {
        times.iter().copied().min().unwrap_or_default()
    }

    fn ratio(&self) -> f64 {
        secs(Row::best(&self.ours)) / secs(Row::best(&self.raw)).max(1e-9)
    }

    /// Median of the per-repetition ratios (each repetition ran both sides back to back).
    fn paired_median(&self) -> f64 {
        let mut r: Vec<f64> = self
            .ours
            .iter()
            .zip(&self.raw)
            .map(|(o, b)| secs(*o) / secs(*b).max(1e-9))
            .collect();
        r.sort_by(f64::total_cmp);
        match r.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => r[n / 2],
            n => (r[n / 2 - 1] + r[n / 2]) / 2.0,
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.rss_child {
        Some(side) => rss_child(&args, side),
        None => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kv-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    if args.keys == 0 || args.reps == 0 || args.concurrency.contains(&0) {
        return Err("--keys, --reps and every --concurrency must be at least 1".into());
    }
    let _emulator;
    let base_url = match &args.emulator_url {
        Some(url) => url.clone(),
        None => {
            let e = emu::EmulatorProcess::spawn(args.emulator_threads)?;
            eprintln!("kv-bench: emulator pid {} at {}", e.pid(), e.base_url());
            let url = e.base_url().to_owned();
            _emulator = e;
            url
        }
    };

    let mut rows: Vec<Row> = Vec::new();
    for &c in &args.concurrency {
        for job in Job::ALL {
            rows.push(Row {
                job,
                concurrency: c,
                ours: Vec::new(),
                raw: Vec::new(),
            });
        }
    }
    for rep in 0..args.reps {
        for &c in &args.concurrency {
            run_set(args, &base_url, rep, c, &mut rows)?;
        }
    }

    let rss = if args.rss_keys > 0 {
        eprintln!(
            "kv-bench: RSS job ({} keys), child processes",
            args.rss_keys
        );
        Some((
            spawn_rss_child(args, &base_url, Side::Ours)?,
            spawn_rss_child(args, &base_url, Side::Raw)?,
        ))
    } else {
        None
    };

    if args.json {
        print_json(args, &rows, rss.as_ref());
    } else {
        print_table(args, &base_url, &rows, rss.as_ref());
    }
    Ok(())
}

/// One repetition at concurrency `c`: a fresh namespace per side, then each job on both
/// sides back to back (the side going first alternates between repetitions).
fn run_set(
    args: &Args,
    base_url: &str,
    rep: usize,
    c: usize,
    rows: &mut [Row],
) -> Result<(), String> {
    let (n, vb) = (args.keys, args.value_bytes);
    let client = ours::client(base_url, c)?;
    let ns_ours = ours::create_namespace(&client, &format!("bench-ours-r{rep}-c{c}"))?;
    let ns_raw = ours::create_namespace(&client, &format!("bench-raw-r{rep}-c{c}"))?;
    let raw = raw::Raw::new(base_url, ns_raw.id().as_str(), c, args.baseline_timeouts);
    for job in Job::ALL {
        if args.jobs.as_ref().is_some_and(|j| !j.contains(&job)) {
            continue;
        }
        let mut sides = [Side::Raw, Side::Ours];
        if rep % 2 == 1 {
            sides.reverse();
        }
        for side in sides {
            if args.only.is_some_and(|only| only != side) {
                continue;
            }
            let started = Instant::now();
            match (side, job) {
                (Side::Ours, Job::Write) => ours::write(&ns_ours, n, c, vb),
                (Side::Ours, Job::Get) => ours::get(&ns_ours, n, c),
                (Side::Ours, Job::List) => ours::list(&ns_ours, n, c),
                (Side::Ours, Job::Delete) => ours::delete(&ns_ours, n, c),
                (Side::Raw, Job::Write) => raw.write(n, c, vb),
                (Side::Raw, Job::Get) => raw.get(n, c),
                (Side::Raw, Job::List) => raw.list(n, c),
                (Side::Raw, Job::Delete) => raw.delete(n, c),
            }?;
            let took = started.elapsed();
            let row = rows
                .iter_mut()
                .find(|r| r.job == job && r.concurrency == c)
                .ok_or("no row")?;
            match side {
                Side::Ours => row.ours.push(took),
                Side::Raw => row.raw.push(took),
            }
            eprintln!(
                "kv-bench: rep {} c={c} {:<11} {:<4} {:>8.3} s",
                rep + 1,
                job.name(),
                side.name(),
                secs(took)
            );
        }
    }
    for ns in [&ns_ours, &ns_raw] {
        client
            .delete_namespace(ns.id())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Result of one RSS child.
#[derive(Debug)]
struct RssResult {
    peak_rss_bytes: u64,
    start_rss_bytes: u64,
    seconds: f64,
}

fn spawn_rss_child(args: &Args, base_url: &str, side: Side) -> Result<RssResult, String> {
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let side_arg = side.name();
    let out = Command::new(me)
        .args(["--rss-child", side_arg, "--emulator-url", base_url])
        .args(["--rss-keys", &args.rss_keys.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start the RSS child: {e}"))?;
    if !out.status.success() {
        return Err(format!("the RSS child ({side_arg}) failed: {}", out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("RSS child printed {text:?}: {e}"))?;
    let field = |name: &str| v.get(name).and_then(serde_json::Value::as_u64);
    Ok(RssResult {
        peak_rss_bytes: field("peak_rss_bytes").ok_or("RSS child: no peak_rss_bytes")?,
        start_rss_bytes: field("start_rss_bytes").unwrap_or(0),
        seconds: v
            .get("seconds")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0),
    })
}

/// `VmHWM` (peak) or `VmRSS` (current) of this process from /proc/self/status, in bytes.
fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The RSS job in this (fresh) process: bulk delete of `--rss-keys` keys generated lazily
/// (absent from the namespace: the client's work per key is the same), concurrency 4.
fn rss_child(args: &Args, side: Side) -> Result<(), String> {
    let base_url = args
        .emulator_url
        .as_deref()
        .ok_or("--emulator-url is required")?;
    let start_rss = proc_status_bytes("VmRSS:").unwrap_or(0);
    let c = kv_ureq::DEFAULT_CONCURRENCY;
    let client = ours::client(base_url, c)?;
    let title = format!("bench-rss-{side:?}-{}", std::process::id());
    let ns = ours::create_namespace(&client, &title)?;
    let started = Instant::now();
    match side {
        Side::Ours => ours::delete_streamed(&ns, args.rss_keys, c)?,
        Side::Raw => {
            raw::Raw::new(base_url, ns.id().as_str(), c, false).delete_streamed(args.rss_keys, c)?
        }
    }
    let seconds = secs(started.elapsed());
    let peak = proc_status_bytes("VmHWM:").ok_or("cannot read VmHWM from /proc/self/status")?;
    let _ = client.delete_namespace(ns.id());
    println!(
        "{}",
        json!({"peak_rss_bytes": peak, "start_rss_bytes": start_rss, "seconds": seconds})
    );
    Ok(())
}

fn print_json(args: &Args, rows: &[Row], rss: Option<&(RssResult, RssResult)>) {
    let mut out = std::io::stdout().lock();
    for r in rows
        .iter()
        .filter(|r| !(r.ours.is_empty() && r.raw.is_empty()))
    {
        let (o, b) = (secs(Row::best(&r.ours)), secs(Row::best(&r.raw)));
        let n = args.keys as f64;
        let line = json!({
            "job": r.job.name(),
            "concurrency": r.concurrency,
            "keys": args.keys,
            "value_bytes": args.value_bytes,
            "reps": r.ours.len(),
            "seconds": o,
            "keys_per_sec": n / o.max(1e-9),
            "baseline_seconds": b,
            "baseline_keys_per_sec": n / b.max(1e-9),
            "ratio": r.ratio(),
            "paired_ratio_median": r.paired_median(),
        });
        let _ = writeln!(out, "{line}");
    }
    if let Some((ours, raw)) = rss {
        let line = json!({
            "job": "rss",
            "keys": args.rss_keys,
            "concurrency": kv_ureq::DEFAULT_CONCURRENCY,
            "peak_rss_bytes": ours.peak_rss_bytes,
            "start_rss_bytes": ours.start_rss_bytes,
            "seconds": ours.seconds,
            "baseline_peak_rss_bytes": raw.peak_rss_bytes,
            "baseline_seconds": raw.seconds,
        });
        let _ = writeln!(out, "{line}");
    }
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn print_table(args: &Args, base_url: &str, rows: &[Row], rss: Option<&(RssResult, RssResult)>) {
    let mut out = std::io::stdout().lock();
    let n = args.keys as f64;
    let _ = writeln!(
        out,
        "kv-bench: {} keys, {}-byte values, best of {} reps, emulator {base_url}, pacing off",
        thousands(n),
        args.value_bytes,
        args.reps
    );
    let _ = writeln!(
        out,
        "{:<12} {:>4} {:>9} {:>13} {:>9} {:>13} {:>7} {:>7}",
        "job", "conc", "ours s", "ours keys/s", "raw s", "raw keys/s", "ratio", "paired"
    );
    for r in rows
        .iter()
        .filter(|r| !(r.ours.is_empty() && r.raw.is_empty()))
    {
        // A side not run (`--only`) shows as "-".
        let time = |t: &[Duration]| match t.is_empty() {
            true => ("-".to_owned(), "-".to_owned()),
            false => {
                let s = secs(Row::best(t));
                (format!("{s:.3}"), thousands(n / s.max(1e-9)))
            }
        };
        let ((o, o_rate), (b, b_rate)) = (time(&r.ours), time(&r.raw));
        let both = !r.ours.is_empty() && !r.raw.is_empty();
        let (ratio, paired) = match both {
            true => (
                format!("{:.3}", r.ratio()),
                format!("{:.3}", r.paired_median()),
            ),
            false => ("-".to_owned(), "-".to_owned()),
        };
        let _ = writeln!(
            out,
            "{:<12} {:>4} {o:>9} {o_rate:>13} {b:>9} {b_rate:>13} {ratio:>7} {paired:>7}",
            r.job.name(),
            r.concurrency,
        );
    }
    let _ = writeln!(
        out,
        "ratio = ours best time / raw best time (target <= 1.10); paired = median of per-rep ratios"
    );
    if let Some((ours, raw)) = rss {
        let _ = writeln!(
            out,
            "rss: bulk delete of {} streamed keys (concurrency {}): peak RSS {:.1} MiB \
             (target <= 64 MiB; {:.1} MiB at start; {:.2} s); raw baseline {:.1} MiB ({:.2} s)",
            thousands(args.rss_keys as f64),
            kv_ureq::DEFAULT_CONCURRENCY,
            mib(ours.peak_rss_bytes),
            mib(ours.start_rss_bytes),
            ours.seconds,
            mib(raw.peak_rss_bytes),
            raw.seconds
        );
    }
}
