//! The eight things a new user could not do with the first facade, done
//! here with `event-invites`, `tokio` and `event-invites-fake` only: no
//! `futures`, no generated types, no base URLs or keys typed by hand.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use event_invites::artsvp::{Cursor, Dedupe, InviteQuery, NewInvite};
use event_invites::{
    Artsvp, AttemptEvent, ErrorKind, Observer, PacingEvent, RetryPolicy, TransportCause,
};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

/// 1. Tell a new invite from an existing one.
#[tokio::test]
async fn creates_say_whether_they_created() {
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    let client = fake.client();
    let event = fake.state().events[0].id.clone();
    let (created, existing) = downstream_example::invite_all(
        &client,
        &event,
        &["ann@example.com", "bo@example.com", "Ann@Example.com "],
    )
    .await
    .unwrap();
    assert_eq!((created, existing), (2, 1), "normalized emails dedupe");
    assert_eq!(fake.state().invites_of(&event).len(), 2);
}

/// 2. Use every stream with this crate alone, and resume one.
#[tokio::test]
async fn streams_need_nothing_but_this_crate() {
    let fake = FakeArtsvp::builder().invites(120).start().await.unwrap();
    let client = fake.client();
    let mut invites = client.invites(InviteQuery::new().limit(25));
    let mut first = Vec::new();
    while let Some(invite) = invites.try_next().await.unwrap() {
        first.push(invite.id);
        if first.len() == 30 {
            break;
        }
    }
    let rest = client
        .invites(InviteQuery::new().limit(25).cursor(invites.cursor()))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), 120, "nothing skipped or repeated");

    let event = fake.state().events[0].clone();
    let mut bookings = client.bookings_for_event(&event.code);
    let one = bookings
        .try_next()
        .await
        .unwrap()
        .expect("the event has bookings");
    assert_eq!(one.event_code.as_deref(), Some(event.code.as_str()));
    let after: Vec<_> = client
        .bookings(
            event_invites::artsvp::BookingQuery::new()
                .event(&event.code)
                .cursor(bookings.cursor()),
        )
        .collect_all()
        .await
        .unwrap();
    let all = client
        .bookings_for_event(&event.code)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        after.len() + 1,
        all.len(),
        "resumed exactly after the first"
    );
}

/// 3. See why a connection failed.
#[tokio::test]
async fn a_closed_port_says_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Artsvp::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .api_key("k")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Transport(TransportCause::ConnectionRefused)
    );
    assert!(err.to_string().contains("connection refused"), "{err}");
}

/// 4. Log errors safely: a body that does not decode is not quoted.
#[tokio::test]
async fn decode_errors_do_not_quote_guests() {
    let fake = FakeArtsvp::builder().invites(40).start().await.unwrap();
    let client = fake.client();
    fake.inject(FaultRule::new(Fault::MalformedJson).on("GET", "/invites"));
    let err = client.list_invites(&InviteQuery::new()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    for invite in fake.state().invites {
        for value in [invite.name, invite.email].into_iter().flatten() {
            assert!(!shown.contains(&value), "{value} in {shown}");
        }
    }
}

/// 5. Print a client.
#[tokio::test]
async fn a_client_prints_in_one_line() {
    let fake = FakeArtsvp::start().await.unwrap();
    let shown = format!("{:?}", fake.client());
    assert!(!shown.contains('\n') && shown.len() < 120, "{shown}");
    assert!(shown.contains("[redacted]") && !shown.contains(fake.api_key()));
}

/// 6. Point the facade at the fake, and read its state in the facade's
/// names (`event_code`, not the docs' `event_id`).
#[tokio::test]
async fn the_fake_hands_out_clients_and_facade_state() {
    let fake = FakeArtsvp::start().await.unwrap();
    let booking = fake.state().bookings.into_iter().next().unwrap();
    let fetched = fake.client().get_booking(&booking.id).await.unwrap();
    assert_eq!(fetched.event_code, booking.event_code);
}

/// 7. Per-call control and the response's facts.
#[tokio::test]
async fn one_call_can_change_its_timeout_retries_and_headers() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = fake.client();
    let event = fake.state().events[0].id.clone();
    let response = client
        .create_invite(
            &NewInvite::for_event(&event)
                .email("cy@example.com")
                .dedupe(Dedupe::Email),
        )
        .timeout(Duration::from_secs(5))
        .retry(RetryPolicy::none())
        .header("x-correlation-id", "import-7")
        .with_response()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.request_id().is_some());
    assert!(response.rate_limit().is_some_and(|r| r.remaining < 1000));
    let logged = fake.requests().last().unwrap();
    assert_eq!(logged.header("x-correlation-id"), Some("import-7"));
}

/// 8. Watch the client work without a tracing subscriber.
#[tokio::test]
async fn an_observer_counts_attempts_and_retries() {
    #[derive(Default)]
    struct Counts {
        attempts: AtomicU32,
        retries: AtomicU32,
        waits: Mutex<Vec<Duration>>,
    }
    impl Observer for Counts {
        fn attempt(&self, event: &AttemptEvent) {
            self.attempts.fetch_add(1, Ordering::Relaxed);
            if event.outcome.is_retry() {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
        }
        fn paced(&self, event: &PacingEvent) {
            self.waits.lock().unwrap().push(event.wait);
        }
    }
    let fake = FakeArtsvp::start().await.unwrap();
    let counts = std::sync::Arc::new(Counts::default());
    let client = fake
        .client_builder()
        .retry(RetryPolicy::new().base_delay(Duration::from_millis(5)))
        .observer(counts.clone())
        .build()
        .unwrap();
    fake.inject(FaultRule::new(Fault::Status(502)));
    client.list_events(&Cursor::Start).await.unwrap();
    assert_eq!(counts.attempts.load(Ordering::Relaxed), 2);
    assert_eq!(counts.retries.load(Ordering::Relaxed), 1);
    assert!(counts.waits.lock().unwrap().is_empty(), "no pacing needed");
}
