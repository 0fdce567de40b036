//! Optional persistence: a write-through copy of the store in an embedded SQLite database.
//!
//! The in-memory [`Store`](super::store::Store) stays the only source of reads. With
//! persistence on, every mutation is first committed to SQLite (one transaction per API call)
//! and only then applied in memory, so the database never lags behind an answer already sent,
//! and a failed commit leaves memory unchanged. At start the whole database is loaded into
//! memory. Without persistence none of this code runs.
//!
//! Schema (version 1):
//! - `meta(name, value)`: `schema_version`, `next_id` (the namespace id counter, so ids are not
//!   reused across restarts);
//! - `namespaces(account, id, title, jurisdiction, mode)`;
//! - `entries(account, ns, key, value BLOB, metadata TEXT, expiration INTEGER)`; the metadata is
//!   the compact JSON text, the expiration the absolute UNIX time (a `u64` stored by bit pattern
//!   in SQLite's signed 64-bit integer, so every value round-trips).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::Value;

use super::store::{Entry, Namespace};

/// The database file inside the `--persist` directory.
pub(crate) const DB_FILE: &str = "kv-emulator.sqlite3";

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,
    title        TEXT NOT NULL,
    jurisdiction TEXT,
    mode         TEXT,
    PRIMARY KEY (account, id)
);
CREATE TABLE IF NOT EXISTS entries (
    account    TEXT NOT NULL,
    ns         TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    metadata   TEXT,
    expiration INTEGER,
    PRIMARY KEY (account, ns, key)
);
";

/// A persistence failure (opening, loading or writing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PersistError(pub String);

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for PersistError {
    fn from(e: rusqlite::Error) -> Self {
        PersistError(format!("SQLite: {e}"))
    }
}

/// The namespaces and the id counter read from the database at start.
pub(crate) type Loaded = (Accounts, u64);
/// Account id → namespace id → namespace.
pub(crate) type Accounts = std::collections::HashMap<String, BTreeMap<String, Namespace>>;

/// The open database. The connection sits behind a mutex (it is `Send` but not `Sync`); the
/// store's write lock already serializes the writers, so the mutex is never contended.
pub(crate) struct Db {
    conn: Mutex<Option<Connection>>,
    path: PathBuf,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

fn u64_to_sql(x: u64) -> i64 {
    i64::from_ne_bytes(x.to_ne_bytes())
}

fn sql_to_u64(x: i64) -> u64 {
    u64::from_ne_bytes(x.to_ne_bytes())
}

impl Db {
    /// Opens (creating if needed) `dir/kv-emulator.sqlite3`, takes an exclusive lock on it and
    /// loads its contents.
    pub fn open(dir: &Path) -> Result<(Db, Loaded), PersistError> {
        let fail = |what: &str, e: &dyn fmt::Display| {
            PersistError(format!(
                "cannot {what} the persistence database in {}: {e}",
                dir.display()
            ))
        };
        std::fs::create_dir_all(dir).map_err(|e| fail("create the directory of", &e))?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|e| fail("open", &e))?;
        Self::configure(&conn)
            .map_err(|e| {
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ) {
                fail(
                    "lock",
                    &"it is in use (is another kv-emulator running with this --persist directory?)",
                )
            } else {
                fail("initialize", &e)
            }
        })?
        .map_err(|msg| fail("use", &msg))?;
        let loaded = Self::load(&conn).map_err(|e| fail("read", &e))?;
        Ok((
            Db {
                conn: Mutex::new(Some(conn)),
                path,
            },
            loaded,
        ))
    }

    /// Sets the pragmas and creates the schema; the inner error is a database this version
    /// cannot use.
    fn configure(conn: &Connection) -> rusqlite::Result<Result<(), String>> {
        conn.busy_timeout(Duration::from_millis(200))?;
        // One process owns the database: the lock taken by the first write below is kept
        // until the connection closes, so a second emulator on the same directory fails at
        // start instead of silently diverging.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Ok(Err(format!("journal_mode WAL refused (got {mode})")));
        }
        // In WAL mode, NORMAL survives a crash of the process (each commit is in the WAL
        // file); only an OS crash or power loss can lose the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(SCHEMA)?;
        let version: Option<i64> = tx
            .query_row(
                "SELECT value FROM meta WHERE name = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match version {
            None => {
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION],
                )?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Ok(Err(format!(
                    "schema version {v} is not supported (expected {SCHEMA_VERSION})"
                )));
            }
        }
        // A write, so the exclusive lock is taken now.
        tx.execute(
            "INSERT INTO meta (name, value) VALUES ('next_id', 0) ON CONFLICT (name) DO NOTHING",
            [],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    fn load(conn: &Connection) -> Result<Loaded, PersistError> {
        let next_id: i64 =
            conn.query_row("SELECT value FROM meta WHERE name = 'next_id'", [], |r| {
                r.get(0)
            })?;
        let mut accounts = Accounts::new();
        let mut stmt =
            conn.prepare("SELECT account, id, title, jurisdiction, mode FROM namespaces")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                Namespace {
                    title: r.get(2)?,
                    jurisdiction: r.get(3)?,
                    mode: r.get(4)?,
                    entries: BTreeMap::new(),
                },
            ))
        })?;
        for row in rows {
            let (account, id, ns) = row?;
            accounts.entry(account).or_default().insert(id, ns);
        }
        let mut stmt =
            conn.prepare("SELECT account, ns, key, value, metadata, expiration FROM entries")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let account: String = r.get(0)?;
            let ns: String = r.get(1)?;
            let key: String = r.get(2)?;
            let value: Vec<u8> = r.get(3)?;
            let metadata: Option<String> = r.get(4)?;
            let expiration: Option<i64> = r.get(5)?;
            let metadata = match metadata {
                None => None,
                Some(text) => Some(serde_json::from_str::<Value>(&text).map_err(|e| {
                    PersistError(format!("metadata of key {key:?} is not JSON: {e}"))
                })?),
            };
            // An entry whose namespace row is missing cannot be reached; skip it.
            if let Some(n) = accounts.get_mut(&account).and_then(|m| m.get_mut(&ns)) {
                n.entries.insert(
                    key,
                    Entry {
                        value: Bytes::from(value),
                        metadata,
                        expiration: expiration.map(sql_to_u64),
                    },
                );
            }
        }
        Ok((accounts, u64::try_from(next_id).unwrap_or(0)))
    }

    /// Runs `f` in one transaction and commits it.
    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, PersistError> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let conn = guard
            .as_mut()
            .ok_or_else(|| PersistError("the persistence database is closed".to_owned()))?;
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Records a new namespace and the id counter that produced it.
    pub fn create_namespace(
        &self,
        account: &str,
        id: &str,
        ns: &Namespace,
        next_id: u64,
    ) -> Result<(), PersistError> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO namespaces (account, id, title, jurisdiction, mode) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![account, id, ns.title, ns.jurisdiction, ns.mode],
            )?;
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE name = 'next_id'",
                [u64_to_sql(next_id)],
            )?;
            Ok(())
        })
    }

    /// Changes a namespace's title.
    pub fn rename_namespace(
        &self,
        account: &str,
        id: &str,
        title: &str,
    ) -> Result<(), PersistError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE namespaces SET title = ?3 WHERE account = ?1 AND id = ?2",
                params![account, id, title],
            )?;
            Ok(())
        })
    }

    /// Deletes a namespace and its entries.
    pub fn delete_namespace(&self, account: &str, id: &str) -> Result<(), PersistError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM entries WHERE account = ?1 AND ns = ?2",
                params![account, id],
            )?;
            tx.execute(
                "DELETE FROM namespaces WHERE account = ?1 AND id = ?2",
                params![account, id],
            )?;
            Ok(())
        })
    }

    /// Writes (inserts or replaces) entries, all in one transaction.
    pub fn put_entries(
        &self,
        account: &str,
        ns: &str,
        items: &[(String, Entry)],
    ) -> Result<(), PersistError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO entries (account, ns, key, value, metadata, expiration) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (key, e) in items {
                let metadata = e
                    .metadata
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
                stmt.execute(params![
                    account,
                    ns,
                    key,
                    &e.value[..],
                    metadata,
                    e.expiration.map(u64_to_sql)
                ])?;
            }
            Ok(())
        })
    }

    /// Deletes entries, all in one transaction.
    pub fn delete_entries(
        &self,
        account: &str,
        ns: &str,
        keys: &[&str],
    ) -> Result<(), PersistError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM entries WHERE account = ?1 AND ns = ?2 AND key = ?3",
            )?;
            for key in keys {
                stmt.execute(params![account, ns, key])?;
            }
            Ok(())
        })
    }

    /// Closes the connection (checkpointing the WAL into the database file); later writes fail.
    pub fn close(&self) -> Result<(), PersistError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner()).take();
        match conn {
            Some(c) => c.close().map_err(|(_, e)| PersistError::from(e)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_round_trips_through_sqlite_integers() {
        for x in [0, 1, 4_000_000_000, i64::MAX as u64, u64::MAX] {
            assert_eq!(sql_to_u64(u64_to_sql(x)), x);
        }
    }
}
