//! The retry rules, against the fake server: what is retried, what is not,
//! and what the server holds afterwards.

mod common;

use std::time::Duration;

use event_invites::artsvp::{Cursor, Dedupe, InviteQuery, InviteUpdate, NewInvite};
use event_invites::{ErrorKind, RetryPolicy};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

async fn fake() -> FakeArtsvp {
    FakeArtsvp::builder().invites(5).start().await.unwrap()
}

fn posts(fake: &FakeArtsvp) -> usize {
    fake.requests()
        .entries()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

fn holding(fake: &FakeArtsvp, email: &str) -> usize {
    fake.invites()
        .iter()
        .filter(|i| i.email.as_deref() == Some(email))
        .count()
}

#[tokio::test]
async fn gateway_errors_on_reads_are_retried() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::Status(503)).times(2));
    let page = common::artsvp(&fake)
        .list_invites(&InviteQuery::new())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_429_waits_what_retry_after_says_then_succeeds() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 1 }));
    let client = common::artsvp(&fake);
    client.list_events(&Cursor::Start).await.unwrap();
    let log = fake.requests().entries();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, Some(429));
    assert_eq!(log[1].status, Some(200));
}

#[tokio::test]
async fn patch_and_delete_are_retried() {
    let fake = fake().await;
    let client = common::artsvp(&fake);
    let invite = fake.invites()[0].id.clone();
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("PATCH", "/invites/{id}")
            .after_write(),
    );
    let updated = client
        .update_invite(&invite, &InviteUpdate::new().total_count(7))
        .await
        .unwrap();
    assert_eq!(updated.usage.limit, Some(7));

    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("DELETE", "/invites/{id}")
            .after_write(),
    );
    client
        .delete_invite(&invite)
        .await
        .expect("the retry finds it gone: deleted");
    assert!(fake.invite(&invite).is_none());
}

#[tokio::test]
async fn a_create_without_filter_whose_answer_is_lost_is_not_repeated() {
    let fake = fake().await;
    let event = fake.events()[0].id.clone();
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write(),
    );
    let err = common::artsvp(&fake)
        .create_invite(&NewInvite::for_event(&event).email("once@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::OutcomeUnknown { .. }),
        "{err:?}"
    );
    assert_eq!(posts(&fake), 1, "sent once");
    assert_eq!(
        holding(&fake, "once@example.com"),
        1,
        "the server holds exactly one"
    );
}

#[tokio::test]
async fn a_create_with_filter_whose_answer_is_lost_is_repeated_safely() {
    let fake = fake().await;
    let event = fake.events()[0].id.clone();
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write(),
    );
    let response = common::artsvp(&fake)
        .create_invite(
            &NewInvite::for_event(&event)
                .email("deduped@example.com")
                .dedupe(Dedupe::Email),
        )
        .with_response()
        .await
        .expect("the retry returns the invite the first attempt made");
    assert_eq!(response.attempts(), 2, "the response says it was retried");
    let invite = response.into_value().into_inner();
    assert_eq!(posts(&fake), 2);
    assert_eq!(
        holding(&fake, "deduped@example.com"),
        1,
        "the server holds exactly one"
    );
    assert_eq!(
        fake.invite(&invite.id).unwrap().email.as_deref(),
        Some("deduped@example.com")
    );
}

#[tokio::test]
async fn a_gateway_error_on_an_unfiltered_create_is_not_repeated() {
    let fake = fake().await;
    fake.inject(
        FaultRule::new(Fault::Status(502))
            .on("POST", "/invites")
            .after_write(),
    );
    let err = common::artsvp(&fake)
        .create_invite(&NewInvite::for_event(fake.events()[0].id.clone()).email("g@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Server, "{err:?}");
    assert_eq!((err.status(), err.attempts()), (Some(502), 1));
    assert_eq!(holding(&fake, "g@example.com"), 1);
}

#[tokio::test]
async fn a_429_on_a_create_is_repeated_because_nothing_was_done() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 0 }).on("POST", "/invites"));
    common::artsvp(&fake)
        .create_invite(&NewInvite::for_event(fake.events()[0].id.clone()).email("r@example.com"))
        .await
        .unwrap();
    assert_eq!(posts(&fake), 2);
    assert_eq!(holding(&fake, "r@example.com"), 1);
}

#[tokio::test]
async fn a_connection_that_never_opens_is_retried_even_for_creates() {
    let fake = fake().await;
    let client = common::artsvp(&fake);
    let event = fake.events()[0].id.clone();
    fake.shutdown().await;
    let err = client
        .create_invite(&NewInvite::for_event(&event).email("z@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Transport(_)) && err.attempts() == 4,
        "{err:?}"
    );
}

#[tokio::test]
async fn the_attempt_count_and_budget_are_honoured() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::Status(503)).always());
    let client = common::artsvp_with(
        &fake,
        RetryPolicy::new()
            .max_attempts(3)
            .base_delay(Duration::from_millis(1)),
        None,
    );
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(fake.requests().len(), 3);

    fake.requests().clear();
    let tight = common::artsvp_with(
        &fake,
        RetryPolicy::new()
            .max_attempts(50)
            .base_delay(Duration::from_millis(400))
            .budget(Duration::from_millis(300)),
        None,
    );
    let err = tight.list_events(&Cursor::Start).await.unwrap_err();
    assert!(
        err.attempts() < 50,
        "the budget stopped it after {} attempts",
        err.attempts()
    );
}
