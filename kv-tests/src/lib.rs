//! A local emulator of the Cloudflare Workers KV REST API, for tests and benchmarks.
//!
//! The [`Emulator`] serves the 14 KV routes under
//! `/client/v4/accounts/{account_id}/storage/kv/namespaces` over HTTP/1.1 (hyper + tokio),
//! following `kv-api.md`: the JSON envelope, error codes and statuses, limits, cursor paging,
//! expiration against a clock the test controls, multipart writes and percent-decoded keys.
//! It can misbehave on purpose, deterministically from a seed ([`FaultPlan`]), enforce a
//! Cloudflare-like rate limit ([`RateLimit`]) and log what it received ([`RequestRecord`]).
//!
//! It is deliberately independent of `kv-proto`: its own parsing and response building, so a
//! bug in the client cannot hide behind the same bug in the emulator.
//!
//! ```
//! use kv_tests::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default())?;
//! let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
//! // ... send requests to `url` with any HTTP client and a bearer token ...
//! # let _ = url;
//! emu.stop();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The `kv-emulator` binary runs the same server from the command line; see `EMULATOR.md`.
#![forbid(unsafe_code)]

pub mod emulator;

pub use emulator::{
    CLOUDFLARE_BULK_ITEM_COST, CLOUDFLARE_LATENCY, DEFAULT_ACCOUNT_ID, DEFAULT_EDGE_TIMEOUT,
    Emulator, EmulatorConfig, FaultKind, FaultPlan, FaultScope, NamespaceInfo, RateLimit,
    RateLimitHeaders, RequestRecord, SeedError, StoredEntry,
};

/// The README's snippets, compiled (and the ones not marked `no_run`, run) by
/// `cargo test --workspace` as doctests of this crate, which has kv-ureq and kv-proto as
/// dev-dependencies.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
