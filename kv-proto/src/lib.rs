//! Sans-IO protocol core for the Cloudflare Workers KV REST API.
//!
//! `kv-proto` knows the whole protocol and does no I/O: every KV route is an [`Operation`] that
//! turns validated inputs into an [`http::Request<Vec<u8>>`](http::Request), and turns a
//! response (status, headers, body bytes) back into a typed result or a typed [`Error`].
//!
//! **In scope:** all 14 KV routes (namespaces, list keys, values, metadata, bulk write / delete
//! / get); input validation against the documented limits before anything is sent; strict key
//! percent-encoding; raw and multipart value writes; one envelope decoder with typed errors
//! (Cloudflare codes, `cf-ray`, `Retry-After`, JSON paths of decode failures); and the pure
//! state machines that drive multi-request work (pagers, bulk plans, retry and pacing
//! decisions).
//!
//! **Out of scope:** sockets, TLS, DNS, threads, sleeping, clocks, environment variables and
//! randomness. Time and jitter come in as arguments. A transport (such as `kv-ureq`, or your
//! own) sends the requests, reads at most [`Operation::max_response_bytes`] of each body, and
//! hands the response back.
//!
//! # The drive loop
//!
//! 1. Build an operation from validated newtypes; constructors reject bad input with
//!    [`ErrorKind::InvalidInput`], so nothing after this point can panic.
//! 2. `op.request(&endpoint)` gives the request: method, URL, `Authorization`, `Accept`,
//!    `Content-Type` and body.
//! 3. Send it any way you like, reading at most `op.max_response_bytes()` of the body
//!    (report more as [`Error::response_too_large`]).
//! 4. `op.parse(response)` decodes any status into the output or an [`Error`] with predicates
//!    such as [`Error::is_key_not_found`], [`Error::is_rate_limited`], [`Error::is_retryable`].
//!
//! [`exchange`] does steps 2 to 4 around your send function and adds what every shell needs:
//! the cap check, one error kind for a redirect, and [`Auth::redact`] on every error, so a
//! server that quotes the token back cannot put it in your logs. [`finish`] is its second
//! half, for async shells. The example below spells the steps out.
//!
//! ```
//! use kv_proto::{AccountId, Auth, Endpoint, GetValue, Key, NamespaceId, Operation, PutValue};
//!
//! let endpoint = Endpoint::new(AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?, Auth::api_token("my-token")?);
//! let ns = NamespaceId::new("0f2ac74b498b48028cb68387c421e279")?;
//!
//! // A closure stands in for the network: your HTTP stack goes here.
//! let mut stored: Option<Vec<u8>> = None;
//! let mut send = |req: http::Request<Vec<u8>>| -> http::Response<Vec<u8>> {
//!     assert_eq!(req.headers()["authorization"], "Bearer my-token");
//!     match *req.method() {
//!         http::Method::PUT => {
//!             stored = Some(req.into_body());
//!             http::Response::new(br#"{"success":true,"errors":[],"messages":[],"result":null}"#.to_vec())
//!         }
//!         _ => match &stored {
//!             Some(bytes) => http::Response::new(bytes.clone()),
//!             None => http::Response::builder()
//!                 .status(404)
//!                 .body(br#"{"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null}"#.to_vec())
//!                 .unwrap(),
//!         },
//!     }
//! };
//!
//! let get = GetValue::new(ns.clone(), Key::new("user/42")?);
//! let response = send(get.request(&endpoint));
//! // `parse` borrows the body: split the owned response and lend it.
//! let (parts, body) = response.into_parts();
//! let err = get.parse(http::Response::from_parts(parts, &body[..])).unwrap_err();
//! assert!(err.is_key_not_found());
//!
//! let put = PutValue::new(ns.clone(), Key::new("user/42")?, b"hello".to_vec())?;
//! let request = put.request(&endpoint);
//! assert_eq!(request.uri().path().rsplit('/').next(), Some("user%2F42"));
//! let (parts, body) = send(request).into_parts();
//! put.parse(http::Response::from_parts(parts, &body[..]))?;
//!
//! let (parts, body) = send(get.request(&endpoint)).into_parts();
//! assert!(body.len() as u64 <= get.max_response_bytes());
//! let value = get.parse(http::Response::from_parts(parts, &body[..]))?;
//! assert_eq!(value.bytes, b"hello");
//! # Ok::<(), kv_proto::Error>(())
//! ```
//!
//! # Plans
//!
//! Multi-request work (listing every key, splitting a large bulk write) is a state machine the
//! shell drives the same way. Every such machine implements one trait, [`Plan`]:
//!
//! | machine | ask ([`Plan::poll`]) | tell ([`Plan::handle`]) | report ([`Plan::finish`]) |
//! |---|---|---|---|
//! | [`BulkPlan`] ([`BulkWritePlan`], [`BulkDeletePlan`], [`BulkGetPlan`]) | the next batch, a wait, idle or done | a batch's [`BulkResponse`] / [`BulkGetResponse`] | [`BulkReport`] / [`BulkGetReport`] |
//! | [`KeyPager`], [`NamespacePager`] | the next page request, or done | the page | the items not yet taken ([`Pager::take_items`]), or the error that ended the walk |
//!
//! A bulk plan is built from a *template* operation that carries every request flag
//! (`BulkGet::template(ns).json().with_metadata()`), takes any [`IntoKey`] input lazily, and
//! reports an input it cannot send (an invalid key, an oversized item) in `failed` with
//! `attempts: 0`.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
pub mod codes;
mod de;
pub mod defaults;
mod drive;
mod endpoint;
mod envelope;
pub mod error;
mod exchange;
mod ids;
pub mod limits;
mod op;
mod pace;
pub mod records;
pub mod retry;

pub use http;

pub use auth::Auth;
pub use drive::bulk::{
    BulkDeletePlan, BulkGetPlan, BulkGetReport, BulkOp, BulkPlan, BulkReport, BulkWritePlan,
    FailedKey, IntoBulkItem, IntoKey, PlanConfig,
};
pub use drive::page::{KeyPager, NamespacePager, Pager};
pub use drive::workflow::{self, TypedBulkGetReport};
pub use drive::{Outcome, Plan, Poll, Progress, Ticket};
pub use endpoint::{Endpoint, is_loopback_host};
#[doc(hidden)]
pub use error::__doc_api_error;
pub use error::{Error, ErrorKind, Limit, TransportErrorKind};
pub use exchange::{exchange, finish};
pub use ids::{AccountId, Expiration, Key, Metadata, NamespaceId, Title};
pub use op::{
    BulkDelete, BulkGet, BulkGetResponse, BulkPayload, BulkResponse, BulkValue, BulkWrite,
    BulkWriteItem, CreateNamespace, DeleteNamespace, DeleteValue, Direction, GetMetadata,
    GetNamespace, GetValue, Jurisdiction, KeyInfo, KeyPage, ListKeys, ListNamespaces, Namespace,
    NamespaceMode, NamespaceOrder, NamespacePage, Operation, PageInfo, PutValue, RenameNamespace,
    StoredValue, TryGetValue,
};
pub use pace::Pacer;
pub use retry::RetryPolicy;
