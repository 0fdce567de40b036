//! Bad input from the caller: every limit of kv-api.md §7 is checked before anything is sent,
//! below, at and above its boundary, with a message naming the limit. Calls go through
//! `kv_ureq::Client` against the emulator, whose request log proves what reached the wire:
//! nothing for a rejected input, exactly the expected requests for an accepted one (which the
//! emulator, an independent implementation of the same limits, then also accepts).

mod rel_common;

use std::time::Duration;

use kv_tests::{Emulator, EmulatorConfig};
use kv_ureq::kv_proto::{
    BulkDelete, BulkGet, BulkWrite, ListNamespaces, limits::MAX_BULK_WRITE_BODY_BYTES,
    limits::MAX_VALUE_BYTES,
};
use kv_ureq::{
    AccountId, BulkWriteItem, Client, Error, Key, Limit, NamespaceHandle, NamespaceId, RetryPolicy,
};
use rel_common::{builder, emulator, namespace};
use serde_json::json;

struct Env {
    emu: Emulator,
    client: Client,
    ns: NamespaceHandle,
}

fn env() -> Env {
    let emu = emulator(EmulatorConfig::default());
    let id = namespace(&emu, "limits");
    let client = builder(emu.base_url())
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let ns = client.namespace(&id).unwrap();
    Env { emu, client, ns }
}

impl Env {
    /// Runs `f` and returns its result with the number of requests the emulator received.
    fn sent<T>(&self, f: impl FnOnce() -> T) -> (T, usize) {
        let before = self.emu.requests().len();
        let out = f();
        (out, self.emu.requests().len() - before)
    }

    /// `f` fails with `limit`, its message contains `needle`, and nothing was sent.
    fn rejected<T: std::fmt::Debug>(
        &self,
        what: &str,
        limit: Limit,
        needle: &str,
        f: impl FnOnce() -> Result<T, Error>,
    ) {
        let (r, n) = self.sent(f);
        let e = r.expect_err(what);
        assert_eq!(e.limit(), Some(limit), "{what}: {e}");
        assert!(e.is_invalid_input() && !e.is_retryable(), "{what}: {e}");
        assert!(
            e.to_string().contains(needle),
            "{what}: {e:?} lacks {needle:?}"
        );
        assert_eq!(n, 0, "{what}: {n} request(s) reached the server");
    }

    /// `f` succeeds (the emulator accepts it too) after exactly `requests` requests.
    fn accepted<T>(&self, what: &str, requests: usize, f: impl FnOnce() -> Result<T, Error>) -> T {
        let (r, n) = self.sent(f);
        let out = r.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(n, requests, "{what}");
        out
    }
}

fn keys(n: usize) -> Vec<Key> {
    (0..n).map(|i| Key::new(format!("k{i}")).unwrap()).collect()
}

fn items(n: usize) -> Vec<BulkWriteItem> {
    keys(n)
        .into_iter()
        .map(|k| BulkWriteItem::text(k, "v").unwrap())
        .collect()
}

#[test]
fn key_names() {
    let t = env();
    // 512 bytes of UTF-8 (128 four-byte characters) is the largest key.
    let at = "🙂".repeat(128);
    t.accepted("512-byte key", 1, || t.ns.put(at.as_str(), "v"));
    assert_eq!(
        t.emu.keys(rel_common::ACCOUNT, t.ns.id().as_str()).unwrap(),
        std::slice::from_ref(&at)
    );
    t.accepted("511-byte key", 1, || t.ns.put("x".repeat(511), "v"));
    let over = format!("{at}x");
    t.rejected("513-byte key", Limit::Key, "512", || {
        t.ns.put(over.as_str(), "v")
    });
    t.rejected("513-byte get", Limit::Key, "512", || {
        t.ns.get(over.as_str())
    });
    t.rejected("513-byte delete", Limit::Key, "512", || {
        t.ns.delete(over.as_str())
    });
    for bad in [".", "..", ""] {
        t.rejected(bad, Limit::Key, "", || t.ns.put(bad, "v"));
        t.rejected(bad, Limit::Key, "", || t.ns.delete(bad));
        t.rejected(bad, Limit::Key, "", || t.ns.metadata(bad));
    }
    // "..." and " " are ordinary keys.
    t.accepted("...", 1, || t.ns.put("...", "v"));
    t.accepted("space", 1, || t.ns.put(" ", "v"));
    // In a bulk job an invalid key is named in the report and never sent.
    let (r, n) = t.sent(|| t.ns.bulk_delete(["..", "ok"]).run().unwrap());
    assert_eq!(n, 1);
    assert_eq!(r.failed.len(), 1);
    assert_eq!((r.failed[0].key.as_str(), r.failed[0].attempts), ("..", 0));
    assert_eq!(r.failed[0].error.limit(), Some(Limit::Key));
}

#[test]
fn metadata_values_and_ttl() {
    let t = env();
    // A JSON string of n characters serialises to n + 2 bytes.
    t.accepted("metadata 1023 bytes", 1, || {
        t.ns.put_with("m", "v")
            .metadata(json!("x".repeat(1021)))
            .send()
    });
    t.accepted("metadata 1024 bytes", 1, || {
        t.ns.put_with("m", "v")
            .metadata(json!("x".repeat(1022)))
            .send()
    });
    t.rejected("metadata 1025 bytes", Limit::Metadata, "1024", || {
        t.ns.put_with("m", "v")
            .metadata(json!("x".repeat(1023)))
            .send()
    });
    t.rejected("bulk metadata 1025 bytes", Limit::Metadata, "1024", || {
        kv_ureq::Metadata::new(json!("x".repeat(1023)))
    });

    let at = vec![7u8; MAX_VALUE_BYTES];
    t.accepted("25 MiB value", 1, || t.ns.put("big", at.clone()));
    assert_eq!(
        t.emu
            .entry(rel_common::ACCOUNT, t.ns.id().as_str(), "big")
            .unwrap()
            .value
            .len(),
        MAX_VALUE_BYTES
    );
    let over = vec![7u8; MAX_VALUE_BYTES + 1];
    t.rejected("25 MiB + 1 value", Limit::ValueSize, "26214400", || {
        t.ns.put("big", over.clone())
    });
    t.rejected("25 MiB + 1 bulk item", Limit::ValueSize, "26214400", || {
        BulkWriteItem::binary(Key::new("b").unwrap(), &over)
    });
    drop((at, over));

    t.rejected("ttl 59", Limit::ExpirationTtl, "60", || {
        t.ns.put_with("t", "v").ttl(59).send()
    });
    t.rejected("ttl 0", Limit::ExpirationTtl, "60", || {
        t.ns.put_with("t", "v").ttl(0).send()
    });
    t.accepted("ttl 60", 1, || t.ns.put_with("t", "v").ttl(60).send());
    t.accepted("ttl 61", 1, || t.ns.put_with("t", "v").ttl(61).send());
    // A hand-built item past the TTL limit is refused by the op constructor.
    let mut item = BulkWriteItem::text(Key::new("t").unwrap(), "v").unwrap();
    item.expiration = Some(kv_ureq::Expiration::Ttl(59));
    t.rejected("bulk ttl 59", Limit::ExpirationTtl, "60", || {
        BulkWrite::new(t.ns.id().clone(), vec![item])
    });
}

#[test]
fn bulk_counts_raw_ops_reject_jobs_chunk() {
    let t = env();
    let ns = t.ns.id().clone();
    // Bulk get: 1..=100 keys per request.
    t.rejected("bulk get 0", Limit::BulkGetCount, "100", || {
        BulkGet::new(ns.clone(), keys(0))
    });
    t.rejected("bulk get 101", Limit::BulkGetCount, "100", || {
        BulkGet::new(ns.clone(), keys(101))
    });
    for n in [1, 99, 100] {
        let op = BulkGet::new(ns.clone(), keys(n)).unwrap();
        let r = t.accepted("bulk get", 1, || t.client.execute(&op));
        assert_eq!(r.len(), n);
    }
    // The job splits 101 keys into 100 + 1; no keys, no request.
    let r = t.accepted("bulk get job 101", 2, || t.ns.bulk_get(keys(101)).run());
    assert!(r.is_success() && r.values.len() == 101);
    let r = t.accepted("bulk get job 0", 0, || t.ns.bulk_get(keys(0)).run());
    assert!(r.is_success() && r.values.is_empty());
    t.rejected("bulk get batch 101", Limit::Config, "100", || {
        t.ns.bulk_get(keys(5)).batch_size(101).run()
    });

    // Bulk write and delete: 1..=10,000 per request.
    t.rejected("bulk write 0", Limit::BulkWriteCount, "10000", || {
        BulkWrite::new(ns.clone(), items(0))
    });
    t.rejected("bulk write 10,001", Limit::BulkWriteCount, "10000", || {
        BulkWrite::new(ns.clone(), items(10_001))
    });
    let op = BulkWrite::new(ns.clone(), items(10_000)).unwrap();
    let r = t.accepted("bulk write 10,000", 1, || t.client.execute(&op));
    assert_eq!(r.successful_key_count, 10_000);
    t.rejected("bulk delete 0", Limit::BulkDeleteCount, "10000", || {
        BulkDelete::new(ns.clone(), keys(0))
    });
    t.rejected(
        "bulk delete 10,001",
        Limit::BulkDeleteCount,
        "10000",
        || BulkDelete::new(ns.clone(), keys(10_001)),
    );
    let op = BulkDelete::new(ns.clone(), keys(10_000)).unwrap();
    t.accepted("bulk delete 10,000", 1, || t.client.execute(&op));
    let r = t.accepted("bulk write job 10,001", 2, || {
        t.ns.bulk_write(items(10_001)).batch_size(10_000).run()
    });
    assert!(r.is_success() && r.succeeded == 10_001);
    let r = t.accepted("bulk delete job 10,001", 2, || {
        t.ns.bulk_delete(keys(10_001)).batch_size(10_000).run()
    });
    assert!(r.is_success() && r.succeeded == 10_001);
    t.rejected("bulk delete batch 10,001", Limit::Config, "10000", || {
        t.ns.bulk_delete(keys(5)).batch_size(10_001).run()
    });
}

#[test]
fn bulk_write_body_of_100_mb() {
    let t = env();
    let ns = t.ns.id().clone();
    // `{"key":"kN","value":"<L bytes>"}` plus a separator is 24 + L bytes; the body is
    // 1 + Σ (24 + L). Four items fill exactly 100,000,000 bytes. (Measuring 100 MB of JSON
    // twice takes a few seconds in a debug build; nothing is sent.)
    let mut lens = vec![MAX_VALUE_BYTES; 3];
    lens.push(MAX_BULK_WRITE_BODY_BYTES - 1 - 4 * 24 - 3 * MAX_VALUE_BYTES);
    let build = |lens: &[usize]| -> Vec<BulkWriteItem> {
        lens.iter()
            .enumerate()
            .map(|(i, &l)| {
                BulkWriteItem::text(Key::new(format!("k{i}")).unwrap(), "x".repeat(l)).unwrap()
            })
            .collect()
    };
    let at = BulkWrite::new(ns.clone(), build(&lens)).unwrap();
    assert_eq!(at.body_len(), MAX_BULK_WRITE_BODY_BYTES);
    drop(at);
    lens[3] += 1;
    t.rejected(
        "bulk write body 100 MB + 1",
        Limit::BulkWriteBytes,
        "100000000",
        || BulkWrite::new(ns.clone(), build(&lens)),
    );
}

#[test]
fn titles_paging_and_ids() {
    let t = env();
    t.accepted("title 512", 1, || {
        t.client.create_namespace("é".repeat(512))
    });
    t.accepted("title 1", 1, || t.client.create_namespace("t"));
    t.rejected("title 513", Limit::Title, "512", || {
        t.client.create_namespace("é".repeat(513))
    });
    t.rejected("empty title", Limit::Title, "empty", || {
        t.client.create_namespace("")
    });
    t.rejected("rename 513", Limit::Title, "512", || {
        t.client.rename_namespace(t.ns.id(), "x".repeat(513))
    });

    // List keys `limit`: 10..=1000.
    for bad in [0, 9, 1001, u32::MAX] {
        let (r, n) = t.sent(|| t.ns.keys().limit(bad).next());
        let e = r.unwrap().unwrap_err();
        assert_eq!(e.limit(), Some(Limit::ListLimit), "{bad}: {e}");
        assert!(e.to_string().contains("10..=1000"), "{e}");
        assert_eq!(n, 0, "limit {bad} sent");
    }
    for good in [10, 11, 999, 1000] {
        let (r, n) = t.sent(|| t.ns.keys().limit(good).collect::<Result<Vec<_>, _>>());
        r.unwrap();
        assert_eq!(n, 1, "limit {good}");
    }

    // List namespaces `per_page`: 5..=100.
    for bad in [0, 4, 101, 1000] {
        t.rejected("per_page", Limit::Paging, "5..=100", || {
            ListNamespaces::new().per_page(bad)
        });
    }
    t.rejected("page 0", Limit::Paging, "1", || {
        ListNamespaces::new().page(0)
    });
    for good in [5, 6, 99, 100] {
        let op = ListNamespaces::new().per_page(good).unwrap();
        t.accepted("per_page", 1, || t.client.execute(&op));
    }

    // Ids: 1..=32 of [0-9A-Za-z]; path characters rejected.
    let at = "a".repeat(32);
    // Sent: the emulator answers "namespace not found" (no such namespace).
    let (r, n) = t.sent(|| t.client.namespace(at.as_str())?.get("k"));
    assert!(r.unwrap_err().is_namespace_not_found());
    assert_eq!(n, 1);
    let over = "a".repeat(33);
    t.rejected("33-char namespace id", Limit::NamespaceId, "32", || {
        t.client.namespace(over.as_str())
    });
    t.rejected("33-char namespace id", Limit::NamespaceId, "32", || {
        t.client.get_namespace(over.as_str())
    });
    t.rejected("33-char account id", Limit::AccountId, "32", || {
        AccountId::new(over.as_str())
    });
    assert!(AccountId::new(at.as_str()).is_ok());
    for bad in [
        "", "a/b", "..", ".", "a?b", "a#b", "a%2Fb", "a b", "a\nb", "é", "a\\b", "a;b", "a@b",
        "../../x",
    ] {
        t.rejected("namespace id", Limit::NamespaceId, "namespace id", || {
            t.client.namespace(bad)
        });
        t.rejected("namespace id", Limit::NamespaceId, "namespace id", || {
            t.client.delete_namespace(bad)
        });
        t.rejected("account id", Limit::AccountId, "account id", || {
            AccountId::new(bad)
        });
        assert!(NamespaceId::new(bad).is_err());
    }
}
