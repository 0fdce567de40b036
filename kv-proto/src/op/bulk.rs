//! Bulk routes: write (`PUT .../bulk`), delete (`POST .../bulk/delete`, or the deprecated
//! `DELETE .../bulk`) and get (`POST .../bulk/get`).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use http::Method;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{JSON, Operation, json_content_type, to_json};
use crate::endpoint::Endpoint;
use crate::envelope::{decode_optional, decode_required};
use crate::error::{Error, Limit};
use crate::ids::{Expiration, Key, MAX_VALUE_BYTES, Metadata, NamespaceId, check_value_len};

/// Most items in one bulk write or bulk delete.
///
/// ```
/// use kv_proto::{BulkDelete, Key, Limit, NamespaceId, MAX_BULK_ITEMS};
/// let keys: Vec<Key> = (0..=MAX_BULK_ITEMS).map(|i| Key::new(i.to_string())).collect::<Result<_, _>>()?;
/// let err = BulkDelete::new(NamespaceId::new("ns1")?, keys).unwrap_err();
/// assert_eq!(err.limit(), Some(Limit::BulkDeleteCount));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_ITEMS: usize = 10_000;
/// Most keys in one bulk get.
///
/// ```
/// use kv_proto::{BulkGet, Key, NamespaceId, MAX_BULK_GET_KEYS};
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
/// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId, MAX_BULK_WRITE_BODY_BYTES};
/// let op = BulkWrite::new(NamespaceId::new("ns1")?, vec![BulkWriteItem::text(Key::new("a")?, "1")?])?;
/// assert!(op.body_len() <= MAX_BULK_WRITE_BODY_BYTES);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_WRITE_BODY_BYTES: usize = 100_000_000;
/// Response cap for [`BulkWrite`] and [`BulkDelete`]: 16 MiB (a result listing all 10,000
/// keys of 512 bytes as unsuccessful, with room for JSON escaping).
///
/// ```
/// use kv_proto::{BulkDelete, Key, NamespaceId, Operation, MAX_BULK_RESULT_RESPONSE};
/// let op = BulkDelete::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
/// assert_eq!(op.max_response_bytes(), MAX_BULK_RESULT_RESPONSE);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_BULK_RESULT_RESPONSE: u64 = 16 << 20;
/// Response cap for [`BulkGet`]: 32 MiB (the server refuses answers over 25 MB with a 413;
/// the rest is room for the envelope, metadata and JSON escaping).
///
/// ```
/// use kv_proto::{BulkGet, Key, NamespaceId, Operation, MAX_BULK_GET_RESPONSE};
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

fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut c = Counter(0);
    // Writing our own plain structures into a counter cannot fail.
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

/// The length of `s` as a JSON string, quotes included, as serde_json writes it. Strings with
/// nothing to escape (no `"`, backslash or control character) are measured without writing them.
fn json_str_len(s: &str) -> usize {
    // No early exit, so the loop vectorizes (most values have nothing to escape).
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain { s.len() + 2 } else { json_len(s) }
}

/// Decimal digits of `n`.
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// One pair of a [`BulkWrite`].
///
/// The fields are public for reading and pattern matching; [`BulkWrite::new`] checks them
/// again, so an item edited by hand cannot break a limit unnoticed.
///
/// ```
/// use kv_proto::{BulkWriteItem, Expiration, Key, Metadata};
///
/// let text = BulkWriteItem::text(Key::new("a")?, "hello")?
///     .expiration(Expiration::ttl(600)?)
///     .metadata(Metadata::new(serde_json::json!({"v": 1}))?);
/// let bin = BulkWriteItem::binary(Key::new("b")?, &[0, 255])?;
/// assert_eq!(bin.value, "AP8=");
/// assert!(bin.base64);
/// // `{"key":"b","value":"AP8=","base64":true}` plus a comma:
/// assert_eq!(bin.encoded_len(), 41);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct BulkWriteItem {
    /// The key.
    pub key: Key,
    /// The value: UTF-8 text, or base64 when `base64` is true.
    pub value: String,
    /// Whether the server should base64-decode `value` before storing it.
    pub base64: bool,
    /// When the key should expire (`expiration` or `expiration_ttl` on the wire).
    pub expiration: Option<Expiration>,
    /// Metadata to store with the value.
    pub metadata: Option<Metadata>,
}

impl fmt::Debug for BulkWriteItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values can be 25 MiB: print their size, not their text.
        f.debug_struct("BulkWriteItem")
            .field("key", &self.key)
            .field("value_len", &self.value.len())
            .field("base64", &self.base64)
            .field("expiration", &self.expiration)
            .field("metadata", &self.metadata)
            .finish()
    }
}

#[derive(Serialize)]
struct WireItem<'a> {
    key: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    base64: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_ttl: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
}

/// The base64 length of `MAX_VALUE_BYTES` bytes.
const MAX_BASE64_CHARS: usize = MAX_VALUE_BYTES.div_ceil(3) * 4;

impl BulkWriteItem {
    /// A text value (stored as its UTF-8 bytes).
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, Key};
    /// let item = BulkWriteItem::text(Key::new("a")?, "héllo")?;
    /// assert_eq!(item.value, "héllo");
    /// assert!(!item.base64);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::ValueSize`] if the text is over 25 MiB.
    pub fn text(key: Key, value: impl Into<String>) -> Result<BulkWriteItem, Error> {
        let value = value.into();
        check_value_len(value.len())?;
        Ok(BulkWriteItem {
            key,
            value,
            base64: false,
            expiration: None,
            metadata: None,
        })
    }

    /// A binary value, sent base64-encoded with `base64: true`. The 25 MiB limit applies to
    /// the bytes, not to their encoding.
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, Key};
    /// let item = BulkWriteItem::binary(Key::new("a")?, b"hi")?;
    /// assert_eq!(item.value, "aGk=");
    /// assert!(item.base64);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::ValueSize`] if the bytes are over 25 MiB.
    pub fn binary(key: Key, value: &[u8]) -> Result<BulkWriteItem, Error> {
        check_value_len(value.len())?;
        Ok(BulkWriteItem {
            key,
            value: base64::engine::general_purpose::STANDARD.encode(value),
            base64: true,
            expiration: None,
            metadata: None,
        })
    }

    /// Stores metadata with the value.
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, Key, Metadata};
    /// let m = Metadata::new(serde_json::json!({"v": 1}))?;
    /// let item = BulkWriteItem::text(Key::new("a")?, "x")?.metadata(m.clone());
    /// assert_eq!(item.metadata, Some(m));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> BulkWriteItem {
        self.metadata = Some(metadata);
        self
    }

    /// Makes the key expire.
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, Expiration, Key};
    /// let item = BulkWriteItem::text(Key::new("a")?, "x")?.expiration(Expiration::at(1_900_000_000));
    /// assert_eq!(item.expiration, Some(Expiration::At(1_900_000_000)));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn expiration(mut self, expiration: Expiration) -> BulkWriteItem {
        self.expiration = Some(expiration);
        self
    }

    fn wire(&self) -> WireItem<'_> {
        let (expiration, expiration_ttl) = match self.expiration {
            Some(Expiration::At(t)) => (Some(t), None),
            Some(Expiration::Ttl(s)) => (None, Some(s)),
            None => (None, None),
        };
        WireItem {
            key: self.key.as_str(),
            value: &self.value,
            base64: self.base64,
            expiration,
            expiration_ttl,
            metadata: self.metadata.as_ref(),
        }
    }

    /// The exact number of bytes this item adds to a bulk write body: its JSON object plus
    /// one separator. A body of items `a, b, ...` is `1 + Σ encoded_len` bytes long (the
    /// brackets add 2, the n - 1 commas the rest).
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, Key};
    /// let item = BulkWriteItem::text(Key::new("a")?, "1")?;
    /// assert_eq!(item.encoded_len(), r#"{"key":"a","value":"1"}"#.len() + 1);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn encoded_len(&self) -> usize {
        // Field by field, in `WireItem`'s order; only strings that need escaping and the
        // metadata go through serde_json's writer (into a byte counter).
        let mut len = r#"{"key":,"value":}"#.len()
            + json_str_len(self.key.as_str())
            + json_str_len(&self.value);
        if self.base64 {
            len += r#","base64":true"#.len();
        }
        match self.expiration {
            Some(Expiration::At(t)) => len += r#","expiration":"#.len() + decimal_len(t),
            Some(Expiration::Ttl(t)) => len += r#","expiration_ttl":"#.len() + decimal_len(t),
            None => {}
        }
        if let Some(m) = &self.metadata {
            len += r#","metadata":"#.len() + json_len(m);
        }
        len + 1
    }

    /// Checks the limits an item edited by hand could break (value size, TTL).
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.base64 {
            if self.value.len() > MAX_BASE64_CHARS {
                return Err(Error::invalid_input(
                    Limit::ValueSize,
                    format!(
                        "the base64 value of {:?} is {} characters; the limit is {MAX_BASE64_CHARS} (25 MiB encoded)",
                        self.key.as_str(),
                        self.value.len()
                    ),
                ));
            }
        } else {
            check_value_len(self.value.len())?;
        }
        if let Some(e) = self.expiration {
            e.validate()?;
        }
        Ok(())
    }
}

/// The result of [`BulkWrite`] and [`BulkDelete`]. The request can succeed (HTTP 200) while
/// some keys failed: retry `unsuccessful_keys`.
///
/// Lenient: `3.0` is accepted for a count; absent (or `null`) fields are 0 / empty.
///
/// ```
/// let r: kv_proto::BulkResult = serde_json::from_str(r#"{"successful_key_count":3.0}"#).unwrap();
/// assert_eq!((r.successful_key_count, r.unsuccessful_keys.len()), (3, 0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    /// How many keys were written or deleted.
    #[serde(default, deserialize_with = "crate::de::u64_lenient")]
    pub successful_key_count: u64,
    /// Keys that were not fully written or deleted; they should be retried.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub unsuccessful_keys: Vec<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

fn parse_bulk_result(response: &http::Response<&[u8]>) -> Result<BulkResult, Error> {
    // An older API answered bulk writes with no result; that reports no failed key.
    Ok(decode_optional::<BulkResult>(response)?.unwrap_or_default())
}

fn check_count(limit: Limit, what: &str, n: usize, max: usize) -> Result<(), Error> {
    if n == 0 || n > max {
        return Err(Error::invalid_input(
            limit,
            format!("{what} has {n} items; it must have 1..={max}"),
        ));
    }
    Ok(())
}

/// `PUT .../namespaces/{namespace}/bulk`: writes up to 10,000 pairs in one request.
///
/// The body is a JSON array of `{key, value, base64?, expiration?, expiration_ttl?,
/// metadata?}` (`base64` only when true). Output [`BulkResult`]; response cap:
/// [`MAX_BULK_RESULT_RESPONSE`].
///
/// ```
/// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId};
///
/// let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?];
/// let op = BulkWrite::new(NamespaceId::new("ns1")?, items)?;
/// assert_eq!(op.body_len(), 1 + r#"{"key":"a","value":"1"}"#.len() + 1);
/// assert!(BulkWrite::new(NamespaceId::new("ns1")?, vec![]).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BulkWrite {
    namespace: NamespaceId,
    /// Shared with the bulk write plan, which keeps the batch to re-send unsuccessful keys.
    items: Arc<Vec<BulkWriteItem>>,
    body_len: usize,
}

impl BulkWrite {
    /// Writes `items` to `namespace`.
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = BulkWrite::new(NamespaceId::new("ns1")?, vec![BulkWriteItem::text(Key::new("a")?, "1")?])?;
    /// let req = op.request(&ep);
    /// assert_eq!(req.method(), http::Method::PUT);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/bulk"));
    /// assert_eq!(req.body(), br#"[{"key":"a","value":"1"}]"#);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::BulkWriteCount`] unless there are 1..=10,000 items; [`Limit::BulkWriteBytes`]
    /// if the body would exceed 100,000,000 bytes; [`Limit::ValueSize`] /
    /// [`Limit::ExpirationTtl`] for an item edited by hand past a limit.
    pub fn new(namespace: NamespaceId, items: Vec<BulkWriteItem>) -> Result<BulkWrite, Error> {
        check_count(
            Limit::BulkWriteCount,
            "a bulk write",
            items.len(),
            MAX_BULK_ITEMS,
        )?;
        let mut body_len = 1usize;
        for item in &items {
            item.check()?;
            body_len = body_len.saturating_add(item.encoded_len());
        }
        if body_len > MAX_BULK_WRITE_BODY_BYTES {
            return Err(Error::invalid_input(
                Limit::BulkWriteBytes,
                format!(
                    "the bulk write body would be {body_len} bytes; the limit is {MAX_BULK_WRITE_BODY_BYTES}"
                ),
            ));
        }
        Ok(BulkWrite {
            namespace,
            items: Arc::new(items),
            body_len,
        })
    }

    /// A bulk write from items already checked one by one ([`BulkWriteItem::check`]) whose
    /// body length `body_len` (`1 + Σ encoded_len`) is already known to be within
    /// 1..=10,000 items and [`MAX_BULK_WRITE_BODY_BYTES`]. Used by the bulk write plan, which
    /// measures every item once when it forms a batch, and shares the items (no copy).
    pub(crate) fn from_checked(
        namespace: NamespaceId,
        items: Arc<Vec<BulkWriteItem>>,
        body_len: usize,
    ) -> BulkWrite {
        BulkWrite {
            namespace,
            items,
            body_len,
        }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId};
    /// let op = BulkWrite::new(NamespaceId::new("ns1")?, vec![BulkWriteItem::text(Key::new("a")?, "1")?])?;
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The items, in order.
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId};
    /// let op = BulkWrite::new(NamespaceId::new("ns1")?, vec![BulkWriteItem::text(Key::new("a")?, "1")?])?;
    /// assert_eq!(op.items()[0].value, "1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn items(&self) -> &[BulkWriteItem] {
        &self.items
    }

    /// The keys, in order.
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId};
    /// let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?, BulkWriteItem::text(Key::new("b")?, "2")?];
    /// let op = BulkWrite::new(NamespaceId::new("ns1")?, items)?;
    /// assert_eq!(op.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.items.iter().map(|i| &i.key)
    }

    /// Gives the items back (a copy if they are still shared, e.g. with a clone of this
    /// operation).
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId};
    /// let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?];
    /// let op = BulkWrite::new(NamespaceId::new("ns1")?, items.clone())?;
    /// assert_eq!(op.into_items(), items);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn into_items(self) -> Vec<BulkWriteItem> {
        Arc::try_unwrap(self.items).unwrap_or_else(|shared| shared.as_ref().clone())
    }

    /// The exact length of the request body in bytes.
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWriteItem, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = BulkWrite::new(NamespaceId::new("ns1")?, vec![BulkWriteItem::text(Key::new("a")?, "1")?])?;
    /// assert_eq!(op.body_len(), op.request(&ep).body().len());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn body_len(&self) -> usize {
        self.body_len
    }
}

impl Operation for BulkWrite {
    type Output = BulkResult;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let mut body = Vec::with_capacity(self.body_len);
        body.push(b'[');
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            // Writing into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut body, &item.wire());
        }
        body.push(b']');
        endpoint.build_request(
            Method::PUT,
            endpoint.namespace_url(&self.namespace, "/bulk"),
            &[],
            JSON,
            json_content_type(),
            body,
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_BULK_RESULT_RESPONSE
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkResult, Error> {
        parse_bulk_result(&response)
    }
}

/// `POST .../namespaces/{namespace}/bulk/delete` with a JSON array of up to 10,000 keys.
///
/// [`BulkDelete::legacy_delete_method`] sends the deprecated `DELETE .../bulk` instead (same
/// body, same result). Output [`BulkResult`]; response cap: [`MAX_BULK_RESULT_RESPONSE`].
///
/// ```
/// use kv_proto::{BulkDelete, Key, NamespaceId};
/// let op = BulkDelete::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("b")?])?;
/// assert_eq!(op.keys().len(), 2);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDelete {
    namespace: NamespaceId,
    /// Shared with the bulk delete plan, which keeps the batch to re-send unsuccessful keys.
    keys: Arc<Vec<Key>>,
    legacy: bool,
}

impl BulkDelete {
    /// Deletes `keys` (missing keys are not an error).
    ///
    /// ```
    /// use kv_proto::{BulkDelete, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// # let keys = vec![kv_proto::Key::new("a")?, kv_proto::Key::new("b")?];
    /// let req = BulkDelete::new(NamespaceId::new("ns1")?, keys)?.request(&ep);
    /// assert_eq!(req.method(), http::Method::POST);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/bulk/delete"));
    /// assert_eq!(req.body(), br#"["a","b"]"#);
    /// assert!(BulkDelete::new(NamespaceId::new("ns1")?, vec![]).is_err());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::BulkDeleteCount`] unless there are 1..=10,000 keys.
    pub fn new(namespace: NamespaceId, keys: Vec<Key>) -> Result<BulkDelete, Error> {
        BulkDelete::from_shared(namespace, Arc::new(keys))
    }

    /// A bulk delete of keys shared with the bulk delete plan (no copy).
    pub(crate) fn from_shared(
        namespace: NamespaceId,
        keys: Arc<Vec<Key>>,
    ) -> Result<BulkDelete, Error> {
        check_count(
            Limit::BulkDeleteCount,
            "a bulk delete",
            keys.len(),
            MAX_BULK_ITEMS,
        )?;
        Ok(BulkDelete {
            namespace,
            keys,
            legacy: false,
        })
    }

    /// Sends the deprecated `DELETE .../bulk` (used by wrangler and older clients).
    ///
    /// ```
    /// use kv_proto::{BulkDelete, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = BulkDelete::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?.legacy_delete_method();
    /// let req = op.request(&ep);
    /// assert_eq!(req.method(), http::Method::DELETE);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/bulk"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn legacy_delete_method(mut self) -> BulkDelete {
        self.legacy = true;
        self
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, Key, NamespaceId};
    /// let op = BulkDelete::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The keys, in order.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, NamespaceId};
    /// # let keys = vec![kv_proto::Key::new("a")?, kv_proto::Key::new("b")?];
    /// let op = BulkDelete::new(NamespaceId::new("ns1")?, keys.clone())?;
    /// assert_eq!(op.keys(), &keys[..]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}

impl Operation for BulkDelete {
    type Output = BulkResult;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let (method, suffix) = if self.legacy {
            (Method::DELETE, "/bulk")
        } else {
            (Method::POST, "/bulk/delete")
        };
        // Sized for every key quoted, the commas and the brackets: exact unless a key needs
        // escaping, so a 10,000-key body (up to 5 MB) is not grown and copied a dozen times.
        let quoted: usize = self.keys.iter().map(|k| k.as_str().len() + 3).sum();
        let mut body = Vec::with_capacity(quoted + 1);
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut body, self.keys.as_slice());
        endpoint.build_request(
            method,
            endpoint.namespace_url(&self.namespace, suffix),
            &[],
            JSON,
            json_content_type(),
            body,
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_BULK_RESULT_RESPONSE
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkResult, Error> {
        parse_bulk_result(&response)
    }
}

/// How a bulk get decodes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BulkType {
    Text,
    Json,
}

/// `POST .../namespaces/{namespace}/bulk/get`: up to 100 text or JSON values in one request.
///
/// Body: `{"keys":[...],"type":"text"|"json","withMetadata":bool}` (note the camelCase).
/// Values must be text; read binary values with [`crate::GetValue`]. Output
/// [`BulkGetResult`]; response cap: [`MAX_BULK_GET_RESPONSE`].
///
/// ```
/// use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
///
/// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"gone":null,"a":"x"}}}"#;
/// let out = op.parse(http::Response::new(&body[..]))?;
/// assert_eq!(out.get("a").and_then(BulkValue::as_text), Some("x"));
/// assert!(out.get("gone").is_some_and(BulkValue::is_missing));
/// assert_eq!(out.missing().collect::<Vec<_>>(), ["gone"]);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkGet {
    namespace: NamespaceId,
    /// Shared with the bulk get plan (no copy).
    keys: Arc<Vec<Key>>,
    /// No key appears twice in `keys`: `parse` can pair the answer positionally without
    /// first removing duplicates (a function of `keys`, so `PartialEq` stays consistent).
    distinct: bool,
    kind: BulkType,
    with_metadata: bool,
}

#[derive(Serialize)]
struct BulkGetBody<'a> {
    keys: &'a [Key],
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "withMetadata")]
    with_metadata: bool,
}

impl BulkGet {
    /// Reads `keys` as text, without metadata.
    ///
    /// ```
    /// use kv_proto::{BulkGet, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// # let keys = vec![kv_proto::Key::new("a")?, kv_proto::Key::new("b")?];
    /// let req = BulkGet::new(NamespaceId::new("ns1")?, keys)?.request(&ep);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/bulk/get"));
    /// assert_eq!(req.body(), br#"{"keys":["a","b"],"type":"text","withMetadata":false}"#);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::BulkGetCount`] unless there are 1..=100 keys.
    pub fn new(namespace: NamespaceId, keys: Vec<Key>) -> Result<BulkGet, Error> {
        let mut seen = HashSet::with_capacity(keys.len());
        let distinct = keys.iter().all(|k| seen.insert(k.as_str()));
        BulkGet::from_shared(namespace, Arc::new(keys), distinct)
    }

    /// A bulk get of keys shared with the bulk get plan, which has already removed
    /// duplicates (`distinct` must be true only if no key appears twice).
    pub(crate) fn from_shared(
        namespace: NamespaceId,
        keys: Arc<Vec<Key>>,
        distinct: bool,
    ) -> Result<BulkGet, Error> {
        check_count(
            Limit::BulkGetCount,
            "a bulk get",
            keys.len(),
            MAX_BULK_GET_KEYS,
        )?;
        Ok(BulkGet {
            namespace,
            keys,
            distinct,
            kind: BulkType::Text,
            with_metadata: false,
        })
    }

    /// Decode values as JSON (`"type":"json"`). The server fails the whole request (400) if
    /// any requested value is not valid JSON. The request also carries `"withMetadata":true`,
    /// so that a stored JSON `null` stays distinguishable from a missing key; the metadata is
    /// dropped from the result unless [`BulkGet::with_metadata`] asked for it.
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?.json();
    /// assert!(op.is_json());
    /// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":{"n":1},"metadata":null}}}}"#;
    /// let out = op.parse(http::Response::new(&body[..]))?;
    /// assert_eq!(out.get("a"), Some(&BulkValue::Json(serde_json::json!({"n": 1}))));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn json(mut self) -> BulkGet {
        self.kind = BulkType::Json;
        self
    }

    /// Values as strings (`"type":"text"`, the default).
    ///
    /// ```
    /// use kv_proto::{BulkGet, Key, NamespaceId};
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?.json().text();
    /// assert!(!op.is_json());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn text(mut self) -> BulkGet {
        self.kind = BulkType::Text;
        self
    }

    /// Also return each key's metadata and expiry (`"withMetadata":true`).
    ///
    /// ```
    /// use kv_proto::{BulkGet, Key, NamespaceId, Operation};
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?.with_metadata();
    /// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":{"value":"x","metadata":{"v":1},"expiration":1900000000}}}}"#;
    /// let out = op.parse(http::Response::new(&body[..]))?;
    /// let a = out.get("a").unwrap();
    /// assert_eq!(a.as_text(), Some("x"));
    /// assert_eq!(a.metadata(), Some(&serde_json::json!({"v": 1})));
    /// assert_eq!(a.expiration(), Some(1_900_000_000));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_metadata(mut self) -> BulkGet {
        self.with_metadata = true;
        self
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{BulkGet, Key, NamespaceId};
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The keys, in order.
    ///
    /// ```
    /// use kv_proto::{BulkGet, NamespaceId};
    /// # let keys = vec![kv_proto::Key::new("a")?, kv_proto::Key::new("b")?];
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, keys.clone())?;
    /// assert_eq!(op.keys(), &keys[..]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Whether values are decoded as JSON.
    ///
    /// ```
    /// use kv_proto::{BulkGet, Key, NamespaceId};
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
    /// assert!(!op.is_json());
    /// assert!(op.json().is_json());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_json(&self) -> bool {
        self.kind == BulkType::Json
    }

    /// Whether metadata is requested.
    ///
    /// ```
    /// use kv_proto::{BulkGet, Key, NamespaceId};
    /// let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?])?;
    /// assert!(!op.is_with_metadata());
    /// assert!(op.with_metadata().is_with_metadata());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_with_metadata(&self) -> bool {
        self.with_metadata
    }

    /// What goes on the wire as `withMetadata`. JSON reads always ask for metadata: without
    /// it the server answers `null` both for a missing key and for a key whose stored JSON is
    /// `null`, and the two must stay distinguishable. The metadata is dropped again in
    /// [`Operation::parse`] unless [`BulkGet::with_metadata`] asked for it.
    fn wire_with_metadata(&self) -> bool {
        self.with_metadata || self.kind == BulkType::Json
    }
}

impl Operation for BulkGet {
    type Output = BulkGetResult;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let body = to_json(&BulkGetBody {
            keys: &self.keys,
            kind: match self.kind {
                BulkType::Text => "text",
                BulkType::Json => "json",
            },
            with_metadata: self.wire_with_metadata(),
        });
        endpoint.build_request(
            Method::POST,
            endpoint.namespace_url(&self.namespace, "/bulk/get"),
            &[],
            JSON,
            json_content_type(),
            body,
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_BULK_GET_RESPONSE
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkGetResult, Error> {
        // The distinct keys in request order, one slot each (shared with the result: no
        // per-key copy when the keys are already distinct).
        let keys: Arc<Vec<Key>> = if self.distinct {
            Arc::clone(&self.keys)
        } else {
            let mut seen = HashSet::with_capacity(self.keys.len());
            Arc::new(
                self.keys
                    .iter()
                    .filter(|k| seen.insert(k.as_str()))
                    .cloned()
                    .collect(),
            )
        };
        let seed = ResultSeed(ValuesSeed {
            keys: &keys,
            entry: EntrySeed {
                kind: self.kind,
                with_metadata: self.wire_with_metadata(),
            },
        });
        let (slots, _) = decode_required(&response, seed)?;
        // Metadata fetched only to tell a stored `null` from a missing key is dropped again.
        let strip = self.wire_with_metadata() && !self.with_metadata;
        let values = slots
            .into_iter()
            .map(|v| match v {
                Some(BulkValue::WithMetadata {
                    value: BulkPayload::Json(json),
                    ..
                }) if strip => BulkValue::Json(json),
                other => other.unwrap_or(BulkValue::Missing),
            })
            .collect();
        Ok(BulkGetResult { keys, values })
    }
}

/// A value of a [`BulkValue::WithMetadata`] entry.
///
/// ```
/// use kv_proto::{BulkPayload, BulkValue};
/// let v = BulkValue::WithMetadata { value: BulkPayload::Json(serde_json::Value::Null), metadata: None, expiration: None };
/// assert!(!v.is_missing());
/// assert_eq!(v.as_json(), Some(&serde_json::Value::Null));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkPayload {
    /// The value as text (`type: text`).
    Text(String),
    /// The value parsed as JSON (`type: json`); may be `Null` for a stored JSON `null`.
    Json(serde_json::Value),
}

/// What a bulk get returned for one requested key.
///
/// **Missing vs `null`.** A missing (or expired) key is always [`BulkValue::Missing`]; a key
/// whose stored JSON is `null` is `Json(Value::Null)` (or `WithMetadata` with a
/// `BulkPayload::Json(Value::Null)` value). Without metadata the wire would answer `null` for
/// both, so a JSON bulk get always sends `"withMetadata": true` and drops the metadata again
/// when it was not asked for (a little more response, at most 1 KiB per key).
///
/// ```
/// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
/// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
/// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
/// # let out = op.parse(http::Response::new(&body[..]))?;
/// assert_eq!(out.get("a"), Some(&BulkValue::Text("x".into())));
/// assert_eq!(out.get("gone"), Some(&BulkValue::Missing));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkValue {
    /// The key does not exist (or has expired), or the server left it out of `values`.
    Missing,
    /// A text value (`type: text`, no metadata).
    Text(String),
    /// A JSON value (`type: json`, no metadata); `Null` for a stored JSON `null`.
    Json(serde_json::Value),
    /// A value with its metadata (`withMetadata: true`).
    WithMetadata {
        /// The value.
        value: BulkPayload,
        /// The key's metadata, or `None` if it has none.
        metadata: Option<serde_json::Value>,
        /// Absolute expiry in seconds since the Unix epoch, if the key expires.
        expiration: Option<u64>,
    },
}

impl BulkValue {
    /// True for [`BulkValue::Missing`].
    ///
    /// ```
    /// use kv_proto::BulkValue;
    /// assert!(BulkValue::Missing.is_missing());
    /// assert!(!BulkValue::Text(String::new()).is_missing());
    /// ```
    pub fn is_missing(&self) -> bool {
        matches!(self, BulkValue::Missing)
    }

    /// The text of a text value (with or without metadata).
    ///
    /// ```
    /// use kv_proto::BulkValue;
    /// assert_eq!(BulkValue::Text("x".into()).as_text(), Some("x"));
    /// assert_eq!(BulkValue::Json(serde_json::json!("x")).as_text(), None);
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            BulkValue::Text(s)
            | BulkValue::WithMetadata {
                value: BulkPayload::Text(s),
                ..
            } => Some(s),
            _ => None,
        }
    }

    /// The JSON of a JSON value (with or without metadata).
    ///
    /// ```
    /// use kv_proto::BulkValue;
    /// assert_eq!(BulkValue::Json(serde_json::json!([1])).as_json(), Some(&serde_json::json!([1])));
    /// assert_eq!(BulkValue::Missing.as_json(), None);
    /// ```
    pub fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            BulkValue::Json(v)
            | BulkValue::WithMetadata {
                value: BulkPayload::Json(v),
                ..
            } => Some(v),
            _ => None,
        }
    }

    /// The metadata, when requested and present.
    ///
    /// ```
    /// use kv_proto::{BulkPayload, BulkValue};
    /// let v = BulkValue::WithMetadata { value: BulkPayload::Text("x".into()), metadata: Some(serde_json::json!({"v": 1})), expiration: None };
    /// assert_eq!(v.metadata(), Some(&serde_json::json!({"v": 1})));
    /// assert_eq!(BulkValue::Text("x".into()).metadata(), None);
    /// ```
    pub fn metadata(&self) -> Option<&serde_json::Value> {
        match self {
            BulkValue::WithMetadata { metadata, .. } => metadata.as_ref(),
            _ => None,
        }
    }

    /// The expiry, when requested and set.
    ///
    /// ```
    /// use kv_proto::{BulkPayload, BulkValue};
    /// let v = BulkValue::WithMetadata { value: BulkPayload::Text("x".into()), metadata: None, expiration: Some(1_900_000_000) };
    /// assert_eq!(v.expiration(), Some(1_900_000_000));
    /// assert_eq!(BulkValue::Missing.expiration(), None);
    /// ```
    pub fn expiration(&self) -> Option<u64> {
        match self {
            BulkValue::WithMetadata { expiration, .. } => *expiration,
            _ => None,
        }
    }
}

/// The output of [`BulkGet`]: every requested key (once, in request order) with its
/// [`BulkValue`].
///
/// The server's `values` object may list keys in any order. Keys it returns that were not
/// requested are ignored; requested keys it leaves out are [`BulkValue::Missing`].
///
/// ```
/// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
/// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
/// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
/// # let out = op.parse(http::Response::new(&body[..]))?;
/// let pairs: Vec<(String, BulkValue)> = out.into_iter().collect();
/// assert_eq!(pairs[0], ("a".to_string(), BulkValue::Text("x".into())));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BulkGetResult {
    /// The distinct requested keys, in request order (shared with the [`BulkGet`]).
    keys: Arc<Vec<Key>>,
    /// `values[i]` is the value of `keys[i]`.
    values: Vec<BulkValue>,
}

impl fmt::Debug for BulkGetResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Iterator over `&BulkGetResult`: `(key, value)` in request order.
type Pairs<'a> = std::iter::Zip<
    std::iter::Map<std::slice::Iter<'a, Key>, fn(&'a Key) -> &'a str>,
    std::slice::Iter<'a, BulkValue>,
>;

impl BulkGetResult {
    /// The value for `key`; `None` if `key` was not requested.
    ///
    /// ```
    /// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
    /// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
    /// # let out = op.parse(http::Response::new(&body[..]))?;
    /// assert_eq!(out.get("a").and_then(BulkValue::as_text), Some("x"));
    /// assert_eq!(out.get("not-requested"), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn get(&self, key: &str) -> Option<&BulkValue> {
        let i = self.keys.iter().position(|k| k.as_str() == key)?;
        self.values.get(i)
    }

    /// Every requested key and its value, in request order.
    ///
    /// ```
    /// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
    /// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
    /// # let out = op.parse(http::Response::new(&body[..]))?;
    /// let keys: Vec<&str> = out.iter().map(|(k, _)| k).collect();
    /// assert_eq!(keys, ["a", "gone"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BulkValue)> {
        self.pairs()
    }

    fn pairs(&self) -> Pairs<'_> {
        let as_str: fn(&Key) -> &str = Key::as_str;
        self.keys.iter().map(as_str).zip(self.values.iter())
    }

    /// The requested keys that are missing, in request order.
    ///
    /// ```
    /// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
    /// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
    /// # let out = op.parse(http::Response::new(&body[..]))?;
    /// assert_eq!(out.missing().collect::<Vec<_>>(), ["gone"]);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.pairs().filter(|(_, v)| v.is_missing()).map(|(k, _)| k)
    }

    /// How many distinct keys were requested.
    ///
    /// ```
    /// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
    /// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
    /// # let out = op.parse(http::Response::new(&body[..]))?;
    /// assert_eq!(out.len(), 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True if no key was requested (never the case for a parsed result).
    ///
    /// ```
    /// # use kv_proto::{BulkGet, BulkValue, Key, NamespaceId, Operation};
    /// # let op = BulkGet::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("gone")?])?;
    /// # let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"x","gone":null}}}"#;
    /// # let out = op.parse(http::Response::new(&body[..]))?;
    /// assert!(!out.is_empty());
    /// assert!(kv_proto::BulkGetResult::default().is_empty());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The keys, shared with the operation that parsed the result.
    pub(crate) fn shared_keys(&self) -> &Arc<Vec<Key>> {
        &self.keys
    }

    /// The keys (shared with the operation that parsed the result) and their values, in the
    /// same order.
    pub(crate) fn into_parts(self) -> (Arc<Vec<Key>>, Vec<BulkValue>) {
        (self.keys, self.values)
    }
}

impl IntoIterator for BulkGetResult {
    type Item = (String, BulkValue);
    type IntoIter = std::vec::IntoIter<(String, BulkValue)>;

    fn into_iter(self) -> Self::IntoIter {
        let keys = Arc::try_unwrap(self.keys).unwrap_or_else(|shared| shared.as_ref().clone());
        let pairs: Vec<(String, BulkValue)> = keys
            .into_iter()
            .map(Key::into_string)
            .zip(self.values)
            .collect();
        pairs.into_iter()
    }
}

impl<'a> IntoIterator for &'a BulkGetResult {
    type Item = (&'a str, &'a BulkValue);
    type IntoIter = Pairs<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs()
    }
}

// ---- Decoding `result` straight into slots, without an intermediate `serde_json::Value`. ----

// Clone: the envelope decoder may run the seed twice (again to locate a decode error).
#[derive(Clone, Copy)]
struct ResultSeed<'k>(ValuesSeed<'k>);

impl<'de> DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `values`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots = None;
        while let Some(name) = map.next_key::<KeyStr<'de>>()? {
            if name.0 == "values" && slots.is_none() {
                slots = Some(map.next_value_seed(self.0)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        slots.ok_or_else(|| de::Error::missing_field("values"))
    }
}

/// A map key, borrowed from the body when it has no escapes.
struct KeyStr<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Clone, Copy)]
struct ValuesSeed<'k> {
    /// Distinct requested keys, in request order.
    keys: &'k [Key],
    /// How each value is decoded.
    entry: EntrySeed,
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping keys to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots: Vec<Option<BulkValue>> = vec![None; self.keys.len()];
        // The server answers in request order: the next key is usually the one expected
        // after the last match. Any other key is looked up in an index built on first need.
        let mut next = 0usize;
        let mut index: Option<HashMap<&str, usize>> = None;
        while let Some(key) = map.next_key::<KeyStr<'de>>()? {
            let key = key.0.as_ref();
            let found = if self.keys.get(next).is_some_and(|k| k.as_str() == key) {
                Some(next)
            } else {
                index
                    .get_or_insert_with(|| {
                        self.keys
                            .iter()
                            .enumerate()
                            .map(|(i, k)| (k.as_str(), i))
                            .collect()
                    })
                    .get(key)
                    .copied()
            };
            match found {
                Some(i) => {
                    next = i + 1;
                    let value = map.next_value_seed(self.entry)?;
                    if let Some(slot) = slots.get_mut(i) {
                        *slot = Some(value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(slots)
    }
}

#[derive(Clone, Copy)]
struct EntrySeed {
    kind: BulkType,
    with_metadata: bool,
}

#[derive(Deserialize)]
struct TextEntry {
    value: String,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    expiration: Option<u64>,
}

#[derive(Deserialize)]
struct JsonEntry {
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    expiration: Option<u64>,
}

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = BulkValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<BulkValue, D::Error> {
        // JSON reads always travel with metadata (`BulkGet::wire_with_metadata`), so a JSON
        // answer is always an entry object (or `null` for a missing key).
        Ok(match (self.kind, self.with_metadata) {
            (BulkType::Text, false) => match Option::<String>::deserialize(d)? {
                Some(s) => BulkValue::Text(s),
                None => BulkValue::Missing,
            },
            (BulkType::Text, true) => match Option::<TextEntry>::deserialize(d)? {
                Some(e) => BulkValue::WithMetadata {
                    value: BulkPayload::Text(e.value),
                    metadata: e.metadata,
                    expiration: e.expiration,
                },
                None => BulkValue::Missing,
            },
            (BulkType::Json, _) => match Option::<JsonEntry>::deserialize(d)? {
                Some(e) => BulkValue::WithMetadata {
                    value: BulkPayload::Json(e.value),
                    metadata: e.metadata,
                    expiration: e.expiration,
                },
                None => BulkValue::Missing,
            },
        })
    }
}

#[cfg(test)]
mod encoded_len_tests {
    use super::*;

    #[test]
    fn encoded_len_matches_the_serialized_item() {
        let texts = [
            "",
            "plain",
            "quote \" in",
            "back\\slash",
            "tab\tnew\nline\u{1}\u{1f}",
            "\u{7f} del, é, 🦀",
        ];
        let expirations = [
            None,
            Some(Expiration::At(0)),
            Some(Expiration::At(9)),
            Some(Expiration::At(10)),
            Some(Expiration::At(u64::MAX)),
            Some(Expiration::Ttl(60)),
            Some(Expiration::Ttl(99_999)),
        ];
        for key in texts.iter().filter(|k| !k.is_empty()) {
            for value in texts {
                for expiration in expirations {
                    for meta in [None, Some(serde_json::json!({"a": "\"x\"", "n": [1, 2.5]}))] {
                        let key = Key::new(*key).unwrap();
                        let mut items = vec![
                            BulkWriteItem::text(key.clone(), value).unwrap(),
                            BulkWriteItem::binary(key, value.as_bytes()).unwrap(),
                        ];
                        for item in &mut items {
                            item.expiration = expiration;
                            item.metadata = meta.clone().map(|m| Metadata::new(m).unwrap());
                            let exact = serde_json::to_vec(&item.wire()).unwrap().len() + 1;
                            assert_eq!(item.encoded_len(), exact, "{item:?}");
                        }
                    }
                }
            }
        }
    }
}
