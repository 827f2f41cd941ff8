//! The retry rules, against the fake server: what is retried, what is not,
//! and what the server holds afterwards.

mod common;

use std::time::Duration;

use event_invites::artsvp::{Cursor, Dedupe, InviteQuery, InviteUpdate, NewInvite};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_invites::{BudgetEvent, ErrorKind, Observer, RetryBudget, RetryPolicy, TransportCause};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

async fn fake() -> FakeArtsvp {
    FakeArtsvp::builder().invites(5).start().await.unwrap()
}

fn holding(fake: &FakeArtsvp, email: &str) -> usize {
    fake.invites()
        .iter()
        .filter(|i| i.email.as_deref() == Some(email))
        .count()
}

#[tokio::test]
async fn zero_attempts_still_means_one() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::Status(503)).always());
    let policy = RetryPolicy::new().max_attempts(0);
    let err = common::artsvp_with(&fake, policy, None)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1, "{err}");
    assert_eq!(fake.requests().len(), 1);
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

/// A fake whose next create is applied, then its connection dropped; and
/// an event to create an invite for.
async fn losing_a_create_answer() -> (FakeArtsvp, String) {
    let fake = fake().await;
    let event = fake.events()[0].id.clone();
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write(),
    );
    (fake, event)
}

#[tokio::test]
async fn a_create_without_filter_whose_answer_is_lost_is_not_repeated() {
    let (fake, event) = losing_a_create_answer().await;
    let err = common::artsvp(&fake)
        .create_invite(&NewInvite::for_event(&event).email("once@example.com"))
        .await
        .unwrap_err();
    let ErrorKind::OutcomeUnknown { cause } = err.kind() else {
        panic!("{err:?}");
    };
    assert_eq!(
        cause, "connection closed before the response was complete",
        "it says what happened to the answer"
    );
    assert_eq!(common::posts(&fake), 1, "sent once");
    assert_eq!(
        holding(&fake, "once@example.com"),
        1,
        "the server holds exactly one"
    );
}

#[tokio::test]
async fn a_create_without_filter_that_times_out_is_not_repeated_and_its_outcome_is_unknown() {
    let fake = fake().await;
    let event = fake.events()[0].id.clone();
    fake.inject(FaultRule::new(Fault::Latency(Duration::from_secs(2))).on("POST", "/invites"));
    let err = common::artsvp(&fake)
        .create_invite(&NewInvite::for_event(&event).email("slow@example.com"))
        .attempt_timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    let ErrorKind::OutcomeUnknown { cause } = err.kind() else {
        panic!("{err:?}");
    };
    assert_eq!(cause, "the request timed out");
    assert_eq!(err.attempts(), 1, "sent once");
}

/// Retried (the filter makes that safe) until the attempts run out, a
/// create's error says what happened to the last answer, not that the
/// outcome is unknown: running it again is safe.
#[tokio::test]
async fn a_deduped_create_whose_answers_keep_failing_says_what_happened() {
    let fake = fake().await;
    let event = fake.events()[0].id.clone();
    let client = common::artsvp(&fake);
    let new = NewInvite::for_event(&event)
        .email("retried@example.com")
        .dedupe(Dedupe::Email);
    let slow = FaultRule::new(Fault::Latency(Duration::from_secs(2)));
    fake.inject(slow.on("POST", "/invites").always());
    let err = client
        .create_invite(&new)
        .attempt_timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout), "{err:?}");
    assert!(err.attempts() > 1, "retried: {err:?}");

    fake.clear_faults();
    let lost = FaultRule::new(Fault::DropConnection).on("POST", "/invites");
    fake.inject(lost.after_write().always());
    let err = client.create_invite(&new).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Transport(TransportCause::ConnectionClosed)
        ),
        "{err:?}"
    );
    assert!(err.attempts() > 1, "retried: {err:?}");
    assert_eq!(holding(&fake, "retried@example.com"), 1, "one invite");
}

#[tokio::test]
async fn a_create_with_filter_whose_answer_is_lost_is_repeated_safely() {
    let (fake, event) = losing_a_create_answer().await;
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
    assert_eq!(common::posts(&fake), 2);
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
    let err = common::create_on_first_event(&fake, "g@example.com")
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
    common::create_on_first_event(&fake, "r@example.com")
        .await
        .unwrap();
    assert_eq!(common::posts(&fake), 2);
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

#[derive(Default)]
struct EmptyBudgets(AtomicUsize);

impl Observer for EmptyBudgets {
    fn budget_empty(&self, event: &BudgetEvent) {
        assert_eq!(event.api, "ARTSVP");
        assert!(event.tokens_left < 5, "{event:?}");
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn the_retry_budget_is_shared_by_clones_and_stops_retrying_when_spent() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::Status(503)).always());
    let seen = Arc::new(EmptyBudgets::default());
    let client = common::artsvp_builder(&fake)
        .retry_budget(RetryBudget::new().capacity(10))
        .observer(seen.clone())
        .build()
        .unwrap();
    assert_eq!(client.retry_tokens(), Some(10));

    // Two retries (5 tokens each), then the budget cannot pay a third.
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(err.attempts(), 3, "{err:?}");
    assert!(err.is_retry_budget_spent());
    assert!(err.is_retryable(), "a later call may still succeed");
    assert!(err.to_string().contains("retry budget is spent"), "{err}");
    assert_eq!(client.retry_tokens(), Some(0));

    // A clone shares the budget: one attempt, no retry.
    let clone = client.clone();
    let err = clone.get_event("eve-1").await.unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(err.is_retry_budget_spent());
    assert_eq!(seen.0.load(Ordering::Relaxed), 2, "the observer saw both");
    assert_eq!(fake.requests().len(), 4);

    // Successes refill it, one token each, up to a retry's cost.
    fake.clear_faults();
    for _ in 0..5 {
        client.list_events(&Cursor::Start).await.unwrap();
    }
    assert_eq!(client.retry_tokens(), Some(5));
    fake.inject(FaultRule::new(Fault::Status(503)));
    let events = client.list_events(&Cursor::Start).await.unwrap();
    assert!(!events.items.is_empty(), "one retry paid for again");
    assert_eq!(client.retry_tokens(), Some(5), "its cost came back");
}

#[tokio::test]
async fn a_disabled_budget_lets_every_call_retry_in_full() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::Status(503)).always());
    let client = common::artsvp_builder(&fake)
        .retry_budget(RetryBudget::disabled())
        .build()
        .unwrap();
    assert_eq!(client.retry_tokens(), None);
    for _ in 0..8 {
        let err = client.list_events(&Cursor::Start).await.unwrap_err();
        assert_eq!(err.attempts(), 4);
        assert!(!err.is_retry_budget_spent());
    }
}

#[tokio::test]
async fn a_429_costs_no_budget() {
    let fake = fake().await;
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 0 }).times(3));
    let client = common::artsvp_builder(&fake)
        .retry_budget(RetryBudget::new().capacity(0))
        .build()
        .unwrap();
    let response = client
        .list_events(&Cursor::Start)
        .with_response()
        .await
        .unwrap();
    assert_eq!(
        response.attempts(),
        4,
        "three 429s waited out with an empty budget"
    );
}
