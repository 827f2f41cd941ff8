//! Facade clients pointed at the fake servers.

#![allow(dead_code)]

use std::time::Duration;

use event_invites::artsvp::{CreateOutcome, Invite, NewInvite};
use event_invites::{Artsvp, ClientBuilder, Error, Quota, RetryPolicy, SecureGate};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule};

/// The URL of a loopback port that was just free: nothing listens there,
/// so a connection to it is refused.
pub fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Retries that wait milliseconds, not seconds, so tests stay fast.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_secs(3))
        .budget(Duration::from_secs(10))
}

/// A builder for a client of `fake` with [`quick_retries`] and no client
/// quota (the fake's own limit, if any, still answers 429).
pub fn artsvp_builder(fake: &FakeArtsvp) -> ClientBuilder<Artsvp> {
    fake.client_builder().retry(quick_retries()).quota(None)
}

/// A fake ARTSVP with its seeded data that answers every request only
/// after `latency`.
pub async fn slow_artsvp(latency: Duration) -> FakeArtsvp {
    let fake = FakeArtsvp::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::Latency(latency)).always());
    fake
}

/// A fake ARTSVP with its seeded data, and an [`artsvp`] client of it.
pub async fn artsvp_fake() -> (FakeArtsvp, Artsvp) {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = artsvp(&fake);
    (fake, client)
}

pub fn artsvp(fake: &FakeArtsvp) -> Artsvp {
    artsvp_builder(fake).build().unwrap()
}

pub fn artsvp_with(fake: &FakeArtsvp, retry: RetryPolicy, quota: Option<Quota>) -> Artsvp {
    fake.client_builder()
        .retry(retry)
        .quota(quota)
        .build()
        .unwrap()
}

pub fn securegate(fake: &FakeSecureGate) -> SecureGate {
    fake.client_builder()
        .retry(quick_retries())
        .build()
        .unwrap()
}

/// Creates an invite for `email` on the fake's first event, through a
/// client from [`artsvp`].
pub async fn create_on_first_event(
    fake: &FakeArtsvp,
    email: &str,
) -> Result<CreateOutcome<Invite>, Error> {
    let event = fake.events()[0].id.clone();
    artsvp(fake)
        .create_invite(&NewInvite::for_event(event).email(email))
        .await
}

/// The creates (`POST`s) the fake has answered so far.
pub fn posts(fake: &FakeArtsvp) -> usize {
    fake.requests().count(|r| r.method == "POST")
}
