//! The fake ARTSVP server's routes: every operation of `specs/artsvp.yaml`,
//! answering with the generated `artsvp-api` types. The list and get routes
//! are one generic handler each (`resources.rs`), the writes are in
//! `writes.rs`, the query parameters in `params.rs`; what they share (the
//! error bodies, the body decoder, the store's lock) is here.

// The error side of these results is the HTTP response itself, built once
// per failed request and returned straight to axum: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex, MutexGuard};

use artsvp_api::types::{ErrorBody, FieldError, Tags};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{Response, StatusCode};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::store::Store;
use crate::server::json_response;

mod params;
mod resources;
mod writes;

use resources::{Bookings, Collections, Events, Invites, list_of, one_of};

pub(crate) type Shared = Arc<Mutex<Store>>;

/// A page's size when the request gives no `limit` (and for the lists that
/// take none).
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;
const CURSORS: [&str; 2] = ["starting_after", "ending_before"];

/// Every route [`router`] serves, as `(method, route template)`: what fault
/// rules are checked against (a test asserts that each is served).
pub(crate) const ROUTES: &[(&str, &str)] = &[
    ("GET", "/events"),
    ("GET", "/events/{id}"),
    ("GET", "/collections"),
    ("GET", "/collections/{id}"),
    ("GET", "/bookings"),
    ("GET", "/bookings/{id}"),
    ("PATCH", "/bookings/{id}"),
    ("GET", "/invites"),
    ("POST", "/invites"),
    ("POST", "/invites/batch"),
    ("GET", "/invites/{id}"),
    ("PATCH", "/invites/{id}"),
    ("DELETE", "/invites/{id}"),
];

pub(crate) fn router(store: Shared) -> Router {
    Router::new()
        .route("/events", get(list_of::<Events>))
        .route("/events/{id}", get(one_of::<Events>))
        .route("/collections", get(list_of::<Collections>))
        .route("/collections/{id}", get(one_of::<Collections>))
        .route("/bookings", get(list_of::<Bookings>))
        .route(
            "/bookings/{id}",
            get(one_of::<Bookings>).patch(writes::update_booking),
        )
        .route(
            "/invites",
            get(list_of::<Invites>).post(writes::create_invite),
        )
        .route("/invites/batch", post(writes::batch_create_invites))
        .route(
            "/invites/{id}",
            get(one_of::<Invites>)
                .patch(writes::update_invite)
                .delete(writes::delete_invite),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(store)
}

type Answer = Result<Response<Body>, Response<Body>>;

/// The shared error body.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        &ErrorBody {
            error: Some(code.to_string()),
            message: Some(message.to_string()),
            errors: None,
        },
    )
}

fn field_error(status: StatusCode, code: &str, field: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        &ErrorBody {
            error: Some(code.to_string()),
            message: Some(format!("`{field}`: {message}")),
            errors: Some(vec![FieldError {
                field: Some(field.to_string()),
                message: Some(message.to_string()),
            }]),
        },
    )
}

/// The 404 for an id that names nothing.
fn missing(kind: &str, id: &str) -> Response<Body> {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no {kind} `{id}`"),
    )
}

async fn not_found() -> Response<Body> {
    error(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> Response<Body> {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take this method",
    )
}

fn lock(store: &Shared) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, Response<Body>> {
    id.map(|Path(id)| id).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "the id in the path is not valid UTF-8 text",
        )
    })
}

/// Decodes a JSON body: bad syntax is 400, wrong fields or types 422.
/// Two rules of the spec's description (items 20 and 21) come first: an
/// explicit `null` is refused (no request field is nullable; leave it out
/// instead), and a whole-number float (`5.0`) counts as the integer it is.
fn json_body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Response<Body>> {
    if bytes.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "missing_body",
            "this operation takes a JSON body",
        ));
    }
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            &format!("the body is not valid JSON: {e}"),
        )
    })?;
    if let Value::Object(fields) = &mut value {
        if let Some((field, _)) = fields.iter().find(|(_, v)| v.is_null()) {
            return Err(field_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameters",
                field,
                "may be left out, but not null",
            ));
        }
        for (field, v) in fields.iter_mut() {
            whole_numbers(field, v)?;
        }
    }
    serde_json::from_value(value).map_err(|e| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameters",
            &e.to_string(),
        )
    })
}

/// Integer fields of request bodies.
const INTEGER_FIELDS: [&str; 1] = ["total_count"];

/// `5.0` becomes `5` in an integer field; `5.5` is refused, naming it.
fn whole_numbers(field: &str, value: &mut Value) -> Result<(), Response<Body>> {
    if !INTEGER_FIELDS.contains(&field) {
        return Ok(());
    }
    if let Value::Number(n) = value
        && let Some(f) = n.as_f64()
        && n.is_f64()
    {
        if f.fract() != 0.0 || !f.is_finite() || f.abs() > 9.0e15 {
            return Err(field_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameters",
                field,
                "must be a whole number",
            ));
        }
        // In range and whole: the cast is exact.
        *value = Value::from(f as i64);
    }
    Ok(())
}

/// A timestamp later than `previous`, so that every update moves it.
fn after(previous: DateTime<Utc>) -> DateTime<Utc> {
    Utc::now().max(previous + chrono::Duration::milliseconds(1))
}

fn any_tag(have: &[String], wanted: &[&str]) -> bool {
    wanted.is_empty() || have.iter().any(|tag| wanted.contains(&tag.as_str()))
}

fn tag_list(tags: &Option<Tags>) -> &[String] {
    tags.as_ref().map_or(&[], |t| t.0.as_slice())
}
