//! The emulator: configuration, lifecycle, and the in-process control and inspection API.

mod api;
mod config;
mod fault;
mod log;
mod persist;
mod server;
mod store;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::watch;

pub use fault::{FaultKind, FaultPlan, FaultScope, RateLimit};
pub use log::RequestRecord;
pub use store::{NamespaceInfo, SeedError, StoredEntry};

pub use fault::RateLimitHeaders;

pub(crate) use config::Timing;
pub use config::{
    CLOUDFLARE_BULK_ITEM_COST, CLOUDFLARE_LATENCY, DEFAULT_ACCOUNT_ID, DEFAULT_EDGE_TIMEOUT,
    EmulatorConfig,
};

use api::AuthConfig;
use fault::{RateState, RouteClass};
use store::{Clock, Entry, NsError, Store, check_key, check_metadata};

/// A fault picked for one request, with the plan parameters it needs.
pub(crate) struct FaultDecision {
    pub kind: FaultKind,
    pub retry_after_secs: u64,
    pub plan: FaultPlan,
}

struct FaultState {
    plan: FaultPlan,
    injected: u64,
}

/// State shared by the server tasks and the [`Emulator`] handle.
pub(crate) struct Shared {
    store: RwLock<Store>,
    clock: Clock,
    auth: AuthConfig,
    max_namespaces: usize,
    seq: AtomicU64,
    faults: Mutex<FaultState>,
    faults_active: AtomicBool,
    rate: Mutex<Option<RateState>>,
    rate_active: AtomicBool,
    log: Mutex<Vec<RequestRecord>>,
    log_enabled: AtomicBool,
    log_bodies: AtomicBool,
    timing: Mutex<Timing>,
    account_id: String,
}

impl Shared {
    fn pick_fault(&self, seq: u64, class: RouteClass) -> Option<FaultDecision> {
        if !self.faults_active.load(Ordering::Relaxed) {
            return None;
        }
        let mut st = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        if st.plan.max_faults.is_some_and(|m| st.injected >= m) {
            return None;
        }
        let kind = st.plan.decide(seq, class)?;
        st.injected += 1;
        Some(FaultDecision {
            kind,
            retry_after_secs: st.plan.retry_after_secs,
            plan: st.plan.clone(),
        })
    }

    fn timing(&self) -> Timing {
        *self.timing.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn store_read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn store_write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running Workers KV REST API emulator.
///
/// [`Emulator::start`] binds the socket, starts a tokio runtime on background threads and
/// returns at once. [`Emulator::stop`] (or dropping the handle) shuts it down.
///
/// Besides the HTTP API, the handle offers direct seeding and inspection of the state
/// (never subject to faults), a clock the test controls, a runtime-settable fault plan and
/// rate limit, and the request log.
///
/// ```
/// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
/// let emu = Emulator::start(EmulatorConfig::default())?;
/// assert!(emu.base_url().starts_with("http://127.0.0.1:"));
/// assert!(emu.base_url().ends_with("/client/v4"));
/// let ns = emu.create_namespace("acct", "docs").unwrap();
/// emu.put_entry("acct", &ns, "greeting", StoredEntry::new("hi")).unwrap();
/// assert_eq!(emu.entry("acct", &ns, "greeting").unwrap().value, b"hi");
/// emu.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    runtime: Option<Runtime>,
    shutdown: watch::Sender<bool>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `config.listen` and starts serving on background threads.
    ///
    /// # Errors
    /// When the account id is invalid, the address cannot be bound, the runtime cannot
    /// start, or (with [`persist`](EmulatorConfig::persist)) the database cannot be opened,
    /// locked or read; the message says which.
    ///
    /// # Example
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default().worker_threads(1))?;
    /// assert_ne!(emu.addr().port(), 0);
    /// // A second emulator on the same port cannot bind.
    /// assert!(Emulator::start(EmulatorConfig::default().listen(emu.addr())).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        let account_id = config
            .account_id
            .unwrap_or_else(|| DEFAULT_ACCOUNT_ID.to_owned());
        if !api::valid_account(&account_id) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid account id {account_id:?}: 1 to 32 characters of A-Z a-z 0-9 _ -"),
            ));
        }
        let store = match &config.persist {
            None => Store::default(),
            Some(dir) => {
                let (db, loaded) = persist::Db::open(dir).map_err(|e| io::Error::other(e.0))?;
                Store::with_db(db, loaded)
            }
        };
        let listener = StdListener::bind(config.listen).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot listen on {}: {e}", config.listen))
        })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("kv-emulator")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let faults_active = config.faults.is_active();
        let shared = Arc::new(Shared {
            store: RwLock::new(store),
            clock: Clock::default(),
            auth: AuthConfig {
                token: config.token,
                api_key: config.api_key,
            },
            max_namespaces: config.max_namespaces,
            seq: AtomicU64::new(0),
            faults: Mutex::new(FaultState {
                plan: config.faults,
                injected: 0,
            }),
            faults_active: AtomicBool::new(faults_active),
            rate_active: AtomicBool::new(config.rate_limit.is_some()),
            rate: Mutex::new(config.rate_limit.map(RateState::new)),
            log: Mutex::new(Vec::new()),
            log_enabled: AtomicBool::new(config.log_requests),
            log_bodies: AtomicBool::new(config.log_bodies),
            timing: Mutex::new(Timing {
                latency: config.latency,
                jitter: config.latency_jitter,
                seed: config.latency_seed,
                item_cost: config.bulk_item_cost,
                edge_timeout: config.edge_timeout,
                edge_applies: config.edge_timeout_applies,
            }),
            account_id,
        });
        let (shutdown, rx) = watch::channel(false);
        runtime.spawn(server::accept_loop(listener, shared.clone(), rx));
        Ok(Emulator {
            shared,
            addr,
            base_url: format!("http://{addr}/client/v4"),
            runtime: Some(runtime),
            shutdown,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123/client/v4`.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// assert_eq!(emu.base_url(), format!("http://{}/client/v4", emu.addr()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound socket address.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// assert!(emu.addr().ip().is_loopback());
    /// assert_ne!(emu.addr().port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server: closes the listener and every connection, and joins the threads.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let addr = emu.addr();
    /// emu.stop();
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    /// Stops the server like [`stop`](Self::stop) and returns the request log as it is
    /// then: every request answered before the call is in it (the binary prints it this way
    /// at shutdown, so no line is lost).
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// assert_eq!(emu.stop_and_take_requests().len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop_and_take_requests(mut self) -> Vec<RequestRecord> {
        self.shutdown_now();
        self.take_requests()
    }

    fn shutdown_now(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                rt.shutdown_background();
            } else {
                rt.shutdown_timeout(Duration::from_secs(2));
            }
        }
        // With persistence: close the database (the WAL is checkpointed into the file).
        // Every change was committed when it was made, so nothing is pending here.
        let _ = self.shared.store_write().close_db();
    }

    // ----- clock -----

    /// The emulator's current time, in seconds since the UNIX epoch.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// assert!(emu.now() > 1_700_000_000); // starts at the real time
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn now(&self) -> u64 {
        self.shared.clock.now()
    }

    /// Moves the emulator clock forward (keys may expire).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// let soon = emu.now() + 60;
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new("v").with_expiration(soon)).unwrap();
    /// emu.advance(Duration::from_secs(120));
    /// assert_eq!(emu.entry("acct", &ns, "k"), None); // expired
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Sets the emulator clock; it keeps ticking with real time from there.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_now(2_000_000_000);
    /// assert!((2_000_000_000..2_000_000_010).contains(&emu.now()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_now(&self, unix_secs: u64) {
        self.shared.clock.set_now(unix_secs);
    }

    // ----- faults, rate limit -----

    /// Replaces the fault plan (and resets the injected-fault count).
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_faults(FaultPlan::always(FaultKind::ServiceUnavailable).max_faults(1));
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    /// let first = agent.get(&url).header("Authorization", "Bearer t").call().unwrap();
    /// let second = agent.get(&url).header("Authorization", "Bearer t").call().unwrap();
    /// assert_eq!((first.status().as_u16(), second.status().as_u16()), (503, 200));
    /// assert_eq!(emu.faults_injected(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_faults(&self, plan: FaultPlan) {
        let mut st = self.shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        self.shared
            .faults_active
            .store(plan.is_active(), Ordering::Relaxed);
        st.plan = plan;
        st.injected = 0;
    }

    /// Turns faults off.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan};
    /// let emu = Emulator::start(EmulatorConfig::default().faults(FaultPlan::always(FaultKind::BadGateway)))?;
    /// emu.clear_faults();
    /// assert!(!emu.faults().is_active());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clear_faults(&self) {
        self.set_faults(FaultPlan::none());
    }

    /// The current fault plan.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, FaultPlan};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// assert_eq!(emu.faults(), FaultPlan::none());
    /// emu.set_faults(FaultPlan::new(3, 0.5));
    /// assert_eq!(emu.faults().seed, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn faults(&self) -> FaultPlan {
        let st = self.shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        st.plan.clone()
    }

    /// How many faults were injected since the plan was last set.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_faults(FaultPlan::always(FaultKind::InternalServerError));
    /// assert_eq!(emu.faults_injected(), 0);
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call(); // answered 500
    /// assert_eq!(emu.faults_injected(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn faults_injected(&self) -> u64 {
        let st = self.shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        st.injected
    }

    /// Sets (or with `None` removes) the rate limit; a new window starts with the next request.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{Emulator, EmulatorConfig, RateLimit};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_rate_limit(Some(RateLimit::new(1, Duration::from_secs(60))));
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// let log = emu.requests();
    /// assert_eq!((log[0].rate_limited, log[1].rate_limited), (false, true));
    /// assert_eq!(log[1].status, Some(429));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut st = self.shared.rate.lock().unwrap_or_else(|e| e.into_inner());
        self.shared
            .rate_active
            .store(limit.is_some(), Ordering::Relaxed);
        *st = limit.map(RateState::new);
    }

    /// The current rate limit, if any.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, RateLimit};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// assert_eq!(emu.rate_limit(), None);
    /// emu.set_rate_limit(Some(RateLimit::cloudflare()));
    /// assert_eq!(emu.rate_limit(), Some(RateLimit::cloudflare()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn rate_limit(&self) -> Option<RateLimit> {
        let st = self.shared.rate.lock().unwrap_or_else(|e| e.into_inner());
        st.as_ref().map(|s| s.config)
    }

    // ----- latency, bulk work, edge timeout -----

    /// Sets the delay added to every answer and its maximum seeded jitter (see
    /// [`EmulatorConfig::latency`]); applies to requests that arrive afterwards.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_latency(Duration::from_millis(40), Duration::ZERO);
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let started = Instant::now();
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// assert!(started.elapsed() >= Duration::from_millis(40));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_latency(&self, latency: Duration, jitter: Duration) {
        let mut t = self.shared.timing.lock().unwrap_or_else(|e| e.into_inner());
        t.latency = latency;
        t.jitter = jitter;
    }

    /// Sets the simulated work per bulk item (see [`EmulatorConfig::bulk_item_cost`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_bulk_item_cost(Duration::from_micros(50));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_bulk_item_cost(&self, cost: Duration) {
        self.shared
            .timing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .item_cost = cost;
    }

    /// Sets the edge time limit and whether a request answered 524 was still applied (see
    /// [`EmulatorConfig::edge_timeout`] and [`EmulatorConfig::edge_timeout_applies`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_bulk_item_cost(Duration::from_millis(1));
    /// emu.set_edge_timeout(Duration::from_millis(20), false);
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces/{ns}/bulk", emu.base_url());
    /// let body: Vec<_> = (0..50).map(|i| serde_json::json!({"key": format!("k{i}"), "value": "v"})).collect();
    /// let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    /// let resp = agent.put(&url)
    ///     .header("Authorization", "Bearer t")
    ///     .header("Content-Type", "application/json")
    ///     .send(serde_json::to_vec(&body).unwrap())
    ///     .unwrap();
    /// assert_eq!(resp.status().as_u16(), 524); // 50 ms of work > 20 ms
    /// assert_eq!(emu.key_count("acct", &ns), Ok(0)); // and not applied
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_edge_timeout(&self, limit: Duration, applies: bool) {
        let mut t = self.shared.timing.lock().unwrap_or_else(|e| e.into_inner());
        t.edge_timeout = limit;
        t.edge_applies = applies;
    }

    // ----- request log -----

    /// Every request recorded so far, in completion order.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces?page=1", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// let log = emu.requests();
    /// assert_eq!(log.len(), 1);
    /// assert_eq!(log[0].query.as_deref(), Some("page=1"));
    /// assert_eq!(emu.requests().len(), 1); // reading does not empty the log
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every request recorded so far, in completion order, and empties the log in the same
    /// step (no request recorded between a [`requests`](Self::requests) and a
    /// [`clear_requests`](Self::clear_requests) is lost).
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// assert_eq!(emu.take_requests().len(), 1);
    /// assert!(emu.requests().is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_requests(&self) -> Vec<RequestRecord> {
        std::mem::take(&mut *self.shared.log.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Empties the request log.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// emu.clear_requests();
    /// assert!(emu.requests().is_empty());
    /// assert_eq!(emu.request_count(), 1); // the arrival counter is not reset
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clear_requests(&self) {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Turns the request log on or off.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_request_log(false);
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// assert!(emu.requests().is_empty());
    /// assert_eq!(emu.request_count(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_request_log(&self, on: bool) {
        self.shared.log_enabled.store(on, Ordering::Relaxed);
    }

    /// Turns body logging on or off.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.set_log_bodies(true);
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::post(&url).header("Authorization", "Bearer t").send(r#"{"title":"docs"}"#);
    /// let log = emu.requests();
    /// assert_eq!(log[0].body.as_deref(), Some(&br#"{"title":"docs"}"#[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_log_bodies(&self, on: bool) {
        self.shared.log_bodies.store(on, Ordering::Relaxed);
    }

    /// How many HTTP requests have arrived (the next request's `seq`).
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// assert_eq!(emu.request_count(), 0);
    /// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
    /// let _ = ureq::get(&url).header("Authorization", "Bearer t").call();
    /// assert_eq!(emu.request_count(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn request_count(&self) -> u64 {
        self.shared.seq.load(Ordering::Relaxed)
    }

    // ----- seeding and inspection (no HTTP, no faults) -----

    /// Creates a namespace and returns its 32-hex-digit id.
    ///
    /// # Errors
    /// [`SeedError::DuplicateTitle`] if the account has a namespace with this title;
    /// [`SeedError::Invalid`] for an empty or too-long title or too many namespaces;
    /// [`SeedError::Storage`] if (with persistence) the database refused the change.
    ///
    /// # Example
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let id = emu.create_namespace("acct", "docs").unwrap();
    /// assert_eq!(id.len(), 32);
    /// assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    /// assert!(emu.create_namespace("acct", "").is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create_namespace(&self, account: &str, title: &str) -> Result<String, SeedError> {
        if title.trim().is_empty() || title.chars().count() > store::MAX_TITLE_CHARS {
            return Err(SeedError::Invalid(format!("bad title {title:?}")));
        }
        self.shared
            .store_write()
            .create_namespace(account, title, None, None, self.shared.max_namespaces)
            .map_err(|e| match e {
                NsError::DuplicateTitle => SeedError::DuplicateTitle(title.to_owned()),
                NsError::Storage(m) => SeedError::Storage(m),
                _ => SeedError::Invalid("too many namespaces".to_owned()),
            })
    }

    /// One namespace, if it exists.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let id = emu.create_namespace("acct", "docs").unwrap();
    /// assert_eq!(emu.namespace("acct", &id).map(|n| n.title), Some("docs".to_string()));
    /// assert_eq!(emu.namespace("other", &id), None); // namespaces belong to one account
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn namespace(&self, account: &str, namespace_id: &str) -> Option<NamespaceInfo> {
        let store = self.shared.store_read();
        store
            .namespace(account, namespace_id)
            .map(|ns| info(namespace_id, ns))
    }

    /// The namespaces of an account, sorted by id.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// emu.create_namespace("acct", "a").unwrap();
    /// emu.create_namespace("acct", "b").unwrap();
    /// let list = emu.namespaces("acct");
    /// assert_eq!(list.len(), 2);
    /// assert!(list[0].id < list[1].id);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn namespaces(&self, account: &str) -> Vec<NamespaceInfo> {
        let store = self.shared.store_read();
        store
            .namespaces(account)
            .map(|m| m.iter().map(|(id, ns)| info(id, ns)).collect())
            .unwrap_or_default()
    }

    /// Deletes a namespace and its keys; `false` if it did not exist (or, with persistence,
    /// if the database refused the deletion, in which case nothing was deleted).
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let id = emu.create_namespace("acct", "docs").unwrap();
    /// assert!(emu.delete_namespace("acct", &id));
    /// assert!(!emu.delete_namespace("acct", &id));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn delete_namespace(&self, account: &str, namespace_id: &str) -> bool {
        self.shared
            .store_write()
            .delete_namespace(account, namespace_id)
            .unwrap_or(false)
    }

    /// Writes a key directly (replacing value, metadata and expiration).
    ///
    /// The key and metadata limits are checked; the expiration is stored as given (it may
    /// even be in the past, which makes the key invisible at once).
    ///
    /// # Errors
    /// [`SeedError::NamespaceNotFound`], [`SeedError::InvalidKey`], or
    /// [`SeedError::Invalid`] for oversized metadata or value; [`SeedError::Storage`] if
    /// (with persistence) the database refused the change.
    ///
    /// # Example
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// use serde_json::json;
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new("v1").with_metadata(json!({"a": 1}))).unwrap();
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new("v2")).unwrap();
    /// assert_eq!(emu.entry("acct", &ns, "k"), Some(StoredEntry::new("v2"))); // metadata replaced too
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn put_entry(
        &self,
        account: &str,
        namespace_id: &str,
        key: &str,
        entry: StoredEntry,
    ) -> Result<(), SeedError> {
        check_key(key).map_err(|(_, m)| SeedError::InvalidKey(m))?;
        if let Some(m) = &entry.metadata {
            check_metadata(m).map_err(SeedError::Invalid)?;
        }
        if entry.value.len() > store::MAX_VALUE_BYTES {
            return Err(SeedError::Invalid(format!(
                "value of {} bytes is too large",
                entry.value.len()
            )));
        }
        let entry = Entry {
            value: entry.value.into(),
            metadata: entry.metadata.filter(|m| !m.is_null()),
            expiration: entry.expiration,
        };
        self.shared
            .store_write()
            .put_entry(account, namespace_id, key.to_owned(), entry)
            .map_err(|e| seed_error(e, namespace_id))
    }

    /// A live (not expired) entry, if present.
    ///
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new("v")).unwrap();
    /// assert_eq!(emu.entry("acct", &ns, "k").map(|e| e.value), Some(b"v".to_vec()));
    /// emu.put_entry("acct", &ns, "old", StoredEntry::new("v").with_expiration(1)).unwrap();
    /// assert_eq!(emu.entry("acct", &ns, "old"), None); // expired
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn entry(&self, account: &str, namespace_id: &str, key: &str) -> Option<StoredEntry> {
        let now = self.now();
        let store = self.shared.store_read();
        let e = store
            .namespace(account, namespace_id)?
            .entries
            .get(key)
            .filter(|e| e.live(now))?;
        Some(StoredEntry {
            value: e.value.to_vec(),
            metadata: e.metadata.clone(),
            expiration: e.expiration,
        })
    }

    /// The live key names of a namespace, sorted by UTF-8 bytes.
    ///
    /// # Errors
    /// [`SeedError::NamespaceNotFound`].
    ///
    /// # Example
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// for key in ["b", "a", "Z"] {
    ///     emu.put_entry("acct", &ns, key, StoredEntry::new("v")).unwrap();
    /// }
    /// assert_eq!(emu.keys("acct", &ns).unwrap(), ["Z", "a", "b"]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn keys(&self, account: &str, namespace_id: &str) -> Result<Vec<String>, SeedError> {
        let now = self.now();
        let store = self.shared.store_read();
        let ns = store
            .namespace(account, namespace_id)
            .ok_or_else(|| SeedError::NamespaceNotFound(namespace_id.to_owned()))?;
        Ok(ns
            .entries
            .iter()
            .filter(|(_, e)| e.live(now))
            .map(|(k, _)| k.clone())
            .collect())
    }

    /// The number of live keys in a namespace.
    ///
    /// # Errors
    /// [`SeedError::NamespaceNotFound`].
    ///
    /// # Example
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// assert_eq!(emu.key_count("acct", &ns), Ok(0));
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new("v")).unwrap();
    /// assert_eq!(emu.key_count("acct", &ns), Ok(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn key_count(&self, account: &str, namespace_id: &str) -> Result<usize, SeedError> {
        let now = self.now();
        let store = self.shared.store_read();
        let ns = store
            .namespace(account, namespace_id)
            .ok_or_else(|| SeedError::NamespaceNotFound(namespace_id.to_owned()))?;
        Ok(ns.entries.values().filter(|e| e.live(now)).count())
    }

    /// Deletes a key; `Ok(false)` if it was absent (or expired).
    ///
    /// # Errors
    /// [`SeedError::NamespaceNotFound`]; [`SeedError::Storage`] if (with persistence) the
    /// database refused the change.
    ///
    /// # Example
    /// ```
    /// use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
    /// let emu = Emulator::start(EmulatorConfig::default())?;
    /// let ns = emu.create_namespace("acct", "docs").unwrap();
    /// emu.put_entry("acct", &ns, "k", StoredEntry::new("v")).unwrap();
    /// assert_eq!(emu.delete_key("acct", &ns, "k"), Ok(true));
    /// assert_eq!(emu.delete_key("acct", &ns, "k"), Ok(false));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn delete_key(
        &self,
        account: &str,
        namespace_id: &str,
        key: &str,
    ) -> Result<bool, SeedError> {
        let now = self.now();
        let removed = self
            .shared
            .store_write()
            .remove_entry(account, namespace_id, key)
            .map_err(|e| seed_error(e, namespace_id))?;
        Ok(removed.is_some_and(|e| e.live(now)))
    }
}

/// A failed store mutation of the seeding API as a [`SeedError`].
fn seed_error(e: NsError, namespace_id: &str) -> SeedError {
    match e {
        NsError::Storage(m) => SeedError::Storage(m),
        _ => SeedError::NamespaceNotFound(namespace_id.to_owned()),
    }
}

fn info(id: &str, ns: &store::Namespace) -> NamespaceInfo {
    NamespaceInfo {
        id: id.to_owned(),
        title: ns.title.clone(),
        jurisdiction: ns.jurisdiction.clone(),
        mode: ns.mode.clone(),
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_jitter_is_seeded_and_bounded() {
        let timing = |seed, jitter| Timing {
            latency: Duration::from_millis(100),
            jitter,
            seed,
            item_cost: Duration::ZERO,
            edge_timeout: DEFAULT_EDGE_TIMEOUT,
            edge_applies: true,
        };
        let plain = timing(1, Duration::ZERO);
        assert!((0..50).all(|seq| plain.latency_for(seq) == Duration::from_millis(100)));
        let jitter = Duration::from_millis(20);
        let a: Vec<Duration> = (0..200).map(|s| timing(1, jitter).latency_for(s)).collect();
        let b: Vec<Duration> = (0..200).map(|s| timing(1, jitter).latency_for(s)).collect();
        let c: Vec<Duration> = (0..200).map(|s| timing(2, jitter).latency_for(s)).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let (lo, hi) = (Duration::from_millis(100), Duration::from_millis(120));
        assert!(a.iter().all(|d| (lo..=hi).contains(d)), "{a:?}");
        // Spread over the range, not stuck at one end.
        assert!(a.iter().any(|d| *d < lo + jitter / 4));
        assert!(a.iter().any(|d| *d > hi - jitter / 4));
    }
}
