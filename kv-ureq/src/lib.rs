//! Blocking Workers KV client on ureq 3.
#![forbid(unsafe_code)]
