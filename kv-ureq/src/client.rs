//! [`Client`]: configuration, `from_env`, and the `execute` loop (pace, send, parse, retry).

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use kv_proto::{
    AccountId, Auth, Endpoint, Error, Limit, Operation, Outcome, Pacer, RetryPolicy,
    retry::{GiveUpReason, RetryDecision},
};

pub use crate::builder::ClientBuilder;
use crate::trace;
use crate::transport::{Transport, USER_AGENT, UreqTransport};

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

    pub(crate) fn from_parts(parts: Parts) -> Client {
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
pub(crate) struct Parts {
    pub(crate) endpoint: Endpoint,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) custom_transport: bool,
    pub(crate) retry: RetryPolicy,
    pub(crate) deadline: Option<Duration>,
    pub(crate) pacer: Pacer,
    pub(crate) concurrency: usize,
    pub(crate) trace_keys: bool,
}
