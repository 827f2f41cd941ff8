//! The fake ARTSVP server, driven by the generated `artsvp-api` client:
//! every operation's happy path, state that sticks, pagination as the spec
//! describes it, and each documented error.

mod common;

use std::time::Duration;

use artsvp_api::types::{
    BatchCreateInvitesRequest, CreateInviteRequest, InviteFilter, InviteWithBookingsBookings,
    ResourceType, UpdateBookingRequest, UpdateInviteRequest,
};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule, RateLimit};

fn create(
    name: &str,
    email: &str,
    resource: &str,
) -> artsvp_api::types::builder::CreateInviteRequest {
    CreateInviteRequest::builder()
        .name(name.to_string())
        .email(email.to_string())
        .resource_id(resource.to_string())
}

#[tokio::test]
async fn events_and_collections_list_and_retrieve() {
    let (fake, client) = common::artsvp_fake().await;
    let events = client.list_events().send().await.unwrap().into_inner();
    assert_eq!(events.object, "list");
    assert_eq!(events.data, fake.events());
    assert!(!events.has_more);
    let event = client
        .get_event()
        .id(&events.data[0].id)
        .send()
        .await
        .unwrap();
    assert_eq!(*event, events.data[0]);
    let by_code = client
        .get_event()
        .id(&events.data[0].code)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_code.id, events.data[0].id,
        "an event is found by its code too"
    );

    let collections = client.list_collections().send().await.unwrap().into_inner();
    assert_eq!(collections.data, fake.collections());
    let collection = client
        .get_collection()
        .id(&collections.data[1].id)
        .send()
        .await
        .unwrap();
    assert_eq!(*collection, collections.data[1]);
}

#[tokio::test]
async fn bookings_list_filter_retrieve_and_update_whitelisted_fields() {
    let (fake, client) = common::artsvp_fake().await;
    let page = client.list_bookings().send().await.unwrap().into_inner();
    assert!(!page.data.is_empty());
    let booking = page
        .data
        .iter()
        .find(|b| b.email.is_some())
        .expect("a booking with an email");
    assert!(booking.event.is_some(), "bookings embed their event");

    let by_email = client
        .list_bookings()
        .email(booking.email.clone().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(by_email.data.iter().all(|b| b.email == booking.email));

    let got = client
        .get_booking()
        .id(&booking.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(&got, booking);

    let updated = client
        .update_booking()
        .id(&booking.id)
        .body(
            UpdateBookingRequest::builder()
                .external_id("crm-9".to_string())
                .name("New Name".to_string()),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.external_id.as_deref(), Some("crm-9"));
    assert_eq!(updated.name.as_deref(), Some("New Name"));
    assert_eq!(updated.status, booking.status, "status is not whitelisted");
    assert!(updated.updated_at > booking.updated_at);
    let stored = fake
        .bookings()
        .into_iter()
        .find(|b| b.id == booking.id)
        .unwrap();
    assert_eq!(stored.external_id.as_deref(), Some("crm-9"));
}

#[tokio::test]
async fn a_booking_field_outside_the_whitelist_is_refused_changing_nothing() {
    let fake = FakeArtsvp::start().await.unwrap();
    let booking = fake.bookings()[0].clone();
    let raw = common::http_with("authorization", fake.api_key())
        .patch(format!("{}/bookings/{}", fake.base_url(), booking.id))
        .json(&serde_json::json!({"status": "is_cancelled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 422);
    let stored = fake
        .bookings()
        .into_iter()
        .find(|b| b.id == booking.id)
        .unwrap();
    assert_eq!(stored.status, booking.status);
}

#[tokio::test]
async fn an_invite_is_created_listed_and_retrieved() {
    let (fake, client) = common::artsvp_fake().await;
    let event = fake.events()[0].clone();
    let before = fake.invites().len();

    let created = client
        .create_invite()
        .body(
            create("Lucy Green", "lucy@example.com", &event.id)
                .total_count(0)
                .tags(artsvp_api::types::Tags(vec!["vip".to_string()])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let invite = created.into_inner();
    assert_eq!(
        invite.amount_used, "0/0",
        "0 means unlimited; amount_used reads used/total"
    );
    assert_eq!(invite.resource.as_ref().unwrap().id, event.id);
    assert_eq!(fake.invites().len(), before + 1);

    let listed = client
        .list_invites()
        .resource_id(&event.id)
        .email("lucy@example.com")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.data, vec![invite.clone()]);

    let got = client
        .get_invite()
        .id(&invite.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.code, invite.code);
    assert!(matches!(got.bookings, Some(InviteWithBookingsBookings::Array(ref b)) if b.is_empty()));
}

#[tokio::test]
async fn an_update_keeps_the_fields_it_leaves_out_and_a_deleted_invite_is_gone() {
    let (fake, client) = common::artsvp_fake().await;
    let event = fake.events()[0].clone();
    let invite = client
        .create_invite()
        .body(create("Lucy Green", "lucy@example.com", &event.id).total_count(0))
        .send()
        .await
        .unwrap()
        .into_inner();

    let updated = client
        .update_invite()
        .id(&invite.id)
        .body(UpdateInviteRequest::builder().total_count(10).golden(true))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.amount_used, "0/10");
    assert!(updated.golden);
    assert_eq!(updated.name, invite.name, "fields not in the update stay");
    assert!(updated.updated_at > invite.updated_at);
    assert_eq!(fake.invite(&invite.id).unwrap(), updated);

    let deleted = client.delete_invite().id(&invite.id).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        common::status_of(client.get_invite().id(&invite.id).send().await),
        Some(404)
    );
    assert!(fake.invite(&invite.id).is_none());
}

#[tokio::test]
async fn a_filter_returns_the_existing_invite_instead_of_a_duplicate() {
    let (fake, client) = common::artsvp_fake().await;
    let event = fake.events()[1].id.clone();
    let request = || create("Ada", "ada@example.com", &event).filter(InviteFilter::Email);
    let first = client.create_invite().body(request()).send().await.unwrap();
    let second = client.create_invite().body(request()).send().await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (201, 200)
    );
    assert_eq!(first.id, second.id);
    let matching = fake
        .invites()
        .into_iter()
        .filter(|i| i.email.as_deref() == Some("ada@example.com"))
        .count();
    assert_eq!(matching, 1);

    // Without a filter, the same request makes a second invite.
    let third = client
        .create_invite()
        .body(create("Ada", "ada@example.com", &event))
        .send()
        .await
        .unwrap();
    assert_ne!(third.id, first.id);
}

#[tokio::test]
async fn a_batch_creates_one_invite_per_resource_with_matching_tags() {
    let (fake, client) = common::artsvp_fake().await;
    let has_vip = |tags: &Option<artsvp_api::types::Tags>| {
        tags.as_ref()
            .is_some_and(|t| t.0.iter().any(|x| x == "vip"))
    };
    let events = fake
        .events()
        .into_iter()
        .filter(|e| has_vip(&e.resource_tags))
        .count();
    let collections = fake
        .collections()
        .into_iter()
        .filter(|c| has_vip(&c.resource_tags))
        .count();
    assert!(events > 0);
    let body = || {
        BatchCreateInvitesRequest::builder()
            .resource_tags(vec!["vip".to_string()])
            .email("guest@example.com".to_string())
            .filter(InviteFilter::Email)
    };
    let batch = client
        .batch_create_invites()
        .body(body())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(batch.object, "batch");
    assert_eq!(batch.total_events, Some(events as i64));
    assert_eq!(batch.total_collection, Some(collections as i64));
    assert_eq!(batch.total_resources, Some((events + collections) as i64));
    assert_eq!(
        batch.total_invites_created,
        Some((events + collections) as i64)
    );
    assert_eq!(batch.data.len(), events + collections);

    let again = client
        .batch_create_invites()
        .body(body())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.total_invites_created,
        Some(0),
        "the filter prevents duplicates"
    );
    assert_eq!(
        again.data.iter().map(|i| &i.id).collect::<Vec<_>>(),
        batch.data.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn resource_id_is_not_a_batch_parameter() {
    let fake = FakeArtsvp::start().await.unwrap();
    let raw = common::http_with("authorization", fake.api_key())
        .post(format!("{}/invites/batch", fake.base_url()))
        .json(&serde_json::json!({"resource_tags": ["vip"], "resource_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 422);
}

#[tokio::test]
async fn pages_follow_the_cursor_forward_and_back() {
    let fake = FakeArtsvp::builder().invites(95).start().await.unwrap();
    let client = common::artsvp(&fake);
    let all: Vec<String> = fake.invites().into_iter().map(|i| i.id).collect();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client.list_invites().limit(20);
        if let Some(c) = &cursor {
            request = request.starting_after(c);
        }
        let page = request.send().await.unwrap().into_inner();
        assert!(page.data.len() <= 20);
        seen.extend(page.data.iter().map(|i| i.id.clone()));
        if !page.has_more {
            assert_eq!(page.data.len(), 15);
            break;
        }
        cursor = page.last_invite_id;
    }
    assert_eq!(seen, all, "every invite once, in order");

    let back = client
        .list_invites()
        .limit(20)
        .ending_before(&all[50])
        .send()
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&String> = back.data.iter().map(|i| &i.id).collect();
    assert_eq!(ids, all[30..50].iter().collect::<Vec<_>>());
    assert!(back.has_more);
    assert_eq!(back.last_invite_id.as_deref(), Some(all[30].as_str()));

    let default = client.list_invites().send().await.unwrap().into_inner();
    assert_eq!(default.data.len(), 50, "the default limit");
}

#[tokio::test]
async fn list_filters_narrow_the_invites() {
    let (fake, client) = common::artsvp_fake().await;
    let invites = fake.invites();
    let collection = fake.collections()[0].id.clone();
    let in_collection = client
        .list_invites()
        .resource_id(&collection)
        .resource_type(ResourceType::Collection)
        .limit(100)
        .send()
        .await
        .unwrap()
        .into_inner();
    let expected = invites
        .iter()
        .filter(|i| i.resource.as_ref().is_some_and(|r| r.id == collection))
        .count();
    assert_eq!(in_collection.data.len(), expected);
    assert!(expected > 0);

    let tagged = client
        .list_invites()
        .tags(vec!["press".to_string()])
        .limit(100)
        .send()
        .await
        .unwrap();
    assert!(!tagged.data.is_empty());
    assert!(
        tagged
            .data
            .iter()
            .all(|i| i.tags.as_ref().unwrap().0.contains(&"press".to_string()))
    );

    let named = &invites
        .iter()
        .find(|i| i.external_id.as_deref().is_some_and(|x| !x.is_empty()))
        .unwrap();
    let by_external = client
        .list_invites()
        .external_id(named.external_id.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(by_external.data.len(), 1);
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401() {
    let fake = FakeArtsvp::start().await.unwrap();
    // 401: no key, or a wrong one.
    let anonymous = artsvp_api::Client::new(fake.base_url());
    assert_eq!(
        common::status_of(anonymous.list_events().send().await),
        Some(401)
    );
    let wrong = common::artsvp_with_key(&fake, "not-the-key");
    assert_eq!(
        common::status_of(wrong.list_invites().send().await),
        Some(401)
    );
}

#[tokio::test]
async fn an_unknown_id_in_any_path_is_404() {
    // ARTSVP's documented quota (the default): nothing here is paced.
    let (_fake, client) = common::artsvp_fake().await;

    // 404 for every id in a path, and for a create's missing resource.
    let missing = create("A", "a@x", "eve-nope");
    let statuses = [
        common::status_of(client.get_event().id("eve-nope").send().await),
        common::status_of(client.get_collection().id("col-nope").send().await),
        common::status_of(client.get_booking().id("boo-nope").send().await),
        common::status_of(client.get_invite().id("inv-nope").send().await),
        common::status_of(client.delete_invite().id("inv-nope").send().await),
        common::status_of(client.create_invite().body(missing).send().await),
    ];
    assert_eq!(statuses, [Some(404); 6]);
}

#[tokio::test]
async fn bad_parameters_are_400_a_create_without_a_resource_422_and_faults_5xx() {
    // ARTSVP's documented quota (the default): nothing here is paced.
    let (fake, client) = common::artsvp_fake().await;

    // 400: limit out of range, unknown cursor; 422: no resource.
    let err = client.list_invites().limit(101).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    match err {
        artsvp_api::Error::ErrorResponse(body) => {
            assert_eq!(body.error.as_deref(), Some("invalid_limit"));
            assert_eq!(
                body.errors.as_ref().unwrap()[0].field.as_deref(),
                Some("limit")
            );
        }
        other => panic!("expected the shared error body, got {other:?}"),
    }
    assert_eq!(
        common::status_of(
            client
                .list_bookings()
                .starting_after("boo-nope")
                .send()
                .await
        ),
        Some(400)
    );
    let no_resource = client
        .create_invite()
        .body(CreateInviteRequest::builder().name("A".to_string()))
        .send()
        .await;
    assert_eq!(common::status_of(no_resource), Some(422));

    // 5XX, as injected.
    fake.inject(FaultRule::new(Fault::Status(502)).on("GET", "/events"));
    assert_eq!(
        common::status_of(client.list_events().send().await),
        Some(502)
    );
}

#[tokio::test]
async fn over_the_quota_is_429_with_retry_after_and_no_effect() {
    let fake = FakeArtsvp::builder()
        .rate_limit(RateLimit::per_second(3))
        .manual_clock()
        .start()
        .await
        .unwrap();
    let client = common::artsvp(&fake);
    let event = fake.events()[0].id.clone();
    let first = client.list_events().send().await.unwrap();
    assert_eq!(first.headers()["x-rate-limit-limit"], "3");
    assert_eq!(first.headers()["x-rate-limit-remaining"], "2");
    assert_eq!(first.headers()["x-rate-limit-reset"], "1");
    client.list_events().send().await.unwrap();
    client.list_events().send().await.unwrap();

    let before = fake.invites().len();
    let refused = client
        .create_invite()
        .body(create("Z", "z@x", &event))
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(429));
    if let artsvp_api::Error::ErrorResponse(response) = &refused {
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(response.headers()["x-rate-limit-remaining"], "0");
    } else {
        panic!("expected the shared error body, got {refused:?}");
    }
    assert_eq!(
        fake.invites().len(),
        before,
        "a refused request has no effect"
    );

    fake.advance_clock(Duration::from_secs(1));
    let fresh = client.list_events().send().await.unwrap();
    assert_eq!(fresh.headers()["x-rate-limit-remaining"], "2");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let fake = FakeArtsvp::start().await.unwrap();
    let base = fake.base_url().to_string();
    fake.shutdown().await;
    let result = reqwest::get(format!("{base}/events")).await;
    assert!(result.is_err(), "nothing listens any more");
}
