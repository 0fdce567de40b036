//! `cfkv key put|get|delete|list`.

use std::io::{self, BufWriter, Write};

use crate::Ctx;
use crate::args::KeyCmd;
use crate::output::{Failure, Status, usage};

/// Runs one key command.
pub fn run(ctx: &Ctx, cmd: KeyCmd) -> Result<Status, Failure> {
    match cmd {
        KeyCmd::Put {
            ns,
            key,
            value,
            path,
            metadata,
            ttl,
            expiration,
        } => {
            let ns = ctx.namespace(&ns.namespace_id)?;
            let bytes = match (value, path) {
                (Some(v), _) => v.into_bytes(),
                (None, Some(p)) => {
                    std::fs::read(&p).map_err(|e| usage(format!("{}: {e}", p.display())))?
                }
                (None, None) => return Err(usage("give a VALUE or --path FILE")),
            };
            let mut put = ns.put_with(key.as_str(), bytes);
            if let Some(m) = metadata {
                let m: serde_json::Value = serde_json::from_str(&m)
                    .map_err(|e| usage(format!("--metadata is not JSON: {e}")))?;
                put = put.metadata(m);
            }
            if let Some(t) = ttl {
                put = put.ttl(t);
            }
            if let Some(t) = expiration {
                put = put.expire_at(t);
            }
            put.send()?;
            Ok(Status::Ok)
        }
        KeyCmd::Get { ns, key, text } => {
            let ns = ctx.namespace(&ns.namespace_id)?;
            let Some(v) = ns.get(key.as_str())? else {
                eprintln!("cfkv: key not found: {key}");
                return Ok(Status::KeysFailed);
            };
            let mut out = io::stdout().lock();
            if text {
                writeln!(out, "{}", String::from_utf8_lossy(&v.bytes))?;
            } else {
                out.write_all(&v.bytes)?;
            }
            out.flush()?;
            Ok(Status::Ok)
        }
        KeyCmd::Delete { ns, key } => {
            ctx.namespace(&ns.namespace_id)?.delete(key.as_str())?;
            Ok(Status::Ok)
        }
        KeyCmd::List { ns, prefix } => {
            let ns = ctx.namespace(&ns.namespace_id)?;
            let mut keys = ns.keys();
            if let Some(p) = prefix {
                keys = keys.prefix(p);
            }
            // Streamed: one key per line inside the array, so any number of keys fits.
            let mut out = BufWriter::new(io::stdout().lock());
            out.write_all(b"[")?;
            let mut first = true;
            for k in keys {
                let k = k?;
                out.write_all(if first { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut out, &k).map_err(io::Error::other)?;
                first = false;
            }
            out.write_all(b"\n]\n")?;
            out.flush()?;
            Ok(Status::Ok)
        }
    }
}
