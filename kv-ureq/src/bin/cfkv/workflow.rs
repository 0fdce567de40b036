//! `cfkv export|copy|purge` (whole-namespace jobs; `import` shares `bulk put`'s path).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use kv_ureq::kv_proto::records::NdjsonWriter;
use kv_ureq::{Error, FailedKey, NamespaceHandle};

use crate::Ctx;
use crate::args::{CopyArgs, ExportArgs, PurgeArgs};
use crate::output::{Failure, JobEnd, Status, bar, finish_job, follow, usage, write_key_array};

/// `cfkv export`: NDJSON in key order; resumable from a listing cursor.
pub fn export(ctx: &Ctx, a: ExportArgs) -> Result<Status, Failure> {
    let ns = ctx.namespace(&a.ns.namespace_id)?;
    // Resuming into a file: append, and leave out the keys the file already holds.
    let mut already = HashSet::new();
    let out: Box<dyn Write + Send> = match (&a.output, &a.resume_from) {
        (Some(path), Some(_)) => {
            already = keys_in(path)?;
            Box::new(OpenOptions::new().append(true).create(true).open(path)?)
        }
        (Some(path), None) => Box::new(File::create(path)?),
        (None, _) => Box::new(io::stdout()),
    };
    let mut writer = NdjsonWriter::new(BufWriter::new(out));
    let last = Arc::new(Mutex::new(None::<String>));
    let last_in = last.clone();
    let mut job = ns.export();
    if let Some(p) = &a.prefix {
        job = job.prefix(p.clone());
    }
    if let Some(c) = &a.resume_from {
        job = job.from_cursor(c.clone());
    }
    let bar = bar("exporting");
    let result = job.on_progress(follow(&bar)).for_each(|rec| {
        if already.contains(&rec.key) {
            return Ok(());
        }
        writer.write(&rec)?;
        *last_in.lock().expect("not poisoned") = Some(rec.key);
        Ok(())
    });
    bar.finish_and_clear();
    writer.finish()?.flush()?;
    let report = result?;
    let stopped = report.listing_error.as_deref();
    let status = finish_job(
        &JobEnd {
            verb: "export",
            done_word: "exported",
            succeeded: report.exported,
            failed: &report.failed,
            not_attempted: &[],
            stopped: None,
            requests: report.requests_sent,
        },
        false,
        None,
        write_key_array,
    )?;
    if !report.vanished.is_empty() {
        eprintln!(
            "export: {} keys vanished between the listing and the read (not an error)",
            report.vanished.len()
        );
    }
    if status == Status::Ok && stopped.is_none() {
        return Ok(Status::Ok);
    }
    let last = last.lock().expect("not poisoned").clone();
    let first_failed = report.failed.iter().map(|f| f.key.as_str()).min();
    match resume_cursor(&ns, &a, last.as_deref(), first_failed) {
        Ok(cursor) => {
            let mut again = format!("cfkv export --namespace-id {}", a.ns.namespace_id);
            if let Some(p) = &a.prefix {
                again += &format!(" --prefix '{p}'");
            }
            if let Some(o) = &a.output {
                again += &format!(" -o '{}'", o.display());
            }
            match cursor {
                Some(c) => eprintln!("export: incomplete; to resume: {again} --resume-from {c}"),
                None => eprintln!("export: incomplete; nothing to resume from: run it again"),
            }
        }
        Err(e) => eprintln!("export: incomplete; the resume cursor could not be found ({e})"),
    }
    match stopped {
        Some(e) => Err(Failure::Api(e.clone())),
        None => Ok(Status::KeysFailed),
    }
}

/// The cursor of the last page boundary before which every key was exported: keys up to
/// `last` (the last record written), and before `first_failed`. Walks the listing again
/// (names only, 1000 per request).
fn resume_cursor(
    ns: &NamespaceHandle,
    a: &ExportArgs,
    last: Option<&str>,
    first_failed: Option<&str>,
) -> Result<Option<String>, Error> {
    if last.is_none() {
        return Ok(a.resume_from.clone()); // nothing written: start where this run started
    }
    let mut keys = ns.keys();
    if let Some(p) = &a.prefix {
        keys = keys.prefix(p.clone());
    }
    if let Some(c) = &a.resume_from {
        keys = keys.from_cursor(c.clone());
    }
    let mut cursor = a.resume_from.clone();
    while let Some(k) = keys.next() {
        let k = k?;
        let done = last.is_some_and(|l| k.name.as_str() <= l)
            && first_failed.is_none_or(|f| k.name.as_str() < f);
        if !done {
            break;
        }
        if keys.buffered() == 0 {
            match keys.cursor() {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    Ok(cursor)
}

/// The keys of an NDJSON export file; a last line cut short (a killed run) is removed.
fn keys_in(path: &Path) -> Result<HashSet<String>, Failure> {
    let Ok(mut file) = OpenOptions::new().read(true).write(true).open(path) else {
        return Ok(HashSet::new());
    };
    let mut keys = HashSet::new();
    let mut good = 0u64;
    let mut line = String::new();
    let mut reader = BufReader::new(&mut file);
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        #[derive(serde::Deserialize)]
        struct KeyOnly {
            key: String,
        }
        let Ok(k) = serde_json::from_str::<KeyOnly>(&line) else {
            break;
        };
        keys.insert(k.key);
        good += n as u64;
    }
    drop(reader);
    if file.seek(SeekFrom::End(0))? != good {
        eprintln!(
            "export: cutting {} after its last complete record",
            path.display()
        );
        file.set_len(good)?;
    }
    Ok(keys)
}

/// `cfkv copy --to ID`.
pub fn copy(ctx: &Ctx, a: CopyArgs) -> Result<Status, Failure> {
    let from = ctx.namespace(&a.ns.namespace_id)?;
    let to = ctx.namespace(&a.to)?;
    let mut job = from.copy_to(&to).config(ctx.write_config());
    if let Some(p) = &a.prefix {
        job = job.prefix(p.clone());
    }
    let bar = bar("copying");
    let report = job.on_progress(follow(&bar)).run()?;
    bar.finish_and_clear();
    let mut failed: Vec<FailedKey> = report.export.failed.clone();
    failed.extend(report.import.failed.iter().cloned());
    let stopped = report
        .export
        .listing_error
        .as_deref()
        .or(report.import.stopped.as_deref());
    finish_job(
        &JobEnd {
            verb: "copy",
            done_word: "copied",
            succeeded: report.import.succeeded,
            failed: &failed,
            not_attempted: &report.import.not_attempted,
            stopped,
            requests: report.export.requests_sent + report.import.requests_sent,
        },
        ctx.json,
        a.failed.failed_keys.as_deref(),
        write_key_array,
    )
}

/// `cfkv purge --yes`.
pub fn purge(ctx: &Ctx, a: PurgeArgs) -> Result<Status, Failure> {
    if !a.yes {
        return Err(usage(format!(
            "purge deletes every key{} of namespace {}: add --yes to do it",
            a.prefix
                .as_ref()
                .map(|p| format!(" starting with '{p}'"))
                .unwrap_or_default(),
            a.ns.namespace_id
        )));
    }
    let ns = ctx.namespace(&a.ns.namespace_id)?;
    let mut job = ns.purge().config(ctx.write_config());
    if let Some(p) = &a.prefix {
        job = job.prefix(p.clone());
    }
    let bar = bar("purging");
    let report = job.on_progress(follow(&bar)).run()?;
    bar.finish_and_clear();
    let stopped = report
        .listing_error
        .as_deref()
        .or(report.bulk.stopped.as_deref());
    finish_job(
        &JobEnd {
            verb: "purge",
            done_word: "deleted",
            succeeded: report.bulk.succeeded,
            failed: &report.bulk.failed,
            not_attempted: &report.bulk.not_attempted,
            stopped,
            requests: report.bulk.requests_sent,
        },
        ctx.json,
        None,
        write_key_array,
    )
}
