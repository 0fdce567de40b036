//! What a bulk get plan does differently: duplicates are requested once, and the values are
//! collected for the report.

use std::collections::{HashMap, hash_map};
use std::sync::Arc;

use super::engine::{Admit, Engine, InFlight};
use super::{BulkGetReport, BulkOp};
use crate::drive::Ticket;
use crate::error::Error;
use crate::ids::Key;
use crate::op::{BulkGet, BulkGetResponse, BulkValue, MAX_BULK_GET_KEYS};

/// Every distinct key pulled, with its value once read (`Missing` until then): one map both
/// remembers the keys seen and collects the values. Failed keys are taken out by `report`.
#[derive(Default)]
pub struct Values(HashMap<Key, BulkValue>);

impl Values {
    /// Records the value read for `key` (admitted earlier, so its slot exists).
    fn set(&mut self, key: &Key, value: BulkValue) {
        if let Some(slot) = self.0.get_mut(key) {
            *slot = value;
        }
    }
}

impl BulkOp for BulkGet {
    type Item = Key;
    type Report = BulkGetReport;
    type Tally = Values;
    const MAX_ITEMS: usize = MAX_BULK_GET_KEYS;
    const DEFAULT_ITEMS: usize = MAX_BULK_GET_KEYS;

    fn item_key(key: &Key) -> &Key {
        key
    }

    fn into_key_string(key: Key) -> String {
        key.into_string()
    }

    fn admit(values: &mut Values, key: &Key, _: usize) -> Admit {
        match values.0.entry(key.clone()) {
            hash_map::Entry::Vacant(slot) => {
                slot.insert(BulkValue::Missing);
                Admit::Take(0)
            }
            hash_map::Entry::Occupied(_) => Admit::Skip,
        }
    }

    fn batch(&self, keys: Arc<Vec<Key>>, _: usize, _: bool) -> Result<BulkGet, Error> {
        // `admit` skips keys already seen: a batch never holds a key twice.
        BulkGet::fill(self, keys, true)
    }

    fn absorb(
        engine: &mut Engine<BulkGet>,
        _: Ticket,
        batch: InFlight<Key>,
        response: BulkGetResponse,
    ) {
        let keys = batch.items.as_slice();
        // `BulkGet::parse` answers with the operation's own keys, in request order: pair the
        // values up without comparing keys or building a map.
        let aligned = response.len() == keys.len()
            && (Arc::ptr_eq(response.shared_keys(), &batch.items)
                || response
                    .iter()
                    .zip(keys)
                    .all(|((got, _), key)| got == key.as_str()));
        if aligned {
            let (_, values) = response.into_parts();
            for (value, key) in values.into_iter().zip(keys) {
                engine.tally.set(key, value);
                engine.succeeded += 1;
            }
            return;
        }
        let mut got: HashMap<String, BulkValue> = response.into_iter().collect();
        for key in keys {
            let value = got.remove(key.as_str()).unwrap_or(BulkValue::Missing);
            engine.tally.set(key, value);
            engine.succeeded += 1;
        }
        engine.anomalies += got.len() as u64;
    }

    fn report(mut engine: Engine<BulkGet>) -> BulkGetReport {
        let mut values = std::mem::take(&mut engine.tally.0);
        for f in &engine.failed {
            values.remove(f.key.as_str());
        }
        for k in &engine.not_attempted {
            values.remove(k.as_str());
        }
        BulkGetReport {
            requested: engine.pulled - engine.skipped,
            duplicates: engine.skipped,
            values,
            failed: engine.failed,
            not_attempted: engine.not_attempted,
            requests_sent: engine.requests_sent,
            anomalies: engine.anomalies,
            abandoned: engine.abandoned,
            stopped: engine.stopped,
        }
    }
}
