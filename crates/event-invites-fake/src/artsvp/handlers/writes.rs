//! The routes that change the store: a booking's update; an invite's
//! create (deduped by its `filter`), batch create, update and delete.

use artsvp_api::types::{
    BatchCreateInvitesRequest, CreateInviteRequest, InviteBatch, InviteFilter,
    UpdateBookingRequest, UpdateInviteRequest,
};
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Response, StatusCode};
use chrono::Utc;

use super::params::Params;
use super::{
    Answer, Shared, after, any_tag, error, field_error, json_body, lock, missing, path_id, tag_list,
};
use crate::artsvp::store::{InviteRecord, NewInvite, ResourceRef, Store};
use crate::server::json_response;

pub(super) async fn update_booking(
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

pub(super) async fn create_invite(
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

pub(super) async fn batch_create_invites(
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

pub(super) async fn update_invite(
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

pub(super) async fn delete_invite(
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
