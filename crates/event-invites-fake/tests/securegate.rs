//! The fake SecureGate server, driven by the generated `securegate-api`
//! client: the happy path, the status filter, the seeded data's coverage,
//! and each documented error.

mod common;

use std::collections::HashSet;

use event_invites_fake::{FakeSecureGate, RateLimit};
use securegate_api::types::ErrorDetail;
use securegate_api::types::InviteStatus;

#[tokio::test]
async fn lists_an_events_invites_and_filters_by_status() {
    let fake = FakeSecureGate::start().await.unwrap();
    let client = common::securegate(&fake);
    let event = &fake.event_ids()[0];
    let all = common::securegate_invites(&fake, event).await;
    assert_eq!(all, fake.invites(event));
    assert_eq!(all.len(), 24);
    for status in [
        InviteStatus::Pending,
        InviteStatus::Sent,
        InviteStatus::Accepted,
        InviteStatus::Rejected,
    ] {
        let some = client
            .get_invites()
            .event_id(event)
            .status(status)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(!some.is_empty());
        assert!(
            some.iter().all(|i| i.status == status.to_string()),
            "{status}"
        );
        assert_eq!(
            some.len(),
            all.iter()
                .filter(|i| i.status == status.to_string())
                .count()
        );
    }
}

#[tokio::test]
async fn seeded_invites_cover_every_status_method_country_and_null() {
    let fake = FakeSecureGate::start().await.unwrap();
    let invites = fake.invites(&fake.event_ids()[0]);
    let distinct = |f: &dyn Fn(&securegate_api::types::Invite) -> String| {
        invites.iter().map(f).collect::<HashSet<_>>().len()
    };
    assert_eq!(distinct(&|i| i.status.to_string()), 4);
    assert_eq!(distinct(&|i| i.authentication_method.to_string()), 3);
    assert_eq!(distinct(&|i| i.country_code.to_string()), 5);
    type Check = fn(&securegate_api::types::Invite) -> bool;
    let nullable: [Check; 4] = [
        |i| i.image.is_some(),
        |i| i.last_seen.is_some(),
        |i| i.onyxplus_id.is_some(),
        |i| i.ticket_id.is_some(),
    ];
    for field in nullable {
        assert!(invites.iter().any(field) && !invites.iter().all(field));
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_and_ids() {
    let a = FakeSecureGate::builder().seed(5).start().await.unwrap();
    let b = FakeSecureGate::builder().seed(5).start().await.unwrap();
    let c = FakeSecureGate::builder().seed(6).start().await.unwrap();
    assert_eq!(a.event_ids(), b.event_ids());
    assert_eq!(a.invites(&a.event_ids()[1]), b.invites(&b.event_ids()[1]));
    assert_eq!(a.api_key(), b.api_key());
    assert_ne!(a.event_ids(), c.event_ids());
}

#[tokio::test]
async fn an_unknown_event_has_no_invites() {
    let fake = FakeSecureGate::start().await.unwrap();
    let none = common::securegate_invites(&fake, "no-such-event").await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401() {
    let fake = FakeSecureGate::start().await.unwrap();
    let event = &fake.event_ids()[0];
    let anonymous = securegate_api::Client::new(fake.base_url());
    let wrong = securegate_api::Client::new_with_client(
        fake.base_url(),
        common::http_with("x-api-key", "sg_wrong"),
    );
    for (client, expected) in [
        (anonymous, "the API key header is missing"),
        (wrong, "the API key is not valid"),
    ] {
        // The 401 is in the spec (overlay), so the generated client decodes
        // its body as the operation's documented error.
        match client.get_invites().event_id(event).send().await {
            Err(securegate_api::Error::ErrorResponse(response)) => {
                assert_eq!(response.status(), 401);
                assert_eq!(
                    response.into_inner().detail,
                    Some(ErrorDetail::String(expected.into()))
                );
            }
            other => panic!("expected a documented 401, got {other:?}"),
        }
    }
    let log = fake.requests().entries();
    assert_eq!(log[1].header("x-api-key"), Some("[redacted]"));
}

#[tokio::test]
async fn an_invalid_status_is_fastapis_422() {
    let fake = FakeSecureGate::start().await.unwrap();
    let url = format!(
        "{}/events/{}/invites?status=maybe",
        fake.base_url(),
        fake.event_ids()[0]
    );
    let response = common::http_with("x-api-key", fake.api_key())
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: securegate_api::types::HttpValidationError = response.json().await.unwrap();
    let Some(ErrorDetail::Array(details)) = body.detail else {
        panic!("a 422 lists its validation errors: {:?}", body.detail);
    };
    let detail = &details[0];
    assert_eq!(detail.type_, "enum");
    assert_eq!(
        detail
            .loc
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["query", "status"]
    );
    assert!(detail.msg.contains("'pending'"));
}

#[tokio::test]
async fn a_quota_when_set_gives_headers_and_429() {
    let fake = FakeSecureGate::builder()
        .rate_limit(RateLimit::per_second(2))
        .manual_clock()
        .start()
        .await
        .unwrap();
    let client = common::securegate(&fake);
    let event = fake.event_ids()[0].clone();
    let first = client.get_invites().event_id(&event).send().await.unwrap();
    assert_eq!(first.headers()["x-rate-limit-remaining"], "1");
    client.get_invites().event_id(&event).send().await.unwrap();
    let over = client.get_invites().event_id(&event).send().await;
    assert_eq!(common::status_of(over), Some(429));
    assert!(fake.advance_clock(std::time::Duration::from_secs(1)));
    client.get_invites().event_id(&event).send().await.unwrap();
}

#[tokio::test]
async fn a_test_can_add_invites_of_its_own() {
    let fake = FakeSecureGate::builder().events(0).start().await.unwrap();
    assert!(fake.event_ids().is_empty());
    let seeded = FakeSecureGate::start().await.unwrap();
    let template = seeded.invites(&seeded.event_ids()[0])[0].clone();
    let mine = securegate_api::types::Invite {
        id: "invite-mine".into(),
        event_id: "event-mine".into(),
        status: "accepted".into(),
        ..template
    };
    fake.insert_invites("event-mine", [mine.clone()]);
    assert_eq!(fake.event_ids(), ["event-mine"]);
    let got = common::securegate_invites(&fake, "event-mine").await;
    assert_eq!(got, vec![mine]);
}

#[tokio::test]
async fn reset_brings_back_the_seeded_data_and_clears_faults_and_log() {
    let fake = FakeSecureGate::start().await.unwrap();
    let event = fake.event_ids()[0].clone();
    let seeded = fake.invites(&event);
    fake.insert_invites("event-new", seeded.iter().take(2).cloned());
    fake.inject(
        event_invites_fake::FaultRule::new(event_invites_fake::Fault::Status(500)).always(),
    );
    let client = common::securegate(&fake);
    assert_eq!(
        common::status_of(client.get_invites().event_id(&event).send().await),
        Some(500)
    );

    fake.reset();
    assert_eq!(fake.event_ids().len(), 3, "the added event is gone");
    assert_eq!(fake.invites(&event), seeded);
    assert!(fake.requests().is_empty());
    let page = client.get_invites().event_id(&event).send().await.unwrap();
    assert_eq!(page.into_inner(), seeded, "no fault left");
}
