//! Streaming writers: NDJSON and wrangler's bulk JSON array.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use base64::Engine as _;
use serde::Serialize;

use super::Record;
use crate::{Error, TransportErrorKind};

/// The wire object of one record, in the documented field order.
#[derive(Serialize)]
struct Wire<'a> {
    key: &'a str,
    value: Cow<'a, str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    base64: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_ttl: Option<u64>,
}

impl<'a> Wire<'a> {
    fn of(r: &'a Record) -> Wire<'a> {
        let (value, base64) = match std::str::from_utf8(&r.value) {
            Ok(text) => (Cow::Borrowed(text), false),
            Err(_) => (Cow::Owned(super::BASE64.encode(&r.value)), true),
        };
        Wire {
            key: &r.key,
            value,
            base64,
            metadata: r.metadata(),
            expiration: r.expiration,
            expiration_ttl: r.expiration_ttl,
        }
    }
}

fn write_error(record: u64, e: impl std::fmt::Display) -> Error {
    Error::transport(
        TransportErrorKind::Other,
        format!("writing record {record}: {e}"),
    )
}

fn finish_error(e: impl std::fmt::Display) -> Error {
    Error::transport(
        TransportErrorKind::Other,
        format!("finishing the output: {e}"),
    )
}

/// Writes one record as compact JSON (serde_json only fails here when the writer does).
fn write_object<W: Write>(out: &mut W, record: &Record) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Wire::of(record)).map_err(io::Error::other)
}

/// Writes records as NDJSON: one JSON object per line (see the [module docs](super) for the
/// fields). Buffered internally; call [`finish`](NdjsonWriter::finish) to flush and get the
/// writer back.
///
/// Records are written as given, without validation (an export holds what the API returned);
/// readers validate.
///
/// ```
/// use kv_proto::records::{NdjsonWriter, Record};
/// let mut w = NdjsonWriter::new(Vec::new());
/// w.write(&Record::new("a", b"1".to_vec()))?;
/// assert_eq!(w.records_written(), 1);
/// assert_eq!(w.finish()?, b"{\"key\":\"a\",\"value\":\"1\"}\n");
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct NdjsonWriter<W: Write> {
    out: BufWriter<W>,
    written: u64,
}

impl<W: Write> NdjsonWriter<W> {
    /// A writer to `out` (a file, a socket, a `Vec<u8>`, ...).
    ///
    /// ```
    /// let w = kv_proto::records::NdjsonWriter::new(std::io::sink());
    /// assert_eq!(w.records_written(), 0);
    /// ```
    pub fn new(out: W) -> NdjsonWriter<W> {
        NdjsonWriter {
            out: BufWriter::with_capacity(64 * 1024, out),
            written: 0,
        }
    }

    /// Writes one record and its line end.
    ///
    /// ```
    /// use kv_proto::records::{NdjsonWriter, Record};
    /// let mut w = NdjsonWriter::new(Vec::new());
    /// w.write(&Record::new("bin", vec![0xff]))?;
    /// assert_eq!(w.finish()?, b"{\"key\":\"bin\",\"value\":\"/w==\",\"base64\":true}\n");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The underlying writer failed ([`TransportErrorKind::Other`]).
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let n = self.written + 1;
        write_object(&mut self.out, record)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| write_error(n, e))?;
        self.written = n;
        Ok(())
    }

    /// How many records have been written.
    ///
    /// ```
    /// let w = kv_proto::records::NdjsonWriter::new(Vec::new());
    /// assert_eq!(w.records_written(), 0);
    /// ```
    pub fn records_written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the writer.
    ///
    /// ```
    /// let w = kv_proto::records::NdjsonWriter::new(Vec::new());
    /// assert!(w.finish()?.is_empty());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The underlying writer failed to flush ([`TransportErrorKind::Other`]).
    pub fn finish(self) -> Result<W, Error> {
        let mut out = self.out.into_inner().map_err(|e| finish_error(e.error()))?;
        out.flush().map_err(finish_error)?;
        Ok(out)
    }
}

/// Writes records as one JSON array, the input format of `wrangler kv bulk put`: `[`, one
/// object per line, `,` between them, and `]` on [`finish`](WranglerJsonWriter::finish).
/// Streams: nothing but the current record is held. Buffered internally.
///
/// Without `finish` the output is a truncated array.
///
/// ```
/// use kv_proto::records::{Record, WranglerJsonWriter};
/// let w = WranglerJsonWriter::new(Vec::new());
/// assert_eq!(w.finish()?, b"[\n]\n");
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub struct WranglerJsonWriter<W: Write> {
    out: BufWriter<W>,
    written: u64,
}

impl<W: Write> WranglerJsonWriter<W> {
    /// A writer to `out`. Nothing is written until the first record or `finish`.
    ///
    /// ```
    /// let w = kv_proto::records::WranglerJsonWriter::new(std::io::sink());
    /// assert_eq!(w.records_written(), 0);
    /// ```
    pub fn new(out: W) -> WranglerJsonWriter<W> {
        WranglerJsonWriter {
            out: BufWriter::with_capacity(64 * 1024, out),
            written: 0,
        }
    }

    /// Writes one element of the array.
    ///
    /// ```
    /// use kv_proto::records::{Record, WranglerJsonWriter};
    /// let mut w = WranglerJsonWriter::new(Vec::new());
    /// w.write(&Record::new("a", b"1".to_vec()).with_expiration_ttl(600))?;
    /// assert_eq!(w.finish()?, b"[\n{\"key\":\"a\",\"value\":\"1\",\"expiration_ttl\":600}\n]\n");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The underlying writer failed ([`TransportErrorKind::Other`]).
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let n = self.written + 1;
        let sep: &[u8] = if self.written == 0 { b"[\n" } else { b",\n" };
        self.out
            .write_all(sep)
            .and_then(|()| write_object(&mut self.out, record))
            .map_err(|e| write_error(n, e))?;
        self.written = n;
        Ok(())
    }

    /// How many records have been written.
    ///
    /// ```
    /// let w = kv_proto::records::WranglerJsonWriter::new(Vec::new());
    /// assert_eq!(w.records_written(), 0);
    /// ```
    pub fn records_written(&self) -> u64 {
        self.written
    }

    /// Closes the array, flushes, and returns the writer.
    ///
    /// ```
    /// use kv_proto::records::{Record, WranglerJsonWriter};
    /// let mut w = WranglerJsonWriter::new(Vec::new());
    /// w.write(&Record::new("a", b"1".to_vec()))?;
    /// let out = w.finish()?;
    /// assert_eq!(serde_json::from_slice::<serde_json::Value>(&out).unwrap()[0]["key"], "a");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The underlying writer failed ([`TransportErrorKind::Other`]).
    pub fn finish(mut self) -> Result<W, Error> {
        let tail: &[u8] = if self.written == 0 {
            b"[\n]\n"
        } else {
            b"\n]\n"
        };
        self.out.write_all(tail).map_err(finish_error)?;
        let mut out = self.out.into_inner().map_err(|e| finish_error(e.error()))?;
        out.flush().map_err(finish_error)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails after `ok` bytes.
    #[derive(Debug)]
    struct Failing {
        ok: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = buf.len().min(self.ok);
            self.ok -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_surface_as_transport_other() {
        let mut w = NdjsonWriter::new(Failing { ok: 3 });
        w.write(&Record::new("a", b"1".to_vec())).unwrap();
        let e = w.finish().unwrap_err();
        assert_eq!(e.transport_kind(), Some(TransportErrorKind::Other));
        assert!(e.to_string().contains("disk full"), "{e}");
        assert!(!e.is_retryable());

        let mut w = WranglerJsonWriter::new(Failing { ok: 0 });
        let big = Record::new("a", vec![b'x'; 100_000]);
        let e = w.write(&big).unwrap_err();
        assert!(e.to_string().contains("writing record 1"), "{e}");
    }

    #[test]
    fn null_metadata_is_omitted_and_fields_keep_their_order() {
        let r = Record::from_parts("k", b"v".to_vec(), Some(serde_json::Value::Null), Some(1))
            .with_expiration_ttl(60);
        let mut w = NdjsonWriter::new(Vec::new());
        w.write(&r).unwrap();
        assert_eq!(
            w.finish().unwrap(),
            b"{\"key\":\"k\",\"value\":\"v\",\"expiration\":1,\"expiration_ttl\":60}\n"
        );
    }
}
