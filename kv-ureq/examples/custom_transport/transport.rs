//! A minimal HTTP/1.1 client on `std::net::TcpStream`, speaking to kv-proto only.
//!
//! It exists to show that kv-proto needs nothing from kv-ureq: any stack that can send an
//! `http::Request<Vec<u8>>` and hand back an `http::Response<Vec<u8>>` will do. Deliberately
//! small: plain `http://` to a loopback host only, one connection per request
//! (`Connection: close`), bodies framed by `Content-Length`, `Transfer-Encoding: chunked` or
//! the end of the connection, and never more than `max_response_bytes` of body kept.
//!
//! The file is shared: `main.rs` of the `custom_transport` example uses it, and so does the
//! kv-tests end-to-end suite (through `#[path]`), which runs its contract tests over it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

// Through kv-proto's re-export, so the file compiles wherever kv-proto is a dependency.
use kv_proto::http;
use kv_proto::{Error, TransportErrorKind};

/// Longest status line or header section accepted, in bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Connect and per-read/write timeout.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Sends `request` over a fresh TCP connection and reads the whole response, keeping at most
/// `max_response_bytes` of body (a longer body is [`Error::response_too_large`]).
///
/// Every status (3xx, 4xx, 5xx) is returned as a response: deciding what it means is
/// `kv_proto::exchange`'s job, which also redacts any credential an error quotes. Failures
/// below HTTP are [`Error::transport`] errors whose kind lets `Error::is_retryable` work.
///
/// # Errors
/// A URL that is not `http://` to a loopback address, a connect/read/write failure or
/// timeout, a malformed response, or a body over the cap.
pub fn send(
    request: http::Request<Vec<u8>>,
    max_response_bytes: u64,
) -> Result<http::Response<Vec<u8>>, Error> {
    let (parts, body) = request.into_parts();
    let uri = &parts.uri;
    if uri.scheme_str() != Some("http") {
        return Err(Error::transport(
            TransportErrorKind::Other,
            "this transport speaks plain http only",
        ));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| Error::transport(TransportErrorKind::Other, "URL has no host"))?;
    if !kv_proto::is_loopback_host(authority.host()) {
        return Err(Error::transport(
            TransportErrorKind::Other,
            "this transport only talks to loopback hosts",
        ));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);

    // Request head: origin-form target, Host, the request's own headers, framing.
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nhost: {authority}\r\n",
        parts.method
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        // Framing and connection headers are this transport's business.
        if [
            http::header::HOST,
            http::header::CONTENT_LENGTH,
            http::header::TRANSFER_ENCODING,
            http::header::CONNECTION,
        ]
        .contains(name)
        {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || matches!(parts.method, http::Method::POST | http::Method::PUT) {
        head.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");

    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::transport(TransportErrorKind::Dns, e.to_string()))?
        .next()
        .ok_or_else(|| Error::transport(TransportErrorKind::Dns, "no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| io_error(&e, true))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| io_error(&e, false))?;
    head.extend_from_slice(&body);
    stream.write_all(&head).map_err(|e| io_error(&e, false))?;
    stream.flush().map_err(|e| io_error(&e, false))?;

    let mut reader = BufReader::new(stream);
    // Skip interim 1xx answers (none expected: no `Expect` is sent).
    let (status, headers) = loop {
        let (status, headers) = read_head(&mut reader)?;
        if !status.is_informational() {
            break (status, headers);
        }
    };

    let no_body = parts.method == http::Method::HEAD
        || status == http::StatusCode::NO_CONTENT
        || status == http::StatusCode::NOT_MODIFIED;
    let chunked = headers
        .get(http::header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| invalid("bad content-length"))
        })
        .transpose()?;

    let body = if no_body {
        Vec::new()
    } else if chunked {
        read_chunked(&mut reader, max_response_bytes)?
    } else if let Some(len) = length {
        if len > max_response_bytes {
            return Err(Error::response_too_large(max_response_bytes));
        }
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        reader
            .take(len)
            .read_to_end(&mut buf)
            .map_err(|e| io_error(&e, false))?;
        if (buf.len() as u64) < len {
            return Err(Error::transport(
                TransportErrorKind::ConnectionClosed,
                format!("body ended after {} of {len} bytes", buf.len()),
            ));
        }
        buf
    } else {
        // No framing: the body runs to the end of the connection.
        read_capped(&mut reader, max_response_bytes)?
    };

    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// Reads a status line and headers.
fn read_head(reader: &mut impl BufRead) -> Result<(http::StatusCode, http::HeaderMap), Error> {
    let mut budget = MAX_HEAD_BYTES;
    let status_line = read_line(reader, &mut budget)?;
    let mut fields = status_line.splitn(3, ' ');
    let version = fields.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not an HTTP/1.x status line"));
    }
    let status = fields
        .next()
        .and_then(|code| http::StatusCode::from_bytes(code.as_bytes()).ok())
        .ok_or_else(|| invalid("bad status code"))?;
    let mut headers = http::HeaderMap::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid("header line without ':'"))?;
        let name = http::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| invalid("bad header name"))?;
        let value =
            http::HeaderValue::from_str(value.trim()).map_err(|_| invalid("bad header value"))?;
        headers.append(name, value);
    }
}

/// Reads one CRLF-terminated line (without the CRLF), charging it to `budget`.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<String, Error> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let n = reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|e| io_error(&e, false))?;
    if n == 0 {
        return Err(Error::transport(
            TransportErrorKind::ConnectionClosed,
            "connection closed before the response head ended",
        ));
    }
    if line.last() != Some(&b'\n') {
        return Err(invalid("response head too long or cut short"));
    }
    *budget -= n;
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| invalid("response head is not UTF-8"))
}

/// Reads a `Transfer-Encoding: chunked` body, at most `max` bytes of data.
fn read_chunked(reader: &mut impl BufRead, max: u64) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    loop {
        let mut budget = 1024;
        let size_line = read_line(reader, &mut budget)?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_hex, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            let mut budget = MAX_HEAD_BYTES;
            while !read_line(reader, &mut budget)?.is_empty() {}
            return Ok(body);
        }
        if (body.len() as u64).saturating_add(size) > max {
            return Err(Error::response_too_large(max));
        }
        let before = body.len();
        reader
            .take(size)
            .read_to_end(&mut body)
            .map_err(|e| io_error(&e, false))?;
        if ((body.len() - before) as u64) < size {
            return Err(Error::transport(
                TransportErrorKind::ConnectionClosed,
                "chunk cut short",
            ));
        }
        let mut budget = 2;
        if !read_line(reader, &mut budget)?.is_empty() {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}

/// Reads to the end of the connection, failing once more than `max` bytes arrive.
fn read_capped(reader: &mut impl Read, max: u64) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| io_error(&e, false))?;
    if body.len() as u64 > max {
        return Err(Error::response_too_large(max));
    }
    Ok(body)
}

fn invalid(message: &str) -> Error {
    Error::transport(TransportErrorKind::InvalidResponse, message)
}

/// Maps an I/O error to a transport error kind (the message carries no request data).
fn io_error(e: &std::io::Error, connecting: bool) -> Error {
    use std::io::ErrorKind as K;
    let kind = match e.kind() {
        K::TimedOut | K::WouldBlock => TransportErrorKind::Timeout,
        _ if connecting => TransportErrorKind::Connect,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            TransportErrorKind::ConnectionClosed
        }
        _ => TransportErrorKind::Other,
    };
    Error::transport(kind, e.to_string())
}
