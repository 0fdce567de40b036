//! A pure retry policy: given the attempt that just failed and its [`Error`], decide whether to
//! send the request again and after how long.
//!
//! kv-proto reads no clock and draws no randomness: the caller passes `now` (for `Retry-After`
//! given as an HTTP-date) and a jitter seed (any `u64`, for example from the shell's own RNG or a
//! request counter). The same inputs always give the same decision, so the policy is testable
//! without sleeping.
//!
//! Which errors are retried is decided by [`Error::is_retryable_for`], given whether the
//! operation is idempotent (the table per route is on [`RetryPolicy`]); this module decides
//! *when*, and when to stop.

use std::time::{Duration, Instant, SystemTime};

use crate::error::Error;
use crate::pace::nanos_to_duration;

/// Default total number of attempts (the first send plus up to 9 retries).
///
/// ```
/// use kv_proto::{RetryPolicy, defaults::DEFAULT_MAX_ATTEMPTS};
/// assert_eq!(RetryPolicy::default().max_attempts(), DEFAULT_MAX_ATTEMPTS);
/// ```
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;
/// Default backoff before the first retry; it doubles on each further retry.
///
/// ```
/// use kv_proto::{RetryPolicy, defaults::DEFAULT_BASE_DELAY};
/// assert_eq!(RetryPolicy::default().base_delay(), DEFAULT_BASE_DELAY);
/// assert_eq!(RetryPolicy::default().with_jitter(0.0).backoff(1, 0), DEFAULT_BASE_DELAY);
/// ```
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_secs(1);
/// Default cap on the computed (exponential) backoff.
///
/// ```
/// use kv_proto::{RetryPolicy, defaults::DEFAULT_MAX_DELAY};
/// assert_eq!(RetryPolicy::default().with_jitter(0.0).backoff(20, 0), DEFAULT_MAX_DELAY);
/// ```
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// Default cap on a server-requested wait (`Retry-After`, `retry-after-ms`): 6 minutes.
///
/// ```
/// use kv_proto::{RetryPolicy, defaults::DEFAULT_MAX_RETRY_AFTER};
/// assert_eq!(RetryPolicy::default().max_retry_after(), DEFAULT_MAX_RETRY_AFTER);
/// assert_eq!(DEFAULT_MAX_RETRY_AFTER.as_secs(), 360);
/// ```
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 60);
/// Default shortest wait after a rate-limit answer (429 or code 971).
///
/// ```
/// use kv_proto::{RetryPolicy, defaults::DEFAULT_MIN_RATE_LIMITED_DELAY};
/// assert_eq!(RetryPolicy::default().min_rate_limited_delay(), DEFAULT_MIN_RATE_LIMITED_DELAY);
/// ```
pub const DEFAULT_MIN_RATE_LIMITED_DELAY: Duration = Duration::from_secs(1);
/// Default jitter fraction: the backoff is multiplied by a factor in `[0.75, 1]`.
///
/// ```
/// use kv_proto::{RetryPolicy, defaults::DEFAULT_JITTER};
/// assert_eq!(RetryPolicy::default().jitter(), DEFAULT_JITTER);
/// ```
pub const DEFAULT_JITTER: f64 = 0.25;

/// When to retry a failed request, and how long to wait first.
///
/// # Defaults, and why
///
/// | setting | default | |
/// |---|---|---|
/// | [`max_attempts`](RetryPolicy::with_max_attempts) | 10 (9 retries) | [`DEFAULT_MAX_ATTEMPTS`] |
/// | [`base_delay`](RetryPolicy::with_base_delay) | 1 s, doubling | [`DEFAULT_BASE_DELAY`] |
/// | [`max_delay`](RetryPolicy::with_max_delay) | 30 s | [`DEFAULT_MAX_DELAY`] |
/// | [`max_retry_after`](RetryPolicy::with_max_retry_after) | 6 min | [`DEFAULT_MAX_RETRY_AFTER`] |
/// | [`min_rate_limited_delay`](RetryPolicy::with_min_rate_limited_delay) | 1 s | [`DEFAULT_MIN_RATE_LIMITED_DELAY`] |
/// | [`jitter`](RetryPolicy::with_jitter) | 0.25 | [`DEFAULT_JITTER`] |
///
/// - **Attempts and backoff.** The generated SDKs' default (2 retries, 0.5 s doubling, 8 s cap)
///   gives up within seconds, which is useless against Cloudflare's rate limit: its window is
///   5 minutes. cloudflare-go raised its defaults to 10 retries with a 30 s cap after Terraform
///   runs exhausted their retries in 1.5 s. We follow that: with the defaults the backoff alone
///   is 1 + 2 + 4 + 8 + 16 + 30 + 30 + 30 + 30 = 151 s (at least 113 s after jitter), long
///   enough to ride out a deploy or a brief 5xx outage, short enough that a real outage is
///   reported within minutes. The 1 s base matches wrangler's minimum wait on 429.
/// - **Server-requested waits** (`retry-after-ms`, then `Retry-After` as delta-seconds or an
///   HTTP-date) are obeyed, never shortened by jitter: the wait is the larger of the server's
///   request and the backoff. Cloudflare blocks an account for 5 minutes after it passes the
///   global limit, so the cap is 5 minutes plus a minute of slack for rounding and clock skew
///   in the HTTP-date form. Peers ignore anything over 60 s (Go, Python) or fail (wrangler),
///   which turns a 5-minute block into either a retry storm or an immediate failure.
/// - **A wait longer than the cap gives up** rather than being clamped: retrying before the
///   server's stated time contradicts it, spends an attempt on a certain 429 and, during a
///   Cloudflare block, adds to the request count. The caller still gets the error, whose
///   [`Error::retry_after`] says when trying again makes sense. Set the cap to
///   [`Duration::MAX`] to always wait as long as the server asks.
/// - **Rate-limit answers** (429, code 971) are never retried at once: the wait is at least
///   1 s even when the server says `Retry-After: 0`.
/// - **Jitter** only shortens the backoff (by up to 25 %, as in the Stainless SDKs), so the
///   documented cap is a real upper bound and concurrent clients spread out.
///
/// # What is retried, per route
///
/// Error classes (each bounded by `max_attempts` and the `Retry-After` cap, like any retry):
///
/// - **transient**: connection failures, timeouts, resets, invalid HTTP, 408, 409, 429
///   (not the daily quota, 10048) and 5xx; `x-should-retry` overrides the status
///   ([`Error::is_retryable`]);
/// - **unprocessed**, a subset of transient: DNS and connect failures, 429
///   ([`Error::is_unprocessed`]);
/// - **garbled**: a 2xx body that does not decode (cut short, not JSON, wrong shape), or a 2xx
///   `success: false` naming no error or only unknown/generic codes ([`Error::is_garbled`]);
/// - **final**, never retried: invalid input, 400/401/403/404/405/413, a 2xx `success: false`
///   with a definite code (auth 10000, not found 10009/10013, 10011, 10014, validation
///   codes...), the daily quota (10048), a response over the size cap, a protocol violation,
///   TLS and redirect failures.
///
/// | route | operation | idempotent? | retried after |
/// |---|---|---|---|
/// | `GET /namespaces` | [`ListNamespaces`](crate::ListNamespaces) | yes | transient, garbled |
/// | `POST /namespaces` | [`CreateNamespace`](crate::CreateNamespace) | **no**: a second create of a processed one fails with 10014 | **unprocessed only**; never a timeout, reset, 5xx or garbled answer |
/// | `GET /namespaces/{id}` | [`GetNamespace`](crate::GetNamespace) | yes | transient, garbled |
/// | `PUT /namespaces/{id}` | [`RenameNamespace`](crate::RenameNamespace) | yes (same title) | transient, garbled |
/// | `DELETE /namespaces/{id}` | [`DeleteNamespace`](crate::DeleteNamespace) | yes¹ | transient, garbled |
/// | `GET …/keys` | [`ListKeys`](crate::ListKeys) | yes | transient, garbled |
/// | `GET …/values/{key}` | [`GetValue`](crate::GetValue), [`TryGetValue`](crate::TryGetValue) | yes | transient² |
/// | `PUT …/values/{key}` | [`PutValue`](crate::PutValue) | yes (same bytes overwrite) | transient, garbled |
/// | `DELETE …/values/{key}` | [`DeleteValue`](crate::DeleteValue) | yes (deleting a missing key succeeds) | transient, garbled |
/// | `GET …/metadata/{key}` | [`GetMetadata`](crate::GetMetadata) | yes | transient, garbled |
/// | `PUT …/bulk` | [`BulkWrite`](crate::BulkWrite) | yes (same values) | transient, garbled |
/// | `POST …/bulk/delete` | [`BulkDelete`](crate::BulkDelete) | yes | transient, garbled |
/// | `POST …/bulk/get` | [`BulkGet`](crate::BulkGet) | yes | transient, garbled |
///
/// ¹ If a processed delete's answer is lost, the retry is told 404 / 10013 (final): the
/// namespace is gone either way. ² A 2xx value read is the stored bytes, never decoded, so it
/// cannot be garbled; a 404 with 10009 is "missing" for [`TryGetValue`](crate::TryGetValue)
/// and final for [`GetValue`](crate::GetValue).
///
/// [`RetryPolicy::decide_for`] and [`RetryState::idempotent`] take the operation's
/// [`is_idempotent`](crate::Operation::is_idempotent); [`RetryPolicy::decide`] assumes an
/// idempotent request.
///
/// # Example
/// ```
/// use kv_proto::{Error, retry::RetryDecision, RetryPolicy, TransportErrorKind};
/// use std::time::{Duration, SystemTime};
///
/// let policy = RetryPolicy::default().with_jitter(0.0);
/// let err = Error::transport(TransportErrorKind::Connect, "connection refused");
/// let now = SystemTime::UNIX_EPOCH;
/// assert_eq!(policy.decide(1, &err, now, 7), RetryDecision::Retry(Duration::from_secs(1)));
/// assert_eq!(policy.decide(3, &err, now, 7), RetryDecision::Retry(Duration::from_secs(4)));
/// assert_eq!(policy.decide(9, &err, now, 7), RetryDecision::Retry(Duration::from_secs(30)));
/// assert!(matches!(policy.decide(10, &err, now, 7), RetryDecision::GiveUp(_)));
/// assert!(matches!(RetryPolicy::none().decide(1, &err, now, 7), RetryDecision::GiveUp(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    min_rate_limited_delay: Duration,
    jitter: f64,
}

/// What to do after a failed attempt.
///
/// ```
/// use kv_proto::{Error, TransportErrorKind};
/// use std::time::SystemTime;
/// use kv_proto::{retry::RetryDecision, RetryPolicy};
/// let err = Error::transport(TransportErrorKind::Connect, "refused");
/// match RetryPolicy::default().decide(1, &err, SystemTime::UNIX_EPOCH, 0) {
///     RetryDecision::Retry(wait) => assert!(wait <= std::time::Duration::from_secs(1)),
///     RetryDecision::GiveUp(reason) => panic!("gave up: {reason:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Send the request again after waiting this long.
    Retry(Duration),
    /// Stop and report the error.
    GiveUp(GiveUpReason),
}

/// Why a [`RetryPolicy`] gave up.
///
/// ```
/// use kv_proto::{retry::GiveUpReason, Key, retry::RetryDecision, RetryPolicy};
/// let err = Key::new("").unwrap_err();
/// let d = RetryPolicy::default().decide(1, &err, std::time::SystemTime::UNIX_EPOCH, 0);
/// assert_eq!(d, RetryDecision::GiveUp(GiveUpReason::NotRetryable));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// [`Error::is_retryable_for`] says sending again cannot help, or may not be safe.
    NotRetryable,
    /// The attempt that failed was the last one allowed.
    AttemptsExhausted,
    /// The server asked for a wait (carried here) longer than the policy's `max_retry_after`.
    RetryAfterTooLong(Duration),
    /// The next wait (carried here) would end past the deadline
    /// ([`RetryState::with_deadline`]), or the deadline has passed.
    DeadlineExceeded(Duration),
    /// The operation hands this error back to its plan instead of being re-sent as it is
    /// ([`Operation::defers_to_plan`](crate::Operation::defers_to_plan)): a bulk batch that
    /// was too large or too slow, which the plan re-sends in smaller parts.
    Resize,
}

impl Default for RetryPolicy {
    /// The documented defaults (see [`RetryPolicy`]).
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            min_rate_limited_delay: DEFAULT_MIN_RATE_LIMITED_DELAY,
            jitter: DEFAULT_JITTER,
        }
    }
}

impl RetryPolicy {
    /// The documented defaults; same as [`RetryPolicy::default`].
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::new(), RetryPolicy::default());
    /// ```
    pub fn new() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// A policy that never retries (one attempt).
    ///
    /// ```
    /// use kv_proto::{Error, retry::GiveUpReason, retry::RetryDecision, RetryPolicy, TransportErrorKind};
    /// let err = Error::transport(TransportErrorKind::Timeout, "timed out");
    /// let d = RetryPolicy::none().decide(1, &err, std::time::SystemTime::UNIX_EPOCH, 0);
    /// assert_eq!(d, RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted));
    /// ```
    pub fn none() -> RetryPolicy {
        RetryPolicy::default().with_max_attempts(1)
    }

    /// Total attempts, the first send included (`1` means no retries; `0` is treated as `1`).
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().with_max_attempts(4).max_attempts(), 4);
    /// assert_eq!(RetryPolicy::default().with_max_attempts(0).max_attempts(), 1);
    /// ```
    pub fn with_max_attempts(mut self, max_attempts: u32) -> RetryPolicy {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Backoff before the first retry; retry `n` waits `base * 2^(n-1)` before jitter.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let p = RetryPolicy::default().with_base_delay(Duration::from_millis(500)).with_jitter(0.0);
    /// assert_eq!(p.backoff(2, 0), Duration::from_secs(1));
    /// ```
    pub fn with_base_delay(mut self, base_delay: Duration) -> RetryPolicy {
        self.base_delay = base_delay;
        self
    }

    /// Cap on the computed backoff (before jitter shortens it).
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let p = RetryPolicy::default().with_max_delay(Duration::from_secs(5)).with_jitter(0.0);
    /// assert_eq!(p.backoff(8, 0), Duration::from_secs(5));
    /// ```
    pub fn with_max_delay(mut self, max_delay: Duration) -> RetryPolicy {
        self.max_delay = max_delay;
        self
    }

    /// Longest server-requested wait the policy obeys; a longer request gives up with
    /// [`GiveUpReason::RetryAfterTooLong`]. [`Duration::MAX`] obeys any wait.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let p = RetryPolicy::default().with_max_retry_after(Duration::from_secs(60));
    /// assert_eq!(p.max_retry_after(), Duration::from_secs(60));
    /// ```
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> RetryPolicy {
        self.max_retry_after = max_retry_after;
        self
    }

    /// Shortest wait after a rate-limit answer (429 or code 971), whatever the server says.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let p = RetryPolicy::default().with_min_rate_limited_delay(Duration::from_secs(2));
    /// assert_eq!(p.min_rate_limited_delay(), Duration::from_secs(2));
    /// ```
    pub fn with_min_rate_limited_delay(mut self, delay: Duration) -> RetryPolicy {
        self.min_rate_limited_delay = delay;
        self
    }

    /// Jitter fraction `j`: the backoff is multiplied by a factor in `[1 - j, 1]` derived from
    /// the seed and the attempt. Clamped to `0.0..=1.0`; NaN means `0.0` (no jitter).
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().with_jitter(2.0).jitter(), 1.0);
    /// assert_eq!(RetryPolicy::default().with_jitter(f64::NAN).jitter(), 0.0);
    /// ```
    pub fn with_jitter(mut self, jitter: f64) -> RetryPolicy {
        self.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// Total attempts allowed, the first included.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().max_attempts(), 10);
    /// assert_eq!(RetryPolicy::none().max_attempts(), 1);
    /// ```
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Backoff before the first retry.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let p = RetryPolicy::default().with_base_delay(Duration::from_millis(250));
    /// assert_eq!(p.base_delay(), Duration::from_millis(250));
    /// ```
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// Cap on the computed backoff.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// assert_eq!(RetryPolicy::default().max_delay(), Duration::from_secs(30));
    /// let p = RetryPolicy::default().with_max_delay(Duration::from_secs(10));
    /// assert_eq!(p.max_delay(), Duration::from_secs(10));
    /// ```
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Longest server-requested wait obeyed.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// assert_eq!(RetryPolicy::default().max_retry_after(), Duration::from_secs(360));
    /// ```
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Shortest wait after a rate-limit answer.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// assert_eq!(RetryPolicy::default().min_rate_limited_delay(), Duration::from_secs(1));
    /// ```
    pub fn min_rate_limited_delay(&self) -> Duration {
        self.min_rate_limited_delay
    }

    /// Jitter fraction in `0.0..=1.0`.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().jitter(), 0.25);
    /// assert_eq!(RetryPolicy::default().with_jitter(-1.0).jitter(), 0.0);
    /// ```
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// The jittered exponential backoff after failed attempt `attempt` (1-based; `0` is treated
    /// as `1`): `min(base * 2^(attempt-1), max_delay)` times a factor in `[1 - jitter, 1]`
    /// that depends only on `jitter_seed` and `attempt`.
    ///
    /// Useful on its own for re-queued work that has no [`Error`] (for example a bulk write's
    /// `unsuccessful_keys`).
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let p = RetryPolicy::default(); // 1 s doubling, 30 s cap, jitter 0.25
    /// let d = p.backoff(3, 99);
    /// assert!(d >= Duration::from_secs(3) && d <= Duration::from_secs(4));
    /// assert_eq!(d, p.backoff(3, 99)); // deterministic
    /// ```
    pub fn backoff(&self, attempt: u32, jitter_seed: u64) -> Duration {
        let attempt = attempt.max(1);
        // base * 2^(attempt-1) in u128 nanoseconds; any overflow means "past the cap".
        let cap = self.max_delay.as_nanos();
        let raw = 1u128
            .checked_shl(attempt - 1)
            .and_then(|factor| self.base_delay.as_nanos().checked_mul(factor))
            .map_or(cap, |n| n.min(cap));
        let raw = nanos_to_duration(raw);
        apply_jitter(raw, self.jitter, jitter_seed, attempt)
    }

    /// Decides what to do after attempt `attempt` (1-based: `1` is the first send) failed with
    /// `error`. `now` resolves an HTTP-date `Retry-After`; `jitter_seed` should differ between
    /// requests (and stay the same across one request's attempts) so concurrent clients spread.
    ///
    /// Assumes an idempotent request (see [`RetryPolicy::decide_for`]). Order of rules: not
    /// [`Error::is_retryable_for`]`(true)` (transient or garbled) → give up;
    /// `attempt >= max_attempts` → give up; server-requested wait above `max_retry_after` → give up; otherwise retry after
    /// `max(server wait, jittered backoff)`, and at least `min_rate_limited_delay` for a
    /// rate-limit answer.
    ///
    /// ```
    /// use kv_proto::{Error, ErrorKind, error::HttpError, error::ResponseMeta, retry::RetryDecision, RetryPolicy};
    /// use std::time::{Duration, SystemTime};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("retry-after", "20".parse().unwrap());
    /// let meta = ResponseMeta::from_parts(http::StatusCode::TOO_MANY_REQUESTS, &headers);
    /// let err = Error::new(ErrorKind::Http(HttpError { meta, excerpt: String::new() }));
    ///
    /// let d = RetryPolicy::default().decide(1, &err, SystemTime::UNIX_EPOCH, 5);
    /// assert_eq!(d, RetryDecision::Retry(Duration::from_secs(20)));
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        error: &Error,
        now: SystemTime,
        jitter_seed: u64,
    ) -> RetryDecision {
        self.decide_for(true, attempt, error, now, jitter_seed)
    }

    /// Like [`RetryPolicy::decide`], for an operation that may not be idempotent
    /// ([`crate::Operation::is_idempotent`]); which errors are retried is
    /// [`Error::is_retryable_for`]`(idempotent)`. An idempotent request is also retried after
    /// a garbled 2xx answer; a non-idempotent one only when the failure proves it was never
    /// processed ([`Error::is_unprocessed`]: DNS or connect failures, 429), so a timeout, a 5xx
    /// or a garbled answer gives up with [`GiveUpReason::NotRetryable`].
    ///
    /// ```
    /// use kv_proto::{Error, retry::GiveUpReason, retry::RetryDecision, RetryPolicy, TransportErrorKind};
    /// use std::time::SystemTime;
    ///
    /// let p = RetryPolicy::default();
    /// let timeout = Error::transport(TransportErrorKind::Timeout, "timed out");
    /// let refused = Error::transport(TransportErrorKind::Connect, "refused");
    /// let now = SystemTime::UNIX_EPOCH;
    /// assert!(matches!(p.decide_for(true, 1, &timeout, now, 0), RetryDecision::Retry(_)));
    /// assert_eq!(p.decide_for(false, 1, &timeout, now, 0), RetryDecision::GiveUp(GiveUpReason::NotRetryable));
    /// assert!(matches!(p.decide_for(false, 1, &refused, now, 0), RetryDecision::Retry(_)));
    /// ```
    pub fn decide_for(
        &self,
        idempotent: bool,
        attempt: u32,
        error: &Error,
        now: SystemTime,
        jitter_seed: u64,
    ) -> RetryDecision {
        let attempt = attempt.max(1);
        if !error.is_retryable_for(idempotent) {
            return RetryDecision::GiveUp(GiveUpReason::NotRetryable);
        }
        if attempt >= self.max_attempts {
            return RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted);
        }
        let server = error.retry_after().map(|ra| ra.delay_from(now));
        if let Some(wait) = server
            && wait > self.max_retry_after
        {
            return RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(wait));
        }
        let mut wait = self
            .backoff(attempt, jitter_seed)
            .max(server.unwrap_or(Duration::ZERO));
        if error.is_rate_limited() {
            wait = wait.max(self.min_rate_limited_delay);
        }
        RetryDecision::Retry(wait)
    }

    /// Starts tracking one request's attempts; `jitter_seed` is used for all of them.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// let state = RetryPolicy::default().start(1);
    /// assert_eq!((state.attempts(), state.retries()), (1, 0));
    /// ```
    pub fn start(&self, jitter_seed: u64) -> RetryState {
        RetryState {
            policy: *self,
            jitter_seed,
            attempts: 1,
            total_delay: Duration::ZERO,
            gave_up: None,
            idempotent: true,
            deadline: None,
        }
    }

    /// The preset for services (a request handler waiting on KV): 3 attempts, backoff from
    /// 100 ms capped at 1 s, and a server's `Retry-After` honoured only up to 2 s (a longer
    /// one gives up at once). Pair it with a deadline of [`SERVICE_DEADLINE`] (kv-ureq's
    /// `ClientBuilder::for_services` does both). The defaults ([`RetryPolicy::default`]: 10
    /// attempts, up to 30 s between them, `Retry-After` up to 6 minutes) are for batch jobs.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let p = RetryPolicy::service();
    /// assert_eq!((p.max_attempts(), p.max_retry_after()), (3, Duration::from_secs(2)));
    /// ```
    pub fn service() -> RetryPolicy {
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(1))
            .with_max_retry_after(Duration::from_secs(2))
            .with_min_rate_limited_delay(Duration::from_millis(100))
    }
}

/// The per-call deadline of the services preset ([`RetryPolicy::service`]): 10 s.
pub const SERVICE_DEADLINE: Duration = Duration::from_secs(10);

/// One request's progress through a [`RetryPolicy`]: counts attempts and the time waited.
///
/// # Example: a blocking driver loop
/// ```
/// use kv_proto::{Error, retry::RetryDecision, RetryPolicy, TransportErrorKind};
/// use std::time::{Duration, SystemTime};
///
/// let policy = RetryPolicy::default().with_max_attempts(3);
/// let mut state = policy.start(42);
/// let mut slept = Duration::ZERO;
/// let result: Result<(), Error> = loop {
///     // Send the request here; this one always times out.
///     let err = Error::transport(TransportErrorKind::Timeout, "read timed out");
///     match state.on_error(&err, SystemTime::now()) {
///         RetryDecision::Retry(wait) => slept += wait, // std::thread::sleep(wait) in a real shell
///         RetryDecision::GiveUp(_) => break Err(err),
///     }
/// };
/// assert!(result.is_err());
/// assert_eq!(state.attempts(), 3);
/// assert_eq!(state.retries(), 2);
/// assert_eq!(state.total_delay(), slept);
/// ```
///
/// # Counting
///
/// Created by [`RetryPolicy::start`] when the first attempt is about to be sent. Each
/// [`RetryDecision::Retry`] from [`RetryState::on_error`] counts one more attempt. After a
/// [`RetryDecision::GiveUp`], further calls repeat that verdict and count nothing.
///
/// ```
/// use kv_proto::{Error, retry::GiveUpReason, retry::RetryDecision, RetryPolicy, TransportErrorKind};
/// use std::time::SystemTime;
///
/// let mut st = RetryPolicy::default().with_max_attempts(2).start(3);
/// let err = Error::transport(TransportErrorKind::ConnectionClosed, "reset by peer");
/// assert!(matches!(st.on_error(&err, SystemTime::UNIX_EPOCH), RetryDecision::Retry(_)));
/// assert_eq!(
///     st.on_error(&err, SystemTime::UNIX_EPOCH),
///     RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted)
/// );
/// assert_eq!((st.attempts(), st.retries()), (2, 1));
/// ```
#[derive(Debug, Clone)]
pub struct RetryState {
    policy: RetryPolicy,
    jitter_seed: u64,
    attempts: u32,
    total_delay: Duration,
    gave_up: Option<GiveUpReason>,
    idempotent: bool,
    deadline: Option<Instant>,
}

impl RetryState {
    /// Gives up instead of waiting past `deadline` (a monotonic instant; `None`: no
    /// deadline). Checked by [`RetryState::on_error_at`]: a retry whose wait would end after
    /// the deadline is refused with [`GiveUpReason::DeadlineExceeded`], so a shell never
    /// sleeps past it and returns the last error at once.
    ///
    /// ```
    /// use kv_proto::{Error, retry::GiveUpReason, retry::RetryDecision, RetryPolicy, TransportErrorKind};
    /// use std::time::{Duration, Instant, SystemTime};
    /// let now = Instant::now();
    /// let mut st = RetryPolicy::default().with_jitter(0.0).start(0)
    ///     .with_deadline(Some(now + Duration::from_millis(1500)));
    /// let err = Error::transport(TransportErrorKind::Connect, "refused");
    /// assert_eq!(st.on_error_at(&err, SystemTime::UNIX_EPOCH, now), RetryDecision::Retry(Duration::from_secs(1)));
    /// // The next wait (2 s) would cross the deadline: give up now.
    /// assert_eq!(
    ///     st.on_error_at(&err, SystemTime::UNIX_EPOCH, now + Duration::from_secs(1)),
    ///     RetryDecision::GiveUp(GiveUpReason::DeadlineExceeded(Duration::from_secs(2)))
    /// );
    /// ```
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> RetryState {
        self.deadline = deadline;
        self
    }

    /// The deadline set with [`RetryState::with_deadline`].
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True if a deadline is set and `now` is at or past it (send nothing more).
    pub fn is_past_deadline(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now >= d)
    }

    /// [`RetryState::on_error`], then the deadline check: a `Retry(wait)` that would end
    /// after the deadline (`clock + wait > deadline`) becomes
    /// `GiveUp(DeadlineExceeded(wait))`. `now` is the wall clock (for `Retry-After` dates),
    /// `clock` the monotonic one the deadline is measured on.
    pub fn on_error_at(&mut self, error: &Error, now: SystemTime, clock: Instant) -> RetryDecision {
        let decision = self.on_error(error, now);
        if let (RetryDecision::Retry(wait), Some(deadline)) = (decision, self.deadline)
            && clock.checked_add(wait).is_none_or(|end| end > deadline)
        {
            // Undo the attempt the retry counted: it will not be sent.
            self.attempts -= 1;
            self.total_delay = self.total_delay.saturating_sub(wait);
            let reason = GiveUpReason::DeadlineExceeded(wait);
            self.gave_up = Some(reason);
            return RetryDecision::GiveUp(reason);
        }
        decision
    }

    /// [`RetryState::on_error_at`] for `op`: if the operation defers `error` to its plan
    /// ([`Operation::defers_to_plan`](crate::Operation::defers_to_plan)), gives up at once
    /// with [`GiveUpReason::Resize`], counting nothing; otherwise decides as `on_error_at`.
    pub fn on_error_for<O: crate::Operation>(
        &mut self,
        op: &O,
        error: &Error,
        now: SystemTime,
        clock: Instant,
    ) -> RetryDecision {
        if self.gave_up.is_none() && op.defers_to_plan(error) {
            self.gave_up = Some(GiveUpReason::Resize);
            return RetryDecision::GiveUp(GiveUpReason::Resize);
        }
        self.on_error_at(error, now, clock)
    }

    /// Marks the request as idempotent or not (default: idempotent). A non-idempotent request
    /// is retried only after failures that prove it was never processed
    /// (see [`RetryPolicy::decide_for`]).
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// use std::time::SystemTime;
    /// use kv_proto::{retry::GiveUpReason, retry::RetryDecision, RetryPolicy};
    /// let mut st = RetryPolicy::default().start(0).idempotent(false);
    /// let err = Error::transport(TransportErrorKind::Timeout, "timed out");
    /// assert_eq!(st.on_error(&err, SystemTime::UNIX_EPOCH), RetryDecision::GiveUp(GiveUpReason::NotRetryable));
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> RetryState {
        self.idempotent = idempotent;
        self
    }

    /// Reports that the current attempt failed with `error`; returns whether (and after how
    /// long) to send the next attempt.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// use std::time::SystemTime;
    /// use kv_proto::{retry::RetryDecision, RetryPolicy};
    /// let mut st = RetryPolicy::default().with_jitter(0.0).start(0);
    /// let err = Error::transport(TransportErrorKind::Connect, "refused");
    /// assert_eq!(st.on_error(&err, SystemTime::UNIX_EPOCH), RetryDecision::Retry(std::time::Duration::from_secs(1)));
    /// assert_eq!(st.on_error(&err, SystemTime::UNIX_EPOCH), RetryDecision::Retry(std::time::Duration::from_secs(2)));
    /// assert_eq!(st.attempts(), 3);
    /// ```
    pub fn on_error(&mut self, error: &Error, now: SystemTime) -> RetryDecision {
        if let Some(reason) = self.gave_up {
            // The request is over: repeat the verdict without counting anything.
            return RetryDecision::GiveUp(reason);
        }
        let decision =
            self.policy
                .decide_for(self.idempotent, self.attempts, error, now, self.jitter_seed);
        match decision {
            RetryDecision::Retry(wait) => {
                self.attempts = self.attempts.saturating_add(1);
                self.total_delay = self.total_delay.saturating_add(wait);
            }
            RetryDecision::GiveUp(reason) => self.gave_up = Some(reason),
        }
        decision
    }

    /// Attempts made so far, counting the one in flight (starts at 1).
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// use std::time::SystemTime;
    /// use kv_proto::RetryPolicy;
    /// let mut st = RetryPolicy::default().start(0);
    /// assert_eq!(st.attempts(), 1);
    /// st.on_error(&Error::transport(TransportErrorKind::Connect, "refused"), SystemTime::UNIX_EPOCH);
    /// assert_eq!(st.attempts(), 2);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Retries granted so far (`attempts() - 1`).
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// use std::time::SystemTime;
    /// use kv_proto::RetryPolicy;
    /// let mut st = RetryPolicy::default().start(0);
    /// st.on_error(&Error::transport(TransportErrorKind::Connect, "refused"), SystemTime::UNIX_EPOCH);
    /// assert_eq!(st.retries(), 1);
    /// ```
    pub fn retries(&self) -> u32 {
        self.attempts - 1
    }

    /// Sum of the waits granted so far.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// use std::time::SystemTime;
    /// use kv_proto::RetryPolicy;
    /// use std::time::Duration;
    /// let mut st = RetryPolicy::default().with_jitter(0.0).start(0);
    /// let err = Error::transport(TransportErrorKind::Connect, "refused");
    /// st.on_error(&err, SystemTime::UNIX_EPOCH);
    /// st.on_error(&err, SystemTime::UNIX_EPOCH);
    /// assert_eq!(st.total_delay(), Duration::from_secs(1 + 2));
    /// ```
    pub fn total_delay(&self) -> Duration {
        self.total_delay
    }

    /// Why the policy gave up, once it has.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// use std::time::SystemTime;
    /// use kv_proto::{retry::GiveUpReason, RetryPolicy};
    /// let mut st = RetryPolicy::none().start(0);
    /// assert_eq!(st.gave_up(), None);
    /// st.on_error(&Error::transport(TransportErrorKind::Connect, "refused"), SystemTime::UNIX_EPOCH);
    /// assert_eq!(st.gave_up(), Some(GiveUpReason::AttemptsExhausted));
    /// ```
    pub fn gave_up(&self) -> Option<GiveUpReason> {
        self.gave_up
    }

    /// The policy being followed.
    ///
    /// ```
    /// use kv_proto::RetryPolicy;
    /// let p = RetryPolicy::default().with_max_attempts(3);
    /// assert_eq!(p.start(0).policy(), &p);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

/// splitmix64's output function: a fast, well-mixed 64-bit hash (also mixes the bulk plans'
/// per-batch jitter seeds).
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const Q32: u128 = 1 << 32;

/// The jitter cut for (`seed`, `attempt`) as a fraction of 2^32, in `[0, jitter * 2^32]`.
fn jitter_cut_q32(jitter: f64, seed: u64, attempt: u32) -> u128 {
    // The `attempt`-th element of the splitmix64 stream seeded with `seed`.
    let h = splitmix64(seed.wrapping_add(u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let u = u128::from(h >> 32); // uniform in [0, 2^32)
    // `as` saturates; jitter is already clamped to [0, 1].
    let j = ((jitter * Q32 as f64) as u128).min(Q32);
    (u * j) >> 32
}

/// `d * (1 - cut)`, in integer nanoseconds (no float rounding, no overflow: the result is <= d).
fn apply_jitter(d: Duration, jitter: f64, seed: u64, attempt: u32) -> Duration {
    let cut = jitter_cut_q32(jitter, seed, attempt);
    let nanos = d.as_nanos();
    let shortened = nanos - ((nanos * cut) >> 32).min(nanos);
    nanos_to_duration(shortened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;
    use crate::error::{
        ApiError, ErrorKind, HttpError, ResponseInfo, ResponseMeta, TransportErrorKind,
    };
    use http::{HeaderMap, StatusCode};
    use proptest::prelude::*;
    use std::time::UNIX_EPOCH;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn now() -> SystemTime {
        UNIX_EPOCH + S(1_700_000_000)
    }

    fn http_err(status: u16, headers: &[(&str, &str)]) -> Error {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let meta = ResponseMeta::from_parts(StatusCode::from_u16(status).unwrap(), &h);
        Error::new(ErrorKind::Http(HttpError {
            meta,
            excerpt: String::new(),
        }))
    }

    fn api_err(status: u16, codes: &[u32], headers: &[(&str, &str)]) -> Error {
        let meta = http_err(status, headers).response_meta().unwrap().clone();
        Error::new(ErrorKind::Api(ApiError {
            meta,
            errors: codes
                .iter()
                .map(|&code| ResponseInfo {
                    code,
                    message: format!("code {code}"),
                    documentation_url: None,
                    source: None,
                })
                .collect(),
            messages: vec![],
        }))
    }

    fn no_jitter() -> RetryPolicy {
        RetryPolicy::default().with_jitter(0.0)
    }

    fn wait(d: RetryDecision) -> Duration {
        match d {
            RetryDecision::Retry(w) => w,
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_documented_values() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 10);
        assert_eq!(p.base_delay(), S(1));
        assert_eq!(p.max_delay(), S(30));
        assert_eq!(p.max_retry_after(), S(360));
        assert_eq!(p.min_rate_limited_delay(), S(1));
        assert_eq!(p.jitter(), 0.25);
        assert_eq!(RetryPolicy::new(), p);
        // The documented total backoff: 151 s without jitter.
        let total: Duration = (1..10).map(|a| no_jitter().backoff(a, 0)).sum();
        assert_eq!(total, S(151));
    }

    #[test]
    fn retryable_status_classes_retry() {
        for s in [408, 409, 429, 500, 502, 503, 504, 520, 524, 599] {
            let d = no_jitter().decide(1, &http_err(s, &[]), now(), 1);
            assert_eq!(d, RetryDecision::Retry(S(1)), "status {s}");
            let d = no_jitter().decide(1, &api_err(s, &[], &[]), now(), 1);
            assert_eq!(d, RetryDecision::Retry(S(1)), "status {s} (envelope)");
        }
    }

    #[test]
    fn client_errors_never_retry() {
        for s in [400, 401, 403, 404, 405, 413, 422] {
            for e in [http_err(s, &[]), api_err(s, &[10000], &[])] {
                assert_eq!(
                    RetryPolicy::default().decide(1, &e, now(), 1),
                    RetryDecision::GiveUp(GiveUpReason::NotRetryable),
                    "status {s}"
                );
            }
        }
        let invalid = Error::invalid_input(crate::error::Limit::Key, "too long");
        assert_eq!(
            RetryPolicy::default().decide(1, &invalid, now(), 1),
            RetryDecision::GiveUp(GiveUpReason::NotRetryable)
        );
    }

    #[test]
    fn daily_quota_is_never_retried() {
        for s in [429, 400, 403, 200] {
            let e = api_err(s, &[codes::DAILY_QUOTA], &[("retry-after", "1")]);
            assert_eq!(
                RetryPolicy::default().decide(1, &e, now(), 1),
                RetryDecision::GiveUp(GiveUpReason::NotRetryable),
                "status {s}"
            );
        }
    }

    #[test]
    fn should_retry_header_is_honoured() {
        let e = http_err(503, &[("x-should-retry", "false")]);
        assert!(matches!(
            no_jitter().decide(1, &e, now(), 0),
            RetryDecision::GiveUp(GiveUpReason::NotRetryable)
        ));
        let e = http_err(400, &[("x-should-retry", "true")]);
        assert_eq!(
            no_jitter().decide(1, &e, now(), 0),
            RetryDecision::Retry(S(1))
        );
    }

    #[test]
    fn transport_kinds() {
        use TransportErrorKind::*;
        for k in [Dns, Connect, Timeout, ConnectionClosed, InvalidResponse] {
            let e = Error::transport(k, "x");
            assert_eq!(
                no_jitter().decide(2, &e, now(), 0),
                RetryDecision::Retry(S(2)),
                "{k:?}"
            );
        }
        for k in [Tls, Redirect, Other] {
            let e = Error::transport(k, "x");
            assert_eq!(
                no_jitter().decide(1, &e, now(), 0),
                RetryDecision::GiveUp(GiveUpReason::NotRetryable),
                "{k:?}"
            );
        }
        for e in [
            Error::response_too_large(10),
            Error::protocol("repeated cursor"),
        ] {
            assert_eq!(
                no_jitter().decide(1, &e, now(), 0),
                RetryDecision::GiveUp(GiveUpReason::NotRetryable)
            );
        }
    }

    #[test]
    fn exponential_backoff_and_cap() {
        let e = http_err(502, &[]);
        let p = no_jitter().with_max_attempts(100);
        let waits: Vec<u64> = (1..=8)
            .map(|a| wait(p.decide(a, &e, now(), 0)).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        // Huge attempt numbers saturate to the cap, no overflow.
        assert_eq!(wait(p.decide(99, &e, now(), 0)), S(30));
        assert_eq!(p.backoff(u32::MAX, 0), S(30));
        assert_eq!(p.with_max_delay(Duration::MAX).backoff(40, 0), S(1 << 39));
        assert_eq!(
            p.with_base_delay(Duration::MAX)
                .with_max_delay(Duration::MAX)
                .backoff(3, 0),
            Duration::MAX
        );
        // Attempt 0 is treated as attempt 1.
        assert_eq!(p.backoff(0, 0), S(1));
    }

    #[test]
    fn attempts_exhausted() {
        let e = http_err(500, &[]);
        let p = RetryPolicy::default().with_max_attempts(3);
        assert!(matches!(p.decide(1, &e, now(), 0), RetryDecision::Retry(_)));
        assert!(matches!(p.decide(2, &e, now(), 0), RetryDecision::Retry(_)));
        for a in [3, 4, u32::MAX] {
            assert_eq!(
                p.decide(a, &e, now(), 0),
                RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted)
            );
        }
        assert_eq!(
            RetryPolicy::none().decide(1, &e, now(), 0),
            RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted)
        );
    }

    #[test]
    fn retry_after_delta_seconds() {
        let e = http_err(503, &[("retry-after", "12")]);
        assert_eq!(wait(RetryPolicy::default().decide(1, &e, now(), 3)), S(12));
        // The backoff wins when it is longer than the server's request.
        let e = http_err(503, &[("retry-after", "3")]);
        assert_eq!(wait(no_jitter().decide(6, &e, now(), 3)), S(30));
    }

    #[test]
    fn retry_after_http_date_is_relative_to_now() {
        let at = httpdate::fmt_http_date(now() + S(45));
        let e = http_err(429, &[("retry-after", &at)]);
        assert_eq!(wait(RetryPolicy::default().decide(1, &e, now(), 3)), S(45));
        // Evaluated later, the same date means a shorter wait.
        assert_eq!(
            wait(RetryPolicy::default().decide(1, &e, now() + S(40), 3)),
            S(5)
        );
        // A date in the past falls back to backoff (and the 429 minimum).
        let past = httpdate::fmt_http_date(now() - S(100));
        let e = http_err(503, &[("retry-after", &past)]);
        assert_eq!(wait(no_jitter().decide(2, &e, now(), 3)), S(2));
    }

    #[test]
    fn retry_after_ms_takes_precedence() {
        let e = http_err(503, &[("retry-after-ms", "2500"), ("retry-after", "100")]);
        let p = no_jitter().with_base_delay(Duration::from_millis(10));
        assert_eq!(wait(p.decide(1, &e, now(), 0)), Duration::from_millis(2500));
    }

    #[test]
    fn server_wait_is_not_jittered() {
        let e = http_err(503, &[("retry-after", "20")]);
        let p = RetryPolicy::default().with_jitter(1.0);
        for seed in 0..200 {
            assert_eq!(wait(p.decide(1, &e, now(), seed)), S(20));
        }
    }

    #[test]
    fn server_wait_cap_gives_up() {
        let p = RetryPolicy::default();
        let e = http_err(429, &[("retry-after", "360")]);
        assert_eq!(wait(p.decide(1, &e, now(), 0)), S(360));
        let e = http_err(429, &[("retry-after", "361")]);
        assert_eq!(
            p.decide(1, &e, now(), 0),
            RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(S(361)))
        );
        let e = http_err(429, &[("retry-after", "86400")]);
        assert_eq!(
            p.with_max_retry_after(Duration::MAX)
                .decide(1, &e, now(), 0),
            RetryDecision::Retry(S(86400))
        );
        let date = httpdate::fmt_http_date(now() + S(3600));
        let e = http_err(503, &[("retry-after", &date)]);
        assert_eq!(
            p.decide(1, &e, now(), 0),
            RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(S(3600)))
        );
        // Not retryable wins over the cap; exhaustion too.
        let e = http_err(404, &[("retry-after", "9999")]);
        assert_eq!(
            p.decide(1, &e, now(), 0),
            RetryDecision::GiveUp(GiveUpReason::NotRetryable)
        );
    }

    #[test]
    fn rate_limited_never_retries_at_once() {
        let p = RetryPolicy::default()
            .with_base_delay(Duration::ZERO)
            .with_jitter(1.0);
        for e in [
            http_err(429, &[]),
            http_err(429, &[("retry-after", "0")]),
            http_err(429, &[("retry-after-ms", "10")]),
            api_err(429, &[codes::RATE_LIMITED], &[]),
            // Code 971 under another status still counts as a rate-limit answer.
            api_err(503, &[codes::RATE_LIMITED], &[]),
        ] {
            for seed in 0..50 {
                assert_eq!(wait(p.decide(1, &e, now(), seed)), S(1), "{e:?}");
            }
        }
        // Other errors may retry with no wait if so configured.
        assert_eq!(
            wait(p.decide(1, &http_err(500, &[]), now(), 0)),
            Duration::ZERO
        );
        // The floor is configurable.
        let p = p.with_min_rate_limited_delay(S(5));
        assert_eq!(wait(p.decide(1, &http_err(429, &[]), now(), 0)), S(5));
    }

    #[test]
    fn jitter_is_deterministic_and_seed_dependent() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(4, 1234), p.backoff(4, 1234));
        let distinct: std::collections::HashSet<Duration> =
            (0..100).map(|seed| p.backoff(4, seed)).collect();
        assert!(distinct.len() > 90, "{} distinct", distinct.len());
        // Different attempts of one request get different factors.
        let f1 = p.backoff(1, 77).as_secs_f64();
        let f2 = p.backoff(2, 77).as_secs_f64() / 2.0;
        assert_ne!(f1, f2);
        // No jitter means exact.
        assert_eq!(no_jitter().backoff(4, 1234), S(8));
    }

    #[test]
    fn jitter_spreads_over_the_range() {
        let p = RetryPolicy::default().with_jitter(0.5);
        let waits: Vec<Duration> = (0..1000).map(|s| p.backoff(1, s)).collect();
        let min = waits.iter().min().unwrap();
        let max = waits.iter().max().unwrap();
        assert!(*min < Duration::from_millis(520), "{min:?}");
        assert!(*max > Duration::from_millis(980), "{max:?}");
    }

    #[test]
    fn state_counts_and_stops() {
        let p = no_jitter().with_max_attempts(4);
        let mut st = p.start(9);
        let e = http_err(500, &[]);
        let mut waits = vec![];
        loop {
            match st.on_error(&e, now()) {
                RetryDecision::Retry(d) => waits.push(d),
                RetryDecision::GiveUp(r) => {
                    assert_eq!(r, GiveUpReason::AttemptsExhausted);
                    break;
                }
            }
        }
        assert_eq!(waits, [S(1), S(2), S(4)]);
        assert_eq!((st.attempts(), st.retries()), (4, 3));
        assert_eq!(st.total_delay(), S(7));
        assert_eq!(st.gave_up(), Some(GiveUpReason::AttemptsExhausted));
        // After giving up, it keeps giving up and counts nothing more.
        assert!(matches!(st.on_error(&e, now()), RetryDecision::GiveUp(_)));
        assert_eq!(st.attempts(), 4);

        let mut st = p.start(9);
        assert_eq!(
            st.on_error(&http_err(401, &[]), now()),
            RetryDecision::GiveUp(GiveUpReason::NotRetryable)
        );
        assert_eq!((st.attempts(), st.retries()), (1, 0));
        // A later, retryable error does not revive a finished request.
        assert_eq!(
            st.on_error(&e, now()),
            RetryDecision::GiveUp(GiveUpReason::NotRetryable)
        );
        assert_eq!((st.attempts(), st.retries()), (1, 0));
    }

    proptest! {
        #[test]
        fn jitter_bounds(seed: u64, attempt in 1u32..40, j in 0.0f64..=1.0,
                         base_ms in 0u64..100_000, cap_ms in 0u64..1_000_000) {
            let p = RetryPolicy::default()
                .with_jitter(j)
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(cap_ms));
            let raw = no_jitter()
                .with_base_delay(p.base_delay())
                .with_max_delay(p.max_delay())
                .backoff(attempt, seed);
            let d = p.backoff(attempt, seed);
            prop_assert!(d <= raw);
            prop_assert!(d <= p.max_delay());
            // factor >= 1 - j, allowing 1 ns of integer rounding
            let lower = raw.as_secs_f64() * (1.0 - j);
            prop_assert!(d.as_secs_f64() + 1e-9 >= lower * (1.0 - 1e-12), "{d:?} < {lower}");
            prop_assert_eq!(d, p.backoff(attempt, seed));
        }

        #[test]
        fn decision_within_bounds(seed: u64, attempt in 1u32..20, status in 400u16..600,
                                  ra in proptest::option::of(0u64..1000)) {
            let ra_s = ra.map(|s| s.to_string());
            let headers: Vec<(&str, &str)> =
                ra_s.iter().map(|s| ("retry-after", s.as_str())).collect();
            let e = http_err(status, &headers);
            let p = RetryPolicy::default();
            match p.decide(attempt, &e, now(), seed) {
                RetryDecision::Retry(d) => {
                    prop_assert!(e.is_retryable());
                    prop_assert!(attempt < p.max_attempts());
                    prop_assert!(d <= p.max_delay().max(p.max_retry_after()));
                    if let Some(s) = ra { prop_assert!(d >= S(s)); }
                    if status == 429 { prop_assert!(d >= S(1)); }
                }
                RetryDecision::GiveUp(GiveUpReason::NotRetryable) => prop_assert!(!e.is_retryable()),
                RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted) => {
                    prop_assert!(attempt >= p.max_attempts())
                }
                RetryDecision::GiveUp(GiveUpReason::DeadlineExceeded(_)) => prop_assert!(false, "no deadline set"),
                RetryDecision::GiveUp(GiveUpReason::Resize) => prop_assert!(false, "no operation"),
                RetryDecision::GiveUp(GiveUpReason::RetryAfterTooLong(d)) => {
                    prop_assert!(d > p.max_retry_after())
                }
            }
        }
    }

    #[test]
    fn non_idempotent_requests_retry_only_unprocessed_failures() {
        let p = RetryPolicy::default();
        let now = SystemTime::UNIX_EPOCH;
        let status = |code: u16| {
            let resp = http::Response::builder()
                .status(code)
                .body(&b"<html>busy</html>"[..])
                .unwrap();
            crate::envelope::decode_error(&resp)
        };
        assert!(matches!(
            p.decide_for(false, 1, &status(429), now, 1),
            RetryDecision::Retry(_)
        ));
        for code in [500, 502, 503, 408, 409] {
            assert!(matches!(
                p.decide_for(true, 1, &status(code), now, 1),
                RetryDecision::Retry(_)
            ));
            assert_eq!(
                p.decide_for(false, 1, &status(code), now, 1),
                RetryDecision::GiveUp(GiveUpReason::NotRetryable),
                "{code}"
            );
        }
        let mut st = p.start(3).idempotent(false);
        let reset = Error::transport(TransportErrorKind::ConnectionClosed, "reset");
        assert_eq!(
            st.on_error(&reset, now),
            RetryDecision::GiveUp(GiveUpReason::NotRetryable)
        );
        let mut st = p.start(3).idempotent(false);
        let dns = Error::transport(TransportErrorKind::Dns, "no such host");
        assert!(matches!(st.on_error(&dns, now), RetryDecision::Retry(_)));
    }
}
