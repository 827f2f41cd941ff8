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

    /// Books a guest through an invite (its id or code): the booking is made
    /// for the invite's event, or for `event` (an id or code) when the
    /// invite is for a collection, and the invite counts one more use. Not
    /// held to the invite's count: a test may want an over-used invite.
    /// Returns the booking's id, or what was wrong.
    pub(crate) fn book(&mut self, new: NewBooking) -> Result<String, String> {
        let Some(invite) = self.invites.get(&new.invite) else {
            return Err(format!(
                "`invite`: no invite has the id or code `{}`",
                new.invite
            ));
        };
        let event = match (&invite.resource, &new.event) {
            (ResourceRef::Event(id), None) => self.events.get(id),
            (_, Some(event)) => match self.events.get(event) {
                Some(found) => Some(found),
                None => return Err(format!("`event`: no event has the id or code `{event}`")),
            },
            (ResourceRef::Collection(_), None) => {
                return Err(
                    "`event`: required, since the invite is for a collection of events".into(),
                );
            }
        };
        let event_code = event
            .map(|e| e.code.clone())
            .ok_or("`invite`: its event is gone")?;
        if new.size < 1 {
            return Err(format!("`size`: must be at least 1, got {}", new.size));
        }
        let invite_code = invite.code.clone();
        let invite_id = invite.id.clone();
        let seq = self.next();
        let booking = BookingRecord {
            id: format!("boo-{}", self.rng.uuid()),
            status: new.status,
            name: new.name,
            email: new.email,
            size: new.size,
            event_code,
            invite_code: Some(invite_code),
            tags: Vec::new(),
            meta_data: serde_json::Map::new(),
            external_id: new.external_id,
            created_at: new.now,
            updated_at: new.now,
        };
        let id = booking.id.clone();
        self.bookings.insert(seq, id.clone(), None, booking);
        if let Some(invite) = self.invites.get_mut(&invite_id) {
            invite.uses += 1;
        }
        Ok(id)
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

/// What a booking added through the control API is made of.
#[derive(Debug)]
pub(crate) struct NewBooking {
    pub(crate) invite: String,
    pub(crate) event: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) size: i64,
    pub(crate) status: String,
    pub(crate) external_id: Option<String>,
    pub(crate) now: DateTime<Utc>,
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

/// What the control API adds: `POST /artsvp/bookings`.
pub(crate) struct AddBookings(pub(crate) std::sync::Arc<std::sync::Mutex<Store>>);

/// The body of `POST /artsvp/bookings`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BookingBody {
    invite: String,
    event: Option<String>,
    name: Option<String>,
    email: Option<String>,
    size: Option<i64>,
    status: Option<String>,
    external_id: Option<String>,
}

impl crate::settings::AddData for AddBookings {
    fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            "bookings",
            r#"{"invite": "<invite id or code>", "event": "<event id or code: required for a collection's invite>", "name", "email", "size" (default 1), "status" (default "is_confirmed"), "external_id"}"#,
        )]
    }

    fn add(&self, _kind: &str, body: &[u8]) -> Result<serde_json::Value, String> {
        let body: BookingBody = serde_json::from_slice(body)
            .map_err(|e| crate::settings::without_values(&e.to_string()))?;
        let new = NewBooking {
            invite: body.invite,
            event: body.event,
            name: body.name,
            email: body.email,
            size: body.size.unwrap_or(1),
            status: body.status.unwrap_or_else(|| "is_confirmed".into()),
            external_id: body.external_id,
            now: Utc::now(),
        };
        let id = self.0.lock().unwrap_or_else(|e| e.into_inner()).book(new)?;
        Ok(serde_json::json!({ "id": id }))
    }
}
