//! [`PlanConfig`]: the settings of a bulk plan, and their defaults.

use std::time::Duration;

use super::sizing::DEFAULT_EDGE_TIME_BUDGET;
use crate::error::{Error, Limit};
use crate::op::MAX_BULK_WRITE_BODY_BYTES;
use crate::retry::RetryPolicy;

/// Items in the first bulk write or bulk delete requests of a plan: 1,000. Unless
/// [`PlanConfig::with_max_batch_items`] fixes a size, the plan then adapts it
/// ([`BatchSizer`](crate::BatchSizer)): up toward 10,000 while answers come back quickly, down
/// on a 524, a 413 or a timeout.
///
/// The API accepts 10,000, but wrangler sent 5,000 per request until users hit 524 timeouts
/// (workers-sdk#7021, 56,300 records) and then moved to 1,000 (PR #7036). Smaller batches also
/// lose less work when one fails.
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, defaults::DEFAULT_MAX_BATCH_ITEMS, Key, NamespaceId, Plan, PlanConfig, Poll};
/// let keys: Vec<Key> = (0..1500).map(|i| Key::new(i.to_string())).collect::<Result<_, _>>()?;
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), keys, PlanConfig::default())?;
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
/// use kv_proto::{PlanConfig, defaults::DEFAULT_MAX_BODY_BYTES, limits::MAX_BULK_WRITE_BODY_BYTES};
/// assert_eq!(PlanConfig::default().max_body_bytes(), DEFAULT_MAX_BODY_BYTES);
/// assert!(DEFAULT_MAX_BODY_BYTES < MAX_BULK_WRITE_BODY_BYTES);
/// ```
pub const DEFAULT_MAX_BODY_BYTES: usize = 99_000_000;

/// Default number of times a key the server reports unsuccessful is sent in all: 5 (the first
/// send and 4 re-sends, after about 1 + 2 + 4 + 8 = 15 s of backoff with the default policy).
///
/// ```
/// use kv_proto::{PlanConfig, defaults::DEFAULT_MAX_KEY_ATTEMPTS};
/// assert_eq!(PlanConfig::default().max_key_attempts(), DEFAULT_MAX_KEY_ATTEMPTS);
/// ```
pub const DEFAULT_MAX_KEY_ATTEMPTS: u32 = 5;

/// Settings shared by the bulk plans.
///
/// | setting | default |
/// |---|---|
/// | [`max_batch_items`](PlanConfig::with_max_batch_items) | write and delete: adaptive ([`BatchSizer::for_writes`](crate::BatchSizer::for_writes): starts at 1,000, [`DEFAULT_MAX_BATCH_ITEMS`], grows up to 10,000); set, it is fixed (1..=10,000); get: 100 (up to 100) |
/// | [`edge_time_budget`](PlanConfig::with_edge_time_budget) | 100 s ([`DEFAULT_EDGE_TIME_BUDGET`]); write and delete, when adaptive |
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
/// use kv_proto::{BulkDelete, BulkDeletePlan, Key, NamespaceId, PlanConfig};
///
/// let config = PlanConfig::default().with_max_batch_items(10_000).with_jitter_seed(42);
/// assert_eq!(config.max_batch_items(), Some(10_000));
/// let too_big = PlanConfig::default().with_max_batch_items(10_001);
/// let err = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns")?), Vec::<Key>::new(), too_big).unwrap_err();
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
    edge_time_budget: Duration,
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
            edge_time_budget: DEFAULT_EDGE_TIME_BUDGET,
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
    /// use kv_proto::{BulkDelete, BulkDeletePlan, Key, NamespaceId, Plan, PlanConfig, Poll};
    /// let keys = vec![Key::new("a")?, Key::new("b")?, Key::new("c")?];
    /// let config = PlanConfig::default().with_max_batch_items(2);
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), keys, config)?;
    /// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// assert_eq!(op.keys().len(), 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_max_batch_items(mut self, n: usize) -> PlanConfig {
        self.max_batch_items = Some(n);
        self
    }

    /// Most bytes in one bulk write body (measured exactly with
    /// [`BulkWriteItem::encoded_len`](crate::BulkWriteItem::encoded_len)): 1..=100,000,000. An item that does not fit on its own
    /// is reported failed with [`Limit::BulkWriteBytes`].
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, BulkWritePlan, Key, Limit, NamespaceId, Plan, PlanConfig, Poll};
    /// let item = BulkWriteItem::text(Key::new("a")?, "a value too long for the budget")?;
    /// let config = PlanConfig::default().with_max_body_bytes(20);
    /// let mut plan = BulkWritePlan::new(BulkWrite::template(NamespaceId::new("ns1")?), vec![item], config)?;
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
    /// use kv_proto::{BulkDelete, BulkDeletePlan, BulkResponse, Key, NamespaceId, Plan, PlanConfig, Poll};
    /// let config = PlanConfig::default().with_max_key_attempts(1); // never re-send
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), vec![Key::new("a")?], config)?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Ok(BulkResponse { successful_key_count: 0, unsuccessful_keys: vec!["a".into()] }).into());
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

    /// Stop at the first failed key (for any reason) instead of going on with the rest.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, Error, Key, NamespaceId, Plan, PlanConfig, Poll, TransportErrorKind};
    /// let keys = vec![Key::new("a")?, Key::new("b")?];
    /// let config = PlanConfig::default().with_max_batch_items(1).with_stop_on_error(true);
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), keys, config)?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::transport(TransportErrorKind::Connect, "refused")).into());
    /// assert!(matches!(plan.poll(std::time::Instant::now()), Poll::Done)); // "b" is never sent
    /// let report = plan.finish();
    /// assert!(report.stopped.is_some());
    /// assert_eq!(report.not_attempted, ["b"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// Without it, the plan still stops at the first fatal error ([`Error::is_fatal`]).
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

    /// The time a bulk write or delete may take before the server gives up on it (Cloudflare's
    /// edge: about 100 s, [`DEFAULT_EDGE_TIME_BUDGET`]); the adaptive batch size
    /// ([`BatchSizer`](crate::BatchSizer)) grows only while answers come back well inside it.
    /// Use the smaller of the edge's limit and the client's own request timeout.
    ///
    /// ```
    /// use kv_proto::PlanConfig;
    /// use std::time::Duration;
    /// let c = PlanConfig::default().with_edge_time_budget(Duration::from_secs(30));
    /// assert_eq!(c.edge_time_budget(), Duration::from_secs(30));
    /// assert_eq!(PlanConfig::default().edge_time_budget(), Duration::from_secs(100));
    /// ```
    pub fn with_edge_time_budget(mut self, budget: Duration) -> PlanConfig {
        self.edge_time_budget = budget;
        self
    }

    /// The edge time budget (see [`PlanConfig::with_edge_time_budget`]).
    pub fn edge_time_budget(&self) -> Duration {
        self.edge_time_budget
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
    pub(crate) fn resolve(
        &self,
        default_items: usize,
        max_items: usize,
    ) -> Result<(usize, usize), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Limit;

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
}
