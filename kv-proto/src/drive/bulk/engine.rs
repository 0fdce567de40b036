//! The engine every bulk plan shares: lazy pulling, batching by count and bytes, tickets,
//! re-queueing with backoff, stop on error, and the exactly-once accounting of every input.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{BulkOp, IntoBulkItem, PlanConfig};
use crate::drive::{Poll, Progress, Ticket};
use crate::error::Error;
use crate::op::BulkResponse;
use crate::retry::splitmix64;

use super::report::FailedKey;

/// What a plan's kind decides about an item pulled from the input.
pub enum Admit {
    /// Batch it; it adds this many bytes to the body (0: no byte budget).
    Take(usize),
    /// A duplicate: already accounted for.
    Skip,
    /// It can never be sent.
    Reject(Error),
}

pub struct Entry<T> {
    item: T,
    cost: usize,
    /// Times sent so far.
    attempts: u32,
}

/// A batch in flight: its items, shared with the operation sent (not copied), and each
/// item's (cost, attempts).
pub struct InFlight<T> {
    pub(super) items: Arc<Vec<T>>,
    meta: Vec<(usize, u32)>,
}

impl<T: Clone> InFlight<T> {
    pub(super) fn len(&self) -> usize {
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

/// The state of a bulk plan, apart from its template and its input.
pub struct Engine<O: BulkOp> {
    /// What the kind keeps (bulk get: the keys seen and their values).
    pub(super) tally: O::Tally,
    exhausted: bool,
    held: Option<Entry<O::Item>>,
    max_items: usize,
    max_body: usize,
    config: PlanConfig,
    /// Re-queued entries and their backoff, counted from the next poll.
    backing_off: Vec<(Duration, Vec<Entry<O::Item>>)>,
    /// Re-queued entries by the time they may be sent (and a sequence number).
    waiting: BTreeMap<(Instant, u64), Vec<Entry<O::Item>>>,
    in_flight: HashMap<u64, InFlight<O::Item>>,
    next_ticket: u64,
    seq: u64,
    pub(super) stopped: Option<Arc<Error>>,
    pub(super) pulled: u64,
    pub(super) skipped: u64,
    pub(super) succeeded: u64,
    pub(super) failed: Vec<FailedKey>,
    in_flight_items: u64,
    queued_items: u64,
    pub(super) requests_sent: u64,
    pub(super) retries: u64,
    pub(super) retry_rounds: u64,
    pub(super) mismatches: u64,
    pub(super) anomalies: u64,
    pub(super) abandoned: u64,
}

/// SplitMix64: spreads (seed, ticket) into an independent-looking jitter seed.
fn mix(seed: u64, ticket: u64) -> u64 {
    splitmix64(seed ^ ticket.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl<O: BulkOp> Engine<O> {
    pub(super) fn new(config: PlanConfig) -> Result<Self, Error> {
        let (max_items, max_body) = config.resolve(O::DEFAULT_ITEMS, O::MAX_ITEMS)?;
        Ok(Engine {
            tally: O::Tally::default(),
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
            abandoned: 0,
        })
    }

    /// Records a failed input (its key as text) and stops the plan if so configured.
    fn fail_key(&mut self, key: String, attempts: u32, error: Arc<Error>) {
        self.failed.push(FailedKey {
            key,
            error: Arc::clone(&error),
            attempts,
        });
        if self.config.stop_on_error() && self.stopped.is_none() {
            self.stopped = Some(error);
        }
    }

    fn fail(&mut self, entry: Entry<O::Item>, error: Arc<Error>) {
        self.fail_key(O::into_key_string(entry.item), entry.attempts, error);
    }

    /// Fails every key of a batch with one error.
    pub(super) fn fail_batch(&mut self, batch: InFlight<O::Item>, error: Error) {
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

    /// The next entry from the input that can be batched, failing the ones that cannot.
    fn pull<I>(&mut self, source: &mut I) -> Option<Entry<O::Item>>
    where
        I: Iterator,
        I::Item: IntoBulkItem<O::Item>,
    {
        if let Some(e) = self.held.take() {
            return Some(e);
        }
        while !self.exhausted && self.stopped.is_none() {
            let Some(input) = source.next() else {
                self.exhausted = true;
                break;
            };
            self.pulled += 1;
            let item = match input.into_bulk_item() {
                Ok(item) => item,
                Err((text, error)) => {
                    self.fail_key(text, 0, Arc::new(error));
                    continue;
                }
            };
            match O::admit(&mut self.tally, &item, self.max_body) {
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

    pub(super) fn poll<I>(&mut self, now: Instant, template: &O, source: &mut I) -> Poll<O>
    where
        I: Iterator,
        I::Item: IntoBulkItem<O::Item>,
    {
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

            let mut batch: Vec<Entry<O::Item>> = Vec::new();
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
                let Some(entry) = self.pull(source) else {
                    break;
                };
                if entry.cost > 0 && body.saturating_add(entry.cost) > self.max_body {
                    self.held = Some(entry);
                    break;
                }
                body = body.saturating_add(entry.cost);
                batch.push(entry);
            }

            if let Some(stop) = self.stopped.clone() {
                // An input pulled for this batch failed and stopped the plan: send nothing.
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
                match template.batch(Arc::clone(&items), body) {
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

    /// Takes the outcome of `ticket`: an `Err` fails the batch, an output goes to the kind.
    pub(super) fn handle(&mut self, ticket: Ticket, outcome: Result<O::Output, Error>) {
        let Some(batch) = self.in_flight.remove(&ticket.0) else {
            self.anomalies += 1;
            return;
        };
        self.in_flight_items -= batch.len() as u64;
        match outcome {
            Err(e) => self.fail_batch(batch, e),
            Ok(output) => O::absorb(self, ticket, batch, output),
        }
    }

    /// Handles a write or delete response: unsuccessful keys are re-queued with backoff (or
    /// failed after `max_key_attempts` sends).
    pub(super) fn absorb_bulk_response(
        &mut self,
        ticket: Ticket,
        batch: InFlight<O::Item>,
        r: BulkResponse,
    ) {
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
        let in_batch: HashSet<&str> = batch
            .items
            .iter()
            .map(|i| O::item_key(i).as_str())
            .collect();
        self.anomalies += unsuccessful.difference(&in_batch).count() as u64;
        let mut unsuccessful_count = 0u64;
        let max_attempts = self.config.max_key_attempts();
        // Grouped by times sent, as that sets the backoff.
        let mut requeue: BTreeMap<u32, Vec<Entry<O::Item>>> = BTreeMap::new();
        let mut exhausted = Vec::new();
        for entry in batch.into_entries() {
            if unsuccessful.contains(O::item_key(&entry.item).as_str()) {
                unsuccessful_count += 1;
                if entry.attempts >= max_attempts || self.stopped.is_some() {
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
        let seed = mix(self.config.jitter_seed(), ticket.0);
        for (attempts, mut group) in requeue {
            let delay = self.config.backoff().backoff(attempts, seed);
            self.queued_items += group.len() as u64;
            // `poll` pops from the back: reverse to re-send in the original order.
            group.reverse();
            self.backing_off.push((delay, group));
        }
        for entry in exhausted {
            let attempts = entry.attempts;
            let error = Arc::new(Error::protocol(format!(
                "the server reported the key unsuccessful {attempts} time(s) (max_key_attempts {max_attempts})"
            )));
            self.fail(entry, error);
        }
    }

    /// Fails what is still pending or in flight (finish before Done) with an
    /// [`ErrorKind::Abandoned`](crate::ErrorKind::Abandoned) error; counts them in `abandoned`.
    pub(super) fn abandon(&mut self) {
        let before = self.failed.len();
        let error = Arc::new(Error::abandoned(
            "the plan was finished before this key's request was handled",
        ));
        // Abandoning is not a failure that stops the plan (it is over anyway).
        let config = self.config.clone();
        self.config = config.clone().with_stop_on_error(false);
        self.drain_pending(&error);
        let in_flight: Vec<_> = std::mem::take(&mut self.in_flight).into_values().collect();
        self.in_flight_items = 0;
        for batch in in_flight {
            for entry in batch.into_entries() {
                self.fail(entry, Arc::clone(&error));
            }
        }
        self.config = config;
        self.abandoned = (self.failed.len() - before) as u64;
    }

    pub(super) fn progress(&self) -> Progress {
        Progress {
            done: self.succeeded,
            failed: self.failed.len() as u64,
            in_flight: self.in_flight_items,
            queued_for_retry: self.queued_items,
            total_known: self.pulled - self.skipped,
            exhausted: self.exhausted && self.held.is_none(),
            total: None, // set by the plan, which knows the input
        }
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
    fn held_item_is_not_counted_twice() {
        use crate::drive::Plan;
        use crate::ids::{Key, NamespaceId};
        use crate::op::{BulkWrite, BulkWriteItem};
        // Two items of which only one fits per batch: the second waits in `held`.
        let ns = NamespaceId::new("ns").unwrap();
        let items =
            ["a", "b"].map(|k| BulkWriteItem::text(Key::new(k).unwrap(), "x".repeat(50)).unwrap());
        let budget = 1 + items[0].encoded_len() + 10;
        let config = PlanConfig::default().with_max_body_bytes(budget);
        let mut plan =
            super::super::BulkWritePlan::new(BulkWrite::template(ns), items, config).unwrap();
        let now = Instant::now();
        let Poll::Send(_, op) = plan.poll(now) else {
            panic!("expected a batch")
        };
        assert_eq!(op.items().len(), 1);
        let p = plan.progress();
        assert_eq!((p.total_known, p.in_flight, p.exhausted), (2, 1, false));
    }
}
