//! Shared setup of the end-to-end contract suite (`e2e_*.rs`): an emulator per test, a
//! `kv_ureq::Client` over one of two HTTP stacks, a seeded byte generator, and the macro that
//! runs every contract test once per stack.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig};
use kv_ureq::{AccountId, Auth, Client, NamespaceHandle, RetryPolicy, Transport, UreqTransport};

/// The hand-written `TcpStream` HTTP/1.1 transport of the `custom_transport` example, compiled
/// into this test crate as is.
#[path = "../../../kv-ureq/examples/custom_transport/transport.rs"]
pub mod transport;

/// The account every test uses (each test has its own emulator).
pub const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// The bearer token the clients send.
pub const TOKEN: &str = "e2e-token";

/// Which HTTP stack a client sends through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// kv-ureq's default `UreqTransport` (ureq 3, pooled keep-alive connections).
    Ureq,
    /// `transport::send`: one `TcpStream` per request, hand-written HTTP/1.1.
    Custom,
}

/// One test's world: its own emulator and a client pointed at it.
pub struct Env {
    pub emu: Emulator,
    pub client: Client,
    pub stack: Stack,
}

/// Retries that do not slow a test down (the emulator never injects faults here, but a
/// retryable answer must not cost seconds).
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_base_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(50))
        .with_min_rate_limited_delay(Duration::from_millis(5))
}

/// A client on `stack` for `emu`, authenticating with `token`.
pub fn client_for(emu: &Emulator, stack: Stack, token: &str) -> Client {
    let builder = Client::builder(
        Auth::api_token(token).expect("token"),
        AccountId::new(ACCOUNT).expect("account"),
    )
    .base_url(emu.base_url())
    .retry_policy(fast_retries())
    .concurrency(4);
    let builder = match stack {
        Stack::Ureq => builder,
        Stack::Custom => builder.transport(transport::send),
    };
    builder.build().expect("client builds")
}

/// Requests in flight through a [`counting_client`], now and at most.
#[derive(Debug, Default)]
pub struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    /// The most requests that were in flight at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// A client on `stack` whose transport counts requests in flight (the stack's own transport,
/// wrapped in a closure).
pub fn counting_client(emu: &Emulator, stack: Stack) -> (Client, Arc<InFlight>) {
    let inner: Box<dyn Transport> = match stack {
        Stack::Ureq => Box::new(UreqTransport::new()),
        Stack::Custom => Box::new(transport::send),
    };
    let counter = Arc::new(InFlight::default());
    let c = Arc::clone(&counter);
    let client = Client::builder(
        Auth::api_token(TOKEN).expect("token"),
        AccountId::new(ACCOUNT).expect("account"),
    )
    .base_url(emu.base_url())
    .retry_policy(fast_retries())
    .transport(move |req, max| {
        let n = c.now.fetch_add(1, Ordering::SeqCst) + 1;
        c.max.fetch_max(n, Ordering::SeqCst);
        let result = inner.send(req, max);
        c.now.fetch_sub(1, Ordering::SeqCst);
        result
    })
    .build()
    .expect("client builds");
    (client, counter)
}

/// A fresh emulator (default config, 2 worker threads) and a client on `stack`.
pub fn env(stack: Stack) -> Env {
    env_with(stack, EmulatorConfig::default())
}

/// A fresh emulator with `config` and a client on `stack`.
pub fn env_with(stack: Stack, config: EmulatorConfig) -> Env {
    let emu = Emulator::start(config.worker_threads(2)).expect("emulator starts");
    let client = client_for(&emu, stack, TOKEN);
    Env { emu, client, stack }
}

impl Env {
    /// Creates a namespace through the client and returns its handle.
    pub fn namespace(&self, title: &str) -> NamespaceHandle {
        let created = self
            .client
            .create_namespace(title)
            .expect("create namespace");
        self.client.namespace(&created.id).expect("handle")
    }

    /// Live keys of `ns` in the emulator's own store.
    pub fn stored_keys(&self, ns: &NamespaceHandle) -> Vec<String> {
        self.emu
            .keys(ACCOUNT, ns.id().as_str())
            .expect("namespace exists")
    }

    /// Asserts, from the emulator's request log, that requests really went through this
    /// env's stack: the hand-written transport sends `connection: close`, ureq keeps
    /// connections alive.
    pub fn assert_stack_used(&self) {
        let log = self.emu.requests();
        assert!(!log.is_empty(), "no request logged");
        for r in &log {
            let close = r.header("connection") == Some("close");
            assert_eq!(
                close,
                self.stack == Stack::Custom,
                "{:?} {}",
                r.method,
                r.path
            );
        }
    }

    /// Number of live keys of `ns` in the emulator's own store.
    pub fn stored_count(&self, ns: &NamespaceHandle) -> usize {
        self.emu
            .key_count(ACCOUNT, ns.id().as_str())
            .expect("namespace exists")
    }
}

/// xorshift64*: deterministic pseudo-random bytes from a seed (no rand crate needed).
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Generates `mod ureq` and `mod custom`, each with one `#[test]` per listed function
/// `fn name(stack: Stack)`, so the same contract runs over both HTTP stacks.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod ureq {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::e2e_common::Stack::Ureq);
                }
            )*
        }
        mod custom {
            $(
                #[test]
                fn $name() {
                    super::$name($crate::e2e_common::Stack::Custom);
                }
            )*
        }
    };
}
