//! Every error variant, provoked through the fake servers (or, for the
//! ones that never reach a server, through bad input).

mod common;

use std::time::Duration;

use event_invites::artsvp::{Cursor, InviteQuery, NewInvite};
use event_invites::{Artsvp, Error, RetryPolicy, SecureGate};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

fn no_retries(fake: &FakeArtsvp) -> Artsvp {
    common::artsvp_with(fake, RetryPolicy::none(), None)
}

#[tokio::test]
async fn unauthorized() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = Artsvp::builder()
        .base_url(fake.base_url())
        .api_key("wrong_key")
        .build()
        .unwrap();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                operation: "list_events",
                status: 401,
                attempts: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "list_events: the API key was not accepted (HTTP 401); check the key and its permissions"
    );
}

#[tokio::test]
async fn not_found() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = no_retries(&fake).get_booking("boo-nope").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound {
                operation: "get_booking",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().contains("no booking `boo-nope`"), "{err}");
}

#[tokio::test]
async fn validation_with_the_servers_details() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = no_retries(&fake)
        .list_invites(&InviteQuery::new().cursor(Cursor::After("inv-never".into())))
        .await
        .unwrap_err();
    match &err {
        Error::Validation {
            status, message, ..
        } => {
            assert_eq!(*status, 400);
            assert!(message.as_deref().unwrap().contains("inv-never"), "{err}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn rate_limited_with_the_wait_the_server_asked_for() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 120 }));
    // The server asks for longer than the policy waits: no wait, an error
    // that carries the wait.
    let err = common::artsvp(&fake)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err();
    match err {
        Error::RateLimited {
            retry_after,
            attempts,
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
            assert_eq!(attempts, 1);
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
}

#[tokio::test]
async fn server_error_and_unexpected_status() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = common::artsvp(&fake);
    fake.inject(FaultRule::new(Fault::Status(500)));
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Server {
                status: 500,
                attempts: 1,
                ..
            }
        ),
        "500 is not retried: {err:?}"
    );
    assert!(!err.is_retryable());

    fake.inject(FaultRule::new(Fault::Status(418)));
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedStatus { status: 418, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn timeout() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::Latency(Duration::from_secs(3))).always());
    let client = Artsvp::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .request_timeout(Duration::from_millis(100))
        .retry(
            RetryPolicy::new()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { attempts: 2, .. }),
        "a read is retried: {err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn transport() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::DropConnection).always());
    let err = common::artsvp(&fake)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn decode_names_the_operation_status_and_body() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::MalformedJson));
    let err = common::artsvp(&fake)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            operation,
            status,
            excerpt,
            ..
        } => {
            assert_eq!(*operation, "list_events");
            assert_eq!(*status, Some(200));
            assert!(excerpt.starts_with('{'), "{excerpt}");
            assert!(excerpt.chars().count() <= 200);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(err.attempts(), 1);

    // After a retried 503, the decode error counts both attempts.
    fake.inject(FaultRule::new(Fault::Status(503)));
    fake.inject(FaultRule::new(Fault::MalformedJson));
    let err = common::artsvp(&fake)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err();
    match &err {
        Error::Decode { attempts, .. } => assert_eq!(*attempts, 2),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn outcome_unknown() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write(),
    );
    let err = common::artsvp(&fake)
        .create_invite(&NewInvite::for_event(fake.events()[0].id.clone()).email("x@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("outcome is unknown"), "{err}");
}

#[tokio::test]
async fn invalid_request_and_config() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = common::artsvp(&fake).get_event("").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidRequest {
                operation: "get_event",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 0);

    for built in [
        Artsvp::builder().api_key("").build().map(|_| ()),
        Artsvp::builder().api_key("has space").build().map(|_| ()),
        Artsvp::builder().build().map(|_| ()),
        Artsvp::builder()
            .api_key("k")
            .base_url("ftp://x")
            .build()
            .map(|_| ()),
        Artsvp::builder()
            .api_key("k")
            .base_url("not a url")
            .build()
            .map(|_| ()),
        SecureGate::new("").map(|_| ()),
    ] {
        let err = built.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert_eq!(err.operation(), None);
    }
}
