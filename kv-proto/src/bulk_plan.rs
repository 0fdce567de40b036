//! Bulk plans: pure state machines that split any number of writes, deletes or reads into
//! bulk requests within the API's limits, re-queue the keys the server reports unsuccessful,
//! and account for every key in a final report.
//!
//! See [`Poll`] for the shell's loop and how the plans work.

use std::collections::{BTreeMap, HashMap, HashSet, hash_map};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Limit};
use crate::ids::{Key, NamespaceId};
use crate::op::{
    BulkDelete, BulkGet, BulkGetResult, BulkResult, BulkValue, BulkWrite, BulkWriteItem,
    MAX_BULK_GET_KEYS, MAX_BULK_ITEMS, MAX_BULK_WRITE_BODY_BYTES,
};
use crate::retry::{RetryPolicy, splitmix64};

/// Default items per bulk write or bulk delete request: 1,000.
///
/// The API accepts 10,000, but wrangler sent 5,000 per request until users hit 524 timeouts
/// (workers-sdk#7021, 56,300 records) and then moved to 1,000 (PR #7036). Smaller batches also
/// lose less work when one fails. Raise it with [`PlanConfig::with_max_batch_items`].
///
/// ```
/// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig, Poll, DEFAULT_MAX_BATCH_ITEMS};
/// let keys: Vec<Key> = (0..1500).map(|i| Key::new(i.to_string())).collect::<Result<_, _>>()?;
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
/// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
/// assert_eq!(op.keys().len(), DEFAULT_MAX_BATCH_ITEMS);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const DEFAULT_MAX_BATCH_ITEMS: usize = 1_000;

/// Default encoded-body budget of one bulk write: 99,000,000 bytes.
///
/// The API's limit is "100 MB" ([`MAX_BULK_WRITE_BODY_BYTES`], read as 100,000,000 bytes, the
/// stricter reading); 1 % headroom stays below it even if a proxy counts a little more.
///
/// ```
/// use kv_proto::{PlanConfig, DEFAULT_MAX_BODY_BYTES, MAX_BULK_WRITE_BODY_BYTES};
/// assert_eq!(PlanConfig::default().max_body_bytes(), DEFAULT_MAX_BODY_BYTES);
/// assert!(DEFAULT_MAX_BODY_BYTES < MAX_BULK_WRITE_BODY_BYTES);
/// ```
pub const DEFAULT_MAX_BODY_BYTES: usize = 99_000_000;

/// Default number of times a key the server reports unsuccessful is sent in all: 5 (the first
/// send and 4 re-sends, after about 1 + 2 + 4 + 8 = 15 s of backoff with the default policy).
///
/// ```
/// use kv_proto::{PlanConfig, DEFAULT_MAX_KEY_ATTEMPTS};
/// assert_eq!(PlanConfig::default().max_key_attempts(), DEFAULT_MAX_KEY_ATTEMPTS);
/// ```
pub const DEFAULT_MAX_KEY_ATTEMPTS: u32 = 5;

/// Settings shared by the bulk plans.
///
/// | setting | default |
/// |---|---|
/// | [`max_batch_items`](PlanConfig::with_max_batch_items) | write and delete: 1,000 ([`DEFAULT_MAX_BATCH_ITEMS`], up to 10,000); get: 100 (up to 100) |
/// | [`max_body_bytes`](PlanConfig::with_max_body_bytes) | 99,000,000 ([`DEFAULT_MAX_BODY_BYTES`], up to 100,000,000); bulk write only |
/// | [`max_key_attempts`](PlanConfig::with_max_key_attempts) | 5 ([`DEFAULT_MAX_KEY_ATTEMPTS`]) |
/// | [`backoff`](PlanConfig::with_backoff) | [`RetryPolicy::default`] (1 s doubling, 30 s cap, 25 % jitter); only its delays are used |
/// | [`stop_on_error`](PlanConfig::with_stop_on_error) | false |
/// | [`jitter_seed`](PlanConfig::with_jitter_seed) | 0 |
///
/// The setters never fail; a plan's `new` checks the values and rejects bad ones with
/// [`Limit::Config`].
///
/// ```
/// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig};
///
/// let config = PlanConfig::default().with_max_batch_items(10_000).with_jitter_seed(42);
/// assert_eq!(config.max_batch_items(), Some(10_000));
/// let too_big = PlanConfig::default().with_max_batch_items(10_001);
/// let err = BulkDeletePlan::new(NamespaceId::new("ns")?, Vec::<Key>::new(), too_big).unwrap_err();
/// assert!(err.is_invalid_input());
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    max_batch_items: Option<usize>,
    max_body_bytes: usize,
    max_key_attempts: u32,
    backoff: RetryPolicy,
    stop_on_error: bool,
    jitter_seed: u64,
}

impl Default for PlanConfig {
    fn default() -> PlanConfig {
        PlanConfig {
            max_batch_items: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_key_attempts: DEFAULT_MAX_KEY_ATTEMPTS,
            backoff: RetryPolicy::default(),
            stop_on_error: false,
            jitter_seed: 0,
        }
    }
}

impl PlanConfig {
    /// The documented defaults; same as [`PlanConfig::default`].
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// let c = PlanConfig::new();
    /// assert_eq!(c, PlanConfig::default());
    /// assert_eq!(c.max_batch_items(), None);
    /// ```
    pub fn new() -> PlanConfig {
        PlanConfig::default()
    }

    /// Most items per request: 1..=10,000 for write and delete, 1..=100 for get.
    ///
    /// ```
    /// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig, Poll};
    /// let keys = vec![Key::new("a")?, Key::new("b")?, Key::new("c")?];
    /// let config = PlanConfig::default().with_max_batch_items(2);
    /// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, config)?;
    /// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// assert_eq!(op.keys().len(), 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_max_batch_items(mut self, n: usize) -> PlanConfig {
        self.max_batch_items = Some(n);
        self
    }

    /// Most bytes in one bulk write body (measured exactly with
    /// [`BulkWriteItem::encoded_len`]): 1..=100,000,000. An item that does not fit on its own
    /// is reported failed with [`Limit::BulkWriteBytes`].
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, BulkWritePlan, Key, Limit, NamespaceId, PlanConfig, Poll};
    /// let item = BulkWriteItem::text(Key::new("a")?, "a value too long for the budget")?;
    /// let config = PlanConfig::default().with_max_body_bytes(20);
    /// let mut plan = BulkWritePlan::new(NamespaceId::new("ns1")?, vec![item], config)?;
    /// assert!(matches!(plan.poll(std::time::Instant::now()), Poll::Done));
    /// let report = plan.finish();
    /// assert_eq!(report.failed[0].error.limit(), Some(Limit::BulkWriteBytes));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_max_body_bytes(mut self, n: usize) -> PlanConfig {
        self.max_body_bytes = n;
        self
    }

    /// How many times in all a key reported unsuccessful is sent (at least 1; 1 means never
    /// re-sent).
    ///
    /// ```
    /// use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
    /// let config = PlanConfig::default().with_max_key_attempts(1); // never re-send
    /// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], config)?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Ok(BulkResult { successful_key_count: 0, unsuccessful_keys: vec!["a".into()] }));
    /// let report = plan.finish();
    /// assert_eq!((report.failed.len(), report.failed[0].attempts), (1, 1));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_max_key_attempts(mut self, n: u32) -> PlanConfig {
        self.max_key_attempts = n;
        self
    }

    /// The backoff before re-sending unsuccessful keys: [`RetryPolicy::backoff`] with the
    /// number of times they were sent. The policy's `max_attempts` is not used here.
    ///
    /// ```
    /// use kv_proto::{PlanConfig, RetryPolicy};
    /// use std::time::Duration;
    /// let policy = RetryPolicy::default().with_base_delay(Duration::from_millis(100));
    /// let c = PlanConfig::default().with_backoff(policy);
    /// assert_eq!(c.backoff().base_delay(), Duration::from_millis(100));
    /// ```
    pub fn with_backoff(mut self, policy: RetryPolicy) -> PlanConfig {
        self.backoff = policy;
        self
    }

    /// Stop at the first failed key instead of going on with the rest.
    ///
    /// ```
    /// use kv_proto::{BulkDeletePlan, Error, Key, NamespaceId, PlanConfig, Poll, TransportErrorKind};
    /// let keys = vec![Key::new("a")?, Key::new("b")?];
    /// let config = PlanConfig::default().with_max_batch_items(1).with_stop_on_error(true);
    /// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, config)?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::transport(TransportErrorKind::Connect, "refused")));
    /// assert!(matches!(plan.poll(std::time::Instant::now()), Poll::Done)); // "b" is never sent
    /// let report = plan.finish();
    /// assert!(report.stopped.is_some());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_stop_on_error(mut self, stop: bool) -> PlanConfig {
        self.stop_on_error = stop;
        self
    }

    /// The seed the backoff jitter is derived from (mixed with each batch's ticket).
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// assert_eq!(PlanConfig::default().with_jitter_seed(7).jitter_seed(), 7);
    /// ```
    pub fn with_jitter_seed(mut self, seed: u64) -> PlanConfig {
        self.jitter_seed = seed;
        self
    }

    /// The configured batch size, or `None` for the plan's default.
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// assert_eq!(PlanConfig::default().max_batch_items(), None);
    /// assert_eq!(PlanConfig::default().with_max_batch_items(50).max_batch_items(), Some(50));
    /// ```
    pub fn max_batch_items(&self) -> Option<usize> {
        self.max_batch_items
    }

    /// The bulk write body budget.
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// assert_eq!(PlanConfig::default().max_body_bytes(), 99_000_000);
    /// assert_eq!(PlanConfig::default().with_max_body_bytes(1_000).max_body_bytes(), 1_000);
    /// ```
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Sends per key, in all.
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// assert_eq!(PlanConfig::default().max_key_attempts(), 5);
    /// assert_eq!(PlanConfig::default().with_max_key_attempts(2).max_key_attempts(), 2);
    /// ```
    pub fn max_key_attempts(&self) -> u32 {
        self.max_key_attempts
    }

    /// The backoff policy.
    ///
    /// ```
    /// use kv_proto::{PlanConfig, RetryPolicy};
    /// assert_eq!(PlanConfig::default().backoff(), &RetryPolicy::default());
    /// ```
    pub fn backoff(&self) -> &RetryPolicy {
        &self.backoff
    }

    /// Whether the plan stops at the first failed key.
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// assert!(!PlanConfig::default().stop_on_error());
    /// assert!(PlanConfig::default().with_stop_on_error(true).stop_on_error());
    /// ```
    pub fn stop_on_error(&self) -> bool {
        self.stop_on_error
    }

    /// The jitter seed.
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// assert_eq!(PlanConfig::default().jitter_seed(), 0);
    /// ```
    pub fn jitter_seed(&self) -> u64 {
        self.jitter_seed
    }

    /// Checks the settings against a plan's limits; returns (batch items, body bytes).
    fn resolve(&self, default_items: usize, max_items: usize) -> Result<(usize, usize), Error> {
        let items = self.max_batch_items.unwrap_or(default_items);
        if !(1..=max_items).contains(&items) {
            return Err(Error::invalid_input(
                Limit::Config,
                format!("max_batch_items is {items}; it must be 1..={max_items} for this plan"),
            ));
        }
        if !(1..=MAX_BULK_WRITE_BODY_BYTES).contains(&self.max_body_bytes) {
            return Err(Error::invalid_input(
                Limit::Config,
                format!(
                    "max_body_bytes is {}; it must be 1..={MAX_BULK_WRITE_BODY_BYTES}",
                    self.max_body_bytes
                ),
            ));
        }
        if self.max_key_attempts == 0 {
            return Err(Error::invalid_input(
                Limit::Config,
                "max_key_attempts is 0; a key must be sent at least once",
            ));
        }
        Ok((items, self.max_body_bytes))
    }
}

/// Identifies one batch in flight; hand it back to `handle` with the batch's response.
///
/// ```
/// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig, Poll};
/// let keys = vec![Key::new("a")?, Key::new("b")?];
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default().with_max_batch_items(1))?;
/// let now = std::time::Instant::now();
/// let (Poll::Send(t1, _), Poll::Send(t2, _)) = (plan.poll(now), plan.poll(now)) else { panic!() };
/// assert_ne!(t1, t2);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(u64);

impl Ticket {
    /// The batch number (from 0, in the order batches were handed out).
    ///
    /// ```
    /// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig, Poll};
    /// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
    /// let Poll::Send(ticket, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// assert_eq!(ticket.id(), 0);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn id(self) -> u64 {
        self.0
    }
}

/// What a plan wants the shell to do next.
///
/// A plan does no I/O and reads no clock: the shell passes `now` to [`poll`](BulkDeletePlan::poll),
/// sends the operations it gets, and hands each response back with its [`Ticket`]:
///
/// ```
/// use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
/// use std::time::Instant;
///
/// let keys = (0..2500).map(|i| Key::new(format!("k{i}")));
/// let keys: Vec<Key> = keys.collect::<Result<_, _>>()?;
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
/// let mut sizes = Vec::new();
/// loop {
///     match plan.poll(Instant::now()) {
///         Poll::Send(ticket, op) => {
///             sizes.push(op.keys().len());
///             // let result = client.execute(&op); (a transport with its own RetryPolicy)
///             let result = Ok(BulkResult {
///                 successful_key_count: op.keys().len() as u64,
///                 unsuccessful_keys: vec![],
///             });
///             plan.handle(ticket, result);
///         }
///         Poll::Wait(d) => std::thread::sleep(d), // re-queued keys are backing off
///         Poll::Idle => {} // multi-threaded shells: wait for an in-flight response
///         Poll::Done => break,
///     }
/// }
/// assert_eq!(sizes, [1000, 1000, 500]);
/// let report = plan.finish();
/// assert_eq!((report.requested, report.succeeded, report.failed.len()), (2500, 2500, 0));
/// # Ok::<(), kv_proto::Error>(())
/// ```
///
/// # How a plan works
///
/// - **Lazy input.** The iterator is pulled only while a batch is being formed, so a job of
///   millions of keys holds in memory only the batches in flight, the keys waiting to be
///   retried and (for bulk write) at most one item that did not fit the previous batch.
///   Bulk get is the exception: its report holds every value, and it remembers every key it
///   has seen to skip duplicates.
/// - **Batches** hold at most [`PlanConfig::with_max_batch_items`] items and, for bulk
///   write, at most [`PlanConfig::with_max_body_bytes`] bytes of encoded body. Keys waiting for
///   a retry whose backoff has passed go first, then fresh items.
/// - **Several requests in flight.** Call `poll` again before handling a response to get the
///   next batch; hand responses back in any order. Each batch has its own [`Ticket`].
/// - **Unsuccessful keys** (bulk write and delete) listed in a 200 response are re-queued and
///   sent again after [`RetryPolicy::backoff`] (counted from the next `poll`), up to
///   [`PlanConfig::with_max_key_attempts`] sends in all. Keys still unsuccessful then are
///   reported failed with an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error saying
///   so.
/// - **A failed request** (the `Err` the shell hands back after its own [`RetryPolicy`]
///   retries) fails every key of its batch with that error. They are **not** re-queued: the
///   shell's policy already retried what was retryable, and re-sending a 400 or a 413 cannot
///   help.
/// - **Stop on error.** With [`PlanConfig::with_stop_on_error`], the first key that fails
///   (for any reason) stops the plan: nothing new is sent, in-flight responses are still
///   handled, and the keys waiting to be sent or re-sent are reported failed with that same
///   error (their `attempts` say how often they were sent).
/// - **Report.** Every item pulled from the iterator ends up exactly once in the report:
///   `succeeded + failed.len() == requested` for write and delete, and
///   `values.len() + failed.len() == requested` for get (distinct keys).
#[derive(Debug)]
pub enum Poll<Op> {
    /// Send this operation, then hand its result to `handle` with the ticket.
    Send(Ticket, Op),
    /// Nothing can be sent before this much time passes (keys are backing off). A shell with
    /// requests in flight should wait for this long or for a response, whichever comes first.
    Wait(Duration),
    /// Nothing to send until an in-flight response is handled.
    Idle,
    /// Every key is accounted for: call `finish`.
    Done,
}

/// Where a plan stands, for progress output.
///
/// `done + failed + in_flight + queued_for_retry <= total_known`; the difference is at most
/// one bulk write item pulled from the iterator that did not fit the previous batch.
///
/// ```
/// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig, Poll};
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
/// let Poll::Send(_, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// let p = plan.progress();
/// assert_eq!((p.in_flight, p.done, p.total_known, p.exhausted), (1, 0, 1, true));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Keys finished successfully (for get: keys with a value or known missing).
    pub done: u64,
    /// Keys failed for good.
    pub failed: u64,
    /// Keys in requests not yet handled.
    pub in_flight: u64,
    /// Keys waiting to be re-sent.
    pub queued_for_retry: u64,
    /// Items pulled from the iterator so far (for get: distinct keys).
    pub total_known: u64,
    /// True once the iterator is fully consumed (then `total_known` is the total).
    pub exhausted: bool,
}

/// A key that could not be written, deleted or read.
///
/// ```
/// use kv_proto::{BulkDeletePlan, Error, Key, NamespaceId, PlanConfig, Poll, TransportErrorKind};
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
/// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// plan.handle(t, Err(Error::transport(TransportErrorKind::Timeout, "timed out")));
/// let failed = &plan.finish().failed[0];
/// assert_eq!((failed.key.as_str(), failed.attempts), ("a", 1));
/// assert!(failed.error.is_timeout());
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FailedKey {
    /// The key.
    pub key: Key,
    /// The last error: the request's error, a synthetic
    /// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error for a key the server kept
    /// reporting unsuccessful, an [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// error for an item that cannot be sent, or the error that stopped the plan. Shared
    /// ([`Arc`]) by every key of a failed batch.
    pub error: Arc<Error>,
    /// How many times the key was sent (0: never).
    pub attempts: u32,
}

/// The final report of a [`BulkWritePlan`] or [`BulkDeletePlan`].
///
/// Invariant: `succeeded + failed.len() == requested`.
///
/// ```
/// use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
/// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// plan.handle(t, Ok(BulkResult { successful_key_count: 1, unsuccessful_keys: vec![] }));
/// let r = plan.finish();
/// assert_eq!((r.requested, r.succeeded, r.requests_sent, r.retries), (1, 1, 1, 0));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    /// Items pulled from the iterator (duplicates included: write and delete send each item).
    pub requested: u64,
    /// Items the server reported written or deleted.
    pub succeeded: u64,
    /// Items that failed, each with its last error.
    pub failed: Vec<FailedKey>,
    /// Bulk requests handed out.
    pub requests_sent: u64,
    /// Keys re-sent after the server reported them unsuccessful (one per key per re-send).
    pub retries: u64,
    /// Responses that re-queued at least one key.
    pub retry_rounds: u64,
    /// Responses whose `successful_key_count` disagreed with the batch size minus its
    /// unsuccessful keys (the key list is trusted).
    pub mismatches: u64,
    /// Oddities ignored: unsuccessful keys that were not in their batch, and responses handed
    /// back with an unknown or already-used ticket.
    pub anomalies: u64,
    /// Keys still pending when [`finish`](BulkWritePlan::finish) was called before
    /// [`Poll::Done`] (also in `failed`).
    pub abandoned: u64,
    /// The error that stopped the plan (only with `stop_on_error`).
    pub stopped: Option<Arc<Error>>,
}

impl BulkReport {
    /// True if every requested item succeeded.
    ///
    /// ```
    /// use kv_proto::{BulkDeletePlan, Error, Key, NamespaceId, PlanConfig, Poll};
    /// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")));
    /// assert!(!plan.finish().is_success());
    /// assert!(kv_proto::BulkReport::default().is_success());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }
}

/// The final report of a [`BulkGetPlan`].
///
/// Invariant: `values.len() + failed.len() == requested`.
///
/// ```
/// use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
/// let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
/// let Poll::Send(t, op) = plan.poll(std::time::Instant::now()) else { panic!() };
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1"}}}"#;
/// plan.handle(t, op.parse(http::Response::new(&body[..])));
/// let r = plan.finish();
/// assert_eq!((r.requested, r.values.len(), r.failed.len()), (1, 1, 0));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BulkGetReport {
    /// Distinct keys pulled from the iterator.
    pub requested: u64,
    /// Later occurrences of a key already requested (not sent again; they share its entry).
    pub duplicates: u64,
    /// Every key read, with its value or [`BulkValue::Missing`].
    pub values: HashMap<Key, BulkValue>,
    /// Keys whose request failed, each with the error.
    pub failed: Vec<FailedKey>,
    /// Bulk get requests handed out.
    pub requests_sent: u64,
    /// Oddities ignored: values for keys that were not in their batch, and responses handed
    /// back with an unknown or already-used ticket.
    pub anomalies: u64,
    /// Keys still pending when [`finish`](BulkGetPlan::finish) was called before
    /// [`Poll::Done`] (also in `failed`).
    pub abandoned: u64,
    /// The error that stopped the plan (only with `stop_on_error`).
    pub stopped: Option<Arc<Error>>,
}

impl BulkGetReport {
    /// True if every requested key was read (present or missing).
    ///
    /// ```
    /// use kv_proto::{BulkGetPlan, Error, Key, NamespaceId, PlanConfig, Poll};
    /// let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")));
    /// assert!(!plan.finish().is_success());
    /// assert!(kv_proto::BulkGetReport::default().is_success());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// The shared engine.

/// What a plan's kind decides about an item pulled from the iterator.
enum Admit {
    /// Batch it; it adds this many bytes to the body (0: no byte budget).
    Take(usize),
    /// A duplicate: already accounted for.
    Skip,
    /// It can never be sent.
    Reject(Error),
}

/// The part that differs between write, delete and get.
trait Spec {
    /// Cloned only to re-queue keys of a batch whose operation is still alive.
    type Item: Clone + PlanItem;
    type Op;
    /// Most items per request the API allows, and the default.
    const MAX_ITEMS: usize;
    const DEFAULT_ITEMS: usize;
    fn admit(&mut self, item: &Self::Item, max_body: usize) -> Admit;
    /// Builds the request, sharing the batch's items; `body_len` is `1 + Σ cost` when costs
    /// are bytes.
    fn build(&self, items: Arc<Vec<Self::Item>>, body_len: usize) -> Result<Self::Op, Error>;
}

struct Entry<T> {
    item: T,
    cost: usize,
    /// Times sent so far.
    attempts: u32,
}

/// A batch in flight: its items, shared with the operation sent (not copied), and each
/// item's (cost, attempts).
struct InFlight<T> {
    items: Arc<Vec<T>>,
    meta: Vec<(usize, u32)>,
}

impl<T: Clone> InFlight<T> {
    fn len(&self) -> usize {
        self.meta.len()
    }

    /// The entries back, to re-queue or fail them. The items are copied only if the shell
    /// still holds the operation.
    fn into_entries(self) -> impl Iterator<Item = Entry<T>> {
        let items = Arc::try_unwrap(self.items).unwrap_or_else(|shared| shared.as_ref().clone());
        items
            .into_iter()
            .zip(self.meta)
            .map(|(item, (cost, attempts))| Entry {
                item,
                cost,
                attempts,
            })
    }
}

struct Engine<S: Spec, I> {
    spec: S,
    source: I,
    exhausted: bool,
    held: Option<Entry<S::Item>>,
    max_items: usize,
    max_body: usize,
    config: PlanConfig,
    /// Re-queued entries and their backoff, counted from the next poll.
    backing_off: Vec<(Duration, Vec<Entry<S::Item>>)>,
    /// Re-queued entries by the time they may be sent (and a sequence number).
    waiting: BTreeMap<(Instant, u64), Vec<Entry<S::Item>>>,
    in_flight: HashMap<u64, InFlight<S::Item>>,
    next_ticket: u64,
    seq: u64,
    stopped: Option<Arc<Error>>,
    pulled: u64,
    skipped: u64,
    succeeded: u64,
    failed: Vec<FailedKey>,
    in_flight_items: u64,
    queued_items: u64,
    requests_sent: u64,
    retries: u64,
    retry_rounds: u64,
    mismatches: u64,
    anomalies: u64,
}

/// SplitMix64: spreads (seed, ticket) into an independent-looking jitter seed.
fn mix(seed: u64, ticket: u64) -> u64 {
    splitmix64(seed ^ ticket.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl<S: Spec, I: Iterator<Item = S::Item>> Engine<S, I> {
    fn new(spec: S, source: I, config: PlanConfig) -> Result<Self, Error> {
        let (max_items, max_body) = config.resolve(S::DEFAULT_ITEMS, S::MAX_ITEMS)?;
        Ok(Engine {
            spec,
            source,
            exhausted: false,
            held: None,
            max_items,
            max_body,
            config,
            backing_off: Vec::new(),
            waiting: BTreeMap::new(),
            in_flight: HashMap::new(),
            next_ticket: 0,
            seq: 0,
            stopped: None,
            pulled: 0,
            skipped: 0,
            succeeded: 0,
            failed: Vec::new(),
            in_flight_items: 0,
            queued_items: 0,
            requests_sent: 0,
            retries: 0,
            retry_rounds: 0,
            mismatches: 0,
            anomalies: 0,
        })
    }

    fn fail(&mut self, entry: Entry<S::Item>, error: Arc<Error>) {
        let attempts = entry.attempts;
        self.failed.push(FailedKey {
            key: entry.item.into_key(),
            error: Arc::clone(&error),
            attempts,
        });
        if self.config.stop_on_error && self.stopped.is_none() {
            self.stopped = Some(error);
        }
    }

    /// Fails every key of a batch with one error.
    fn fail_batch(&mut self, batch: InFlight<S::Item>, error: Error) {
        let error = Arc::new(error);
        for entry in batch.into_entries() {
            self.fail(entry, Arc::clone(&error));
        }
    }

    /// Fails everything not yet sent (after a stop, or on finish).
    fn drain_pending(&mut self, error: &Arc<Error>) {
        let mut pending = Vec::new();
        if let Some(e) = self.held.take() {
            pending.push(e);
        }
        for (_, group) in std::mem::take(&mut self.backing_off) {
            pending.extend(group);
        }
        for (_, group) in std::mem::take(&mut self.waiting) {
            pending.extend(group);
        }
        self.queued_items = 0;
        for e in pending {
            self.fail(e, Arc::clone(error));
        }
    }

    /// The next entry from the iterator that can be batched, failing the ones that cannot.
    fn pull(&mut self) -> Option<Entry<S::Item>> {
        if let Some(e) = self.held.take() {
            return Some(e);
        }
        while !self.exhausted && self.stopped.is_none() {
            let Some(item) = self.source.next() else {
                self.exhausted = true;
                break;
            };
            self.pulled += 1;
            match self.spec.admit(&item, self.max_body) {
                Admit::Take(cost) => {
                    return Some(Entry {
                        item,
                        cost,
                        attempts: 0,
                    });
                }
                Admit::Skip => self.skipped += 1,
                Admit::Reject(e) => self.fail(
                    Entry {
                        item,
                        cost: 0,
                        attempts: 0,
                    },
                    Arc::new(e),
                ),
            }
        }
        None
    }

    fn poll(&mut self, now: Instant) -> Poll<S::Op> {
        loop {
            if let Some(stop) = self.stopped.clone() {
                self.drain_pending(&stop);
                return if self.in_flight.is_empty() {
                    Poll::Done
                } else {
                    Poll::Idle
                };
            }
            for (delay, group) in std::mem::take(&mut self.backing_off) {
                let ready = now.checked_add(delay).unwrap_or(now);
                self.waiting.insert((ready, self.seq), group);
                self.seq += 1;
            }

            let mut batch: Vec<Entry<S::Item>> = Vec::new();
            let mut body = 1usize;
            let mut full = false;
            // Keys whose backoff has passed go first.
            while !full && batch.len() < self.max_items {
                let Some(mut slot) = self.waiting.first_entry() else {
                    break;
                };
                if slot.key().0 > now {
                    break;
                }
                let group = slot.get_mut();
                while batch.len() < self.max_items {
                    let Some(entry) = group.pop() else { break };
                    if entry.cost > 0 && body.saturating_add(entry.cost) > self.max_body {
                        group.push(entry);
                        full = true;
                        break;
                    }
                    body = body.saturating_add(entry.cost);
                    self.queued_items -= 1;
                    batch.push(entry);
                }
                if group.is_empty() {
                    slot.remove();
                }
            }
            // Then fresh items.
            while !full && batch.len() < self.max_items {
                let Some(entry) = self.pull() else { break };
                if entry.cost > 0 && body.saturating_add(entry.cost) > self.max_body {
                    self.held = Some(entry);
                    break;
                }
                body = body.saturating_add(entry.cost);
                batch.push(entry);
            }

            if let Some(stop) = self.stopped.clone() {
                // An item pulled for this batch failed and stopped the plan: send nothing.
                for entry in batch {
                    self.fail(entry, Arc::clone(&stop));
                }
                continue;
            }
            if !batch.is_empty() {
                let mut items = Vec::with_capacity(batch.len());
                let mut meta = Vec::with_capacity(batch.len());
                for e in batch {
                    items.push(e.item);
                    meta.push((e.cost, e.attempts));
                }
                let items = Arc::new(items);
                match self.spec.build(Arc::clone(&items), body) {
                    Ok(op) => {
                        let ticket = self.next_ticket;
                        self.next_ticket += 1;
                        for (_, attempts) in &mut meta {
                            if *attempts > 0 {
                                self.retries += 1;
                            }
                            *attempts = attempts.saturating_add(1);
                        }
                        self.in_flight_items += meta.len() as u64;
                        self.in_flight.insert(ticket, InFlight { items, meta });
                        self.requests_sent += 1;
                        return Poll::Send(Ticket(ticket), op);
                    }
                    Err(e) => {
                        // Unreachable with validated items; fail the batch rather than panic.
                        self.fail_batch(InFlight { items, meta }, e);
                        continue;
                    }
                }
            }
            if let Some((&(ready, _), _)) = self.waiting.first_key_value() {
                return Poll::Wait(ready.saturating_duration_since(now));
            }
            if !self.in_flight.is_empty() {
                return Poll::Idle;
            }
            return Poll::Done;
        }
    }

    /// Removes a batch from the in-flight table (an unknown ticket is an anomaly).
    fn take(&mut self, ticket: Ticket) -> Option<InFlight<S::Item>> {
        let batch = self.in_flight.remove(&ticket.0);
        match &batch {
            Some(b) => self.in_flight_items -= b.len() as u64,
            None => self.anomalies += 1,
        }
        batch
    }

    /// Handles a write or delete response.
    fn handle_bulk(&mut self, ticket: Ticket, result: Result<BulkResult, Error>) {
        let Some(batch) = self.take(ticket) else {
            return;
        };
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                self.fail_batch(batch, e);
                return;
            }
        };
        let total = batch.len() as u64;
        if r.unsuccessful_keys.is_empty() {
            // The common case: every key made it, so there is no set to build or key to look up.
            self.succeeded += total;
            if r.successful_key_count != total {
                self.mismatches += 1;
            }
            return;
        }
        let unsuccessful: HashSet<&str> = r.unsuccessful_keys.iter().map(String::as_str).collect();
        let in_batch: HashSet<&str> = batch.items.iter().map(|i| i.key().as_str()).collect();
        self.anomalies += unsuccessful.difference(&in_batch).count() as u64;
        let mut unsuccessful_count = 0u64;
        // Grouped by times sent, as that sets the backoff.
        let mut requeue: BTreeMap<u32, Vec<Entry<S::Item>>> = BTreeMap::new();
        let mut exhausted = Vec::new();
        for entry in batch.into_entries() {
            if unsuccessful.contains(entry.item.key().as_str()) {
                unsuccessful_count += 1;
                if entry.attempts >= self.config.max_key_attempts || self.stopped.is_some() {
                    exhausted.push(entry);
                } else {
                    requeue.entry(entry.attempts).or_default().push(entry);
                }
            } else {
                self.succeeded += 1;
            }
        }
        if r.successful_key_count != total - unsuccessful_count {
            self.mismatches += 1;
        }
        if !requeue.is_empty() {
            self.retry_rounds += 1;
        }
        let seed = mix(self.config.jitter_seed, ticket.0);
        for (attempts, mut group) in requeue {
            let delay = self.config.backoff.backoff(attempts, seed);
            self.queued_items += group.len() as u64;
            // `poll` pops from the back: reverse to re-send in the original order.
            group.reverse();
            self.backing_off.push((delay, group));
        }
        for entry in exhausted {
            let attempts = entry.attempts;
            let error = Arc::new(Error::protocol(format!(
                "the server reported the key unsuccessful {attempts} time(s) (max_key_attempts {})",
                self.config.max_key_attempts
            )));
            self.fail(entry, error);
        }
    }

    /// Fails what is still pending or in flight (finish before Done); returns how many.
    fn abandon(&mut self) -> u64 {
        let before = self.failed.len();
        let error = Arc::new(Error::protocol(
            "not completed: the plan was finished before this key's request was handled",
        ));
        let stop_on_error = std::mem::replace(&mut self.config.stop_on_error, false);
        self.drain_pending(&error);
        let in_flight: Vec<_> = std::mem::take(&mut self.in_flight).into_values().collect();
        self.in_flight_items = 0;
        for batch in in_flight {
            for entry in batch.into_entries() {
                self.fail(entry, Arc::clone(&error));
            }
        }
        self.config.stop_on_error = stop_on_error;
        (self.failed.len() - before) as u64
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.succeeded,
            failed: self.failed.len() as u64,
            in_flight: self.in_flight_items,
            queued_for_retry: self.queued_items,
            total_known: self.pulled - self.skipped,
            exhausted: self.exhausted && self.held.is_none(),
        }
    }

    fn report(mut self) -> BulkReport {
        let abandoned = self.abandon();
        BulkReport {
            requested: self.pulled,
            succeeded: self.succeeded,
            failed: self.failed,
            requests_sent: self.requests_sent,
            retries: self.retries,
            retry_rounds: self.retry_rounds,
            mismatches: self.mismatches,
            anomalies: self.anomalies,
            abandoned,
            stopped: self.stopped,
        }
    }
}

/// A batched item's key: borrowed to match `unsuccessful_keys`, taken for the report.
trait PlanItem {
    fn key(&self) -> &Key;
    fn into_key(self) -> Key;
}

impl PlanItem for Key {
    fn key(&self) -> &Key {
        self
    }

    fn into_key(self) -> Key {
        self
    }
}

impl PlanItem for BulkWriteItem {
    fn key(&self) -> &Key {
        &self.key
    }

    fn into_key(self) -> Key {
        self.key
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk write.

struct WriteSpec {
    namespace: NamespaceId,
}

impl Spec for WriteSpec {
    type Item = BulkWriteItem;
    type Op = BulkWrite;
    const MAX_ITEMS: usize = MAX_BULK_ITEMS;
    const DEFAULT_ITEMS: usize = DEFAULT_MAX_BATCH_ITEMS;

    fn admit(&mut self, item: &BulkWriteItem, max_body: usize) -> Admit {
        if let Err(e) = item.check() {
            return Admit::Reject(e);
        }
        let cost = item.encoded_len();
        if cost.saturating_add(1) > max_body {
            return Admit::Reject(Error::invalid_input(
                Limit::BulkWriteBytes,
                format!(
                    "the bulk write item {:?} alone makes a {}-byte body; the budget is {max_body} bytes",
                    item.key.as_str(),
                    cost.saturating_add(1)
                ),
            ));
        }
        Admit::Take(cost)
    }

    fn build(&self, items: Arc<Vec<BulkWriteItem>>, body_len: usize) -> Result<BulkWrite, Error> {
        // Every item passed `check`, the count is within 1..=10,000 and `body_len` (exact)
        // within a budget of at most MAX_BULK_WRITE_BODY_BYTES: no need to measure again.
        Ok(BulkWrite::from_checked(
            self.namespace.clone(),
            items,
            body_len,
        ))
    }
}

/// Writes any number of [`BulkWriteItem`]s with as few `PUT .../bulk` requests as the limits
/// allow, re-sending the keys the server reports unsuccessful. See the
/// [`Poll`] docs for the loop, and [`PlanConfig`] for the settings.
///
/// Batches hold at most `max_batch_items` items (default 1,000) and at most `max_body_bytes`
/// of body (default 99,000,000), measured exactly with [`BulkWriteItem::encoded_len`], once per
/// item. An item too large for the budget on its own, or edited by hand past a value or TTL
/// limit, is reported failed with an invalid-input error and never sent.
///
/// Memory: the plan shares each in-flight batch's items with the [`BulkWrite`] it hands out
/// (to re-send unsuccessful keys; no copy is made unless the shell still holds the operation
/// when it hands back a response with unsuccessful keys), so each request in flight costs
/// about its items plus the encoded body the shell builds.
///
/// Duplicate keys are written as given (each occurrence is one requested item). If the same
/// key appears in two batches in flight at once, which write lands last is up to the server.
///
/// ```
/// use kv_proto::{BulkResult, BulkWriteItem, BulkWritePlan, Key, NamespaceId, PlanConfig, Poll};
/// use std::time::Instant;
///
/// let items = (0..3).map(|i| BulkWriteItem::text(Key::new(format!("k{i}")).unwrap(), "v").unwrap());
/// let config = PlanConfig::default().with_max_batch_items(2);
/// let mut plan = BulkWritePlan::new(NamespaceId::new("ns1")?, items, config)?;
/// let now = Instant::now();
/// let Poll::Send(t1, op1) = plan.poll(now) else { panic!() };
/// let Poll::Send(t2, op2) = plan.poll(now) else { panic!() }; // two in flight
/// assert_eq!((op1.items().len(), op2.items().len()), (2, 1));
/// assert_eq!(plan.progress().in_flight, 3);
/// plan.handle(t2, Ok(BulkResult { successful_key_count: 1, unsuccessful_keys: vec![] }));
/// plan.handle(t1, Ok(BulkResult { successful_key_count: 2, unsuccessful_keys: vec![] }));
/// assert!(matches!(plan.poll(now), Poll::Done));
/// assert_eq!(plan.finish().succeeded, 3);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct BulkWritePlan<I: Iterator<Item = BulkWriteItem>> {
    engine: Engine<WriteSpec, I>,
}

impl<I: Iterator<Item = BulkWriteItem>> BulkWritePlan<I> {
    /// A plan writing `items` to `namespace`. Nothing is pulled from `items` yet.
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, BulkWritePlan, Key, NamespaceId, PlanConfig};
    /// let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?];
    /// let plan = BulkWritePlan::new(NamespaceId::new("ns1")?, items, PlanConfig::default())?;
    /// assert_eq!(plan.progress().total_known, 0); // nothing pulled yet
    /// let bad = PlanConfig::default().with_max_key_attempts(0);
    /// assert!(BulkWritePlan::new(NamespaceId::new("ns1")?, Vec::new(), bad).is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::Config`] if `max_batch_items` is outside 1..=10,000, `max_body_bytes` outside
    /// 1..=100,000,000 or `max_key_attempts` is 0.
    pub fn new(
        namespace: NamespaceId,
        items: impl IntoIterator<Item = BulkWriteItem, IntoIter = I>,
        config: PlanConfig,
    ) -> Result<BulkWritePlan<I>, Error> {
        Ok(BulkWritePlan {
            engine: Engine::new(WriteSpec { namespace }, items.into_iter(), config)?,
        })
    }

    /// The next thing to do at time `now`.
    ///
    /// ```
    /// # use kv_proto::{BulkResult, BulkWriteItem, BulkWritePlan, Key, NamespaceId, PlanConfig, Poll};
    /// # let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?, BulkWriteItem::text(Key::new("b")?, "2")?];
    /// # let mut plan = BulkWritePlan::new(NamespaceId::new("ns1")?, items, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(_, op) = plan.poll(now) else { panic!() };
    /// assert_eq!(op.items().len(), 2);
    /// assert!(matches!(plan.poll(now), Poll::Idle)); // waiting for the response
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn poll(&mut self, now: Instant) -> Poll<BulkWrite> {
        self.engine.poll(now)
    }

    /// Takes the response to the batch `ticket`: keys listed in `unsuccessful_keys` are
    /// re-queued (or failed after `max_key_attempts` sends); an `Err` fails every key of the
    /// batch. An unknown ticket is counted in [`BulkReport::anomalies`] and otherwise ignored.
    ///
    /// ```
    /// # use kv_proto::{BulkResult, BulkWriteItem, BulkWritePlan, Key, NamespaceId, PlanConfig, Poll};
    /// # let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?, BulkWriteItem::text(Key::new("b")?, "2")?];
    /// # let mut plan = BulkWritePlan::new(NamespaceId::new("ns1")?, items, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(t, _) = plan.poll(now) else { panic!() };
    /// plan.handle(t, Ok(BulkResult { successful_key_count: 1, unsuccessful_keys: vec!["b".into()] }));
    /// assert_eq!(plan.progress().queued_for_retry, 1);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn handle(&mut self, ticket: Ticket, result: Result<BulkResult, Error>) {
        self.engine.handle_bulk(ticket, result);
    }

    /// Where the plan stands.
    ///
    /// ```
    /// # use kv_proto::{BulkResult, BulkWriteItem, BulkWritePlan, Key, NamespaceId, PlanConfig, Poll};
    /// # let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?, BulkWriteItem::text(Key::new("b")?, "2")?];
    /// # let mut plan = BulkWritePlan::new(NamespaceId::new("ns1")?, items, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(t, _) = plan.poll(now) else { panic!() };
    /// assert_eq!(plan.progress().in_flight, 2);
    /// plan.handle(t, Ok(BulkResult { successful_key_count: 2, unsuccessful_keys: vec![] }));
    /// assert_eq!((plan.progress().in_flight, plan.progress().done), (0, 2));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn progress(&self) -> Progress {
        self.engine.progress()
    }

    /// The final report. Called before [`Poll::Done`], keys not yet completed are reported
    /// failed (and counted in [`BulkReport::abandoned`]); items never pulled are not counted.
    ///
    /// ```
    /// # use kv_proto::{BulkResult, BulkWriteItem, BulkWritePlan, Key, NamespaceId, PlanConfig, Poll};
    /// # let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?, BulkWriteItem::text(Key::new("b")?, "2")?];
    /// # let mut plan = BulkWritePlan::new(NamespaceId::new("ns1")?, items, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(_, _) = plan.poll(now) else { panic!() };
    /// let report = plan.finish(); // before Poll::Done: the batch in flight is abandoned
    /// assert_eq!((report.abandoned, report.failed.len(), report.succeeded), (2, 2, 0));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn finish(self) -> BulkReport {
        self.engine.report()
    }
}

impl<I: Iterator<Item = BulkWriteItem>> fmt::Debug for BulkWritePlan<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkWritePlan")
            .field("namespace", &self.engine.spec.namespace)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk delete.

struct DeleteSpec {
    namespace: NamespaceId,
    legacy: bool,
}

impl Spec for DeleteSpec {
    type Item = Key;
    type Op = BulkDelete;
    const MAX_ITEMS: usize = MAX_BULK_ITEMS;
    const DEFAULT_ITEMS: usize = DEFAULT_MAX_BATCH_ITEMS;

    fn admit(&mut self, _: &Key, _: usize) -> Admit {
        // A body of 10,000 keys of 512 bytes is at most ~31 MB even fully `\u`-escaped: no
        // byte budget is needed.
        Admit::Take(0)
    }

    fn build(&self, keys: Arc<Vec<Key>>, _: usize) -> Result<BulkDelete, Error> {
        let op = BulkDelete::from_shared(self.namespace.clone(), keys)?;
        Ok(if self.legacy {
            op.legacy_delete_method()
        } else {
            op
        })
    }
}

/// Deletes any number of keys with as few `POST .../bulk/delete` requests as the limits allow
/// (at most `max_batch_items` keys each, default 1,000), re-sending the keys the server reports
/// unsuccessful. See the [`Poll`] docs for the loop, and [`PlanConfig`] for
/// the settings.
///
/// Duplicate keys are sent as given (each occurrence is one requested item; deleting twice is
/// harmless).
///
/// ```
/// use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
/// use std::time::{Duration, Instant};
///
/// let keys = vec![Key::new("a")?, Key::new("b")?];
/// let config = PlanConfig::default().with_backoff(kv_proto::RetryPolicy::default().with_jitter(0.0));
/// let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, config)?;
/// let now = Instant::now();
/// let Poll::Send(t, _) = plan.poll(now) else { panic!() };
/// // "b" was not fully deleted: it is re-sent after a 1 s backoff.
/// plan.handle(t, Ok(BulkResult { successful_key_count: 1, unsuccessful_keys: vec!["b".into()] }));
/// assert!(matches!(plan.poll(now), Poll::Wait(d) if d == Duration::from_secs(1)));
/// let Poll::Send(t, op) = plan.poll(now + Duration::from_secs(1)) else { panic!() };
/// assert_eq!(op.keys(), [Key::new("b")?]);
/// plan.handle(t, Ok(BulkResult { successful_key_count: 1, unsuccessful_keys: vec![] }));
/// let report = plan.finish();
/// assert_eq!((report.succeeded, report.retries, report.requests_sent), (2, 1, 2));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct BulkDeletePlan<I: Iterator<Item = Key>> {
    engine: Engine<DeleteSpec, I>,
}

impl<I: Iterator<Item = Key>> BulkDeletePlan<I> {
    /// A plan deleting `keys` from `namespace`. Nothing is pulled from `keys` yet.
    ///
    /// ```
    /// use kv_proto::{BulkDeletePlan, Key, NamespaceId, PlanConfig};
    /// let plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
    /// assert!(!plan.progress().exhausted);
    /// let bad = PlanConfig::default().with_max_batch_items(0);
    /// assert!(BulkDeletePlan::new(NamespaceId::new("ns1")?, Vec::<Key>::new(), bad).is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::Config`] if `max_batch_items` is outside 1..=10,000, `max_body_bytes` outside
    /// 1..=100,000,000 or `max_key_attempts` is 0.
    pub fn new(
        namespace: NamespaceId,
        keys: impl IntoIterator<Item = Key, IntoIter = I>,
        config: PlanConfig,
    ) -> Result<BulkDeletePlan<I>, Error> {
        let spec = DeleteSpec {
            namespace,
            legacy: false,
        };
        Ok(BulkDeletePlan {
            engine: Engine::new(spec, keys.into_iter(), config)?,
        })
    }

    /// Sends the deprecated `DELETE .../bulk` instead of `POST .../bulk/delete`.
    ///
    /// ```
    /// # use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// use kv_proto::Operation;
    /// let mut plan = plan.legacy_delete_method();
    /// let Poll::Send(_, op) = plan.poll(now) else { panic!() };
    /// assert_eq!(op.request(&ep).method(), http::Method::DELETE);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn legacy_delete_method(mut self) -> BulkDeletePlan<I> {
        self.engine.spec.legacy = true;
        self
    }

    /// The next thing to do at time `now`.
    ///
    /// ```
    /// # use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(t, op) = plan.poll(now) else { panic!() };
    /// assert_eq!(op.keys().len(), 2);
    /// plan.handle(t, Ok(BulkResult { successful_key_count: 2, unsuccessful_keys: vec![] }));
    /// assert!(matches!(plan.poll(now), Poll::Done));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn poll(&mut self, now: Instant) -> Poll<BulkDelete> {
        self.engine.poll(now)
    }

    /// Takes the response to the batch `ticket`: keys listed in `unsuccessful_keys` are
    /// re-queued (or failed after `max_key_attempts` sends); an `Err` fails every key of the
    /// batch. An unknown ticket is counted in [`BulkReport::anomalies`] and otherwise ignored.
    ///
    /// ```
    /// # use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(t, _) = plan.poll(now) else { panic!() };
    /// plan.handle(t, Ok(BulkResult { successful_key_count: 2, unsuccessful_keys: vec![] }));
    /// plan.handle(t, Ok(BulkResult::default())); // a used ticket is ignored
    /// let report = plan.finish();
    /// assert_eq!((report.succeeded, report.anomalies), (2, 1));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn handle(&mut self, ticket: Ticket, result: Result<BulkResult, Error>) {
        self.engine.handle_bulk(ticket, result);
    }

    /// Where the plan stands.
    ///
    /// ```
    /// # use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// assert_eq!(plan.progress().total_known, 0);
    /// let Poll::Send(_, _) = plan.poll(now) else { panic!() };
    /// assert_eq!(plan.progress().total_known, 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn progress(&self) -> Progress {
        self.engine.progress()
    }

    /// The final report. Called before [`Poll::Done`], keys not yet completed are reported
    /// failed (and counted in [`BulkReport::abandoned`]); keys never pulled are not counted.
    ///
    /// ```
    /// # use kv_proto::{BulkDeletePlan, BulkResult, Key, NamespaceId, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkDeletePlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// let Poll::Send(t, _) = plan.poll(now) else { panic!() };
    /// plan.handle(t, Ok(BulkResult { successful_key_count: 2, unsuccessful_keys: vec![] }));
    /// let report = plan.finish();
    /// assert!(report.is_success());
    /// assert_eq!(report.succeeded + report.failed.len() as u64, report.requested);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn finish(self) -> BulkReport {
        self.engine.report()
    }
}

impl<I: Iterator<Item = Key>> fmt::Debug for BulkDeletePlan<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkDeletePlan")
            .field("namespace", &self.engine.spec.namespace)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk get.

struct GetSpec {
    namespace: NamespaceId,
    json: bool,
    with_metadata: bool,
    /// Every distinct key pulled, with its value once read (`Missing` until then): one map
    /// both remembers the keys seen and collects the values. Failed keys are taken out by
    /// `finish`.
    values: HashMap<Key, BulkValue>,
}

impl GetSpec {
    /// Records the value read for `key` (admitted earlier, so its slot exists).
    fn set_value(&mut self, key: &Key, value: BulkValue) {
        if let Some(slot) = self.values.get_mut(key) {
            *slot = value;
        }
    }
}

impl Spec for GetSpec {
    type Item = Key;
    type Op = BulkGet;
    const MAX_ITEMS: usize = MAX_BULK_GET_KEYS;
    const DEFAULT_ITEMS: usize = MAX_BULK_GET_KEYS;

    fn admit(&mut self, key: &Key, _: usize) -> Admit {
        match self.values.entry(key.clone()) {
            hash_map::Entry::Vacant(slot) => {
                slot.insert(BulkValue::Missing);
                Admit::Take(0)
            }
            hash_map::Entry::Occupied(_) => Admit::Skip,
        }
    }

    fn build(&self, keys: Arc<Vec<Key>>, _: usize) -> Result<BulkGet, Error> {
        // `admit` skips keys already seen: a batch never holds a key twice.
        let mut op = BulkGet::from_shared(self.namespace.clone(), keys, true)?;
        if self.json {
            op = op.json();
        }
        if self.with_metadata {
            op = op.with_metadata();
        }
        Ok(op)
    }
}

/// Reads any number of keys with as few `POST .../bulk/get` requests as the limits allow (at
/// most `max_batch_items` keys each, default and maximum 100). See the
/// [`Poll`] docs for the loop, and [`PlanConfig`] for the settings.
///
/// - The report maps every distinct requested key to its [`BulkValue`] (or
///   [`BulkValue::Missing`]), or lists it in `failed` with its batch's error. A failed batch is
///   not re-sent (the shell's [`RetryPolicy`] already retried it).
/// - **Duplicates** in the input are requested once: later occurrences are not sent, share the
///   first one's entry, and are counted in [`BulkGetReport::duplicates`]. To remember which
///   keys it has seen, the plan keeps one copy of every distinct key (the report holds every
///   value anyway).
/// - Values must be text; the server fails a whole `json` batch if one value is not JSON.
///
/// ```
/// use kv_proto::{BulkGetPlan, BulkGetResult, BulkValue, Key, NamespaceId, Operation, PlanConfig, Poll};
/// use std::time::Instant;
///
/// let keys = ["a", "gone", "a"].map(|k| Key::new(k).unwrap());
/// let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
/// let Poll::Send(t, op) = plan.poll(Instant::now()) else { panic!() };
/// assert_eq!(op.keys().len(), 2); // "a" is requested once
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","gone":null}}}"#;
/// plan.handle(t, op.parse(http::Response::new(&body[..])));
/// assert!(matches!(plan.poll(Instant::now()), Poll::Done));
/// let report = plan.finish();
/// assert_eq!((report.requested, report.duplicates), (2, 1));
/// assert_eq!(report.values["a"].as_text(), Some("1"));
/// assert!(report.values["gone"].is_missing());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct BulkGetPlan<I: Iterator<Item = Key>> {
    engine: Engine<GetSpec, I>,
}

impl<I: Iterator<Item = Key>> BulkGetPlan<I> {
    /// A plan reading `keys` from `namespace` as text, without metadata. Nothing is pulled
    /// from `keys` yet.
    ///
    /// ```
    /// use kv_proto::{BulkGetPlan, Key, NamespaceId, PlanConfig};
    /// let plan = BulkGetPlan::new(NamespaceId::new("ns1")?, vec![Key::new("a")?], PlanConfig::default())?;
    /// assert_eq!(plan.progress().total_known, 0);
    /// let too_many = PlanConfig::default().with_max_batch_items(101);
    /// assert!(BulkGetPlan::new(NamespaceId::new("ns1")?, Vec::<Key>::new(), too_many).is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::Config`] if `max_batch_items` is outside 1..=100, `max_body_bytes` outside
    /// 1..=100,000,000 or `max_key_attempts` is 0.
    pub fn new(
        namespace: NamespaceId,
        keys: impl IntoIterator<Item = Key, IntoIter = I>,
        config: PlanConfig,
    ) -> Result<BulkGetPlan<I>, Error> {
        let spec = GetSpec {
            namespace,
            json: false,
            with_metadata: false,
            values: HashMap::new(),
        };
        Ok(BulkGetPlan {
            engine: Engine::new(spec, keys.into_iter(), config)?,
        })
    }

    /// Decode values as JSON ([`BulkGet::json`]).
    ///
    /// ```
    /// # use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":null}}}"#;
    /// let mut plan = plan.json();
    /// let Poll::Send(_, op) = plan.poll(now) else { panic!() };
    /// assert!(op.is_json());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn json(mut self) -> BulkGetPlan<I> {
        self.engine.spec.json = true;
        self
    }

    /// Also read metadata and expiry ([`BulkGet::with_metadata`]).
    ///
    /// ```
    /// # use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":null}}}"#;
    /// let mut plan = plan.with_metadata();
    /// let Poll::Send(_, op) = plan.poll(now) else { panic!() };
    /// assert!(op.is_with_metadata());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_metadata(mut self) -> BulkGetPlan<I> {
        self.engine.spec.with_metadata = true;
        self
    }

    /// The next thing to do at time `now`.
    ///
    /// ```
    /// # use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":null}}}"#;
    /// let Poll::Send(t, op) = plan.poll(now) else { panic!() };
    /// assert_eq!(op.keys().len(), 2);
    /// plan.handle(t, op.parse(http::Response::new(&body[..])));
    /// assert!(matches!(plan.poll(now), Poll::Done));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn poll(&mut self, now: Instant) -> Poll<BulkGet> {
        self.engine.poll(now)
    }

    /// Takes the response to the batch `ticket`. Requested keys absent from the result are
    /// [`BulkValue::Missing`]; an `Err` fails every key of the batch. An unknown ticket is
    /// counted in [`BulkGetReport::anomalies`] and otherwise ignored.
    ///
    /// ```
    /// # use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":null}}}"#;
    /// let Poll::Send(t, op) = plan.poll(now) else { panic!() };
    /// plan.handle(t, op.parse(http::Response::new(&body[..])));
    /// let report = plan.finish();
    /// assert_eq!(report.values[&Key::new("a")?].as_text(), Some("1"));
    /// assert!(report.values[&Key::new("b")?].is_missing());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn handle(&mut self, ticket: Ticket, result: Result<BulkGetResult, Error>) {
        let Some(batch) = self.engine.take(ticket) else {
            return;
        };
        match result {
            Err(e) => self.engine.fail_batch(batch, e),
            Ok(result) => {
                let keys = batch.items.as_slice();
                // `BulkGet::parse` answers with the operation's own keys, in request order:
                // pair the values up without comparing keys or building a map.
                let aligned = result.len() == keys.len()
                    && (Arc::ptr_eq(result.shared_keys(), &batch.items)
                        || result
                            .iter()
                            .zip(keys)
                            .all(|((got, _), key)| got == key.as_str()));
                if aligned {
                    let (_, values) = result.into_parts();
                    for (value, key) in values.into_iter().zip(keys) {
                        self.engine.spec.set_value(key, value);
                        self.engine.succeeded += 1;
                    }
                    return;
                }
                let mut got: HashMap<String, BulkValue> = result.into_iter().collect();
                for key in keys {
                    let value = got.remove(key.as_str()).unwrap_or(BulkValue::Missing);
                    self.engine.spec.set_value(key, value);
                    self.engine.succeeded += 1;
                }
                self.engine.anomalies += got.len() as u64;
            }
        }
    }

    /// Where the plan stands.
    ///
    /// ```
    /// # use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":null}}}"#;
    /// let Poll::Send(t, op) = plan.poll(now) else { panic!() };
    /// assert_eq!(plan.progress().in_flight, 2);
    /// plan.handle(t, op.parse(http::Response::new(&body[..])));
    /// assert_eq!(plan.progress().done, 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn progress(&self) -> Progress {
        self.engine.progress()
    }

    /// The final report. Called before [`Poll::Done`], keys not yet read are reported failed
    /// (and counted in [`BulkGetReport::abandoned`]); keys never pulled are not counted.
    ///
    /// ```
    /// # use kv_proto::{BulkGetPlan, Key, NamespaceId, Operation, PlanConfig, Poll};
    /// # let keys = vec![Key::new("a")?, Key::new("b")?];
    /// # let mut plan = BulkGetPlan::new(NamespaceId::new("ns1")?, keys, PlanConfig::default())?;
    /// # let now = std::time::Instant::now();
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":null}}}"#;
    /// let Poll::Send(_, _) = plan.poll(now) else { panic!() };
    /// let report = plan.finish(); // before Poll::Done
    /// assert_eq!((report.abandoned, report.failed.len(), report.values.len()), (2, 2, 0));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn finish(self) -> BulkGetReport {
        let mut engine = self.engine;
        let abandoned = engine.abandon();
        let mut values = std::mem::take(&mut engine.spec.values);
        for f in &engine.failed {
            values.remove(&f.key);
        }
        BulkGetReport {
            requested: engine.pulled - engine.skipped,
            duplicates: engine.skipped,
            values,
            failed: engine.failed,
            requests_sent: engine.requests_sent,
            anomalies: engine.anomalies,
            abandoned,
            stopped: engine.stopped,
        }
    }
}

impl<I: Iterator<Item = Key>> fmt::Debug for BulkGetPlan<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkGetPlan")
            .field("namespace", &self.engine.spec.namespace)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_spreads_tickets() {
        let a: HashSet<u64> = (0..1000).map(|t| mix(7, t)).collect();
        assert_eq!(a.len(), 1000);
        assert_ne!(mix(1, 0), mix(2, 0));
    }

    #[test]
    fn config_resolution() {
        let c = PlanConfig::default();
        assert_eq!(
            c.resolve(1000, 10_000).unwrap(),
            (1000, DEFAULT_MAX_BODY_BYTES)
        );
        assert_eq!(c.resolve(100, 100).unwrap().0, 100);
        assert!(
            c.clone()
                .with_max_batch_items(0)
                .resolve(1000, 10_000)
                .is_err()
        );
        assert!(
            c.clone()
                .with_max_batch_items(101)
                .resolve(100, 100)
                .is_err()
        );
        assert!(c.clone().with_max_body_bytes(0).resolve(1, 1).is_err());
        assert!(
            c.clone()
                .with_max_body_bytes(MAX_BULK_WRITE_BODY_BYTES + 1)
                .resolve(1, 1)
                .is_err()
        );
        assert!(c.clone().with_max_key_attempts(0).resolve(1, 1).is_err());
        let e = c
            .with_max_batch_items(10_001)
            .resolve(1000, 10_000)
            .unwrap_err();
        assert_eq!(e.limit(), Some(Limit::Config));
    }

    #[test]
    fn held_item_is_not_counted_twice() {
        // Two items of which only one fits per batch: the second waits in `held`.
        let ns = NamespaceId::new("ns").unwrap();
        let items =
            ["a", "b"].map(|k| BulkWriteItem::text(Key::new(k).unwrap(), "x".repeat(50)).unwrap());
        let budget = 1 + items[0].encoded_len() + 10;
        let config = PlanConfig::default().with_max_body_bytes(budget);
        let mut plan = BulkWritePlan::new(ns, items, config).unwrap();
        let now = Instant::now();
        let Poll::Send(_, op) = plan.poll(now) else {
            panic!("expected a batch")
        };
        assert_eq!(op.items().len(), 1);
        let p = plan.progress();
        assert_eq!((p.total_known, p.in_flight, p.exhausted), (2, 1, false));
    }
}
