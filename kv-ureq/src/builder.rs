//! [`ClientBuilder`]: every setting of a [`Client`], from code or from the environment.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kv_proto::defaults::SERVICE_DEADLINE;
use kv_proto::{AccountId, Auth, Endpoint, Error, Limit, Pacer, RetryPolicy};

use crate::client::{Client, DEFAULT_CONCURRENCY, Parts, check_concurrency};
use crate::client::{
    ENV_ACCOUNT_ID, ENV_API_BASE_URL, ENV_API_KEY, ENV_API_TOKEN, ENV_BASE_URL, ENV_EMAIL,
};
use crate::transport::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, ProxyConfig, Transport, USER_AGENT,
    UreqTransport,
};

/// Pacing setting of a [`ClientBuilder`].
#[derive(Debug, Clone)]
enum Pacing {
    /// On for Cloudflare; for loopback base URLs, only the limits the server announces.
    Auto,
    On,
    Off,
    /// Boxed: a pacer is large next to the other variants.
    Custom(Box<Pacer>),
}

/// Every setting of a [`Client`]. Start with [`Client::builder`] or
/// [`ClientBuilder::from_env`]; finish with [`ClientBuilder::build`].
///
/// | setting | default |
/// |---|---|
/// | [`base_url`](Self::base_url) | `https://api.cloudflare.com/client/v4` |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s (DNS + TCP + TLS) |
/// | [`request_timeout`](Self::request_timeout) | 60 s (a whole exchange, body included) |
/// | [`proxy`](Self::proxy) | from `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` |
/// | [`user_agent_suffix`](Self::user_agent_suffix) | none: `User-Agent: kv-ureq/<version>` |
/// | [`retry_policy`](Self::retry_policy) | [`RetryPolicy::default`] (10 attempts, 1 s doubling to 30 s) |
/// | [`deadline`](Self::deadline) | none (per call; [`for_services`](Self::for_services): 10 s and [`RetryPolicy::service`]) |
/// | [`pacing`](Self::pacing) / [`pacer`](Self::pacer) | on (1,200 requests / 5 min); loopback base URL: only the limits the server announces ([`Pacer::server_driven`]) |
/// | [`concurrency`](Self::concurrency) | [`DEFAULT_CONCURRENCY`] (16) |
/// | [`transport`](Self::transport) | a [`UreqTransport`] built from the settings above |
///
/// ```
/// use std::time::Duration;
/// use kv_ureq::{AccountId, Auth, ClientBuilder};
///
/// let client = ClientBuilder::new(Auth::api_token("t")?, AccountId::new("acc")?)
///     .request_timeout(Duration::from_secs(300))
///     .user_agent_suffix("my-app/1.2")
///     .concurrency(2)
///     .build()?;
/// assert_eq!(client.concurrency(), 2);
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    auth: Auth,
    account: AccountId,
    base_url: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    proxy: ProxyConfig,
    user_agent_suffix: Option<String>,
    retry: RetryPolicy,
    deadline: Option<Duration>,
    pacing: Pacing,
    concurrency: usize,
    transport: Option<Arc<dyn Transport>>,
    trace_keys: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("auth", &self.auth)
            .field("account", &self.account)
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("proxy", &self.proxy)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .field("pacing", &self.pacing)
            .field("concurrency", &self.concurrency)
            .field("custom_transport", &self.transport.is_some())
            .field("trace_keys", &self.trace_keys)
            .finish()
    }
}

impl ClientBuilder {
    /// The defaults of [`Client::new`].
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, ClientBuilder, DEFAULT_CONCURRENCY};
    ///
    /// let client = ClientBuilder::new(Auth::api_token("t")?, AccountId::new("acc")?).build()?;
    /// assert!(client.is_pacing());
    /// assert_eq!(client.concurrency(), DEFAULT_CONCURRENCY);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn new(auth: Auth, account_id: AccountId) -> ClientBuilder {
        ClientBuilder {
            auth,
            account: account_id,
            base_url: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            proxy: ProxyConfig::FromEnv,
            user_agent_suffix: None,
            retry: RetryPolicy::default(),
            deadline: None,
            pacing: Pacing::Auto,
            concurrency: DEFAULT_CONCURRENCY,
            transport: None,
            trace_keys: false,
        }
    }

    /// Reads the process environment; see [`ClientBuilder::from_env_with`].
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env_with`].
    ///
    /// # Example
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// // Credentials and account from the environment, the rest set here.
    /// let client = kv_ureq::ClientBuilder::from_env()?
    ///     .request_timeout(Duration::from_secs(300))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn from_env() -> Result<ClientBuilder, Error> {
        ClientBuilder::from_env_with(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (a variable that is unset or blank counts as missing):
    ///
    /// | variable | use |
    /// |---|---|
    /// | `CLOUDFLARE_API_TOKEN` | API token (preferred; wins over a key) |
    /// | `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL` | Global API Key and its email, if no token |
    /// | `CLOUDFLARE_ACCOUNT_ID` | account id (required) |
    /// | `CLOUDFLARE_API_BASE_URL` | base URL (wrangler's name; read first) |
    /// | `CLOUDFLARE_BASE_URL` | base URL (the official SDKs' name) |
    ///
    /// Proxy variables are read by the transport ([`ProxyConfig::FromEnv`]).
    ///
    /// ```
    /// use kv_ureq::ClientBuilder;
    ///
    /// let env = |name: &str| match name {
    ///     "CLOUDFLARE_API_TOKEN" => Some("t0k3n".to_string()),
    ///     "CLOUDFLARE_ACCOUNT_ID" => Some("acc123".to_string()),
    ///     "CLOUDFLARE_BASE_URL" => Some("http://localhost:8787/client/v4".to_string()),
    ///     _ => None,
    /// };
    /// let client = ClientBuilder::from_env_with(env)?.build()?;
    /// assert_eq!(client.endpoint().base_url(), "http://localhost:8787/client/v4");
    /// assert_eq!(client.endpoint().account().as_str(), "acc123");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    ///
    /// # Errors
    /// No credentials, no account id, or a value that fails validation. Messages name the
    /// variable, never its value.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let named = |name: &str, e: Error| {
            let limit = e.limit().unwrap_or(Limit::Config);
            let why = match e.kind() {
                kv_proto::ErrorKind::InvalidInput { message, .. } => message.clone(),
                _ => e.to_string(),
            };
            Error::invalid_input(limit, format!("{name}: {why}"))
        };
        let auth = if let Some(token) = get(ENV_API_TOKEN) {
            Auth::api_token(&token).map_err(|e| named(ENV_API_TOKEN, e))?
        } else {
            match (get(ENV_API_KEY), get(ENV_EMAIL)) {
                (Some(key), Some(email)) => {
                    Auth::api_key(&email, &key).map_err(|e| named(ENV_API_KEY, e))?
                }
                (Some(_), None) => {
                    return Err(Error::invalid_input(
                        Limit::Credentials,
                        format!("{ENV_API_KEY} is set but {ENV_EMAIL} is not"),
                    ));
                }
                _ => {
                    return Err(Error::invalid_input(
                        Limit::Credentials,
                        format!(
                            "no credentials: set {ENV_API_TOKEN} (or {ENV_API_KEY} and {ENV_EMAIL})"
                        ),
                    ));
                }
            }
        };
        let account = get(ENV_ACCOUNT_ID).ok_or_else(|| {
            Error::invalid_input(Limit::AccountId, format!("{ENV_ACCOUNT_ID} is not set"))
        })?;
        let account = AccountId::new(account.trim()).map_err(|e| named(ENV_ACCOUNT_ID, e))?;
        let mut builder = ClientBuilder::new(auth, account);
        if let Some(url) = get(ENV_API_BASE_URL).or_else(|| get(ENV_BASE_URL)) {
            builder.base_url = Some(url);
        }
        Ok(builder)
    }

    /// The API base URL, e.g. an emulator's `http://127.0.0.1:8787/client/v4`. Must be
    /// `https` unless the host is loopback (checked by [`build`](Self::build)).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acct")?)
    ///     .base_url("http://127.0.0.1:8787/client/v4")
    ///     .build()?;
    /// assert_eq!(client.endpoint().base_url(), "http://127.0.0.1:8787/client/v4");
    /// // Plain http is refused for any host that is not loopback.
    /// let remote = Client::builder(Auth::api_token("t")?, AccountId::new("acct")?)
    ///     .base_url("http://kv.example.com/client/v4");
    /// assert!(remote.build().is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Budget for DNS, TCP connect and TLS handshake, per attempt (default 10 s; `None` for
    /// no limit). Ignored with a custom [`transport`](Self::transport).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .build()?;
    /// # let _ = client;
    /// // `None` waits as long as the OS lets it.
    /// let patient = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .connect_timeout(None)
    ///     .build()?;
    /// # let _ = patient;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Budget for one whole exchange, body included, per attempt (default 60 s; `None` for no
    /// limit). Raise it for bulk writes near 100 MB. Ignored with a custom transport.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// // Large bulk writes over a slow link need more than the default 60 s.
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .request_timeout(Duration::from_secs(300))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.request_timeout = timeout.into();
        self
    }

    /// Proxy source (default [`ProxyConfig::FromEnv`]). Ignored with a custom transport.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, ProxyConfig};
    ///
    /// let direct = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .proxy(ProxyConfig::Disabled)
    ///     .build()?;
    /// # let _ = direct;
    /// let bad = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .proxy(ProxyConfig::Url("not a url".into()))
    ///     .build();
    /// assert!(bad.is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = proxy;
        self
    }

    /// Appended to the `User-Agent`: `kv-ureq/<version> <suffix>`, e.g. `"my-app/1.2"`.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, USER_AGENT};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acct")?)
    ///     .user_agent_suffix("my-app/1.2")
    ///     .transport(|req: http::Request<Vec<u8>>, _max: u64| {
    ///         assert_eq!(req.headers()["user-agent"], format!("{USER_AGENT} my-app/1.2"));
    ///         let ok = r#"{"success":true,"errors":[],"messages":[],"result":[]}"#;
    ///         Ok(http::Response::builder().status(200).body(ok.as_bytes().to_vec()).unwrap())
    ///     })
    ///     .build()?;
    /// assert_eq!(client.namespaces().count(), 0);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Retry rules of [`Client::execute`] (default [`RetryPolicy::default`];
    /// [`RetryPolicy::none`] turns retries off).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, RetryPolicy};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// assert_eq!(client.retry_policy().max_attempts(), 1);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A deadline for each call of [`Client::execute`], covering every attempt and every
    /// wait (retry backoff, `Retry-After`, pacing): no wait ends past it, and when the next
    /// one would, the call returns its last error at once. An attempt already on the wire is
    /// not interrupted (the transport's timeouts bound it). Default: none. Bulk jobs have
    /// their own deadline ([`BulkJob::deadline`](crate::BulkJob::deadline)); each request of
    /// a job is bound by both.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client};
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .deadline(Duration::from_secs(5))
    ///     .build()?;
    /// assert_eq!(client.deadline(), Some(Duration::from_secs(5)));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.deadline = deadline.into();
        self
    }

    /// The preset for services (a request handler waiting on KV): [`RetryPolicy::service`]
    /// (3 attempts, short backoff, `Retry-After` honoured up to 2 s) and a per-call deadline of
    /// [`SERVICE_DEADLINE`] (10 s). The defaults (10 attempts, backoff up to 30 s,
    /// `Retry-After` up to 6 minutes, no deadline) suit batch jobs that must finish.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client};
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .for_services()
    ///     .build()?;
    /// assert_eq!(client.deadline(), Some(Duration::from_secs(10)));
    /// assert_eq!(client.retry_policy().max_attempts(), 3);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn for_services(self) -> Self {
        self.retry_policy(RetryPolicy::service())
            .deadline(SERVICE_DEADLINE)
    }

    /// Turns client-side pacing on ([`Pacer::cloudflare_default`]) or off entirely
    /// ([`Pacer::unlimited`]: no waiting, rate-limit headers ignored). Without this call,
    /// pacing is on for Cloudflare; for a loopback base URL (an emulator) the client has no
    /// limit of its own but keeps to any limit the server announces in its rate-limit headers
    /// and to a 429's `Retry-After` ([`Pacer::server_driven`]).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .base_url("http://127.0.0.1:8787/client/v4")
    ///     .pacing(true) // pace even against an emulator
    ///     .build()?;
    /// assert!(client.is_pacing());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn pacing(mut self, on: bool) -> Self {
        self.pacing = if on { Pacing::On } else { Pacing::Off };
        self
    }

    /// Paces requests with this pacer (shared by all clones and threads of the client).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client, Pacer};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .base_url("http://127.0.0.1:8787/client/v4")
    ///     .pacer(Pacer::new(100, Duration::from_secs(60))?)
    ///     .build()?;
    /// assert!(client.is_pacing());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn pacer(mut self, pacer: Pacer) -> Self {
        self.pacing = Pacing::Custom(Box::new(pacer));
        self
    }

    /// Requests in flight for bulk jobs (default [`DEFAULT_CONCURRENCY`]; at least 1).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .concurrency(16)
    ///     .build()?;
    /// assert_eq!(client.concurrency(), 16);
    /// let zero = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?).concurrency(0);
    /// assert!(zero.build().is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sends through `transport` instead of a [`UreqTransport`]: another HTTP stack, a test
    /// double, or a `UreqTransport` you built yourself. Timeouts and proxy settings of this
    /// builder then do not apply.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// // A test double that accepts every DELETE.
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .transport(|req: http::Request<Vec<u8>>, _max: u64| {
    ///         assert_eq!(req.method(), http::Method::DELETE);
    ///         let ok = r#"{"success":true,"errors":[],"messages":[],"result":null}"#;
    ///         Ok(http::Response::builder().status(200).body(ok.as_bytes().to_vec()).unwrap())
    ///     })
    ///     .build()?;
    /// client.namespace("abc")?.delete("k")?;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Puts key names into traces (the `key` field of the `kv.call` span) when the `tracing`
    /// feature is on. Off by default: keys can be personal data. Without the feature it does
    /// nothing. Credentials are never traced.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .trace_keys(true)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn trace_keys(mut self, on: bool) -> Self {
        self.trace_keys = on;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// An unacceptable base URL (not https for a non-loopback host, has a query, ...), a user
    /// agent suffix that is not a valid header value, an invalid proxy URL, or concurrency 0.
    ///
    /// # Example
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let ok = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?).build();
    /// assert!(ok.is_ok());
    /// let bad = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .user_agent_suffix("bad\nvalue")
    ///     .build();
    /// assert!(bad.is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let mut endpoint = Endpoint::new(self.account, self.auth);
        if let Some(url) = &self.base_url {
            endpoint = endpoint.with_base_url(url)?;
        }
        let user_agent = match &self.user_agent_suffix {
            Some(s) if !s.trim().is_empty() => format!("{USER_AGENT} {}", s.trim()),
            _ => USER_AGENT.to_owned(),
        };
        let endpoint = endpoint.with_user_agent(&user_agent)?;
        check_concurrency(self.concurrency)?;
        let loopback = endpoint.is_loopback();
        let pacer = match self.pacing {
            // An emulator: no limit of our own, but any limit it announces is kept.
            Pacing::Auto if loopback => Pacer::server_driven(),
            Pacing::Auto | Pacing::On => Pacer::cloudflare_default(),
            Pacing::Off => Pacer::unlimited(),
            Pacing::Custom(p) => *p,
        };
        let (transport, custom): (Arc<dyn Transport>, bool) = match self.transport {
            Some(t) => (t, true),
            None => (
                Arc::new(
                    UreqTransport::builder()
                        .connect_timeout(self.connect_timeout)
                        .request_timeout(self.request_timeout)
                        .proxy(self.proxy)
                        .max_idle_connections_per_host(self.concurrency.max(4))
                        .build()?,
                ),
                false,
            ),
        };
        Ok(Client::from_parts(Parts {
            endpoint,
            transport,
            custom_transport: custom,
            retry: self.retry,
            deadline: self.deadline,
            pacer,
            concurrency: self.concurrency,
            trace_keys: self.trace_keys,
        }))
    }
}
