//! Argument conversions: every method that takes a key, a namespace id or a title accepts the
//! validated kv-proto type or a string, and validates strings before anything is sent.

use kv_proto::{Error, NamespaceId, Title};

/// Anything usable as a key: a `Key` (or `&Key`), or a string (`&str`, `String`, `&String`,
/// `Cow<str>`) validated by [`Key::new`](kv_proto::Key::new). Defined in kv-proto, where bulk
/// plans use it too.
pub use kv_proto::IntoKey;

macro_rules! into_validated {
    ($(#[$m:meta])* $trait:ident, $method:ident, $ty:ident) => {
        $(#[$m])*
        pub trait $trait {
            /// Validates (strings) or passes through (the validated type).
            ///
            /// # Errors
            /// The string breaks the type's rules (an `InvalidInput` error naming the limit).
            ///
            /// # Example
            /// ```
            /// use kv_ureq::{IntoKey, IntoNamespaceId, IntoTitle, Key};
            ///
            /// let key = Key::new("a")?;
            /// assert_eq!((&key).into_key()?, key); // the validated type passes through
            /// assert_eq!("ns1".into_namespace_id()?.as_str(), "ns1");
            /// assert!("x".repeat(513).into_title().unwrap_err().is_invalid_input());
            /// # Ok::<(), kv_ureq::Error>(())
            /// ```
            fn $method(self) -> Result<$ty, Error>;
        }

        impl $trait for $ty {
            fn $method(self) -> Result<$ty, Error> {
                Ok(self)
            }
        }

        impl $trait for &$ty {
            fn $method(self) -> Result<$ty, Error> {
                Ok(self.clone())
            }
        }

        impl $trait for &str {
            fn $method(self) -> Result<$ty, Error> {
                $ty::new(self)
            }
        }

        impl $trait for String {
            fn $method(self) -> Result<$ty, Error> {
                $ty::new(self)
            }
        }

        impl $trait for &String {
            fn $method(self) -> Result<$ty, Error> {
                $ty::new(self.as_str())
            }
        }

        impl $trait for std::borrow::Cow<'_, str> {
            fn $method(self) -> Result<$ty, Error> {
                $ty::new(self.into_owned())
            }
        }
    };
}

into_validated!(
    /// Anything usable as a [`NamespaceId`]: a `NamespaceId` (or `&NamespaceId`), or a
    /// string validated by [`NamespaceId::new`] (1..=32 characters of `[0-9A-Za-z]`).
    ///
    /// ```
    /// use kv_ureq::IntoNamespaceId;
    ///
    /// assert!("0f2ac74b498b48028cb68387c421e279".into_namespace_id().is_ok());
    /// assert!("../x".into_namespace_id().is_err());
    /// ```
    IntoNamespaceId,
    into_namespace_id,
    NamespaceId
);

into_validated!(
    /// Anything usable as a namespace [`Title`]: a `Title`, or a string validated by
    /// [`Title::new`] (1..=512 characters).
    ///
    /// ```
    /// use kv_ureq::IntoTitle;
    ///
    /// assert!("my-app-prod".into_title().is_ok());
    /// assert!("".into_title().is_err());
    /// ```
    IntoTitle,
    into_title,
    Title
);
