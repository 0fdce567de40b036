//! KeyPager and NamespacePager driven through the public API, with parsed wire fixtures.

use std::time::Instant;

use kv_proto::{
    Endpoint, Error, ErrorKind, KeyInfo, KeyPage, KeyPager, ListKeys, ListNamespaces, Namespace,
    NamespaceId, NamespacePage, NamespacePager, Operation, PageInfo, Pager, Plan, Poll, Ticket,
};

fn ns() -> NamespaceId {
    NamespaceId::new("ns1").unwrap()
}

/// Parses a list-keys envelope the way a transport would.
fn key_page(json: &str) -> KeyPage {
    let op = ListKeys::new(ns());
    op.parse(http::Response::new(json.as_bytes())).unwrap()
}

fn names(keys: &[KeyInfo]) -> Vec<&str> {
    keys.iter().map(|k| k.name.as_str()).collect()
}

/// The next request of a pager, or `None` once it is done (never idle: one page at a time).
fn next_op<P: Plan>(pager: &mut P) -> Option<(Ticket, P::Op)> {
    match pager.poll(Instant::now()) {
        Poll::Send(t, op) => Some((t, op)),
        Poll::Done => None,
        Poll::Idle => panic!("idle with nothing in flight"),
        Poll::Wait(d) => panic!("a pager never waits ({d:?})"),
    }
}

/// Answers the pager's next request with `page`: the page's items, or the error that ended
/// the walk.
fn handle<P: Pager>(
    pager: &mut P,
    page: <P::Op as Operation>::Output,
) -> Result<Vec<P::Item>, Error> {
    let (t, _) = next_op(pager).expect("the pager has a request to answer");
    pager.handle(t, Ok(page));
    match pager.take_error() {
        Some(e) => Err(e),
        None => Ok(pager.take_items()),
    }
}

/// A ticket no pager in these tests has in flight: a used one (the first of a fresh pager).
fn stray_ticket() -> Ticket {
    next_op(&mut KeyPager::new(ListKeys::new(ns()))).unwrap().0
}

/// Drives a pager over `pages`, recording each request; returns (requests, keys, error).
fn drive(pager: &mut KeyPager, pages: Vec<KeyPage>) -> (Vec<ListKeys>, Vec<String>, Option<Error>) {
    let mut sent = Vec::new();
    let mut keys = Vec::new();
    let mut pages = pages.into_iter();
    while let Some((t, op)) = next_op(pager) {
        sent.push(op);
        let Some(page) = pages.next() else {
            panic!("the pager asked for more pages than the server has");
        };
        pager.handle(t, Ok(page));
        if let Some(e) = pager.take_error() {
            return (sent, keys, Some(e));
        }
        keys.extend(pager.take_items().into_iter().map(|k| k.name.into_string()));
    }
    (sent, keys, None)
}

const P1: &str = r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"user:a"},{"name":"user:b","expiration":1700000000}],"result_info":{"count":2,"cursor":"c1"}}"#;
const P2: &str = r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"user:c","metadata":{"x":1}}],"result_info":{"count":1,"cursor":"c2"}}"#;
const P3_BLANK: &str = r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"user:d"}],"result_info":{"count":1,"cursor":""}}"#;
const P3_MISSING: &str = r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"user:d"}],"result_info":{"count":1}}"#;
const P3_NULL: &str = r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"user:d"}],"result_info":{"count":1,"cursor":null}}"#;
const EMPTY_WITH_CURSOR: &str = r#"{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"count":0,"cursor":"c2"}}"#;

#[test]
fn three_pages_blank_final_cursor_resends_prefix_and_limit() {
    let first = ListKeys::new(ns()).prefix("user:").limit(10).unwrap();
    let mut pager = KeyPager::new(first);
    let (sent, keys, err) = drive(
        &mut pager,
        vec![key_page(P1), key_page(P2), key_page(P3_BLANK)],
    );
    assert!(err.is_none());
    assert_eq!(keys, ["user:a", "user:b", "user:c", "user:d"]);
    assert_eq!(sent.len(), 3);
    let cursors: Vec<_> = sent.iter().map(|o| o.get_cursor()).collect();
    assert_eq!(cursors, [None, Some("c1"), Some("c2")]);
    for op in &sent {
        assert_eq!(op.get_prefix(), Some("user:"));
        assert_eq!(op.get_limit(), Some(10));
        assert_eq!(op.namespace().as_str(), "ns1");
    }
    // And on the wire: every request carries prefix and limit.
    let endpoint = Endpoint::new(
        kv_proto::AccountId::new("acc").unwrap(),
        kv_proto::Auth::api_token("t").unwrap(),
    );
    for (i, op) in sent.iter().enumerate() {
        let q = op.request(&endpoint).uri().query().unwrap_or("").to_owned();
        assert!(q.contains("prefix=user%3A"), "page {i}: {q}");
        assert!(q.contains("limit=10"), "page {i}: {q}");
        assert_eq!(q.contains("cursor="), i > 0, "page {i}: {q}");
    }
    assert!(pager.is_done());
    assert!(next_op(&mut pager).is_none());
    assert_eq!((pager.pages_fetched(), pager.keys_seen()), (3, 4));
}

#[test]
fn missing_and_null_final_cursor_stop() {
    for last in [P3_MISSING, P3_NULL] {
        let mut pager = KeyPager::new(ListKeys::new(ns()));
        let (sent, keys, err) = drive(&mut pager, vec![key_page(P1), key_page(P2), key_page(last)]);
        assert!(err.is_none());
        assert_eq!(sent.len(), 3);
        assert_eq!(keys.len(), 4);
        assert!(pager.is_done());
    }
}

#[test]
fn no_result_info_is_the_last_page() {
    let page = key_page(r#"{"success":true,"errors":[],"messages":[],"result":[{"name":"a"}]}"#);
    let mut pager = KeyPager::new(ListKeys::new(ns()));
    let (sent, keys, err) = drive(&mut pager, vec![page]);
    assert!(err.is_none());
    assert_eq!((sent.len(), keys.len()), (1, 1));
}

#[test]
fn empty_middle_page_with_cursor_keeps_going() {
    let mut pager = KeyPager::new(ListKeys::new(ns()).prefix("user:"));
    let (sent, keys, err) = drive(
        &mut pager,
        vec![
            key_page(P1),
            key_page(EMPTY_WITH_CURSOR),
            key_page(P3_BLANK),
        ],
    );
    assert!(err.is_none());
    assert_eq!(keys, ["user:a", "user:b", "user:d"]);
    assert_eq!(sent[2].get_cursor(), Some("c2"));
    assert_eq!(sent[2].get_prefix(), Some("user:"));
    assert_eq!(pager.pages_fetched(), 3);
}

#[test]
fn empty_first_page_with_cursor_keeps_going() {
    let empty = key_page(
        r#"{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"count":0,"cursor":"c0"}}"#,
    );
    let mut pager = KeyPager::new(ListKeys::new(ns()));
    let (sent, keys, err) = drive(&mut pager, vec![empty, key_page(P3_BLANK)]);
    assert!(err.is_none());
    assert_eq!(sent.len(), 2);
    assert_eq!(keys, ["user:d"]);
}

#[test]
fn repeated_cursor_is_a_typed_error_not_a_loop() {
    // The server answers page "c1" with cursor "c1" again.
    let mut pager = KeyPager::new(ListKeys::new(ns()));
    let (sent, keys, err) = drive(&mut pager, vec![key_page(P1), key_page(P1)]);
    let err = err.expect("a repeated cursor must fail");
    assert!(matches!(err.kind(), ErrorKind::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("c1"));
    assert_eq!(sent.len(), 2);
    assert_eq!(names_of(&keys), ["user:a", "user:b"]);
    assert!(pager.is_done(), "the pager stops after the error");
    assert!(next_op(&mut pager).is_none());
    // Handing more pages back after the end is ignored, not silently accepted.
    pager.handle(stray_ticket(), Ok(key_page(P2)));
    assert!(pager.take_items().is_empty());
    assert!(pager.take_error().is_none(), "the error is handed out once");
    assert!(pager.finish().unwrap().is_empty());
}

#[test]
fn cursor_repeated_after_several_pages_is_caught() {
    // c1 -> c2 -> c1: not the immediately previous cursor.
    let back = key_page(
        r#"{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"cursor":"c1"}}"#,
    );
    let mut pager = KeyPager::new(ListKeys::new(ns()));
    let (sent, _, err) = drive(&mut pager, vec![key_page(P1), key_page(P2), back]);
    assert!(matches!(err.unwrap().kind(), ErrorKind::Protocol { .. }));
    assert_eq!(sent.len(), 3);
}

#[test]
fn resuming_from_a_cursor_rejects_that_cursor_coming_back() {
    let mut pager = KeyPager::new(ListKeys::new(ns()).cursor("c1"));
    assert_eq!(pager.cursor(), Some("c1"));
    let (_, _, err) = drive(&mut pager, vec![key_page(P1)]);
    assert!(matches!(err.unwrap().kind(), ErrorKind::Protocol { .. }));
}

#[test]
fn one_request_at_a_time_and_unchanged_until_handled() {
    let mut pager = KeyPager::new(ListKeys::new(ns()));
    handle(&mut pager, key_page(P1)).unwrap();
    assert_eq!(pager.cursor(), Some("c1"));
    let (t, op) = next_op(&mut pager).unwrap();
    assert_eq!(op.get_cursor(), Some("c1"));
    // While it is in flight nothing else is handed out, and a stray ticket changes nothing.
    assert!(matches!(pager.poll(Instant::now()), Poll::Idle));
    pager.handle(stray_ticket(), Ok(key_page(P3_BLANK)));
    assert!(matches!(pager.poll(Instant::now()), Poll::Idle));
    assert_eq!(pager.cursor(), Some("c1"));
    // A failed request ends the walk with its error (the shell retries before handing it back).
    pager.handle(t, Err(Error::protocol("gave up")));
    assert!(pager.is_done());
    assert!(next_op(&mut pager).is_none());
    assert_eq!(
        pager.finish().unwrap_err().to_string(),
        "protocol error: gave up"
    );
}

fn names_of(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn keys_are_handed_out_with_their_fields() {
    let mut pager = KeyPager::new(ListKeys::new(ns()));
    let keys = handle(&mut pager, key_page(P1)).unwrap();
    assert_eq!(names(&keys), ["user:a", "user:b"]);
    assert_eq!(keys[1].expiration, Some(1_700_000_000));
}

// ---- namespaces ----

fn namespace(i: usize) -> Namespace {
    Namespace {
        id: kv_proto::NamespaceId::new(format!("{i:032x}")).unwrap(),
        title: format!("title-{i}"),
        supports_url_encoding: Some(true),
        jurisdiction: None,
        mode: None,
        beta: None,
    }
}

/// A server holding `total` namespaces, answering with the requested page.
fn serve(op: &ListNamespaces, total: usize, with_info: bool) -> NamespacePage {
    let page = op.get_page().unwrap_or(1) as usize;
    let per = op.get_per_page().unwrap_or(20) as usize;
    let start = (page - 1) * per;
    let namespaces: Vec<_> = (start..(start + per).min(total)).map(namespace).collect();
    NamespacePage {
        info: with_info.then_some(PageInfo {
            count: namespaces.len() as u64,
            page: page as u64,
            per_page: per as u64,
            total_count: total as u64,
        }),
        namespaces,
    }
}

fn walk(mut pager: NamespacePager, total: usize, with_info: bool) -> (Vec<ListNamespaces>, usize) {
    let mut sent = Vec::new();
    let mut got = 0;
    while let Some((t, op)) = next_op(&mut pager) {
        assert!(sent.len() < 100, "runaway pager");
        let page = serve(&op, total, with_info);
        sent.push(op);
        pager.handle(t, Ok(page));
        assert!(pager.take_error().is_none());
        got += pager.take_items().len();
    }
    (sent, got)
}

#[test]
fn namespace_default_per_page_is_100_and_pages_count_from_1() {
    let mut pager = NamespacePager::new(ListNamespaces::new());
    let (t, op) = next_op(&mut pager).unwrap();
    assert_eq!((op.get_page(), op.get_per_page()), (Some(1), Some(100)));
    pager.handle(t, Err(Error::protocol("not sent")));
    let (sent, got) = walk(NamespacePager::new(ListNamespaces::new()), 250, true);
    assert_eq!(got, 250);
    let pages: Vec<_> = sent.iter().map(|o| o.get_page().unwrap()).collect();
    assert_eq!(pages, [1, 2, 3]);
}

#[test]
fn namespace_stop_on_total_count_saves_the_extra_request() {
    // 200 = 2 full pages: total_count stops after page 2 without asking for an empty page 3.
    let (sent, got) = walk(NamespacePager::new(ListNamespaces::new()), 200, true);
    assert_eq!((sent.len(), got), (2, 200));
}

#[test]
fn namespace_stop_on_empty_page_without_info() {
    // Exactly full pages and no result_info: only an empty page can end the walk.
    let (sent, got) = walk(
        NamespacePager::new(ListNamespaces::new().per_page(5).unwrap()),
        10,
        false,
    );
    assert_eq!((sent.len(), got), (3, 10));
}

#[test]
fn namespace_stop_on_short_page() {
    let (sent, got) = walk(
        NamespacePager::new(ListNamespaces::new().per_page(5).unwrap()),
        12,
        false,
    );
    assert_eq!((sent.len(), got), (3, 12));
}

#[test]
fn namespace_no_namespaces_at_all() {
    let (sent, got) = walk(NamespacePager::new(ListNamespaces::new()), 0, true);
    assert_eq!((sent.len(), got), (1, 0));
}

#[test]
fn namespace_total_count_zero_is_ignored_not_trusted() {
    // A full page with total_count 0 (field absent) must not stop the walk.
    let mut pager = NamespacePager::new(ListNamespaces::new().per_page(5).unwrap());
    let page = NamespacePage {
        namespaces: (0..5).map(namespace).collect(),
        info: Some(PageInfo {
            count: 5,
            page: 1,
            per_page: 5,
            total_count: 0,
        }),
    };
    handle(&mut pager, page).unwrap();
    assert_eq!(next_op(&mut pager).unwrap().1.get_page(), Some(2));
}

#[test]
fn namespace_server_per_page_wins_for_the_short_page_rule() {
    // We ask for 100; the server uses 20 and says so: a page of 20 is full, not short.
    let mut pager = NamespacePager::new(ListNamespaces::new());
    let page = NamespacePage {
        namespaces: (0..20).map(namespace).collect(),
        info: Some(PageInfo {
            count: 20,
            page: 1,
            per_page: 20,
            total_count: 45,
        }),
    };
    handle(&mut pager, page).unwrap();
    assert!(!pager.is_done());
    let page = NamespacePage {
        namespaces: (20..40).map(namespace).collect(),
        info: Some(PageInfo {
            count: 20,
            page: 2,
            per_page: 20,
            total_count: 45,
        }),
    };
    handle(&mut pager, page).unwrap();
    assert!(!pager.is_done());
    let page = NamespacePage {
        namespaces: (40..45).map(namespace).collect(),
        info: Some(PageInfo {
            count: 5,
            page: 3,
            per_page: 20,
            total_count: 45,
        }),
    };
    handle(&mut pager, page).unwrap();
    assert!(pager.is_done());
    assert_eq!(pager.namespaces_seen(), 45);
}

#[test]
fn namespace_keeps_order_direction_and_start_page() {
    use kv_proto::{Direction, NamespaceOrder};
    let first = ListNamespaces::new()
        .page(3)
        .unwrap()
        .per_page(10)
        .unwrap()
        .order(NamespaceOrder::Title)
        .direction(Direction::Desc);
    let mut pager = NamespacePager::new(first);
    let (t, op) = next_op(&mut pager).unwrap();
    assert_eq!(op.get_page(), Some(3));
    pager.handle(
        t,
        Ok(NamespacePage {
            namespaces: (0..10).map(namespace).collect(),
            info: None,
        }),
    );
    assert_eq!(pager.take_items().len(), 10);
    let (_, op) = next_op(&mut pager).unwrap();
    assert_eq!(op.get_page(), Some(4));
    assert_eq!(op.get_per_page(), Some(10));
    assert_eq!(op.get_order(), Some(NamespaceOrder::Title));
    assert_eq!(op.get_direction(), Some(Direction::Desc));
}

#[test]
fn namespace_repeated_full_page_is_a_typed_error() {
    let mut pager = NamespacePager::new(ListNamespaces::new().per_page(5).unwrap());
    let page = NamespacePage {
        namespaces: (0..5).map(namespace).collect(),
        info: None,
    };
    handle(&mut pager, page.clone()).unwrap();
    let err = handle(&mut pager, page).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Protocol { .. }));
    assert!(pager.is_done());
    assert!(next_op(&mut pager).is_none());
    pager.handle(stray_ticket(), Ok(NamespacePage::default()));
    assert!(pager.take_items().is_empty());
    assert!(pager.finish().unwrap().is_empty());
}
