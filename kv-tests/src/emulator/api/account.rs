//! The account routes tools ask before the KV routes (outside `/accounts/{id}/storage/kv`).

use super::*;

/// The account routes wrangler and other tools ask before the KV routes.
pub(super) fn account_route(path: &str) -> Option<Op> {
    match path {
        "/client/v4/user/tokens/verify" => Some(Op::VerifyToken),
        "/client/v4/memberships" => Some(Op::ListMemberships),
        "/client/v4/accounts" => Some(Op::ListAccounts),
        "/client/v4/user" => Some(Op::GetUser),
        _ => None,
    }
}

pub(super) fn account_resolve(method: &Method, op: Op) -> Resolve<'static> {
    if *method != Method::GET {
        return Resolve::MethodNotAllowed;
    }
    Resolve::Ok(Target {
        op,
        account: "",
        ns: "",
        key: "",
    })
}

/// The display name of the emulated account.
const ACCOUNT_NAME: &str = "KV Emulator";
/// The creation time the emulated account reports.
const ACCOUNT_CREATED_ON: &str = "2020-01-01T00:00:00.000000Z";

/// A stable, non-reversible-looking id for a token (FNV-1a, then SplitMix64): the same token
/// always gets the same id, and the token itself is never echoed.
fn token_id(token: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let a = super::super::store::splitmix64(h);
    let b = super::super::store::splitmix64(a ^ 0x5bd1_e995);
    format!("{a:016x}{b:016x}")
}

#[derive(Serialize)]
struct ListInfo {
    page: u64,
    per_page: u64,
    count: usize,
    total_count: usize,
    total_pages: u64,
}

/// Pages a list of one item the way Cloudflare's page-style lists do.
fn one_item_page(item: Value, q: &Query<'_>, default_per_page: u64) -> Res {
    let page = parse_int_param(q, "page")?.unwrap_or(1);
    if page < 1 {
        return Err(invalid("page: must be at least 1"));
    }
    let per_page = parse_int_param(q, "per_page")?.unwrap_or(default_per_page);
    if !(1..=1000).contains(&per_page) {
        return Err(invalid("per_page: must be between 1 and 1000"));
    }
    let items: Vec<Value> = if page == 1 { vec![item] } else { Vec::new() };
    let info = ListInfo {
        page,
        per_page,
        count: items.len(),
        total_count: 1,
        total_pages: 1,
    };
    Ok(envelope(200, items, Some(info)))
}

fn account_json(id: &str) -> Value {
    serde_json::json!({
        "id": id,
        "name": ACCOUNT_NAME,
        "type": "standard",
        "settings": {
            "enforce_twofactor": false,
            "api_access_enabled": null,
            "access_approval_expiry": null,
            "use_account_custom_ns_by_default": false,
            "default_nameservers": "cloudflare.standard",
            "abuse_contact_email": null
        },
        "legacy_flags": {},
        "created_on": ACCOUNT_CREATED_ON
    })
}

/// Answers the account routes (already authenticated); `None` for the KV routes.
pub(super) fn account_handle(shared: &Shared, req: &Request<'_>) -> Option<Res> {
    let op = req.target.op;
    if !matches!(
        op,
        Op::VerifyToken | Op::ListMemberships | Op::ListAccounts | Op::GetUser
    ) {
        return None;
    }
    let query = Query::parse(req.query);
    let account = shared.account_id.as_str();
    Some(match op {
        Op::VerifyToken => {
            let bearer = header_str(req.headers, AUTHORIZATION.as_str())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim())
                .filter(|t| !t.is_empty());
            match bearer {
                Some(token) => Ok(ok(serde_json::json!({
                    "id": token_id(token),
                    "status": "active",
                }))),
                // Authenticated with X-Auth-Email/X-Auth-Key: there is no token to verify.
                None => Err(err(400, code::INVALID_HEADERS, "Invalid request headers")),
            }
        }
        Op::ListMemberships => {
            let membership = serde_json::json!({
                "id": token_id(&format!("membership:{account}")),
                "code": token_id(&format!("code:{account}")),
                "status": "accepted",
                "account": { "id": account, "name": ACCOUNT_NAME },
                "roles": ["Administrator"],
                "api_access_enabled": null,
            });
            one_item_page(membership, &query, 20)
        }
        // What Cloudflare answers a token without "User Details: Read"; wrangler whoami
        // then reports that it cannot show an email and carries on.
        Op::GetUser => Err(err(
            403,
            code::UNAUTHORIZED_RESOURCE,
            "Unauthorized to access requested resource",
        )),
        _ => one_item_page(account_json(account), &query, 20),
    })
}
