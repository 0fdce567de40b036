//! Bulk jobs: [`NamespaceHandle::bulk_write`], [`NamespaceHandle::bulk_delete`] and
//! [`NamespaceHandle::bulk_get`] build a [`BulkJob`], a small builder that runs kv-proto's
//! [`BulkPlan`](kv_proto::BulkPlan) on threads and returns the plan's report.

use std::fmt;
use std::time::{Duration, Instant};

use kv_proto::{
    BulkDelete, BulkGet, BulkOp, BulkPlan, BulkWrite, BulkWriteItem, Error, IntoBulkItem, IntoKey,
    PlanConfig, Progress,
};

use crate::client::check_concurrency;
use crate::driver::{self, ProgressFn};
use crate::namespace::NamespaceHandle;

/// A bulk job being configured: the template of its requests (which carries every request
/// flag), its input, and how to run it. Built by [`NamespaceHandle::bulk_write`],
/// [`bulk_delete`](NamespaceHandle::bulk_delete) and [`bulk_get`](NamespaceHandle::bulk_get);
/// [`run`](BulkJob::run) returns the plan's report ([`BulkReport`](kv_proto::BulkReport) or
/// [`BulkGetReport`](kv_proto::BulkGetReport)).
///
/// ```no_run
/// # let client = kv_ureq::Client::from_env()?;
/// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
/// ns.put("a", "1")?;
/// let job = ns.bulk_delete(["a", ".."]); // a BulkDeleteJob: nothing sent yet
/// assert!(ns.get("a")?.is_some());
/// let report = job.run()?;
/// assert_eq!(ns.get("a")?, None);
/// assert_eq!((report.requested, report.succeeded), (2, 1));
/// assert_eq!((report.failed[0].key.as_str(), report.failed[0].attempts), ("..", 0));
/// assert!(report.failed[0].error.is_invalid_input());
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[must_use = "a bulk job does nothing until .run() is called"]
pub struct BulkJob<'a, O, I> {
    ns: &'a NamespaceHandle,
    template: O,
    input: I,
    config: PlanConfig,
    concurrency: Option<usize>,
    deadline: Option<Duration>,
    on_progress: Option<ProgressFn<'a>>,
}

/// A bulk write being configured; see [`NamespaceHandle::bulk_write`].
pub type BulkWriteJob<'a, I> = BulkJob<'a, BulkWrite, I>;
/// A bulk delete being configured; see [`NamespaceHandle::bulk_delete`].
pub type BulkDeleteJob<'a, I> = BulkJob<'a, BulkDelete, I>;
/// A bulk read being configured; see [`NamespaceHandle::bulk_get`].
pub type BulkGetJob<'a, I> = BulkJob<'a, BulkGet, I>;

impl<O: fmt::Debug, I> fmt::Debug for BulkJob<'_, O, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkJob")
            .field("template", &self.template)
            .field("config", &self.config)
            .field("concurrency", &self.concurrency)
            .field("on_progress", &self.on_progress.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a, O, I> BulkJob<'a, O, I>
where
    O: BulkOp,
    I: Iterator + Send,
    I::Item: IntoBulkItem<O::Item>,
{
    fn new(ns: &'a NamespaceHandle, template: O, input: I) -> Self {
        BulkJob {
            ns,
            template,
            input,
            config: PlanConfig::default().with_jitter_seed(ns.client.next_jitter_seed()),
            concurrency: None,
            deadline: None,
            on_progress: None,
        }
    }

    /// Requests in flight at once, each on its own thread over the client's one
    /// connection pool (default [`Client::concurrency`](crate::Client::concurrency);
    /// 0 makes [`run`](Self::run) fail).
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let report = ns.bulk_delete((0..20).map(|i| format!("k{i}"))).batch_size(2).concurrency(3).run()?;
    /// assert_eq!(report.succeeded, 20);
    /// assert!(ns.bulk_delete(["k"]).concurrency(0).run().is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// Keys (or items) per request; see [`PlanConfig::with_max_batch_items`] for the
    /// defaults and limits (checked by [`run`](Self::run)).
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let report = ns.bulk_delete(["a", "b", "c", "d", "e"]).batch_size(2).run()?;
    /// assert_eq!(report.requests_sent, 3); // 2 + 2 + 1 keys
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn batch_size(mut self, n: usize) -> Self {
        self.config = self.config.with_max_batch_items(n);
        self
    }

    /// Replaces the plan's settings (batch size, body budget, re-sends of unsuccessful
    /// keys and their backoff, stop on error). The jitter seed is kept as given.
    ///
    /// ```no_run
    /// use kv_ureq::PlanConfig;
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let config = PlanConfig::new().with_max_batch_items(2).with_max_key_attempts(1);
    /// let report = ns.bulk_delete(["a", "b", "c"]).config(config).run()?;
    /// assert_eq!(report.requests_sent, 2);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn config(mut self, config: PlanConfig) -> Self {
        self.config = config;
        self
    }

    /// Called after each response is handled, with the plan's [`Progress`].
    ///
    /// It runs on the worker thread that received the response (the calling thread or
    /// one of the job's threads), while that worker holds the job's lock: calls never
    /// overlap and their counts only grow, but other workers wait while it runs, so keep
    /// it short (print, update a bar, send to a channel).
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let mut calls = Vec::new();
    /// let report = ns
    ///     .bulk_delete(["a", "b", "c"])
    ///     .batch_size(1)
    ///     .concurrency(1)
    ///     .on_progress(|p| calls.push(p.done))
    ///     .run()?;
    /// assert_eq!(report.succeeded, 3);
    /// assert_eq!(calls, [1, 2, 3]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Runs the job to the end on the calling thread plus `concurrency - 1` scoped threads, and
    /// returns the plan's report.
    ///
    /// The job stops early on a fatal answer ([`Error::is_fatal`]: bad credentials, a
    /// namespace that does not exist, the daily quota): at most `concurrency` more requests
    /// go out after it, and the keys never sent are listed in the report's `not_attempted`.
    /// The report counts every HTTP request sent (`requests_sent`, retries included) and,
    /// per failed key, how often it was sent and whether it may have been applied.
    ///
    /// # Errors
    /// Only for configuration, before anything is sent (concurrency 0, a [`PlanConfig`]
    /// value out of range). Whatever happened on the wire is in the report: to treat a job
    /// that stopped or left any key failed as an error, call `into_result()` on it
    /// (`ns.bulk_write(items).run()?.into_result()?`).
    ///
    /// # Example
    /// ```no_run
    /// use kv_ureq::{BulkWriteItem, Key};
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let item = BulkWriteItem::text(Key::new("greeting")?, "hello")?;
    /// let report = ns.bulk_write([item]).run()?;
    /// assert!(report.is_success());
    /// assert_eq!(report.succeeded, 1);
    /// assert_eq!(ns.get_text("greeting")?.as_deref(), Some("hello"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn run(self) -> Result<O::Report, Error> {
        let concurrency = check_concurrency(
            self.concurrency
                .unwrap_or_else(|| self.ns.client.concurrency()),
        )?;
        let plan = BulkPlan::<O, I>::new(self.template, self.input, self.config)?;
        let deadline = self.deadline.and_then(|d| Instant::now().checked_add(d));
        Ok(driver::run(
            &self.ns.client,
            plan,
            concurrency,
            self.on_progress,
            deadline,
        ))
    }

    /// A deadline for the whole job, counted from [`run`](BulkJob::run): after it (or as soon
    /// as a request gives up because its next retry would end past it) nothing new is sent,
    /// no retry or wait ends past it, the requests in flight still come back, and
    /// the keys never sent are listed in the report's `not_attempted` with
    /// [`ErrorKind::DeadlineExceeded`](kv_proto::ErrorKind::DeadlineExceeded) as its
    /// `stopped` reason. Default: none.
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// let report = ns.bulk_delete(["a", "b"]).deadline(std::time::Duration::ZERO).run()?;
    /// assert_eq!(report.not_attempted, ["a", "b"]);
    /// assert!(report.stopped.as_ref().unwrap().is_deadline_exceeded());
    /// assert!(report.into_result().is_err());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.deadline = deadline.into();
        self
    }
}

impl<I> BulkJob<'_, BulkDelete, I> {
    /// Sends the legacy `DELETE .../bulk` (JSON body) instead of `POST .../bulk/delete`
    /// ([`BulkDelete::legacy_delete_method`] on the job's template).
    ///
    /// ```
    /// use kv_ureq::{AccountId, Auth, Client};
    ///
    /// let client = Client::builder(Auth::api_token("t")?, AccountId::new("acc")?)
    ///     .transport(|req: http::Request<Vec<u8>>, _max: u64| {
    ///         assert_eq!(req.method(), http::Method::DELETE);
    ///         assert!(req.uri().path().ends_with("/bulk"));
    ///         let ok = r#"{"success":true,"errors":[],"messages":[],"result":{"successful_key_count":1,"unsuccessful_keys":[]}}"#;
    ///         Ok(http::Response::builder().status(200).body(ok.as_bytes().to_vec()).unwrap())
    ///     })
    ///     .build()?;
    /// let report = client.namespace("ns1")?.bulk_delete(["a"]).legacy_delete_method().run()?;
    /// assert_eq!(report.succeeded, 1);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn legacy_delete_method(mut self) -> Self {
        self.template = self.template.legacy_delete_method();
        self
    }
}

impl<I> BulkJob<'_, BulkGet, I> {
    /// Parses values as JSON (`type: json`, [`BulkGet::json`] on the job's template); a value
    /// that is not JSON fails its whole request on the server's side.
    ///
    /// ```no_run
    /// use kv_ureq::BulkValue;
    /// use serde_json::json;
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("cfg", r#"{"debug":true}"#)?;
    /// let report = ns.bulk_get(["cfg"]).json().run()?;
    /// assert_eq!(report.values.get("cfg"), Some(&BulkValue::Json(json!({"debug": true}))));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn json(mut self) -> Self {
        self.template = self.template.json();
        self
    }

    /// Returns each value with its metadata and expiry (`withMetadata: true`,
    /// [`BulkGet::with_metadata`] on the job's template).
    ///
    /// ```no_run
    /// use serde_json::json;
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put_with("a", "1").metadata(json!({"v": 2})).send()?;
    /// let report = ns.bulk_get(["a", "a", "b"]).with_metadata().run()?;
    /// assert_eq!((report.requested, report.duplicates), (2, 1)); // distinct keys, repeats
    /// let value = &report.values.get("a").unwrap();
    /// assert_eq!(value.metadata(), Some(&json!({"v": 2})));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn with_metadata(mut self) -> Self {
        self.template = self.template.with_metadata();
        self
    }
}

impl NamespaceHandle {
    /// A bulk write of any number of items, from any iterator (pulled lazily). Configure,
    /// then [`run`](BulkWriteJob::run).
    ///
    /// Items are packed into `PUT .../bulk` requests of at most 1,000 items and 99 MB
    /// (configurable), sent N at a time, each with retries and pacing; keys the server
    /// reports unsuccessful are re-sent after a backoff. The iterator must be `Send` (it is
    /// pulled by whichever worker thread forms the next batch).
    ///
    /// ```no_run
    /// use kv_ureq::{BulkWriteItem, Key, Metadata};
    /// use serde_json::json;
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    ///
    /// let items = (0..10_000).map(|i| {
    ///     BulkWriteItem::text(Key::new(format!("user:{i}"))?, format!("value {i}"))
    ///         .map(|item| item.metadata(Metadata::new(json!({"n": i})).unwrap()))
    /// });
    /// let items: Vec<BulkWriteItem> = items.collect::<Result<_, _>>()?;
    /// let report = ns
    ///     .bulk_write(items)
    ///     .concurrency(4)
    ///     .on_progress(|p| eprintln!("{} written, {} failed", p.done, p.failed))
    ///     .run()?;
    /// assert!(report.is_success(), "not written: {:?}", report.failed_keys().collect::<Vec<_>>());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn bulk_write<I>(&self, items: I) -> BulkWriteJob<'_, I::IntoIter>
    where
        I: IntoIterator<Item = BulkWriteItem>,
        I::IntoIter: Send,
    {
        BulkJob::new(
            self,
            BulkWrite::template(self.id.clone()),
            items.into_iter(),
        )
    }

    /// A bulk delete of any number of keys (`Key`s or strings), from any iterator (pulled
    /// lazily). Configure, then [`run`](BulkDeleteJob::run).
    ///
    /// Keys go in `POST .../bulk/delete` requests of at most 1,000 (configurable up to
    /// 10,000). A string that is not a valid key is not sent: it is listed in the report's
    /// `failed` with its error and `attempts: 0`, and the job goes on (a lazy million-key
    /// iterator cannot be checked up front).
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// let report = ns.bulk_delete((0..5000).map(|i| format!("user:{i}"))).run()?;
    /// println!("{} deleted in {} requests", report.succeeded, report.requests_sent);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn bulk_delete<I>(&self, keys: I) -> BulkDeleteJob<'_, I::IntoIter>
    where
        I: IntoIterator,
        I::Item: IntoKey,
        I::IntoIter: Send,
    {
        BulkJob::new(
            self,
            BulkDelete::template(self.id.clone()),
            keys.into_iter(),
        )
    }

    /// A bulk read of any number of keys (`Key`s or strings), from any iterator (pulled
    /// lazily). Configure, then [`run`](BulkGetJob::run); the values are in
    /// [`BulkGetReport::values`](kv_proto::BulkGetReport::values).
    ///
    /// Keys go in `POST .../bulk/get` requests of at most 100 (the API's limit). Values
    /// come back as text unless [`json`](BulkGetJob::json) is set; add
    /// [`with_metadata`](BulkGetJob::with_metadata) for metadata and expiry. Duplicate keys
    /// are read once; invalid strings are reported failed as in [`bulk_delete`](Self::bulk_delete).
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// let report = ns.bulk_get(["a", "b", "c"]).with_metadata().run()?;
    /// for (key, value) in &report.values {
    ///     println!("{key}: {:?} {:?}", value.as_text(), value.metadata());
    /// }
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn bulk_get<I>(&self, keys: I) -> BulkGetJob<'_, I::IntoIter>
    where
        I: IntoIterator,
        I::Item: IntoKey,
        I::IntoIter: Send,
    {
        BulkJob::new(self, BulkGet::template(self.id.clone()), keys.into_iter())
    }
}
