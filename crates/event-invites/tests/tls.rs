//! HTTPS against the fake servers' own certificates (made at start): a
//! trusted private CA works; an unknown issuer, a certificate for another
//! name and an expired one each fail as TLS failures, with rustls's reason
//! named, after exactly one connection. Every server listens on loopback; the "remote"
//! name is resolved to loopback by the client itself. CI runs this file
//! with the default `rustls` and again with `--features native-tls`
//! (reqwest then uses the platform's TLS).

mod common;

use std::net::SocketAddr;

use event_invites::{ClientBuilder, ErrorKind, SecureGate, Sent, TlsProblem, TransportCause};
use event_invites_fake::{FakeSecureGate, FakeTls};

async fn fake(tls: FakeTls) -> FakeSecureGate {
    FakeSecureGate::builder().tls(tls).start().await.unwrap()
}

fn port(fake: &FakeSecureGate) -> u16 {
    fake.base_url().rsplit(':').next().unwrap().parse().unwrap()
}

/// A client builder for `fake` at `https://guests.example.test:PORT`, the
/// name resolved to the fake's loopback address by the client itself.
fn as_remote_name(fake: &FakeSecureGate) -> event_invites::ClientBuilder<SecureGate> {
    let port = port(fake);
    fake.client_builder()
        .base_url(format!("https://guests.example.test:{port}"))
        .resolve(
            "guests.example.test",
            SocketAddr::from(([127, 0, 0, 1], port)),
        )
}

/// What a call to a client `client` builds (with quick retries) fails
/// with, checked to have made one attempt over one connection, sending
/// nothing.
async fn tls_failure(fake: &FakeSecureGate, client: ClientBuilder<SecureGate>) -> TlsProblem {
    let client = client.retry(common::quick_retries()).build().unwrap();
    let event = fake.event_ids()[0].clone();
    let err = client.guest_list(&event).await.unwrap_err();
    let ErrorKind::Transport(TransportCause::Tls(problem)) = err.kind() else {
        panic!("expected a TLS failure, got {err}");
    };
    assert_eq!(err.attempts(), 1, "{err}");
    assert_eq!(fake.connections(), 1, "one connection: {err}");
    assert_eq!(err.was_sent(), Sent::No);
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains(&format!("TLS handshake failed after 1 attempt: {problem}")),
        "{text}"
    );
    assert!(!text.contains(fake.api_key()), "{text}");
    assert!(fake.requests().is_empty(), "no request was read");
    let chain = format!("{err:?}");
    if cfg!(feature = "native-tls") {
        assert!(chain.contains("certificate verify failed"), "{chain}");
    } else {
        assert!(chain.contains("invalid peer certificate"), "{chain}");
    }
    *problem
}

/// The problem a TLS failure names: rustls's typed reason; with
/// `native-tls` on (reqwest then uses it), `Other`, as native-tls's error
/// has a type but no typed reason (OpenSSL's verify result is kept only in
/// its words, which the facade does not read).
fn named(rustls_reason: TlsProblem) -> TlsProblem {
    if cfg!(feature = "native-tls") {
        TlsProblem::Other
    } else {
        rustls_reason
    }
}

#[tokio::test]
async fn a_fake_serving_https_is_reached_with_its_ca_trusted() {
    let fake = fake(FakeTls::new()).await;
    assert!(fake.base_url().starts_with("https://127.0.0.1:"));
    let guests = fake
        .client()
        .guest_list(&fake.event_ids()[0])
        .await
        .unwrap();
    assert!(!guests.is_empty());
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_certificate_from_an_unknown_issuer_is_refused_naming_it() {
    let fake = fake(FakeTls::new()).await;
    // Another CA is trusted (so the trust store is never empty), not this
    // fake's.
    let other = self::fake(FakeTls::new()).await;
    let client = SecureGate::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .root_certificate_pem(other.ca_certificate_pem().unwrap());
    assert_eq!(
        tls_failure(&fake, client).await,
        named(TlsProblem::UnknownIssuer)
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_naming_it() {
    let fake = fake(FakeTls::new()).await;
    let client = as_remote_name(&fake);
    assert_eq!(
        tls_failure(&fake, client).await,
        named(TlsProblem::NameMismatch)
    );
}

#[tokio::test]
async fn an_expired_certificate_is_refused_naming_it() {
    let fake = fake(FakeTls::new().expired()).await;
    let client = fake.client_builder();
    assert_eq!(tls_failure(&fake, client).await, named(TlsProblem::Expired));
}

#[tokio::test]
async fn a_remote_name_in_the_certificate_is_served_through_a_pinned_address() {
    let fake = fake(FakeTls::new().names(["guests.example.test"])).await;
    let client = as_remote_name(&fake).build().unwrap();
    client.guest_list(&fake.event_ids()[0]).await.unwrap();
}

#[tokio::test]
async fn a_root_certificate_that_is_not_pem_is_a_configuration_error() {
    let err = SecureGate::builder()
        .api_key("k")
        .root_certificate_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err}");
    assert!(err.to_string().contains("not a PEM certificate"), "{err}");
}
