//! Plugging another HTTP stack into kv-proto: a hand-written `std::net::TcpStream` HTTP/1.1
//! client ([`transport::send`], in `transport.rs`) drives kv-proto operations directly, with no
//! kv-ureq involved, and then serves as the transport of a `kv_ureq::Client`.
//!
//! ```text
//! cargo run -p kv-ureq --example custom_transport
//! ```
//!
//! It starts the kv-tests emulator in this process and talks to it over loopback (the
//! transport only does plain `http://` to loopback hosts).
//!
//! Driving an operation is one call, [`kv_proto::exchange`] (see [`execute`]): kv-proto builds
//! the request, checks the cap, reports a redirect, parses and redacts; the transport only moves
//! bytes.

mod transport;

use kv_proto::{
    AccountId, Auth, BulkGet, BulkWrite, BulkWriteItem, CreateNamespace, DeleteNamespace, Endpoint,
    Error, GetMetadata, GetValue, Key, KeyPager, ListKeys, Metadata, Operation, Pager, Plan, Poll,
    PutValue, Title,
};
use serde_json::json;

fn main() {
    if let Err(e) = run() {
        eprintln!("custom_transport failed: {e}");
        std::process::exit(1);
    }
}

/// Runs one kv-proto operation over the hand-written transport.
fn execute<O: Operation>(endpoint: &Endpoint, op: &O) -> Result<O::Output, Error> {
    kv_proto::exchange(op, endpoint, transport::send)
}

fn run() -> Result<(), Error> {
    let emulator = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default())
        .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
    println!("Emulator at {}", emulator.base_url());

    // 1. kv-proto alone: an endpoint, operations, and our `execute`.
    let endpoint = Endpoint::new(
        AccountId::new("example")?,
        Auth::api_token("emulator-token")?,
    )
    .with_base_url(emulator.base_url())?;

    let created = execute(
        &endpoint,
        &CreateNamespace::new(Title::new("custom-transport")?),
    )?;
    let ns = created.id.clone();
    println!("created namespace {} ({})", created.title, created.id);

    let key = Key::new("greetings/hello world?#")?;
    let put = PutValue::new(ns.clone(), key.clone(), b"hello over TcpStream".to_vec())?
        .metadata(Metadata::new(json!({"lang": "en"}))?);
    execute(&endpoint, &put)?;
    let value = execute(&endpoint, &GetValue::new(ns.clone(), key.clone()))?;
    let metadata = execute(&endpoint, &GetMetadata::new(ns.clone(), key.clone()))?;
    println!(
        "get {:?} -> {:?}, metadata {}",
        key.as_str(),
        value.text()?,
        metadata.map_or_else(|| "none".to_owned(), |m| m.to_string())
    );

    let items = (0..250)
        .map(|i| BulkWriteItem::text(Key::new(format!("bulk/{i:03}"))?, format!("value {i}")))
        .collect::<Result<Vec<_>, Error>>()?;
    let written = execute(&endpoint, &BulkWrite::new(ns.clone(), items)?)?;
    println!("bulk write: {} keys written", written.successful_key_count);

    // Paging is a kv-proto Plan too: poll for the next op, send it, hand back the outcome.
    let mut pager = KeyPager::new(ListKeys::new(ns.clone()).prefix("bulk/").limit(100)?);
    let mut listed = 0;
    while let Poll::Send(ticket, op) = pager.poll(std::time::Instant::now()) {
        pager.handle(ticket, execute(&endpoint, &op));
        if let Some(e) = pager.take_error() {
            return Err(e);
        }
        listed += pager.take_items().len();
    }
    println!(
        "listed {listed} keys with prefix \"bulk/\" in {} pages",
        pager.pages_fetched()
    );

    let wanted = ["bulk/000", "bulk/249", "bulk/999"]
        .into_iter()
        .map(Key::new)
        .collect::<Result<Vec<_>, Error>>()?;
    let got = execute(&endpoint, &BulkGet::new(ns.clone(), wanted)?)?;
    for (k, v) in &got {
        println!("bulk get {k}: {}", v.as_text().unwrap_or("(missing)"));
    }

    let missing = execute(&endpoint, &GetValue::new(ns.clone(), Key::new("nope")?));
    println!(
        "get \"nope\": key not found = {}",
        missing.is_err_and(|e| e.is_key_not_found())
    );

    // 2. The same function as the transport of a kv-ureq Client: retries, paging iterators
    //    and bulk jobs, over our TcpStream code.
    let client = kv_ureq::Client::builder(
        Auth::api_token("emulator-token")?,
        AccountId::new("example")?,
    )
    .base_url(emulator.base_url())
    .transport(transport::send)
    .build()?;
    let handle = client.namespace(&ns)?;
    let report = handle
        .bulk_delete((0..250).map(|i| format!("bulk/{i:03}")))
        .run()?;
    println!(
        "kv-ureq client over the custom transport: bulk delete {} keys in {} requests; {} keys left",
        report.succeeded,
        report.requests_sent,
        handle.keys().count()
    );

    execute(&endpoint, &DeleteNamespace::new(ns))?;
    println!("deleted namespace {}", created.id);
    Ok(())
}
