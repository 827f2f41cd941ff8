//! JSON Schemas of the facade's public models (the `schemars` feature of
//! `event-invites`, which this crate turns on), snapshotted so that a change
//! to a model's shape is reviewed.

use event_invites::artsvp::{BatchResult, Booking, Invite, InviteDetail, Usage};
use event_invites::securegate::InviteStats;

#[test]
fn schemas() {
    insta::assert_json_snapshot!(
        "schema_securegate_invite",
        schemars::schema_for!(event_invites::securegate::Invite)
    );
    insta::assert_json_snapshot!(
        "schema_securegate_invite_stats",
        schemars::schema_for!(InviteStats)
    );
    insta::assert_json_snapshot!("schema_artsvp_invite", schemars::schema_for!(Invite));
    insta::assert_json_snapshot!(
        "schema_artsvp_invite_detail",
        schemars::schema_for!(InviteDetail)
    );
    insta::assert_json_snapshot!("schema_artsvp_booking", schemars::schema_for!(Booking));
    insta::assert_json_snapshot!(
        "schema_artsvp_batch_result",
        schemars::schema_for!(BatchResult)
    );
    insta::assert_json_snapshot!(
        "schema_artsvp_event",
        schemars::schema_for!(event_invites::artsvp::Event)
    );
    insta::assert_json_snapshot!(
        "schema_artsvp_collection",
        schemars::schema_for!(event_invites::artsvp::Collection)
    );
    insta::assert_json_snapshot!("schema_usage", schemars::schema_for!(Usage));
}
