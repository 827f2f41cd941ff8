//! The fake ARTSVP server's state: events, collections, invites and
//! bookings, each a [`Table`] in creation order. Seeding is in `seed`, the
//! wire form in `render`.

use artsvp_api::types::{Collection, Event};
use chrono::{DateTime, Utc};

use super::table::Table;
use crate::rng::Rng;

/// Which resource an invite belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourceRef {
    Event(String),
    Collection(String),
}

/// An invite as stored: compact, and rendered into the generated type
/// (resource embedded, counters shown) when answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InviteRecord {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) golden: bool,
    pub(crate) register_interest: bool,
    pub(crate) tags: Vec<String>,
    pub(crate) meta_data: serde_json::Map<String, serde_json::Value>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) resource: ResourceRef,
    pub(crate) total_count: i64,
    pub(crate) uses: i64,
}

/// A booking as stored: compact, and rendered into the generated type
/// (event embedded) when answered. Its URL and reference derive from its id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BookingRecord {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) size: i64,
    /// The booked event's code (what the docs show as `event_id`).
    pub(crate) event_code: String,
    /// The invite's code, when booked through one.
    pub(crate) invite_code: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) meta_data: serde_json::Map<String, serde_json::Value>,
    pub(crate) external_id: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// Everything the fake ARTSVP server holds.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) events: Table<Event>,
    pub(crate) collections: Table<Collection>,
    pub(crate) invites: Table<InviteRecord>,
    pub(crate) bookings: Table<BookingRecord>,
    pub(super) next_seq: u64,
    pub(super) rng: Rng,
}

impl Store {
    pub(super) fn next(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Creates an invite and returns its id and code.
    pub(crate) fn new_invite(&mut self, new: NewInvite) -> (String, String) {
        let seq = self.next();
        let code = Self::code(seq);
        let record = InviteRecord {
            id: format!("inv-{}", self.rng.uuid()),
            code: code.clone(),
            name: new.name,
            email: new.email,
            external_id: new.external_id,
            golden: new.golden,
            register_interest: new.register_interest,
            tags: new.tags,
            meta_data: new.meta_data,
            created_at: new.now,
            updated_at: new.now,
            resource: new.resource,
            total_count: new.total_count,
            uses: new.uses,
        };
        let id = record.id.clone();
        self.invites
            .insert(seq, id.clone(), Some(code.clone()), record);
        (id, code)
    }

    /// The resource an id or code names, of the given kind (`None`: either).
    pub(crate) fn find_resource(
        &self,
        id_or_code: &str,
        kind: Option<&str>,
    ) -> Option<ResourceRef> {
        let event = || {
            self.events
                .get(id_or_code)
                .map(|e| ResourceRef::Event(e.id.clone()))
        };
        let collection = || {
            self.collections
                .get(id_or_code)
                .map(|c| ResourceRef::Collection(c.id.clone()))
        };
        match kind {
            Some("event") => event(),
            Some("collection") => collection(),
            _ => event().or_else(collection),
        }
    }
}

/// What a new invite is made of.
#[derive(Debug)]
pub(crate) struct NewInvite {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) golden: bool,
    pub(crate) register_interest: bool,
    pub(crate) total_count: i64,
    /// Times already used (0 for an invite made through the API).
    pub(crate) uses: i64,
    pub(crate) tags: Vec<String>,
    pub(crate) meta_data: serde_json::Map<String, serde_json::Value>,
    pub(crate) resource: ResourceRef,
    pub(crate) now: DateTime<Utc>,
}
