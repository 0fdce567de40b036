//! The KV REST API itself: routing, validation and response building.
//!
//! This layer sees the raw path, the query string, the headers and the whole body; it
//! knows nothing about sockets or faults (except the partial-bulk selection it is handed).

use std::borrow::Cow;
use std::ops::Bound;

use base64::Engine as _;
use bytes::Bytes;
use hyper::Method;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

mod account;
mod bulk;
mod namespaces;

use account::{account_handle, account_resolve, account_route};
use bulk::{bulk_delete, bulk_get, bulk_write};
use namespaces::*;

use super::Shared;
use super::fault::{FaultPlan, RouteClass};
use super::store::{
    Entry, MAX_TITLE_CHARS, MAX_VALUE_BYTES, MIN_EXPIRATION_SECS, NsError, check_key,
    check_metadata,
};

/// Bulk write / bulk delete item limit.
pub(crate) const MAX_BULK_ITEMS: usize = 10_000;
/// Bulk get key limit.
pub(crate) const MAX_BULK_GET_KEYS: usize = 100;
/// Whole-body limit of the bulk routes (100 MB, decimal).
pub(crate) const MAX_BULK_BODY: usize = 100_000_000;
/// Whole-body limit of every other route: a 25 MiB value plus 1 MiB of multipart overhead.
pub(crate) const MAX_OTHER_BODY: usize = MAX_VALUE_BYTES + 1024 * 1024;

/// Error codes used by the emulator (see EMULATOR.md for the table).
pub(crate) mod code {
    pub const NO_ROUTE: u32 = 7003;
    pub const RATE_LIMITED: u32 = 971;
    pub const AUTH: u32 = 10000;
    pub const VALIDATION: u32 = 10001;
    pub const INTERNAL: u32 = 10002;
    pub const KEY_NOT_FOUND: u32 = 10009;
    pub const BAD_NAMESPACE_ID: u32 = 10011;
    pub const BAD_BODY: u32 = 10012;
    pub const NAMESPACE_NOT_FOUND: u32 = 10013;
    pub const DUPLICATE_TITLE: u32 = 10014;
    pub const TITLE_REQUIRED: u32 = 10019;
    pub const BULK_GET_KEY_COUNT: u32 = 10029;
    pub const TOO_MANY_NAMESPACES: u32 = 10030;
    pub const BAD_EXPIRATION: u32 = 10034;
    pub const METHOD_NOT_ALLOWED: u32 = 10405;
    pub const INVALID_HEADERS: u32 = 6003;
    pub const UNAUTHORIZED_RESOURCE: u32 = 9109;
}

/// A response before it becomes a hyper response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

type Res = Result<Reply, Reply>;

impl Reply {
    fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: Bytes::from(body),
        }
    }
}

#[derive(Serialize)]
struct ErrItem<'a> {
    code: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct Envelope<'a, R: Serialize, I: Serialize> {
    success: bool,
    errors: &'a [ErrItem<'a>],
    messages: [(); 0],
    result: R,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_info: Option<I>,
}

fn envelope<R: Serialize, I: Serialize>(status: u16, result: R, info: Option<I>) -> Reply {
    let env = Envelope {
        success: true,
        errors: &[],
        messages: [],
        result,
        result_info: info,
    };
    Reply::json(status, serde_json::to_vec(&env).unwrap_or_default())
}

/// A success envelope without `result_info`.
fn ok<R: Serialize>(result: R) -> Reply {
    envelope::<R, ()>(200, result, None)
}

/// A failure envelope.
pub(crate) fn err(status: u16, code: u32, message: &str) -> Reply {
    let items = [ErrItem { code, message }];
    let env = Envelope::<(), ()> {
        success: false,
        errors: &items,
        messages: [],
        result: (),
        result_info: None,
    };
    Reply::json(status, serde_json::to_vec(&env).unwrap_or_default())
}

/// Every operation of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    ListNamespaces,
    CreateNamespace,
    GetNamespace,
    RenameNamespace,
    DeleteNamespace,
    ListKeys,
    GetValue,
    PutValue,
    DeleteValue,
    GetMetadata,
    BulkWrite,
    BulkDelete,
    BulkGet,
    /// `GET /user/tokens/verify`.
    VerifyToken,
    /// `GET /memberships`.
    ListMemberships,
    /// `GET /accounts`.
    ListAccounts,
    /// `GET /user` (always 9109: the emulator knows no user details).
    GetUser,
}

impl Op {
    pub fn class(self) -> RouteClass {
        use Op::*;
        let mutating = matches!(
            self,
            CreateNamespace
                | RenameNamespace
                | DeleteNamespace
                | PutValue
                | DeleteValue
                | BulkWrite
                | BulkDelete
        );
        RouteClass {
            mutating,
            bulk: matches!(self, BulkWrite | BulkDelete | BulkGet),
            partial_ok: matches!(self, BulkWrite | BulkDelete),
            envelope: self != GetValue,
        }
    }

    pub fn body_limit(self) -> usize {
        match self {
            Op::BulkWrite | Op::BulkDelete | Op::BulkGet => MAX_BULK_BODY,
            _ => MAX_OTHER_BODY,
        }
    }
}

/// A routed request: the account, the raw namespace id and raw key segments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub op: Op,
    pub account: &'a str,
    pub ns: &'a str,
    pub key: &'a str,
}

/// The result of routing.
#[derive(Debug)]
pub(crate) enum Resolve<'a> {
    Ok(Target<'a>),
    NoRoute,
    MethodNotAllowed,
}

const PREFIX: &str = "/client/v4/accounts/";
const NAMESPACES: &str = "/storage/kv/namespaces";

/// Routes a raw (still percent-encoded) path.
pub(crate) fn resolve<'a>(method: &Method, path: &'a str) -> Resolve<'a> {
    if let Some(op) = account_route(path) {
        return account_resolve(method, op);
    }
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Resolve::NoRoute;
    };
    let Some(slash) = rest.find('/') else {
        return Resolve::NoRoute;
    };
    let (account, rest) = rest.split_at(slash);
    let Some(rest) = rest.strip_prefix(NAMESPACES) else {
        return Resolve::NoRoute;
    };
    let mut t = Target {
        op: Op::ListNamespaces,
        account,
        ns: "",
        key: "",
    };
    let m = method;
    let pick = |get: Option<Op>, put: Option<Op>, post: Option<Op>, delete: Option<Op>| {
        let op = match *m {
            Method::GET => get,
            Method::PUT => put,
            Method::POST => post,
            Method::DELETE => delete,
            _ => None,
        };
        op.ok_or(())
    };
    use Op::*;
    let op = if rest.is_empty() {
        pick(Some(ListNamespaces), None, Some(CreateNamespace), None)
    } else {
        let Some(rest) = rest.strip_prefix('/') else {
            return Resolve::NoRoute;
        };
        let mut segs = rest.splitn(3, '/');
        let ns = segs.next().unwrap_or("");
        if ns.is_empty() {
            return Resolve::NoRoute;
        }
        t.ns = ns;
        match (segs.next(), segs.next()) {
            (None, _) => pick(
                Some(GetNamespace),
                Some(RenameNamespace),
                None,
                Some(DeleteNamespace),
            ),
            (Some("keys"), None) => pick(Some(ListKeys), None, None, None),
            (Some("values"), Some(key)) if !key.contains('/') => {
                t.key = key;
                pick(Some(GetValue), Some(PutValue), None, Some(DeleteValue))
            }
            (Some("metadata"), Some(key)) if !key.contains('/') => {
                t.key = key;
                pick(Some(GetMetadata), None, None, None)
            }
            (Some("bulk"), None) => pick(None, Some(BulkWrite), None, Some(BulkDelete)),
            (Some("bulk"), Some("delete")) => pick(None, None, Some(BulkDelete), None),
            (Some("bulk"), Some("get")) => pick(None, None, Some(BulkGet), None),
            _ => return Resolve::NoRoute,
        }
    };
    match op {
        Ok(op) => {
            t.op = op;
            Resolve::Ok(t)
        }
        Err(()) => Resolve::MethodNotAllowed,
    }
}

/// The 404 for unknown routes.
pub(crate) fn no_route() -> Reply {
    err(404, code::NO_ROUTE, "No route for the URI")
}

/// The 405 for known paths with the wrong method.
pub(crate) fn method_not_allowed(method: &Method) -> Reply {
    err(
        405,
        code::METHOD_NOT_ALLOWED,
        &format!("Method {method} not allowed for this route"),
    )
}

/// The 403 for missing or wrong credentials.
pub(crate) fn auth_error() -> Reply {
    err(403, code::AUTH, "Authentication error")
}

/// The 429 of faults and of the rate limiter.
pub(crate) fn rate_limited(retry_after: u64) -> Reply {
    let mut r = err(
        429,
        code::RATE_LIMITED,
        "Please wait and consider throttling your request speed",
    );
    r.headers.push(("retry-after", retry_after.to_string()));
    r
}

/// An HTML error page, as a Cloudflare edge sends for 502/503.
pub(crate) fn html_error(status: u16, reason: &str) -> Reply {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n<body>\n<center><h1>{status} {reason}</h1></center>\n<hr><center>cloudflare</center>\n</body></html>\n"
    );
    Reply {
        status,
        content_type: "text/html; charset=UTF-8",
        headers: Vec::new(),
        body: Bytes::from(body),
    }
}

/// The 524 a Cloudflare edge sends when the origin took longer than its time limit.
pub(crate) fn edge_timeout() -> Reply {
    let body = "<!DOCTYPE html>\n<html><head><title>524: A timeout occurred</title></head>\n<body>\n<h1>A timeout occurred</h1>\n<p>Error code 524</p>\n<p>The origin web server timed out responding to this request.</p>\n<hr><center>cloudflare</center>\n</body></html>\n";
    Reply {
        status: 524,
        content_type: "text/html; charset=UTF-8",
        headers: Vec::new(),
        body: Bytes::from_static(body.as_bytes()),
    }
}

/// The `success: false` envelope sent with HTTP 200 by the `SuccessFalse` fault.
pub(crate) fn success_false() -> Reply {
    err(
        200,
        code::VALIDATION,
        "Request failed (injected fault: success false with HTTP 200)",
    )
}

/// The number of items of a bulk request body (array elements for bulk write and delete,
/// `keys` for bulk get), for the simulated work time; 0 when the body does not parse (the
/// handler then answers 400 anyway) or the route is not a bulk route.
pub(crate) fn bulk_item_count(op: Op, body: &[u8]) -> usize {
    use serde::de::IgnoredAny;
    #[derive(Deserialize)]
    struct Keys {
        keys: Vec<IgnoredAny>,
    }
    match op {
        Op::BulkWrite | Op::BulkDelete => {
            serde_json::from_slice::<Vec<IgnoredAny>>(body).map_or(0, |v| v.len())
        }
        Op::BulkGet => serde_json::from_slice::<Keys>(body).map_or(0, |k| k.keys.len()),
        _ => 0,
    }
}

/// The message of a value over [`MAX_VALUE_BYTES`] (a single write or a bulk item).
fn value_too_long(len: usize) -> String {
    format!("Value length of {len} exceeds limit of {MAX_VALUE_BYTES}.")
}

/// The body of a request that was too large to buffer.
pub(crate) fn too_large(op: Option<Op>, len: usize) -> Reply {
    let msg = match op {
        Some(Op::PutValue) => value_too_long(len),
        Some(o) => format!(
            "Request body of {len} bytes exceeds the limit of {} bytes.",
            o.body_limit()
        ),
        None => format!("Request body of {len} bytes is too large."),
    };
    err(413, code::VALIDATION, &msg)
}

/// The emulator's authentication settings.
#[derive(Clone, Default)]
pub(crate) struct AuthConfig {
    pub token: Option<String>,
    pub api_key: Option<(String, String)>,
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Whether the request carries acceptable credentials.
pub(crate) fn authorized(auth: &AuthConfig, headers: &HeaderMap) -> bool {
    let bearer = header_str(headers, AUTHORIZATION.as_str()).and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    });
    let email = header_str(headers, "x-auth-email");
    let key = header_str(headers, "x-auth-key");
    let pair = email.zip(key);
    if auth.token.is_none() && auth.api_key.is_none() {
        return bearer.is_some() || pair.is_some();
    }
    let token_ok = matches!((&auth.token, bearer), (Some(t), Some(b)) if t == b);
    let key_ok =
        matches!((&auth.api_key, pair), (Some((e, k)), Some((pe, pk))) if e == pe && k == pk);
    token_ok || key_ok
}

pub(crate) fn valid_account(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 32
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parses a namespace id: 32 hex digits, or a dashed UUID; returns 32 lowercase hex digits.
fn parse_ns_id(raw: &str) -> Result<String, Reply> {
    let b = raw.as_bytes();
    let compact: Cow<'_, str> =
        if b.len() == 36 && b[8] == b'-' && b[13] == b'-' && b[18] == b'-' && b[23] == b'-' {
            Cow::Owned(raw.replace('-', ""))
        } else {
            Cow::Borrowed(raw)
        };
    if compact.len() == 32 && compact.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(compact.to_ascii_lowercase())
    } else {
        Err(err(
            400,
            code::BAD_NAMESPACE_ID,
            &format!("could not parse UUID from request's namespace_id: '{raw}'"),
        ))
    }
}

/// Maps a failed store mutation: an unknown namespace, or a change the persistence
/// database refused (500, code 10002; nothing was changed).
fn store_failed(op: &str) -> impl Fn(NsError) -> Reply + '_ {
    move |e| match e {
        NsError::Storage(m) => err(
            500,
            code::INTERNAL,
            &format!("{op}: 'Internal server error: the change could not be persisted ({m})'"),
        ),
        _ => ns_not_found(op),
    }
}

fn ns_not_found(op: &str) -> Reply {
    err(
        404,
        code::NAMESPACE_NOT_FOUND,
        &format!("{op}: 'namespace not found'"),
    )
}

fn bad_body(detail: impl std::fmt::Display) -> Reply {
    err(
        400,
        code::BAD_BODY,
        &format!("Invalid request body: {detail}"),
    )
}

fn invalid(message: &str) -> Reply {
    err(400, code::VALIDATION, message)
}

/// Decodes a key path segment (percent-decoding once) and validates it.
fn decode_key(raw: &str) -> Result<String, Reply> {
    let key = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| invalid("Key names must be valid UTF-8 after percent-decoding"))?
        .into_owned();
    check_key(&key).map_err(|(status, msg)| err(status, code::VALIDATION, &msg))?;
    Ok(key)
}

/// Query parameters, form-decoded; the first occurrence of a name wins.
struct Query<'q>(Vec<(Cow<'q, str>, Cow<'q, str>)>);

impl<'q> Query<'q> {
    fn parse(q: Option<&'q str>) -> Self {
        Query(q.map_or_else(Vec::new, |q| form_urlencoded::parse(q.as_bytes()).collect()))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }
}

fn parse_int_param(q: &Query<'_>, name: &str) -> Result<Option<u64>, Reply> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => parse_integral(v)
            .map(Some)
            .ok_or_else(|| invalid(&format!("{name}: {v:?} is not a non-negative integer"))),
    }
}

/// Accepts `60` and `60.0` (clients that type numbers as floats), nothing else.
fn parse_integral(s: &str) -> Option<u64> {
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let f: f64 = s.parse().ok()?;
    float_to_u64(f)
}

fn float_to_u64(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 1.8e19).then_some(f as u64)
}

fn number_to_u64(n: &Number) -> Option<u64> {
    n.as_u64().or_else(|| n.as_f64().and_then(float_to_u64))
}

/// Computes the absolute expiration from `expiration_ttl` (wins) or `expiration`.
fn expiry(ttl: Option<&str>, exp: Option<&str>, now: u64) -> Result<Option<u64>, String> {
    if let Some(raw) = ttl {
        let Some(ttl) = parse_integral(raw) else {
            return Err(format!(
                "Invalid expiration_ttl of {raw}. Please specify integer greater than 0."
            ));
        };
        if ttl < MIN_EXPIRATION_SECS {
            return Err(format!(
                "Invalid expiration_ttl of {raw}. Expiration TTL must be at least {MIN_EXPIRATION_SECS}."
            ));
        }
        return Ok(Some(now.saturating_add(ttl)));
    }
    if let Some(raw) = exp {
        let at = parse_integral(raw).filter(|&e| e > now);
        let Some(at) = at else {
            return Err(format!(
                "Invalid expiration of {raw}. Please specify integer greater than the current number of seconds since the UNIX epoch."
            ));
        };
        if at < now.saturating_add(MIN_EXPIRATION_SECS) {
            return Err(format!(
                "Invalid expiration of {raw}. Expiration times must be at least {MIN_EXPIRATION_SECS} seconds in the future."
            ));
        }
        return Ok(Some(at));
    }
    Ok(None)
}

fn number_str(n: &Option<Number>) -> Option<String> {
    n.as_ref().map(|n| match number_to_u64(n) {
        Some(u) => u.to_string(),
        None => n.to_string(),
    })
}

/// What the handler needs besides the request.
pub(crate) struct Request<'a> {
    pub target: Target<'a>,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
    /// A partial-bulk fault: the plan and the request's sequence number pick the keys
    /// to report unsuccessful.
    pub partial: Option<(&'a FaultPlan, u64)>,
}

/// Handles a routed, authenticated request.
pub(crate) async fn handle(shared: &Shared, req: Request<'_>) -> Reply {
    match handle_inner(shared, req).await {
        Ok(r) | Err(r) => r,
    }
}

async fn handle_inner(shared: &Shared, req: Request<'_>) -> Res {
    let t = req.target;
    if let Some(reply) = account_handle(shared, &req) {
        return reply;
    }
    if !valid_account(t.account) {
        return Err(err(
            400,
            code::NO_ROUTE,
            &format!(
                "Could not route to /client/v4/accounts/{}{NAMESPACES}, perhaps your object identifier is invalid?",
                t.account
            ),
        ));
    }
    let ns_id = if t.ns.is_empty() {
        String::new()
    } else {
        parse_ns_id(t.ns)?
    };
    let query = Query::parse(req.query);
    match t.op {
        Op::ListNamespaces => list_namespaces(shared, t.account, &query),
        Op::CreateNamespace => create_namespace(shared, t.account, &req.body),
        Op::GetNamespace => {
            let store = shared.store_read();
            let ns = store
                .namespace(t.account, &ns_id)
                .ok_or_else(|| ns_not_found("get namespace"))?;
            Ok(ok(ns_out(&ns_id, ns)))
        }
        Op::RenameNamespace => rename_namespace(shared, t.account, &ns_id, &req.body),
        Op::DeleteNamespace => match shared.store_write().delete_namespace(t.account, &ns_id) {
            Ok(true) => Ok(ok(())),
            Ok(false) => Err(ns_not_found("remove namespace")),
            Err(e) => Err(store_failed("remove namespace")(e)),
        },
        Op::ListKeys => list_keys(shared, t.account, &ns_id, &query),
        Op::GetValue => get_value(shared, t.account, &ns_id, t.key),
        Op::PutValue => put_value(shared, &req, &ns_id, &query).await,
        Op::DeleteValue => {
            let key = decode_key(t.key)?;
            shared
                .store_write()
                .remove_entry(t.account, &ns_id, &key)
                .map_err(store_failed("remove key"))?;
            Ok(ok(()))
        }
        Op::GetMetadata => {
            let key = decode_key(t.key)?;
            let now = shared.clock.now();
            let store = shared.store_read();
            let entry = live_entry(&store, t.account, &ns_id, &key, now)?;
            Ok(ok(&entry.metadata))
        }
        Op::BulkWrite => bulk_write(shared, &req, &ns_id),
        Op::BulkDelete => bulk_delete(shared, &req, &ns_id),
        Op::BulkGet => bulk_get(shared, &req, &ns_id),
        Op::VerifyToken | Op::ListMemberships | Op::ListAccounts | Op::GetUser => Err(no_route()),
    }
}

#[derive(Serialize)]
struct KeyOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Value>,
}

#[derive(Serialize)]
struct CursorInfo {
    count: usize,
    cursor: String,
}

const CURSOR: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn list_keys(shared: &Shared, account: &str, ns_id: &str, q: &Query<'_>) -> Res {
    let limit = parse_int_param(q, "limit")?.unwrap_or(1000);
    if !(10..=1000).contains(&limit) {
        return Err(invalid(&format!(
            "limit: {limit} is out of range; it must be between 10 and 1000"
        )));
    }
    let limit = limit as usize;
    let prefix = q.get("prefix").unwrap_or("");
    let after = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            CURSOR
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid("cursor: invalid cursor"))?,
        ),
    };
    let now = shared.clock.now();
    let store = shared.store_read();
    let ns = store
        .namespace(account, ns_id)
        .ok_or_else(|| ns_not_found("list keys"))?;
    let start = match &after {
        Some(c) if c.as_str() >= prefix => Bound::Excluded(c.as_str()),
        _ => Bound::Included(prefix),
    };
    let mut out: Vec<KeyOut<'_>> = Vec::with_capacity(limit.min(ns.entries.len()));
    let mut more = false;
    for (name, e) in ns.entries.range::<str, _>((start, Bound::Unbounded)) {
        if !name.starts_with(prefix) {
            break;
        }
        if !e.live(now) {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        out.push(KeyOut {
            name,
            expiration: e.expiration,
            metadata: e.metadata.as_ref(),
        });
    }
    let cursor = match out.last() {
        Some(last) if more => CURSOR.encode(last.name),
        _ => String::new(),
    };
    let info = CursorInfo {
        count: out.len(),
        cursor,
    };
    Ok(envelope(200, out, Some(info)))
}

/// The unexpired entry of `key` (the lookup of reading a value and reading its metadata).
fn live_entry<'s>(
    store: &'s super::store::Store,
    account: &str,
    ns_id: &str,
    key: &str,
    now: u64,
) -> Result<&'s Entry, Reply> {
    store
        .namespace(account, ns_id)
        .ok_or_else(|| ns_not_found("get"))?
        .entries
        .get(key)
        .filter(|e| e.live(now))
        .ok_or_else(|| err(404, code::KEY_NOT_FOUND, "get: 'key not found'"))
}

fn get_value(shared: &Shared, account: &str, ns_id: &str, raw_key: &str) -> Res {
    let key = decode_key(raw_key)?;
    let now = shared.clock.now();
    let store = shared.store_read();
    let entry = live_entry(&store, account, ns_id, &key, now)?;
    let mut reply = Reply {
        status: 200,
        content_type: "application/octet-stream",
        headers: Vec::new(),
        body: entry.value.clone(),
    };
    if let Some(exp) = entry.expiration {
        reply.headers.push(("expiration", exp.to_string()));
    }
    Ok(reply)
}

/// The `multipart/form-data` boundary, if the request is multipart.
fn multipart_boundary(headers: &HeaderMap) -> Option<Result<String, Reply>> {
    let ct = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let is_multipart = ct
        .trim_start()
        .get(..19)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/form-data"));
    if !is_multipart {
        return None;
    }
    Some(
        multer::parse_boundary(ct)
            .map_err(|e| err(400, code::BAD_BODY, &format!("Invalid multipart body: {e}"))),
    )
}

/// Parses a multipart write: the `value` part (required) and `metadata` part (optional).
async fn parse_multipart(body: Bytes, boundary: String) -> Result<(Bytes, Option<Value>), Reply> {
    let bad = |e: multer::Error| err(400, code::BAD_BODY, &format!("Invalid multipart body: {e}"));
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut value = None;
    let mut metadata = None;
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().map(str::to_owned);
        let data = field.bytes().await.map_err(bad)?;
        match name.as_deref() {
            Some("value") if value.is_none() => value = Some(data),
            Some("metadata") if metadata.is_none() => metadata = Some(data),
            _ => {}
        }
    }
    let value = value.ok_or_else(|| {
        err(
            400,
            code::BAD_BODY,
            "multipart put request does not contain required form field 'value'",
        )
    })?;
    let metadata = match metadata {
        None => None,
        Some(raw) => {
            let v: Value = serde_json::from_slice(&raw).map_err(|e| {
                err(
                    400,
                    code::BAD_BODY,
                    &format!("Invalid metadata: the 'metadata' part is not valid JSON ({e})"),
                )
            })?;
            check_metadata(&v).map_err(|m| err(413, code::VALIDATION, &m))?;
            (!v.is_null()).then_some(v)
        }
    };
    Ok((value, metadata))
}

async fn put_value(shared: &Shared, req: &Request<'_>, ns_id: &str, q: &Query<'_>) -> Res {
    let key = decode_key(req.target.key)?;
    let (value, metadata) = match multipart_boundary(req.headers) {
        Some(boundary) => parse_multipart(req.body.clone(), boundary?).await?,
        None => (req.body.clone(), None),
    };
    if value.len() > MAX_VALUE_BYTES {
        return Err(err(413, code::VALIDATION, &value_too_long(value.len())));
    }
    let now = shared.clock.now();
    let expiration = expiry(q.get("expiration_ttl"), q.get("expiration"), now)
        .map_err(|msg| err(400, code::BAD_EXPIRATION, &msg))?;
    let entry = Entry {
        value,
        metadata,
        expiration,
    };
    shared
        .store_write()
        .put_entry(req.target.account, ns_id, key, entry)
        .map_err(store_failed("put"))?;
    Ok(ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let p = "/client/v4/accounts/abc/storage/kv/namespaces";
        assert!(matches!(resolve(&Method::GET, p), Resolve::Ok(t) if t.op == Op::ListNamespaces));
        assert!(matches!(
            resolve(&Method::PATCH, p),
            Resolve::MethodNotAllowed
        ));
        let v = format!("{p}/0123/values/a%2Fb");
        assert!(
            matches!(resolve(&Method::PUT, &v), Resolve::Ok(t) if t.op == Op::PutValue && t.key == "a%2Fb" && t.ns == "0123")
        );
        let v = format!("{p}/0123/values/a/b");
        assert!(matches!(resolve(&Method::GET, &v), Resolve::NoRoute));
        let v = format!("{p}/0123/bulk");
        assert!(matches!(resolve(&Method::DELETE, &v), Resolve::Ok(t) if t.op == Op::BulkDelete));
        assert!(matches!(
            resolve(&Method::GET, "/client/v4/users"),
            Resolve::NoRoute
        ));
        assert!(matches!(
            resolve(&Method::GET, "/client/v4/user"),
            Resolve::Ok(t) if t.op == Op::GetUser
        ));
        assert!(matches!(
            resolve(&Method::GET, "/client/v4/memberships"),
            Resolve::Ok(t) if t.op == Op::ListMemberships
        ));
        assert!(matches!(
            resolve(&Method::POST, "/client/v4/accounts"),
            Resolve::MethodNotAllowed
        ));
        assert!(matches!(
            resolve(&Method::GET, "/client/v4/accounts/"),
            Resolve::NoRoute
        ));
    }

    #[test]
    fn namespace_ids() {
        assert!(parse_ns_id("0f2ac74b498b48028cb68387c421e279").is_ok());
        assert_eq!(
            parse_ns_id("0F2AC74B-498B-4802-8CB6-8387C421E279")
                .ok()
                .as_deref(),
            Some("0f2ac74b498b48028cb68387c421e279")
        );
        assert!(parse_ns_id("nope").is_err());
    }

    #[test]
    fn integral() {
        assert_eq!(parse_integral("60"), Some(60));
        assert_eq!(parse_integral("60.0"), Some(60));
        assert_eq!(parse_integral("60.5"), None);
        assert_eq!(parse_integral("-1"), None);
        assert_eq!(parse_integral("x"), None);
    }
}
