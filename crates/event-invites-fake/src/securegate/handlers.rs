//! The fake SecureGate server's one route, `GET /events/{event_id}/invites`,
//! and its FastAPI-shaped errors.

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Response, StatusCode};
use axum::routing::get;
use securegate_api::types::{
    ErrorDetail, HttpValidationError, Invite, InviteStatus, LocationItem, ValidationError,
};

use super::store::Shared;
use crate::server::json_response;

/// Every route [`router`] serves, as `(method, route template)`: what fault
/// rules are checked against.
pub(crate) const ROUTES: &[(&str, &str)] = &[("GET", "/events/{event_id}/invites")];

/// The route table.
pub(super) fn router(data: Shared) -> Router {
    Router::new()
        .route("/events/{event_id}/invites", get(get_invites))
        .fallback(not_found)
        .with_state(data)
}

/// FastAPI's `{"detail": "…"}` error body.
pub(super) fn error(status: StatusCode, message: &str) -> Response<Body> {
    let body = HttpValidationError {
        detail: Some(ErrorDetail::String(message.to_string())),
    };
    json_response(status, &body)
}

async fn get_invites(
    State(data): State<Shared>,
    event_id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    let Ok(Path(event_id)) = event_id else {
        return validation_error(
            "path",
            "event_id",
            "Input should be a valid string",
            "string_type",
        );
    };
    let mut status = None;
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        if key == "status" {
            status = Some(value.into_owned());
        }
    }
    let status = match status.as_deref().map(str::parse::<InviteStatus>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => {
            return validation_error(
                "query",
                "status",
                "Input should be 'pending', 'sent', 'accepted' or 'rejected'",
                "enum",
            );
        }
    };
    let data = data.read().unwrap_or_else(|e| e.into_inner());
    let invites: Vec<&Invite> = data
        .invites
        .get(&event_id)
        .into_iter()
        .flatten()
        .filter(|i| status.is_none_or(|s| i.status == s.to_string()))
        .collect();
    json_response(StatusCode::OK, &invites)
}

/// FastAPI's 422 body, built from the generated types.
fn validation_error(place: &str, name: &str, msg: &str, kind: &str) -> Response<Body> {
    let body = HttpValidationError {
        detail: Some(ErrorDetail::Array(vec![ValidationError {
            loc: vec![
                LocationItem::String(place.to_string()),
                LocationItem::String(name.to_string()),
            ],
            msg: msg.to_string(),
            type_: kind.to_string(),
        }])),
    };
    json_response(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

async fn not_found() -> Response<Body> {
    error(StatusCode::NOT_FOUND, "Not Found")
}
