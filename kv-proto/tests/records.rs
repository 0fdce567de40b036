//! The export/import formats (`kv_proto::records`): round trips through both writers and
//! readers, readers fed one byte per read, garbage that never panics, errors that name the
//! record (and never quote user data), streaming with bounded read-ahead over 100,000
//! records, format detection, and key listings as bulk delete input.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use kv_proto::records::{
    DEFAULT_MAX_RECORD_BYTES, ImportReader, KeyListReader, NdjsonReader, NdjsonWriter, Position,
    Record, WranglerJsonReader, WranglerJsonWriter,
};
use kv_proto::{BulkDelete, BulkWrite, BulkWriteItem, Error, Expiration, Limit, NamespaceId};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value as Json, json};

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn ndjson(records: &[Record]) -> Vec<u8> {
    let mut w = NdjsonWriter::new(Vec::new());
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

fn wrangler(records: &[Record]) -> Vec<u8> {
    let mut w = WranglerJsonWriter::new(Vec::new());
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

fn all<T>(it: impl Iterator<Item = Result<T, Error>>) -> Vec<T> {
    it.collect::<Result<Vec<_>, _>>().unwrap()
}

fn errors<T: std::fmt::Debug>(it: impl Iterator<Item = Result<T, Error>>) -> Vec<String> {
    it.filter_map(Result::err).map(|e| e.to_string()).collect()
}

/// Hands out at most one byte per `read`.
struct OneByte<R>(R);

impl<R: Read> Read for OneByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

/// Fails every read after `ok` bytes; before that, interrupts every other read.
struct Flaky<R> {
    inner: R,
    ok: usize,
    interrupt: bool,
}

impl<R: Read> Read for Flaky<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        if self.ok == 0 {
            return Err(io::Error::other("cable unplugged"));
        }
        let n = buf.len().min(self.ok);
        let n = self.inner.read(&mut buf[..n])?;
        self.ok -= n;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------
// Strategies.

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(any::<char>(), 1..24).prop_map(String::from_iter),
        2 => "[ -~]{1,16}",
        1 => Just("\"\\\u{0}\n\u{1f}/..".to_owned()),
        1 => "[a-z]{500,512}",
        1 => prop::collection::vec(Just('🙂'), 128..=128).prop_map(String::from_iter),
    ]
    .prop_filter("a valid key", |k| {
        k.len() <= kv_proto::limits::MAX_KEY_BYTES && k != "." && k != ".."
    })
}

fn arb_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        ".{0,60}".prop_map(String::into_bytes),
        prop::collection::vec(
            prop::sample::select(vec![0u8, b'"', b'\\', b'\n', 0x7f, 0x80, 0xc3, 0xa9, 0xff]),
            0..40
        ),
    ]
}

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        ".{0,12}".prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::from),
            prop::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_metadata() -> impl Strategy<Value = Option<Json>> {
    prop::option::of(
        arb_json().prop_filter("metadata: non-null, at most 1024 bytes", |m| {
            !m.is_null()
                && serde_json::to_string(m).unwrap().len() <= kv_proto::limits::MAX_METADATA_BYTES
        }),
    )
}

fn arb_record() -> impl Strategy<Value = Record> {
    (
        arb_key(),
        arb_value(),
        arb_metadata(),
        prop::option::of(any::<u64>()),
        prop::option::of(60u64..),
    )
        .prop_map(|(key, value, metadata, expiration, ttl)| {
            let mut r = Record::from_parts(key, value, metadata, expiration);
            r.expiration_ttl = ttl;
            r
        })
}

/// Bytes that look a little like the formats, so the fuzzing reaches past the first byte.
fn arb_garbage() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"["[..]),
        Just(&b"]"[..]),
        Just(&b"{"[..]),
        Just(&b"}"[..]),
        Just(&b","[..]),
        Just(&b":"[..]),
        Just(&b"\""[..]),
        Just(&b"\\"[..]),
        Just(&b"\n"[..]),
        Just(&b" "[..]),
        Just(&b"\"key\""[..]),
        Just(&b"\"value\""[..]),
        Just(&b"\"name\""[..]),
        Just(&b"\"base64\""[..]),
        Just(&b"\"metadata\""[..]),
        Just(&b"\"expiration_ttl\""[..]),
        Just(&b"true"[..]),
        Just(&b"null"[..]),
        Just(&b"12"[..]),
        Just(&b"-1.5e3"[..]),
        Just(&b"\"a\""[..]),
        Just(&b"\"AP8=\""[..]),
        Just(&b"\xEF\xBB\xBF"[..]),
        Just(&b"\xff"[..]),
    ];
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(token, 0..80).prop_map(|t| t.concat()),
    ]
}

/// Drains every reader over `input`; none may panic or run on forever.
fn drain_all(input: &[u8]) {
    let limit = input.len() + 2;
    let check = |e: Error| {
        let msg = e.to_string();
        assert!(!msg.is_empty());
        assert!(e.is_invalid_input(), "{msg}");
    };
    let mut n = 0;
    for item in NdjsonReader::new(input) {
        n += 1;
        assert!(n <= limit);
        if let Err(e) = item {
            check(e);
        }
    }
    for item in WranglerJsonReader::new(input).take(limit) {
        if let Err(e) = item {
            check(e);
        }
    }
    let mut n = 0;
    for item in KeyListReader::new(input) {
        n += 1;
        assert!(n <= limit);
        if let Err(e) = item {
            check(e);
        }
    }
    match ImportReader::detect(input) {
        Ok(r) => {
            let mut n = 0;
            for item in r {
                n += 1;
                assert!(n <= limit);
                if let Err(e) = item {
                    check(e);
                }
            }
        }
        Err(e) => check(e),
    }
}

// ---------------------------------------------------------------------------------------
// Round trips.

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn ndjson_round_trip(records in prop::collection::vec(arb_record(), 0..12)) {
        let bytes = ndjson(&records);
        prop_assert_eq!(&all(NdjsonReader::new(&bytes[..])), &records);
        prop_assert_eq!(&all(ImportReader::detect(&bytes[..]).unwrap()), &records);
        let mut r = NdjsonReader::new(OneByte(&bytes[..]));
        prop_assert_eq!(&all(r.by_ref()), &records);
        prop_assert_eq!(r.bytes_read(), bytes.len() as u64);
        prop_assert_eq!(r.records_read(), records.len() as u64);
        // One object per line; `base64` exactly when the bytes are not UTF-8.
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        prop_assert_eq!(lines.len(), records.len() + 1);
        for (line, r) in lines.iter().zip(&records) {
            let obj: Json = serde_json::from_slice(line).unwrap();
            let binary = std::str::from_utf8(&r.value).is_err();
            prop_assert_eq!(obj.get("base64").is_some(), binary);
            prop_assert_eq!(obj.get("metadata").is_some(), r.metadata.is_some());
            prop_assert_eq!(obj.get("expiration").is_some(), r.expiration.is_some());
        }
    }

    #[test]
    fn wrangler_round_trip(records in prop::collection::vec(arb_record(), 0..12)) {
        let bytes = wrangler(&records);
        let parsed: Json = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(parsed.as_array().unwrap().len(), records.len());
        prop_assert_eq!(&all(WranglerJsonReader::new(&bytes[..])), &records);
        prop_assert_eq!(&all(WranglerJsonReader::new(OneByte(&bytes[..]))), &records);
        let mut r = ImportReader::detect(OneByte(&bytes[..])).unwrap();
        prop_assert_eq!(&all(r.by_ref()), &records);
        prop_assert_eq!(r.bytes_read(), bytes.len() as u64);
        prop_assert_eq!(r.records_read(), records.len() as u64);
        // The same array pretty-printed by someone else reads the same.
        let pretty = serde_json::to_vec_pretty(&parsed).unwrap();
        prop_assert_eq!(&all(WranglerJsonReader::new(OneByte(&pretty[..]))), &records);
        // And every record converts for the bulk write machinery, losslessly.
        for r in &records {
            let item = r.to_write_item().unwrap();
            let bytes = if item.base64 {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(&item.value).unwrap()
            } else {
                item.value.clone().into_bytes()
            };
            prop_assert_eq!(&bytes, &r.value);
            let want = match (r.expiration_ttl, r.expiration) {
                (Some(t), _) => Some(Expiration::Ttl(t)),
                (None, Some(t)) => Some(Expiration::At(t)),
                (None, None) => None,
            };
            prop_assert_eq!(item.expiration, want);
            prop_assert_eq!(item.metadata.map(|m| m.value().clone()), r.metadata.clone());
        }
    }

    #[test]
    fn garbage_never_panics(input in arb_garbage()) {
        drain_all(&input);
        drain_all(&input.iter().copied().filter(|&b| b != b'\n').collect::<Vec<_>>());
    }

    #[test]
    fn mutated_exports_never_panic(
        records in prop::collection::vec(arb_record(), 1..4),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        op in 0..3u8,
    ) {
        for mut bytes in [ndjson(&records), wrangler(&records)] {
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
            drain_all(&bytes);
        }
    }
}

#[test]
fn floats_and_nested_metadata_round_trip() {
    let r = Record::new("k", b"v".to_vec())
        .with_metadata(json!({"f": 0.1, "g": -2.5e-7, "n": [null, {"x": [1, 2]}], "s": "é\u{0}"}));
    assert_eq!(
        all(NdjsonReader::new(&ndjson(std::slice::from_ref(&r))[..])),
        std::slice::from_ref(&r)
    );
    assert_eq!(
        all(WranglerJsonReader::new(
            &wrangler(std::slice::from_ref(&r))[..]
        )),
        [r]
    );
}

#[test]
fn exact_output_of_both_writers() {
    let records = [
        Record::from_parts("a\"b", b"line\nbreak".to_vec(), None, Some(1_900_000_000)),
        Record::from_parts(
            "bin",
            vec![0xde, 0xad, 0xbe, 0xef],
            Some(json!({"t": 1})),
            None,
        ),
        Record::new("ttl", Vec::new()).with_expiration_ttl(60),
    ];
    let lines = [
        r#"{"key":"a\"b","value":"line\nbreak","expiration":1900000000}"#,
        r#"{"key":"bin","value":"3q2+7w==","base64":true,"metadata":{"t":1}}"#,
        r#"{"key":"ttl","value":"","expiration_ttl":60}"#,
    ];
    assert_eq!(
        String::from_utf8(ndjson(&records)).unwrap(),
        format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2])
    );
    assert_eq!(
        String::from_utf8(wrangler(&records)).unwrap(),
        format!("[\n{},\n{},\n{}\n]\n", lines[0], lines[1], lines[2])
    );
}

#[test]
fn read_records_feed_a_bulk_write() {
    let input = br#"[{"key":"a","value":"1","metadata":{"v":1},"expiration_ttl":600},
                     {"key":"b","value":"AP8","base64":true,"expiration":1900000000}]"#;
    let items: Vec<BulkWriteItem> = WranglerJsonReader::new(&input[..])
        .map(|r| r.and_then(BulkWriteItem::try_from))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(items[1].value, "AP8="); // re-encoded with padding
    let op = BulkWrite::new(NamespaceId::new("ns1").unwrap(), items).unwrap();
    assert_eq!(op.items().len(), 2);
}

// ---------------------------------------------------------------------------------------
// Errors.

#[test]
fn ndjson_errors_name_record_and_line_and_reading_goes_on() {
    let input = concat!(
        "{\"key\":\"ok1\",\"value\":\"1\"}\n",
        "\n",
        "   \r\n",
        "{\"key\":\"\",\"value\":\"SECRET\"}\n",
        "{\"key\":\"k\",\"value\":\"SECRET\",\"expiration_ttl\":30}\n",
        "{\"key\":\"k\",\"value\":\"SECRET\" \"oops\"}\n",
        "{\"key\":\"k\",\"value\":\"SECRET\",\"base64\":true}\n",
        "{\"key\":\"k\",\"value\":\"SECRET\",\"metadata\":\"METADATA\"}\n",
        "\"SECRET\"\n",
        "[{\"key\":\"k\",\"value\":\"SECRET\"}]\n",
        "{\"key\":\"k\",\"value\":5}\n",
        "{\"key\":\"k\"}\n",
        "{\"key\":\"k\",\"value\":\"\",\"expiration\":-5}\n",
        "{\"key\":\"k\",\"value\":\"\",\"expiration\":\"1900000000\"}\n",
        "{\"key\":\"k\",\"value\":\"\",\"key\":\"k2\"}\n",
        "{\"key\":\"k\",\"value\":\"\",\"SECRET\":1}\n",
        "{\"key\":\"ok2\",\"value\":\"2\"}",
    );
    let input = input.replace("METADATA", &"SECRET".repeat(200));
    let items: Vec<_> = NdjsonReader::new(input.as_bytes()).collect();
    let got: Vec<String> = items
        .iter()
        .map(|i| match i {
            Ok(r) => format!("ok {}", r.key),
            Err(e) => e.to_string(),
        })
        .collect();
    let want = [
        "ok ok1",
        "invalid input: record 2 (line 4): `key` is empty",
        "invalid input: record 3 (line 5): `expiration_ttl` is 30 s; the minimum is 60 s",
        "invalid input: record 4 (line 6) is not valid JSON at column 29: expected `,` or `}`",
        "invalid input: record 5 (line 7): `value` is not valid base64 (standard alphabet) although `base64` is true",
        "invalid input: record 6 (line 8): `metadata` serialises to 1202 bytes of JSON; the limit is 1024",
        "invalid input: record 7 (line 9) is a string; expected an object with `key` and `value`",
        "invalid input: record 8 (line 10) is an array; expected an object with `key` and `value` (a whole JSON array is wrangler's bulk format: read it with WranglerJsonReader or ImportReader::detect)",
        "invalid input: record 9 (line 11): `value` must be a string, found a number",
        "invalid input: record 10 (line 12): `value` is missing",
        "invalid input: record 11 (line 13): `expiration` must be a non-negative whole number of seconds",
        "invalid input: record 12 (line 14): `expiration` must be a number, found a string",
        "invalid input: record 13 (line 15): `key` appears twice",
        "invalid input: record 14 (line 16) has an unknown field \"SECRET\" (the fields are `key`, `value`, `base64`, `metadata`, `expiration` and `expiration_ttl`)",
        "ok ok2",
    ];
    assert_eq!(got, want);
    // No value (nor metadata) is ever quoted; the one field name above is the only echo.
    for msg in &got[..got.len() - 2] {
        assert!(!msg.contains("SECRET"), "{msg}");
    }
    let limits: Vec<Option<Limit>> = items
        .iter()
        .map(|i| i.as_ref().err().and_then(Error::limit))
        .collect();
    assert_eq!(limits[1], Some(Limit::Key));
    assert_eq!(limits[2], Some(Limit::ExpirationTtl));
    assert_eq!(limits[3], Some(Limit::Config));
    assert_eq!(limits[5], Some(Limit::Metadata));
}

#[test]
fn array_errors_name_record_and_the_line_it_starts_on() {
    let input = b"[\n  {\"key\": \"a\", \"value\": \"1\"},\n  {\"key\": \"a\",\n   \"value\": \"SECRET\",\n   \"expiration_ttl\": 5},\n  {\"key\": \"c\", \"value\": \"3\"}\n]\n";
    let got: Vec<_> = WranglerJsonReader::new(&input[..])
        .map(|i| {
            i.map(|r| (r.key.clone(), r.position()))
                .map_err(|e| e.to_string())
        })
        .collect();
    assert_eq!(
        got,
        [
            Ok(("a".to_owned(), Some(Position { record: 1, line: 2 }))),
            Err(
                "invalid input: record 2 (line 3): `expiration_ttl` is 5 s; the minimum is 60 s"
                    .to_owned()
            ),
            Ok(("c".to_owned(), Some(Position { record: 3, line: 6 }))),
        ]
    );

    let fatal = |input: &[u8]| -> Vec<String> { errors(WranglerJsonReader::new(input)) };
    let cases: [(&[u8], &str); 10] = [
        (b"", "line 1: the input is empty; expected a JSON array"),
        (
            b"\n\n{\"key\":\"a\"}",
            "line 3: not a JSON array (it does not start with `[`)",
        ),
        (
            b"[{\"key\":\"a\",\"value\":\"1\"},]",
            "line 1: a `,` before the closing `]` (trailing commas are not JSON)",
        ),
        (
            b"[{\"key\":\"a\",\"value\":\"1\"} {\"key\":\"b\",\"value\":\"2\"}]",
            "line 1: expected `,` or `]` after record 1",
        ),
        (
            b"[{\"key\":\"a\",\"value\":\"1\"},\n",
            "line 2: the input ends inside the array (no closing `]`)",
        ),
        (
            b"[{\"key\":\"a\",\"value\":\"1\"}] x",
            "line 1: unexpected data after the closing `]`",
        ),
        (
            b"[{\"key\":\"a\",\n\"value\":tru}]",
            "record 1 (line 1) is not valid JSON (line 2): expected ident",
        ),
        (
            b"[{\"key\":\"a\",\"value\":\"SECRET",
            "record 1 (line 1) is not valid JSON (line 1): EOF while parsing a string",
        ),
        (
            b"[12, {\"key\":\"a\",\"value\":\"1\"}]",
            "record 1 (line 1) is a number; expected an object or a string",
        ),
        (
            b"[\"SECRET\"]",
            "record 1 (line 1) is a string; expected an object with `key` and `value`",
        ),
    ];
    for (input, want) in cases {
        let got = fatal(input);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0], format!("invalid input: {want}"));
        assert!(!got[0].contains("SECRET"));
    }
    // After the opening: `[` `]` is zero records; a BOM and whitespace are fine.
    assert!(all(WranglerJsonReader::new(&b"\xEF\xBB\xBF \n[\n]\n\n"[..])).is_empty());
}

#[test]
fn a_failing_input_is_a_transport_error_and_ends_the_reader() {
    let bytes = ndjson(&[
        Record::new("a", b"1".to_vec()),
        Record::new("b", b"2".to_vec()),
    ]);
    let flaky = |ok| Flaky {
        inner: io::Cursor::new(bytes.clone()),
        ok,
        interrupt: false,
    };
    let items: Vec<_> = NdjsonReader::new(flaky(30)).collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().key, "a");
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(kv_proto::TransportErrorKind::Other)
    );
    assert!(
        e.to_string()
            .contains("reading record 2 (line 2): cable unplugged"),
        "{e}"
    );

    let arr = wrangler(&[
        Record::new("a", b"1".to_vec()),
        Record::new("b", b"2".to_vec()),
    ]);
    let items: Vec<_> = WranglerJsonReader::new(Flaky {
        inner: io::Cursor::new(arr),
        ok: 40,
        interrupt: false,
    })
    .collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("cable unplugged")
    );
}

#[test]
fn overlong_records_are_errors_not_allocations() {
    let big = Record::new("big", vec![b'x'; 5000]);
    let small = Record::new("s", b"1".to_vec());
    let bytes = ndjson(&[small.clone(), big.clone(), small.clone()]);
    let got: Vec<_> = NdjsonReader::new(OneByte(&bytes[..]))
        .max_record_bytes(1000)
        .map(|i| i.map_err(|e| (e.to_string(), e.limit())))
        .collect();
    assert_eq!(got[0], Ok(small.clone()));
    assert_eq!(
        got[1],
        Err((
            "invalid input: record 2 (line 2) is longer than 1000 bytes (the record cap; raise it with `max_record_bytes`)".to_owned(),
            Some(Limit::ValueSize)
        ))
    );
    assert_eq!(got[2], Ok(small.clone()));

    let bytes = wrangler(&[small.clone(), big, small]);
    let got = errors(WranglerJsonReader::new(&bytes[..]).max_record_bytes(1000));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("invalid input: record 2 (line 3) is longer than 1000 bytes"));

    // The default cap admits the largest value in base64, with room for a long key and
    // metadata.
    let line = r#"{"key":"","value":"","base64":true,"metadata":}"#.len()
        + 512 * 6
        + kv_proto::limits::MAX_VALUE_BYTES.div_ceil(3) * 4
        + 1024 * 6;
    assert!(line < DEFAULT_MAX_RECORD_BYTES);
    // A value one byte over 25 MiB is an error about the value (not the record cap).
    let over = Record::new("m", vec![b'x'; kv_proto::limits::MAX_VALUE_BYTES + 1]);
    let e = errors(NdjsonReader::new(&ndjson(&[over])[..]));
    assert_eq!(
        e,
        [
            "invalid input: record 1 (line 1): `value` is 26214401 bytes; the limit is 26214400 (25 MiB)"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Streaming.

/// Generates `n` NDJSON or array records on demand and counts the bytes handed out.
struct Generated {
    n: u64,
    next: u64,
    array: bool,
    pending: Vec<u8>,
    at: usize,
    produced: Rc<Cell<u64>>,
}

fn generated_record(i: u64) -> Record {
    let value = if i.is_multiple_of(3) {
        vec![0xff, (i % 251) as u8, 0]
    } else {
        format!("value {i} {}", "x".repeat((i % 50) as usize)).into_bytes()
    };
    Record::from_parts(
        format!("key/{i:08}"),
        value,
        Some(json!({"i": i})),
        Some(1_900_000_000 + i),
    )
}

/// The bytes of record `i` in the stream, separator included.
fn generated_bytes(i: u64, n: u64, array: bool) -> Vec<u8> {
    let mut out = if array {
        if i == 0 {
            b"[\n".to_vec()
        } else {
            b",\n".to_vec()
        }
    } else {
        Vec::new()
    };
    let line = ndjson(&[generated_record(i)]);
    if array {
        out.extend_from_slice(&line[..line.len() - 1]);
        if i + 1 == n {
            out.extend_from_slice(b"\n]\n");
        }
    } else {
        out.extend_from_slice(&line);
    }
    out
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.pending.len() {
            if self.next == self.n {
                return Ok(0);
            }
            self.pending = generated_bytes(self.next, self.n, self.array);
            self.at = 0;
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        self.produced.set(self.produced.get() + n as u64);
        Ok(n)
    }
}

/// Reads 100,000 generated records and checks, at every record, that the reader has pulled
/// at most one buffer (64 KiB) beyond the end of that record: it streams, and holds at most
/// one buffer and one record.
fn streams(array: bool) {
    const N: u64 = 100_000;
    const SLACK: u64 = 64 * 1024;
    let produced = Rc::new(Cell::new(0));
    let input = Generated {
        n: N,
        next: 0,
        array,
        pending: Vec::new(),
        at: 0,
        produced: produced.clone(),
    };
    let mut reader = ImportReader::detect(input).unwrap();
    let mut end = 0u64;
    let mut count = 0u64;
    for (i, item) in reader.by_ref().enumerate() {
        let i = i as u64;
        let record = item.unwrap();
        assert_eq!(record.position().unwrap().record, i + 1);
        if i.is_multiple_of(997) {
            assert_eq!(record, generated_record(i));
        }
        end += generated_bytes(i, N, array).len() as u64;
        assert!(
            produced.get() <= end + SLACK,
            "record {i}: pulled {} bytes, the record ends at {end}",
            produced.get()
        );
        count += 1;
    }
    assert_eq!(count, N);
    assert_eq!(reader.bytes_read(), end);
    assert_eq!(reader.bytes_read(), produced.get());
}

#[test]
fn ndjson_100k_records_stream() {
    streams(false);
}

#[test]
fn wrangler_100k_records_stream() {
    streams(true);
}

/// Counts what reaches the underlying writer.
struct Counting(Rc<Cell<u64>>);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.set(self.0.get() + buf.len() as u64);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn writers_stream_too() {
    let seen = Rc::new(Cell::new(0));
    let mut w = WranglerJsonWriter::new(Counting(seen.clone()));
    let mut total = 0u64;
    for i in 0..20_000 {
        let bytes = generated_bytes(i, 20_000, true);
        total += bytes.len() as u64;
        w.write(&generated_record(i)).unwrap();
        // Everything but one buffer has gone out.
        assert!(seen.get() + 64 * 1024 >= total);
    }
    assert_eq!(w.records_written(), 20_000);
    w.finish().unwrap();
    assert_eq!(seen.get(), total); // the last record's bytes include "\n]\n"
}

// ---------------------------------------------------------------------------------------
// Detection.

#[test]
fn detection() {
    let rec = Record::new("a", b"1".to_vec());
    let nd = ndjson(std::slice::from_ref(&rec));
    let arr = wrangler(std::slice::from_ref(&rec));
    for (prefix, bom) in [
        (&b""[..], false),
        (&b"  \n\t\r\n"[..], false),
        (&b"\n"[..], true),
    ] {
        for (body, is_array) in [(&nd, false), (&arr, true)] {
            let mut input = if bom {
                b"\xEF\xBB\xBF".to_vec()
            } else {
                Vec::new()
            };
            input.extend_from_slice(prefix);
            input.extend_from_slice(body);
            let r = ImportReader::detect(OneByte(&input[..])).unwrap();
            assert_eq!(matches!(r, ImportReader::WranglerJson(_)), is_array);
            let records = all(r);
            assert_eq!(records, std::slice::from_ref(&rec));
            // Line numbers count from the start of the input.
            let newlines = prefix.iter().filter(|&&b| b == b'\n').count() as u64;
            let want = newlines + 1 + u64::from(is_array);
            assert_eq!(records[0].position().unwrap().line, want);
        }
    }
    assert!(all(ImportReader::detect(&b""[..]).unwrap()).is_empty());
    for bad in [
        &b"key,value\n"[..],
        b"\"a\"",
        b"\xEF\xBB",
        b"\xEF\xBB\xBFx",
        b"  12",
    ] {
        let e = ImportReader::detect(bad).err().unwrap();
        assert!(e.to_string().contains("not an import"), "{e}");
        assert_eq!(e.limit(), Some(Limit::Config));
    }
    let e = ImportReader::detect(&b"\n\n x"[..]).err().unwrap();
    assert!(
        e.to_string()
            .starts_with("invalid input: line 3: not an import"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Key listings.

#[test]
fn key_listings_from_wrangler_and_plain_arrays() {
    // What `wrangler kv key list` prints (JSON.stringify(keys, null, 2)).
    let listing = br#"[
  {
    "name": "user/1",
    "expiration": 1900000000,
    "metadata": {"owner": "ops", "tags": ["a", "b"]}
  },
  {
    "name": "user/2"
  }
]"#;
    let keys = all(KeyListReader::new(OneByte(&listing[..])));
    assert_eq!(keys, ["user/1", "user/2"]);
    let op = BulkDelete::new(NamespaceId::new("ns1").unwrap(), keys).unwrap();
    assert_eq!(op.keys().len(), 2);

    assert_eq!(
        all(KeyListReader::new(&br#"["a","b/c","\u00e9"]"#[..])),
        ["a", "b/c", "é"]
    );
    assert_eq!(
        all(KeyListReader::new(&br#"["a",{"name":"b"}, "c"]"#[..])),
        ["a", "b", "c"]
    );
    assert!(all(KeyListReader::new(&b"[]"[..])).is_empty());

    let input =
        br#"["ok", {"name": 5}, {"name": "a", "name": "b"}, "..", null, {"name": "LONG"}, 7]"#;
    let input = String::from_utf8(input.to_vec())
        .unwrap()
        .replace("LONG", &"SECRET".repeat(90));
    let got = errors(KeyListReader::new(input.as_bytes()));
    assert_eq!(
        got,
        [
            "invalid input: record 2 (line 1): `name` must be a string, found a number",
            "invalid input: record 3 (line 1): `name` appears twice",
            "invalid input: record 4 (line 1): `key` is `.` or `..`, which are not allowed",
            "invalid input: record 5 (line 1) is null; expected a key name or an object with a `name`",
            "invalid input: record 6 (line 1): `key` is 540 bytes of UTF-8; the limit is 512",
            "invalid input: record 7 (line 1) is a number; expected an object or a string",
        ]
    );
    assert_eq!(
        errors(KeyListReader::new(&b"{\"name\":\"a\"}"[..])),
        ["invalid input: line 1: not a JSON array (it does not start with `[`)"]
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in [&b"["[..], b"{\"a\":"] {
        let deep = open.repeat(100_000);
        for input in [
            [&b"["[..], &deep].concat(),
            [&b"[{\"key\":\"k\",\"value\":\"v\",\"metadata\":"[..], &deep].concat(),
            [&b"{\"key\":\"k\",\"value\":\"v\",\"metadata\":"[..], &deep].concat(),
        ] {
            drain_all(&input);
            let e = match ImportReader::detect(&input[..]) {
                Ok(mut r) => r.next().unwrap().unwrap_err(),
                Err(e) => e,
            };
            // serde_json's recursion limit, or (for the skipped inside of a non-record
            // array) the end of the input: either way an error, never a stack overflow.
            let msg = e.to_string();
            assert!(
                msg.contains("recursion limit exceeded") || msg.contains("EOF while parsing"),
                "{msg}"
            );
            assert_eq!(e.limit(), Some(Limit::Config));
        }
    }
}
