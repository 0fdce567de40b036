//! Bulk jobs: [`NamespaceHandle::bulk_write`], [`NamespaceHandle::bulk_delete`] and
//! [`NamespaceHandle::bulk_get`], small builders that run kv-proto's bulk plans on threads.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kv_proto::{
    BulkDelete, BulkDeletePlan, BulkGet, BulkGetPlan, BulkGetReport, BulkReport, BulkWrite,
    BulkWriteItem, BulkWritePlan, Error, Key, PlanConfig, Poll, Progress, Ticket,
};

use crate::args::IntoKey;
use crate::client::check_concurrency;
use crate::driver::{self, Plan, ProgressFn};
use crate::namespace::NamespaceHandle;

macro_rules! impl_plan {
    ($plan:ident, $item:ty, $op:ty) => {
        impl<I: Iterator<Item = $item> + Send> Plan for $plan<I> {
            type Op = $op;

            fn poll(&mut self, now: Instant) -> Poll<$op> {
                $plan::poll(self, now)
            }

            fn handle(
                &mut self,
                ticket: Ticket,
                result: Result<<$op as kv_proto::Operation>::Output, Error>,
            ) {
                $plan::handle(self, ticket, result)
            }

            fn progress(&self) -> Progress {
                $plan::progress(self)
            }
        }
    };
}

impl_plan!(BulkWritePlan, BulkWriteItem, BulkWrite);
impl_plan!(BulkDeletePlan, Key, BulkDelete);
impl_plan!(BulkGetPlan, Key, BulkGet);

/// A key given as a string that failed validation, so it was never sent.
///
/// ```
/// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
/// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
/// #     .base_url(emu.base_url())
/// #     .build()?;
/// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
/// let report = ns.bulk_delete(["ok", "..", "also-ok"]).run()?;
/// assert_eq!(report.succeeded, 2);
/// assert_eq!(report.rejected.len(), 1);
/// assert_eq!(report.rejected[0].key, "..");
/// assert!(report.rejected[0].error.is_invalid_input());
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RejectedKey {
    /// The key as given (lossless for strings; built with `Display` for others).
    pub key: String,
    /// Why it is not a valid key (an [`Error::is_invalid_input`] error; an `Arc` like
    /// [`FailedKey::error`](kv_proto::FailedKey::error)).
    pub error: Arc<Error>,
}

/// The outcome of a bulk job: kv-proto's report (`R` is [`BulkReport`] or [`BulkGetReport`];
/// this type derefs to it), the keys rejected before sending, and the wall time.
///
/// Every key that did not make it is named either in `report.failed` (sent, or refused by
/// the plan, with its last error) or in [`rejected`](Self::rejected) (not a valid key);
/// [`failed_keys`](Self::failed_keys) walks both.
///
/// ```
/// use kv_ureq::{BulkWriteItem, Key};
/// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
/// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
/// #     .base_url(emu.base_url())
/// #     .build()?;
/// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
/// let items = ["a", "b", "c"].map(|k| BulkWriteItem::text(Key::new(k).unwrap(), "v").unwrap());
/// let report = ns.bulk_write(items).run()?;
/// assert!(report.is_success());
/// assert_eq!((report.requested, report.succeeded), (3, 3)); // via Deref to BulkReport
/// assert!(report.rejected.is_empty());
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct JobReport<R> {
    /// The plan's report: counts, failed keys with their errors, requests sent, retries; for
    /// bulk get also the values.
    pub report: R,
    /// Keys given as strings that are not valid keys, in input order. They are counted
    /// nowhere in `report`.
    pub rejected: Vec<RejectedKey>,
    /// Wall time of the job.
    pub elapsed: Duration,
}

impl<R> Deref for JobReport<R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.report
    }
}

impl JobReport<BulkReport> {
    /// True if every key was written or deleted and none was rejected.
    ///
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// assert!(ns.bulk_delete(["a", "b"]).run()?.is_success()); // deleting missing keys succeeds
    /// assert!(!ns.bulk_delete(["a", ".."]).run()?.is_success()); // ".." is rejected
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.report.is_success() && self.rejected.is_empty()
    }

    /// Every key that did not make it: failed ones, then rejected ones.
    ///
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// let report = ns.bulk_delete(["a", "..", "b", "."]).run()?;
    /// assert_eq!(report.failed_keys().collect::<Vec<_>>(), ["..", "."]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn failed_keys(&self) -> impl Iterator<Item = &str> {
        failed_keys(&self.report.failed, &self.rejected)
    }
}

impl JobReport<BulkGetReport> {
    /// True if every key was read (present or missing) and none was rejected.
    ///
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// ns.put("a", "1")?;
    /// assert!(ns.bulk_get(["a", "missing"]).run()?.is_success());
    /// assert!(!ns.bulk_get(["a", ".."]).run()?.is_success());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn is_success(&self) -> bool {
        self.report.is_success() && self.rejected.is_empty()
    }

    /// Every key that could not be read: failed ones, then rejected ones.
    ///
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// let report = ns.bulk_get(["a", ".."]).run()?;
    /// assert_eq!(report.failed_keys().collect::<Vec<_>>(), [".."]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn failed_keys(&self) -> impl Iterator<Item = &str> {
        failed_keys(&self.report.failed, &self.rejected)
    }
}

fn failed_keys<'r>(
    failed: &'r [kv_proto::FailedKey],
    rejected: &'r [RejectedKey],
) -> impl Iterator<Item = &'r str> {
    failed
        .iter()
        .map(|f| f.key.as_str())
        .chain(rejected.iter().map(|r| r.key.as_str()))
}

/// Something a bulk delete or bulk get accepts as a key: a [`Key`] or a string (see
/// [`IntoKey`]), with a readable form for the report when it is rejected.
///
/// ```
/// use kv_ureq::{BulkKey, Key};
/// assert_eq!("..".describe(), "..");
/// assert_eq!("user/1".into_key_or_rejected().ok(), Some(Key::new("user/1")?));
/// let rejected = "..".into_key_or_rejected().unwrap_err();
/// assert_eq!(rejected.key, "..");
/// assert!(rejected.error.is_invalid_input());
/// # Ok::<(), kv_ureq::Error>(())
/// ```
pub trait BulkKey: IntoKey {
    /// The key as given, for [`RejectedKey::key`].
    ///
    /// ```
    /// use kv_ureq::{BulkKey, Key};
    /// assert_eq!("user/1".describe(), "user/1");
    /// assert_eq!(Key::new("user/1")?.describe(), "user/1");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    fn describe(&self) -> String;

    /// The validated key, or the [`RejectedKey`] entry for it. The default describes the key
    /// first; the string implementations copy it only when it is rejected.
    ///
    /// ```
    /// use kv_ureq::BulkKey;
    /// assert_eq!(String::from("k").into_key_or_rejected().ok().map(|k| k.into_string()), Some("k".into()));
    /// assert_eq!(String::new().into_key_or_rejected().unwrap_err().key, "");
    /// ```
    fn into_key_or_rejected(self) -> Result<Key, RejectedKey>
    where
        Self: Sized,
    {
        let shown = self.describe();
        self.into_key().map_err(|error| rejected(shown, error))
    }
}

fn rejected(key: String, error: Error) -> RejectedKey {
    RejectedKey {
        key,
        error: Arc::new(error),
    }
}

impl BulkKey for Key {
    fn describe(&self) -> String {
        self.as_str().to_owned()
    }

    fn into_key_or_rejected(self) -> Result<Key, RejectedKey> {
        Ok(self)
    }
}

impl BulkKey for &Key {
    fn describe(&self) -> String {
        self.as_str().to_owned()
    }

    fn into_key_or_rejected(self) -> Result<Key, RejectedKey> {
        Ok(self.clone())
    }
}

impl BulkKey for &str {
    fn describe(&self) -> String {
        (*self).to_owned()
    }

    fn into_key_or_rejected(self) -> Result<Key, RejectedKey> {
        Key::new(self).map_err(|error| rejected(self.to_owned(), error))
    }
}

impl BulkKey for String {
    fn describe(&self) -> String {
        self.clone()
    }

    fn into_key_or_rejected(self) -> Result<Key, RejectedKey> {
        match Key::check(&self) {
            // Checked just above, so `Key::new` takes the string as it is.
            Ok(()) => Key::new(self).map_err(|error| rejected(String::new(), error)),
            Err(error) => Err(rejected(self, error)),
        }
    }
}

impl BulkKey for &String {
    fn describe(&self) -> String {
        (*self).clone()
    }

    fn into_key_or_rejected(self) -> Result<Key, RejectedKey> {
        self.as_str().into_key_or_rejected()
    }
}

impl BulkKey for Cow<'_, str> {
    fn describe(&self) -> String {
        self.to_string()
    }

    fn into_key_or_rejected(self) -> Result<Key, RejectedKey> {
        match self {
            Cow::Borrowed(s) => s.into_key_or_rejected(),
            Cow::Owned(s) => s.into_key_or_rejected(),
        }
    }
}

/// Keys rejected before sending, shared between [`Validated`] (on a worker thread) and the job.
type Rejected = Arc<Mutex<Vec<RejectedKey>>>;

/// Validates keys lazily as the plan pulls them; invalid ones go to the shared list.
struct Validated<I> {
    source: I,
    rejected: Rejected,
}

impl<I> Validated<I> {
    /// The validating iterator and the list it fills.
    fn new(source: I) -> (Self, Rejected) {
        let rejected = Rejected::default();
        let keys = Validated {
            source,
            rejected: Arc::clone(&rejected),
        };
        (keys, rejected)
    }
}

impl<I> Iterator for Validated<I>
where
    I: Iterator,
    I::Item: BulkKey,
{
    type Item = Key;

    fn next(&mut self) -> Option<Key> {
        loop {
            match self.source.next()?.into_key_or_rejected() {
                Ok(k) => return Some(k),
                Err(r) => self
                    .rejected
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(r),
            }
        }
    }
}

/// Settings every bulk job shares.
struct JobSettings<'a> {
    config: PlanConfig,
    concurrency: Option<usize>,
    on_progress: Option<ProgressFn<'a>>,
}

impl JobSettings<'_> {
    fn new(ns: &NamespaceHandle) -> Self {
        JobSettings {
            config: PlanConfig::default().with_jitter_seed(ns.client.next_jitter_seed()),
            concurrency: None,
            on_progress: None,
        }
    }

    fn concurrency(&self, ns: &NamespaceHandle) -> Result<usize, Error> {
        check_concurrency(self.concurrency.unwrap_or_else(|| ns.client.concurrency()))
    }
}

impl fmt::Debug for JobSettings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobSettings")
            .field("config", &self.config)
            .field("concurrency", &self.concurrency)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

macro_rules! job_settings_methods {
    () => {
        /// Requests in flight at once, each on its own thread over the client's one
        /// connection pool (default [`Client::concurrency`](crate::Client::concurrency);
        /// 0 makes [`run`](Self::run) fail).
        ///
        /// ```
        /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
        /// #     .base_url(emu.base_url())
        /// #     .build()?;
        /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        /// let report = ns.bulk_delete((0..20).map(|i| format!("k{i}"))).batch_size(2).concurrency(3).run()?;
        /// assert_eq!(report.succeeded, 20);
        /// assert!(ns.bulk_delete(["k"]).concurrency(0).run().is_err());
        /// # Ok::<(), kv_ureq::Error>(())
        /// ```
        pub fn concurrency(mut self, n: usize) -> Self {
            self.settings.concurrency = Some(n);
            self
        }

        /// Keys (or items) per request; see [`PlanConfig::with_max_batch_items`] for the
        /// defaults and limits (checked by [`run`](Self::run)).
        ///
        /// ```
        /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
        /// #     .base_url(emu.base_url())
        /// #     .build()?;
        /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        /// let report = ns.bulk_delete(["a", "b", "c", "d", "e"]).batch_size(2).run()?;
        /// assert_eq!(report.requests_sent, 3); // 2 + 2 + 1 keys
        /// # Ok::<(), kv_ureq::Error>(())
        /// ```
        pub fn batch_size(mut self, n: usize) -> Self {
            self.settings.config = self.settings.config.with_max_batch_items(n);
            self
        }

        /// Replaces the plan's settings (batch size, body budget, re-sends of unsuccessful
        /// keys and their backoff, stop on error). The jitter seed is kept as given.
        ///
        /// ```
        /// use kv_ureq::PlanConfig;
        /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
        /// #     .base_url(emu.base_url())
        /// #     .build()?;
        /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
        /// let config = PlanConfig::new().with_max_batch_items(2).with_max_key_attempts(1);
        /// let report = ns.bulk_delete(["a", "b", "c"]).config(config).run()?;
        /// assert_eq!(report.requests_sent, 2);
        /// # Ok::<(), kv_ureq::Error>(())
        /// ```
        pub fn config(mut self, config: PlanConfig) -> Self {
            self.settings.config = config;
            self
        }

        /// Called after each response is handled, with the plan's [`Progress`].
        ///
        /// It runs on the worker thread that received the response (the calling thread or
        /// one of the job's threads), while that worker holds the job's lock: calls never
        /// overlap and their counts only grow, but other workers wait while it runs, so keep
        /// it short (print, update a bar, send to a channel).
        ///
        /// ```
        /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
        /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
        /// #     .base_url(emu.base_url())
        /// #     .build()?;
        /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
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
            self.settings.on_progress = Some(Box::new(f));
            self
        }
    };
}

impl<'a> JobSettings<'a> {
    /// Checks the concurrency, builds the plan with `make` from the plan settings, runs it to
    /// the end and reports it with `finish`, the keys in `rejected` and the time since called.
    fn run<P: Plan, R>(
        self,
        ns: &NamespaceHandle,
        rejected: Rejected,
        make: impl FnOnce(PlanConfig) -> Result<P, Error>,
        finish: impl FnOnce(P) -> R,
    ) -> Result<JobReport<R>, Error> {
        let started = Instant::now();
        let concurrency = self.concurrency(ns)?;
        let plan = make(self.config)?;
        let plan = driver::run(&ns.client, plan, concurrency, self.on_progress);
        let report = finish(plan);
        let rejected =
            std::mem::take(&mut *rejected.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(JobReport {
            report,
            rejected,
            elapsed: started.elapsed(),
        })
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
        BulkWriteJob {
            ns: self,
            items: items.into_iter(),
            settings: JobSettings::new(self),
        }
    }

    /// A bulk delete of any number of keys (`Key`s or strings), from any iterator (pulled
    /// lazily). Configure, then [`run`](BulkDeleteJob::run).
    ///
    /// Keys go in `POST .../bulk/delete` requests of at most 1,000 (configurable up to
    /// 10,000). A string that is not a valid key is not sent: it is listed in
    /// [`JobReport::rejected`] with its error and the job goes on (a lazy million-key
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
        I::Item: BulkKey,
        I::IntoIter: Send,
    {
        BulkDeleteJob {
            ns: self,
            keys: keys.into_iter(),
            legacy: false,
            settings: JobSettings::new(self),
        }
    }

    /// A bulk read of any number of keys (`Key`s or strings), from any iterator (pulled
    /// lazily). Configure, then [`run`](BulkGetJob::run); the values are in
    /// [`BulkGetReport::values`].
    ///
    /// Keys go in `POST .../bulk/get` requests of at most 100 (the API's limit). Values
    /// come back as text unless [`json`](BulkGetJob::json) is set; add
    /// [`with_metadata`](BulkGetJob::with_metadata) for metadata and expiry. Duplicate keys
    /// are read once; invalid strings are rejected as in [`bulk_delete`](Self::bulk_delete).
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
        I::Item: BulkKey,
        I::IntoIter: Send,
    {
        BulkGetJob {
            ns: self,
            keys: keys.into_iter(),
            json: false,
            with_metadata: false,
            settings: JobSettings::new(self),
        }
    }
}

/// A bulk write being configured; see [`NamespaceHandle::bulk_write`].
///
/// ```
/// use kv_ureq::{BulkWriteItem, Key};
/// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
/// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
/// #     .base_url(emu.base_url())
/// #     .build()?;
/// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
/// let items = (0..10).map(|i| BulkWriteItem::text(Key::new(format!("k{i}")).unwrap(), "v").unwrap());
/// let job = ns.bulk_write(items).batch_size(4); // a BulkWriteJob: nothing sent yet
/// assert_eq!(ns.keys().count(), 0);
/// assert_eq!(job.run()?.requests_sent, 3);
/// assert_eq!(ns.keys().count(), 10);
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[must_use = "a bulk job does nothing until .run() is called"]
pub struct BulkWriteJob<'a, I> {
    ns: &'a NamespaceHandle,
    items: I,
    settings: JobSettings<'a>,
}

impl<I> fmt::Debug for BulkWriteJob<'_, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkWriteJob")
            .field("namespace", &self.ns.id)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<'a, I> BulkWriteJob<'a, I>
where
    I: Iterator<Item = BulkWriteItem> + Send,
{
    job_settings_methods!();

    /// Runs the job to the end on the calling thread plus `concurrency - 1` scoped threads.
    ///
    /// # Errors
    /// Only for configuration (concurrency 0, a [`PlanConfig`] value out of range). Failed
    /// keys are in the report, with their errors.
    ///
    /// # Example
    /// ```
    /// use kv_ureq::{BulkWriteItem, Key};
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// let item = BulkWriteItem::text(Key::new("greeting")?, "hello")?;
    /// let report = ns.bulk_write([item]).run()?;
    /// assert_eq!(report.succeeded, 1);
    /// assert_eq!(ns.get_text("greeting")?.as_deref(), Some("hello"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn run(self) -> Result<JobReport<BulkReport>, Error> {
        let (ns, items) = (self.ns, self.items);
        self.settings.run(
            ns,
            Rejected::default(),
            |config| BulkWritePlan::new(ns.id.clone(), items, config),
            BulkWritePlan::finish,
        )
    }
}

/// A bulk delete being configured; see [`NamespaceHandle::bulk_delete`].
///
/// ```
/// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
/// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
/// #     .base_url(emu.base_url())
/// #     .build()?;
/// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
/// ns.put("a", "1")?;
/// let job = ns.bulk_delete(["a"]); // a BulkDeleteJob: nothing sent yet
/// assert!(ns.get("a")?.is_some());
/// job.run()?;
/// assert_eq!(ns.get("a")?, None);
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[must_use = "a bulk job does nothing until .run() is called"]
pub struct BulkDeleteJob<'a, I> {
    ns: &'a NamespaceHandle,
    keys: I,
    legacy: bool,
    settings: JobSettings<'a>,
}

impl<I> fmt::Debug for BulkDeleteJob<'_, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkDeleteJob")
            .field("namespace", &self.ns.id)
            .field("legacy", &self.legacy)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<'a, I> BulkDeleteJob<'a, I>
where
    I: Iterator + Send,
    I::Item: BulkKey,
{
    job_settings_methods!();

    /// Sends the legacy `DELETE .../bulk` (JSON body) instead of `POST .../bulk/delete`.
    ///
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// ns.put("a", "1")?;
    /// emu.clear_requests();
    /// ns.bulk_delete(["a"]).legacy_delete_method().run()?;
    /// assert_eq!(emu.requests()[0].method, "DELETE");
    /// assert_eq!(ns.get("a")?, None);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn legacy_delete_method(mut self) -> Self {
        self.legacy = true;
        self
    }

    /// Runs the job to the end on the calling thread plus `concurrency - 1` scoped threads.
    ///
    /// # Errors
    /// Only for configuration (concurrency 0, a [`PlanConfig`] value out of range). Failed
    /// and rejected keys are in the report.
    ///
    /// # Example
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// ns.put("a", "1")?;
    /// let report = ns.bulk_delete(["a", "never-written"]).run()?;
    /// assert_eq!(report.succeeded, 2);
    /// assert_eq!(ns.get("a")?, None);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn run(self) -> Result<JobReport<BulkReport>, Error> {
        let (ns, legacy) = (self.ns, self.legacy);
        let (keys, rejected) = Validated::new(self.keys);
        self.settings.run(
            ns,
            rejected,
            |config| {
                let plan = BulkDeletePlan::new(ns.id.clone(), keys, config)?;
                Ok(if legacy {
                    plan.legacy_delete_method()
                } else {
                    plan
                })
            },
            BulkDeletePlan::finish,
        )
    }
}

/// A bulk read being configured; see [`NamespaceHandle::bulk_get`].
///
/// ```
/// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
/// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
/// #     .base_url(emu.base_url())
/// #     .build()?;
/// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
/// ns.put("a", "1")?;
/// let report = ns.bulk_get(["a", "b"]).run()?;
/// assert_eq!(report.values.get("a").and_then(|v| v.as_text()), Some("1"));
/// assert!(report.values.get("b").is_some_and(|v| v.is_missing()));
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[must_use = "a bulk job does nothing until .run() is called"]
pub struct BulkGetJob<'a, I> {
    ns: &'a NamespaceHandle,
    keys: I,
    json: bool,
    with_metadata: bool,
    settings: JobSettings<'a>,
}

impl<I> fmt::Debug for BulkGetJob<'_, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkGetJob")
            .field("namespace", &self.ns.id)
            .field("json", &self.json)
            .field("with_metadata", &self.with_metadata)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<'a, I> BulkGetJob<'a, I>
where
    I: Iterator + Send,
    I::Item: BulkKey,
{
    job_settings_methods!();

    /// Parses values as JSON (`type: json`); a value that is not JSON fails its whole
    /// request on the server's side.
    ///
    /// ```
    /// use kv_ureq::BulkValue;
    /// use serde_json::json;
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// ns.put("cfg", r#"{"debug":true}"#)?;
    /// let report = ns.bulk_get(["cfg"]).json().run()?;
    /// assert_eq!(report.values.get("cfg"), Some(&BulkValue::Json(json!({"debug": true}))));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// Returns each value with its metadata and expiry (`withMetadata: true`).
    ///
    /// ```
    /// use serde_json::json;
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// ns.put_with("a", "1").metadata(json!({"v": 2})).send()?;
    /// let report = ns.bulk_get(["a"]).with_metadata().run()?;
    /// let value = &report.values.get("a").unwrap();
    /// assert_eq!(value.metadata(), Some(&json!({"v": 2})));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn with_metadata(mut self) -> Self {
        self.with_metadata = true;
        self
    }

    /// Runs the job to the end on the calling thread plus `concurrency - 1` scoped threads.
    ///
    /// # Errors
    /// Only for configuration (concurrency 0, a [`PlanConfig`] value out of range). Failed
    /// and rejected keys are in the report.
    ///
    /// # Example
    /// ```
    /// # let emu = kv_tests::Emulator::start(kv_tests::EmulatorConfig::default()).unwrap();
    /// # let client = kv_ureq::Client::builder(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acct")?)
    /// #     .base_url(emu.base_url())
    /// #     .build()?;
    /// # let ns = client.namespace(emu.create_namespace("acct", "docs").unwrap().as_str())?;
    /// ns.put("a", "1")?;
    /// let report = ns.bulk_get(["a", "a", "b"]).run()?;
    /// assert_eq!((report.requested, report.duplicates), (2, 1)); // distinct keys, repeats
    /// assert_eq!(report.values.len(), 2);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn run(self) -> Result<JobReport<BulkGetReport>, Error> {
        let (ns, json, with_metadata) = (self.ns, self.json, self.with_metadata);
        let (keys, rejected) = Validated::new(self.keys);
        self.settings.run(
            ns,
            rejected,
            |config| {
                let mut plan = BulkGetPlan::new(ns.id.clone(), keys, config)?;
                if json {
                    plan = plan.json();
                }
                if with_metadata {
                    plan = plan.with_metadata();
                }
                Ok(plan)
            },
            BulkGetPlan::finish,
        )
    }
}
