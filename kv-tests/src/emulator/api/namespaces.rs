//! The namespace routes: list, create, rename (get and delete are one-liners in `handle`).

use serde::Serialize;
use serde_json::{Map, Value};

use super::*;

#[derive(Serialize)]
pub(super) struct NsOut<'a> {
    id: &'a str,
    title: &'a str,
    supports_url_encoding: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    jurisdiction: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'a str>,
}

pub(super) fn ns_out<'a>(id: &'a str, ns: &'a super::super::store::Namespace) -> NsOut<'a> {
    NsOut {
        id,
        title: &ns.title,
        supports_url_encoding: true,
        jurisdiction: ns.jurisdiction.as_deref(),
        mode: ns.mode.as_deref(),
    }
}

#[derive(Serialize)]
pub(super) struct PageInfo {
    count: usize,
    page: u64,
    per_page: u64,
    total_count: usize,
}

pub(super) fn list_namespaces(shared: &Shared, account: &str, q: &Query<'_>) -> Res {
    let page = parse_int_param(q, "page")?.unwrap_or(1);
    if page < 1 {
        return Err(invalid("page: must be at least 1"));
    }
    let per_page = parse_int_param(q, "per_page")?.unwrap_or(20);
    if !(1..=1000).contains(&per_page) {
        return Err(invalid("per_page: must be between 1 and 1000"));
    }
    let by_title = match q.get("order") {
        None | Some("id") => false,
        Some("title") => true,
        Some(o) => {
            return Err(invalid(&format!(
                "order: {o:?} must be \"id\" or \"title\""
            )));
        }
    };
    let desc = match q.get("direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(d) => {
            return Err(invalid(&format!(
                "direction: {d:?} must be \"asc\" or \"desc\""
            )));
        }
    };
    let store = shared.store_read();
    let mut all: Vec<NsOut<'_>> = store
        .namespaces(account)
        .map(|m| m.iter().map(|(id, ns)| ns_out(id, ns)).collect())
        .unwrap_or_default();
    if by_title {
        all.sort_by(|a, b| a.title.cmp(b.title).then_with(|| a.id.cmp(b.id)));
    }
    if desc {
        all.reverse();
    }
    let total = all.len();
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let items: Vec<NsOut<'_>> = all.into_iter().skip(skip).take(per_page as usize).collect();
    let info = PageInfo {
        count: items.len(),
        page,
        per_page,
        total_count: total,
    };
    Ok(envelope(200, items, Some(info)))
}

/// Parses a JSON object body.
pub(super) fn json_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad_body("expected a JSON object")),
        Err(e) => Err(bad_body(e)),
    }
}

pub(super) fn title_of(obj: &Map<String, Value>) -> Result<String, Reply> {
    match obj.get("title") {
        None | Some(Value::Null) => Err(err(400, code::TITLE_REQUIRED, "The title is required.")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(err(400, code::TITLE_REQUIRED, "The title is required."))
        }
        Some(Value::String(s)) if s.chars().count() > MAX_TITLE_CHARS => Err(invalid(&format!(
            "title: must be at most {MAX_TITLE_CHARS} characters"
        ))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad_body("title must be a string")),
    }
}

pub(super) fn optional_choice(
    obj: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(&format!(
            "{field}: {v} is not one of {}",
            allowed.join(", ")
        ))),
    }
}

pub(super) fn create_namespace(shared: &Shared, account: &str, body: &[u8]) -> Res {
    let obj = json_object(body)?;
    let title = title_of(&obj)?;
    let jurisdiction = optional_choice(&obj, "jurisdiction", &["eu", "fedramp", "us"])?;
    let mode = optional_choice(&obj, "mode", &["instant"])?;
    let mut store = shared.store_write();
    match store.create_namespace(account, &title, jurisdiction, mode, shared.max_namespaces) {
        Ok(id) => {
            let ns = store
                .namespace(account, &id)
                .ok_or_else(|| err(500, code::INTERNAL, "Internal server error"))?;
            Ok(ok(ns_out(&id, ns)))
        }
        Err(NsError::DuplicateTitle) => Err(err(
            400,
            code::DUPLICATE_TITLE,
            "create namespace: 'A namespace with this account ID and title already exists'",
        )),
        Err(e @ NsError::Storage(_)) => Err(store_failed("create namespace")(e)),
        Err(_) => Err(err(
            400,
            code::TOO_MANY_NAMESPACES,
            &format!(
                "create namespace: 'You have reached the maximum number of namespaces ({})'",
                shared.max_namespaces
            ),
        )),
    }
}

pub(super) fn rename_namespace(shared: &Shared, account: &str, ns_id: &str, body: &[u8]) -> Res {
    let obj = json_object(body)?;
    let title = title_of(&obj)?;
    let mut store = shared.store_write();
    match store.rename_namespace(account, ns_id, &title) {
        Ok(()) => {
            let ns = store
                .namespace(account, ns_id)
                .ok_or_else(|| ns_not_found("rename namespace"))?;
            Ok(ok(ns_out(ns_id, ns)))
        }
        Err(NsError::DuplicateTitle) => Err(err(
            400,
            code::DUPLICATE_TITLE,
            "rename namespace: 'A namespace with this account ID and title already exists'",
        )),
        Err(e) => Err(store_failed("rename namespace")(e)),
    }
}
