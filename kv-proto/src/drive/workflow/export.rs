//! [`ExportPlan`]: every key of a namespace (or under a prefix) as [`Record`]s, in key order,
//! in bounded memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use crate::drive::bulk::FailedKey;
use crate::drive::page::{KeyPager, Pager};
use crate::drive::{Outcome, Plan, Poll, Progress, Ticket};
use crate::error::{Error, ErrorKind, Limit};
use crate::ids::Key;
use crate::op::{
    BulkGet, BulkGetResponse, BulkPayload, BulkValue, KeyInfo, KeyPage, ListKeys,
    MAX_BULK_GET_KEYS, Operation, StoredValue, TryGetValue,
};
use crate::records::Record;

/// Default number of bulk get batches an export keeps in flight or waiting for an earlier
/// batch (its window): 8 batches of 100 keys.
pub const DEFAULT_EXPORT_WINDOW: usize = 8;

/// One request of an [`ExportPlan`]: a page of the listing, a bulk get of up to 100 keys
/// (text, with metadata), or a single `GET` of one key's exact bytes.
#[derive(Debug, Clone)]
pub enum ExportOp {
    /// The next page of keys.
    List(ListKeys),
    /// Values, metadata and expirations of up to 100 listed keys (`type: text`).
    Get(BulkGet),
    /// The exact bytes of one key whose bulk get text was suspect (it held U+FFFD, the
    /// replacement character, or the key was reported missing).
    Value(TryGetValue),
}

/// What an [`ExportOp`] returns.
#[derive(Debug)]
pub enum ExportOutput {
    /// A page of keys.
    List(KeyPage),
    /// A bulk get answer.
    Get(BulkGetResponse),
    /// One value, or `None` if the key no longer exists.
    Value(Option<StoredValue>),
}

impl Operation for ExportOp {
    type Output = ExportOutput;

    fn request(&self, endpoint: &crate::Endpoint) -> http::Request<Vec<u8>> {
        match self {
            ExportOp::List(op) => op.request(endpoint),
            ExportOp::Get(op) => op.request(endpoint),
            ExportOp::Value(op) => op.request(endpoint),
        }
    }

    fn route(&self) -> &'static str {
        match self {
            ExportOp::List(op) => Operation::route(op),
            ExportOp::Get(op) => Operation::route(op),
            ExportOp::Value(op) => Operation::route(op),
        }
    }

    fn namespace_id(&self) -> Option<&crate::NamespaceId> {
        match self {
            ExportOp::List(op) => Operation::namespace_id(op),
            ExportOp::Get(op) => Operation::namespace_id(op),
            ExportOp::Value(op) => Operation::namespace_id(op),
        }
    }

    fn key(&self) -> Option<&crate::Key> {
        match self {
            ExportOp::List(op) => Operation::key(op),
            ExportOp::Get(op) => Operation::key(op),
            ExportOp::Value(op) => Operation::key(op),
        }
    }

    fn max_response_bytes(&self) -> u64 {
        match self {
            ExportOp::List(op) => op.max_response_bytes(),
            ExportOp::Get(op) => op.max_response_bytes(),
            ExportOp::Value(op) => op.max_response_bytes(),
        }
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ExportOutput, Error> {
        Ok(match self {
            ExportOp::List(op) => ExportOutput::List(op.parse(response)?),
            ExportOp::Get(op) => ExportOutput::Get(op.parse(response)?),
            ExportOp::Value(op) => ExportOutput::Value(op.parse(response)?),
        })
    }
}

/// Settings of an [`ExportPlan`].
///
/// ```
/// use kv_proto::workflow::ExportConfig;
/// let c = ExportConfig::default().with_batch_keys(50).with_window(4);
/// assert_eq!((c.batch_keys(), c.window()), (50, 4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportConfig {
    batch_keys: usize,
    window: usize,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            batch_keys: MAX_BULK_GET_KEYS,
            window: DEFAULT_EXPORT_WINDOW,
        }
    }
}

impl ExportConfig {
    /// Keys per bulk get (1..=100; default 100).
    pub fn with_batch_keys(mut self, n: usize) -> ExportConfig {
        self.batch_keys = n;
        self
    }

    /// Bulk get batches in flight or held for key order at once (at least 1; default
    /// [`DEFAULT_EXPORT_WINDOW`]). Memory is about `window × batch_keys` records plus two
    /// pages of listing.
    pub fn with_window(mut self, n: usize) -> ExportConfig {
        self.window = n;
        self
    }

    /// Keys per bulk get.
    pub fn batch_keys(&self) -> usize {
        self.batch_keys
    }

    /// Batches in the window.
    pub fn window(&self) -> usize {
        self.window
    }
}

/// What an export reports.
///
/// Invariant: `exported + vanished.len() + failed.len() == listed` once the plan is done
/// without a listing error.
#[derive(Debug, Clone, Default)]
pub struct ExportReport {
    /// Keys listed.
    pub listed: u64,
    /// Records handed out (by [`ExportPlan::take_records`]), in key order.
    pub exported: u64,
    /// Keys listed but gone when read (deleted or expired between the list and the get). Not
    /// an error: they are not in the export.
    pub vanished: Vec<String>,
    /// Keys that could not be read, each with its error.
    pub failed: Vec<FailedKey>,
    /// Values re-read with a single `GET` because the bulk get text was suspect (binary
    /// values, text holding U+FFFD) or the key was reported missing.
    pub refetched: u64,
    /// Requests handed out (list pages, bulk gets, single gets).
    pub requests_sent: u64,
    /// The error that ended the listing early: the export is incomplete.
    pub listing_error: Option<Arc<Error>>,
}

impl ExportReport {
    /// True if every listed key was exported (or had vanished) and the listing completed.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.listing_error.is_none()
    }
}

/// One listed key's state in a batch.
enum Entry {
    Pending,
    Done(Record),
    Vanished,
    Failed(Arc<Error>, u32),
}

/// One bulk get batch of listed keys, released in order once every entry is settled.
struct Slot {
    infos: Vec<KeyInfo>,
    entries: Vec<Entry>,
    pending: usize,
    /// The bulk get has been handed out.
    sent: bool,
}

enum Flight {
    List(Ticket),
    Get(u64),
    Value(u64, usize),
}

/// Exports a namespace: a [`KeyPager`] feeds bulk gets (text with metadata) of up to 100 keys,
/// several in flight; values whose text cannot be trusted are re-read byte for byte with a
/// single `GET`; the results come out as [`Record`]s in key order through
/// [`take_records`](ExportPlan::take_records). It speaks [`Plan`] over [`ExportOp`].
///
/// - **Bounded memory.** At most `window` batches are in flight or waiting for an earlier
///   batch, and the listing runs at most about two pages ahead of the batches.
/// - **Lossless.** Bulk get returns text only (a binary value comes back with U+FFFD
///   replacement characters), so any value containing U+FFFD is read again with
///   [`TryGetValue`] (exact bytes). The record's value is the bytes; writers mark non-UTF-8
///   values `base64`.
/// - **Vanished keys.** A key bulk get reports missing is read again with a single `GET`;
///   still missing (404), it is reported in [`ExportReport::vanished`], not as an error.
/// - **Metadata and expiration** come from the bulk get (with metadata), else from the
///   listing.
/// - **Errors.** A failed bulk get that was too large (413, response over the cap) or garbled
///   falls back to single `GET`s for its keys; any other failed request fails its keys
///   ([`ExportReport::failed`]). A failed listing request ends the export:
///   [`ExportReport::listing_error`].
/// - **Progress** counts keys: `total_known` is the keys listed so far, final only once
///   `exhausted` (the listing is done).
///
/// ```
/// use kv_proto::{workflow::ExportOp, workflow::ExportOutput, workflow::ExportPlan, workflow::ExportConfig, KeyInfo, KeyPage, ListKeys, NamespaceId, Operation, Plan, Poll, StoredValue};
/// use std::time::Instant;
///
/// let mut plan = ExportPlan::new(ListKeys::new(NamespaceId::new("ns1")?), ExportConfig::default())?;
/// let mut records = Vec::new();
/// loop {
///     match plan.poll(Instant::now()) {
///         Poll::Send(t, ExportOp::List(_)) => {
///             let keys = ["a", "bin"].map(|n| KeyInfo { name: kv_proto::Key::new(n).unwrap(), expiration: None, metadata: None });
///             plan.handle(t, Ok(ExportOutput::List(KeyPage { keys: keys.to_vec(), cursor: None, count: None })).into());
///         }
///         Poll::Send(t, ExportOp::Get(op)) => {
///             let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":"1","metadata":null},"bin":{"value":"\ufffd","metadata":null}}}}"#;
///             plan.handle(t, op.parse(http::Response::new(&body[..])).map(ExportOutput::Get).into());
///         }
///         Poll::Send(t, ExportOp::Value(op)) => {
///             assert_eq!(op.key().as_str(), "bin");
///             plan.handle(t, Ok(ExportOutput::Value(Some(StoredValue { bytes: vec![0xff], expiration: None }))).into());
///         }
///         Poll::Done => break,
///         _ => unreachable!(),
///     }
///     records.extend(plan.take_records());
/// }
/// assert_eq!(records.len(), 2);
/// assert_eq!((records[0].value.as_slice(), records[1].value.as_slice()), (&b"1"[..], &[0xff][..]));
/// let report = plan.finish();
/// assert_eq!((report.exported, report.refetched, report.requests_sent), (2, 1, 3));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct ExportPlan {
    config: ExportConfig,
    template: BulkGet,
    pager: KeyPager,
    /// Listed keys not yet in a batch.
    listed: VecDeque<KeyInfo>,
    /// Batches in key order; `slots[0]` has sequence number `base`.
    slots: VecDeque<Slot>,
    base: u64,
    /// Single gets waiting to be sent: (slot sequence, index).
    refetch: VecDeque<(u64, usize)>,
    flights: HashMap<u64, Flight>,
    next_ticket: u64,
    ready: Vec<Record>,
    keys_in_flight: u64,
    report: ExportReport,
    /// Records released to `ready` (taken or not).
    released: u64,
    /// Why the caller cancelled the export ([`Plan::cancel`]), if it did.
    cancelled: Option<Arc<Error>>,
}

impl std::fmt::Debug for ExportPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportPlan")
            .field("config", &self.config)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl ExportPlan {
    /// An export of the keys `list` walks (its namespace, prefix and page size; a cursor in it
    /// is where the walk starts).
    ///
    /// # Errors
    /// [`Limit::Config`] if `batch_keys` is outside 1..=100 or `window` is 0.
    pub fn new(list: ListKeys, config: ExportConfig) -> Result<ExportPlan, Error> {
        if !(1..=MAX_BULK_GET_KEYS).contains(&config.batch_keys) || config.window == 0 {
            return Err(Error::invalid_input(
                Limit::Config,
                format!(
                    "export: batch_keys must be 1..={MAX_BULK_GET_KEYS} and window at least 1 (got {} and {})",
                    config.batch_keys, config.window
                ),
            ));
        }
        Ok(ExportPlan {
            config,
            template: BulkGet::template(list.namespace().clone()).with_metadata(),
            pager: KeyPager::new(list),
            listed: VecDeque::new(),
            slots: VecDeque::new(),
            base: 0,
            refetch: VecDeque::new(),
            flights: HashMap::new(),
            next_ticket: 0,
            ready: Vec::new(),
            keys_in_flight: 0,
            report: ExportReport::default(),
            released: 0,
            cancelled: None,
        })
    }

    /// The records settled since the last call, in key order (each key once).
    pub fn take_records(&mut self) -> Vec<Record> {
        self.report.exported += self.ready.len() as u64;
        std::mem::take(&mut self.ready)
    }

    /// Records ready to be taken.
    pub fn records_ready(&self) -> usize {
        self.ready.len()
    }

    /// True once the listing is over (done or ended by an error).
    pub fn listing_done(&self) -> bool {
        self.pager.is_done()
    }

    fn ticket(&mut self, flight: Flight) -> Ticket {
        let t = self.next_ticket;
        self.next_ticket += 1;
        self.flights.insert(t, flight);
        Ticket(t)
    }

    fn slot(&mut self, seq: u64) -> Option<&mut Slot> {
        let i = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.slots.get_mut(i)
    }

    fn settle(&mut self, seq: u64, idx: usize, entry: Entry) {
        if let Some(slot) = self.slot(seq)
            && let Some(e) = slot.entries.get_mut(idx)
        {
            if matches!(e, Entry::Pending) {
                slot.pending -= 1;
            }
            *e = entry;
        }
    }

    /// Moves settled batches at the front out, in order.
    fn release(&mut self) {
        while self.slots.front().is_some_and(|s| s.sent && s.pending == 0) {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            self.base += 1;
            for (info, entry) in slot.infos.into_iter().zip(slot.entries) {
                match entry {
                    Entry::Done(r) => {
                        self.released += 1;
                        self.ready.push(r);
                    }
                    Entry::Vanished => self.report.vanished.push(info.name.into_string()),
                    Entry::Failed(error, attempts) => self.report.failed.push(FailedKey {
                        key: info.name.into_string(),
                        error,
                        attempts,
                        maybe_applied: false,
                    }),
                    // Unreachable: `pending == 0`. Never dropped silently, though.
                    Entry::Pending => self.report.failed.push(FailedKey {
                        key: info.name.into_string(),
                        error: Arc::new(Error::abandoned("export: key never settled")),
                        attempts: 0,
                        maybe_applied: false,
                    }),
                }
            }
        }
    }

    /// Forms the next batch from listed keys, if the window has room.
    fn next_batch(&mut self) -> Option<Poll<ExportOp>> {
        let full = self.listed.len() >= self.config.batch_keys;
        if !(full || (self.pager.is_done() && !self.listed.is_empty())) {
            return None;
        }
        if self.slots.len() >= self.config.window {
            return None;
        }
        let n = self.config.batch_keys.min(self.listed.len());
        let infos: Vec<KeyInfo> = self.listed.drain(..n).collect();
        let mut keys = Vec::with_capacity(n);
        let mut entries = Vec::with_capacity(n);
        let mut pending = 0;
        for info in &infos {
            match Key::new(info.name.as_str()) {
                Ok(k) => {
                    keys.push(k);
                    entries.push(Entry::Pending);
                    pending += 1;
                }
                Err(e) => entries.push(Entry::Failed(Arc::new(e), 0)),
            }
        }
        let seq = self.base + self.slots.len() as u64;
        self.slots.push_back(Slot {
            infos,
            entries,
            pending,
            sent: true,
        });
        if keys.is_empty() {
            self.release();
            return None;
        }
        let op = match self.template.fill(Arc::new(keys), true) {
            Ok(op) => op,
            Err(e) => {
                let e = Arc::new(e);
                for idx in 0..n {
                    self.settle(seq, idx, Entry::Failed(e.clone(), 0));
                }
                self.release();
                return None;
            }
        };
        self.keys_in_flight += pending as u64;
        let t = self.ticket(Flight::Get(seq));
        Some(Poll::Send(t, ExportOp::Get(op)))
    }

    fn key_of(&mut self, seq: u64, idx: usize) -> Option<Key> {
        let slot = self.slot(seq)?;
        Key::new(slot.infos.get(idx)?.name.as_str()).ok()
    }

    fn on_page(&mut self, ticket: Ticket, outcome: Outcome<KeyPage>) {
        self.pager.handle(ticket, outcome);
        let items = self.pager.take_items();
        self.report.listed += items.len() as u64;
        self.listed.extend(items);
        if let Some(e) = self.pager.take_error() {
            self.report.listing_error = Some(Arc::new(e));
        }
    }

    fn on_get(&mut self, seq: u64, outcome: Result<BulkGetResponse, Error>) {
        let Some(slot) = self.slot(seq) else { return };
        let n = slot.entries.len();
        let pending: Vec<usize> = (0..n)
            .filter(|&i| matches!(slot.entries[i], Entry::Pending))
            .collect();
        self.keys_in_flight = self.keys_in_flight.saturating_sub(pending.len() as u64);
        let response = match outcome {
            Ok(r) => r,
            Err(e) => {
                let fallback = e.is_too_large() || matches!(e.kind(), ErrorKind::Decode(_));
                if fallback {
                    self.refetch.extend(pending.into_iter().map(|i| (seq, i)));
                } else {
                    let e = Arc::new(e);
                    for i in pending {
                        self.settle(seq, i, Entry::Failed(e.clone(), 1));
                    }
                    self.release();
                }
                return;
            }
        };
        let mut values: HashMap<String, BulkValue> = response.into_iter().collect();
        for i in pending {
            let Some(slot) = self.slot(seq) else { return };
            let info = &slot.infos[i];
            let (name, listed_meta, listed_exp) =
                (info.name.clone(), info.metadata.clone(), info.expiration);
            match values.remove(name.as_str()) {
                Some(BulkValue::WithMetadata {
                    value: BulkPayload::Text(text),
                    metadata,
                    expiration,
                }) if !text.contains('\u{FFFD}') => {
                    let record = Record::from_parts(
                        name.into_string(),
                        text.into_bytes(),
                        metadata.or(listed_meta),
                        expiration.or(listed_exp),
                    );
                    self.settle(seq, i, Entry::Done(record));
                }
                Some(BulkValue::Text(text)) if !text.contains('\u{FFFD}') => {
                    let record = Record::from_parts(
                        name.into_string(),
                        text.into_bytes(),
                        listed_meta,
                        listed_exp,
                    );
                    self.settle(seq, i, Entry::Done(record));
                }
                // Suspect text, missing key, or an unexpected shape: read the exact bytes.
                _ => self.refetch.push_back((seq, i)),
            }
        }
        self.release();
    }

    fn on_value(&mut self, seq: u64, idx: usize, outcome: Result<Option<StoredValue>, Error>) {
        self.keys_in_flight = self.keys_in_flight.saturating_sub(1);
        let entry = match outcome {
            Ok(None) => Entry::Vanished,
            Ok(Some(value)) => match self.slot(seq).and_then(|s| s.infos.get(idx)) {
                Some(info) => Entry::Done(Record::from_parts(
                    info.name.as_str(),
                    value.bytes,
                    info.metadata.clone(),
                    value.expiration.or(info.expiration),
                )),
                None => return,
            },
            Err(e) => Entry::Failed(Arc::new(e), 2),
        };
        self.settle(seq, idx, entry);
        self.release();
    }
}

impl Plan for ExportPlan {
    type Op = ExportOp;
    type Report = ExportReport;

    fn poll(&mut self, now: Instant) -> Poll<ExportOp> {
        if self.cancelled.is_some() {
            // Nothing new goes out; what is in flight still comes back.
            return if self.flights.is_empty() {
                Poll::Done
            } else {
                Poll::Idle
            };
        }
        // 1. Single gets first: they hold back the front of the window.
        if let Some((seq, idx)) = self.refetch.pop_front() {
            match self.key_of(seq, idx) {
                Some(key) => {
                    self.report.refetched += 1;
                    self.keys_in_flight += 1;
                    let ns = self.template.namespace().clone();
                    let t = self.ticket(Flight::Value(seq, idx));
                    return Poll::Send(t, ExportOp::Value(TryGetValue::new(ns, key)));
                }
                None => {
                    let e = Arc::new(Error::abandoned("export: key no longer in the window"));
                    self.settle(seq, idx, Entry::Failed(e, 0));
                    self.release();
                }
            }
        }
        // 2. The next batch, if the window has room.
        if let Some(p) = self.next_batch() {
            return p;
        }
        // 3. The next page, if the listing is not more than a page ahead of the batches.
        let list_in_flight = self.flights.values().any(|f| matches!(f, Flight::List(_)));
        if !list_in_flight && !self.pager.is_done() && self.listed.len() < 1000 {
            match self.pager.poll(now) {
                Poll::Send(inner, op) => {
                    let t = self.ticket(Flight::List(inner));
                    return Poll::Send(t, ExportOp::List(op));
                }
                Poll::Wait(d) => return Poll::Wait(d),
                Poll::Idle | Poll::Done => {}
            }
        }
        if !self.flights.is_empty() || !self.refetch.is_empty() {
            return Poll::Idle;
        }
        if self.pager.is_done() && self.listed.is_empty() && self.slots.is_empty() {
            return Poll::Done;
        }
        // Keys settled but not released cannot happen with nothing in flight; be safe.
        self.release();
        if self.slots.is_empty() && self.listed.is_empty() && self.pager.is_done() {
            Poll::Done
        } else {
            Poll::Idle
        }
    }

    fn handle(&mut self, ticket: Ticket, outcome: Outcome<ExportOutput>) {
        let Some(flight) = self.flights.remove(&ticket.0) else {
            return;
        };
        self.report.requests_sent += u64::from(outcome.attempts);
        let Outcome {
            result,
            attempts,
            maybe_applied,
            elapsed,
        } = outcome;
        match flight {
            Flight::List(inner) => {
                let page = match result {
                    Ok(ExportOutput::List(page)) => Ok(page),
                    Ok(_) => Err(mismatch("export")),
                    Err(e) => Err(e),
                };
                // The pager counts the page's requests too: hand it the whole outcome.
                self.on_page(
                    inner,
                    Outcome::from_attempts(page, attempts, maybe_applied, elapsed),
                );
            }
            Flight::Get(seq) => match result {
                Ok(ExportOutput::Get(r)) => self.on_get(seq, Ok(r)),
                Ok(_) => self.on_get(seq, Err(mismatch("export"))),
                Err(e) => self.on_get(seq, Err(e)),
            },
            Flight::Value(seq, idx) => match result {
                Ok(ExportOutput::Value(v)) => self.on_value(seq, idx, Ok(v)),
                Ok(_) => self.on_value(seq, idx, Err(mismatch("export"))),
                Err(e) => self.on_value(seq, idx, Err(e)),
            },
        }
    }

    /// Stops handing out work: the listing stops, and keys not read yet are reported failed
    /// with `reason` when the plan finishes.
    fn cancel(&mut self, reason: Error) {
        self.cancelled = Some(Arc::new(reason));
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.released + self.report.vanished.len() as u64,
            failed: self.report.failed.len() as u64,
            in_flight: self.keys_in_flight,
            queued_for_retry: self.refetch.len() as u64,
            total_known: self.report.listed,
            exhausted: self.pager.is_done(),
            total: self.pager.is_done().then_some(self.report.listed),
        }
    }

    /// The report. Records never taken are counted as exported only if taken first; keys still
    /// in the window are reported failed as abandoned.
    fn finish(mut self) -> ExportReport {
        let abandoned = self.cancelled.clone().unwrap_or_else(|| {
            Arc::new(Error::abandoned("export finished before the key was read"))
        });
        for slot in std::mem::take(&mut self.slots) {
            for (info, entry) in slot.infos.into_iter().zip(slot.entries) {
                match entry {
                    Entry::Done(_) | Entry::Pending => self.report.failed.push(FailedKey {
                        key: info.name.into_string(),
                        error: abandoned.clone(),
                        attempts: 0,
                        maybe_applied: false,
                    }),
                    Entry::Vanished => self.report.vanished.push(info.name.into_string()),
                    Entry::Failed(error, attempts) => self.report.failed.push(FailedKey {
                        key: info.name.into_string(),
                        error,
                        attempts,
                        maybe_applied: false,
                    }),
                }
            }
        }
        for info in std::mem::take(&mut self.listed) {
            self.report.failed.push(FailedKey {
                key: info.name.into_string(),
                error: abandoned.clone(),
                attempts: 0,
                maybe_applied: false,
            });
        }
        self.report
    }
}

/// The error for an answer of the wrong kind (a shell that mixed up tickets).
fn mismatch(what: &str) -> Error {
    Error::protocol(format!("{what}: an answer of the wrong kind"))
}
