//! The SecureGate facade against the fake server.

mod common;

use event_invites::ErrorKind;
use event_invites::securegate::{AuthenticationMethod, CountryCode, InviteStatus};
use event_invites_fake::{FakeSecureGate, Fault, FaultRule};

#[tokio::test]
async fn invites_come_back_typed_and_filtered() {
    let fake = FakeSecureGate::start().await.unwrap();
    let client = common::securegate(&fake);
    let event = fake.event_ids()[0].clone();
    let all = client.invites(&event).await.unwrap();
    assert_eq!(all.len(), fake.invites(&event).len());
    assert!(
        all.iter()
            .all(|i| i.status.is_known() && i.country_code.is_known())
    );
    assert!(
        all.iter()
            .any(|i| i.authentication_method == AuthenticationMethod::QrCode)
    );
    assert!(
        all.iter()
            .any(|i| i.country_code == CountryCode::CaymanIslands)
    );
    let first = &all[0];
    assert_eq!(
        first.full_name(),
        format!("{} {}", first.first_name, first.last_name)
    );

    let accepted = client
        .invites_with_status(&event, InviteStatus::Accepted)
        .await
        .unwrap();
    assert!(!accepted.is_empty());
    assert!(accepted.iter().all(|i| i.status == InviteStatus::Accepted));
    let log = fake.requests().last().unwrap();
    assert_eq!(log.query.as_deref(), Some("status=accepted"));
    assert_eq!(
        log.header("x-api-key"),
        Some("[redacted]"),
        "the key was sent"
    );
    assert!(
        log.header("user-agent")
            .unwrap()
            .starts_with("event-invites/")
    );
}

#[tokio::test]
async fn unknown_enum_values_parse_and_keep_their_text() {
    let fake = FakeSecureGate::start().await.unwrap();
    fake.inject(FaultRule::new(Fault::UnknownEnumValue));
    let invites = common::securegate(&fake)
        .invites(&fake.event_ids()[0])
        .await
        .unwrap();
    let invite = &invites[0];
    assert_eq!(invite.status, InviteStatus::Unknown("expired".into()));
    assert_eq!(invite.status.as_str(), "expired");
    assert_eq!(invite.authentication_method.as_str(), "Retina Scan");
    assert_eq!(invite.country_code.as_str(), "999");
    assert!(!invite.country_code.is_known());
}

#[tokio::test]
async fn filtering_by_an_unknown_status_is_refused_before_sending() {
    let fake = FakeSecureGate::start().await.unwrap();
    let err = common::securegate(&fake)
        .invites_with_status("event-x", InviteStatus::from("expired"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
        "{err}"
    );
    assert_eq!(err.operation(), Some("get_invites"));
    assert!(fake.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let fake = FakeSecureGate::start().await.unwrap();
    let client = fake
        .client_builder()
        .api_key("sg_wrong_key")
        .build()
        .unwrap();
    let err = client.invites(&fake.event_ids()[0]).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unauthorized), "{err}");
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
}
