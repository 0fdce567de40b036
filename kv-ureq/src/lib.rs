//! Blocking Cloudflare Workers KV client on ureq 3, driving [`kv_proto`].
//!
//! kv-proto decides everything (what to send, how to read the answer, whether and when to
//! retry, how fast to go); this crate moves the bytes, sleeps and spawns threads.
//!
//! # Quick start
//! ```no_run
//! use kv_ureq::Client;
//! use serde_json::json;
//!
//! let client = Client::from_env()?; // CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID
//! let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
//! ns.put("greeting", "hello")?;
//! ns.put_with("config", r#"{"debug":true}"#).metadata(json!({"v": 2})).ttl(3600).send()?;
//! assert_eq!(ns.get_text("greeting")?.as_deref(), Some("hello"));
//! assert_eq!(ns.get("missing")?, None);
//! for key in ns.keys().prefix("conf") {
//!     println!("{}", key?.name);
//! }
//! // Any iterator, however long: chunked, N requests in flight, retried, re-queued.
//! let report = ns.bulk_delete((0..50_000).map(|i| format!("tmp/{i}"))).run()?;
//! println!("{} deleted, failed: {:?}", report.succeeded, report.failed_keys().count());
//! # Ok::<(), kv_ureq::Error>(())
//! ```
//!
//! Run `cargo run -p kv-ureq --example quickstart` for a tour (it starts an in-process
//! emulator when `CLOUDFLARE_API_TOKEN` is not set).
//!
//! # The API
//! - [`Client`]: namespace CRUD ([`create_namespace`](Client::create_namespace),
//!   [`get_namespace`](Client::get_namespace), [`rename_namespace`](Client::rename_namespace),
//!   [`delete_namespace`](Client::delete_namespace), [`namespaces`](Client::namespaces), a
//!   lazy iterator over every page), [`namespace`](Client::namespace) for a
//!   [`NamespaceHandle`], and [`execute`](Client::execute) for any kv-proto [`Operation`].
//! - [`NamespaceHandle`]: [`get`](NamespaceHandle::get) (`None` when missing),
//!   `get_bytes` / `get_text` / `get_json`, [`put`](NamespaceHandle::put),
//!   [`put_with`](NamespaceHandle::put_with) (metadata, expiry), [`delete`](NamespaceHandle::delete),
//!   [`metadata`](NamespaceHandle::metadata), [`keys`](NamespaceHandle::keys) (a lazy
//!   iterator over every page, with prefix and page size), and the bulk jobs
//!   [`bulk_write`](NamespaceHandle::bulk_write), [`bulk_delete`](NamespaceHandle::bulk_delete),
//!   [`bulk_get`](NamespaceHandle::bulk_get).
//! - Keys, namespace ids and titles are taken as strings or as the validated types
//!   ([`IntoKey`], [`IntoNamespaceId`], [`IntoTitle`]); strings are checked before anything is
//!   sent. In bulk jobs an invalid key string is reported in the report's `failed` list with
//!   `attempts: 0`, and the job goes on.
//! - Bulk jobs run kv-proto's plans on the calling thread plus `concurrency - 1` scoped
//!   threads sharing the client's connection pool and pacer; the plan alone decides what to
//!   send, re-send and wait for. `run` fails only on bad configuration and returns the plan's
//!   report ([`BulkReport`], [`BulkGetReport`]): every key that did not make it is named in its
//!   `failed` list.
//!
//! # Layers
//! - [`Transport`] is the seam: one method, object safe, `Send + Sync`, implemented by
//!   [`UreqTransport`] and by any closure
//!   `Fn(http::Request<Vec<u8>>, u64) -> Result<http::Response<Vec<u8>>, Error> + Send + Sync`
//!   (a test double, or another HTTP stack).
//! - [`UreqTransport`] is the default transport: a `ureq::Agent` with every status as data, no
//!   redirect ever followed (kv-proto reports a 3xx as [`TransportErrorKind::Redirect`], from
//!   any transport), HTTPS only
//!   except for loopback hosts, connect and request timeouts, the operation's body cap, every
//!   response header kept, and proxies from the environment.
//! - [`Client`] holds an [`Endpoint`], a transport, a [`RetryPolicy`] and one shared
//!   [`Pacer`]. [`Client::execute`] runs any [`Operation`] (pace, [`kv_proto::exchange`],
//!   retry);
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
//! | bulk concurrency | [`ClientBuilder::concurrency`] | [`DEFAULT_CONCURRENCY`] (16) |
//! | transport | [`ClientBuilder::transport`] | [`UreqTransport`] |
//!
//! # Environment
//! [`Client::from_env`] reads `CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_API_KEY` +
//! `CLOUDFLARE_EMAIL`), `CLOUDFLARE_ACCOUNT_ID`, and `CLOUDFLARE_API_BASE_URL` (wrangler's
//! name) or `CLOUDFLARE_BASE_URL` (the SDKs' name). The transport reads `ALL_PROXY`,
//! `HTTPS_PROXY`, `HTTP_PROXY` (either case, first valid one wins, used for every target) and
//! `NO_PROXY`.
//!
//! # What this crate re-exports
//! Every kv-proto item that appears in kv-ureq's own signatures (arguments, results, reports,
//! errors and their parts: the [`error`] module, the [`codes`] and [`limits`] a caller compares
//! against) is re-exported at the root, so a program that uses kv-ureq never has to name
//! kv-proto. Everything else (operations for [`Client::execute`], plans, pagers, the pacer's and
//! the retry policy's details) is reachable as `kv_ureq::kv_proto::...`; `http` and `ureq` are
//! re-exported whole.
//!
//! # Features
//! - `rustls` (default): TLS by rustls with the ring provider and Mozilla's roots (webpki-roots).
//! - `native-tls`: the platform's TLS library and trust store (OpenSSL on Linux: needs
//!   `libssl-dev` / `pkg-config` to build). With both features enabled rustls is used.
//! - `tracing` (off): spans and events through the [`tracing`](https://docs.rs/tracing) crate
//!   (target `kv_ureq`). A `kv.call` span per call (`route`, the route template;
//!   `namespace_id`; `key` only with [`ClientBuilder::trace_keys`]), a DEBUG `attempt` event per
//!   attempt (`attempt`, `status`, `cf_ray`, `elapsed_ms`, `bytes`, `outcome`, `codes`), an
//!   INFO `retry wait` event (`attempt`, `wait_ms`, `outcome`), a DEBUG `pacer wait` event
//!   (`wait_ms`), and a `kv.job` span per bulk job (`concurrency`; `done`, `failed`,
//!   `total` recorded at the end, with an INFO `job done` event). No credential is ever
//!   traced. Bulk workers use the subscriber of the thread that runs the job. `cargo run -p kv-ureq --features tracing --example tracing` shows it.
#![forbid(unsafe_code)]

mod args;
mod builder;
mod bulk;
mod client;
mod driver;
mod listing;
mod namespace;
mod trace;
mod transport;
mod workflow;

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
pub use bulk::{BulkDeleteJob, BulkGetJob, BulkJob, BulkWriteJob};
pub use kv_proto::records::{self, Record};
pub use kv_proto::{
    TypedBulkGetReport, workflow::ExportConfig, workflow::ExportReport, workflow::PurgeReport,
};
pub use listing::{Keys, Namespaces};
pub use namespace::{NamespaceHandle, Put};
pub use workflow::{
    CopyJob, CopyReport, ExportJob, ImportJob, ImportReport, PurgeJob, TypedBulkGetJob,
};

// The re-export rule: every kv-proto item that appears in kv-ureq's own public signatures
// (arguments, results, reports, errors and the parts of an error) is re-exported here, so a
// program that uses kv-ureq never has to name kv-proto. Everything else (operations, plans,
// pagers, the pacer's and retry's details) stays reachable as `kv_ureq::kv_proto::...`.
pub use kv_proto::{
    AccountId, Auth, BulkGetReport, BulkGetResponse, BulkPayload, BulkReport, BulkValue,
    BulkWriteItem, Direction, Endpoint, Error, ErrorKind, Expiration, FailedKey, Key, KeyInfo,
    KeyPager, Limit, Metadata, Namespace, NamespaceId, NamespaceOrder, NamespacePager, Operation,
    Outcome, Pacer, PlanConfig, Progress, RetryPolicy, StoredValue, Title, TransportErrorKind,
    codes, error, limits,
};
