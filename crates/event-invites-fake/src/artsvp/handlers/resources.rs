//! The list and get routes of every resource, one generic handler each:
//! what differs between resources (their table, their filters, how a row
//! and a page are answered) is a [`Resource`] implementation, so a new
//! resource is a few lines here and two routes, not a copy of a handler.

use artsvp_api::types::{
    BookingList, Collection, CollectionList, Event, EventList, InviteList, InviteWithBookings,
    InviteWithBookingsBookings,
};
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Response, StatusCode};
use serde::Serialize;

use super::params::{Params, unknown_cursor};
use super::{Answer, CURSORS, DEFAULT_LIMIT, Shared, any_tag, field_error, lock, missing, path_id};
use crate::artsvp::store::{BookingRecord, InviteRecord, Store};
use crate::artsvp::table::{Page, Table};
use crate::server::json_response;

/// A row's filter for a list, made once per request.
type Keep<'a, R> = Box<dyn Fn(&R) -> bool + 'a>;

/// A resource with a list route and a get route.
pub(super) trait Resource {
    /// What its table holds.
    type Row;
    /// One row, as the API answers it.
    type One: Serialize;
    /// A page of rows, as the API answers it.
    type List: Serialize;
    /// Its name in a 404: `event`, `invite`, …
    const KIND: &'static str;
    /// The list's query parameters besides the cursors.
    const FILTERS: &'static [&'static str];

    fn table(store: &Store) -> &Table<Self::Row>;
    fn id(row: &Self::Row) -> &str;
    /// The list's filter from the request's parameters (every row, unless
    /// the resource has filters).
    fn keep<'a>(_params: &'a Params, _store: &'a Store) -> Result<Keep<'a, Self::Row>, Answered> {
        Ok(Box::new(|_| true))
    }
    fn one(store: &Store, row: &Self::Row) -> Self::One;
    fn page(store: &Store, page: Page<'_, Self::Row>) -> Self::List;
}

/// An error answer, as the handlers return it.
type Answered = Response<Body>;

/// `GET /{resources}`: a page of the rows the filters keep, after or
/// before the cursor.
pub(super) async fn list_of<R: Resource>(
    State(store): State<Shared>,
    RawQuery(query): RawQuery,
) -> Answer {
    let params = Params::parse(query, &[R::FILTERS, &CURSORS].concat())?;
    let cursor = params.cursor()?;
    let limit = match R::FILTERS.contains(&"limit") {
        true => params.limit()?,
        false => DEFAULT_LIMIT,
    };
    let store = lock(&store);
    let keep = R::keep(&params, &store)?;
    let page = R::table(&store)
        .page(&cursor, limit, keep, R::id)
        .map_err(unknown_cursor)?;
    Ok(json_response(StatusCode::OK, &R::page(&store, page)))
}

/// `GET /{resources}/{id}`: one row by id (or code), or a 404 naming it.
pub(super) async fn one_of<R: Resource>(
    State(store): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Answer {
    let id = path_id(id)?;
    Params::parse(query, &[])?;
    let store = lock(&store);
    let row = R::table(&store)
        .get(&id)
        .ok_or_else(|| missing(R::KIND, &id))?;
    Ok(json_response(StatusCode::OK, &R::one(&store, row)))
}

/// Events: every one, in creation order.
pub(super) struct Events;

impl Resource for Events {
    type Row = Event;
    type One = Event;
    type List = EventList;
    const KIND: &'static str = "event";
    const FILTERS: &'static [&'static str] = &[];

    fn table(store: &Store) -> &Table<Event> {
        &store.events
    }
    fn id(row: &Event) -> &str {
        &row.id
    }
    fn one(_: &Store, row: &Event) -> Event {
        row.clone()
    }
    fn page(_: &Store, page: Page<'_, Event>) -> EventList {
        EventList {
            object: "list".into(),
            url: Some("/v2/events".into()),
            data: page.rows.into_iter().cloned().collect(),
            has_more: page.has_more,
            last_event_id: page.last_id,
        }
    }
}

/// Collections: every one, in creation order.
pub(super) struct Collections;

impl Resource for Collections {
    type Row = Collection;
    type One = Collection;
    type List = CollectionList;
    const KIND: &'static str = "collection";
    const FILTERS: &'static [&'static str] = &[];

    fn table(store: &Store) -> &Table<Collection> {
        &store.collections
    }
    fn id(row: &Collection) -> &str {
        &row.id
    }
    fn one(_: &Store, row: &Collection) -> Collection {
        row.clone()
    }
    fn page(_: &Store, page: Page<'_, Collection>) -> CollectionList {
        CollectionList {
            object: "list".into(),
            url: Some("/v2/collections".into()),
            data: page.rows.into_iter().cloned().collect(),
            has_more: page.has_more,
            last_collection_id: page.last_id,
        }
    }
}

/// Bookings, filtered by external id, email and tags.
pub(super) struct Bookings;

impl Resource for Bookings {
    type Row = BookingRecord;
    type One = artsvp_api::types::Booking;
    type List = BookingList;
    const KIND: &'static str = "booking";
    const FILTERS: &'static [&'static str] = &["external_id", "email", "tags"];

    fn table(store: &Store) -> &Table<BookingRecord> {
        &store.bookings
    }
    fn id(row: &BookingRecord) -> &str {
        &row.id
    }
    fn keep<'a>(params: &'a Params, _: &'a Store) -> Result<Keep<'a, BookingRecord>, Answered> {
        let (external_id, email) = (params.get("external_id"), params.get("email"));
        let tags = params.all("tags");
        Ok(Box::new(move |b: &BookingRecord| {
            external_id.is_none_or(|x| b.external_id.as_deref() == Some(x))
                && email.is_none_or(|x| b.email.as_deref() == Some(x))
                && any_tag(&b.tags, &tags)
        }))
    }
    fn one(store: &Store, row: &BookingRecord) -> Self::One {
        store.render_booking(row)
    }
    fn page(store: &Store, page: Page<'_, BookingRecord>) -> BookingList {
        BookingList {
            object: "list".into(),
            url: Some("/v2/bookings".into()),
            data: page
                .rows
                .into_iter()
                .map(|b| store.render_booking(b))
                .collect(),
            has_more: page.has_more,
            last_booking_id: page.last_id,
        }
    }
}

/// Invites, filtered by resource (an event's or a collection's), tags,
/// external id, name and email, in pages of up to `limit`; one invite
/// comes with its bookings.
pub(super) struct Invites;

impl Resource for Invites {
    type Row = InviteRecord;
    type One = InviteWithBookings;
    type List = InviteList;
    const KIND: &'static str = "invite";
    const FILTERS: &'static [&'static str] = &[
        "resource_id",
        "resource_type",
        "tags",
        "external_id",
        "name",
        "email",
        "limit",
    ];

    fn table(store: &Store) -> &Table<InviteRecord> {
        &store.invites
    }
    fn id(row: &InviteRecord) -> &str {
        &row.id
    }
    fn keep<'a>(params: &'a Params, store: &'a Store) -> Result<Keep<'a, InviteRecord>, Answered> {
        let kind = resource_type(params)?;
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
        Ok(Box::new(move |r: &InviteRecord| {
            resource
                .as_ref()
                .is_none_or(|want| want.as_ref() == Some(&r.resource))
                && external_id.is_none_or(|x| r.external_id.as_deref() == Some(x))
                && name.is_none_or(|x| r.name.as_deref() == Some(x))
                && email.is_none_or(|x| r.email.as_deref() == Some(x))
                && any_tag(&r.tags, &tags)
        }))
    }
    fn one(store: &Store, row: &InviteRecord) -> InviteWithBookings {
        let invite = store.render(row);
        let bookings = store.bookings_of(&invite.code);
        InviteWithBookings {
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
        }
    }
    fn page(store: &Store, page: Page<'_, InviteRecord>) -> InviteList {
        InviteList {
            object: "list".into(),
            url: Some("/v2/invites".into()),
            data: page.rows.into_iter().map(|r| store.render(r)).collect(),
            has_more: page.has_more,
            last_invite_id: page.last_id,
        }
    }
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
