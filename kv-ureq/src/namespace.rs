//! Namespace CRUD on [`Client`] and the [`NamespaceHandle`] with every single-key route (the
//! lazy paging iterators are in `listing`, the bulk jobs in `bulk`).

use std::fmt;

use kv_proto::{
    CreateNamespace, DeleteNamespace, DeleteValue, Error, Expiration, GetMetadata, GetNamespace,
    Key, ListKeys, Metadata, Namespace, NamespaceId, PutValue, RenameNamespace, StoredValue,
    TryGetValue,
};

use crate::args::{IntoKey, IntoNamespaceId, IntoTitle};
use crate::client::Client;
use crate::listing::{Keys, Namespaces};

impl Client {
    /// A handle on one namespace: every key route (`get`, `put`, `delete`, `metadata`,
    /// `keys`) and the bulk jobs. Cheap; holds a clone of the client.
    ///
    /// # Errors
    /// `id` is not a valid namespace id (1..=32 characters of `[0-9A-Za-z]`).
    ///
    /// # Example
    /// ```no_run
    /// let client = kv_ureq::Client::from_env()?;
    /// let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("greeting", "hello")?;
    /// assert_eq!(ns.get_text("greeting")?.as_deref(), Some("hello"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn namespace(&self, id: impl IntoNamespaceId) -> Result<NamespaceHandle, Error> {
        Ok(NamespaceHandle {
            client: self.clone(),
            id: id.into_namespace_id()?,
        })
    }

    /// Creates a namespace (`POST .../namespaces`) and returns it; use its `id` with
    /// [`Client::namespace`].
    ///
    /// # Errors
    /// An invalid title; the API's errors (a title already in use is code 10014,
    /// [`kv_proto::codes::TITLE_EXISTS`]).
    ///
    /// ```no_run
    /// let client = kv_ureq::Client::from_env()?;
    /// let created = client.create_namespace("my-app-cache")?;
    /// let ns = client.namespace(&created.id)?;
    /// # let _ = ns;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn create_namespace(&self, title: impl IntoTitle) -> Result<Namespace, Error> {
        self.execute(&CreateNamespace::new(title.into_title()?))
    }

    /// Reads one namespace (`GET .../namespaces/{id}`).
    ///
    /// # Errors
    /// An invalid id; a missing namespace ([`Error::is_namespace_not_found`]); the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// let id = client.create_namespace("docs")?.id;
    /// assert_eq!(client.get_namespace(id.as_str())?.title, "docs");
    /// client.delete_namespace(id.as_str())?;
    /// assert!(client.get_namespace(id.as_str()).unwrap_err().is_namespace_not_found());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn get_namespace(&self, id: impl IntoNamespaceId) -> Result<Namespace, Error> {
        self.execute(&GetNamespace::new(id.into_namespace_id()?))
    }

    /// Renames a namespace (`PUT .../namespaces/{id}`). Returns the renamed namespace when the
    /// API sends it back (newer API versions), `None` when it answers with an empty result.
    ///
    /// # Errors
    /// An invalid id or title; the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// let id = client.create_namespace("old-name")?.id;
    /// client.rename_namespace(id.as_str(), "new-name")?;
    /// assert_eq!(client.get_namespace(id.as_str())?.title, "new-name");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn rename_namespace(
        &self,
        id: impl IntoNamespaceId,
        title: impl IntoTitle,
    ) -> Result<Option<Namespace>, Error> {
        self.execute(&RenameNamespace::new(
            id.into_namespace_id()?,
            title.into_title()?,
        ))
    }

    /// Deletes a namespace and everything in it (`DELETE .../namespaces/{id}`).
    ///
    /// # Errors
    /// An invalid id; the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// let id = client.create_namespace("scratch")?.id;
    /// client.delete_namespace(id.as_str())?;
    /// assert_eq!(client.namespaces().count(), 0);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn delete_namespace(&self, id: impl IntoNamespaceId) -> Result<(), Error> {
        self.execute(&DeleteNamespace::new(id.into_namespace_id()?))
    }

    /// Every namespace of the account, fetched lazily page by page (100 per page) through
    /// kv-proto's [`NamespacePager`](kv_proto::NamespacePager). Each page request is retried per the client's policy;
    /// an error is yielded once and ends the iteration.
    ///
    /// ```no_run
    /// let client = kv_ureq::Client::from_env()?;
    /// for ns in client.namespaces() {
    ///     let ns = ns?;
    ///     println!("{} {}", ns.id, ns.title);
    /// }
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn namespaces(&self) -> Namespaces {
        Namespaces::new(self.clone())
    }
}

/// One namespace: every single-key route, key listing, and the bulk jobs.
///
/// Made by [`Client::namespace`]. Methods take keys as `&str`, `String` or [`Key`] (see
/// [`IntoKey`]): strings are validated before anything is sent, and a bad key is an
/// [`Error::is_invalid_input`] error.
///
/// # Example
/// ```no_run
/// use serde_json::json;
///
/// let client = kv_ureq::Client::from_env()?;
/// let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
/// ns.put("a", b"raw bytes".to_vec())?;
/// ns.put_with("b", "text").metadata(json!({"owner": "me"})).ttl(3600).send()?;
/// let value = ns.get("b")?; // Option<StoredValue>: None if missing
/// let meta = ns.metadata("b")?; // Option<serde_json::Value>
/// for key in ns.keys().prefix("a") {
///     println!("{}", key?.name);
/// }
/// ns.delete("a")?;
/// # let _ = (value, meta);
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[derive(Clone)]
pub struct NamespaceHandle {
    pub(crate) client: Client,
    pub(crate) id: NamespaceId,
}

impl fmt::Debug for NamespaceHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamespaceHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl NamespaceHandle {
    /// The namespace id.
    ///
    /// ```
    /// let client = kv_ureq::Client::from_env_with(|name| match name {
    ///     "CLOUDFLARE_API_TOKEN" => Some("t".into()),
    ///     "CLOUDFLARE_ACCOUNT_ID" => Some("acc".into()),
    ///     _ => None,
    /// })?;
    /// let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// assert_eq!(ns.id().as_str(), "0f2ac74b498b48028cb68387c421e279");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn id(&self) -> &NamespaceId {
        &self.id
    }

    /// The client this handle sends through.
    ///
    /// ```
    /// # let client = kv_ureq::Client::new(kv_ureq::Auth::api_token("t")?, kv_ureq::AccountId::new("acc")?);
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// assert_eq!(ns.client().endpoint().base_url(), "https://api.cloudflare.com/client/v4");
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads this namespace's description (`GET .../namespaces/{id}`).
    ///
    /// # Errors
    /// A missing namespace ([`Error::is_namespace_not_found`]); the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let info = ns.info()?;
    /// assert_eq!((info.id.as_str(), info.title.as_str()), (ns.id().as_str(), "docs"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn info(&self) -> Result<Namespace, Error> {
        self.client.execute(&GetNamespace::new(self.id.clone()))
    }

    /// Reads a value: its exact bytes and expiry, or `None` if the key does not exist or has
    /// expired.
    ///
    /// # Errors
    /// An invalid key; a missing namespace; the API's other errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put_with("k", "v").ttl(3600).send()?;
    /// let value = ns.get("k")?.expect("just written");
    /// assert_eq!(value.bytes, b"v");
    /// assert!(value.expiration.is_some());
    /// assert_eq!(ns.get("missing")?, None);
    /// assert!(ns.get("..").unwrap_err().is_invalid_input());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn get(&self, key: impl IntoKey) -> Result<Option<StoredValue>, Error> {
        self.client
            .execute(&TryGetValue::new(self.id.clone(), key.into_key()?))
    }

    /// Reads a value's bytes (`None` if missing).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("blob", vec![0u8, 255, 7])?;
    /// assert_eq!(ns.get_bytes("blob")?, Some(vec![0, 255, 7]));
    /// assert_eq!(ns.get_bytes("missing")?, None);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn get_bytes(&self, key: impl IntoKey) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.get(key)?.map(|v| v.bytes))
    }

    /// Reads a value as UTF-8 text (`None` if missing).
    ///
    /// # Errors
    /// As [`get`](Self::get), and a decode error if the bytes are not UTF-8.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("greeting", "héllo")?;
    /// assert_eq!(ns.get_text("greeting")?.as_deref(), Some("héllo"));
    /// ns.put("blob", vec![0xffu8, 0xfe])?;
    /// assert!(ns.get_text("blob").is_err()); // not UTF-8
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn get_text(&self, key: impl IntoKey) -> Result<Option<String>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.text().map(|s| Some(s.to_owned())),
        }
    }

    /// Reads a value and parses it as JSON into `T` (`None` if missing).
    ///
    /// # Errors
    /// As [`get`](Self::get), and a decode error (with the JSON path) if it does not parse.
    ///
    /// # Example
    /// ```no_run
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Config {
    ///     debug: bool,
    /// }
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("cfg", r#"{"debug":true}"#)?;
    /// assert_eq!(ns.get_json::<Config>("cfg")?, Some(Config { debug: true }));
    /// assert_eq!(ns.get_json::<Config>("missing")?, None);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: impl IntoKey,
    ) -> Result<Option<T>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.json().map(Some),
        }
    }

    /// Writes a value (raw bytes, no metadata, no expiry), replacing any previous value,
    /// metadata and expiry. For metadata or expiry use [`put_with`](Self::put_with).
    ///
    /// # Errors
    /// An invalid key, a value over 25 MiB; the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("k", "first")?;
    /// ns.put("k", b"second".to_vec())?; // replaces
    /// assert_eq!(ns.get_text("k")?.as_deref(), Some("second"));
    /// assert!(ns.put("", "v").unwrap_err().is_invalid_input()); // checked before sending
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn put(&self, key: impl IntoKey, value: impl Into<Vec<u8>>) -> Result<(), Error> {
        self.put_with(key, value).send()
    }

    /// Starts a write with options; finish with [`Put::send`].
    ///
    /// ```no_run
    /// use serde_json::json;
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// ns.put_with("session/1", "payload")
    ///     .metadata(json!({"user": 42}))
    ///     .ttl(600)
    ///     .send()?;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn put_with(&self, key: impl IntoKey, value: impl Into<Vec<u8>>) -> Put<'_> {
        Put {
            ns: self,
            key: key.into_key(),
            value: value.into(),
            metadata: None,
            expiration: None,
        }
    }

    /// Deletes a key (deleting a missing key succeeds).
    ///
    /// # Errors
    /// An invalid key; the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put("k", "v")?;
    /// ns.delete("k")?;
    /// assert_eq!(ns.get("k")?, None);
    /// ns.delete("k")?; // already gone: still Ok
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn delete(&self, key: impl IntoKey) -> Result<(), Error> {
        self.client
            .execute(&DeleteValue::new(self.id.clone(), key.into_key()?))
    }

    /// Reads a key's metadata: `Some(json)`, or `None` if the key has no metadata.
    ///
    /// # Errors
    /// An invalid key; a missing key is an error here ([`Error::is_key_not_found`]), unlike
    /// [`get`](Self::get); the API's other errors.
    ///
    /// # Example
    /// ```no_run
    /// use serde_json::json;
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put_with("a", "v").metadata(json!({"owner": "me"})).send()?;
    /// ns.put("b", "v")?;
    /// assert_eq!(ns.metadata("a")?, Some(json!({"owner": "me"})));
    /// assert_eq!(ns.metadata("b")?, None);
    /// assert!(ns.metadata("missing").unwrap_err().is_key_not_found());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn metadata(&self, key: impl IntoKey) -> Result<Option<serde_json::Value>, Error> {
        self.client
            .execute(&GetMetadata::new(self.id.clone(), key.into_key()?))
    }

    /// Every key of the namespace, in byte order, fetched lazily page by page; narrow it with
    /// [`Keys::prefix`] and size pages with [`Keys::limit`].
    ///
    /// ```no_run
    /// # let ns = kv_ureq::Client::from_env()?.namespace("abc")?;
    /// let names: Vec<kv_ureq::Key> = ns
    ///     .keys()
    ///     .prefix("user:")
    ///     .map(|k| k.map(|k| k.name))
    ///     .collect::<Result<_, _>>()?;
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn keys(&self) -> Keys {
        Keys::new(self.client.clone(), ListKeys::new(self.id.clone()))
    }

    /// Every key starting with `prefix`; the same as `keys().prefix(prefix)`.
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// for key in ["user:1", "user:2", "order:1"] {
    ///     ns.put(key, "v")?;
    /// }
    /// let names: Vec<kv_ureq::Key> = ns.keys_with_prefix("user:").map(|k| k.map(|k| k.name)).collect::<Result<_, _>>()?;
    /// assert_eq!(names, ["user:1", "user:2"]);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn keys_with_prefix(&self, prefix: impl Into<String>) -> Keys {
        self.keys().prefix(prefix)
    }
}

/// A write being configured: [`NamespaceHandle::put_with`] → options → [`Put::send`].
///
/// Without metadata the value goes as raw bytes; with metadata as multipart (`value` +
/// `metadata` parts). Option errors (metadata over 1 KiB, TTL under 60 s, a bad key, a value
/// over 25 MiB) are reported by `send`, before anything is sent.
///
/// ```no_run
/// use serde_json::json;
/// # let client = kv_ureq::Client::from_env()?;
/// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
/// let put = ns.put_with("k", "v").metadata(json!({"v": 1})).ttl(3600); // nothing sent yet
/// assert_eq!(ns.get("k")?, None);
/// put.send()?;
/// assert_eq!(ns.metadata("k")?, Some(json!({"v": 1})));
/// // Option errors come from `send`, before any request.
/// assert!(ns.put_with("k", "v").ttl(10).send().unwrap_err().is_invalid_input());
/// # Ok::<(), kv_ureq::Error>(())
/// ```
#[must_use = "a Put does nothing until .send() is called"]
pub struct Put<'a> {
    ns: &'a NamespaceHandle,
    key: Result<Key, Error>,
    value: Vec<u8>,
    metadata: Option<Result<Metadata, Error>>,
    expiration: Option<Result<Expiration, Error>>,
}

impl fmt::Debug for Put<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("namespace", &self.ns.id)
            .field("key", &self.key)
            .field("value_len", &self.value.len())
            .field("metadata", &self.metadata)
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl Put<'_> {
    /// Stores metadata: any `Serialize` value (e.g. `serde_json::json!({..})` or a
    /// [`Metadata`]) whose JSON is at most 1024 bytes.
    ///
    /// ```no_run
    /// use serde_json::json;
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put_with("k", "v").metadata(json!({"tags": ["a", "b"]})).send()?;
    /// assert_eq!(ns.metadata("k")?, Some(json!({"tags": ["a", "b"]})));
    /// let too_big = json!({"blob": "x".repeat(2000)});
    /// assert!(ns.put_with("k", "v").metadata(too_big).send().unwrap_err().is_invalid_input());
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn metadata(mut self, metadata: impl serde::Serialize) -> Self {
        self.metadata = Some(Metadata::from_serialize(&metadata));
        self
    }

    /// Expires the key `secs` seconds after the write (at least 60).
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put_with("session", "v").ttl(600).send()?;
    /// let expires = ns.get("session")?.and_then(|v| v.expiration).unwrap();
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// assert!(expires >= now + 590 && expires <= now + 600);
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn ttl(mut self, secs: u64) -> Self {
        self.expiration = Some(Expiration::ttl(secs));
        self
    }

    /// Expires the key at `unix_secs` (seconds since the Unix epoch, at least 60 s ahead).
    ///
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// let at = now + 3600;
    /// ns.put_with("k", "v").expire_at(at).send()?;
    /// assert_eq!(ns.get("k")?.and_then(|v| v.expiration), Some(at));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn expire_at(mut self, unix_secs: u64) -> Self {
        self.expiration = Some(Ok(Expiration::at(unix_secs)));
        self
    }

    /// Sets the expiry from an [`Expiration`].
    ///
    /// ```no_run
    /// use kv_ureq::Expiration;
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// let at = now + 3600;
    /// ns.put_with("k", "v").expiration(Expiration::At(at)).send()?;
    /// assert_eq!(ns.get("k")?.and_then(|v| v.expiration), Some(at));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn expiration(mut self, expiration: Expiration) -> Self {
        self.expiration = Some(match expiration {
            Expiration::Ttl(s) => Expiration::ttl(s),
            at => Ok(at),
        });
        self
    }

    /// Sends the write.
    ///
    /// # Errors
    /// Any invalid option (see the type's docs); the API's errors.
    ///
    /// # Example
    /// ```no_run
    /// # let client = kv_ureq::Client::from_env()?;
    /// # let ns = client.namespace("0f2ac74b498b48028cb68387c421e279")?;
    /// ns.put_with("k", "v").send()?;
    /// assert_eq!(ns.get_text("k")?.as_deref(), Some("v"));
    /// # Ok::<(), kv_ureq::Error>(())
    /// ```
    pub fn send(self) -> Result<(), Error> {
        let mut op = PutValue::new(self.ns.id.clone(), self.key?, self.value)?;
        if let Some(m) = self.metadata {
            op = op.metadata(m?);
        }
        if let Some(e) = self.expiration {
            op = op.expiration(e?);
        }
        self.ns.client.execute(&op)
    }
}
