//! The request pipeline around every handler, one function per step: the
//! request log, the key check, the rate-limit gate, faults before and
//! after the write, the media type check; then the answer's headers and its
//! log entry.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{
    CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, RETRY_AFTER,
};
use axum::http::{Response, StatusCode};
use axum::middleware::Next;
use bytes::Bytes;
use serde_json::Value;

use super::{Api, ConnectionKill, MAX_BODY, Pipeline};
use crate::faults::{Fault, Timing};
use crate::log::{LoggedRequest, REDACTED};
use crate::rate_limit::{Decision, Limiter};

/// What a step of the pipeline decided.
enum Step {
    /// Go on to the next step.
    Continue,
    /// Answer with this response (the remaining steps are skipped).
    Answer(Response<Body>),
    /// The connection was dropped: there is no answer.
    Dropped,
}

/// The pipeline around every request of API `A`, in this order: log the
/// request, the key check, the rate-limit gate (the key's quota), a fault
/// before the write, the media type check, dispatch to the route's
/// handler, a fault after the write; then the answer's headers and its log
/// entry.
pub(super) async fn handle<A: Api>(
    State(pipeline): State<Arc<Pipeline>>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    // The route table is the router's own: axum says which route matched.
    let route = parts.extensions.get::<MatchedPath>().map(|m| {
        let path = m.as_str();
        path.strip_prefix(pipeline.base_path.as_str())
            .unwrap_or(path)
            .to_string()
    });
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let mut entry = log_entry::<A>(&parts);
    let bytes = match read_body::<A>(body).await {
        Ok(bytes) => bytes,
        Err(response) => return finish(&pipeline, entry, response, None),
    };
    entry.body = String::from_utf8_lossy(&bytes).into_owned();
    if !pipeline.latency.is_zero() {
        tokio::time::sleep(pipeline.latency).await;
    }

    // Authentication first: a request without the key is a 401 whatever
    // the window holds, and spends nothing of the key's quota (the
    // vendors' quotas are per key).
    if let Step::Answer(response) = key_check::<A>(&parts.headers, &pipeline.api_key) {
        return finish(&pipeline, entry, response, None);
    }
    let decision = pipeline.limiter.as_ref().map(Limiter::check);
    if let Step::Answer(response) = rate_limit_gate::<A>(decision) {
        // Refused before anything else: it neither reaches the handler nor
        // uses up a fault.
        return finish(&pipeline, entry, response, decision);
    }
    let fault = pipeline.faults.take(&entry.method, route.as_deref());
    if let Some((f, _)) = &fault {
        entry.fault = Some(f.name());
        if let Fault::Latency(d) = f {
            tokio::time::sleep(*d).await;
        }
    }
    match fault_before_write::<A>(&fault, &kill).await {
        Step::Continue => {}
        Step::Answer(response) => return finish(&pipeline, entry, response, decision),
        Step::Dropped => return dropped(&pipeline, entry).await,
    }
    if let Step::Answer(response) = media_type_check::<A>(&parts.headers, &bytes) {
        return finish(&pipeline, entry, response, decision);
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    match fault_after_write::<A>(&fault, &kill, response).await {
        Step::Answer(response) => finish(&pipeline, entry, response, decision),
        Step::Continue | Step::Dropped => dropped(&pipeline, entry).await,
    }
}

/// Step 1: the request as the log shows it (the key header redacted).
fn log_entry<A: Api>(parts: &axum::http::request::Parts) -> LoggedRequest {
    LoggedRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if name.as_str() == A::KEY_HEADER {
                    REDACTED.to_string()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_string(), value)
            })
            .collect(),
        body: String::new(),
        status: None,
        fault: None,
    }
}

/// The body, up to [`MAX_BODY`]; a 413 past it.
async fn read_body<A: Api>(body: Body) -> Result<Bytes, Response<Body>> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        A::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is larger than 1 MiB or could not be read",
        )
    })
}

/// Step 3: a 429 with `Retry-After` when the key's quota is used up.
fn rate_limit_gate<A: Api>(decision: Option<Decision>) -> Step {
    match decision {
        Some(d) if !d.allowed => {
            let mut response = A::error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "rate limit exceeded; the request was not applied",
            );
            set_header(&mut response, RETRY_AFTER, d.reset_secs);
            Step::Answer(response)
        }
        _ => Step::Continue,
    }
}

/// Step 4: a fault that answers instead of the handler, before any write.
async fn fault_before_write<A: Api>(
    fault: &Option<(Fault, Timing)>,
    kill: &Option<ConnectionKill>,
) -> Step {
    match fault {
        Some((f, Timing::BeforeWrite)) if f.replaces_answer() => replace_answer::<A>(f, kill),
        _ => Step::Continue,
    }
}

/// Step 2: the API key header must hold the server's key.
fn key_check<A: Api>(headers: &axum::http::HeaderMap, key: &str) -> Step {
    match headers.get(A::KEY_HEADER) {
        Some(v) if v.as_bytes() == key.as_bytes() => Step::Continue,
        sent => Step::Answer(A::error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            if sent.is_some() {
                "the API key is not valid"
            } else {
                "the API key header is missing"
            },
        )),
    }
}

/// Step 5: a body said to be something other than JSON (a form, as the
/// vendors' curl examples send with `-d`) is a 415 that says to send JSON,
/// rather than a parse error. A body without a `Content-Type` is read as
/// JSON.
fn media_type_check<A: Api>(headers: &axum::http::HeaderMap, body: &[u8]) -> Step {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Step::Continue;
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if body.is_empty() || json {
        return Step::Continue;
    }
    Step::Answer(A::error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send JSON: the body must be a JSON document with Content-Type: application/json",
    ))
}

/// Step 6: after the handler's write, a fault that replaces its answer or
/// changes its body.
async fn fault_after_write<A: Api>(
    fault: &Option<(Fault, Timing)>,
    kill: &Option<ConnectionKill>,
    response: Response<Body>,
) -> Step {
    match fault {
        Some((f, Timing::AfterWrite)) if f.replaces_answer() => replace_answer::<A>(f, kill),
        Some((f, _)) if !f.replaces_answer() => Step::Answer(change_body::<A>(f, response).await),
        _ => Step::Answer(response),
    }
}

/// The answer's rate-limit headers and request id; logs the exchange.
fn finish(
    pipeline: &Pipeline,
    mut entry: LoggedRequest,
    mut response: Response<Body>,
    decision: Option<Decision>,
) -> Response<Body> {
    if let Some(d) = decision {
        rate_limit_headers(&mut response, d);
    }
    // A request id on every answer, as many APIs send, so that clients can
    // test what they do with one.
    let n = pipeline
        .answered
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    if let Ok(id) = HeaderValue::from_str(&format!("req_{n:08}")) {
        response.headers_mut().insert("x-request-id", id);
    }
    entry.status = Some(response.status().as_u16());
    pipeline.log.push(entry);
    response
}

/// Logs a request whose connection was dropped, and never answers: the
/// connection task drops the request once it is killed.
async fn dropped(pipeline: &Pipeline, entry: LoggedRequest) -> Response<Body> {
    pipeline.log.push(entry);
    std::future::pending().await
}

/// A fault's own answer, or a dropped connection.
fn replace_answer<A: Api>(fault: &Fault, kill: &Option<ConnectionKill>) -> Step {
    match fault {
        Fault::Status(status) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Step::Answer(A::error(
                status,
                "injected_fault",
                "a fault injected by the fake server",
            ))
        }
        Fault::TooManyRequests { retry_after } => {
            let mut response = A::error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "rate limit exceeded (injected)",
            );
            set_header(&mut response, RETRY_AFTER, *retry_after);
            Step::Answer(response)
        }
        Fault::Redirect { status, location } => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND);
            if let Ok(location) = HeaderValue::from_str(location) {
                response.headers_mut().insert(LOCATION, location);
            }
            Step::Answer(response)
        }
        _ => {
            if let Some(kill) = kill {
                kill.0.notify_one();
            }
            Step::Dropped
        }
    }
}

/// Applies a body fault to the handler's response.
async fn change_body<A: Api>(fault: &Fault, response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return A::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "body read failed",
        );
    };
    let new_body = match fault {
        Fault::TruncatedBody => {
            let half = bytes.slice(..bytes.len() / 2);
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len().max(1)));
            // Half the body, a pause (so hyper flushes the headers and that
            // half), then an error, on which hyper closes the connection.
            let chunks = futures_util::stream::unfold(Some(half), |half| async move {
                match half {
                    Some(half) => Some((Ok::<Bytes, io::Error>(half), None)),
                    None => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        let cut = io::Error::new(io::ErrorKind::BrokenPipe, "truncated by a fault");
                        Some((Err(cut), None))
                    }
                }
            });
            return Response::from_parts(parts, Body::from_stream(chunks));
        }
        Fault::MalformedJson => {
            let mut broken = bytes[..bytes.len() / 2].to_vec();
            broken.extend_from_slice(b"<<not json>>");
            Bytes::from(broken)
        }
        Fault::UnknownEnumValue | Fault::ExtraFields => {
            let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) else {
                return Response::from_parts(parts, Body::from(bytes));
            };
            if *fault == Fault::UnknownEnumValue {
                A::unknown_enum_values(&mut json);
            } else {
                add_extra_fields(&mut json);
            }
            Bytes::from(serde_json::to_vec(&json).unwrap_or_default())
        }
        _ => bytes,
    };
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(new_body))
}

/// Adds fields no spec knows to every object of `value`.
fn add_extra_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                add_extra_fields(child);
            }
            map.insert("x_fake_unknown_field".into(), Value::from("surprise"));
            map.insert(
                "x_fake_unknown_object".into(),
                serde_json::json!({"nested": [1, 2, 3], "flag": true}),
            );
        }
        Value::Array(items) => items.iter_mut().for_each(add_extra_fields),
        _ => {}
    }
}

/// Replaces the string value of every `key` (at any depth) with `new`.
pub(crate) fn replace_strings(value: &mut Value, key: &str, new: &str) {
    match value {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == key && child.is_string() {
                    *child = Value::from(new);
                } else {
                    replace_strings(child, key, new);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, key, new)),
        _ => {}
    }
}

fn rate_limit_headers(response: &mut Response<Body>, d: Decision) {
    set_header(
        response,
        HeaderName::from_static(artsvp_api::facts::RATE_LIMIT_LIMIT),
        d.limit,
    );
    set_header(
        response,
        HeaderName::from_static(artsvp_api::facts::RATE_LIMIT_REMAINING),
        d.remaining,
    );
    set_header(
        response,
        HeaderName::from_static(artsvp_api::facts::RATE_LIMIT_RESET),
        d.reset_secs,
    );
}

fn set_header(response: &mut Response<Body>, name: HeaderName, value: u64) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from(value));
}
