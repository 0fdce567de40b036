//! Operations: one type per KV route, all implementing [`Operation`].

/// A KV operation: a request to build and a response to parse, with no I/O in between.
///
/// Build the operation from validated inputs (constructors reject bad input), then:
///
/// 1. `op.request(&endpoint)` gives an `http::Request<Vec<u8>>` to send any way you like;
/// 2. read at most `op.max_response_bytes()` of the response body (more is an error:
///    [`crate::Error::response_too_large`]);
/// 3. `op.parse(response)` turns status, headers and body into the typed output or a typed error.
///
/// ```
/// use kv_proto::{DeleteValue, Key, NamespaceId, Operation, limits::MAX_SMALL_JSON_RESPONSE};
/// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
/// let op = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
/// let req = op.request(&ep);
/// assert_eq!(req.method(), http::Method::DELETE);
/// assert_eq!(op.max_response_bytes(), MAX_SMALL_JSON_RESPONSE);
/// let body = br#"{"success":false,"errors":[{"code":10013,"message":"namespace not found"}],"messages":[]}"#;
/// let resp = http::Response::builder().status(404).body(&body[..]).unwrap();
/// assert!(op.parse(resp).unwrap_err().is_namespace_not_found());
/// assert!(op.is_idempotent());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub trait Operation {
    /// What a successful response decodes to.
    type Output;

    /// The HTTP request for this operation. Infallible: inputs were validated on construction.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId, Operation};
    /// # let ep = kv_proto::Endpoint::new(kv_proto::AccountId::new("acc")?, kv_proto::Auth::api_token("t")?);
    /// let req = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?).request(&ep);
    /// assert_eq!(req.headers()["authorization"], "Bearer t");
    /// assert_eq!(req.uri().to_string(), "https://api.cloudflare.com/client/v4/accounts/acc/storage/kv/namespaces/ns1/values/k");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn request(&self, endpoint: &crate::Endpoint) -> http::Request<Vec<u8>>;

    /// The most response-body bytes a transport should buffer for this operation.
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId, Operation, limits::MAX_LIST_KEYS_RESPONSE};
    /// assert_eq!(ListKeys::new(NamespaceId::new("ns1")?).max_response_bytes(), MAX_LIST_KEYS_RESPONSE);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn max_response_bytes(&self) -> u64;

    /// Decodes a response (any status) into the output or an error.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId, Operation};
    /// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.parse(http::Response::new(&b"bytes"[..]))?.bytes, b"bytes");
    /// let resp = http::Response::builder().status(502).body(&b"<html>bad gateway</html>"[..]).unwrap();
    /// assert!(op.parse(resp).unwrap_err().is_retryable());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// An error envelope, a non-envelope error body, or a success body of the wrong shape.
    fn parse(&self, response: http::Response<&[u8]>) -> Result<Self::Output, crate::Error>;

    /// Whether sending this request twice has the same effect as sending it once.
    ///
    /// True for every KV route except namespace creation: a write overwrites, a delete of a
    /// deleted key succeeds, but a second `POST` of a namespace whose first `POST` was
    /// processed (its response lost) fails with 10014, "title exists". Retry drivers resend a
    /// non-idempotent request only when the failure proves it was never processed
    /// ([`crate::Error::is_unprocessed`]); see [`crate::RetryPolicy::decide_for`].
    ///
    /// ```
    /// use kv_proto::{CreateNamespace, DeleteNamespace, NamespaceId, Operation, Title};
    /// assert!(DeleteNamespace::new(NamespaceId::new("ns1")?).is_idempotent());
    /// assert!(!CreateNamespace::new(Title::new("prod")?).is_idempotent());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn is_idempotent(&self) -> bool {
        true
    }

    /// Whether the request-level retry should hand `error` straight back to the caller (one
    /// attempt) instead of re-sending the same request: a bulk write or delete made by a
    /// [`BulkPlan`](crate::BulkPlan) does so for a 524, a 413 or a timeout, which the plan
    /// answers by re-sending the batch in smaller parts.
    /// [`RetryState::on_error_for`](crate::retry::RetryState::on_error_for) gives up with
    /// [`GiveUpReason::Resize`](crate::retry::GiveUpReason::Resize). False by default.
    ///
    /// ```
    /// use kv_proto::{BulkDelete, Error, Key, NamespaceId, Operation, TransportErrorKind};
    /// let timeout = Error::transport(TransportErrorKind::Timeout, "read");
    /// // Made by hand (not by a plan): the shell retries it as usual.
    /// let op = BulkDelete::new(NamespaceId::new("ns1")?, vec![Key::new("a")?, Key::new("b")?])?;
    /// assert!(!op.defers_to_plan(&timeout));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn defers_to_plan(&self, error: &crate::Error) -> bool {
        let _ = error;
        false
    }

    /// The route template, method and path with placeholders, e.g.
    /// `"GET /accounts/{account_id}/storage/kv/namespaces/{namespace_id}/values/{key_name}"`:
    /// a low-cardinality name for logs, traces and metrics (no id, key or credential in it).
    /// `"custom"` for operations that do not say.
    ///
    /// ```
    /// use kv_proto::{DeleteValue, Key, NamespaceId, Operation};
    /// let op = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(op.route(), "DELETE /accounts/{account_id}/storage/kv/namespaces/{namespace_id}/values/{key_name}");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn route(&self) -> &'static str {
        "custom"
    }

    /// The namespace the operation addresses, if any (for logs and traces).
    ///
    /// ```
    /// use kv_proto::{ListKeys, ListNamespaces, NamespaceId, Operation};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?);
    /// assert_eq!(op.namespace_id().map(NamespaceId::as_str), Some("ns1"));
    /// assert!(ListNamespaces::new().namespace_id().is_none());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn namespace_id(&self) -> Option<&crate::NamespaceId> {
        None
    }

    /// The one key the operation addresses, if any (single-key routes). Keys can be personal
    /// data: shells should log them only when asked to.
    ///
    /// ```
    /// use kv_proto::{GetValue, Key, NamespaceId, Operation};
    /// let op = GetValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
    /// assert_eq!(Operation::key(&op).map(Key::as_str), Some("k")); // `op.key()` is GetValue's own
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn key(&self) -> Option<&crate::Key> {
        None
    }
}

/// Route template prefixes (see [`Operation::route`]).
macro_rules! route {
    ($method:literal, $suffix:literal) => {
        concat!(
            $method,
            " /accounts/{account_id}/storage/kv/namespaces",
            $suffix
        )
    };
}
pub(crate) use route;

mod bulk;
mod keys;
mod namespace;
mod value;

pub use bulk::{
    BulkDelete, BulkGet, BulkGetResponse, BulkPayload, BulkResponse, BulkValue, BulkWrite,
    BulkWriteItem, MAX_BULK_GET_KEYS, MAX_BULK_GET_RESPONSE, MAX_BULK_ITEMS,
    MAX_BULK_RESULT_RESPONSE, MAX_BULK_WRITE_BODY_BYTES,
};
pub use keys::{
    KeyInfo, KeyPage, ListKeys, MAX_LIST_KEYS_RESPONSE, MAX_LIST_LIMIT, MIN_LIST_LIMIT,
};
pub use namespace::{
    CreateNamespace, DeleteNamespace, Direction, GetNamespace, Jurisdiction, ListNamespaces,
    MAX_LIST_NAMESPACES_RESPONSE, MAX_PER_PAGE, MIN_PER_PAGE, Namespace, NamespaceMode,
    NamespaceOrder, NamespacePage, PageInfo, RenameNamespace,
};
pub use value::{
    DeleteValue, GetMetadata, GetValue, MAX_VALUE_RESPONSE, PutValue, StoredValue, TryGetValue,
};

/// `Accept` / `Content-Type` for JSON.
pub(crate) const JSON: &str = "application/json";
/// `Accept` / `Content-Type` for raw bytes.
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";
/// `Accept` for the value read: the raw bytes, or a JSON error envelope.
pub(crate) const ACCEPT_VALUE: &str = "application/octet-stream, application/json";

/// Response cap for routes whose answer is a small JSON document (one namespace, an empty
/// result, one key's metadata): 1 MiB.
///
/// ```
/// use kv_proto::{GetNamespace, NamespaceId, Operation, limits::MAX_SMALL_JSON_RESPONSE};
/// let op = GetNamespace::new(NamespaceId::new("ns1")?);
/// assert_eq!(op.max_response_bytes(), MAX_SMALL_JSON_RESPONSE);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub const MAX_SMALL_JSON_RESPONSE: u64 = 1 << 20;

/// Serialises a request body. Serialising our own plain structures cannot fail; if it ever
/// did, an empty body is sent and the server rejects it (no panic).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

pub(crate) fn json_content_type() -> Option<http::HeaderValue> {
    Some(http::HeaderValue::from_static(JSON))
}
