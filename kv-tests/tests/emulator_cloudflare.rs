//! The Cloudflare-shaped settings: latency, bulk work time and the 524 edge timeout, the
//! sliding-window rate limiter with penalty and per-second cap, and the rate-limit headers.
//!
//! Raw HTTP (ureq as a plain client), no kv-proto. Time is only ever bounded from below.

mod common;

use std::time::{Duration, Instant};

use common::{ACCOUNT, Http, Resp, start_with};
use kv_tests::emulator::RateLimitHeaders;
use kv_tests::{EmulatorConfig, RateLimit};
use serde_json::{Value, json};

fn items(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"key": format!("k{i:03}"), "value": "v"}))
            .collect(),
    )
}

fn keys(n: usize) -> Value {
    Value::Array((0..n).map(|i| json!(format!("k{i:03}"))).collect())
}

fn retry_after(r: &Resp) -> u64 {
    r.header("retry-after")
        .expect("a 429 carries Retry-After")
        .parse()
        .expect("Retry-After is integer seconds")
}

#[test]
fn latency_delays_every_answer_after_processing() {
    let emu = start_with(EmulatorConfig::default().latency(Duration::from_millis(120)));
    let ns = emu.create_namespace(ACCOUNT, "lat").unwrap();
    let h = Http::new(&emu);
    for (method, rest) in [
        ("GET", format!("/{ns}/keys")),
        ("GET", format!("/{ns}/values/missing")), // a 404 is delayed too
        ("GET", "/not-a-namespace-id/keys".to_owned()),
    ] {
        let started = Instant::now();
        let r = h.send(method, &rest, None, None);
        assert!(
            started.elapsed() >= Duration::from_millis(120),
            "{method} {rest} -> {} after {:?}",
            r.status,
            started.elapsed()
        );
    }

    // The write is applied before the delayed answer: a client that gives up waiting still
    // finds it done.
    emu.set_latency(Duration::from_secs(30), Duration::ZERO);
    let impatient: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(300)))
        .build()
        .into();
    let r = impatient
        .put(&h.url(&format!("/{ns}/values/k")))
        .header("authorization", "Bearer t")
        .send(&b"v"[..]);
    assert!(matches!(r, Err(ureq::Error::Timeout(_))), "{r:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while emu.entry(ACCOUNT, &ns, "k").is_none() {
        assert!(Instant::now() < deadline, "the write was never applied");
        std::thread::sleep(Duration::from_millis(5));
    }

    // Jitter only ever adds.
    emu.set_latency(Duration::from_millis(50), Duration::from_millis(30));
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(h.get(&format!("/{ns}/keys")).status, 200);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}

#[test]
fn bulk_work_over_the_edge_timeout_is_a_524_applied_or_not() {
    let emu = start_with(
        EmulatorConfig::default()
            .bulk_item_cost(Duration::from_millis(1))
            .edge_timeout(Duration::from_millis(50)),
    );
    let h = Http::new(&emu);
    let ns = h.create_ns("edge");

    // 20 items: 20 ms of work, under the limit; the answer waits for the work.
    let started = Instant::now();
    let r = h.json("PUT", &format!("/{ns}/bulk"), &items(20));
    assert_eq!(r.result()["successful_key_count"], 20);
    assert!(started.elapsed() >= Duration::from_millis(20));

    // 100 items: 100 ms > 50 ms. The edge answers 524 after 50 ms; applied by default.
    let started = Instant::now();
    let r = h.json("PUT", &format!("/{ns}/bulk"), &items(100));
    assert_eq!(r.status, 524);
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("Error code 524"), "{}", r.text());
    assert_eq!(emu.key_count(ACCOUNT, &ns), Ok(100));
    assert_eq!(emu.requests().last().unwrap().status, Some(524));

    // Bulk delete of 100 keys, applied.
    let r = h.json("POST", &format!("/{ns}/bulk/delete"), &keys(100));
    assert_eq!(r.status, 524);
    assert_eq!(emu.key_count(ACCOUNT, &ns), Ok(0));

    // Not applied: nothing written, nothing deleted.
    emu.set_edge_timeout(Duration::from_millis(50), false);
    assert_eq!(
        h.json("PUT", &format!("/{ns}/bulk"), &items(100)).status,
        524
    );
    assert_eq!(emu.key_count(ACCOUNT, &ns), Ok(0));
    assert_eq!(
        h.json("PUT", &format!("/{ns}/bulk"), &items(30)).result()["successful_key_count"],
        30
    );
    assert_eq!(
        h.json("DELETE", &format!("/{ns}/bulk"), &keys(60)).status,
        524
    );
    assert_eq!(emu.key_count(ACCOUNT, &ns), Ok(30));

    // Bulk get counts its keys: 60 > 50, but 40 is fine.
    let ks = |n| json!({ "keys": keys(n) });
    assert_eq!(
        h.json("POST", &format!("/{ns}/bulk/get"), &ks(60)).status,
        524
    );
    assert_eq!(
        h.json("POST", &format!("/{ns}/bulk/get"), &ks(40)).status,
        200
    );

    // Single-key routes do no bulk work.
    assert_eq!(h.raw("PUT", &format!("/{ns}/values/one"), b"v").status, 200);

    // A larger limit lets the same request through.
    emu.set_edge_timeout(Duration::from_millis(500), false);
    let r = h.json("PUT", &format!("/{ns}/bulk"), &items(100));
    assert_eq!(r.result()["successful_key_count"], 100);
    // And without work time there is no 524 at all.
    emu.set_bulk_item_cost(Duration::ZERO);
    emu.set_edge_timeout(Duration::ZERO, false);
    assert_eq!(
        h.json("PUT", &format!("/{ns}/bulk"), &items(100)).status,
        200
    );
}

#[test]
fn penalty_refuses_everything_until_it_ends() {
    let emu = start_with(
        EmulatorConfig::default()
            .rate_limit(RateLimit::new(3, Duration::from_secs(1)).penalty(Duration::from_secs(2))),
    );
    let h = Http::new(&emu);
    for _ in 0..3 {
        assert_eq!(h.get("").status, 200);
    }
    let r = h.get("");
    let started = Instant::now(); // the penalty started before this
    let msg = r.error(429, 971);
    assert_eq!(
        msg,
        "Please wait and consider throttling your request speed"
    );
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(r.header("ratelimit"), Some("\"default\";r=0;t=2"));

    // Past the window, but inside the penalty: still refused, and not processed.
    std::thread::sleep(Duration::from_millis(1100));
    let r = h.json("POST", "", &json!({"title": "blocked"}));
    r.error(429, 971);
    let wait = retry_after(&r);
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    assert!(emu.namespaces(ACCOUNT).is_empty());
    assert!(emu.requests().last().unwrap().rate_limited);

    // Requests during the penalty do not extend it.
    while started.elapsed() < Duration::from_millis(2050) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = h.json("POST", "", &json!({"title": "later"}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-ratelimit-remaining"), Some("2"));
}

#[test]
fn max_rps_caps_each_second_without_a_penalty() {
    let emu = start_with(
        EmulatorConfig::default().rate_limit(
            RateLimit::new(1000, Duration::from_secs(60))
                .penalty(Duration::from_secs(60))
                .max_rps(Some(3)),
        ),
    );
    let h = Http::new(&emu);
    for i in 0..3 {
        let r = h.get("");
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some((999 - i).to_string().as_str())
        );
    }
    let r = h.get("");
    r.error(429, 971);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    // A second later the cap has room again, and the 60 s penalty never started.
    std::thread::sleep(Duration::from_millis(1050));
    let r = h.get("");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-ratelimit-remaining"), Some("996"));
}

#[test]
fn headers_are_exact_decreasing_and_switchable() {
    let emu = start_with(
        EmulatorConfig::default().rate_limit(RateLimit::new(4, Duration::from_secs(10))),
    );
    let h = Http::new(&emu);
    let first = h.get("");
    assert_eq!(first.header("x-ratelimit-limit"), Some("4"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("3"));
    assert_eq!(first.header("ratelimit"), Some("\"default\";r=3;t=10"));
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("\"default\";q=4;w=10")
    );
    let mut last_t = 10;
    for remaining in [2, 1, 0] {
        // Every answer carries them: a 404 for an unknown namespace too.
        let r = h.get("/0123456789abcdef0123456789abcdef");
        assert_eq!(r.status, 404);
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
        let ietf = r.header("ratelimit").unwrap();
        let (r_part, t_part) = ietf
            .strip_prefix("\"default\";r=")
            .and_then(|s| s.split_once(";t="))
            .unwrap_or_else(|| panic!("{ietf}"));
        assert_eq!(r_part, remaining.to_string());
        let t: u64 = t_part.parse().unwrap();
        assert!((1..=last_t).contains(&t), "{ietf}");
        last_t = t;
        assert_eq!(r.header("ratelimit-policy"), Some("\"default\";q=4;w=10"));
    }
    let refused = h.get("");
    refused.error(429, 971);
    let wait = retry_after(&refused);
    assert!((1..=10).contains(&wait));
    assert_eq!(
        refused.header("ratelimit"),
        Some(format!("\"default\";r=0;t={wait}").as_str())
    );
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));

    let families = |headers: RateLimitHeaders| {
        emu.set_rate_limit(Some(
            RateLimit::new(1, Duration::from_secs(30)).headers(headers),
        ));
        let ok = h.get("");
        assert_eq!(ok.status, 200);
        let refused = h.get("");
        refused.error(429, 971);
        assert!((1..=30).contains(&retry_after(&refused)));
        let present = |r: &Resp| {
            [
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "ratelimit",
                "ratelimit-policy",
            ]
            .map(|n| r.header(n).is_some())
        };
        assert_eq!(present(&ok), present(&refused));
        present(&ok)
    };
    assert_eq!(
        families(RateLimitHeaders::Legacy),
        [true, true, false, false]
    );
    assert_eq!(families(RateLimitHeaders::Ietf), [false, false, true, true]);
    assert_eq!(families(RateLimitHeaders::None), [false; 4]);
    assert_eq!(families(RateLimitHeaders::Both), [true; 4]);
    emu.set_rate_limit(None);
    let r = h.get("");
    assert!(r.header("ratelimit").is_none() && r.header("x-ratelimit-limit").is_none());
}

#[test]
fn like_cloudflare_profile() {
    let config = EmulatorConfig::like_cloudflare();
    assert_eq!(config.rate_limit, Some(RateLimit::cloudflare()));
    assert_eq!(config.latency, Duration::from_millis(100));
    assert_eq!(config.edge_timeout, Duration::from_secs(100));
    assert!(config.edge_timeout_applies);
    assert!(config.bulk_item_cost > Duration::ZERO);
    let emu = start_with(config);
    let h = Http::new(&emu);
    let started = Instant::now();
    let r = h.get("");
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-limit"), Some("1200"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("1199"));
    assert_eq!(r.header("ratelimit"), Some("\"default\";r=1199;t=300"));
    assert_eq!(
        r.header("ratelimit-policy"),
        Some("\"default\";q=1200;w=300")
    );
    // A full-size bulk write (10,000 items) is work, but far under the 100 s edge limit.
    let ns = h.create_ns("cf");
    let started = Instant::now();
    let r = h.json("PUT", &format!("/{ns}/bulk"), &items(10_000));
    assert_eq!(r.result()["successful_key_count"], 10_000);
    assert!(
        started.elapsed() >= emu_work(10_000),
        "{:?}",
        started.elapsed()
    );
}

/// The simulated work of `n` bulk items in the Cloudflare profile.
fn emu_work(n: u32) -> Duration {
    kv_tests::emulator::CLOUDFLARE_BULK_ITEM_COST * n
}
