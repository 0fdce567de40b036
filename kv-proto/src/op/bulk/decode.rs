//! Decoding a bulk get's `result` straight into one slot per requested key, without an
//! intermediate `serde_json::Value`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::get::{BulkPayload, BulkType, BulkValue};
use crate::ids::Key;

// Clone: the envelope decoder may run the seed twice (again to locate a decode error).
#[derive(Clone, Copy)]
pub(super) struct ResultSeed<'k>(pub(super) ValuesSeed<'k>);

impl<'de> DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `values`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots = None;
        while let Some(name) = map.next_key::<KeyStr<'de>>()? {
            if name.0 == "values" && slots.is_none() {
                slots = Some(map.next_value_seed(self.0)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        slots.ok_or_else(|| de::Error::missing_field("values"))
    }
}

/// A map key, borrowed from the body when it has no escapes.
struct KeyStr<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Clone, Copy)]
pub(super) struct ValuesSeed<'k> {
    /// Distinct requested keys, in request order.
    pub(super) keys: &'k [Key],
    /// How each value is decoded.
    pub(super) entry: EntrySeed,
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = Vec<Option<BulkValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping keys to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots: Vec<Option<BulkValue>> = vec![None; self.keys.len()];
        // The server answers in request order: the next key is usually the one expected
        // after the last match. Any other key is looked up in an index built on first need.
        let mut next = 0usize;
        let mut index: Option<HashMap<&str, usize>> = None;
        while let Some(key) = map.next_key::<KeyStr<'de>>()? {
            let key = key.0.as_ref();
            let found = if self.keys.get(next).is_some_and(|k| k.as_str() == key) {
                Some(next)
            } else {
                index
                    .get_or_insert_with(|| {
                        self.keys
                            .iter()
                            .enumerate()
                            .map(|(i, k)| (k.as_str(), i))
                            .collect()
                    })
                    .get(key)
                    .copied()
            };
            match found {
                Some(i) => {
                    next = i + 1;
                    let value = map.next_value_seed(self.entry)?;
                    if let Some(slot) = slots.get_mut(i) {
                        *slot = Some(value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(slots)
    }
}

#[derive(Clone, Copy)]
pub(super) struct EntrySeed {
    pub(super) kind: BulkType,
    pub(super) with_metadata: bool,
}

#[derive(Deserialize)]
struct TextEntry {
    value: String,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    expiration: Option<u64>,
}

#[derive(Deserialize)]
struct JsonEntry {
    #[serde(default)]
    value: serde_json::Value,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    expiration: Option<u64>,
}

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = BulkValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<BulkValue, D::Error> {
        // JSON reads always travel with metadata (`BulkGet::wire_with_metadata`), so a JSON
        // answer is always an entry object (or `null` for a missing key).
        Ok(match (self.kind, self.with_metadata) {
            (BulkType::Text, false) => match Option::<String>::deserialize(d)? {
                Some(s) => BulkValue::Text(s),
                None => BulkValue::Missing,
            },
            (BulkType::Text, true) => match Option::<TextEntry>::deserialize(d)? {
                Some(e) => BulkValue::WithMetadata {
                    value: BulkPayload::Text(e.value),
                    metadata: e.metadata,
                    expiration: e.expiration,
                },
                None => BulkValue::Missing,
            },
            (BulkType::Json, _) => match Option::<JsonEntry>::deserialize(d)? {
                Some(e) => BulkValue::WithMetadata {
                    value: BulkPayload::Json(e.value),
                    metadata: e.metadata,
                    expiration: e.expiration,
                },
                None => BulkValue::Missing,
            },
        })
    }
}
