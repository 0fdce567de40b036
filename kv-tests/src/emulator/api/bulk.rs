//! The three bulk routes: write, delete, get.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::*;

#[derive(Deserialize)]
struct BulkItem {
    key: String,
    value: String,
    #[serde(default)]
    base64: Option<bool>,
    #[serde(default)]
    expiration: Option<Number>,
    #[serde(default)]
    expiration_ttl: Option<Number>,
    #[serde(default)]
    metadata: Option<Value>,
}

#[derive(Serialize)]
struct BulkResult<'a> {
    successful_key_count: usize,
    unsuccessful_keys: Vec<&'a str>,
}

fn item_err(i: usize, key: &str, status: u16, code: u32, msg: &str) -> Reply {
    let shown: String = key.chars().take(64).collect();
    err(status, code, &format!("item {i} (key {shown:?}): {msg}"))
}

pub(super) fn bulk_write(shared: &Shared, req: &Request<'_>, ns_id: &str) -> Res {
    let items: Vec<BulkItem> = serde_json::from_slice(&req.body).map_err(|e| {
        bad_body(format!(
            "expected a JSON array of {{key, value, base64?, expiration?, expiration_ttl?, metadata?}} objects ({e})"
        ))
    })?;
    if items.len() > MAX_BULK_ITEMS {
        return Err(invalid(&format!(
            "bulk write: at most {MAX_BULK_ITEMS} key-value pairs are allowed per request, got {}",
            items.len()
        )));
    }
    let now = shared.clock.now();
    let b64 = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut prepared: Vec<(String, Entry)> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let key = item.key;
        check_key(&key).map_err(|(_, m)| item_err(i, &key, 400, code::VALIDATION, &m))?;
        let value: Bytes = if item.base64 == Some(true) {
            b64.decode(item.value.as_bytes())
                .map_err(|e| {
                    item_err(
                        i,
                        &key,
                        400,
                        code::VALIDATION,
                        &format!("value is not valid base64 ({e})"),
                    )
                })?
                .into()
        } else {
            item.value.into_bytes().into()
        };
        if value.len() > MAX_VALUE_BYTES {
            return Err(item_err(
                i,
                &key,
                413,
                code::VALIDATION,
                &value_too_long(value.len()),
            ));
        }
        let metadata = item.metadata.filter(|m| !m.is_null());
        if let Some(m) = &metadata {
            check_metadata(m).map_err(|msg| item_err(i, &key, 413, code::VALIDATION, &msg))?;
        }
        let ttl = number_str(&item.expiration_ttl);
        let exp = number_str(&item.expiration);
        let expiration = expiry(ttl.as_deref(), exp.as_deref(), now)
            .map_err(|msg| item_err(i, &key, 400, code::BAD_EXPIRATION, &msg))?;
        prepared.push((
            key,
            Entry {
                value,
                metadata,
                expiration,
            },
        ));
    }
    let failures = req
        .partial
        .map(|(plan, seq)| plan.partial_failures(seq, prepared.len()));
    let total = prepared.len();
    let mut unsuccessful: Vec<String> = Vec::new();
    let to_write = match &failures {
        None => prepared,
        Some(failed) => {
            let mut keep = Vec::with_capacity(total);
            for (i, (key, entry)) in prepared.into_iter().enumerate() {
                if failed[i] {
                    unsuccessful.push(key);
                } else {
                    keep.push((key, entry));
                }
            }
            keep
        }
    };
    shared
        .store_write()
        .put_entries(req.target.account, ns_id, to_write)
        .map_err(store_failed("bulk write"))?;
    Ok(ok(BulkResult {
        successful_key_count: total - unsuccessful.len(),
        unsuccessful_keys: unsuccessful.iter().map(String::as_str).collect(),
    }))
}

pub(super) fn bulk_delete(shared: &Shared, req: &Request<'_>, ns_id: &str) -> Res {
    let keys: Vec<KeyName<'_>> = serde_json::from_slice(&req.body)
        .map_err(|e| bad_body(format!("expected a JSON array of key names ({e})")))?;
    let keys: Vec<&str> = keys.iter().map(|k| k.0.as_ref()).collect();
    if keys.len() > MAX_BULK_ITEMS {
        return Err(invalid(&format!(
            "bulk delete: at most {MAX_BULK_ITEMS} keys are allowed per request, got {}",
            keys.len()
        )));
    }
    for (i, key) in keys.iter().enumerate() {
        check_key(key).map_err(|(_, m)| item_err(i, key, 400, code::VALIDATION, &m))?;
    }
    let failures = req
        .partial
        .map(|(plan, seq)| plan.partial_failures(seq, keys.len()));
    let mut unsuccessful: Vec<&str> = Vec::new();
    let deleted: Cow<'_, [&str]> = match &failures {
        None => Cow::Borrowed(&keys),
        Some(failed) => {
            let mut keep = Vec::with_capacity(keys.len());
            for (i, &key) in keys.iter().enumerate() {
                if failed[i] {
                    unsuccessful.push(key);
                } else {
                    keep.push(key);
                }
            }
            Cow::Owned(keep)
        }
    };
    shared
        .store_write()
        .remove_entries(req.target.account, ns_id, &deleted)
        .map_err(store_failed("bulk delete"))?;
    Ok(ok(BulkResult {
        successful_key_count: keys.len() - unsuccessful.len(),
        unsuccessful_keys: unsuccessful,
    }))
}

/// A key name borrowed from the request body when it has no escapes.
#[derive(Deserialize)]
struct KeyName<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct BulkGetBody {
    keys: Vec<String>,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(rename = "withMetadata", default)]
    with_metadata: Option<bool>,
}

pub(super) fn bulk_get(shared: &Shared, req: &Request<'_>, ns_id: &str) -> Res {
    let body: BulkGetBody = serde_json::from_slice(&req.body).map_err(|e| {
        bad_body(format!(
            "expected {{\"keys\": [..], \"type\"?: \"text\"|\"json\", \"withMetadata\"?: bool}} ({e})"
        ))
    })?;
    if body.keys.is_empty() {
        return Err(err(
            400,
            code::BULK_GET_KEY_COUNT,
            "bulk get keys: 'You must request a minimum of 1 key'",
        ));
    }
    if body.keys.len() > MAX_BULK_GET_KEYS {
        return Err(err(
            400,
            code::BULK_GET_KEY_COUNT,
            "bulk get keys: 'You can request a maximum of 100 keys'",
        ));
    }
    let as_json = match body.ty.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(t) => {
            return Err(invalid(&format!(
                "\"{t}\" is not a valid type. Use \"json\" or \"text\""
            )));
        }
    };
    for (i, key) in body.keys.iter().enumerate() {
        check_key(key).map_err(|(_, m)| item_err(i, key, 400, code::VALIDATION, &m))?;
    }
    let with_metadata = body.with_metadata == Some(true);
    let now = shared.clock.now();
    let store = shared.store_read();
    let ns = store
        .namespace(req.target.account, ns_id)
        .ok_or_else(|| ns_not_found("bulk get keys"))?;
    let mut values = Map::new();
    let mut total: usize = 0;
    for key in &body.keys {
        let Some(entry) = ns.entries.get(key).filter(|e| e.live(now)) else {
            values.insert(key.clone(), Value::Null);
            continue;
        };
        total = total.saturating_add(entry.value.len());
        if total > MAX_VALUE_BYTES {
            return Err(err(
                413,
                code::VALIDATION,
                "bulk get keys: 'The requested values exceed the 25 MiB response limit'",
            ));
        }
        let value = if as_json {
            serde_json::from_slice::<Value>(&entry.value).map_err(|_| {
                invalid("At least one of the requested keys corresponds to a non-json value")
            })?
        } else {
            Value::String(String::from_utf8_lossy(&entry.value).into_owned())
        };
        let out = if with_metadata {
            let mut m = Map::new();
            m.insert("value".into(), value);
            m.insert(
                "metadata".into(),
                entry.metadata.clone().unwrap_or(Value::Null),
            );
            if let Some(exp) = entry.expiration {
                m.insert("expiration".into(), Value::from(exp));
            }
            Value::Object(m)
        } else {
            value
        };
        values.insert(key.clone(), out);
    }
    drop(store);
    let mut result = Map::new();
    result.insert("values".into(), Value::Object(values));
    Ok(ok(result))
}
