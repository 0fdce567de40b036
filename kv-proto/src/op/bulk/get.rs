//! Bulk get: [`BulkGet`], its [`BulkGetResponse`] and the [`BulkValue`] of each key.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use http::Method;
use serde::Serialize;

use super::decode::{EntrySeed, ResultSeed, ValuesSeed};
use super::{MAX_BULK_GET_KEYS, MAX_BULK_GET_RESPONSE, check_count};
use crate::endpoint::Endpoint;
use crate::envelope::decode_required;
use crate::error::{Error, Limit};
use crate::ids::{Key, NamespaceId};
use crate::op::{JSON, Operation, json_content_type, to_json};

/// How a bulk get decodes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum BulkType {
    Text,
    Json,
}

/// `POST .../namespaces/{namespace}/bulk/get`: up to 100 text or JSON values in one request.
///
/// Body: `{"keys":[...],"type":"text"|"json","withMetadata":bool}` (note the camelCase).
/// Values must be text; read binary values with [`crate::GetValue`]. Output
/// [`BulkGetResponse`]; response cap: [`MAX_BULK_GET_RESPONSE`].
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
        BulkGet::template(namespace).fill(Arc::new(keys), distinct)
    }

    /// The prototype of a [`BulkPlan`](crate::BulkPlan)'s requests: the namespace, the
    /// decoding flags and no keys. The plan fills a copy with each batch. (Sent as it is, it
    /// is an empty read the server refuses.)
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkGetPlan, NamespaceId, PlanConfig, Plan, Poll};
    /// let template = BulkGet::template(NamespaceId::new("ns1")?).json().with_metadata();
    /// let mut plan = BulkGetPlan::new(template, ["a", "b"], PlanConfig::default())?;
    /// let Poll::Send(_, op) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// assert!(op.is_json() && op.is_with_metadata());
    /// assert_eq!(op.keys().len(), 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn template(namespace: NamespaceId) -> BulkGet {
        BulkGet {
            namespace,
            keys: Arc::default(),
            distinct: true,
            kind: BulkType::Text,
            with_metadata: false,
        }
    }

    /// A copy of this template reading `keys`, shared with the bulk plan, which has already
    /// removed duplicates (`distinct` must be true only if no key appears twice).
    pub(crate) fn fill(&self, keys: Arc<Vec<Key>>, distinct: bool) -> Result<BulkGet, Error> {
        check_count(
            Limit::BulkGetCount,
            "a bulk get",
            keys.len(),
            MAX_BULK_GET_KEYS,
        )?;
        Ok(BulkGet {
            namespace: self.namespace.clone(),
            keys,
            distinct,
            kind: self.kind,
            with_metadata: self.with_metadata,
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
    type Output = BulkGetResponse;

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

    fn route(&self) -> &'static str {
        crate::op::route!("POST", "/{namespace_id}/bulk/get")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<BulkGetResponse, Error> {
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
        Ok(BulkGetResponse { keys, values })
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

    /// Parses a text value as JSON into `T` on the client: `Ok(None)` for a missing key, `Ok(Some)`
    /// for a value that parses, and a decode error for one that does not, whose path names the
    /// key (`values.<key>`, then the JSON path inside the value) and which never quotes the
    /// value (the excerpt is empty and quoted strings in the message are redacted). A value read with `type: json` is converted from its parsed JSON.
    ///
    /// ```
    /// use kv_proto::BulkValue;
    /// let v = BulkValue::Text(r#"{"n":1}"#.into());
    /// let n: Option<serde_json::Value> = v.parse_json("k")?;
    /// assert_eq!(n.unwrap()["n"], 1);
    /// let e = BulkValue::Text("secret".into()).parse_json::<u32>("k").unwrap_err();
    /// assert!(e.to_string().contains("`values.k`") && !e.to_string().contains("secret"));
    /// assert_eq!(BulkValue::Missing.parse_json::<u32>("k")?, None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Decode`](crate::ErrorKind::Decode) (status 200) if the value is not JSON
    /// of type `T`.
    pub fn parse_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, Error> {
        let fail = |path: String, message: String| {
            Error::new(crate::error::ErrorKind::Decode(crate::error::DecodeError {
                meta: crate::error::ResponseMeta::from_parts(
                    http::StatusCode::OK,
                    &http::HeaderMap::new(),
                ),
                path: match path.as_str() {
                    "" | "." => format!("values.{key}"),
                    sub => format!("values.{key}.{}", sub.trim_start_matches('.')),
                },
                message: format!(
                    "not JSON of the requested type: {}",
                    crate::error::redact_quoted(&message)
                ),
                excerpt: String::new(),
            }))
        };
        let parsed = match self {
            BulkValue::Missing => return Ok(None),
            BulkValue::Text(s)
            | BulkValue::WithMetadata {
                value: BulkPayload::Text(s),
                ..
            } => {
                let mut de = serde_json::Deserializer::from_str(s);
                let mut track = serde_path_to_error::Track::new();
                T::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
                    .and_then(|v| de.end().map(|()| v))
                    .map_err(|e| fail(crate::envelope::failure_path(track), e.to_string()))
            }
            BulkValue::Json(v)
            | BulkValue::WithMetadata {
                value: BulkPayload::Json(v),
                ..
            } => serde_json::from_value(v.clone()).map_err(|e| fail(".".into(), e.to_string())),
        };
        parsed.map(Some)
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
pub struct BulkGetResponse {
    /// The distinct requested keys, in request order (shared with the [`BulkGet`]).
    keys: Arc<Vec<Key>>,
    /// `values[i]` is the value of `keys[i]`.
    values: Vec<BulkValue>,
}

impl fmt::Debug for BulkGetResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Iterator over `&BulkGetResponse`: `(key, value)` in request order.
type Pairs<'a> = std::iter::Zip<
    std::iter::Map<std::slice::Iter<'a, Key>, fn(&'a Key) -> &'a str>,
    std::slice::Iter<'a, BulkValue>,
>;

impl BulkGetResponse {
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
    /// assert!(kv_proto::BulkGetResponse::default().is_empty());
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

impl IntoIterator for BulkGetResponse {
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

impl<'a> IntoIterator for &'a BulkGetResponse {
    type Item = (&'a str, &'a BulkValue);
    type IntoIter = Pairs<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs()
    }
}
