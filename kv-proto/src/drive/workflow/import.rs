//! Import: [`Record`]s (from [`ImportReader`](crate::records::ImportReader) or any iterator)
//! as the lazy input of a [`BulkWritePlan`](crate::BulkWritePlan).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::drive::bulk::IntoBulkItem;
use crate::error::Error;
use crate::op::BulkWriteItem;
use crate::records::Record;

/// One import input: a record read (or the error reading it), numbered from 1. As a
/// [`IntoBulkItem`] it becomes a [`BulkWriteItem`], or a failed input (`attempts: 0`) named by
/// its key, or by `<record N>` when the key is not known, with the reader's error (which
/// names the record's position and field).
#[derive(Debug)]
pub struct ImportItem {
    /// The record's number among the inputs (1-based).
    pub number: u64,
    /// The record, or the error reading it.
    pub record: Result<Record, Error>,
}

impl IntoBulkItem<BulkWriteItem> for ImportItem {
    fn into_bulk_item(self) -> Result<BulkWriteItem, (String, Error)> {
        match self.record {
            Ok(record) => {
                let key = record.key.clone();
                record.into_write_item().map_err(|e| {
                    let name = if key.is_empty() || key.len() > crate::ids::MAX_KEY_BYTES {
                        format!("<record {}>", self.number)
                    } else {
                        key
                    };
                    (name, e)
                })
            }
            Err(e) => Err((format!("<record {}>", self.number), e)),
        }
    }
}

/// Numbers records for a bulk write plan and counts them in a shared counter (read it while
/// the plan runs, or after: the plan owns the iterator).
///
/// ```
/// use kv_proto::{BulkWrite, BulkWritePlan, workflow::ImportInput, NamespaceId, Plan, PlanConfig, Poll};
/// use kv_proto::records::ImportReader;
///
/// let file = &b"{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"\",\"value\":\"2\"}\n"[..];
/// let input = ImportInput::new(ImportReader::detect(file)?);
/// let read = input.counter();
/// let mut plan = BulkWritePlan::new(BulkWrite::template(NamespaceId::new("ns1")?), input, PlanConfig::default())?;
/// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
/// assert_eq!(op.items().len(), 1);
/// let report = plan.finish();
/// assert_eq!(read.load(std::sync::atomic::Ordering::Relaxed), 2);
/// assert_eq!((report.failed[0].key.as_str(), report.failed[0].attempts), ("<record 2>", 0));
/// assert!(report.failed[0].error.to_string().contains("record 2 (line 2)"));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct ImportInput<I> {
    records: I,
    read: Arc<AtomicU64>,
    number: u64,
}

impl<I: Iterator<Item = Result<Record, Error>>> ImportInput<I> {
    /// Wraps an iterator of records.
    pub fn new(records: I) -> ImportInput<I> {
        ImportInput {
            records,
            read: Arc::new(AtomicU64::new(0)),
            number: 0,
        }
    }

    /// The number of records pulled so far, shared.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.read.clone()
    }
}

impl<I: Iterator<Item = Result<Record, Error>>> Iterator for ImportInput<I> {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        let record = self.records.next()?;
        self.number += 1;
        self.read.store(self.number, Ordering::Relaxed);
        Some(ImportItem {
            number: self.number,
            record,
        })
    }
}
