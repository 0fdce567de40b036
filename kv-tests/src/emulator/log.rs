//! The request log.

use super::fault::FaultKind;

/// One request as the emulator received it, and what it answered.
///
/// Credentials are redacted: the values of `authorization` and `x-auth-key` read
/// `[redacted]`.
///
/// ```
/// use kv_tests::{Emulator, EmulatorConfig};
/// let emu = Emulator::start(EmulatorConfig::default())?;
/// let url = format!("{}/accounts/acct/storage/kv/namespaces", emu.base_url());
/// let _ = ureq::get(&url).header("Authorization", "Bearer s3cret").call();
/// let log = emu.requests();
/// assert_eq!(log.len(), 1);
/// assert_eq!(log[0].method, "GET");
/// assert_eq!(log[0].path, "/client/v4/accounts/acct/storage/kv/namespaces");
/// assert_eq!(log[0].status, Some(200));
/// assert_eq!(log[0].header("authorization"), Some("[redacted]"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Arrival number (0-based) over all requests; the fault plan hashes this.
    pub seq: u64,
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// The path exactly as received, percent-encoding included.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Request headers in arrival order (names lowercase), credentials redacted.
    pub headers: Vec<(String, String)>,
    /// Length of the request body in bytes.
    pub body_len: usize,
    /// The body itself, if body logging is on ([`EmulatorConfig::log_bodies`](super::EmulatorConfig::log_bodies)).
    pub body: Option<Vec<u8>>,
    /// The status answered (for a truncated body, the status that was announced);
    /// `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// The fault injected into this request, if any.
    pub fault: Option<FaultKind>,
    /// Whether the rate limiter refused this request.
    pub rate_limited: bool,
}

impl RequestRecord {
    /// The first value of a header (name matched case-insensitively).
    ///
    /// ```
    /// # use kv_tests::RequestRecord;
    /// let r = RequestRecord {
    ///     seq: 0, method: "GET".into(), path: "/".into(), query: None,
    ///     headers: vec![("content-type".into(), "text/plain".into())],
    ///     body_len: 0, body: None, status: Some(404), fault: None, rate_limited: false,
    /// };
    /// assert_eq!(r.header("Content-Type"), Some("text/plain"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
