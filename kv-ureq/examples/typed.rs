//! Typed JSON all the way through: `put_json`, typed bulk write items, and a typed bulk get
//! that reads text and parses each value on the client, so one bad value is one per-key
//! error instead of a failed request of 100 keys. Runs on the in-process emulator:
//!
//! ```text
//! cargo run -p kv-ureq --example typed
//! ```

use kv_ureq::{AccountId, Auth, BulkWriteItem, Client, Error, Key};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct User {
    name: String,
    admin: bool,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("typed failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default())
        .map_err(|e| Error::protocol(format!("could not start the emulator: {e}")))?;
    let client = Client::builder(Auth::api_token("emulator-token")?, AccountId::new("typed")?)
        .base_url(emu.base_url())
        .build()?;
    let id = emu
        .create_namespace("typed", "users")
        .map_err(|e| Error::protocol(e.to_string()))?;
    let ns = client.namespace(id.as_str())?;

    // One value at a time.
    ns.put_json(
        "user/0",
        &User {
            name: "Ada".into(),
            admin: true,
        },
    )?;
    let ada: Option<User> = ns.get_json("user/0")?;
    println!("get_json: {ada:?}");

    // 100 typed bulk write items.
    let items = (1..100).map(|i| {
        BulkWriteItem::json(
            Key::new(format!("user/{i}"))?,
            &User {
                name: format!("user {i}"),
                admin: false,
            },
        )
    });
    let items: Vec<BulkWriteItem> = items.collect::<Result<_, Error>>()?;
    let report = ns.bulk_write(items).run()?;
    println!("bulk wrote {} typed items", report.succeeded);

    // One value that is not a User.
    ns.put("user/42", "this is not JSON")?;

    // A typed bulk get: text on the wire, parsed per key here.
    let report = ns
        .bulk_get((0..100).map(|i| format!("user/{i}")))
        .typed::<User>()
        .run()?;
    println!(
        "typed bulk get: {} users, {} missing, {} failed, {} request(s)",
        report.values.len(),
        report.missing.len(),
        report.failed.len(),
        report.requests_sent
    );
    for f in &report.failed {
        println!("  {}: {}", f.key, f.error);
    }
    assert_eq!((report.values.len(), report.failed.len()), (99, 1));
    println!("user/0 = {:?}", report.values[&Key::new("user/0")?]);
    Ok(())
}
