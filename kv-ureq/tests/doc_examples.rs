//! The examples of kv-ureq's documentation, run against the in-process emulator.
//!
//! The doctests themselves are `no_run` (the published package cannot depend on kv-tests, which
//! is not published); this file keeps their behaviour tested. Generated from the doctests once:
//! keep both in step when you change one.

#![allow(unused_variables)] // the hidden setup of some examples makes a client the example replaces

/// kv-ureq/src/bulk.rs:22
#[test]
fn bulk_line_22() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("a", "1")?;
        let job = ns.bulk_delete(["a", ".."]); // a BulkDeleteJob: nothing sent yet
        assert!(ns.get("a")?.is_some());
        let report = job.run()?;
        assert_eq!(ns.get("a")?, None);
        assert_eq!((report.requested, report.succeeded), (2, 1));
        assert_eq!(
            (report.failed[0].key.as_str(), report.failed[0].attempts),
            ("..", 0)
        );
        assert!(report.failed[0].error.is_invalid_input());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:87
#[test]
fn bulk_line_87() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let report = ns
            .bulk_delete((0..20).map(|i| format!("k{i}")))
            .batch_size(2)
            .concurrency(3)
            .run()?;
        assert_eq!(report.succeeded, 20);
        assert!(ns.bulk_delete(["k"]).concurrency(0).run().is_err());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:106
#[test]
fn bulk_line_106() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let report = ns
            .bulk_delete(["a", "b", "c", "d", "e"])
            .batch_size(2)
            .run()?;
        assert_eq!(report.requests_sent, 3); // 2 + 2 + 1 keys
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:124
#[test]
fn bulk_line_124() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::PlanConfig;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let config = PlanConfig::new()
            .with_max_batch_items(2)
            .with_max_key_attempts(1);
        let report = ns.bulk_delete(["a", "b", "c"]).config(config).run()?;
        assert_eq!(report.requests_sent, 2);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:148
#[test]
fn bulk_line_148() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let mut calls = Vec::new();
        let report = ns
            .bulk_delete(["a", "b", "c"])
            .batch_size(1)
            .concurrency(1)
            .on_progress(|p| calls.push(p.done))
            .run()?;
        assert_eq!(report.succeeded, 3);
        assert_eq!(calls, [1, 2, 3]);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:178
#[test]
fn bulk_line_178() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{BulkWriteItem, Key};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let item = BulkWriteItem::text(Key::new("greeting")?, "hello")?;
        let report = ns.bulk_write([item]).run()?;
        assert!(report.is_success());
        assert_eq!(report.succeeded, 1);
        assert_eq!(ns.get_text("greeting")?.as_deref(), Some("hello"));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:211
#[test]
fn bulk_line_211() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("a", "1")?;
        emu.clear_requests();
        ns.bulk_delete(["a"]).legacy_delete_method().run()?;
        assert_eq!(emu.requests()[0].method, "DELETE");
        assert_eq!(ns.get("a")?, None);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:234
#[test]
fn bulk_line_234() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::BulkValue;
        use serde_json::json;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("cfg", r#"{"debug":true}"#)?;
        let report = ns.bulk_get(["cfg"]).json().run()?;
        assert_eq!(
            report.values.get("cfg"),
            Some(&BulkValue::Json(json!({"debug": true})))
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/bulk.rs:255
#[test]
fn bulk_line_255() {
    let run = || -> Result<(), kv_ureq::Error> {
        use serde_json::json;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_with("a", "1").metadata(json!({"v": 2})).send()?;
        let report = ns.bulk_get(["a", "a", "b"]).with_metadata().run()?;
        assert_eq!((report.requested, report.duplicates), (2, 1)); // distinct keys, repeats
        let value = &report.values.get("a").unwrap();
        assert_eq!(value.metadata(), Some(&json!({"v": 2})));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/client.rs:659
#[test]
fn client_line_659() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{AccountId, Auth, Client};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let client = Client::builder(Auth::api_token("t")?, AccountId::new("acct")?)
            .base_url(emu.base_url())
            .build()?;
        assert_eq!(client.endpoint().base_url(), emu.base_url());
        assert!(client.namespaces().next().is_none()); // a fresh emulator has no namespaces
        // Plain http is refused for any host that is not loopback.
        let remote = Client::builder(Auth::api_token("t")?, AccountId::new("acct")?)
            .base_url("http://kv.example.com/client/v4");
        assert!(remote.build().is_err());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/client.rs:745
#[test]
fn client_line_745() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{AccountId, Auth, Client, USER_AGENT};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let client = Client::builder(Auth::api_token("t")?, AccountId::new("acct")?)
            .base_url(emu.base_url())
            .user_agent_suffix("my-app/1.2")
            .build()?;
        client.namespaces().count();
        let sent = emu.requests()[0].header("user-agent").map(str::to_owned);
        assert_eq!(sent, Some(format!("{USER_AGENT} my-app/1.2")));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:24
#[test]
fn listing_line_24() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        for i in 0..25 {
            ns.put(format!("k{i:02}"), "v")?;
        }
        let mut keys = ns.keys().limit(10);
        let first = keys.next().unwrap()?;
        assert_eq!(first.name, "k00");
        assert_eq!(keys.count(), 24); // the rest, two more pages
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:68
#[test]
fn listing_line_68() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("a/1", "v")?;
        ns.put("b/1", "v")?;
        let names: Vec<kv_ureq::Key> = ns
            .keys()
            .prefix("b/")
            .map(|k| k.map(|k| k.name))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, ["b/1"]);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:89
#[test]
fn listing_line_89() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        for i in 0..15 {
            ns.put(format!("k{i}"), "v")?;
        }
        assert_eq!(ns.keys().limit(10).count(), 15);
        let mut bad = ns.keys().limit(5); // below 10: the only item is the error
        assert!(bad.next().unwrap().unwrap_err().is_invalid_input());
        assert!(bad.next().is_none());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:115
#[test]
fn listing_line_115() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        for i in 0..25 {
            ns.put(format!("k{i}"), "v")?;
        }
        let mut keys = ns.keys().limit(10);
        assert_eq!(keys.pages_fetched(), 0); // lazy
        keys.next();
        assert_eq!(keys.pages_fetched(), 1);
        keys.by_ref().for_each(drop);
        assert_eq!(keys.pages_fetched(), 3);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:155
#[test]
fn listing_line_155() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        client.create_namespace("a")?;
        client.create_namespace("b")?;
        let titles: Vec<String> = client
            .namespaces()
            .map(|n| n.map(|n| n.title))
            .collect::<Result<_, _>>()?;
        assert_eq!(titles.len(), 2);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:194
#[test]
fn listing_line_194() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::NamespaceOrder;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        for title in ["b", "c", "a"] {
            client.create_namespace(title)?;
        }
        let titles: Vec<String> = client
            .namespaces()
            .order(NamespaceOrder::Title)
            .map(|n| n.map(|n| n.title))
            .collect::<Result<_, _>>()?;
        assert_eq!(titles, ["a", "b", "c"]);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:219
#[test]
fn listing_line_219() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{Direction, NamespaceOrder};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        for title in ["b", "c", "a"] {
            client.create_namespace(title)?;
        }
        let titles: Vec<String> = client
            .namespaces()
            .order(NamespaceOrder::Title)
            .direction(Direction::Desc)
            .map(|n| n.map(|n| n.title))
            .collect::<Result<_, _>>()?;
        assert_eq!(titles, ["c", "b", "a"]);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs:246
#[test]
fn listing_line_246() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        for i in 0..7 {
            client.create_namespace(format!("ns-{i}"))?;
        }
        assert_eq!(client.namespaces().per_page(5).count(), 7); // two pages
        let mut bad = client.namespaces().per_page(1);
        assert!(bad.next().unwrap().unwrap_err().is_invalid_input());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:62
#[test]
fn namespace_line_62() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let id = client.create_namespace("docs")?.id;
        assert_eq!(client.get_namespace(id.as_str())?.title, "docs");
        client.delete_namespace(id.as_str())?;
        assert!(
            client
                .get_namespace(id.as_str())
                .unwrap_err()
                .is_namespace_not_found()
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:84
#[test]
fn namespace_line_84() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let id = client.create_namespace("old-name")?.id;
        client.rename_namespace(id.as_str(), "new-name")?;
        assert_eq!(client.get_namespace(id.as_str())?.title, "new-name");
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:111
#[test]
fn namespace_line_111() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let id = client.create_namespace("scratch")?.id;
        client.delete_namespace(id.as_str())?;
        assert_eq!(client.namespaces().count(), 0);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:198
#[test]
fn namespace_line_198() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        assert_eq!(ns.client().endpoint().base_url(), emu.base_url());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:217
#[test]
fn namespace_line_217() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let info = ns.info()?;
        assert_eq!(
            (info.id.as_str(), info.title.as_str()),
            (ns.id().as_str(), "docs")
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:238
#[test]
fn namespace_line_238() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_with("k", "v").ttl(3600).send()?;
        let value = ns.get("k")?.expect("just written");
        assert_eq!(value.bytes, b"v");
        assert!(value.expiration.is_some());
        assert_eq!(ns.get("missing")?, None);
        assert!(ns.get("..").unwrap_err().is_invalid_input());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:263
#[test]
fn namespace_line_263() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("blob", vec![0u8, 255, 7])?;
        assert_eq!(ns.get_bytes("blob")?, Some(vec![0, 255, 7]));
        assert_eq!(ns.get_bytes("missing")?, None);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:284
#[test]
fn namespace_line_284() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("greeting", "héllo")?;
        assert_eq!(ns.get_text("greeting")?.as_deref(), Some("héllo"));
        ns.put("blob", vec![0xffu8, 0xfe])?;
        assert!(ns.get_text("blob").is_err()); // not UTF-8
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:309
#[test]
fn namespace_line_309() {
    let run = || -> Result<(), kv_ureq::Error> {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Config {
            debug: bool,
        }
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("cfg", r#"{"debug":true}"#)?;
        assert_eq!(ns.get_json::<Config>("cfg")?, Some(Config { debug: true }));
        assert_eq!(ns.get_json::<Config>("missing")?, None);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:341
#[test]
fn namespace_line_341() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("k", "first")?;
        ns.put("k", b"second".to_vec())?; // replaces
        assert_eq!(ns.get_text("k")?.as_deref(), Some("second"));
        assert!(ns.put("", "v").unwrap_err().is_invalid_input()); // checked before sending
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:384
#[test]
fn namespace_line_384() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("k", "v")?;
        ns.delete("k")?;
        assert_eq!(ns.get("k")?, None);
        ns.delete("k")?; // already gone: still Ok
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:408
#[test]
fn namespace_line_408() {
    let run = || -> Result<(), kv_ureq::Error> {
        use serde_json::json;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_with("a", "v")
            .metadata(json!({"owner": "me"}))
            .send()?;
        ns.put("b", "v")?;
        assert_eq!(ns.metadata("a")?, Some(json!({"owner": "me"})));
        assert_eq!(ns.metadata("b")?, None);
        assert!(ns.metadata("missing").unwrap_err().is_key_not_found());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:445
#[test]
fn namespace_line_445() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        for key in ["user:1", "user:2", "order:1"] {
            ns.put(key, "v")?;
        }
        let names: Vec<kv_ureq::Key> = ns
            .keys_with_prefix("user:")
            .map(|k| k.map(|k| k.name))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, ["user:1", "user:2"]);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:469
#[test]
fn namespace_line_469() {
    let run = || -> Result<(), kv_ureq::Error> {
        use serde_json::json;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let put = ns.put_with("k", "v").metadata(json!({"v": 1})).ttl(3600); // nothing sent yet
        assert_eq!(ns.get("k")?, None);
        put.send()?;
        assert_eq!(ns.metadata("k")?, Some(json!({"v": 1})));
        // Option errors come from `send`, before any request.
        assert!(
            ns.put_with("k", "v")
                .ttl(10)
                .send()
                .unwrap_err()
                .is_invalid_input()
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:509
#[test]
fn namespace_line_509() {
    let run = || -> Result<(), kv_ureq::Error> {
        use serde_json::json;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_with("k", "v")
            .metadata(json!({"tags": ["a", "b"]}))
            .send()?;
        assert_eq!(ns.metadata("k")?, Some(json!({"tags": ["a", "b"]})));
        let too_big = json!({"blob": "x".repeat(2000)});
        assert!(
            ns.put_with("k", "v")
                .metadata(too_big)
                .send()
                .unwrap_err()
                .is_invalid_input()
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:529
#[test]
fn namespace_line_529() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_with("session", "v").ttl(600).send()?;
        let expires = ns.get("session")?.and_then(|v| v.expiration).unwrap();
        assert!(expires >= emu.now() + 590 && expires <= emu.now() + 600);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:547
#[test]
fn namespace_line_547() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let at = emu.now() + 3600;
        ns.put_with("k", "v").expire_at(at).send()?;
        assert_eq!(ns.get("k")?.and_then(|v| v.expiration), Some(at));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:565
#[test]
fn namespace_line_565() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::Expiration;
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let at = emu.now() + 3600;
        ns.put_with("k", "v")
            .expiration(Expiration::At(at))
            .send()?;
        assert_eq!(ns.get("k")?.and_then(|v| v.expiration), Some(at));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/namespace.rs:591
#[test]
fn namespace_line_591() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_with("k", "v").send()?;
        assert_eq!(ns.get_text("k")?.as_deref(), Some("v"));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/transport.rs:77
#[test]
fn transport_line_77() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_tests::{Emulator, EmulatorConfig, StoredEntry};
        use kv_ureq::{Transport, UreqTransport};

        let emu = Emulator::start(EmulatorConfig::default()).unwrap();
        let ns = emu.create_namespace("acct", "docs").unwrap();
        emu.put_entry("acct", &ns, "k", StoredEntry::new("0123456789abcdef"))
            .unwrap();
        let url = format!(
            "{}/accounts/acct/storage/kv/namespaces/{ns}/values/",
            emu.base_url()
        );
        let get = |key: &str| {
            http::Request::get(format!("{url}{key}"))
                .header("authorization", "Bearer t")
                .body(Vec::new())
                .unwrap()
        };
        let transport = UreqTransport::new();
        assert_eq!(transport.send(get("k"), 1024)?.body(), b"0123456789abcdef");
        assert_eq!(transport.send(get("missing"), 1024)?.status(), 404); // data, not an error
        assert!(transport.send(get("k"), 8).unwrap_err().is_too_large());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/transport.rs:258
#[test]
fn transport_line_258() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{Transport, UreqTransport};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();

        let transport = UreqTransport::builder().user_agent("my-agent/1").build()?;
        let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
        let request = http::Request::get(url).body(Vec::new()).unwrap(); // no User-Agent of its own
        transport.send(request, 1 << 20)?;
        assert_eq!(emu.requests()[0].header("user-agent"), Some("my-agent/1"));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/transport.rs:449
#[test]
fn transport_line_449() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{Transport, UreqTransport};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();

        let transport = UreqTransport::new();
        let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
        let request = http::Request::get(url)
            .header("authorization", "Bearer t")
            .body(Vec::new())
            .unwrap();
        let response = transport.send(request, 1 << 20)?;
        assert_eq!(response.status(), 200);
        assert!(
            std::str::from_utf8(response.body())
                .unwrap()
                .contains(r#""success":true"#)
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/transport.rs:486
#[test]
fn transport_line_486() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{Transport, UreqTransport};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();

        let transport = UreqTransport::from_agent(ureq::Agent::new_with_defaults());
        // The agent would turn a 404 into an error; the transport still returns it as data.
        let url = format!("{}/no/such/route", emu.base_url());
        let response =
            transport.send(http::Request::get(url).body(Vec::new()).unwrap(), 1 << 20)?;
        assert_eq!(response.status(), 404);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/transport.rs:503
#[test]
fn transport_line_503() {
    let run = || -> Result<(), kv_ureq::Error> {
        use kv_ureq::{Transport, UreqTransport};
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();

        let transport = UreqTransport::new();
        // A clone of the agent shares the connection pool; wrap it again to send through it.
        let twin = UreqTransport::from_agent(transport.agent().clone());
        let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
        let request = http::Request::get(url)
            .header("authorization", "Bearer t")
            .body(Vec::new())
            .unwrap();
        assert_eq!(twin.send(request, 1 << 20)?.status(), 200);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/workflow.rs:509
#[test]
fn workflow_line_509() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_json("a", &1u32)?;
        ns.put("b", "not json")?;
        let report = ns.bulk_get(["a", "b", "c"]).typed::<u32>().run()?;
        assert_eq!(report.values["a"], 1);
        assert_eq!(report.failed[0].key, "b");
        assert_eq!(report.missing[0].as_str(), "c");
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/workflow.rs:568
#[test]
fn workflow_line_568() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("a", "1")?;
        ns.put("b", vec![0xff, 0x00])?;
        let mut out = Vec::new();
        let report = ns.export().to_ndjson(&mut out)?;
        assert_eq!((report.exported, report.refetched), (2, 1));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\",\"value\":\"/wA=\",\"base64\":true}\n"
        );
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/workflow.rs:596
#[test]
fn workflow_line_596() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let file = br#"[{"key": "a", "value": "1"}, {"key": "b", "value": "AP8=", "base64": true}, {"key": "", "value": "x"}]"#;
        let report = ns.import(&file[..]).run()?;
        assert_eq!((report.records_read, report.bulk.succeeded), (3, 2));
        assert!(report.bulk.failed[0].error.to_string().contains("record 3"));
        assert_eq!(ns.get_bytes("b")?, Some(vec![0x00, 0xff]));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/workflow.rs:622
#[test]
fn workflow_line_622() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        let backup = client.namespace(emu.create_namespace("acct", "backup").unwrap().as_str())?;
        ns.put("user:1", "Ada")?;
        ns.put("tmp:1", "x")?;
        let report = ns.copy_to(&backup).prefix("user:").run()?;
        assert_eq!((report.export.exported, report.import.succeeded), (1, 1));
        assert_eq!(backup.get_text("user:1")?.as_deref(), Some("Ada"));
        assert_eq!(backup.get("tmp:1")?, None);
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/workflow.rs:648
#[test]
fn workflow_line_648() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put("tmp:1", "x")?;
        ns.put("keep", "y")?;
        let report = ns.purge().prefix("tmp:").run()?;
        assert_eq!((report.listed, report.bulk.succeeded), (1, 1));
        assert_eq!(ns.get("tmp:1")?, None);
        assert!(ns.get("keep")?.is_some());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/workflow.rs:674
#[test]
fn workflow_line_674() {
    let run = || -> Result<(), kv_ureq::Error> {
        let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        let client = kv_ureq::Client::builder(
            kv_ureq::Auth::api_token("t")?,
            kv_ureq::AccountId::new("acct")?,
        )
        .base_url(emu.base_url())
        .build()?;
        let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        ns.put_json("cfg", &serde_json::json!({"debug": true}))?;
        assert_eq!(ns.get_text("cfg")?.as_deref(), Some(r#"{"debug":true}"#));
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

fn emulator_ns(
    retry: bool,
) -> Result<(kv_tests::Emulator, kv_ureq::NamespaceHandle), kv_ureq::Error> {
    let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    let mut builder = kv_ureq::Client::builder(
        kv_ureq::Auth::api_token("t")?,
        kv_ureq::AccountId::new("acct")?,
    )
    .base_url(emu.base_url());
    if !retry {
        builder = builder.retry_policy(kv_ureq::RetryPolicy::none());
    }
    let client = builder.build()?;
    let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    Ok((emu, ns))
}

/// kv-ureq/src/bulk.rs: `BulkJob::deadline`
#[test]
fn bulk_job_deadline() {
    let run = || -> Result<(), kv_ureq::Error> {
        let (_emu, ns) = emulator_ns(true)?;
        let report = ns
            .bulk_delete(["a", "b"])
            .deadline(std::time::Duration::ZERO)
            .run()?;
        assert_eq!(report.not_attempted, ["a", "b"]);
        assert!(report.stopped.as_ref().unwrap().is_deadline_exceeded());
        assert!(report.into_result().is_err());
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs: `Keys::from_cursor`
#[test]
fn keys_from_cursor() {
    let run = || -> Result<(), kv_ureq::Error> {
        let (_emu, ns) = emulator_ns(true)?;
        for i in 0..25 {
            ns.put(format!("k{i:02}"), "v")?;
        }
        let mut keys = ns.keys().limit(10);
        let first_page: Vec<_> = keys.by_ref().take(10).collect::<Result<_, _>>()?;
        let saved = keys.cursor().expect("more pages");
        let rest: Vec<_> = ns
            .keys()
            .limit(10)
            .from_cursor(saved)
            .collect::<Result<_, _>>()?;
        assert_eq!((first_page.len(), rest.len()), (10, 15));
        assert_eq!(rest[0].name, "k10");
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}

/// kv-ureq/src/listing.rs: `Keys::resume`
#[test]
fn keys_resume() {
    let run = || -> Result<(), kv_ureq::Error> {
        let (_emu, ns) = emulator_ns(false)?;
        let mut keys = ns.keys();
        let mut names = Vec::new();
        loop {
            match keys.next() {
                Some(Ok(k)) => names.push(k.name),
                Some(Err(e)) if e.is_retryable() => keys = keys.resume(),
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        Ok::<(), kv_ureq::Error>(())
    };
    run().unwrap();
}
