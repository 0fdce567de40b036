//! `kv-emulator`: runs the Workers KV REST API emulator from the command line.
//!
//! The first line on stdout is exactly the base URL, e.g. `http://127.0.0.1:8787/client/v4`.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kv_tests::{
    Emulator, EmulatorConfig, FaultKind, FaultPlan, FaultScope, RateLimit, RateLimitHeaders,
    RequestRecord,
};

/// A local emulator of the Cloudflare Workers KV REST API.
///
/// Serves /client/v4/accounts/{account_id}/storage/kv/namespaces... on the given address and
/// prints the base URL as the first line on stdout. Stops cleanly on SIGINT or SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "kv-emulator", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,

    /// Accept only this bearer token (Authorization: Bearer TOKEN). Without --token and
    /// --api-key any non-empty credentials are accepted; none at all gets 403 (code 10000).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,

    /// Accept only this X-Auth-Email / X-Auth-Key pair, given as EMAIL:KEY.
    #[arg(long, value_name = "EMAIL:KEY", value_parser = parse_api_key)]
    api_key: Option<(String, String)>,

    /// Tokio worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Probability (0.0 to 1.0) that a request in scope gets a fault.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fault_rate: f64,

    /// Seed of the fault decisions: the same seed and arrival order give the same faults.
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// Fault kinds and weights, comma-separated: 429, 500, 502, 503, drop, truncate, slow,
    /// partial, and the opt-in half-body, success-false, apply-drop; each optionally
    /// KIND=WEIGHT (e.g. "429=3,503,partial=2"). Default: the first eight, equal.
    #[arg(long, value_name = "MIX", value_parser = parse_mix)]
    faults: Option<FaultMix>,

    /// Routes that get faults: all, mutating, reads, bulk.
    #[arg(long, default_value = "all", value_parser = |s: &str| s.parse::<FaultScope>())]
    fault_scope: FaultScope,

    /// Retry-After seconds sent with injected 429s.
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    retry_after: u64,

    /// Delay of "slow" faults, in milliseconds.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    slow_ms: u64,

    /// Stop injecting faults after this many.
    #[arg(long, value_name = "N")]
    max_faults: Option<u64>,

    /// Fraction of the keys of a bulk write/delete reported unsuccessful by "partial" faults.
    #[arg(long, default_value_t = 0.5, value_name = "FRACTION")]
    partial_fraction: f64,

    /// Rate-limit mode: allow N requests in any sliding window, then answer 429 (code 971)
    /// with Retry-After until a slot frees up (or the --rate-penalty ends). Cloudflare's
    /// limit is 1200 per 300 s.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u64>,

    /// Rate-limit window in seconds (real time, sliding).
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    rate_window: f64,

    /// Print one line per request to stderr (method, raw path, status, fault).
    #[arg(long)]
    log_requests: bool,

    /// Namespaces allowed per account.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    max_namespaces: usize,

    /// Behave like Cloudflare: --latency 100, --rate-limit 1200 --rate-window 300
    /// --rate-penalty 300 --max-rps 200, --bulk-item-cost 200, --edge-timeout 100000,
    /// --ratelimit-headers both. Each of those flags, given too, overrides the profile.
    #[arg(long)]
    like_cloudflare: bool,

    /// Delay every answer by MS milliseconds after processing (default 0).
    #[arg(long, value_name = "MS")]
    latency: Option<u64>,

    /// Up to MS more milliseconds per answer, picked from --seed and the request number.
    #[arg(long, value_name = "MS")]
    latency_jitter: Option<u64>,

    /// Simulated work per item of a bulk write/delete/get, in microseconds (default 0).
    #[arg(long, value_name = "MICROS")]
    bulk_item_cost: Option<u64>,

    /// Edge time limit in milliseconds: a request whose simulated work exceeds it is
    /// answered 524 after this long (default 100000, as on Cloudflare).
    #[arg(long, value_name = "MS")]
    edge_timeout: Option<u64>,

    /// Whether a request answered 524 was still applied: applied (default, as when the
    /// origin finishes after the edge gave up) or discarded.
    #[arg(long, value_name = "applied|discarded", value_parser = parse_applied)]
    edge_timeout_writes: Option<bool>,

    /// Once the rate limit is exceeded, refuse every request for SECS (429, code 971);
    /// Cloudflare: 300. Default 0: refuse only until a slot frees up in the window.
    #[arg(long, value_name = "SECS")]
    rate_penalty: Option<f64>,

    /// At most N requests per second (sliding), then 429 (code 971). Alone, it is the rate
    /// limit (N per 1 s window).
    #[arg(long, value_name = "N")]
    max_rps: Option<u64>,

    /// Rate-limit headers sent while a limit is set: none, legacy (x-ratelimit-*), ietf
    /// (Ratelimit, Ratelimit-Policy) or both (default).
    #[arg(long, value_name = "FAMILY", value_parser = |s: &str| s.parse::<RateLimitHeaders>())]
    ratelimit_headers: Option<RateLimitHeaders>,

    /// Keep namespaces, values, metadata and expirations in DIR/kv-emulator.sqlite3 across
    /// restarts (created if missing; every change is committed before it is answered).
    /// Without it, everything is in memory and gone at exit.
    #[arg(long, value_name = "DIR")]
    persist: Option<PathBuf>,

    /// The account id that GET /memberships, GET /accounts report (so tools such as wrangler
    /// find it without CLOUDFLARE_ACCOUNT_ID). Default: 0123456789abcdef0123456789abcdef.
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
}

fn parse_applied(s: &str) -> Result<bool, String> {
    match s {
        "applied" => Ok(true),
        "discarded" => Ok(false),
        _ => Err("expected applied or discarded".to_owned()),
    }
}

/// The rate limit the flags ask for (on top of the profile, if any).
fn rate_limit_of(args: &Args, profile: Option<RateLimit>) -> Result<Option<RateLimit>, String> {
    let window = Duration::try_from_secs_f64(args.rate_window)
        .map_err(|_| "--rate-window must be positive".to_owned())?;
    let mut limit = match (args.rate_limit, profile) {
        (Some(n), Some(p)) => Some(RateLimit {
            limit: n,
            window,
            ..p
        }),
        (Some(n), None) => Some(RateLimit::new(n, window)),
        (None, Some(p)) => Some(RateLimit { window, ..p }),
        (None, None) => args
            .max_rps
            .map(|n| RateLimit::new(n, Duration::from_secs(1))),
    };
    let Some(rl) = limit.as_mut() else {
        if args.rate_penalty.is_some() || args.ratelimit_headers.is_some() {
            return Err(
                "--rate-penalty and --ratelimit-headers need --rate-limit or --max-rps".to_owned(),
            );
        }
        return Ok(None);
    };
    if let Some(p) = args.rate_penalty {
        rl.penalty = Duration::try_from_secs_f64(p)
            .map_err(|_| "--rate-penalty must be a number of seconds >= 0".to_owned())?;
    }
    if args.max_rps.is_some() {
        rl.max_rps = args.max_rps;
    }
    if let Some(h) = args.ratelimit_headers {
        rl.headers = h;
    }
    Ok(limit)
}

fn parse_api_key(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((e, k)) if !e.is_empty() && !k.is_empty() => Ok((e.to_owned(), k.to_owned())),
        _ => Err("expected EMAIL:KEY".to_owned()),
    }
}

/// A parsed `--faults` value.
#[derive(Debug, Clone)]
struct FaultMix(Vec<(FaultKind, u32)>);

fn parse_mix(s: &str) -> Result<FaultMix, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let (kind, weight) = match part.split_once('=') {
                Some((k, w)) => (
                    k,
                    w.trim()
                        .parse::<u32>()
                        .map_err(|_| format!("bad weight in {part:?}"))?,
                ),
                None => (part, 1),
            };
            Ok((kind.trim().parse::<FaultKind>()?, weight))
        })
        .collect::<Result<Vec<_>, String>>()
        .map(FaultMix)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.fault_rate) {
        eprintln!("kv-emulator: --fault-rate must be between 0 and 1");
        return ExitCode::from(2);
    }
    if !(args.rate_window.is_finite() && args.rate_window > 0.0) {
        eprintln!("kv-emulator: --rate-window must be positive");
        return ExitCode::from(2);
    }
    let profile = if args.like_cloudflare {
        EmulatorConfig::like_cloudflare()
    } else {
        EmulatorConfig::default()
    };
    let rate_limit = match rate_limit_of(&args, profile.rate_limit) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kv-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let mut faults = FaultPlan::new(args.seed, args.fault_rate)
        .scope(args.fault_scope)
        .retry_after_secs(args.retry_after)
        .slow_delay(Duration::from_millis(args.slow_ms))
        .partial_fraction(args.partial_fraction);
    if let Some(mix) = args.faults {
        faults = faults.with_mix(mix.0);
    }
    if let Some(n) = args.max_faults {
        faults = faults.max_faults(n);
    }
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let ms = Duration::from_millis;
    let config = EmulatorConfig {
        listen: args.listen,
        token: args.token,
        api_key: args.api_key,
        worker_threads: threads,
        faults,
        rate_limit,
        log_requests: args.log_requests,
        log_bodies: false,
        max_namespaces: args.max_namespaces,
        latency: args.latency.map_or(profile.latency, ms),
        latency_jitter: args.latency_jitter.map_or(profile.latency_jitter, ms),
        latency_seed: args.seed,
        bulk_item_cost: args
            .bulk_item_cost
            .map_or(profile.bulk_item_cost, Duration::from_micros),
        edge_timeout: args.edge_timeout.map_or(profile.edge_timeout, ms),
        edge_timeout_applies: args
            .edge_timeout_writes
            .unwrap_or(profile.edge_timeout_applies),
        persist: args.persist,
        account_id: args.account_id,
    };
    let emu = match Emulator::start(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("kv-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", emu.base_url());
        let _ = out.flush();
    }
    let signals = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kv-emulator: cannot start the signal runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = args.log_requests;
    let signal = signals.block_on(async {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                s = wait_for_signal() => return s,
                _ = tick.tick(), if log => print_log(&emu.take_requests()),
            }
        }
    });
    let _ = writeln!(
        std::io::stderr().lock(),
        "kv-emulator: {signal}, shutting down"
    );
    // Stop serving first, then print what is left of the log: every request answered
    // before the signal is printed, and none can be added once the server is gone.
    // Stopping also closes the --persist database.
    let rest = emu.stop_and_take_requests();
    if log {
        print_log(&rest);
    }
    ExitCode::SUCCESS
}

/// Prints request records to stderr, one line each (write errors are ignored: a closed
/// stderr must not stop the emulator).
fn print_log(records: &[RequestRecord]) {
    if records.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    for r in records {
        let q = r
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let status = r
            .status
            .map_or_else(|| "dropped".to_owned(), |s| s.to_string());
        let fault = r.fault.map(|f| format!(" fault={f}")).unwrap_or_default();
        let limited = if r.rate_limited { " rate-limited" } else { "" };
        let _ = writeln!(
            err,
            "#{} {} {}{} -> {}{}{} ({} body bytes)",
            r.seq, r.method, r.path, q, status, fault, limited, r.body_len
        );
    }
    let _ = err.flush();
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}
