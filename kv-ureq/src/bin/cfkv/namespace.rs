//! `cfkv namespace create|list|rename|delete`.

use std::io::{self, Write};

use crate::Ctx;
use crate::args::NamespaceCmd;
use crate::output::{Failure, Status};

/// Runs one namespace command.
pub fn run(ctx: &Ctx, cmd: NamespaceCmd) -> Result<Status, Failure> {
    let client = &ctx.client;
    // writeln! rather than println!: a closed pipe is an error to report, not a panic.
    let mut out = io::stdout().lock();
    match cmd {
        NamespaceCmd::Create { title } => {
            let ns = client.create_namespace(title.as_str())?;
            if ctx.json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"id": ns.id.as_str(), "title": ns.title})
                )?;
            } else {
                writeln!(out, "{}", ns.id)?;
            }
        }
        NamespaceCmd::List => {
            let all = client.namespaces().collect::<Result<Vec<_>, _>>()?;
            if ctx.json {
                let list: Vec<_> = all
                    .iter()
                    .map(|n| serde_json::json!({"id": n.id.as_str(), "title": n.title}))
                    .collect();
                writeln!(out, "{}", serde_json::Value::from(list))?;
            } else {
                for n in &all {
                    writeln!(out, "{}\t{}", n.id, n.title)?;
                }
            }
        }
        NamespaceCmd::Rename { ns, new_title } => {
            client.rename_namespace(ns.namespace_id.as_str(), new_title.as_str())?;
            eprintln!("renamed {} to {new_title}", ns.namespace_id);
        }
        NamespaceCmd::Delete { ns } => {
            client.delete_namespace(ns.namespace_id.as_str())?;
            eprintln!("deleted namespace {}", ns.namespace_id);
        }
    }
    Ok(Status::Ok)
}
