//! The one error type of the crate: [`Error`], a boxed [`ErrorKind`] with predicates.

use std::fmt;
use std::time::Duration;

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
#[derive(Clone)]
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
#[derive(Debug, Clone)]
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
    /// A deadline (per call or per job) passed before the work could be sent or finished.
    /// A call that had already failed returns its last error instead; this kind says that
    /// nothing was tried in time.
    DeadlineExceeded {
        /// Which deadline, and what was left undone.
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

mod details;

pub use details::*;

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

    /// True for an [`ErrorKind::DeadlineExceeded`] error.
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(&*self.0, ErrorKind::DeadlineExceeded { .. })
    }

    /// An [`ErrorKind::DeadlineExceeded`] error.
    ///
    /// ```
    /// let e = kv_proto::Error::deadline_exceeded("the job's deadline (2s) passed");
    /// assert!(e.is_deadline_exceeded() && !e.is_retryable() && !e.is_fatal());
    /// ```
    pub fn deadline_exceeded(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::DeadlineExceeded {
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
    /// (10000, 9109), not found (10009, 10013), a bad namespace id (10011), title exists
    /// (10014), the daily quota (10048) and "no route" (7000, 7003) say what is wrong with the
    /// request's target and are final. So is any answer with `x-should-retry: false`.
    /// Validation codes (10001, 10012, ...) under a 2xx *are* garbled: validation failures
    /// come with a 4xx, and the client validated the body before sending it.
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

    /// Whether this error will recur for every request of a job against the same account and
    /// namespace, so a bulk job stops at the first one instead of sending the rest:
    ///
    /// - authentication or permission ([`Error::is_auth`]: 401, 403, codes 10000 and 9109);
    /// - the namespace does not exist or its id is invalid (codes 10013, 10011);
    /// - the daily quota is exhausted (code 10048);
    /// - "no route" (codes 7000, 7003: the account or namespace id routes nowhere).
    ///
    /// Not fatal: everything retryable, garbled answers, a bare 404 (a bulk route answers 404
    /// only for a missing namespace, but a value read answers it for a missing key), 400 and
    /// 413 (about one batch: its size or its content), invalid input (about one key).
    ///
    /// ```
    /// # use kv_proto::{Error, __doc_api_error as api};
    /// assert!(api(403, 10000, &[]).is_fatal());
    /// assert!(api(404, 10013, &[]).is_fatal());
    /// assert!(api(429, 10048, &[]).is_fatal());
    /// assert!(!api(413, 0, &[]).is_fatal());
    /// assert!(!api(429, 971, &[]).is_fatal());
    /// assert!(!api(404, 10009, &[]).is_fatal());
    /// ```
    pub fn is_fatal(&self) -> bool {
        if !matches!(&*self.0, ErrorKind::Api(_) | ErrorKind::Http(_)) {
            return false;
        }
        self.is_auth()
            || self.is_namespace_not_found()
            || self.has_code(codes::INVALID_NAMESPACE_ID)
            || self.is_quota_exceeded()
            || self.has_code(9109)
            || self.has_code(7000)
            || self.has_code(7003)
    }

    /// Whether the server may have applied the request although it failed: the answer was
    /// lost or unreadable *after* the request went out.
    ///
    /// - transport timeouts, closed connections and invalid responses, unless the transport
    ///   says the failure came while the request was still being sent
    ///   ([`TransportStage::SendingRequest`]); DNS and connect failures never;
    /// - a 2xx answer that was garbled, cut short or too large ([`Error::is_garbled`],
    ///   [`ErrorKind::ResponseTooLarge`]);
    /// - HTTP 524 (Cloudflare's origin timeout: the work may go on) and 504.
    ///
    /// Everything else (4xx, 429, other 5xx, invalid input) says the request was refused.
    ///
    /// ```
    /// use kv_proto::{Error, TransportErrorKind};
    /// # use kv_proto::__doc_api_error as api;
    /// assert!(Error::transport(TransportErrorKind::Timeout, "read timed out").maybe_applied());
    /// assert!(!Error::transport(TransportErrorKind::Connect, "refused").maybe_applied());
    /// assert!(api(524, 0, &[]).maybe_applied());
    /// assert!(!api(503, 0, &[]).maybe_applied());
    /// ```
    pub fn maybe_applied(&self) -> bool {
        match &*self.0 {
            ErrorKind::Transport(t) => {
                matches!(
                    t.kind,
                    TransportErrorKind::Timeout
                        | TransportErrorKind::ConnectionClosed
                        | TransportErrorKind::InvalidResponse
                ) && t.stage != Some(TransportStage::SendingRequest)
                    && t.timeout != Some(TimeoutLimit::Connect)
            }
            ErrorKind::ResponseTooLarge { .. } => true,
            ErrorKind::Api(_) | ErrorKind::Http(_) | ErrorKind::Decode(_) => {
                self.is_garbled() || matches!(self.status().map(|s| s.as_u16()), Some(504 | 524))
            }
            _ => false,
        }
    }
}

/// Cloudflare codes that say something definite about the request even inside a 2xx
/// `success: false` (see [`Error::is_garbled`]): re-sending it cannot change the answer. They
/// name what is wrong with the *target* (credentials, namespace, key, title, quota, route).
/// Validation codes (10001, 10012, 10019, 10021, 10029, 10034, 10047) are not here: a
/// validation failure comes with a 4xx, the client validated the body before sending, and a
/// 2xx claiming one contradicts itself.
const DEFINITE_CODES: &[u32] = &[
    codes::AUTH,
    codes::KEY_NOT_FOUND,
    codes::INVALID_NAMESPACE_ID,
    codes::NAMESPACE_NOT_FOUND,
    codes::TITLE_EXISTS,
    codes::DAILY_QUOTA,
    7000, // no route for that URI
    7003, // could not route (bad object identifier)
    9109, // invalid access token / not allowed
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
            ErrorKind::DeadlineExceeded { message } => write!(f, "deadline exceeded: {message}"),
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
