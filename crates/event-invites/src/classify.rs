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
        P::CommunicationError(source) | P::InvalidUpgrade(source) => unanswered(source),
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

/// A request that got no response: it did not connect (in time), or it
/// was written and then timed out or was cut off.
fn unanswered(source: reqwest::Error) -> Failure {
    let cause = match (source.is_connect(), source.is_timeout()) {
        (true, true) => Cause::ConnectTimeout,
        (true, false) => Cause::Connect(cause(&source)),
        (false, true) => Cause::TimeoutBeforeHeaders,
        (false, false) => Cause::CutAfterWrite(cause(&source)),
    };
    transport(source, cause)
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

/// The root cause of a connection failure, read from the error chain: the
/// first typed error that says ([`typed_cause`]), else, as a last resort,
/// the chain's words ([`cause_in_words`]).
pub(crate) fn cause(error: &(dyn std::error::Error + 'static)) -> TransportCause {
    let mut text = String::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(cause) = typed_cause(e) {
            return cause;
        }
        text.push_str(&e.to_string().to_ascii_lowercase());
        text.push('\n');
        next = e.source();
    }
    cause_in_words(&text)
}

/// What one error of the chain says by its type: an `io::Error`'s kind, or
/// hyper's "the connection closed" (before or while the response came).
fn typed_cause(e: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    use std::io::ErrorKind as Io;
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            Io::ConnectionRefused => Some(TransportCause::ConnectionRefused),
            Io::ConnectionReset => Some(TransportCause::ConnectionReset),
            Io::UnexpectedEof | Io::BrokenPipe | Io::ConnectionAborted => {
                Some(TransportCause::ConnectionClosed)
            }
            _ => None,
        };
    }
    let hyper = e.downcast_ref::<hyper::Error>()?;
    (hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled())
        .then_some(TransportCause::ConnectionClosed)
}

/// The cause the chain's words name, for what has no typed kind: DNS and
/// TLS failures (reqwest and the TLS crates expose no kind for them), and
/// closes reported only in words.
fn cause_in_words(text: &str) -> TransportCause {
    let says = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if says(&["dns error", "failed to lookup address"]) {
        TransportCause::Dns
    } else if says(&["certificate", "tls", "handshake"]) {
        TransportCause::Tls
    } else if says(&["connection reset"]) {
        TransportCause::ConnectionReset
    } else if says(&[
        "closed before message completed",
        "end of file",
        "incomplete",
        "connection closed",
        "error decoding response body",
        "error reading a body",
    ]) {
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
    ["retry-after", artsvp_api::facts::RATE_LIMIT_RESET]
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
    fn a_body_cut_inside_a_key_names_the_object_not_the_half_key() {
        let p = problem(r#"{"data":[{"id":"a","sea"#);
        assert_eq!(p.path, "data[0]", "the object, not the half key `sea`");
    }

    #[test]
    fn a_problem_without_a_position_keeps_its_words() {
        // From a `Value`: serde_json gives no line, so nothing is cut at a
        // " at line " that only the value contained.
        let error = serde_json::from_value::<u8>(serde_json::json!("soon at line 9")).unwrap_err();
        assert_eq!(error.line(), 0);
        assert_eq!(serde_problem(&error), "invalid type, expected u8");
    }

    #[test]
    fn a_negative_or_endless_wait_is_not_taken() {
        for bad in ["-5", "inf", "NaN"] {
            let mut h = HeaderMap::new();
            h.insert("retry-after", bad.parse().unwrap());
            assert_eq!(wait_asked(&h), None, "{bad}");
            h.insert("x-rate-limit-reset", "3".parse().unwrap());
            assert_eq!(wait_asked(&h), Some(Duration::from_secs(3)), "{bad}");
        }
    }

    #[test]
    fn offsets_count_bytes_across_lines() {
        assert_eq!(offset(b"ab\ncd", 2, 2), Some(4));
        assert_eq!(offset(b"ab", 0, 0), None);
        assert_eq!(offset(b"ab", 1, 99), Some(2));
    }

    /// An error with a message and, optionally, a source: a link of a chain.
    #[derive(Debug)]
    struct Link(
        &'static str,
        Option<Box<dyn std::error::Error + Send + Sync>>,
    );

    impl std::fmt::Display for Link {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn an_io_error_kind_anywhere_in_the_chain_names_the_cause() {
        use std::io::{Error, ErrorKind as Io};
        for (kind, expected) in [
            (Io::ConnectionRefused, TransportCause::ConnectionRefused),
            (Io::ConnectionReset, TransportCause::ConnectionReset),
            (Io::UnexpectedEof, TransportCause::ConnectionClosed),
            (Io::BrokenPipe, TransportCause::ConnectionClosed),
            (Io::ConnectionAborted, TransportCause::ConnectionClosed),
        ] {
            // The kind decides, not the words (these say nothing).
            assert_eq!(cause(&Error::new(kind, "os error")), expected, "{kind:?}");
            // Under two wrappers whose words say something else.
            let chain = Link(
                "error sending request",
                Some(Box::new(Link(
                    "client error (Connect)",
                    Some(Box::new(Error::new(kind, "os error"))),
                ))),
            );
            assert_eq!(cause(&chain), expected, "{kind:?} in a chain");
        }
        // An io error of another kind says nothing: the words decide.
        let other = Error::other("dns error: failed to lookup address information");
        assert_eq!(cause(&other), TransportCause::Dns);
        assert_eq!(cause(&Error::from(Io::TimedOut)), TransportCause::Other);
    }

    #[test]
    fn without_a_typed_cause_each_phrase_names_its_cause() {
        for (words, expected) in [
            ("dns error: no record", TransportCause::Dns),
            ("failed to lookup address information", TransportCause::Dns),
            (
                "invalid peer certificate: UnknownIssuer",
                TransportCause::Tls,
            ),
            ("received fatal alert from TLS peer", TransportCause::Tls),
            ("handshake failure", TransportCause::Tls),
            ("Connection reset by peer", TransportCause::ConnectionReset),
            (
                "connection closed before message completed",
                TransportCause::ConnectionClosed,
            ),
            ("unexpected end of file", TransportCause::ConnectionClosed),
            ("incomplete message", TransportCause::ConnectionClosed),
            ("connection closed", TransportCause::ConnectionClosed),
            (
                "error decoding response body",
                TransportCause::ConnectionClosed,
            ),
            (
                "error reading a body from connection",
                TransportCause::ConnectionClosed,
            ),
            ("something odd", TransportCause::Other),
        ] {
            let chain = Link("error sending request", Some(Box::new(Link(words, None))));
            assert_eq!(cause(&chain), expected, "{words}");
        }
    }

    /// A server on loopback that reads one request, writes `answer` and
    /// closes the connection.
    async fn answer_once_then_close(answer: &'static [u8]) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(answer).await;
        });
        addr
    }

    #[tokio::test]
    async fn a_connection_closed_mid_answer_is_read_from_hypers_error() {
        // Headers that promise a body, then the connection closes.
        let addr =
            answer_once_then_close(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\"").await;
        let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
        let error = response.bytes().await.unwrap_err();
        assert_eq!(cause(&error), TransportCause::ConnectionClosed, "{error:?}");
    }

    #[tokio::test]
    async fn a_connection_closed_before_any_answer_is_read_from_hypers_error() {
        let addr = answer_once_then_close(b"").await;
        let error = reqwest::get(format!("http://{addr}/")).await.unwrap_err();
        let mut link: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        let mut typed = None;
        while let Some(e) = link {
            typed = typed.or_else(|| typed_cause(e));
            link = e.source();
        }
        assert_eq!(typed, Some(TransportCause::ConnectionClosed), "{error:?}");
        assert_eq!(cause(&error), TransportCause::ConnectionClosed);
    }

    #[test]
    fn securegates_validation_errors_give_each_field_path() {
        use securegate_api::types::{
            ErrorDetail, HttpValidationError, LocationItem, ValidationError,
        };
        let body = HttpValidationError {
            detail: Some(ErrorDetail::Array(vec![ValidationError {
                loc: vec![
                    LocationItem::String("query".into()),
                    LocationItem::String("status".into()),
                ],
                msg: "Input should be 'pending' or 'sent'".into(),
                type_: "enum".into(),
            }])),
        };
        let (message, problems) = body.details();
        assert_eq!(message, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field.as_deref(), Some("query.status"));
        assert!(problems[0].message.starts_with("Input should be"));
        let plain = HttpValidationError {
            detail: Some(ErrorDetail::String("Not Found".into())),
        };
        assert_eq!(plain.details(), (Some("Not Found".into()), Vec::new()));
        let empty = HttpValidationError { detail: None };
        assert_eq!(empty.details(), (None, Vec::new()));
    }

    #[test]
    fn a_request_id_is_read_when_plausible() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h), None);
        h.insert("request-id", "req-1".parse().unwrap());
        assert_eq!(request_id(&h).as_deref(), Some("req-1"));
        h.insert("x-request-id", "".parse().unwrap());
        assert_eq!(request_id(&h), None, "an empty id is none");
        h.insert("x-request-id", "r".repeat(201).parse().unwrap());
        assert_eq!(request_id(&h), None, "too long to be an id");
        h.insert("x-request-id", "r".repeat(200).parse().unwrap());
        assert_eq!(request_id(&h).map(|id| id.len()), Some(200));
    }
}
