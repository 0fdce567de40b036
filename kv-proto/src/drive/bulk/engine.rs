//! The engine every bulk plan shares: lazy pulling, batching by count and bytes, tickets,
//! re-queueing with backoff, stop on fatal errors (and on any error if so configured), and the
//! exactly-once accounting of every input.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{BatchSizer, BulkOp, IntoBulkItem, PlanConfig};
use crate::drive::{Outcome, Poll, Progress, Ticket};
use crate::error::Error;
use crate::op::{BulkResponse, MAX_BULK_ITEMS};
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
    meta: Meta,
}

/// What the engine knows about one item besides the item itself.
#[derive(Clone, Copy, Default)]
struct Meta {
    /// Bytes it adds to a body.
    cost: usize,
    /// Batches it was handed out in (drives `max_key_attempts` and the backoff).
    rounds: u32,
    /// HTTP requests that carried it, the shell's retries included.
    sent: u32,
    /// Some request carrying it failed in a way the server may have applied.
    maybe_applied: bool,
}

impl Meta {
    fn fresh(cost: usize) -> Meta {
        Meta {
            cost,
            ..Meta::default()
        }
    }
}

/// A batch in flight: its items, shared with the operation sent (not copied), and each
/// item's bookkeeping.
pub struct InFlight<T> {
    pub(super) items: Arc<Vec<T>>,
    meta: Vec<Meta>,
    /// Body bytes (what the sizer learns the widest item from).
    body: usize,
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
            .map(|(item, meta)| Entry { item, meta })
    }
}

/// The state of a bulk plan, apart from its template and its input.
pub struct Engine<O: BulkOp> {
    /// What the kind keeps (bulk get: the keys seen and their values).
    pub(super) tally: O::Tally,
    exhausted: bool,
    held: Option<Entry<O::Item>>,
    /// How many items the next batch carries (fixed, or adaptive for write and delete).
    sizer: BatchSizer,
    /// Whether a batch that was too large or too slow is split and re-sent (adaptive write
    /// and delete).
    splits: bool,
    /// Parts of batches that were too large or too slow, each sent alone, first in first;
    /// each part's entries are in reverse order (popped from the back).
    parts: VecDeque<Vec<Entry<O::Item>>>,
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
    /// Keys never sent because the plan stopped.
    pub(super) not_attempted: Vec<String>,
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
        // Adaptive for write and delete unless a size is set. The engine measures every body
        // exactly and closes a batch when the next item does not fit, so the sizer governs the
        // item count only (its own byte projection would close batches of mixed sizes early).
        let splits = O::MAX_ITEMS == MAX_BULK_ITEMS && config.max_batch_items().is_none();
        let sizer = if splits {
            BatchSizer::for_writes().with_time_budget(config.edge_time_budget())
        } else {
            BatchSizer::fixed(max_items)
        };
        Ok(Engine {
            tally: O::Tally::default(),
            exhausted: false,
            held: None,
            sizer,
            splits,
            parts: VecDeque::new(),
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
            not_attempted: Vec::new(),
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

    /// Records a failed input (its key as text) and stops the plan if so configured, or if
    /// the error is fatal ([`Error::is_fatal`]).
    fn fail_key(&mut self, key: String, meta: Meta, error: Arc<Error>) {
        self.failed.push(FailedKey {
            key,
            error: Arc::clone(&error),
            attempts: meta.sent,
            maybe_applied: meta.maybe_applied,
        });
        if (self.config.stop_on_error() || error.is_fatal()) && self.stopped.is_none() {
            self.stopped = Some(error);
        }
    }

    fn fail(&mut self, entry: Entry<O::Item>, error: Arc<Error>) {
        self.fail_key(O::into_key_string(entry.item), entry.meta, error);
    }

    /// Stops the plan for `reason` (kept only if it had not stopped yet).
    pub(super) fn cancel(&mut self, reason: Error) {
        if self.stopped.is_none() {
            self.stopped = Some(Arc::new(reason));
        }
    }

    /// Fails every key of a batch with one error.
    pub(super) fn fail_batch(&mut self, batch: InFlight<O::Item>, error: Error) {
        let error = Arc::new(error);
        for entry in batch.into_entries() {
            self.fail(entry, Arc::clone(&error));
        }
    }

    /// After a stop: keys never sent (the rest of the input included) become not attempted;
    /// keys waiting to be re-sent fail with the stop reason.
    fn drain_stopped<I>(&mut self, error: &Arc<Error>, source: &mut I)
    where
        I: Iterator,
        I::Item: IntoBulkItem<O::Item>,
    {
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
        for group in std::mem::take(&mut self.parts) {
            pending.extend(group);
        }
        self.queued_items = 0;
        for e in pending {
            if e.meta.sent == 0 {
                self.not_attempted.push(O::into_key_string(e.item));
            } else {
                self.fail(e, Arc::clone(error));
            }
        }
        while let Some(e) = self.pull_next(source) {
            self.not_attempted.push(O::into_key_string(e.item));
        }
    }

    /// Fails everything not yet sent (on finish).
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
        for group in std::mem::take(&mut self.parts) {
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
        if self.stopped.is_some() {
            return None;
        }
        self.pull_next(source)
    }

    /// [`Engine::pull`] without the stop check (also drains the input after a stop).
    fn pull_next<I>(&mut self, source: &mut I) -> Option<Entry<O::Item>>
    where
        I: Iterator,
        I::Item: IntoBulkItem<O::Item>,
    {
        while !self.exhausted {
            let Some(input) = source.next() else {
                self.exhausted = true;
                break;
            };
            self.pulled += 1;
            let item = match input.into_bulk_item() {
                Ok(item) => item,
                Err((text, error)) => {
                    self.fail_key(text, Meta::default(), Arc::new(error));
                    continue;
                }
            };
            match O::admit(&mut self.tally, &item, self.max_body) {
                Admit::Take(cost) => {
                    return Some(Entry {
                        item,
                        meta: Meta::fresh(cost),
                    });
                }
                Admit::Skip => self.skipped += 1,
                Admit::Reject(e) => self.fail(
                    Entry {
                        item,
                        meta: Meta::default(),
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
                self.drain_stopped(&stop, source);
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
            let max_items = self.sizer.next_size();
            // Parts of a batch that was too large or too slow go first, each alone.
            if let Some(mut part) = self.parts.pop_front() {
                self.queued_items -= part.len() as u64;
                while let Some(entry) = part.pop() {
                    body = body.saturating_add(entry.meta.cost);
                    batch.push(entry);
                }
                full = true;
            }
            // Then keys whose backoff has passed.
            while !full && batch.len() < max_items {
                let Some(mut slot) = self.waiting.first_entry() else {
                    break;
                };
                if slot.key().0 > now {
                    break;
                }
                let group = slot.get_mut();
                while batch.len() < max_items {
                    let Some(entry) = group.pop() else { break };
                    if entry.meta.cost > 0 && body.saturating_add(entry.meta.cost) > self.max_body {
                        group.push(entry);
                        full = true;
                        break;
                    }
                    body = body.saturating_add(entry.meta.cost);
                    self.queued_items -= 1;
                    batch.push(entry);
                }
                if group.is_empty() {
                    slot.remove();
                }
            }
            // Then fresh items.
            while !full && batch.len() < max_items {
                let Some(entry) = self.pull(source) else {
                    break;
                };
                if entry.meta.cost > 0 && body.saturating_add(entry.meta.cost) > self.max_body {
                    self.held = Some(entry);
                    break;
                }
                body = body.saturating_add(entry.meta.cost);
                batch.push(entry);
            }

            if self.stopped.is_some() {
                // An input pulled for this batch failed and stopped the plan: send nothing;
                // the batch goes back to be drained with the rest.
                for entry in batch {
                    self.queued_items += 1;
                    self.waiting.entry((now, self.seq)).or_default().push(entry);
                }
                self.seq += 1;
                continue;
            }
            if !batch.is_empty() {
                let mut items = Vec::with_capacity(batch.len());
                let mut meta = Vec::with_capacity(batch.len());
                for e in batch {
                    items.push(e.item);
                    meta.push(e.meta);
                }
                let items = Arc::new(items);
                match template.batch(Arc::clone(&items), body, self.splits) {
                    Ok(op) => {
                        let ticket = self.next_ticket;
                        self.next_ticket += 1;
                        for m in &mut meta {
                            if m.rounds > 0 {
                                self.retries += 1;
                            }
                            m.rounds = m.rounds.saturating_add(1);
                        }
                        self.in_flight_items += meta.len() as u64;
                        self.in_flight
                            .insert(ticket, InFlight { items, meta, body });
                        return Poll::Send(Ticket(ticket), op);
                    }
                    Err(e) => {
                        // Unreachable with validated items; fail the batch rather than panic.
                        self.fail_batch(InFlight { items, meta, body }, e);
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

    /// Takes the outcome of `ticket`: its attempts are counted (per request and per key), an
    /// `Err` fails the batch (a fatal one stops the plan), an output goes to the kind.
    pub(super) fn handle(&mut self, ticket: Ticket, outcome: Outcome<O::Output>) {
        let Some(mut batch) = self.in_flight.remove(&ticket.0) else {
            self.anomalies += 1;
            return;
        };
        self.in_flight_items -= batch.len() as u64;
        self.requests_sent += u64::from(outcome.attempts);
        for m in &mut batch.meta {
            m.sent = m.sent.saturating_add(outcome.attempts);
            m.maybe_applied |= outcome.maybe_applied;
        }
        match outcome.result {
            Err(e) if self.splits && BatchSizer::should_shrink(&e) => {
                match self.sizer.on_too_large_or_slow(batch.len()) {
                    Some(part) => self.split(batch, part),
                    None => self.fail_batch(batch, e),
                }
            }
            Err(e) => self.fail_batch(batch, e),
            Ok(output) => {
                self.sizer
                    .on_success(batch.len(), batch.body, outcome.elapsed);
                O::absorb(self, ticket, batch, output)
            }
        }
    }

    /// Re-queues a batch that was too large or too slow in parts of at most `part` items, in
    /// order, ahead of everything else. The send does not count against the keys'
    /// `max_key_attempts` (the batch was refused, not the keys); the requests it took stay
    /// counted (`sent`, `requests_sent`), and so does `maybe_applied`.
    fn split(&mut self, batch: InFlight<O::Item>, part: usize) {
        let part = part.max(1);
        let mut groups: Vec<Vec<Entry<O::Item>>> = Vec::new();
        for mut entry in batch.into_entries() {
            entry.meta.rounds = entry.meta.rounds.saturating_sub(1);
            match groups.last_mut() {
                Some(g) if g.len() < part => g.push(entry),
                _ => groups.push(vec![entry]),
            }
        }
        for mut group in groups.into_iter().rev() {
            self.queued_items += group.len() as u64;
            // `poll` pops from the back: reverse to send in the original order.
            group.reverse();
            self.parts.push_front(group);
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
                if entry.meta.rounds >= max_attempts || self.stopped.is_some() {
                    exhausted.push(entry);
                } else {
                    requeue.entry(entry.meta.rounds).or_default().push(entry);
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
            let attempts = entry.meta.rounds;
            let error = Arc::new(Error::protocol(format!(
                "the server reported the key unsuccessful {attempts} time(s) (max_key_attempts {max_attempts})"
            )));
            self.fail(entry, error);
        }
    }

    /// On finish: if the plan stopped, what was never sent is not attempted (as a poll would
    /// have drained it).
    pub(super) fn settle_stop<I>(&mut self, source: &mut I)
    where
        I: Iterator,
        I::Item: IntoBulkItem<O::Item>,
    {
        if let Some(stop) = self.stopped.clone() {
            self.drain_stopped(&stop, source);
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
        for mut batch in in_flight {
            // Handed out, outcome unknown: counted as sent once, and possibly applied.
            self.requests_sent += 1;
            for m in &mut batch.meta {
                m.sent = m.sent.saturating_add(1);
                m.maybe_applied = true;
            }
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
