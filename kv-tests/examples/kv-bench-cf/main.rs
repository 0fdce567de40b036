//! `kv-bench-cf`: our client's bulk jobs against a Cloudflare-shaped emulator (latency, a
//! sliding-window rate limit with a penalty, a per-second cap, rate-limit headers), each
//! measured against its **floor** (the least time the limits allow) and against a naive
//! client (one request at a time, the API's maximum batch sizes, no pacing, Retry-After
//! honoured on 429: what a user of the official SDKs gets).
//!
//! ```text
//! cargo build --release -p kv-tests --bin kv-emulator --example kv-bench-cf
//! target/release/examples/kv-bench-cf            # 100 ms, 1,200 per 300 s: a few minutes
//! target/release/examples/kv-bench-cf --quick    # 60 per 10 s
//! ```
//!
//! Each job runs on each side against a **fresh** `kv-emulator` process (so one side's
//! spending, or penalty, never costs the other anything), after an untimed setup through the
//! naive client: creating the namespace and, for get and delete, writing the keys (10,000 per
//! request). Those setup requests count against the window; the floor accounts for them.
//! See `floor.rs` for the floor and `BENCHMARKS.md` for results.
#![forbid(unsafe_code)]

#[path = "../kv-bench/emu.rs"]
mod emu;
mod floor;
mod naive;
mod ours;
mod serverlog;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

use crate::floor::Limits;
use crate::serverlog::{Counter, Seen};

/// Account id used against the emulator.
pub const ACCOUNT: &str = "bench";
/// Bearer token (the emulator accepts any non-empty one).
pub const TOKEN: &str = "bench-token";

/// Key `i`: `bench-{i:08}` (for the big delete, keys nobody wrote: deleting a missing key
/// succeeds and costs the server the same).
pub fn key(i: usize) -> String {
    format!("bench-{i:08}")
}

/// Value `i`: 100 bytes of ASCII text.
pub fn value(i: usize) -> String {
    format!("{i:08}:{}", "v".repeat(91))
}

/// Our client's bulk jobs against a Cloudflare-shaped emulator, next to their floor (the least
/// time the limits allow) and a naive client.
///
/// For each job: seconds, HTTP requests the server saw, 429s, the minimum number of requests
/// at the API's maxima (10,000 keys per bulk write/delete, 100 per bulk get), the floor and
/// the ratios time/floor and time/naive. The naive client sends one request at a time at the
/// API's maximum batch sizes with no pacing, and on a 429 sleeps Retry-After and retries.
/// Every job of each side runs against a fresh emulator process.
#[derive(Debug, Parser)]
#[command(name = "kv-bench-cf", version)]
struct Args {
    /// Keys of the write, get and delete jobs.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    keys: usize,

    /// Keys of the big delete (keys never written).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    big_keys: usize,

    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 100, value_name = "MS")]
    latency: u64,

    /// Requests allowed per window (default 1,200; 60 with --quick).
    #[arg(long, value_name = "N")]
    rate_limit: Option<u64>,

    /// The sliding window in seconds (default 300; 10 with --quick).
    #[arg(long, value_name = "SECS")]
    rate_window: Option<f64>,

    /// Once the limit is exceeded, every request is refused for SECS (default: the window,
    /// as Cloudflare's 300 s for 300 s).
    #[arg(long, value_name = "SECS")]
    rate_penalty: Option<f64>,

    /// At most N requests per sliding second (Cloudflare: 200); 0 for no cap.
    #[arg(long, default_value_t = 200, value_name = "N")]
    max_rps: u64,

    /// Origin work per item of a bulk request, in microseconds (the emulator's
    /// --bulk-item-cost; --like-cloudflare uses 200). Default 0: the server answers quickly.
    #[arg(long, default_value_t = 0, value_name = "MICROS")]
    bulk_item_cost: u64,

    /// A scaled-down window: 60 requests per 10 s, penalty 10 s (same shape, seconds instead
    /// of minutes). The client is not told: it sees only the headers and 429s.
    #[arg(long)]
    quick: bool,

    /// Our client's concurrency (default: the client's default).
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,

    /// Jobs to run, comma-separated: write, get, delete, big-delete (default: all).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    jobs: Option<Vec<Job>>,

    /// Print one JSON object per line (one per job, then the write+get+delete sequence)
    /// instead of the table.
    #[arg(long)]
    json: bool,

    /// Time the naive client too (on) or not (off).
    #[arg(long, value_enum, default_value_t = OnOff::On, value_name = "on|off")]
    naive: OnOff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Job {
    Write,
    Get,
    Delete,
    BigDelete,
}

impl Job {
    const ALL: [Job; 4] = [Job::Write, Job::Get, Job::Delete, Job::BigDelete];

    fn name(self) -> &'static str {
        match self {
            Job::Write => "bulk_write",
            Job::Get => "bulk_get",
            Job::Delete => "bulk_delete",
            Job::BigDelete => "big_delete",
        }
    }

    /// The API's maximum keys per request of this job.
    fn max_per_request(self) -> usize {
        match self {
            Job::Get => naive::MAX_GET,
            _ => naive::MAX_WRITE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Naive,
}

/// The emulator's settings, resolved from the flags.
#[derive(Debug, Clone, Copy)]
struct Settings {
    latency_ms: u64,
    rate_limit: u64,
    window: f64,
    penalty: f64,
    max_rps: Option<u64>,
    item_cost_us: u64,
}

impl Settings {
    fn of(args: &Args) -> Settings {
        let window = args
            .rate_window
            .unwrap_or(if args.quick { 10.0 } else { 300.0 });
        Settings {
            latency_ms: args.latency,
            rate_limit: args
                .rate_limit
                .unwrap_or(if args.quick { 60 } else { 1200 }),
            window,
            penalty: args.rate_penalty.unwrap_or(window),
            max_rps: (args.max_rps > 0).then_some(args.max_rps),
            item_cost_us: args.bulk_item_cost,
        }
    }

    fn emulator_args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--log-requests".into(),
            "--latency".into(),
            self.latency_ms.to_string(),
            "--rate-limit".into(),
            self.rate_limit.to_string(),
            "--rate-window".into(),
            self.window.to_string(),
            "--rate-penalty".into(),
            self.penalty.to_string(),
            "--bulk-item-cost".into(),
            self.item_cost_us.to_string(),
            "--ratelimit-headers".into(),
            "both".into(),
        ];
        if let Some(m) = self.max_rps {
            a.extend(["--max-rps".into(), m.to_string()]);
        }
        a
    }

    fn limits(&self) -> Limits {
        Limits {
            latency: self.latency_ms as f64 / 1e3,
            item_cost: self.item_cost_us as f64 / 1e6,
            rate_limit: self.rate_limit,
            window: self.window,
            max_rps: self.max_rps,
        }
    }
}

/// One side of one job.
#[derive(Debug, Clone, Copy)]
struct Measured {
    seconds: f64,
    seen: Seen,
    /// Keys not done (0 when the job completed).
    failed: u64,
    floor: f64,
}

/// One job, both sides.
#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    keys: usize,
    min_requests: u64,
    ours: Measured,
    naive: Option<Measured>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kv-bench-cf: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    if args.keys == 0 || args.big_keys == 0 || args.concurrency == Some(0) {
        return Err("--keys, --big-keys and --concurrency must be at least 1".into());
    }
    let settings = Settings::of(args);
    if settings.rate_limit == 0 || settings.window.is_nan() || settings.window <= 0.0 {
        return Err("--rate-limit and --rate-window must be positive".into());
    }
    let c = args.concurrency.unwrap_or_else(ours::default_concurrency);
    let jobs: Vec<Job> = Job::ALL
        .into_iter()
        .filter(|j| args.jobs.as_ref().is_none_or(|js| js.contains(j)))
        .collect();
    let mut rows = Vec::new();
    for job in jobs {
        let keys = match job {
            Job::BigDelete => args.big_keys,
            _ => args.keys,
        };
        let naive = match args.naive {
            OnOff::On => Some(run_side(&settings, job, keys, Side::Naive, c)?),
            OnOff::Off => None,
        };
        let ours = run_side(&settings, job, keys, Side::Ours, c)?;
        let row = Row {
            name: job.name(),
            keys,
            min_requests: floor::min_requests(keys as u64, job.max_per_request() as u64),
            ours,
            naive,
        };
        if args.json {
            println!("{}", row_json(&row, &settings, c));
        }
        rows.push(row);
    }
    let sequence = sequence_row(&rows);
    if args.json {
        if let Some(s) = &sequence {
            println!("{}", row_json(s, &settings, c));
        }
    } else {
        print_table(&rows, sequence.as_ref(), &settings, c);
    }
    Ok(())
}

/// Runs `job` on one side against a fresh emulator: untimed setup, then the timed job; the
/// server's counts for the job alone and the floor given the setup's requests.
fn run_side(
    settings: &Settings,
    job: Job,
    keys: usize,
    side: Side,
    c: usize,
) -> Result<Measured, String> {
    let mut emulator = emu::EmulatorProcess::spawn_with(None, &settings.emulator_args(), true)?;
    let stderr = emulator
        .take_stderr()
        .ok_or("the emulator's stderr was not captured")?;
    let counter = Counter::start(stderr);
    let base = emulator.base_url().to_owned();

    let mut setup = naive::Naive::new(&base);
    let ns = setup.create_namespace(&format!("bench-{}", job.name()))?;
    if matches!(job, Job::Get | Job::Delete) {
        setup.write(&ns, keys)?;
    }
    let before = counter.at_least(setup.sent.len() as u64);

    let (started, failed) = match side {
        Side::Naive => {
            let mut client = naive::Naive::new(&base);
            let started = Instant::now();
            match job {
                Job::Write => client.write(&ns, keys)?,
                Job::Get => client.get(&ns, keys)?,
                Job::Delete | Job::BigDelete => client.delete(&ns, keys)?,
            }
            (started, 0)
        }
        Side::Ours => {
            let client = ours::client(&base, Some(c))?;
            let started = Instant::now();
            let failed = match job {
                Job::Write => ours::write(&client, &ns, keys)?,
                Job::Get => ours::get(&client, &ns, keys)?,
                Job::Delete | Job::BigDelete => ours::delete(&client, &ns, keys)?,
            };
            (started, failed)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let seen = counter.settled() - before;
    let history: Vec<f64> = setup
        .sent
        .iter()
        .map(|t| -started.duration_since(*t).as_secs_f64())
        .collect();
    let floor = floor::floor_secs(
        keys as u64,
        job.max_per_request() as u64,
        c,
        &settings.limits(),
        &history,
    );
    eprintln!(
        "kv-bench-cf: {:<11} {:<5} {:>9.3} s  {:>5} requests  {:>3} x 429  (floor {:.3} s)",
        job.name(),
        match side {
            Side::Ours => "ours",
            Side::Naive => "naive",
        },
        seconds,
        seen.requests,
        seen.throttled,
        floor
    );
    Ok(Measured {
        seconds,
        seen,
        failed,
        floor,
    })
}

/// The write + get + delete sequence (when all three ran): sums of times, requests, 429s
/// and floors (each job had a fresh budget).
fn sequence_row(rows: &[Row]) -> Option<Row> {
    let parts: Vec<&Row> = ["bulk_write", "bulk_get", "bulk_delete"]
        .iter()
        .filter_map(|n| rows.iter().find(|r| r.name == *n))
        .collect();
    if parts.len() != 3 {
        return None;
    }
    let sum = |pick: &dyn Fn(&Row) -> Option<Measured>| -> Option<Measured> {
        parts.iter().try_fold(
            Measured {
                seconds: 0.0,
                seen: Seen::default(),
                failed: 0,
                floor: 0.0,
            },
            |acc, r| {
                let m = pick(r)?;
                Some(Measured {
                    seconds: acc.seconds + m.seconds,
                    seen: Seen {
                        requests: acc.seen.requests + m.seen.requests,
                        throttled: acc.seen.throttled + m.seen.throttled,
                    },
                    failed: acc.failed + m.failed,
                    floor: acc.floor + m.floor,
                })
            },
        )
    };
    Some(Row {
        name: "sequence",
        keys: parts[0].keys,
        min_requests: parts.iter().map(|r| r.min_requests).sum(),
        ours: sum(&|r| Some(r.ours))?,
        naive: sum(&|r| r.naive),
    })
}

fn ratio(a: f64, b: f64) -> f64 {
    a / b.max(1e-9)
}

fn row_json(row: &Row, s: &Settings, c: usize) -> Value {
    let naive = row.naive.as_ref();
    json!({
        "job": row.name,
        "keys": row.keys,
        "concurrency": c,
        "seconds": row.ours.seconds,
        "requests": row.ours.seen.requests,
        "throttled_429": row.ours.seen.throttled,
        "failed_keys": row.ours.failed,
        "min_requests": row.min_requests,
        "floor_seconds": row.ours.floor,
        "vs_floor": ratio(row.ours.seconds, row.ours.floor),
        "naive_seconds": naive.map(|n| n.seconds),
        "naive_requests": naive.map(|n| n.seen.requests),
        "naive_throttled_429": naive.map(|n| n.seen.throttled),
        "vs_naive": naive.map(|n| ratio(row.ours.seconds, n.seconds)),
        "latency_ms": s.latency_ms,
        "rate_limit": s.rate_limit,
        "rate_window_secs": s.window,
        "rate_penalty_secs": s.penalty,
        "max_rps": s.max_rps,
        "bulk_item_cost_us": s.item_cost_us,
    })
}

fn print_table(rows: &[Row], sequence: Option<&Row>, s: &Settings, c: usize) {
    println!(
        "kv-bench-cf: latency {} ms, {} requests per {} s (penalty {} s), max {} per second, \
         bulk item cost {} us; our client at concurrency {c}; each job on a fresh emulator",
        s.latency_ms,
        s.rate_limit,
        s.window,
        s.penalty,
        s.max_rps
            .map_or_else(|| "unlimited".to_owned(), |m| m.to_string()),
        s.item_cost_us,
    );
    println!();
    println!(
        "| job | keys | ours s | requests | 429s | min requests | floor s | ours/floor | naive s | naive requests | naive 429s | ours/naive |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows.iter().chain(sequence) {
        let (ns, nr, nt, vs) = match &row.naive {
            Some(n) => (
                format!("{:.3}", n.seconds),
                n.seen.requests.to_string(),
                n.seen.throttled.to_string(),
                format!("{:.2}", ratio(row.ours.seconds, n.seconds)),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        let failed = if row.ours.failed > 0 {
            format!(" ({} keys failed)", row.ours.failed)
        } else {
            String::new()
        };
        println!(
            "| {}{failed} | {} | {:.3} | {} | {} | {} | {:.3} | {:.2} | {ns} | {nr} | {nt} | {vs} |",
            row.name,
            row.keys,
            row.ours.seconds,
            row.ours.seen.requests,
            row.ours.seen.throttled,
            row.min_requests,
            row.ours.floor,
            ratio(row.ours.seconds, row.ours.floor),
        );
    }
}
