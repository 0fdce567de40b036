//! Deterministic fault injection and the rate-limit mode.

use std::collections::VecDeque;
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
/// // The three newer kinds are opt-in: not in `ALL`, but in `EVERY`.
/// assert_eq!(FaultKind::EVERY.len(), 11);
/// assert_eq!("apply-drop".parse::<FaultKind>(), Ok(FaultKind::DropAfterApply));
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
    /// The request is processed; the answer keeps its status and headers but its JSON body
    /// is cut to its first half, with a `Content-Length` matching the cut body, so the client
    /// reads a complete but unparseable body. Not applied to value reads (raw bytes, where a
    /// cut body could not be noticed). Opt-in: not in [`FaultKind::ALL`].
    HalfBody,
    /// HTTP **200** with a failure envelope:
    /// `{"success":false,"errors":[{"code":10001,"message":"…"}],"messages":[],"result":null}`.
    /// The request is not processed. Opt-in: not in [`FaultKind::ALL`].
    SuccessFalse,
    /// The request is processed (its state changes happen), then the connection is closed
    /// without any answer. Opt-in: not in [`FaultKind::ALL`].
    DropAfterApply,
}

impl FaultKind {
    /// The eight original kinds, in declaration order: the default mix of a [`FaultPlan`].
    ///
    /// The newer kinds ([`HalfBody`](FaultKind::HalfBody),
    /// [`SuccessFalse`](FaultKind::SuccessFalse), [`DropAfterApply`](FaultKind::DropAfterApply))
    /// are left out so that plans built on this list keep their behaviour; see
    /// [`FaultKind::EVERY`] and [`FaultKind::NEWER`].
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

    /// The kinds added after [`FaultKind::ALL`]; opt-in through [`FaultPlan::with_mix`].
    pub const NEWER: [FaultKind; 3] = [
        FaultKind::HalfBody,
        FaultKind::SuccessFalse,
        FaultKind::DropAfterApply,
    ];

    /// Every kind there is, in declaration order ([`FaultKind::ALL`] then [`FaultKind::NEWER`]).
    ///
    /// ```
    /// use kv_tests::{FaultKind, FaultPlan};
    /// let plan = FaultPlan::new(7, 0.1).with_mix(FaultKind::EVERY.map(|k| (k, 1)));
    /// assert_eq!(plan.mix.len(), 11);
    /// ```
    pub const EVERY: [FaultKind; 11] = [
        FaultKind::TooManyRequests,
        FaultKind::InternalServerError,
        FaultKind::BadGateway,
        FaultKind::ServiceUnavailable,
        FaultKind::DropConnection,
        FaultKind::TruncatedBody,
        FaultKind::SlowResponse,
        FaultKind::PartialBulk,
        FaultKind::HalfBody,
        FaultKind::SuccessFalse,
        FaultKind::DropAfterApply,
    ];

    /// The short name used by the CLI (`429`, `500`, `502`, `503`, `drop`, `truncate`,
    /// `slow`, `partial`, `half-body`, `success-false`, `apply-drop`).
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
            FaultKind::HalfBody => "half-body",
            FaultKind::SuccessFalse => "success-false",
            FaultKind::DropAfterApply => "apply-drop",
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
        FaultKind::EVERY
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown fault kind {s:?}; use 429, 500, 502, 503, drop, truncate, slow, partial, half-body, success-false or apply-drop")
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
    /// The answer is a JSON envelope (every route but value reads): `HalfBody` applies.
    pub envelope: bool,
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
            self.mix.iter().filter(move |&&(k, w)| {
                w > 0
                    && (k != FaultKind::PartialBulk || class.partial_ok)
                    && (k != FaultKind::HalfBody || class.envelope)
            })
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

/// Which rate-limit header families the emulator sends while a rate limit is set.
///
/// `Retry-After` is sent on every 429 whatever this says.
///
/// ```
/// use kv_tests::emulator::RateLimitHeaders;
/// assert_eq!(RateLimitHeaders::default(), RateLimitHeaders::Both);
/// assert_eq!("ietf".parse::<RateLimitHeaders>(), Ok(RateLimitHeaders::Ietf));
/// assert!(RateLimitHeaders::Legacy.legacy() && !RateLimitHeaders::Legacy.ietf());
/// assert!("draft".parse::<RateLimitHeaders>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitHeaders {
    /// No rate-limit headers at all (only `Retry-After` on 429s).
    None,
    /// `x-ratelimit-limit` and `x-ratelimit-remaining` (Cloudflare's documented pair).
    Legacy,
    /// The IETF-draft pair `Ratelimit: "default";r=R;t=T` and
    /// `Ratelimit-Policy: "default";q=Q;w=W` (Cloudflare's 2025 changelog).
    Ietf,
    /// Both families.
    #[default]
    Both,
}

impl RateLimitHeaders {
    /// Whether `x-ratelimit-limit` / `x-ratelimit-remaining` are sent.
    pub fn legacy(self) -> bool {
        matches!(self, RateLimitHeaders::Legacy | RateLimitHeaders::Both)
    }

    /// Whether `Ratelimit` / `Ratelimit-Policy` are sent.
    pub fn ietf(self) -> bool {
        matches!(self, RateLimitHeaders::Ietf | RateLimitHeaders::Both)
    }
}

impl FromStr for RateLimitHeaders {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(RateLimitHeaders::None),
            "legacy" => Ok(RateLimitHeaders::Legacy),
            "ietf" => Ok(RateLimitHeaders::Ietf),
            "both" => Ok(RateLimitHeaders::Both),
            _ => Err(format!(
                "unknown rate-limit header family {s:?}; use none, legacy, ietf or both"
            )),
        }
    }
}

/// Rate-limit mode: at most `limit` requests in any sliding `window` of real time.
///
/// The window is **sliding**: a request is accepted when fewer than `limit` requests were
/// accepted in the `window` before it (refused requests do not count). This is at least as
/// strict as Cloudflare's "1,200 requests per 5 minutes" read either way.
///
/// A request over the limit is answered 429 (code 971,
/// `Please wait and consider throttling your request speed`) and not processed. Then:
/// - with a [`penalty`](Self::penalty) (Cloudflare: 300 s), **every** request is refused the
///   same way until the penalty, counted from the first refused request, is over (requests
///   during the penalty neither extend it nor count);
/// - without one (the default), requests are refused until the oldest accepted request
///   leaves the window.
///
/// [`max_rps`](Self::max_rps) adds a second cap: at most that many accepted requests in any
/// sliding second (Cloudflare: 200 per second per IP). Going over it refuses the request
/// (429/971, `Retry-After: 1`) but does not start the penalty.
///
/// `Retry-After` is the seconds until a request can succeed, rounded up, at least 1. Every
/// answer carries the headers chosen by [`headers`](Self::headers) (default both families):
/// `x-ratelimit-limit: Q`, `x-ratelimit-remaining: R`, `Ratelimit: "default";r=R;t=T` and
/// `Ratelimit-Policy: "default";q=Q;w=W`, where Q is `limit`, W the window in whole seconds
/// (rounded up), R the requests left in the window after this one (0 on a refusal) and T the
/// seconds until R grows (rounded up): the penalty left, or when the oldest accepted request
/// leaves the window.
///
/// Real time (not the emulator clock) is used, so short windows keep tests fast.
///
/// ```
/// use std::time::Duration;
/// use kv_tests::RateLimit;
/// use kv_tests::emulator::RateLimitHeaders;
/// // Cloudflare's global limit, as documented.
/// let cf = RateLimit::cloudflare();
/// assert_eq!((cf.limit, cf.window), (1200, Duration::from_secs(300)));
/// assert_eq!((cf.penalty, cf.max_rps), (Duration::from_secs(300), Some(200)));
/// // A small one for tests, IETF headers only.
/// let rl = RateLimit::new(3, Duration::from_secs(1))
///     .penalty(Duration::from_secs(2))
///     .headers(RateLimitHeaders::Ietf);
/// assert_eq!(rl.penalty, Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    /// Window length.
    pub window: Duration,
    /// How long every request is refused once the limit was exceeded; zero (the default):
    /// only until a slot frees up in the window.
    pub penalty: Duration,
    /// At most this many requests in any second; `None` (the default): no per-second cap.
    pub max_rps: Option<u64>,
    /// Which header families to send; default [`RateLimitHeaders::Both`].
    pub headers: RateLimitHeaders,
}

impl RateLimit {
    /// `limit` requests per sliding `window`, no penalty, no per-second cap, both header
    /// families.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::RateLimit;
    /// let rl = RateLimit::new(10, Duration::from_secs(1));
    /// assert_eq!((rl.limit, rl.window), (10, Duration::from_secs(1)));
    /// assert_eq!((rl.penalty, rl.max_rps), (Duration::ZERO, None));
    /// ```
    pub fn new(limit: u64, window: Duration) -> Self {
        RateLimit {
            limit,
            window,
            penalty: Duration::ZERO,
            max_rps: None,
            headers: RateLimitHeaders::Both,
        }
    }

    /// Cloudflare's documented limits: 1,200 requests per 300 s, then blocked for 300 s;
    /// at most 200 per second; both header families.
    ///
    /// ```
    /// use kv_tests::RateLimit;
    /// use kv_tests::emulator::RateLimitHeaders;
    /// assert_eq!(RateLimit::cloudflare().headers, RateLimitHeaders::Both);
    /// ```
    pub fn cloudflare() -> Self {
        RateLimit::new(1200, Duration::from_secs(300))
            .penalty(Duration::from_secs(300))
            .max_rps(Some(200))
    }

    /// Sets the penalty: once the limit is exceeded, every request is refused this long.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::RateLimit;
    /// let rl = RateLimit::new(5, Duration::from_secs(1)).penalty(Duration::from_secs(3));
    /// assert_eq!(rl.penalty, Duration::from_secs(3));
    /// ```
    pub fn penalty(mut self, penalty: Duration) -> Self {
        self.penalty = penalty;
        self
    }

    /// Sets (or with `None` removes) the per-second cap.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::RateLimit;
    /// let rl = RateLimit::new(100, Duration::from_secs(60)).max_rps(Some(5));
    /// assert_eq!(rl.max_rps, Some(5));
    /// ```
    pub fn max_rps(mut self, max_rps: Option<u64>) -> Self {
        self.max_rps = max_rps;
        self
    }

    /// Chooses the header families sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_tests::RateLimit;
    /// use kv_tests::emulator::RateLimitHeaders;
    /// let rl = RateLimit::new(5, Duration::from_secs(1)).headers(RateLimitHeaders::None);
    /// assert_eq!(rl.headers, RateLimitHeaders::None);
    /// ```
    pub fn headers(mut self, headers: RateLimitHeaders) -> Self {
        self.headers = headers;
        self
    }
}

/// Whole seconds, rounded up.
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The running state of the rate limiter.
#[derive(Debug)]
pub(crate) struct RateState {
    pub config: RateLimit,
    /// When the accepted requests of the last `window` arrived, oldest first.
    window_hits: VecDeque<Instant>,
    /// When the accepted requests of the last second arrived (only with `max_rps`).
    second_hits: VecDeque<Instant>,
    /// The end of the running penalty.
    blocked_until: Option<Instant>,
}

/// Outcome of one rate-limit check.
pub(crate) struct RateDecision {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until `remaining` grows (the IETF `t`).
    pub reset_secs: u64,
    /// The window in whole seconds (the IETF `w`).
    pub window_secs: u64,
    /// Which headers to send.
    pub headers: RateLimitHeaders,
    /// `Some(retry_after_secs)` when the request must be refused.
    pub refuse: Option<u64>,
}

impl RateDecision {
    /// The headers of this decision, as chosen by the configuration.
    pub fn header_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.headers.legacy() {
            out.push(("x-ratelimit-limit", self.limit.to_string()));
            out.push(("x-ratelimit-remaining", self.remaining.to_string()));
        }
        if self.headers.ietf() {
            out.push((
                "ratelimit",
                format!("\"default\";r={};t={}", self.remaining, self.reset_secs),
            ));
            out.push((
                "ratelimit-policy",
                format!("\"default\";q={};w={}", self.limit, self.window_secs),
            ));
        }
        out
    }
}

/// Drops the instants at least `span` old.
fn prune(hits: &mut VecDeque<Instant>, now: Instant, span: Duration) {
    while hits
        .front()
        .is_some_and(|&t| now.saturating_duration_since(t) >= span)
    {
        hits.pop_front();
    }
}

/// Time until the oldest of `hits` is `span` old.
fn until_oldest_leaves(hits: &VecDeque<Instant>, now: Instant, span: Duration) -> Duration {
    hits.front().map_or(Duration::ZERO, |&t| {
        span.saturating_sub(now.saturating_duration_since(t))
    })
}

impl RateState {
    pub fn new(config: RateLimit) -> Self {
        RateState {
            config,
            window_hits: VecDeque::new(),
            second_hits: VecDeque::new(),
            blocked_until: None,
        }
    }

    pub fn check(&mut self, now: Instant) -> RateDecision {
        let c = self.config;
        prune(&mut self.window_hits, now, c.window);
        prune(&mut self.second_hits, now, Duration::from_secs(1));
        let window_secs = ceil_secs(c.window).max(1);
        let refuse = |wait: Duration| RateDecision {
            limit: c.limit,
            remaining: 0,
            reset_secs: ceil_secs(wait).max(1),
            window_secs,
            headers: c.headers,
            refuse: Some(ceil_secs(wait).max(1)),
        };
        if let Some(until) = self.blocked_until {
            if now < until {
                return refuse(until - now);
            }
            self.blocked_until = None;
        }
        let used = self.window_hits.len() as u64;
        if used >= c.limit {
            if c.penalty > Duration::ZERO {
                self.blocked_until = now.checked_add(c.penalty);
                return refuse(c.penalty);
            }
            let wait = until_oldest_leaves(&self.window_hits, now, c.window);
            return refuse(wait);
        }
        if let Some(max) = c.max_rps {
            if self.second_hits.len() as u64 >= max {
                let wait = until_oldest_leaves(&self.second_hits, now, Duration::from_secs(1));
                return refuse(wait);
            }
            self.second_hits.push_back(now);
        }
        self.window_hits.push_back(now);
        RateDecision {
            limit: c.limit,
            remaining: c.limit - self.window_hits.len() as u64,
            reset_secs: ceil_secs(until_oldest_leaves(&self.window_hits, now, c.window)),
            window_secs,
            headers: c.headers,
            refuse: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_penalty_and_max_rps() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // 3 per 10 s, sliding.
        let mut st = RateState::new(RateLimit::new(3, Duration::from_secs(10)));
        for (i, at) in [0, 4000, 8000].into_iter().enumerate() {
            let d = st.check(ms(at));
            assert_eq!(d.refuse, None);
            assert_eq!(d.remaining, 2 - i as u64);
        }
        // Full until the request at 0 is 10 s old.
        let d = st.check(ms(9000));
        assert_eq!((d.refuse, d.remaining, d.reset_secs), (Some(1), 0, 1));
        assert_eq!(st.check(ms(10_000)).refuse, None);
        // A fixed window starting at 0 would have allowed 3 more at 10 s; sliding does not.
        assert_eq!(st.check(ms(10_001)).refuse, Some(4));

        // Penalty: once over, refused for the whole penalty, even when the window frees up.
        let mut st = RateState::new(
            RateLimit::new(2, Duration::from_secs(1)).penalty(Duration::from_secs(5)),
        );
        assert!(st.check(ms(0)).refuse.is_none());
        assert!(st.check(ms(1)).refuse.is_none());
        assert_eq!(st.check(ms(2)).refuse, Some(5));
        assert_eq!(st.check(ms(2500)).refuse, Some(3));
        assert_eq!(st.check(ms(5001)).refuse, Some(1));
        let d = st.check(ms(5002));
        assert_eq!((d.refuse, d.remaining), (None, 1));

        // max_rps: a per-second cap under a roomy window, no penalty from it.
        let mut st = RateState::new(
            RateLimit::new(100, Duration::from_secs(60))
                .penalty(Duration::from_secs(60))
                .max_rps(Some(2)),
        );
        assert!(st.check(ms(0)).refuse.is_none());
        assert!(st.check(ms(100)).refuse.is_none());
        assert_eq!(st.check(ms(200)).refuse, Some(1));
        assert!(st.check(ms(1000)).refuse.is_none());
        assert_eq!(st.check(ms(1001)).refuse, Some(1)); // 100 and 1000 are in the last second
        let d = st.check(ms(1100));
        assert_eq!(d.refuse, None);
        assert_eq!(d.remaining, 96);

        // Headers.
        let d = RateDecision {
            limit: 1200,
            remaining: 7,
            reset_secs: 30,
            window_secs: 300,
            headers: RateLimitHeaders::Both,
            refuse: None,
        };
        assert_eq!(
            d.header_pairs(),
            [
                ("x-ratelimit-limit", "1200".to_owned()),
                ("x-ratelimit-remaining", "7".to_owned()),
                ("ratelimit", "\"default\";r=7;t=30".to_owned()),
                ("ratelimit-policy", "\"default\";q=1200;w=300".to_owned()),
            ]
        );
    }
}
