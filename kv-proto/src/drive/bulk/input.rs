//! What a bulk plan accepts as input: [`IntoKey`] (anything that converts into a [`Key`]) and
//! [`IntoBulkItem`] (a key for delete and get, a [`BulkWriteItem`] for write).

use std::borrow::Cow;

use crate::error::Error;
use crate::ids::Key;
use crate::op::BulkWriteItem;

/// Something that converts into a validated [`Key`]: a `Key` (moved or cloned) or a string
/// (checked against the key rules).
///
/// On failure the input comes back as text with the reason, so that a bulk plan can name an
/// invalid input in its report ([`FailedKey`](crate::FailedKey) with `attempts: 0`). An owned
/// `String` is moved, never copied, on either path.
///
/// ```
/// use kv_proto::{IntoKey, Key};
/// assert_eq!("user/1".try_into_key().ok(), Some(Key::new("user/1")?));
/// assert_eq!(String::from("k").into_key()?.as_str(), "k");
/// let (input, error) = "..".try_into_key().unwrap_err();
/// assert_eq!(input, "..");
/// assert!(error.is_invalid_input());
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub trait IntoKey {
    /// The validated key, or the input as text with the reason it is not a key.
    ///
    /// # Errors
    /// The input's text and an [`Error::is_invalid_input`] error, as [`Key::new`].
    fn try_into_key(self) -> Result<Key, (String, Error)>;

    /// The validated key, or the reason the input is not a key.
    ///
    /// ```
    /// use kv_proto::IntoKey;
    /// assert!("".into_key().unwrap_err().is_invalid_input());
    /// ```
    ///
    /// # Errors
    /// As [`Key::new`].
    fn into_key(self) -> Result<Key, Error>
    where
        Self: Sized,
    {
        self.try_into_key().map_err(|(_, error)| error)
    }
}

impl IntoKey for Key {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        Ok(self)
    }
}

impl IntoKey for &Key {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        Ok(self.clone())
    }
}

impl IntoKey for &str {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        Key::new(self).map_err(|error| (self.to_owned(), error))
    }
}

impl IntoKey for String {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        match Key::check(&self) {
            // Checked just above: `Key::new` takes the string as it is (and cannot fail).
            Ok(()) => Key::new(self).map_err(|error| (String::new(), error)),
            Err(error) => Err((self, error)),
        }
    }
}

impl IntoKey for &String {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        self.as_str().try_into_key()
    }
}

impl IntoKey for Cow<'_, str> {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        match self {
            Cow::Borrowed(s) => s.try_into_key(),
            Cow::Owned(s) => s.try_into_key(),
        }
    }
}

/// A key read from a file ([`KeyListReader`](crate::records::KeyListReader) yields
/// `Result<String, Error>`): a read error becomes a failed input (text empty, the reader's
/// error, which names the entry) instead of stopping the job.
///
/// ```
/// use kv_proto::{IntoKey, records::KeyListReader};
/// let listing = br#"[{"name": "a"}, 7]"#;
/// let mut keys = KeyListReader::new(&listing[..]);
/// assert_eq!(keys.next().unwrap().try_into_key().ok().unwrap().as_str(), "a");
/// let (text, error) = keys.next().unwrap().try_into_key().unwrap_err();
/// assert!(text.is_empty() && error.is_invalid_input());
/// ```
impl<K: IntoKey> IntoKey for Result<K, Error> {
    fn try_into_key(self) -> Result<Key, (String, Error)> {
        match self {
            Ok(k) => k.try_into_key(),
            Err(e) => Err((String::new(), e)),
        }
    }
}

/// One input of a bulk plan whose batches hold `T`: anything [`IntoKey`] for a bulk delete or
/// bulk get (`T` = [`Key`]), a [`BulkWriteItem`] for a bulk write.
///
/// An input that cannot become a `T` is reported in the plan's `failed` list with its text
/// and `attempts: 0`; the plan goes on with the rest.
///
/// ```
/// use kv_proto::{BulkWriteItem, IntoBulkItem, Key};
/// let key: Key = "a".into_bulk_item().unwrap();
/// assert_eq!(key.as_str(), "a");
/// let (input, _) = IntoBulkItem::<Key>::into_bulk_item("..").unwrap_err();
/// assert_eq!(input, "..");
/// let item = BulkWriteItem::text(Key::new("a")?, "1")?;
/// assert_eq!(item.clone().into_bulk_item().unwrap(), item);
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub trait IntoBulkItem<T> {
    /// The batch entry, or the input as text with the reason it cannot be one.
    ///
    /// # Errors
    /// The input's text and an [`Error::is_invalid_input`] error.
    fn into_bulk_item(self) -> Result<T, (String, Error)>;
}

impl<K: IntoKey> IntoBulkItem<Key> for K {
    fn into_bulk_item(self) -> Result<Key, (String, Error)> {
        self.try_into_key()
    }
}

impl IntoBulkItem<BulkWriteItem> for BulkWriteItem {
    fn into_bulk_item(self) -> Result<BulkWriteItem, (String, Error)> {
        Ok(self)
    }
}

impl IntoBulkItem<BulkWriteItem> for &BulkWriteItem {
    fn into_bulk_item(self) -> Result<BulkWriteItem, (String, Error)> {
        Ok(self.clone())
    }
}
