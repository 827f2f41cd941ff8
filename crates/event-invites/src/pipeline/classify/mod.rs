//! Classifies one failed attempt: from what progenitor returned (and the
//! status and headers the hooks saw) to the facade's [`Error`] kind and the
//! attempt's [`Cause`] (was it sent, did a response begin, with what
//! status). The verdict is decided from the cause in `verdict`; the next
//! step from the verdict in `retry`; everything about *what happened* is
//! here.
//!
//! One module per job: [`status`] maps an HTTP status, [`cause`] names a
//! transport failure's root cause, [`decode`] locates a body that did not
//! decode, [`body`] reads error bodies, [`headers`] reads the request id and
//! the wait a 429 asks for. This module only dispatches on what progenitor
//! returned.

mod body;
mod cause;
mod decode;
mod headers;
mod status;

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

pub(crate) use body::ErrorDetails;
pub(crate) use cause::cause;
pub(crate) use decode::decode;
pub(crate) use headers::request_id;

use crate::error::{Error, ErrorKind};
use crate::redact;
use crate::verdict::Cause;
use body::body_message;
use status::from_status;

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

/// The status and headers of the attempt's response, when one arrived.
pub(crate) struct Seen<'a> {
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
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
