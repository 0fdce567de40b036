//! Sans-IO protocol core for the Cloudflare Workers KV REST API.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
mod de;
mod endpoint;
mod envelope;
mod error;
mod ids;
mod op;
mod pace;
mod page;
mod retry;

pub use http;

pub use auth::Auth;
pub use endpoint::{DEFAULT_BASE_URL, Endpoint, encode_component};
pub use error::{
    ApiError, CODE_AUTH, CODE_DAILY_QUOTA, CODE_INVALID_NAMESPACE_ID, CODE_KEY_NOT_FOUND,
    CODE_NAMESPACE_NOT_FOUND, CODE_RATE_LIMITED, CODE_TITLE_EXISTS, DecodeError, EXCERPT_CHARS,
    Error, ErrorKind, ErrorSource, HttpError, Limit, ResponseInfo, ResponseMeta, RetryAfter,
    TransportError, TransportErrorKind,
};
pub use ids::{
    AccountId, Expiration, Key, MAX_ID_CHARS, MAX_KEY_BYTES, MAX_METADATA_BYTES, MAX_TITLE_CHARS,
    MAX_VALUE_BYTES, MIN_TTL_SECS, Metadata, NamespaceId, Title,
};
pub use op::{
    BulkDelete, BulkGet, BulkGetResult, BulkPayload, BulkResult, BulkValue, BulkWrite,
    BulkWriteItem, CreateNamespace, DeleteNamespace, DeleteValue, Direction, GetMetadata,
    GetNamespace, GetValue, Jurisdiction, KeyInfo, KeyPage, ListKeys, ListNamespaces,
    MAX_BULK_GET_KEYS, MAX_BULK_GET_RESPONSE, MAX_BULK_ITEMS, MAX_BULK_RESULT_RESPONSE,
    MAX_BULK_WRITE_BODY_BYTES, MAX_LIST_KEYS_RESPONSE, MAX_LIST_LIMIT,
    MAX_LIST_NAMESPACES_RESPONSE, MAX_PER_PAGE, MAX_SMALL_JSON_RESPONSE, MAX_VALUE_RESPONSE,
    MIN_LIST_LIMIT, MIN_PER_PAGE, Namespace, NamespaceMode, NamespaceOrder, NamespacePage,
    Operation, PageInfo, PutValue, RenameNamespace, TryGetValue, Value,
};
pub use page::{KeyPager, NamespacePager};
pub use pace::{CLOUDFLARE_DEFAULT_BURST, CLOUDFLARE_REQUESTS, CLOUDFLARE_WINDOW, Pacer};
pub use retry::{
    DEFAULT_BASE_DELAY, DEFAULT_JITTER, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_DELAY,
    DEFAULT_MAX_RETRY_AFTER, DEFAULT_MIN_RATE_LIMITED_DELAY, GiveUpReason, RetryDecision,
    RetryPolicy, RetryState,
};
