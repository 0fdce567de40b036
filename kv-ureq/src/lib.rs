//! Blocking Cloudflare Workers KV client on ureq 3, driving [`kv_proto`].
//!
//! kv-proto decides everything (what to send, how to read the answer, whether and when to
//! retry, how fast to go); this crate moves the bytes, sleeps and spawns threads.
//!
//! - [`Transport`] is the seam: one method, object safe, implemented by [`UreqTransport`] and by
//!   any closure `Fn(http::Request<Vec<u8>>, u64) -> Result<http::Response<Vec<u8>>, Error>`.
//! - [`UreqTransport`] is the default transport: a `ureq::Agent` with status-as-data, no
//!   redirects, HTTPS only (except loopback), timeouts, body caps and proxies from the
//!   environment.
#![forbid(unsafe_code)]

mod client;
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

pub use kv_proto::{
    AccountId, Auth, Endpoint, Error, ErrorKind, Operation, Pacer, RetryPolicy, TransportErrorKind,
};
