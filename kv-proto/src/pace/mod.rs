//! A client-side pacer that spends Cloudflare's request budget instead of trickling it: it says
//! how long to wait before the next request so that a busy client stays under the API limit
//! (and under any smaller limit the server announces) instead of being blocked by it.
//!
//! Like the rest of kv-proto it reads no clock: every call takes `now: Instant` from the caller.
//! See [`Pacer`] for the rules, the guarantee and its proof.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use http::HeaderMap;

use crate::error::{Error, Limit};

mod headers;
mod state;

use headers::*;
use state::*;

/// Cloudflare's global API limit: requests per [`CLOUDFLARE_WINDOW`].
///
/// ```
/// use kv_proto::{Pacer, limits::CLOUDFLARE_REQUESTS, limits::CLOUDFLARE_WINDOW};
/// assert_eq!(Pacer::cloudflare_default().limit(), Some((CLOUDFLARE_REQUESTS, CLOUDFLARE_WINDOW)));
/// ```
pub const CLOUDFLARE_REQUESTS: u32 = 1_200;
/// Cloudflare's global API limit window: 5 minutes.
///
/// ```
/// use kv_proto::limits::CLOUDFLARE_WINDOW;
/// assert_eq!(CLOUDFLARE_WINDOW, std::time::Duration::from_secs(5 * 60));
/// ```
pub const CLOUDFLARE_WINDOW: Duration = Duration::from_secs(300);
/// Cloudflare's per-IP limit: requests per second. [`Pacer::cloudflare_default`] never goes
/// above it.
///
/// ```
/// use kv_proto::{Pacer, limits::CLOUDFLARE_PER_SECOND};
/// assert_eq!(Pacer::cloudflare_default().per_second_cap(), Some(CLOUDFLARE_PER_SECOND));
/// ```
pub const CLOUDFLARE_PER_SECOND: u32 = 200;
/// How many requests a fresh [`Pacer::cloudflare_default`] sends back to back: the per-second
/// cap ([`CLOUDFLARE_PER_SECOND`]); the rest of the window's budget follows one second later.
///
/// ```
/// use kv_proto::{Pacer, defaults::CLOUDFLARE_DEFAULT_BURST};
/// assert_eq!(Pacer::cloudflare_default().burst(), Some(CLOUDFLARE_DEFAULT_BURST));
/// ```
pub const CLOUDFLARE_DEFAULT_BURST: u32 = CLOUDFLARE_PER_SECOND;
/// The most headroom the pacer keeps below a limit of `R` requests: it plans for
/// `R - min(PACER_MARGIN, R / 10)`. For Cloudflare's 1,200 that is 1,190 per 5 minutes; for a
/// server-announced 60 it is 54; below 10 requests there is no margin.
///
/// The headroom absorbs what the pacer cannot see: requests in flight when a response's
/// headers were written, a dashboard or Terraform run on the same account, a retry racing a
/// 429.
///
/// ```
/// use kv_proto::{Pacer, defaults::PACER_MARGIN};
/// use std::time::Duration;
/// assert_eq!(Pacer::cloudflare_default().margin(), Some(PACER_MARGIN));
/// assert_eq!(Pacer::new(60, Duration::from_secs(10)).unwrap().margin(), Some(6));
/// assert_eq!(Pacer::new(4, Duration::from_secs(1)).unwrap().margin(), Some(0));
/// ```
pub const PACER_MARGIN: u32 = 10;

/// When others spend the same budget, the share of the server's limit that is spread out
/// instead of sent at once: the last quarter (`remaining - margin ≤ limit / 4`).
const SPREAD_DIVISOR: u32 = 4;
/// How many server-announced policies are kept (more are ignored).
const MAX_POLICIES: usize = 4;
/// A reset announced further away than this is taken as this (a garbled header must not stall
/// the client for days).
const MAX_RESET: Duration = Duration::from_secs(3600);
/// Server-announced windows longer than a day (daily quotas, garbled values) are ignored.
const MAX_POLICY_WINDOW_SECS: u64 = 24 * 60 * 60;
/// Two observations whose resets are this close belong to the same server window.
const SAME_WINDOW: Duration = Duration::from_secs(1);
/// How long before it is read an answer's rate-limit headers may have been written (the
/// server counts a request when it arrives, and answers after its work and the network): our
/// slots this much before the server's window are counted as ours, so that our own first
/// requests of a window are not taken for someone else's. Without it, a response read 0.1 s
/// after the server wrote it could miss the request that opened the window and make the pacer
/// leave hundreds of requests to a spender that does not exist. At most a tenth of the
/// server's window (`ANSWER_SLACK_DIVISOR`), so that short windows still see other spenders.
const ANSWER_SLACK: Duration = Duration::from_secs(10);
const ANSWER_SLACK_DIVISOR: u32 = 10;

/// The headroom kept below a limit of `requests` (see [`PACER_MARGIN`]); always `< requests`.
fn margin_for(requests: u32) -> u32 {
    (requests / 10).min(PACER_MARGIN)
}

/// When the next request may be sent: a sliding-window log of send times that spends the
/// budget of the current window at full speed, and follows the server's rate-limit headers.
///
/// A shell that sends from several threads wraps one [`Pacer`] in a `Mutex` and calls
/// [`Pacer::reserve`] under the lock before every request (each call books a distinct slot),
/// and [`Pacer::observe`] with the headers of every response it receives.
///
/// # Rules
///
/// A request asked for at `now` is booked at the earliest time `s ≥ now` that satisfies all of:
///
/// 1. **Order**: `s` is not before the last slot booked (so slots come out in call order).
/// 2. **Hold**: `s` is not before a [`pause_until`](Pacer::pause_until) (a 429's `Retry-After`).
/// 3. **Windows**: for every window `(n, w)` in force, `s` is at least `w` after the `n`-th most
///    recent slot. The windows in force are
///    - the configured limit `R` per `W`, less the margin: `n = R - min(10, R / 10)`
///      ([`PACER_MARGIN`]) unless [`Pacer::with_margin`] sets another (a
///      [`Pacer::server_driven`] pacer has none);
///    - the per-second cap `C` per 1 s, when one is set ([`Pacer::with_per_second_cap`]);
///    - each limit the server announces (`Ratelimit-Policy: "default";q=Q;w=W'`, or
///      `x-ratelimit-limit: Q` over the configured window), less its margin. Headers can add
///      limits but never lift one: the effective limit is the minimum of the configured one
///      and the server's. (An Enterprise account with a higher limit configures it with
///      [`Pacer::new`].) A server-driven pacer has only the server's limits: until one is
///      announced (and without a per-second cap) no window is in force.
/// 4. **Remaining**: the latest `remaining` count the server sent (`Ratelimit: r=…;t=…`,
///    `x-ratelimit-remaining`, or older drafts), less the margin, is what may be spent until
///    the server's reset (`t` seconds later; one window later when not announced); once it is
///    spent the pacer waits for the reset. The server counts every process using the same
///    token, so this count can be lower than the pacer's own log says; the lower one wins.
///    When the server has counted more requests in its window than this pacer sent (someone
///    else is spending the budget), or did so in the previous window:
///    - the other spender is expected to keep its pace: what it spent since the window
///      began, scaled to the time left until the reset, is left to it (in the first quarter
///      of a window, the pace measured before is used if it was faster);
///    - the last quarter of the server's limit is spread evenly over the time left instead of
///      sent at once, so that each response's falling count is seen before it is spent.
///
///    Alone on the token, the pacer spends all of it at once.
///
/// So a job that fits in the remaining budget runs at full speed: 100 requests out of a fresh
/// 1,200 per 5 minutes wait zero, where a rate-based pacer would spread them over 25 seconds.
///
/// # Guarantee
///
/// For every window `(n, w)` of rule 3, any half-open interval `[t, t + w)` holds at most `n`
/// of the slots booked while that window was in force, whatever the pattern of calls (even
/// with `now` values that go backwards, as happens when threads read the clock before taking
/// the lock). In particular the configured `R` per `W` is never exceeded, and a server-driven
/// pacer never sends more than an announced `Q - margin` per `W'` while that limit is in force.
///
/// Proof. By rule 1 the slots `s_1 ≤ s_2 ≤ …` are booked in non-decreasing order. Suppose
/// `n + 1` of them, `s_i ≤ … ≤ s_{i+n}`, lie in one interval `[t, t + w)`; then
/// `s_{i+n} - s_i < w`. When `s_{i+n}` was booked, the `n` slots before it were
/// `s_i … s_{i+n-1}`, so `s_i` was the `n`-th most recent. The log drops its oldest slot only
/// when it holds more than its capacity, the largest `n` in force (then the `n`-th most recent
/// is not the oldest), or when it is not the only slot and is at least the longest window ever
/// in force (`≥ w`) older than the newest one (`s_i` is not: nothing booked before `s_{i+n}` is later than it,
/// and `s_{i+n} - s_i < w`). So `s_i` was in the log, and rule 3 gave `s_{i+n} ≥ s_i + w`: a
/// contradiction.
///
/// A server limit of `Q` above the log's capacity `max(R - margin, C)` (for a server-driven
/// pacer `max(1,190, C)`, the capacity Cloudflare's limit needs) is enforced as
/// `capacity` per `⌈W' / k⌉` with `k = ⌊(Q - margin) / capacity⌋`: `k` such windows cover `W'`,
/// so `W'` holds at most `k · capacity ≤ Q - margin`.
///
/// The guarantee is about the send times the pacer hands out. Requests from other tools on the
/// same account count against the same Cloudflare limit, and network delay can bunch requests
/// on arrival; the margin and the server's `remaining` count cover a little of that, and
/// [`Pacer::new`] or [`Pacer::with_margin`] configure more.
///
/// # Example
/// ```
/// use kv_proto::Pacer;
/// use std::time::{Duration, Instant};
///
/// let mut pacer = Pacer::new(4, Duration::from_secs(1)).unwrap(); // 4 per second
/// let t0 = Instant::now();
/// for _ in 0..4 {
///     assert_eq!(pacer.reserve(t0), Duration::ZERO); // the window's budget goes at once
/// }
/// assert_eq!(pacer.reserve(t0), Duration::from_secs(1)); // then the next window
/// // A shell sleeps for the returned duration, sends, and feeds the response's headers back:
/// let mut headers = http::HeaderMap::new();
/// headers.insert("ratelimit", r#""default";r=0;t=5"#.parse().unwrap());
/// pacer.observe(&headers, t0 + Duration::from_secs(1));
/// assert_eq!(pacer.reserve(t0 + Duration::from_secs(1)), Duration::from_secs(5));
/// ```
///
/// `Clone` copies the schedule; clones do not share it. Share one pacer (behind a `Mutex`)
/// between all threads that use the same account. `Debug` shows the configuration and a
/// summary of the log, not every slot.
#[derive(Clone)]
pub struct Pacer {
    config: Option<Config>,
    /// Slots handed out, oldest first, non-decreasing; at most `config.capacity()` of them,
    /// none older than `longest` before the newest.
    log: VecDeque<Instant>,
    /// No slot before this (a 429's `Retry-After`).
    hold: Option<Instant>,
    /// The longest window ever in force: slots older than this (before the newest) never bind.
    longest: Duration,
    /// What the server said.
    server: Server,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("config", &self.config)
            .field("slots_remembered", &self.log.len())
            .field("last_slot", &self.log.back())
            .field("hold", &self.hold)
            .field("server", &self.server)
            .finish()
    }
}

/// `at` pushed to `floor` or later; `None` (never) absorbs.
fn not_before(at: Option<Instant>, floor: Option<Instant>) -> Option<Instant> {
    Some(at?.max(floor?))
}

impl Pacer {
    fn with_config(config: Option<Config>) -> Pacer {
        Pacer {
            config,
            log: VecDeque::new(),
            hold: None,
            longest: config.map_or(Duration::ZERO, |c| c.longest()),
            server: Server::default(),
        }
    }

    /// At most `requests` per `per` (less the margin, see [`PACER_MARGIN`]), each window's
    /// budget spent as fast as it is asked for. Errors on `requests == 0` or a zero `per`
    /// ([`Limit::Config`]).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::new(100, Duration::from_secs(10)).unwrap();
    /// assert_eq!(p.margin(), Some(10));
    /// let t0 = Instant::now();
    /// assert!((0..90).all(|_| p.reserve(t0).is_zero()));
    /// assert_eq!(p.reserve(t0), Duration::from_secs(10));
    /// assert!(Pacer::new(0, Duration::from_secs(1)).unwrap_err().is_invalid_input());
    /// assert!(Pacer::new(1, Duration::ZERO).is_err());
    /// ```
    pub fn new(requests: u32, per: Duration) -> Result<Pacer, Error> {
        Ok(Pacer::with_config(Some(Config::new(requests, per)?)))
    }

    /// Cloudflare's limits: 1,200 requests per 5 minutes per user ([`CLOUDFLARE_REQUESTS`] per
    /// [`CLOUDFLARE_WINDOW`]) with a margin of 10, and 200 per second per IP
    /// ([`CLOUDFLARE_PER_SECOND`]).
    ///
    /// Past 1,200 requests in 5 minutes Cloudflare answers 429 and blocks every API call of the
    /// user for the next 5 minutes, so staying under it is far cheaper than retrying. Within
    /// that, the pacer does not slow anything down: a job of a few hundred requests runs at the
    /// speed of the network, and only a job that outgrows the window waits for the next one
    /// (or for the server's reset, when it announces one).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::cloudflare_default();
    /// let t0 = Instant::now();
    /// let waits: Vec<Duration> = (0..1191).map(|_| p.reserve(t0)).collect();
    /// assert!(waits[..200].iter().all(|w| w.is_zero()));
    /// assert_eq!(waits[200], Duration::from_secs(1)); // at most 200 per second
    /// assert_eq!(waits[1189], Duration::from_secs(5)); // 1,190 in the first 5 seconds
    /// assert_eq!(waits[1190], Duration::from_secs(300)); // then the next window
    /// ```
    pub fn cloudflare_default() -> Pacer {
        // The constants are valid (requests ≥ 1, window > 0, margin < requests, cap ≥ 1).
        Pacer::with_config(Some(Config {
            requests: CLOUDFLARE_REQUESTS,
            per: CLOUDFLARE_WINDOW,
            margin: PACER_MARGIN,
            per_second: Some(CLOUDFLARE_PER_SECOND),
            driven: false,
        }))
    }

    /// A pacer with no limit of its own that follows the server: it never waits until a
    /// response announces a limit or a remaining count ([`Pacer::observe`]) or a 429 asks for
    /// a pause ([`Pacer::on_error`], [`Pacer::pause_until`]); from then on it keeps to what the
    /// server said, with the same margin and the same guarantee as any pacer (rules 2 to 4 of
    /// [`Pacer`]; rule 3 without a configured window).
    ///
    /// This is the pacer for a server whose limit is not known in advance: kv-ureq uses it for
    /// a loopback base URL (a local emulator), so a client that is unlimited against a plain
    /// emulator still stays under a rate limit the emulator enforces and announces.
    ///
    /// A limit announced by `x-ratelimit-limit` alone, which names no window, is taken over
    /// [`CLOUDFLARE_WINDOW`]; a `remaining` count with no limit announced is taken as out of a
    /// limit of that count (nobody else is assumed to spend it). At most
    /// [`CLOUDFLARE_REQUESTS`]` - `[`PACER_MARGIN`] send times are remembered; a larger
    /// announced limit is enforced as shown in the proof of the guarantee.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::server_driven();
    /// let t0 = Instant::now();
    /// assert!((0..5_000).all(|_| p.reserve(t0).is_zero())); // no headers: no waiting
    /// assert!(p.is_enabled() && p.is_server_driven());
    /// assert_eq!(p.limit(), None);
    ///
    /// // The server announces 20 per 10 s: 18 (20 less a margin of 2) per 10 s from now on.
    /// let mut h = http::HeaderMap::new();
    /// h.insert("ratelimit-policy", r#""default";q=20;w=10"#.parse().unwrap());
    /// p.observe(&h, t0);
    /// assert_eq!(p.server_limit(), Some((20, Duration::from_secs(10))));
    /// let t1 = t0 + Duration::from_secs(60);
    /// let waits: Vec<u64> = (0..19).map(|_| p.reserve(t1).as_secs()).collect();
    /// assert!(waits[..18].iter().all(|&w| w == 0));
    /// assert_eq!(waits[18], 10);
    /// ```
    pub fn server_driven() -> Pacer {
        // The constants are valid (requests ≥ 1, window > 0, margin < requests).
        Pacer::with_config(Some(Config {
            requests: CLOUDFLARE_REQUESTS,
            per: CLOUDFLARE_WINDOW,
            margin: PACER_MARGIN,
            per_second: None,
            driven: true,
        }))
    }

    /// A pacer that never waits (pacing switched off); it ignores headers and pauses.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::unlimited();
    /// let now = Instant::now();
    /// assert!((0..10_000).all(|_| p.reserve(now) == Duration::ZERO));
    /// assert!(!p.is_enabled());
    /// ```
    pub fn unlimited() -> Pacer {
        Pacer::with_config(None)
    }

    /// Keeps `margin` requests of headroom below the configured limit instead of the default
    /// `min(10, requests / 10)` ([`PACER_MARGIN`]). Errors unless `margin < requests`; an
    /// unlimited pacer accepts any margin and stays unlimited, and a server-driven one (which
    /// has no limit of its own; each announced limit keeps its own margin) ignores it. Keeps
    /// the schedule.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::new(10, Duration::from_secs(10)).unwrap().with_margin(3).unwrap();
    /// let t0 = Instant::now();
    /// let waits: Vec<u64> = (0..8).map(|_| p.reserve(t0).as_secs()).collect();
    /// assert_eq!(waits, [0, 0, 0, 0, 0, 0, 0, 10]);
    /// assert!(Pacer::new(10, Duration::from_secs(1)).unwrap().with_margin(10).is_err());
    /// ```
    pub fn with_margin(mut self, margin: u32) -> Result<Pacer, Error> {
        if let Some(c) = self.config.as_mut().filter(|c| !c.driven) {
            if margin >= c.requests {
                return Err(Error::invalid_input(
                    Limit::Config,
                    format!(
                        "pacer: the margin must be below the limit ({}), got {margin}",
                        c.requests
                    ),
                ));
            }
            c.margin = margin;
        }
        Ok(self)
    }

    /// Never more than `cap` requests in any second, on top of the window's limit (or, for a
    /// server-driven pacer, of the server's). Errors on zero; an unlimited pacer stays
    /// unlimited. Keeps the schedule.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::new(100, Duration::from_secs(60)).unwrap().with_per_second_cap(2).unwrap();
    /// let t0 = Instant::now();
    /// let waits: Vec<u64> = (0..5).map(|_| p.reserve(t0).as_secs()).collect();
    /// assert_eq!(waits, [0, 0, 1, 1, 2]);
    /// assert!(Pacer::cloudflare_default().with_per_second_cap(0).is_err());
    /// ```
    pub fn with_per_second_cap(mut self, cap: u32) -> Result<Pacer, Error> {
        if cap == 0 {
            return Err(Error::invalid_input(
                Limit::Config,
                "pacer: the per-second cap must be at least 1",
            ));
        }
        if let Some(c) = &mut self.config {
            c.per_second = Some(cap);
            self.longest = self.longest.max(c.longest());
        }
        Ok(self)
    }

    /// Whether the pacer ever makes callers wait.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// assert!(Pacer::cloudflare_default().is_enabled());
    /// assert!(!Pacer::unlimited().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.config.is_some()
    }

    /// Whether this is a [`Pacer::server_driven`] pacer (no limit of its own).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// assert!(Pacer::server_driven().is_server_driven());
    /// assert!(!Pacer::cloudflare_default().is_server_driven());
    /// assert!(!Pacer::unlimited().is_server_driven());
    /// ```
    pub fn is_server_driven(&self) -> bool {
        self.config.is_some_and(|c| c.driven)
    }

    /// The configured `(requests, per)`, or `None` when unlimited or server-driven. (Limits the
    /// server announces come on top: [`Pacer::server_limit`].)
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// let p = Pacer::new(5, Duration::from_secs(1)).unwrap();
    /// assert_eq!(p.limit(), Some((5, Duration::from_secs(1))));
    /// assert_eq!(Pacer::unlimited().limit(), None);
    /// ```
    pub fn limit(&self) -> Option<(u32, Duration)> {
        self.config
            .filter(|c| !c.driven)
            .map(|c| (c.requests, c.per))
    }

    /// How many requests a fresh pacer sends back to back: the configured limit less the
    /// margin, or the per-second cap if that is smaller. `None` when unlimited, and for a
    /// server-driven pacer without a per-second cap.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// let p = Pacer::new(50, Duration::from_secs(1)).unwrap();
    /// assert_eq!(p.burst(), Some(45));
    /// assert_eq!(p.with_per_second_cap(20).unwrap().burst(), Some(20));
    /// assert_eq!(Pacer::unlimited().burst(), None);
    /// ```
    pub fn burst(&self) -> Option<u32> {
        let c = self.config?;
        if c.driven {
            return c.per_second;
        }
        Some(c.budget().min(c.per_second.unwrap_or(u32::MAX)))
    }

    /// The headroom kept below the configured limit, or `None` when unlimited or server-driven
    /// (each limit the server announces keeps `min(10, limit / 10)` below it).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// assert_eq!(Pacer::new(1200, Duration::from_secs(300)).unwrap().margin(), Some(10));
    /// assert_eq!(Pacer::unlimited().margin(), None);
    /// ```
    pub fn margin(&self) -> Option<u32> {
        self.config.filter(|c| !c.driven).map(|c| c.margin)
    }

    /// The per-second cap, if one is set.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// assert_eq!(Pacer::cloudflare_default().per_second_cap(), Some(200));
    /// assert_eq!(Pacer::new(5, Duration::from_secs(1)).unwrap().per_second_cap(), None);
    /// ```
    pub fn per_second_cap(&self) -> Option<u32> {
        self.config.and_then(|c| c.per_second)
    }

    /// The tightest limit the server announced that is in force, as `(requests, per)` (the
    /// lowest rate), or `None`. A limit from `x-ratelimit-limit`, which names no window, is
    /// taken over the configured window.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::cloudflare_default();
    /// let mut h = http::HeaderMap::new();
    /// h.insert("ratelimit-policy", r#""burst";q=100;w=60"#.parse().unwrap());
    /// p.observe(&h, Instant::now());
    /// assert_eq!(p.server_limit(), Some((100, Duration::from_secs(60))));
    /// ```
    pub fn server_limit(&self) -> Option<(u32, Duration)> {
        self.config?;
        self.server
            .policies
            .iter()
            .flatten()
            .min_by(|a, b| {
                // a.requests / a.per < b.requests / b.per, without division.
                let lhs = u128::from(a.requests) * b.per.as_nanos();
                let rhs = u128::from(b.requests) * a.per.as_nanos();
                lhs.cmp(&rhs)
            })
            .map(|w| (w.requests, w.per))
    }

    /// All windows in force: configured (unless server-driven), per-second cap,
    /// server-announced.
    fn windows(&self, c: &Config) -> [Option<Window>; 2 + MAX_POLICIES] {
        let mut all = [None; 2 + MAX_POLICIES];
        all[0] = (!c.driven).then_some(Window {
            requests: c.budget(),
            per: c.per,
        });
        all[1] = c.per_second.map(|n| Window {
            requests: n,
            per: Duration::from_secs(1),
        });
        for (slot, p) in all[2..].iter_mut().zip(self.server.policies) {
            *slot = p.map(|p| c.server_window(p.requests, p.per));
        }
        all
    }

    /// Books the next slot for a request that wants to go at `now`; returns how long to wait
    /// before sending (zero: send at once). Every call books a slot, so call it once per
    /// request actually sent (including each retry). Returns `Duration::MAX` without booking
    /// if the slot lies beyond what `Instant` can represent (absurd configurations only).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::new(2, Duration::from_secs(1)).unwrap();
    /// let t0 = Instant::now();
    /// assert_eq!(p.reserve(t0), Duration::ZERO);
    /// assert_eq!(p.reserve(t0 + Duration::from_millis(100)), Duration::ZERO);
    /// // The third request in a second waits until the first one is a second old.
    /// assert_eq!(p.reserve(t0 + Duration::from_millis(200)), Duration::from_millis(800));
    /// // After a quiet spell there is no debt.
    /// assert_eq!(p.reserve(t0 + Duration::from_secs(10)), Duration::ZERO);
    /// ```
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let Some(c) = self.config else {
            return Duration::ZERO;
        };
        // Rules 1 and 2: call order and hold.
        let mut at = Some(now);
        for floor in [self.log.back().copied(), self.hold].into_iter().flatten() {
            at = not_before(at, Some(floor));
        }
        // Rule 3: the n-th most recent slot must be at least w old.
        for w in self.windows(&c).into_iter().flatten() {
            let n = w.requests as usize;
            if let Some(i) = self.log.len().checked_sub(n) {
                at = not_before(at, self.log[i].checked_add(w.per));
            }
        }
        // Rule 4: the server's remaining count, until its reset.
        if let (Some(rem), Some(t)) = (self.server.remaining, at) {
            if rem.reset().is_some_and(|reset| reset <= t) {
                self.server.remaining = None; // the server's window has rolled over
            } else {
                at = not_before(at, rem.floor());
            }
        }
        let Some(at) = at else {
            return Duration::MAX;
        };
        self.log.push_back(at);
        // Forget slots that can never bind again (see the proof).
        let capacity = c.capacity() as usize;
        while self.log.len() > capacity {
            self.log.pop_front();
        }
        // The newest slot stays (rule 1), even when no window is in force yet.
        while let Some(&first) = self.log.front().filter(|_| self.log.len() > 1) {
            match first.checked_add(self.longest) {
                Some(expires) if expires <= at => self.log.pop_front(),
                _ => break,
            };
        }
        if let Some(rem) = &mut self.server.remaining {
            rem.booked = rem.booked.saturating_add(1);
        }
        at.saturating_duration_since(now)
    }

    /// Learns from one response's headers, read at `now` (call it for every response,
    /// successful or not, including 429s). Reads both header forms Cloudflare has documented,
    /// and older drafts of the IETF one:
    ///
    /// | Header | Read as |
    /// |---|---|
    /// | `Ratelimit-Policy: "default";q=1200;w=300` (several items allowed; `100;w=60` too) | a limit of `q` per `w` seconds |
    /// | `Ratelimit: "default";r=50;t=30` | `r` requests left, reset in `t` seconds |
    /// | `RateLimit: limit=100, remaining=50, reset=30` (older draft) | limit over the configured window; remaining and reset |
    /// | `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (older draft) | the same, one header each |
    /// | `x-ratelimit-limit: 1200`, `x-ratelimit-remaining: 1150` | limit over the configured window; remaining with an unknown reset (taken as one window away) |
    ///
    /// `x-ratelimit-reset` (an HTTP date, on 429 only) is not read: the 429's `Retry-After`
    /// goes to [`Pacer::pause_until`]. Limits over windows longer than a day are ignored, and
    /// so is anything unparsable; nothing here panics.
    ///
    /// A limit without a window that a `Ratelimit-Policy` of the same response announces with
    /// one takes that window. A response that announces limits replaces the limits announced
    /// before; one that announces none keeps them. A `remaining` count replaces the previous
    /// one, unless it belongs to the same server window (reset within a second of the previous
    /// one) and is higher: a response that was overtaken by later ones must not give back
    /// budget. When several remaining counts are sent, the lowest wins. A reset further than
    /// an hour away is taken as an hour. How the count is spent is rule 4 of [`Pacer`].
    ///
    /// No effect on an unlimited pacer.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::cloudflare_default();
    /// let t0 = Instant::now();
    /// let headers = |r: u32, t: u32| {
    ///     let mut h = http::HeaderMap::new();
    ///     h.insert("ratelimit", format!(r#""default";r={r};t={t}"#).parse().unwrap());
    ///     h.insert("ratelimit-policy", r#""default";q=1200;w=300"#.parse().unwrap());
    ///     h
    /// };
    /// // Alone: 100 requests, and the server counted those 100.
    /// assert!((0..100).all(|_| p.reserve(t0).is_zero()));
    /// p.observe(&headers(1100, 299), t0 + Duration::from_secs(1));
    /// assert!(p.reserve(t0 + Duration::from_secs(1)).is_zero());
    /// // A minute later the server has counted 700: another process spent 599 in that minute.
    /// // At that pace it takes the rest by the reset, 4 minutes away: this pacer waits for it.
    /// let t1 = t0 + Duration::from_secs(60);
    /// p.observe(&headers(500, 240), t1);
    /// assert_eq!(p.reserve(t1), Duration::from_secs(240));
    /// ```
    pub fn observe(&mut self, headers: &HeaderMap, now: Instant) {
        let Some(c) = self.config else {
            return;
        };
        let seen = Announced::parse(headers);
        let mut policies = [None; MAX_POLICIES];
        let mut slots = policies.iter_mut();
        for (q, w) in seen.policies.into_iter().flatten() {
            // A limit without a window (x-ratelimit-limit) that another header of the same
            // response gives a window for is that limit.
            if w.is_none()
                && seen
                    .policies
                    .iter()
                    .flatten()
                    .any(|p| p.0 == q && p.1.is_some())
            {
                continue;
            }
            let Ok(requests) = u32::try_from(q) else {
                continue; // above any configured limit (and beyond any server-driven log)
            };
            let per = match w {
                Some(secs @ 1..=MAX_POLICY_WINDOW_SECS) => Duration::from_secs(secs),
                Some(_) => continue, // no window, or a daily (or garbled) one
                None => c.per,
            };
            if requests == 0 {
                continue;
            }
            if let Some(slot) = slots.next() {
                *slot = Some(Window { requests, per });
                self.longest = self.longest.max(per);
            }
        }
        if policies.iter().any(Option::is_some) {
            self.server.policies = policies;
        }

        let Some((r, t)) = seen.remaining else {
            return;
        };
        // The limit the count is out of: the smallest announced, else the configured one
        // (server-driven: the count itself, so that nobody else is assumed to spend it).
        let own = if c.driven {
            u32::try_from(r).unwrap_or(u32::MAX).max(1)
        } else {
            c.requests
        };
        let (limit, window) = self
            .server
            .policies
            .iter()
            .flatten()
            .map(|w| (w.requests, w.per))
            .min_by_key(|&(q, _)| q)
            .unwrap_or((own, c.per));
        let r = u32::try_from(r).unwrap_or(u32::MAX).min(limit);
        let usable = r.saturating_sub(margin_for(limit));
        let horizon = t
            .map_or(window, Duration::from_secs)
            .min(MAX_RESET)
            .max(Duration::from_secs(1)); // `t` is rounded to whole seconds; 0 is "under 1 s"
        // Is anyone else spending this budget? The server has counted `limit - r` requests in
        // its window; this pacer's own slots in that window explain some of them. The window
        // began one window before the reset, less a second for the rounding of `t` (without
        // `t`: one window ago). Requests in flight are among our slots but maybe not yet
        // counted, and our slots are counted from a little before that start (the headers
        // were written when the server counted, a while before we read them; see
        // `ANSWER_SLACK`), so this does not see others where there are none.
        let elapsed = match t {
            Some(_) => window
                .saturating_add(Duration::from_secs(1))
                .saturating_sub(horizon),
            None => window,
        };
        let slack = ANSWER_SLACK.min(window / ANSWER_SLACK_DIVISOR);
        let start = now.checked_sub(elapsed.saturating_add(slack));
        let from = start.map_or(0, |start| self.log.partition_point(|&s| s < start));
        let to = self.log.partition_point(|&s| s <= now);
        let ours = u32::try_from(to.saturating_sub(from)).unwrap_or(u32::MAX);
        let others = (limit - r).saturating_sub(ours);
        // Their pace: as measured in this window, or as remembered from the last one while
        // this window is too young to tell (someone who spent steadily before will go on).
        let measured = Rate {
            spent: others,
            over: elapsed.max(Duration::from_secs(1)),
        };
        let rate = match self.server.others {
            Some(old) if elapsed < window / 4 && old.faster_than(measured) => old,
            _ => measured,
        };
        let (usable, free) = if rate.spent > 0 {
            // Leave them what they will spend by the reset at that pace, and spread the last
            // quarter of the limit so that a falling count is seen in time.
            let theirs = u128::from(rate.spent) * horizon.as_nanos() / rate.over.as_nanos();
            let usable = usable.saturating_sub(u32::try_from(theirs).unwrap_or(u32::MAX));
            (usable, usable.saturating_sub(limit / SPREAD_DIVISOR))
        } else {
            (usable, usable)
        };
        // Slots booked for later are not counted by the server yet.
        let booked = self.log.len() - to;
        let fresh = Remaining {
            since: now,
            count: r,
            usable,
            free,
            horizon,
            booked: u32::try_from(booked).unwrap_or(u32::MAX),
        };
        let keep_old = self.server.remaining.is_some_and(|old| {
            let same_window = match (old.reset(), fresh.reset()) {
                (Some(o), Some(f)) => o > now && f <= o.checked_add(SAME_WINDOW).unwrap_or(o),
                _ => false,
            };
            same_window && fresh.count > old.count
        });
        if !keep_old {
            self.server.remaining = Some(fresh);
            self.server.others = Some(rate);
        }
    }

    /// Pushes every slot not yet handed out to `until` or later, for example after a 429 with
    /// `Retry-After`, so that all threads back off together. After the pause the window rules
    /// apply as before (slots handed out before the pause still count). Has no effect on an
    /// unlimited pacer, or if a later hold is already in place.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::cloudflare_default();
    /// let t0 = Instant::now();
    /// p.pause_until(t0 + Duration::from_secs(60));
    /// assert_eq!(p.reserve(t0), Duration::from_secs(60));
    /// assert_eq!(p.reserve(t0), Duration::from_secs(60));
    /// ```
    pub fn pause_until(&mut self, until: Instant) {
        if self.config.is_none() {
            return;
        }
        self.hold = Some(self.hold.map_or(until, |h| h.max(until)));
    }

    /// Applies the server's rate-limit answer to the shared schedule: when `error` is a rate
    /// limit ([`Error::is_rate_limited`]) with a `Retry-After`, pauses every slot until that
    /// wait is over (see [`Pacer::pause_until`]), so all threads back off together instead of
    /// each earning its own 429. Returns the instant it holds until, or `None` (any other
    /// error, no `Retry-After`, or an unlimited pacer).
    ///
    /// `now` is the monotonic clock the pacer runs on; `wall_clock` is the same moment as a
    /// `SystemTime`, needed for a `Retry-After` in HTTP-date form. A shell calls this before it
    /// sleeps for a retry; when it gives up instead (for example because the wait exceeds
    /// [`crate::RetryPolicy::with_max_retry_after`]) it leaves the schedule alone, so later
    /// requests are not held for a wait the caller refused.
    ///
    /// ```
    /// use kv_proto::{Error, GetNamespace, NamespaceId, Operation, Pacer};
    /// use std::time::{Duration, Instant, SystemTime};
    ///
    /// # let op = GetNamespace::new(NamespaceId::new("ns1")?);
    /// let body = br#"{"success":false,"errors":[{"code":10000,"message":"rate limited"}]}"#;
    /// let answer = http::Response::builder().status(429).header("retry-after", "30").body(&body[..]).unwrap();
    /// let err = op.parse(answer).unwrap_err();
    ///
    /// let mut pacer = Pacer::cloudflare_default();
    /// let now = Instant::now();
    /// assert_eq!(pacer.on_error(&err, now, SystemTime::now()), Some(now + Duration::from_secs(30)));
    /// assert_eq!(pacer.reserve(now), Duration::from_secs(30)); // every thread waits
    ///
    /// // Other errors leave the schedule alone.
    /// assert_eq!(pacer.on_error(&Error::protocol("x"), now, SystemTime::now()), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn on_error(
        &mut self,
        error: &Error,
        now: Instant,
        wall_clock: SystemTime,
    ) -> Option<Instant> {
        if !self.is_enabled() || !error.is_rate_limited() {
            return None;
        }
        let wait = error.retry_after()?.delay_from(wall_clock);
        let until = now.checked_add(wait)?;
        self.pause_until(until);
        Some(until)
    }
}

impl Default for Pacer {
    /// [`Pacer::cloudflare_default`].
    fn default() -> Pacer {
        Pacer::cloudflare_default()
    }
}

/// Nanoseconds to a `Duration`, saturating at `u64::MAX` seconds (shared with `retry`).
pub(crate) fn nanos_to_duration(nanos: u128) -> Duration {
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder is below 10^9 and fits.
    let sub = (nanos % 1_000_000_000) as u32;
    Duration::new(secs, sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const SECS: fn(u64) -> Duration = Duration::from_secs;

    /// The most of `sends` in any half-open window of length `per`.
    fn max_in_window(sends: &mut [Instant], per: Duration) -> usize {
        sends.sort();
        let mut best = 0;
        let mut lo = 0;
        for hi in 0..sends.len() {
            while sends[hi].duration_since(sends[lo]) >= per {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn parse(pairs: &[(&'static str, &str)]) -> Announced {
        Announced::parse(&headers(pairs))
    }

    fn policies(a: &Announced) -> Vec<(u64, Option<u64>)> {
        a.policies.iter().flatten().copied().collect()
    }

    #[test]
    fn rejects_bad_config() {
        for (r, per) in [(0, MS(1000)), (5, Duration::ZERO)] {
            let e = Config::new(r, per).unwrap_err();
            assert_eq!(e.limit(), Some(Limit::Config), "{r} {per:?}");
        }
        assert!(Pacer::new(0, MS(1)).is_err());
        let p = Pacer::new(5, MS(1)).unwrap();
        assert_eq!(
            p.clone().with_margin(5).unwrap_err().limit(),
            Some(Limit::Config)
        );
        assert!(p.clone().with_margin(4).is_ok());
        assert!(p.with_per_second_cap(0).is_err());
        assert!(Pacer::unlimited().with_margin(7).unwrap().limit().is_none());
        assert!(
            !Pacer::unlimited()
                .with_per_second_cap(7)
                .unwrap()
                .is_enabled()
        );
    }

    #[test]
    fn margins() {
        for (r, m) in [
            (1, 0),
            (9, 0),
            (10, 1),
            (60, 6),
            (99, 9),
            (100, 10),
            (1200, 10),
        ] {
            assert_eq!(margin_for(r), m, "{r}");
            assert_eq!(Pacer::new(r, SECS(1)).unwrap().margin(), Some(m));
        }
    }

    #[test]
    fn cloudflare_default_spends_the_window() {
        let mut p = Pacer::cloudflare_default();
        assert_eq!(p.limit(), Some((1200, SECS(300))));
        assert_eq!(p.burst(), Some(200));
        assert_eq!(p.margin(), Some(10));
        assert_eq!(p.per_second_cap(), Some(200));
        assert!(p.is_enabled());
        assert_eq!(Pacer::default().limit(), p.limit());

        let t0 = Instant::now();
        let mut sends: Vec<Instant> = (0..3000).map(|_| t0 + p.reserve(t0)).collect();
        for (i, s) in sends.iter().enumerate().take(1190) {
            assert_eq!(*s - t0, SECS(i as u64 / 200), "{i}");
        }
        assert_eq!(sends[1190] - t0, SECS(300));
        assert_eq!(sends[2380] - t0, SECS(600));
        assert_eq!(max_in_window(&mut sends, SECS(300)), 1190);
        assert_eq!(max_in_window(&mut sends, SECS(1)), 200);
    }

    #[test]
    fn sends_in_call_order_and_waits_only_the_rest() {
        let mut p = Pacer::new(2, SECS(1)).unwrap();
        let t0 = Instant::now();
        assert_eq!(p.reserve(t0), Duration::ZERO);
        assert_eq!(p.reserve(t0 + MS(300)), Duration::ZERO);
        assert_eq!(p.reserve(t0 + MS(400)), MS(600)); // at t0 + 1 s
        assert_eq!(p.reserve(t0 + MS(500)), MS(800)); // at t0 + 1.3 s
        // A `now` from before the last slot (a thread that read the clock early) waits for it.
        assert_eq!(p.reserve(t0), SECS(2));
        assert_eq!(p.reserve(t0 + SECS(10)), Duration::ZERO);
    }

    #[test]
    fn pause_holds_every_slot() {
        let mut p = Pacer::new(4, SECS(1)).unwrap();
        let t0 = Instant::now();
        assert_eq!(p.reserve(t0), Duration::ZERO);
        p.pause_until(t0 + SECS(5));
        assert_eq!(p.reserve(t0 + MS(10)), MS(4990));
        assert_eq!(p.reserve(t0 + MS(10)), MS(4990));
        // An earlier pause changes nothing.
        p.pause_until(t0 + MS(100));
        assert_eq!(p.reserve(t0 + MS(10)), MS(4990));
        // The window still counts: 3 slots at t0 + 5 s, so the fourth of that second goes too,
        // and the fifth waits a second.
        assert_eq!(p.reserve(t0 + MS(10)), MS(4990));
        assert_eq!(p.reserve(t0 + MS(10)), MS(5990));
    }

    #[test]
    fn unlimited_never_waits_and_ignores_headers() {
        let mut p = Pacer::unlimited();
        let t0 = Instant::now();
        p.pause_until(t0 + SECS(3600));
        p.observe(&headers(&[("ratelimit", "\"default\";r=0;t=60")]), t0);
        assert!((0..1000).all(|_| p.reserve(t0).is_zero()));
        assert_eq!(p.limit(), None);
        assert_eq!(p.burst(), None);
        assert_eq!(p.margin(), None);
        assert_eq!(p.server_limit(), None);
    }

    #[test]
    fn server_driven_follows_only_the_server() {
        let mut p = Pacer::server_driven();
        assert!(p.is_enabled() && p.is_server_driven());
        assert_eq!((p.limit(), p.burst(), p.margin()), (None, None, None));
        assert!(p.clone().with_margin(0).unwrap().is_server_driven());
        let capped = p.clone().with_per_second_cap(3).unwrap();
        assert_eq!(
            (capped.burst(), capped.per_second_cap()),
            (Some(3), Some(3))
        );
        let t0 = Instant::now();
        // No headers: never waits, however many.
        assert!((0..5000).all(|_| p.reserve(t0).is_zero()));
        // A 429's Retry-After holds every slot.
        p.pause_until(t0 + SECS(2));
        assert_eq!(p.reserve(t0), SECS(2));
        // x-ratelimit-limit alone: over Cloudflare's window; 50 less a margin of 5.
        let mut p = Pacer::server_driven();
        p.observe(&headers(&[("x-ratelimit-limit", "50")]), t0);
        assert_eq!(p.server_limit(), Some((50, SECS(300))));
        let waits: Vec<Duration> = (0..46).map(|_| p.reserve(t0)).collect();
        assert!(waits[..45].iter().all(|w| w.is_zero()));
        assert_eq!(waits[45], SECS(300));
        // A remaining count with no limit: the count (less its margin) until the reset.
        let mut p = Pacer::server_driven();
        p.observe(&headers(&[("ratelimit", "\"default\";r=3;t=7")]), t0);
        let waits: Vec<Duration> = (0..4).map(|_| p.reserve(t0)).collect();
        assert_eq!(
            waits,
            [Duration::ZERO, Duration::ZERO, Duration::ZERO, SECS(7)]
        );
        // A larger limit than the log holds is split, still within it.
        let mut p = Pacer::server_driven();
        p.observe(&headers(&[("ratelimit-policy", "\"d\";q=5000;w=10")]), t0);
        let mut sends: Vec<Instant> = (0..12_000).map(|_| t0 + p.reserve(t0)).collect();
        assert!(max_in_window(&mut sends, SECS(10)) <= 4990);
    }

    #[test]
    fn a_rate_limit_with_retry_after_holds_the_schedule() {
        use crate::error::{ErrorKind, HttpError, ResponseMeta};
        use std::time::UNIX_EPOCH;
        let answer = |status: u16, retry_after: Option<&str>| {
            let mut h = http::HeaderMap::new();
            if let Some(v) = retry_after {
                h.insert(http::header::RETRY_AFTER, v.parse().unwrap());
            }
            let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
            Error::new(ErrorKind::Http(HttpError {
                meta,
                excerpt: String::new(),
            }))
        };
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut p = Pacer::new(4, MS(1000)).unwrap();
        // Delta-seconds.
        assert_eq!(
            p.on_error(&answer(429, Some("2")), t0, wall),
            Some(t0 + Duration::from_secs(2))
        );
        assert_eq!(p.reserve(t0), Duration::from_secs(2));
        // HTTP-date form, read against the wall clock given.
        let mut p = Pacer::new(4, MS(1000)).unwrap();
        let date = httpdate::fmt_http_date(wall + Duration::from_secs(7));
        assert_eq!(
            p.on_error(&answer(429, Some(&date)), t0, wall),
            Some(t0 + Duration::from_secs(7))
        );
        assert_eq!(p.reserve(t0), Duration::from_secs(7));
        // No Retry-After, not a rate limit, or an unlimited pacer: nothing held.
        let mut p = Pacer::new(4, MS(1000)).unwrap();
        assert_eq!(p.on_error(&answer(429, None), t0, wall), None);
        assert_eq!(p.on_error(&answer(503, Some("60")), t0, wall), None);
        assert_eq!(p.reserve(t0), Duration::ZERO);
        let mut u = Pacer::unlimited();
        assert_eq!(u.on_error(&answer(429, Some("60")), t0, wall), None);
        assert_eq!(u.reserve(t0), Duration::ZERO);
    }

    #[test]
    fn extreme_configs_do_not_panic() {
        let t0 = Instant::now();
        let mut p = Pacer::new(u32::MAX, Duration::from_nanos(1)).unwrap();
        assert_eq!(p.reserve(t0), Duration::ZERO);
        let mut p = Pacer::new(1, Duration::MAX).unwrap();
        assert_eq!(p.reserve(t0), Duration::ZERO);
        // The next slot is unrepresentably far; nothing is booked.
        assert_eq!(p.reserve(t0), Duration::MAX);
        assert_eq!(p.reserve(t0), Duration::MAX);
        let mut p = Pacer::new(u32::MAX, Duration::MAX)
            .unwrap()
            .with_per_second_cap(u32::MAX)
            .unwrap();
        p.pause_until(t0 + SECS(1));
        assert_eq!(p.reserve(t0), SECS(1));
        p.observe(&headers(&[("ratelimit-policy", "q=1;w=86400")]), t0);
        let _ = p.reserve(t0);
        for mut p in [
            Pacer::new(5, Duration::MAX).unwrap(),
            Pacer::new(u32::MAX, Duration::from_nanos(1)).unwrap(),
        ] {
            for now in [t0, t0 + SECS(1), t0] {
                p.observe(&headers(&[("x-ratelimit-remaining", "1")]), now);
                p.observe(&headers(&[("ratelimit", "r=1;t=99999999999")]), now);
                p.observe(&headers(&[("ratelimit", "limit=9, remaining=0")]), now);
                let _ = p.reserve(now);
            }
        }
        assert!(format!("{p:?}").contains("slots_remembered"));
    }

    #[test]
    fn parses_the_ietf_form() {
        let a = parse(&[
            ("ratelimit", "\"default\";r=50;t=30"),
            ("ratelimit-policy", "\"default\";q=100;w=60"),
        ]);
        assert_eq!(policies(&a), [(100, Some(60))]);
        assert_eq!(a.remaining, Some((50, Some(30))));
        // Several policies and counts: all limits, the lowest count.
        let a = parse(&[
            ("ratelimit", "\"burst\";r=80;t=5, \"day\";r=7;t=3000"),
            (
                "ratelimit-policy",
                "\"burst\";q=100;w=60, \"day\";q=1000;w=86400",
            ),
            ("ratelimit-policy", "200;w=10"),
        ]);
        assert_eq!(
            policies(&a),
            [(100, Some(60)), (1000, Some(86400)), (200, Some(10))]
        );
        assert_eq!(a.remaining, Some((7, Some(3000))));
        // Case and spaces are tolerated.
        let a = parse(&[("RateLimit", " \"x\" ; R=3 ; T=4 ")]);
        assert_eq!(a.remaining, Some((3, Some(4))));
    }

    #[test]
    fn parses_the_legacy_and_older_draft_forms() {
        let a = parse(&[
            ("x-ratelimit-limit", "1200"),
            ("x-ratelimit-remaining", "1150"),
        ]);
        assert_eq!(policies(&a), [(1200, None)]);
        assert_eq!(a.remaining, Some((1150, None)));
        let a = parse(&[("ratelimit", "limit=100, remaining=50, reset=30")]);
        assert_eq!(policies(&a), [(100, None)]);
        assert_eq!(a.remaining, Some((50, Some(30))));
        let a = parse(&[
            ("ratelimit-limit", "100, 100;w=60"),
            ("ratelimit-remaining", "9"),
            ("ratelimit-reset", "12"),
        ]);
        assert_eq!(policies(&a), [(100, None), (100, Some(60))]);
        assert_eq!(a.remaining, Some((9, Some(12))));
        // Both forms at once: the lower count wins; on a tie the one with a reset.
        let a = parse(&[
            ("x-ratelimit-remaining", "40"),
            ("ratelimit", "\"default\";r=40;t=20"),
        ]);
        assert_eq!(a.remaining, Some((40, Some(20))));
        // x-ratelimit-reset is a date and is not read.
        let a = parse(&[("x-ratelimit-reset", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(a, Announced::default());
    }

    #[test]
    fn ignores_garbage() {
        for v in [
            "",
            ";",
            ",,,",
            "r=",
            "\"default\";r=-1;t=5",
            "\"default\";r=1.5;t=5",
            "\"default\";r=abc",
            "q=;w=",
            "=5",
            "r==5",
            "\u{7f}",
        ] {
            let Ok(value) = http::HeaderValue::from_str(v) else {
                continue;
            };
            let mut h = HeaderMap::new();
            for name in [
                "ratelimit",
                "ratelimit-policy",
                "ratelimit-limit",
                "ratelimit-remaining",
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
            ] {
                h.insert(name, value.clone());
            }
            assert_eq!(Announced::parse(&h), Announced::default(), "{v:?}");
        }
        let mut h = HeaderMap::new();
        h.insert(
            "x-ratelimit-remaining",
            http::HeaderValue::from_bytes(b"\xff5").unwrap(),
        );
        assert_eq!(Announced::parse(&h), Announced::default());
        // Huge numbers saturate instead of failing.
        let a = parse(&[("x-ratelimit-remaining", "99999999999999999999999")]);
        assert_eq!(a.remaining, Some((u64::MAX, None)));
    }

    #[test]
    fn a_smaller_server_limit_is_adopted_a_larger_one_is_not() {
        let t0 = Instant::now();
        let mut p = Pacer::cloudflare_default();
        p.observe(
            &headers(&[("ratelimit-policy", "\"default\";q=20;w=10")]),
            t0,
        );
        assert_eq!(p.server_limit(), Some((20, SECS(10))));
        // 20 less a margin of 2 per 10 s.
        let waits: Vec<Duration> = (0..19).map(|_| p.reserve(t0)).collect();
        assert!(waits[..18].iter().all(|w| w.is_zero()));
        assert_eq!(waits[18], SECS(10));

        let mut p = Pacer::new(10, SECS(10)).unwrap();
        p.observe(
            &headers(&[("ratelimit-policy", "\"default\";q=1000;w=10")]),
            t0,
        );
        let waits: Vec<Duration> = (0..10).map(|_| p.reserve(t0)).collect();
        assert!(waits[..9].iter().all(|w| w.is_zero()));
        assert_eq!(waits[9], SECS(10));

        // x-ratelimit-limit names no window: the configured one is used.
        let mut p = Pacer::new(100, SECS(60)).unwrap();
        p.observe(&headers(&[("x-ratelimit-limit", "30")]), t0);
        assert_eq!(p.server_limit(), Some((30, SECS(60))));
        let waits: Vec<Duration> = (0..28).map(|_| p.reserve(t0)).collect();
        assert!(waits[..27].iter().all(|w| w.is_zero()));
        assert_eq!(waits[27], SECS(60));

        // A response without limits keeps the ones in force; a new announcement replaces them.
        p.observe(&HeaderMap::new(), t0);
        assert_eq!(p.server_limit(), Some((30, SECS(60))));
        p.observe(&headers(&[("ratelimit-policy", "50;w=60")]), t0);
        assert_eq!(p.server_limit(), Some((50, SECS(60))));
        // Windows over a day and zero limits are ignored.
        p.observe(
            &headers(&[("ratelimit-policy", "5;w=86401, 0;w=10, 7;w=0")]),
            t0,
        );
        assert_eq!(p.server_limit(), Some((50, SECS(60))));
    }

    #[test]
    fn a_server_limit_beyond_the_log_is_split() {
        // Capacity 9; the server's 100 (90 after margin) per 100 s becomes 9 per 10 s.
        let c = Config::new(10, SECS(1)).unwrap();
        assert_eq!(
            c.server_window(100, SECS(100)),
            Window {
                requests: 9,
                per: SECS(10)
            }
        );
        // 95 less 9 = 86: k = 9, windows of ceil(100 s / 9).
        let w = c.server_window(95, SECS(100));
        assert_eq!(w.requests, 9);
        assert_eq!(w.per, Duration::from_nanos(11_111_111_112));
    }

    #[test]
    fn zero_remaining_waits_for_the_reset() {
        let t0 = Instant::now();
        let mut p = Pacer::cloudflare_default();
        p.observe(&headers(&[("ratelimit", "\"default\";r=0;t=42")]), t0);
        assert_eq!(p.reserve(t0), SECS(42));
        assert_eq!(p.reserve(t0 + SECS(1)), SECS(41));
        // Within the margin counts as none left.
        let mut p = Pacer::cloudflare_default();
        p.observe(&headers(&[("ratelimit", "\"default\";r=10;t=5")]), t0);
        assert_eq!(p.reserve(t0), SECS(5));
        // A reset of 0 s means "under a second".
        let mut p = Pacer::cloudflare_default();
        p.observe(&headers(&[("ratelimit", "\"default\";r=0;t=0")]), t0);
        assert_eq!(p.reserve(t0), SECS(1));
        // A reset is at most an hour away.
        let mut p = Pacer::new(10, SECS(10)).unwrap();
        p.observe(&headers(&[("ratelimit", "\"default\";r=0;t=100000")]), t0);
        assert_eq!(p.reserve(t0), SECS(3600));
        // Without a reset (legacy headers), one window.
        let mut p = Pacer::new(100, SECS(60)).unwrap();
        p.observe(&headers(&[("x-ratelimit-remaining", "0")]), t0);
        assert_eq!(p.reserve(t0), SECS(60));
    }

    #[test]
    fn alone_the_remaining_count_goes_at_once() {
        let t0 = Instant::now();
        let mut p = Pacer::new(100, SECS(100)).unwrap();
        assert!((0..40).all(|_| p.reserve(t0).is_zero()));
        // The server counted exactly these 40: 60 left, 50 after the margin.
        p.observe(
            &headers(&[("ratelimit", "\"default\";r=60;t=52")]),
            t0 + MS(100),
        );
        let waits: Vec<Duration> = (0..51).map(|_| p.reserve(t0 + MS(100))).collect();
        assert!(waits[..50].iter().all(|w| w.is_zero()));
        // The 91st in 100 s waits for the configured window.
        assert_eq!(waits[50], MS(99_900));
    }

    #[test]
    fn shared_the_others_pace_is_left_to_them_and_the_rest_spread() {
        let t0 = Instant::now();
        let mut p = Pacer::new(100, SECS(100)).unwrap();
        // 40 counted by the server, none of them ours, in the 49 s since its window began
        // (100 s window, reset in 52 s, less a second for the rounding). At that pace the
        // others spend 40 · 52 / 49 = 42 more by the reset: of the 50 usable, 8 are ours,
        // spread over the 52 s (all of them are in the last quarter).
        p.observe(&headers(&[("ratelimit", "\"default\";r=60;t=52")]), t0);
        let waits: Vec<Duration> = (0..10).map(|_| p.reserve(t0)).collect();
        for (j, w) in waits[..8].iter().enumerate() {
            let expected = Duration::from_nanos(52_000_000_000 * (j as u64 + 1) / 9);
            assert_eq!(*w, expected, "{j}");
        }
        assert_eq!(waits[8], SECS(52));
        assert_eq!(waits[9], SECS(52));

        // With plenty left, the part above the last quarter goes at once.
        let mut p = Pacer::new(1000, SECS(100)).unwrap();
        assert!((0..10).all(|_| p.reserve(t0).is_zero()));
        // 30 counted, 10 ours, 20 others in the 3 s since the window began (as far as a
        // rounded `t` tells): at that pace 20 · 98 / 3 = 653 more by the reset. Of the 960
        // usable, 307 are ours: 57 at once, and the last quarter (250) spread over the 98 s.
        p.observe(
            &headers(&[("ratelimit", "\"default\";r=970;t=98")]),
            t0 + SECS(1),
        );
        let waits: Vec<Duration> = (0..59).map(|_| p.reserve(t0 + SECS(1))).collect();
        assert!(waits[..57].iter().all(|w| w.is_zero()));
        assert_eq!(waits[57], Duration::from_nanos(98_000_000_000 / 251));
        assert_eq!(waits[58], Duration::from_nanos(98_000_000_000 * 2 / 251));
        // 88 s later (reset in 11 s) 200 are counted, 69 of them ours: the others spent 131
        // in 90 s and will take 131 · 11 / 90 = 16 more. 800 - 10 - 16 = 774 usable, of which
        // all but the last quarter at once.
        let t1 = t0 + SECS(89);
        p.observe(&headers(&[("ratelimit", "\"default\";r=800;t=11")]), t1);
        let waits: Vec<Duration> = (0..526).map(|_| p.reserve(t1)).collect();
        assert!(waits[..524].iter().all(|w| w.is_zero()));
        assert_eq!(waits[524], Duration::from_nanos(11_000_000_000 / 251));
    }

    #[test]
    fn the_request_that_opened_the_window_is_ours_even_when_read_late() {
        // One request at t0 opens the server's (sliding) window. Its count is written 1.95 s
        // later (t = ⌈298.05⌉ = 299) and read 0.1 s after that: the window seems to start
        // at t0 + 0.05 s, after our request. It must not be taken for someone else's.
        for mut p in [Pacer::cloudflare_default(), Pacer::server_driven()] {
            let t0 = Instant::now();
            assert!(p.reserve(t0).is_zero());
            let h = headers(&[
                ("ratelimit", "\"default\";r=1199;t=299"),
                ("ratelimit-policy", "\"default\";q=1200;w=300"),
            ]);
            let now = t0 + MS(2050);
            p.observe(&h, now);
            let waits: Vec<Duration> = (0..1189).map(|_| p.reserve(now)).collect();
            let late = waits.iter().filter(|w| !w.is_zero()).count();
            // cloudflare_default: its own 200 per second; otherwise all at once.
            if p.per_second_cap().is_some() {
                assert!(waits.iter().all(|w| *w <= SECS(5)), "{late}");
            } else {
                assert_eq!(late, 0);
            }
        }
    }

    #[test]
    fn an_overtaken_response_does_not_give_back_budget() {
        let t0 = Instant::now();
        let mut p = Pacer::new(100, SECS(100)).unwrap();
        p.observe(&headers(&[("ratelimit", "\"default\";r=10;t=50")]), t0);
        assert_eq!(p.reserve(t0), SECS(50));
        // A late response from earlier in the same window says 80 were left: ignored.
        p.observe(
            &headers(&[("ratelimit", "\"default\";r=80;t=50")]),
            t0 + MS(100),
        );
        assert_eq!(p.reserve(t0 + MS(100)), MS(49_900));
        // A lower count in the same window is taken.
        let mut p = Pacer::new(100, SECS(100)).unwrap();
        p.observe(&headers(&[("ratelimit", "\"default\";r=80;t=50")]), t0);
        p.observe(&headers(&[("ratelimit", "\"default\";r=0;t=50")]), t0);
        assert_eq!(p.reserve(t0), SECS(50));
        // The next window's count replaces it. Nobody else has spent yet, but early in the
        // window the pace measured before (100 in 51 s) is expected to go on, and would take
        // 100 · 100 / 51 > 90 by the reset: wait for it.
        p.observe(
            &headers(&[("ratelimit", "\"default\";r=100;t=100")]),
            t0 + SECS(50),
        );
        assert_eq!(p.clone().reserve(t0 + SECS(50)), SECS(100));
        // A quarter into the window the count shows that nobody else spent: the rest of the
        // budget goes at once (89: the slot booked at t0 + 50 s is in the configured window).
        p.observe(
            &headers(&[("ratelimit", "\"default\";r=100;t=70")]),
            t0 + SECS(80),
        );
        assert!((0..89).all(|_| p.reserve(t0 + SECS(80)).is_zero()));
        assert_eq!(p.reserve(t0 + SECS(80)), SECS(70));
    }

    /// One step of an arbitrary call sequence.
    #[derive(Debug, Clone)]
    enum Op {
        Reserve {
            gap_ms: u64,
            jitter_ms: u64,
        },
        Observe {
            gap_ms: u64,
            headers: Vec<(usize, Vec<u8>)>,
        },
        Pause {
            ms: u64,
        },
    }

    const NAMES: [&str; 8] = [
        "ratelimit",
        "ratelimit-policy",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ];

    fn header_value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            (0u64..200, 0u64..30)
                .prop_map(|(r, t)| format!("\"default\";r={r};t={t}").into_bytes()),
            (1u64..200, 1u64..30)
                .prop_map(|(q, w)| format!("\"default\";q={q};w={w}").into_bytes()),
            (0u64..200, 0u64..200, 0u64..30)
                .prop_map(|(l, r, t)| format!("limit={l}, remaining={r}, reset={t}").into_bytes()),
            (0u64..300).prop_map(|n| n.to_string().into_bytes()),
            "[ -~]{0,30}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..30),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u64..300, 0u64..200).prop_map(|(gap_ms, jitter_ms)| Op::Reserve { gap_ms, jitter_ms }),
            2 => (0u64..300, proptest::collection::vec((0..NAMES.len(), header_value()), 0..4))
                .prop_map(|(gap_ms, headers)| Op::Observe { gap_ms, headers }),
            1 => (0u64..2_000).prop_map(|ms| Op::Pause { ms }),
        ]
    }

    /// Runs `ops`; returns the send times, and those booked after the first server policy.
    fn run(p: &mut Pacer, ops: &[Op], fixed: &[(&'static str, &str)]) -> Vec<Instant> {
        let t0 = Instant::now() + SECS(1);
        let mut clock = t0;
        let mut sends = Vec::new();
        for op in ops {
            match op {
                Op::Reserve { gap_ms, jitter_ms } => {
                    clock += MS(*gap_ms);
                    // Out-of-order `now`s, as when threads read the clock before the lock.
                    let now = clock.checked_sub(MS(*jitter_ms)).unwrap_or(clock);
                    let wait = p.reserve(now);
                    assert!(wait < SECS(24 * 3600), "{wait:?}");
                    sends.push(now + wait);
                }
                Op::Observe { gap_ms, headers } => {
                    clock += MS(*gap_ms);
                    let mut h = HeaderMap::new();
                    for (i, v) in headers {
                        if let Ok(v) = http::HeaderValue::from_bytes(v) {
                            h.append(NAMES[*i], v);
                        }
                    }
                    for (k, v) in fixed {
                        h.insert(*k, v.parse().unwrap());
                    }
                    p.observe(&h, clock);
                }
                Op::Pause { ms } => p.pause_until(clock + MS(*ms)),
            }
        }
        sends
    }

    proptest! {
        #[test]
        fn never_more_than_the_limit_in_any_window(
            requests in 1u32..40,
            per_ms in 1u64..5_000,
            cap in proptest::option::of(1u32..10),
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let mut p = Pacer::new(requests, MS(per_ms)).unwrap();
            if let Some(cap) = cap {
                p = p.with_per_second_cap(cap).unwrap();
            }
            let mut sends = run(&mut p, &ops, &[]);
            let budget = (requests - margin_for(requests)) as usize;
            prop_assert!(max_in_window(&mut sends, MS(per_ms)) <= budget);
            if let Some(cap) = cap {
                prop_assert!(max_in_window(&mut sends, SECS(1)) <= cap as usize);
            }
        }

        #[test]
        fn never_more_than_a_server_limit_in_any_window(
            requests in 1u32..400,
            per_ms in 1u64..5_000,
            q in 1u32..300,
            w in 1u64..20,
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            // The server announces its policy on every response; other headers vary.
            let policy = format!("\"fixed\";q={q};w={w}");
            let mut p = Pacer::new(requests, MS(per_ms)).unwrap();
            let mut first = vec![Op::Observe { gap_ms: 0, headers: Vec::new() }];
            first.extend(ops.iter().map(|op| match op {
                // Drop random policies so that only the fixed one is in force.
                Op::Observe { gap_ms, headers } => Op::Observe {
                    gap_ms: *gap_ms,
                    headers: headers.iter().filter(|(i, _)| !matches!(NAMES[*i], "ratelimit-policy" | "ratelimit-limit" | "x-ratelimit-limit" | "ratelimit")).cloned().collect(),
                },
                other => other.clone(),
            }));
            let mut sends = run(&mut p, &first, &[("ratelimit-policy", &policy)]);
            prop_assert!(max_in_window(&mut sends, SECS(w)) <= q as usize);
            let budget = (requests - margin_for(requests)) as usize;
            prop_assert!(max_in_window(&mut sends, MS(per_ms)) <= budget);
        }

        #[test]
        fn server_driven_never_more_than_an_announced_limit_in_force(
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            // Arbitrary headers, limits included; after each answer, note the limits in force,
            // and for each of them collect the sends booked while it was.
            let mut p = Pacer::server_driven();
            let mut booked: Vec<((u32, Duration), Vec<Instant>)> = Vec::new();
            let mut clock = Instant::now() + SECS(1);
            for op in &ops {
                match op {
                    Op::Reserve { gap_ms, jitter_ms } => {
                        clock += MS(*gap_ms);
                        let now = clock.checked_sub(MS(*jitter_ms)).unwrap_or(clock);
                        let wait = p.reserve(now);
                        prop_assert!(wait < SECS(24 * 3600));
                        for w in p.server.policies.iter().flatten() {
                            let key = (w.requests, w.per);
                            match booked.iter_mut().find(|(k, _)| *k == key) {
                                Some((_, v)) => v.push(now + wait),
                                None => booked.push((key, vec![now + wait])),
                            }
                        }
                    }
                    Op::Observe { gap_ms, headers } => {
                        clock += MS(*gap_ms);
                        let mut h = HeaderMap::new();
                        for (i, v) in headers {
                            if let Ok(v) = http::HeaderValue::from_bytes(v) {
                                h.append(NAMES[*i], v);
                            }
                        }
                        p.observe(&h, clock);
                    }
                    Op::Pause { ms } => p.pause_until(clock + MS(*ms)),
                }
            }
            for ((q, per), mut sends) in booked {
                let n = (q - margin_for(q)).max(1) as usize;
                prop_assert!(max_in_window(&mut sends, per) <= n, "{} per {:?}", q, per);
            }
        }

        #[test]
        fn server_driven_without_headers_never_waits(
            gaps in proptest::collection::vec((0u64..300, 0u64..200), 1..3000),
        ) {
            let mut p = Pacer::server_driven();
            let mut clock = Instant::now() + SECS(1);
            for (gap, jitter) in gaps {
                clock += MS(gap);
                let now = clock.checked_sub(MS(jitter)).unwrap_or(clock);
                // Rule 1 (call order) still applies: a `now` from before the last slot waits
                // for it, never longer.
                let last = p.log.back().copied();
                let wait = p.reserve(now);
                prop_assert_eq!(now + wait, last.map_or(now, |l| l.max(now)));
            }
        }

        #[test]
        fn arbitrary_headers_never_panic(
            headers in proptest::collection::vec((0..NAMES.len(), proptest::collection::vec(any::<u8>(), 0..60)), 0..8),
        ) {
            let mut h = HeaderMap::new();
            for (i, v) in &headers {
                if let Ok(v) = http::HeaderValue::from_bytes(v) {
                    h.append(NAMES[*i], v);
                }
            }
            let _ = Announced::parse(&h);
            let mut p = Pacer::cloudflare_default();
            let t0 = Instant::now();
            p.observe(&h, t0);
            let _ = p.reserve(t0);
        }

        #[test]
        fn a_fresh_budget_goes_at_once(requests in 1u32..2_000, per_ms in 1u64..10_000) {
            let mut p = Pacer::new(requests, MS(per_ms)).unwrap();
            let t0 = Instant::now();
            let budget = requests - margin_for(requests);
            for _ in 0..budget {
                prop_assert_eq!(p.reserve(t0), Duration::ZERO);
            }
            prop_assert_eq!(p.reserve(t0), MS(per_ms));
        }
    }
}
