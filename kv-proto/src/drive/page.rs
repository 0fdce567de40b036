//! Pagers: the [`Plan`]s that walk every page of a listing, one request at a time.
//!
//! A pager hands out the request for the next page ([`Plan::poll`]), takes the outcome back
//! ([`Plan::handle`]), buffers the page's items until the shell takes them
//! ([`Pager::take_items`], so a lazy iterator can yield page by page), and decides when to
//! stop. [`Plan::finish`] returns the items not yet taken, or the error that ended the walk.
//! The shell retries a failed request itself (the pager ends the walk on an `Err` outcome).

use std::collections::HashSet;
use std::time::Instant;

use super::{Plan, Poll, Progress, Ticket};
use crate::error::Error;
use crate::op::{
    KeyInfo, KeyPage, ListKeys, ListNamespaces, MAX_PER_PAGE, Namespace, NamespacePage,
};

/// A [`Plan`] that walks a listing: its report is every item not yet taken, or the error that
/// ended the walk; [`take_items`](Pager::take_items) hands out what the pages handled so far
/// yielded.
///
/// ```
/// use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId, Pager, Plan, Poll};
/// use std::time::Instant;
///
/// // A lazy walk: one page per request, items yielded as each page arrives.
/// fn next_page<P: Pager>(pager: &mut P, send: impl Fn(&P::Op) -> Result<<P::Op as kv_proto::Operation>::Output, kv_proto::Error>) -> Option<Result<Vec<P::Item>, kv_proto::Error>> {
///     match pager.poll(Instant::now()) {
///         Poll::Send(ticket, op) => {
///             pager.handle(ticket, send(&op));
///             match pager.take_error() {
///                 Some(e) => Some(Err(e)),
///                 None => Some(Ok(pager.take_items())),
///             }
///         }
///         _ => None,
///     }
/// }
/// let key = |n: &str| KeyInfo { name: kv_proto::Key::new(n).unwrap(), expiration: None, metadata: None };
/// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
/// let send = |op: &ListKeys| Ok(match op.get_cursor() {
///     None => KeyPage { keys: vec![key("a")], cursor: Some("c1".into()), count: None },
///     Some(_) => KeyPage { keys: vec![key("b")], cursor: None, count: None },
/// });
/// assert_eq!(next_page(&mut pager, send).unwrap()?[0].name, "a");
/// assert_eq!(next_page(&mut pager, send).unwrap()?[0].name, "b");
/// assert!(next_page(&mut pager, send).is_none());
/// assert!(pager.finish()?.is_empty());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub trait Pager: Plan<Report = Result<Vec<<Self as Pager>::Item>, Error>> {
    /// What a page lists.
    type Item;

    /// The items of the pages handled since the last call, in order.
    fn take_items(&mut self) -> Vec<Self::Item>;

    /// The error that ended the walk (a failed request, or a server that would make the walk
    /// loop), once: the walk stays over, and [`finish`](Plan::finish) no longer returns it.
    fn take_error(&mut self) -> Option<Error>;
}

/// The [`Plan`] bookkeeping both pagers share: one request in flight at a time, the items
/// not yet taken, and the error that ended the walk.
#[derive(Debug)]
struct Walk<T> {
    in_flight: Option<u64>,
    next_ticket: u64,
    items: Vec<T>,
    error: Option<Error>,
    /// An error ended the walk (even once taken).
    ended: bool,
    /// Items handed to the pager so far.
    seen: u64,
}

impl<T> Default for Walk<T> {
    fn default() -> Self {
        Walk {
            in_flight: None,
            next_ticket: 0,
            items: Vec::new(),
            error: None,
            ended: false,
            seen: 0,
        }
    }
}

impl<T> Walk<T> {
    /// Hands out `op` under a new ticket, unless the walk is over or a request is in flight.
    fn poll<Op>(&mut self, op: impl FnOnce() -> Option<Op>) -> Poll<Op> {
        if self.ended {
            return Poll::Done;
        }
        if self.in_flight.is_some() {
            return Poll::Idle;
        }
        match op() {
            None => Poll::Done,
            Some(op) => {
                let ticket = self.next_ticket;
                self.next_ticket += 1;
                self.in_flight = Some(ticket);
                Poll::Send(Ticket(ticket), op)
            }
        }
    }

    /// The page answering `ticket`, if it is the one in flight (others are ignored).
    fn answer<P>(&mut self, ticket: Ticket, outcome: Result<P, Error>) -> Option<P> {
        if self.in_flight != Some(ticket.0) {
            return None;
        }
        self.in_flight = None;
        match outcome {
            Ok(page) => Some(page),
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// Buffers a page's items, or records the error that ends the walk.
    fn accept(&mut self, items: Result<Vec<T>, Error>) {
        match items {
            Ok(items) => {
                self.seen += items.len() as u64;
                if self.items.is_empty() {
                    // Keep the page's Vec as it is (no copy of the items).
                    self.items = items;
                } else {
                    self.items.extend(items);
                }
            }
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, error: Error) {
        self.error = Some(error);
        self.ended = true;
    }

    fn progress(&self, done: bool) -> Progress {
        Progress {
            done: self.seen,
            failed: 0,
            in_flight: 0,
            queued_for_retry: 0,
            total_known: self.seen,
            exhausted: done,
            total: done.then_some(self.seen),
        }
    }

    fn finish(self) -> Result<Vec<T>, Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.items),
        }
    }
}

/// Walks every page of [`ListKeys`] by cursor.
///
/// - The next request keeps the first request's namespace, `prefix` and `limit` (the API wants
///   `prefix` sent again with every cursor) and carries the cursor of the last page.
/// - It stops only when a page has no cursor (missing, `null` or `""`), never on an empty
///   page: a page can be empty while more keys remain (expired and deleted keys still have to
///   be walked).
/// - If the server hands out a cursor it already gave (or the one the pager started from),
///   the walk ends with an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error (the
///   page's keys are dropped, as they repeat an earlier position) instead of looping forever. Every cursor seen is kept in a set (one
///   string per page: a walk of 10 million keys at 1,000 per page keeps 10,000 cursors).
///
/// ```
/// use kv_proto::{KeyInfo, KeyPage, KeyPager, ListKeys, NamespaceId, Pager, Plan, Poll};
/// use std::time::Instant;
///
/// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?).prefix("user:"));
/// let key = |n: &str| KeyInfo { name: kv_proto::Key::new(n).unwrap(), expiration: None, metadata: None };
/// // The shell's loop: `let outcome = transport.execute(&op); pager.handle(ticket, outcome)`.
/// let mut all = Vec::new();
/// let mut server = vec![
///     KeyPage { keys: vec![key("user:a")], cursor: Some("c1".into()), count: None },
///     KeyPage { keys: vec![], cursor: Some("c2".into()), count: None }, // empty, not the end
///     KeyPage { keys: vec![key("user:b")], cursor: None, count: None },
/// ]
/// .into_iter();
/// while let Poll::Send(ticket, op) = pager.poll(Instant::now()) {
///     assert_eq!(op.get_prefix(), Some("user:"));
///     pager.handle(ticket, Ok(server.next().unwrap()));
///     all.extend(pager.take_items());
/// }
/// assert_eq!(all.len(), 2);
/// assert_eq!((pager.pages_fetched(), pager.keys_seen()), (3, 2));
/// assert!(pager.finish()?.is_empty()); // everything was taken
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct KeyPager {
    /// The request for the next page (`None` once done).
    next: Option<ListKeys>,
    seen: HashSet<String>,
    pages: u64,
    walk: Walk<KeyInfo>,
}

impl KeyPager {
    /// A pager starting at `first` (its cursor, if any, is where the walk resumes).
    ///
    /// ```
    /// use kv_proto::{KeyPager, ListKeys, NamespaceId, Plan, Poll};
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?).cursor("saved"));
    /// assert_eq!(pager.cursor(), Some("saved"));
    /// assert!(!pager.is_done());
    /// let Poll::Send(_, op) = pager.poll(std::time::Instant::now()) else { panic!() };
    /// assert_eq!(op.get_cursor(), Some("saved"));
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
            walk: Walk::default(),
        }
    }

    /// Takes the page answering the last request and returns its keys.
    fn accept(&mut self, page: KeyPage) -> Result<Vec<KeyInfo>, Error> {
        let Some(current) = self.next.take() else {
            return Ok(Vec::new());
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
        Ok(page.keys)
    }

    /// True once the walk is over (last page handled, or an error ended it).
    ///
    /// ```
    /// use kv_proto::{KeyPage, KeyPager, ListKeys, NamespaceId, Plan, Poll};
    /// let mut pager = KeyPager::new(ListKeys::new(NamespaceId::new("ns1")?));
    /// let Poll::Send(t, _) = pager.poll(std::time::Instant::now()) else { panic!() };
    /// pager.handle(t, Ok(KeyPage::default()));
    /// assert!(pager.is_done());
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn is_done(&self) -> bool {
        self.next.is_none() || self.walk.ended
    }

    /// The cursor the next request will carry (save it to resume a walk later).
    pub fn cursor(&self) -> Option<&str> {
        self.next.as_ref().and_then(ListKeys::get_cursor)
    }

    /// Pages handled so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Keys handed out so far.
    pub fn keys_seen(&self) -> u64 {
        self.walk.seen
    }
}

impl Plan for KeyPager {
    type Op = ListKeys;
    type Report = Result<Vec<KeyInfo>, Error>;

    /// The request for the next page; [`Poll::Idle`] while one is in flight;
    /// [`Poll::Done`] once the walk is over.
    fn poll(&mut self, _now: Instant) -> Poll<ListKeys> {
        let next = &self.next;
        self.walk.poll(|| next.clone())
    }

    /// Takes the page (or the error) answering the request in flight; other tickets are
    /// ignored. An `Err`, or a cursor the server already gave, ends the walk.
    fn handle(&mut self, ticket: Ticket, outcome: Result<KeyPage, Error>) {
        if let Some(page) = self.walk.answer(ticket, outcome) {
            let keys = self.accept(page);
            self.walk.accept(keys);
        }
    }

    /// `done` and `total_known` count the keys handed out; `exhausted` is [`KeyPager::is_done`].
    fn progress(&self) -> Progress {
        self.walk.progress(self.is_done())
    }

    /// The keys not yet taken, or the error that ended the walk.
    fn finish(self) -> Result<Vec<KeyInfo>, Error> {
        self.walk.finish()
    }
}

impl Pager for KeyPager {
    type Item = KeyInfo;

    fn take_items(&mut self) -> Vec<KeyInfo> {
        std::mem::take(&mut self.walk.items)
    }

    fn take_error(&mut self) -> Option<Error> {
        self.walk.error.take()
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
/// twice in a row ends the walk with an [`ErrorKind::Protocol`](crate::ErrorKind::Protocol)
/// error instead of looping.
///
/// ```
/// use kv_proto::{ListNamespaces, Namespace, NamespacePage, NamespacePager, Pager, Plan, Poll};
/// use std::time::Instant;
///
/// let mut pager = NamespacePager::new(ListNamespaces::new().per_page(5)?);
/// let ns = |i: u32| Namespace {
///     id: kv_proto::NamespaceId::new(format!("id{i}")).unwrap(), title: format!("t{i}"), supports_url_encoding: None,
///     jurisdiction: None, mode: None, beta: None,
/// };
/// let now = Instant::now();
/// let Poll::Send(t, op) = pager.poll(now) else { panic!() };
/// assert_eq!((op.get_page(), op.get_per_page()), (Some(1), Some(5)));
/// pager.handle(t, Ok(NamespacePage { namespaces: (0..5).map(ns).collect(), info: None }));
/// let Poll::Send(t, op) = pager.poll(now) else { panic!() };
/// assert_eq!(op.get_page(), Some(2));
/// // A short page ends the walk.
/// pager.handle(t, Ok(NamespacePage { namespaces: vec![ns(5)], info: None }));
/// assert!(matches!(pager.poll(now), Poll::Done));
/// assert_eq!((pager.pages_fetched(), pager.namespaces_seen()), (2, 6));
/// assert_eq!(pager.finish()?.len(), 6); // never taken: all in the report
/// # Ok::<(), kv_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct NamespacePager {
    template: ListNamespaces,
    page: u32,
    per_page: u32,
    done: bool,
    pages: u64,
    previous_ids: Vec<String>,
    walk: Walk<Namespace>,
}

impl NamespacePager {
    /// A pager starting at `first`'s page (1 if unset), with its `per_page` (100 if unset),
    /// order and direction.
    ///
    /// ```
    /// use kv_proto::{ListNamespaces, NamespacePager, Plan, Poll};
    /// let mut pager = NamespacePager::new(ListNamespaces::new());
    /// let Poll::Send(_, op) = pager.poll(std::time::Instant::now()) else { panic!() };
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
            previous_ids: Vec::new(),
            walk: Walk::default(),
        }
    }

    /// The request for the current page.
    fn request(&self) -> Option<ListNamespaces> {
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

    /// Takes the page answering the last request and returns its namespaces.
    fn accept(&mut self, page: NamespacePage) -> Result<Vec<Namespace>, Error> {
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
            self.previous_ids = page.namespaces.iter().map(|ns| ns.id.to_string()).collect();
        }
        Ok(page.namespaces)
    }

    /// True once the walk is over (last page handled, or an error ended it).
    pub fn is_done(&self) -> bool {
        self.done || self.walk.ended
    }

    /// Pages handled so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Namespaces handed out so far.
    pub fn namespaces_seen(&self) -> u64 {
        self.walk.seen
    }
}

impl Plan for NamespacePager {
    type Op = ListNamespaces;
    type Report = Result<Vec<Namespace>, Error>;

    /// The request for the next page; [`Poll::Idle`] while one is in flight;
    /// [`Poll::Done`] once the walk is over.
    fn poll(&mut self, _now: Instant) -> Poll<ListNamespaces> {
        let next = self.request();
        self.walk.poll(|| next)
    }

    /// Takes the page (or the error) answering the request in flight; other tickets are
    /// ignored. An `Err`, or a page that repeats the previous one, ends the walk.
    fn handle(&mut self, ticket: Ticket, outcome: Result<NamespacePage, Error>) {
        if let Some(page) = self.walk.answer(ticket, outcome) {
            let namespaces = self.accept(page);
            self.walk.accept(namespaces);
        }
    }

    /// `done` and `total_known` count the namespaces handed out; `exhausted` is
    /// [`NamespacePager::is_done`].
    fn progress(&self) -> Progress {
        self.walk.progress(self.is_done())
    }

    /// The namespaces not yet taken, or the error that ended the walk.
    fn finish(self) -> Result<Vec<Namespace>, Error> {
        self.walk.finish()
    }
}

impl Pager for NamespacePager {
    type Item = Namespace;

    fn take_items(&mut self) -> Vec<Namespace> {
        std::mem::take(&mut self.walk.items)
    }

    fn take_error(&mut self) -> Option<Error> {
        self.walk.error.take()
    }
}
