//! The `tracing` feature: every call, attempt, wait and bulk job as spans and events, printed
//! by tracing-subscriber's `fmt` layer.
//!
//! ```text
//! cargo run -p kv-ureq --features tracing --example tracing
//! ```
//!
//! Runs on the in-process emulator (kv-tests), which fails the first write of a key with a 503 so a
//! retry shows up. Key names appear because the client is built with `trace_keys(true)`;
//! credentials never do.

use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan, FaultScope};
use kv_ureq::{AccountId, Auth, Client, Error, RetryPolicy};

fn main() {
    // DEBUG shows the attempt and pacer events; INFO only spans, retry waits and job ends.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_target(false)
        .init();
    if let Err(e) = run() {
        eprintln!("tracing example failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let emulator = Emulator::start(EmulatorConfig::default())
        .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
    let client = Client::builder(Auth::api_token("emulator-token")?, AccountId::new("demo")?)
        .base_url(emulator.base_url())
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(50)))
        .trace_keys(true)
        .concurrency(2)
        .build()?;

    let created = client.create_namespace("tracing-demo")?;
    let ns = client.namespace(&created.id)?;
    // From now on the first mutating request gets a 503; the client retries it.
    emulator.set_faults(
        FaultPlan::always(FaultKind::ServiceUnavailable)
            .scope(FaultScope::Mutating)
            .max_faults(1),
    );
    ns.put("greeting", "hello")?;
    let _ = ns.get_text("greeting")?;
    let report = ns.bulk_delete((0..250).map(|i| format!("tmp/{i}"))).run()?;
    println!("bulk delete: {} succeeded", report.succeeded);
    client.delete_namespace(ns.id())?;
    Ok(())
}
