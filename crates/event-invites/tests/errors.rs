//! Every error variant, provoked through the fake servers (or, for the
//! ones that never reach a server, through bad input).

mod common;

use std::time::Duration;

use event_invites::artsvp::{Cursor, InviteQuery};
use event_invites::{
    Artsvp, Error, ErrorKind, RetryPolicy, SecureGate, Sent, Service, TransportCause,
};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

fn no_retries(fake: &FakeArtsvp) -> Artsvp {
    common::artsvp_with(fake, RetryPolicy::none(), None)
}

/// The error listing events ends with, retried as the tests retry.
async fn list_error(fake: &FakeArtsvp) -> Error {
    common::artsvp(fake)
        .list_events(&Cursor::Start)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn unauthorized() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = fake.client_builder().api_key("wrong_key").build().unwrap();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{err:?}");
    assert_eq!(
        (err.operation(), err.status(), err.attempts()),
        (Some("list_events"), Some(401), 1)
    );
    let host = fake.base_url().trim_start_matches("http://").to_string();
    assert_eq!(
        err.to_string(),
        format!(
            "ARTSVP list_events ({host}): the API key was not accepted (HTTP 401); check the key \
             and its permissions [request id req_00000001]"
        )
    );
    assert_eq!(err.api(), Some(Service::Artsvp));
    assert_eq!(err.host(), Some(host.as_str()));
    assert_eq!(err.was_sent(), Sent::Yes);
    assert!(!err.to_string().contains("wrong_key"));
}

#[tokio::test]
async fn not_found() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = no_retries(&fake).get_booking("boo-nope").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotFound { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("get_booking"));
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
    assert_eq!(err.status(), Some(400));
    match err.kind() {
        ErrorKind::Validation { message, .. } => {
            assert!(message.as_deref().unwrap().contains("inv-never"), "{err}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_empty_cursor_is_refused_before_sending() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = no_retries(&fake)
        .list_invites(&InviteQuery::new().cursor(Cursor::Before(String::new())))
        .await
        .unwrap_err();
    match err.kind() {
        ErrorKind::InvalidRequest { message } => {
            assert!(message.contains("ending_before"), "{err}");
        }
        other => panic!("expected an invalid request, got {other:?}"),
    }
    assert_eq!(err.attempts(), 0, "nothing sent");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn rate_limited_with_the_wait_the_server_asked_for() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 120 }));
    // The server asks for longer than the policy waits: no wait, an error
    // that carries the wait.
    let err = list_error(&fake).await;
    assert_eq!(err.attempts(), 1);
    match err.kind() {
        ErrorKind::RateLimited { retry_after } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(120)));
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
}

#[tokio::test]
async fn server_error_and_unexpected_status() {
    let (fake, client) = common::artsvp_fake().await;
    fake.inject(FaultRule::new(Fault::Status(500)));
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Server);
    assert_eq!(
        (err.status(), err.attempts()),
        (Some(500), 1),
        "500 is not retried: {err:?}"
    );
    assert!(!err.is_retryable());

    fake.inject(FaultRule::new(Fault::Status(418)));
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnexpectedStatus, "{err:?}");
    assert_eq!(err.status(), Some(418));
}

#[tokio::test]
async fn timeout() {
    let fake = common::slow_artsvp(Duration::from_secs(3)).await;
    let client = fake
        .client_builder()
        .request_timeout(Duration::from_millis(100))
        .retry(
            RetryPolicy::new()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.attempts(), 2, "a read is retried");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn transport() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::DropConnection).always());
    let err = list_error(&fake).await;
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err:?}");
    assert_eq!(err.attempts(), 4);
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn connection_refused_names_its_root_cause_in_one_line() {
    let url = common::closed_port_url();
    let client = Artsvp::builder()
        .base_url(format!("{url}/api/v2?secret=no"))
        .api_key("k")
        .retry(common::quick_retries())
        .build()
        .unwrap();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Transport(TransportCause::ConnectionRefused),
        "{err:?}"
    );
    // The host and port; never the base URL's path or query.
    let host = url.trim_start_matches("http://");
    assert_eq!(
        err.to_string(),
        format!("ARTSVP list_events ({host}): connection refused after 4 attempts")
    );
    assert_eq!(err.was_sent(), Sent::No);
    assert!(err.is_retryable(), "nothing reached the server");
    assert!(!err.to_string().contains('\n'));
}

#[tokio::test]
async fn decode_names_the_operation_status_and_body() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::MalformedJson));
    let err = list_error(&fake).await;
    match err.kind() {
        ErrorKind::Decode(problem) => {
            assert!(problem.offset.is_some(), "{problem}");
            assert!(
                problem.problem.starts_with("EOF while parsing"),
                "{problem}"
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(err.operation(), Some("list_events"));
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.attempts(), 1);

    // After a retried 503, the decode error counts both attempts.
    fake.inject(FaultRule::new(Fault::Status(503)));
    fake.inject(FaultRule::new(Fault::MalformedJson));
    let err = list_error(&fake).await;
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn outcome_unknown() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write(),
    );
    let err = common::create_on_first_event(&fake, "x@example.com")
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(err.attempts(), 1);
    assert!(err.to_string().contains("outcome is unknown"), "{err}");
}

#[tokio::test]
async fn invalid_request_and_config() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = common::artsvp(&fake).get_event("").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
        "{err:?}"
    );
    assert_eq!(err.operation(), Some("get_event"));
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
        assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
        assert_eq!(err.operation(), None);
    }
}

#[tokio::test]
async fn an_error_answer_whose_body_does_not_decode_keeps_its_status() {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::MalformedJson).on("GET", "/events/{id}"));
    let err = no_retries(&fake)
        .get_event("eve-missing")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NotFound { .. }),
        "a 404 is a 404 whatever its body: {err:?}"
    );
    assert_eq!(err.status(), Some(404));
    // A success whose body does not decode is a decode error.
    fake.inject(FaultRule::new(Fault::MalformedJson).on("GET", "/events/{id}"));
    let id = fake.events()[0].id.clone();
    let err = no_retries(&fake).get_event(&id).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
}
