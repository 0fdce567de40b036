//! Where requests go and how they authenticate: base URL, account id, credentials, plus the
//! percent-encoding of path segments and query values.

use std::fmt;

use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::auth::Auth;
use crate::error::{Error, Limit};
use crate::ids::{AccountId, Key, NamespaceId};

/// Cloudflare's API base URL.
///
/// ```
/// use kv_proto::{AccountId, Auth, Endpoint, defaults::DEFAULT_BASE_URL};
/// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
/// assert_eq!(ep.base_url(), DEFAULT_BASE_URL);
/// ```
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// Every byte except RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Base URL, account and credentials: everything a request needs besides the operation.
///
/// The base URL must be HTTPS unless its host is loopback (`localhost`, `127.0.0.0/8`,
/// `[::1]`), so a token is never sent in clear text over a network.
///
/// # Example
/// ```
/// use kv_proto::{AccountId, Auth, Endpoint};
///
/// let ep = Endpoint::new(AccountId::new("acc123").unwrap(), Auth::api_token("t0k3n").unwrap());
/// assert_eq!(ep.base_url(), "https://api.cloudflare.com/client/v4");
///
/// let local = ep.clone().with_base_url("http://127.0.0.1:8787/client/v4/").unwrap();
/// assert_eq!(local.base_url(), "http://127.0.0.1:8787/client/v4");
/// assert!(ep.with_base_url("http://api.example.com/client/v4").is_err());
/// ```
#[derive(Clone)]
pub struct Endpoint {
    base: String,
    loopback: bool,
    account: AccountId,
    auth: Auth,
    user_agent: Option<HeaderValue>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base)
            .field("account", &self.account)
            .field("auth", &self.auth)
            .finish()
    }
}

/// True for `localhost`, `127.0.0.0/8` and `::1` (IPv6 brackets allowed): the only hosts a
/// plain-`http` base URL may name. Transports use it to relax their HTTPS-only rule for the
/// same hosts.
///
/// ```
/// use kv_proto::is_loopback_host;
/// assert!(is_loopback_host("localhost") && is_loopback_host("127.0.0.9") && is_loopback_host("[::1]"));
/// assert!(!is_loopback_host("localhost.evil.com") && !is_loopback_host("10.0.0.1"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Endpoint {
    /// An endpoint for Cloudflare's API (`https://api.cloudflare.com/client/v4`).
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// assert_eq!(ep.namespaces_url(), "https://api.cloudflare.com/client/v4/accounts/acc/storage/kv/namespaces");
    /// ```
    pub fn new(account: AccountId, auth: Auth) -> Endpoint {
        Endpoint {
            base: DEFAULT_BASE_URL.to_owned(),
            loopback: false,
            account,
            auth,
            user_agent: None,
        }
    }

    /// Points the endpoint at another base URL (an emulator, a proxy, a regional API).
    /// A trailing slash is ignored.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let ep = ep.with_base_url("https://kv.example.com/client/v4/").unwrap();
    /// assert_eq!(ep.base_url(), "https://kv.example.com/client/v4");
    /// assert!(ep.clone().with_base_url("http://kv.example.com").is_err());
    /// assert!(ep.with_base_url("https://kv.example.com/?q=1").is_err());
    /// ```
    ///
    /// # Errors
    /// Not an absolute `http`/`https` URL, carries a query, fragment or user info, or uses
    /// `http` with a host that is not loopback.
    pub fn with_base_url(mut self, url: &str) -> Result<Endpoint, Error> {
        let bad = |why: &str| Error::invalid_input(Limit::BaseUrl, format!("base URL: {why}"));
        let trimmed = url.trim().trim_end_matches('/');
        let uri: Uri = trimmed
            .parse()
            .map_err(|_| bad("not a valid absolute URL"))?;
        let scheme = uri.scheme_str().ok_or_else(|| bad("no scheme"))?;
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user info is not allowed"));
        }
        if uri.query().is_some() || trimmed.contains('#') {
            return Err(bad("a query or fragment is not allowed"));
        }
        let loopback = is_loopback_host(authority.host());
        match scheme {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(bad(
                    "plain http is only allowed for loopback hosts (use https)",
                ));
            }
            other => return Err(bad(&format!("unsupported scheme {other:?}"))),
        }
        self.base = trimmed.to_owned();
        self.loopback = loopback;
        Ok(self)
    }

    /// Sets the `User-Agent` header sent with every request (transports name themselves here).
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let ep = ep.with_user_agent("my-app/1.0").unwrap();
    /// let req = ep.build_request(http::Method::GET, ep.namespaces_url(), &[], "application/json", None, Vec::new());
    /// assert_eq!(req.headers()["user-agent"], "my-app/1.0");
    /// assert!(ep.with_user_agent("bad\nagent").is_err());
    /// ```
    ///
    /// # Errors
    /// The value is not a valid header value.
    pub fn with_user_agent(mut self, ua: &str) -> Result<Endpoint, Error> {
        self.user_agent = Some(HeaderValue::from_str(ua).map_err(|_| {
            Error::invalid_input(Limit::Config, "user agent is not a valid header value")
        })?);
        Ok(self)
    }

    /// The base URL, without a trailing slash.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let ep = ep.with_base_url("http://localhost:8787/").unwrap();
    /// assert_eq!(ep.base_url(), "http://localhost:8787");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// True if the base URL's host is loopback (the only case where plain http is allowed).
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// assert!(!ep.is_loopback());
    /// assert!(ep.with_base_url("http://[::1]:8787").unwrap().is_loopback());
    /// ```
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The account id.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// assert_eq!(ep.account().as_str(), "acc");
    /// ```
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The credentials.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// assert!(ep.auth().is_token());
    /// ```
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// `{base}/accounts/{account}/storage/kv/namespaces`.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let ep = ep.with_base_url("http://127.0.0.1:8787").unwrap();
    /// assert_eq!(ep.namespaces_url(), "http://127.0.0.1:8787/accounts/acc/storage/kv/namespaces");
    /// ```
    pub fn namespaces_url(&self) -> String {
        format!(
            "{}/accounts/{}/storage/kv/namespaces",
            self.base, self.account
        )
    }

    /// `{base}/accounts/{account}/storage/kv/namespaces/{id}` followed by `suffix`
    /// (which must already be encoded, e.g. `/values/a%2Fb`).
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint, NamespaceId};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let ns = NamespaceId::new("ns1").unwrap();
    /// assert!(ep.namespace_url(&ns, "/keys").ends_with("/accounts/acc/storage/kv/namespaces/ns1/keys"));
    /// ```
    pub fn namespace_url(&self, ns: &NamespaceId, suffix: &str) -> String {
        // Appended to the prefix's own String: no second formatting pass and copy of it.
        let mut url = self.namespaces_url();
        url.push('/');
        url.push_str(ns.as_str());
        url.push_str(suffix);
        url
    }

    /// `.../namespaces/{id}/{route}/{percent-encoded key}` for the per-key routes.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint, Key, NamespaceId};
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let ns = NamespaceId::new("ns1").unwrap();
    /// let url = ep.key_url(&ns, "values", &Key::new("a/b c").unwrap());
    /// assert!(url.ends_with("/namespaces/ns1/values/a%2Fb%20c"));
    /// ```
    pub fn key_url(&self, ns: &NamespaceId, route: &str, key: &Key) -> String {
        let mut url = self.namespace_url(ns, "/");
        url.push_str(route);
        url.push('/');
        url.extend(utf8_percent_encode(key.as_str(), STRICT));
        url
    }

    /// Builds a request with authentication, `Accept`, `User-Agent` and, when given, the body's
    /// `Content-Type`. `query` values are percent-encoded here.
    ///
    /// ```
    /// use kv_proto::{AccountId, Auth, Endpoint};
    ///
    /// let ep = Endpoint::new(AccountId::new("acc").unwrap(), Auth::api_token("t").unwrap());
    /// let req = ep.build_request(
    ///     http::Method::GET,
    ///     ep.namespaces_url(),
    ///     &[("prefix", "a b".to_string())],
    ///     "application/json",
    ///     None,
    ///     Vec::new(),
    /// );
    /// assert_eq!(req.uri().query(), Some("prefix=a%20b"));
    /// assert_eq!(req.headers()["authorization"], "Bearer t");
    /// ```
    pub fn build_request(
        &self,
        method: Method,
        mut url: String,
        query: &[(&str, String)],
        accept: &'static str,
        content_type: Option<HeaderValue>,
        body: Vec<u8>,
    ) -> Request<Vec<u8>> {
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.extend(utf8_percent_encode(name, STRICT));
            url.push('=');
            url.extend(utf8_percent_encode(value, STRICT));
        }
        let mut req = Request::new(body);
        *req.method_mut() = method;
        // The base URL was parsed when it was set, and every dynamic part is percent-encoded,
        // so this parse cannot fail; the fallback keeps the function total regardless.
        *req.uri_mut() = url.parse::<Uri>().unwrap_or_else(|_| {
            debug_assert!(false, "generated an unparseable URL");
            Uri::from_static("https://invalid.invalid/")
        });
        let headers = req.headers_mut();
        self.auth.apply(headers);
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, ct);
        }
        if let Some(ua) = &self.user_agent {
            headers.insert(USER_AGENT, ua.clone());
        }
        req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Endpoint {
        Endpoint::new(
            AccountId::new("acc").unwrap(),
            Auth::api_token("tok").unwrap(),
        )
    }

    #[test]
    fn base_url_rules() {
        for ok in [
            "https://api.cloudflare.com/client/v4",
            "https://proxy.internal:8443/cf/client/v4/",
            "http://localhost:8787/client/v4",
            "http://127.0.0.2:1/x",
            "http://[::1]:8080/client/v4",
        ] {
            assert!(ep().with_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.cloudflare.com/client/v4",
            "http://10.0.0.1/client/v4",
            "ftp://localhost/x",
            "api.cloudflare.com/client/v4",
            "https://user:pw@api.cloudflare.com/client/v4",
            "https://api.cloudflare.com/client/v4?x=1",
            "http://localhost.evil.com/x",
            "",
        ] {
            let e = ep().with_base_url(bad).unwrap_err();
            assert_eq!(e.limit(), Some(Limit::BaseUrl), "{bad}");
        }
    }

    #[test]
    fn key_urls_are_encoded() {
        let ns = NamespaceId::new("ns1").unwrap();
        let url = ep().key_url(&ns, "values", &Key::new("a/b?c#d %2F+é").unwrap());
        assert_eq!(
            url,
            "https://api.cloudflare.com/client/v4/accounts/acc/storage/kv/namespaces/ns1/values/a%2Fb%3Fc%23d%20%252F%2B%C3%A9"
        );
        let dots = ep().key_url(&ns, "values", &Key::new("...").unwrap());
        assert!(dots.ends_with("/values/..."));
    }

    #[test]
    fn debug_hides_token() {
        let e = Endpoint::new(
            AccountId::new("acc").unwrap(),
            Auth::api_token("supersecret").unwrap(),
        );
        assert!(!format!("{e:?}").contains("supersecret"));
    }
}
