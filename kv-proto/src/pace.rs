//! A client-side pacer: a token bucket that says how long to wait before the next request, so a
//! busy client stays under Cloudflare's global API limit instead of being blocked by it.
//!
//! Like the rest of kv-proto it reads no clock: every call takes `now: Instant` from the caller.
//! See [`Pacer`] for the guarantee and its proof.

use std::time::{Duration, Instant};

use crate::error::{Error, Limit};

/// Cloudflare's global API limit: requests per [`CLOUDFLARE_WINDOW`].
///
/// ```
/// use kv_proto::{Pacer, CLOUDFLARE_REQUESTS, CLOUDFLARE_WINDOW};
/// assert_eq!(Pacer::cloudflare_default().limit(), Some((CLOUDFLARE_REQUESTS, CLOUDFLARE_WINDOW)));
/// ```
pub const CLOUDFLARE_REQUESTS: u32 = 1_200;
/// Cloudflare's global API limit window: 5 minutes.
///
/// ```
/// use kv_proto::CLOUDFLARE_WINDOW;
/// assert_eq!(CLOUDFLARE_WINDOW, std::time::Duration::from_secs(5 * 60));
/// ```
pub const CLOUDFLARE_WINDOW: Duration = Duration::from_secs(300);
/// Burst of [`Pacer::cloudflare_default`].
///
/// ```
/// use kv_proto::{Pacer, CLOUDFLARE_DEFAULT_BURST};
/// assert_eq!(Pacer::cloudflare_default().burst(), Some(CLOUDFLARE_DEFAULT_BURST));
/// ```
pub const CLOUDFLARE_DEFAULT_BURST: u32 = 10;

/// When the next request may be sent: a token bucket with caller-supplied time.
///
/// A shell that sends from several threads wraps one [`Pacer`] in a `Mutex` and calls
/// [`Pacer::reserve`] under the lock; each call books a distinct slot.
///
/// # Guarantee
///
/// A pacer built for `R` requests per `per` with burst `B` schedules at most `R` sends in **any**
/// half-open window `[t, t + per)`, whatever the pattern of calls (even with `now` values that go
/// backwards, as happens when threads read the clock before taking the lock). Proof sketch: the
/// pacer is the virtual-scheduling form of a token bucket (GCRA) with emission interval
/// `I = ceil(per / (R - B + 1))` and tolerance `τ = (B - 1)·I`. It keeps a theoretical arrival
/// time `T`; a reservation at `now` is scheduled at `s = max(now, T - τ)` and sets
/// `T := max(T, s) + I`. So `T` grows by at least `I` per reservation and is always `≥ s + I`
/// for every slot already handed out. Take any `m` slots, in reservation order, `s_first` and
/// `s_last`: `T` before the last one is `≥ s_first + I + (m - 2)·I`, hence
/// `s_last ≥ T - τ ≥ s_first + (m - B)·I`. If all `m` lie in a window of length `per`,
/// `(m - B)·I ≤ |s_last - s_first| < per ≤ (R - B + 1)·I`, so `m < R + 1`.
///
/// The long-run rate is `(R - B + 1)` per `per`: a burst is paid for by a slightly lower
/// sustained rate, which is what keeps the sum `burst + sustained` within `R` in every window.
///
/// The guarantee is about the send times the pacer hands out. Requests from other tools on the
/// same account (dashboard, Terraform) count against the same Cloudflare limit, and network
/// delay can bunch requests on arrival; configure a lower rate with [`Pacer::new`] if that
/// matters.
///
/// # Example
/// ```
/// use kv_proto::Pacer;
/// use std::time::{Duration, Instant};
///
/// let mut pacer = Pacer::new(4, Duration::from_secs(1)).unwrap(); // 4 per second, no burst
/// let t0 = Instant::now();
/// assert_eq!(pacer.reserve(t0), Duration::ZERO);
/// assert_eq!(pacer.reserve(t0), Duration::from_millis(250));
/// assert_eq!(pacer.reserve(t0), Duration::from_millis(500));
/// // A shell sleeps for the returned duration, then sends.
/// ```
///
/// `Clone` copies the schedule; clones do not share it. Share one pacer (behind a `Mutex`)
/// between all threads that use the same account.
#[derive(Debug, Clone)]
pub struct Pacer {
    config: Option<Config>,
    /// Theoretical arrival time; `None` until the first reservation (full burst available).
    tat: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Config {
    requests: u32,
    per: Duration,
    burst: u32,
    interval: Duration,
    tolerance: Duration,
}

impl Config {
    fn new(requests: u32, per: Duration, burst: u32) -> Result<Config, Error> {
        if requests == 0 {
            return Err(Error::invalid_input(
                Limit::Config,
                "pacer: the number of requests per window must be at least 1",
            ));
        }
        if per.is_zero() {
            return Err(Error::invalid_input(
                Limit::Config,
                "pacer: the window must be longer than zero",
            ));
        }
        if burst == 0 || burst > requests {
            return Err(Error::invalid_input(
                Limit::Config,
                format!("pacer: burst must be in 1..={requests}, got {burst}"),
            ));
        }
        // I = ceil(per / (R - B + 1)); at least 1 ns because per > 0.
        let slots = u128::from(requests - burst) + 1;
        let interval = nanos_to_duration(per.as_nanos().div_ceil(slots));
        let tolerance = interval.checked_mul(burst - 1).unwrap_or(Duration::MAX);
        Ok(Config {
            requests,
            per,
            burst,
            interval,
            tolerance,
        })
    }
}

impl Pacer {
    /// At most `requests` per `per`, sent evenly (burst 1: one request every `per / requests`).
    /// Errors on `requests == 0` or a zero `per` ([`Limit::Config`]).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    ///
    /// let p = Pacer::new(100, Duration::from_secs(10)).unwrap();
    /// assert_eq!(p.interval(), Some(Duration::from_millis(100)));
    /// assert!(Pacer::new(0, Duration::from_secs(1)).unwrap_err().is_invalid_input());
    /// assert!(Pacer::new(1, Duration::ZERO).is_err());
    /// ```
    pub fn new(requests: u32, per: Duration) -> Result<Pacer, Error> {
        Ok(Pacer {
            config: Some(Config::new(requests, per, 1)?),
            tat: None,
        })
    }

    /// Cloudflare's global limit: 1,200 requests per 5 minutes, with a burst of 10.
    ///
    /// Past 1,200 requests in 5 minutes Cloudflare answers 429 and blocks every API call of the
    /// user for the next 5 minutes, so staying under it is far cheaper than retrying.
    ///
    /// The burst lets short interactive sequences (list, then read a few keys) and the first
    /// requests of a parallel job go at once instead of 250 ms apart. It costs under 1 % of
    /// sustained throughput: the steady rate is 1,191 per 5 minutes (one request every
    /// ~251.9 ms) so that burst plus steady rate never exceed 1,200 in any 5-minute window.
    /// (cloudflare-go v0 paced at 4 requests per second with no burst; [`Pacer::new`] gives
    /// that behaviour.)
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::cloudflare_default();
    /// let t0 = Instant::now();
    /// let waits: Vec<Duration> = (0..1201).map(|_| p.reserve(t0)).collect();
    /// assert!(waits[..10].iter().all(|w| w.is_zero()));
    /// assert!(waits[1199] < Duration::from_secs(300));
    /// assert!(waits[1200] >= Duration::from_secs(300));
    /// ```
    pub fn cloudflare_default() -> Pacer {
        // The constants are valid (1 <= burst <= requests, window > 0); an error cannot
        // happen, and an unlimited pacer is the only value that needs no numbers of its own.
        Config::new(
            CLOUDFLARE_REQUESTS,
            CLOUDFLARE_WINDOW,
            CLOUDFLARE_DEFAULT_BURST,
        )
        .map_or_else(
            |_| Pacer::unlimited(),
            |config| Pacer {
                config: Some(config),
                tat: None,
            },
        )
    }

    /// A pacer that never waits (pacing switched off).
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
        Pacer {
            config: None,
            tat: None,
        }
    }

    /// Allows `burst` requests back to back (1..=requests). The sustained rate becomes
    /// `requests - burst + 1` per window, so no window ever holds more than `requests`.
    /// Resets the schedule. Errors on a burst outside that range; an unlimited pacer accepts
    /// any burst and stays unlimited.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::new(10, Duration::from_secs(10)).unwrap().with_burst(3).unwrap();
    /// let t0 = Instant::now();
    /// let waits: Vec<u128> = (0..5).map(|_| p.reserve(t0).as_millis()).collect();
    /// assert_eq!(waits, [0, 0, 0, 1250, 2500]); // 3 at once, then 8 per 10 s
    /// assert!(Pacer::new(10, Duration::from_secs(1)).unwrap().with_burst(11).is_err());
    /// ```
    pub fn with_burst(self, burst: u32) -> Result<Pacer, Error> {
        match self.config {
            None => Ok(Pacer::unlimited()),
            Some(c) => Ok(Pacer {
                config: Some(Config::new(c.requests, c.per, burst)?),
                tat: None,
            }),
        }
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

    /// `(requests, per)`, or `None` when unlimited.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// let p = Pacer::new(5, Duration::from_secs(1)).unwrap();
    /// assert_eq!(p.limit(), Some((5, Duration::from_secs(1))));
    /// assert_eq!(Pacer::unlimited().limit(), None);
    /// ```
    pub fn limit(&self) -> Option<(u32, Duration)> {
        self.config.map(|c| (c.requests, c.per))
    }

    /// The burst size (1 = evenly spaced), or `None` when unlimited.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// let p = Pacer::new(5, Duration::from_secs(1)).unwrap();
    /// assert_eq!(p.burst(), Some(1));
    /// assert_eq!(p.with_burst(3).unwrap().burst(), Some(3));
    /// assert_eq!(Pacer::unlimited().burst(), None);
    /// ```
    pub fn burst(&self) -> Option<u32> {
        self.config.map(|c| c.burst)
    }

    /// The steady spacing between requests once the burst is used, or `None` when unlimited.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::Duration;
    /// let p = Pacer::new(4, Duration::from_secs(1)).unwrap();
    /// assert_eq!(p.interval(), Some(Duration::from_millis(250)));
    /// assert_eq!(Pacer::unlimited().interval(), None);
    /// ```
    pub fn interval(&self) -> Option<Duration> {
        self.config.map(|c| c.interval)
    }

    /// Books the next slot for a request that wants to go at `now`; returns how long to wait
    /// before sending (zero: send at once). Every call books a slot, so call it once per
    /// request actually sent (including each retry).
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::new(2, Duration::from_secs(1)).unwrap();
    /// let t0 = Instant::now();
    /// assert_eq!(p.reserve(t0), Duration::ZERO);
    /// assert_eq!(p.reserve(t0 + Duration::from_millis(100)), Duration::from_millis(400));
    /// // After a quiet spell there is no debt.
    /// assert_eq!(p.reserve(t0 + Duration::from_secs(10)), Duration::ZERO);
    /// ```
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let Some(c) = self.config else {
            return Duration::ZERO;
        };
        let tat = self.tat.unwrap_or(now);
        // wait = max(0, (T - τ) - now), computed without subtracting from an Instant.
        let wait = match now.checked_add(c.tolerance) {
            Some(limit) => tat.saturating_duration_since(limit),
            None => Duration::ZERO,
        };
        // now + wait <= T when wait > 0, so this cannot overflow; keep T if it somehow would.
        let send_at = now.checked_add(wait).unwrap_or(tat);
        let base = tat.max(send_at);
        self.tat = Some(base.checked_add(c.interval).unwrap_or(base));
        wait
    }

    /// Pushes every slot not yet handed out to `until` or later, for example after a 429 with
    /// `Retry-After`, so that all threads back off together. After the pause requests resume
    /// at the steady spacing, without a burst. Has no effect on an unlimited pacer, or if the
    /// schedule is already past `until`.
    ///
    /// ```
    /// use kv_proto::Pacer;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut p = Pacer::cloudflare_default();
    /// let t0 = Instant::now();
    /// p.pause_until(t0 + Duration::from_secs(60));
    /// assert_eq!(p.reserve(t0), Duration::from_secs(60));
    /// assert!(p.reserve(t0) > Duration::from_secs(60));
    /// ```
    pub fn pause_until(&mut self, until: Instant) {
        let Some(c) = self.config else {
            return;
        };
        // The next slot is at T - τ, so T = until + τ puts it at `until`.
        let target = until.checked_add(c.tolerance).unwrap_or(until);
        self.tat = Some(match self.tat {
            Some(t) => t.max(target),
            None => target,
        });
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

    /// Checks that no half-open window of length `per` holds more than `limit` of `sends`.
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

    #[test]
    fn rejects_bad_config() {
        for (r, per, b) in [
            (0, MS(1000), 1),
            (5, Duration::ZERO, 1),
            (5, MS(1000), 0),
            (5, MS(1000), 6),
        ] {
            let e = Config::new(r, per, b).unwrap_err();
            assert_eq!(e.limit(), Some(Limit::Config), "{r} {per:?} {b}");
        }
        assert!(Pacer::new(0, MS(1)).is_err());
        assert!(Pacer::new(1, MS(1)).unwrap().with_burst(1).is_ok());
    }

    #[test]
    fn cloudflare_default_arithmetic() {
        let p = Pacer::cloudflare_default();
        assert_eq!(p.limit(), Some((1200, Duration::from_secs(300))));
        assert_eq!(p.burst(), Some(10));
        // ceil(300 s / 1191) = 251,889,169 ns
        assert_eq!(p.interval(), Some(Duration::from_nanos(251_889_169)));
        assert!(p.is_enabled());
        assert_eq!(Pacer::default().interval(), p.interval());

        let mut p = p;
        let t0 = Instant::now();
        let mut sends: Vec<Instant> = (0..3000).map(|_| t0 + p.reserve(t0)).collect();
        assert!(sends[..10].iter().all(|&s| s == t0));
        assert_eq!(sends[10] - t0, Duration::from_nanos(251_889_169));
        assert!(sends[1199] - t0 < Duration::from_secs(300));
        assert!(sends[1200] - t0 >= Duration::from_secs(300));
        assert_eq!(max_in_window(&mut sends, Duration::from_secs(300)), 1200);
    }

    #[test]
    fn even_spacing_without_burst() {
        let mut p = Pacer::new(1200, Duration::from_secs(300)).unwrap();
        assert_eq!(p.interval(), Some(MS(250)));
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..4).map(|_| p.reserve(t0)).collect();
        assert_eq!(waits, [MS(0), MS(250), MS(500), MS(750)]);
        // Arriving in the middle of the schedule waits only the rest.
        assert_eq!(p.reserve(t0 + MS(900)), MS(100));
        // Arriving late sends at once.
        assert_eq!(p.reserve(t0 + MS(5000)), Duration::ZERO);
    }

    #[test]
    fn burst_refills_after_idle() {
        let mut p = Pacer::new(10, MS(1000)).unwrap().with_burst(4).unwrap();
        // I = ceil(1000 / 7) ms
        let i = Duration::from_nanos(142_857_143);
        assert_eq!(p.interval(), Some(i));
        let t0 = Instant::now();
        for _ in 0..4 {
            assert_eq!(p.reserve(t0), Duration::ZERO);
        }
        assert_eq!(p.reserve(t0), i);
        // After a long idle spell the full burst is back.
        let t1 = t0 + Duration::from_secs(10);
        for _ in 0..4 {
            assert_eq!(p.reserve(t1), Duration::ZERO);
        }
        assert_eq!(p.reserve(t1), i);
    }

    #[test]
    fn burst_equal_to_limit() {
        let mut p = Pacer::new(3, MS(1000)).unwrap().with_burst(3).unwrap();
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..7).map(|_| p.reserve(t0)).collect();
        assert_eq!(
            waits,
            [MS(0), MS(0), MS(0), MS(1000), MS(2000), MS(3000), MS(4000)]
        );
    }

    #[test]
    fn pause_pushes_back_all_slots() {
        let mut p = Pacer::new(4, MS(1000)).unwrap();
        let t0 = Instant::now();
        assert_eq!(p.reserve(t0), Duration::ZERO);
        p.pause_until(t0 + Duration::from_secs(5));
        assert_eq!(p.reserve(t0 + MS(10)), MS(4990));
        assert_eq!(p.reserve(t0 + MS(10)), MS(5240));
        // A pause earlier than the schedule changes nothing.
        p.pause_until(t0 + MS(100));
        assert_eq!(p.reserve(t0 + MS(10)), MS(5490));
        // A pause on a fresh pacer works too.
        let mut q = Pacer::new(4, MS(1000)).unwrap().with_burst(2).unwrap();
        q.pause_until(t0 + MS(300));
        assert_eq!(q.reserve(t0), MS(300));
        assert_eq!(q.reserve(t0), MS(300) + q.interval().unwrap());
    }

    #[test]
    fn unlimited_never_waits() {
        for mut p in [
            Pacer::unlimited(),
            Pacer::unlimited().with_burst(0).unwrap(),
        ] {
            let t0 = Instant::now();
            p.pause_until(t0 + Duration::from_secs(3600));
            assert!((0..1000).all(|_| p.reserve(t0).is_zero()));
            assert_eq!(p.limit(), None);
            assert_eq!(p.burst(), None);
            assert_eq!(p.interval(), None);
        }
    }

    #[test]
    fn extreme_configs_do_not_panic() {
        let t0 = Instant::now();
        let mut p = Pacer::new(u32::MAX, Duration::from_nanos(1)).unwrap();
        assert_eq!(p.interval(), Some(Duration::from_nanos(1)));
        p.reserve(t0);
        let mut p = Pacer::new(1, Duration::MAX).unwrap();
        assert_eq!(p.reserve(t0), Duration::ZERO);
        // The next slot is unrepresentably far; the pacer must not panic.
        let _ = p.reserve(t0);
        let mut p = Pacer::new(u32::MAX, Duration::MAX)
            .unwrap()
            .with_burst(u32::MAX)
            .unwrap();
        p.pause_until(t0 + Duration::from_secs(1));
        let _ = p.reserve(t0);
    }

    proptest! {
        #[test]
        fn never_more_than_limit_in_any_window(
            requests in 1u32..40,
            per_ms in 1u64..5_000,
            burst_pick in 0u32..40,
            gaps in proptest::collection::vec(0u64..400, 1..300),
            jitter in proptest::collection::vec(0u64..200, 300),
        ) {
            let burst = burst_pick % requests + 1;
            let per = MS(per_ms);
            let mut p = Pacer::new(requests, per).unwrap().with_burst(burst).unwrap();
            let t0 = Instant::now() + Duration::from_secs(1);
            let mut clock = t0;
            let mut sends = Vec::new();
            for (i, g) in gaps.iter().enumerate() {
                clock += MS(*g);
                // Out-of-order `now`s, as when threads read the clock before the lock.
                let now = clock.checked_sub(MS(jitter[i])).unwrap_or(clock);
                let wait = p.reserve(now);
                sends.push(now + wait);
            }
            prop_assert!(max_in_window(&mut sends, per) <= requests as usize);
        }

        #[test]
        fn monotone_and_no_needless_wait(
            requests in 1u32..40,
            per_ms in 1u64..5_000,
            burst_pick in 0u32..40,
            gaps in proptest::collection::vec(0u64..400, 1..300),
        ) {
            let burst = burst_pick % requests + 1;
            let mut p = Pacer::new(requests, MS(per_ms)).unwrap().with_burst(burst).unwrap();
            let interval = p.interval().unwrap();
            let mut now = Instant::now();
            let mut last_send: Option<Instant> = None;
            for g in gaps {
                now += MS(g);
                let wait = p.reserve(now);
                let send = now + wait;
                if let Some(prev) = last_send {
                    // Sends come out in call order when `now` does not go backwards.
                    prop_assert!(send >= prev);
                    // A request that waits is scheduled exactly one interval after the
                    // previous slot at most (the bucket never idles while someone waits).
                    if !wait.is_zero() {
                        prop_assert!(send <= prev + interval);
                    }
                }
                last_send = Some(send);
            }
        }

        #[test]
        fn burst_goes_at_once(requests in 1u32..100, burst_pick in 0u32..100, per_ms in 1u64..10_000) {
            let burst = burst_pick % requests + 1;
            let mut p = Pacer::new(requests, MS(per_ms)).unwrap().with_burst(burst).unwrap();
            let t0 = Instant::now();
            for _ in 0..burst {
                prop_assert_eq!(p.reserve(t0), Duration::ZERO);
            }
            // ... and then the steady spacing.
            prop_assert_eq!(p.reserve(t0), p.interval().unwrap());
        }
    }
}
