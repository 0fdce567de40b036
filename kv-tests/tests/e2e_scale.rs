//! End-to-end contract suite, part 3: sizes. Paging over 10,000+ keys, bulk jobs of 50,000
//! keys with 4 requests in flight, and 25 MiB binary values byte-exact. Each test runs over the
//! ureq transport and over the hand-written `TcpStream` transport, each with its own emulator.

mod e2e_common;

use std::sync::Mutex;

use e2e_common::{ACCOUNT, Stack, env, random_bytes};
use kv_tests::StoredEntry;
use kv_ureq::kv_proto::limits::MAX_VALUE_BYTES;
use kv_ureq::{BulkWriteItem, Key, Metadata};
use serde_json::json;

contract_tests!(
    keys_paging_over_10k_keys,
    bulk_jobs_of_50k_keys,
    values_of_25_mib,
);

/// Requests to the list-keys route in the emulator's log.
fn list_requests(e: &e2e_common::Env) -> usize {
    e.emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/keys"))
        .count()
}

fn keys_paging_over_10k_keys(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("paging");
    let nsid = ns.id().as_str().to_owned();
    // Seeded through the emulator's own API: 10,500 keys under p/, 2,000 under q/.
    for i in 0..10_500 {
        e.emu
            .put_entry(ACCOUNT, &nsid, &format!("p/{i:05}"), StoredEntry::new("v"))
            .unwrap();
    }
    for i in 0..2_000 {
        let entry = StoredEntry::new("w").with_metadata(json!({ "i": i }));
        e.emu
            .put_entry(ACCOUNT, &nsid, &format!("q/{i}"), entry)
            .unwrap();
    }
    let stored = e.stored_keys(&ns);
    assert_eq!(stored.len(), 12_500);

    // Everything, default page size (1,000): 13 pages, exact names in byte order.
    e.emu.clear_requests();
    let mut all = ns.keys();
    let names: Vec<String> = all
        .by_ref()
        .map(|k| k.unwrap().name.into_string())
        .collect();
    assert_eq!(names, stored);
    assert_eq!(all.pages_fetched(), 13);
    assert_eq!(list_requests(&e), 13);

    // With a prefix: only those keys, the prefix resent on every page.
    e.emu.clear_requests();
    let p: Vec<String> = ns
        .keys_with_prefix("p/")
        .map(|k| k.unwrap().name.into_string())
        .collect();
    assert_eq!(p.len(), 10_500);
    assert!(p.iter().all(|k| k.starts_with("p/")));
    assert_eq!(p, stored[..10_500]);
    let log = e.emu.requests();
    assert_eq!(log.len(), 11);
    assert!(
        log.iter().all(|r| r
            .query
            .as_deref()
            .is_some_and(|q| q.contains("prefix=p%2F"))),
        "{:?}",
        log.iter().map(|r| &r.query).collect::<Vec<_>>()
    );

    // Small pages, with metadata.
    e.emu.clear_requests();
    let q: Vec<_> = ns
        .keys()
        .prefix("q/")
        .limit(100)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(q.len(), 2_000);
    assert_eq!(list_requests(&e), 20);
    let q7 = q.iter().find(|k| k.name == "q/7").unwrap();
    assert_eq!(q7.metadata, Some(json!({"i": 7})));

    // No match: one request, nothing yielded.
    e.emu.clear_requests();
    assert_eq!(ns.keys_with_prefix("zzz").count(), 0);
    assert_eq!(list_requests(&e), 1);
}

fn bulk_jobs_of_50k_keys(stack: Stack) {
    const N: usize = 50_000;
    let mut e = env(stack);
    // The stack's transport, wrapped to count requests in flight.
    let (client, in_flight) = e2e_common::counting_client(&e.emu, stack);
    e.client = client;
    let ns = e.namespace("bulk-50k");
    let nsid = ns.id().as_str().to_owned();
    let key = |i: usize| format!("job/{i:05}");

    // Write, from a lazy iterator, 4 in flight, with progress.
    let items = (0..N).map(move |i| {
        let item = BulkWriteItem::text(Key::new(key(i)).unwrap(), format!("value-{i}")).unwrap();
        if i % 1000 == 0 {
            item.metadata(Metadata::new(json!({ "i": i })).unwrap())
        } else {
            item
        }
    });
    let seen = Mutex::new(Vec::new());
    let written = ns
        .bulk_write(items)
        .concurrency(4)
        .on_progress(|p| seen.lock().unwrap().push(p.done))
        .run()
        .unwrap();
    assert!(
        written.is_success(),
        "{:?}",
        written.failed_keys().take(5).collect::<Vec<_>>()
    );
    assert_eq!((written.requested, written.succeeded), (N as u64, N as u64));
    // The adaptive batch size starts at 1,000 items and grows on quick answers.
    assert!(
        (5..50).contains(&written.requests_sent),
        "{} requests",
        written.requests_sent
    );
    assert_eq!(written.retries, 0);
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len() as u64, written.requests_sent);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows");
    assert_eq!(seen.last(), Some(&(N as u64)));
    assert_eq!(e.emu.key_count(ACCOUNT, &nsid).unwrap(), N);
    assert_eq!(
        e.emu.entry(ACCOUNT, &nsid, "job/49000").unwrap().metadata,
        Some(json!({"i": 49000}))
    );
    assert_eq!(
        e.emu.entry(ACCOUNT, &nsid, "job/12345").unwrap().value,
        b"value-12345"
    );

    // Read them all back (100 per request), plus 10 that do not exist.
    let wanted = (0..N + 10).map(key);
    let read = ns.bulk_get(wanted).concurrency(4).run().unwrap();
    assert!(read.is_success());
    assert_eq!(read.requested, (N + 10) as u64);
    assert_eq!(read.requests_sent, 501);
    assert_eq!(read.values.len(), N + 10);
    for (k, v) in &read.values {
        let i: usize = k.as_str()["job/".len()..].parse().unwrap();
        if i < N {
            assert_eq!(v.as_text(), Some(format!("value-{i}").as_str()), "{k}");
        } else {
            assert!(v.is_missing(), "{k}");
        }
    }

    // Delete them all (from 1,000 per request, growing).
    let deleted = ns
        .bulk_delete((0..N).map(key))
        .concurrency(4)
        .run()
        .unwrap();
    assert!(deleted.is_success());
    assert_eq!(deleted.succeeded, N as u64);
    assert!(
        (5..50).contains(&deleted.requests_sent),
        "{} requests",
        deleted.requests_sent
    );
    assert_eq!(e.emu.key_count(ACCOUNT, &nsid).unwrap(), 0);
    // 601 requests, 4 workers: they overlapped, and never more than 4 at once.
    let max = in_flight.max();
    assert!((2..=4).contains(&max), "{max} requests in flight at most");
}

fn values_of_25_mib(stack: Stack) {
    let e = env(stack);
    let ns = e.namespace("big-values");
    let nsid = ns.id().as_str().to_owned();
    assert_eq!(MAX_VALUE_BYTES, 26_214_400);
    let big = random_bytes(0x5EED, 26_214_400);
    assert_eq!(big.len(), 26_214_400);

    // Raw body.
    ns.put("big/raw", big.clone()).unwrap();
    let stored = e.emu.entry(ACCOUNT, &nsid, "big/raw").unwrap();
    assert!(stored.value == big, "stored bytes differ");
    drop(stored);
    let got = ns.get("big/raw").unwrap().unwrap();
    assert_eq!(got.bytes.len(), big.len());
    assert!(got.bytes == big, "read bytes differ");
    drop(got);

    // Multipart (with metadata), at the same size.
    let mut other = big.clone();
    other.reverse();
    ns.put_with("big/multipart", other.clone())
        .metadata(json!({"size": other.len()}))
        .send()
        .unwrap();
    let got = ns.get_bytes("big/multipart").unwrap().unwrap();
    assert!(got == other, "multipart bytes differ");
    assert_eq!(
        ns.metadata("big/multipart").unwrap(),
        Some(json!({"size": 26_214_400}))
    );

    // One byte more is refused before sending.
    e.emu.clear_requests();
    let mut too_big = big;
    too_big.push(0);
    assert!(ns.put("big/over", too_big).unwrap_err().is_invalid_input());
    assert!(e.emu.requests().is_empty());

    // Listing shows them; delete frees them.
    let names: Vec<String> = ns.keys().map(|k| k.unwrap().name.into_string()).collect();
    assert_eq!(names, ["big/multipart", "big/raw"]);
    ns.delete("big/raw").unwrap();
    ns.delete("big/multipart").unwrap();
    assert_eq!(e.stored_count(&ns), 0);
}
