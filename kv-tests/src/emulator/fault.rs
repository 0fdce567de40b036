//! Deterministic fault injection and the rate-limit mode.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use super::store::splitmix64;

/// One way the emulator can misbehave on purpose.
///
/// ```
/// use kv_tests::FaultKind;
/// assert_eq!(FaultKind::ALL.len(), 8);
/// assert_eq!(FaultKind::TooManyRequests.to_string(), "429");
/// assert_eq!("partial".parse::<FaultKind>(), Ok(FaultKind::PartialBulk));
/// assert!("teapot".parse::<FaultKind>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// HTTP 429 with `Retry-After` and code 971
    /// (`Please wait and consider throttling your request speed`). The request is not processed.
    TooManyRequests,
    /// HTTP 500 with a JSON envelope (code 10002, `Internal server error`). Not processed.
    InternalServerError,
    /// HTTP 502 with an HTML body, as a Cloudflare edge would send. Not processed.
    BadGateway,
    /// HTTP 503 with an HTML body. Not processed.
    ServiceUnavailable,
    /// The connection is closed without any response. The request is not processed.
    DropConnection,
    /// The request is processed; the response announces its full `Content-Length` but only
    /// half of the body bytes are sent before the connection is closed.
    TruncatedBody,
    /// The request is processed; the response is sent after
    /// [`FaultPlan::slow_delay`].
    SlowResponse,
    /// Bulk write or bulk delete only: answers 200 with some keys in `unsuccessful_keys`;
    /// those keys are really not written (or not deleted). Ignored on other routes.
    PartialBulk,
}

impl FaultKind {
    /// Every kind, in declaration order.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::TooManyRequests,
        FaultKind::InternalServerError,
        FaultKind::BadGateway,
        FaultKind::ServiceUnavailable,
        FaultKind::DropConnection,
        FaultKind::TruncatedBody,
        FaultKind::SlowResponse,
        FaultKind::PartialBulk,
    ];

    /// The short name used by the CLI (`429`, `500`, `502`, `503`, `drop`, `truncate`,
    /// `slow`, `partial`).
    ///
    /// ```
    /// use kv_tests::FaultKind;
    /// assert_eq!(FaultKind::DropConnection.name(), "drop");
    /// assert_eq!("429".parse::<FaultKind>(), Ok(FaultKind::TooManyRequests));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::TooManyRequests => "429",
            FaultKind::InternalServerError => "500",
            FaultKind::BadGateway => "502",
            FaultKind::ServiceUnavailable => "503",
            FaultKind::DropConnection => "drop",
            FaultKind::TruncatedBody => "truncate",
            FaultKind::SlowResponse => "slow",
            FaultKind::PartialBulk => "partial",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown fault kind {s:?}; use 429, 500, 502, 503, drop, truncate, slow or partial")
            })
    }
}

/// Which routes a fault plan applies to.
///
/// ```
/// use kv_tests::FaultScope;
/// assert_eq!(FaultScope::default(), FaultScope::All);
/// assert_eq!("read".parse::<FaultScope>(), Ok(FaultScope::Reads));
/// assert!("writes".parse::<FaultScope>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultScope {
    /// Every KV route.
    #[default]
    All,
    /// Routes that change state: create/rename/delete namespace, write/delete value,
    /// bulk write, bulk delete.
    Mutating,
    /// Routes that only read: list/get namespace, list keys, read value, read metadata,
    /// bulk get.
    Reads,
    /// The four bulk routes (write, both deletes, get).
    Bulk,
}

impl FromStr for FaultScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "all" => Ok(FaultScope::All),
            "mutating" => Ok(FaultScope::Mutating),
            "reads" | "read" => Ok(FaultScope::Reads),
            "bulk" => Ok(FaultScope::Bulk),
            _ => Err(format!(
                "unknown fault scope {s:?}; use all, mutating, reads or bulk"
            )),
        }
    }
}

/// What the server needs to know about a route to decide on a fault.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteClass {
    pub mutating: bool,
    pub bulk: bool,
    /// Bulk write or bulk delete: `PartialBulk` applies.
    pub partial_ok: bool,
}

/// A deterministic fault plan.
///
/// For request number `seq` (counted from 0 in arrival order over all HTTP requests the
/// emulator received), a hash of `(seed, seq)` decides whether a fault is injected (with
/// probability [`rate`](Self::rate)) and which kind (weighted by [`mix`](Self::mix), among the
/// kinds that apply to the route). The same arrival order therefore gives the same faults.
///
/// ```
/// use std::time::Duration;
/// use kv_tests::{FaultKind, FaultPlan, FaultScope};
/// // Every mutating request fails once with a 503, then the plan is spent.
/// let plan = FaultPlan::always(FaultKind::ServiceUnavailable)
///     .scope(FaultScope::Mutating)
///     .max_faults(1);
/// assert_eq!(plan.rate, 1.0);
/// // A tenth of all requests misbehave in any way, seed 42.
/// let plan = FaultPlan::new(42, 0.1).slow_delay(Duration::from_millis(200));
/// assert_eq!(plan.mix.len(), 8);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    /// Probability in `0.0..=1.0` that a request in scope gets a fault. 0 disables faults.
    pub rate: f64,
    /// Seed of the decision hash.
    pub seed: u64,
    /// Kinds and their relative weights.
    pub mix: Vec<(FaultKind, u32)>,
    /// Routes the plan applies to.
    pub scope: FaultScope,
    /// `Retry-After` seconds sent with [`FaultKind::TooManyRequests`]. Default 1.
    pub retry_after_secs: u64,
    /// Delay of [`FaultKind::SlowResponse`]. Default 2 s.
    pub slow_delay: Duration,
    /// Stop injecting after this many faults (`None`: never stop).
    pub max_faults: Option<u64>,
    /// Fraction of the keys of a bulk request reported unsuccessful under
    /// [`FaultKind::PartialBulk`] (at least one key always fails). Default 0.5.
    pub partial_fraction: f64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan::none()
    }
}

impl FaultPlan {
    /// No faults at all.
    ///
    /// ```
    /// use kv_tests::FaultPlan;
    /// let plan = FaultPlan::none();
    /// assert!(!plan.is_active());
    /// assert_eq!(plan, FaultPlan::default());
    /// ```
    pub fn none() -> Self {
        FaultPlan {
            rate: 0.0,
            seed: 0,
            mix: FaultKind::ALL.iter().map(|&k| (k, 1)).collect(),
            scope: FaultScope::All,
            retry_after_secs: 1,
            slow_delay: Duration::from_secs(2),
            max_faults: None,
            partial_fraction: 0.5,
        }
    }

    /// Faults at `rate` (0.0..=1.0), every kind equally likely.
    ///
    /// ```
    /// use kv_tests::FaultPlan;
    /// let plan = FaultPlan::new(7, 0.25);
    /// assert_eq!((plan.seed, plan.rate), (7, 0.25));
    /// assert!(plan.mix.iter().all(|&(_, weight)| weight == 1));
    /// ```
    pub fn new(seed: u64, rate: f64) -> Self {
        FaultPlan {
            rate,
            seed,
            ..FaultPlan::none()
        }
    }

    /// Every request in scope gets this fault.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::always(FaultKind::BadGateway);
    /// assert_eq!(plan.rate, 1.0);
    /// assert_eq!(plan.mix, vec![(FaultKind::BadGateway, 1)]);
    /// ```
    pub fn always(kind: FaultKind) -> Self {
        FaultPlan {
            rate: 1.0,
            mix: vec![(kind, 1)],
            ..FaultPlan::none()
        }
    }

    /// Replaces the mix of kinds and weights.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::new(1, 0.5)
    ///     .with_mix([(FaultKind::TooManyRequests, 3), (FaultKind::DropConnection, 1)]);
    /// assert_eq!(plan.mix.len(), 2);
    /// ```
    pub fn with_mix(mut self, mix: impl IntoIterator<Item = (FaultKind, u32)>) -> Self {
        self.mix = mix.into_iter().collect();
        self
    }

    /// Restricts the plan to some routes.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan, FaultScope};
    /// let plan = FaultPlan::always(FaultKind::PartialBulk).scope(FaultScope::Bulk);
    /// assert_eq!(plan.scope, FaultScope::Bulk);
    /// ```
    pub fn scope(mut self, scope: FaultScope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets the `Retry-After` value of injected 429s.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::always(FaultKind::TooManyRequests).retry_after_secs(5);
    /// assert_eq!(plan.retry_after_secs, 5);
    /// ```
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after_secs = secs;
        self
    }

    /// Sets the delay of slow responses.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::always(FaultKind::SlowResponse).slow_delay(Duration::from_millis(50));
    /// assert_eq!(plan.slow_delay, Duration::from_millis(50));
    /// ```
    pub fn slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// Stops after `n` injected faults.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::always(FaultKind::InternalServerError).max_faults(2);
    /// assert_eq!(plan.max_faults, Some(2));
    /// assert!(!plan.max_faults(0).is_active());
    /// ```
    pub fn max_faults(mut self, n: u64) -> Self {
        self.max_faults = Some(n);
        self
    }

    /// Sets the fraction of keys reported unsuccessful by partial bulk answers.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::always(FaultKind::PartialBulk).partial_fraction(0.1);
    /// assert_eq!(plan.partial_fraction, 0.1);
    /// ```
    pub fn partial_fraction(mut self, fraction: f64) -> Self {
        self.partial_fraction = fraction;
        self
    }

    /// Whether this plan can ever inject anything.
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// assert!(FaultPlan::new(1, 0.5).is_active());
    /// assert!(!FaultPlan::new(1, 0.0).is_active());
    /// assert!(!FaultPlan::always(FaultKind::BadGateway).with_mix([]).is_active());
    /// ```
    pub fn is_active(&self) -> bool {
        self.rate > 0.0 && self.mix.iter().any(|&(_, w)| w > 0) && self.max_faults != Some(0)
    }

    fn in_scope(&self, class: RouteClass) -> bool {
        match self.scope {
            FaultScope::All => true,
            FaultScope::Mutating => class.mutating,
            FaultScope::Reads => !class.mutating,
            FaultScope::Bulk => class.bulk,
        }
    }

    /// The fault for request `seq` on a route of this class, ignoring `max_faults`.
    pub(crate) fn decide(&self, seq: u64, class: RouteClass) -> Option<FaultKind> {
        if !self.in_scope(class) {
            return None;
        }
        let h = splitmix64(self.seed ^ splitmix64(seq));
        if unit(h) >= self.rate {
            return None;
        }
        let eligible = || {
            self.mix
                .iter()
                .filter(move |&&(k, w)| w > 0 && (k != FaultKind::PartialBulk || class.partial_ok))
        };
        let total: u64 = eligible().map(|&(_, w)| u64::from(w)).sum();
        if total == 0 {
            return None;
        }
        let mut pick = splitmix64(h) % total;
        for &(k, w) in eligible() {
            if pick < u64::from(w) {
                return Some(k);
            }
            pick -= u64::from(w);
        }
        None
    }

    /// Which items of a partial bulk request fail (deterministic from seed, seq, index).
    pub(crate) fn partial_failures(&self, seq: u64, n: usize) -> Vec<bool> {
        let base = splitmix64(self.seed ^ splitmix64(seq) ^ 0x5eed_b01c);
        let mut fail: Vec<bool> = (0..n as u64)
            .map(|i| unit(splitmix64(base ^ i)) < self.partial_fraction)
            .collect();
        if n > 0 && !fail.iter().any(|&f| f) {
            let i = (base % n as u64) as usize;
            fail[i] = true;
        }
        fail
    }
}

/// Maps a hash to `[0, 1)`.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Rate-limit mode: at most `limit` requests per fixed `window` of real time.
///
/// The first window starts with the first request. Past the limit every request is answered
/// 429 (code 971, `Retry-After` = seconds left in the window, rounded up, at least 1) without
/// being processed, until the window ends. Every response carries `x-ratelimit-limit` and
/// `x-ratelimit-remaining`. Real time (not the emulator clock) is used, so a short window
/// (e.g. 1 s) keeps tests fast.
///
/// ```
/// use std::time::Duration;
/// use kv_tests::RateLimit;
/// // Cloudflare's global limit.
/// let cf = RateLimit::new(1200, Duration::from_secs(300));
/// assert_eq!(cf.limit, 1200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    /// Window length.
    pub window: Duration,
}

impl RateLimit {
    /// `limit` requests per `window`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::RateLimit;
    /// let rl = RateLimit::new(10, Duration::from_secs(1));
    /// assert_eq!((rl.limit, rl.window), (10, Duration::from_secs(1)));
    /// ```
    pub fn new(limit: u64, window: Duration) -> Self {
        RateLimit { limit, window }
    }
}

/// The running state of the rate limiter.
#[derive(Debug)]
pub(crate) struct RateState {
    pub config: RateLimit,
    window_start: Option<Instant>,
    count: u64,
}

/// Outcome of one rate-limit check.
pub(crate) struct RateDecision {
    pub limit: u64,
    pub remaining: u64,
    /// `Some(retry_after_secs)` when the request must be refused.
    pub refuse: Option<u64>,
}

impl RateState {
    pub fn new(config: RateLimit) -> Self {
        RateState {
            config,
            window_start: None,
            count: 0,
        }
    }

    pub fn check(&mut self, now: Instant) -> RateDecision {
        let start = match self.window_start {
            Some(s) if now.duration_since(s) < self.config.window => s,
            _ => {
                self.window_start = Some(now);
                self.count = 0;
                now
            }
        };
        self.count += 1;
        let limit = self.config.limit;
        if self.count > limit {
            let left = self.config.window.saturating_sub(now.duration_since(start));
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            RateDecision {
                limit,
                remaining: 0,
                refuse: Some(secs.max(1)),
            }
        } else {
            RateDecision {
                limit,
                remaining: limit - self.count,
                refuse: None,
            }
        }
    }
}
