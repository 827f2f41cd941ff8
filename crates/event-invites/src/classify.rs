//! Classifies one failed attempt: from what progenitor returned (and the
//! status and headers the hooks saw) to the facade's [`Error`] kind and the
//! attempt's [`Cause`] (was it sent, did a response begin, with what
//! status). The verdict is decided from the cause in `verdict`; the next
//! step from the verdict in `retry`; everything about *what happened* is
//! here.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::fmt::Write as _;

use crate::error::{DecodeProblem, Error, ErrorKind, FieldProblem, TransportCause};
use crate::redact;
use crate::verdict::Cause;

/// One failed attempt, classified: what the error will say, and what
/// happened to the request (its [`Cause`], from which the transport takes
/// the [`crate::Verdict`] once it knows the operation's safety). The
/// transport makes it an [`Error`] once, when it knows how many attempts
/// were made.
pub(crate) struct Failure {
    pub(crate) kind: ErrorKind,
    pub(crate) status: Option<u16>,
    pub(crate) request_id: Option<String>,
    pub(crate) source: Option<reqwest::Error>,
    pub(crate) cause: Cause,
    pub(crate) retry_after: Option<Duration>,
}

impl Failure {
    fn new(kind: ErrorKind, cause: Cause) -> Self {
        Self {
            kind,
            status: None,
            request_id: None,
            source: None,
            cause,
            retry_after: None,
        }
    }

    /// The error the caller gets, after `attempts` requests.
    pub(crate) fn into_error(self, operation: &'static str, attempts: u32) -> Error {
        let error = Error::new(operation, self.kind)
            .with_status(self.status)
            .with_request_id(self.request_id)
            .with_attempts(attempts);
        match self.source {
            Some(source) => error.with_source(source),
            None => error,
        }
    }
}

/// What an API's documented error body says.
pub(crate) trait ErrorDetails {
    /// The message and the per-field problems, as the server wrote them.
    fn details(self) -> (Option<String>, Vec<FieldProblem>);
}

impl ErrorDetails for artsvp_api::types::ErrorBody {
    fn details(self) -> (Option<String>, Vec<FieldProblem>) {
        let problems = self
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message.unwrap_or_default(),
            })
            .collect();
        (self.message.or(self.error), problems)
    }
}

impl ErrorDetails for securegate_api::types::HttpValidationError {
    fn details(self) -> (Option<String>, Vec<FieldProblem>) {
        use securegate_api::types::ErrorDetail;
        let list = match self.detail {
            None => Vec::new(),
            Some(ErrorDetail::String(message)) => return (Some(message), Vec::new()),
            Some(ErrorDetail::Array(list)) => list,
        };
        let problems = list
            .into_iter()
            .map(|d| FieldProblem {
                field: Some(
                    d.loc
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("."),
                ),
                message: d.msg,
            })
            .collect();
        (None, problems)
    }
}

/// The status and headers of the attempt's response, when one arrived.
pub(crate) struct Seen<'a> {
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
}

/// The request id a server sent, if any.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-amzn-requestid"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .map(str::to_string)
}

/// Classifies one failed attempt of `operation`, whose success body is a
/// `T`.
/// `sent` holds the personal values the request carried, masked in any
/// server message that echoes them.
pub(crate) async fn failure<E: ErrorDetails>(
    error: progenitor_client::Error<E>,
    seen: Option<Seen<'_>>,
    sent: &[String],
) -> Failure {
    use progenitor_client::Error as P;
    let status = seen.as_ref().map(|s| s.status);
    let answered = |mut failure: Failure| {
        failure.status = status.map(|s| s.as_u16());
        failure.request_id = seen.as_ref().and_then(|s| request_id(s.headers));
        failure
    };
    match error {
        P::InvalidRequest(message) | P::Custom(message) => Failure::new(
            ErrorKind::InvalidRequest {
                message: redact::server_text(&message),
            },
            Cause::BeforeSending,
        ),
        P::CommunicationError(source) | P::InvalidUpgrade(source) => {
            let cause = match (source.is_connect(), source.is_timeout()) {
                (true, true) => Cause::ConnectTimeout,
                (true, false) => Cause::Connect(cause(&source)),
                (false, true) => Cause::TimeoutBeforeHeaders,
                (false, false) => Cause::CutAfterWrite(cause(&source)),
            };
            transport(source, cause)
        }
        P::ResponseBodyError(source) => {
            let cause = match status {
                Some(s) => Cause::body_lost(s.as_u16(), source.is_timeout()),
                None if source.is_timeout() => Cause::TimeoutBeforeHeaders,
                None => Cause::CutAfterWrite(self::cause(&source)),
            };
            answered(transport(source, cause))
        }
        P::InvalidResponsePayload(bytes, source) => match status {
            // An error body that did not decode: the status says it all.
            Some(s) if !s.is_success() => {
                let headers = seen.map(|s| s.headers.clone()).unwrap_or_default();
                from_status(s, &headers, None, Vec::new(), sent)
            }
            _ => answered(Failure::new(
                ErrorKind::Decode(decode(&bytes, &source)),
                Cause::Decode(status.map_or(200, |s| s.as_u16())),
            )),
        },
        P::ErrorResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let (message, problems) = response.into_inner().details();
            from_status(status, &headers, message, problems, sent)
        }
        P::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            from_status(status, &headers, body_message(&body), Vec::new(), sent)
        }
    }
}

/// A transport failure: a timeout, or the root cause of a failed
/// connection. The URL (whose query may carry a guest's email) is dropped.
fn transport(source: reqwest::Error, cause: Cause) -> Failure {
    let kind = if source.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport(self::cause(&source))
    };
    let mut failure = Failure::new(kind, cause);
    failure.source = Some(source.without_url());
    failure
}

/// The root cause of a connection failure, read from the error chain.
pub(crate) fn cause(error: &(dyn std::error::Error + 'static)) -> TransportCause {
    use std::io::ErrorKind as Io;
    let mut text = String::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                Io::ConnectionRefused => return TransportCause::ConnectionRefused,
                Io::ConnectionReset => return TransportCause::ConnectionReset,
                Io::UnexpectedEof | Io::BrokenPipe | Io::ConnectionAborted => {
                    return TransportCause::ConnectionClosed;
                }
                _ => {}
            }
        }
        text.push_str(&e.to_string().to_ascii_lowercase());
        text.push('\n');
        next = e.source();
    }
    if text.contains("dns error") || text.contains("failed to lookup address") {
        TransportCause::Dns
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        TransportCause::Tls
    } else if text.contains("connection reset") {
        TransportCause::ConnectionReset
    } else if text.contains("closed before message completed")
        || text.contains("end of file")
        || text.contains("incomplete")
        || text.contains("connection closed")
        || text.contains("error decoding response body")
        || text.contains("error reading a body")
    {
        TransportCause::ConnectionClosed
    } else {
        TransportCause::Other
    }
}

/// Where and why `bytes` did not decode, without quoting them: the JSON
/// path is read from the bytes before the error's position, so this needs
/// no second, type-aware decode (and adds no per-type code to the build).
pub(crate) fn decode(bytes: &[u8], error: &serde_json::Error) -> DecodeProblem {
    let offset = offset(bytes, error.line(), error.column());
    let problem = serde_problem(error);
    let mut path = path_at(bytes, offset.unwrap_or(bytes.len()));
    if problem.starts_with("missing field") {
        // Reported at the object's end: the object is the place, not the
        // last key read in it.
        path.pop();
    }
    DecodeProblem {
        path: render_path(&path),
        problem,
        offset,
    }
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of the value that `bytes[..end]` stops inside: a small scan of
/// the JSON tokens (strings with escapes, brackets, commas, colons).
fn path_at(bytes: &[u8], end: usize) -> Vec<Step> {
    enum Frame {
        Object {
            key: Option<String>,
            expecting_key: bool,
        },
        Array {
            index: usize,
        },
    }
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    let end = end.min(bytes.len());
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < end && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expecting_key }) = frames.last_mut()
                    && *expecting_key
                    && j < end
                {
                    *key = Some(String::from_utf8_lossy(&bytes[start..j]).into_owned());
                    *expecting_key = false;
                }
                i = j + 1;
                continue;
            }
            b'{' => frames.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    frames
        .into_iter()
        .filter_map(|frame| match frame {
            Frame::Object { key, .. } => key.map(Step::Key),
            Frame::Array { index } => Some(Step::Index(index)),
        })
        .collect()
}

/// `data[3].amount_used`; `.` for the whole body.
fn render_path(path: &[Step]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Index(index) => {
                let _ = write!(text, "[{index}]");
            }
        }
    }
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

/// serde_json's message without the values it quotes and its position.
fn serde_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) if error.line() > 0 => &text[..at],
        _ => &text,
    };
    let rewritten = [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
        ("unknown variant `", "unknown variant"),
    ]
    .iter()
    .find_map(|(prefix, label)| {
        let rest = text.strip_prefix(prefix)?;
        Some(match rest.find(", expected ") {
            Some(at) => format!("{label}, expected {}", &rest[at + ", expected ".len()..]),
            None => label.to_string(),
        })
    })
    .unwrap_or_else(|| text.to_string());
    redact::server_text(&rewritten)
}

/// The byte offset of a 1-based line and column.
fn offset(bytes: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let line_start = if line == 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    Some((line_start + column.saturating_sub(1)).min(bytes.len()))
}

/// A message from an undocumented error body: `{"detail": "…"}` (FastAPI),
/// `{"message": "…"}` or `{"error": "…"}`.
fn body_message(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["detail", "message", "error"]
        .iter()
        .find_map(|k| json.get(k)?.as_str().map(str::to_string))
}

fn from_status(
    status: StatusCode,
    headers: &HeaderMap,
    message: Option<String>,
    problems: Vec<FieldProblem>,
    sent: &[String],
) -> Failure {
    let code = status.as_u16();
    let message = message.map(|m| redact::masked(&m, sent));
    let problems = problems
        .into_iter()
        .map(|p| FieldProblem {
            field: p.field.map(|f| redact::masked(&f, sent)),
            message: redact::masked(&p.message, sent),
        })
        .collect();
    let mut retry_after = None;
    let kind = match code {
        401 | 403 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound { message },
        400 | 422 => ErrorKind::Validation { message, problems },
        429 => {
            retry_after = wait_asked(headers);
            ErrorKind::RateLimited { retry_after }
        }
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::UnexpectedStatus,
    };
    Failure {
        kind,
        status: Some(code),
        request_id: request_id(headers),
        source: None,
        cause: Cause::Status(code),
        retry_after,
    }
}

/// The wait a 429 asks for: `Retry-After` (seconds), else
/// `x-rate-limit-reset`.
fn wait_asked(headers: &HeaderMap) -> Option<Duration> {
    ["retry-after", "x-rate-limit-reset"]
        .iter()
        .find_map(|name| {
            let seconds: f64 = headers.get(*name)?.to_str().ok()?.trim().parse().ok()?;
            (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_the_header_then_the_reset() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-reset", "9".parse().unwrap());
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(9)));
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(9)));
    }

    #[test]
    fn undocumented_bodies_give_their_message() {
        assert_eq!(
            body_message(br#"{"detail": "Not Found"}"#).as_deref(),
            Some("Not Found")
        );
        assert_eq!(body_message(b"<html>"), None);
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        id: String,
        seats: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct List {
        data: Vec<Row>,
    }

    fn problem(body: &str) -> DecodeProblem {
        let error = serde_json::from_str::<List>(body).unwrap_err();
        decode(body.as_bytes(), &error)
    }

    #[test]
    fn decode_problems_name_the_path_type_and_offset_not_the_value() {
        let body = r#"{"data":[{"id":"a","seats":1},{"id":"b","seats":"lucy@example.com"}]}"#;
        let p = problem(body);
        assert_eq!(p.path, "data[1].seats");
        assert_eq!(p.problem, "invalid type, expected u32");
        // Where the parser stopped: the closing quote of the bad value.
        let closing_quote = body.find("lucy").unwrap() + "lucy@example.com".len();
        assert_eq!(p.offset, Some(closing_quote));
        assert!(!p.to_string().contains("lucy"), "{p}");

        let p = problem(r#"{"data":[{"id":"a"}]}"#);
        assert_eq!(
            (p.path.as_str(), p.problem.as_str()),
            ("data[0]", "missing field `seats`")
        );

        let p = problem(r#"{"data":[{"id":"Lucy Gr"#);
        assert!(p.problem.starts_with("EOF while parsing"), "{p}");
        assert_eq!(p.path, "data[0].id");
        assert!(!p.to_string().contains("Lucy"), "{p}");

        // Escaped quotes and brackets inside strings do not confuse the scan.
        let body = r#"{"data":[{"id":"a\"]}[,","seats":2},{"id":"b","seats":-1}]}"#;
        let p = problem(body);
        assert_eq!(
            (p.path.as_str(), p.problem.as_str()),
            ("data[1].seats", "invalid value, expected u32")
        );

        // A map or list where something else belongs: serde stops at its
        // opening bracket, which is the place.
        let p = problem(r#"{"data": {"a": [1, 2]}}"#);
        assert_eq!(
            (p.path.as_str(), p.problem.as_str()),
            ("data", "invalid type, expected a sequence")
        );
        let p = problem(r#"{"data":[{"id":"a","seats":[7]}]}"#);
        assert_eq!(p.path, "data[0].seats");
        let p = problem(r#""just a string""#);
        assert_eq!(p.path, ".");
    }

    #[test]
    fn offsets_count_bytes_across_lines() {
        assert_eq!(offset(b"ab\ncd", 2, 2), Some(4));
        assert_eq!(offset(b"ab", 0, 0), None);
        assert_eq!(offset(b"ab", 1, 99), Some(2));
    }

    #[test]
    fn io_errors_name_their_cause() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(cause(&refused), TransportCause::ConnectionRefused);
        let dns = std::io::Error::other("dns error: failed to lookup address information");
        assert_eq!(cause(&dns), TransportCause::Dns);
        let tls = std::io::Error::other("invalid peer certificate: UnknownIssuer");
        assert_eq!(cause(&tls), TransportCause::Tls);
        assert_eq!(cause(&std::io::Error::other("odd")), TransportCause::Other);
    }
}
