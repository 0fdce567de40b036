//! Credentials: an API token (preferred) or a Global API Key with its account email.

use std::fmt;

use http::HeaderValue;
use http::header::{AUTHORIZATION, HeaderMap};

use crate::error::{Error, Limit};

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

    #[test]
    fn rejects_bad_secrets() {
        for bad in ["", "   ", "a b", "tök", "x\r\nHost: evil"] {
            assert!(Auth::api_token(bad).is_err(), "{bad:?}");
        }
        assert!(Auth::api_key("", "k").is_err());
        assert!(Auth::api_key("a@b.c", "").is_err());
    }
}
