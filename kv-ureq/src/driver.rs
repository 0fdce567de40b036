//! Runs any kv-proto [`Plan`] with real threads and sleeps.
//!
//! # Design
//!
//! The plan is the single source of truth: it decides what to send, what to re-queue and when
//! to wait. The driver only moves requests between the plan and [`Client::execute`].
//!
//! - The plan sits in a `Mutex` with a `Condvar`. There is no separate coordinator thread:
//!   each of the N workers (the calling thread plus N - 1 scoped threads) locks the plan,
//!   polls it, and then
//!   - on `Send(ticket, op)`: marks one request in flight, unlocks, runs
//!     [`Client::execute`] (pacing, retries with backoff and `Retry-After`), locks again,
//!     hands the result to the plan, calls the progress callback, and wakes every waiting
//!     worker (the answer may have released work, e.g. re-queued keys);
//!   - on `Wait(d)`: sleeps on the condvar for at most `d` (a completion wakes it earlier);
//!   - on `Idle`: sleeps on the condvar until a completion; if nothing is in flight the
//!     plan can never make progress, so the job ends instead of deadlocking;
//!   - on `Done`: wakes the others and returns.
//! - No busy spinning: every wait is a condvar wait. Requests share the client's one
//!   connection pool (a cloned `ureq::Agent`) and its pacer.
//! - A panic in a worker (in a custom transport or the progress callback) stops the other
//!   workers and is re-raised by the scope in the calling thread.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use kv_proto::{Plan, Poll, Progress};

use crate::client::Client;
use crate::trace;

/// The longest single condvar sleep; the plan is polled again after it.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// A progress callback, boxed so job builders stay simple types.
pub(crate) type ProgressFn<'a> = Box<dyn FnMut(&Progress) + Send + 'a>;

struct Shared<'a, P: Plan> {
    plan: P,
    in_flight: usize,
    /// Workers sleeping on the condvar: a completion wakes them only if there are any (a
    /// `notify_all` is a system call even when nobody waits, once per request at
    /// concurrency 1).
    sleeping: usize,
    stop: bool,
    on_progress: Option<ProgressFn<'a>>,
}

struct Job<'a, P: Plan> {
    shared: Mutex<Shared<'a, P>>,
    wake: Condvar,
}

impl<'a, P: Plan> Job<'a, P> {
    fn lock(&self) -> MutexGuard<'_, Shared<'a, P>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// On a panic in a worker, stops the others (they would otherwise wait for an answer that
/// never comes).
struct StopOnPanic<'j, 'a, P: Plan>(&'j Job<'a, P>);

impl<P: Plan> Drop for StopOnPanic<'_, '_, P> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().stop = true;
            self.0.wake.notify_all();
        }
    }
}

/// Runs `plan` to completion with `concurrency` requests in flight and returns its report.
pub(crate) fn run<'a, P: Plan + Send>(
    client: &Client,
    plan: P,
    concurrency: usize,
    on_progress: Option<ProgressFn<'a>>,
) -> P::Report {
    let job = Job {
        shared: Mutex::new(Shared {
            plan,
            in_flight: 0,
            sleeping: 0,
            stop: false,
            on_progress,
        }),
        wake: Condvar::new(),
    };
    let workers = concurrency.max(1);
    let span = trace::job(workers);
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(|| trace::in_job(&span, || worker(client, &job)));
        }
        trace::in_job(&span, || worker(client, &job));
    });
    let plan = job
        .shared
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .plan;
    trace::job_end(&span, &plan.progress());
    plan.finish()
}

fn worker<P: Plan + Send>(client: &Client, job: &Job<'_, P>) {
    let _guard = StopOnPanic(job);
    let mut g = job.lock();
    loop {
        if g.stop {
            return;
        }
        match g.plan.poll(Instant::now()) {
            Poll::Send(ticket, op) => {
                g.in_flight += 1;
                drop(g);
                let result = client.execute(&op);
                drop(op);
                g = job.lock();
                g.in_flight -= 1;
                g.plan.handle(ticket, result);
                let shared = &mut *g;
                if let Some(cb) = shared.on_progress.as_mut() {
                    cb(&shared.plan.progress());
                }
                if g.sleeping > 0 {
                    job.wake.notify_all();
                }
            }
            Poll::Wait(d) => {
                g.sleeping += 1;
                g = job
                    .wake
                    .wait_timeout(g, d.min(MAX_WAIT))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                g.sleeping -= 1;
            }
            Poll::Idle => {
                if g.in_flight == 0 {
                    // Nothing can wake us: the plan waits for an answer no worker is fetching.
                    g.stop = true;
                    job.wake.notify_all();
                    return;
                }
                g.sleeping += 1;
                g = job.wake.wait(g).unwrap_or_else(PoisonError::into_inner);
                g.sleeping -= 1;
            }
            Poll::Done => {
                g.stop = true;
                job.wake.notify_all();
                return;
            }
        }
    }
}
