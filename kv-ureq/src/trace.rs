//! Tracing hooks, behind the `tracing` feature. Without the feature every function here is
//! empty and every guard is `()`, so each call site is one line that compiles to nothing.
//!
//! The schema (target `kv_ureq`):
//!
//! | kind | name / message | level | fields |
//! |---|---|---|---|
//! | span | `kv.call` | INFO | `route` (template), `namespace_id`, `key` (only with [`crate::ClientBuilder::trace_keys`]) |
//! | event | `attempt` | DEBUG | `attempt` (1, 2, ...), `status`, `cf_ray`, `elapsed_ms`, `bytes` (response body), `outcome` (`ok` or an error class), `codes` (Cloudflare error codes) |
//! | event | `retry wait` | INFO | `attempt` (the one that failed), `wait_ms`, `outcome` |
//! | event | `pacer wait` | DEBUG | `wait_ms` |
//! | span | `kv.job` | INFO | `concurrency`; recorded at the end: `done`, `failed`, `total` (units, e.g. keys) |
//! | event | `job done` | INFO | `done`, `failed`, `total` (in the `kv.job` span) |
//!
//! Never a credential (requests are not logged, errors only by class and codes), and key
//! names only when the client was built with `trace_keys(true)`.

#[cfg(feature = "tracing")]
mod imp {
    use std::time::Duration;

    use kv_proto::{Error, Operation, Progress};

    /// The span of one call, entered until dropped.
    pub(crate) type CallGuard = tracing::span::EnteredSpan;
    /// The span of one job (the parent of the workers' calls), and the calling thread's
    /// subscriber, which the workers use too (a `set_default` subscriber is per thread).
    pub(crate) struct JobSpan(tracing::Span, tracing::Dispatch);

    pub(crate) fn call<O: Operation + ?Sized>(op: &O, keys: bool) -> CallGuard {
        let span = tracing::info_span!(
            target: "kv_ureq",
            "kv.call",
            route = op.route(),
            namespace_id = op.namespace_id().map(|n| n.as_str()),
            key = tracing::field::Empty,
        );
        if keys && let Some(key) = op.key() {
            span.record("key", key.as_str());
        }
        span.entered()
    }

    /// What one attempt saw of the response, filled in by the transport closure.
    #[derive(Default)]
    pub(crate) struct Seen {
        status: Option<u16>,
        cf_ray: Option<String>,
        bytes: Option<usize>,
    }

    impl Seen {
        pub(crate) fn response(&mut self, r: &http::Response<Vec<u8>>) {
            self.status = Some(r.status().as_u16());
            self.cf_ray = r
                .headers()
                .get("cf-ray")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            self.bytes = Some(r.body().len());
        }
    }

    pub(crate) fn attempt<T>(
        attempt: u32,
        elapsed: Duration,
        seen: &Seen,
        result: &Result<T, Error>,
    ) {
        let (outcome, codes) = match result {
            Ok(_) => ("ok", Vec::new()),
            Err(e) => (class(e), e.codes()),
        };
        tracing::debug!(
            target: "kv_ureq",
            attempt,
            status = seen.status,
            cf_ray = seen.cf_ray.as_deref(),
            elapsed_ms = elapsed.as_millis() as u64,
            bytes = seen.bytes.map(|b| b as u64),
            outcome,
            codes = ?codes,
            "attempt"
        );
    }

    pub(crate) fn retry_wait(attempt: u32, wait: Duration, err: &Error) {
        tracing::info!(
            target: "kv_ureq",
            attempt,
            wait_ms = wait.as_millis() as u64,
            outcome = class(err),
            "retry wait"
        );
    }

    pub(crate) fn pacer_wait(wait: Duration) {
        if !wait.is_zero() {
            tracing::debug!(target: "kv_ureq", wait_ms = wait.as_millis() as u64, "pacer wait");
        }
    }

    pub(crate) fn job(concurrency: usize) -> JobSpan {
        let span = tracing::info_span!(
            target: "kv_ureq",
            "kv.job",
            concurrency = concurrency as u64,
            done = tracing::field::Empty,
            failed = tracing::field::Empty,
            total = tracing::field::Empty,
        );
        JobSpan(span, tracing::dispatcher::get_default(Clone::clone))
    }

    pub(crate) fn in_job<R>(job: &JobSpan, f: impl FnOnce() -> R) -> R {
        tracing::dispatcher::with_default(&job.1, || job.0.in_scope(f))
    }

    pub(crate) fn job_end(job: &JobSpan, p: &Progress) {
        let span = &job.0;
        span.record("done", p.done);
        span.record("failed", p.failed);
        span.record("total", p.total_known);
        span.in_scope(|| {
            tracing::info!(
                target: "kv_ureq",
                done = p.done,
                failed = p.failed,
                total = p.total_known,
                "job done"
            );
        });
    }

    /// A coarse, data-free name for an error: no message, URL or body (they may hold a key).
    fn class(e: &Error) -> &'static str {
        if e.is_rate_limited() {
            "rate_limited"
        } else if e.is_quota_exceeded() {
            "quota_exceeded"
        } else if e.is_auth() {
            "auth"
        } else if e.is_not_found() {
            "not_found"
        } else if e.is_server_error() {
            "server_error"
        } else if e.is_timeout() {
            "timeout"
        } else if e.is_transport() {
            "transport"
        } else if e.is_too_large() {
            "too_large"
        } else if e.is_invalid_input() {
            "invalid_input"
        } else if e.status().is_some() {
            "http_error"
        } else {
            "other"
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod imp {
    use std::time::Duration;

    use kv_proto::{Error, Operation, Progress};

    // Zero-sized stand-ins (not `()`, so call sites can bind them without a lint).
    pub(crate) struct CallGuard(());
    pub(crate) struct JobSpan(());

    #[inline(always)]
    pub(crate) fn call<O: Operation + ?Sized>(_op: &O, _keys: bool) -> CallGuard {
        CallGuard(())
    }

    #[derive(Default)]
    pub(crate) struct Seen(());

    impl Seen {
        #[inline(always)]
        pub(crate) fn response(&mut self, _r: &http::Response<Vec<u8>>) {}
    }

    #[inline(always)]
    pub(crate) fn attempt<T>(_n: u32, _elapsed: Duration, _seen: &Seen, _r: &Result<T, Error>) {}

    #[inline(always)]
    pub(crate) fn retry_wait(_attempt: u32, _wait: Duration, _err: &Error) {}

    #[inline(always)]
    pub(crate) fn pacer_wait(_wait: Duration) {}

    #[inline(always)]
    pub(crate) fn job(_concurrency: usize) -> JobSpan {
        JobSpan(())
    }

    #[inline(always)]
    pub(crate) fn in_job<R>(_span: &JobSpan, f: impl FnOnce() -> R) -> R {
        f()
    }

    #[inline(always)]
    pub(crate) fn job_end(_span: &JobSpan, _p: &Progress) {}
}

pub(crate) use imp::*;
