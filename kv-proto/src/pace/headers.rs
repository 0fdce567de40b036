//! Reading the server's rate-limit headers, in both forms Cloudflare has documented
//! (`x-ratelimit-*` and the IETF draft's `Ratelimit` / `Ratelimit-Policy`), and older drafts.

use http::HeaderMap;

use super::*;

/// What one response's headers announce, before any judgement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Announced {
    /// `(q, w seconds)`; `w` is `None` when the header names no window.
    pub(super) policies: [Option<(u64, Option<u64>)>; MAX_POLICIES],
    /// The lowest remaining count, with its reset in seconds when known.
    pub(super) remaining: Option<(u64, Option<u64>)>,
}

impl Announced {
    pub(super) fn parse(headers: &HeaderMap) -> Announced {
        let mut a = Announced::default();
        for v in values(headers, "ratelimit-policy") {
            for item in v.split(',') {
                if let Some(q) = param(item, "q").or_else(|| bare(item)) {
                    a.policy(q, param(item, "w"));
                }
            }
        }
        for v in values(headers, "ratelimit") {
            for item in v.split(',') {
                if let Some(r) = param(item, "r") {
                    a.remaining(r, param(item, "t"));
                }
            }
            // Older drafts: one dictionary, `limit=100, remaining=50, reset=30`.
            if let Some(r) = member(v, "remaining") {
                a.remaining(r, member(v, "reset"));
            }
            if let Some(q) = member(v, "limit") {
                a.policy(q, None);
            }
        }
        // Older drafts, one header each; `RateLimit-Limit: 100, 100;w=60`.
        for v in values(headers, "ratelimit-limit") {
            for item in v.split(',') {
                if let Some(q) = bare(item) {
                    a.policy(q, param(item, "w"));
                }
            }
        }
        if let Some(r) = first(headers, "ratelimit-remaining") {
            a.remaining(r, first(headers, "ratelimit-reset"));
        }
        // Cloudflare's documented headers.
        if let Some(q) = first(headers, "x-ratelimit-limit") {
            a.policy(q, None);
        }
        if let Some(r) = first(headers, "x-ratelimit-remaining") {
            a.remaining(r, None);
        }
        a
    }

    pub(super) fn policy(&mut self, q: u64, w: Option<u64>) {
        let p = Some((q, w));
        if self.policies.contains(&p) {
            return;
        }
        if let Some(slot) = self.policies.iter_mut().find(|p| p.is_none()) {
            *slot = p;
        }
    }

    /// Keeps the lowest count; on a tie, the one with a reset.
    pub(super) fn remaining(&mut self, r: u64, t: Option<u64>) {
        let lower = match self.remaining {
            None => true,
            Some((r0, t0)) => r < r0 || (r == r0 && t0.is_none() && t.is_some()),
        };
        if lower {
            self.remaining = Some((r, t));
        }
    }
}

/// The values of a header that are visible ASCII.
pub(super) fn values<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> impl Iterator<Item = &'a str> {
    headers.get_all(name).iter().filter_map(|v| v.to_str().ok())
}

/// The leading integer of a header's first value (`x-ratelimit-limit: 1200`).
pub(super) fn first(headers: &HeaderMap, name: &'static str) -> Option<u64> {
    values(headers, name)
        .next()
        .and_then(|v| v.split(',').next())
        .and_then(bare)
}

/// A list item's bare integer value (`100;w=60` → 100).
pub(super) fn bare(item: &str) -> Option<u64> {
    item.split(';').next().and_then(int)
}

/// A parameter of one list item (`"default";r=50` → `r` = 50).
pub(super) fn param(item: &str, key: &str) -> Option<u64> {
    item.split(';').skip(1).find_map(|m| pair(m, key))
}

/// A `key=value` member anywhere in a header value (`limit=100, remaining=50`).
pub(super) fn member(value: &str, key: &str) -> Option<u64> {
    value.split([',', ';']).find_map(|m| pair(m, key))
}

pub(super) fn pair(member: &str, key: &str) -> Option<u64> {
    let (k, v) = member.split_once('=')?;
    if k.trim().eq_ignore_ascii_case(key) {
        int(v)
    } else {
        None
    }
}

pub(super) fn int(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits: saturate (a huge limit or count is simply "plenty").
    Some(s.parse().unwrap_or(u64::MAX))
}
