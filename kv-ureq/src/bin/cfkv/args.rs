//! The command line, as clap derives it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Environment (read as wrangler reads it):
  CLOUDFLARE_API_TOKEN      an API token with Workers KV Storage: Edit
  CLOUDFLARE_API_KEY        or a global API key, with CLOUDFLARE_EMAIL
  CLOUDFLARE_EMAIL          the email of that key
  CLOUDFLARE_ACCOUNT_ID     the account
  CLOUDFLARE_API_BASE_URL   another API base URL (e.g. a local emulator)

Output: data goes to stdout; progress bars (only when stderr is a terminal), summaries and
errors go to stderr.

Exit status:
  0  success: every key succeeded
  1  some keys failed or were not attempted (listed on stderr, or written with
     --failed-keys FILE in a form the same command accepts, to repeat just those);
     for a single-key command: the key was not found or the request failed
  2  usage or configuration error: bad arguments, missing credentials, unreadable input
  3  fatal API error: authentication, namespace not found, daily quota; a job stops at once
     and lists the keys it did not attempt";

/// cfkv: a command line for Cloudflare Workers KV.
///
/// Namespaces, single keys, bulk jobs of any size (split into requests within the API's
/// limits, retried, paced under the rate limit), and whole-namespace export, import, copy and
/// purge.
#[derive(Debug, Parser)]
#[command(name = "cfkv", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// Print machine-readable JSON on stdout (ids, listings, job summaries).
    #[arg(long, global = true)]
    pub json: bool,

    /// Requests in flight at once for bulk jobs [default: the client's, 16].
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,

    /// Attempts per request and per key before a key is reported failed [default: 10, with
    /// backoff from 1 s to 30 s]; 1 fails fast.
    #[arg(long, global = true, value_name = "N")]
    pub max_attempts: Option<u32>,

    /// Keys per bulk write or delete request [default: 1000; the API allows 10000].
    #[arg(long, global = true, value_name = "N")]
    pub batch_size: Option<usize>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The command families.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list, rename and delete namespaces.
    #[command(subcommand)]
    Namespace(NamespaceCmd),
    /// Put, get, delete and list single keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Write, read and delete any number of keys.
    #[command(subcommand)]
    Bulk(BulkCmd),
    /// Write every key (value, metadata, expiration) as NDJSON, lossless: non-UTF-8 values
    /// are base64 with "base64": true.
    #[command(
        after_help = "Resume: if an export stops, the command to resume it is printed on stderr: \
--resume-from CURSOR. With -o FILE it appends to FILE, leaving out the keys FILE already holds \
(a last line cut short by a killed run is removed first); to stdout, records between the cursor \
and the point of failure may come out twice (importing them twice is harmless)."
    )]
    Export(ExportArgs),
    /// Write the records of an export (NDJSON) or of wrangler's bulk JSON file.
    #[command(
        after_help = "Resume: the summary says how many records were confirmed in order; \
run again with --skip N to leave those out. Unknown fields in a record are an error."
    )]
    Import(ImportArgs),
    /// Copy every key (or those under a prefix) to another namespace of the same account.
    Copy(CopyArgs),
    /// Delete every key (or those under a prefix). Needs --yes.
    Purge(PurgeArgs),
}

/// The namespace a command works on.
#[derive(Debug, Args)]
pub struct Ns {
    /// The namespace's id (32 hex digits), as `cfkv namespace list` shows it.
    #[arg(long = "namespace-id", value_name = "ID")]
    pub namespace_id: String,
}

/// Where to write the keys of a job that failed.
#[derive(Debug, Args)]
pub struct FailedKeys {
    /// Write the failed and not-attempted keys to FILE (a JSON array of keys, or NDJSON
    /// records for puts and imports) instead of listing them on stderr; FILE is the input of
    /// the same command, to repeat just those.
    #[arg(long = "failed-keys", value_name = "FILE")]
    pub failed_keys: Option<PathBuf>,
}

/// `cfkv namespace ...`
#[derive(Debug, Subcommand)]
pub enum NamespaceCmd {
    /// Create a namespace and print its id (--json: {"id", "title"}).
    Create {
        /// The title (unique in the account).
        title: String,
    },
    /// List the account's namespaces (id and title; --json: a JSON array).
    List,
    /// Rename a namespace.
    Rename {
        #[command(flatten)]
        ns: Ns,
        /// The new title.
        new_title: String,
    },
    /// Delete a namespace and every key in it.
    Delete {
        #[command(flatten)]
        ns: Ns,
    },
}

/// `cfkv key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Write one value.
    Put {
        #[command(flatten)]
        ns: Ns,
        /// The key.
        key: String,
        /// The value (or --path FILE).
        #[arg(required_unless_present = "path", conflicts_with = "path")]
        value: Option<String>,
        /// Read the value from FILE, byte for byte.
        #[arg(long, value_name = "FILE")]
        path: Option<PathBuf>,
        /// Metadata: a JSON value of at most 1024 bytes.
        #[arg(long, value_name = "JSON")]
        metadata: Option<String>,
        /// Expire S seconds from now (at least 60).
        #[arg(long, value_name = "S")]
        ttl: Option<u64>,
        /// Expire at T, seconds since the Unix epoch.
        #[arg(long, value_name = "T")]
        expiration: Option<u64>,
    },
    /// Print one value to stdout, byte for byte (exit status 1 if the key does not exist).
    Get {
        #[command(flatten)]
        ns: Ns,
        /// The key.
        key: String,
        /// Decode the value as UTF-8 text (invalid bytes replaced) and end it with a newline.
        #[arg(long)]
        text: bool,
    },
    /// Delete one key (deleting a missing key succeeds).
    Delete {
        #[command(flatten)]
        ns: Ns,
        /// The key.
        key: String,
    },
    /// List keys as wrangler does: a JSON array of {"name", "expiration", "metadata"}.
    List {
        #[command(flatten)]
        ns: Ns,
        /// Only keys starting with P.
        #[arg(long, value_name = "P")]
        prefix: Option<String>,
    },
}

/// `cfkv bulk ...`
#[derive(Debug, Subcommand)]
pub enum BulkCmd {
    /// Write records from FILE (or - for stdin): wrangler's bulk JSON array of {"key",
    /// "value", "base64", "metadata", "expiration", "expiration_ttl"}, or NDJSON, one such
    /// object per line (the format of `cfkv export`).
    Put {
        #[command(flatten)]
        ns: Ns,
        /// The input file, or - for stdin.
        file: String,
        #[command(flatten)]
        failed: FailedKeys,
    },
    /// Read any number of keys listed in FILE (a JSON array of strings or of {"name"} objects,
    /// as `key list` prints) and print a JSON object {key: value}, null for a missing key.
    /// Text values only (the API's bulk read); 100 keys per request.
    Get {
        #[command(flatten)]
        ns: Ns,
        /// The input file, or - for stdin.
        file: String,
        /// Print {key: {"value", "metadata", "expiration"}} instead of {key: value}.
        #[arg(long)]
        metadata: bool,
        #[command(flatten)]
        failed: FailedKeys,
    },
    /// Delete the keys listed in FILE (a JSON array of strings or of {"name"} objects, so
    /// `cfkv key list ... | cfkv bulk delete ... -` works).
    Delete {
        #[command(flatten)]
        ns: Ns,
        /// The input file, or - for stdin.
        file: String,
        #[command(flatten)]
        failed: FailedKeys,
    },
}

/// `cfkv export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub ns: Ns,
    /// Only keys starting with P.
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Start from this listing cursor (printed on stderr by an export that stopped).
    #[arg(long, value_name = "CURSOR")]
    pub resume_from: Option<String>,
}

/// `cfkv import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub ns: Ns,
    /// The input file (NDJSON or wrangler's bulk JSON), or - for stdin.
    pub file: String,
    /// Leave out the first N records (already confirmed by an earlier run).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,
    #[command(flatten)]
    pub failed: FailedKeys,
}

/// `cfkv copy`
#[derive(Debug, Args)]
pub struct CopyArgs {
    #[command(flatten)]
    pub ns: Ns,
    /// The target namespace's id.
    #[arg(long = "to", value_name = "NAMESPACE_ID")]
    pub to: String,
    /// Only keys starting with P.
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    #[command(flatten)]
    pub failed: FailedKeys,
}

/// `cfkv purge`
#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub ns: Ns,
    /// Only keys starting with P.
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Confirm: without it nothing is deleted (exit status 2).
    #[arg(long)]
    pub yes: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
