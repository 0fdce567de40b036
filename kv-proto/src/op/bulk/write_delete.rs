//! Bulk write and bulk delete: [`BulkWriteItem`], [`BulkWrite`], [`BulkDelete`], and the
//! [`BulkResponse`] both answer with.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use http::Method;
use serde::{Deserialize, Deserializer, Serialize};

use super::{
    MAX_BULK_ITEMS, MAX_BULK_RESULT_RESPONSE, MAX_BULK_WRITE_BODY_BYTES, check_count, decimal_len,
    json_len, json_str_len,
};
use crate::endpoint::Endpoint;
use crate::envelope::decode_optional;
use crate::error::{Error, Limit};
use crate::ids::{Expiration, Key, MAX_VALUE_BYTES, Metadata, NamespaceId, check_value_len};
use crate::op::{JSON, Operation, json_content_type};

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

    /// A value serialised as JSON text from any `T: Serialize` (a typed bulk write item).
    ///
    /// ```
    /// use kv_proto::{BulkWriteItem, Key};
    /// #[derive(serde::Serialize)]
    /// struct User { name: &'static str }
    /// let item = BulkWriteItem::json(Key::new("user/1")?, &User { name: "Ada" })?;
    /// assert_eq!((item.value.as_str(), item.base64), (r#"{"name":"Ada"}"#, false));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::ValueSize`] if the JSON is over 25 MiB; [`Limit::Config`] if `T` cannot be
    /// serialised as JSON (e.g. a map with non-string keys; the message names the key).
    pub fn json<T: serde::Serialize + ?Sized>(key: Key, value: &T) -> Result<BulkWriteItem, Error> {
        let text = serde_json::to_string(value).map_err(|e| {
            Error::invalid_input(
                Limit::Config,
                format!(
                    "the value for key {:?} cannot be serialised as JSON: {e}",
                    key.as_str()
                ),
            )
        })?;
        BulkWriteItem::text(key, text)
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
/// let r: kv_proto::BulkResponse = serde_json::from_str(r#"{"successful_key_count":3.0}"#).unwrap();
/// assert_eq!((r.successful_key_count, r.unsuccessful_keys.len()), (3, 0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResponse {
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

fn parse_bulk_response(response: &http::Response<&[u8]>) -> Result<BulkResponse, Error> {
    // An older API answered bulk writes with no result; that reports no failed key.
    Ok(decode_optional::<BulkResponse>(response)?.unwrap_or_default())
}

/// `PUT .../namespaces/{namespace}/bulk`: writes up to 10,000 pairs in one request.
///
/// The body is a JSON array of `{key, value, base64?, expiration?, expiration_ttl?,
/// metadata?}` (`base64` only when true). Output [`BulkResponse`]; response cap:
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
    /// Made by an adaptive bulk plan, which splits a batch that is too large or too slow
    /// ([`Operation::defers_to_plan`]).
    splittable: bool,
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
            splittable: false,
        })
    }

    /// The prototype of a [`BulkPlan`](crate::BulkPlan)'s requests: the namespace and no
    /// items. The plan fills a copy with each batch. (Sent as it is, it is an empty write the
    /// server refuses.)
    ///
    /// ```
    /// use kv_proto::{BulkWrite, BulkWritePlan, BulkWriteItem, Key, NamespaceId, PlanConfig, Plan, Poll};
    /// let items = vec![BulkWriteItem::text(Key::new("a")?, "1")?];
    /// let template = BulkWrite::template(NamespaceId::new("ns1")?);
    /// assert!(template.items().is_empty());
    /// let mut plan = BulkWritePlan::new(template, items, PlanConfig::default())?;
    /// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// assert_eq!(op.items().len(), 1);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn template(namespace: NamespaceId) -> BulkWrite {
        BulkWrite {
            namespace,
            items: Arc::default(),
            body_len: 2,
            splittable: false,
        }
    }

    /// A copy of this template holding `items`, already checked one by one
    /// ([`BulkWriteItem::check`]), whose body length `body_len` (`1 + Σ encoded_len`) is
    /// already known to be within 1..=10,000 items and [`MAX_BULK_WRITE_BODY_BYTES`]. Used by
    /// the bulk plan, which measures every item once when it forms a batch, and shares the
    /// items (no copy).
    pub(crate) fn fill(
        &self,
        items: Arc<Vec<BulkWriteItem>>,
        body_len: usize,
        splittable: bool,
    ) -> BulkWrite {
        BulkWrite {
            namespace: self.namespace.clone(),
            items,
            body_len,
            splittable,
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
    type Output = BulkResponse;

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

    /// A batch of several items made by an adaptive bulk plan hands a 524, a 413 or a timeout straight
    /// back to the plan, which re-sends it in smaller parts
    /// ([`BatchSizer::should_shrink`](crate::BatchSizer::should_shrink)); re-sending the same
    /// body would fail the same way.
    fn defers_to_plan(&self, error: &Error) -> bool {
        self.splittable && self.items.len() > 1 && crate::BatchSizer::should_shrink(error)
    }

    fn route(&self) -> &'static str {
        crate::op::route!("PUT", "/{namespace_id}/bulk")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkResponse, Error> {
        parse_bulk_response(&response)
    }
}

/// `POST .../namespaces/{namespace}/bulk/delete` with a JSON array of up to 10,000 keys.
///
/// [`BulkDelete::legacy_delete_method`] sends the deprecated `DELETE .../bulk` instead (same
/// body, same result). Output [`BulkResponse`]; response cap: [`MAX_BULK_RESULT_RESPONSE`].
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
    /// Made by an adaptive bulk plan, which splits a batch that is too large or too slow
    /// ([`Operation::defers_to_plan`]).
    splittable: bool,
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
        BulkDelete::template(namespace).fill(Arc::new(keys), false)
    }

    /// The prototype of a [`BulkPlan`](crate::BulkPlan)'s requests: the namespace, the
    /// method and no keys. The plan fills a copy with each batch. (Sent as it is, it is an
    /// empty delete the server refuses.)
    ///
    /// ```
    /// use kv_proto::{BulkDelete, BulkDeletePlan, Key, NamespaceId, Operation, PlanConfig, Plan, Poll};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let template = BulkDelete::template(NamespaceId::new("ns1")?).legacy_delete_method();
    /// let mut plan = BulkDeletePlan::new(template, ["a", "b"], PlanConfig::default())?;
    /// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// assert_eq!(op.keys().len(), 2);
    /// assert_eq!(op.request(&ep).method(), http::Method::DELETE);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn template(namespace: NamespaceId) -> BulkDelete {
        BulkDelete {
            namespace,
            keys: Arc::default(),
            legacy: false,
            splittable: false,
        }
    }

    /// A copy of this template deleting `keys`, shared with the bulk plan (no copy).
    pub(crate) fn fill(&self, keys: Arc<Vec<Key>>, splittable: bool) -> Result<BulkDelete, Error> {
        check_count(
            Limit::BulkDeleteCount,
            "a bulk delete",
            keys.len(),
            MAX_BULK_ITEMS,
        )?;
        Ok(BulkDelete {
            namespace: self.namespace.clone(),
            keys,
            legacy: self.legacy,
            splittable,
        })
    }

    /// Whether the deprecated `DELETE .../bulk` is sent.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, NamespaceId};
    /// let op = BulkDelete::template(NamespaceId::new("ns1")?);
    /// assert!(!op.is_legacy_delete_method());
    /// assert!(op.legacy_delete_method().is_legacy_delete_method());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_legacy_delete_method(&self) -> bool {
        self.legacy
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
    type Output = BulkResponse;

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

    /// A batch of several items made by an adaptive bulk plan hands a 524, a 413 or a timeout straight
    /// back to the plan, which re-sends it in smaller parts
    /// ([`BatchSizer::should_shrink`](crate::BatchSizer::should_shrink)); re-sending the same
    /// body would fail the same way.
    fn defers_to_plan(&self, error: &Error) -> bool {
        self.splittable && self.keys.len() > 1 && crate::BatchSizer::should_shrink(error)
    }

    fn route(&self) -> &'static str {
        if self.legacy {
            crate::op::route!("DELETE", "/{namespace_id}/bulk")
        } else {
            crate::op::route!("POST", "/{namespace_id}/bulk/delete")
        }
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkResponse, Error> {
        parse_bulk_response(&response)
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
