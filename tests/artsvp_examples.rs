//! The ARTSVP docs' JSON examples are the acceptance test of
//! `specs/artsvp.yaml` and of the generated `artsvp-api` types: each one is a
//! fixture under `tests/fixtures/artsvp/`, is embedded in the spec (where
//! Redocly validates it against the schema), decodes into its generated type
//! (snapshotted), and survives a round trip back to JSON without losing a
//! field the docs show.

use std::collections::BTreeSet;
use std::fmt::Debug;

use artsvp_api::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use workspace_tests::{doc_json_examples, missing_fields, read_vendor_doc};

const DOCS: &str = "artsvp-api-v2.md";

fn fixture(name: &str) -> Value {
    let path = xtask::workspace_root().join(format!("tests/fixtures/artsvp/{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn spec() -> Value {
    xtask::codegen::read_yaml(&xtask::workspace_root(), "specs/artsvp.yaml".as_ref())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The fixture `name` is the docs' example, is embedded in the spec at
/// `pointer`, decodes into `T`, round-trips, and matches its snapshot.
fn accept<T: DeserializeOwned + Serialize + Debug>(name: &str, pointer: &str) {
    let expected = fixture(name);
    let docs = doc_json_examples(&read_vendor_doc(DOCS));
    let from_docs = docs
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("the docs have no example named {name}"));
    assert_eq!(
        from_docs.value, expected,
        "tests/fixtures/artsvp/{name}.json differs from the docs' example under \"{}\"",
        from_docs.heading
    );
    let embedded = spec()
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("specs/artsvp.yaml has no example at {pointer}"));
    assert_eq!(
        embedded, expected,
        "the example embedded in specs/artsvp.yaml at {pointer} differs from {name}.json"
    );

    let typed: T = serde_json::from_value(expected.clone()).unwrap_or_else(|e| {
        panic!(
            "{name}.json does not decode into {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let back = serde_json::to_value(&typed).unwrap();
    let lost = missing_fields(&expected, &back);
    assert!(
        lost.is_empty(),
        "{name}: the round trip lost or changed {lost:?}"
    );
    insta::assert_debug_snapshot!(name, typed);
}

const OK_EXAMPLE: &str = "/responses/200/content/application~1json/examples/docs/value";

macro_rules! acceptance {
    ($($test:ident: $ty:ty = $name:literal at $path:literal $($method:literal)?;)*) => {
        $(
            #[test]
            fn $test() {
                let pointer = acceptance!(@pointer $path $($method)?);
                accept::<$ty>($name, &pointer);
            }
        )*

        /// Every JSON example of the docs has a fixture and a test above.
        #[test]
        fn every_docs_example_is_accepted() {
            let covered: BTreeSet<&str> = [$($name),*].into_iter().collect();
            let in_docs: BTreeSet<String> = doc_json_examples(&read_vendor_doc(DOCS))
                .into_iter()
                .map(|e| e.name)
                .collect();
            let in_docs: BTreeSet<&str> = in_docs.iter().map(String::as_str).collect();
            assert_eq!(covered, in_docs);
            let dir = xtask::workspace_root().join("tests/fixtures/artsvp");
            let files: BTreeSet<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".json").to_string())
                .collect();
            let files: BTreeSet<&str> = files.iter().map(String::as_str).collect();
            assert_eq!(files, covered, "fixtures without a docs example, or the reverse");
        }
    };
    (@pointer $schema:literal) => {
        format!("/components/schemas/{}/examples/0", $schema)
    };
    (@pointer $path:literal $method:literal) => {
        format!("/paths/{}/{}{OK_EXAMPLE}", $path.replace('/', "~1"), $method)
    };
}

acceptance! {
    the_event_object: types::Event = "the_event_object" at "Event";
    retrieve_an_event: types::Event = "retrieve_an_event" at "/events/{id}" "get";
    list_all_events: types::EventList = "list_all_events" at "/events" "get";
    the_collection_object: types::Collection = "the_collection_object" at "Collection";
    retrieve_a_collection: types::Collection = "retrieve_a_collection" at "/collections/{id}" "get";
    list_all_collections: types::CollectionList = "list_all_collections" at "/collections" "get";
    the_booking_object: types::Booking = "the_booking_object" at "Booking";
    retrieve_a_booking: types::Booking = "retrieve_a_booking" at "/bookings/{id}" "get";
    update_a_booking: types::Booking = "update_a_booking" at "/bookings/{id}" "patch";
    list_all_bookings: types::BookingList = "list_all_bookings" at "/bookings" "get";
    the_invite_object: types::Invite = "the_invite_object" at "Invite";
    create_an_invite: types::Invite = "create_an_invite" at "/invites" "post";
    retrieve_an_invite: types::InviteWithBookings = "retrieve_an_invite" at "/invites/{id}" "get";
    update_an_invite: types::Invite = "update_an_invite" at "/invites/{id}" "patch";
    batch_create_invites: types::InviteBatch = "batch_create_invites" at "/invites/batch" "post";
    list_all_invites: types::InviteList = "list_all_invites" at "/invites" "get";
}

/// ARTSVP may add booking statuses and object types at any time: a value
/// the spec has never seen decodes and keeps its text.
#[test]
fn values_the_docs_never_showed_still_decode() {
    let mut booking = fixture("the_booking_object");
    booking["status"] = json!("is_waitlisted");
    booking["object"] = json!("booking_v3");
    booking["event"]["object"] = json!("event_series");
    let booking: types::Booking = serde_json::from_value(booking).expect("unknown values decode");
    assert_eq!(booking.status.as_deref(), Some("is_waitlisted"));
    assert_eq!(booking.object, "booking_v3");
    assert_eq!(booking.event.unwrap().object, "event_series");

    let mut invite = fixture("the_invite_object");
    invite["resource"]["object"] = json!("venue");
    invite["object"] = json!("invite_v3");
    invite["brand_new_field"] = json!({"x": 1});
    let invite: types::Invite = serde_json::from_value(invite).expect("unknown values decode");
    assert_eq!(invite.resource.unwrap().object, "venue");
    assert_eq!(invite.object, "invite_v3");
}

/// The retrieve form carries its bookings as a list too, not only as the one
/// object the docs' example shows.
#[test]
fn an_invites_bookings_decode_as_a_list_or_one_object() {
    let mut invite = fixture("retrieve_an_invite");
    let one = invite["bookings"].clone();
    invite["bookings"] = json!([one.clone(), one]);
    let typed: types::InviteWithBookings = serde_json::from_value(invite).unwrap();
    match typed.bookings {
        Some(types::InviteWithBookingsBookings::Array(list)) => assert_eq!(list.len(), 2),
        other => panic!("expected a list of bookings, got {other:?}"),
    }
}
