//! Credentials: an API token (preferred) or a Global API Key with its account email; the only
//! place that knows which headers carry them, and the redaction of errors that quote them.

use std::fmt;

use http::HeaderValue;
use http::header::{AUTHORIZATION, HeaderMap};

use crate::error::{Error, ErrorKind, Limit, ResponseInfo, ResponseMeta};

/// What a credential becomes in a redacted error.
const REDACTED: &str = "[redacted]";
/// Credentials shorter than this are not redacted: replacing every `t` or `abc` in a message
/// would garble it and protect nothing real.
const MIN_REDACTED_LEN: usize = 4;

/// How requests authenticate. The secret never appears in `Debug` output and is marked
/// sensitive on every header it is written to.
///
/// # Example
/// ```
/// use kv_proto::Auth;
///
/// let auth = Auth::api_token("s3cr3t-token-value").unwrap();
/// assert!(!format!("{auth:?}").contains("s3cr3t"));
/// assert!(Auth::api_token("").is_err());
/// assert!(Auth::api_token("line\nbreak").is_err());
/// ```
#[derive(Clone)]
pub struct Auth(Inner);

#[derive(Clone)]
enum Inner {
    Token(HeaderValue),
    Key {
        email: HeaderValue,
        key: HeaderValue,
    },
}

fn secret_header(what: &str, value: &str) -> Result<HeaderValue, Error> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid_input(
            Limit::Credentials,
            format!("the {what} is empty"),
        ));
    }
    // Visible ASCII only: this also refuses control characters that could split headers.
    if !trimmed.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(Error::invalid_input(
            Limit::Credentials,
            format!("the {what} contains characters that cannot be sent in an HTTP header"),
        ));
    }
    let mut v = HeaderValue::from_str(trimmed).map_err(|_| {
        Error::invalid_input(
            Limit::Credentials,
            format!("the {what} is not a valid header value"),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

impl Auth {
    /// An API token, sent as `Authorization: Bearer <token>`. Surrounding whitespace is trimmed.
    ///
    /// ```
    /// use kv_proto::Auth;
    /// let auth = Auth::api_token("  my-token \n").unwrap();
    /// assert!(auth.is_token());
    /// assert!(Auth::api_token("   ").is_err());
    /// ```
    ///
    /// # Errors
    /// An empty token, or one with characters outside visible ASCII.
    pub fn api_token(token: &str) -> Result<Auth, Error> {
        let t = secret_header("API token", token)?;
        let mut bearer = Vec::with_capacity(7 + t.len());
        bearer.extend_from_slice(b"Bearer ");
        bearer.extend_from_slice(t.as_bytes());
        let mut v = HeaderValue::from_bytes(&bearer).map_err(|_| {
            Error::invalid_input(
                Limit::Credentials,
                "the API token is not a valid header value",
            )
        })?;
        v.set_sensitive(true);
        Ok(Auth(Inner::Token(v)))
    }

    /// A Global API Key with its account email, sent as `X-Auth-Email` + `X-Auth-Key`.
    ///
    /// ```
    /// use kv_proto::Auth;
    /// let auth = Auth::api_key("me@example.com", "0123456789abcdef").unwrap();
    /// let dbg = format!("{auth:?}");
    /// assert!(!dbg.contains("0123456789abcdef") && !dbg.contains("me@example.com"));
    /// ```
    ///
    /// # Errors
    /// An empty email or key, or one with characters outside visible ASCII.
    pub fn api_key(email: &str, key: &str) -> Result<Auth, Error> {
        Ok(Auth(Inner::Key {
            email: secret_header("account email", email)?,
            key: secret_header("API key", key)?,
        }))
    }

    /// True for an API token, false for an API key pair.
    ///
    /// ```
    /// use kv_proto::Auth;
    /// assert!(Auth::api_token("t0k3n").unwrap().is_token());
    /// assert!(!Auth::api_key("me@example.com", "k3y").unwrap().is_token());
    /// ```
    pub fn is_token(&self) -> bool {
        matches!(self.0, Inner::Token(_))
    }

    /// Writes the authentication headers (marked sensitive).
    ///
    /// ```
    /// use kv_proto::Auth;
    /// let mut headers = http::HeaderMap::new();
    /// Auth::api_token("t0k3n").unwrap().apply(&mut headers);
    /// assert_eq!(headers["authorization"], "Bearer t0k3n");
    /// assert!(headers["authorization"].is_sensitive());
    /// ```
    pub fn apply(&self, headers: &mut HeaderMap) {
        match &self.0 {
            Inner::Token(v) => {
                headers.insert(AUTHORIZATION, v.clone());
            }
            Inner::Key { email, key } => {
                headers.insert("x-auth-email", email.clone());
                headers.insert("x-auth-key", key.clone());
            }
        }
    }
}

impl Auth {
    /// `error` with every credential of this `Auth` replaced by `[redacted]` in every message,
    /// excerpt, path and `cf-ray` it carries.
    ///
    /// A hostile or buggy server (or proxy) may quote the request, `Authorization` header
    /// included, in an error page, an envelope message or a body that fails to decode; a
    /// transport may quote a header in its failure message. Without this, `Display` and
    /// `Debug` of the error would repeat the secret into the caller's logs. A credential cut
    /// short at the end of a truncated excerpt (`"Bearer s3cr…"`) is redacted too.
    /// [`crate::exchange`] and [`crate::finish`] apply it to every error they return; call it
    /// yourself if you drive [`crate::Operation::parse`] directly.
    ///
    /// Credentials shorter than 4 bytes are left alone.
    ///
    /// # Example
    /// ```
    /// use kv_proto::{Auth, Error, TransportErrorKind};
    ///
    /// let auth = Auth::api_token("s3cr3t-token")?;
    /// let leaky = Error::transport(TransportErrorKind::Other, "proxy said: Bearer s3cr3t-token?");
    /// let clean = auth.redact(leaky);
    /// assert_eq!(clean.to_string().contains("s3cr3t"), false);
    /// assert!(format!("{clean:?}").contains("[redacted]"));
    /// assert_eq!(clean.transport_kind(), Some(TransportErrorKind::Other)); // same kind
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn redact(&self, error: Error) -> Error {
        let secrets = self.secrets();
        let shown = format!("{error:?}");
        if !secrets.iter().any(|s| shown.contains(s)) && !shown.contains('…') {
            return error;
        }
        let clean = |text: &mut String| redact_text(text, &secrets);
        let clean_meta = |meta: &mut ResponseMeta| {
            if let Some(ray) = &mut meta.ray_id {
                clean(ray);
            }
        };
        let clean_infos = |items: &mut Vec<ResponseInfo>| {
            for info in items {
                clean(&mut info.message);
                if let Some(url) = &mut info.documentation_url {
                    clean(url);
                }
                if let Some(source) = &mut info.source {
                    clean(&mut source.pointer);
                }
            }
        };
        let mut kind = error.into_kind();
        // Exhaustive on purpose: a new kind that carries text must be redacted too.
        match &mut kind {
            ErrorKind::InvalidInput { message, .. }
            | ErrorKind::Protocol { message }
            | ErrorKind::Abandoned { message }
            | ErrorKind::DeadlineExceeded { message } => clean(message),
            ErrorKind::Api(a) => {
                clean_meta(&mut a.meta);
                clean_infos(&mut a.errors);
                clean_infos(&mut a.messages);
            }
            ErrorKind::Http(h) => {
                clean_meta(&mut h.meta);
                clean(&mut h.excerpt);
            }
            ErrorKind::Decode(d) => {
                clean_meta(&mut d.meta);
                clean(&mut d.path);
                clean(&mut d.message);
                clean(&mut d.excerpt);
            }
            ErrorKind::Transport(t) => clean(&mut t.message),
            ErrorKind::ResponseTooLarge { .. } => {}
        }
        Error::new(kind)
    }

    /// The credential strings to redact, longest form first: the whole `Bearer <token>` value,
    /// then the token alone; or the key and the email.
    fn secrets(&self) -> Vec<&str> {
        let mut found = Vec::with_capacity(2);
        match &self.0 {
            Inner::Token(v) => {
                if let Ok(s) = v.to_str() {
                    found.push(s);
                    found.extend(s.strip_prefix("Bearer "));
                }
            }
            Inner::Key { email, key } => {
                found.extend(key.to_str().ok());
                found.extend(email.to_str().ok());
            }
        }
        found.retain(|s| s.len() >= MIN_REDACTED_LEN);
        found
    }
}

/// Replaces each secret in `text` by `[redacted]`; an excerpt cut inside a secret (it ends
/// with the secret's first characters and `…`) loses that tail too.
fn redact_text(text: &mut String, secrets: &[&str]) {
    for s in secrets {
        if text.contains(s) {
            *text = text.replace(s, REDACTED);
        }
    }
    let Some(head) = text.strip_suffix('…') else {
        return;
    };
    for s in secrets {
        let cut = (MIN_REDACTED_LEN..s.len())
            .rev()
            .find(|&n| s.is_char_boundary(n) && head.ends_with(&s[..n]));
        if let Some(n) = cut {
            *text = format!("{}{REDACTED}…", &head[..head.len() - n]);
            return;
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Inner::Token(_) => f.write_str("Auth::ApiToken([redacted])"),
            Inner::Key { .. } => f.write_str("Auth::ApiKey { email: [redacted], key: [redacted] }"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_written_and_sensitive() {
        let mut h = HeaderMap::new();
        Auth::api_token("  tok_123  ").unwrap().apply(&mut h);
        assert_eq!(h[AUTHORIZATION], "Bearer tok_123");
        assert!(h[AUTHORIZATION].is_sensitive());

        let mut h = HeaderMap::new();
        Auth::api_key("a@b.c", "k").unwrap().apply(&mut h);
        assert_eq!(h["x-auth-email"], "a@b.c");
        assert_eq!(h["x-auth-key"], "k");
        assert!(h["x-auth-key"].is_sensitive());
        assert!(h.get(AUTHORIZATION).is_none());
    }

    fn meta(status: u16) -> ResponseMeta {
        let mut h = HeaderMap::new();
        h.insert("cf-ray", "ray-Bearer-tok_secret_1".parse().unwrap());
        ResponseMeta::from_parts(http::StatusCode::from_u16(status).unwrap(), &h)
    }

    #[test]
    fn redaction_keeps_the_stage_and_timeout_of_a_transport_error() {
        use crate::error::{TimeoutLimit, TransportStage};
        use std::time::Duration;
        let auth = Auth::api_token("tok_secret_1").unwrap();
        let err = Error::timeout(
            TimeoutLimit::Request,
            Some(Duration::from_millis(400)),
            "gave up on Bearer tok_secret_1",
        )
        .with_transport_stage(TransportStage::ReadingBody);
        let clean = auth.redact(err);
        assert!(
            !format!("{clean} {clean:?}").contains("tok_secret_1"),
            "{clean:?}"
        );
        let t = clean.transport_error().unwrap();
        assert_eq!(t.stage, Some(TransportStage::ReadingBody));
        assert_eq!(t.timeout, Some(TimeoutLimit::Request));
        assert_eq!(t.timeout_after, Some(Duration::from_millis(400)));
    }

    #[test]
    fn redacts_every_text_of_every_kind() {
        use crate::error::{ApiError, DecodeError, ErrorSource, HttpError, TransportErrorKind};
        let auth = Auth::api_token("tok_secret_1").unwrap();
        let quote = "echo: Authorization: Bearer tok_secret_1; again tok_secret_1";
        let info = ResponseInfo {
            code: 1,
            message: quote.into(),
            documentation_url: Some(format!("https://x/?t={quote}")),
            source: Some(ErrorSource {
                pointer: format!("/{quote}"),
            }),
        };
        let errors = [
            Error::transport(TransportErrorKind::Other, quote),
            Error::protocol(quote),
            Error::invalid_input(Limit::Config, quote),
            Error::new(ErrorKind::Http(HttpError {
                meta: meta(502),
                excerpt: quote.into(),
            })),
            Error::new(ErrorKind::Decode(DecodeError {
                meta: meta(200),
                path: quote.into(),
                message: quote.into(),
                excerpt: quote.into(),
            })),
            Error::new(ErrorKind::Api(ApiError {
                meta: meta(400),
                errors: vec![info.clone()],
                messages: vec![info],
            })),
        ];
        for e in errors {
            let name = |e: &Error| {
                let shown = format!("{:?}", e.kind());
                shown[..shown.find([' ', '(']).unwrap()].to_owned()
            };
            let before = name(&e);
            let e = auth.redact(e);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("tok_secret"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
            assert_eq!(name(&e), before, "{shown}");
        }
        // Nothing to redact: the very same error comes back.
        let e = auth.redact(Error::protocol("cursor repeated"));
        assert_eq!(
            e.to_string(),
            Error::protocol("cursor repeated").to_string()
        );
    }

    #[test]
    fn redacts_a_credential_cut_by_the_excerpt() {
        let auth = Auth::api_token("tok_secret_1").unwrap();
        for cut in ["Bearer tok_s…", "Bearer tok_secret_…", "xx tok_s…", "Bear…"] {
            let e = auth.redact(Error::new(ErrorKind::Http(crate::error::HttpError {
                meta: meta(502),
                excerpt: cut.into(),
            })));
            let shown = format!("{e:?}");
            assert!(!shown.contains("tok_s"), "{cut}: {shown}");
            assert!(shown.contains("[redacted]…"), "{cut}: {shown}");
        }
        // A harmless excerpt that happens to be cut keeps its text.
        let e = auth.redact(Error::protocol("some long text…"));
        assert_eq!(
            e.to_string(),
            Error::protocol("some long text…").to_string()
        );
    }

    #[test]
    fn redacts_key_and_email() {
        let auth = Auth::api_key("someone@example.com", "KEY-0123456789").unwrap();
        let e = auth.redact(Error::protocol(
            "x-auth-email: someone@example.com x-auth-key: KEY-0123456789",
        ));
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("someone@") && !shown.contains("KEY-0123"),
            "{shown}"
        );
        // Credentials under 4 bytes are not worth garbling every message for.
        let short = Auth::api_token("abc").unwrap();
        assert!(
            short
                .redact(Error::protocol("abc"))
                .to_string()
                .contains("abc")
        );
    }

    #[test]
    fn rejects_bad_secrets() {
        for bad in ["", "   ", "a b", "tök", "x\r\nHost: evil"] {
            assert!(Auth::api_token(bad).is_err(), "{bad:?}");
        }
        assert!(Auth::api_key("", "k").is_err());
        assert!(Auth::api_key("a@b.c", "").is_err());
    }
}
