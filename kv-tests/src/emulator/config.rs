//! How to start an emulator: [`EmulatorConfig`], its Cloudflare profile, and the timing
//! settings read once per request.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::store;
use super::{FaultPlan, RateLimit};

/// How to start an [`Emulator`].
///
/// ```
/// use kv_tests::EmulatorConfig;
/// let config = EmulatorConfig::default()
///     .token("secret")
///     .log_bodies(true);
/// assert_eq!(config.listen.to_string(), "127.0.0.1:0");
/// ```
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to bind; default `127.0.0.1:0` (a free port).
    pub listen: SocketAddr,
    /// Accept only this bearer token (`Authorization: Bearer …`).
    pub token: Option<String>,
    /// Accept only this `X-Auth-Email` / `X-Auth-Key` pair.
    ///
    /// With neither `token` nor `api_key` set, any non-empty bearer token or any non-empty
    /// email+key pair is accepted; a request with no credentials is refused (403, code 10000).
    pub api_key: Option<(String, String)>,
    /// Tokio worker threads; default 2.
    pub worker_threads: usize,
    /// The initial fault plan; default none.
    pub faults: FaultPlan,
    /// The initial rate limit; default none.
    pub rate_limit: Option<RateLimit>,
    /// Record every request (see [`Emulator::requests`]); default `true`.
    pub log_requests: bool,
    /// Also record request bodies; default `false`.
    pub log_bodies: bool,
    /// Namespaces per account; default 1,000.
    pub max_namespaces: usize,
    /// Delay added to every answer after the request was processed (network round trip as
    /// seen from the client); default zero. Applies to every answer, refusals and faults
    /// included; it is a tokio sleep, so concurrent requests overlap as over the internet.
    pub latency: Duration,
    /// Up to this much more delay per answer, picked deterministically from
    /// [`latency_seed`](Self::latency_seed) and the request's `seq`; default zero.
    pub latency_jitter: Duration,
    /// Seed of the latency jitter; default 0.
    pub latency_seed: u64,
    /// Simulated origin work per item of a bulk request (bulk write and bulk delete: per
    /// array element; bulk get: per key), charged before the answer; default zero (no work
    /// time). The work time counts towards [`edge_timeout`](Self::edge_timeout); latency
    /// does not.
    pub bulk_item_cost: Duration,
    /// The edge's time limit for the origin's work: a request whose simulated work
    /// (`bulk_item_cost` × items) exceeds it is answered **524** after this long; default
    /// 100 s as on Cloudflare.
    pub edge_timeout: Duration,
    /// Whether a request answered 524 was still applied (`true`, the default: on Cloudflare
    /// the origin finishes the work after the edge gave up) or not at all (`false`).
    pub edge_timeout_applies: bool,
    /// Keep the state in an SQLite database in this directory (created if missing), loaded at
    /// start and written through on every change; default `None` (in memory only).
    /// See [`EmulatorConfig::persist`].
    pub persist: Option<PathBuf>,
    /// The account the account routes (`/user/tokens/verify`, `/memberships`, `/accounts`)
    /// report; default `None`, which reports [`DEFAULT_ACCOUNT_ID`]. The KV routes accept
    /// any valid account id either way.
    pub account_id: Option<String>,
}

/// The account id the account routes report when [`EmulatorConfig::account_id`] is not set.
pub const DEFAULT_ACCOUNT_ID: &str = "0123456789abcdef0123456789abcdef";

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            api_key: None,
            worker_threads: 2,
            faults: FaultPlan::none(),
            rate_limit: None,
            log_requests: true,
            log_bodies: false,
            max_namespaces: 1000,
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            latency_seed: 0,
            bulk_item_cost: Duration::ZERO,
            edge_timeout: DEFAULT_EDGE_TIMEOUT,
            edge_timeout_applies: true,
            persist: None,
            account_id: None,
        }
    }
}

/// Cloudflare's edge time limit for an origin answer (the 524 timeout), 100 s.
pub const DEFAULT_EDGE_TIMEOUT: Duration = Duration::from_secs(100);

/// The simulated work per bulk item in [`EmulatorConfig::like_cloudflare`]: 200 µs, so a
/// full 10,000-item bulk write takes 2 s of origin time.
pub const CLOUDFLARE_BULK_ITEM_COST: Duration = Duration::from_micros(200);

/// The latency of [`EmulatorConfig::like_cloudflare`]: 100 ms per answer.
pub const CLOUDFLARE_LATENCY: Duration = Duration::from_millis(100);

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field(
                "api_key",
                &self.api_key.as_ref().map(|(e, _)| (e, "[redacted]")),
            )
            .field("worker_threads", &self.worker_threads)
            .field("faults", &self.faults)
            .field("rate_limit", &self.rate_limit)
            .field("log_requests", &self.log_requests)
            .field("log_bodies", &self.log_bodies)
            .field("max_namespaces", &self.max_namespaces)
            .field("latency", &self.latency)
            .field("latency_jitter", &self.latency_jitter)
            .field("latency_seed", &self.latency_seed)
            .field("bulk_item_cost", &self.bulk_item_cost)
            .field("edge_timeout", &self.edge_timeout)
            .field("edge_timeout_applies", &self.edge_timeout_applies)
            .field("persist", &self.persist)
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl EmulatorConfig {
    /// Sets the listen address.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().listen("127.0.0.1:8787".parse().unwrap());
    /// assert_eq!(config.listen.port(), 8787);
    /// ```
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Accepts only this bearer token.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().token("secret");
    /// assert_eq!(config.token.as_deref(), Some("secret"));
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Accepts only this email / Global API Key pair.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().api_key("me@example.com", "k3y");
    /// assert_eq!(config.api_key, Some(("me@example.com".to_string(), "k3y".to_string())));
    /// ```
    pub fn api_key(mut self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.api_key = Some((email.into(), key.into()));
        self
    }

    /// Sets the initial fault plan.
    ///
    /// ```
    /// use kv_tests::{EmulatorConfig, FaultKind, FaultPlan};
    /// let config = EmulatorConfig::default().faults(FaultPlan::always(FaultKind::BadGateway));
    /// assert!(config.faults.is_active());
    /// ```
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// Sets the rate limit.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{EmulatorConfig, RateLimit};
    /// let config = EmulatorConfig::default().rate_limit(RateLimit::new(5, Duration::from_secs(1)));
    /// assert_eq!(config.rate_limit.map(|r| r.limit), Some(5));
    /// ```
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Turns the request log on or off.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// assert!(EmulatorConfig::default().log_requests);
    /// assert!(!EmulatorConfig::default().log_requests(false).log_requests);
    /// ```
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Turns body logging on or off.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// assert!(!EmulatorConfig::default().log_bodies);
    /// assert!(EmulatorConfig::default().log_bodies(true).log_bodies);
    /// ```
    pub fn log_bodies(mut self, on: bool) -> Self {
        self.log_bodies = on;
        self
    }

    /// Sets the number of tokio worker threads (at least 1).
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// assert_eq!(EmulatorConfig::default().worker_threads(1).worker_threads, 1);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n;
        self
    }

    /// A profile that behaves like the real Cloudflare API, as far as timing and limits go:
    /// [`CLOUDFLARE_LATENCY`] (100 ms) on every answer, [`RateLimit::cloudflare`] (1,200
    /// requests per sliding 300 s, then 300 s of 429s; at most 200 per second; both header
    /// families), [`CLOUDFLARE_BULK_ITEM_COST`] per bulk item and the 100 s edge timeout
    /// (524'd writes applied). Every setting can be changed afterwards with the other
    /// builder methods.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{EmulatorConfig, RateLimit};
    /// let config = EmulatorConfig::like_cloudflare();
    /// assert_eq!(config.latency, Duration::from_millis(100));
    /// assert_eq!(config.rate_limit, Some(RateLimit::cloudflare()));
    /// assert_eq!(config.edge_timeout, Duration::from_secs(100));
    /// // Scaled down for a test.
    /// let fast = EmulatorConfig::like_cloudflare()
    ///     .latency(Duration::from_millis(5))
    ///     .rate_limit(RateLimit::cloudflare().penalty(Duration::from_secs(1)));
    /// assert_eq!(fast.rate_limit.unwrap().penalty, Duration::from_secs(1));
    /// ```
    pub fn like_cloudflare() -> Self {
        EmulatorConfig {
            rate_limit: Some(RateLimit::cloudflare()),
            latency: CLOUDFLARE_LATENCY,
            bulk_item_cost: CLOUDFLARE_BULK_ITEM_COST,
            edge_timeout: DEFAULT_EDGE_TIMEOUT,
            edge_timeout_applies: true,
            ..EmulatorConfig::default()
        }
    }

    /// Sets the delay added to every answer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().latency(Duration::from_millis(30));
    /// assert_eq!(config.latency, Duration::from_millis(30));
    /// ```
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the maximum extra, seeded delay per answer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().latency_jitter(Duration::from_millis(10));
    /// assert_eq!(config.latency_jitter, Duration::from_millis(10));
    /// ```
    pub fn latency_jitter(mut self, jitter: Duration) -> Self {
        self.latency_jitter = jitter;
        self
    }

    /// Sets the seed of the latency jitter.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// assert_eq!(EmulatorConfig::default().latency_seed(9).latency_seed, 9);
    /// ```
    pub fn latency_seed(mut self, seed: u64) -> Self {
        self.latency_seed = seed;
        self
    }

    /// Sets the simulated work per bulk item.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().bulk_item_cost(Duration::from_millis(1));
    /// assert_eq!(config.bulk_item_cost, Duration::from_millis(1));
    /// ```
    pub fn bulk_item_cost(mut self, cost: Duration) -> Self {
        self.bulk_item_cost = cost;
        self
    }

    /// Sets the edge time limit (524 past it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::EmulatorConfig;
    /// assert_eq!(EmulatorConfig::default().edge_timeout, Duration::from_secs(100));
    /// let config = EmulatorConfig::default().edge_timeout(Duration::from_millis(50));
    /// assert_eq!(config.edge_timeout, Duration::from_millis(50));
    /// ```
    pub fn edge_timeout(mut self, limit: Duration) -> Self {
        self.edge_timeout = limit;
        self
    }

    /// Chooses whether a request answered 524 was still applied.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// assert!(EmulatorConfig::default().edge_timeout_applies);
    /// assert!(!EmulatorConfig::default().edge_timeout_applies(false).edge_timeout_applies);
    /// ```
    pub fn edge_timeout_applies(mut self, applies: bool) -> Self {
        self.edge_timeout_applies = applies;
        self
    }

    /// Persists namespaces, values, metadata and expirations in `dir/kv-emulator.sqlite3`
    /// (SQLite, WAL mode). [`Emulator::start`] loads what is there; every change made through
    /// the API or the seeding methods is committed before it is answered or returned. One
    /// emulator at a time may use a directory.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// let dir = std::env::temp_dir().join(format!("kv-emu-doc-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let emu = Emulator::start(EmulatorConfig::default().persist(&dir))?;
    /// let ns = emu.create_namespace("acct", "kept").unwrap();
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new(vec![0xff, 0])).unwrap();
    /// emu.stop();
    /// let emu = Emulator::start(EmulatorConfig::default().persist(&dir))?;
    /// assert_eq!(emu.namespace("acct", &ns).unwrap().title, "kept");
    /// assert_eq!(emu.entry("acct", &ns, "k").unwrap().value, [0xff, 0]);
    /// # emu.stop();
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn persist(mut self, dir: impl Into<PathBuf>) -> Self {
        self.persist = Some(dir.into());
        self
    }

    /// Sets the account id the account routes report.
    ///
    /// ```
    /// use kv_tests::EmulatorConfig;
    /// let config = EmulatorConfig::default().account_id("023e105f4ecef8ad9ca31a8372d0c353");
    /// assert_eq!(config.account_id.as_deref(), Some("023e105f4ecef8ad9ca31a8372d0c353"));
    /// ```
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.account_id = Some(id.into());
        self
    }
}

/// The timing settings, read once per request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub latency: Duration,
    pub jitter: Duration,
    pub seed: u64,
    pub item_cost: Duration,
    pub edge_timeout: Duration,
    pub edge_applies: bool,
}

impl Timing {
    /// The latency of request `seq`: the base plus its seeded jitter.
    pub fn latency_for(&self, seq: u64) -> Duration {
        let span = u64::try_from(self.jitter.as_micros()).unwrap_or(u64::MAX);
        if span == 0 {
            return self.latency;
        }
        let h = store::splitmix64(self.seed ^ store::splitmix64(seq) ^ 0x1a7e_9c11);
        self.latency
            .saturating_add(Duration::from_micros(h % span.saturating_add(1)))
    }
}
