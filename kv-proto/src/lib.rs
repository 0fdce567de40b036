//! Sans-IO protocol core for the Cloudflare Workers KV REST API.
#![forbid(unsafe_code)]
