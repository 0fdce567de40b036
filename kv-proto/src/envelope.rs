//! The one decoder for Cloudflare's JSON envelope:
//! `{success, errors, messages, result, result_info}`.
//!
//! Every JSON route goes through [`decode_with`] (or one of its wrappers), and every non-2xx
//! response through [`decode_error`], so status handling, `success: false`, error items, decode
//! paths and body excerpts are the same everywhere.
//!
//! Rules:
//! - a non-2xx status is always an error: [`ErrorKind::Api`] when the body is an envelope,
//!   [`ErrorKind::Http`] (with a body excerpt) when it is not (an HTML 502 page, say);
//! - `success: false` is an error under any status;
//! - a 2xx body of the wrong shape is [`ErrorKind::Decode`] with the JSON path of the failure
//!   (via `serde_path_to_error`) and an excerpt;
//! - unknown fields are ignored; `result_info` numbers accept `3` and `3.0`.
//!
//! Decoding is seeded ([`serde::de::DeserializeSeed`]) so a route can decode `result` straight
//! into its own typed structure, borrowing from the body where it helps, never via
//! `serde_json::Value`.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{
    ApiError, DecodeError, Error, ErrorKind, HttpError, ResponseInfo, ResponseMeta, excerpt,
};

/// `result_info`, page style (`count, page, per_page, total_count`) and cursor style
/// (`count, cursor`) in one lenient structure. Absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct ResultInfo {
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    pub(crate) count: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    pub(crate) page: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    pub(crate) per_page: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_u64_lenient")]
    pub(crate) total_count: Option<u64>,
    #[serde(default)]
    pub(crate) cursor: Option<String>,
}

/// A decoded envelope. `result` is `None` when the field is absent or `null`.
struct Envelope<R> {
    success: Option<bool>,
    errors: Option<Vec<ResponseInfo>>,
    messages: Option<Vec<ResponseInfo>>,
    result: Option<R>,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Success,
    Errors,
    Messages,
    Result,
    ResultInfo,
    #[serde(other)]
    Other,
}

struct EnvelopeSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for EnvelopeSeed<S> {
    type Value = Envelope<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(EnvelopeVisitor(Some(self.0)))
    }
}

struct EnvelopeVisitor<S>(Option<S>);

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for EnvelopeVisitor<S> {
    type Value = Envelope<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Cloudflare API envelope (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope {
            success: None,
            errors: None,
            messages: None,
            result: None,
            result_info: None,
        };
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Success => env.success = Some(map.next_value()?),
                Field::Errors => env.errors = Some(map.next_value::<NullAsEmpty>()?.0),
                Field::Messages => env.messages = Some(map.next_value::<NullAsEmpty>()?.0),
                Field::ResultInfo => env.result_info = map.next_value()?,
                Field::Result => match self.0.take() {
                    Some(seed) => env.result = map.next_value_seed(OptionSeed(seed))?,
                    // A repeated `result` key: the first one wins.
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(env)
    }
}

/// `errors` / `messages`: an array of items, with `null` read as empty.
struct NullAsEmpty(Vec<ResponseInfo>);

impl<'de> Deserialize<'de> for NullAsEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(NullAsEmpty(
            Option::<Vec<ResponseInfo>>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

/// Runs a seed on a value that may be `null` (giving `None`).
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a result or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

fn meta_of(response: &http::Response<&[u8]>) -> ResponseMeta {
    ResponseMeta::from_parts(response.status(), response.headers())
}

/// A [`ErrorKind::Decode`] error for this response, with a JSON path (empty means `.`).
pub(crate) fn decode_failure(
    response: &http::Response<&[u8]>,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Error {
    let path = path.into();
    Error::new(ErrorKind::Decode(DecodeError {
        meta: meta_of(response),
        path: if path.is_empty() {
            ".".to_owned()
        } else {
            path
        },
        message: message.into(),
        excerpt: excerpt(response.body()),
    }))
}

/// The [`ErrorKind::Api`] error an envelope's `errors` and `messages` describe.
fn api_error<R>(response: &http::Response<&[u8]>, env: Envelope<R>) -> Error {
    Error::new(ErrorKind::Api(ApiError {
        meta: meta_of(response),
        errors: env.errors.unwrap_or_default(),
        messages: env.messages.unwrap_or_default(),
    }))
}

/// Parses only the envelope's status fields, skipping `result`. `None` if the body is not a
/// JSON object or the fields have the wrong types.
fn parse_lite(body: &[u8]) -> Option<Envelope<IgnoredAny>> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let env = EnvelopeSeed(PhantomData::<IgnoredAny>)
        .deserialize(&mut de)
        .ok()?;
    de.end().ok()?;
    Some(env)
}

/// The error for a non-2xx response (any body), or for a 2xx whose envelope says
/// `success: false`.
///
/// - A JSON object with `success` or `errors` is a Cloudflare envelope: [`ErrorKind::Api`]
///   with every `errors` and `messages` item (possibly none).
/// - Anything else (HTML, plain text, truncated JSON, an unrelated JSON document) is
///   [`ErrorKind::Http`] with the status and a bounded excerpt of the body.
pub(crate) fn decode_error(response: &http::Response<&[u8]>) -> Error {
    match parse_lite(response.body()) {
        Some(env) if env.success.is_some() || env.errors.is_some() => api_error(response, env),
        _ => Error::new(ErrorKind::Http(HttpError {
            meta: meta_of(response),
            excerpt: excerpt(response.body()),
        })),
    }
}

/// Decodes an envelope, running `seed` on `result`.
///
/// Returns `(result, result_info)`; `result` is `None` when it is absent or `null`.
///
/// # Errors
/// Non-2xx: [`decode_error`]. 2xx with `success: false`: [`ErrorKind::Api`]. 2xx that is not
/// an envelope of the expected shape (including a missing `success`): [`ErrorKind::Decode`].
pub(crate) fn decode_with<'a, S>(
    response: &http::Response<&'a [u8]>,
    seed: S,
) -> Result<(Option<S::Value>, Option<ResultInfo>), Error>
where
    S: DeserializeSeed<'a> + Clone,
{
    if !response.status().is_success() {
        return Err(decode_error(response));
    }
    let body: &'a [u8] = response.body();
    // Fast path: no path tracking. `serde_path_to_error` wraps every value and copies every
    // map key into a `String`, which costs about a third of the decoding time of a key list
    // (see kv-proto/BENCHMARKS.md); it is only needed to describe a failure.
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = EnvelopeSeed(seed.clone())
        .deserialize(&mut de)
        .and_then(|env| de.end().map(|()| env));
    let parsed = match parsed {
        Ok(env) => Ok(env),
        // A failure (rare): decode again, tracking the path, for the error's JSON path.
        Err(_) => {
            let mut track = serde_path_to_error::Track::new();
            let mut de = serde_json::Deserializer::from_slice(body);
            EnvelopeSeed(seed)
                .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
                .and_then(|env| de.end().map(|()| env))
                .map_err(|e| (e, track))
        }
    };
    match parsed {
        Ok(env) => match env.success {
            Some(true) => Ok((env.result, env.result_info)),
            Some(false) => Err(api_error(response, env)),
            None => Err(decode_failure(
                response,
                "success",
                "not a Cloudflare API envelope: missing field `success`",
            )),
        },
        Err((e, track)) => {
            // A failure envelope whose `result` has an unexpected shape is still a failure.
            if let Some(env) = parse_lite(body).filter(|env| env.success == Some(false)) {
                return Err(api_error(response, env));
            }
            Err(decode_failure(response, failure_path(track), e.to_string()))
        }
    }
}

/// The JSON path a tracked decode failed at: `.` for the document itself, else segments
/// such as `result.values.k1` or `result[3].name`.
///
/// `serde_path_to_error` writes `?` for a segment it could not name (a map key that failed to
/// parse, as in a body cut after `{"success":true,`): such segments are left out, so the path
/// names the innermost known container. A map key that is not a plain identifier is quoted
/// (`result.values["a.b"]`), and cut to [`PATH_KEY_CHARS`] characters.
pub(crate) fn failure_path(track: serde_path_to_error::Track) -> String {
    use serde_path_to_error::Segment;
    let path = track.path();
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => push_key(&mut out, key),
            Segment::Enum { variant } => push_key(&mut out, variant),
            Segment::Unknown => {}
        }
    }
    if out.is_empty() { ".".to_owned() } else { out }
}

/// Longest map key kept in a decode error's path, in characters.
const PATH_KEY_CHARS: usize = 64;

fn push_key(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key.len() <= PATH_KEY_CHARS
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        let cut: String = key.chars().take(PATH_KEY_CHARS).collect();
        let ellipsis = if cut.len() < key.len() { "…" } else { "" };
        out.push_str(&format!("[{cut:?}{ellipsis}]"));
    }
}

/// Decodes an envelope whose `result` must be present and non-null.
pub(crate) fn decode_result<'a, T: Deserialize<'a>>(
    response: &http::Response<&'a [u8]>,
) -> Result<(T, Option<ResultInfo>), Error> {
    decode_required(response, PhantomData::<T>)
}

/// [`decode_with`] for a `result` that must be present and non-null.
pub(crate) fn decode_required<'a, S: DeserializeSeed<'a> + Clone>(
    response: &http::Response<&'a [u8]>,
    seed: S,
) -> Result<(S::Value, Option<ResultInfo>), Error> {
    match decode_with(response, seed)? {
        (Some(result), info) => Ok((result, info)),
        (None, _) => Err(decode_failure(
            response,
            "result",
            "expected a result, found null or nothing",
        )),
    }
}

/// Decodes an envelope whose `result` may be absent or `null` (giving `None`).
pub(crate) fn decode_optional<'a, T: Deserialize<'a>>(
    response: &http::Response<&'a [u8]>,
) -> Result<Option<T>, Error> {
    decode_with(response, PhantomData::<T>).map(|(r, _)| r)
}

/// Decodes an envelope for a "no result" route: `result` may be `null`, `{}`, absent, or
/// anything else (it is ignored).
pub(crate) fn decode_no_result(response: &http::Response<&[u8]>) -> Result<(), Error> {
    decode_with(response, PhantomData::<IgnoredAny>).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> http::Response<&[u8]> {
        http::Response::builder()
            .status(status)
            .header("cf-ray", "abc-SJC")
            .body(body.as_bytes())
            .unwrap()
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Thing {
        a: u32,
        b: Vec<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        c: String,
    }

    #[test]
    fn success_with_result_and_info() {
        let r = resp(
            200,
            r#"{"result":{"a":1,"b":[{"c":"x","z":0}],"q":3},"success":true,"errors":[],
               "messages":[],"result_info":{"count":2.0,"cursor":"abc","total_pages":9}}"#,
        );
        let (t, info) = decode_result::<Thing>(&r).unwrap();
        assert_eq!(t.a, 1);
        let info = info.unwrap();
        assert_eq!(info.count, Some(2));
        assert_eq!(info.cursor.as_deref(), Some("abc"));
    }

    #[test]
    fn decode_path_points_at_the_bad_field() {
        let r = resp(
            200,
            r#"{"success":true,"errors":[],"result":{"a":1,"b":[{"c":"x"},{"c":5}]}}"#,
        );
        let e = decode_result::<Thing>(&r).unwrap_err();
        match e.kind() {
            ErrorKind::Decode(d) => {
                assert_eq!(d.path, "result.b[1].c");
                assert_eq!(d.meta.ray_id.as_deref(), Some("abc-SJC"));
                assert!(d.excerpt.starts_with("{\"success\""));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_result_forms() {
        for body in [
            r#"{"success":true,"errors":[],"messages":[],"result":null}"#,
            r#"{"success":true,"errors":[],"messages":[],"result":{}}"#,
            r#"{"success":true,"errors":[],"messages":[]}"#,
            r#"{"success":true}"#,
        ] {
            decode_no_result(&resp(200, body)).unwrap();
        }
        let e = decode_result::<Thing>(&resp(200, r#"{"success":true,"result":null}"#));
        assert_eq!(
            match e.unwrap_err().kind() {
                ErrorKind::Decode(d) => d.path.clone(),
                _ => String::new(),
            },
            "result"
        );
    }

    #[test]
    fn success_false_under_200_is_api_error() {
        let r = resp(
            200,
            r#"{"success":false,"errors":[{"code":10013,"message":"m"}],"messages":[],"result":"weird"}"#,
        );
        let e = decode_result::<Thing>(&r).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Api(_)));
        assert!(e.is_namespace_not_found());
    }

    #[test]
    fn missing_success_is_decode() {
        let e = decode_no_result(&resp(200, r#"{"result":null}"#)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(d) if d.path == "success"));
        let e = decode_no_result(&resp(200, "[1,2]")).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(_)));
        let e = decode_no_result(&resp(200, r#"{"success":true} x"#)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(_)));
    }

    #[test]
    fn error_bodies() {
        let e = decode_error(&resp(502, "<html>Bad gateway</html>"));
        match e.kind() {
            ErrorKind::Http(h) => {
                assert_eq!(h.meta.status, 502);
                assert_eq!(h.excerpt, "<html>Bad gateway</html>");
            }
            other => panic!("{other:?}"),
        }
        // JSON, but not an envelope.
        let e = decode_error(&resp(500, r#"{"message":"oops"}"#));
        assert!(matches!(e.kind(), ErrorKind::Http(_)));
        // An envelope with null errors.
        let e = decode_error(&resp(404, r#"{"success":false,"errors":null}"#));
        assert!(matches!(e.kind(), ErrorKind::Api(a) if a.errors.is_empty()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            r#"{{"success":true,"result":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = decode_result::<serde_json::Value>(&resp(200, &deep)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
        // Skipping a value is iterative in serde_json, so this is still read as an envelope.
        let e = decode_error(&resp(500, &deep));
        assert!(matches!(e.kind(), ErrorKind::Api(a) if a.errors.is_empty()));
        let deep_errors = format!(r#"{{"success":false,"errors":{}}}"#, "[".repeat(100_000));
        let e = decode_error(&resp(500, &deep_errors));
        assert!(matches!(e.kind(), ErrorKind::Http(_)));
    }
}
