//! Snapshot tests, reviewed and committed (`cargo insta review`):
//! - models: every docs example through the facade types;
//! - the wire: the request the fake server received for each facade
//!   operation (the key redacted);
//! - errors: the `Display` of each variant;
//! - schemas: the JSON Schema of each public model.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use event_invites::artsvp::{
    Booking, BookingQuery, BookingUpdate, Cursor, Dedupe, Invite, InviteDetail, InviteQuery,
    InviteUpdate, NewBatch, NewInvite,
};
use event_invites::securegate::InviteStatus;
use event_invites::{Artsvp, Error, RetryBudget, RetryPolicy, SecureGate};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixture<T: DeserializeOwned>(path: &str) -> T {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

fn invite(raw: artsvp_api::types::Invite) -> Invite {
    Invite::try_from(raw).unwrap()
}

use event_invites::raw::artsvp_api;

#[test]
fn securegate_invites_from_the_docs_example() {
    // Decoded straight into the facade's type, as the client does.
    let sg: Vec<event_invites::securegate::Invite> = fixture("securegate/get_invites.json");
    insta::assert_json_snapshot!("model_securegate_get_invites", sg);
}

#[test]
fn artsvp_invites_and_bookings_from_every_docs_example() {
    for name in ["the_invite_object", "create_an_invite", "update_an_invite"] {
        let value = invite(fixture(&format!("artsvp/{name}.json")));
        insta::assert_json_snapshot!(format!("model_artsvp_{name}"), value);
    }
    let detail = InviteDetail::try_from(fixture::<artsvp_api::types::InviteWithBookings>(
        "artsvp/retrieve_an_invite.json",
    ))
    .unwrap();
    insta::assert_json_snapshot!("model_artsvp_retrieve_an_invite", detail);
    for name in [
        "the_booking_object",
        "retrieve_a_booking",
        "update_a_booking",
    ] {
        let booking = Booking::from(fixture::<artsvp_api::types::Booking>(&format!(
            "artsvp/{name}.json"
        )));
        insta::assert_json_snapshot!(format!("model_artsvp_{name}"), booking);
    }
    let bookings: artsvp_api::types::BookingList = fixture("artsvp/list_all_bookings.json");
    let bookings: Vec<Booking> = bookings.data.into_iter().map(Booking::from).collect();
    insta::assert_json_snapshot!("model_artsvp_list_all_bookings", bookings);
    let invites: artsvp_api::types::InviteList = fixture("artsvp/list_all_invites.json");
    let invites: Vec<Invite> = invites.data.into_iter().map(invite).collect();
    insta::assert_json_snapshot!("model_artsvp_list_all_invites", invites);
    let batch: artsvp_api::types::InviteBatch = fixture("artsvp/batch_create_invites.json");
    insta::assert_json_snapshot!(
        "model_artsvp_batch_create_invites",
        json!({
            "invites": batch.data.into_iter().map(invite).collect::<Vec<_>>(),
            "total_events": batch.total_events,
            "total_collection": batch.total_collection,
            "total_resources": batch.total_resources,
            "total_invites_created": batch.total_invites_created,
        })
    );
}

#[test]
fn artsvp_events_and_collections_from_every_docs_example() {
    for name in [
        "the_event_object",
        "retrieve_an_event",
        "the_collection_object",
        "retrieve_a_collection",
    ] {
        let value: Value = fixture(&format!("artsvp/{name}.json"));
        let typed: Value = if name.contains("event") {
            serde_json::to_value(
                serde_json::from_value::<event_invites::artsvp::Event>(value).unwrap(),
            )
            .unwrap()
        } else {
            serde_json::to_value(
                serde_json::from_value::<event_invites::artsvp::Collection>(value).unwrap(),
            )
            .unwrap()
        };
        insta::assert_json_snapshot!(format!("model_artsvp_{name}"), typed);
    }
    for name in ["list_all_events", "list_all_collections"] {
        let value: Value = fixture(&format!("artsvp/{name}.json"));
        insta::assert_json_snapshot!(format!("model_artsvp_{name}"), value["data"]);
    }
}

/// The parts of a logged request that say what the client sent: the host
/// (a random port) is left out.
fn wire(operation: &str, request: &event_invites_fake::LoggedRequest) -> Value {
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "authorization" | "x-api-key" | "accept" | "content-type" | "user-agent"
            )
        })
        .map(|(name, value)| (name.clone(), Value::from(value.clone())))
        .collect();
    json!({
        "operation": operation,
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "body": request.json(),
        "headers": headers,
    })
}

/// The requests of the event, collection and booking operations, in order.
async fn events_and_bookings_on_the_wire(fake: &FakeArtsvp) -> Vec<Value> {
    let client = common::artsvp(fake);
    let event = fake.events()[0].id.clone();
    let booking = fake.bookings()[0].id.clone();
    let mut seen = Vec::new();
    let mut record = |operation: &str| {
        let request = fake.requests().last().expect("a request");
        seen.push(wire(operation, &request));
    };

    client.list_events(&Cursor::Start).await.unwrap();
    record("list_events");
    client.get_event(&event).await.unwrap();
    record("get_event");
    client.list_collections(&Cursor::Start).await.unwrap();
    record("list_collections");
    client
        .get_collection(&fake.collections()[0].id)
        .await
        .unwrap();
    record("get_collection");
    client
        .list_bookings(
            &BookingQuery::new()
                .email("a@example.com")
                .tags(["vip", "press"]),
        )
        .await
        .unwrap();
    record("list_bookings");
    client.get_booking(&booking).await.unwrap();
    record("get_booking");
    client
        .update_booking(
            &booking,
            &BookingUpdate::new().name("New Name").external_id("crm-1"),
        )
        .await
        .unwrap();
    record("update_booking");
    seen
}

/// The requests of the invite operations, in order.
async fn invites_on_the_wire(fake: &FakeArtsvp) -> Vec<Value> {
    let client = common::artsvp(fake);
    let event = fake.events()[0].id.clone();
    let mut seen = Vec::new();
    let mut record = |operation: &str| {
        let request = fake.requests().last().expect("a request");
        seen.push(wire(operation, &request));
    };
    client
        .list_invites(
            &InviteQuery::new()
                .event(&event)
                .tags(["vip"])
                .email("a@example.com")
                .name("A")
                .external_id("x")
                .limit(25)
                .cursor(Cursor::After(fake.invites()[0].id.clone())),
        )
        .await
        .unwrap();
    record("list_invites");
    let created = client
        .create_invite(
            &NewInvite::for_event(&event)
                .name("Lucy Green")
                .email("lucy@example.com")
                .total_count(2)
                .tags(["vip"])
                .dedupe(Dedupe::Email),
        )
        .await
        .unwrap()
        .into_inner();
    record("create_invite");
    client.get_invite(&created.id).await.unwrap();
    record("get_invite");
    client
        .update_invite(
            &created.id,
            &InviteUpdate::new().total_count(0).golden(true),
        )
        .await
        .unwrap();
    record("update_invite");
    client.delete_invite(&created.id).await.unwrap();
    record("delete_invite");
    client
        .batch_create_invites(
            &NewBatch::for_resource_tags(["vip"])
                .email("vip@example.com")
                .dedupe(Dedupe::Email),
        )
        .await
        .unwrap();
    record("batch_create_invites");
    seen
}

#[tokio::test]
async fn the_wire() {
    let fake = FakeArtsvp::builder().invites(20).start().await.unwrap();
    let mut seen = events_and_bookings_on_the_wire(&fake).await;
    seen.extend(invites_on_the_wire(&fake).await);

    let sg_fake = FakeSecureGate::start().await.unwrap();
    common::securegate(&sg_fake)
        .invites_with_status(&sg_fake.event_ids()[0], InviteStatus::Sent)
        .await
        .unwrap();
    seen.push(wire("get_invites", &sg_fake.requests().last().unwrap()));

    insta::assert_json_snapshot!("wire", seen);
}

/// The clients the error messages come from: the fake's base URL, one
/// client with quick retries, one that does not retry.
struct Clients {
    base: String,
    quick: Artsvp,
    once: Artsvp,
}

impl Clients {
    fn of(fake: &FakeArtsvp) -> Self {
        Clients {
            base: fake.base_url().to_string(),
            quick: common::artsvp(fake),
            once: common::artsvp_with(fake, RetryPolicy::none(), None),
        }
    }
}

/// Errors the server answered: a wrong key, a missing invite, a bad cursor, 429, 503, 418.
async fn answered_with_an_error(fake: &FakeArtsvp, c: &Clients) -> Vec<Error> {
    let mut errors: Vec<Error> = Vec::new();

    errors.push(
        Artsvp::builder()
            .base_url(&c.base)
            .api_key("wrong")
            .build()
            .unwrap()
            .list_events(&Cursor::Start)
            .await
            .unwrap_err(),
    );
    errors.push(c.once.get_invite("inv-missing").await.unwrap_err());
    errors.push(
        c.once
            .list_invites(&InviteQuery::new().cursor(Cursor::After("inv-never".into())))
            .await
            .unwrap_err(),
    );
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 120 }));
    errors.push(c.quick.list_events(&Cursor::Start).await.unwrap_err());
    fake.inject(FaultRule::new(Fault::Status(503)));
    errors.push(c.once.list_events(&Cursor::Start).await.unwrap_err());
    fake.inject(FaultRule::new(Fault::Status(418)));
    errors.push(c.once.list_events(&Cursor::Start).await.unwrap_err());
    errors
}

/// Answers lost: a timeout, a dropped connection before and after the write, a body that is not JSON.
async fn answers_lost(fake: &FakeArtsvp, c: &Clients) -> Vec<Error> {
    let mut errors: Vec<Error> = Vec::new();
    fake.inject(FaultRule::new(Fault::Latency(Duration::from_secs(3))));
    errors.push(
        Artsvp::builder()
            .base_url(&c.base)
            .api_key(fake.api_key())
            .request_timeout(Duration::from_millis(100))
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
            .list_events(&Cursor::Start)
            .await
            .unwrap_err(),
    );
    fake.inject(FaultRule::new(Fault::DropConnection));
    errors.push(c.once.list_events(&Cursor::Start).await.unwrap_err());
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write(),
    );
    errors.push(
        c.once
            .create_invite(&NewInvite::for_event(fake.events()[0].id.clone()))
            .await
            .unwrap_err(),
    );
    fake.inject(FaultRule::new(Fault::MalformedJson));
    errors.push(c.once.list_collections(&Cursor::Start).await.unwrap_err());
    errors
}

/// Calls refused before sending, a create not repeated, a deadline, a spent retry budget.
async fn refused_or_stopped(fake: &FakeArtsvp, c: &Clients) -> Vec<Error> {
    let mut errors: Vec<Error> = Vec::new();
    errors.push(
        c.once
            .list_invites(&InviteQuery::new().limit(0))
            .await
            .unwrap_err(),
    );
    errors.push(SecureGate::new("").unwrap_err());
    // A 503 to a create without a filter: not repeated, may have been made.
    fake.inject(FaultRule::new(Fault::Status(503)).on("POST", "/invites"));
    errors.push(
        c.quick
            .create_invite(&NewInvite::for_event(fake.events()[0].id.clone()))
            .await
            .unwrap_err(),
    );
    // The call's deadline, cut short during an attempt.
    fake.inject(FaultRule::new(Fault::Latency(Duration::from_secs(3))));
    errors.push(
        c.quick
            .list_events(&Cursor::Start)
            .timeout(Duration::from_millis(100))
            .await
            .unwrap_err(),
    );
    // The client's retry budget, spent.
    fake.inject(FaultRule::new(Fault::Status(503)));
    errors.push(
        Artsvp::builder()
            .base_url(&c.base)
            .api_key(fake.api_key())
            .retry(common::quick_retries())
            .retry_budget(RetryBudget::new().capacity(0))
            .build()
            .unwrap()
            .list_events(&Cursor::Start)
            .await
            .unwrap_err(),
    );
    errors
}

#[tokio::test]
async fn error_messages() {
    let fake = FakeArtsvp::start().await.unwrap();
    let base = fake.base_url().to_string();
    let clients = Clients::of(&fake);
    let mut errors = answered_with_an_error(&fake, &clients).await;
    errors.extend(answers_lost(&fake, &clients).await);
    errors.extend(refused_or_stopped(&fake, &clients).await);

    let host = base.trim_start_matches("http://");
    let shown: Vec<String> = errors
        .iter()
        .map(|e| e.to_string().replace(host, "127.0.0.1:PORT"))
        .collect();
    insta::assert_json_snapshot!("error_messages", shown);
}
