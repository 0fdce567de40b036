//! JSON arrays, one element at a time: wrangler's bulk files and key listings.

use std::io::{self, BufRead, BufReader, Read};
use std::iter::FusedIterator;

use super::*;

/// Lends serde_json at most `remaining` bytes of the buffered input, counting newlines.
pub(super) struct Limited<'a, R> {
    inner: &'a mut BufReader<R>,
    remaining: usize,
    newlines: u64,
    exceeded: bool,
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            self.exceeded = true;
            return Err(io::Error::other("record too long"));
        }
        let n = buf.len().min(out.len()).min(self.remaining);
        out[..n].copy_from_slice(&buf[..n]);
        self.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.inner.consume(n);
        self.remaining -= n;
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Before the `[`.
    Start,
    /// After the `[`.
    First,
    /// After an element.
    Next,
    /// After the `]`.
    End,
    Done,
}

/// The elements of one top-level JSON array, one at a time.
pub(super) struct ArrayStream<R> {
    pub(super) input: BufReader<R>,
    state: State,
    /// The line the reader is on.
    pub(super) line: u64,
    /// Elements read so far.
    count: u64,
    /// Bytes consumed so far.
    pub(super) bytes: u64,
    max_element_bytes: usize,
}

impl<R: Read> ArrayStream<R> {
    pub(super) fn new(input: BufReader<R>, line: u64, max_element_bytes: usize) -> ArrayStream<R> {
        ArrayStream {
            input,
            state: State::Start,
            line,
            count: 0,
            bytes: 0,
            max_element_bytes,
        }
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.input.consume(n);
        self.bytes += n as u64;
    }

    /// Skips JSON whitespace and returns the next byte without consuming it.
    pub(super) fn peek_non_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let (used, found) = {
                let buf = match self.input.fill_buf() {
                    Ok(buf) => buf,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if buf.is_empty() {
                    return Ok(None);
                }
                let i = buf
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    .unwrap_or(buf.len());
                self.line += memchr::memchr_iter(b'\n', &buf[..i]).count() as u64;
                (i, buf.get(i).copied())
            };
            self.consume(used);
            if found.is_some() {
                return Ok(found);
            }
        }
    }

    /// Consumes a UTF-8 byte order mark if the input starts with one (byte by byte, so a
    /// reader returning one byte per read works too). Returns false if the input starts
    /// with part of one only.
    pub(super) fn skip_bom(&mut self) -> io::Result<bool> {
        for (i, want) in BOM.iter().enumerate() {
            let got = loop {
                match self.input.fill_buf() {
                    Ok(buf) => break buf.first().copied(),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if got != Some(*want) {
                return Ok(i == 0);
            }
            self.consume(1);
        }
        Ok(true)
    }

    pub(super) fn here(&self) -> Position {
        Position {
            record: self.count + 1,
            line: self.line,
        }
    }

    pub(super) fn fatal(
        &mut self,
        problem: impl fmt::Display,
    ) -> Option<Result<(Element, Position), Error>> {
        self.state = State::Done;
        let e = Error::invalid_input(Limit::Config, format!("line {}: {problem}", self.line));
        Some(Err(e))
    }

    pub(super) fn fatal_io(&mut self, e: io::Error) -> Option<Result<(Element, Position), Error>> {
        self.state = State::Done;
        let at = self.here();
        Some(Err(io_error(at, e)))
    }

    /// The next element, or `None` after the closing `]` and the end of the input.
    pub(super) fn next_element(&mut self) -> Option<Result<(Element, Position), Error>> {
        loop {
            match self.state {
                State::Done => return None,
                State::Start => {
                    match self.skip_bom() {
                        Ok(true) => {}
                        Ok(false) => {
                            return self.fatal("not a JSON array (it does not start with `[`)");
                        }
                        Err(e) => return self.fatal_io(e),
                    }
                    match self.peek_non_ws() {
                        Ok(Some(b'[')) => {
                            self.consume(1);
                            self.state = State::First;
                        }
                        Ok(Some(_)) => {
                            return self.fatal("not a JSON array (it does not start with `[`)");
                        }
                        Ok(None) => return self.fatal("the input is empty; expected a JSON array"),
                        Err(e) => return self.fatal_io(e),
                    }
                }
                State::First | State::Next => {
                    let first = self.state == State::First;
                    match self.peek_non_ws() {
                        Ok(Some(b']')) => {
                            self.consume(1);
                            self.state = State::End;
                        }
                        Ok(Some(b',')) if !first => {
                            self.consume(1);
                            match self.peek_non_ws() {
                                Ok(Some(b']')) => {
                                    return self.fatal("a `,` before the closing `]` (trailing commas are not JSON)");
                                }
                                Ok(Some(_)) => return Some(self.element()),
                                Ok(None) => {
                                    return self
                                        .fatal("the input ends inside the array (no closing `]`)");
                                }
                                Err(e) => return self.fatal_io(e),
                            }
                        }
                        Ok(Some(_)) if first => return Some(self.element()),
                        Ok(Some(_)) => {
                            let n = self.count;
                            return self
                                .fatal(format_args!("expected `,` or `]` after record {n}"));
                        }
                        Ok(None) => {
                            return self.fatal("the input ends inside the array (no closing `]`)");
                        }
                        Err(e) => return self.fatal_io(e),
                    }
                }
                State::End => {
                    return match self.peek_non_ws() {
                        Ok(None) => {
                            self.state = State::Done;
                            None
                        }
                        Ok(Some(_)) => self.fatal("unexpected data after the closing `]`"),
                        Err(e) => self.fatal_io(e),
                    };
                }
            }
        }
    }

    /// Deserializes one element from the buffered input (the next byte is its first).
    pub(super) fn element(&mut self) -> Result<(Element, Position), Error> {
        let pos = self.here();
        let at = Where(Some(pos));
        self.count += 1;
        self.state = State::Next;
        let mut limited = Limited {
            inner: &mut self.input,
            remaining: self.max_element_bytes,
            newlines: 0,
            exceeded: false,
        };
        let parsed = Element::deserialize(&mut serde_json::Deserializer::from_reader(&mut limited));
        self.line += limited.newlines;
        self.bytes += (self.max_element_bytes - limited.remaining) as u64;
        let exceeded = limited.exceeded;
        match parsed {
            Ok(Element::Number) => {
                // serde_json peeked one byte past the number: the stream cannot go on.
                self.state = State::Done;
                Err(at.error(Limit::Config, "is a number; expected an object or a string"))
            }
            Ok(el) => Ok((el, pos)),
            Err(e) => {
                self.state = State::Done;
                let err = if exceeded {
                    too_long(at, self.max_element_bytes)
                } else if e.is_io() {
                    io_error(at, e)
                } else {
                    at.error(
                        Limit::Config,
                        format_args!(
                            "is not valid JSON (line {}): {}",
                            pos.line + e.line().saturating_sub(1) as u64,
                            json_problem(&e)
                        ),
                    )
                };
                Err(err)
            }
        }
    }
}

pub(super) fn flatten<T>(
    item: Option<Result<(Element, Position), Error>>,
    f: impl FnOnce(Element, Position) -> Result<T, Error>,
) -> Option<Result<T, Error>> {
    Some(item?.and_then(|(el, pos)| f(el, pos)))
}

/// Reads wrangler's bulk JSON: one array of record objects (see the [module docs](crate::records)),
/// element by element, never the whole array: memory holds one record, at most
/// [`max_record_bytes`](WranglerJsonReader::max_record_bytes) of it.
///
/// Each item is a record checked against the API's limits, or an error naming its number
/// and the line it starts on. After an error about one record's content the reader goes on
/// with the next element; after a syntax error (or a number as an element) or an I/O error
/// it ends, because the array cannot be followed any further.
///
/// ```
/// use kv_proto::records::WranglerJsonReader;
/// let input = br#"[{"key":"a","value":"1"},
///                  {"key":"b","value":"2","metadata":{"v":1},"expiraton":5},
///                  {"key":"c","value":"3"}]"#;
/// let items: Vec<_> = WranglerJsonReader::new(&input[..]).collect();
/// assert_eq!(items.len(), 3);
/// let e = items[1].as_ref().unwrap_err().to_string();
/// assert!(e.starts_with("invalid input: record 2 (line 2) has an unknown field \"expiraton\""), "{e}");
/// assert_eq!(items[2].as_ref().unwrap().key, "c");
/// ```
pub struct WranglerJsonReader<R> {
    stream: ArrayStream<R>,
    opts: Options,
}

impl<R: Read> WranglerJsonReader<R> {
    /// A reader over `input` (buffered internally).
    ///
    /// ```
    /// let mut r = kv_proto::records::WranglerJsonReader::new(&b" [ ] "[..]);
    /// assert!(r.next().is_none());
    /// ```
    pub fn new(input: R) -> WranglerJsonReader<R> {
        WranglerJsonReader::from_buf(BufReader::with_capacity(BUF_BYTES, input), 1, 0)
    }

    pub(super) fn from_buf(input: BufReader<R>, line: u64, bytes: u64) -> WranglerJsonReader<R> {
        let opts = Options::default();
        let mut stream = ArrayStream::new(input, line, opts.max_record_bytes);
        stream.bytes = bytes;
        WranglerJsonReader { stream, opts }
    }

    /// Caps the bytes of one element (default [`DEFAULT_MAX_RECORD_BYTES`]). A longer one is
    /// an error naming it ([`Limit::ValueSize`]), and ends the reader.
    ///
    /// ```
    /// use kv_proto::records::WranglerJsonReader;
    /// let mut r = WranglerJsonReader::new(&b"[{\"key\":\"a\",\"value\":\"12345\"}]"[..]).max_record_bytes(10);
    /// assert!(r.next().unwrap().unwrap_err().to_string().contains("record 1 (line 1) is longer than 10 bytes"));
    /// assert!(r.next().is_none());
    /// ```
    pub fn max_record_bytes(mut self, max: usize) -> WranglerJsonReader<R> {
        self.opts.max_record_bytes = max;
        self.stream.max_element_bytes = max;
        self
    }

    /// Ignores fields other than the six known ones instead of reporting them.
    ///
    /// ```
    /// use kv_proto::records::WranglerJsonReader;
    /// let input = &b"[{\"key\":\"a\",\"value\":\"1\",\"note\":\"x\"}]"[..];
    /// assert!(WranglerJsonReader::new(input).allow_unknown_fields(true).next().unwrap().is_ok());
    /// ```
    pub fn allow_unknown_fields(mut self, allow: bool) -> WranglerJsonReader<R> {
        self.opts.allow_unknown_fields = allow;
        self
    }

    /// How many elements (good or bad) have been read.
    ///
    /// ```
    /// let mut r = kv_proto::records::WranglerJsonReader::new(&b"[{\"key\":\"a\",\"value\":\"\"}]"[..]);
    /// r.next();
    /// assert_eq!(r.records_read(), 1);
    /// ```
    pub fn records_read(&self) -> u64 {
        self.stream.count
    }

    /// How many bytes of the input have been consumed (for progress against its size).
    ///
    /// ```
    /// let mut r = kv_proto::records::WranglerJsonReader::new(&b"[{\"key\":\"a\",\"value\":\"\"}]"[..]);
    /// r.next();
    /// assert_eq!(r.bytes_read(), 23);
    /// ```
    pub fn bytes_read(&self) -> u64 {
        self.stream.bytes
    }
}

impl<R: Read> Iterator for WranglerJsonReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Result<Record, Error>> {
        let opts = self.opts;
        flatten(self.stream.next_element(), |el, pos| {
            record_from(el, pos, opts)
        })
    }
}

/// Returns `None` for good once the input (or, after a fatal error, the stream) has ended.
impl<R: Read> FusedIterator for WranglerJsonReader<R> {}

/// Reads key names for a bulk delete from a JSON array of strings (`["a", "b"]`), of
/// objects with a `name` (the output of `wrangler kv key list`; other fields are ignored),
/// or of both mixed. Streams element by element.
///
/// Each item is a checked [`Key`], or an error naming the element's number and line. After
/// an error about one element's content the reader goes on; after a syntax or I/O error it
/// ends.
///
/// ```
/// use kv_proto::records::KeyListReader;
/// let input = br#"["a", {"name": "b", "expiration": 1900000000, "metadata": {"v": 1}}, {"key": "c"}, ""]"#;
/// let items: Vec<_> = KeyListReader::new(&input[..]).collect();
/// assert_eq!(items[0].as_ref().unwrap().as_str(), "a");
/// assert_eq!(items[1].as_ref().unwrap().as_str(), "b");
/// assert_eq!(items[2].as_ref().unwrap_err().to_string(), "invalid input: record 3 (line 1): `name` is missing");
/// assert_eq!(items[3].as_ref().unwrap_err().to_string(), "invalid input: record 4 (line 1): `key` is empty");
/// ```
pub struct KeyListReader<R> {
    stream: ArrayStream<R>,
}

impl<R: Read> KeyListReader<R> {
    /// A reader over `input` (buffered internally). One element may be at most 1 MiB
    /// (see [`max_entry_bytes`](KeyListReader::max_entry_bytes)).
    ///
    /// ```
    /// let mut r = kv_proto::records::KeyListReader::new(&b"[]"[..]);
    /// assert!(r.next().is_none());
    /// ```
    pub fn new(input: R) -> KeyListReader<R> {
        KeyListReader {
            stream: ArrayStream::new(
                BufReader::with_capacity(BUF_BYTES, input),
                1,
                DEFAULT_MAX_KEY_ENTRY_BYTES,
            ),
        }
    }

    /// Caps the bytes of one element (default 1 MiB). A longer one is an error naming it,
    /// and ends the reader.
    ///
    /// ```
    /// use kv_proto::records::KeyListReader;
    /// let mut r = KeyListReader::new(&b"[\"abcdefgh\"]"[..]).max_entry_bytes(4);
    /// assert!(r.next().unwrap().is_err());
    /// ```
    pub fn max_entry_bytes(mut self, max: usize) -> KeyListReader<R> {
        self.stream.max_element_bytes = max;
        self
    }

    /// How many elements (good or bad) have been read.
    ///
    /// ```
    /// let mut r = kv_proto::records::KeyListReader::new(&b"[\"a\"]"[..]);
    /// r.next();
    /// assert_eq!(r.keys_read(), 1);
    /// ```
    pub fn keys_read(&self) -> u64 {
        self.stream.count
    }

    /// How many bytes of the input have been consumed (for progress against its size).
    ///
    /// ```
    /// let mut r = kv_proto::records::KeyListReader::new(&b"[\"a\", \"b\"]"[..]);
    /// r.next();
    /// assert_eq!(r.bytes_read(), 4);
    /// ```
    pub fn bytes_read(&self) -> u64 {
        self.stream.bytes
    }
}

pub(super) fn key_from(el: Element, pos: Position) -> Result<Key, Error> {
    let at = Where(Some(pos));
    match el {
        Element::Str(name) => check_key(at, &name),
        Element::Object(fields) => {
            let mut name = None;
            for (field, value) in fields {
                if field == "name" {
                    if name.is_some() {
                        return Err(at.field_error(Limit::Config, "name", "appears twice"));
                    }
                    name = Some(value);
                }
            }
            match name {
                Some(Value::String(name)) => check_key(at, &name),
                None | Some(Value::Null) => {
                    Err(at.field_error(Limit::Config, "name", "is missing"))
                }
                Some(v) => Err(at.field_error(
                    Limit::Config,
                    "name",
                    format_args!("must be a string, found {}", kind(&v)),
                )),
            }
        }
        other => Err(at.error(
            Limit::Config,
            format_args!(
                "is {}; expected a key name or an object with a `name`",
                other.kind()
            ),
        )),
    }
}

impl<R: Read> Iterator for KeyListReader<R> {
    type Item = Result<Key, Error>;

    fn next(&mut self) -> Option<Result<Key, Error>> {
        flatten(self.stream.next_element(), key_from)
    }
}

/// Returns `None` for good once the input (or, after a fatal error, the stream) has ended.
impl<R: Read> FusedIterator for KeyListReader<R> {}
