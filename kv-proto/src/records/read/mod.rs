//! Streaming readers: NDJSON, wrangler's bulk JSON array, key listings, and detection.
//!
//! Arrays are read element by element from one `BufReader`: the reader itself skips the
//! whitespace, the `[`, the `,` separators and the closing `]`, and serde_json deserializes
//! each element from the same buffer through [`Limited`]. serde_json's `IoRead` reads one
//! byte at a time and looks at most one byte ahead; an object, a string, an array and the
//! literals all end on their own last byte, so nothing past an element is consumed. Only a
//! bare number makes it peek one byte further, and a number is never a valid element: the
//! reader reports it and stops.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::iter::FusedIterator;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{DEFAULT_MAX_RECORD_BYTES, Position, Record, Where, check_key};
use crate::{Error, Key, Limit, TransportErrorKind, limits::MAX_VALUE_BYTES};

/// Buffer size of every reader.
const BUF_BYTES: usize = 64 * 1024;

/// The default cap on one element of a key listing.
const DEFAULT_MAX_KEY_ENTRY_BYTES: usize = 1 << 20;

/// The longest base64 text a 25 MiB value can have (padded).
const MAX_BASE64_CHARS: usize = MAX_VALUE_BYTES.div_ceil(3) * 4;

/// The UTF-8 byte order mark some editors put at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

// ---------------------------------------------------------------------------------------
// One JSON element, parsed without quoting anything in errors.

/// A top-level value: the fields of an object (in order, duplicates kept), a string, or the
/// kind of anything else. Deserializing it never fails on the shape, only on the syntax, so
/// every message about the shape is ours (and never quotes the input).
enum Element {
    Object(Vec<(String, Value)>),
    Str(String),
    Number,
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Element, D::Error> {
        d.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Number)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Number)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Number)
    }
    fn visit_str<E>(self, s: &str) -> Result<Element, E> {
        Ok(Element::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Element, E> {
        Ok(Element::Str(s))
    }
    fn visit_unit<E>(self) -> Result<Element, E> {
        Ok(Element::Other("null"))
    }
    fn visit_none<E>(self) -> Result<Element, E> {
        Ok(Element::Other("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        let mut fields = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            fields.push((name, value));
        }
        Ok(Element::Object(fields))
    }
}

impl Element {
    fn kind(&self) -> &'static str {
        match self {
            Element::Object(_) => "an object",
            Element::Str(_) => "a string",
            Element::Number => "a number",
            Element::Other(k) => k,
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field name for an error message: escaped and cut to 40 characters.
fn field_name(name: &str) -> String {
    let cut: String = name.chars().take(40).collect();
    if cut.len() < name.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

// ---------------------------------------------------------------------------------------
// Element -> Record.

/// Options shared by the record readers.
#[derive(Debug, Clone, Copy)]
struct Options {
    max_record_bytes: usize,
    allow_unknown_fields: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            allow_unknown_fields: false,
        }
    }
}

const FIELDS: [&str; 6] = [
    "key",
    "value",
    "base64",
    "metadata",
    "expiration",
    "expiration_ttl",
];

/// An unsigned integer from a JSON number (`3` or `3.0`).
fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        let f = v.as_f64()?;
        // 2^64 as f64; every integral float below it fits in a u64.
        (f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0).then_some(f as u64)
    })
}

fn expiry(at: Where, field: &str, v: Option<Value>) -> Result<Option<u64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(_)) => as_u64(&v).map(Some).ok_or_else(|| {
            at.field_error(
                Limit::ExpirationTtl,
                field,
                "must be a non-negative whole number of seconds",
            )
        }),
        Some(v) => Err(at.field_error(
            Limit::Config,
            field,
            format_args!("must be a number, found {}", kind(&v)),
        )),
    }
}

fn record_from(el: Element, pos: Position, opts: Options) -> Result<Record, Error> {
    let at = Where(Some(pos));
    let fields = match el {
        Element::Object(fields) => fields,
        other => {
            let hint = if matches!(other, Element::Other("an array")) {
                " (a whole JSON array is wrangler's bulk format: read it with WranglerJsonReader or ImportReader::detect)"
            } else {
                ""
            };
            return Err(at.error(
                Limit::Config,
                format_args!(
                    "is {}; expected an object with `key` and `value`{hint}",
                    other.kind()
                ),
            ));
        }
    };
    let mut slots: [Option<Value>; 6] = Default::default();
    for (name, value) in fields {
        match FIELDS.iter().position(|f| *f == name) {
            Some(i) if slots[i].is_some() => {
                return Err(at.field_error(Limit::Config, FIELDS[i], "appears twice"));
            }
            Some(i) => slots[i] = Some(value),
            None if opts.allow_unknown_fields => {}
            None => {
                return Err(at.error(
                    Limit::Config,
                    format_args!(
                        "has an unknown field {} (the fields are `key`, `value`, `base64`, `metadata`, `expiration` and `expiration_ttl`)",
                        field_name(&name)
                    ),
                ));
            }
        }
    }
    let [key, value, base64, metadata, expiration, expiration_ttl] = slots;
    let key = match key {
        Some(Value::String(k)) => k,
        None | Some(Value::Null) => {
            return Err(at.field_error(Limit::Config, "key", "is missing"));
        }
        Some(v) => {
            return Err(at.field_error(
                Limit::Config,
                "key",
                format_args!("must be a string, found {}", kind(&v)),
            ));
        }
    };
    // Check the key first: a bad key is the most useful thing to report.
    check_key(at, &key)?;
    let value = match value {
        Some(Value::String(v)) => v,
        None | Some(Value::Null) => {
            return Err(at.field_error(Limit::Config, "value", "is missing"));
        }
        Some(v) => {
            return Err(at.field_error(
                Limit::Config,
                "value",
                format_args!("must be a string, found {}", kind(&v)),
            ));
        }
    };
    let base64 = match base64 {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(v) => {
            return Err(at.field_error(
                Limit::Config,
                "base64",
                format_args!("must be true or false, found {}", kind(&v)),
            ));
        }
    };
    let value = if base64 {
        if value.len() > MAX_BASE64_CHARS {
            return Err(at.field_error(
                Limit::ValueSize,
                "value",
                format_args!(
                    "is {} characters of base64; the limit is {MAX_BASE64_CHARS} (25 MiB decoded)",
                    value.len()
                ),
            ));
        }
        super::BASE64.decode(value.as_bytes()).map_err(|_| {
            at.field_error(
                Limit::Config,
                "value",
                "is not valid base64 (standard alphabet) although `base64` is true",
            )
        })?
    } else {
        value.into_bytes()
    };
    let record = Record {
        key,
        value,
        metadata: metadata.filter(|m| !m.is_null()),
        expiration: expiry(at, "expiration", expiration)?,
        expiration_ttl: expiry(at, "expiration_ttl", expiration_ttl)?,
        position: Some(pos),
    };
    record.validate()?;
    Ok(record)
}

// ---------------------------------------------------------------------------------------
// Errors about the input as a whole.

fn io_error(at: impl fmt::Display, e: impl fmt::Display) -> Error {
    Error::transport(TransportErrorKind::Other, format!("reading {at}: {e}"))
}

/// serde_json's message without its position (ours replaces it). serde_json's syntax
/// messages name what was expected, never the input.
fn json_problem(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&suffix).unwrap_or(&s).to_owned()
}

fn too_long(at: Where, max: usize) -> Error {
    at.error(
        Limit::ValueSize,
        format_args!(
            "is longer than {max} bytes (the record cap; raise it with `max_record_bytes`)"
        ),
    )
}

// ---------------------------------------------------------------------------------------
// NDJSON.

enum LineRead {
    Eof,
    Line,
    TooLong,
}

/// Reads one line (without its `\n`) into `out`, storing at most `max` bytes; a longer line
/// is consumed to its end and reported as `TooLong`. Adds the bytes consumed to `consumed`.
fn read_line_bounded<R: Read>(
    input: &mut BufReader<R>,
    out: &mut Vec<u8>,
    max: usize,
    consumed: &mut u64,
) -> io::Result<LineRead> {
    let mut any = false;
    let mut over = false;
    loop {
        let (used, done) = {
            let buf = match input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (end, used, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i, i + 1, true),
                None => (buf.len(), buf.len(), false),
            };
            if !over {
                if out.len() + end > max {
                    over = true;
                    out.clear();
                } else {
                    out.extend_from_slice(&buf[..end]);
                }
            }
            (used, done)
        };
        input.consume(used);
        *consumed += used as u64;
        if done {
            break;
        }
    }
    Ok(match (any, over) {
        (false, _) => LineRead::Eof,
        (true, false) => LineRead::Line,
        (true, true) => LineRead::TooLong,
    })
}

/// Reads NDJSON records: one JSON object per line (see the [module docs](super)). Streams
/// one line at a time, at most [`max_record_bytes`](NdjsonReader::max_record_bytes) of it.
///
/// Blank lines are skipped and do not count as records; a UTF-8 byte order mark at the start
/// is skipped. Each item is a record checked against the API's limits, or an error naming
/// its number and line. After an error about one line the reader goes on with the next
/// line, so a caller may collect every bad record; after an I/O error it ends.
///
/// ```
/// use kv_proto::records::NdjsonReader;
/// let input = b"{\"key\":\"a\",\"value\":\"1\"}\n\n{\"key\":\"\",\"value\":\"2\"}\n{\"key\":\"c\",\"value\":\"3\"}";
/// let items: Vec<_> = NdjsonReader::new(&input[..]).collect();
/// assert_eq!(items.len(), 3);
/// assert_eq!(items[1].as_ref().unwrap_err().to_string(), "invalid input: record 2 (line 3): `key` is empty");
/// assert_eq!(items[2].as_ref().unwrap().key, "c");
/// ```
pub struct NdjsonReader<R> {
    input: BufReader<R>,
    buf: Vec<u8>,
    /// Lines read so far.
    line: u64,
    records: u64,
    /// Bytes consumed so far.
    bytes: u64,
    opts: Options,
    done: bool,
}

impl<R: Read> NdjsonReader<R> {
    /// A reader over `input` (buffered internally).
    ///
    /// ```
    /// let mut r = kv_proto::records::NdjsonReader::new(&b""[..]);
    /// assert!(r.next().is_none());
    /// ```
    pub fn new(input: R) -> NdjsonReader<R> {
        NdjsonReader::from_buf(BufReader::with_capacity(BUF_BYTES, input), 0, 0)
    }

    fn from_buf(input: BufReader<R>, lines_before: u64, bytes_before: u64) -> NdjsonReader<R> {
        NdjsonReader {
            input,
            buf: Vec::new(),
            line: lines_before,
            records: 0,
            bytes: bytes_before,
            opts: Options::default(),
            done: false,
        }
    }

    /// Caps the bytes of one line (default [`DEFAULT_MAX_RECORD_BYTES`]). A longer line is
    /// an error naming it ([`Limit::ValueSize`]), and the reader goes on after it.
    ///
    /// ```
    /// use kv_proto::records::NdjsonReader;
    /// let mut r = NdjsonReader::new(&b"{\"key\":\"a\",\"value\":\"12345\"}\n"[..]).max_record_bytes(10);
    /// assert!(r.next().unwrap().unwrap_err().to_string().contains("record 1 (line 1) is longer than 10 bytes"));
    /// ```
    pub fn max_record_bytes(mut self, max: usize) -> NdjsonReader<R> {
        self.opts.max_record_bytes = max;
        self
    }

    /// Ignores fields other than the six known ones instead of reporting them (wrangler
    /// only warns about them).
    ///
    /// ```
    /// use kv_proto::records::NdjsonReader;
    /// let line = &b"{\"key\":\"a\",\"value\":\"1\",\"note\":\"x\"}"[..];
    /// assert!(NdjsonReader::new(line).next().unwrap().is_err());
    /// assert!(NdjsonReader::new(line).allow_unknown_fields(true).next().unwrap().is_ok());
    /// ```
    pub fn allow_unknown_fields(mut self, allow: bool) -> NdjsonReader<R> {
        self.opts.allow_unknown_fields = allow;
        self
    }

    /// How many records (good or bad) have been read; blank lines do not count.
    ///
    /// ```
    /// let mut r = kv_proto::records::NdjsonReader::new(&b"\n{\"key\":\"a\",\"value\":\"\"}\n"[..]);
    /// r.next();
    /// assert_eq!(r.records_read(), 1);
    /// ```
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// How many bytes of the input have been consumed (for progress against its size).
    ///
    /// ```
    /// let mut r = kv_proto::records::NdjsonReader::new(&b"{\"key\":\"a\",\"value\":\"\"}\n\n"[..]);
    /// r.next();
    /// assert_eq!(r.bytes_read(), 23);
    /// ```
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn parse_line(&self, pos: Position) -> Result<Record, Error> {
        let at = Where(Some(pos));
        let mut line = &self.buf[..];
        if pos.line == 1 {
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        let mut de = serde_json::Deserializer::from_slice(line);
        let el = Element::deserialize(&mut de)
            .and_then(|el| de.end().map(|()| el))
            .map_err(|e| {
                at.error(
                    Limit::Config,
                    format_args!(
                        "is not valid JSON at column {}: {}",
                        e.column(),
                        json_problem(&e)
                    ),
                )
            })?;
        record_from(el, pos, self.opts)
    }
}

impl<R: Read> Iterator for NdjsonReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Result<Record, Error>> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            let pos = Position {
                record: self.records + 1,
                line: self.line + 1,
            };
            let read = read_line_bounded(
                &mut self.input,
                &mut self.buf,
                self.opts.max_record_bytes,
                &mut self.bytes,
            );
            match read {
                Err(e) => {
                    self.done = true;
                    return Some(Err(io_error(pos, e)));
                }
                Ok(LineRead::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(LineRead::TooLong) => {
                    self.line += 1;
                    self.records += 1;
                    return Some(Err(too_long(Where(Some(pos)), self.opts.max_record_bytes)));
                }
                Ok(LineRead::Line) => {
                    self.line += 1;
                    let blank = self.buf.iter().all(|b| b.is_ascii_whitespace())
                        || (pos.line == 1 && self.buf == BOM);
                    if blank {
                        continue;
                    }
                    self.records += 1;
                    return Some(self.parse_line(pos));
                }
            }
        }
    }
}

/// Returns `None` for good once the input (or, after a fatal error, the stream) has ended.
impl<R: Read> FusedIterator for NdjsonReader<R> {}

mod array;

use array::ArrayStream;
pub use array::{KeyListReader, WranglerJsonReader};

// ---------------------------------------------------------------------------------------
// Detection.

/// Reads an import in either format, chosen by [`ImportReader::detect`] from the first
/// non-blank byte: `[` is wrangler's bulk JSON, `{` is NDJSON.
///
/// ```
/// use kv_proto::records::ImportReader;
/// let ndjson = b"\n  {\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\",\"value\":\"2\"}\n";
/// let r = ImportReader::detect(&ndjson[..])?;
/// assert!(matches!(r, ImportReader::Ndjson(_)));
/// let keys: Vec<String> = r.map(|rec| rec.map(|rec| rec.key)).collect::<Result<_, _>>()?;
/// assert_eq!(keys, ["a", "b"]);
///
/// let array = br#"[{"key":"a","value":"1"}]"#;
/// assert!(matches!(ImportReader::detect(&array[..])?, ImportReader::WranglerJson(_)));
/// assert!(ImportReader::detect(&b"key,value"[..]).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub enum ImportReader<R> {
    /// NDJSON, one object per line.
    Ndjson(NdjsonReader<R>),
    /// wrangler's bulk JSON array.
    WranglerJson(WranglerJsonReader<R>),
}

impl<R: Read> ImportReader<R> {
    /// Looks at the first byte that is not whitespace (after a UTF-8 byte order mark, if
    /// any) and returns the matching reader; nothing is lost, and line numbers count from
    /// the start of the input. An input with nothing but whitespace is an empty NDJSON
    /// import.
    ///
    /// ```
    /// use kv_proto::records::ImportReader;
    /// let mut r = ImportReader::detect(&b" \n "[..])?;
    /// assert!(r.next().is_none());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// Any other first byte ([`Limit::Config`]), or the input failed to read.
    pub fn detect(input: R) -> Result<ImportReader<R>, Error> {
        let mut stream = ArrayStream::new(
            BufReader::with_capacity(BUF_BYTES, input),
            1,
            DEFAULT_MAX_RECORD_BYTES,
        );
        let not_an_import = |line: u64| {
            Error::invalid_input(
                Limit::Config,
                format!(
                    "line {line}: not an import: expected NDJSON (a line starting with `{{`) or a JSON array (starting with `[`)"
                ),
            )
        };
        let first = stream.skip_bom().and_then(|bom_ok| {
            if bom_ok {
                stream.peek_non_ws().map(Some)
            } else {
                Ok(None)
            }
        });
        let at = Position {
            record: 1,
            line: stream.line,
        };
        match first {
            Err(e) => Err(io_error(at, e)),
            Ok(None) => Err(not_an_import(stream.line)),
            Ok(Some(Some(b'['))) => Ok(ImportReader::WranglerJson(WranglerJsonReader::from_buf(
                stream.input,
                stream.line,
                stream.bytes,
            ))),
            Ok(Some(Some(b'{') | None)) => Ok(ImportReader::Ndjson(NdjsonReader::from_buf(
                stream.input,
                stream.line - 1,
                stream.bytes,
            ))),
            Ok(Some(Some(_))) => Err(not_an_import(stream.line)),
        }
    }

    /// As [`NdjsonReader::max_record_bytes`] and [`WranglerJsonReader::max_record_bytes`].
    ///
    /// ```
    /// use kv_proto::records::ImportReader;
    /// let mut r = ImportReader::detect(&b"{\"key\":\"a\",\"value\":\"12345\"}"[..])?.max_record_bytes(10);
    /// assert!(r.next().unwrap().is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn max_record_bytes(self, max: usize) -> ImportReader<R> {
        match self {
            ImportReader::Ndjson(r) => ImportReader::Ndjson(r.max_record_bytes(max)),
            ImportReader::WranglerJson(r) => ImportReader::WranglerJson(r.max_record_bytes(max)),
        }
    }

    /// As [`NdjsonReader::allow_unknown_fields`].
    ///
    /// ```
    /// use kv_proto::records::ImportReader;
    /// let r = ImportReader::detect(&b"[{\"key\":\"a\",\"value\":\"1\",\"x\":1}]"[..])?;
    /// assert!(r.allow_unknown_fields(true).next().unwrap().is_ok());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn allow_unknown_fields(self, allow: bool) -> ImportReader<R> {
        match self {
            ImportReader::Ndjson(r) => ImportReader::Ndjson(r.allow_unknown_fields(allow)),
            ImportReader::WranglerJson(r) => {
                ImportReader::WranglerJson(r.allow_unknown_fields(allow))
            }
        }
    }

    /// How many records (good or bad) have been read.
    ///
    /// ```
    /// let r = kv_proto::records::ImportReader::detect(&b"[]"[..])?;
    /// assert_eq!(r.records_read(), 0);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn records_read(&self) -> u64 {
        match self {
            ImportReader::Ndjson(r) => r.records_read(),
            ImportReader::WranglerJson(r) => r.records_read(),
        }
    }

    /// How many bytes of the input have been consumed, detection included (for progress
    /// against its size).
    ///
    /// ```
    /// let mut r = kv_proto::records::ImportReader::detect(&b"\n{\"key\":\"a\",\"value\":\"\"}"[..])?;
    /// assert_eq!(r.bytes_read(), 1);
    /// r.next();
    /// assert_eq!(r.bytes_read(), 23);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn bytes_read(&self) -> u64 {
        match self {
            ImportReader::Ndjson(r) => r.bytes_read(),
            ImportReader::WranglerJson(r) => r.bytes_read(),
        }
    }
}

impl<R: Read> Iterator for ImportReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Result<Record, Error>> {
        match self {
            ImportReader::Ndjson(r) => r.next(),
            ImportReader::WranglerJson(r) => r.next(),
        }
    }
}

/// Returns `None` for good once the input (or, after a fatal error, the stream) has ended.
impl<R: Read> FusedIterator for ImportReader<R> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most one byte per `read`.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(out)) => {
                    *out = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn kinds(input: &[u8]) -> Vec<Result<&'static str, String>> {
        let mut s = ArrayStream::new(BufReader::with_capacity(4, OneByte(input)), 1, 1 << 20);
        std::iter::from_fn(|| s.next_element())
            .map(|r| r.map(|(el, _)| el.kind()).map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn elements_end_on_their_last_byte() {
        // Every kind of element but a number leaves the separator after it in place.
        let input = br#"[{}, "s\"]", [1,[2,"]"]] ,true,false,null , {"k":[{}],"v":"}"}]"#;
        assert_eq!(
            kinds(input),
            [
                Ok("an object"),
                Ok("a string"),
                Ok("an array"),
                Ok("a boolean"),
                Ok("a boolean"),
                Ok("null"),
                Ok("an object"),
            ]
        );
        // A number makes serde_json peek past it, so the stream stops there.
        assert_eq!(
            kinds(b"[1,{}]"),
            [Err(
                "invalid input: record 1 (line 1) is a number; expected an object or a string"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn element_cap_is_exact() {
        let obj = br#"{"key":"a"}"#;
        let input = [&b"["[..], obj, b"]"].concat();
        let mut s = ArrayStream::new(BufReader::new(&input[..]), 1, obj.len());
        assert!(s.next_element().unwrap().is_ok());
        assert!(s.next_element().is_none());
        let mut s = ArrayStream::new(BufReader::new(&input[..]), 1, obj.len() - 1);
        let e = s.next_element().unwrap().err().unwrap();
        assert!(
            e.to_string()
                .contains("record 1 (line 1) is longer than 10 bytes"),
            "{e}"
        );
        assert!(s.next_element().is_none());
    }

    #[test]
    fn bounded_lines() {
        let input = b"abc\r\n12345\nxyz";
        let mut r = BufReader::with_capacity(2, OneByte(input));
        let mut buf = Vec::new();
        let mut next = |max| {
            buf.clear();
            let read = read_line_bounded(&mut r, &mut buf, max, &mut 0).unwrap();
            let tag = match read {
                LineRead::Eof => "eof",
                LineRead::Line => "line",
                LineRead::TooLong => "too long",
            };
            (tag, String::from_utf8(buf.clone()).unwrap())
        };
        assert_eq!(next(4), ("line", "abc\r".to_owned()));
        assert_eq!(next(4), ("too long", String::new()));
        assert_eq!(next(3), ("line", "xyz".to_owned()));
        assert_eq!(next(3), ("eof", String::new()));
    }

    #[test]
    fn json_problems_lose_their_position_only() {
        let e = serde_json::from_slice::<Value>(b"{\"a\" 1}").unwrap_err();
        assert_eq!(json_problem(&e), "expected `:`");
        let e = serde_json::from_slice::<Value>(b"").unwrap_err();
        assert_eq!(json_problem(&e), "EOF while parsing a value");
    }

    #[test]
    fn numbers_accept_integral_floats_only() {
        assert_eq!(as_u64(&serde_json::json!(7)), Some(7));
        assert_eq!(as_u64(&serde_json::json!(7.0)), Some(7));
        assert_eq!(as_u64(&serde_json::json!(7.5)), None);
        assert_eq!(as_u64(&serde_json::json!(-1)), None);
        assert_eq!(as_u64(&serde_json::json!(1e300)), None);
    }
}
