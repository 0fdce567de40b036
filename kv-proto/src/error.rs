//! The one error type of the crate: [`Error`], a boxed [`ErrorKind`] with predicates.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::codes;

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
/// use kv_proto::error::ResponseInfo;
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
/// use kv_proto::error::ResponseInfo;
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
/// use kv_proto::error::RetryAfter;
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
    /// use kv_proto::error::RetryAfter;
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
    /// use kv_proto::error::RetryAfter;
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
/// use kv_proto::error::ResponseMeta;
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
    /// use kv_proto::{error::ResponseMeta, error::RetryAfter};
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
/// # use kv_proto::{ErrorKind, __doc_api_error as api};
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
/// use kv_proto::{Error, ErrorKind, error::HttpError, error::ResponseMeta};
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
/// The body may hold stored values and metadata (a bulk get answer, say), so `Display` and
/// `Debug` never print it: they show the JSON path, the decoder's message with quoted strings
/// replaced by `"…"` ([`DecodeError::redacted_message`]) and the *shape* of the start of the body
/// ([`DecodeError::skeleton`]: strings `"…"`, numbers `#`, envelope field names kept). The body
/// excerpt itself stays available on request: [`DecodeError::excerpt`] or
/// [`Error::decode_excerpt`].
///
/// ```
/// use kv_proto::{error::DecodeError, Error, ErrorKind, error::ResponseMeta};
/// let meta = ResponseMeta::from_parts(http::StatusCode::OK, &http::HeaderMap::new());
/// let e = Error::new(ErrorKind::Decode(DecodeError {
///     meta,
///     path: "result.title".into(),
///     message: r#"invalid type: string "hunter2", expected u32"#.into(),
///     excerpt: r#"{"success":true,"result":{"title":"hunter2"}}"#.into(),
/// }));
/// let shown = e.to_string();
/// assert!(shown.contains("at `result.title`"));
/// assert!(shown.contains(r#"{"success":true,"result":{"title":"…"}}"#));
/// assert!(!shown.contains("hunter2") && !format!("{e:?}").contains("hunter2"));
/// assert!(e.decode_excerpt().unwrap().contains("hunter2")); // opt-in
/// assert!(!e.is_retryable());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Status, ray id.
    pub meta: ResponseMeta,
    /// Where in the JSON the decoder failed (e.g. `result.values.k1.metadata`); `.` is the
    /// document itself. An empty path is shown as `.`.
    pub path: String,
    /// The decoder's message, as produced: it may quote a stored value (print
    /// [`DecodeError::redacted_message`] instead).
    pub message: String,
    /// The start of the body (at most [`EXCERPT_CHARS`] characters), lossily decoded: it may
    /// hold stored values and metadata (print [`DecodeError::skeleton`] instead).
    pub excerpt: String,
}

impl DecodeError {
    /// The JSON path of the failure; `.` for the document itself, never empty.
    pub fn path(&self) -> &str {
        if self.path.is_empty() {
            "."
        } else {
            &self.path
        }
    }

    /// The decoder's message with the content of every quoted string (`"…"` or `` `…` ``)
    /// replaced by `…`, except field names of the protocol, and numbers and JSON punctuation
    /// in backquotes. This is what `Display` prints.
    ///
    /// ```
    /// # let meta = kv_proto::error::ResponseMeta::from_parts(http::StatusCode::OK, &http::HeaderMap::new());
    /// let d = kv_proto::error::DecodeError {
    ///     meta, path: ".".into(), excerpt: String::new(),
    ///     message: "invalid type: string \"s3cr3t\", expected `success`".into(),
    /// };
    /// assert_eq!(d.redacted_message(), "invalid type: string \"…\", expected `success`");
    /// ```
    pub fn redacted_message(&self) -> String {
        redact_quoted(&self.message)
    }

    /// The shape of the start of the body: JSON punctuation, `true`/`false`/`null` and the
    /// field names of the protocol kept; every other string shown as `"…"`, every number as
    /// `#`, anything else (HTML, text) as `…`. This is what `Display` prints of the body.
    ///
    /// ```
    /// # let meta = kv_proto::error::ResponseMeta::from_parts(http::StatusCode::OK, &http::HeaderMap::new());
    /// let d = kv_proto::error::DecodeError {
    ///     meta, path: ".".into(), message: String::new(),
    ///     excerpt: r#"{"success":true,"result":{"values":{"user:1":"pin 1234"},"n":[1,2.5"#.into(),
    /// };
    /// assert_eq!(d.skeleton(), r#"{"success":true,"result":{"values":{"…":"…"},"…":[#,#"#);
    /// ```
    pub fn skeleton(&self) -> String {
        skeleton(&self.excerpt)
    }

    /// The start of the body as received (the `excerpt` field). Opt-in: it may hold stored
    /// values and metadata, so never log it where user data must not go.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the excerpt nor the raw message: they may quote stored values.
        f.debug_struct("DecodeError")
            .field("meta", &self.meta)
            .field("path", &self.path())
            .field("message", &self.redacted_message())
            .field("skeleton", &self.skeleton())
            .field("excerpt_chars", &self.excerpt.chars().count())
            .finish()
    }
}

/// Field names of the protocol, kept as they are in a [`DecodeError::skeleton`] and in a
/// [`DecodeError::redacted_message`]: they describe the shape, not stored data.
const STRUCTURAL_NAMES: &[&str] = &[
    "success",
    "errors",
    "messages",
    "result",
    "result_info",
    "code",
    "message",
    "documentation_url",
    "source",
    "pointer",
    "count",
    "cursor",
    "page",
    "per_page",
    "total_count",
    "total_pages",
    "values",
    "value",
    "metadata",
    "expiration",
    "name",
    "id",
    "title",
    "supports_url_encoding",
    "successful_key_count",
    "unsuccessful_keys",
];

fn is_structural_name(s: &str) -> bool {
    STRUCTURAL_NAMES.contains(&s)
}

/// See [`DecodeError::redacted_message`]. Handles backslash escapes inside double quotes (serde
/// prints strings with `{:?}`), and an unterminated quote (redacted to the end).
pub(crate) fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if c != '"' && c != '`' {
            out.push(c);
            continue;
        }
        let mut inner = String::new();
        let mut closed = false;
        while let Some(d) = chars.next() {
            if d == c {
                closed = true;
                break;
            }
            if c == '"' && d == '\\' {
                inner.push(d);
                if let Some(e) = chars.next() {
                    inner.push(e);
                }
                continue;
            }
            inner.push(d);
        }
        out.push(c);
        let numeric = !inner.is_empty()
            && inner.len() <= 24
            && inner
                .chars()
                .all(|d| d.is_ascii_digit() || "-+.eE".contains(d));
        // serde_json's syntax messages quote JSON punctuation: "expected `,` or `}`".
        let punctuation = !inner.is_empty() && inner.chars().all(|d| ",:{}[]".contains(d));
        if is_structural_name(&inner) || (c == '`' && (numeric || punctuation)) {
            out.push_str(&inner);
        } else {
            out.push('…');
        }
        if closed {
            out.push(c);
        }
    }
    out
}

/// See [`DecodeError::skeleton`]. A lenient scan, not a parser: the excerpt is often cut short
/// or not JSON at all.
fn skeleton(text: &str) -> String {
    // Per open container: is it an object, and is the next string in it a key?
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut out = String::with_capacity(text.len().min(EXCERPT_CHARS * 2));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '[' => {
                stack.push((c == '{', c == '{'));
                out.push(c);
            }
            '}' | ']' => {
                stack.pop();
                out.push(c);
            }
            ',' => {
                if let Some(top) = stack.last_mut() {
                    top.1 = top.0;
                }
                out.push(c);
            }
            ':' => {
                if let Some(top) = stack.last_mut() {
                    top.1 = false;
                }
                out.push(c);
            }
            '"' => {
                let mut inner = String::new();
                let mut closed = false;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            inner.push(d);
                            if let Some(e) = chars.next() {
                                inner.push(e);
                            }
                        }
                        _ => inner.push(d),
                    }
                }
                let is_key = stack.last().is_some_and(|top| top.1);
                out.push('"');
                if closed && is_key && is_structural_name(&inner) {
                    out.push_str(&inner);
                } else {
                    out.push('…');
                }
                if closed {
                    out.push('"');
                }
            }
            c if c.is_whitespace() => {}
            c if c == '-' || c.is_ascii_digit() => {
                while chars
                    .peek()
                    .is_some_and(|d| d.is_ascii_digit() || "+-.eE".contains(*d))
                {
                    chars.next();
                }
                out.push('#');
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::from(c);
                while let Some(d) = chars.next_if(|d| d.is_ascii_alphanumeric()) {
                    word.push(d);
                }
                if matches!(word.as_str(), "true" | "false" | "null") {
                    out.push_str(&word);
                } else if !out.ends_with('…') {
                    out.push('…');
                }
            }
            _ => {
                if !out.ends_with('…') {
                    out.push('…');
                }
            }
        }
    }
    out
}

/// A failure below HTTP, reported by a transport.
///
/// Besides the class and the transport's message, it says (when the transport knows) at
/// which stage of the exchange the failure came and, for a timeout, which limit fired and its
/// value; `Display` names them.
///
/// ```
/// use kv_proto::{Error, ErrorKind, error::TimeoutLimit, TransportErrorKind, error::TransportStage};
/// use std::time::Duration;
///
/// let e = Error::transport(TransportErrorKind::ConnectionClosed, "reset by peer")
///     .with_transport_stage(TransportStage::ReadingBody);
/// match e.kind() {
///     ErrorKind::Transport(t) => assert_eq!(t.stage, Some(TransportStage::ReadingBody)),
///     other => panic!("unexpected {other:?}"),
/// }
/// assert!(e.to_string().contains("while reading the response body"), "{e}");
///
/// let e = Error::timeout(TimeoutLimit::Connect, Some(Duration::from_secs(2)), "timed out");
/// assert!(e.to_string().contains("the connect timeout (2s) elapsed"), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// The class of failure (drives [`Error::is_retryable`]).
    pub kind: TransportErrorKind,
    /// The transport's own description (never containing credentials).
    pub message: String,
    /// Where in the exchange the failure came, if the transport knows.
    pub stage: Option<TransportStage>,
    /// For a timeout: which limit fired, if the transport knows.
    pub timeout: Option<TimeoutLimit>,
    /// For a timeout: the value of that limit, if the transport knows.
    pub timeout_after: Option<Duration>,
}

/// The stage of an HTTP exchange at which a transport failed (a connection closed, a timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportStage {
    /// Writing the request: its head or its body.
    SendingRequest,
    /// The request was written; waiting for or reading the response status and headers.
    AwaitingHeaders,
    /// The headers arrived; reading the response body.
    ReadingBody,
}

impl fmt::Display for TransportStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportStage::SendingRequest => "sending the request",
            TransportStage::AwaitingHeaders => "awaiting the response headers",
            TransportStage::ReadingBody => "reading the response body",
        })
    }
}

/// Which time limit a transport timeout hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutLimit {
    /// Resolving the host name.
    Resolve,
    /// Setting up the connection (connect, TLS handshake, proxy).
    Connect,
    /// The whole exchange, from sending the request to the end of the body.
    Request,
    /// Sending the request (head or body).
    Send,
    /// Receiving the response status and headers.
    ResponseHeaders,
    /// Receiving the response body.
    ResponseBody,
    /// A single read or write on the socket.
    SocketIo,
}

impl fmt::Display for TimeoutLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutLimit::Resolve => "the name-resolution timeout",
            TimeoutLimit::Connect => "the connect timeout",
            TimeoutLimit::Request => "the request timeout",
            TimeoutLimit::Send => "the send timeout",
            TimeoutLimit::ResponseHeaders => "the response-headers timeout",
            TimeoutLimit::ResponseBody => "the response-body timeout",
            TimeoutLimit::SocketIo => "the socket read/write timeout",
        })
    }
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
/// use kv_proto::limits::EXCERPT_CHARS;
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
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }

    /// An [`ErrorKind::InvalidInput`] error.
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
            stage: None,
            timeout: None,
            timeout_after: None,
        }))
    }

    /// A [`TransportErrorKind::Timeout`] error naming the limit that fired and, if known, its
    /// value.
    ///
    /// ```
    /// use kv_proto::{Error, error::TimeoutLimit};
    /// use std::time::Duration;
    /// let e = Error::timeout(TimeoutLimit::Request, Some(Duration::from_secs(30)), "timed out");
    /// assert!(e.is_timeout() && e.is_retryable());
    /// assert!(e.to_string().contains("the request timeout (30s) elapsed"), "{e}");
    /// ```
    pub fn timeout(
        limit: TimeoutLimit,
        after: Option<Duration>,
        message: impl Into<String>,
    ) -> Error {
        Error::new(ErrorKind::Transport(TransportError {
            kind: TransportErrorKind::Timeout,
            message: message.into(),
            stage: None,
            timeout: Some(limit),
            timeout_after: after,
        }))
    }

    /// Records the stage of the exchange a transport error came at; other errors are returned
    /// unchanged.
    pub fn with_transport_stage(mut self, stage: TransportStage) -> Error {
        if let ErrorKind::Transport(t) = &mut *self.0 {
            t.stage = Some(stage);
        }
        self
    }

    /// An [`ErrorKind::Protocol`] error.
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
    pub fn response_too_large(limit: u64) -> Error {
        Error::new(ErrorKind::ResponseTooLarge { limit })
    }

    /// The kind, for matching.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Unboxes the kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// Status, ray id and Retry-After of the response that caused this error, if one did.
    pub fn response_meta(&self) -> Option<&ResponseMeta> {
        match &*self.0 {
            ErrorKind::Api(e) => Some(&e.meta),
            ErrorKind::Http(e) => Some(&e.meta),
            ErrorKind::Decode(e) => Some(&e.meta),
            _ => None,
        }
    }

    /// The HTTP status, if a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        self.response_meta().map(|m| m.status)
    }

    /// The `cf-ray` id of the response, if any.
    pub fn ray_id(&self) -> Option<&str> {
        self.response_meta().and_then(|m| m.ray_id.as_deref())
    }

    /// The server's requested wait, if any.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.response_meta().and_then(|m| m.retry_after)
    }

    /// Every Cloudflare error code in the envelope (empty for other kinds).
    pub fn codes(&self) -> Vec<u32> {
        match &*self.0 {
            ErrorKind::Api(e) => e.errors.iter().map(|i| i.code).collect(),
            _ => Vec::new(),
        }
    }

    /// True if the envelope carries this Cloudflare error code.
    pub fn has_code(&self, code: u32) -> bool {
        matches!(&*self.0, ErrorKind::Api(e) if e.errors.iter().any(|i| i.code == code))
    }

    /// The input was rejected before sending.
    pub fn is_invalid_input(&self) -> bool {
        matches!(&*self.0, ErrorKind::InvalidInput { .. })
    }

    /// The limit an invalid input broke.
    pub fn limit(&self) -> Option<Limit> {
        match &*self.0 {
            ErrorKind::InvalidInput { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// 404, or a key/namespace-not-found code.
    ///
    /// ```
    /// # use kv_proto::{Error, __doc_api_error as api};
    /// assert!(api(404, 0, &[]).is_not_found());
    /// assert!(api(400, 10013, &[]).is_not_found());
    /// assert!(!api(500, 0, &[]).is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
            || self.has_code(codes::KEY_NOT_FOUND)
            || self.has_code(codes::NAMESPACE_NOT_FOUND)
    }

    /// The key does not exist (or has expired): code 10009.
    pub fn is_key_not_found(&self) -> bool {
        self.has_code(codes::KEY_NOT_FOUND)
    }

    /// The namespace does not exist: code 10013.
    pub fn is_namespace_not_found(&self) -> bool {
        self.has_code(codes::NAMESPACE_NOT_FOUND)
    }

    /// 429 or code 971 (the global rate limit), or 10048 (daily quota).
    ///
    /// ```
    /// # use kv_proto::{Error, __doc_api_error as api};
    /// assert!(api(429, 0, &[]).is_rate_limited());
    /// assert!(api(400, 971, &[]).is_rate_limited());
    /// assert!(!api(500, 0, &[]).is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.has_code(codes::RATE_LIMITED)
            || self.is_quota_exceeded()
    }

    /// The free plan's daily quota is exhausted (code 10048): retrying today will not help.
    pub fn is_quota_exceeded(&self) -> bool {
        self.has_code(codes::DAILY_QUOTA)
    }

    /// Authentication or permission failure: 401, 403, or code 10000 (also seen with 405).
    ///
    /// ```
    /// # use kv_proto::{Error, __doc_api_error as api};
    /// assert!(api(401, 0, &[]).is_auth());
    /// assert!(api(400, 10000, &[]).is_auth());
    /// assert!(!api(404, 10009, &[]).is_auth());
    /// ```
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        ) || self.has_code(codes::AUTH)
    }

    /// A 5xx status.
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// The response (or the request, for 413) was too large.
    pub fn is_too_large(&self) -> bool {
        matches!(&*self.0, ErrorKind::ResponseTooLarge { .. })
            || self.status() == Some(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// A transport timeout.
    pub fn is_timeout(&self) -> bool {
        self.transport_kind() == Some(TransportErrorKind::Timeout)
    }

    /// A transport failure (no complete response).
    pub fn is_transport(&self) -> bool {
        matches!(&*self.0, ErrorKind::Transport(_))
    }

    /// The start of the body of a [`ErrorKind::Decode`] error, as received. Opt-in: it may
    /// hold stored values and metadata, which `Display` and `Debug` never print.
    pub fn decode_excerpt(&self) -> Option<&str> {
        match &*self.0 {
            ErrorKind::Decode(d) => Some(d.excerpt()),
            _ => None,
        }
    }

    /// The transport failure's details, if this is one.
    pub fn transport_error(&self) -> Option<&TransportError> {
        match &*self.0 {
            ErrorKind::Transport(t) => Some(t),
            _ => None,
        }
    }

    /// The stage of the exchange a transport failure came at, if known.
    pub fn transport_stage(&self) -> Option<TransportStage> {
        self.transport_error().and_then(|t| t.stage)
    }

    /// The class of transport failure, if this is one.
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

    /// Whether sending the same request again may succeed, whatever the request.
    ///
    /// Yes for connection failures, timeouts, resets, 408, 409, 429 and 5xx; no for invalid
    /// input, 400/401/403/404/413, garbled 2xx answers and daily-quota exhaustion (10048). A
    /// server's `x-should-retry` header overrides the status rule. Garbled 2xx answers
    /// ([`Error::is_garbled`]) are transient only for idempotent requests: retry drivers ask
    /// [`Error::is_retryable_for`].
    ///
    /// ```
    /// # use kv_proto::{Error, __doc_api_error as api};
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

    /// A 2xx answer that is garbled or contradicts itself, so says nothing definite about
    /// the request:
    ///
    /// - a body that could not be decoded ([`ErrorKind::Decode`] under a 2xx: cut short,
    ///   not JSON, the wrong shape);
    /// - an envelope with `success: false` under a 2xx that names no error, or only codes
    ///   without a definite meaning (unknown or generic ones).
    ///
    /// A 2xx `success: false` carrying a definite code is *not* garbled: authentication
    /// (10000), not found (10009, 10013), a bad namespace id (10011), title exists (10014), the
    /// daily quota (10048), the documented validation codes (10001, 10012, 10019, 10021, 10029,
    /// 10034, 10047) and "no route" (7000, 7003) say what is wrong with the request and are
    /// final. So is any answer with `x-should-retry: false`.
    ///
    /// Re-sending a request after a garbled answer is safe only if it is idempotent: see
    /// [`Error::is_retryable_for`].
    ///
    /// ```
    /// use kv_proto::{ListKeys, NamespaceId, Operation};
    /// let op = ListKeys::new(NamespaceId::new("ns1")?);
    /// let parse = |status: u16, body: &'static str| {
    ///     op.parse(http::Response::builder().status(status).body(body.as_bytes()).unwrap()).unwrap_err()
    /// };
    /// assert!(parse(200, r#"{"success":true,"result":[{"na"#).is_garbled()); // cut short
    /// assert!(parse(200, r#"{"success":false,"errors":[]}"#).is_garbled()); // says nothing
    /// assert!(parse(200, r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#).is_auth());
    /// assert!(!parse(200, r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#).is_garbled());
    /// assert!(!parse(502, "<html>bad gateway</html>").is_garbled()); // not a 2xx: is_retryable
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_garbled(&self) -> bool {
        let (meta, definite) = match &*self.0 {
            ErrorKind::Decode(d) => (&d.meta, false),
            ErrorKind::Api(a) => (
                &a.meta,
                a.errors.iter().any(|i| DEFINITE_CODES.contains(&i.code)),
            ),
            _ => return false,
        };
        meta.status.is_success() && meta.should_retry != Some(false) && !definite
    }

    /// Whether a retry driver may send the request that failed with this error again, given
    /// whether the operation is idempotent ([`crate::Operation::is_idempotent`]).
    ///
    /// - Idempotent: [`Error::is_retryable`] or [`Error::is_garbled`] (re-sending the same
    ///   read, write or delete after a garbled answer has the same effect as sending it once).
    /// - Not idempotent (namespace creation): only failures that are retryable *and* prove the
    ///   request was never processed ([`Error::is_unprocessed`]: DNS and connect failures, a
    ///   429 that is not the daily quota). A timeout, a reset, a 5xx or a garbled answer may
    ///   come after the server acted.
    ///
    /// The per-route table is in [`crate::RetryPolicy`].
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// let timeout = Error::transport(TransportErrorKind::Timeout, "timed out");
    /// assert!(timeout.is_retryable_for(true) && !timeout.is_retryable_for(false));
    /// let refused = Error::transport(TransportErrorKind::Connect, "refused");
    /// assert!(refused.is_retryable_for(false));
    /// ```
    pub fn is_retryable_for(&self, idempotent: bool) -> bool {
        if idempotent {
            self.is_retryable() || self.is_garbled()
        } else {
            self.is_retryable() && self.is_unprocessed()
        }
    }
}

/// Cloudflare codes that say something definite about the request even inside a 2xx
/// `success: false` (see [`Error::is_garbled`]): re-sending it cannot change the answer.
const DEFINITE_CODES: &[u32] = &[
    codes::AUTH,
    10001, // invalid input (body validation)
    codes::KEY_NOT_FOUND,
    codes::INVALID_NAMESPACE_ID,
    10012, // invalid request body (bulk routes)
    codes::NAMESPACE_NOT_FOUND,
    codes::TITLE_EXISTS,
    10019, // title missing
    10021, // validation error on writes
    10029, // bulk get key count
    10034, // invalid expiration_ttl
    10047, // multipart PUT without `metadata`
    codes::DAILY_QUOTA,
    7000, // no route for that URI
    7003, // could not route (bad object identifier)
];

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
                write!(f, " at `{}`: {}", e.path(), e.redacted_message())?;
                if !e.excerpt.is_empty() {
                    write!(f, " (body shape: {})", e.skeleton())?;
                }
                write_ray(f, &e.meta)
            }
            ErrorKind::ResponseTooLarge { limit } => {
                write!(f, "response body larger than the {limit}-byte limit")
            }
            ErrorKind::Transport(t) => {
                write!(f, "transport error ({:?})", t.kind)?;
                match (t.timeout, t.timeout_after) {
                    (Some(limit), Some(after)) => write!(f, ": {limit} ({after:?}) elapsed")?,
                    (Some(limit), None) => write!(f, ": {limit} elapsed")?,
                    (None, _) => {}
                }
                if let Some(stage) = t.stage {
                    write!(f, " while {stage}")?;
                }
                write!(f, ": {}", t.message)
            }
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

/// Doctest support (not part of the API): an [`ErrorKind::Api`] error with `status`, one error
/// item carrying `code`, and the given response headers. Bad input is replaced, never a panic.
#[doc(hidden)]
pub fn __doc_api_error(status: u16, code: u32, headers: &[(&str, &str)]) -> Error {
    let mut h = http::HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            h.insert(name, value);
        }
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Error::new(ErrorKind::Api(ApiError {
        meta: ResponseMeta::from_parts(status, &h),
        errors: vec![ResponseInfo {
            code,
            message: "m".into(),
            documentation_url: None,
            source: None,
        }],
        messages: vec![],
    }))
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
        assert!(!api(429, &[codes::DAILY_QUOTA]).is_retryable());
        assert!(api(429, &[codes::RATE_LIMITED]).is_rate_limited());
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
    #[test]
    fn skeleton_keeps_shape_and_protocol_names_only() {
        let cases = [
            (
                r#"{"success":true,"errors":[],"result":{"values":{"k1":{"value":"s3cr3t","metadata":{"pin":1234}}}}}"#,
                r#"{"success":true,"errors":[],"result":{"values":{"…":{"value":"…","metadata":{"…":#}}}}}"#,
            ),
            // Cut inside a string, escapes, a string value equal to a field name.
            (
                r#"{"result":"result","message":"a\"b","x":"unterminated"#,
                r#"{"result":"…","message":"…","…":"…"#,
            ),
            (r#"[1, -2.5e3, null, false]"#, "[#,#,null,false]"),
            ("<html><body>captive portal</body>", "…"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(skeleton(input), want, "{input}");
        }
    }

    #[test]
    fn redacted_message_hides_quoted_values() {
        let cases = [
            (
                r#"invalid type: string "hunter2", expected u32 at line 1 column 9"#,
                r#"invalid type: string "…", expected u32 at line 1 column 9"#,
            ),
            ("missing field `values`", "missing field `values`"),
            (
                "expected `,` or `}` at line 1 column 9",
                "expected `,` or `}` at line 1 column 9",
            ),
            (
                "unknown variant `s3cr3t`, expected `a`",
                "unknown variant `…`, expected `…`",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "invalid type: integer `5`, expected a string",
            ),
            (
                r#"string "with \" quote" and "unterminated"#,
                r#"string "…" and "…"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact_quoted(input), want, "{input}");
        }
    }

    #[test]
    fn decode_display_and_debug_never_print_the_excerpt() {
        let e = Error::new(ErrorKind::Decode(DecodeError {
            meta: ResponseMeta::from_parts(StatusCode::OK, &http::HeaderMap::new()),
            path: String::new(),
            message: r#"invalid type: string "topsecret", expected u64"#.into(),
            excerpt: r#"{"success":true,"result":"topsecret"}"#.into(),
        }));
        for shown in [e.to_string(), format!("{e:?}"), format!("{:#?}", e.kind())] {
            assert!(!shown.contains("topsecret"), "{shown}");
        }
        assert!(e.to_string().contains("at `.`"), "{e}");
        assert_eq!(
            e.decode_excerpt(),
            Some(r#"{"success":true,"result":"topsecret"}"#)
        );
        assert_eq!(Error::protocol("x").decode_excerpt(), None);
    }
}
