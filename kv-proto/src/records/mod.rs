//! Export and import formats: whole-namespace records as NDJSON or as wrangler's bulk JSON,
//! and key listings as bulk delete input. Pure and streaming: readers take any
//! [`std::io::Read`], writers any [`std::io::Write`], and neither ever holds more than one
//! record in memory, so a 10 GB export is read and written in constant memory.
//!
//! A [`Record`] is one key's data: the key, the value bytes, optional metadata, and an
//! optional expiration (absolute unix seconds; an import may give `expiration_ttl` instead).
//! Readers check every record against the documented limits as they go and name the bad one
//! by its 1-based number and line; [`Record::to_write_item`] then turns it into a
//! [`BulkWriteItem`] for the existing bulk write machinery (the bulk write plan).
//!
//! # NDJSON (export and import)
//!
//! One JSON object per line, fields in this order, absent fields omitted:
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `key` | string | the key (1..=512 bytes of UTF-8, not `.` or `..`) |
//! | `value` | string | the value as text, or its base64 when `base64` is true |
//! | `base64` | `true` | present exactly when the value bytes are not valid UTF-8 |
//! | `metadata` | any JSON but `null` | at most 1024 bytes serialised |
//! | `expiration` | integer | absolute expiry, seconds since the UNIX epoch |
//! | `expiration_ttl` | integer | import only: seconds from the write, at least 60 |
//!
//! [`NdjsonWriter`] writes it, [`NdjsonReader`] reads it (blank lines are skipped, `\r\n`
//! line ends are fine).
//!
//! ```
//! use kv_proto::records::{NdjsonReader, NdjsonWriter, Record};
//!
//! let mut out = NdjsonWriter::new(Vec::new());
//! out.write(&Record::new("user/1", b"hello".to_vec()).with_expiration(1_900_000_000))?;
//! out.write(&Record::new("blob", vec![0xff, 0x00]).with_metadata(serde_json::json!({"v": 2})))?;
//! let bytes = out.finish()?;
//! assert_eq!(
//!     String::from_utf8(bytes.clone()).unwrap(),
//!     concat!(
//!         r#"{"key":"user/1","value":"hello","expiration":1900000000}"#, "\n",
//!         r#"{"key":"blob","value":"/wA=","base64":true,"metadata":{"v":2}}"#, "\n",
//!     )
//! );
//!
//! let records: Vec<Record> = NdjsonReader::new(&bytes[..]).collect::<Result<_, _>>()?;
//! assert_eq!(records[1].value, [0xff, 0x00]);
//! # Ok::<(), kv_proto::Error>(())
//! ```
//!
//! # wrangler's bulk JSON (`wrangler kv bulk put`)
//!
//! The same objects in one JSON array. [`WranglerJsonWriter`] streams it (`[`, one object per
//! line separated by `,`, `]` on [`finish`](WranglerJsonWriter::finish)); [`WranglerJsonReader`]
//! reads the elements one at a time, never the whole array.
//!
//! ```
//! use kv_proto::records::{WranglerJsonReader, WranglerJsonWriter, Record};
//!
//! let mut out = WranglerJsonWriter::new(Vec::new());
//! out.write(&Record::new("a", b"1".to_vec()))?;
//! out.write(&Record::new("b", b"2".to_vec()))?;
//! let bytes = out.finish()?;
//! assert_eq!(bytes, b"[\n{\"key\":\"a\",\"value\":\"1\"},\n{\"key\":\"b\",\"value\":\"2\"}\n]\n");
//!
//! let input = br#"[ {"key": "a", "value": "1", "expiration_ttl": 3600},
//!                   {"key": "b", "value": "aGk=", "base64": true} ]"#;
//! let records: Vec<Record> = WranglerJsonReader::new(&input[..]).collect::<Result<_, _>>()?;
//! assert_eq!(records[0].expiration_ttl, Some(3600));
//! assert_eq!(records[1].value, b"hi");
//! # Ok::<(), kv_proto::Error>(())
//! ```
//!
//! [`ImportReader::detect`] reads either: it looks at the first non-blank byte (`[` for an
//! array, `{` for NDJSON).
//!
//! # Import and export loops
//!
//! An import turns each record into a [`BulkWriteItem`] and hands the items, in batches, to
//! the bulk write machinery; an export builds each record from what listing and reading a
//! key returned ([`Record::from_parts`]). Both stream.
//!
//! ```
//! use kv_proto::BulkWriteItem;
//! use kv_proto::records::{ImportReader, NdjsonWriter, Record};
//!
//! let file = &b"{\"key\":\"a\",\"value\":\"1\",\"expiration_ttl\":3600}\n{\"key\":\"b\",\"value\":\"AP8=\",\"base64\":true}\n"[..];
//! let mut batch: Vec<BulkWriteItem> = Vec::new();
//! for record in ImportReader::detect(file)? {
//!     batch.push(record?.into_write_item()?);
//!     // ... when the batch is full, send it as a bulk write and start a new one.
//! }
//! assert_eq!((batch[1].value.as_str(), batch[1].base64), ("AP8=", true));
//!
//! // Export: one record per key, from the key listing and the value read.
//! let mut out = NdjsonWriter::new(Vec::new());
//! for (name, bytes, metadata, expiration) in [("a", b"1".to_vec(), None, Some(1_900_000_000))] {
//!     out.write(&Record::from_parts(name, bytes, metadata, expiration))?;
//! }
//! assert_eq!(out.finish()?, b"{\"key\":\"a\",\"value\":\"1\",\"expiration\":1900000000}\n");
//! # Ok::<(), kv_proto::Error>(())
//! ```
//!
//! # Key listings (bulk delete input)
//!
//! `wrangler kv key list` prints `[{"name": "...", "expiration": .., "metadata": ..}]`, while a
//! bulk delete wants key names. [`KeyListReader`] streams the names out of an array of
//! strings, of `{"name": ...}` objects (other fields ignored), or a mix.
//!
//! ```
//! use kv_proto::records::KeyListReader;
//!
//! let listing = br#"[{"name": "a", "expiration": 1900000000}, "b", {"name": "c", "metadata": {"v": 1}}]"#;
//! let keys = KeyListReader::new(&listing[..]).collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(keys, ["a", "b", "c"]);
//! # Ok::<(), kv_proto::Error>(())
//! ```
//!
//! # Rules and errors
//!
//! - Every error names the record (`record 3 (line 7)`) and the field, and never quotes a
//!   value, a key or metadata: user data stays out of error messages.
//! - A bad record is [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with the
//!   [`Limit`] of its field: [`Limit::Key`], [`Limit::ValueSize`] (also a record longer than
//!   [`max_record_bytes`](NdjsonReader::max_record_bytes)), [`Limit::Metadata`],
//!   [`Limit::ExpirationTtl`] (`expiration` and `expiration_ttl`). Input that is not the format
//!   at all (not JSON, not an object, a missing `key`/`value`, a field of the wrong type, bad
//!   base64, an unknown field) uses [`Limit::Config`].
//! - A failing reader or writer is a [`TransportErrorKind::Other`](crate::TransportErrorKind)
//!   error (never retryable).
//! - `metadata: null` is the same as no metadata. Both `expiration` and `expiration_ttl` may be
//!   given, as the API allows: the TTL wins and `expiration` is ignored, as the server does.
//!   `expiration` is not compared with the clock (kv-proto has none); the server wants it at
//!   least 60 s in the future.
//! - Unknown fields are errors (a misspelt `expiraton` must not silently drop the expiry);
//!   [`allow_unknown_fields`](NdjsonReader::allow_unknown_fields) ignores them instead, as
//!   wrangler does (it only warns).
//! - `base64` values are decoded with the standard alphabet; the `=` padding may be left out.

mod read;
mod write;

use std::fmt;

use crate::{BulkWriteItem, Error, Expiration, Key, Limit, Metadata, limits::MAX_VALUE_BYTES};

pub use read::{ImportReader, KeyListReader, NdjsonReader, WranglerJsonReader};
pub use write::{NdjsonWriter, WranglerJsonWriter};

/// The default cap on the bytes of one record (one NDJSON line, or one array element): a
/// 25 MiB value in base64 plus 1 MiB for the key, metadata, escapes and whitespace. A longer
/// record is an error naming it, never an unbounded allocation. A text value full of
/// characters JSON must escape (`"`, `\`, control characters) can exceed it while its bytes
/// stay within 25 MiB; raise the cap with
/// [`NdjsonReader::max_record_bytes`] (and the other readers' setters) for such data.
///
/// ```
/// use kv_proto::{limits::MAX_VALUE_BYTES, records::DEFAULT_MAX_RECORD_BYTES};
/// assert!(DEFAULT_MAX_RECORD_BYTES > MAX_VALUE_BYTES / 3 * 4);
/// assert_eq!(DEFAULT_MAX_RECORD_BYTES, 36_001_112);
/// ```
pub const DEFAULT_MAX_RECORD_BYTES: usize = MAX_VALUE_BYTES.div_ceil(3) * 4 + (1 << 20);

/// Where a record was read: its 1-based number in the input and the line it starts on.
///
/// ```
/// use kv_proto::records::{NdjsonReader, Position};
/// let input = b"\n{\"key\":\"a\",\"value\":\"1\"}\n";
/// let record = NdjsonReader::new(&input[..]).next().unwrap()?;
/// assert_eq!(record.position(), Some(Position { record: 1, line: 2 }));
/// assert_eq!(Position { record: 1, line: 2 }.to_string(), "record 1 (line 2)");
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// The record's 1-based number (blank NDJSON lines are not records).
    pub record: u64,
    /// The 1-based line the record starts on.
    pub line: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {} (line {})", self.record, self.line)
    }
}

/// One key's data, as exported or imported.
///
/// Equality compares the data (key, value, metadata, expiration, TTL), not the
/// [`position`](Record::position) it was read at. `Debug` prints the value's length, not
/// the value.
///
/// ```
/// use kv_proto::records::Record;
/// let r = Record::new("user/42", b"{\"name\":\"Ada\"}".to_vec())
///     .with_metadata(serde_json::json!({"owner": "ops"}))
///     .with_expiration_ttl(3600);
/// let item = r.to_write_item()?;
/// assert_eq!(item.key.as_str(), "user/42");
/// assert!(!item.base64);
/// assert_eq!(item.expiration, Some(kv_proto::Expiration::Ttl(3600)));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Clone)]
pub struct Record {
    /// The key (checked by [`Record::validate`], by the readers and on conversion).
    pub key: String,
    /// The value bytes, byte for byte.
    pub value: Vec<u8>,
    /// The metadata, if any (`Some(null)` counts as none).
    pub metadata: Option<serde_json::Value>,
    /// Absolute expiry in seconds since the UNIX epoch.
    pub expiration: Option<u64>,
    /// Import only: expire this many seconds after the write (at least 60). Wins over
    /// `expiration` when both are set, as on the server.
    pub expiration_ttl: Option<u64>,
    position: Option<Position>,
}

impl PartialEq for Record {
    fn eq(&self, other: &Record) -> bool {
        self.key == other.key
            && self.value == other.value
            && self.metadata() == other.metadata()
            && self.expiration == other.expiration
            && self.expiration_ttl == other.expiration_ttl
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("key", &self.key)
            .field("value_len", &self.value.len())
            .field("metadata", &self.metadata)
            .field("expiration", &self.expiration)
            .field("expiration_ttl", &self.expiration_ttl)
            .field("position", &self.position)
            .finish()
    }
}

/// The base64 engine for `base64: true` values: standard alphabet, padding optional.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

impl Record {
    /// A record with a key and a value, and no metadata or expiration.
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// let r = Record::new("a", b"1".to_vec());
    /// assert_eq!((r.key.as_str(), &r.value[..]), ("a", &b"1"[..]));
    /// assert_eq!(r.metadata, None);
    /// ```
    pub fn new(key: impl Into<String>, value: Vec<u8>) -> Record {
        Record {
            key: key.into(),
            value,
            metadata: None,
            expiration: None,
            expiration_ttl: None,
            position: None,
        }
    }

    /// The export side: a record from what the API reports for a key (its name, its value
    /// bytes, its metadata and its absolute expiration, as in a [`KeyInfo`](crate::KeyInfo)
    /// and a [`StoredValue`](crate::StoredValue)).
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// let r = Record::from_parts("a", vec![0xff], Some(serde_json::json!({"v": 1})), Some(1_900_000_000));
    /// assert_eq!(r.expiration, Some(1_900_000_000));
    /// assert_eq!(r.expiration_ttl, None);
    /// ```
    pub fn from_parts(
        key: impl Into<String>,
        value: Vec<u8>,
        metadata: Option<serde_json::Value>,
        expiration: Option<u64>,
    ) -> Record {
        Record {
            metadata,
            expiration,
            ..Record::new(key, value)
        }
    }

    /// Sets the metadata.
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// let r = Record::new("a", vec![]).with_metadata(serde_json::json!([1, 2]));
    /// assert_eq!(r.metadata, Some(serde_json::json!([1, 2])));
    /// ```
    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Record {
        self.metadata = Some(metadata);
        self
    }

    /// Sets the absolute expiration (seconds since the UNIX epoch).
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// assert_eq!(Record::new("a", vec![]).with_expiration(5).expiration, Some(5));
    /// ```
    pub fn with_expiration(mut self, unix_secs: u64) -> Record {
        self.expiration = Some(unix_secs);
        self
    }

    /// Sets a time-to-live in seconds (checked to be at least 60 by [`Record::validate`]).
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// assert_eq!(Record::new("a", vec![]).with_expiration_ttl(60).expiration_ttl, Some(60));
    /// ```
    pub fn with_expiration_ttl(mut self, secs: u64) -> Record {
        self.expiration_ttl = Some(secs);
        self
    }

    /// Where the record was read (number and line), or `None` for a record built in code.
    /// Errors about the record name this position.
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// assert_eq!(Record::new("a", vec![]).position(), None);
    /// ```
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// Sets the position that errors about this record name.
    ///
    /// ```
    /// use kv_proto::records::{Position, Record};
    /// let r = Record::new("", vec![]).with_position(Position { record: 9, line: 12 });
    /// assert!(r.validate().unwrap_err().to_string().contains("record 9 (line 12): `key`"));
    /// ```
    pub fn with_position(mut self, position: Position) -> Record {
        self.position = Some(position);
        self
    }

    /// The metadata, with `null` read as none.
    fn metadata(&self) -> Option<&serde_json::Value> {
        self.metadata.as_ref().filter(|m| !m.is_null())
    }

    /// Whether the value is written as base64: exactly when it is not valid UTF-8.
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// assert!(!Record::new("a", "héllo".as_bytes().to_vec()).is_binary());
    /// assert!(Record::new("a", vec![0xc3]).is_binary());
    /// ```
    pub fn is_binary(&self) -> bool {
        std::str::from_utf8(&self.value).is_err()
    }

    /// Checks the record against the API's limits: the key rules, a value of at most
    /// 25 MiB, metadata of at most 1024 bytes serialised, and `expiration_ttl` ≥ 60.
    ///
    /// ```
    /// use kv_proto::{Limit, records::Record};
    /// assert!(Record::new("a", vec![]).validate().is_ok());
    /// let e = Record::new("a", vec![]).with_expiration_ttl(59).validate().unwrap_err();
    /// assert_eq!(e.limit(), Some(Limit::ExpirationTtl));
    /// assert_eq!(e.to_string(), "invalid input: record: `expiration_ttl` is 59 s; the minimum is 60 s");
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the record's
    /// position (when it has one) and the field, with the field's [`Limit`].
    pub fn validate(&self) -> Result<(), Error> {
        self.checked().map(|_| ())
    }

    /// Validates and builds the typed parts: key, metadata, expiration.
    fn checked(&self) -> Result<(Key, Option<Metadata>, Option<Expiration>), Error> {
        let at = Where(self.position);
        let key = check_key(at, &self.key)?;
        if self.value.len() > MAX_VALUE_BYTES {
            return Err(at.field_error(
                Limit::ValueSize,
                "value",
                format_args!(
                    "is {} bytes; the limit is {MAX_VALUE_BYTES} (25 MiB)",
                    self.value.len()
                ),
            ));
        }
        let metadata = match self.metadata() {
            None => None,
            Some(m) => Some(check_metadata(at, m)?),
        };
        let expiration = match (self.expiration_ttl, self.expiration) {
            (Some(ttl), _) => Some(Expiration::ttl(ttl).map_err(|_| {
                at.field_error(
                    Limit::ExpirationTtl,
                    "expiration_ttl",
                    format_args!(
                        "is {ttl} s; the minimum is {} s",
                        crate::limits::MIN_TTL_SECS
                    ),
                )
            })?),
            (None, Some(t)) => Some(Expiration::at(t)),
            (None, None) => None,
        };
        Ok((key, metadata, expiration))
    }

    /// Converts into a bulk write item (copying the value). Text when the value is valid
    /// UTF-8, base64 otherwise; `expiration_ttl` wins over `expiration`.
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// let item = Record::new("b", vec![0, 255]).to_write_item()?;
    /// assert_eq!((item.value.as_str(), item.base64), ("AP8=", true));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Record::validate`].
    pub fn to_write_item(&self) -> Result<BulkWriteItem, Error> {
        self.clone().into_write_item()
    }

    /// Converts into a bulk write item without copying a text value.
    ///
    /// ```
    /// use kv_proto::records::Record;
    /// let item = Record::new("a", b"hello".to_vec()).into_write_item()?;
    /// assert_eq!((item.value.as_str(), item.base64), ("hello", false));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Record::validate`].
    pub fn into_write_item(self) -> Result<BulkWriteItem, Error> {
        let (key, metadata, expiration) = self.checked()?;
        let at = Where(self.position);
        let size = |_| {
            // Unreachable after `checked`, but never a panic.
            at.field_error(Limit::ValueSize, "value", "is over 25 MiB")
        };
        let item = match String::from_utf8(self.value) {
            Ok(text) => BulkWriteItem::text(key, text).map_err(size)?,
            Err(e) => BulkWriteItem::binary(key, e.as_bytes()).map_err(size)?,
        };
        let item = match metadata {
            Some(m) => item.metadata(m),
            None => item,
        };
        Ok(match expiration {
            Some(e) => item.expiration(e),
            None => item,
        })
    }
}

impl TryFrom<Record> for BulkWriteItem {
    type Error = Error;

    /// As [`Record::into_write_item`].
    fn try_from(record: Record) -> Result<BulkWriteItem, Error> {
        record.into_write_item()
    }
}

impl TryFrom<&Record> for BulkWriteItem {
    type Error = Error;

    /// As [`Record::to_write_item`].
    fn try_from(record: &Record) -> Result<BulkWriteItem, Error> {
        record.to_write_item()
    }
}

/// The subject of an error: a record at a position, or a record built in code.
#[derive(Clone, Copy)]
pub(crate) struct Where(pub(crate) Option<Position>);

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => p.fmt(f),
            None => f.write_str("record"),
        }
    }
}

impl Where {
    /// An invalid-input error about one field.
    pub(crate) fn field_error(
        self,
        limit: Limit,
        field: &str,
        problem: impl fmt::Display,
    ) -> Error {
        Error::invalid_input(limit, format!("{self}: `{field}` {problem}"))
    }

    /// An invalid-input error about the record as a whole (its format).
    pub(crate) fn error(self, limit: Limit, problem: impl fmt::Display) -> Error {
        Error::invalid_input(limit, format!("{self} {problem}"))
    }
}

/// Checks a key without quoting it.
pub(crate) fn check_key(at: Where, key: &str) -> Result<Key, Error> {
    Key::new(key).map_err(|_| {
        let problem = if key.is_empty() {
            "is empty".to_owned()
        } else if key == "." || key == ".." {
            "is `.` or `..`, which are not allowed".to_owned()
        } else if key.len() > crate::limits::MAX_KEY_BYTES {
            format!(
                "is {} bytes of UTF-8; the limit is {}",
                key.len(),
                crate::limits::MAX_KEY_BYTES
            )
        } else {
            "is not a valid key".to_owned()
        };
        at.field_error(Limit::Key, "key", problem)
    })
}

/// Checks metadata without quoting it.
fn check_metadata(at: Where, m: &serde_json::Value) -> Result<Metadata, Error> {
    Metadata::new(m.clone()).map_err(|_| {
        let len = serde_json::to_string(m).map_or(0, |s| s.len());
        at.field_error(
            Limit::Metadata,
            "metadata",
            format_args!(
                "serialises to {len} bytes of JSON; the limit is {}",
                crate::limits::MAX_METADATA_BYTES
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use serde_json::json;

    fn at(n: u64) -> Position {
        Position {
            record: n,
            line: n + 1,
        }
    }

    #[test]
    fn validate_names_record_and_field_never_the_data() {
        let secret = "s3cr3t-value";
        let cases: Vec<(Record, Limit, &str)> = vec![
            (Record::new("", secret.into()), Limit::Key, "`key` is empty"),
            (
                Record::new("..", secret.into()),
                Limit::Key,
                "`key` is `.` or `..`",
            ),
            (
                Record::new(secret.repeat(50), secret.into()),
                Limit::Key,
                "`key` is 600 bytes",
            ),
            (
                Record::new("k", secret.into()).with_metadata(json!(secret.repeat(100))),
                Limit::Metadata,
                "`metadata` serialises to 1202 bytes",
            ),
            (
                Record::new("k", secret.into()).with_expiration_ttl(10),
                Limit::ExpirationTtl,
                "`expiration_ttl` is 10 s",
            ),
            (
                Record::new("k", vec![b'x'; MAX_VALUE_BYTES + 1]),
                Limit::ValueSize,
                "`value` is 26214401 bytes",
            ),
        ];
        for (i, (r, limit, text)) in cases.into_iter().enumerate() {
            let n = i as u64 + 1;
            let e = r.with_position(at(n)).to_write_item().unwrap_err();
            let msg = e.to_string();
            assert_eq!(e.limit(), Some(limit), "{msg}");
            assert!(
                msg.contains(&format!("record {n} (line {}): {text}", n + 1)),
                "{msg}"
            );
            assert!(!msg.contains("s3cr3t"), "{msg}");
        }
    }

    #[test]
    fn conversion_picks_text_or_base64_and_ttl_wins() {
        let item = Record::from_parts("k", "héllo".into(), Some(json!({"a": 1})), Some(7))
            .with_expiration_ttl(120)
            .into_write_item()
            .unwrap();
        assert_eq!(item.value, "héllo");
        assert!(!item.base64);
        assert_eq!(item.expiration, Some(Expiration::Ttl(120)));
        assert_eq!(item.metadata.unwrap().as_json(), r#"{"a":1}"#);

        let item =
            BulkWriteItem::try_from(&Record::new("k", vec![0x80]).with_expiration(9)).unwrap();
        assert_eq!((item.value.as_str(), item.base64), ("gA==", true));
        assert_eq!(item.expiration, Some(Expiration::At(9)));

        // `null` metadata is no metadata.
        let item = Record::new("k", vec![])
            .with_metadata(json!(null))
            .to_write_item();
        assert_eq!(item.unwrap().metadata, None);
    }

    #[test]
    fn equality_ignores_position_and_null_metadata() {
        let a = Record::new("k", b"v".to_vec());
        assert_eq!(a, a.clone().with_position(at(3)));
        assert_eq!(a, a.clone().with_metadata(json!(null)));
        assert_ne!(a, a.clone().with_metadata(json!(1)));
        assert!(!format!("{a:?}").contains("[118]"));
    }

    #[test]
    fn base64_engine_accepts_missing_padding() {
        assert_eq!(BASE64.decode("AP8").unwrap(), [0, 255]);
        assert_eq!(BASE64.decode("AP8=").unwrap(), [0, 255]);
        assert!(BASE64.decode("AP8*").is_err());
    }
}
