//! Bad caller input: awkward ids reach the right resource, percent-encoded,
//! or get a typed error before sending; none reaches another route.

mod common;

use event_invites::ErrorKind;
use event_invites::artsvp::{InviteQuery, InviteUpdate};
use event_invites_fake::FakeSecureGate;

const AWKWARD: &[&str] = &[
    "a/b",
    "a?b=c",
    "a#b",
    "a b",
    "ünïcødé",
    "..a",
    "a..b",
    "%2F",
    "inv-1/../../events",
    "a;b",
];

#[tokio::test]
async fn awkward_ids_reach_the_invite_route_and_nothing_else() {
    let (fake, client) = common::artsvp_fake().await;
    for id in AWKWARD {
        let err = client.get_invite(id).await.unwrap_err();
        match err.kind() {
            ErrorKind::NotFound { message } => {
                let message = message.as_deref().unwrap_or_default();
                assert!(
                    message.contains(&format!("`{id}`")),
                    "{id}: the server saw another id: {message}"
                );
            }
            other => panic!("{id}: expected not found, got {other:?}"),
        }
        let err = client
            .update_invite(id, &InviteUpdate::new().golden(true))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::NotFound { .. }),
            "{id}: {err:?}"
        );
    }
    for request in fake.requests().entries() {
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        assert_eq!(segments.len(), 2, "{} reached another route", request.path);
        assert_eq!(segments[0], "invites");
    }
    assert_eq!(fake.requests().len(), AWKWARD.len() * 2);
}

#[tokio::test]
async fn ids_that_would_change_the_route_are_refused_before_sending() {
    let (fake, client) = common::artsvp_fake().await;
    for id in ["", ".", "..", "a\\b"] {
        for result in [
            client.get_invite(id).await.map(|_| ()),
            client.delete_invite(id).await,
            client.get_event(id).await.map(|_| ()),
            client.get_booking(id).await.map(|_| ()),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
                "{id:?}: {err:?}"
            );
        }
    }
    let sg = FakeSecureGate::start().await.unwrap();
    let err = common::securegate(&sg).invites("..").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
        "{err:?}"
    );
    assert!(
        fake.requests().is_empty() && sg.requests().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_limit_outside_1_to_100_is_refused_before_sending() {
    let (fake, client) = common::artsvp_fake().await;
    for limit in [0u8, 101, 255] {
        let err = client
            .list_invites(&InviteQuery::new().limit(limit))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
            "{limit}: {err:?}"
        );
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn an_awkward_securegate_event_id_reaches_its_route() {
    let fake = FakeSecureGate::start().await.unwrap();
    let client = common::securegate(&fake);
    for id in AWKWARD {
        let invites = client.invites(id).await.unwrap();
        assert!(invites.is_empty(), "{id}: an unknown event has no invites");
    }
    for request in fake.requests().entries() {
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        assert_eq!(
            (segments.len(), segments[0], segments[2]),
            (3, "events", "invites"),
            "{}",
            request.path
        );
    }
}
