//! A typed reader for a web service: a request handler looks a user up in KV with
//! `get_json`, on a client built with `ClientBuilder::for_services()` and a tighter deadline,
//! and turns every outcome into an HTTP answer: found (200), not found (404), out of time
//! (504), rate limited (503 with `Retry-After`), anything else (502). Runs on the in-process
//! emulator, no setup; the emulator's faults play a slow and a rate-limited backend:
//!
//! ```text
//! cargo run -p kv-ureq --example service
//! ```

use std::time::{Duration, Instant};

use kv_tests::{Emulator, EmulatorConfig, FaultKind, FaultPlan};
use kv_ureq::{AccountId, Auth, Client, Error, NamespaceHandle};
use serde::{Deserialize, Serialize};

/// What the service stores under `user/{id}`.
#[derive(Debug, Serialize, Deserialize)]
struct User {
    name: String,
    email: String,
    admin: bool,
}

/// The answer a handler gives its caller: a status and a body.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
}

/// The handler: one KV read, every outcome mapped to an answer. Nothing here waits longer
/// than the client's deadline (plus one attempt already on the wire).
fn get_user(ns: &NamespaceHandle, id: &str) -> Reply {
    let reply = |status, body: String| Reply { status, body };
    match ns.get_json::<User>(format!("user/{id}")) {
        Ok(Some(user)) => reply(
            200,
            format!("{} <{}>, admin: {}", user.name, user.email, user.admin),
        ),
        Ok(None) => reply(404, format!("no user {id}")),
        // The deadline left no time for another attempt, or an attempt timed out.
        Err(e) if e.is_deadline_exceeded() || e.is_timeout() => {
            reply(504, format!("KV too slow: {e}"))
        }
        // Cloudflare asked us to wait longer than the service preset is willing to (2 s).
        Err(e) if e.is_rate_limited() => {
            let wait = e
                .retry_after()
                .map(|r| r.delay_from(std::time::SystemTime::now()));
            reply(503, format!("KV rate limited, retry after {wait:?}"))
        }
        // A stored value that is not a User: a bug in whoever wrote it, not in the caller.
        Err(e) if matches!(e.kind(), kv_ureq::ErrorKind::Decode(_)) => {
            reply(500, format!("bad record: {e}"))
        }
        // Anything else (auth, 5xx after the retries, invalid key, ...): log it with the
        // ray id Cloudflare support asks for, and answer 502.
        Err(e) => reply(
            502,
            format!("KV failed: status {:?}, ray {:?}", e.status(), e.ray_id()),
        ),
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("service failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let emu = Emulator::start(EmulatorConfig::default())
        .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
    let id = emu
        .create_namespace("service", "users")
        .map_err(|e| Error::protocol(e.to_string()))?;

    // The service's client: RetryPolicy::service() (3 attempts, backoff 100 ms to 1 s,
    // Retry-After honoured up to 2 s), and a deadline of 1 s per call instead of the preset's
    // 10 s. Against Cloudflare this would be `ClientBuilder::from_env()?.for_services()...`.
    let client = Client::builder(
        Auth::api_token("emulator-token")?,
        AccountId::new("service")?,
    )
    .base_url(emu.base_url())
    .for_services()
    .deadline(Duration::from_secs(1))
    .request_timeout(Duration::from_millis(400)) // one attempt on the wire
    .build()?;
    let ns = client.namespace(id.as_str())?;

    ns.put_json(
        "user/1",
        &User {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            admin: true,
        },
    )?;
    ns.put("user/2", "not a user record")?;

    let call = |what: &str, id: &str| {
        let t = Instant::now();
        let r = get_user(&ns, id);
        println!(
            "{what:<22} {:>3} {:>7.0?}  {}",
            r.status,
            t.elapsed(),
            r.body
        );
        r.status
    };

    assert_eq!(call("found", "1"), 200);
    assert_eq!(call("not found", "3"), 404);
    assert_eq!(call("not a User", "2"), 500);

    // A backend slower than the request timeout: every attempt times out, the deadline ends
    // the call after about 1 s.
    emu.set_faults(FaultPlan::always(FaultKind::SlowResponse).slow_delay(Duration::from_secs(2)));
    assert_eq!(call("slow backend", "1"), 504);

    // A 429 asking for 30 s: more than a handler can wait, so it fails at once.
    emu.set_faults(FaultPlan::always(FaultKind::TooManyRequests).retry_after_secs(30));
    assert_eq!(call("rate limited", "1"), 503);

    // 502 pages from the edge, three times: the retries are used up.
    emu.set_faults(FaultPlan::always(FaultKind::BadGateway));
    assert_eq!(call("edge errors", "1"), 502);

    emu.clear_faults();
    assert_eq!(call("recovered", "1"), 200);
    Ok(())
}
