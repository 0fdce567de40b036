//! One request/response round trip of an [`Operation`], with every decision made here:
//! request → the caller's send (given the byte cap) → cap check → redirect check → parse →
//! credential redaction. A shell supplies only the bytes on the wire.

use http::{Request, Response, header};

use crate::endpoint::Endpoint;
use crate::error::{Error, TransportErrorKind};
use crate::op::Operation;

/// Runs `op` once: builds its request for `endpoint`, hands it to `send` together with the
/// most response-body bytes `send` may read, and turns what comes back into the output or an
/// [`Error`] via [`finish`].
///
/// `send` is your HTTP stack. It returns any status as a response (4xx, 5xx and 3xx are data;
/// never follow a redirect, the request carries credentials) and reports failures below HTTP
/// as [`Error::transport`]. Everything else is decided here, the same way for every transport:
///
/// - a body longer than [`Operation::max_response_bytes`] is [`Error::response_too_large`],
///   even if `send` did not enforce the cap;
/// - a 3xx is a [`TransportErrorKind::Redirect`] error naming the target host only;
/// - the response is parsed by [`Operation::parse`];
/// - every error, `send`'s own included, goes through [`crate::Auth::redact`], so a server or
///   transport that quotes the credentials cannot leak them into `Display` or `Debug`.
///
/// No retry and no pacing: call it once per attempt (see [`crate::RetryPolicy`] and
/// [`crate::Pacer`]). An async shell uses [`finish`] directly.
///
/// # Errors
/// `send`'s error, or any error of [`finish`]; redacted either way.
///
/// # Example
/// ```
/// use kv_proto::{exchange, AccountId, Auth, Endpoint, GetValue, Key, NamespaceId};
///
/// let endpoint = Endpoint::new(AccountId::new("acc")?, Auth::api_token("s3cr3t-token")?);
/// let get = GetValue::new(NamespaceId::new("ns1")?, Key::new("user/42")?);
///
/// // A closure stands in for your HTTP stack.
/// let value = exchange(&get, &endpoint, |request, max_response_bytes| {
///     assert_eq!(request.uri().path().rsplit('/').next(), Some("user%2F42"));
///     assert!(max_response_bytes >= 25 << 20);
///     Ok(http::Response::new(b"hello".to_vec()))
/// })?;
/// assert_eq!(value.bytes, b"hello");
///
/// // A server that quotes the request back: the error never shows the token.
/// let err = exchange(&get, &endpoint, |request, _| {
///     let quoted = format!("<html>{:?}</html>", request.headers()["authorization"].to_str());
///     Ok(http::Response::builder().status(502).body(quoted.into_bytes()).unwrap())
/// })
/// .unwrap_err();
/// assert!(err.is_server_error());
/// assert!(!format!("{err} {err:?}").contains("s3cr3t"));
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub fn exchange<O, F>(op: &O, endpoint: &Endpoint, send: F) -> Result<O::Output, Error>
where
    O: Operation + ?Sized,
    F: FnOnce(Request<Vec<u8>>, u64) -> Result<Response<Vec<u8>>, Error>,
{
    let sent = send(op.request(endpoint), op.max_response_bytes());
    finish(op, endpoint, sent)
}

/// The second half of [`exchange`], for shells that cannot hand over a blocking closure (an
/// async client): send `op.request(endpoint)` your way, reading at most
/// `op.max_response_bytes()` of the body, then pass the outcome, success or failure, here.
///
/// In order: a transport error passes through; a 3xx becomes [`TransportErrorKind::Redirect`];
/// a body over the cap becomes [`Error::response_too_large`]; anything else goes to
/// [`Operation::parse`]. Every error is redacted with the endpoint's [`crate::Auth`].
///
/// # Errors
/// The transport's error, a redirect, a body over the cap, or what [`Operation::parse`]
/// reports (an error envelope, an HTTP error page, an undecodable body), always redacted.
///
/// # Example
/// ```
/// use kv_proto::{finish, AccountId, Auth, DeleteValue, Endpoint, Key, NamespaceId, Operation};
/// use kv_proto::TransportErrorKind;
///
/// let endpoint = Endpoint::new(AccountId::new("acc")?, Auth::api_token("s3cr3t-token")?);
/// let op = DeleteValue::new(NamespaceId::new("ns1")?, Key::new("k")?);
///
/// let request = op.request(&endpoint);
/// // ... `let sent = my_client.send(request, op.max_response_bytes()).await;` ...
/// # let _ = request;
/// let sent = Ok(http::Response::builder()
///     .status(301)
///     .header("location", "https://elsewhere.example/steal")
///     .body(Vec::new())
///     .unwrap());
/// let err = finish(&op, &endpoint, sent).unwrap_err();
/// assert_eq!(err.transport_kind(), Some(TransportErrorKind::Redirect));
/// assert!(err.to_string().contains("elsewhere.example"));
/// assert!(!err.is_retryable());
///
/// let ok = br#"{"success":true,"errors":[],"messages":[],"result":null}"#.to_vec();
/// finish(&op, &endpoint, Ok(http::Response::new(ok)))?;
/// # Ok::<(), kv_proto::Error>(())
/// ```
pub fn finish<O>(
    op: &O,
    endpoint: &Endpoint,
    sent: Result<Response<Vec<u8>>, Error>,
) -> Result<O::Output, Error>
where
    O: Operation + ?Sized,
{
    let parsed = sent.and_then(|response| {
        if response.status().is_redirection() {
            return Err(redirect_error(&response));
        }
        let max = op.max_response_bytes();
        if response.body().len() as u64 > max {
            return Err(Error::response_too_large(max));
        }
        let (parts, body) = response.into_parts();
        op.parse(Response::from_parts(parts, body.as_slice()))
    });
    parsed.map_err(|e| endpoint.auth().redact(e))
}

/// A 3xx answer: never followed, so the credentials went nowhere else.
fn redirect_error<B>(response: &Response<B>) -> Error {
    // Name only the target host: a path or query could be long or sensitive.
    let target = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| loc.parse::<http::Uri>().ok())
        .map(|uri| match uri.host() {
            Some(host) => format!(" to host {host}"),
            None => " to a path on the same host".to_owned(),
        })
        .unwrap_or_default();
    Error::transport(
        TransportErrorKind::Redirect,
        format!(
            "the server answered HTTP {} (a redirect{target}); redirects are never followed, \
             so the credentials were not sent on (check the base URL)",
            response.status().as_u16()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountId, Auth, ErrorKind, GetNamespace, NamespaceId};

    const TOKEN: &str = "tok-0123456789-secret";

    fn endpoint(auth: Auth) -> Endpoint {
        Endpoint::new(AccountId::new("acc").unwrap(), auth)
    }

    fn op() -> GetNamespace {
        GetNamespace::new(NamespaceId::new("ns1").unwrap())
    }

    fn respond(status: u16, body: impl Into<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        Ok(Response::builder()
            .status(status)
            .body(body.into())
            .unwrap())
    }

    /// A server that quotes the request's credential headers back in three shapes of error.
    fn echoing(request: &Request<Vec<u8>>, shape: usize) -> Result<Response<Vec<u8>>, Error> {
        let head: String = request
            .headers()
            .iter()
            .map(|(n, v)| format!("{n}: {}\r\n", String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let quoted = serde_json::to_string(&head).unwrap();
        match shape {
            0 => respond(
                400,
                format!(r#"{{"success":false,"errors":[{{"code":1,"message":{quoted}}}]}}"#),
            ),
            1 => respond(502, format!("<html><pre>{head}</pre></html>")),
            2 => respond(200, format!(r#"{{"success":true,"result":{{"id":{quoted}"#)),
            // The excerpt (200 chars) ends inside the token.
            3 => respond(502, format!("{}{head}", "x".repeat(200 - 30))),
            _ => Err(Error::transport(
                TransportErrorKind::ConnectionClosed,
                format!("peer hung up after {head}"),
            )),
        }
    }

    #[test]
    fn echoed_credentials_are_redacted() {
        let auths = [
            Auth::api_token(TOKEN).unwrap(),
            Auth::api_key("someone@example.com", TOKEN).unwrap(),
        ];
        for auth in auths {
            let ep = endpoint(auth);
            for shape in 0..5 {
                let mut seen = String::new();
                let e = exchange(&op(), &ep, |req, _| {
                    for value in req.headers().values() {
                        seen.push_str(&String::from_utf8_lossy(value.as_bytes()));
                    }
                    echoing(&req, shape)
                })
                .unwrap_err();
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains("tok-0"), "{shape}: {shown}");
                assert!(!shown.contains("someone@"), "{shape}: {shown}");
                // A decode error shows only the body's shape; the excerpt it keeps on request
                // is redacted too.
                let excerpt = e.decode_excerpt().unwrap_or_default().to_owned();
                assert!(!excerpt.contains("tok-0"), "{shape}: {excerpt}");
                assert!(
                    shown.contains("[redacted]") || excerpt.contains("[redacted]"),
                    "{shape}: {shown} / {excerpt}"
                );
                let kind = match e.kind() {
                    ErrorKind::Api(_) => 0,
                    ErrorKind::Http(_) => 1,
                    ErrorKind::Decode(_) => 2,
                    ErrorKind::Transport(_) => 4,
                    other => panic!("{other:?}"),
                };
                assert_eq!(kind, if shape == 3 { 1 } else { shape }, "{shown}");
                assert!(seen.contains(TOKEN), "the request carried the credential");
                if shape == 3 && ep.auth().is_token() {
                    // The excerpt ends 8 bytes into the token: that stub is redacted too.
                    assert!(shown.contains("authorization: [redacted]…"), "{shown}");
                }
            }
        }
    }

    #[test]
    fn the_cap_is_checked_whatever_send_did() {
        let ep = endpoint(Auth::api_token(TOKEN).unwrap());
        let max = op().max_response_bytes();
        let mut cap = 0;
        let e = exchange(&op(), &ep, |_, m| {
            cap = m;
            respond(200, vec![b' '; usize::try_from(max).unwrap() + 1])
        })
        .unwrap_err();
        assert_eq!(cap, max);
        assert!(matches!(e.kind(), ErrorKind::ResponseTooLarge { limit } if *limit == max));
        // Exactly the cap is fine (and parsed: here a decode error, not "too large").
        let e = finish(
            &op(),
            &ep,
            respond(200, vec![b' '; usize::try_from(max).unwrap()]),
        )
        .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    }

    #[test]
    fn every_3xx_is_a_redirect_error() {
        let ep = endpoint(Auth::api_token(TOKEN).unwrap());
        for status in [300, 301, 302, 303, 304, 307, 308] {
            let sent = Response::builder()
                .status(status)
                .header("location", format!("https://evil.example/x?token={TOKEN}"))
                .body(b"<html>moved</html>".to_vec())
                .unwrap();
            let e = finish(&op(), &ep, Ok(sent)).unwrap_err();
            assert_eq!(e.transport_kind(), Some(TransportErrorKind::Redirect));
            assert!(!e.is_retryable());
            let text = e.to_string();
            assert!(text.contains(&status.to_string()) && text.contains("evil.example"));
            assert!(!text.contains(TOKEN) && !text.contains("/x"), "{text}");
        }
        let relative = Response::builder()
            .status(302)
            .header("location", "/elsewhere")
            .body(Vec::new())
            .unwrap();
        let e = finish(&op(), &ep, Ok(relative)).unwrap_err();
        assert!(e.to_string().contains("same host"), "{e}");
        // A redirect with a body over the cap is still reported as the redirect.
        let big = Response::builder()
            .status(301)
            .body(vec![0; (op().max_response_bytes() + 1) as usize])
            .unwrap();
        let e = finish(&op(), &ep, Ok(big)).unwrap_err();
        assert_eq!(e.transport_kind(), Some(TransportErrorKind::Redirect));
    }

    #[test]
    fn success_and_plain_errors_pass_through() {
        let ep = endpoint(Auth::api_token(TOKEN).unwrap());
        let ok = r#"{"success":true,"errors":[],"messages":[],"result":{"id":"ns1","title":"t"}}"#;
        let ns = exchange(&op(), &ep, |_, _| respond(200, ok)).unwrap();
        assert_eq!((ns.id.as_str(), ns.title.as_str()), ("ns1", "t"));
        let e = finish(
            &op(),
            &ep,
            Err(Error::transport(
                TransportErrorKind::Timeout,
                "read timed out",
            )),
        )
        .unwrap_err();
        assert!(e.is_timeout() && e.to_string().contains("read timed out"));
    }
}
