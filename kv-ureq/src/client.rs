//! [`Client`]: configuration, `from_env`, and the `execute` loop (pace, send, parse, retry).

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use kv_proto::{
    AccountId, Auth, Endpoint, Error, Limit, Operation, Outcome, Pacer, RetryPolicy,
    defaults::SERVICE_DEADLINE,
    retry::{GiveUpReason, RetryDecision},
};

use crate::trace;
use crate::transport::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, ProxyConfig, Transport, USER_AGENT,
    UreqTransport,
};

/// Default number of requests a bulk job keeps in flight: 16.
///
/// Chosen by measurement against the Cloudflare-shaped emulator (100 ms per answer, 200 µs per
/// bulk item, 1,200 requests per 5 minutes and 200 per second, rate-limit headers):
///
/// ```sh
/// cargo run --release -p kv-tests --example concurrency-sweep -- --pacing on
/// cargo run --release -p kv-tests --example concurrency-sweep -- --keys 40000 --concurrency 8,16,24 --pacing on
/// ```
///
/// A 10,000-key bulk write + get + delete (121 requests) took 18.3 s at 1, 4.9 s at 4, 2.8 s
/// at 8, 1.5 s at 16 and 1.1 s at 32; at 40,000 keys (481 requests) 16 took 5.0 s, while 24
/// and 32 went over the 200 requests per second (13 and 7 answers 429) and then waited out
/// the window (over 300 s). 16 is the knee: about 160 requests per second at 100 ms, under
/// the per-second limit. Cloudflare's 1,200 requests per 5 minutes still bound a long job; the
/// default pacer spends them at full speed and then waits for the window. Against a loopback
/// emulator (no limit of the client's own) raise it freely. Results: BENCHMARKS.md, "Choosing
/// the default concurrency".
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Environment variable: an API token (preferred).
pub const ENV_API_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable: a Global API Key (used with [`ENV_EMAIL`] when no token is set).
pub const ENV_API_KEY: &str = "CLOUDFLARE_API_KEY";
/// Environment variable: the account email that goes with [`ENV_API_KEY`].
pub const ENV_EMAIL: &str = "CLOUDFLARE_EMAIL";
/// Environment variable: the account id.
pub const ENV_ACCOUNT_ID: &str = "CLOUDFLARE_ACCOUNT_ID";
/// Environment variable: base URL override, wrangler's name (read first).
pub const ENV_API_BASE_URL: &str = "CLOUDFLARE_API_BASE_URL";
/// Environment variable: base URL override, the official SDKs' name.
pub const ENV_BASE_URL: &str = "CLOUDFLARE_BASE_URL";

/// A blocking Workers KV client: an [`Endpoint`] (account, credentials, base URL), a
/// [`Transport`], a [`RetryPolicy`] and a shared [`Pacer`].
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool and the pacer, so
/// threads of one bulk job together stay under Cloudflare's rate limit. `Debug` never shows
/// the credentials.
///
/// # Example
/// ```no_run
/// use kv_ureq::{AccountId, Auth, Client};
///
/// let client = Client::new(Auth::api_token("my-token")?, AccountId::new("my-account-id")?);
/// // or: let client = Client::from_env()?;
/// # let _ = client;
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    transport: Arc<dyn Transport>,
    custom_transport: bool,
    retry: RetryPolicy,
    deadline: Option<Duration>,
    pacer: Mutex<Pacer>,
    concurrency: usize,
    seeds: AtomicU64,
    seed_base: u64,
    trace_keys: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &i.endpoint)
            .field(
                "transport",
                &if i.custom_transport { "custom" } else { "ureq" },
            )
            .field("retry", &i.retry)
            .field("pacing", &self.is_pacing())
            .field("concurrency", &i.concurrency)
            .finish()
    }
}

impl Client {
    /// A client for Cloudflare's API with every default: base URL
    /// `https://api.cloudflare.com/client/v4`, connect timeout 10 s, request timeout 60 s,
    /// proxy from the environment, [`RetryPolicy::default`], pacing on, concurrency 16.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::new(Auth::api_token("t0k3n")?, AccountId::new("acc")?);
    /// assert!(!format!("{client:?}").contains("t0k3n"));
    /// assert!(client.is_pacing());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn new(auth: Auth, account_id: AccountId) -> Client {
        let endpoint = Endpoint::new(account_id, auth);
        // The default user agent is a valid header value, so this cannot fail.
        let endpoint = endpoint
            .clone()
            .with_user_agent(USER_AGENT)
            .unwrap_or(endpoint);
        Client::from_parts(Parts {
            endpoint,
            transport: Arc::new(UreqTransport::new()),
            custom_transport: false,
            retry: RetryPolicy::default(),
            deadline: None,
            pacer: Pacer::cloudflare_default(),
            concurrency: DEFAULT_CONCURRENCY,
            trace_keys: false,
        })
    }

    /// A builder starting from the defaults of [`Client::new`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client, RetryPolicy};
    ///
    /// let client = Client::builder(Auth::api_token("t0k3n")?, AccountId::new("acc")?)
    ///     .base_url("http://127.0.0.1:8787/client/v4")
    ///     .request_timeout(Duration::from_secs(120))
    ///     .retry_policy(RetryPolicy::default().with_max_attempts(3))
    ///     .concurrency(8)
    ///     .build()?;
    /// assert!(!client.is_pacing()); // loopback: only the server's announced limits
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn builder(auth: Auth, account_id: AccountId) -> ClientBuilder {
        ClientBuilder::new(auth, account_id)
    }

    /// A client configured from the process environment; see [`ClientBuilder::from_env_with`]
    /// for the variables read.
    ///
    /// # Errors
    /// A variable is missing or invalid, or the base URL is not acceptable.
    ///
    /// # Example
    /// ```no_run
    /// // With CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID set:
    /// let client = kv_ureq::Client::from_env()?;
    /// for ns in client.namespaces() {
    ///     println!("{}", ns?.title);
    /// }
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// A client configured from `lookup` instead of the process environment (for tests, or a
    /// config file); see [`ClientBuilder::from_env_with`].
    ///
    /// # Errors
    /// As [`Client::from_env`].
    ///
    /// # Example
    /// ```
    /// use kv_ureq::Client;
    ///
    /// let client = Client::from_env_with(|name| match name {
    ///     "CLOUDFLARE_API_TOKEN" => Some("t0k3n".into()),
    ///     "CLOUDFLARE_ACCOUNT_ID" => Some("acc123".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(client.endpoint().base_url(), "https://api.cloudflare.com/client/v4");
    /// // No account id: an error that names the variable.
    /// let err = Client::from_env_with(|name| (name == "CLOUDFLARE_API_TOKEN").then(|| "t".into()))
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("CLOUDFLARE_ACCOUNT_ID"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Client, Error> {
        ClientBuilder::from_env_with(lookup)?.build()
    }

    fn from_parts(parts: Parts) -> Client {
        let Parts {
            endpoint,
            transport,
            custom_transport,
            retry,
            deadline,
            pacer,
            concurrency,
            trace_keys,
        } = parts;
        Client {
            inner: Arc::new(Inner {
                endpoint,
                transport,
                custom_transport,
                retry,
                deadline,
                pacer: Mutex::new(pacer),
                concurrency,
                seeds: AtomicU64::new(0),
                seed_base: RandomState::new().hash_one(0u64),
                trace_keys,
            }),
        }
    }

    /// Runs one operation: paces, sends, parses ([`Client::execute_once`]), and on a retryable
    /// error sleeps as the [`RetryPolicy`] decides and sends again. Before each retry the error
    /// goes to the shared pacer ([`Pacer::on_error`]): a rate-limited answer with `Retry-After`
    /// holds it back, so other threads wait too.
    ///
    /// With a [deadline](ClientBuilder::deadline), no wait (retry backoff or pacing) ends past
    /// it: when the next wait would cross it, the last error comes back at once.
    ///
    /// # Errors
    /// The last attempt's error once the policy gives up (not retryable, attempts exhausted,
    /// a `Retry-After` above the policy's limit, or the next wait would cross the deadline);
    /// [`ErrorKind::DeadlineExceeded`](kv_proto::ErrorKind::DeadlineExceeded) if the deadline
    /// left no time for a first attempt.
    ///
    /// # Example
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, Endpoint, Error, Operation};
    ///
    /// // Any kv-proto operation works; this one asks for the account's base URL.
    /// struct Ping;
    /// impl Operation for Ping {
    ///     type Output = u16;
    ///     fn request(&self, ep: &Endpoint) -> http::Request<Vec<u8>> {
    ///         ep.build_request(http::Method::GET, ep.namespaces_url(), &[], "application/json", None, Vec::new())
    ///     }
    ///     fn max_response_bytes(&self) -> u64 { 1024 }
    ///     fn parse(&self, r: http::Response<&[u8]>) -> Result<u16, Error> { Ok(r.status().as_u16()) }
    /// }
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .transport(|_req: http::Request<Vec<u8>>, _max: u64| {
    ///         Ok(http::Response::builder().status(204).body(Vec::new()).unwrap())
    ///     })
    ///     .build()?;
    /// assert_eq!(client.execute(&Ping)?, 204);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn execute<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        self.execute_outcome(op).result
    }

    /// [`Client::execute`], telling what it took: the result, the HTTP requests sent
    /// (retries included), whether a failed attempt may have been applied by the server
    /// ([`Error::maybe_applied`]), and how long the last attempt took. This is what the bulk
    /// driver hands to a [`Plan`](kv_proto::Plan).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, Key, NamespaceId};
    /// use kv_ureq::kv_proto::DeleteValue;
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .transport(|_req: http::Request<Vec<u8>>, _max: u64| {
    ///         Ok(http::Response::builder().status(200)
    ///             .body(br#"{"success":true,"errors":[],"messages":[],"result":null}"#.to_vec()).unwrap())
    ///     })
    ///     .build()?;
    /// let outcome = client.execute_outcome(&DeleteValue::new(NamespaceId::new("ns")?, Key::new("k")?));
    /// assert!(outcome.result.is_ok());
    /// assert_eq!((outcome.attempts, outcome.maybe_applied), (1, false));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn execute_outcome<O: Operation>(&self, op: &O) -> Outcome<O::Output> {
        self.execute_until(op, None).0
    }

    /// [`Client::execute_outcome`] under the client's per-call deadline and `job_deadline`,
    /// whichever comes first. The flag is true if the call stopped short because of
    /// `job_deadline` (no time was left for the next attempt).
    pub(crate) fn execute_until<O: Operation>(
        &self,
        op: &O,
        job_deadline: Option<Instant>,
    ) -> (Outcome<O::Output>, bool) {
        let _span = trace::call(op, self.inner.trace_keys);
        let started = Instant::now();
        let call_deadline = self.inner.deadline.and_then(|d| started.checked_add(d));
        let deadline = match (call_deadline, job_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let job_binds = job_deadline.is_some() && deadline == job_deadline;
        let mut state = self
            .inner
            .retry
            .start(self.next_jitter_seed())
            .idempotent(op.is_idempotent())
            .with_deadline(deadline);
        let mut outcome = Outcome::from_attempts(
            Err(Error::deadline_exceeded(
                "the deadline passed before the request could be sent",
            )),
            0,
            false,
            Duration::ZERO,
        );
        loop {
            // Pacing: never wait past the deadline (the last error, if any, comes back).
            if !self.pace_until(deadline) {
                return (outcome, job_binds);
            }
            let sent = Instant::now();
            let result = self.exchange(op, outcome.attempts + 1);
            outcome.elapsed = sent.elapsed();
            outcome.attempts += 1;
            let err = match result {
                Ok(output) => {
                    outcome.result = Ok(output);
                    return (outcome, false);
                }
                Err(err) => err,
            };
            outcome.maybe_applied |= err.maybe_applied();
            let now = SystemTime::now();
            let decision = state.on_error_for(op, &err, now, Instant::now());
            outcome.result = Err(err);
            match decision {
                RetryDecision::Retry(wait) => {
                    if let Err(err) = &outcome.result {
                        trace::retry_wait(outcome.attempts, wait, err);
                        self.inner
                            .pacer
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .on_error(err, Instant::now(), now);
                    }
                    sleep(wait);
                }
                RetryDecision::GiveUp(GiveUpReason::DeadlineExceeded(_)) => {
                    return (outcome, job_binds);
                }
                RetryDecision::GiveUp(_) => return (outcome, false),
            }
        }
    }

    /// Waits for the pacer unless that wait would end past `deadline`; false if it would (or
    /// the deadline has passed).
    fn pace_until(&self, deadline: Option<Instant>) -> bool {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return false;
        }
        let wait = self
            .inner
            .pacer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reserve(now);
        if deadline.is_some_and(|d| now.checked_add(wait).is_none_or(|end| end > d)) {
            return false;
        }
        trace::pacer_wait(wait);
        sleep(wait);
        true
    }

    /// Runs one operation once: paces, then [`kv_proto::exchange`] through the transport
    /// (cap check, redirect, parse, credential redaction); no retry.
    ///
    /// # Errors
    /// Whatever the transport or [`kv_proto::exchange`] reports.
    ///
    /// # Example
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use kv_ureq::{AccountId, Auth, Client, Endpoint, Error, Operation};
    ///
    /// struct Ping;
    /// impl Operation for Ping {
    ///     type Output = u16;
    ///     fn request(&self, ep: &Endpoint) -> http::Request<Vec<u8>> {
    ///         ep.build_request(http::Method::GET, ep.namespaces_url(), &[], "application/json", None, Vec::new())
    ///     }
    ///     fn max_response_bytes(&self) -> u64 { 1024 }
    ///     fn parse(&self, r: http::Response<&[u8]>) -> Result<u16, Error> {
    ///         if r.status().is_server_error() {
    ///             return Err(Error::new(kv_ureq::ErrorKind::Protocol { message: "busy".into() }));
    ///         }
    ///         Ok(r.status().as_u16())
    ///     }
    /// }
    ///
    /// static SENT: AtomicU32 = AtomicU32::new(0);
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .transport(|_req: http::Request<Vec<u8>>, _max: u64| {
    ///         SENT.fetch_add(1, Ordering::SeqCst);
    ///         Ok(http::Response::builder().status(503).body(Vec::new()).unwrap())
    ///     })
    ///     .build()?;
    /// assert!(client.execute_once(&Ping).is_err());
    /// assert_eq!(SENT.load(Ordering::SeqCst), 1); // sent once, not retried
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn execute_once<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        let _span = trace::call(op, self.inner.trace_keys);
        self.pace();
        self.exchange(op, 1)
    }

    /// Attempt `n` of `op`: one exchange through the transport, without pacing.
    fn exchange<O: Operation>(&self, op: &O, n: u32) -> Result<O::Output, Error> {
        let (start, mut seen) = (Instant::now(), trace::Seen::default());
        let result = kv_proto::exchange(op, &self.inner.endpoint, |request, max| {
            let response = self.inner.transport.send(request, max)?;
            seen.response(&response);
            // Every answer (a 429 included) tells the shared pacer what the server's limiter
            // says: the budget left, the window, the policy.
            self.inner
                .pacer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .observe(response.headers(), Instant::now());
            Ok(response)
        });
        trace::attempt(n, start.elapsed(), &seen, &result);
        result
    }

    /// Waits until the shared pacer allows the next request and returns how long it waited
    /// (zero when pacing is off). [`Client::execute`] calls this before every attempt; drivers
    /// that send through [`Client::transport`] directly should call it too.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .base_url("http://127.0.0.1:8787/client/v4") // loopback: no limit until the server announces one
    ///     .build()?;
    /// assert_eq!(client.pace(), Duration::ZERO);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn pace(&self) -> Duration {
        let wait = self
            .inner
            .pacer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reserve(Instant::now());
        trace::pacer_wait(wait);
        sleep(wait);
        wait
    }

    /// A fresh jitter seed: differs between requests and between processes.
    pub(crate) fn next_jitter_seed(&self) -> u64 {
        let n = self.inner.seeds.fetch_add(1, Ordering::Relaxed);
        self.inner.seed_base ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// The endpoint: base URL, account id, credentials, user agent.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::new(Auth::api_token("t")?, AccountId::new("acc")?);
    /// assert_eq!(client.endpoint().account().as_str(), "acc");
    /// assert_eq!(client.endpoint().base_url(), "https://api.cloudflare.com/client/v4");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The transport requests go through.
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .transport(|_req: http::Request<Vec<u8>>, _max: u64| {
    ///         Ok(http::Response::builder().status(418).body(Vec::new()).unwrap())
    ///     })
    ///     .build()?;
    /// let resp = client.transport().send(http::Request::new(Vec::new()), 0)?;
    /// assert_eq!(resp.status(), 418);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn transport(&self) -> &dyn Transport {
        &*self.inner.transport
    }

    /// The retry policy of [`Client::execute`].
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, RetryPolicy};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .retry_policy(RetryPolicy::default().with_max_attempts(3))
    ///     .build()?;
    /// assert_eq!(client.retry_policy().max_attempts(), 3);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The per-call deadline of [`Client::execute`] (see [`ClientBuilder::deadline`]).
    pub fn deadline(&self) -> Option<Duration> {
        self.inner.deadline
    }

    /// True if requests are paced against a limit known in advance (the default against
    /// Cloudflare). False when pacing is off, and for the default against a loopback base
    /// URL: that pacer ([`Pacer::server_driven`]) has no limit of its own and only keeps to
    /// limits the server announces in its rate-limit headers (and to a 429's `Retry-After`).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let cloudflare = Client::new(Auth::api_token("t")?, AccountId::new("acc")?);
    /// assert!(cloudflare.is_pacing());
    /// let local = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .base_url("http://localhost:8787/client/v4")
    ///     .build()?;
    /// assert!(!local.is_pacing());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn is_pacing(&self) -> bool {
        let pacer = self
            .inner
            .pacer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pacer.is_enabled() && !pacer.is_server_driven()
    }

    /// How many requests a bulk job keeps in flight ([`DEFAULT_CONCURRENCY`] by default).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client, DEFAULT_CONCURRENCY};
    ///
    /// let client = Client::new(Auth::api_token("t")?, AccountId::new("acc")?);
    /// assert_eq!(client.concurrency(), DEFAULT_CONCURRENCY);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }
}

/// Concurrency `n` if it is at least 1 (of a client, or of one bulk job).
pub(crate) fn check_concurrency(n: usize) -> Result<usize, Error> {
    match n {
        0 => Err(Error::invalid_input(
            Limit::Config,
            "concurrency must be at least 1",
        )),
        n => Ok(n),
    }
}

fn sleep(wait: Duration) {
    if !wait.is_zero() {
        std::thread::sleep(wait);
    }
}

/// Everything a [`Client`] is made of, as [`Client::new`] and [`ClientBuilder::build`] choose it.
struct Parts {
    endpoint: Endpoint,
    transport: Arc<dyn Transport>,
    custom_transport: bool,
    retry: RetryPolicy,
    deadline: Option<Duration>,
    pacer: Pacer,
    concurrency: usize,
    trace_keys: bool,
}

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
