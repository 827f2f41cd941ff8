//! The guest-list helpers: named after what the docs say people use the
//! endpoints for.

mod common;

use event_invites::artsvp::{CreateOutcome, Dedupe, Duplicates, Guest};
use event_invites::securegate::{InviteStats, InviteStatus};
use event_invites_fake::{FakeArtsvp, FakeSecureGate};

#[tokio::test]
async fn securegate_lists_by_purpose_and_counts_from_one_request() {
    let fake = FakeSecureGate::start().await.unwrap();
    let client = common::securegate(&fake);
    let event = fake.event_ids()[1].clone();
    let count = |status: &str| {
        fake.invites(&event)
            .iter()
            .filter(|i| i.status == status)
            .count()
    };

    let guests = client.guest_list(&event).await.unwrap();
    assert_eq!(guests.len(), count("accepted"));
    assert!(guests.iter().all(|i| i.status == InviteStatus::Accepted));
    assert_eq!(
        client.awaiting_response(&event).await.unwrap().len(),
        count("sent")
    );
    assert_eq!(
        client.not_yet_sent(&event).await.unwrap().len(),
        count("pending")
    );

    fake.requests().clear();
    let stats = client.invite_stats(&event).await.unwrap();
    assert_eq!(fake.requests().len(), 1, "one request");
    assert_eq!(
        stats,
        InviteStats {
            total: fake.invites(&event).len() as u32,
            pending: count("pending") as u32,
            sent: count("sent") as u32,
            accepted: count("accepted") as u32,
            rejected: count("rejected") as u32,
            other: 0,
        }
    );
    let answered = (stats.accepted + stats.rejected) as f64;
    assert_eq!(
        stats.response_rate(),
        Some(answered / (answered + stats.sent as f64))
    );
    assert_eq!(
        stats.acceptance_rate(),
        Some(stats.accepted as f64 / answered)
    );
}

#[tokio::test]
async fn inviting_a_guest_states_the_dedupe_choice() {
    let (fake, client) = common::artsvp_fake().await;
    let event = fake.events()[2].id.clone();
    let guest = || Guest::new("Ada Obi", "ada@example.com");
    let held = || {
        fake.invites()
            .iter()
            .filter(|i| i.email.as_deref() == Some("ada@example.com"))
            .count()
    };

    let first = client
        .invite_to_event(&event, guest(), Duplicates::Prevent(Dedupe::Email))
        .await
        .unwrap();
    let again = client
        .invite_to_event(&event, guest(), Duplicates::Prevent(Dedupe::Email))
        .await
        .unwrap();
    assert!(first.is_created(), "{first:?}");
    assert!(
        matches!(&again, CreateOutcome::Existing(i) if i.id == first.get().id),
        "the second is the first, found: {again:?}"
    );
    assert_eq!(held(), 1);

    client
        .invite_to_event(&event, guest(), Duplicates::Allow)
        .await
        .unwrap();
    assert_eq!(held(), 2, "allowed duplicates are made");

    let collection = fake.collections()[0].id.clone();
    let to_collection = client
        .invite_to_collection(
            &collection,
            guest().external_id("crm-7"),
            Duplicates::Prevent(Dedupe::ExternalId),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(to_collection.resource.unwrap().id, collection);
    assert_eq!(to_collection.external_id.as_deref(), Some("crm-7"));
}

#[tokio::test]
async fn an_events_bookings_and_its_confirmed_guests() {
    let fake = FakeArtsvp::builder().invites(300).start().await.unwrap();
    let client = common::artsvp(&fake);
    let event = fake.events()[0].clone();
    let expected: Vec<String> = fake
        .bookings()
        .into_iter()
        .filter(|b| b.event_id.as_deref() == Some(event.code.as_str()))
        .map(|b| b.id)
        .collect();
    assert!(!expected.is_empty());
    let bookings = client
        .bookings_for_event(&event.id)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        bookings.iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
        expected
    );

    let confirmed = client.guest_list(&event.code).await.unwrap();
    assert!(confirmed.iter().all(|b| b.is_confirmed()));
    assert_eq!(
        confirmed.len(),
        bookings.iter().filter(|b| b.is_confirmed()).count()
    );
}
