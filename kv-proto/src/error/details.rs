//! The parts of an [`Error`](super::Error): the server's messages and response metadata, the
//! decode, HTTP and transport details, and how much of a body an error keeps.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;

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
/// [`Error::decode_excerpt`](crate::Error::decode_excerpt).
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
pub(crate) const STRUCTURAL_NAMES: &[&str] = &[
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

pub(crate) fn is_structural_name(s: &str) -> bool {
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
pub(crate) fn skeleton(text: &str) -> String {
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
    /// The class of failure (drives [`Error::is_retryable`](crate::Error::is_retryable)).
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

pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
