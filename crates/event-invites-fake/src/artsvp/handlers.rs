//! The fake ARTSVP server's routes: every operation of `specs/artsvp.yaml`,
//! answering with the generated `artsvp-api` types.

// The error side of these results is the HTTP response itself, built once
// per failed request and returned straight to axum: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex, MutexGuard};

use artsvp_api::types::{
    BatchCreateInvitesRequest, BookingList, Collection, CollectionList, CreateInviteRequest,
    ErrorBody, Event, EventList, FieldError, InviteBatch, InviteFilter, InviteList,
    InviteWithBookings, InviteWithBookingsBookings, Tags, UpdateBookingRequest,
    UpdateInviteRequest,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Response, StatusCode};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::store::{BookingRecord, InviteRecord, NewInvite, ResourceRef, Store};
use super::table::{Cursor, UnknownCursor};
use crate::server::json_response;

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
        .route("/events", get(list_events))
        .route("/events/{id}", get(get_event))
        .route("/collections", get(list_collections))
        .route("/collections/{id}", get(get_collection))
        .route("/bookings", get(list_bookings))
        .route("/bookings/{id}", get(get_booking).patch(update_booking))
        .route("/invites", get(list_invites).post(create_invite))
        .route("/invites/batch", post(batch_create_invites))
        .route(
            "/invites/{id}",
            get(get_invite).patch(update_invite).delete(delete_invite),
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

/// A request's query parameters, checked against the operation's names.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<String>, allowed: &[&str]) -> Result<Self, Response<Body>> {
        let raw = raw.unwrap_or_default();
        let mut pairs = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let key = key.strip_suffix("[]").unwrap_or(&key).to_string();
            if !allowed.contains(&key.as_str()) {
                return Err(field_error(
                    StatusCode::BAD_REQUEST,
                    "unknown_parameter",
                    &key,
                    &format!(
                        "unknown query parameter; this operation takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            pairs.push((key, value.into_owned()));
        }
        Ok(Self(pairs))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn cursor(&self) -> Result<Cursor, Response<Body>> {
        match (self.get("starting_after"), self.get("ending_before")) {
            (Some(_), Some(_)) => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "pass only one of `starting_after` and `ending_before`",
            )),
            (Some(""), _) | (_, Some("")) => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "a cursor must not be empty",
            )),
            (Some(id), None) => Ok(Cursor::After(id.to_string())),
            (None, Some(id)) => Ok(Cursor::Before(id.to_string())),
            (None, None) => Ok(Cursor::Start),
        }
    }

    fn limit(&self) -> Result<usize, Response<Body>> {
        let Some(raw) = self.get("limit") else {
            return Ok(DEFAULT_LIMIT);
        };
        match raw.parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT as u64).contains(&n) => Ok(n as usize),
            _ => Err(field_error(
                StatusCode::BAD_REQUEST,
                "invalid_limit",
                "limit",
                &format!("must be an integer between 1 and {MAX_LIMIT}, got `{raw}`"),
            )),
        }
    }
}

fn unknown_cursor(e: UnknownCursor) -> Response<Body> {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
        &format!("no object has the id `{}`", e.0),
    )
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

// ---- events and collections ------------------------------------------------

async fn list_events(State(store): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let params = Params::parse(query, &CURSORS)?;
    let cursor = params.cursor()?;
    let store = lock(&store);
    let page = store
        .events
        .page(&cursor, DEFAULT_LIMIT, |_| true, |e: &Event| e.id.as_str())
        .map_err(unknown_cursor)?;
    Ok(json_response(
        StatusCode::OK,
        &EventList {
            object: "list".into(),
            url: Some("/v2/events".into()),
            data: page.rows.into_iter().cloned().collect(),
            has_more: page.has_more,
            last_event_id: page.last_id,
        },
    ))
}

async fn get_event(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let store = lock(&store);
    let event = store.events.get(&id).ok_or_else(|| missing("event", &id))?;
    Ok(json_response(StatusCode::OK, event))
}

async fn list_collections(State(store): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let params = Params::parse(query, &CURSORS)?;
    let cursor = params.cursor()?;
    let store = lock(&store);
    let page = store
        .collections
        .page(
            &cursor,
            DEFAULT_LIMIT,
            |_| true,
            |c: &Collection| c.id.as_str(),
        )
        .map_err(unknown_cursor)?;
    Ok(json_response(
        StatusCode::OK,
        &CollectionList {
            object: "list".into(),
            url: Some("/v2/collections".into()),
            data: page.rows.into_iter().cloned().collect(),
            has_more: page.has_more,
            last_collection_id: page.last_id,
        },
    ))
}

async fn get_collection(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let store = lock(&store);
    let collection = store
        .collections
        .get(&id)
        .ok_or_else(|| missing("collection", &id))?;
    Ok(json_response(StatusCode::OK, collection))
}

// ---- bookings ---------------------------------------------------------------

async fn list_bookings(State(store): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let params = Params::parse(
        query,
        &[
            "external_id",
            "email",
            "tags",
            "starting_after",
            "ending_before",
        ],
    )?;
    let cursor = params.cursor()?;
    let external_id = params.get("external_id");
    let email = params.get("email");
    let tags = params.all("tags");
    let store = lock(&store);
    let keep = |b: &BookingRecord| {
        external_id.is_none_or(|x| b.external_id.as_deref() == Some(x))
            && email.is_none_or(|x| b.email.as_deref() == Some(x))
            && any_tag(&b.tags, &tags)
    };
    let page = store
        .bookings
        .page(&cursor, DEFAULT_LIMIT, keep, |b: &BookingRecord| {
            b.id.as_str()
        })
        .map_err(unknown_cursor)?;
    Ok(json_response(
        StatusCode::OK,
        &BookingList {
            object: "list".into(),
            url: Some("/v2/bookings".into()),
            data: page
                .rows
                .into_iter()
                .map(|b| store.render_booking(b))
                .collect(),
            has_more: page.has_more,
            last_booking_id: page.last_id,
        },
    ))
}

async fn get_booking(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let store = lock(&store);
    let booking = store
        .bookings
        .get(&id)
        .ok_or_else(|| missing("booking", &id))?;
    Ok(json_response(
        StatusCode::OK,
        &store.render_booking(booking),
    ))
}

async fn update_booking(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let update: UpdateBookingRequest = json_body(&body)?;
    let mut store = lock(&store);
    let booking = store
        .bookings
        .get_mut(&id)
        .ok_or_else(|| missing("booking", &id))?;
    if let Some(name) = update.name {
        booking.name = Some(name);
    }
    if let Some(email) = update.email {
        booking.email = Some(email);
    }
    if let Some(meta) = update.meta_data {
        booking.meta_data = meta.0;
    }
    if let Some(external_id) = update.external_id {
        booking.external_id = Some(external_id);
    }
    booking.updated_at = after(booking.updated_at);
    let booking = booking.clone();
    Ok(json_response(
        StatusCode::OK,
        &store.render_booking(&booking),
    ))
}

// ---- invites ----------------------------------------------------------------

async fn list_invites(State(store): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let params = Params::parse(
        query,
        &[
            "resource_id",
            "resource_type",
            "tags",
            "external_id",
            "name",
            "email",
            "limit",
            "starting_after",
            "ending_before",
        ],
    )?;
    let cursor = params.cursor()?;
    let limit = params.limit()?;
    let kind = resource_type(&params)?;
    let store = lock(&store);
    // Unknown resource: nothing matches (an empty page, not an error).
    let resource = params
        .get("resource_id")
        .map(|id| store.find_resource(id, Some(kind)));
    let (external_id, name, email) = (
        params.get("external_id"),
        params.get("name"),
        params.get("email"),
    );
    let tags = params.all("tags");
    let keep = |r: &InviteRecord| {
        resource
            .as_ref()
            .is_none_or(|want| want.as_ref() == Some(&r.resource))
            && external_id.is_none_or(|x| r.external_id.as_deref() == Some(x))
            && name.is_none_or(|x| r.name.as_deref() == Some(x))
            && email.is_none_or(|x| r.email.as_deref() == Some(x))
            && any_tag(&r.tags, &tags)
    };
    let page = store
        .invites
        .page(&cursor, limit, keep, |r: &InviteRecord| r.id.as_str())
        .map_err(unknown_cursor)?;
    Ok(json_response(
        StatusCode::OK,
        &InviteList {
            object: "list".into(),
            url: Some("/v2/invites".into()),
            data: page.rows.into_iter().map(|r| store.render(r)).collect(),
            has_more: page.has_more,
            last_invite_id: page.last_id,
        },
    ))
}

/// `resource_type`: `event` (the default) or `collection`.
fn resource_type(params: &Params) -> Result<&str, Response<Body>> {
    let kind = params.get("resource_type").unwrap_or("event");
    if matches!(kind, "event" | "collection") {
        Ok(kind)
    } else {
        Err(field_error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "resource_type",
            &format!("must be `event` or `collection`, got `{kind}`"),
        ))
    }
}

/// The invite of `resource` whose filtered field equals the new invite's.
fn duplicate<'a>(
    store: &'a Store,
    resource: &ResourceRef,
    filter: InviteFilter,
    value: &str,
) -> Option<&'a InviteRecord> {
    store.invites.iter().find(|r| {
        r.resource == *resource
            && match filter {
                InviteFilter::Name => r.name.as_deref() == Some(value),
                InviteFilter::Email => r.email.as_deref() == Some(value),
                InviteFilter::ExternalId => r.external_id.as_deref() == Some(value),
            }
    })
}

/// The value a filter compares, or the error for a filter on a missing field.
fn filter_value<'a>(
    filter: Option<InviteFilter>,
    name: &'a Option<String>,
    email: &'a Option<String>,
    external_id: &'a Option<String>,
) -> Result<Option<(InviteFilter, &'a str)>, Response<Body>> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let value = match filter {
        InviteFilter::Name => name,
        InviteFilter::Email => email,
        InviteFilter::ExternalId => external_id,
    };
    match value.as_deref() {
        Some(v) => Ok(Some((filter, v))),
        None => Err(field_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameters",
            "filter",
            &format!("filtering by `{filter}` needs a `{filter}` value"),
        )),
    }
}

fn check_total_count(total_count: i64) -> Result<(), Response<Body>> {
    if total_count < 0 {
        return Err(field_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameters",
            "total_count",
            "must be 0 (unlimited) or more",
        ));
    }
    Ok(())
}

async fn create_invite(
    State(store): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    Params::parse(query, &[])?;
    let new: CreateInviteRequest = json_body(&body)?;
    check_total_count(new.total_count)?;
    let mut store = lock(&store);
    let (given, kind) = match (&new.resource, &new.resource_id) {
        (Some(id), _) => (id.clone(), None),
        (None, Some(id)) => (
            id.clone(),
            Some(new.resource_type.map_or("event", |t| match t {
                artsvp_api::types::ResourceType::Event => "event",
                artsvp_api::types::ResourceType::Collection => "collection",
            })),
        ),
        (None, None) => {
            return Err(field_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameters",
                "resource_id",
                "give the invite's resource as `resource_id` (+ `resource_type`) or `resource`",
            ));
        }
    };
    let resource = store.find_resource(&given, kind).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no {} `{given}`", kind.unwrap_or("event or collection")),
        )
    })?;
    if let Some((filter, value)) =
        filter_value(new.filter, &new.name, &new.email, &new.external_id)?
        && let Some(existing) = duplicate(&store, &resource, filter, value)
    {
        return Ok(json_response(StatusCode::OK, &store.render(existing)));
    }
    let (id, _) = store.new_invite(NewInvite {
        name: new.name,
        email: new.email,
        external_id: new.external_id,
        golden: new.golden.unwrap_or(false),
        register_interest: new.register_interest.unwrap_or(false),
        total_count: new.total_count,
        uses: 0,
        tags: new.tags.map(|t| t.0).unwrap_or_default(),
        meta_data: new.meta_data.map(|m| m.0).unwrap_or_default(),
        resource,
        now: Utc::now(),
    });
    let invite = store.invites.get(&id).map(|r| store.render(r));
    Ok(json_response(StatusCode::CREATED, &invite))
}

async fn batch_create_invites(
    State(store): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    Params::parse(query, &[])?;
    let batch: BatchCreateInvitesRequest = json_body(&body)?;
    check_total_count(batch.total_count)?;
    if batch.resource_tags.is_empty() {
        return Err(field_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameters",
            "resource_tags",
            "give at least one resource tag",
        ));
    }
    let filter = filter_value(batch.filter, &batch.name, &batch.email, &batch.external_id)?;
    let mut store = lock(&store);
    let (events, collections) = tagged(&store, &batch.resource_tags);
    let (total_events, total_collection) = (events.len(), collections.len());
    let now = Utc::now();
    let mut data = Vec::new();
    let mut created = 0;
    for resource in events.into_iter().chain(collections) {
        if let Some((f, value)) = filter
            && let Some(existing) = duplicate(&store, &resource, f, value)
        {
            data.push(store.render(existing));
            continue;
        }
        let (id, _) = store.new_invite(NewInvite {
            name: batch.name.clone(),
            email: batch.email.clone(),
            external_id: batch.external_id.clone(),
            golden: batch.golden.unwrap_or(false),
            register_interest: batch.register_interest.unwrap_or(false),
            total_count: batch.total_count,
            uses: 0,
            tags: batch.tags.clone().map(|t| t.0).unwrap_or_default(),
            meta_data: batch.meta_data.clone().map(|m| m.0).unwrap_or_default(),
            resource,
            now,
        });
        created += 1;
        data.extend(store.invites.get(&id).map(|r| store.render(r)));
    }
    Ok(json_response(
        StatusCode::CREATED,
        &InviteBatch {
            object: "batch".into(),
            url: Some("/v2/invites/batch".into()),
            data,
            total_events: Some(total_events as i64),
            total_collection: Some(total_collection as i64),
            total_resources: Some((total_events + total_collection) as i64),
            total_invites_created: Some(created),
        },
    ))
}

/// The events and the collections with any of `tags` among their
/// resource tags.
fn tagged(store: &Store, tags: &[String]) -> (Vec<ResourceRef>, Vec<ResourceRef>) {
    let wanted: Vec<&str> = tags.iter().map(String::as_str).collect();
    let events = store
        .events
        .iter()
        .filter(|e| any_tag(tag_list(&e.resource_tags), &wanted))
        .map(|e| ResourceRef::Event(e.id.clone()))
        .collect();
    let collections = store
        .collections
        .iter()
        .filter(|c| any_tag(tag_list(&c.resource_tags), &wanted))
        .map(|c| ResourceRef::Collection(c.id.clone()))
        .collect();
    (events, collections)
}

async fn get_invite(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let store = lock(&store);
    let record = store
        .invites
        .get(&id)
        .ok_or_else(|| missing("invite", &id))?;
    let invite = store.render(record);
    let bookings = store.bookings_of(&invite.code);
    Ok(json_response(
        StatusCode::OK,
        &InviteWithBookings {
            id: invite.id,
            object: invite.object,
            code: invite.code,
            name: invite.name,
            email: invite.email,
            golden: invite.golden,
            register_interest: invite.register_interest,
            url: invite.url,
            used: invite.used,
            amount_used: invite.amount_used,
            resource: invite.resource,
            tags: invite.tags,
            resource_tags: invite.resource_tags,
            meta_data: invite.meta_data,
            external_id: invite.external_id,
            created_at: invite.created_at,
            updated_at: invite.updated_at,
            bookings: Some(InviteWithBookingsBookings::Array(bookings)),
        },
    ))
}

async fn update_invite(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let update: UpdateInviteRequest = json_body(&body)?;
    if let Some(total) = update.total_count {
        check_total_count(total)?;
    }
    let mut store = lock(&store);
    let record = store
        .invites
        .get_mut(&id)
        .ok_or_else(|| missing("invite", &id))?;
    if let Some(tags) = update.tags {
        record.tags = tags.0;
    }
    if let Some(total) = update.total_count {
        record.total_count = total;
    }
    if let Some(golden) = update.golden {
        record.golden = golden;
    }
    if let Some(register_interest) = update.register_interest {
        record.register_interest = register_interest;
    }
    if let Some(external_id) = update.external_id {
        record.external_id = Some(external_id);
    }
    if let Some(meta) = update.meta_data {
        record.meta_data = meta.0;
    }
    record.updated_at = after(record.updated_at);
    let record = record.clone();
    Ok(json_response(StatusCode::OK, &store.render(&record)))
}

async fn delete_invite(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let mut store = lock(&store);
    store
        .invites
        .remove(&id)
        .ok_or_else(|| missing("invite", &id))?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}
