//! Pagers: pure state machines that walk every page of a listing.
//!
//! A pager yields the next request ([`KeyPager::next_op`], [`NamespacePager::next_op`]), takes
//! the decoded page back (`handle`), hands out the items and decides when to stop. It does no
//! I/O: any transport drives it with a loop, and retries a failed request by asking for the
//! same `next_op` again (it does not change until a page is handled).

use std::collections::HashSet;

use crate::error::{Error, Limit};
use crate::op::Operation;
use crate::op::{
    KeyInfo, KeyPage, ListKeys, ListNamespaces, MAX_PER_PAGE, Namespace, NamespacePage,
};

/// Walks every page of [`ListKeys`] by cursor.
///
/// - The next request keeps the first request's namespace, `prefix` and `limit` (the API wants
///   `prefix` sent again with every cursor) and carries the cursor of the last page.
/// - It stops only when a page has no cursor (missing, `null` or `""`), never on an empty
///   page: a page can be empty while more keys remain (expired and deleted keys still have to
///   be walked).
/// - If the server hands out a cursor it already gave (or the one the pager started from),
///   [`handle`](KeyPager::handle) fails with [`ErrorKind::Protocol`](crate::ErrorKind::Protocol)
///   and the pager stops, instead of looping forever. Every cursor seen is kept in a set (one
///   string per page: a walk of 10 million keys at 1,000 per page keeps 10,000 cursors).
///
/// ```
/// use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
///
/// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?).prefix("user:"));
/// let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
/// // The shell's loop: `let page = transport.execute(&op)?; pager.handle(page)?`.
/// let mut all = Vec::new();
/// let mut server = vec![
///     KeyPage { keys: vec![key("user:a")], cursor: Some("c1".into()), count: None },
///     KeyPage { keys: vec![], cursor: Some("c2".into()), count: None }, // empty, not the end
///     KeyPage { keys: vec![key("user:b")], cursor: None, count: None },
/// ]
/// .into_iter();
/// while let Some(op) = pager.next_op() {
///     assert_eq!(op.get_prefix(), Some("user:"));
///     let page = server.next().unwrap();
///     all.extend(pager.handle(page)?);
/// }
/// assert_eq!(all.len(), 2);
/// assert_eq!((pager.pages_fetched(), pager.keys_seen()), (3, 2));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeyPager {
    /// The request for the next page (`None` once done).
    next: Option<ListKeys>,
    seen: HashSet<String>,
    pages: u64,
    keys: u64,
}

impl KeyPager {
    /// A pager starting at `first` (its cursor, if any, is where the walk resumes).
    ///
    /// ```
    /// use kv_proto::{KeyPager, ListKeys, NamespaceId};
    /// let pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?).cursor("saved"));
    /// assert_eq!(pager.next_op().and_then(|op| op.get_cursor().map(String::from)), Some("saved".into()));
    /// assert!(!pager.is_done());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn new(first: ListKeys) -> KeyPager {
        let mut seen = HashSet::new();
        if let Some(c) = first.get_cursor() {
            seen.insert(c.to_owned());
        }
        KeyPager {
            next: Some(first),
            seen,
            pages: 0,
            keys: 0,
        }
    }

    /// The request for the next page, or `None` when the walk is over (last page handled, or
    /// an error stopped it). Calling it again without [`handle`](KeyPager::handle) returns the
    /// same request, so a shell can retry it.
    ///
    /// ```
    /// # use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
    /// # let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// assert_eq!(pager.next_op(), pager.next_op()); // unchanged until a page is handled
    /// pager.handle(KeyPage { keys: vec![key("a")], cursor: None, count: None })?;
    /// assert_eq!(pager.next_op(), None);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn next_op(&self) -> Option<ListKeys> {
        self.next.clone()
    }

    /// Takes the page answering the last [`next_op`](KeyPager::next_op) and returns its keys.
    ///
    /// ```
    /// # use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
    /// # let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// let keys = pager.handle(KeyPage { keys: vec![key("a")], cursor: Some("c1".into()), count: None })?;
    /// assert_eq!(keys[0].name, "a");
    /// // The server repeats a cursor: an error instead of an endless walk.
    /// let err = pager.handle(KeyPage { keys: vec![key("a")], cursor: Some("c1".into()), count: None });
    /// assert!(err.is_err() && pager.is_done());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) if the page's cursor was already
    /// seen (the pager then stops; the page's keys are not returned, as they repeat an earlier
    /// position); [`Limit::Config`] if the walk was already over.
    pub fn handle(&mut self, page: KeyPage) -> Result<Vec<KeyInfo>, Error> {
        let Some(current) = self.next.take() else {
            return Err(Error::invalid_input(
                Limit::Config,
                "KeyPager::handle called after the last page; there is no request to answer",
            ));
        };
        self.pages += 1;
        match page.cursor.filter(|c| !c.is_empty()) {
            None => {}
            Some(cursor) => {
                if !self.seen.insert(cursor.clone()) {
                    return Err(Error::protocol(format!(
                        "list keys: the server repeated cursor {cursor:?} on page {}; stopping instead of looping",
                        self.pages
                    )));
                }
                self.next = Some(current.with_cursor(Some(cursor)));
            }
        }
        self.keys += page.keys.len() as u64;
        Ok(page.keys)
    }

    /// True once there is no next page to fetch.
    ///
    /// ```
    /// # use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
    /// # let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// assert!(!pager.is_done());
    /// pager.handle(KeyPage { keys: vec![], cursor: None, count: None })?;
    /// assert!(pager.is_done());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }

    /// The cursor the next request carries (`None` for the first page or once done): save it
    /// to resume later with [`ListKeys::cursor`].
    ///
    /// ```
    /// # use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
    /// # let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// assert_eq!(pager.cursor(), None);
    /// pager.handle(KeyPage { keys: vec![key("a")], cursor: Some("c1".into()), count: None })?;
    /// assert_eq!(pager.cursor(), Some("c1"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn cursor(&self) -> Option<&str> {
        self.next.as_ref().and_then(ListKeys::get_cursor)
    }

    /// Pages handled so far.
    ///
    /// ```
    /// # use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
    /// # let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// pager.handle(KeyPage { keys: vec![], cursor: Some("c1".into()), count: None })?;
    /// assert_eq!(pager.pages_fetched(), 1);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Keys handed out so far.
    ///
    /// ```
    /// # use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId};
    /// # let key = |n: &str| KeyInfo { name: n.into(), expiration: None, metadata: None };
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// pager.handle(KeyPage { keys: vec![key("a"), key("b")], cursor: None, count: None })?;
    /// assert_eq!(pager.keys_seen(), 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn keys_seen(&self) -> u64 {
        self.keys
    }
}

/// Walks every page of [`ListNamespaces`] by page number.
///
/// `per_page` is the request's (validated to 5..=100 by [`ListNamespaces::per_page`]), or 100
/// ([`MAX_PER_PAGE`]) if it has none, so an account's 1,000 namespaces take at most 10
/// requests. Pages are numbered from the request's page (1 if unset).
///
/// Stop rule (kv-api §4.2): stop after a page that is empty, or short (fewer items than
/// `per_page`), or reaches `total_count` (`page * per_page >= total_count`). `per_page` here
/// is the one the server reports in `result_info` when it reports one, else the requested
/// one, so a server that ignores our `per_page` is still walked to the end. `total_count` is
/// used only when the server sends a non-zero one. A server that sends the same non-empty page
/// twice in a row fails with [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) instead of
/// looping.
///
/// ```
/// use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager, PageInfo};
///
/// let mut pager = NamespacePager::new(ListNamespaces::new().per_page(5)?);
/// let ns = |i: u32| Namespace {
///     id: format!("id{i}"), title: format!("t{i}"), supports_url_encoding: None,
///     jurisdiction: None, mode: None, beta: None,
/// };
/// let op = pager.next_op().unwrap();
/// assert_eq!((op.get_page(), op.get_per_page()), (Some(1), Some(5)));
/// pager.handle(NamespacePage { namespaces: (0..5).map(ns).collect(), info: None })?;
/// assert_eq!(pager.next_op().unwrap().get_page(), Some(2));
/// // A short page ends the walk.
/// pager.handle(NamespacePage { namespaces: vec![ns(5)], info: None })?;
/// assert!(pager.next_op().is_none());
/// assert_eq!((pager.pages_fetched(), pager.namespaces_seen()), (2, 6));
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NamespacePager {
    template: ListNamespaces,
    page: u32,
    per_page: u32,
    done: bool,
    pages: u64,
    seen: u64,
    previous_ids: Vec<String>,
}

impl NamespacePager {
    /// A pager starting at `first`'s page (1 if unset), with its `per_page` (100 if unset),
    /// order and direction.
    ///
    /// ```
    /// use kv_proto::{ListNamespaces, NamespacePager};
    /// let pager = NamespacePager::new(ListNamespaces::new());
    /// let op = pager.next_op().unwrap();
    /// assert_eq!((op.get_page(), op.get_per_page()), (Some(1), Some(100)));
    /// ```
    pub fn new(first: ListNamespaces) -> NamespacePager {
        let per_page = first.get_per_page().unwrap_or(MAX_PER_PAGE);
        let page = first.get_page().unwrap_or(1);
        NamespacePager {
            template: first,
            page,
            per_page,
            done: false,
            pages: 0,
            seen: 0,
            previous_ids: Vec::new(),
        }
    }

    /// The request for the next page, or `None` once done. Calling it again without
    /// [`handle`](NamespacePager::handle) returns the same request.
    ///
    /// ```
    /// # use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager};
    /// # let ns = |i: u32| Namespace { id: format!("id{i}"), title: String::new(), supports_url_encoding: None, jurisdiction: None, mode: None, beta: None };
    /// let mut pager = NamespacePager::new(ListNamespaces::new().page(3)?.per_page(5)?);
    /// assert_eq!(pager.next_op().and_then(|op| op.get_page()), Some(3));
    /// pager.handle(NamespacePage { namespaces: (0..5).map(ns).collect(), info: None })?;
    /// assert_eq!(pager.next_op().and_then(|op| op.get_page()), Some(4));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn next_op(&self) -> Option<ListNamespaces> {
        if self.done {
            return None;
        }
        // Both values were validated (page >= 1, per_page within 5..=100); `ok()` keeps this
        // free of panics all the same.
        self.template
            .clone()
            .page(self.page)
            .and_then(|op| op.per_page(self.per_page))
            .ok()
    }

    /// Takes the page answering the last [`next_op`](NamespacePager::next_op) and returns its
    /// namespaces.
    ///
    /// ```
    /// # use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager};
    /// # let ns = |i: u32| Namespace { id: format!("id{i}"), title: String::new(), supports_url_encoding: None, jurisdiction: None, mode: None, beta: None };
    /// let mut pager = NamespacePager::new(ListNamespaces::new().per_page(5)?);
    /// let page = || NamespacePage { namespaces: (0..5).map(ns).collect(), info: None };
    /// assert_eq!(pager.handle(page())?.len(), 5);
    /// // The same page again: an error instead of an endless walk.
    /// assert!(pager.handle(page()).is_err());
    /// assert!(pager.is_done());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) if the page repeats the previous
    /// one, or the page number would overflow; [`Limit::Config`] if the walk was already over.
    /// The pager stops after an error.
    pub fn handle(&mut self, page: NamespacePage) -> Result<Vec<Namespace>, Error> {
        if self.done {
            return Err(Error::invalid_input(
                Limit::Config,
                "NamespacePager::handle called after the last page; there is no request to answer",
            ));
        }
        self.pages += 1;
        let n = page.namespaces.len();
        if n > 0
            && n == self.previous_ids.len()
            && page
                .namespaces
                .iter()
                .zip(&self.previous_ids)
                .all(|(ns, id)| ns.id == *id)
        {
            self.done = true;
            return Err(Error::protocol(format!(
                "list namespaces: page {} repeats the previous page; stopping instead of looping",
                self.page
            )));
        }
        let per_page = page
            .info
            .map(|i| i.per_page)
            .filter(|&p| p > 0)
            .unwrap_or(u64::from(self.per_page));
        let total = page.info.map_or(0, |i| i.total_count);
        let reached_total = total > 0 && u64::from(self.page).saturating_mul(per_page) >= total;
        let stop = n == 0 || (n as u64) < per_page || reached_total;
        self.seen += n as u64;
        if stop {
            self.done = true;
        } else {
            match self.page.checked_add(1) {
                Some(p) => self.page = p,
                None => {
                    self.done = true;
                    return Err(Error::protocol(
                        "list namespaces: the page number overflowed; stopping",
                    ));
                }
            }
            self.previous_ids = page.namespaces.iter().map(|ns| ns.id.clone()).collect();
        }
        Ok(page.namespaces)
    }

    /// True once there is no next page to fetch.
    ///
    /// ```
    /// # use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager};
    /// # let ns = |i: u32| Namespace { id: format!("id{i}"), title: String::new(), supports_url_encoding: None, jurisdiction: None, mode: None, beta: None };
    /// let mut pager = NamespacePager::new(ListNamespaces::new());
    /// assert!(!pager.is_done());
    /// pager.handle(NamespacePage { namespaces: vec![ns(1)], info: None })?; // short page: last
    /// assert!(pager.is_done());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Pages handled so far.
    ///
    /// ```
    /// # use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager};
    /// # let ns = |i: u32| Namespace { id: format!("id{i}"), title: String::new(), supports_url_encoding: None, jurisdiction: None, mode: None, beta: None };
    /// let mut pager = NamespacePager::new(ListNamespaces::new());
    /// pager.handle(NamespacePage { namespaces: vec![], info: None })?;
    /// assert_eq!(pager.pages_fetched(), 1);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Namespaces handed out so far.
    ///
    /// ```
    /// # use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager};
    /// # let ns = |i: u32| Namespace { id: format!("id{i}"), title: String::new(), supports_url_encoding: None, jurisdiction: None, mode: None, beta: None };
    /// let mut pager = NamespacePager::new(ListNamespaces::new());
    /// pager.handle(NamespacePage { namespaces: vec![ns(1), ns(2)], info: None })?;
    /// assert_eq!(pager.namespaces_seen(), 2);
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn namespaces_seen(&self) -> u64 {
        self.seen
    }
}

/// What both pagers have in common, so a shell can drive either with one loop:
///
/// ```
/// use kv_proto::{Error, Operation, Pager};
///
/// /// Collects every item a pager walks, sending each page request with `send`.
/// fn walk_all<P: Pager>(
///     mut pager: P,
///     send: impl Fn(&P::Op) -> Result<<P::Op as Operation>::Output, Error>,
/// ) -> Result<Vec<P::Item>, Error> {
///     let mut items = Vec::new();
///     while let Some(op) = pager.next_op() {
///         items.extend(pager.handle(send(&op)?)?);
///     }
///     Ok(items)
/// }
///
/// // Two canned pages stand in for the network.
/// let ns = kv_proto::NamespaceId::new("ns1")?;
/// let pager = kv_proto::KeyPager::new(kv_proto::ListKeys::new(ns));
/// let keys = walk_all(pager, |op: &kv_proto::ListKeys| {
///     let (names, cursor) = match op.get_cursor() {
///         None => (r#"[{"name":"a"},{"name":"b"}]"#, "c1"),
///         Some(_) => (r#"[{"name":"c"}]"#, ""),
///     };
///     let body = format!(
///         r#"{{"success":true,"errors":[],"messages":[],"result":{names},"result_info":{{"cursor":"{cursor}"}}}}"#
///     );
///     op.parse(http::Response::new(body.as_bytes()))
/// })?;
/// let names: Vec<_> = keys.iter().map(|k| k.name.as_str()).collect();
/// assert_eq!(names, ["a", "b", "c"]);
/// # Ok::<(), Error>(())
/// ```
pub trait Pager {
    /// The list operation of one page.
    type Op: Operation;
    /// What a page holds.
    type Item;

    /// The next page request, or `None` when the walk is over.
    ///
    /// ```
    /// use kv_proto::{KeyPager, ListKeys, NamespaceId, Pager};
    /// let pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// let op = Pager::next_op(&pager).unwrap();
    /// assert_eq!(op.namespace().as_str(), "ns1");
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    fn next_op(&self) -> Option<Self::Op>;

    /// Takes the page answered to the last [`Pager::next_op`] and hands out its items.
    ///
    /// ```
    /// use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId, Pager};
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// let page = KeyPage { keys: vec![KeyInfo { name: "a".into(), expiration: None, metadata: None }], cursor: None, count: None };
    /// let items = Pager::handle(&mut pager, page)?;
    /// assert_eq!(items.len(), 1);
    /// assert!(Pager::next_op(&pager).is_none());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// The server broke the paging protocol (for example a repeated cursor).
    fn handle(&mut self, page: <Self::Op as Operation>::Output) -> Result<Vec<Self::Item>, Error>;
}

impl Pager for KeyPager {
    type Op = ListKeys;
    type Item = KeyInfo;

    fn next_op(&self) -> Option<ListKeys> {
        KeyPager::next_op(self)
    }

    fn handle(&mut self, page: KeyPage) -> Result<Vec<KeyInfo>, Error> {
        KeyPager::handle(self, page)
    }
}

impl Pager for NamespacePager {
    type Op = ListNamespaces;
    type Item = Namespace;

    fn next_op(&self) -> Option<ListNamespaces> {
        NamespacePager::next_op(self)
    }

    fn handle(&mut self, page: NamespacePage) -> Result<Vec<Namespace>, Error> {
        NamespacePager::handle(self, page)
    }
}
