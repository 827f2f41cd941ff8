//! An HTTP error status, mapped to the facade's [`ErrorKind`], with the
//! server's message and field problems masked for the request's personal
//! values.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::Failure;
use super::headers::{request_id, wait_asked};
use crate::error::{ErrorKind, FieldProblem};
use crate::redact;
use crate::verdict::Cause;

pub(super) fn from_status(
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
