//! The defaults of the client's settings: base URL, bulk plans, retries, pacing.
//!
//! ```
//! use kv_proto::defaults;
//! assert_eq!(defaults::DEFAULT_BASE_URL, "https://api.cloudflare.com/client/v4");
//! ```

pub use crate::drive::bulk::{
    DEFAULT_MAX_BATCH_ITEMS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_KEY_ATTEMPTS,
};
pub use crate::drive::workflow::{DEFAULT_EXPORT_WINDOW, DEFAULT_PURGE_WINDOW};
pub use crate::endpoint::DEFAULT_BASE_URL;
pub use crate::pace::{CLOUDFLARE_DEFAULT_BURST, PACER_MARGIN};
pub use crate::retry::{
    DEFAULT_BASE_DELAY, DEFAULT_JITTER, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_DELAY,
    DEFAULT_MAX_RETRY_AFTER, DEFAULT_MIN_RATE_LIMITED_DELAY, SERVICE_DEADLINE,
};
