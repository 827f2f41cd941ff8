//! Building clients: a caller's own `reqwest::Client` still sends the key;
//! the user agent and the raw generated client are there.

mod common;

use event_invites::artsvp::Cursor;
use event_invites::{Artsvp, USER_AGENT};
use event_invites_fake::FakeArtsvp;

#[tokio::test]
async fn a_callers_http_client_still_sends_the_key() {
    let fake = FakeArtsvp::start().await.unwrap();
    let http = reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let client = fake.client_builder().http_client(http).build().unwrap();
    client
        .list_events(&Cursor::Start)
        .await
        .expect("authorized");
    let log = fake.requests().last().unwrap();
    assert_eq!(log.header("user-agent"), Some("my-app/1.0"));
    assert_eq!(log.header("authorization"), Some("[redacted]"));
}

#[tokio::test]
async fn the_default_user_agent_names_the_crate_and_version() {
    let fake = FakeArtsvp::start().await.unwrap();
    common::artsvp(&fake)
        .list_events(&Cursor::Start)
        .await
        .unwrap();
    assert_eq!(
        fake.requests().last().unwrap().header("user-agent"),
        Some(USER_AGENT)
    );
    assert!(USER_AGENT.starts_with("event-invites/0."));
}

#[tokio::test]
async fn the_raw_client_reaches_what_the_facade_does_not_wrap() {
    let (fake, client) = common::artsvp_fake().await;
    // The facade's own HTTP client carries the key: the raw client works.
    let events = client.raw().list_events().send().await.unwrap();
    assert_eq!(events.into_inner().data.len(), fake.events().len());
    let last = fake.requests().last().unwrap();
    // The fake's log redacts the key it received.
    assert_eq!(last.header("authorization"), Some("[redacted]"));
    assert_eq!(client.base_url(), fake.base_url());

    // With a caller's own client, raw() sends what that client sends: no
    // key unless it adds one, as the docs say.
    let own = fake
        .client_builder()
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let result = own.raw().list_events().send().await;
    assert_eq!(result.unwrap_err().status().map(|s| s.as_u16()), Some(401));
    own.list_events(&Default::default()).await.unwrap();
}

#[test]
fn clients_are_cheap_to_clone_and_thread_safe() {
    fn client<T: Clone + Send + Sync + 'static>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    client::<Artsvp>();
    client::<event_invites::SecureGate>();
    error::<event_invites::Error>();
}
