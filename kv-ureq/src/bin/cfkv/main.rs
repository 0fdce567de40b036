//! `cfkv`: a command line for Cloudflare Workers KV, on kv-ureq.
//!
//! `cargo install --path kv-ureq --features cli`. See `cfkv --help`.

mod args;
mod bulk;
mod key;
mod namespace;
mod output;
mod workflow;

use std::process::ExitCode;

use clap::Parser;
use kv_ureq::{Client, ClientBuilder, NamespaceHandle, PlanConfig, RetryPolicy};

use args::{Cli, Command};
use output::{Failure, Status, usage};

/// What every command gets: the client and the global flags.
pub struct Ctx {
    /// The client, from the environment.
    pub client: Client,
    /// `--json`.
    pub json: bool,
    /// The bulk jobs' settings (`--max-attempts`).
    pub plan: PlanConfig,
    /// `--batch-size`, for bulk writes and deletes.
    pub batch_size: Option<usize>,
}

impl Ctx {
    /// The settings of a bulk write or delete job.
    pub fn write_config(&self) -> PlanConfig {
        match self.batch_size {
            Some(n) => self.plan.clone().with_max_batch_items(n),
            None => self.plan.clone(),
        }
    }

    /// The handle of a namespace given on the command line.
    pub fn namespace(&self, id: &str) -> Result<NamespaceHandle, Failure> {
        self.client
            .namespace(id)
            .map_err(|e| usage(format!("--namespace-id {id}: {e}")))
    }
}

fn run(cli: Cli) -> Result<Status, Failure> {
    let mut builder = ClientBuilder::from_env().map_err(usage)?;
    let mut plan = PlanConfig::default();
    if let Some(n) = cli.concurrency {
        builder = builder.concurrency(n);
    }
    if let Some(n) = cli.max_attempts {
        let policy = RetryPolicy::default().with_max_attempts(n);
        builder = builder.retry_policy(policy);
        plan = plan.with_max_key_attempts(n).with_backoff(policy);
    }
    let ctx = Ctx {
        client: builder.build().map_err(usage)?,
        json: cli.json,
        plan,
        batch_size: cli.batch_size,
    };
    match cli.command {
        Command::Namespace(cmd) => namespace::run(&ctx, cmd),
        Command::Key(cmd) => key::run(&ctx, cmd),
        Command::Bulk(cmd) => bulk::run(&ctx, cmd),
        Command::Import(a) => {
            let ns = ctx.namespace(&a.ns.namespace_id)?;
            let source = output::Source::new(&a.file)?;
            bulk::put(
                &ctx,
                &ns,
                &source,
                "import",
                a.failed.failed_keys.as_deref(),
                a.skip,
            )
        }
        Command::Export(a) => workflow::export(&ctx, a),
        Command::Copy(a) => workflow::copy(&ctx, a),
        Command::Purge(a) => workflow::purge(&ctx, a),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::KeysFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("cfkv: error: {e}");
            e.exit_code()
        }
    }
}
