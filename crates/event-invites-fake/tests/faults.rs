//! Every fault kind, seen from a client: what it gets, what the request log
//! says, and whether the server's state changed.

mod common;

use std::time::Duration;

use artsvp_api::types::{CreateInviteRequest, UpdateInviteRequest};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule};

async fn fake() -> FakeArtsvp {
    FakeArtsvp::builder().invites(10).start().await.unwrap()
}

fn new_invite(fake: &FakeArtsvp, email: &str) -> CreateInviteRequest {
    CreateInviteRequest::builder()
        .email(email.to_string())
        .resource_id(fake.events()[0].id.clone())
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn server_errors_answer_with_the_shared_error_body() {
    let fake = fake().await;
    let client = common::artsvp(&fake);
    for status in [500, 502, 503] {
        fake.inject(FaultRule::new(Fault::Status(status)));
        match client.list_events().send().await.unwrap_err() {
            artsvp_api::Error::ErrorResponse(body) => {
                assert_eq!(body.status().as_u16(), status);
                assert_eq!(body.error.as_deref(), Some("injected_fault"));
            }
            other => panic!("{status}: expected the error body, got {other:?}"),
        }
    }
    client.list_events().send().await.expect("faults used up");
}

#[tokio::test]
async fn an_injected_429_carries_its_retry_after() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 7 }));
    let err = common::artsvp(&fake)
        .list_invites()
        .send()
        .await
        .unwrap_err();
    match err {
        artsvp_api::Error::ErrorResponse(body) => {
            assert_eq!(body.status().as_u16(), 429);
            assert_eq!(body.headers()["retry-after"], "7");
        }
        other => panic!("expected 429, got {other:?}"),
    }
}

#[tokio::test]
async fn latency_past_the_clients_timeout_times_it_out() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::Latency(Duration::from_secs(5))).on("GET", "/events"));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .default_headers(
            [(
                "authorization".parse().unwrap(),
                fake.api_key().parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let err = http
        .get(format!("{}/events", fake.base_url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

/// A create of `email` whose connection `rule` drops: it fails as a
/// communication error. Returns how many invites the fake held before.
async fn create_dropped(fake: &FakeArtsvp, rule: FaultRule, email: &str) -> usize {
    let before = fake.invites().len();
    fake.inject(rule);
    let err = common::artsvp(fake)
        .create_invite()
        .body(new_invite(fake, email))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, artsvp_api::Error::CommunicationError(_)),
        "{err:?}"
    );
    before
}

#[tokio::test]
async fn a_connection_dropped_before_the_write_changes_nothing() {
    let fake = fake().await;
    let rule = FaultRule::new(Fault::DropConnection).on("POST", "/invites");
    let before = create_dropped(&fake, rule, "a@example.com").await;
    assert_eq!(fake.invites().len(), before);
    let last = fake.requests().last().unwrap();
    assert_eq!(last.status, None);
    assert_eq!(last.fault.as_deref(), Some("drop_connection"));
    common::assert_artsvp_answers(&fake).await;
}

#[tokio::test]
async fn a_connection_dropped_after_the_write_leaves_the_write() {
    let fake = fake().await;
    let rule = FaultRule::new(Fault::DropConnection)
        .on("POST", "/invites")
        .after_write();
    let before = create_dropped(&fake, rule, "b@example.com").await;
    let invites = fake.invites();
    assert_eq!(
        invites.len(),
        before + 1,
        "the invite was created all the same"
    );
    assert_eq!(
        invites.last().unwrap().email.as_deref(),
        Some("b@example.com")
    );
}

#[tokio::test]
async fn a_status_after_the_write_leaves_the_write() {
    let fake = fake().await;
    let client = common::artsvp(&fake);
    let invite = fake.invites()[0].clone();
    fake.inject(
        FaultRule::new(Fault::Status(500))
            .on("PATCH", "/invites/{id}")
            .after_write(),
    );
    let result = client
        .update_invite()
        .id(&invite.id)
        .body(UpdateInviteRequest::builder().total_count(9))
        .send()
        .await;
    assert_eq!(common::status_of(result), Some(500));
    assert!(fake.invite(&invite.id).unwrap().amount_used.ends_with("/9"));
}

#[tokio::test]
async fn a_truncated_or_malformed_body_of_a_200_fails_to_decode() {
    // A body cut short may also fail while it is read.
    for (fault, or_while_read) in [(Fault::TruncatedBody, true), (Fault::MalformedJson, false)] {
        let fake = fake().await;
        fake.inject(FaultRule::new(fault).on("GET", "/invites"));
        let err = common::artsvp(&fake)
            .list_invites()
            .send()
            .await
            .unwrap_err();
        let read_failed = matches!(err, artsvp_api::Error::ResponseBodyError(_));
        assert!(
            matches!(err, artsvp_api::Error::InvalidResponsePayload(..))
                || (or_while_read && read_failed),
            "{err:?}"
        );
        assert_eq!(fake.requests().last().unwrap().status, Some(200));
    }
}

#[tokio::test]
async fn unknown_enum_values_reach_the_client() {
    let fake = FakeSecureGate::start().await.unwrap();
    let event = fake.event_ids()[0].clone();
    fake.inject(FaultRule::new(Fault::UnknownEnumValue).times(2));
    // The generated SecureGate types read the invite's enums as open
    // strings: an unknown value decodes and keeps its text.
    let invites = common::securegate_invites(&fake, &event).await;
    assert_eq!(invites[0].status, "expired");
    let raw = common::raw_json(
        "x-api-key",
        fake.api_key(),
        format!("{}/events/{event}/invites", fake.base_url()),
    )
    .await;
    assert_eq!(raw[0]["status"], "expired");
    assert_eq!(raw[0]["authentication_method"], "Retina Scan");
}

#[tokio::test]
async fn extra_fields_are_added_and_ignored_by_the_generated_types() {
    let fake = fake().await;
    fake.inject(
        FaultRule::new(Fault::ExtraFields)
            .on("GET", "/invites")
            .times(2),
    );
    let client = common::artsvp(&fake);
    let page = client
        .list_invites()
        .send()
        .await
        .expect("unknown fields decode");
    assert_eq!(page.data.len(), 10);
    let raw = common::raw_json(
        "authorization",
        fake.api_key(),
        format!("{}/invites", fake.base_url()),
    )
    .await;
    assert_eq!(raw["x_fake_unknown_field"], "surprise");
    assert_eq!(
        raw["data"][0]["resource"]["x_fake_unknown_object"]["flag"],
        true
    );
}

#[tokio::test]
async fn the_request_log_records_requests_answers_and_faults() {
    let fake = fake().await;
    let client = common::artsvp(&fake);
    fake.inject(FaultRule::new(Fault::Status(503)).on("POST", "/invites"));
    let _ = client
        .create_invite()
        .body(new_invite(&fake, "log@example.com"))
        .send()
        .await;
    client.list_invites().limit(3).send().await.unwrap();
    let log = fake.requests().entries();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("POST", "/invites")
    );
    assert_eq!(log[0].json()["email"], "log@example.com");
    assert_eq!(log[0].status, Some(503));
    assert_eq!(log[0].fault.as_deref(), Some("status_503"));
    assert_eq!(log[0].header("authorization"), Some("[redacted]"));
    assert!(
        !format!("{log:?}").contains(fake.api_key()),
        "the key is never logged"
    );
    assert_eq!(log[1].query.as_deref(), Some("limit=3"));
    assert_eq!(log[1].status, Some(200));
    assert_eq!(log[1].fault, None);
    fake.requests().clear();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_log_limit_keeps_the_most_recent_requests() {
    let fake = FakeArtsvp::builder()
        .request_log_limit(2)
        .start()
        .await
        .unwrap();
    let client = common::artsvp(&fake);
    for limit in [1, 2, 3] {
        client.list_invites().limit(limit).send().await.unwrap();
    }
    let queries: Vec<_> = fake
        .requests()
        .entries()
        .into_iter()
        .map(|r| r.query)
        .collect();
    assert_eq!(
        queries,
        [Some("limit=2".to_string()), Some("limit=3".to_string())]
    );
}
