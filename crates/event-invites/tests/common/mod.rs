//! Facade clients pointed at the fake servers.

#![allow(dead_code)]

use std::time::Duration;

use event_invites::{Artsvp, Quota, RetryPolicy, SecureGate};
use event_invites_fake::{FakeArtsvp, FakeSecureGate};

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

pub fn artsvp(fake: &FakeArtsvp) -> Artsvp {
    Artsvp::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .retry(quick_retries())
        .quota(None)
        .build()
        .unwrap()
}

pub fn artsvp_with(fake: &FakeArtsvp, retry: RetryPolicy, quota: Option<Quota>) -> Artsvp {
    Artsvp::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .retry(retry)
        .quota(quota)
        .build()
        .unwrap()
}

pub fn securegate(fake: &FakeSecureGate) -> SecureGate {
    SecureGate::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .retry(quick_retries())
        .build()
        .unwrap()
}

/// The creates (`POST`s) the fake has answered so far.
pub fn posts(fake: &FakeArtsvp) -> usize {
    fake.requests()
        .entries()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}
