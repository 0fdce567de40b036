//! The API's documented limits, checked before anything is sent, and the response caps the
//! client reads up to.
//!
//! Each is also a constant of the module that enforces it; this module gathers them.
//!
//! ```
//! use kv_proto::limits;
//! assert_eq!(limits::MAX_KEY_BYTES, 512);
//! assert_eq!(limits::MAX_BULK_ITEMS, 10_000);
//! ```

pub use crate::error::EXCERPT_CHARS;
pub use crate::ids::{
    MAX_ID_CHARS, MAX_KEY_BYTES, MAX_METADATA_BYTES, MAX_TITLE_CHARS, MAX_VALUE_BYTES, MIN_TTL_SECS,
};
pub use crate::op::{
    MAX_BULK_GET_KEYS, MAX_BULK_GET_RESPONSE, MAX_BULK_ITEMS, MAX_BULK_RESULT_RESPONSE,
    MAX_BULK_WRITE_BODY_BYTES, MAX_LIST_KEYS_RESPONSE, MAX_LIST_LIMIT,
    MAX_LIST_NAMESPACES_RESPONSE, MAX_PER_PAGE, MAX_SMALL_JSON_RESPONSE, MAX_VALUE_RESPONSE,
    MIN_LIST_LIMIT, MIN_PER_PAGE,
};
pub use crate::pace::{CLOUDFLARE_PER_SECOND, CLOUDFLARE_REQUESTS, CLOUDFLARE_WINDOW};
