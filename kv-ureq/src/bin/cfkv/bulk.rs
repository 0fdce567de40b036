//! `cfkv bulk put|get|delete`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use kv_ureq::kv_proto::records::{ImportReader, KeyListReader, NdjsonWriter};
use kv_ureq::{BulkPayload, BulkValue, Error, FailedKey, Key};

use crate::Ctx;
use crate::args::BulkCmd;
use crate::output::{
    Failure, JobEnd, Source, Status, bar, finish_job, follow, until_error, usage, write_key_array,
};

/// Runs one bulk command.
pub fn run(ctx: &Ctx, cmd: BulkCmd) -> Result<Status, Failure> {
    match cmd {
        BulkCmd::Put { ns, file, failed } => {
            let ns = ctx.namespace(&ns.namespace_id)?;
            let source = Source::new(&file)?;
            put(
                ctx,
                &ns,
                &source,
                "bulk put",
                failed.failed_keys.as_deref(),
                0,
            )
        }
        BulkCmd::Get {
            ns,
            file,
            metadata,
            failed,
        } => get(
            ctx,
            &ns.namespace_id,
            &file,
            metadata,
            failed.failed_keys.as_deref(),
        ),
        BulkCmd::Delete { ns, file, failed } => {
            let ns = ctx.namespace(&ns.namespace_id)?;
            let source = Source::new(&file)?;
            let bad = Arc::new(Mutex::new(None));
            let keys = until_error(KeyListReader::new(source.open()?), bad.clone());
            let bar = bar("deleting");
            let report = ns
                .bulk_delete(keys)
                .config(ctx.write_config())
                .on_progress(follow(&bar))
                .run()?;
            bar.finish_and_clear();
            let status = finish_job(
                &JobEnd {
                    verb: "bulk delete",
                    done_word: "deleted",
                    succeeded: report.succeeded,
                    failed: &report.failed,
                    not_attempted: &report.not_attempted,
                    stopped: report.stopped.as_deref(),
                    requests: report.requests_sent,
                },
                ctx.json,
                failed.failed_keys.as_deref(),
                write_key_array,
            )?;
            input_error(bad, status)
        }
    }
}

/// A bad input stops the job where it is; what came before it was sent and is reported.
fn input_error(slot: Arc<Mutex<Option<Error>>>, status: Status) -> Result<Status, Failure> {
    match slot.lock().expect("not poisoned").take() {
        Some(e) => Err(usage(format!(
            "the input stops being valid here (the records before it were sent): {e}"
        ))),
        None => Ok(status),
    }
}

/// Writes the records of `source` (wrangler bulk JSON or NDJSON) after the first `skip`;
/// shared with `import`. An import also says how many records were confirmed in order.
pub fn put(
    ctx: &Ctx,
    ns: &kv_ureq::NamespaceHandle,
    source: &Source,
    verb: &str,
    failed_file: Option<&Path>,
    skip: u64,
) -> Result<Status, Failure> {
    let reader = ImportReader::detect(source.open()?).map_err(usage)?;
    let reader = reader.skip(usize::try_from(skip).unwrap_or(usize::MAX));
    let bad_input = Arc::new(Mutex::new(None));
    // Records that cannot become a bulk item (a bad key, a value over the limit) fail here,
    // with attempts 0, like the ones the plan refuses.
    let refused = Arc::new(Mutex::new(Vec::<FailedKey>::new()));
    let refused_in = refused.clone();
    let items = until_error(reader, bad_input.clone()).filter_map(move |rec| {
        let key = rec.key.clone();
        match rec.into_write_item() {
            Ok(item) => Some(item),
            Err(e) => {
                refused_in.lock().expect("not poisoned").push(FailedKey {
                    key,
                    error: Arc::new(e),
                    attempts: 0,
                    maybe_applied: false,
                });
                None
            }
        }
    });
    let bar = bar("writing");
    let mut report = ns
        .bulk_write(items)
        .config(ctx.write_config())
        .on_progress(follow(&bar))
        .run()?;
    bar.finish_and_clear();
    let mut failed = std::mem::take(&mut *refused.lock().expect("not poisoned"));
    failed.append(&mut report.failed);
    let status = finish_job(
        &JobEnd {
            verb,
            done_word: "written",
            succeeded: report.succeeded,
            failed: &failed,
            not_attempted: &report.not_attempted,
            stopped: report.stopped.as_deref(),
            requests: report.requests_sent,
        },
        ctx.json,
        failed_file,
        |path, keys| write_failed_records(source, path, keys),
    );
    if verb == "import" {
        let repeat = failed
            .iter()
            .map(|f| f.key.as_str())
            .chain(report.not_attempted.iter().map(String::as_str))
            .collect::<HashSet<_>>();
        let confirmed = skip + confirmed_in_order(source, skip, &repeat);
        eprintln!(
            "import: {confirmed} records confirmed in order{}",
            if repeat.is_empty() {
                String::new()
            } else {
                format!(" (to go on from the first failure: --skip {confirmed})")
            }
        );
    }
    input_error(bad_input, status?)
}

/// Records after the first `skip` of `source`, in order, before the first one whose key is in
/// `repeat` (failed or not attempted).
fn confirmed_in_order(source: &Source, skip: u64, repeat: &HashSet<&str>) -> u64 {
    let Ok(input) = source.open() else { return 0 };
    let Ok(reader) = ImportReader::detect(input) else {
        return 0;
    };
    reader
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take_while(|r| r.as_ref().is_ok_and(|r| !repeat.contains(r.key.as_str())))
        .count() as u64
}

/// Writes the records of `source` whose key is in `keys` as NDJSON (the input of `bulk put`
/// and `import`, to repeat just those).
fn write_failed_records(source: &Source, path: &Path, keys: &[String]) -> Result<(), Failure> {
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    let mut out = NdjsonWriter::new(BufWriter::new(File::create(path)?));
    let reader = ImportReader::detect(source.open()?).map_err(usage)?;
    for rec in reader {
        let Ok(rec) = rec else { break };
        if wanted.contains(rec.key.as_str()) {
            out.write(&rec)?;
        }
    }
    out.finish()?.flush()?;
    Ok(())
}

/// Reads the keys listed in `file` and prints {key: value} in input order.
fn get(
    ctx: &Ctx,
    namespace_id: &str,
    file: &str,
    with_metadata: bool,
    failed_file: Option<&Path>,
) -> Result<Status, Failure> {
    let ns = ctx.namespace(namespace_id)?;
    let source = Source::new(file)?;
    let keys: Vec<Key> = KeyListReader::new(source.open()?)
        .collect::<Result<_, _>>()
        .map_err(usage)?;
    let bar = bar("reading");
    let mut job = ns
        .bulk_get(keys.iter().cloned())
        .config(ctx.plan.clone())
        .on_progress(follow(&bar));
    if with_metadata {
        job = job.with_metadata();
    }
    let report = job.run()?;
    bar.finish_and_clear();

    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(b"{")?;
    let mut seen = HashSet::new();
    let mut first = true;
    for key in &keys {
        let Some(value) = report.values.get(key) else {
            continue; // failed: listed below
        };
        if !seen.insert(key) {
            continue;
        }
        let value = match value {
            BulkValue::Missing => serde_json::Value::Null,
            BulkValue::Text(s) => s.as_str().into(),
            BulkValue::Json(v) => v.clone(),
            BulkValue::WithMetadata {
                value,
                metadata,
                expiration,
            } => {
                let value = match value {
                    BulkPayload::Text(s) => s.as_str().into(),
                    BulkPayload::Json(v) => v.clone(),
                };
                serde_json::json!({"value": value, "metadata": metadata, "expiration": expiration})
            }
        };
        out.write_all(if first { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, key.as_str()).map_err(io::Error::other)?;
        out.write_all(b": ")?;
        serde_json::to_writer(&mut out, &value).map_err(io::Error::other)?;
        first = false;
    }
    out.write_all(b"\n}\n")?;
    out.flush()?;
    drop(out);

    let read = report.values.len() as u64;
    finish_job(
        &JobEnd {
            verb: "bulk get",
            done_word: "read",
            succeeded: read,
            failed: &report.failed,
            not_attempted: &report.not_attempted,
            stopped: report.stopped.as_deref(),
            requests: report.requests_sent,
        },
        false, // stdout holds the values
        failed_file,
        write_key_array,
    )
}
