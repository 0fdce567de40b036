//! [`PurgePlan`]: delete every key of a namespace (or under a prefix), streaming the listing
//! into bulk deletes.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::drive::bulk::{BulkDeletePlan, BulkReport, PlanConfig};
use crate::drive::page::{KeyPager, Pager};
use crate::drive::{Outcome, Plan, Poll, Progress, Ticket};
use crate::error::Error;
use crate::ids::Key;
use crate::op::{BulkDelete, BulkResponse, KeyPage, ListKeys, Operation};

/// Default number of listed pages a purge deletes at once (each page is one bulk delete
/// plan of up to 1,000 keys).
pub const DEFAULT_PURGE_WINDOW: usize = 4;

/// One request of a [`PurgePlan`]: a page of the listing or a bulk delete.
#[derive(Debug, Clone)]
pub enum PurgeOp {
    /// The next page of keys.
    List(ListKeys),
    /// A bulk delete of listed keys.
    Delete(BulkDelete),
}

/// What a [`PurgeOp`] returns.
#[derive(Debug)]
pub enum PurgeOutput {
    /// A page of keys.
    List(KeyPage),
    /// A bulk delete answer.
    Delete(BulkResponse),
}

impl Operation for PurgeOp {
    type Output = PurgeOutput;

    fn request(&self, endpoint: &crate::Endpoint) -> http::Request<Vec<u8>> {
        match self {
            PurgeOp::List(op) => op.request(endpoint),
            PurgeOp::Delete(op) => op.request(endpoint),
        }
    }

    fn route(&self) -> &'static str {
        match self {
            PurgeOp::List(op) => Operation::route(op),
            PurgeOp::Delete(op) => Operation::route(op),
        }
    }

    fn namespace_id(&self) -> Option<&crate::NamespaceId> {
        match self {
            PurgeOp::List(op) => Operation::namespace_id(op),
            PurgeOp::Delete(op) => Operation::namespace_id(op),
        }
    }

    fn key(&self) -> Option<&crate::Key> {
        match self {
            PurgeOp::List(op) => Operation::key(op),
            PurgeOp::Delete(op) => Operation::key(op),
        }
    }

    fn max_response_bytes(&self) -> u64 {
        match self {
            PurgeOp::List(op) => op.max_response_bytes(),
            PurgeOp::Delete(op) => op.max_response_bytes(),
        }
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<PurgeOutput, Error> {
        Ok(match self {
            PurgeOp::List(op) => PurgeOutput::List(op.parse(response)?),
            PurgeOp::Delete(op) => PurgeOutput::Delete(op.parse(response)?),
        })
    }
}

/// What a purge reports: the merged [`BulkReport`] of its deletes, the keys listed, and the
/// error that ended the listing early, if any.
#[derive(Debug, Clone, Default)]
pub struct PurgeReport {
    /// Keys listed (each is requested for deletion once).
    pub listed: u64,
    /// The deletes, merged (`requested == listed` once done); its `requests_sent` also counts
    /// the listing's pages.
    pub bulk: BulkReport,
    /// The error that ended the listing early: keys after it were not deleted.
    pub listing_error: Option<Arc<Error>>,
}

impl PurgeReport {
    /// True if every listed key was deleted and the listing completed.
    pub fn is_success(&self) -> bool {
        self.bulk.is_success() && self.listing_error.is_none()
    }
}

type Sub = BulkDeletePlan<std::vec::IntoIter<Key>>;

enum Flight {
    List(Ticket),
    Delete(u64, Ticket),
}

/// Deletes every key a listing walks: a [`KeyPager`] whose pages each become a
/// [`BulkDeletePlan`] (re-queues, backoff, invalid names reported with `attempts: 0`, as
/// any bulk delete), at most `window` pages at once. It speaks [`Plan`] over [`PurgeOp`].
///
/// Deleting behind the listing is safe: a cursor is a position in key order, so keys deleted
/// before it do not move it. Progress counts keys; `total_known` is final once `exhausted`
/// (the listing is done).
///
/// ```
/// use kv_proto::{BulkResponse, KeyInfo, KeyPage, ListKeys, NamespaceId, Plan, PlanConfig, Poll, workflow::PurgeOp, workflow::PurgeOutput, workflow::PurgePlan};
/// let mut plan = PurgePlan::new(ListKeys::new(NamespaceId::new("ns1")?).prefix("tmp:"), PlanConfig::default(), 4)?;
/// loop {
///     match plan.poll(std::time::Instant::now()) {
///         Poll::Send(t, PurgeOp::List(_)) => {
///             let keys = vec![KeyInfo { name: kv_proto::Key::new("tmp:1")?, expiration: None, metadata: None }];
///             plan.handle(t, Ok(PurgeOutput::List(KeyPage { keys, cursor: None, count: None })).into());
///         }
///         Poll::Send(t, PurgeOp::Delete(op)) => {
///             let n = op.keys().len() as u64;
///             plan.handle(t, Ok(PurgeOutput::Delete(BulkResponse { successful_key_count: n, unsuccessful_keys: vec![] })).into());
///         }
///         Poll::Done => break,
///         _ => unreachable!(),
///     }
/// }
/// let report = plan.finish();
/// assert_eq!((report.listed, report.bulk.succeeded), (1, 1));
/// assert_eq!(report.bulk.requests_sent, 2); // one page, one bulk delete
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct PurgePlan {
    pager: KeyPager,
    template: BulkDelete,
    config: PlanConfig,
    window: usize,
    subs: VecDeque<(u64, Sub)>,
    next_sub: u64,
    flights: HashMap<u64, Flight>,
    next_ticket: u64,
    report: PurgeReport,
    list_requests: u64,
    /// Progress of the finished sub-plans.
    finished: Progress,
    /// Why the purge stopped early (a fatal answer, or [`Plan::cancel`]): nothing new goes out.
    stopped: Option<Error>,
}

impl std::fmt::Debug for PurgePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PurgePlan")
            .field("window", &self.window)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

fn merge(into: &mut BulkReport, r: BulkReport) {
    into.requested += r.requested;
    into.succeeded += r.succeeded;
    into.failed.extend(r.failed);
    into.not_attempted.extend(r.not_attempted);
    into.requests_sent += r.requests_sent;
    into.retries += r.retries;
    into.retry_rounds += r.retry_rounds;
    into.mismatches += r.mismatches;
    into.anomalies += r.anomalies;
    into.abandoned += r.abandoned;
    if into.stopped.is_none() {
        into.stopped = r.stopped;
    }
}

impl PurgePlan {
    /// A purge of the keys `list` walks (its namespace and prefix), deleting with `config`
    /// (batch size, re-sends of unsuccessful keys), `window` pages at once (0 counts as 1).
    ///
    /// # Errors
    /// As [`BulkDeletePlan::new`] for a `config` value out of range.
    pub fn new(list: ListKeys, config: PlanConfig, window: usize) -> Result<PurgePlan, Error> {
        let template = BulkDelete::template(list.namespace().clone());
        BulkDeletePlan::new(template.clone(), Vec::<Key>::new(), config.clone())?;
        Ok(PurgePlan {
            template,
            pager: KeyPager::new(list),
            config,
            window: window.max(1),
            subs: VecDeque::new(),
            next_sub: 0,
            flights: HashMap::new(),
            next_ticket: 0,
            report: PurgeReport::default(),
            list_requests: 0,
            finished: Progress::default(),
            stopped: None,
        })
    }

    fn ticket(&mut self, flight: Flight) -> Ticket {
        let t = self.next_ticket;
        self.next_ticket += 1;
        self.flights.insert(t, flight);
        Ticket(t)
    }
}

impl Plan for PurgePlan {
    type Op = PurgeOp;
    type Report = PurgeReport;

    fn poll(&mut self, now: Instant) -> Poll<PurgeOp> {
        let mut wait: Option<Duration> = None;
        let mut i = 0;
        while i < self.subs.len() {
            let id = self.subs[i].0;
            match self.subs[i].1.poll(now) {
                Poll::Send(inner, op) => {
                    let t = self.ticket(Flight::Delete(id, inner));
                    return Poll::Send(t, PurgeOp::Delete(op));
                }
                Poll::Wait(d) => wait = Some(wait.map_or(d, |w| w.min(d))),
                Poll::Idle => {}
                Poll::Done => {
                    if let Some((_, sub)) = self.subs.remove(i) {
                        let p = sub.progress();
                        self.finished.done += p.done;
                        self.finished.failed += p.failed;
                        self.finished.total_known += p.total_known;
                        merge(&mut self.report.bulk, sub.finish());
                    }
                    continue;
                }
            }
            i += 1;
        }
        let list_in_flight = self.flights.values().any(|f| matches!(f, Flight::List(_)));
        if !list_in_flight
            && self.stopped.is_none()
            && !self.pager.is_done()
            && self.subs.len() < self.window
            && let Poll::Send(inner, op) = self.pager.poll(now)
        {
            let t = self.ticket(Flight::List(inner));
            return Poll::Send(t, PurgeOp::List(op));
        }
        if let Some(d) = wait {
            return Poll::Wait(d);
        }
        if !self.flights.is_empty() {
            return Poll::Idle;
        }
        if self.subs.is_empty() && (self.pager.is_done() || self.stopped.is_some()) {
            Poll::Done
        } else {
            Poll::Idle
        }
    }

    fn handle(&mut self, ticket: Ticket, outcome: Outcome<PurgeOutput>) {
        let Some(flight) = self.flights.remove(&ticket.0) else {
            self.report.bulk.anomalies += 1;
            return;
        };
        let Outcome {
            result,
            attempts,
            maybe_applied,
            elapsed,
        } = outcome;
        if let Err(e) = &result
            && e.is_fatal()
            && self.stopped.is_none()
        {
            // The same answer would come for every page and batch: stop everything.
            self.cancel(e.clone());
        }
        match flight {
            Flight::List(inner) => {
                self.list_requests += u64::from(attempts);
                let page = match result {
                    Ok(PurgeOutput::List(page)) => Ok(page),
                    Ok(_) => Err(mismatch("purge")),
                    Err(e) => Err(e),
                };
                self.pager.handle(
                    inner,
                    Outcome::from_attempts(page, attempts, maybe_applied, elapsed),
                );
                let names: Vec<Key> = self
                    .pager
                    .take_items()
                    .into_iter()
                    .map(|k| k.name)
                    .collect();
                if let Some(e) = self.pager.take_error() {
                    self.report.listing_error = Some(Arc::new(e));
                }
                if names.is_empty() || self.stopped.is_some() {
                    return;
                }
                self.report.listed += names.len() as u64;
                match BulkDeletePlan::new(self.template.clone(), names, self.config.clone()) {
                    Ok(sub) => {
                        self.subs.push_back((self.next_sub, sub));
                        self.next_sub += 1;
                    }
                    Err(e) => {
                        // Unreachable: `new` checked the config. Never silent, though.
                        self.report.listing_error = Some(Arc::new(e));
                    }
                }
            }
            Flight::Delete(id, inner) => {
                let result = match result {
                    Ok(PurgeOutput::Delete(r)) => Ok(r),
                    Ok(_) => Err(mismatch("purge")),
                    Err(e) => Err(e),
                };
                if let Some((_, sub)) = self.subs.iter_mut().find(|(i, _)| *i == id) {
                    sub.handle(
                        inner,
                        Outcome::from_attempts(result, attempts, maybe_applied, elapsed),
                    );
                }
            }
        }
    }

    /// Stops listing and handing out deletes; keys already listed but not sent are reported
    /// not attempted, with `reason` as the report's `stopped`.
    fn cancel(&mut self, reason: Error) {
        for (_, sub) in &mut self.subs {
            sub.cancel(reason.clone());
        }
        self.stopped = Some(reason);
    }

    fn progress(&self) -> Progress {
        let mut p = self.finished;
        for (_, sub) in &self.subs {
            let s = sub.progress();
            p.done += s.done;
            p.failed += s.failed;
            p.in_flight += s.in_flight;
            p.queued_for_retry += s.queued_for_retry;
        }
        p.total_known = self.report.listed;
        p.exhausted = self.pager.is_done();
        p.total = p.exhausted.then_some(p.total_known);
        p
    }

    /// The report; keys still pending in a page's delete are failed as abandoned.
    fn finish(mut self) -> PurgeReport {
        for (_, sub) in std::mem::take(&mut self.subs) {
            merge(&mut self.report.bulk, sub.finish());
        }
        self.report.bulk.requests_sent += self.list_requests;
        if let Some(reason) = self.stopped
            && self.report.bulk.stopped.is_none()
        {
            self.report.bulk.stopped = Some(Arc::new(reason));
        }
        self.report
    }
}

/// The error for an answer of the wrong kind (a shell that mixed up tickets).
fn mismatch(what: &str) -> Error {
    Error::protocol(format!("{what}: an answer of the wrong kind"))
}
