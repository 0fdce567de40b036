//! Namespaces, authentication, routing and the envelope, over raw HTTP.

mod common;

use common::{ACCOUNT, Http, start, start_with};
use kv_tests::EmulatorConfig;
use serde_json::{Value, json};

#[test]
fn auth_modes() {
    // Open mode: any non-empty credentials, nothing at all is refused.
    let emu = start();
    let h = Http::new(&emu);
    assert_eq!(h.get("").status, 200);
    let none = Http::new(&emu).without_auth();
    let msg = none.get("").error(403, 10000);
    assert_eq!(msg, "Authentication error");
    let empty = Http::new(&emu).with_headers(&[("authorization", "Bearer ")]);
    empty.get("").error(403, 10000);
    let basic = Http::new(&emu).with_headers(&[("authorization", "Basic Zm9vOmJhcg==")]);
    basic.get("").error(403, 10000);
    let pair = Http::new(&emu).with_headers(&[("x-auth-email", "a@b.c"), ("x-auth-key", "k")]);
    assert_eq!(pair.get("").status, 200);
    let half = Http::new(&emu).with_headers(&[("x-auth-key", "k")]);
    half.get("").error(403, 10000);

    // Token mode.
    let emu = start_with(EmulatorConfig::default().token("s3cret"));
    let good = Http::new(&emu).with_headers(&[("authorization", "Bearer s3cret")]);
    assert_eq!(good.get("").status, 200);
    let bad = Http::new(&emu).with_headers(&[("authorization", "Bearer nope")]);
    bad.get("").error(403, 10000);
    let pair = Http::new(&emu).with_headers(&[("x-auth-email", "a@b.c"), ("x-auth-key", "k")]);
    pair.get("").error(403, 10000);

    // Key mode.
    let emu = start_with(EmulatorConfig::default().api_key("me@example.com", "gk"));
    let good =
        Http::new(&emu).with_headers(&[("x-auth-email", "me@example.com"), ("x-auth-key", "gk")]);
    assert_eq!(good.get("").status, 200);
    let bad =
        Http::new(&emu).with_headers(&[("x-auth-email", "me@example.com"), ("x-auth-key", "no")]);
    bad.get("").error(403, 10000);
    Http::new(&emu).get("").error(403, 10000);

    // Both: either works.
    let emu = start_with(EmulatorConfig::default().token("t").api_key("e", "k"));
    let t = Http::new(&emu).with_headers(&[("authorization", "Bearer t")]);
    let k = Http::new(&emu).with_headers(&[("x-auth-email", "e"), ("x-auth-key", "k")]);
    assert_eq!(t.get("").status, 200);
    assert_eq!(k.get("").status, 200);
}

#[test]
fn namespace_lifecycle() {
    let emu = start();
    let h = Http::new(&emu);
    let r = h.json("POST", "", &json!({"title": "first"}));
    let ns = r.result();
    let id = ns["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(ns["title"], "first");
    assert_eq!(ns["supports_url_encoding"], true);
    assert!(ns.get("jurisdiction").is_none());
    assert_eq!(r.header("content-type"), Some("application/json"));

    // get
    let got = h.get(&format!("/{id}")).result();
    assert_eq!(got, ns);
    // dashed UUID form and upper case parse too
    let dashed = format!(
        "{}-{}-{}-{}-{}",
        &id[..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..]
    )
    .to_uppercase();
    assert_eq!(h.get(&format!("/{dashed}")).result()["id"], id.as_str());

    // duplicate title
    let msg = h
        .json("POST", "", &json!({"title": "first"}))
        .error(400, 10014);
    assert_eq!(
        msg,
        "create namespace: 'A namespace with this account ID and title already exists'"
    );
    // missing / empty title
    assert_eq!(
        h.json("POST", "", &json!({})).error(400, 10019),
        "The title is required."
    );
    h.json("POST", "", &json!({"title": ""})).error(400, 10019);
    h.json("POST", "", &json!({"title": null}))
        .error(400, 10019);
    h.json("POST", "", &json!({"title": 5})).error(400, 10012);
    // title length: 512 characters ok, 513 rejected
    let long: String = "é".repeat(512);
    assert_eq!(h.json("POST", "", &json!({"title": long})).status, 200);
    h.json("POST", "", &json!({"title": "é".repeat(513)}))
        .error(400, 10001);
    // not JSON
    h.send(
        "POST",
        "",
        Some("application/json"),
        Some(b"{nope".to_vec()),
    )
    .error(400, 10012);
    h.send("POST", "", Some("application/json"), Some(b"[1]".to_vec()))
        .error(400, 10012);
    h.send("POST", "", None, None).error(400, 10012);

    // jurisdiction and mode are echoed
    let eu = h
        .json(
            "POST",
            "",
            &json!({"title": "eu", "jurisdiction": "eu", "mode": "instant"}),
        )
        .result();
    assert_eq!(eu["jurisdiction"], "eu");
    assert_eq!(eu["mode"], "instant");
    h.json("POST", "", &json!({"title": "x", "jurisdiction": "mars"}))
        .error(400, 10001);
    h.json("POST", "", &json!({"title": "x", "mode": "slow"}))
        .error(400, 10001);

    // rename
    let renamed = h
        .json("PUT", &format!("/{id}"), &json!({"title": "renamed"}))
        .result();
    assert_eq!(renamed["title"], "renamed");
    assert_eq!(renamed["id"], id.as_str());
    assert_eq!(h.get(&format!("/{id}")).result()["title"], "renamed");
    // renaming to its own title is fine, to another's is not
    assert_eq!(
        h.json("PUT", &format!("/{id}"), &json!({"title": "renamed"}))
            .status,
        200
    );
    h.json("PUT", &format!("/{id}"), &json!({"title": "eu"}))
        .error(400, 10014);
    h.json("PUT", &format!("/{id}"), &json!({}))
        .error(400, 10019);
    h.send("PUT", &format!("/{id}"), None, Some(b"garbage".to_vec()))
        .error(400, 10012);

    // delete
    let del = h.delete(&format!("/{id}"));
    assert_eq!(del.result(), Value::Null);
    let msg = h.get(&format!("/{id}")).error(404, 10013);
    assert_eq!(msg, "get namespace: 'namespace not found'");
    h.delete(&format!("/{id}")).error(404, 10013);
    h.json("PUT", &format!("/{id}"), &json!({"title": "z"}))
        .error(404, 10013);
    // the title is free again
    assert_eq!(h.json("POST", "", &json!({"title": "renamed"})).status, 200);

    // deleting a namespace removes its keys
    let id2 = h.create_ns("with-keys");
    h.raw("PUT", &format!("/{id2}/values/k"), b"v");
    h.delete(&format!("/{id2}"));
    h.get(&format!("/{id2}/values/k")).error(404, 10013);
    h.raw("PUT", &format!("/{id2}/values/k"), b"v")
        .error(404, 10013);
}

#[test]
fn malformed_and_unknown_ids() {
    let emu = start();
    let h = Http::new(&emu);
    let msg = h.get("/not-a-uuid").error(400, 10011);
    assert_eq!(
        msg,
        "could not parse UUID from request's namespace_id: 'not-a-uuid'"
    );
    h.get("/0f2ac74b498b48028cb68387c421e27").error(400, 10011); // 31 digits
    h.get("/0f2ac74b498b48028cb68387c421e27g/keys")
        .error(400, 10011);
    let unknown = "0f2ac74b498b48028cb68387c421e279";
    for (method, rest, op) in [
        ("GET", format!("/{unknown}/keys"), "list keys"),
        ("GET", format!("/{unknown}/values/k"), "get"),
        ("DELETE", format!("/{unknown}/values/k"), "remove key"),
        ("GET", format!("/{unknown}/metadata/k"), "get"),
    ] {
        let msg = h.send(method, &rest, None, None).error(404, 10013);
        assert_eq!(msg, format!("{op}: 'namespace not found'"));
    }
    let msg = h
        .json(
            "POST",
            &format!("/{unknown}/bulk/get"),
            &json!({"keys": ["a"]}),
        )
        .error(404, 10013);
    assert_eq!(msg, "bulk get keys: 'namespace not found'");
    h.json("PUT", &format!("/{unknown}/bulk"), &json!([]))
        .error(404, 10013);
    h.json("POST", &format!("/{unknown}/bulk/delete"), &json!([]))
        .error(404, 10013);
    h.json("DELETE", &format!("/{unknown}/bulk"), &json!([]))
        .error(404, 10013);
    h.raw("PUT", &format!("/{unknown}/values/k"), b"v")
        .error(404, 10013);

    // Namespaces are per account.
    let id = h.create_ns("mine");
    let mut other = Http::new(&emu);
    other.account = "ffffffffffffffffffffffffffffffff".into();
    other.get(&format!("/{id}")).error(404, 10013);
    assert_eq!(other.get("").result(), json!([]));

    // An invalid account id.
    let mut bad = Http::new(&emu);
    bad.account = "not valid!".replace(' ', "%20");
    let msg = bad.get("").error(400, 7003);
    assert!(
        msg.contains("perhaps your object identifier is invalid"),
        "{msg}"
    );
    bad.account = "a".repeat(33);
    bad.get("").error(400, 7003);
}

#[test]
fn routing_errors() {
    let emu = start();
    let h = Http::new(&emu);
    let id = h.create_ns("r");
    assert_eq!(
        h.send_abs("GET", &format!("{}/zones", h.base), None, None)
            .error(404, 7003),
        "No route for the URI"
    );
    h.get(&format!("/{id}/nothing")).error(404, 7003);
    h.get(&format!("/{id}/values/a/b")).error(404, 7003); // raw '/' splits the key
    h.get(&format!("/{id}/bulk/other")).error(404, 7003);
    h.send_abs(
        "GET",
        &format!("{}/", emu.base_url().trim_end_matches("/client/v4")),
        None,
        None,
    )
    .error(404, 7003);
    // known path, wrong method
    h.send("PATCH", "", None, None).error(405, 10405);
    h.send("POST", &format!("/{id}/values/k"), None, Some(vec![]))
        .error(405, 10405);
    h.send("GET", &format!("/{id}/bulk"), None, None)
        .error(405, 10405);
    h.send("PUT", &format!("/{id}/keys"), None, Some(vec![]))
        .error(405, 10405);
    // every reply has a cf-ray header
    assert!(h.get("").header("cf-ray").unwrap().ends_with("-EMU"));
}

#[test]
fn list_namespaces_paging_and_order() {
    let emu = start();
    let h = Http::new(&emu);
    let titles = [
        "delta", "alpha", "echo", "charlie", "bravo", "foxtrot", "golf",
    ];
    let mut ids: Vec<String> = titles.iter().map(|t| h.create_ns(t)).collect();
    ids.sort();

    // default: page 1, per_page 20, by id ascending
    let r = h.get("");
    let v = r.json();
    assert_eq!(
        v["result_info"],
        json!({"count": 7, "page": 1, "per_page": 20, "total_count": 7})
    );
    let got: Vec<&str> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids);

    // by title, pages of 3
    let mut seen = Vec::new();
    for page in 1..=4 {
        let v = h
            .get(&format!(
                "?per_page=3&page={page}&order=title&direction=asc"
            ))
            .json();
        let info = &v["result_info"];
        assert_eq!(info["page"], page);
        assert_eq!(info["per_page"], 3);
        assert_eq!(info["total_count"], 7);
        let items = v["result"].as_array().unwrap();
        assert_eq!(info["count"], items.len());
        seen.extend(
            items
                .iter()
                .map(|n| n["title"].as_str().unwrap().to_owned()),
        );
    }
    let mut sorted: Vec<String> = titles.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(seen, sorted);

    let v = h.get("?order=title&direction=desc&per_page=2").json();
    let got: Vec<&str> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["golf", "foxtrot"]);

    // bounds: per_page 1..=1000, page >= 1
    assert_eq!(h.get("?per_page=1").json()["result_info"]["count"], 1);
    assert_eq!(h.get("?per_page=1000").status, 200);
    h.get("?per_page=0").error(400, 10001);
    h.get("?per_page=1001").error(400, 10001);
    h.get("?per_page=abc").error(400, 10001);
    h.get("?page=0").error(400, 10001);
    h.get("?order=size").error(400, 10001);
    h.get("?direction=up").error(400, 10001);
}

#[test]
fn namespace_limit() {
    let emu = start_with(EmulatorConfig {
        max_namespaces: 2,
        ..EmulatorConfig::default()
    });
    let h = Http::new(&emu);
    h.create_ns("a");
    h.create_ns("b");
    h.json("POST", "", &json!({"title": "c"})).error(400, 10030);
    // inspection API agrees
    assert_eq!(emu.namespaces(ACCOUNT).len(), 2);
}

#[test]
fn inspection_api_matches_http() {
    let emu = start();
    let h = Http::new(&emu);
    let id = emu.create_namespace(ACCOUNT, "seeded").unwrap();
    assert!(matches!(
        emu.create_namespace(ACCOUNT, "seeded"),
        Err(kv_tests::SeedError::DuplicateTitle(_))
    ));
    assert_eq!(h.get(&format!("/{id}")).result()["title"], "seeded");
    let info = emu.namespace(ACCOUNT, &id).unwrap();
    assert_eq!(info.title, "seeded");
    let via_http = h.create_ns("via-http");
    assert!(emu.namespaces(ACCOUNT).iter().any(|n| n.id == via_http));
    assert!(emu.delete_namespace(ACCOUNT, &id));
    assert!(!emu.delete_namespace(ACCOUNT, &id));
    h.get(&format!("/{id}")).error(404, 10013);
}
