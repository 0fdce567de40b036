//! [`BatchSizer`]: how many items the next bulk write or delete carries, learned from how fast
//! the server answers.
//!
//! Pure arithmetic over what the caller reports (item counts, body bytes, elapsed times); it
//! reads no clock.
//!
//! # How the bulk engine uses it
//!
//! - A write or delete plan without `max_batch_items` uses
//!   `BatchSizer::for_writes().with_time_budget(edge_time_budget)` (the engine packs bytes
//!   exactly itself); otherwise, and for bulk get, `BatchSizer::fixed(max_items)`.
//! - `poll` reads `next_size()` once per batch; parts of a split batch go first, each alone.
//! - `handle`: `Ok` → `on_success(items, body_bytes, elapsed)`; an `Err` for which
//!   `should_shrink` holds → `on_too_large_or_slow(items)`, and `Some(p)` re-queues the keys in
//!   parts of `p` ahead of everything, without counting a per-key attempt (`None` fails them).
//!   Only adaptive plans split; a fixed-size plan fails the batch as before.
//! - A plan-made, adaptive bulk write or delete of several items defers these errors to the
//!   plan (`Operation::defers_to_plan`), so the shell does not re-send the same body.

use std::time::Duration;

use http::StatusCode;

use crate::error::Error;
use crate::op::{MAX_BULK_GET_KEYS, MAX_BULK_ITEMS};

use super::config::{DEFAULT_MAX_BATCH_ITEMS, DEFAULT_MAX_BODY_BYTES};

/// Cloudflare's edge time limit: an origin answer slower than about 100 s becomes HTTP 524.
///
/// ```
/// use kv_proto::{BatchSizer, defaults::DEFAULT_EDGE_TIME_BUDGET};
/// assert_eq!(BatchSizer::for_writes().time_budget(), DEFAULT_EDGE_TIME_BUDGET);
/// ```
pub const DEFAULT_EDGE_TIME_BUDGET: Duration = Duration::from_secs(100);

/// The smallest target a [`BatchSizer::for_writes`] shrinks to: 10 items. (A batch that
/// fails is still split below it, down to single items: see
/// [`BatchSizer::on_too_large_or_slow`].)
///
/// ```
/// use kv_proto::{BatchSizer, defaults::MIN_ADAPTIVE_BATCH_ITEMS};
/// assert_eq!(BatchSizer::for_writes().bounds().0, MIN_ADAPTIVE_BATCH_ITEMS);
/// ```
pub const MIN_ADAPTIVE_BATCH_ITEMS: usize = 10;

/// How many clean answers in a row a [`BatchSizer`] waits for before it grows: 2.
///
/// ```
/// use kv_proto::{BatchSizer, defaults::DEFAULT_GROW_AFTER};
/// assert_eq!(BatchSizer::for_writes().grow_after(), DEFAULT_GROW_AFTER);
/// ```
pub const DEFAULT_GROW_AFTER: u32 = 2;

/// A batch may grow only while its answer, projected to the grown size, would come within
/// `budget / GROW_DIVISOR` (a quarter of the edge time limit).
const GROW_DIVISOR: u32 = 4;
/// An answer slower than `budget / SLOW_DIVISOR` (half the limit), though successful, shrinks
/// the target by [`SLOW_SHRINK`].
const SLOW_DIVISOR: u32 = 2;
/// Growth factor on a run of clean answers.
const GROW: usize = 2;
/// Shrink factor on a 524, a 413 or a timeout.
const SHRINK: usize = 4;
/// Shrink factor on a successful but slow answer.
const SLOW_SHRINK: usize = 2;

/// Adaptive batch size for bulk writes and deletes: start at a size known to work, grow toward
/// the API's 10,000 items while answers come back well inside the edge time limit, shrink at
/// once when a batch is too large or too slow.
///
/// The API takes 10,000 items per request, and under Cloudflare's request budget (1,200
/// requests per 5 minutes) fewer, larger requests finish sooner. But a large write can run
/// past the edge's time limit and fail with 524 (wrangler moved from 5,000 to 1,000 items for
/// that reason, workers-sdk#7021), so no fixed size is right for every server, value size and
/// day. The sizer starts at 1,000 ([`DEFAULT_MAX_BATCH_ITEMS`]) and learns.
///
/// # Rules (AIMD-like)
///
/// State: a target item count in `[min, max]` (defaults: 10 and 10,000), a byte cap (default
/// 99,000,000, the plan's), an edge time budget `B` (default 100 s), and a run of clean
/// answers.
///
/// 1. **Next size** ([`next_size`](BatchSizer::next_size)): the target, lowered so that the
///    widest item seen so far (bytes per item, rounded up, over every answer reported) times
///    the size stays within the byte cap; never below 1. (The caller still measures each body
///    exactly and closes a batch early when the next item does not fit.)
/// 2. **Clean answer** ([`on_success`](BatchSizer::on_success) with `items` and `elapsed`): the
///    answer is clean when `elapsed × (GROW × target) / items ≤ B / 4`, that is, when the
///    same per-item time (fixed latency included, which overestimates large batches) would
///    bring a batch twice the target back within a quarter of the limit. After
///    `grow_after` (default 2) clean answers in a row the target doubles (up to `max`) and the
///    run starts again.
/// 3. **Slow answer**: a success that is not clean ends the run; one slower than `B / 2`
///    also halves the target (never below `min`, never above what the slow batch carried).
/// 4. **Too large or too slow** ([`on_too_large_or_slow`](BatchSizer::on_too_large_or_slow),
///    on a 524, a 413 or a timeout: [`BatchSizer::should_shrink`]): the target becomes
///    `min(target, items / 4)` (not below `min`), so several failures of batches that were
///    in flight together shrink once per size, not once per failure; the run starts again.
///    The call returns the size of the parts the failed batch is re-sent in (see there).
///
/// # Guarantees
///
/// - `min ≤ target ≤ max` at all times, and `1 ≤ next_size() ≤ max`;
/// - `next_size() × widest ≤ byte_cap` whenever one item of the widest size seen fits the
///   cap at all (otherwise `next_size()` is 1);
/// - a failed batch of `n ≥ 2` items is re-sent in parts of at most `⌈n / 2⌉` items, so a key
///   is split at most `⌈log2 10,000⌉ = 14` times before it travels alone.
///
/// A sizer made by [`BatchSizer::fixed`] (bulk get: 100 keys, the API's limit) never changes
/// size.
///
/// ```
/// use kv_proto::BatchSizer;
/// use std::time::Duration;
///
/// let mut s = BatchSizer::for_writes();
/// assert_eq!(s.next_size(), 1_000);
/// // Two quick answers (0.3 s for 1,000 items): the next batches carry 2,000.
/// s.on_success(1_000, 100_000, Duration::from_millis(300));
/// s.on_success(1_000, 100_000, Duration::from_millis(300));
/// assert_eq!(s.next_size(), 2_000);
/// // A 524 on a batch of 2,000: re-send it in parts of 500, and send 500 from now on.
/// assert_eq!(s.on_too_large_or_slow(2_000), Some(500));
/// assert_eq!(s.next_size(), 500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSizer {
    target: usize,
    min: usize,
    max: usize,
    byte_cap: usize,
    budget: Duration,
    grow_after: u32,
    /// Clean answers in a row.
    clean: u32,
    /// The most bytes per item seen (rounded up); 0 before any answer.
    widest: usize,
}

impl BatchSizer {
    /// For bulk writes and deletes: start at 1,000 ([`DEFAULT_MAX_BATCH_ITEMS`]), bounds 10
    /// ([`MIN_ADAPTIVE_BATCH_ITEMS`]) to 10,000 ([`MAX_BULK_ITEMS`]), byte cap 99,000,000
    /// ([`DEFAULT_MAX_BODY_BYTES`]), time budget 100 s ([`DEFAULT_EDGE_TIME_BUDGET`]), grow
    /// after 2 clean answers ([`DEFAULT_GROW_AFTER`]).
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// let s = BatchSizer::for_writes();
    /// assert_eq!((s.next_size(), s.bounds()), (1_000, (10, 10_000)));
    /// ```
    pub fn for_writes() -> BatchSizer {
        BatchSizer {
            target: DEFAULT_MAX_BATCH_ITEMS,
            min: MIN_ADAPTIVE_BATCH_ITEMS,
            max: MAX_BULK_ITEMS,
            byte_cap: DEFAULT_MAX_BODY_BYTES,
            budget: DEFAULT_EDGE_TIME_BUDGET,
            grow_after: DEFAULT_GROW_AFTER,
            clean: 0,
            widest: 0,
        }
    }

    /// Always `n` items (clamped to 1..=10,000): what a plan with a configured
    /// `max_batch_items`, or a bulk get (`BatchSizer::fixed(100)`), uses. Its
    /// [`on_too_large_or_slow`](BatchSizer::on_too_large_or_slow) still says how to split a
    /// failed batch, but the size stays.
    ///
    /// ```
    /// use kv_proto::{BatchSizer, limits::MAX_BULK_GET_KEYS};
    /// use std::time::Duration;
    /// let mut s = BatchSizer::fixed(MAX_BULK_GET_KEYS);
    /// for _ in 0..10 {
    ///     s.on_success(100, 2_000, Duration::from_millis(1));
    /// }
    /// assert_eq!(s.next_size(), 100);
    /// ```
    pub fn fixed(n: usize) -> BatchSizer {
        let n = n.clamp(1, MAX_BULK_ITEMS);
        BatchSizer {
            target: n,
            min: n,
            max: n,
            ..BatchSizer::for_writes()
        }
    }

    /// The bulk get sizer: [`BatchSizer::fixed`] at 100 ([`MAX_BULK_GET_KEYS`]).
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_gets().next_size(), 100);
    /// ```
    pub fn for_gets() -> BatchSizer {
        BatchSizer::fixed(MAX_BULK_GET_KEYS)
    }

    /// Starts at `start` instead (clamped into the bounds).
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().with_start(5_000).next_size(), 5_000);
    /// assert_eq!(BatchSizer::for_writes().with_start(50_000).next_size(), 10_000);
    /// ```
    pub fn with_start(mut self, start: usize) -> BatchSizer {
        self.target = start.clamp(self.min, self.max);
        self
    }

    /// Target bounds `min..=max`, each clamped to 1..=10,000 (swapped if reversed); the
    /// target is clamped into them.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// let s = BatchSizer::for_writes().with_bounds(100, 2_000);
    /// assert_eq!(s.bounds(), (100, 2_000));
    /// assert_eq!(BatchSizer::for_writes().with_bounds(500, 200).bounds(), (200, 500));
    /// ```
    pub fn with_bounds(mut self, min: usize, max: usize) -> BatchSizer {
        let a = min.clamp(1, MAX_BULK_ITEMS);
        let b = max.clamp(1, MAX_BULK_ITEMS);
        (self.min, self.max) = (a.min(b), a.max(b));
        self.target = self.target.clamp(self.min, self.max);
        self
    }

    /// The most body bytes a batch should carry (at least 1); see rule 1.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// use std::time::Duration;
    /// let mut s = BatchSizer::for_writes().with_byte_cap(1_000_000);
    /// s.on_success(100, 200_000, Duration::from_millis(100)); // 2,000 bytes per item
    /// assert_eq!(s.next_size(), 500);
    /// ```
    pub fn with_byte_cap(mut self, bytes: usize) -> BatchSizer {
        self.byte_cap = bytes.max(1);
        self
    }

    /// The time a request may take before the edge gives up on it (at least 1 ms). Use the
    /// smaller of the edge's limit and the client's own request timeout.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// use std::time::Duration;
    /// let s = BatchSizer::for_writes().with_time_budget(Duration::from_secs(60));
    /// assert_eq!(s.time_budget(), Duration::from_secs(60));
    /// ```
    pub fn with_time_budget(mut self, budget: Duration) -> BatchSizer {
        self.budget = budget.max(Duration::from_millis(1));
        self
    }

    /// Clean answers in a row needed to grow (at least 1).
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().with_grow_after(0).grow_after(), 1);
    /// ```
    pub fn with_grow_after(mut self, k: u32) -> BatchSizer {
        self.grow_after = k.max(1);
        self
    }

    /// The size of the next batch (rule 1): `1 ≤ next_size() ≤ max`.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().next_size(), 1_000);
    /// ```
    pub fn next_size(&self) -> usize {
        let by_bytes = match self.widest {
            0 => usize::MAX,
            w => (self.byte_cap / w).max(1),
        };
        self.target.min(by_bytes).max(1)
    }

    /// The current target, before the byte cap (rule 1) applies.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().target(), 1_000);
    /// ```
    pub fn target(&self) -> usize {
        self.target
    }

    /// `(min, max)`.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::fixed(100).bounds(), (100, 100));
    /// ```
    pub fn bounds(&self) -> (usize, usize) {
        (self.min, self.max)
    }

    /// The byte cap.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().byte_cap(), 99_000_000);
    /// ```
    pub fn byte_cap(&self) -> usize {
        self.byte_cap
    }

    /// The edge time budget.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().time_budget().as_secs(), 100);
    /// ```
    pub fn time_budget(&self) -> Duration {
        self.budget
    }

    /// Clean answers in a row needed to grow.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// assert_eq!(BatchSizer::for_writes().grow_after(), 2);
    /// ```
    pub fn grow_after(&self) -> u32 {
        self.grow_after
    }

    /// A batch of `items` items and `bytes` body bytes was answered (the request succeeded,
    /// whatever `unsuccessful_keys` said) `elapsed` after it was sent. Rules 2 and 3. An
    /// answer for zero items is ignored.
    ///
    /// `elapsed` is best the time of the last attempt; a total over retries only makes the
    /// sizer more careful.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// use std::time::Duration;
    /// let mut s = BatchSizer::for_writes();
    /// // 10 s for 1,000 items: 2,000 would take about 20 s, within a quarter of 100 s: grow.
    /// s.on_success(1_000, 0, Duration::from_secs(10));
    /// s.on_success(1_000, 0, Duration::from_secs(10));
    /// assert_eq!(s.next_size(), 2_000);
    /// // 15 s for 2,000: 4,000 would take 30 s, more than a quarter of 100 s: stay.
    /// s.on_success(2_000, 0, Duration::from_secs(15));
    /// s.on_success(2_000, 0, Duration::from_secs(15));
    /// assert_eq!(s.next_size(), 2_000);
    /// // 60 s, more than half the limit: halve.
    /// s.on_success(2_000, 0, Duration::from_secs(60));
    /// assert_eq!(s.next_size(), 1_000);
    /// ```
    pub fn on_success(&mut self, items: usize, bytes: usize, elapsed: Duration) {
        if items == 0 {
            return;
        }
        self.widest = self.widest.max(bytes.div_ceil(items));
        if elapsed > self.budget / SLOW_DIVISOR {
            // Rule 3: a success near the limit.
            self.clean = 0;
            self.target = self.target.min(items / SLOW_SHRINK).max(self.min);
            return;
        }
        // Rule 2: would twice the target come back within a quarter of the budget?
        let next = self.target.saturating_mul(GROW).min(self.max);
        let projected = elapsed.as_nanos() * next as u128 / items as u128;
        if projected > (self.budget / GROW_DIVISOR).as_nanos() {
            self.clean = 0;
            return;
        }
        self.clean += 1;
        if self.clean >= self.grow_after {
            self.clean = 0;
            self.target = next;
        }
    }

    /// A batch of `items` items failed because it was too large or too slow (a 524, a 413 or
    /// a timeout: [`BatchSizer::should_shrink`]). Shrinks the target (rule 4) and returns the
    /// size of the parts to re-send that batch in: `Some(p)` with `1 ≤ p ≤ ⌈items / 2⌉`, or
    /// `None` when `items ≤ 1` (a single item cannot be split: its failure is an ordinary
    /// one).
    ///
    /// The caller re-queues the batch's keys, in parts of at most `p`, ahead of new input, and
    /// does not count this send against their per-key attempt limit: the keys were not
    /// refused, the batch was. Termination: every split at least halves a part, so a key is
    /// re-sent this way at most `⌈log2 items⌉` times before it goes alone, and then counts as
    /// usual.
    ///
    /// ```
    /// use kv_proto::BatchSizer;
    /// let mut s = BatchSizer::for_writes();
    /// assert_eq!(s.on_too_large_or_slow(1_000), Some(250));
    /// assert_eq!(s.on_too_large_or_slow(1_000), Some(250)); // in flight with the first
    /// assert_eq!(s.next_size(), 250);
    /// assert_eq!(s.on_too_large_or_slow(3), Some(2));
    /// assert_eq!(s.next_size(), 10); // the floor
    /// assert_eq!(s.on_too_large_or_slow(1), None);
    /// ```
    pub fn on_too_large_or_slow(&mut self, items: usize) -> Option<usize> {
        self.clean = 0;
        self.target = self.target.min(items / SHRINK).max(self.min);
        if items <= 1 {
            return None;
        }
        Some(self.next_size().min(items.div_ceil(2)).max(1))
    }

    /// Whether `error` says the batch was too large or too slow, so that it should be split
    /// and the size shrunk: HTTP 524 (the edge timed out waiting for the origin), HTTP 413
    /// (body too large), or a transport timeout. A 429, another 5xx or a refused connection
    /// say nothing about the size.
    ///
    /// ```
    /// use kv_proto::{BatchSizer, Error, TransportErrorKind};
    /// assert!(BatchSizer::should_shrink(&Error::transport(TransportErrorKind::Timeout, "read")));
    /// assert!(!BatchSizer::should_shrink(&Error::transport(TransportErrorKind::Connect, "refused")));
    /// ```
    pub fn should_shrink(error: &Error) -> bool {
        error.is_timeout()
            || error.status().is_some_and(|s| {
                s == StatusCode::PAYLOAD_TOO_LARGE || s.as_u16() == EDGE_TIMEOUT_STATUS
            })
    }
}

/// Cloudflare's "A timeout occurred" status.
const EDGE_TIMEOUT_STATUS: u16 = 524;

impl Default for BatchSizer {
    /// [`BatchSizer::for_writes`].
    fn default() -> BatchSizer {
        BatchSizer::for_writes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{GetNamespace, Operation};
    use crate::{NamespaceId, TransportErrorKind};
    use proptest::prelude::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const SECS: fn(u64) -> Duration = Duration::from_secs;

    fn status_error(status: u16) -> Error {
        let op = GetNamespace::new(NamespaceId::new("ns1").unwrap());
        let body = br#"{"success":false,"errors":[{"code":10001,"message":"x"}]}"#;
        let answer = http::Response::builder()
            .status(status)
            .body(&body[..])
            .unwrap();
        op.parse(answer).unwrap_err()
    }

    #[test]
    fn grows_by_doubling_after_clean_runs_up_to_the_api_limit() {
        let mut s = BatchSizer::for_writes();
        let mut sizes = vec![s.next_size()];
        for _ in 0..12 {
            let n = s.next_size();
            s.on_success(n, n * 100, MS(100) + MS(n as u64 / 5)); // 100 ms + 200 µs/item
            sizes.push(s.next_size());
        }
        assert_eq!(
            sizes,
            [
                1_000, 1_000, 2_000, 2_000, 4_000, 4_000, 8_000, 8_000, 10_000, 10_000, 10_000,
                10_000, 10_000
            ]
        );
    }

    #[test]
    fn a_slow_server_keeps_the_size() {
        // 20 ms per item: 1,000 items take 20 s; 2,000 would take 40 s > 25 s.
        let mut s = BatchSizer::for_writes();
        for _ in 0..10 {
            s.on_success(1_000, 0, SECS(20));
        }
        assert_eq!(s.next_size(), 1_000);
    }

    #[test]
    fn an_unclean_answer_restarts_the_run() {
        let mut s = BatchSizer::for_writes();
        s.on_success(1_000, 0, MS(300));
        s.on_success(1_000, 0, SECS(20)); // not clean, not slow
        s.on_success(1_000, 0, MS(300));
        assert_eq!(s.next_size(), 1_000);
        s.on_success(1_000, 0, MS(300));
        assert_eq!(s.next_size(), 2_000);
    }

    #[test]
    fn shrinks_by_four_to_the_floor_and_splits_down_to_one() {
        let mut s = BatchSizer::for_writes().with_start(10_000);
        assert_eq!(s.on_too_large_or_slow(10_000), Some(2_500));
        assert_eq!(s.on_too_large_or_slow(2_500), Some(625));
        assert_eq!(s.on_too_large_or_slow(625), Some(156));
        assert_eq!(s.on_too_large_or_slow(156), Some(39));
        assert_eq!(s.on_too_large_or_slow(39), Some(10));
        assert_eq!(s.target(), 10);
        // Below the floor the target stays, but a failing batch still splits.
        assert_eq!(s.on_too_large_or_slow(10), Some(5));
        assert_eq!(s.on_too_large_or_slow(5), Some(3));
        assert_eq!(s.on_too_large_or_slow(2), Some(1));
        assert_eq!(s.on_too_large_or_slow(1), None);
        assert_eq!(s.on_too_large_or_slow(0), None);
        assert_eq!(s.next_size(), 10);
    }

    #[test]
    fn failures_of_batches_in_flight_together_shrink_once() {
        let mut s = BatchSizer::for_writes().with_start(8_000);
        for _ in 0..4 {
            assert_eq!(s.on_too_large_or_slow(8_000), Some(2_000));
        }
        assert_eq!(s.next_size(), 2_000);
        // A late success of a big batch does not undo it at once.
        s.on_success(8_000, 0, MS(500));
        assert_eq!(s.next_size(), 2_000);
    }

    #[test]
    fn a_success_near_the_limit_halves() {
        let mut s = BatchSizer::for_writes().with_start(4_000);
        s.on_success(4_000, 0, SECS(51));
        assert_eq!(s.next_size(), 2_000);
        // Halving is relative to the slow batch, not the target.
        s.on_success(400, 0, SECS(51));
        assert_eq!(s.next_size(), 200);
        let mut s = BatchSizer::for_writes();
        s.on_success(1_000, 0, SECS(50)); // exactly half: not slow (and not clean)
        assert_eq!(s.next_size(), 1_000);
    }

    #[test]
    fn the_time_budget_scales_the_rules() {
        // A 60 s client timeout: grow only while 2 × target comes back within 15 s.
        let mut s = BatchSizer::for_writes().with_time_budget(SECS(60));
        s.on_success(1_000, 0, MS(7_600));
        s.on_success(1_000, 0, MS(7_600));
        assert_eq!(s.next_size(), 1_000);
        s.on_success(1_000, 0, MS(7_400));
        s.on_success(1_000, 0, MS(7_400));
        assert_eq!(s.next_size(), 2_000);
    }

    #[test]
    fn the_byte_cap_bounds_the_size() {
        let mut s = BatchSizer::for_writes().with_start(10_000);
        s.on_success(10, 10 * 20_000, MS(10)); // 20 kB per item
        assert_eq!(s.next_size(), 99_000_000 / 20_000);
        // The widest item seen stays the measure.
        s.on_success(10, 10, MS(10));
        assert_eq!(s.next_size(), 4_950);
        // An item wider than the cap: one at a time.
        let mut s = BatchSizer::for_writes().with_byte_cap(1_000);
        s.on_success(1, 5_000, MS(10));
        assert_eq!(s.next_size(), 1);
        assert_eq!(s.on_too_large_or_slow(4), Some(1));
    }

    #[test]
    fn fixed_never_moves() {
        let mut s = BatchSizer::for_gets();
        s.on_too_large_or_slow(100);
        assert_eq!(s.next_size(), 100);
        s.on_success(100, 0, SECS(99));
        assert_eq!(s.next_size(), 100);
        assert_eq!(BatchSizer::fixed(0).next_size(), 1);
        assert_eq!(BatchSizer::fixed(20_000).next_size(), 10_000);
        assert_eq!(BatchSizer::default(), BatchSizer::for_writes());
    }

    #[test]
    fn settings_are_clamped() {
        let s = BatchSizer::for_writes()
            .with_bounds(0, 99_999)
            .with_byte_cap(0)
            .with_time_budget(Duration::ZERO)
            .with_grow_after(0);
        assert_eq!(s.bounds(), (1, 10_000));
        assert_eq!(s.byte_cap(), 1);
        assert_eq!(s.time_budget(), MS(1));
        assert_eq!(s.grow_after(), 1);
        assert_eq!(
            BatchSizer::for_writes().with_bounds(3_000, 5_000).target(),
            3_000
        );
    }

    #[test]
    fn classifies_errors() {
        assert!(BatchSizer::should_shrink(&status_error(524)));
        assert!(BatchSizer::should_shrink(&status_error(413)));
        assert!(BatchSizer::should_shrink(&Error::transport(
            TransportErrorKind::Timeout,
            "t"
        )));
        for status in [400, 429, 500, 502, 503, 522] {
            assert!(
                !BatchSizer::should_shrink(&status_error(status)),
                "{status}"
            );
        }
        assert!(!BatchSizer::should_shrink(&Error::transport(
            TransportErrorKind::ConnectionClosed,
            "reset"
        )));
        assert!(!BatchSizer::should_shrink(&Error::protocol("x")));
    }

    #[derive(Debug, Clone)]
    enum Event {
        Success {
            items: usize,
            bytes_per_item: usize,
            ms: u64,
        },
        Fail {
            items: usize,
        },
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            4 => (0usize..12_000, 0usize..200_000, 0u64..200_000)
                .prop_map(|(items, bytes_per_item, ms)| Event::Success { items, bytes_per_item, ms }),
            1 => (0usize..12_000).prop_map(|items| Event::Fail { items }),
        ]
    }

    proptest! {
        #[test]
        fn stays_within_bounds_and_the_byte_cap(
            min in 1usize..10_000,
            max in 1usize..10_000,
            start in 0usize..20_000,
            byte_cap in 1usize..100_000_000,
            budget_ms in 1u64..200_000,
            k in 0u32..4,
            events in proptest::collection::vec(event(), 0..200),
        ) {
            let mut s = BatchSizer::for_writes()
                .with_bounds(min, max)
                .with_start(start)
                .with_byte_cap(byte_cap)
                .with_time_budget(MS(budget_ms))
                .with_grow_after(k);
            let (lo, hi) = s.bounds();
            let mut widest = 0usize;
            for e in events {
                match e {
                    Event::Success { items, bytes_per_item, ms } => {
                        s.on_success(items, items * bytes_per_item, MS(ms));
                        if items > 0 {
                            widest = widest.max(bytes_per_item);
                        }
                    }
                    Event::Fail { items } => {
                        let part = s.on_too_large_or_slow(items);
                        match part {
                            None => prop_assert!(items <= 1),
                            Some(p) => prop_assert!(p >= 1 && p <= items.div_ceil(2) && p < items),
                        }
                    }
                }
                let n = s.next_size();
                prop_assert!(lo <= s.target() && s.target() <= hi);
                prop_assert!(1 <= n && n <= hi);
                if widest > 0 && widest <= byte_cap {
                    prop_assert!(n * widest <= byte_cap, "{} × {} > {}", n, widest, byte_cap);
                } else if widest > byte_cap {
                    prop_assert_eq!(n, 1);
                }
                if widest == 0 || widest * lo <= byte_cap {
                    prop_assert!(n >= lo);
                }
            }
        }
    }
}
