//! Exit statuses, errors, progress bars, inputs and the failed-keys report.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kv_ureq::{Error, FailedKey, Progress};

/// How a command ended when it did not fail as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything succeeded (exit 0).
    Ok,
    /// Some keys failed or were not attempted, or a single key was not found (exit 1).
    KeysFailed,
}

/// A command that failed as a whole.
#[derive(Debug)]
pub enum Failure {
    /// Usage, configuration or input error (exit 2).
    Usage(String),
    /// An API error: 3 if fatal (authentication, namespace not found), 2 for input the
    /// client refused, else 1.
    Api(Error),
    /// Writing the output failed (exit 1).
    Io(io::Error),
}

impl Failure {
    /// The process's exit status.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Usage(_) => 2,
            Failure::Api(e) if e.is_fatal() => 3,
            Failure::Api(e) if e.is_invalid_input() => 2,
            Failure::Api(_) | Failure::Io(_) => 1,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) => f.write_str(m),
            Failure::Api(e) => write!(f, "{e}"),
            Failure::Io(e) => write!(f, "writing the output: {e}"),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Api(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// A usage error naming what it is about.
pub fn usage(what: impl fmt::Display) -> Failure {
    Failure::Usage(what.to_string())
}

/// An input given as a file or `-` (stdin, read once into memory so the failed records can
/// be found again).
pub enum Source {
    /// A file, opened again when needed.
    File(PathBuf),
    /// Standard input, read to the end.
    Stdin(Vec<u8>),
}

impl Source {
    /// `-` is stdin.
    pub fn new(arg: &str) -> Result<Source, Failure> {
        if arg == "-" {
            let mut buf = Vec::new();
            io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| usage(format!("reading stdin: {e}")))?;
            Ok(Source::Stdin(buf))
        } else {
            Ok(Source::File(PathBuf::from(arg)))
        }
    }

    /// A fresh reader from the start.
    pub fn open(&self) -> Result<Box<dyn Read + Send + '_>, Failure> {
        match self {
            Source::File(p) => File::open(p)
                .map(|f| Box::new(f) as Box<dyn Read + Send>)
                .map_err(|e| usage(format!("{}: {e}", p.display()))),
            Source::Stdin(b) => Ok(Box::new(&b[..])),
        }
    }
}

/// Items of `iter` until the first error, which is kept in `slot` (a reader of records stops
/// at the first bad line; the job sends what came before it).
pub fn until_error<T, I>(iter: I, slot: Arc<Mutex<Option<Error>>>) -> impl Iterator<Item = T> + Send
where
    I: Iterator<Item = Result<T, Error>> + Send,
{
    iter.map_while(move |r| match r {
        Ok(t) => Some(t),
        Err(e) => {
            *slot.lock().expect("not poisoned") = Some(e);
            None
        }
    })
}

/// A progress bar on stderr; hidden (by indicatif) when stderr is not a terminal.
pub fn bar(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({per_sec}, eta {eta})",
        )
        .expect("a valid template"),
    );
    bar.set_message(message);
    bar
}

/// A progress callback that moves `bar`.
pub fn follow(bar: &ProgressBar) -> impl FnMut(&Progress) + Send + 'static {
    let bar = bar.clone();
    move |p: &Progress| {
        bar.set_length(p.total.unwrap_or(p.total_known));
        bar.set_position(p.done + p.failed);
    }
}

/// What a job reports, whatever its kind.
pub struct JobEnd<'a> {
    /// The command, for messages ("bulk put").
    pub verb: &'a str,
    /// What its successes are called ("written").
    pub done_word: &'a str,
    /// Keys that succeeded.
    pub succeeded: u64,
    /// Keys that failed, with their errors.
    pub failed: &'a [FailedKey],
    /// Keys never sent.
    pub not_attempted: &'a [String],
    /// Why the job stopped early.
    pub stopped: Option<&'a Error>,
    /// HTTP requests sent.
    pub requests: u64,
}

impl JobEnd<'_> {
    /// The keys to repeat: failed, then not attempted.
    pub fn to_repeat(&self) -> Vec<String> {
        self.failed
            .iter()
            .map(|f| f.key.clone())
            .chain(self.not_attempted.iter().cloned())
            .collect()
    }
}

/// Keys listed on stderr at most; more go to `--failed-keys FILE`.
const LISTED: usize = 20;

/// Prints the summary (stderr; with `json` also a JSON object on stdout), lists the failed
/// keys on stderr or has `write_failed` write them to the file, and turns the job's end into
/// an exit status: a fatal stop is an error (3), failed keys are [`Status::KeysFailed`].
pub fn finish_job(
    end: &JobEnd<'_>,
    json: bool,
    failed_file: Option<&Path>,
    write_failed: impl FnOnce(&Path, &[String]) -> Result<(), Failure>,
) -> Result<Status, Failure> {
    let repeat = end.to_repeat();
    eprintln!(
        "{}: {} {}, {} failed, {} not attempted ({} requests)",
        end.verb,
        end.succeeded,
        end.done_word,
        end.failed.len(),
        end.not_attempted.len(),
        end.requests
    );
    if json {
        let summary = serde_json::json!({
            "succeeded": end.succeeded,
            "failed": end.failed.iter().map(|f| serde_json::json!({
                "key": f.key, "error": f.error.to_string(), "attempts": f.attempts,
                "maybe_applied": f.maybe_applied,
            })).collect::<Vec<_>>(),
            "not_attempted": end.not_attempted,
            "stopped": end.stopped.map(|e| e.to_string()),
            "requests": end.requests,
        });
        writeln!(io::stdout(), "{summary}")?;
    }
    if !repeat.is_empty() {
        if let Some(path) = failed_file {
            write_failed(path, &repeat)?;
            eprintln!(
                "{}: wrote the {} keys to repeat to {} (give it to the same command)",
                end.verb,
                repeat.len(),
                path.display()
            );
        } else {
            for f in end.failed.iter().take(LISTED) {
                let maybe = if f.maybe_applied {
                    ", may have been applied"
                } else {
                    ""
                };
                eprintln!(
                    "failed: {} ({} attempts{maybe}): {}",
                    f.key, f.attempts, f.error
                );
            }
            let shown = end.failed.len().min(LISTED);
            let left = end.not_attempted.len().min(LISTED - shown);
            for k in &end.not_attempted[..left] {
                eprintln!("not attempted: {k}");
            }
            if repeat.len() > shown + left {
                eprintln!(
                    "... and {} more: use --failed-keys FILE to write them all",
                    repeat.len() - shown - left
                );
            }
        }
    }
    if let Some(e) = end.stopped {
        return Err(Failure::Api(e.clone()));
    }
    Ok(if repeat.is_empty() {
        Status::Ok
    } else {
        Status::KeysFailed
    })
}

/// Writes `keys` as a JSON array (the input of `bulk get` and `bulk delete`).
pub fn write_key_array(path: &Path, keys: &[String]) -> Result<(), Failure> {
    let mut out = BufWriter::new(File::create(path)?);
    serde_json::to_writer(&mut out, keys).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
