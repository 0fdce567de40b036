//! Whole-namespace work on a [`NamespaceHandle`]: [`export`](NamespaceHandle::export),
//! [`import`](NamespaceHandle::import), [`copy_to`](NamespaceHandle::copy_to),
//! [`purge`](NamespaceHandle::purge), and typed JSON ([`put_json`](NamespaceHandle::put_json),
//! [`BulkGetJob::typed`]). Each runs a kv-proto plan on the same threaded driver as the bulk
//! jobs and returns a report: counts, failed keys with their errors, requests sent.
//!
//! Progress callbacks get the same [`Progress`] as bulk jobs, counted in keys. For export,
//! copy and purge the total is known only once the listing ends (`exhausted`); for import,
//! [`ImportJob::on_bytes_read`] reports the bytes read from the input (compare with the
//! file's size).

use std::io::{Read, Write};
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use kv_proto::records::{ImportReader, NdjsonWriter, Record, WranglerJsonWriter};
use kv_proto::{
    BulkGet, BulkReport, BulkWrite, BulkWriteItem, BulkWritePlan, Error, IntoBulkItem, Key,
    ListKeys, Outcome, Plan, PlanConfig, Poll, Progress, Ticket, TypedBulkGetReport,
    workflow::ExportConfig, workflow::ExportOutput, workflow::ExportPlan, workflow::ExportReport,
    workflow::ImportInput, workflow::PurgePlan, workflow::PurgeReport,
};

use crate::bulk::BulkJob;
use crate::client::check_concurrency;
use crate::driver::{self, ProgressFn};
use crate::namespace::NamespaceHandle;

type Sink<'a> = Box<dyn FnMut(Record) -> Result<(), Error> + Send + 'a>;

/// Runs an [`ExportPlan`] and hands each record to a sink as soon as it is settled (in key
/// order). A failing sink stops the export: nothing new is sent.
struct Sinking<'a> {
    plan: ExportPlan,
    sink: Sink<'a>,
    in_flight: usize,
    error: Option<Error>,
}

impl Plan for Sinking<'_> {
    type Op = kv_proto::workflow::ExportOp;
    type Report = (ExportReport, Option<Error>);

    fn poll(&mut self, now: Instant) -> Poll<Self::Op> {
        if self.error.is_some() {
            return if self.in_flight == 0 {
                Poll::Done
            } else {
                Poll::Idle
            };
        }
        let p = self.plan.poll(now);
        if let Poll::Send(..) = p {
            self.in_flight += 1;
        }
        p
    }

    fn handle(&mut self, ticket: Ticket, outcome: Outcome<ExportOutput>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.plan.handle(ticket, outcome);
        if self.error.is_some() {
            return;
        }
        for record in self.plan.take_records() {
            if let Err(e) = (self.sink)(record) {
                self.plan.cancel(e.clone());
                self.error = Some(e);
                break;
            }
        }
    }

    fn cancel(&mut self, reason: Error) {
        self.plan.cancel(reason);
    }

    fn progress(&self) -> Progress {
        self.plan.progress()
    }

    fn finish(self) -> (ExportReport, Option<Error>) {
        (self.plan.finish(), self.error)
    }
}

/// An export being configured; see [`NamespaceHandle::export`].
#[must_use = "an export does nothing until a sink is given (for_each, to_ndjson, to_wrangler_json)"]
pub struct ExportJob<'a> {
    ns: &'a NamespaceHandle,
    prefix: Option<String>,
    cursor: Option<String>,
    config: ExportConfig,
    concurrency: Option<usize>,
    on_progress: Option<ProgressFn<'a>>,
}

impl<'a> ExportJob<'a> {
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Starts the listing at `cursor` (a listing cursor, e.g. [`Keys::cursor`](crate::Keys::cursor)
    /// saved at a page boundary): the export resumes there, in key order.
    pub fn from_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Requests in flight at once (default [`Client::concurrency`](crate::Client::concurrency)).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// Bulk get size and window ([`ExportConfig`]).
    pub fn config(mut self, config: ExportConfig) -> Self {
        self.config = config;
        self
    }

    /// Called after each response with the export's [`Progress`] (keys; `total_known` is final
    /// once `exhausted`, i.e. when the listing is done).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Runs the export, handing each [`Record`] to `f` in key order.
    ///
    /// # Errors
    /// Configuration errors, and the first error `f` returns (which stops the export).
    /// Keys that could not be read are in the report's `failed`, a listing that failed in
    /// its `listing_error`.
    pub fn for_each(
        self,
        f: impl FnMut(Record) -> Result<(), Error> + Send + 'a,
    ) -> Result<ExportReport, Error> {
        let concurrency = check_concurrency(
            self.concurrency
                .unwrap_or_else(|| self.ns.client.concurrency()),
        )?;
        let mut list = ListKeys::new(self.ns.id.clone());
        if let Some(p) = self.prefix {
            list = list.prefix(p);
        }
        if let Some(c) = self.cursor {
            list = list.cursor(c);
        }
        let plan = Sinking {
            plan: ExportPlan::new(list, self.config)?,
            sink: Box::new(f),
            in_flight: 0,
            error: None,
        };
        let (report, error) =
            driver::run(&self.ns.client, plan, concurrency, self.on_progress, None);
        match error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Writes the export as NDJSON (one object per key: `key`, `value`, `base64`,
    /// `metadata`, `expiration`) to `out`.
    ///
    /// # Errors
    /// As [`for_each`](Self::for_each); a write error of `out`.
    pub fn to_ndjson<W: Write + Send>(self, out: W) -> Result<ExportReport, Error> {
        let mut writer = NdjsonWriter::new(out);
        let report = self.for_each(|r| writer.write(&r))?;
        writer.finish()?;
        Ok(report)
    }

    /// Writes the export in wrangler's bulk JSON format (one array, `wrangler kv bulk put`
    /// reads it) to `out`.
    ///
    /// # Errors
    /// As [`to_ndjson`](Self::to_ndjson).
    pub fn to_wrangler_json<W: Write + Send>(self, out: W) -> Result<ExportReport, Error> {
        let mut writer = WranglerJsonWriter::new(out);
        let report = self.for_each(|r| writer.write(&r))?;
        writer.finish()?;
        Ok(report)
    }
}

/// What an import reports: the bulk write's report, and the records and bytes read.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Records read from the input (invalid ones included; they are in `bulk.failed` with
    /// `attempts: 0` and their position in the error).
    pub records_read: u64,
    /// Bytes read from the input.
    pub bytes_read: u64,
    /// The bulk write: `requested == records_read`, `succeeded`, `failed`, `requests_sent`,
    /// re-sends.
    pub bulk: BulkReport,
}

impl ImportReport {
    /// True if every record was written.
    pub fn is_success(&self) -> bool {
        self.bulk.is_success()
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An import being configured; see [`NamespaceHandle::import`].
#[must_use = "an import does nothing until .run() is called"]
pub struct ImportJob<'a, R> {
    ns: &'a NamespaceHandle,
    input: R,
    config: PlanConfig,
    concurrency: Option<usize>,
    allow_unknown_fields: bool,
    max_record_bytes: Option<usize>,
    on_progress: Option<ProgressFn<'a>>,
    on_bytes: Option<Box<dyn FnMut(u64) + Send + 'a>>,
}

impl<'a, R: Read + Send> ImportJob<'a, R> {
    /// Requests in flight at once (default [`Client::concurrency`](crate::Client::concurrency)).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// The bulk write's settings (batch size, body budget, re-sends, stop on error).
    pub fn config(mut self, config: PlanConfig) -> Self {
        self.config = config;
        self
    }

    /// Ignore unknown fields instead of failing the record, as wrangler does.
    pub fn allow_unknown_fields(mut self, allow: bool) -> Self {
        self.allow_unknown_fields = allow;
        self
    }

    /// The longest record accepted (see
    /// [`DEFAULT_MAX_RECORD_BYTES`](kv_proto::records::DEFAULT_MAX_RECORD_BYTES)).
    pub fn max_record_bytes(mut self, max: usize) -> Self {
        self.max_record_bytes = Some(max);
        self
    }

    /// Called after each response with the bulk write's [`Progress`] (records; `total_known`
    /// grows as the input is read).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Called after each response with the bytes read from the input so far (compare with
    /// a file's size for a percentage).
    pub fn on_bytes_read(mut self, f: impl FnMut(u64) + Send + 'a) -> Self {
        self.on_bytes = Some(Box::new(f));
        self
    }

    /// Reads the input (NDJSON or wrangler's JSON array, detected from the first non-blank
    /// byte) and bulk writes every record, streaming.
    ///
    /// # Errors
    /// Configuration errors, and input that is neither format (or cannot be read at all).
    /// Invalid records are in the report's `bulk.failed`.
    pub fn run(self) -> Result<ImportReport, Error> {
        let concurrency = check_concurrency(
            self.concurrency
                .unwrap_or_else(|| self.ns.client.concurrency()),
        )?;
        let bytes = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: self.input,
            count: bytes.clone(),
        };
        let mut reader =
            ImportReader::detect(counting)?.allow_unknown_fields(self.allow_unknown_fields);
        if let Some(max) = self.max_record_bytes {
            reader = reader.max_record_bytes(max);
        }
        let input = ImportInput::new(reader);
        let records = input.counter();
        let plan = BulkWritePlan::new(BulkWrite::template(self.ns.id.clone()), input, self.config)?;
        let progress = combine(self.on_progress, self.on_bytes, bytes.clone());
        let bulk = driver::run(&self.ns.client, plan, concurrency, progress, None);
        Ok(ImportReport {
            records_read: records.load(Ordering::Relaxed),
            bytes_read: bytes.load(Ordering::Relaxed),
            bulk,
        })
    }
}

fn combine<'a>(
    progress: Option<ProgressFn<'a>>,
    bytes_fn: Option<Box<dyn FnMut(u64) + Send + 'a>>,
    bytes: Arc<AtomicU64>,
) -> Option<ProgressFn<'a>> {
    match (progress, bytes_fn) {
        (None, None) => None,
        (p, b) => {
            let (mut p, mut b) = (p, b);
            Some(Box::new(move |progress: &Progress| {
                if let Some(p) = p.as_mut() {
                    p(progress);
                }
                if let Some(b) = b.as_mut() {
                    b(bytes.load(Ordering::Relaxed));
                }
            }))
        }
    }
}

/// What a copy reports: both halves.
#[derive(Debug, Clone, Default)]
pub struct CopyReport {
    /// The export from the source namespace (`exported`, `vanished`, `failed`,
    /// `listing_error`).
    pub export: ExportReport,
    /// The bulk write into the target namespace.
    pub import: BulkReport,
}

impl CopyReport {
    /// True if every listed key was read (or had vanished) and written.
    pub fn is_success(&self) -> bool {
        self.export.is_success() && self.import.is_success()
    }
}

/// A copy being configured; see [`NamespaceHandle::copy_to`].
#[must_use = "a copy does nothing until .run() is called"]
pub struct CopyJob<'a> {
    from: &'a NamespaceHandle,
    to: &'a NamespaceHandle,
    prefix: Option<String>,
    export: ExportConfig,
    config: PlanConfig,
    concurrency: Option<usize>,
    on_progress: Option<ProgressFn<'a>>,
}

/// Records buffered between the two halves of a copy.
const COPY_BUFFER: usize = 2_000;

impl<'a> CopyJob<'a> {
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Requests in flight at once on each side (default: the source client's concurrency).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// The export side's bulk get size and window.
    pub fn export_config(mut self, config: ExportConfig) -> Self {
        self.export = config;
        self
    }

    /// The bulk write's settings.
    pub fn config(mut self, config: PlanConfig) -> Self {
        self.config = config;
        self
    }

    /// Called after each bulk write response with its [`Progress`] (keys written; the total
    /// is known once the source listing is done and every record has been handed over).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Runs the copy: the export (on the source's client) and the bulk write (on the
    /// target's client) run at once, joined by a bounded queue of records.
    ///
    /// # Errors
    /// Configuration errors. Failed keys of either side are in the report.
    pub fn run(self) -> Result<CopyReport, Error> {
        let concurrency = check_concurrency(
            self.concurrency
                .unwrap_or_else(|| self.from.client.concurrency()),
        )?;
        let plan_check = BulkWritePlan::new(
            BulkWrite::template(self.to.id.clone()),
            std::iter::empty::<BulkWriteItem>(),
            self.config.clone(),
        );
        plan_check?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Record>(COPY_BUFFER);
        let from = self.from;
        let (prefix, export_config) = (self.prefix, self.export);
        std::thread::scope(|scope| {
            let exporter = scope.spawn(move || {
                let mut job = from.export().config(export_config).concurrency(concurrency);
                if let Some(p) = prefix {
                    job = job.prefix(p);
                }
                job.for_each(move |record| {
                    tx.send(record)
                        .map_err(|_| Error::abandoned("copy: the writing side stopped"))
                })
            });
            let input = ImportInput::new(rx.into_iter().map(Ok));
            let plan =
                BulkWritePlan::new(BulkWrite::template(self.to.id.clone()), input, self.config)?;
            let import = driver::run(&self.to.client, plan, concurrency, self.on_progress, None);
            let export = match exporter.join() {
                Ok(r) => r?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            Ok(CopyReport { export, import })
        })
    }
}

/// A purge being configured; see [`NamespaceHandle::purge`].
#[must_use = "a purge does nothing until .run() is called"]
pub struct PurgeJob<'a> {
    ns: &'a NamespaceHandle,
    prefix: Option<String>,
    config: PlanConfig,
    window: usize,
    concurrency: Option<usize>,
    on_progress: Option<ProgressFn<'a>>,
}

impl<'a> PurgeJob<'a> {
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Requests in flight at once (default [`Client::concurrency`](crate::Client::concurrency)).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }

    /// The bulk deletes' settings (batch size, re-sends of unsuccessful keys).
    pub fn config(mut self, config: PlanConfig) -> Self {
        self.config = config;
        self
    }

    /// Listed pages being deleted at once (default
    /// [`DEFAULT_PURGE_WINDOW`](kv_proto::defaults::DEFAULT_PURGE_WINDOW)).
    pub fn window(mut self, pages: usize) -> Self {
        self.window = pages;
        self
    }

    /// Called after each response with the purge's [`Progress`] (keys; `total_known` is
    /// final once `exhausted`, i.e. when the listing is done).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Lists and deletes, streaming.
    ///
    /// # Errors
    /// Configuration errors. Keys that could not be deleted are in `bulk.failed`, a listing
    /// that failed in `listing_error`.
    pub fn run(self) -> Result<PurgeReport, Error> {
        let concurrency = check_concurrency(
            self.concurrency
                .unwrap_or_else(|| self.ns.client.concurrency()),
        )?;
        let mut list = ListKeys::new(self.ns.id.clone());
        if let Some(p) = self.prefix {
            list = list.prefix(p);
        }
        let plan = PurgePlan::new(list, self.config, self.window)?;
        Ok(driver::run(
            &self.ns.client,
            plan,
            concurrency,
            self.on_progress,
            None,
        ))
    }
}

/// A bulk get whose text values are parsed as JSON into `T` on the client; see
/// [`BulkGetJob::typed`](crate::BulkGetJob::typed).
#[must_use = "a bulk job does nothing until .run() is called"]
pub struct TypedBulkGetJob<'a, I, T> {
    job: BulkJob<'a, BulkGet, I>,
    _t: PhantomData<fn() -> T>,
}

impl<'a, I> BulkJob<'a, BulkGet, I>
where
    I: Iterator + Send,
    I::Item: IntoBulkItem<Key>,
{
    /// Reads the values as text (not `type: json`) and parses each as JSON into `T` on the
    /// client: one value that does not parse is one failed key (a decode error naming it),
    /// not a failed request of 100 keys.
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// ns.put_json("a", &1u32)?;
    /// ns.put("b", "not json")?;
    /// let report = ns.bulk_get(["a", "b", "c"]).typed::<u32>().run()?;
    /// assert_eq!(report.values["a"], 1);
    /// assert_eq!(report.failed[0].key, "b");
    /// assert_eq!(report.missing[0].as_str(), "c");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn typed<T: serde::de::DeserializeOwned>(self) -> TypedBulkGetJob<'a, I, T> {
        TypedBulkGetJob {
            job: self,
            _t: PhantomData,
        }
    }
}

impl<'a, I, T> TypedBulkGetJob<'a, I, T>
where
    I: Iterator + Send,
    I::Item: IntoBulkItem<Key>,
    T: serde::de::DeserializeOwned,
{
    /// Also reads each key's metadata (into the report's `metadata`).
    pub fn with_metadata(mut self) -> Self {
        self.job = self.job.with_metadata();
        self
    }

    /// Requests in flight at once.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.job = self.job.concurrency(n);
        self
    }

    /// Called after each response with the bulk get's [`Progress`].
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.job = self.job.on_progress(f);
        self
    }

    /// Runs the bulk get and parses every value.
    ///
    /// # Errors
    /// As [`BulkJob::run`].
    pub fn run(self) -> Result<TypedBulkGetReport<T>, Error> {
        Ok(self.job.run()?.into_typed())
    }
}

impl NamespaceHandle {
    /// Exports every key (or every key under a [`prefix`](ExportJob::prefix)) with its value,
    /// metadata and expiration, in key order and bounded memory, to a sink:
    /// [`to_ndjson`](ExportJob::to_ndjson), [`to_wrangler_json`](ExportJob::to_wrangler_json)
    /// or [`for_each`](ExportJob::for_each). Values bulk get cannot return exactly (binary,
    /// or text holding U+FFFD) are re-read with a single `GET`; keys deleted between the
    /// listing and the read are reported in `vanished`.
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// ns.put("a", "1")?;
    /// ns.put("b", vec![0xff, 0x00])?;
    /// let mut out = Vec::new();
    /// let report = ns.export().to_ndjson(&mut out)?;
    /// assert_eq!((report.exported, report.refetched), (2, 1));
    /// assert_eq!(
    ///     String::from_utf8(out).unwrap(),
    ///     "{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\",\"value\":\"/wA=\",\"base64\":true}\n"
    /// );
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn export(&self) -> ExportJob<'_> {
        ExportJob {
            ns: self,
            prefix: None,
            cursor: None,
            config: ExportConfig::default(),
            concurrency: None,
            on_progress: None,
        }
    }

    /// Imports NDJSON or wrangler's bulk JSON array (`key`, `value`, `base64`, `metadata`,
    /// `expiration`, `expiration_ttl`) from any reader, streaming, with everything a bulk
    /// write does (batches, re-sends, report). Invalid records are reported failed with
    /// `attempts: 0`, named by key (or `<record N>`) with their position in the error.
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// let file = br#"[{"key": "a", "value": "1"}, {"key": "b", "value": "AP8=", "base64": true}, {"key": "", "value": "x"}]"#;
    /// let report = ns.import(&file[..]).run()?;
    /// assert_eq!((report.records_read, report.bulk.succeeded), (3, 2));
    /// assert!(report.bulk.failed[0].error.to_string().contains("record 3"));
    /// assert_eq!(ns.get_bytes("b")?, Some(vec![0x00, 0xff]));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn import<R: Read + Send>(&self, input: R) -> ImportJob<'_, R> {
        ImportJob {
            ns: self,
            input,
            config: PlanConfig::default().with_jitter_seed(self.client.next_jitter_seed()),
            concurrency: None,
            allow_unknown_fields: false,
            max_record_bytes: None,
            on_progress: None,
            on_bytes: None,
        }
    }

    /// Copies every key (or every key under a [`prefix`](CopyJob::prefix)) into `target`,
    /// which may belong to another client (another account or token): an export feeding an
    /// import, streaming, without a file.
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// # let backup = kv_ureq::Client::from_env()?.namespace("def")?;
    /// ns.put("user:1", "Ada")?;
    /// ns.put("tmp:1", "x")?;
    /// let report = ns.copy_to(&backup).prefix("user:").run()?;
    /// assert_eq!((report.export.exported, report.import.succeeded), (1, 1));
    /// assert_eq!(backup.get_text("user:1")?.as_deref(), Some("Ada"));
    /// assert_eq!(backup.get("tmp:1")?, None);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn copy_to<'a>(&'a self, target: &'a NamespaceHandle) -> CopyJob<'a> {
        CopyJob {
            from: self,
            to: target,
            prefix: None,
            export: ExportConfig::default(),
            config: PlanConfig::default().with_jitter_seed(target.client.next_jitter_seed()),
            concurrency: None,
            on_progress: None,
        }
    }

    /// Deletes every key (or every key under a [`prefix`](PurgeJob::prefix)): the listing
    /// streams into bulk deletes (re-sends of unsuccessful keys included).
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// ns.put("tmp:1", "x")?;
    /// ns.put("keep", "y")?;
    /// let report = ns.purge().prefix("tmp:").run()?;
    /// assert_eq!((report.listed, report.bulk.succeeded), (1, 1));
    /// assert_eq!(ns.get("tmp:1")?, None);
    /// assert!(ns.get("keep")?.is_some());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn purge(&self) -> PurgeJob<'_> {
        PurgeJob {
            ns: self,
            prefix: None,
            config: PlanConfig::default().with_jitter_seed(self.client.next_jitter_seed()),
            window: kv_proto::defaults::DEFAULT_PURGE_WINDOW,
            concurrency: None,
            on_progress: None,
        }
    }

    /// Writes `value` serialised as JSON text.
    ///
    /// # Errors
    /// A value that cannot be serialised as JSON; as [`put`](Self::put).
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// ns.put_json("cfg", &serde_json::json!({"debug": true}))?;
    /// assert_eq!(ns.get_text("cfg")?.as_deref(), Some(r#"{"debug":true}"#));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn put_json<T: serde::Serialize + ?Sized>(
        &self,
        key: impl crate::args::IntoKey,
        value: &T,
    ) -> Result<(), Error> {
        let key = key.into_key()?;
        let item = BulkWriteItem::json(key.clone(), value)?;
        self.put(key, item.value)
    }
}
