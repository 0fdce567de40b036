//! The API's documented limits, checked before anything is sent, and the response caps the
//! client reads up to.
//!
//! Each is also a constant of the module that enforces it; this module gathers them.
//!
//! Invalid input is rejected with `ErrorKind::InvalidInput { limit, message }` before any byte
//! is sent:
//!
//! | limit | rule | [`Limit`](crate::Limit)`::` |
//! |---|---|---|
//! | key | 1..=512 bytes of UTF-8, not `.` or `..` | `Key` |
//! | account id, namespace id | 1..=32 characters of `[0-9A-Za-z]` | `AccountId`, `NamespaceId` |
//! | namespace title | 1..=512 characters | `Title` |
//! | value | at most 25 MiB (26,214,400 bytes); for binary bulk items the bytes, not their base64 | `ValueSize` |
//! | metadata | serialised JSON of at most 1024 bytes | `Metadata` |
//! | `expiration_ttl` | at least 60 s | `ExpirationTtl` |
//! | list keys `limit` | 10..=1000 | `ListLimit` |
//! | list namespaces `per_page`, `page` | 5..=100, and at least 1 | `Paging` |
//! | bulk get | 1..=100 keys per request | `BulkGetCount` |
//! | bulk delete | 1..=10,000 keys per request | `BulkDeleteCount` |
//! | bulk write | 1..=10,000 items and at most 100,000,000 body bytes per request | `BulkWriteCount`, `BulkWriteBytes` |
//! | base URL | `https`, unless the host is loopback; no query | `BaseUrl` |
//! | credentials | non-empty, valid header values | `Credentials` |
//!
//! Bulk plans never hit the per-request bulk limits: they split the work to fit. Left to the
//! server, because the client cannot know them: an absolute `expiration` at least 60 s ahead
//! (kv-proto has no clock), a bulk-get response over 25 MB (413, `is_too_large()`), 1,000
//! namespaces per account, the free plan's daily quotas, one write per second to the same key.
//!
//! Response bodies are read up to a cap per operation (`Operation::max_response_bytes`):
//! a value read 25 MiB + 64 KiB ([`MAX_VALUE_RESPONSE`]), bulk get 32 MiB, bulk write and delete
//! and list keys 16 MiB, list namespaces 4 MiB, everything else 1 MiB.
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
