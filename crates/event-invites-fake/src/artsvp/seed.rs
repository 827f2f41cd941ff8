//! The fake ARTSVP server's seeded data: the same seed gives the same
//! events, collections, invites and bookings, ids included.

use artsvp_api::types::{Collection, Event, Tags};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::store::{BookingRecord, NewInvite, ResourceRef, Store};
use super::table::Table;
use crate::rng::Rng;

/// How much data to seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeedSize {
    pub(crate) events: usize,
    pub(crate) collections: usize,
    pub(crate) invites: usize,
    /// Exactly this many bookings, one per invite from the first; `None`:
    /// random use.
    pub(crate) bookings: Option<usize>,
}

const EVENT_NAMES: [&str; 8] = [
    "Summer Party",
    "Winter Party",
    "Gallery Opening",
    "Artist Talk",
    "Collectors Breakfast",
    "Preview Night",
    "Studio Visit",
    "Closing Reception",
];
const COLLECTION_NAMES: [&str; 4] = ["VIP program", "Front of House", "Art Fair", "Press"];
const TIME_ZONES: [&str; 4] = [
    "Europe/London",
    "America/New_York",
    "Europe/Paris",
    "Asia/Hong_Kong",
];
const TAG_SETS: [&[&str]; 6] = [
    &["vip"],
    &["art_fair"],
    &["vip", "art_fair"],
    &["new_user"],
    &[],
    &["press"],
];
const GUESTS: [(&str, &str); 8] = [
    ("Lucy Green", "lucy"),
    ("Mike Brown", "mike"),
    ("Ada Obi", "ada"),
    ("Jon Park", "jon"),
    ("Rosa Diaz", "rosa"),
    ("Ken Ito", "ken"),
    ("Ines Sousa", "ines"),
    ("Sam Cole", "sam"),
];
const INVITE_TAGS: [&[&str]; 5] = [
    &["artsvp", "vip"],
    &["single_entry"],
    &[],
    &["vip_1"],
    &["press"],
];
const TOTAL_COUNTS: [i64; 6] = [1, 1, 1, 2, 5, 0];
const BOOKING_STATUSES: [&str; 6] = [
    "is_confirmed",
    "is_confirmed",
    "is_confirmed",
    "is_pending",
    "is_cancelled",
    "is_declined",
];

/// The moment seeded data is dated from.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

pub(crate) fn tags(list: &[&str]) -> Tags {
    Tags(to_strings(list))
}

fn to_strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| (*t).to_string()).collect()
}

impl Store {
    /// A store seeded from `seed`: the same seed gives the same data and ids.
    pub(crate) fn seeded(seed: u64, size: SeedSize) -> Self {
        let mut store = Self {
            events: Table::default(),
            collections: Table::default(),
            invites: Table::default(),
            bookings: Table::default(),
            next_seq: 1,
            rng: Rng::new(seed ^ 0xA575_0000),
        };
        for i in 0..size.events {
            store.seed_event(i);
        }
        for i in 0..size.collections {
            store.seed_collection(i);
        }
        let resources: Vec<ResourceRef> = store
            .events
            .iter()
            .map(|e| ResourceRef::Event(e.id.clone()))
            .chain(
                store
                    .collections
                    .iter()
                    .map(|c| ResourceRef::Collection(c.id.clone())),
            )
            .collect();
        if !resources.is_empty() {
            store.invites.reserve(size.invites, true);
            store.bookings.reserve(size.invites / 2, false);
            for i in 0..size.invites {
                let resource = store.rng.pick(&resources).clone();
                store.seed_invite(i, resource, size.bookings);
            }
        }
        store
    }

    /// A six-hex-digit code, unique per position (an odd multiplier is a
    /// bijection on 24 bits).
    pub(super) fn code(seq: u64) -> String {
        format!("{:06x}", seq.wrapping_mul(0x9E37_79B1) & 0xFF_FFFF)
    }

    fn seeded_time(seq: u64) -> DateTime<Utc> {
        epoch() + chrono::Duration::minutes(7 * seq as i64)
    }

    fn seed_event(&mut self, i: usize) {
        let seq = self.next();
        let code = Self::code(seq);
        let name = EVENT_NAMES[i % EVENT_NAMES.len()];
        let day =
            NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() + chrono::Duration::days(7 * i as i64);
        let start = Utc.from_utc_datetime(&day.and_hms_opt(17, 0, 0).unwrap());
        let created = Self::seeded_time(seq);
        let event = Event {
            id: format!("eve-{}", self.rng.uuid()),
            object: "event".into(),
            code: code.clone(),
            name: name.into(),
            reference: Some(format!("{name} (VIP {})", i + 1)),
            description: Some(format!("{name} for our guests")),
            time_zone: Some(TIME_ZONES[i % TIME_ZONES.len()].into()),
            start_date: Some(day),
            start_time: Some(start),
            end_date: Some(day),
            end_time: Some(start + chrono::Duration::hours(4)),
            public_url: Some(format!("http://artsvp.com/{code}")),
            banner_image: (i % 3 != 2)
                .then(|| format!("https://images.example.com/banners/{code}.jpeg")),
            resource_tags: Some(tags(TAG_SETS[i % TAG_SETS.len()])),
            created_at: Some(created),
            updated_at: Some(created + chrono::Duration::days(2)),
        };
        self.events.insert(seq, event.id.clone(), Some(code), event);
    }

    fn seed_collection(&mut self, i: usize) {
        let seq = self.next();
        let code = Self::code(seq);
        let created = Self::seeded_time(seq);
        let collection = Collection {
            id: format!("col-{}", self.rng.uuid()),
            object: "collection".into(),
            code: code.clone(),
            name: COLLECTION_NAMES[i % COLLECTION_NAMES.len()].into(),
            public_url: Some(format!("http://artsvp.com/{code}")),
            banner_image: i
                .is_multiple_of(2)
                .then(|| format!("https://images.example.com/banners/{code}.png")),
            resource_tags: Some(tags(TAG_SETS[(i + 2) % TAG_SETS.len()])),
            created_at: Some(created),
            updated_at: Some(created + chrono::Duration::minutes(1)),
        };
        self.collections
            .insert(seq, collection.id.clone(), Some(code), collection);
    }

    fn seed_invite(&mut self, i: usize, resource: ResourceRef, bookings: Option<usize>) {
        let (name, handle) = GUESTS[i % GUESTS.len()];
        let locked = !self.rng.chance(15);
        let total_count = *self.rng.pick(&TOTAL_COUNTS);
        // Most invites are not used yet; a used one is used once or a few
        // times, never past its count.
        let uses = match (self.rng.chance(35), total_count) {
            (false, _) => 0,
            (true, 0) => 1 + self.rng.below(3) as i64,
            (true, n) => 1 + self.rng.below(n as u64) as i64,
        };
        // A set number of bookings: one for each invite up to it (the draw
        // above still happens, so the rest of the data stays the same).
        let uses = bookings.map_or(uses, |n| i64::from(i < n));
        let external_id = match self.rng.below(3) {
            0 => None,
            1 => Some(String::new()),
            _ => Some(format!("ext-{i}")),
        };
        let mut meta_data = serde_json::Map::new();
        if self.rng.chance(30) {
            meta_data.insert("table".into(), (1 + self.rng.below(20)).into());
        }
        let created = Self::seeded_time(self.next_seq);
        let (golden, register_interest) = (self.rng.chance(10), self.rng.chance(10));
        let name = locked.then(|| name.to_string());
        let email = locked.then(|| format!("{handle}{i}@example.com"));
        let guest = if uses > 0 {
            (name.clone(), email.clone())
        } else {
            (None, None)
        };
        let booked_event = match &resource {
            ResourceRef::Event(id) => self.events.get(id).map(|e| e.code.clone()),
            ResourceRef::Collection(_) => self.events.iter().next().map(|e| e.code.clone()),
        };
        let (_, code) = self.new_invite(NewInvite {
            name,
            email,
            external_id,
            golden,
            register_interest,
            total_count,
            uses,
            tags: to_strings(INVITE_TAGS[i % INVITE_TAGS.len()]),
            meta_data,
            resource,
            now: created,
        });
        if let Some(event_code) = booked_event {
            for _ in 0..uses {
                self.seed_booking(&event_code, &code, guest.clone(), created);
            }
        }
    }

    fn seed_booking(
        &mut self,
        event_code: &str,
        invite_code: &str,
        (name, email): (Option<String>, Option<String>),
        after: DateTime<Utc>,
    ) {
        let seq = self.next();
        let created = after + chrono::Duration::hours(1 + self.rng.below(48) as i64);
        let booking = BookingRecord {
            id: format!("boo-{}", self.rng.uuid()),
            status: (*self.rng.pick(&BOOKING_STATUSES)).to_string(),
            name,
            email,
            size: 1 + self.rng.below(5) as i64,
            event_code: event_code.to_string(),
            invite_code: Some(invite_code.to_string()),
            tags: Vec::new(),
            meta_data: serde_json::Map::new(),
            external_id: self.rng.chance(50).then(|| format!("bk-{seq}")),
            created_at: created,
            updated_at: created,
        };
        self.bookings.insert(seq, booking.id.clone(), None, booking);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_store() {
        let size = SeedSize {
            events: 3,
            collections: 1,
            invites: 50,
            bookings: None,
        };
        let (a, b) = (Store::seeded(9, size), Store::seeded(9, size));
        let ids = |s: &Store| s.invites.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&Store::seeded(10, size)));
        assert_eq!(a.invites.len(), 50);
    }

    #[test]
    fn codes_are_unique() {
        let codes: std::collections::HashSet<String> = (1..200_000).map(Store::code).collect();
        assert_eq!(codes.len(), 199_999);
    }
}
