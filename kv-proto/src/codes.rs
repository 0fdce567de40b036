//! The Cloudflare error codes the client gives a name, for [`Error::has_code`](crate::Error::has_code).
//!
//! ```
//! use kv_proto::codes;
//! assert_eq!(codes::TITLE_EXISTS, 10014);
//! ```

/// Authentication failed (also used for permission problems).
pub const AUTH: u32 = 10000;
/// Key not found (read value, read metadata).
pub const KEY_NOT_FOUND: u32 = 10009;
/// The namespace id could not be parsed.
pub const INVALID_NAMESPACE_ID: u32 = 10011;
/// Namespace not found.
pub const NAMESPACE_NOT_FOUND: u32 = 10013;
/// A namespace with this title already exists.
pub const TITLE_EXISTS: u32 = 10014;
/// The free plan's daily quota is used up (never retried).
pub const DAILY_QUOTA: u32 = 10048;
/// The global API rate limit was hit (429).
pub const RATE_LIMITED: u32 = 971;
