//! Single-key routes: read value, write value (raw or multipart), delete value, read metadata.

use http::{HeaderValue, Method, StatusCode};

use super::{ACCEPT_VALUE, JSON, MAX_SMALL_JSON_RESPONSE, OCTET_STREAM, Operation};
use crate::endpoint::Endpoint;
use crate::envelope::{decode_error, decode_no_result, decode_optional, failure_path};
use crate::error::{DecodeError, Error, ErrorKind, ResponseMeta, excerpt};
use crate::ids::{Expiration, Key, Metadata, NamespaceId, check_value_len};

/// Response cap for [`GetValue`] / [`TryGetValue`]: 25 MiB (the largest value) plus 64 KiB
/// of slack for an error envelope.
///
/// ```
/// use kv_proto::{GetValue, Key, NamespaceId, Operation, limits::MAX_VALUE_BYTES, limits::MAX_VALUE_RESPONSE};
/// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
/// assert_eq!(op.max_response_bytes(), MAX_VALUE_RESPONSE);
/// assert!(MAX_VALUE_RESPONSE > MAX_VALUE_BYTES as u64);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_VALUE_RESPONSE: u64 = crate::ids::MAX_VALUE_BYTES as u64 + (64 << 10);

/// A value read with [`GetValue`]: the stored bytes, exactly, and the expiry if the key has one.
///
/// ```
/// let v = kv_proto::StoredValue { bytes: b"42".to_vec(), expiration: Some(1_900_000_000) };
/// assert_eq!(v.json::<u32>()?, 42);
/// assert_eq!(v.expiration, Some(1_900_000_000));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredValue {
    /// The stored bytes, byte for byte (never JSON-decoded, never base64).
    pub bytes: Vec<u8>,
    /// The `expiration` response header: absolute expiry in seconds since the Unix epoch.
    pub expiration: Option<u64>,
}

impl StoredValue {
    /// The bytes as UTF-8 text.
    ///
    /// # Errors
    /// [`ErrorKind::Decode`] if the bytes are not UTF-8.
    ///
    /// ```
    /// let v = kv_proto::StoredValue { bytes: b"hi".to_vec(), expiration: None };
    /// assert_eq!(v.text()?, "hi");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.bytes)
            .map_err(|e| self.decode_error(".".to_owned(), e.to_string()))
    }

    /// The bytes parsed as JSON into `T`.
    ///
    /// # Errors
    /// [`ErrorKind::Decode`] (status 200, with the JSON path) if they do not parse as `T`.
    ///
    /// ```
    /// let v = kv_proto::StoredValue { bytes: br#"{"n":3}"#.to_vec(), expiration: None };
    /// let j: serde_json::Value = v.json()?;
    /// assert_eq!(j["n"], 3);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        let mut de = serde_json::Deserializer::from_slice(&self.bytes);
        let mut track = serde_path_to_error::Track::new();
        let parsed = T::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
            .and_then(|v| de.end().map(|()| v));
        parsed.map_err(|e| self.decode_error(failure_path(track), e.to_string()))
    }

    fn decode_error(&self, path: String, message: String) -> Error {
        Error::new(ErrorKind::Decode(DecodeError {
            meta: ResponseMeta {
                status: StatusCode::OK,
                ray_id: None,
                retry_after: None,
                should_retry: None,
            },
            path,
            message,
            excerpt: excerpt(&self.bytes),
        }))
    }
}

/// Parses the `expiration` header: integer seconds (an integral float is accepted too).
fn expiration_header(headers: &http::HeaderMap) -> Option<u64> {
    let s = headers.get("expiration")?.to_str().ok()?.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let f = s.parse::<f64>().ok()?;
    crate::de::u64_from_f64::<serde_json::Error>(f).ok()
}

fn parse_value(response: &http::Response<&[u8]>) -> Result<StoredValue, Error> {
    if !response.status().is_success() {
        return Err(decode_error(response));
    }
    Ok(StoredValue {
        bytes: response.body().to_vec(),
        expiration: expiration_header(response.headers()),
    })
}

fn get_value_request(ns: &NamespaceId, key: &Key, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
    endpoint.build_request(
        Method::GET,
        endpoint.key_url(ns, "values", key),
        &[],
        ACCEPT_VALUE,
        None,
        Vec::new(),
    )
}

/// `GET .../namespaces/{namespace}/values/{key}`: the stored bytes.
///
/// A 2xx body is returned exactly, even if it looks like JSON; any other status is an error
/// envelope. A missing or expired key fails with 404 / 10009: test it with
/// [`Error::is_key_not_found`], or use [`GetValue::optional`] to get `Ok(None)` instead.
/// Response cap: [`MAX_VALUE_RESPONSE`].
///
/// ```
/// use kv_proto::{GetValue, Key, NamespaceId, Operation};
///
/// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("config.json")?);
/// let resp = http::Response::builder()
///     .header("expiration", "1900000000")
///     .body(&br#"{"success":false}"#[..])
///     .unwrap();
/// let value = op.parse(resp)?;
/// assert_eq!(value.bytes, br#"{"success":false}"#); // bytes, not an envelope
/// assert_eq!(value.expiration, Some(1_900_000_000));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetValue {
    namespace: NamespaceId,
    key: Key,
}

impl GetValue {
    /// Reads `key` in `namespace`.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("a b")?);
    /// let req = op.request(&ep);
    /// assert_eq!(req.method(), http::Method::GET);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/values/a%20b"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId, key: Key) -> GetValue {
        GetValue { namespace, key }
    }

    /// The same read, but a missing key (404 with code 10009) gives `Ok(None)`.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId, Operation};
    /// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?).optional();
    /// let resp = http::Response::new(&b"v"[..]);
    /// assert_eq!(op.parse(resp)?.map(|v| v.bytes), Some(b"v".to_vec()));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn optional(self) -> TryGetValue {
        TryGetValue { inner: self }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId};
    /// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The key.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId};
    /// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.key().as_str(), "k");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn key(&self) -> &Key {
        &self.key
    }
}

impl Operation for GetValue {
    type Output = StoredValue;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        get_value_request(&self.namespace, &self.key, endpoint)
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_VALUE_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("GET", "/{namespace_id}/values/{key_name}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn key(&self) -> Option<&Key> {
        Some(&self.key)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<StoredValue, Error> {
        parse_value(&response)
    }
}

/// [`GetValue`] whose output is `Option<StoredValue>`: `None` when the key does not exist or has
/// expired (HTTP 404 carrying code 10009). Every other failure stays an error: a missing
/// namespace (10013), a 404 without code 10009, and code 10009 under any status other than
/// 404 (a 5xx that happens to carry it is a failed read, retryable like any 5xx). Same request
/// and response cap as [`GetValue`].
///
/// ```
/// use kv_proto::{GetValue, Key, NamespaceId, Operation};
///
/// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("gone")?).optional();
/// let body = br#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null}"#;
/// let resp = http::Response::builder().status(404).body(&body[..]).unwrap();
/// assert_eq!(op.parse(resp)?, None);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryGetValue {
    inner: GetValue,
}

impl TryGetValue {
    /// Reads `key` in `namespace`, if it exists.
    ///
    /// ```
    /// use kv_proto::{Key, NamespaceId, Operation, TryGetValue};
    /// let op = TryGetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// let resp = http::Response::builder().status(500).body(&b"oops"[..]).unwrap();
    /// assert!(op.parse(resp).unwrap_err().is_server_error());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId, key: Key) -> TryGetValue {
        GetValue::new(namespace, key).optional()
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{Key, NamespaceId, TryGetValue};
    /// let op = TryGetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.inner.namespace
    }

    /// The key.
    ///
    /// ```
    /// use kv_proto::{Key, NamespaceId, TryGetValue};
    /// let op = TryGetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.key().as_str(), "k");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn key(&self) -> &Key {
        &self.inner.key
    }
}

impl Operation for TryGetValue {
    type Output = Option<StoredValue>;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        self.inner.request(endpoint)
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_VALUE_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("GET", "/{namespace_id}/values/{key_name}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.inner.namespace)
    }

    fn key(&self) -> Option<&Key> {
        Some(&self.inner.key)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<StoredValue>, Error> {
        match parse_value(&response) {
            Ok(v) => Ok(Some(v)),
            // Missing means a 404 that says so. The same code under a 5xx (or any other
            // status) is a failure of the read, not an answer: it stays an error (and a 5xx
            // one is retried).
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) && e.is_key_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `PUT .../namespaces/{namespace}/values/{key}`: writes a value, replacing the value, the
/// expiry and the metadata.
///
/// - Without metadata the body is the raw bytes, `Content-Type: application/octet-stream`.
/// - With metadata the body is `multipart/form-data` with exactly two parts: `value`
///   (`application/octet-stream`, the bytes) and `metadata` (`application/json`, the JSON
///   text). The boundary is derived from the content and checked never to occur in it.
/// - [`Expiration::At`] is sent as `?expiration=`, [`Expiration::Ttl`] as `?expiration_ttl=`.
///
/// Output `()`; response cap: [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{Expiration, Key, Metadata, NamespaceId, PutValue};
///
/// let op = PutValue::new(NamespaceId::new("ns1")?, Key::new("a")?, b"hello".to_vec())?
///     .metadata(Metadata::new(serde_json::json!({"v": 1}))?)
///     .expiration(Expiration::ttl(3600)?);
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct PutValue {
    namespace: NamespaceId,
    key: Key,
    value: Vec<u8>,
    metadata: Option<Metadata>,
    expiration: Option<Expiration>,
}

impl std::fmt::Debug for PutValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values can be 25 MiB: print their size, not their bytes.
        f.debug_struct("PutValue")
            .field("namespace", &self.namespace)
            .field("key", &self.key)
            .field("value_len", &self.value.len())
            .field("metadata", &self.metadata)
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl PutValue {
    /// Writes `value` (0 bytes to 25 MiB) to `key`.
    ///
    /// ```
    /// use kv_proto::{Key, Limit, NamespaceId, Operation, PutValue, limits::MAX_VALUE_BYTES};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let ns = NamespaceId::new("ns1")?;
    /// let op = PutValue::new(ns.clone(), Key::new("k")?, b"hello".to_vec())?;
    /// let req = op.request(&ep);
    /// assert_eq!(req.headers()["content-type"], "application/octet-stream");
    /// assert_eq!(req.body(), b"hello");
    /// let too_big = PutValue::new(ns, Key::new("k")?, vec![0u8; MAX_VALUE_BYTES + 1]);
    /// assert_eq!(too_big.unwrap_err().limit(), Some(Limit::ValueSize));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Limit::ValueSize`] if the value is larger than 25 MiB.
    pub fn new(
        namespace: NamespaceId,
        key: Key,
        value: impl Into<Vec<u8>>,
    ) -> Result<PutValue, Error> {
        let value = value.into();
        check_value_len(value.len())?;
        Ok(PutValue {
            namespace,
            key,
            value,
            metadata: None,
            expiration: None,
        })
    }

    /// Stores this metadata with the value (switches the body to multipart).
    ///
    /// ```
    /// use kv_proto::{Key, Metadata, NamespaceId, Operation, PutValue};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = PutValue::new(NamespaceId::new("ns1")?, Key::new("k")?, b"v".to_vec())?
    ///     .metadata(Metadata::new(serde_json::json!({"v": 1}))?);
    /// let req = op.request(&ep);
    /// assert!(req.headers()["content-type"].to_str().unwrap().starts_with("multipart/form-data; boundary="));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn metadata(mut self, metadata: Metadata) -> PutValue {
        self.metadata = Some(metadata);
        self
    }

    /// Makes the key expire.
    ///
    /// ```
    /// use kv_proto::{Expiration, Key, NamespaceId, Operation, PutValue};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let op = PutValue::new(NamespaceId::new("ns1")?, Key::new("k")?, b"v".to_vec())?
    ///     .expiration(Expiration::ttl(120)?);
    /// assert_eq!(op.request(&ep).uri().query(), Some("expiration_ttl=120"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn expiration(mut self, expiration: Expiration) -> PutValue {
        self.expiration = Some(expiration);
        self
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{Key, NamespaceId, PutValue};
    /// let op = PutValue::new(NamespaceId::new("ns1")?, Key::new("k")?, b"v".to_vec())?;
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The key.
    ///
    /// ```
    /// use kv_proto::{Key, NamespaceId, PutValue};
    /// let op = PutValue::new(NamespaceId::new("ns1")?, Key::new("k")?, b"v".to_vec())?;
    /// assert_eq!(op.key().as_str(), "k");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The value bytes.
    ///
    /// ```
    /// use kv_proto::{Key, NamespaceId, PutValue};
    /// let op = PutValue::new(NamespaceId::new("ns1")?, Key::new("k")?, "text")?;
    /// assert_eq!(op.value(), b"text");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

impl Operation for PutValue {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        let query: Vec<(&str, String)> = match self.expiration {
            Some(Expiration::At(t)) => vec![("expiration", t.to_string())],
            Some(Expiration::Ttl(s)) => vec![("expiration_ttl", s.to_string())],
            None => Vec::new(),
        };
        let url = endpoint.key_url(&self.namespace, "values", &self.key);
        match &self.metadata {
            None => endpoint.build_request(
                Method::PUT,
                url,
                &query,
                JSON,
                Some(HeaderValue::from_static(OCTET_STREAM)),
                self.value.clone(),
            ),
            Some(metadata) => {
                let (content_type, body) = multipart(&self.value, metadata.as_json().as_bytes());
                endpoint.build_request(Method::PUT, url, &query, JSON, Some(content_type), body)
            }
        }
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("PUT", "/{namespace_id}/values/{key_name}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn key(&self) -> Option<&Key> {
        Some(&self.key)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<(), Error> {
        decode_no_result(&response)
    }
}

/// FNV-1a, 64 bit: a deterministic content hash for the boundary (not for security).
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Picks a boundary that occurs in neither part. Candidates are derived from the content and
/// an attempt counter; a body of n bytes contains at most n distinct substrings of a given
/// length, so at most n + 1 candidates are tried (in practice, one).
pub(crate) fn pick_boundary(value: &[u8], metadata: &[u8]) -> String {
    let seed = fnv1a(fnv1a(0xcbf2_9ce4_8422_2325, value), metadata);
    pick_boundary_from(seed, value, metadata)
}

fn boundary_candidate(seed: u64, attempt: u64) -> String {
    format!(
        "kv-proto-{:016x}{:08x}",
        fnv1a(seed, &attempt.to_le_bytes()),
        attempt
    )
}

fn pick_boundary_from(seed: u64, value: &[u8], metadata: &[u8]) -> String {
    let mut attempt: u64 = 0;
    loop {
        let candidate = boundary_candidate(seed, attempt);
        let finder = memchr::memmem::Finder::new(candidate.as_bytes());
        if finder.find(value).is_none() && finder.find(metadata).is_none() {
            return candidate;
        }
        attempt = attempt.wrapping_add(1);
    }
}

/// Builds the multipart body: exactly a `value` part and a `metadata` part.
pub(crate) fn multipart(value: &[u8], metadata: &[u8]) -> (HeaderValue, Vec<u8>) {
    let boundary = pick_boundary(value, metadata);
    let mut body = Vec::with_capacity(value.len() + metadata.len() + 320);
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(
        b"\r\nContent-Disposition: form-data; name=\"value\"; filename=\"blob\"\r\n\
          Content-Type: application/octet-stream\r\n\r\n",
    );
    body.extend_from_slice(value);
    body.extend_from_slice(b"\r\n--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(
        b"\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\
          Content-Type: application/json\r\n\r\n",
    );
    body.extend_from_slice(metadata);
    body.extend_from_slice(b"\r\n--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .unwrap_or_else(|_| HeaderValue::from_static("multipart/form-data"));
    (content_type, body)
}

/// `DELETE .../namespaces/{namespace}/values/{key}` (no body). Deleting a missing key
/// succeeds. Output `()`; response cap: [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{DeleteValue, Key, NamespaceId, Operation};
/// let op = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("gone")?);
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":null}"#;
/// op.parse(http::Response::new(&body[..]))?;
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteValue {
    namespace: NamespaceId,
    key: Key,
}

impl DeleteValue {
    /// Deletes `key` in `namespace`.
    ///
    /// ```
    /// use kv_proto::{DeleteValue, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("k")?).request(&ep);
    /// assert_eq!(req.method(), http::Method::DELETE);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/values/k"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId, key: Key) -> DeleteValue {
        DeleteValue { namespace, key }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{DeleteValue, Key, NamespaceId};
    /// let op = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The key.
    ///
    /// ```
    /// use kv_proto::{DeleteValue, Key, NamespaceId};
    /// let op = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.key().as_str(), "k");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn key(&self) -> &Key {
        &self.key
    }
}

impl Operation for DeleteValue {
    type Output = ();

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        endpoint.build_request(
            Method::DELETE,
            endpoint.key_url(&self.namespace, "values", &self.key),
            &[],
            JSON,
            None,
            Vec::new(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("DELETE", "/{namespace_id}/values/{key_name}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn key(&self) -> Option<&Key> {
        Some(&self.key)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<(), Error> {
        decode_no_result(&response)
    }
}

/// `GET .../namespaces/{namespace}/metadata/{key}`: the key's metadata, any JSON.
///
/// Output: `Some(json)`, or `None` when the key has no metadata (`result: null`). A missing
/// key is an error with code 10009. Response cap: [`MAX_SMALL_JSON_RESPONSE`].
///
/// ```
/// use kv_proto::{GetMetadata, Key, NamespaceId, Operation};
/// let op = GetMetadata::new(NamespaceId::new("ns1")?, Key::new("k")?);
/// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"owner":"ops"}}"#;
/// assert_eq!(op.parse(http::Response::new(&body[..]))?, Some(serde_json::json!({"owner": "ops"})));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMetadata {
    namespace: NamespaceId,
    key: Key,
}

impl GetMetadata {
    /// Reads the metadata of `key` in `namespace`.
    ///
    /// ```
    /// use kv_proto::{GetMetadata, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = GetMetadata::new(NamespaceId::new("ns1")?, Key::new("k")?).request(&ep);
    /// assert!(req.uri().path().ends_with("/namespaces/ns1/metadata/k"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(namespace: NamespaceId, key: Key) -> GetMetadata {
        GetMetadata { namespace, key }
    }

    /// The namespace.
    ///
    /// ```
    /// use kv_proto::{GetMetadata, Key, NamespaceId};
    /// let op = GetMetadata::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespace(&self) -> &NamespaceId {
        &self.namespace
    }

    /// The key.
    ///
    /// ```
    /// use kv_proto::{GetMetadata, Key, NamespaceId};
    /// let op = GetMetadata::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.key().as_str(), "k");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn key(&self) -> &Key {
        &self.key
    }
}

impl Operation for GetMetadata {
    type Output = Option<serde_json::Value>;

    fn request(&self, endpoint: &Endpoint) -> http::Request<Vec<u8>> {
        endpoint.build_request(
            Method::GET,
            endpoint.key_url(&self.namespace, "metadata", &self.key),
            &[],
            JSON,
            None,
            Vec::new(),
        )
    }

    fn max_response_bytes(&self) -> u64 {
        MAX_SMALL_JSON_RESPONSE
    }

    fn route(&self) -> &'static str {
        super::route!("GET", "/{namespace_id}/metadata/{key_name}")
    }

    fn namespace_id(&self) -> Option<&NamespaceId> {
        Some(&self.namespace)
    }

    fn key(&self) -> Option<&Key> {
        Some(&self.key)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<serde_json::Value>, Error> {
        decode_optional(&response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_skips_candidates_found_in_the_content() {
        let seed = 42;
        let first = boundary_candidate(seed, 0);
        let second = boundary_candidate(seed, 1);
        assert_ne!(first, second);
        assert_eq!(pick_boundary_from(seed, b"plain", b"{}"), first);
        // The first candidate inside the value, then the second inside the metadata.
        let value = format!("xx--{first}\r\nyy");
        assert_eq!(pick_boundary_from(seed, value.as_bytes(), b"{}"), second);
        let meta = format!("{{\"a\":\"{second}\"}}");
        let third = pick_boundary_from(seed, value.as_bytes(), meta.as_bytes());
        assert_eq!(third, boundary_candidate(seed, 2));
        // Boundaries are valid per RFC 2046: at most 70 characters, no quoting needed.
        assert!(third.len() <= 70);
        assert!(
            third
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
    }

    #[test]
    fn expiration_header_forms() {
        let mut h = http::HeaderMap::new();
        assert_eq!(expiration_header(&h), None);
        h.insert("expiration", " 1900000000 ".parse().unwrap());
        assert_eq!(expiration_header(&h), Some(1_900_000_000));
        h.insert("expiration", "1.9e9".parse().unwrap());
        assert_eq!(expiration_header(&h), Some(1_900_000_000));
        for bad in ["-1", "1.5", "soon", ""] {
            h.insert("expiration", bad.parse().unwrap());
            assert_eq!(expiration_header(&h), None, "{bad}");
        }
    }
}
