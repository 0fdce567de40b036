//! Validated newtypes: every value here has passed the documented limits, so operations built
//! from them cannot produce a request the API would reject for shape alone.

use std::borrow::Borrow;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::error::{Error, Limit};

/// Longest key, in bytes of UTF-8.
///
/// ```
/// use kv_proto::{Key, limits::MAX_KEY_BYTES};
/// assert!(Key::new("k".repeat(MAX_KEY_BYTES)).is_ok());
/// assert!(Key::new("k".repeat(MAX_KEY_BYTES + 1)).is_err());
/// ```
pub const MAX_KEY_BYTES: usize = 512;
/// Longest account or namespace id, in characters.
///
/// ```
/// use kv_proto::{NamespaceId, limits::MAX_ID_CHARS};
/// assert!(NamespaceId::new("a".repeat(MAX_ID_CHARS)).is_ok());
/// assert!(NamespaceId::new("a".repeat(MAX_ID_CHARS + 1)).is_err());
/// ```
pub const MAX_ID_CHARS: usize = 32;
/// Longest namespace title, in characters.
///
/// ```
/// use kv_proto::{Title, limits::MAX_TITLE_CHARS};
/// assert!(Title::new("t".repeat(MAX_TITLE_CHARS)).is_ok());
/// assert!(Title::new("t".repeat(MAX_TITLE_CHARS + 1)).is_err());
/// ```
pub const MAX_TITLE_CHARS: usize = 512;
/// Largest serialised metadata, in bytes.
///
/// ```
/// use kv_proto::{Metadata, limits::MAX_METADATA_BYTES};
/// // A JSON string adds two quote bytes.
/// assert!(Metadata::new(serde_json::json!("m".repeat(MAX_METADATA_BYTES - 2))).is_ok());
/// assert!(Metadata::new(serde_json::json!("m".repeat(MAX_METADATA_BYTES - 1))).is_err());
/// ```
pub const MAX_METADATA_BYTES: usize = 1024;
/// Largest value, in bytes (25 MiB).
///
/// ```
/// use kv_proto::limits::MAX_VALUE_BYTES;
/// assert_eq!(MAX_VALUE_BYTES, 25 * 1024 * 1024);
/// ```
pub const MAX_VALUE_BYTES: usize = 26_214_400;
/// Shortest `expiration_ttl`, in seconds.
///
/// ```
/// use kv_proto::{Expiration, limits::MIN_TTL_SECS};
/// assert!(Expiration::ttl(MIN_TTL_SECS).is_ok());
/// assert!(Expiration::ttl(MIN_TTL_SECS - 1).is_err());
/// ```
pub const MIN_TTL_SECS: u64 = 60;

fn check_id(limit: Limit, what: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::invalid_input(limit, format!("the {what} is empty")));
    }
    let chars = id.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(Error::invalid_input(
            limit,
            format!("the {what} has {chars} characters; the limit is {MAX_ID_CHARS}"),
        ));
    }
    if let Some(c) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(
            limit,
            format!("the {what} may contain only 0-9, A-Z and a-z, but contains {c:?}"),
        ));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The validated string.
            ///
            /// ```
            #[doc = concat!("let v = kv_proto::", stringify!($name), "::new(\"abc\").unwrap();")]
            /// assert_eq!(v.as_str(), "abc");
            /// ```
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the string.
            ///
            /// ```
            #[doc = concat!("let v = kv_proto::", stringify!($name), "::new(\"abc\").unwrap();")]
            /// assert_eq!(v.into_string(), String::from("abc"));
            /// ```
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        /// Deserialises a string and validates it as [`new`](Self::new) does: an invalid
        /// value is a decode error.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                $name::new(s)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                $name::new(s)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                **self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

string_newtype!(
    /// A Cloudflare account id: 1..=32 characters of `[0-9A-Za-z]`.
    ///
    /// ```
    /// use kv_proto::AccountId;
    /// assert!(AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").is_ok());
    /// assert!(AccountId::new("../evil").is_err());
    /// assert!(AccountId::new("").is_err());
    /// ```
    AccountId
);

impl AccountId {
    /// Validates an account id.
    ///
    /// ```
    /// use kv_proto::AccountId;
    /// assert_eq!(AccountId::new("abc123").unwrap().as_str(), "abc123");
    /// assert!(AccountId::new("a".repeat(33)).is_err());
    /// ```
    ///
    /// # Errors
    /// Empty, longer than 32 characters, or a character outside `[0-9A-Za-z]`.
    pub fn new(id: impl Into<String>) -> Result<AccountId, Error> {
        let id = id.into();
        check_id(Limit::AccountId, "account id", &id)?;
        Ok(AccountId(id))
    }
}

string_newtype!(
    /// A namespace id: 1..=32 characters of `[0-9A-Za-z]` (Cloudflare issues 32 hex digits).
    ///
    /// ```
    /// use kv_proto::NamespaceId;
    /// assert!(NamespaceId::new("0f2ac74b498b48028cb68387c421e279").is_ok());
    /// assert!(NamespaceId::new("a/b").is_err());
    /// ```
    NamespaceId
);

impl NamespaceId {
    /// Validates a namespace id.
    ///
    /// ```
    /// use kv_proto::NamespaceId;
    /// assert_eq!(NamespaceId::new("ns1").unwrap().as_str(), "ns1");
    /// assert!(NamespaceId::new("ns-1").is_err());
    /// ```
    ///
    /// # Errors
    /// Empty, longer than 32 characters, or a character outside `[0-9A-Za-z]`.
    pub fn new(id: impl Into<String>) -> Result<NamespaceId, Error> {
        let id = id.into();
        check_id(Limit::NamespaceId, "namespace id", &id)?;
        Ok(NamespaceId(id))
    }
}

string_newtype!(
    /// A key name: 1..=512 bytes of UTF-8, and not `.` or `..`. Any other string is allowed
    /// (slashes, spaces, `%`, emoji...); it is percent-encoded when it goes into a path.
    ///
    /// ```
    /// use kv_proto::Key;
    /// assert!(Key::new("users/42?#%2F 🙂").is_ok());
    /// assert!(Key::new("").is_err());
    /// assert!(Key::new(".").is_err());
    /// assert!(Key::new("..").is_err());
    /// assert!(Key::new("x".repeat(512)).is_ok());
    /// assert!(Key::new("x".repeat(513)).is_err());
    /// ```
    Key
);

impl Key {
    /// Validates a key.
    ///
    /// ```
    /// use kv_proto::Key;
    /// assert_eq!(Key::new("a/b c").unwrap().as_str(), "a/b c");
    /// assert!(Key::new("..").is_err());
    /// ```
    ///
    /// # Errors
    /// Empty, `.` or `..`, or longer than 512 bytes of UTF-8.
    pub fn new(key: impl Into<String>) -> Result<Key, Error> {
        let key = key.into();
        Key::check(&key)?;
        Ok(Key(key))
    }

    /// Checks a string against the key rules of [`Key::new`] without taking or copying it
    /// (for callers that must keep the string when it is rejected).
    ///
    /// ```
    /// use kv_proto::Key;
    /// assert!(Key::check("users/42").is_ok());
    /// assert!(Key::check("..").is_err());
    /// ```
    ///
    /// # Errors
    /// As [`Key::new`].
    pub fn check(key: &str) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error::invalid_input(Limit::Key, "a key must not be empty"));
        }
        if key == "." || key == ".." {
            return Err(Error::invalid_input(
                Limit::Key,
                format!("the key {key:?} is not allowed (keys may not be \".\" or \"..\")"),
            ));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(Error::invalid_input(
                Limit::Key,
                format!(
                    "the key is {} bytes of UTF-8; the limit is {MAX_KEY_BYTES} (key starts {:?})",
                    key.len(),
                    key.chars().take(32).collect::<String>()
                ),
            ));
        }
        Ok(())
    }
}

string_newtype!(
    /// A namespace title: 1..=512 characters.
    ///
    /// ```
    /// use kv_proto::Title;
    /// assert!(Title::new("my-app-production").is_ok());
    /// assert!(Title::new("").is_err());
    /// assert!(Title::new("é".repeat(512)).is_ok());
    /// assert!(Title::new("é".repeat(513)).is_err());
    /// ```
    Title
);

impl Title {
    /// Validates a title.
    ///
    /// ```
    /// use kv_proto::Title;
    /// assert_eq!(Title::new("prod").unwrap().as_str(), "prod");
    /// assert!(Title::new("   ").is_err());
    /// ```
    ///
    /// # Errors
    /// Empty (or only whitespace), or longer than 512 characters.
    pub fn new(title: impl Into<String>) -> Result<Title, Error> {
        let title = title.into();
        if title.trim().is_empty() {
            return Err(Error::invalid_input(
                Limit::Title,
                "a namespace title must not be empty",
            ));
        }
        let chars = title.chars().count();
        if chars > MAX_TITLE_CHARS {
            return Err(Error::invalid_input(
                Limit::Title,
                format!("the title has {chars} characters; the limit is {MAX_TITLE_CHARS}"),
            ));
        }
        Ok(Title(title))
    }
}

/// Key metadata: any JSON value whose serialised form is at most 1024 bytes.
///
/// ```
/// use kv_proto::Metadata;
/// let m = Metadata::new(serde_json::json!({"owner": "ops", "v": 2})).unwrap();
/// assert_eq!(m.as_json(), r#"{"owner":"ops","v":2}"#);
/// assert!(Metadata::new(serde_json::json!("x".repeat(1100))).is_err());
/// ```
#[derive(Clone, PartialEq)]
pub struct Metadata {
    value: serde_json::Value,
    json: String,
}

impl Metadata {
    /// Validates a JSON value as metadata.
    ///
    /// ```
    /// use kv_proto::{Limit, Metadata};
    /// let m = Metadata::new(serde_json::json!({"owner": "ops"})).unwrap();
    /// assert_eq!(m.value()["owner"], "ops");
    /// let big = Metadata::new(serde_json::json!({"blob": "x".repeat(2000)}));
    /// assert_eq!(big.unwrap_err().limit(), Some(Limit::Metadata));
    /// ```
    ///
    /// # Errors
    /// The serialised JSON is longer than 1024 bytes.
    pub fn new(value: serde_json::Value) -> Result<Metadata, Error> {
        let json = serde_json::to_string(&value).map_err(|e| {
            Error::invalid_input(Limit::Metadata, format!("metadata is not valid JSON: {e}"))
        })?;
        if json.len() > MAX_METADATA_BYTES {
            return Err(Error::invalid_input(
                Limit::Metadata,
                format!(
                    "metadata serialises to {} bytes of JSON; the limit is {MAX_METADATA_BYTES}",
                    json.len()
                ),
            ));
        }
        Ok(Metadata { value, json })
    }

    /// Serialises any `Serialize` value as metadata.
    ///
    /// ```
    /// use kv_proto::Metadata;
    /// #[derive(serde::Serialize)]
    /// struct Tag { owner: &'static str }
    /// let m = Metadata::from_serialize(&Tag { owner: "ops" }).unwrap();
    /// assert_eq!(m.as_json(), r#"{"owner":"ops"}"#);
    /// ```
    ///
    /// # Errors
    /// The value cannot be serialised to JSON, or serialises to more than 1024 bytes.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Metadata, Error> {
        let v = serde_json::to_value(value).map_err(|e| {
            Error::invalid_input(Limit::Metadata, format!("metadata is not valid JSON: {e}"))
        })?;
        Metadata::new(v)
    }

    /// The JSON value.
    ///
    /// ```
    /// use kv_proto::Metadata;
    /// let m = Metadata::new(serde_json::json!({"v": 2})).unwrap();
    /// assert_eq!(m.value()["v"], 2);
    /// ```
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// The compact serialised JSON that goes on the wire.
    ///
    /// ```
    /// use kv_proto::Metadata;
    /// let m = Metadata::new(serde_json::json!([1, "a"])).unwrap();
    /// assert_eq!(m.as_json(), r#"[1,"a"]"#);
    /// ```
    pub fn as_json(&self) -> &str {
        &self.json
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metadata({})", self.json)
    }
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl TryFrom<serde_json::Value> for Metadata {
    type Error = Error;
    fn try_from(v: serde_json::Value) -> Result<Metadata, Error> {
        Metadata::new(v)
    }
}

/// When a written key expires.
///
/// ```
/// use kv_proto::Expiration;
/// assert!(Expiration::ttl(60).is_ok());
/// assert!(Expiration::ttl(59).is_err());
/// assert_eq!(Expiration::at(1_900_000_000), Expiration::At(1_900_000_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiration {
    /// At this absolute time, in seconds since the UNIX epoch (`expiration`). The server
    /// requires it to be at least 60 s in the future; kv-proto has no clock to check that.
    At(u64),
    /// This many seconds after the write (`expiration_ttl`), at least 60.
    Ttl(u64),
}

impl Expiration {
    /// An absolute expiration time (seconds since the UNIX epoch).
    ///
    /// ```
    /// use kv_proto::Expiration;
    /// assert_eq!(Expiration::at(1_900_000_000), Expiration::At(1_900_000_000));
    /// ```
    pub fn at(unix_secs: u64) -> Expiration {
        Expiration::At(unix_secs)
    }

    /// A time-to-live of at least 60 seconds.
    ///
    /// ```
    /// use kv_proto::Expiration;
    /// assert_eq!(Expiration::ttl(3600).unwrap(), Expiration::Ttl(3600));
    /// assert!(Expiration::ttl(30).is_err());
    /// ```
    ///
    /// # Errors
    /// `secs < 60`.
    pub fn ttl(secs: u64) -> Result<Expiration, Error> {
        check_ttl(secs)?;
        Ok(Expiration::Ttl(secs))
    }

    /// Re-checks the invariant (for values built directly from the enum variants).
    pub(crate) fn validate(self) -> Result<Expiration, Error> {
        if let Expiration::Ttl(s) = self {
            check_ttl(s)?;
        }
        Ok(self)
    }
}

fn check_ttl(secs: u64) -> Result<(), Error> {
    if secs < MIN_TTL_SECS {
        return Err(Error::invalid_input(
            Limit::ExpirationTtl,
            format!("expiration_ttl is {secs} s; the minimum is {MIN_TTL_SECS} s"),
        ));
    }
    Ok(())
}

/// Checks a value's size against the 25 MiB limit.
pub(crate) fn check_value_len(len: usize) -> Result<(), Error> {
    if len > MAX_VALUE_BYTES {
        return Err(Error::invalid_input(
            Limit::ValueSize,
            format!("the value is {len} bytes; the limit is {MAX_VALUE_BYTES} (25 MiB)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_boundaries() {
        assert!(AccountId::new("a".repeat(32)).is_ok());
        assert!(AccountId::new("a".repeat(33)).is_err());
        for bad in ["a-b", "a b", "ab/", "é", "a.b", "%2F"] {
            let e = NamespaceId::new(bad).unwrap_err();
            assert_eq!(e.limit(), Some(Limit::NamespaceId), "{bad}");
        }
    }

    #[test]
    fn key_boundaries_count_bytes() {
        // 128 four-byte characters are 512 bytes.
        assert!(Key::new("🙂".repeat(128)).is_ok());
        let e = Key::new("🙂".repeat(129)).unwrap_err();
        assert!(e.to_string().contains("516 bytes"), "{e}");
        assert!(Key::new("...").is_ok());
        assert!(Key::new(" ").is_ok());
    }

    #[test]
    fn metadata_boundary() {
        // A JSON string of n characters serialises to n + 2 bytes.
        assert!(Metadata::new(serde_json::json!("x".repeat(1022))).is_ok());
        let e = Metadata::new(serde_json::json!("x".repeat(1023))).unwrap_err();
        assert!(e.to_string().contains("1025 bytes"), "{e}");
    }

    #[test]
    fn value_boundary() {
        assert!(check_value_len(MAX_VALUE_BYTES).is_ok());
        assert_eq!(
            check_value_len(MAX_VALUE_BYTES + 1).unwrap_err().limit(),
            Some(Limit::ValueSize)
        );
    }
}
