//! Errors are safe to log: bodies full of canary personal data (a name, an
//! email, a phone number) go through every failure path, and no canary
//! appears in an error's `Display`, `Debug`, alternate `Debug` or the
//! `Display` of its whole source chain. Server messages are kept, masked:
//! quoted values, emails, phone-like numbers and every value the request
//! carried (a server may echo a name it was sent, unquoted).

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Response, StatusCode};
use event_invites::artsvp::{BookingQuery, Cursor, Dedupe, InviteQuery, NewInvite};
use event_invites::{Artsvp, Error, ErrorKind, RetryPolicy, SecureGate};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

const NAME: &str = "Zanzibar Quokkafield";
const EMAIL: &str = "zq.canary@leak.test";
const PHONE: &str = "+1 555 867 5309";
const CANARIES: [&str; 6] = [
    "Zanzibar",
    "Quokkafield",
    "zq.canary",
    "leak.test",
    "867 5309",
    "8675309",
];

/// Every way the error can be printed.
fn printed(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}\n{err:#?}\n");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!("{s}\n"));
        source = s.source();
    }
    text
}

fn assert_no_canary(what: &str, err: &Error) {
    let text = printed(err);
    for canary in CANARIES {
        assert!(
            !text.contains(canary),
            "{what}: `{canary}` leaked into the error:\n{text}"
        );
    }
}

/// A server that answers each request with the next scripted response.
async fn scripted(responses: Vec<(u16, String)>) -> String {
    let queue = Arc::new(Mutex::new(VecDeque::from(responses)));
    let app = axum::Router::new().fallback(move || {
        let queue = queue.clone();
        async move {
            let (status, body) = queue
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or((500, String::new()));
            Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn artsvp(url: &str) -> Artsvp {
    Artsvp::builder()
        .base_url(url)
        .api_key("k")
        .retry(RetryPolicy::none())
        .quota(None)
        .build()
        .unwrap()
}

fn canary_invite(amount_used: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "inv-1", "object": "invite", "code": "abc123", "name": NAME, "email": EMAIL,
        "golden": false, "register_interest": false, "url": "https://invite.example/abc123",
        "used": false, "amount_used": amount_used, "external_id": PHONE,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    })
}

/// A page of ARTSVP invites holding `invite`.
fn page(invite: serde_json::Value, has_more: serde_json::Value) -> String {
    serde_json::json!({"object": "list", "data": [invite], "has_more": has_more}).to_string()
}

/// A create (which carries the canaries too, so a server echoing the
/// request is covered as well as one quoting stored data) answered by each
/// case's status and body: its error has a status and no canary.
async fn assert_a_failed_create_hides_the_guest(cases: Vec<(&str, u16, String)>) {
    for (what, status, body) in cases {
        let url = scripted(vec![(status, body)]).await;
        let client = artsvp(&url);
        let err = client
            .create_invite(
                &NewInvite::for_event("eve-1")
                    .name(NAME)
                    .email(EMAIL)
                    .external_id(PHONE)
                    .dedupe(Dedupe::Email),
            )
            .await
            .expect_err(what);
        assert_no_canary(what, &err);
        assert!(err.status().is_some(), "{what}: {err:?}");
    }
}

#[tokio::test]
async fn artsvp_bodies_that_do_not_decode_never_show_a_guests_data() {
    let valid_page = page(canary_invite("0/1"), false.into());
    let truncated = valid_page[..valid_page.find("Quokkafield").unwrap() + 4].to_string();
    assert_a_failed_create_hides_the_guest(vec![
        (
            "a wrong type holding an email",
            200,
            page(canary_invite("0/1"), EMAIL.into()),
        ),
        ("a body cut inside a name", 200, truncated),
        (
            "a malformed amount_used",
            200,
            page(canary_invite(NAME), false.into()),
        ),
        (
            "a missing field",
            200,
            serde_json::json!({"data": [{"name": NAME}]}).to_string(),
        ),
        (
            "an error body that does not decode",
            409,
            format!("{{\"message\": {NAME}"),
        ),
    ])
    .await;
}

#[tokio::test]
async fn artsvp_error_answers_never_show_a_guests_data() {
    let error_body = serde_json::json!({
        "error": "validation_error",
        "message": format!("{NAME} <{EMAIL}> is already invited (call {PHONE})"),
        "errors": [
            {"field": "email", "message": format!("'{EMAIL}' is taken")},
            {"field": "name", "message": format!("{NAME} is too long")},
        ]
    })
    .to_string();
    let not_found = serde_json::json!({
        "error": "not_found",
        "message": format!("no invite for \"{NAME}\" ({PHONE})"),
    })
    .to_string();
    assert_a_failed_create_hides_the_guest(vec![
        ("a 422 echoing the input", 422, error_body.clone()),
        ("a 400 echoing the input", 400, error_body),
        ("a 404 quoting a name", 404, not_found),
        (
            "a 500 with a body",
            500,
            format!("<html>{NAME} {EMAIL}</html>"),
        ),
        (
            "an undocumented status",
            418,
            serde_json::json!({"detail": EMAIL}).to_string(),
        ),
    ])
    .await;
}

#[tokio::test]
async fn artsvp_lists_filtered_by_a_guests_data_never_show_it() {
    // The same bodies through the lists, filtered by the canaries.
    let url = scripted(vec![
        (200, page(canary_invite("0/1"), EMAIL.into())),
        (422, format!("{{\"message\": \"no bookings for {EMAIL}\"}}")),
    ])
    .await;
    let client = artsvp(&url);
    let query = InviteQuery::new().name(NAME).email(EMAIL);
    let err = client.list_invites(&query).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
    assert_no_canary("a list that does not decode", &err);
    let err = client
        .list_bookings(&BookingQuery::new().email(EMAIL))
        .await
        .unwrap_err();
    assert_no_canary("a rejected list", &err);
}

#[tokio::test]
async fn a_cut_connection_and_a_closed_port_do_not_show_the_query() {
    // The fake cuts a page of invites that holds the canaries.
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    let client = common::artsvp_with(&fake, RetryPolicy::none(), None);
    let event = fake.events()[0].id.clone();
    client
        .create_invite(&NewInvite::for_event(&event).name(NAME).email(EMAIL))
        .await
        .unwrap();
    fake.inject(FaultRule::new(Fault::TruncatedBody).on("GET", "/invites"));
    let err = client
        .list_invites(&InviteQuery::new().email(EMAIL))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err:?}");
    assert_no_canary("a body cut short", &err);

    // Nothing listens: reqwest's own error would carry the URL, query and
    // all (`?email=zq.canary%40leak.test`).
    let closed = common::closed_port_url();
    let err = artsvp(&closed)
        .list_invites(&InviteQuery::new().email(EMAIL).name(NAME))
        .await
        .unwrap_err();
    assert_no_canary("a closed port", &err);
    let err = artsvp(&closed)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err();
    assert_no_canary("a closed port", &err);
}

#[tokio::test]
async fn securegate_failure_paths_never_show_a_guests_data() {
    let invite = serde_json::json!({
        "id": "i1", "event_id": "e1", "first_name": "Zanzibar", "last_name": "Quokkafield",
        "email": EMAIL, "country_code": "1", "mobile_number": "5558675309",
        "authentication_method": "Both", "status": "sent", "session_code": "S",
        "session_id": "s", "created_at": EMAIL, "updated_at": "2026-01-01T00:00:00Z"
    });
    let validation = serde_json::json!({"detail": [{
        "loc": ["query", "status"],
        "msg": format!("Input should be 'pending', got '{NAME}' ({EMAIL}, {PHONE})"),
        "type": "enum"
    }]});
    for (what, status, body) in [
        (
            "a bad timestamp holding an email",
            200,
            serde_json::json!([invite]).to_string(),
        ),
        ("a 422 quoting the input", 422, validation.to_string()),
        (
            "a wrong key",
            401,
            serde_json::json!({"detail": EMAIL}).to_string(),
        ),
    ] {
        let url = scripted(vec![(status, body)]).await;
        let client = SecureGate::builder()
            .base_url(url)
            .api_key("k")
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let err = client.invites("e1").await.expect_err(what);
        assert_no_canary(what, &err);
    }
}
