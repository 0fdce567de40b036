//! Multi-request work as pure state machines: the [`Plan`] trait and every machine that
//! speaks it (the bulk plans, the pagers).
//!
//! A plan does no I/O and reads no clock. The shell asks it for the next step given `now`
//! ([`Plan::poll`]), sends the operations it hands out, tells it the outcome of each
//! [`Ticket`] ([`Plan::handle`]), may read its [`Progress`], and finally turns it into a
//! report ([`Plan::finish`]).

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::op::Operation;

pub(crate) mod bulk;
pub(crate) mod page;
pub mod workflow;

/// A state machine that drives multi-request work: the one vocabulary of every plan.
///
/// | verb | meaning |
/// |---|---|
/// | [`poll`](Plan::poll) | the next step at time `now`: send this op under this ticket, wait, idle, or done |
/// | [`handle`](Plan::handle) | the [`Outcome`] of one ticket (after the shell's own retries) |
/// | [`progress`](Plan::progress) | where the plan stands |
/// | [`finish`](Plan::finish) | the final report (a bulk plan reports keys still pending as abandoned) |
/// | [`cancel`](Plan::cancel) | hand out nothing more (a deadline passed); in-flight outcomes are still taken |
///
/// A shell may keep several tickets in flight and hand outcomes back in any order. The
/// complete loop, single-threaded:
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, BulkResponse, NamespaceId, Plan, PlanConfig, Poll};
/// use std::time::Instant;
///
/// fn drive<P: Plan>(mut plan: P, mut send: impl FnMut(&P::Op) -> Result<<P::Op as kv_proto::Operation>::Output, kv_proto::Error>) -> P::Report {
///     loop {
///         match plan.poll(Instant::now()) {
///             Poll::Send(ticket, op) => {
///                 let outcome = send(&op);
///                 plan.handle(ticket, outcome.into()); // one attempt, nothing else known
///             }
///             Poll::Wait(d) => std::thread::sleep(d),
///             Poll::Idle => unreachable!("nothing is in flight in a single-threaded loop"),
///             Poll::Done => return plan.finish(),
///         }
///     }
/// }
///
/// let plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), (0..2500).map(|i| format!("k{i}")), PlanConfig::default())?;
/// let report = drive(plan, |op| Ok(BulkResponse { successful_key_count: op.keys().len() as u64, unsuccessful_keys: vec![] }));
/// assert_eq!((report.requested, report.succeeded, report.requests_sent), (2500, 2500, 3));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub trait Plan {
    /// The operation the plan hands out.
    type Op: Operation;
    /// What [`finish`](Plan::finish) returns.
    type Report;

    /// The next step at time `now`.
    fn poll(&mut self, now: Instant) -> Poll<Self::Op>;

    /// The outcome of the operation handed out with `ticket`: its parsed output or the error
    /// left after the shell's own retries, with how many HTTP requests were sent for it and
    /// whether a failed attempt may have been applied. A plain `Result` converts
    /// (`outcome.into()`: one attempt). An unknown or already-used ticket is ignored (and
    /// counted where the plan's report has room for it).
    fn handle(&mut self, ticket: Ticket, outcome: Outcome<<Self::Op as Operation>::Output>);

    /// Stops handing out new work, for `reason` (e.g. the job's deadline passed): the next
    /// polls return [`Poll::Idle`] until the outcomes in flight are handled, then
    /// [`Poll::Done`]. A bulk plan reports the keys never sent as not attempted and keeps
    /// `reason` as the stop reason (unless it already stopped); a pager ends its walk with
    /// `reason` as its error. Cancelling twice keeps the first reason.
    fn cancel(&mut self, reason: Error);

    /// Where the plan stands, for progress output.
    fn progress(&self) -> Progress;

    /// The final report. A bulk plan finished before [`Poll::Done`] reports the keys still
    /// pending as failed with an [`Error::is_abandoned`] error; a pager returns the items not
    /// yet taken.
    fn finish(self) -> Self::Report;
}

/// What happened to one ticket, as the shell hands it back to [`Plan::handle`].
///
/// A shell that retries fills every field; a plain `Result` converts with `.into()` (one
/// attempt, nothing possibly applied, no elapsed time), which keeps tests and simple shells
/// short.
///
/// ```
/// use kv_proto::{Error, Outcome, TransportErrorKind};
/// use std::time::Duration;
/// let o: Outcome<u32> = Ok(7).into();
/// assert_eq!((o.attempts, o.maybe_applied, o.elapsed), (1, false, Duration::ZERO));
/// let timed_out = Error::transport(TransportErrorKind::Timeout, "timed out");
/// let o: Outcome<u32> = Outcome::from_attempts(Err(timed_out), 3, true, Duration::from_millis(40));
/// assert!(o.result.is_err() && o.maybe_applied);
/// ```
#[derive(Debug)]
pub struct Outcome<T> {
    /// The parsed output, or the error left after the shell's retries.
    pub result: Result<T, Error>,
    /// HTTP requests sent for this ticket, retries included (0: never sent, e.g. the shell
    /// gave up before the first attempt because a deadline had passed).
    pub attempts: u32,
    /// Some attempt failed in a way the server may have applied ([`Error::maybe_applied`]:
    /// a timeout, a connection closed after sending, a cut or garbled 2xx body, a 524).
    pub maybe_applied: bool,
    /// From sending the last attempt to its answer (what an adaptive batch size measures).
    pub elapsed: Duration,
}

impl<T> Outcome<T> {
    /// An outcome with every field given.
    pub fn from_attempts(
        result: Result<T, Error>,
        attempts: u32,
        maybe_applied: bool,
        elapsed: Duration,
    ) -> Outcome<T> {
        Outcome {
            result,
            attempts,
            maybe_applied,
            elapsed,
        }
    }
}

impl<T> From<Result<T, Error>> for Outcome<T> {
    /// One attempt; possibly applied only if that one error says so
    /// ([`Error::maybe_applied`]); no elapsed time.
    fn from(result: Result<T, Error>) -> Outcome<T> {
        let maybe_applied = result.as_ref().err().is_some_and(Error::maybe_applied);
        Outcome {
            result,
            attempts: 1,
            maybe_applied,
            elapsed: Duration::ZERO,
        }
    }
}

/// Identifies one operation in flight; hand it back to [`Plan::handle`] with the outcome.
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, NamespaceId, Plan, PlanConfig, Poll};
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a", "b"], PlanConfig::default().with_max_batch_items(1))?;
/// let now = std::time::Instant::now();
/// let (Poll::Send(t1, _), Poll::Send(t2, _)) = (plan.poll(now), plan.poll(now)) else { panic!() };
/// assert_ne!(t1, t2);
/// assert_eq!((t1.id(), t2.id()), (0, 1));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub(crate) u64);

impl Ticket {
    /// The operation's number (from 0, in the order they were handed out).
    pub fn id(self) -> u64 {
        self.0
    }
}

/// What a [`Plan`] wants the shell to do next.
#[derive(Debug)]
pub enum Poll<Op> {
    /// Send this operation, then hand its outcome to [`Plan::handle`] with the ticket.
    Send(Ticket, Op),
    /// Nothing can be sent before this much time passes (work is backing off). A shell with
    /// requests in flight should wait for this long or for a response, whichever comes first.
    Wait(Duration),
    /// Nothing to send until an in-flight outcome is handled.
    Idle,
    /// Everything is accounted for: call [`Plan::finish`].
    Done,
}

/// Where a plan stands, for progress output.
///
/// For bulk plans the unit is a key (or write item); for pagers it is a listed item.
/// `done + failed + in_flight + queued_for_retry <= total_known`; the difference is at most
/// one bulk write item pulled from the input that did not fit the previous batch.
///
/// ```
/// use kv_proto::{BulkDelete, BulkDeletePlan, NamespaceId, Plan, PlanConfig, Poll};
/// let mut plan = BulkDeletePlan::new(BulkDelete::template(NamespaceId::new("ns1")?), ["a"], PlanConfig::default())?;
/// let Poll::Send(_, _) = plan.poll(std::time::Instant::now()) else { panic!() };
/// let p = plan.progress();
/// assert_eq!((p.in_flight, p.done, p.total_known, p.exhausted), (1, 0, 1, true));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Units finished successfully (for bulk get: keys with a value or known missing).
    pub done: u64,
    /// Units failed for good.
    pub failed: u64,
    /// Units in requests not yet handled.
    pub in_flight: u64,
    /// Units waiting to be re-sent.
    pub queued_for_retry: u64,
    /// Units pulled from the input so far (for bulk get: distinct keys).
    pub total_known: u64,
    /// True once the input is fully consumed (then `total_known` is the total).
    pub exhausted: bool,
    /// The total, when known: from the start for a bulk plan whose input says its exact
    /// length (`size_hint`, e.g. a `Vec`, an array, a range), otherwise once the input is
    /// exhausted (then it equals `total_known`). For a bulk get, duplicate keys are taken off
    /// as they are met.
    pub total: Option<u64>,
}
