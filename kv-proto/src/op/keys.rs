//! List keys: `GET .../namespaces/{namespace}/keys` with `prefix`, `limit` and `cursor`.

use http::Method;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{JSON, Operation};
use crate::endpoint::Endpoint;
use crate::envelope::decode_required;
use crate::error::{Error, Limit};
use crate::ids::{Key, NamespaceId};

/// Smallest `limit` accepted by list keys.
///
/// ```
/// use kv_proto::{ListKeys, NamespaceId, limits::MIN_LIST_LIMIT};
/// let op = ListKeys::new(NamespaceId::new("ns1")?);
/// assert!(op.clone().limit(MIN_LIST_LIMIT).is_ok());
/// assert!(op.limit(MIN_LIST_LIMIT - 1).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MIN_LIST_LIMIT: u32 = 10;
/// Largest `limit` accepted by list keys (also the server's default).
///
/// ```
/// use kv_proto::{ListKeys, NamespaceId, limits::MAX_LIST_LIMIT};
/// let op = ListKeys::new(NamespaceId::new("ns1")?);
/// assert!(op.clone().limit(MAX_LIST_LIMIT).is_ok());
/// assert!(op.limit(MAX_LIST_LIMIT + 1).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_LIST_LIMIT: u32 = 1000;

/// Response cap for [`ListKeys`]: 16 MiB. A page holds at most 1,000 keys of at most 512 bytes
/// with at most 1 KiB of metadata each (about 1.6 MB raw); the cap leaves room for JSON
/// escaping (`\uXXXX` can grow a byte six-fold).
///
/// ```
/// use kv_proto::{ListKeys, NamespaceId, Operation, limits::MAX_LIST_KEYS_RESPONSE};
/// let op = ListKeys::new(NamespaceId::new("ns1")?);
/// assert_eq!(op.max_response_bytes(), MAX_LIST_KEYS_RESPONSE);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_LIST_KEYS_RESPONSE: u64 = 16 << 20;

/// One key of a [`KeyPage`]. The name is a validated [`Key`], ready to pass back to any
/// operation; a name that is not a key is a decode error.
///
/// ```
/// let k: kv_proto::KeyInfo =
///     serde_json::from_str(r#"{"name":"a","expiration":1.7e9,"metadata":{"x":1}}"#).unwrap();
/// assert_eq!(k.name, "a");
/// assert_eq!(k.expiration, Some(1_700_000_000));
/// assert!(serde_json::from_str::<kv_proto::KeyInfo>(r#"{"name":".."}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The key name.
    pub name: Key,
    /// Absolute expiry in seconds since the Unix epoch, for keys that expire.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration: Option<u64>,
    /// The key's metadata; `None` when it has none (absent or `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// One page of [`ListKeys`].
///
/// ```
/// use kv_proto::{ListKeys, NamespaceId, Operation};
/// let op = ListKeys::new(NamespaceId::new("ns1")?);
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"name":"a"}],"result_info":{"count":1,"cursor":""}}"#;
/// let page = op.parse(http::Response::new(&body[..]))?;
/// assert_eq!(page.keys[0].name, "a");
/// assert_eq!(page.cursor, None); // "" means: last page
/// assert_eq!(page.count, Some(1));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPage {
    /// The keys on this page. It may be empty while more pages remain (tombstones).
    pub keys: Vec<KeyInfo>,
    /// The cursor for the next page; `None` when the server sent none, `null` or `""`, which
    /// means this was the last page. Stop on `None`, never on an empty page.
    pub cursor: Option<String>,
    /// `result_info.count`, if sent.
    pub count: Option<u64>,
}

/// `GET /accounts/{account}/storage/kv/namespaces/{namespace}/keys`: one page of keys.
///
/// Keys come in lexicographic byte order. Send the same `prefix` with every cursor (pagers
/// use [`ListKeys::with_cursor`], which keeps it). Response cap: [`MAX_LIST_KEYS_RESPONSE`].
///
/// ```
/// use kv_proto::{ListKeys, NamespaceId};
///
/// let op = ListKeys::new(NamespaceId::new("ns1")?).prefix("user:").limit(100)?;
/// let next = op.with_cursor(Some("6Ck1la0VxJ0djhidm1MdX2FyD".into()));
/// assert_eq!(next.get_prefix(), Some("user:"));
/// assert_eq!(next.get_limit(), Some(100));
/// assert!(op.clone().limit(9).is_err() && op.limit(1001).is_err());
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListKeys {
    namespace: NamespaceId,
    prefix: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

impl ListKeys {
    /// The first page of every key in `namespace`.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = ListKeys::new(NamespaceId::new("ns1")?).request(&ep);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/keys"));
    /// assert_eq!(req.uri().query(), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId) -> ListKeys {
        ListKeys {
            namespace,
            prefix: None,
            limit: None,
            cursor: None,
        }
    }

    /// Only keys starting with `prefix` (an empty prefix is not sent).
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = ListKeys::new(NamespaceId::new("ns1")?).prefix("user/");
    /// assert_eq!(op.request(&ep).uri().query(), Some("prefix=user%2F"));
    /// assert_eq!(op.prefix("").get_prefix(), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> ListKeys {
        let prefix = prefix.into();
        self.prefix = (!prefix.is_empty()).then_some(prefix);
        self
    }

    /// At most `limit` keys per page.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = ListKeys::new(NamespaceId::new("ns1")?).limit(50)?;
    /// assert_eq!(op.request(&ep).uri().query(), Some("limit=50"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Limit::ListLimit`] unless `10 <= limit <= 1000`.
    pub fn limit(mut self, limit: u32) -> Result<ListKeys, Error> {
        if !(MIN_LIST_LIMIT..=MAX_LIST_LIMIT).contains(&limit) {
            return Err(Error::invalid_input(
                Limit::ListLimit,
                format!("list limit is {limit}; it must be {MIN_LIST_LIMIT}..={MAX_LIST_LIMIT}"),
            ));
        }
        self.limit = Some(limit);
        Ok(self)
    }

    /// Continue from this cursor (an empty cursor is not sent).
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?).cursor("abc");
    /// assert_eq!(op.get_cursor(), Some("abc"));
    /// assert_eq!(op.cursor("").get_cursor(), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn cursor(mut self, cursor: impl Into<String>) -> ListKeys {
        let cursor = cursor.into();
        self.cursor = (!cursor.is_empty()).then_some(cursor);
        self
    }

    /// A copy of this operation with another cursor (`None` or `""`: the first page).
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?).cursor("abc");
    /// assert_eq!(op.with_cursor(Some("def".into())).get_cursor(), Some("def"));
    /// assert_eq!(op.with_cursor(None).get_cursor(), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn with_cursor(&self, cursor: Option<String>) -> ListKeys {
        ListKeys {
            cursor: cursor.filter(|c| !c.is_empty()),
            ..self.clone()
        }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId};
    /// assert_eq!(ListKeys::new(NamespaceId::new("ns1")?).namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The prefix, if set.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?);
    /// assert_eq!(op.get_prefix(), None);
    /// assert_eq!(op.prefix("p").get_prefix(), Some("p"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn get_prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The page size, if set.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?);
    /// assert_eq!(op.get_limit(), None);
    /// assert_eq!(op.limit(10)?.get_limit(), Some(10));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn get_limit(&self) -> Option<u32> {
        self.limit
    }

    /// The cursor, if set.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?);
    /// assert_eq!(op.get_cursor(), None);
    /// assert_eq!(op.cursor("c1").get_cursor(), Some("c1"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn get_cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

impl Operation for ListKeys {
    type Output = KeyPage;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let mut query = Vec::new();
        if let Some(p) = &self.prefix {
            query.push(("prefix", p.clone()));
        }
        if let Some(l) = self.limit {
            query.push(("limit", l.to_string()));
        }
        if let Some(c) = &self.cursor {
            query.push(("cursor", c.clone()));
        }
        endpoint.build_request(
            Method::GET,
            endpoint.namespace_url(&self.namespace, "/keys"),
            &query,
            JSON,
            None,
            Vec::new(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_LIST_KEYS_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("GET", "/{namespace_id}/keys")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<KeyPage, Error> {
        let seed = KeysSeed {
            capacity: self.limit.unwrap_or(MAX_LIST_LIMIT) as usize,
        };
        let (keys, info) = decode_required(&response, seed)?;
        let (cursor, count) = match info {
            Some(i) => (i.cursor.filter(|c| !c.is_empty()), i.count),
            None => (None, None),
        };
        Ok(KeyPage {
            keys,
            cursor,
            count,
        })
    }
}

/// Decodes the `result` array of a key page into a `Vec` sized for a full page up front
/// (serde's own `Vec` decoding grows it from empty, copying the keys several times).
#[derive(Clone, Copy)]
struct KeysSeed {
    /// The page's limit: a full page's length (at most 1,000).
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for KeysSeed {
    type Value = Vec<KeyInfo>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<KeyInfo>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed {
    type Value = Vec<KeyInfo>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of keys")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<KeyInfo>, A::Error> {
        let mut keys = Vec::with_capacity(self.capacity.min(MAX_LIST_LIMIT as usize));
        while let Some(key) = seq.next_element::<KeyInfo>()? {
            keys.push(key);
        }
        Ok(keys)
    }
}
