//! Bulk routes: write (`PUT .../bulk`), delete (`POST .../bulk/delete`, or the deprecated
//! `DELETE .../bulk`) and get (`POST .../bulk/get`).
//!
//! - `write_delete`: [`BulkWriteItem`], [`BulkWrite`], [`BulkDelete`] and their
//!   [`BulkResponse`];
//! - `get`: [`BulkGet`] and its [`BulkGetResponse`] of [`BulkValue`]s;
//! - `decode`: the streaming decoder of a bulk get's `values` object.

use serde::Serialize;

use crate::error::{Error, Limit};

mod decode;
mod get;
mod write_delete;

pub use get::{BulkGet, BulkGetResponse, BulkPayload, BulkValue};
pub use write_delete::{BulkDelete, BulkResponse, BulkWrite, BulkWriteItem};

/// Most items in one bulk write or bulk delete.
///
/// ```
/// use kv_proto::{BulkDelete, Key, Limit, NamespaceId, limits::MAX_BULK_ITEMS};
/// let keys: Vec<Key> = (0..=MAX_BULK_ITEMS).map(|i| Key::new(i.to_string())).collect::<Result<_, _>>()?;
/// let err = BulkDelete::new(NamespaceId::new("ns1")?, keys).unwrap_err();
/// assert_eq!(err.limit(), Some(Limit::BulkDeleteCount));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_ITEMS: usize = 10_000;
/// Most keys in one bulk get.
///
/// ```
/// use kv_proto::{BulkGet, Key, NamespaceId, limits::MAX_BULK_GET_KEYS};
/// let keys: Vec<Key> = (0..MAX_BULK_GET_KEYS).map(|i| Key::new(i.to_string())).collect::<Result<_, _>>()?;
/// let ns = NamespaceId::new("ns1")?;
/// assert!(BulkGet::new(ns.clone(), keys.clone()).is_ok());
/// let mut more = keys;
/// more.push(Key::new("one-too-many")?);
/// assert!(BulkGet::new(ns, more).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_GET_KEYS: usize = 100;
/// Largest bulk write request body, in bytes (the API's "100 MB").
///
/// ```
/// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId, limits::MAX_BULK_WRITE_BODY_BYTES};
/// let op = BulkWrite::new(NamespaceId::new("ns1")?, vec![BulkWriteItem::text(Key::new("a")?, "1")?])?;
/// assert!(op.body_len() <= MAX_BULK_WRITE_BODY_BYTES);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_WRITE_BODY_BYTES: usize = 100_000_000;
/// Response cap for [`BulkWrite`] and [`BulkDelete`]: 16 MiB (a result listing all 10,000
/// keys of 512 bytes as unsuccessful, with room for JSON escaping).
///
/// ```
/// use kv_proto::{BulkDelete, Key, NamespaceId, Operation, limits::MAX_BULK_RESULT_RESPONSE};
/// let op = BulkDelete::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
/// assert_eq!(op.max_response_bytes(), MAX_BULK_RESULT_RESPONSE);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_RESULT_RESPONSE: u64 = 16 << 20;
/// Response cap for [`BulkGet`]: 32 MiB (the server refuses answers over 25 MB with a 413;
/// the rest is room for the envelope, metadata and JSON escaping).
///
/// ```
/// use kv_proto::{BulkGet, Key, NamespaceId, Operation, limits::MAX_BULK_GET_RESPONSE};
/// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
/// assert_eq!(op.max_response_bytes(), MAX_BULK_GET_RESPONSE);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_GET_RESPONSE: u64 = 32 << 20;

/// Counts bytes written, to size JSON without building it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut c = Counter(0);
    // Writing our own plain structures into a counter cannot fail.
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

/// The length of `s` as a JSON string, quotes included, as serde_json writes it. Strings with
/// nothing to escape (no `"`, backslash or control character) are measured without writing them.
pub(crate) fn json_str_len(s: &str) -> usize {
    // No early exit, so the loop vectorizes (most values have nothing to escape).
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain { s.len() + 2 } else { json_len(s) }
}

/// Decimal digits of `n`.
pub(crate) fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

pub(crate) fn check_count(limit: Limit, what: &str, n: usize, max: usize) -> Result<(), Error> {
    if n == 0 || n > max {
        return Err(Error::invalid_input(
            limit,
            format!("{what} has {n} items; it must have 1..={max}"),
        ));
    }
    Ok(())
}
