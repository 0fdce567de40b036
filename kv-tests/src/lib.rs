//! Local emulator of the Workers KV REST API.
#![forbid(unsafe_code)]
