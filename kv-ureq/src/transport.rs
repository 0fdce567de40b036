//! The transport seam ([`Transport`]) and its ureq 3 implementation ([`UreqTransport`]).
//!
//! A transport moves one `http::Request<Vec<u8>>` to the server and brings back one
//! `http::Response<Vec<u8>>`, reading at most the operation's byte cap. It makes no protocol
//! decision: every status (3xx, 4xx, 5xx) is data for [`kv_proto::exchange`], which checks the
//! cap, reports a redirect, parses and redacts; retries and pacing happen in [`crate::Client`],
//! by kv-proto's rules.

use std::fmt;
use std::io;
use std::time::Duration;

use http::{Method, Request, Response};
use kv_proto::{
    Error, TransportErrorKind, error::TimeoutLimit, error::TransportStage, is_loopback_host,
};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// The `User-Agent` this crate sends: `kv-ureq/<version>`.
pub const USER_AGENT: &str = concat!("kv-ureq/", env!("CARGO_PKG_VERSION"));

/// Default budget for DNS resolution plus TCP connect plus TLS handshake (per attempt): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default budget for one whole exchange, from the first DNS lookup to the last body byte
/// (per attempt): 60 s.
///
/// Cloudflare's edge gives up on an origin after about 100 s (HTTP 524), and a KV call
/// normally answers in well under a second, so 60 s only trips on a stuck connection. Raise it
/// for bulk writes near the 100 MB request limit or 25 MB bulk-get answers over a slow link
/// (for example `Client::builder(..).request_timeout(Duration::from_secs(300))`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends one request and returns the complete response, reading at most `max_response_bytes`
/// of its body.
///
/// Object safe and `Send + Sync`, so a [`crate::Client`] can share one transport across
/// threads. Closures of the right shape are transports too, which makes test doubles and other
/// HTTP stacks one-liners.
///
/// A transport must:
/// - return every status as `Ok`: 4xx and 5xx carry Cloudflare's error envelope, and a 3xx
///   becomes a [`TransportErrorKind::Redirect`] error in [`kv_proto::exchange`], the same for
///   every transport;
/// - never follow redirects (the request carries credentials);
/// - keep every response header (`retry-after`, `cf-ray`, `expiration`);
/// - stop reading past `max_response_bytes` and report [`Error::response_too_large`];
/// - map failures below HTTP to [`Error::transport`] with a [`TransportErrorKind`], so that
///   [`Error::is_retryable`] works. (A credential quoted in a message is redacted by
///   [`kv_proto::exchange`], which is how [`crate::Client`] calls every transport.)
///
/// # Example
/// ```
/// use kv_ureq::Transport;
///
/// let canned = |req: http::Request<Vec<u8>>, _max: u64| {
///     assert_eq!(req.method(), http::Method::GET);
///     Ok(http::Response::builder()
///         .status(200)
///         .header("cf-ray", "abc")
///         .body(b"hello".to_vec())
///         .unwrap())
/// };
/// let transport: &dyn Transport = &canned;
/// let resp = transport
///     .send(http::Request::new(Vec::new()), 1024)
///     .unwrap();
/// assert_eq!(resp.body(), b"hello");
/// ```
pub trait Transport: Send + Sync {
    /// Sends `request` and reads the whole response, at most `max_response_bytes` of body.
    ///
    /// # Errors
    /// A transport failure ([`kv_proto::ErrorKind::Transport`]) or a body over the cap
    /// ([`kv_proto::ErrorKind::ResponseTooLarge`]). An HTTP error status is not an error here.
    ///
    /// # Example
    /// ```no_run
    /// use kv_ureq::{Transport, UreqTransport};
    ///
    /// // A namespace in which "k" holds the 16 bytes "0123456789abcdef".
    /// let url = "https://api.cloudflare.com/client/v4/accounts/acct/storage/kv/namespaces/ns1/values/";
    /// let get = |key: &str| {
    ///     http::Request::get(format!("{url}{key}"))
    ///         .header("authorization", "Bearer my-token")
    ///         .body(Vec::new())
    ///         .unwrap()
    /// };
    /// let transport = UreqTransport::new();
    /// assert_eq!(transport.send(get("k"), 1024)?.body(), b"0123456789abcdef");
    /// assert_eq!(transport.send(get("missing"), 1024)?.status(), 404); // data, not an error
    /// assert!(transport.send(get("k"), 8).unwrap_err().is_too_large());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    fn send(
        &self,
        request: Request<Vec<u8>>,
        max_response_bytes: u64,
    ) -> Result<Response<Vec<u8>>, Error>;
}

impl<F> Transport for F
where
    F: Fn(Request<Vec<u8>>, u64) -> Result<Response<Vec<u8>>, Error> + Send + Sync,
{
    fn send(
        &self,
        request: Request<Vec<u8>>,
        max_response_bytes: u64,
    ) -> Result<Response<Vec<u8>>, Error> {
        self(request, max_response_bytes)
    }
}

/// Where the transport gets its HTTP proxy from.
///
/// The default, [`ProxyConfig::FromEnv`], reads what ureq 3 reads: the first of `ALL_PROXY`,
/// `all_proxy`, `HTTPS_PROXY`, `https_proxy`, `HTTP_PROXY`, `http_proxy` that holds a valid
/// proxy URL (schemes `http`, `https`, `socks4`, `socks4a`, `socks5`; socks needs ureq's
/// `socks-proxy` feature), and `NO_PROXY` / `no_proxy` (comma-separated hosts, `*.suffix`,
/// `.suffix` or `*`) for hosts that bypass it. Note that ureq uses the one proxy found for both
/// `http` and `https` targets.
///
/// ```
/// use kv_ureq::ProxyConfig;
///
/// assert_eq!(format!("{:?}", ProxyConfig::default()), "FromEnv");
/// let proxy = ProxyConfig::Url("http://user:secret@proxy.internal:3128".into());
/// assert!(!format!("{proxy:?}").contains("secret")); // Debug hides the password
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxyConfig {
    /// Read the proxy from the environment when the transport is built (the default).
    #[default]
    FromEnv,
    /// Connect directly, whatever the environment says.
    Disabled,
    /// Use this proxy URL, e.g. `http://user:pw@proxy.internal:3128`.
    Url(String),
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::FromEnv => f.write_str("FromEnv"),
            ProxyConfig::Disabled => f.write_str("Disabled"),
            // The URL may carry a password: show scheme and host only.
            ProxyConfig::Url(url) => write!(f, "Url({})", redact_userinfo(url)),
        }
    }
}

fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let shown = match authority.rsplit_once('@') {
        Some((_, host)) => format!("[redacted]@{host}"),
        None => authority.to_owned(),
    };
    match scheme {
        Some(s) => format!("{s}://{shown}"),
        None => shown,
    }
}

/// Settings of a [`UreqTransport`]; see [`UreqTransport::builder`].
///
/// ```
/// use std::time::Duration;
/// use kv_ureq::{ProxyConfig, UreqTransportBuilder};
///
/// let transport = UreqTransportBuilder::default()
///     .request_timeout(Some(Duration::from_secs(30)))
///     .proxy(ProxyConfig::Disabled)
///     .build()?;
/// # let _ = transport;
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransportBuilder {
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    proxy: ProxyConfig,
    user_agent: String,
    max_idle_connections_per_host: usize,
}

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        UreqTransportBuilder {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            proxy: ProxyConfig::FromEnv,
            user_agent: USER_AGENT.to_owned(),
            max_idle_connections_per_host: 4,
        }
    }
}

impl UreqTransportBuilder {
    /// Budget for resolving, connecting and the TLS handshake ([`DEFAULT_CONNECT_TIMEOUT`]);
    /// `None` waits forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::UreqTransport;
    ///
    /// let transport = UreqTransport::builder().connect_timeout(Some(Duration::from_secs(2))).build()?;
    /// # let _ = transport;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Budget for one whole exchange including reading the body
    /// ([`DEFAULT_REQUEST_TIMEOUT`]); `None` waits forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::UreqTransport;
    ///
    /// let transport = UreqTransport::builder().request_timeout(Some(Duration::from_secs(300))).build()?;
    /// # let _ = transport;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Where the proxy comes from ([`ProxyConfig::FromEnv`] by default).
    ///
    /// ```
    /// use kv_ureq::{ProxyConfig, UreqTransport};
    ///
    /// assert!(UreqTransport::builder().proxy(ProxyConfig::Disabled).build().is_ok());
    /// let bad = UreqTransport::builder().proxy(ProxyConfig::Url("::not a url::".into())).build();
    /// assert!(bad.is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = proxy;
        self
    }

    /// The agent-level `User-Agent` (also sent to an HTTP proxy on `CONNECT`). Requests built
    /// by a [`crate::Client`] carry their own, which wins. Default [`USER_AGENT`].
    ///
    /// ```no_run
    /// use kv_ureq::{Transport, UreqTransport};
    ///
    /// let transport = UreqTransport::builder().user_agent("my-agent/1").build()?;
    /// let url = "http://127.0.0.1:8787/client/v4/accounts/acct/storage/kv/namespaces"; // an emulator
    /// let request = http::Request::get(url).body(Vec::new()).unwrap(); // no User-Agent of its own
    /// transport.send(request, 1 << 20)?; // sent with `User-Agent: my-agent/1`
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Idle connections kept per host for reuse (default 4; set it to at least the number of
    /// threads sharing the transport).
    ///
    /// ```
    /// use kv_ureq::UreqTransport;
    ///
    /// // Bulk jobs at concurrency 16 reuse up to 16 pooled connections.
    /// let transport = UreqTransport::builder().max_idle_connections_per_host(16).build()?;
    /// # let _ = transport;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn max_idle_connections_per_host(mut self, n: usize) -> Self {
        self.max_idle_connections_per_host = n.max(1);
        self
    }

    /// Builds the agent.
    ///
    /// # Errors
    /// [`ProxyConfig::Url`] is not a valid proxy URL (the message does not repeat the URL,
    /// which may hold a password).
    ///
    /// # Example
    /// ```
    /// use kv_ureq::{ProxyConfig, UreqTransport};
    ///
    /// assert!(UreqTransport::builder().build().is_ok());
    /// let err = UreqTransport::builder()
    ///     .proxy(ProxyConfig::Url("http://user:hunter2@[bad".into()))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(!err.to_string().contains("hunter2"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn build(self) -> Result<UreqTransport, Error> {
        let proxy = match &self.proxy {
            ProxyConfig::FromEnv => ureq::Proxy::try_from_env(),
            ProxyConfig::Disabled => None,
            ProxyConfig::Url(url) => Some(ureq::Proxy::new(url).map_err(|_| {
                Error::invalid_input(
                    kv_proto::Limit::Config,
                    format!(
                        "the proxy URL {} is not valid (expected e.g. http://host:port)",
                        redact_userinfo(url)
                    ),
                )
            })?),
        };
        let idle = self.max_idle_connections_per_host;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .https_only(true)
            .proxy(proxy)
            .user_agent(self.user_agent.as_str())
            .timeout_resolve(self.connect_timeout)
            .timeout_connect(self.connect_timeout)
            .timeout_global(self.request_timeout)
            .max_idle_connections(idle.max(10))
            .max_idle_connections_per_host(idle);
        // With only the `native-tls` feature, use the platform's TLS stack and its trust store
        // (ureq would otherwise still ask for rustls). With both features, rustls wins.
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        let config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::NativeTls)
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        );
        let config = config.build();
        Ok(UreqTransport {
            agent: ureq::Agent::with_parts(
                config,
                DefaultConnector::default(),
                LiteralFirstResolver::default(),
            ),
        })
    }
}

/// ureq's default resolver, except that a host that is an IP address (`127.0.0.1`, `[::1]`:
/// an emulator) is answered on the calling thread.
///
/// ureq resolves the host before every request, pooled connection or not, and with a resolve
/// or global timeout set (as here) its default resolver runs each lookup on a new thread so it
/// can give up on time. For an IP literal there is nothing to look up, and that thread cost
/// more than the rest of a small request (kv-bench, `kv-tests/PERF.md`). Host names still go
/// through the default resolver with its timeout.
#[derive(Debug, Default)]
struct LiteralFirstResolver(DefaultResolver);

impl Resolver for LiteralFirstResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = literal_addr(uri) {
            let mut addrs = self.empty();
            for wanted in config.ip_family().keep_wanted(std::iter::once(addr)) {
                addrs.push(wanted);
            }
            if addrs.is_empty() {
                return Err(ureq::Error::HostNotFound);
            }
            return Ok(addrs);
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// The socket address of a URI whose host is an IP address (port from the URI or the scheme).
fn literal_addr(uri: &http::Uri) -> Option<std::net::SocketAddr> {
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let ip = host.parse::<std::net::IpAddr>().ok()?;
    let port = uri.port_u16().or(match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    })?;
    Some(std::net::SocketAddr::new(ip, port))
}

/// The default [`Transport`]: a `ureq::Agent` (connection pool, rustls or native-tls).
///
/// Whatever the agent's own configuration, every request is sent with 4xx/5xx as data
/// (`http_status_as_error(false)`), no redirect followed (`max_redirects(0)`: a 3xx comes back
/// as data, and [`kv_proto::exchange`] reports it as [`TransportErrorKind::Redirect`], so the
/// credentials never go elsewhere) and HTTPS
/// required unless the request's host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`).
/// Bodies are read with the operation's cap (ureq's own default cap of 10 MiB is below KV's
/// 25 MiB values); a `Content-Length` over the cap fails before any body byte is read. A
/// body-less `GET`/`HEAD`/`DELETE`/`OPTIONS` is sent with no body and no `Content-Length`.
///
/// Cloning is cheap and shares the pool.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use kv_ureq::{ProxyConfig, UreqTransport};
///
/// let transport = UreqTransport::builder()
///     .connect_timeout(Some(Duration::from_secs(5)))
///     .proxy(ProxyConfig::Disabled)
///     .build()
///     .unwrap();
/// # let _ = transport;
/// ```
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.agent.config();
        f.debug_struct("UreqTransport")
            .field("timeouts", &config.timeouts())
            .field("proxy", &config.proxy().map(|p| (p.host(), p.port())))
            .finish()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        UreqTransport::new()
    }
}

impl UreqTransport {
    /// A transport with the defaults: connect timeout 10 s, request timeout 60 s, proxy from
    /// the environment, `User-Agent: kv-ureq/<version>`.
    ///
    /// ```no_run
    /// use kv_ureq::{Transport, UreqTransport};
    ///
    /// let transport = UreqTransport::new();
    /// let url = "http://127.0.0.1:8787/client/v4/accounts/acct/storage/kv/namespaces"; // an emulator
    /// let request = http::Request::get(url).header("authorization", "Bearer t").body(Vec::new()).unwrap();
    /// let response = transport.send(request, 1 << 20)?;
    /// assert_eq!(response.status(), 200);
    /// assert!(std::str::from_utf8(response.body()).unwrap().contains(r#""success":true"#));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn new() -> UreqTransport {
        let defaults = UreqTransportBuilder::default();
        // Only an explicit proxy URL can make `build` fail; the defaults have none.
        defaults.clone().build().unwrap_or_else(|_| UreqTransport {
            agent: ureq::Agent::new_with_defaults(),
        })
    }

    /// A builder for the timeouts, proxy, user agent and pool size.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::UreqTransport;
    ///
    /// let transport = UreqTransport::builder().connect_timeout(Some(Duration::from_secs(5))).build()?;
    /// # let _ = transport;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// Wraps an agent you configured yourself (TLS roots, resolver, middleware ...). The
    /// status-as-data, no-redirect and HTTPS-only rules above are still applied per request.
    ///
    /// ```no_run
    /// use kv_ureq::{Transport, UreqTransport};
    ///
    /// let transport = UreqTransport::from_agent(ureq::Agent::new_with_defaults());
    /// // The agent would turn a 404 into an error; the transport still returns it as data.
    /// let url = "http://127.0.0.1:8787/client/v4/no/such/route"; // an emulator
    /// let response = transport.send(http::Request::get(url).body(Vec::new()).unwrap(), 1 << 20)?;
    /// assert_eq!(response.status(), 404);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn from_agent(agent: ureq::Agent) -> UreqTransport {
        UreqTransport { agent }
    }

    /// The underlying agent.
    ///
    /// ```no_run
    /// use kv_ureq::{Transport, UreqTransport};
    ///
    /// let transport = UreqTransport::new();
    /// // A clone of the agent shares the connection pool; wrap it again to send through it.
    /// let twin = UreqTransport::from_agent(transport.agent().clone());
    /// let url = "http://127.0.0.1:8787/client/v4/accounts/acct/storage/kv/namespaces"; // an emulator
    /// let request = http::Request::get(url).header("authorization", "Bearer t").body(Vec::new()).unwrap();
    /// assert_eq!(twin.send(request, 1 << 20)?.status(), 200);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    fn run<S: ureq::AsSendBody>(
        &self,
        request: Request<S>,
        loopback: bool,
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        let request = self
            .agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .https_only(!loopback)
            .build();
        self.agent.run(request)
    }
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        max_response_bytes: u64,
    ) -> Result<Response<Vec<u8>>, Error> {
        let loopback = request.uri().host().is_some_and(is_loopback_host);
        let timeouts = self.agent.config().timeouts();
        let exchange = Phase::Exchange {
            body_len: request.body().len(),
        };
        let body_less = request.body().is_empty()
            && matches!(
                *request.method(),
                Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
            );
        let sent = if body_less {
            self.run(request.map(|_| ()), loopback)
        } else {
            self.run(request, loopback)
        };
        let mut response =
            sent.map_err(|e| map_error_at(e, max_response_bytes, exchange, &timeouts))?;
        if response
            .body()
            .content_length()
            .is_some_and(|len| len > max_response_bytes)
        {
            return Err(Error::response_too_large(max_response_bytes));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(max_response_bytes.saturating_add(1))
            .read_to_vec()
            .map_err(|e| map_error_at(e, max_response_bytes, Phase::Body, &timeouts))?;
        if body.len() as u64 > max_response_bytes {
            return Err(Error::response_too_large(max_response_bytes));
        }
        let (parts, _) = response.into_parts();
        Ok(Response::from_parts(parts, body))
    }
}

/// Where the exchange was when ureq failed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    /// In `Agent::run`: connecting, writing the request (of `body_len` bytes), reading the
    /// response head.
    Exchange { body_len: usize },
    /// Reading the response body.
    Body,
}

/// A request body up to this size is taken whole by the socket's send buffer, so a reset
/// seen while it is in flight is, in practice, seen after it was written (when reading the
/// response head); a larger one may still be being written.
const SEND_BUFFER_GUESS: usize = 64 << 10;

impl Phase {
    /// The stage of an I/O failure of this kind in this phase (best effort for a reset
    /// during the exchange: ureq does not say whether it came on a write or a read).
    fn stage_of(self, kind: io::ErrorKind) -> TransportStage {
        match self {
            Phase::Body => TransportStage::ReadingBody,
            Phase::Exchange { body_len } => match kind {
                io::ErrorKind::BrokenPipe | io::ErrorKind::WriteZero => {
                    TransportStage::SendingRequest
                }
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                    if body_len > SEND_BUFFER_GUESS =>
                {
                    TransportStage::SendingRequest
                }
                _ => TransportStage::AwaitingHeaders,
            },
        }
    }
}

/// Maps a ureq timeout to the limit that fired, its configured value and, when the limit
/// says so, the stage.
fn map_timeout(t: ureq::Timeout, phase: Phase, timeouts: &ureq::config::Timeouts) -> Error {
    use TimeoutLimit as L;
    use TransportStage as S;
    let (limit, after, stage) = match t {
        ureq::Timeout::Global => (L::Request, timeouts.global, None),
        ureq::Timeout::PerCall => (L::Request, timeouts.per_call, None),
        ureq::Timeout::Resolve => (L::Resolve, timeouts.resolve, None),
        ureq::Timeout::Connect => (L::Connect, timeouts.connect, None),
        ureq::Timeout::SendRequest => (L::Send, timeouts.send_request, Some(S::SendingRequest)),
        ureq::Timeout::Await100 => (L::Send, timeouts.await_100, Some(S::SendingRequest)),
        ureq::Timeout::SendBody => (L::Send, timeouts.send_body, Some(S::SendingRequest)),
        ureq::Timeout::RecvResponse => (
            L::ResponseHeaders,
            timeouts.recv_response,
            Some(S::AwaitingHeaders),
        ),
        ureq::Timeout::RecvBody => (L::ResponseBody, timeouts.recv_body, Some(S::ReadingBody)),
        _ => (L::SocketIo, None, None),
    };
    let stage = stage.or(match phase {
        Phase::Body => Some(S::ReadingBody),
        // A whole-exchange limit firing before the headers: sending or awaiting, unknown.
        Phase::Exchange { .. } => None,
    });
    let error = Error::timeout(limit, after, format!("timed out (ureq: {t})"));
    match stage {
        Some(stage) => error.with_transport_stage(stage),
        None => error,
    }
}

/// Maps a ureq error into kv-proto's kinds, without stage or timeout values (see
/// [`map_error_at`]). `limit` is the body cap in force.
#[cfg(test)]
pub(crate) fn map_error(error: ureq::Error, limit: u64) -> Error {
    map_error_at(
        error,
        limit,
        Phase::Exchange { body_len: 0 },
        &ureq::config::Timeouts::default(),
    )
}

/// Maps a ureq error into kv-proto's kinds. `limit` is the body cap in force; `phase` and the
/// agent's `timeouts` name the stage of a closed connection and the limit of a timeout.
pub(crate) fn map_error_at(
    error: ureq::Error,
    limit: u64,
    phase: Phase,
    timeouts: &ureq::config::Timeouts,
) -> Error {
    use TransportErrorKind as K;
    let (kind, message) = match error {
        ureq::Error::BodyExceedsLimit(_) => return Error::response_too_large(limit),
        ureq::Error::Io(e) => return map_io(&e, limit, phase, timeouts),
        ureq::Error::HostNotFound => (K::Dns, "the host name could not be resolved".to_owned()),
        ureq::Error::Timeout(t) => return map_timeout(t, phase, timeouts),
        ureq::Error::ConnectionFailed => (K::Connect, "the connection failed".to_owned()),
        ureq::Error::ConnectProxyFailed(_) => (
            K::Connect,
            "the proxy refused the CONNECT request".to_owned(),
        ),
        ureq::Error::Tls(msg) => (K::Tls, format!("TLS: {msg}")),
        e @ ureq::Error::TlsRequired => (K::Tls, e.to_string()),
        #[cfg(feature = "rustls")]
        e @ ureq::Error::Rustls(_) => (K::Tls, e.to_string()),
        #[cfg(feature = "native-tls")]
        e @ (ureq::Error::NativeTls(_) | ureq::Error::Der(_)) => (K::Tls, e.to_string()),
        e @ (ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..)) => {
            let stage = match phase {
                Phase::Body => TransportStage::ReadingBody,
                Phase::Exchange { .. } => TransportStage::AwaitingHeaders,
            };
            return Error::transport(K::InvalidResponse, e.to_string()).with_transport_stage(stage);
        }
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => (
            K::Redirect,
            "the server redirected; redirects are never followed".to_owned(),
        ),
        ureq::Error::RequireHttpsOnly(_) => (
            K::Other,
            "refusing to send credentials over plain http to a non-loopback host".to_owned(),
        ),
        ureq::Error::InvalidProxyUrl => (K::Other, "the proxy URL is not valid".to_owned()),
        e => (K::Other, e.to_string()),
    };
    Error::transport(kind, message)
}

fn map_io(e: &io::Error, limit: u64, phase: Phase, timeouts: &ureq::config::Timeouts) -> Error {
    use TransportErrorKind as K;
    // A ureq error travelling inside an io::Error (as from a body reader).
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        if matches!(inner, ureq::Error::BodyExceedsLimit(_)) {
            return Error::response_too_large(limit);
        }
        if let ureq::Error::Timeout(t) = inner {
            return map_timeout(*t, phase, timeouts);
        }
    }
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::NotConnected => K::Connect,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => K::ConnectionClosed,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => K::Timeout,
        io::ErrorKind::InvalidData => K::InvalidResponse,
        _ => K::Other,
    };
    let error = Error::transport(kind, format!("i/o: {e}"));
    match kind {
        K::ConnectionClosed | K::Timeout | K::InvalidResponse => {
            error.with_transport_stage(phase.stage_of(e.kind()))
        }
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literal_hosts_need_no_lookup() {
        let addr = |u: &str| literal_addr(&u.parse::<http::Uri>().unwrap()).map(|a| a.to_string());
        assert_eq!(
            addr("http://127.0.0.1:8787/client/v4").as_deref(),
            Some("127.0.0.1:8787")
        );
        assert_eq!(addr("http://[::1]/x").as_deref(), Some("[::1]:80"));
        assert_eq!(addr("https://10.1.2.3/x").as_deref(), Some("10.1.2.3:443"));
        assert_eq!(addr("http://localhost:8787/"), None);
        assert_eq!(addr("https://api.cloudflare.com/client/v4"), None);
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "localhost.evil.com", "[::2]", ""] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn error_mapping() {
        use TransportErrorKind as K;
        let cases: Vec<(ureq::Error, Option<K>)> = vec![
            (ureq::Error::HostNotFound, Some(K::Dns)),
            (
                ureq::Error::Io(io::ErrorKind::ConnectionRefused.into()),
                Some(K::Connect),
            ),
            (
                ureq::Error::Io(io::ErrorKind::ConnectionReset.into()),
                Some(K::ConnectionClosed),
            ),
            (
                ureq::Error::Io(io::ErrorKind::UnexpectedEof.into()),
                Some(K::ConnectionClosed),
            ),
            (
                ureq::Error::Timeout(ureq::Timeout::Global),
                Some(K::Timeout),
            ),
            (
                ureq::Error::Io(io::ErrorKind::TimedOut.into()),
                Some(K::Timeout),
            ),
            (ureq::Error::Tls("bad certificate"), Some(K::Tls)),
            (ureq::Error::TooManyRedirects, Some(K::Redirect)),
            (
                ureq::Error::LargeResponseHeader(1, 2),
                Some(K::InvalidResponse),
            ),
            (ureq::Error::BadUri("x".into()), Some(K::Other)),
            (ureq::Error::BodyExceedsLimit(11), None),
            (
                ureq::Error::Io(ureq::Error::BodyExceedsLimit(11).into_io()),
                None,
            ),
        ];
        for (err, want) in cases {
            let text = err.to_string();
            let mapped = map_error(err, 10);
            assert_eq!(mapped.transport_kind(), want, "{text}");
            if want.is_none() {
                assert!(
                    matches!(
                        mapped.kind(),
                        kv_proto::ErrorKind::ResponseTooLarge { limit: 10 }
                    ),
                    "{text}"
                );
            }
        }
        let dns = map_error(ureq::Error::HostNotFound, 1);
        assert!(dns.is_retryable() && dns.is_transport());
        let tls = map_error(ureq::Error::Tls("x"), 1);
        assert!(!tls.is_retryable());
    }

    #[test]
    fn closed_connections_name_the_stage() {
        use TransportStage as S;
        let t = ureq::config::Timeouts::default();
        let small = Phase::Exchange { body_len: 100 };
        let large = Phase::Exchange { body_len: 1 << 20 };
        let cases = [
            (io::ErrorKind::UnexpectedEof, small, S::AwaitingHeaders),
            (io::ErrorKind::ConnectionReset, small, S::AwaitingHeaders),
            (io::ErrorKind::BrokenPipe, small, S::SendingRequest),
            (io::ErrorKind::ConnectionReset, large, S::SendingRequest),
            (io::ErrorKind::UnexpectedEof, large, S::AwaitingHeaders),
            (io::ErrorKind::UnexpectedEof, Phase::Body, S::ReadingBody),
            (io::ErrorKind::ConnectionReset, Phase::Body, S::ReadingBody),
        ];
        for (kind, phase, want) in cases {
            let e = map_error_at(ureq::Error::Io(kind.into()), 10, phase, &t);
            assert_eq!(
                e.transport_kind(),
                Some(TransportErrorKind::ConnectionClosed)
            );
            assert_eq!(e.transport_stage(), Some(want), "{kind:?} {phase:?}");
            assert!(e.to_string().contains(&format!("while {want}")), "{e}");
        }
        // Failures before anything was sent have no stage.
        let e = map_error_at(
            ureq::Error::Io(io::ErrorKind::ConnectionRefused.into()),
            10,
            small,
            &t,
        );
        assert_eq!(e.transport_stage(), None);
    }

    #[test]
    fn timeouts_name_the_limit_and_its_value() {
        use TimeoutLimit as L;
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(2)))
            .timeout_resolve(Some(Duration::from_secs(3)))
            .timeout_global(Some(Duration::from_millis(1500)))
            .timeout_recv_body(Some(Duration::from_secs(7)))
            .build();
        let t = config.timeouts();
        let small = Phase::Exchange { body_len: 0 };
        let cases = [
            (
                ureq::Timeout::Connect,
                small,
                L::Connect,
                "the connect timeout (2s) elapsed",
            ),
            (
                ureq::Timeout::Resolve,
                small,
                L::Resolve,
                "the name-resolution timeout (3s) elapsed",
            ),
            (
                ureq::Timeout::Global,
                small,
                L::Request,
                "the request timeout (1.5s) elapsed",
            ),
            (
                ureq::Timeout::Global,
                Phase::Body,
                L::Request,
                "the request timeout (1.5s) elapsed while reading the response body",
            ),
            (
                ureq::Timeout::RecvBody,
                Phase::Body,
                L::ResponseBody,
                "the response-body timeout (7s) elapsed while reading the response body",
            ),
            (
                ureq::Timeout::RecvResponse,
                small,
                L::ResponseHeaders,
                "the response-headers timeout elapsed while awaiting the response headers",
            ),
        ];
        for (timeout, phase, limit, text) in cases {
            for err in [
                ureq::Error::Timeout(timeout),
                // As a body reader reports it: inside an io::Error.
                ureq::Error::Io(ureq::Error::Timeout(timeout).into_io()),
            ] {
                let e = map_error_at(err, 10, phase, &t);
                assert!(e.is_timeout() && e.is_retryable(), "{e:?}");
                let details = e.transport_error().unwrap();
                assert_eq!(details.timeout, Some(limit), "{e:?}");
                assert!(e.to_string().contains(text), "{e}");
            }
        }
        // A bare OS timeout: a timeout, limit unknown, stage from the phase.
        let e = map_error_at(
            ureq::Error::Io(io::ErrorKind::TimedOut.into()),
            10,
            Phase::Body,
            &t,
        );
        assert!(e.is_timeout());
        assert_eq!(e.transport_error().unwrap().timeout, None);
        assert_eq!(e.transport_stage(), Some(TransportStage::ReadingBody));
    }

    #[test]
    fn proxy_debug_hides_password() {
        let p = ProxyConfig::Url("http://user:hunter2@proxy.internal:3128/".into());
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("user"), "{dbg}");
        assert!(dbg.contains("proxy.internal:3128"));
        let err = UreqTransport::builder()
            .proxy(ProxyConfig::Url("::not a url hunter2@x".into()))
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
