//! The hyper glue: accepting connections, buffering bodies, rate limiting, faults, logging.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::Shared;
use super::api::{self, Reply, Resolve};
use super::fault::FaultKind;
use super::log::RequestRecord;

/// The most the server drains from an oversized body before it gives up and closes.
const DRAIN_CAP: usize = 256 * 1024 * 1024;

/// The response body: whole, or deliberately cut short.
pub(crate) enum RespBody {
    /// The whole body in one frame.
    Full(Option<Bytes>),
    /// Sends these bytes, pauses so hyper flushes them, then fails, so hyper closes the
    /// connection short of the announced `Content-Length`.
    Truncated(Truncated),
}

/// The state of a truncated body.
pub(crate) struct Truncated {
    data: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Truncated {
    fn new(data: Bytes) -> Self {
        Truncated {
            data: Some(data),
            pause: None,
        }
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            RespBody::Full(b) => Poll::Ready(b.take().map(|d| Ok(Frame::data(d)))),
            RespBody::Truncated(t) => {
                if let Some(d) = t.data.take() {
                    t.pause = Some(Box::pin(tokio::time::sleep(
                        std::time::Duration::from_millis(50),
                    )));
                    if !d.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(d))));
                    }
                }
                if let Some(p) = t.pause.as_mut()
                    && p.as_mut().poll(cx).is_pending()
                {
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(io::Error::other("truncated on purpose"))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RespBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            RespBody::Full(None) => SizeHint::with_exact(0),
            RespBody::Truncated(_) => SizeHint::default(),
        }
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// The accept loop; ends when `shutdown` changes.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors or similar: back off a little.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| serve(shared.clone(), req));
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}

enum Collected {
    Whole(Bytes),
    TooLarge(usize),
}

/// Buffers a request body, up to `limit` bytes; past it, drains (up to a cap) and reports
/// the size, so the client can still read the 413.
async fn collect(mut body: Incoming, limit: usize) -> Result<Collected, Dropped> {
    let mut first: Option<Bytes> = None;
    let mut buf: Option<BytesMut> = None;
    let mut total: usize = 0;
    // With a Content-Length, reserve the whole body once instead of growing by doubling.
    let announced = body
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok());
    if let Some(n) = announced.filter(|&n| n > 64 * 1024 && n <= limit) {
        buf = Some(BytesMut::with_capacity(n));
    }
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Dropped)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DRAIN_CAP {
            return Err(Dropped);
        }
        if total > limit {
            first = None;
            buf = None;
            continue;
        }
        match (&mut first, &mut buf) {
            (None, None) => first = Some(data),
            (Some(f), None) => {
                let mut b = BytesMut::with_capacity(f.len() + data.len());
                b.extend_from_slice(f);
                b.extend_from_slice(&data);
                first = None;
                buf = Some(b);
            }
            (_, Some(b)) => b.extend_from_slice(&data),
        }
    }
    if total > limit {
        return Ok(Collected::TooLarge(total));
    }
    Ok(Collected::Whole(match (first, buf) {
        (Some(f), _) => f,
        (None, Some(b)) => b.freeze(),
        (None, None) => Bytes::new(),
    }))
}

fn redacted_headers(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            let value = if n == hyper::header::AUTHORIZATION || n.as_str() == "x-auth-key" {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (n.as_str().to_owned(), value)
        })
        .collect()
}

/// Serves one request.
async fn serve(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<RespBody>, Dropped> {
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let resolved = api::resolve(&parts.method, path);
    let op = match &resolved {
        Resolve::Ok(t) => Some(t.op),
        _ => None,
    };
    let limit = op.map_or(api::MAX_OTHER_BODY, |o| o.body_limit());
    let collected = collect(body, limit).await?;
    let body_len = match &collected {
        Collected::Whole(b) => b.len(),
        Collected::TooLarge(n) => *n,
    };

    let mut extra: Vec<(&'static str, String)> = Vec::new();
    let mut fault: Option<FaultKind> = None;
    let mut rate_limited = false;
    let mut reply: Option<Reply> = None;
    let mut decision = None;

    if shared.rate_active.load(Ordering::Relaxed) {
        let mut guard = shared.rate.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = guard.as_mut() {
            let d = state.check(Instant::now());
            extra.extend(d.header_pairs());
            if let Some(secs) = d.refuse {
                rate_limited = true;
                reply = Some(api::rate_limited(secs));
            }
        }
    }

    if reply.is_none()
        && let Some(op) = op
    {
        decision = shared.pick_fault(seq, op.class());
        fault = decision.as_ref().map(|d| d.kind);
        reply = match fault {
            Some(FaultKind::TooManyRequests) => decision
                .as_ref()
                .map(|d| api::rate_limited(d.retry_after_secs)),
            Some(FaultKind::InternalServerError) => {
                Some(api::err(500, api::code::INTERNAL, "Internal server error"))
            }
            Some(FaultKind::BadGateway) => Some(api::html_error(502, "Bad Gateway")),
            Some(FaultKind::ServiceUnavailable) => {
                Some(api::html_error(503, "Service Temporarily Unavailable"))
            }
            Some(FaultKind::SuccessFalse) => Some(api::success_false()),
            _ => None,
        };
    }

    let dropped = fault == Some(FaultKind::DropConnection);
    let timing = shared.timing();

    // Simulated origin work of a bulk request, and the edge's time limit on it.
    let mut work = Duration::ZERO;
    let mut edge_timed_out = false;
    if reply.is_none()
        && !dropped
        && !timing.item_cost.is_zero()
        && let (Some(op), Collected::Whole(body)) = (op, &collected)
        && op.class().bulk
        && api::authorized(&shared.auth, &parts.headers)
    {
        let items = u32::try_from(api::bulk_item_count(op, body)).unwrap_or(u32::MAX);
        work = timing.item_cost.saturating_mul(items);
        if work > timing.edge_timeout {
            edge_timed_out = true;
            work = timing.edge_timeout;
            if !timing.edge_applies {
                reply = Some(api::edge_timeout());
            }
        }
    }
    let body_for_log = match (&collected, shared.log_bodies.load(Ordering::Relaxed)) {
        (Collected::Whole(b), true) => Some(b.to_vec()),
        _ => None,
    };

    let reply = if dropped {
        None
    } else if let Some(r) = reply {
        Some(r)
    } else {
        Some(match (resolved, collected) {
            (Resolve::NoRoute, _) => api::no_route(),
            (Resolve::MethodNotAllowed, _) => api::method_not_allowed(&parts.method),
            (Resolve::Ok(_), _) if !api::authorized(&shared.auth, &parts.headers) => {
                api::auth_error()
            }
            (Resolve::Ok(t), Collected::TooLarge(n)) => api::too_large(Some(t.op), n),
            (Resolve::Ok(target), Collected::Whole(body)) => {
                let partial = decision
                    .as_ref()
                    .filter(|d| d.kind == FaultKind::PartialBulk)
                    .map(|d| (&d.plan, seq));
                let request = api::Request {
                    target,
                    query: parts.uri.query(),
                    headers: &parts.headers,
                    body,
                    partial,
                };
                let answer = api::handle(&shared, request).await;
                if edge_timed_out {
                    // Applied, but the edge gave up waiting.
                    api::edge_timeout()
                } else {
                    answer
                }
            }
        })
    };
    // Applied, then no answer.
    let reply = reply.filter(|_| fault != Some(FaultKind::DropAfterApply));

    if shared.log_enabled.load(Ordering::Relaxed) {
        let record = RequestRecord {
            seq,
            method: parts.method.to_string(),
            path: path.to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: redacted_headers(&parts.headers),
            body_len,
            body: body_for_log,
            status: reply.as_ref().map(|r| r.status),
            fault,
            rate_limited,
        };
        shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }

    // The origin's work time, then the way back to the client.
    let mut delay = work.saturating_add(timing.latency_for(seq));
    if fault == Some(FaultKind::SlowResponse)
        && let Some(d) = &decision
    {
        delay = delay.saturating_add(d.plan.slow_delay);
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(reply) = reply else {
        return Err(Dropped);
    };
    Ok(build_response(reply, extra, seq, fault))
}

fn build_response(
    reply: Reply,
    extra: Vec<(&'static str, String)>,
    seq: u64,
    fault: Option<FaultKind>,
) -> Response<RespBody> {
    let truncate = fault == Some(FaultKind::TruncatedBody);
    let len = reply.body.len();
    let body = if truncate {
        let keep = len / 2;
        RespBody::Truncated(Truncated::new(reply.body.slice(..keep)))
    } else if fault == Some(FaultKind::HalfBody) {
        // A complete answer (Content-Length from the exact size) of half the bytes.
        RespBody::Full(Some(reply.body.slice(..len / 2)))
    } else {
        RespBody::Full(Some(reply.body))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    if truncate {
        h.insert(CONTENT_LENGTH, HeaderValue::from(len.max(1) as u64));
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{seq:016x}-EMU")) {
        h.insert(HeaderName::from_static("cf-ray"), v);
    }
    for (name, value) in reply.headers.into_iter().chain(extra) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
    resp
}
