//! What bulk write and bulk delete plans do differently: write items are checked and measured
//! against the body budget; both re-queue the keys a response lists as unsuccessful.

use std::sync::Arc;

use super::engine::{Admit, Engine, InFlight};
use super::{BulkOp, BulkReport, DEFAULT_MAX_BATCH_ITEMS};
use crate::drive::Ticket;
use crate::error::{Error, Limit};
use crate::ids::Key;
use crate::op::{BulkDelete, BulkResponse, BulkWrite, BulkWriteItem, MAX_BULK_ITEMS};

fn report<O: BulkOp>(engine: Engine<O>) -> BulkReport {
    BulkReport {
        requested: engine.pulled,
        succeeded: engine.succeeded,
        failed: engine.failed,
        not_attempted: engine.not_attempted,
        requests_sent: engine.requests_sent,
        retries: engine.retries,
        retry_rounds: engine.retry_rounds,
        mismatches: engine.mismatches,
        anomalies: engine.anomalies,
        abandoned: engine.abandoned,
        stopped: engine.stopped,
    }
}

impl BulkOp for BulkWrite {
    type Item = BulkWriteItem;
    type Report = BulkReport;
    type Tally = ();
    const MAX_ITEMS: usize = MAX_BULK_ITEMS;
    const DEFAULT_ITEMS: usize = DEFAULT_MAX_BATCH_ITEMS;

    fn item_key(item: &BulkWriteItem) -> &Key {
        &item.key
    }

    fn into_key_string(item: BulkWriteItem) -> String {
        item.key.into_string()
    }

    fn admit(_: &mut (), item: &BulkWriteItem, max_body: usize) -> Admit {
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

    fn batch(
        &self,
        items: Arc<Vec<BulkWriteItem>>,
        body_len: usize,
        splittable: bool,
    ) -> Result<BulkWrite, Error> {
        // Every item passed `check`, the count is within 1..=10,000 and `body_len` (exact)
        // within a budget of at most MAX_BULK_WRITE_BODY_BYTES: no need to measure again.
        Ok(BulkWrite::fill(self, items, body_len, splittable))
    }

    fn absorb(
        engine: &mut Engine<BulkWrite>,
        ticket: Ticket,
        batch: InFlight<BulkWriteItem>,
        output: BulkResponse,
    ) {
        engine.absorb_bulk_response(ticket, batch, output);
    }

    fn report(engine: Engine<BulkWrite>) -> BulkReport {
        report(engine)
    }
}

impl BulkOp for BulkDelete {
    type Item = Key;
    type Report = BulkReport;
    type Tally = ();
    const MAX_ITEMS: usize = MAX_BULK_ITEMS;
    const DEFAULT_ITEMS: usize = DEFAULT_MAX_BATCH_ITEMS;

    fn item_key(key: &Key) -> &Key {
        key
    }

    fn into_key_string(key: Key) -> String {
        key.into_string()
    }

    fn admit(_: &mut (), _: &Key, _: usize) -> Admit {
        // A body of 10,000 keys of 512 bytes is at most ~31 MB even fully `\u`-escaped: no
        // byte budget is needed.
        Admit::Take(0)
    }

    fn batch(&self, keys: Arc<Vec<Key>>, _: usize, splittable: bool) -> Result<BulkDelete, Error> {
        BulkDelete::fill(self, keys, splittable)
    }

    fn absorb(
        engine: &mut Engine<BulkDelete>,
        ticket: Ticket,
        batch: InFlight<Key>,
        output: BulkResponse,
    ) {
        engine.absorb_bulk_response(ticket, batch, output);
    }

    fn report(engine: Engine<BulkDelete>) -> BulkReport {
        report(engine)
    }
}
