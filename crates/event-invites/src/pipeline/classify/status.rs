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
    let mut cause = Cause::Status(code);
    let kind = match code {
        300..=399 => {
            cause = Cause::Redirected(code);
            ErrorKind::Redirect {
                to: redirect_origin(headers),
            }
        }
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
        cause,
        retry_after,
    }
}

/// The origin a redirect's `Location` names (`scheme://host[:port]`, never
/// its user, path or query); `None` for a relative or missing one.
fn redirect_origin(headers: &HeaderMap) -> Option<String> {
    let location = headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
    let url = reqwest::Url::parse(location).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(location: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::LOCATION, location.parse().unwrap());
        redirect_origin(&headers)
    }

    #[test]
    fn a_redirect_names_the_origin_it_points_to_and_nothing_more() {
        assert_eq!(
            located("https://user:pw@other.example:8443/v2/invites?email=a%40b.c#x").as_deref(),
            Some("https://other.example:8443")
        );
        assert_eq!(
            located("http://other.example/").as_deref(),
            Some("http://other.example")
        );
        assert_eq!(located("/api/v3/events"), None);
        assert_eq!(redirect_origin(&HeaderMap::new()), None);
    }

    #[test]
    fn every_3xx_is_a_redirect_not_carried_out() {
        for code in [301, 302, 303, 307, 308] {
            let status = StatusCode::from_u16(code).unwrap();
            let failure = from_status(status, &HeaderMap::new(), None, Vec::new(), &[]);
            assert_eq!(failure.kind, ErrorKind::Redirect { to: None }, "{code}");
            assert_eq!(failure.cause, Cause::Redirected(code));
        }
    }
}
