//! [`TypedBulkGetReport`]: a bulk get's text values parsed on the client, one key at a time.

use std::collections::HashMap;
use std::sync::Arc;

use crate::drive::bulk::{BulkGetReport, FailedKey};
use crate::error::Error;
use crate::ids::Key;

/// A bulk get report whose values were parsed as JSON into `T` on the client
/// ([`BulkGetReport::into_typed`]). Reading text and parsing per key means one value that is
/// not JSON (or not a `T`) is one failed key with a decode error naming it, not a failed
/// request of 100 keys as with `type: json` on the server.
///
/// Invariant: `values.len() + missing.len() + failed.len() == requested`.
#[derive(Debug, Clone)]
pub struct TypedBulkGetReport<T> {
    /// Distinct keys requested (invalid inputs included).
    pub requested: u64,
    /// Later occurrences of a key already requested.
    pub duplicates: u64,
    /// Every key read and parsed.
    pub values: HashMap<Key, T>,
    /// Keys that do not exist (or have expired).
    pub missing: Vec<Key>,
    /// The metadata of the keys in `values` that have some (with metadata requested).
    pub metadata: HashMap<Key, serde_json::Value>,
    /// Keys that could not be read, or whose value did not parse (a decode error naming the
    /// key, `attempts` as sent).
    pub failed: Vec<FailedKey>,
    /// Values that did not parse (also in `failed`).
    pub parse_failures: u64,
    /// Bulk get requests handed out.
    pub requests_sent: u64,
    /// Keys still pending when the plan was finished early (also in `failed`).
    pub abandoned: u64,
    /// The error that stopped the plan (only with `stop_on_error`).
    pub stopped: Option<Arc<Error>>,
}

impl<T> TypedBulkGetReport<T> {
    /// True if every key was read and parsed (or is missing).
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }
}

impl BulkGetReport {
    /// Parses every text value as JSON into `T` ([`BulkValue::parse_json`](crate::BulkValue::parse_json)),
    /// key by key; a value that does not parse goes to `failed` (attempts 1).
    ///
    /// ```
    /// use kv_proto::{BulkGet, BulkGetPlan, NamespaceId, Operation, Plan, PlanConfig, Poll};
    /// let mut plan = BulkGetPlan::new(BulkGet::template(NamespaceId::new("ns1")?), ["a", "b", "c"], PlanConfig::default())?;
    /// let Poll::Send(t, op) = plan.poll(std::time::Instant::now()) else { panic!() };
    /// let body = br#"{"success":true,"errors":[],"messages":[],"result":{"values":{"a":"1","b":"oops","c":null}}}"#;
    /// plan.handle(t, op.parse(http::Response::new(&body[..])).into());
    /// let report = plan.finish().into_typed::<u32>();
    /// assert_eq!(report.values["a"], 1);
    /// assert_eq!((report.missing.len(), report.failed[0].key.as_str()), (1, "b"));
    /// assert!(report.failed[0].error.to_string().contains("`values.b`"));
    /// # Ok::<(), kv_proto::Error>(())
    /// ```
    pub fn into_typed<T: serde::de::DeserializeOwned>(self) -> TypedBulkGetReport<T> {
        let mut out = TypedBulkGetReport {
            requested: self.requested,
            duplicates: self.duplicates,
            values: HashMap::with_capacity(self.values.len()),
            missing: Vec::new(),
            metadata: HashMap::new(),
            failed: self.failed,
            parse_failures: 0,
            requests_sent: self.requests_sent,
            abandoned: self.abandoned,
            stopped: self.stopped,
        };
        for (key, value) in self.values {
            match value.parse_json::<T>(key.as_str()) {
                Ok(None) => out.missing.push(key),
                Ok(Some(v)) => {
                    if let Some(m) = value.metadata() {
                        out.metadata.insert(key.clone(), m.clone());
                    }
                    out.values.insert(key, v);
                }
                Err(e) => {
                    out.parse_failures += 1;
                    out.failed.push(FailedKey {
                        key: key.into_string(),
                        error: Arc::new(e),
                        attempts: 1,
                        maybe_applied: false,
                    });
                }
            }
        }
        out.missing.sort();
        out
    }
}
