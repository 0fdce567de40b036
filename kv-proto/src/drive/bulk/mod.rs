//! Bulk plans: one generic [`BulkPlan`] that splits any number of writes, deletes or reads
//! into bulk requests within the API's limits, re-queues the keys the server reports
//! unsuccessful, and accounts for every input in a final report.
//!
//! - `config`: [`PlanConfig`] and the defaults;
//! - `input`: what a plan accepts ([`IntoKey`], [`IntoBulkItem`]);
//! - `engine`: the shared machine (batching, tickets, backoff, accounting);
//! - `write_delete`, `get`: what differs per operation ([`BulkOp`]);
//! - `report`: [`BulkReport`], [`BulkGetReport`], [`FailedKey`];
//! - `sizing`: [`BatchSizer`], the adaptive batch size of write and delete plans.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::drive::{Outcome, Plan, Poll, Progress, Ticket};
use crate::error::Error;
use crate::ids::Key;
use crate::op::{BulkDelete, BulkGet, BulkWrite, Operation};

mod config;
mod engine;
mod get;
mod input;
mod report;
mod sizing;
mod write_delete;

pub use config::{
    DEFAULT_MAX_BATCH_ITEMS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_KEY_ATTEMPTS, PlanConfig,
};
pub use input::{IntoBulkItem, IntoKey};
pub use report::{BulkGetReport, BulkReport, FailedKey};
pub use sizing::{
    BatchSizer, DEFAULT_EDGE_TIME_BUDGET, DEFAULT_GROW_AFTER, MIN_ADAPTIVE_BATCH_ITEMS,
};

use engine::{Admit, Engine, InFlight};

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::op::BulkWrite {}
    impl Sealed for crate::op::BulkDelete {}
    impl Sealed for crate::op::BulkGet {}
}

/// A bulk operation a [`BulkPlan`] splits work into: [`BulkWrite`], [`BulkDelete`] or
/// [`BulkGet`] (sealed). The plan is built from a *template* of it (`BulkGet::template(ns)
/// .json()`, ...), so every flag of the requests lives on the operation alone.
pub trait BulkOp: Operation + Send + Sync + sealed::Sealed + Sized {
    /// One entry of a batch: a [`BulkWriteItem`](crate::BulkWriteItem) or a [`Key`].
    type Item: Clone + Send + Sync;
    /// What the plan reports: [`BulkReport`] or [`BulkGetReport`].
    type Report;
    #[doc(hidden)]
    type Tally: Default + Send;
    #[doc(hidden)]
    const MAX_ITEMS: usize;
    #[doc(hidden)]
    const DEFAULT_ITEMS: usize;
    #[doc(hidden)]
    fn item_key(item: &Self::Item) -> &Key;
    #[doc(hidden)]
    fn into_key_string(item: Self::Item) -> String;
    #[doc(hidden)]
    fn admit(tally: &mut Self::Tally, item: &Self::Item, max_body: usize) -> Admit;
    #[doc(hidden)]
    fn batch(
        &self,
        items: Arc<Vec<Self::Item>>,
        body_len: usize,
        splittable: bool,
    ) -> Result<Self, Error>;
    #[doc(hidden)]
    fn absorb(
        engine: &mut Engine<Self>,
        ticket: Ticket,
        batch: InFlight<Self::Item>,
        output: Self::Output,
    );
    #[doc(hidden)]
    fn report(engine: Engine<Self>) -> Self::Report;
}

/// Splits any number of inputs into bulk requests shaped like a template operation, and
/// accounts for every input in a final report. It speaks [`Plan`].
///
/// Use it directly or through its aliases: [`BulkWritePlan`], [`BulkDeletePlan`],
/// [`BulkGetPlan`]. The template (e.g. [`BulkGet::template`]`(ns).json()`) carries the
/// namespace and every request flag; the plan fills a copy with each batch.
///
/// # How a plan works
///
/// - **Lazy input.** The iterator is pulled only while a batch is being formed, so a job of
///   millions of keys holds in memory only the batches in flight, the keys waiting to be
///   retried and (for bulk write) at most one item that did not fit the previous batch.
///   Bulk get is the exception: its report holds every value, and it remembers every key it
///   has seen to skip duplicates.
/// - **Any key-like input.** Delete and get take anything [`IntoKey`] (`Key`, `&str`,
///   `String`, ...); write takes [`BulkWriteItem`](crate::BulkWriteItem)s. An input that
///   cannot be sent (not a valid key, an item over a limit or the body budget) is reported in
///   `failed` with its text and `attempts: 0`, and the plan goes on.
/// - **Batches** hold at most [`PlanConfig::with_max_batch_items`] items (write and delete
///   without it: an adaptive size, [`BatchSizer`], from 1,000 up to 10,000) and, for bulk
///   write, at most [`PlanConfig::with_max_body_bytes`] bytes of encoded body. Keys waiting for
///   a retry whose backoff has passed go first, then fresh items.
/// - **Several requests in flight.** Call `poll` again before handling a response to get the
///   next batch; hand responses back in any order. Each batch has its own [`Ticket`].
/// - **Unsuccessful keys** (bulk write and delete) listed in a 200 response are re-queued and
///   sent again after [`RetryPolicy::backoff`](crate::RetryPolicy::backoff) (counted from the
///   next `poll`), up to [`PlanConfig::with_max_key_attempts`] sends in all. Keys still
///   unsuccessful then are reported failed with an
///   [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error saying so.
/// - **A failed request** (the `Err` the shell hands back after its own
///   [`RetryPolicy`](crate::RetryPolicy) retries) fails every key of its batch with that
///   error. They are **not** re-queued: the shell's policy already retried what was
///   retryable, and re-sending a 400 cannot help. The exception is an adaptive write or
///   delete plan (no [`PlanConfig::with_max_batch_items`]) whose batch of several items was
///   answered 524, 413 or timed out ([`BatchSizer::should_shrink`]): it shrinks its batch
///   size and re-sends those keys in smaller parts, first, without counting an attempt
///   against them.
/// - **Fatal errors stop the plan.** A request that fails with an error that will recur for
///   every batch ([`Error::is_fatal`]: authentication, namespace not found or invalid, the
///   daily quota) stops the plan: nothing new is handed out, the requests in flight (at most
///   the shell's concurrency) are still handled, keys waiting to be re-sent fail with that
///   error, and every key never sent (the rest of the input included) is listed in the
///   report's `not_attempted`. The report's `stopped` holds the error.
///   [`Plan::cancel`] (a job deadline) stops the plan the same way, and so does the first
///   failed key of any kind with [`PlanConfig::with_stop_on_error`].
/// - **Exact accounting.** The shell hands back each ticket's [`Outcome`]: its `attempts`
///   (HTTP requests, retries included) add up to the report's `requests_sent`, and to each
///   key's [`FailedKey::attempts`]; a key whose request may have been applied although it
///   failed is marked [`FailedKey::maybe_applied`].
/// - **Report.** Every input pulled from the iterator ends up exactly once in the report:
///   `succeeded + failed.len() + not_attempted.len() == requested` for write and delete, and
///   `values.len() + failed.len() + not_attempted.len() == requested` for get (distinct
///   keys). Finished before [`Poll::Done`], keys still pending are failed with an
///   [`ErrorKind::Abandoned`](crate::ErrorKind::Abandoned) error and counted in `abandoned`;
///   inputs never pulled are not counted (unless the plan had stopped: then they are pulled
///   and listed as not attempted).
///
/// ```
/// use kv_proto::{BulkDelete, BulkPlan, BulkResponse, NamespaceId, Plan, PlanConfig, Poll};
/// use std::time::Instant;
///
/// let template = BulkDelete::template(NamespaceId::new("ns1")?);
/// let keys = (0..2500).map(|i| format!("k{i}")).chain(["..".to_string()]);
/// let mut plan = BulkPlan::new(template, keys, PlanConfig::default())?;
/// let mut sizes = Vec::new();
/// loop {
///     match plan.poll(Instant::now()) {
///         Poll::Send(ticket, op) => {
///             sizes.push(op.keys().len());
///             // let outcome = client.execute(&op); (a transport with its own RetryPolicy)
///             let outcome = Ok(BulkResponse {
///                 successful_key_count: op.keys().len() as u64,
///                 unsuccessful_keys: vec![],
///             });
///             plan.handle(ticket, outcome.into());
///         }
///         Poll::Wait(d) => std::thread::sleep(d), // re-queued keys are backing off
///         Poll::Idle => {} // multi-threaded shells: wait for an in-flight response
///         Poll::Done => break,
///     }
/// }
/// assert_eq!(sizes, [1000, 1000, 500]);
/// let report = plan.finish();
/// assert_eq!((report.requested, report.succeeded, report.failed.len()), (2501, 2500, 1));
/// assert_eq!((report.failed[0].key.as_str(), report.failed[0].attempts), ("..", 0));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct BulkPlan<O: BulkOp, I> {
    template: O,
    source: I,
    /// The input's exact length, if its `size_hint` tells it.
    input_len: Option<u64>,
    engine: Engine<O>,
}

/// Writes any number of [`BulkWriteItem`](crate::BulkWriteItem)s with as few `PUT .../bulk`
/// requests as the limits allow, re-sending the keys the server reports unsuccessful.
///
/// Batches hold at most `max_batch_items` items (default 1,000) and at most `max_body_bytes`
/// of body (default 99,000,000), measured exactly with
/// [`BulkWriteItem::encoded_len`](crate::BulkWriteItem::encoded_len), once per item. An item
/// too large for the budget on its own, or edited by hand past a value or TTL limit, is
/// reported failed with an invalid-input error and never sent.
///
/// Memory: the plan shares each in-flight batch's items with the [`BulkWrite`] it hands out
/// (to re-send unsuccessful keys; no copy is made unless the shell still holds the operation
/// when it hands back a response with unsuccessful keys).
///
/// Duplicate keys are written as given (each occurrence is one requested item). If the same
/// key appears in two batches in flight at once, which write lands last is up to the server.
///
/// ```
/// use kv_proto::{BulkResponse, BulkWrite, BulkWriteItem, BulkWritePlan, Key, NamespaceId, Plan, PlanConfig, Poll};
/// use std::time::Instant;
///
/// let items = (0..3).map(|i| BulkWriteItem::text(Key::new(format!("k{i}")).unwrap(), "v").unwrap());
/// let config = PlanConfig::default().with_max_batch_items(2);
/// let mut plan = BulkWritePlan::new(BulkWrite::template(NamespaceId::new("ns1")?), items, config)?;
/// let now = Instant::now();
/// let Poll::Send(t1, op1) = plan.poll(now) else { panic!() };
/// let Poll::Send(t2, op2) = plan.poll(now) else { panic!() }; // two in flight
/// assert_eq!((op1.items().len(), op2.items().len()), (2, 1));
/// assert_eq!(plan.progress().in_flight, 3);
/// plan.handle(t2, Ok(BulkResponse { successful_key_count: 1, unsuccessful_keys: vec![] }).into());
/// plan.handle(t1, Ok(BulkResponse { successful_key_count: 2, unsuccessful_keys: vec![] }).into());
/// assert!(matches!(plan.poll(now), Poll::Done));
/// assert_eq!(plan.finish().succeeded, 3);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub type BulkWritePlan<I> = BulkPlan<BulkWrite, I>;

/// Deletes any number of keys with as few `POST .../bulk/delete` requests as the limits allow
/// (at most `max_batch_items` keys each, default 1,000), re-sending the keys the server
/// reports unsuccessful. For the deprecated `DELETE .../bulk`, build it from
/// `BulkDelete::template(ns).legacy_delete_method()`.
///
/// Duplicate keys are sent as given (each occurrence is one requested item; deleting twice is
/// harmless).
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, BulkResponse, Key, NamespaceId, Plan, PlanConfig, Poll};
/// use std::time::{Duration, Instant};
///
/// let config = PlanConfig::default().with_backoff(kv_proto::RetryPolicy::default().with_jitter(0.0));
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a", "b"], config)?;
/// let now = Instant::now();
/// let Poll::Send(t, _) = plan.poll(now) else { panic!() };
/// // "b" was not fully deleted: it is re-sent after a 1 s backoff.
/// plan.handle(t, Ok(BulkResponse { successful_key_count: 1, unsuccessful_keys: vec!["b".into()] }).into());
/// assert!(matches!(plan.poll(now), Poll::Wait(d) if d == Duration::from_secs(1)));
/// let Poll::Send(t, op) = plan.poll(now + Duration::from_secs(1)) else { panic!() };
/// assert_eq!(op.keys(), [Key::new("b")?]);
/// plan.handle(t, Ok(BulkResponse { successful_key_count: 1, unsuccessful_keys: vec![] }).into());
/// let report = plan.finish();
/// assert_eq!((report.succeeded, report.retries, report.requests_sent), (2, 1, 2));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub type BulkDeletePlan<I> = BulkPlan<BulkDelete, I>;

/// Reads any number of keys with as few `POST .../bulk/get` requests as the limits allow (at
/// most `max_batch_items` keys each, default and maximum 100). JSON decoding and metadata are
/// flags of the template: `BulkGet::template(ns).json().with_metadata()`.
///
/// - The report maps every distinct requested key to its [`BulkValue`](crate::BulkValue)
///   (or [`BulkValue::Missing`](crate::BulkValue::Missing)), or lists it in `failed` with its
///   batch's error. A failed batch is not re-sent (the shell's
///   [`RetryPolicy`](crate::RetryPolicy) already retried it).
/// - **Duplicates** in the input are requested once: later occurrences are not sent, share the
///   first one's entry, and are counted in [`BulkGetReport::duplicates`]. To remember which
///   keys it has seen, the plan keeps one copy of every distinct key (the report holds every
///   value anyway).
/// - Values must be text; the server fails a whole `json` batch if one value is not JSON.
///
/// ```
/// use kv_proto::{BulkGet, BulkGetPlan, NamespaceId, Operation, Plan, PlanConfig, Poll};
/// use std::time::Instant;
///
/// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a", "gone", "a"], PlanConfig::default())?;
/// let Poll::Send(t, op) = plan.poll(Instant::now()) else { panic!() };
/// assert_eq!(op.keys().len(), 2); // "a" is requested once
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","gone":null}}}"#;
/// plan.handle(t, op.parse(http::Response::new(&body[..])).into());
/// assert!(matches!(plan.poll(Instant::now()), Poll::Done));
/// let report = plan.finish();
/// assert_eq!((report.requested, report.duplicates), (2, 1));
/// assert_eq!(report.values["a"].as_text(), Some("1"));
/// assert!(report.values["gone"].is_missing());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub type BulkGetPlan<I> = BulkPlan<BulkGet, I>;

impl<O, I> BulkPlan<O, I>
where
    O: BulkOp,
    I: Iterator,
    I::Item: IntoBulkItem<O::Item>,
{
    /// A plan sending `input` in requests shaped like `template` (e.g.
    /// [`BulkGet::template`]`(ns).json()`). Nothing is pulled from `input` yet.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, BulkGet, BulkGetPlan, NamespaceId, Plan, PlanConfig};
    /// let ns = NamespaceId::new("ns1")?;
    /// let plan = BulkGetPlan::new(BulkGet::template(ns.clone()).json(), ["a"], PlanConfig::default())?;
    /// assert!(plan.template().is_json());
    /// assert_eq!(plan.progress().total_known, 0); // nothing pulled yet
    /// assert_eq!(plan.progress().total, Some(1)); // but an array says its length
    /// let too_many = PlanConfig::default().with_max_batch_items(101);
    /// assert!(BulkGetPlan::new(BulkGet::template(ns.clone()), ["a"], too_many).is_err());
    /// let bad = PlanConfig::default().with_max_key_attempts(0);
    /// assert!(BulkDeletePlan::new(BulkDelete::template(ns), ["a"], bad).is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::Config`](crate::Limit::Config) if `max_batch_items` is outside 1..=10,000
    /// (write, delete) or 1..=100 (get), `max_body_bytes` outside 1..=100,000,000 or
    /// `max_key_attempts` is 0.
    pub fn new(
        template: O,
        input: impl IntoIterator<IntoIter = I>,
        config: PlanConfig,
    ) -> Result<BulkPlan<O, I>, Error> {
        let source = input.into_iter();
        let input_len = match source.size_hint() {
            (low, Some(high)) if low == high => Some(low as u64),
            _ => None,
        };
        Ok(BulkPlan {
            template,
            source,
            input_len,
            engine: Engine::new(config)?,
        })
    }

    /// The template every request is shaped like.
    pub fn template(&self) -> &O {
        &self.template
    }
}

impl<O, I> Plan for BulkPlan<O, I>
where
    O: BulkOp,
    I: Iterator,
    I::Item: IntoBulkItem<O::Item>,
{
    type Op = O;
    type Report = O::Report;

    fn poll(&mut self, now: Instant) -> Poll<O> {
        self.engine.poll(now, &self.template, &mut self.source)
    }

    /// Takes the outcome of the batch `ticket`. Write and delete: keys listed in
    /// `unsuccessful_keys` are re-queued (or failed after `max_key_attempts` sends). Get:
    /// requested keys absent from the result are [`BulkValue::Missing`](crate::BulkValue::Missing).
    /// An `Err` fails every key of the batch; a fatal one ([`Error::is_fatal`]) also stops
    /// the plan. The outcome's `attempts` add to `requests_sent` and to each key's
    /// `attempts`. An unknown ticket is counted in the report's `anomalies` and otherwise
    /// ignored.
    fn handle(&mut self, ticket: Ticket, outcome: Outcome<O::Output>) {
        self.engine.handle(ticket, outcome);
    }

    fn cancel(&mut self, reason: Error) {
        self.engine.cancel(reason);
    }

    fn progress(&self) -> Progress {
        let mut p = self.engine.progress();
        p.total = if p.exhausted {
            Some(p.total_known)
        } else {
            self.input_len
                .map(|n| n.saturating_sub(self.engine.skipped))
        };
        p
    }

    fn finish(mut self) -> O::Report {
        self.engine.settle_stop(&mut self.source);
        self.engine.abandon();
        O::report(self.engine)
    }
}

impl<O: BulkOp + fmt::Debug, I> fmt::Debug for BulkPlan<O, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkPlan")
            .field("template", &self.template)
            .field("progress", &self.engine.progress())
            .finish_non_exhaustive()
    }
}
