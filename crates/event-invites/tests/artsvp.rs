//! Every ARTSVP operation through the facade, against the fake server.

mod common;

use event_invites::ErrorKind;
use event_invites::artsvp::Usage;
use event_invites::artsvp::{
    BookingQuery, BookingStatus, BookingUpdate, Cursor, Dedupe, InviteQuery, InviteUpdate,
    NewBatch, NewInvite, ResourceKind,
};
use event_invites_fake::FakeArtsvp;

#[tokio::test]
async fn events_and_collections() {
    let (fake, client) = common::artsvp_fake().await;
    let events = client.list_events(&Cursor::Start).await.unwrap();
    assert_eq!(events.items, fake.events());
    assert!(!events.has_more);
    let event = client.get_event(&events.items[0].id).await.unwrap();
    assert_eq!(event, events.items[0]);
    let collections = client.list_collections(&Cursor::Start).await.unwrap();
    assert_eq!(collections.items, fake.collections());
    let collection = client
        .get_collection(&collections.items[0].code)
        .await
        .unwrap();
    assert_eq!(collection.id, collections.items[0].id);
}

#[tokio::test]
async fn bookings_list_retrieve_and_update() {
    let (_fake, client) = common::artsvp_fake().await;
    let page = client.list_bookings(&BookingQuery::new()).await.unwrap();
    let booking = page
        .items
        .iter()
        .find(|b| b.email.is_some())
        .unwrap()
        .clone();
    assert!(booking.event.is_some());
    let confirmed = page.items.iter().filter(|b| b.is_confirmed()).count();
    assert!(confirmed > 0);
    assert!(
        page.items
            .iter()
            .any(|b| matches!(&b.status, Some(BookingStatus::Unknown(s)) if s.starts_with("is_"))),
        "statuses beyond is_confirmed parse as Unknown"
    );
    let by_email = client
        .list_bookings(&BookingQuery::new().email(booking.email.clone().unwrap()))
        .await
        .unwrap();
    assert!(by_email.items.iter().all(|b| b.email == booking.email));
    assert_eq!(client.get_booking(&booking.id).await.unwrap(), booking);
    let updated = client
        .update_booking(&booking.id, &BookingUpdate::new().external_id("crm-1"))
        .await
        .unwrap();
    assert_eq!(updated.external_id.as_deref(), Some("crm-1"));
    assert_eq!(updated.status, booking.status);
}

#[tokio::test]
async fn invites_are_created_listed_read_updated_and_deleted() {
    let (fake, client) = common::artsvp_fake().await;
    let event = fake.events()[0].id.clone();
    let created = client
        .create_invite(
            &NewInvite::for_event(&event)
                .name("Lucy Green")
                .email("lucy@example.com")
                .total_count(0)
                .tags(["vip"]),
        )
        .await
        .unwrap();
    assert!(created.is_created(), "a new invite answers 201");
    let created = created.into_inner();
    assert_eq!(
        created.usage,
        Usage {
            used: 0,
            limit: None
        }
    );
    assert!(!created.is_exhausted());
    assert_eq!(created.resource.as_ref().unwrap().kind, ResourceKind::Event);
    assert_eq!(created.tags, ["vip"]);

    let page = client
        .list_invites(&InviteQuery::new().event(&event).email("lucy@example.com"))
        .await
        .unwrap();
    assert_eq!(page.items, vec![created.clone()]);

    let detail = client.get_invite(&created.id).await.unwrap();
    assert_eq!(detail.invite, created);
    assert!(detail.bookings.is_empty());

    let updated = client
        .update_invite(
            &created.id,
            &InviteUpdate::new().total_count(1).golden(true),
        )
        .await
        .unwrap();
    assert_eq!(updated.usage.limit, Some(1));
    assert!(updated.golden);

    client.delete_invite(&created.id).await.unwrap();
    let err = client.get_invite(&created.id).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotFound { .. }), "{err}");
    assert_eq!(err.operation(), Some("get_invite"));
}

#[tokio::test]
async fn a_used_invite_shows_its_bookings() {
    let (fake, client) = common::artsvp_fake().await;
    let used = fake
        .invites()
        .into_iter()
        .find(|i| i.used)
        .expect("a used invite");
    let detail = client.get_invite(&used.id).await.unwrap();
    assert!(detail.invite.is_used());
    assert_eq!(detail.bookings.len() as u32, detail.invite.usage.used);
    assert!(
        detail
            .bookings
            .iter()
            .all(|b| b.invite_code.as_deref() == Some(used.code.as_str()))
    );
}

#[tokio::test]
async fn pages_go_forward_and_back() {
    let fake = FakeArtsvp::builder().invites(45).start().await.unwrap();
    let client = common::artsvp(&fake);
    let first = client
        .list_invites(&InviteQuery::new().limit(20))
        .await
        .unwrap();
    assert!(first.has_more);
    let second = client
        .list_invites(
            &InviteQuery::new()
                .limit(20)
                .cursor(Cursor::After(first.cursor.clone().unwrap())),
        )
        .await
        .unwrap();
    let back = client
        .list_invites(
            &InviteQuery::new()
                .limit(20)
                .cursor(Cursor::Before(second.items[0].id.clone())),
        )
        .await
        .unwrap();
    assert_eq!(back.items, first.items);
}

#[tokio::test]
async fn a_batch_reports_its_totals_and_dedupes() {
    let (_fake, client) = common::artsvp_fake().await;
    let batch = NewBatch::for_resource_tags(["vip"])
        .email("guest@example.com")
        .dedupe(Dedupe::Email);
    let made = client.batch_create_invites(&batch).await.unwrap();
    assert!(made.total_resources > 0);
    assert_eq!(made.total_invites_created, made.total_resources);
    assert_eq!(made.invites.len() as u64, made.total_resources);
    let again = client.batch_create_invites(&batch).await.unwrap();
    assert_eq!(again.total_invites_created, 0);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let (fake, client) = common::artsvp_fake().await;
    let cases = [
        client
            .list_invites(&InviteQuery::new().limit(0))
            .await
            .map(|_| ()),
        client
            .list_invites(&InviteQuery::new().limit(101))
            .await
            .map(|_| ()),
        client
            .create_invite(&NewInvite::for_event(""))
            .await
            .map(|_| ()),
        client
            .create_invite(&NewInvite::for_event("eve-1").dedupe(Dedupe::Email))
            .await
            .map(|_| ()),
        client
            .create_invite(&NewInvite::for_resource("x", ResourceKind::from("venue")))
            .await
            .map(|_| ()),
        client
            .batch_create_invites(&NewBatch::for_resource_tags(Vec::<String>::new()))
            .await
            .map(|_| ()),
        client.get_invite("").await.map(|_| ()),
    ];
    for result in cases {
        let err = result.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
            "{err}"
        );
        assert_eq!(err.attempts(), 0);
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn an_unlimited_invite_reads_as_no_limit() {
    let (fake, client) = common::artsvp_fake().await;
    let invite = fake.invites()[0].clone();
    let unlimited = client
        .update_invite(&invite.id, &InviteUpdate::new().total_count(0))
        .await
        .unwrap();
    assert_eq!(unlimited.usage.limit, None);
    assert!(!unlimited.is_exhausted());
}

#[tokio::test]
async fn unknown_statuses_and_kinds_parse_and_keep_their_text() {
    let (fake, client) = common::artsvp_fake().await;
    fake.inject(
        event_invites_fake::FaultRule::new(event_invites_fake::Fault::UnknownEnumValue).times(2),
    );
    let bookings = client.list_bookings(&BookingQuery::new()).await.unwrap();
    let status = bookings.items[0].status.clone().unwrap();
    assert_eq!(status, BookingStatus::Unknown("is_on_hold".into()));
    assert_eq!(status.as_str(), "is_on_hold");
    let invites = client.list_invites(&InviteQuery::new()).await.unwrap();
    let kind = &invites.items[0].resource.as_ref().unwrap().kind;
    assert_eq!(kind.as_str(), "venue");
    assert!(!kind.is_known());
}
