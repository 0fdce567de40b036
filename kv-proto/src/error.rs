//! The one error type of the crate: [`Error`], a boxed [`ErrorKind`] with predicates.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;

/// Cloudflare error code: authentication failed (also used for permission problems).
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// assert!(api(403, kv_proto::CODE_AUTH, &[]).is_auth());
/// assert!(api(405, kv_proto::CODE_AUTH, &[]).is_auth());
/// ```
pub const CODE_AUTH: u32 = 10000;
/// Cloudflare error code: key not found (read value, read metadata).
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// assert!(api(404, kv_proto::CODE_KEY_NOT_FOUND, &[]).is_key_not_found());
/// ```
pub const CODE_KEY_NOT_FOUND: u32 = 10009;
/// Cloudflare error code: the namespace id could not be parsed.
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// let e = api(400, kv_proto::CODE_INVALID_NAMESPACE_ID, &[]);
/// assert_eq!(e.codes(), vec![10011]);
/// assert!(!e.is_retryable());
/// ```
pub const CODE_INVALID_NAMESPACE_ID: u32 = 10011;
/// Cloudflare error code: namespace not found.
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// assert!(api(404, kv_proto::CODE_NAMESPACE_NOT_FOUND, &[]).is_namespace_not_found());
/// ```
pub const CODE_NAMESPACE_NOT_FOUND: u32 = 10013;
/// Cloudflare error code: a namespace with this title already exists.
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// assert!(api(400, kv_proto::CODE_TITLE_EXISTS, &[]).has_code(10014));
/// ```
pub const CODE_TITLE_EXISTS: u32 = 10014;
/// Cloudflare error code: the free plan's daily quota is used up (not retryable today).
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// let e = api(429, kv_proto::CODE_DAILY_QUOTA, &[]);
/// assert!(e.is_quota_exceeded() && e.is_rate_limited() && !e.is_retryable());
/// ```
pub const CODE_DAILY_QUOTA: u32 = 10048;
/// Cloudflare error code: the global API rate limit was hit.
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// let e = api(400, kv_proto::CODE_RATE_LIMITED, &[]);
/// assert!(e.is_rate_limited());
/// ```
pub const CODE_RATE_LIMITED: u32 = 971;

/// Every error kv-proto (and the shells built on it) can report.
///
/// It is one word wide (the kind is boxed), so `Result<T, Error>` stays small. Match on
/// [`Error::kind`] for details, or ask the predicates ([`Error::is_not_found`],
/// [`Error::is_rate_limited`], [`Error::is_retryable`], ...).
///
/// No variant ever holds a credential, so `Debug` and `Display` are safe to log.
///
/// # Example
/// ```
/// use kv_proto::Key;
///
/// let err = Key::new("..").unwrap_err();
/// assert!(err.is_invalid_input());
/// assert!(!err.is_retryable());
/// assert!(err.to_string().contains(".."));
/// ```
pub struct Error(Box<ErrorKind>);

/// What went wrong. Non-exhaustive: new kinds may be added.
///
/// ```
/// use kv_proto::{ErrorKind, Key, Limit};
/// match Key::new("").unwrap_err().kind() {
///     ErrorKind::InvalidInput { limit, .. } => assert_eq!(*limit, Limit::Key),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input breaks a documented limit; nothing was sent.
    InvalidInput {
        /// Which limit was broken.
        limit: Limit,
        /// A human-readable explanation naming the limit and the offending value's size.
        message: String,
    },
    /// The server answered with a Cloudflare error envelope (`success: false`), under any status.
    Api(ApiError),
    /// The server answered with a non-success status and a body that is not an envelope
    /// (for example an HTML 502 page from a proxy).
    Http(HttpError),
    /// A success response whose body could not be decoded into the expected shape.
    Decode(DecodeError),
    /// The response body was larger than the operation allows; the transport stopped reading.
    ResponseTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The transport failed before a complete response arrived.
    Transport(TransportError),
    /// The server broke the protocol in a way that would make a driver loop or lose data
    /// (for example a list cursor that repeats).
    Protocol {
        /// What the server did.
        message: String,
    },
    /// The caller finished a plan before this work was done (nothing went wrong on the wire).
    Abandoned {
        /// What was left undone.
        message: String,
    },
}

/// The documented limit an [`ErrorKind::InvalidInput`] refers to.
///
/// ```
/// use kv_proto::{Limit, Title};
/// assert_eq!(Title::new("").unwrap_err().limit(), Some(Limit::Title));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Key names: 1..=512 bytes of UTF-8, not `.` or `..`.
    Key,
    /// Account ids: 1..=32 characters of `[0-9A-Za-z]`.
    AccountId,
    /// Namespace ids: 1..=32 characters of `[0-9A-Za-z]`.
    NamespaceId,
    /// Namespace titles: 1..=512 characters.
    Title,
    /// Metadata: JSON serialising to at most 1024 bytes.
    Metadata,
    /// Values: at most 25 MiB (26,214,400 bytes).
    ValueSize,
    /// `expiration_ttl`: at least 60 seconds.
    ExpirationTtl,
    /// List keys `limit`: 10..=1000.
    ListLimit,
    /// List namespaces `per_page` (5..=100) and `page` (at least 1).
    Paging,
    /// Bulk get: 1..=100 keys.
    BulkGetCount,
    /// Bulk delete: 1..=10,000 keys.
    BulkDeleteCount,
    /// Bulk write: 1..=10,000 items.
    BulkWriteCount,
    /// Bulk write: request body at most 100 MB.
    BulkWriteBytes,
    /// The base URL (must be HTTPS unless the host is loopback).
    BaseUrl,
    /// Credentials (a token or key must be a valid, non-empty header value).
    Credentials,
    /// A configuration value of a driver (pager, plan, retry policy, pacer).
    Config,
}

/// One `{code, message}` item of an envelope's `errors` or `messages`.
///
/// ```
/// use kv_proto::ResponseInfo;
/// let info: ResponseInfo = serde_json::from_str(r#"{"code":10009,"message":"key not found"}"#).unwrap();
/// assert_eq!(info.code, 10009);
/// assert_eq!(info.documentation_url, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResponseInfo {
    /// Cloudflare's numeric code (for example 10009, key not found).
    #[serde(default, deserialize_with = "crate::de::u32_lenient")]
    pub code: u32,
    /// The message as sent by the server.
    #[serde(default)]
    pub message: String,
    /// A link to documentation, when the server sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// A JSON pointer into the request that caused the error, when the server sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ErrorSource>,
}

/// Where in the request an error points (`source.pointer`).
///
/// ```
/// use kv_proto::ResponseInfo;
/// let info: ResponseInfo =
///     serde_json::from_str(r#"{"code":1,"message":"bad","source":{"pointer":"/title"}}"#).unwrap();
/// assert_eq!(info.source.unwrap().pointer, "/title");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorSource {
    /// A JSON pointer, e.g. `/title`.
    #[serde(default)]
    pub pointer: String,
}

/// What the server said when it sent a `Retry-After` (or `retry-after-ms`) header.
///
/// ```
/// use kv_proto::RetryAfter;
/// use std::time::{Duration, UNIX_EPOCH};
/// let now = UNIX_EPOCH + Duration::from_secs(100);
/// assert_eq!(RetryAfter::At(UNIX_EPOCH).delay_from(now), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait this long (delta-seconds or `retry-after-ms`).
    Delay(Duration),
    /// Wait until this instant (HTTP-date form); compare with a `now` you supply.
    At(SystemTime),
}

impl RetryAfter {
    /// The wait from `now`: a [`RetryAfter::Delay`] as is, a date minus `now` (zero if past).
    ///
    /// ```
    /// use kv_proto::RetryAfter;
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let now = UNIX_EPOCH + Duration::from_secs(1_000);
    /// let at = RetryAfter::At(UNIX_EPOCH + Duration::from_secs(1_030));
    /// assert_eq!(at.delay_from(now), Duration::from_secs(30));
    /// assert_eq!(RetryAfter::Delay(Duration::from_secs(2)).delay_from(now), Duration::from_secs(2));
    /// ```
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match *self {
            RetryAfter::Delay(d) => d,
            RetryAfter::At(t) => t.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }

    /// Reads `retry-after-ms` (milliseconds) first, then `Retry-After` as delta-seconds or an
    /// HTTP-date. Unparseable values are ignored (`None`).
    ///
    /// ```
    /// use kv_proto::RetryAfter;
    /// use std::time::Duration;
    ///
    /// let mut h = http::HeaderMap::new();
    /// h.insert("retry-after", "7".parse().unwrap());
    /// assert_eq!(RetryAfter::from_headers(&h), Some(RetryAfter::Delay(Duration::from_secs(7))));
    /// h.insert("retry-after-ms", "250".parse().unwrap());
    /// assert_eq!(RetryAfter::from_headers(&h), Some(RetryAfter::Delay(Duration::from_millis(250))));
    /// ```
    pub fn from_headers(headers: &http::HeaderMap) -> Option<RetryAfter> {
        if let Some(ms) = headers
            .get("retry-after-ms")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms < 1e12)
        {
            return Some(RetryAfter::Delay(Duration::from_secs_f64(ms / 1000.0)));
        }
        let value = headers
            .get(http::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }
}

/// What a response said about itself, kept on every server-side error.
///
/// ```
/// use kv_proto::ResponseMeta;
/// let meta = ResponseMeta::from_parts(http::StatusCode::OK, &http::HeaderMap::new());
/// assert_eq!((meta.ray_id, meta.retry_after, meta.should_retry), (None, None, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `cf-ray` header, for support tickets.
    pub ray_id: Option<String>,
    /// The server's requested wait, if it sent one.
    pub retry_after: Option<RetryAfter>,
    /// `x-should-retry: true|false`, if the server sent it.
    pub should_retry: Option<bool>,
}

impl ResponseMeta {
    /// Collects status, `cf-ray`, `Retry-After` / `retry-after-ms` and `x-should-retry`.
    ///
    /// ```
    /// use kv_proto::{ResponseMeta, RetryAfter};
    /// use std::time::Duration;
    /// let mut h = http::HeaderMap::new();
    /// h.insert("cf-ray", "8a1b2c3d4e5f-SJC".parse().unwrap());
    /// h.insert("retry-after", "3".parse().unwrap());
    /// h.insert("x-should-retry", "false".parse().unwrap());
    /// let meta = ResponseMeta::from_parts(http::StatusCode::TOO_MANY_REQUESTS, &h);
    /// assert_eq!(meta.ray_id.as_deref(), Some("8a1b2c3d4e5f-SJC"));
    /// assert_eq!(meta.retry_after, Some(RetryAfter::Delay(Duration::from_secs(3))));
    /// assert_eq!(meta.should_retry, Some(false));
    /// ```
    pub fn from_parts(status: StatusCode, headers: &http::HeaderMap) -> ResponseMeta {
        let ray_id = headers
            .get("cf-ray")
            .and_then(|v| v.to_str().ok())
            .map(|s| truncate_chars(s, 64));
        let should_retry = headers
            .get("x-should-retry")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| match s.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            });
        ResponseMeta {
            status,
            ray_id,
            retry_after: RetryAfter::from_headers(headers),
            should_retry,
        }
    }
}

/// The server's error envelope, with everything it said.
///
/// ```
/// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
/// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
/// #     let mut h = http::HeaderMap::new();
/// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
/// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
/// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
/// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
/// # }
/// match api(404, 10009, &[]).kind() {
///     ErrorKind::Api(e) => assert_eq!(e.errors[0].code, 10009),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Status, ray id, Retry-After.
    pub meta: ResponseMeta,
    /// Every item of `errors` (may be empty: some failures carry none).
    pub errors: Vec<ResponseInfo>,
    /// Every item of `messages`.
    pub messages: Vec<ResponseInfo>,
}

/// A non-success status whose body is not a Cloudflare envelope.
///
/// ```
/// use kv_proto::{Error, ErrorKind, HttpError, ResponseMeta};
/// let meta = ResponseMeta::from_parts(http::StatusCode::BAD_GATEWAY, &http::HeaderMap::new());
/// let e = Error::new(ErrorKind::Http(HttpError { meta, excerpt: "<html>502</html>".into() }));
/// assert!(e.is_server_error() && e.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// Status, ray id, Retry-After.
    pub meta: ResponseMeta,
    /// The start of the body, lossily decoded, for diagnosis.
    pub excerpt: String,
}

/// A success response that did not have the expected shape.
///
/// ```
/// use kv_proto::{DecodeError, Error, ErrorKind, ResponseMeta};
/// let meta = ResponseMeta::from_parts(http::StatusCode::OK, &http::HeaderMap::new());
/// let e = Error::new(ErrorKind::Decode(DecodeError {
///     meta, path: "result.title".into(), message: "expected a string".into(), excerpt: "{}".into(),
/// }));
/// assert_eq!(e.status(), Some(http::StatusCode::OK));
/// assert!(!e.is_retryable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Status, ray id.
    pub meta: ResponseMeta,
    /// Where in the JSON the decoder failed (e.g. `result.values.k1.metadata`), if known.
    pub path: String,
    /// The decoder's message.
    pub message: String,
    /// The start of the body, lossily decoded, for diagnosis.
    pub excerpt: String,
}

/// A failure below HTTP, reported by a transport.
///
/// ```
/// use kv_proto::{Error, ErrorKind, TransportErrorKind};
/// let e = Error::transport(TransportErrorKind::ConnectionClosed, "reset by peer");
/// match e.kind() {
///     ErrorKind::Transport(t) => assert_eq!(t.message, "reset by peer"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// The class of failure (drives [`Error::is_retryable`]).
    pub kind: TransportErrorKind,
    /// The transport's own description (never containing credentials).
    pub message: String,
}

/// Classes of transport failure.
///
/// ```
/// use kv_proto::{Error, TransportErrorKind};
/// assert!(!Error::transport(TransportErrorKind::Redirect, "301").is_retryable());
/// assert!(Error::transport(TransportErrorKind::Dns, "no such host").is_retryable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Name resolution failed.
    Dns,
    /// The TCP connection could not be made.
    Connect,
    /// TLS handshake or certificate failure.
    Tls,
    /// A connect, read or overall timeout fired.
    Timeout,
    /// The connection was closed or reset before the full response arrived
    /// (including a body shorter than its `Content-Length`).
    ConnectionClosed,
    /// The server sent something that is not valid HTTP.
    InvalidResponse,
    /// The server redirected; redirects are never followed (credentials stay put).
    Redirect,
    /// Anything else.
    Other,
}

/// Longest body excerpt kept in an error, in characters.
///
/// ```
/// use kv_proto::EXCERPT_CHARS;
/// assert_eq!(EXCERPT_CHARS, 200);
/// ```
pub const EXCERPT_CHARS: usize = 200;

pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    truncate_chars(&String::from_utf8_lossy(head), EXCERPT_CHARS)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

impl Error {
    /// Wraps a kind.
    ///
    /// ```
    /// use kv_proto::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::ResponseTooLarge { limit: 1024 });
    /// assert!(e.is_too_large());
    /// ```
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }

    /// An [`ErrorKind::InvalidInput`] error.
    ///
    /// ```
    /// use kv_proto::{Error, Limit};
    /// let e = Error::invalid_input(Limit::Config, "concurrency must be at least 1");
    /// assert!(e.is_invalid_input());
    /// ```
    pub fn invalid_input(limit: Limit, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput {
            limit,
            message: message.into(),
        })
    }

    /// An [`ErrorKind::Transport`] error, for transports to report failures.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// let e = Error::transport(TransportErrorKind::Timeout, "read timed out after 30s");
    /// assert!(e.is_timeout() && e.is_retryable());
    /// ```
    pub fn transport(kind: TransportErrorKind, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Transport(TransportError {
            kind,
            message: message.into(),
        }))
    }

    /// An [`ErrorKind::Protocol`] error.
    ///
    /// ```
    /// use kv_proto::{Error, ErrorKind};
    /// let e = Error::protocol("list cursor repeated");
    /// assert!(matches!(e.kind(), ErrorKind::Protocol { .. }));
    /// assert!(!e.is_retryable());
    /// ```
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol {
            message: message.into(),
        })
    }

    /// An [`ErrorKind::Abandoned`] error: the caller finished a plan before this work was done.
    ///
    /// ```
    /// use kv_proto::{Error, ErrorKind};
    /// let e = Error::abandoned("finished early");
    /// assert!(matches!(e.kind(), ErrorKind::Abandoned { .. }));
    /// assert!(e.is_abandoned() && !e.is_retryable());
    /// ```
    pub fn abandoned(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Abandoned {
            message: message.into(),
        })
    }

    /// True for an [`ErrorKind::Abandoned`] error (a plan finished before this work was done).
    ///
    /// ```
    /// assert!(kv_proto::Error::abandoned("x").is_abandoned());
    /// assert!(!kv_proto::Error::protocol("x").is_abandoned());
    /// ```
    pub fn is_abandoned(&self) -> bool {
        matches!(&*self.0, ErrorKind::Abandoned { .. })
    }

    /// An [`ErrorKind::ResponseTooLarge`] error.
    ///
    /// ```
    /// use kv_proto::Error;
    /// let e = Error::response_too_large(1 << 20);
    /// assert!(e.is_too_large() && !e.is_retryable());
    /// ```
    pub fn response_too_large(limit: u64) -> Error {
        Error::new(ErrorKind::ResponseTooLarge { limit })
    }

    /// The kind, for matching.
    ///
    /// ```
    /// use kv_proto::{ErrorKind, Key};
    /// assert!(matches!(Key::new("").unwrap_err().kind(), ErrorKind::InvalidInput { .. }));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Unboxes the kind.
    ///
    /// ```
    /// use kv_proto::{Error, ErrorKind};
    /// match Error::protocol("oops").into_kind() {
    ///     ErrorKind::Protocol { message } => assert_eq!(message, "oops"),
    ///     other => panic!("unexpected {other:?}"),
    /// }
    /// ```
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// Status, ray id and Retry-After of the response that caused this error, if one did.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// let e = api(500, 1, &[("cf-ray", "abc-LHR")]);
    /// assert_eq!(e.response_meta().map(|m| m.status.as_u16()), Some(500));
    /// assert!(Error::protocol("x").response_meta().is_none());
    /// ```
    pub fn response_meta(&self) -> Option<&ResponseMeta> {
        match &*self.0 {
            ErrorKind::Api(e) => Some(&e.meta),
            ErrorKind::Http(e) => Some(&e.meta),
            ErrorKind::Decode(e) => Some(&e.meta),
            _ => None,
        }
    }

    /// The HTTP status, if a response was received.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert_eq!(api(404, 10009, &[]).status(), Some(http::StatusCode::NOT_FOUND));
    /// assert_eq!(Error::protocol("x").status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        self.response_meta().map(|m| m.status)
    }

    /// The `cf-ray` id of the response, if any.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert_eq!(api(500, 1, &[("cf-ray", "abc-LHR")]).ray_id(), Some("abc-LHR"));
    /// ```
    pub fn ray_id(&self) -> Option<&str> {
        self.response_meta().and_then(|m| m.ray_id.as_deref())
    }

    /// The server's requested wait, if any.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// use kv_proto::RetryAfter;
    /// let e = api(429, 971, &[("retry-after", "5")]);
    /// assert_eq!(e.retry_after(), Some(RetryAfter::Delay(std::time::Duration::from_secs(5))));
    /// ```
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.response_meta().and_then(|m| m.retry_after)
    }

    /// Every Cloudflare error code in the envelope (empty for other kinds).
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert_eq!(api(404, 10009, &[]).codes(), vec![10009]);
    /// assert!(Error::protocol("x").codes().is_empty());
    /// ```
    pub fn codes(&self) -> Vec<u32> {
        match &*self.0 {
            ErrorKind::Api(e) => e.errors.iter().map(|i| i.code).collect(),
            _ => Vec::new(),
        }
    }

    /// True if the envelope carries this Cloudflare error code.
    ///
    /// ```
    /// # use kv_proto::{Error, ErrorKind, ApiError, ResponseInfo, ResponseMeta, CODE_KEY_NOT_FOUND};
    /// let e = Error::new(ErrorKind::Api(ApiError {
    ///     meta: ResponseMeta { status: http::StatusCode::NOT_FOUND, ray_id: None, retry_after: None, should_retry: None },
    ///     errors: vec![ResponseInfo { code: 10009, message: "get: 'key not found'".into(), documentation_url: None, source: None }],
    ///     messages: vec![],
    /// }));
    /// assert!(e.has_code(CODE_KEY_NOT_FOUND) && e.is_key_not_found() && e.is_not_found());
    /// ```
    pub fn has_code(&self, code: u32) -> bool {
        matches!(&*self.0, ErrorKind::Api(e) if e.errors.iter().any(|i| i.code == code))
    }

    /// The input was rejected before sending.
    ///
    /// ```
    /// use kv_proto::Key;
    /// assert!(Key::new("").unwrap_err().is_invalid_input());
    /// ```
    pub fn is_invalid_input(&self) -> bool {
        matches!(&*self.0, ErrorKind::InvalidInput { .. })
    }

    /// The limit an invalid input broke.
    ///
    /// ```
    /// use kv_proto::{Expiration, Limit};
    /// assert_eq!(Expiration::ttl(1).unwrap_err().limit(), Some(Limit::ExpirationTtl));
    /// ```
    pub fn limit(&self) -> Option<Limit> {
        match &*self.0 {
            ErrorKind::InvalidInput { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// 404, or a key/namespace-not-found code.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(404, 0, &[]).is_not_found());
    /// assert!(api(400, 10013, &[]).is_not_found());
    /// assert!(!api(500, 0, &[]).is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
            || self.has_code(CODE_KEY_NOT_FOUND)
            || self.has_code(CODE_NAMESPACE_NOT_FOUND)
    }

    /// The key does not exist (or has expired): code 10009.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(404, 10009, &[]).is_key_not_found());
    /// assert!(!api(404, 10013, &[]).is_key_not_found());
    /// ```
    pub fn is_key_not_found(&self) -> bool {
        self.has_code(CODE_KEY_NOT_FOUND)
    }

    /// The namespace does not exist: code 10013.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(404, 10013, &[]).is_namespace_not_found());
    /// assert!(!api(404, 10009, &[]).is_namespace_not_found());
    /// ```
    pub fn is_namespace_not_found(&self) -> bool {
        self.has_code(CODE_NAMESPACE_NOT_FOUND)
    }

    /// 429 or code 971 (the global rate limit), or 10048 (daily quota).
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(429, 0, &[]).is_rate_limited());
    /// assert!(api(400, 971, &[]).is_rate_limited());
    /// assert!(!api(500, 0, &[]).is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.has_code(CODE_RATE_LIMITED)
            || self.is_quota_exceeded()
    }

    /// The free plan's daily quota is exhausted (code 10048): retrying today will not help.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(429, 10048, &[]).is_quota_exceeded());
    /// assert!(!api(429, 971, &[]).is_quota_exceeded());
    /// ```
    pub fn is_quota_exceeded(&self) -> bool {
        self.has_code(CODE_DAILY_QUOTA)
    }

    /// Authentication or permission failure: 401, 403, or code 10000 (also seen with 405).
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(401, 0, &[]).is_auth());
    /// assert!(api(400, 10000, &[]).is_auth());
    /// assert!(!api(404, 10009, &[]).is_auth());
    /// ```
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        ) || self.has_code(CODE_AUTH)
    }

    /// A 5xx status.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(503, 0, &[]).is_server_error());
    /// assert!(!api(429, 971, &[]).is_server_error());
    /// ```
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// The response (or the request, for 413) was too large.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(413, 0, &[]).is_too_large());
    /// assert!(Error::response_too_large(10).is_too_large());
    /// ```
    pub fn is_too_large(&self) -> bool {
        matches!(&*self.0, ErrorKind::ResponseTooLarge { .. })
            || self.status() == Some(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// A transport timeout.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// assert!(Error::transport(TransportErrorKind::Timeout, "t").is_timeout());
    /// assert!(!Error::transport(TransportErrorKind::Connect, "c").is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.transport_kind() == Some(TransportErrorKind::Timeout)
    }

    /// A transport failure (no complete response).
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// assert!(Error::transport(TransportErrorKind::Tls, "bad cert").is_transport());
    /// assert!(!Error::protocol("x").is_transport());
    /// ```
    pub fn is_transport(&self) -> bool {
        matches!(&*self.0, ErrorKind::Transport(_))
    }

    /// The class of transport failure, if this is one.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// let e = Error::transport(TransportErrorKind::Dns, "no such host");
    /// assert_eq!(e.transport_kind(), Some(TransportErrorKind::Dns));
    /// assert_eq!(Error::protocol("x").transport_kind(), None);
    /// ```
    pub fn transport_kind(&self) -> Option<TransportErrorKind> {
        match &*self.0 {
            ErrorKind::Transport(t) => Some(t.kind),
            _ => None,
        }
    }

    /// Whether the failure proves the server never processed the request: name resolution or
    /// the connection failed (nothing was sent), or the server refused it with 429 (rate
    /// limited). Only such failures are retried for non-idempotent operations, because a
    /// timeout, a reset or a 5xx may come after the server already acted.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// assert!(Error::transport(TransportErrorKind::Connect, "refused").is_unprocessed());
    /// assert!(!Error::transport(TransportErrorKind::Timeout, "read timed out").is_unprocessed());
    /// ```
    pub fn is_unprocessed(&self) -> bool {
        match self.transport_kind() {
            Some(kind) => matches!(kind, TransportErrorKind::Dns | TransportErrorKind::Connect),
            None => {
                self.status() == Some(StatusCode::TOO_MANY_REQUESTS) && !self.is_quota_exceeded()
            }
        }
    }

    /// Whether sending the same request again may succeed.
    ///
    /// Yes for connection failures, timeouts, resets, 408, 409, 429 and 5xx; no for invalid
    /// input, 400/401/403/404/413, decode failures and daily-quota exhaustion (10048). A server's
    /// `x-should-retry` header overrides the status rule.
    ///
    /// ```
    /// # use kv_proto::{ApiError, Error, ErrorKind, ResponseInfo, ResponseMeta};
    /// # fn api(status: u16, code: u32, headers: &[(&'static str, &str)]) -> Error {
    /// #     let mut h = http::HeaderMap::new();
    /// #     for (k, v) in headers { h.insert(*k, v.parse().unwrap()); }
    /// #     let meta = ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h);
    /// #     let errors = vec![ResponseInfo { code, message: "m".into(), documentation_url: None, source: None }];
    /// #     Error::new(ErrorKind::Api(ApiError { meta, errors, messages: vec![] }))
    /// # }
    /// assert!(api(503, 0, &[]).is_retryable());
    /// assert!(api(429, 971, &[]).is_retryable());
    /// assert!(!api(404, 10009, &[]).is_retryable());
    /// assert!(!api(503, 0, &[("x-should-retry", "false")]).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match &*self.0 {
            ErrorKind::Transport(t) => matches!(
                t.kind,
                TransportErrorKind::Dns
                    | TransportErrorKind::Connect
                    | TransportErrorKind::Timeout
                    | TransportErrorKind::ConnectionClosed
                    | TransportErrorKind::InvalidResponse
            ),
            ErrorKind::Api(_) | ErrorKind::Http(_) => {
                if self.is_quota_exceeded() {
                    return false;
                }
                let meta = self.response_meta();
                if let Some(explicit) = meta.and_then(|m| m.should_retry) {
                    return explicit;
                }
                let status = meta.map(|m| m.status.as_u16()).unwrap_or(0);
                matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::InvalidInput { message, .. } => write!(f, "invalid input: {message}"),
            ErrorKind::Api(e) => {
                write!(f, "Cloudflare API error (HTTP {})", e.meta.status.as_u16())?;
                if e.errors.is_empty() {
                    write!(f, " with no error details")?;
                }
                for (i, item) in e.errors.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    write!(f, "{sep}{} {}", item.code, item.message)?;
                }
                write_ray(f, &e.meta)
            }
            ErrorKind::Http(e) => {
                write!(f, "HTTP {} with a non-API body", e.meta.status.as_u16())?;
                if !e.excerpt.is_empty() {
                    write!(f, ": {:?}", e.excerpt)?;
                }
                write_ray(f, &e.meta)
            }
            ErrorKind::Decode(e) => {
                write!(
                    f,
                    "could not decode the HTTP {} response",
                    e.meta.status.as_u16()
                )?;
                if !e.path.is_empty() {
                    write!(f, " at `{}`", e.path)?;
                }
                write!(f, ": {}", e.message)?;
                if !e.excerpt.is_empty() {
                    write!(f, " (body starts {:?})", e.excerpt)?;
                }
                Ok(())
            }
            ErrorKind::ResponseTooLarge { limit } => {
                write!(f, "response body larger than the {limit}-byte limit")
            }
            ErrorKind::Transport(t) => write!(f, "transport error ({:?}): {}", t.kind, t.message),
            ErrorKind::Protocol { message } => write!(f, "protocol error: {message}"),
            ErrorKind::Abandoned { message } => write!(f, "abandoned: {message}"),
        }
    }
}

fn write_ray(f: &mut fmt::Formatter<'_>, meta: &ResponseMeta) -> fmt::Result {
    if let Some(ray) = &meta.ray_id {
        write!(f, " [cf-ray {ray}]")?;
    }
    Ok(())
}

impl std::error::Error for Error {}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, codes: &[u32]) -> Error {
        Error::new(ErrorKind::Api(ApiError {
            meta: ResponseMeta {
                status: StatusCode::from_u16(status).unwrap(),
                ray_id: Some("8a1b2c3d4e5f-SJC".into()),
                retry_after: None,
                should_retry: None,
            },
            errors: codes
                .iter()
                .map(|&code| ResponseInfo {
                    code,
                    message: format!("message {code}"),
                    documentation_url: None,
                    source: None,
                })
                .collect(),
            messages: vec![],
        }))
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 504, 520, 599] {
            assert!(api(s, &[]).is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404, 405, 413, 422] {
            assert!(!api(s, &[]).is_retryable(), "{s}");
        }
        assert!(!api(429, &[CODE_DAILY_QUOTA]).is_retryable());
        assert!(api(429, &[CODE_RATE_LIMITED]).is_rate_limited());
    }

    #[test]
    fn should_retry_header_overrides() {
        let mut h = http::HeaderMap::new();
        h.insert("x-should-retry", "false".parse().unwrap());
        let meta = ResponseMeta::from_parts(StatusCode::SERVICE_UNAVAILABLE, &h);
        let e = Error::new(ErrorKind::Http(HttpError {
            meta,
            excerpt: String::new(),
        }));
        assert!(!e.is_retryable());
    }

    #[test]
    fn display_lists_codes_and_ray() {
        let s = api(404, &[10009, 10013]).to_string();
        assert!(s.contains("HTTP 404"), "{s}");
        assert!(
            s.contains("10009 message 10009; 10013 message 10013"),
            "{s}"
        );
        assert!(s.contains("cf-ray 8a1b2c3d4e5f-SJC"), "{s}");
    }

    #[test]
    fn retry_after_forms() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        let at = RetryAfter::from_headers(&h).unwrap();
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:27:30 GMT").unwrap();
        assert_eq!(at.delay_from(now), Duration::from_secs(30));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(RetryAfter::from_headers(&h), None);
        h.insert("retry-after-ms", "-5".parse().unwrap());
        assert_eq!(RetryAfter::from_headers(&h), None);
    }

    #[test]
    fn excerpt_is_bounded_and_lossy() {
        let body = vec![0xffu8; 10_000];
        let e = excerpt(&body);
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
    }
}
