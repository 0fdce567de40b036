//! What a bulk plan reports: [`BulkReport`] (write, delete), [`BulkGetReport`] (get), and the
//! [`FailedKey`]s in both.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Error;
use crate::ids::Key;
use crate::op::BulkValue;

/// An input that could not be written, deleted or read.
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, Error, NamespaceId, Plan, PlanConfig, Poll, TransportErrorKind};
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a", ".."], PlanConfig::default())?;
/// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// plan.handle(t, Err(Error::transport(TransportErrorKind::Timeout, "timed out")));
/// let report = plan.finish();
/// let (invalid, timed_out) = (&report.failed[0], &report.failed[1]);
/// assert_eq!((invalid.key.as_str(), invalid.attempts), ("..", 0)); // never sent
/// assert!(invalid.error.is_invalid_input());
/// assert_eq!((timed_out.key.as_str(), timed_out.attempts), ("a", 1));
/// assert!(timed_out.error.is_timeout());
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FailedKey {
    /// The key, as given: a key that is not valid (e.g. `".."`) is kept as the input's text.
    pub key: String,
    /// The last error: the request's error; an
    /// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error for a key the server kept
    /// reporting unsuccessful; an [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// error for an input that cannot be sent (not a valid key, an item over a limit); an
    /// [`ErrorKind::Abandoned`](crate::ErrorKind::Abandoned) error for a key still pending when
    /// the plan was finished; or the error that stopped the plan. Shared ([`Arc`]) by every key
    /// of a failed batch.
    pub error: Arc<Error>,
    /// How many times the key was sent (0: never, e.g. invalid input).
    pub attempts: u32,
}

/// The report of a bulk write or bulk delete plan.
///
/// Invariant: `succeeded + failed.len() == requested`.
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, BulkResponse, NamespaceId, Plan, PlanConfig, Poll};
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
/// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// plan.handle(t, Ok(BulkResponse { successful_key_count: 1, unsuccessful_keys: vec![] }));
/// let r = plan.finish();
/// assert_eq!((r.requested, r.succeeded, r.requests_sent, r.retries), (1, 1, 1, 0));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    /// Inputs pulled from the iterator (duplicates and invalid inputs included: write and
    /// delete send each item).
    pub requested: u64,
    /// Items the server reported written or deleted.
    pub succeeded: u64,
    /// Inputs that failed, each with its last error (invalid inputs with `attempts: 0`).
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
    /// Keys still pending when [`finish`](crate::Plan::finish) was called before
    /// [`Poll::Done`](crate::Poll::Done) (also in `failed`).
    pub abandoned: u64,
    /// The error that stopped the plan (only with `stop_on_error`).
    pub stopped: Option<Arc<Error>>,
}

impl BulkReport {
    /// True if every requested input succeeded.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, Error, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")));
    /// assert!(!plan.finish().is_success());
    /// assert!(kv_proto::BulkReport::default().is_success());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }

    /// The keys (as given) of every failed input, in the order they failed.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a", "..", "."], PlanConfig::default())?;
    /// let Poll::Send(_, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// let report = plan.finish(); // "a" is abandoned in flight
    /// assert_eq!(report.failed_keys().collect::<Vec<_>>(), ["..", ".", "a"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn failed_keys(&self) -> impl Iterator<Item = &str> {
        self.failed.iter().map(|f| f.key.as_str())
    }
}

/// The report of a bulk get plan.
///
/// Invariant: `values.len() + failed.len() == requested`.
///
/// ```
/// use kv_proto::{BulkGet, BulkGetPlan, NamespaceId, Operation, Plan, PlanConfig, Poll};
/// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
/// let Poll::Send(t, op) = plan.poll(std::time::Instant::now()) else { panic!() };
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1"}}}"#;
/// plan.handle(t, op.parse(http::Response::new(&body[..])));
/// let r = plan.finish();
/// assert_eq!((r.requested, r.values.len(), r.failed.len()), (1, 1, 0));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BulkGetReport {
    /// Distinct inputs pulled from the iterator (invalid inputs included).
    pub requested: u64,
    /// Later occurrences of a key already requested (not sent again; they share its entry).
    pub duplicates: u64,
    /// Every key read, with its value or [`BulkValue::Missing`].
    pub values: HashMap<Key, BulkValue>,
    /// Inputs that could not be read, each with the error (invalid inputs with `attempts: 0`).
    pub failed: Vec<FailedKey>,
    /// Bulk get requests handed out.
    pub requests_sent: u64,
    /// Oddities ignored: values for keys that were not in their batch, and responses handed
    /// back with an unknown or already-used ticket.
    pub anomalies: u64,
    /// Keys still pending when [`finish`](crate::Plan::finish) was called before
    /// [`Poll::Done`](crate::Poll::Done) (also in `failed`).
    pub abandoned: u64,
    /// The error that stopped the plan (only with `stop_on_error`).
    pub stopped: Option<Arc<Error>>,
}

impl BulkGetReport {
    /// True if every requested key was read (present or missing).
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkGetPlan, Error, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")));
    /// assert!(!plan.finish().is_success());
    /// assert!(kv_proto::BulkGetReport::default().is_success());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }

    /// The keys (as given) of every input that could not be read, in the order they failed.
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkGetPlan, Error, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a", ""], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")));
    /// assert_eq!(plan.finish().failed_keys().collect::<Vec<_>>(), ["", "a"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn failed_keys(&self) -> impl Iterator<Item = &str> {
        self.failed.iter().map(|f| f.key.as_str())
    }
}
