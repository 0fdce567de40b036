//! Blocking Cloudflare Workers KV client on ureq 3, driving [`kv_proto`].
//!
//! kv-proto decides everything (what to send, how to read the answer, whether and when to
//! retry, how fast to go); this crate moves the bytes, sleeps and spawns threads.
//!
//! # Quick start
//! ```no_run
//! use kv_ureq::Client;
//! use kv_ureq::kv_proto::{GetValue, Key, NamespaceId};
//!
//! let client = Client::from_env()?; // CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID
//! let value = client.execute(&GetValue::new(NamespaceId::new("0f2ac74b498b48028cb68387c421e279")?, Key::new("greeting")?))?;
//! println!("{}", value.text()?);
//! # Ok::<(), kv_ureq::Error>(())
//! ```
//!
//! # Layers
//! - [`Transport`] is the seam: one method, object safe, `Send + Sync`, implemented by
//!   [`UreqTransport`] and by any closure
//!   `Fn(http::Request<Vec<u8>>, u64) -> Result<http::Response<Vec<u8>>, Error> + Send + Sync`
//!   (a test double, or another HTTP stack).
//! - [`UreqTransport`] is the default transport: a `ureq::Agent` with 4xx/5xx as data, no
//!   redirect ever followed (a 3xx is a [`TransportErrorKind::Redirect`] error), HTTPS only
//!   except for loopback hosts, connect and request timeouts, the operation's body cap, every
//!   response header kept, and proxies from the environment.
//! - [`Client`] holds an [`Endpoint`], a transport, a [`RetryPolicy`] and one shared
//!   [`Pacer`]. [`Client::execute`] runs any [`Operation`] (pace, send, parse, retry);
//!   [`Client::execute_once`] skips the retries. Clones share the pool and the pacer.
//!
//! # Configuration
//!
//! | setting | builder method | default |
//! |---|---|---|
//! | base URL | [`ClientBuilder::base_url`] | `https://api.cloudflare.com/client/v4` |
//! | connect timeout (DNS + TCP + TLS) | [`ClientBuilder::connect_timeout`] | 10 s |
//! | request timeout (whole exchange, body included) | [`ClientBuilder::request_timeout`] | 60 s |
//! | proxy | [`ClientBuilder::proxy`] | [`ProxyConfig::FromEnv`] |
//! | user agent | [`ClientBuilder::user_agent_suffix`] | `kv-ureq/<version>` |
//! | retries | [`ClientBuilder::retry_policy`] | [`RetryPolicy::default`] |
//! | pacing | [`ClientBuilder::pacing`], [`ClientBuilder::pacer`] | on (1,200 req / 5 min), off for loopback |
//! | bulk concurrency | [`ClientBuilder::concurrency`] | [`DEFAULT_CONCURRENCY`] (4) |
//! | transport | [`ClientBuilder::transport`] | [`UreqTransport`] |
//!
//! # Environment
//! [`Client::from_env`] reads `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_API_KEY` +
//! `CLOUDFLARE_EMAIL`), `CLOUDFLARE_ACCOUNT_ID`, and `CLOUDFLARE_API_BASE_URL` (wrangler's
//! name) or `CLOUDFLARE_BASE_URL` (the SDKs' name). The transport reads `ALL_PROXY`,
//! `HTTPS_PROXY`, `HTTP_PROXY` (either case, first valid one wins, used for every target) and
//! `NO_PROXY`.
//!
//! # Features
//! - `rustls` (default): TLS by rustls with the ring provider and Mozilla's roots (webpki-roots).
//! - `native-tls`: the platform's TLS library and trust store (OpenSSL on Linux: needs
//!   `libssl-dev` / `pkg-config` to build). With both features enabled rustls is used.
#![forbid(unsafe_code)]

mod args;
mod bulk;
mod client;
mod driver;
mod namespace;
mod transport;

pub use http;
pub use kv_proto;
pub use ureq;

pub use transport::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, ProxyConfig, Transport, USER_AGENT,
    UreqTransport, UreqTransportBuilder,
};

pub use client::{
    Client, ClientBuilder, DEFAULT_CONCURRENCY, ENV_ACCOUNT_ID, ENV_API_BASE_URL, ENV_API_KEY,
    ENV_API_TOKEN, ENV_BASE_URL, ENV_EMAIL,
};

pub use args::{IntoKey, IntoNamespaceId, IntoTitle};
pub use bulk::{BulkDeleteJob, BulkGetJob, BulkKey, BulkWriteJob, JobReport, RejectedKey};
pub use namespace::{Keys, NamespaceHandle, Namespaces, Put};

pub use kv_proto::{
    AccountId, ApiError, Auth, BulkGetReport, BulkGetResult, BulkPayload, BulkReport, BulkValue,
    BulkWriteItem, DecodeError, Direction, Endpoint, Error, ErrorKind, Expiration, FailedKey,
    HttpError, Key, KeyInfo, KeyPager, Limit, Metadata, Namespace, NamespaceId, NamespaceOrder,
    NamespacePager, Operation, Pacer, PlanConfig, Progress, ResponseInfo, ResponseMeta, RetryAfter,
    RetryPolicy, Title, TransportError, TransportErrorKind, Value,
};
