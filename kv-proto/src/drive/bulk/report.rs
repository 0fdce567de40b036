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
/// // The shell sent the batch 3 times; the last attempt timed out.
/// let timeout = Error::transport(TransportErrorKind::Timeout, "timed out");
/// plan.handle(t, kv_proto::Outcome::from_attempts(Err(timeout), 3, true, Default::default()));
/// let report = plan.finish();
/// let (invalid, timed_out) = (&report.failed[0], &report.failed[1]);
/// assert_eq!((invalid.key.as_str(), invalid.attempts), ("..", 0)); // never sent
/// assert!(invalid.error.is_invalid_input());
/// assert_eq!((timed_out.key.as_str(), timed_out.attempts, timed_out.maybe_applied), ("a", 3, true));
/// assert!(timed_out.error.is_timeout());
/// assert_eq!(report.requests_sent, 3);
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
    /// How many HTTP requests carried the key, the shell's retries included (0: never sent,
    /// e.g. invalid input).
    pub attempts: u32,
    /// Some request carrying the key failed in a way the server may have applied
    /// ([`Error::maybe_applied`]: a timeout, a connection closed after sending, a cut or
    /// garbled 2xx answer, a 524): the key may be written (or deleted) although it is
    /// reported failed.
    pub maybe_applied: bool,
}

/// The first error of a report: the stop reason, else the first failed key's error.
fn first_error<'a>(stopped: &'a Option<Arc<Error>>, failed: &'a [FailedKey]) -> Option<&'a Error> {
    stopped
        .as_deref()
        .or_else(|| failed.first().map(|f| &*f.error))
}

/// The report of a bulk write or bulk delete plan.
///
/// Invariant: `succeeded + failed.len() + not_attempted.len() == requested`, no key twice,
/// and `requests_sent` is the sum of the attempts the shell reported.
///
/// To turn a report into a `Result`: [`BulkReport::into_result`] (`Err` if the job stopped
/// or any key failed).
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, BulkResponse, NamespaceId, Plan, PlanConfig, Poll};
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
/// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// plan.handle(t, Ok(BulkResponse { successful_key_count: 1, unsuccessful_keys: vec![] }).into());
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
    /// Keys never sent because the plan stopped (see `stopped`), in input order.
    pub not_attempted: Vec<String>,
    /// HTTP requests sent, the shell's retries included (the sum of the handled outcomes'
    /// attempts; a request still in flight when the plan was finished early counts once).
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
    /// Why the plan stopped early: a fatal error ([`Error::is_fatal`]), the reason given to
    /// [`Plan::cancel`](crate::Plan::cancel) (a deadline), or with `stop_on_error` the first
    /// failure. `None`: the plan ran to the end.
    pub stopped: Option<Arc<Error>>,
}

impl BulkReport {
    /// True if the job ran to the end and every requested input succeeded.
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none() && self.failed.is_empty() && self.not_attempted.is_empty()
    }

    /// What went wrong first: the error that stopped the job, else the first failed key's
    /// error; `None` for a complete job.
    pub fn first_error(&self) -> Option<&Error> {
        first_error(&self.stopped, &self.failed)
    }

    /// The one way to turn a report into a `Result`: `Ok(report)` if it
    /// [`is_complete`](Self::is_complete), else `Err` with [`first_error`](Self::first_error)
    /// (the report is dropped: keep it and call `first_error` to have both).
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, NamespaceId, Plan, PlanConfig, Poll, __doc_api_error as api};
    /// let config = PlanConfig::default().with_max_batch_items(1);
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a", "b", "c"], config)?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(api(403, 10000, &[])).into()); // fatal: the job stops
    /// assert!(matches!(plan.poll(std::time::Instant::now()), Poll::Done));
    /// let report = plan.finish();
    /// assert_eq!(report.not_attempted, ["b", "c"]);
    /// assert!(report.stopped.as_ref().unwrap().is_auth());
    /// assert!(report.into_result().unwrap_err().is_auth());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The stop reason or the first failed key's error.
    pub fn into_result(self) -> Result<BulkReport, Error> {
        match self.first_error() {
            None if self.is_complete() => Ok(self),
            Some(e) => Err(e.clone()),
            None => Err(Error::abandoned("the job left keys not attempted")),
        }
    }

    /// True if every requested input succeeded (none failed, none left not attempted).
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, Error, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")).into());
    /// assert!(!plan.finish().is_success());
    /// assert!(kv_proto::BulkReport::default().is_success());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.not_attempted.is_empty()
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
/// Invariant: `values.len() + failed.len() + not_attempted.len() == requested`, no key twice,
/// and `requests_sent` is the sum of the attempts the shell reported.
///
/// ```
/// use kv_proto::{BulkGet, BulkGetPlan, NamespaceId, Operation, Plan, PlanConfig, Poll};
/// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
/// let Poll::Send(t, op) = plan.poll(std::time::Instant::now()) else { panic!() };
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1"}}}"#;
/// plan.handle(t, op.parse(http::Response::new(&body[..])).into());
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
    /// Keys never sent because the plan stopped (see `stopped`), in input order.
    pub not_attempted: Vec<String>,
    /// HTTP requests sent, the shell's retries included (the sum of the handled outcomes'
    /// attempts; a request still in flight when the plan was finished early counts once).
    pub requests_sent: u64,
    /// Oddities ignored: values for keys that were not in their batch, and responses handed
    /// back with an unknown or already-used ticket.
    pub anomalies: u64,
    /// Keys still pending when [`finish`](crate::Plan::finish) was called before
    /// [`Poll::Done`](crate::Poll::Done) (also in `failed`).
    pub abandoned: u64,
    /// Why the plan stopped early: a fatal error ([`Error::is_fatal`]), the reason given to
    /// [`Plan::cancel`](crate::Plan::cancel) (a deadline), or with `stop_on_error` the first
    /// failure. `None`: the plan ran to the end.
    pub stopped: Option<Arc<Error>>,
}

impl BulkGetReport {
    /// True if the job ran to the end and every requested key was read (present or missing).
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none() && self.failed.is_empty() && self.not_attempted.is_empty()
    }

    /// What went wrong first: the error that stopped the job, else the first failed key's
    /// error; `None` for a complete job.
    pub fn first_error(&self) -> Option<&Error> {
        first_error(&self.stopped, &self.failed)
    }

    /// `Ok(report)` if it [`is_complete`](Self::is_complete), else `Err` with
    /// [`first_error`](Self::first_error). To keep the values read when some keys failed,
    /// call `first_error()` (or look at `failed`) instead and keep the report.
    ///
    /// # Errors
    /// The stop reason or the first failed key's error.
    pub fn into_result(self) -> Result<BulkGetReport, Error> {
        match self.first_error() {
            None if self.is_complete() => Ok(self),
            Some(e) => Err(e.clone()),
            None => Err(Error::abandoned("the job left keys not attempted")),
        }
    }

    /// True if every requested input succeeded (none failed, none left not attempted).
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkGetPlan, Error, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")).into());
    /// assert!(!plan.finish().is_success());
    /// assert!(kv_proto::BulkGetReport::default().is_success());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.not_attempted.is_empty()
    }

    /// The keys (as given) of every input that could not be read, in the order they failed.
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkGetPlan, Error, NamespaceId, Plan, PlanConfig, Poll};
    /// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a", ""], PlanConfig::default())?;
    /// let Poll::Send(t, _) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// plan.handle(t, Err(Error::protocol("bad answer")).into());
    /// assert_eq!(plan.finish().failed_keys().collect::<Vec<_>>(), ["", "a"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn failed_keys(&self) -> impl Iterator<Item = &str> {
        self.failed.iter().map(|f| f.key.as_str())
    }
}
