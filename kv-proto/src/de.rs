//! Lenient number decoding: the API documents numbers as JSON `number`, and the official SDKs
//! use floats, so `3` and `3.0` must both decode to an integer. Negative, fractional or
//! out-of-range values are errors, never silently wrapped.

use serde::{Deserialize, Deserializer, de::Error as _};

/// Accepts an unsigned integer given as a JSON integer or as an integral float.
pub(crate) fn u64_from_f64<E: serde::de::Error>(f: f64) -> Result<u64, E> {
    // 2^64 as f64; every integral float below it fits in a u64.
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < LIMIT {
        Ok(f as u64)
    } else {
        Err(E::custom(format!(
            "expected a non-negative integer, found {f}"
        )))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    U(u64),
    I(i64),
    F(f64),
}

fn num_to_u64<E: serde::de::Error>(n: Num) -> Result<u64, E> {
    match n {
        Num::U(u) => Ok(u),
        Num::I(i) => Err(E::custom(format!(
            "expected a non-negative integer, found {i}"
        ))),
        Num::F(f) => u64_from_f64(f),
    }
}

/// `u64` from `3` or `3.0`.
pub(crate) fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    num_to_u64(Num::deserialize(d)?)
}

/// `Option<u64>` from `null`, absent (with `#[serde(default)]`), `3` or `3.0`.
pub(crate) fn opt_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Num>::deserialize(d)? {
        None => Ok(None),
        Some(n) => num_to_u64(n).map(Some),
    }
}

/// `u32` from `3` or `3.0`.
pub(crate) fn u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = num_to_u64(Num::deserialize(d)?)?;
    u32::try_from(v).map_err(|_| D::Error::custom(format!("{v} is out of range for a code")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "u64_lenient")]
        n: u64,
        #[serde(default, deserialize_with = "opt_u64_lenient")]
        o: Option<u64>,
    }

    #[test]
    fn integer_and_float_forms() {
        let t: T = serde_json::from_str(r#"{"n":3.0,"o":7}"#).unwrap();
        assert_eq!((t.n, t.o), (3, Some(7)));
        let t: T = serde_json::from_str(r#"{"n":18446744073709551615}"#).unwrap();
        assert_eq!((t.n, t.o), (u64::MAX, None));
        let t: T = serde_json::from_str(r#"{"n":1,"o":null}"#).unwrap();
        assert_eq!(t.o, None);
    }

    #[test]
    fn rejects_bad_numbers() {
        for bad in [
            r#"{"n":-1}"#,
            r#"{"n":1.5}"#,
            r#"{"n":1e300}"#,
            r#"{"n":"3"}"#,
        ] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }
}
