//! The emulator's state: accounts, namespaces, entries, and the clock.
//!
//! Everything here is synchronous and knows nothing about HTTP; the API layer and the
//! in-process inspection methods of [`Emulator`](super::Emulator) both go through it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::Value;

use super::persist::Db;

/// Maximum key size in UTF-8 bytes.
pub(crate) const MAX_KEY_BYTES: usize = 512;
/// Maximum value size in bytes (25 MiB).
pub(crate) const MAX_VALUE_BYTES: usize = 26_214_400;
/// Maximum serialized metadata size in bytes.
pub(crate) const MAX_METADATA_BYTES: usize = 1024;
/// Maximum namespace title length in characters.
pub(crate) const MAX_TITLE_CHARS: usize = 512;
/// Minimum distance of an expiration into the future, in seconds.
pub(crate) const MIN_EXPIRATION_SECS: u64 = 60;

/// One stored key: its value bytes, optional metadata and optional absolute expiration.
///
/// ```
/// use kv_tests::StoredEntry;
/// let e = StoredEntry::new("hello")
///     .with_metadata(serde_json::json!({"a": 1}))
///     .with_expiration(4_000_000_000);
/// assert_eq!(e.value, b"hello");
/// assert_eq!(e.expiration, Some(4_000_000_000));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    /// The value bytes, exactly as written.
    pub value: Vec<u8>,
    /// The metadata JSON, if any (never `Some(Value::Null)` when read back).
    pub metadata: Option<Value>,
    /// Absolute expiration in seconds since the UNIX epoch, if the key expires.
    pub expiration: Option<u64>,
}

impl StoredEntry {
    /// An entry with this value, no metadata and no expiration.
    ///
    /// ```
    /// use kv_tests::StoredEntry;
    /// let e = StoredEntry::new(vec![0u8, 1, 2]);
    /// assert_eq!(e.value, [0, 1, 2]);
    /// assert_eq!((e.metadata, e.expiration), (None, None));
    /// ```
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        StoredEntry {
            value: value.into(),
            metadata: None,
            expiration: None,
        }
    }

    /// Sets the metadata (`Value::Null` means none).
    ///
    /// ```
    /// use kv_tests::StoredEntry;
    /// use serde_json::{Value, json};
    /// assert_eq!(StoredEntry::new("v").with_metadata(json!({"n": 1})).metadata, Some(json!({"n": 1})));
    /// assert_eq!(StoredEntry::new("v").with_metadata(Value::Null).metadata, None);
    /// ```
    pub fn with_metadata(mut self, metadata: Value) -> Self {
        self.metadata = if metadata.is_null() {
            None
        } else {
            Some(metadata)
        };
        self
    }

    /// Sets the absolute expiration (seconds since the UNIX epoch).
    ///
    /// ```
    /// use kv_tests::StoredEntry;
    /// let e = StoredEntry::new("v").with_expiration(1_900_000_000);
    /// assert_eq!(e.expiration, Some(1_900_000_000));
    /// ```
    pub fn with_expiration(mut self, unix_secs: u64) -> Self {
        self.expiration = Some(unix_secs);
        self
    }
}

/// A namespace as the inspection API reports it.
///
/// ```
/// use kv_tests::{Emulator, EmulatorConfig};
/// let emu = Emulator::start(EmulatorConfig::default())?;
/// let id = emu.create_namespace("acct", "docs").unwrap();
/// let info = emu.namespace("acct", &id).unwrap();
/// assert_eq!((info.id.as_str(), info.title.as_str()), (id.as_str(), "docs"));
/// assert_eq!(info.jurisdiction, None);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceInfo {
    /// The 32-hex-digit namespace id.
    pub id: String,
    /// The title.
    pub title: String,
    /// The jurisdiction given at creation, if any.
    pub jurisdiction: Option<String>,
    /// The mode given at creation, if any.
    pub mode: Option<String>,
}

/// Errors of the in-process seeding and inspection API.
///
/// ```
/// use kv_tests::{Emulator, EmulatorConfig, SeedError, StoredEntry};
/// let emu = Emulator::start(EmulatorConfig::default())?;
/// let id = emu.create_namespace("acct", "docs").unwrap();
/// assert!(matches!(emu.create_namespace("acct", "docs"), Err(SeedError::DuplicateTitle(_))));
/// let err = emu.put_entry("acct", &id, "..", StoredEntry::new("v")).unwrap_err();
/// assert!(matches!(err, SeedError::InvalidKey(_)));
/// assert!(matches!(emu.keys("acct", "0000"), Err(SeedError::NamespaceNotFound(_))));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// No namespace with this id in this account.
    #[error("namespace not found: {0}")]
    NamespaceNotFound(String),
    /// The account already has a namespace with this title.
    #[error("a namespace titled {0:?} already exists")]
    DuplicateTitle(String),
    /// The key is empty, `.`, `..` or longer than 512 bytes.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The title is empty or too long, or the account id is invalid.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// With persistence on: the change could not be committed to the database, so it was
    /// not made.
    #[error("persistence failed: {0}")]
    Storage(String),
}

/// A stored entry; the value is `Bytes` so reads do not copy it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub value: Bytes,
    pub metadata: Option<Value>,
    pub expiration: Option<u64>,
}

impl Entry {
    /// Whether the entry is still visible at `now`.
    pub fn live(&self, now: u64) -> bool {
        self.expiration.is_none_or(|e| e > now)
    }
}

/// One namespace with its entries, sorted by key bytes.
#[derive(Debug)]
pub(crate) struct Namespace {
    pub title: String,
    pub jurisdiction: Option<String>,
    pub mode: Option<String>,
    pub entries: BTreeMap<String, Entry>,
}

/// Every account's namespaces, keyed by account id then namespace id.
///
/// Mutations go through the methods below, which commit them to the persistence database
/// first when there is one (`db`); without one they are plain map operations.
#[derive(Debug, Default)]
pub(crate) struct Store {
    accounts: HashMap<String, BTreeMap<String, Namespace>>,
    next_id: u64,
    db: Option<Db>,
}

/// Why a store mutation failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NsError {
    NotFound,
    DuplicateTitle,
    TooMany,
    /// The persistence database refused the change (nothing was changed).
    Storage(String),
}

impl From<super::persist::PersistError> for NsError {
    fn from(e: super::persist::PersistError) -> Self {
        NsError::Storage(e.0)
    }
}

impl Store {
    /// A store backed by an opened persistence database, holding what it loaded.
    pub fn with_db(db: Db, loaded: super::persist::Loaded) -> Store {
        let (accounts, next_id) = loaded;
        Store {
            accounts,
            next_id,
            db: Some(db),
        }
    }

    /// Closes the persistence database, if any; later mutations fail with
    /// [`NsError::Storage`].
    pub fn close_db(&mut self) -> Result<(), NsError> {
        match &self.db {
            Some(db) => Ok(db.close()?),
            None => Ok(()),
        }
    }

    /// Inserts or replaces one entry.
    pub fn put_entry(
        &mut self,
        account: &str,
        ns_id: &str,
        key: String,
        entry: Entry,
    ) -> Result<(), NsError> {
        let ns = self
            .accounts
            .get_mut(account)
            .and_then(|m| m.get_mut(ns_id))
            .ok_or(NsError::NotFound)?;
        if let Some(db) = &self.db {
            let item = [(key, entry)];
            db.put_entries(account, ns_id, &item)?;
            let [(key, entry)] = item;
            ns.entries.insert(key, entry);
        } else {
            ns.entries.insert(key, entry);
        }
        Ok(())
    }

    /// Inserts or replaces entries (one database transaction).
    pub fn put_entries(
        &mut self,
        account: &str,
        ns_id: &str,
        items: Vec<(String, Entry)>,
    ) -> Result<(), NsError> {
        let ns = self
            .accounts
            .get_mut(account)
            .and_then(|m| m.get_mut(ns_id))
            .ok_or(NsError::NotFound)?;
        if let Some(db) = &self.db {
            db.put_entries(account, ns_id, &items)?;
        }
        for (key, entry) in items {
            ns.entries.insert(key, entry);
        }
        Ok(())
    }

    /// Removes one entry; returns it if it was there (live or expired).
    pub fn remove_entry(
        &mut self,
        account: &str,
        ns_id: &str,
        key: &str,
    ) -> Result<Option<Entry>, NsError> {
        let ns = self
            .accounts
            .get_mut(account)
            .and_then(|m| m.get_mut(ns_id))
            .ok_or(NsError::NotFound)?;
        if let Some(db) = &self.db
            && ns.entries.contains_key(key)
        {
            db.delete_entries(account, ns_id, &[key])?;
        }
        Ok(ns.entries.remove(key))
    }

    /// Removes entries (one database transaction); absent keys are skipped.
    pub fn remove_entries(
        &mut self,
        account: &str,
        ns_id: &str,
        keys: &[&str],
    ) -> Result<(), NsError> {
        let ns = self
            .accounts
            .get_mut(account)
            .and_then(|m| m.get_mut(ns_id))
            .ok_or(NsError::NotFound)?;
        if let Some(db) = &self.db {
            let present: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| ns.entries.contains_key(*k))
                .collect();
            if !present.is_empty() {
                db.delete_entries(account, ns_id, &present)?;
            }
        }
        for &key in keys {
            ns.entries.remove(key);
        }
        Ok(())
    }

    /// The namespaces of an account (empty if the account was never used).
    pub fn namespaces(&self, account: &str) -> Option<&BTreeMap<String, Namespace>> {
        self.accounts.get(account)
    }

    /// A namespace by id.
    pub fn namespace(&self, account: &str, id: &str) -> Option<&Namespace> {
        self.accounts.get(account)?.get(id)
    }

    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        let a = splitmix64(self.next_id.wrapping_mul(2));
        let b = splitmix64(self.next_id.wrapping_mul(2).wrapping_add(1));
        format!("{a:016x}{b:016x}")
    }

    /// Creates a namespace and returns its id.
    pub fn create_namespace(
        &mut self,
        account: &str,
        title: &str,
        jurisdiction: Option<String>,
        mode: Option<String>,
        max_namespaces: usize,
    ) -> Result<String, NsError> {
        let existing = self.accounts.get(account);
        if let Some(nss) = existing {
            if nss.values().any(|ns| ns.title == title) {
                return Err(NsError::DuplicateTitle);
            }
            if nss.len() >= max_namespaces {
                return Err(NsError::TooMany);
            }
        } else if max_namespaces == 0 {
            return Err(NsError::TooMany);
        }
        let mut id = self.fresh_id();
        while self.namespace(account, &id).is_some() {
            id = self.fresh_id();
        }
        let ns = Namespace {
            title: title.to_owned(),
            jurisdiction,
            mode,
            entries: BTreeMap::new(),
        };
        if let Some(db) = &self.db {
            db.create_namespace(account, &id, &ns, self.next_id)?;
        }
        self.accounts
            .entry(account.to_owned())
            .or_default()
            .insert(id.clone(), ns);
        Ok(id)
    }

    /// Renames a namespace; renaming to its own title is allowed.
    pub fn rename_namespace(
        &mut self,
        account: &str,
        id: &str,
        title: &str,
    ) -> Result<(), NsError> {
        let nss = self.accounts.get_mut(account).ok_or(NsError::NotFound)?;
        if !nss.contains_key(id) {
            return Err(NsError::NotFound);
        }
        if nss
            .iter()
            .any(|(other, ns)| other != id && ns.title == title)
        {
            return Err(NsError::DuplicateTitle);
        }
        if let Some(db) = &self.db {
            db.rename_namespace(account, id, title)?;
        }
        if let Some(ns) = nss.get_mut(id) {
            ns.title = title.to_owned();
        }
        Ok(())
    }

    /// Deletes a namespace and all its keys; `Ok(false)` if it did not exist.
    pub fn delete_namespace(&mut self, account: &str, id: &str) -> Result<bool, NsError> {
        let Some(nss) = self.accounts.get_mut(account) else {
            return Ok(false);
        };
        if !nss.contains_key(id) {
            return Ok(false);
        }
        if let Some(db) = &self.db {
            db.delete_namespace(account, id)?;
        }
        Ok(nss.remove(id).is_some())
    }
}

/// Checks a key name: not empty, not `.`/`..`, at most 512 bytes.
///
/// Returns the HTTP status to use (400 or 414) and the message.
pub(crate) fn check_key(key: &str) -> Result<(), (u16, String)> {
    if key.is_empty() {
        return Err((400, "Key names must not be empty".to_owned()));
    }
    if key == "." || key == ".." {
        return Err((
            400,
            format!("Illegal key name \"{key}\". Please use a different name."),
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err((
            414,
            format!(
                "UTF-8 encoded length of {} exceeds key length limit of {MAX_KEY_BYTES}.",
                key.len()
            ),
        ));
    }
    Ok(())
}

/// Checks metadata size; returns the serialized length on success.
pub(crate) fn check_metadata(metadata: &Value) -> Result<(), String> {
    let len = serde_json::to_string(metadata).map_or(usize::MAX, |s| s.len());
    if len > MAX_METADATA_BYTES {
        return Err(format!(
            "Metadata length of {len} exceeds limit of {MAX_METADATA_BYTES}."
        ));
    }
    Ok(())
}

/// The emulator clock: real time plus an adjustable offset, in whole seconds.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: AtomicI64,
}

impl Clock {
    fn real_now() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    /// Current emulator time in seconds since the UNIX epoch.
    pub fn now(&self) -> u64 {
        let t = Self::real_now().saturating_add(self.offset.load(Ordering::Relaxed));
        u64::try_from(t).unwrap_or(0)
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let _ = self
            .offset
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                Some(o.saturating_add(secs))
            });
    }

    /// Sets the clock to an absolute time; it keeps ticking from there.
    pub fn set_now(&self, unix_secs: u64) {
        let target = i64::try_from(unix_secs).unwrap_or(i64::MAX);
        self.offset
            .store(target.saturating_sub(Self::real_now()), Ordering::Relaxed);
    }
}

/// SplitMix64 finalizer: a cheap, well-mixed 64-bit hash.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
