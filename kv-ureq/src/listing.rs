//! The lazy paging iterators [`Keys`] and [`Namespaces`]: kv-proto's pagers walked one page
//! request at a time through [`Client::execute`].

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;
use std::time::Instant;

use kv_proto::{
    Direction, Error, KeyInfo, KeyPager, ListKeys, ListNamespaces, Namespace, NamespaceOrder,
    NamespacePager, Pager, Poll,
};

use crate::client::Client;

/// Every key of a namespace (or of a prefix), fetched lazily: a page is requested when the
/// previous one has been consumed. Made by [`NamespaceHandle::keys`](crate::NamespaceHandle::keys).
///
/// Paging follows kv-proto's [`KeyPager`]: it stops only on a missing or blank cursor (never
/// on an empty page) and refuses a repeated cursor. Each page request goes through
/// [`Client::execute`] (retries, pacing, the client's deadline), like any read. After an error
/// (also an invalid [`limit`](Self::limit)) the iterator yields that error once and then ends.
///
/// **Resuming.** After an `Err` item, [`resume`](Self::resume) gives the walk back: its next
/// item comes from the page that failed, asked for again, and nothing already yielded is
/// repeated. To resume in another process, save [`cursor`](Self::cursor) and start a new
/// walk with [`from_cursor`](Self::from_cursor).
///
/// ```no_run
/// # let client = kv_ureq::Client::from_env()?;
/// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
/// for i in 0..25 {
///     ns.put(format!("k{i:02}"), "v")?;
/// }
/// let mut keys = ns.keys().limit(10);
/// let first = keys.next().unwrap()?;
/// assert_eq!(first.name, "k00");
/// assert_eq!(keys.count(), 24); // the rest, two more pages
/// # Ok::<(), kv_ureq::Error>(())
/// ```
pub struct Keys {
    client: Client,
    first: ListKeys,
    walk: Walk<KeyPager>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("first", &self.first)
            .field("pages_fetched", &self.pages_fetched())
            .field("buffered", &self.walk.buffer.len())
            .field("finished", &self.walk.finished)
            .finish()
    }
}

impl Keys {
    /// A walk of `first`'s listing (nothing is sent yet).
    pub(crate) fn new(client: Client, first: ListKeys) -> Keys {
        Keys {
            client,
            first,
            walk: Walk::default(),
        }
    }

    /// Only keys starting with `prefix`. Call before iterating (it restarts the listing).
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("a/1", "v")?;
    /// ns.put("b/1", "v")?;
    /// let names: Vec<kv_ureq::Key> = ns.keys().prefix("b/").map(|k| k.map(|k| k.name)).collect::<Result<_, _>>()?;
    /// assert_eq!(names, ["b/1"]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.first = self.first.clone().prefix(prefix);
        self.walk.restart();
        self
    }

    /// Asks for `limit` keys per page (10..=1000; the server's default is 1000). An
    /// out-of-range limit is yielded as the iterator's only item. Call before iterating.
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// for i in 0..15 {
    ///     ns.put(format!("k{i}"), "v")?;
    /// }
    /// assert_eq!(ns.keys().limit(10).count(), 15);
    /// let mut bad = ns.keys().limit(5); // below 10: the only item is the error
    /// assert!(bad.next().unwrap().unwrap_err().is_invalid_input());
    /// assert!(bad.next().is_none());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn limit(mut self, limit: u32) -> Self {
        match self.first.clone().limit(limit) {
            Ok(op) => self.first = op,
            Err(e) => self.walk.pending = Some(e),
        }
        self.walk.restart();
        self
    }

    /// Starts the walk at `cursor` (one saved from [`cursor`](Self::cursor)). Call before
    /// iterating (it restarts the listing).
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// for i in 0..25 {
    ///     ns.put(format!("k{i:02}"), "v")?;
    /// }
    /// let mut keys = ns.keys().limit(10);
    /// let first_page: Vec<_> = keys.by_ref().take(10).collect::<Result<_, _>>()?;
    /// let saved = keys.cursor().expect("more pages");
    /// // Later, maybe in another process:
    /// let rest: Vec<_> = ns.keys().limit(10).from_cursor(saved).collect::<Result<_, _>>()?;
    /// assert_eq!((first_page.len(), rest.len()), (10, 15));
    /// assert_eq!(rest[0].name, "k10");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn from_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.first = self.first.clone().cursor(cursor.into());
        self.walk.restart();
        self
    }

    /// The cursor of the next page to fetch: `None` before the first page and once the last
    /// page has been fetched. Keys still buffered from the current page (see
    /// [`buffered`](Self::buffered)) come before it: save it when `buffered()` is 0 to resume
    /// exactly where the iteration stands.
    pub fn cursor(&self) -> Option<String> {
        self.walk
            .pager
            .as_ref()
            .and_then(|p| p.cursor().map(str::to_owned))
    }

    /// Keys fetched but not yet yielded.
    pub fn buffered(&self) -> usize {
        self.walk.buffer.len()
    }

    /// After an `Err` item, gives the walk back: the page that failed is asked for again on
    /// the next call to `next`, and nothing already yielded is repeated. A walk that ended
    /// because the server repeated a cursor stays over.
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// let mut keys = ns.keys();
    /// let mut names = Vec::new();
    /// loop {
    ///     match keys.next() {
    ///         Some(Ok(k)) => names.push(k.name),
    ///         Some(Err(e)) if e.is_retryable() => keys = keys.resume(), // e.g. after a pause
    ///         Some(Err(e)) => return Err(e),
    ///         None => break,
    ///     }
    /// }
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn resume(mut self) -> Self {
        self.walk.resume();
        self
    }

    /// HTTP requests sent for this walk so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.walk.pager.as_ref().map_or(0, KeyPager::requests_sent)
    }

    /// Pages fetched so far.
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// for i in 0..25 {
    ///     ns.put(format!("k{i}"), "v")?;
    /// }
    /// let mut keys = ns.keys().limit(10);
    /// assert_eq!(keys.pages_fetched(), 0); // lazy
    /// keys.next();
    /// assert_eq!(keys.pages_fetched(), 1);
    /// keys.by_ref().for_each(drop);
    /// assert_eq!(keys.pages_fetched(), 3);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn pages_fetched(&self) -> u64 {
        self.walk.pager.as_ref().map_or(0, KeyPager::pages_fetched)
    }
}

impl Iterator for Keys {
    type Item = Result<KeyInfo, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let first = &self.first;
        self.walk
            .next(&self.client, || KeyPager::new(first.clone()))
    }
}

impl FusedIterator for Keys {}

/// Every namespace of the account, fetched lazily page by page. Made by
/// [`Client::namespaces`].
///
/// Paging follows kv-proto's [`NamespacePager`]; each page goes through [`Client::execute`].
/// An error is yielded once and ends the iteration; [`resume`](Self::resume) asks for the
/// failed page again.
///
/// ```no_run
/// # let client = kv_ureq::Client::from_env()?;
/// client.create_namespace("a")?;
/// client.create_namespace("b")?;
/// let titles: Vec<String> = client.namespaces().map(|n| n.map(|n| n.title)).collect::<Result<_, _>>()?;
/// assert_eq!(titles.len(), 2);
/// # Ok::<(), kv_ureq::Error>(())
/// ```
pub struct Namespaces {
    client: Client,
    first: ListNamespaces,
    walk: Walk<NamespacePager>,
}

impl fmt::Debug for Namespaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespaces")
            .field("first", &self.first)
            .field("buffered", &self.walk.buffer.len())
            .field("finished", &self.walk.finished)
            .finish()
    }
}

impl Namespaces {
    /// A walk of every namespace of the account (nothing is sent yet).
    pub(crate) fn new(client: Client) -> Namespaces {
        Namespaces {
            client,
            first: ListNamespaces::new(),
            walk: Walk::default(),
        }
    }

    /// Sorts by id or title. Call before iterating.
    ///
    /// ```no_run
    /// use kv_ureq::NamespaceOrder;
    /// # let client = kv_ureq::Client::from_env()?;
    /// for title in ["b", "c", "a"] {
    ///     client.create_namespace(title)?;
    /// }
    /// let titles: Vec<String> = client
    ///     .namespaces()
    ///     .order(NamespaceOrder::Title)
    ///     .map(|n| n.map(|n| n.title))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(titles, ["a", "b", "c"]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn order(mut self, order: NamespaceOrder) -> Self {
        self.first = self.first.clone().order(order);
        self.walk.restart();
        self
    }

    /// Sort direction. Call before iterating.
    ///
    /// ```no_run
    /// use kv_ureq::{Direction, NamespaceOrder};
    /// # let client = kv_ureq::Client::from_env()?;
    /// for title in ["b", "c", "a"] {
    ///     client.create_namespace(title)?;
    /// }
    /// let titles: Vec<String> = client
    ///     .namespaces()
    ///     .order(NamespaceOrder::Title)
    ///     .direction(Direction::Desc)
    ///     .map(|n| n.map(|n| n.title))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(titles, ["c", "b", "a"]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn direction(mut self, direction: Direction) -> Self {
        self.first = self.first.clone().direction(direction);
        self.walk.restart();
        self
    }

    /// Namespaces per page (5..=100, default 100). An out-of-range value is yielded as the
    /// iterator's only item. Call before iterating.
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// for i in 0..7 {
    ///     client.create_namespace(format!("ns-{i}"))?;
    /// }
    /// assert_eq!(client.namespaces().per_page(5).count(), 7); // two pages
    /// let mut bad = client.namespaces().per_page(1);
    /// assert!(bad.next().unwrap().unwrap_err().is_invalid_input());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn per_page(mut self, per_page: u32) -> Self {
        match self.first.clone().per_page(per_page) {
            Ok(op) => self.first = op,
            Err(e) => self.walk.pending = Some(e),
        }
        self.walk.restart();
        self
    }

    /// After an `Err` item, gives the walk back: the page that failed is asked for again on
    /// the next call to `next`; nothing already yielded is repeated.
    pub fn resume(mut self) -> Self {
        self.walk.resume();
        self
    }
}

impl Iterator for Namespaces {
    type Item = Result<Namespace, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let first = &self.first;
        self.walk
            .next(&self.client, || NamespacePager::new(first.clone()))
    }
}

impl FusedIterator for Namespaces {}

/// The lazy page walk behind [`Keys`] and [`Namespaces`]: one page request (through
/// [`Client::execute`]) whenever the buffered items run out; an error is yielded once and
/// ends the walk. The pager decides everything else.
struct Walk<P: Pager> {
    pager: Option<P>,
    buffer: VecDeque<P::Item>,
    /// An error found while configuring (e.g. a bad limit), yielded before any request.
    pending: Option<Error>,
    finished: bool,
}

impl<P: Pager> Default for Walk<P> {
    fn default() -> Self {
        Walk {
            pager: None,
            buffer: VecDeque::new(),
            pending: None,
            finished: false,
        }
    }
}

impl<P: Pager> Walk<P> {
    /// Forgets the pages walked so far (the listing's parameters changed); a pending
    /// configuration error is kept.
    fn restart(&mut self) {
        self.pager = None;
        self.buffer.clear();
        self.finished = false;
    }

    /// Reopens a walk an error ended (a configuration error stays final).
    fn resume(&mut self) {
        if let Some(pager) = self.pager.as_mut() {
            pager.resume();
            self.finished = false;
        }
    }

    fn next(&mut self, client: &Client, start: impl Fn() -> P) -> Option<Result<P::Item, Error>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(Ok(item));
            }
            if self.finished {
                return None;
            }
            if let Some(e) = self.pending.take() {
                self.finished = true;
                return Some(Err(e));
            }
            let pager = self.pager.get_or_insert_with(&start);
            // A pager has one request at a time and never waits: anything but `Send` is the end.
            let Poll::Send(ticket, op) = pager.poll(Instant::now()) else {
                self.finished = true;
                return None;
            };
            pager.handle(ticket, client.execute_outcome(&op));
            if let Some(e) = pager.take_error() {
                self.finished = true;
                return Some(Err(e));
            }
            // The buffer is empty here: take the page's Vec as it is (no copy of the items).
            self.buffer = VecDeque::from(pager.take_items());
        }
    }
}
