//! The fake ARTSVP server's state: events, collections, invites and
//! bookings, kept in creation order with an id index, so that a page is
//! found from its cursor directly (no scan from the start), however deep
//! into a list it is.

use std::collections::{BTreeMap, HashMap};

use artsvp_api::types::{Booking, Collection, Event, Invite, MetaData, Resource, Tags};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::rng::Rng;

/// Rows in creation order, found by id (or code) in O(log n).
#[derive(Debug)]
pub(crate) struct Table<T> {
    rows: BTreeMap<u64, T>,
    /// id → position. Deleted rows keep their position, so a cursor naming a
    /// deleted row still marks a place in the list.
    ids: HashMap<String, u64>,
    /// Other names of a row (codes), → id.
    aliases: HashMap<String, String>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            ids: HashMap::new(),
            aliases: HashMap::new(),
        }
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    Start,
    After(String),
    Before(String),
}

/// A page of rows, and the cursor to go on in the same direction.
#[derive(Debug)]
pub(crate) struct Page<'a, T> {
    pub(crate) rows: Vec<&'a T>,
    pub(crate) has_more: bool,
    pub(crate) last_id: Option<String>,
}

/// A cursor that names no row, ever.
#[derive(Debug)]
pub(crate) struct UnknownCursor(pub(crate) String);

impl<T> Table<T> {
    /// Room for `n` more rows without rehashing the indexes.
    pub(crate) fn reserve(&mut self, n: usize, with_aliases: bool) {
        self.ids.reserve(n);
        if with_aliases {
            self.aliases.reserve(n);
        }
    }

    pub(crate) fn insert(&mut self, seq: u64, id: String, alias: Option<String>, row: T) {
        if let Some(alias) = alias {
            self.aliases.insert(alias, id.clone());
        }
        self.ids.insert(id, seq);
        self.rows.insert(seq, row);
    }

    fn seq_of(&self, id_or_alias: &str) -> Option<u64> {
        let id = self
            .aliases
            .get(id_or_alias)
            .map_or(id_or_alias, String::as_str);
        self.ids.get(id).copied()
    }

    pub(crate) fn get(&self, id_or_alias: &str) -> Option<&T> {
        self.rows.get(&self.seq_of(id_or_alias)?)
    }

    pub(crate) fn get_mut(&mut self, id_or_alias: &str) -> Option<&mut T> {
        let seq = self.seq_of(id_or_alias)?;
        self.rows.get_mut(&seq)
    }

    pub(crate) fn remove(&mut self, id_or_alias: &str) -> Option<T> {
        let seq = self.seq_of(id_or_alias)?;
        self.rows.remove(&seq)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.rows.values()
    }

    /// Up to `limit` rows that `keep` accepts, from `cursor` on. Forward:
    /// `last_id` is the page's last row; backward (`Before`): the rows just
    /// before the cursor, oldest first, and `last_id` is the page's first row.
    pub(crate) fn page(
        &self,
        cursor: &Cursor,
        limit: usize,
        keep: impl Fn(&T) -> bool,
        id_of: impl Fn(&T) -> &str,
    ) -> Result<Page<'_, T>, UnknownCursor> {
        let seq = |id: &str| self.seq_of(id).ok_or_else(|| UnknownCursor(id.to_string()));
        let (mut rows, backward): (Vec<&T>, bool) = match cursor {
            Cursor::Start => (
                self.rows
                    .values()
                    .filter(|r| keep(r))
                    .take(limit + 1)
                    .collect(),
                false,
            ),
            Cursor::After(id) => {
                let from = seq(id)?;
                let rows = self
                    .rows
                    .range(from + 1..)
                    .map(|(_, r)| r)
                    .filter(|r| keep(r))
                    .take(limit + 1)
                    .collect();
                (rows, false)
            }
            Cursor::Before(id) => {
                let to = seq(id)?;
                let rows = self
                    .rows
                    .range(..to)
                    .rev()
                    .map(|(_, r)| r)
                    .filter(|r| keep(r))
                    .take(limit + 1)
                    .collect();
                (rows, true)
            }
        };
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        if backward {
            rows.reverse();
        }
        let edge = if backward { rows.first() } else { rows.last() };
        Ok(Page {
            last_id: edge.map(|r| id_of(r).to_string()),
            rows,
            has_more,
        })
    }
}

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
    next_seq: u64,
    rng: Rng,
}

/// How much data to seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeedSize {
    pub(crate) events: usize,
    pub(crate) collections: usize,
    pub(crate) invites: usize,
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
                store.seed_invite(i, resource);
            }
        }
        store
    }

    fn next(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// A six-hex-digit code, unique per position (an odd multiplier is a
    /// bijection on 24 bits).
    fn code(seq: u64) -> String {
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

    fn seed_invite(&mut self, i: usize, resource: ResourceRef) {
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

    /// The resource as an invite embeds it.
    pub(crate) fn resource(&self, resource: &ResourceRef) -> Option<Resource> {
        Some(match resource {
            ResourceRef::Event(id) => {
                let e = self.events.get(id)?;
                Resource {
                    id: e.id.clone(),
                    object: "event".into(),
                    code: e.code.clone(),
                    name: e.name.clone(),
                    reference: e.reference.clone(),
                    description: e.description.clone(),
                    time_zone: e.time_zone.clone(),
                    start_date: e.start_date,
                    start_time: e.start_time,
                    end_date: e.end_date,
                    end_time: e.end_time,
                    public_url: e.public_url.clone(),
                    banner_image: e.banner_image.clone(),
                    resource_tags: e.resource_tags.clone(),
                    created_at: e.created_at,
                    updated_at: e.updated_at,
                }
            }
            ResourceRef::Collection(id) => {
                let c = self.collections.get(id)?;
                Resource {
                    id: c.id.clone(),
                    object: "collection".into(),
                    code: c.code.clone(),
                    name: c.name.clone(),
                    public_url: c.public_url.clone(),
                    banner_image: c.banner_image.clone(),
                    resource_tags: c.resource_tags.clone(),
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                    reference: None,
                    description: None,
                    time_zone: None,
                    start_date: None,
                    start_time: None,
                    end_date: None,
                    end_time: None,
                }
            }
        })
    }

    /// The invite as the API answers it: resource embedded, counters shown.
    pub(crate) fn render(&self, r: &InviteRecord) -> Invite {
        let resource = self.resource(&r.resource);
        Invite {
            id: r.id.clone(),
            object: "invite".into(),
            code: r.code.clone(),
            name: r.name.clone(),
            email: r.email.clone(),
            golden: r.golden,
            register_interest: r.register_interest,
            url: format!("https://invite.artsvp.com/{}", r.code),
            used: r.uses > 0,
            amount_used: format!("{}/{}", r.uses, r.total_count),
            resource_tags: resource.as_ref().and_then(|x| x.resource_tags.clone()),
            resource,
            tags: Some(Tags(r.tags.clone())),
            meta_data: Some(MetaData(r.meta_data.clone())),
            external_id: r.external_id.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    /// The booking as the API answers it: its event embedded.
    pub(crate) fn render_booking(&self, b: &BookingRecord) -> Booking {
        let event = self.events.get(&b.event_code);
        let key =
            b.id.trim_start_matches("boo-")
                .replace('-', "")
                .to_uppercase();
        let reference = match key.get(..12) {
            Some(k) => format!("{}-{}-{}", &k[..4], &k[4..8], &k[8..12]),
            None => key.clone(),
        };
        Booking {
            id: b.id.clone(),
            object: "booking".into(),
            reference: Some(reference),
            status: Some(b.status.clone()),
            name: b.name.clone(),
            email: b.email.clone(),
            size: Some(b.size),
            start_time_utc: event.and_then(|e| e.start_time),
            start_time_local: event.and_then(|e| e.start_time),
            url: Some(format!(
                "https://artsvp.com/bookings/{}",
                key.to_lowercase()
            )),
            event_id: Some(b.event_code.clone()),
            event_name: event.map(|e| e.name.clone()),
            event_reference: event.and_then(|e| e.reference.clone()),
            event_time_zone: event.and_then(|e| e.time_zone.clone()),
            invite_id: b.invite_code.clone(),
            tags: Some(Tags(b.tags.clone())),
            resource_tags: event.and_then(|e| e.resource_tags.clone()),
            meta_data: Some(MetaData(b.meta_data.clone())),
            external_id: b.external_id.clone(),
            created_at: Some(b.created_at),
            updated_at: Some(b.updated_at),
            event: event.cloned(),
        }
    }

    /// The bookings made with an invite (by its code), oldest first.
    pub(crate) fn bookings_of(&self, invite_code: &str) -> Vec<Booking> {
        self.bookings
            .iter()
            .filter(|b| b.invite_code.as_deref() == Some(invite_code))
            .map(|b| self.render_booking(b))
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: u64) -> Table<String> {
        let mut t = Table::default();
        for i in 1..=n {
            t.insert(i, format!("id{i}"), None, format!("id{i}"));
        }
        t
    }

    fn ids<'a>(page: &Page<'a, String>) -> Vec<&'a str> {
        page.rows.iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn pages_go_forward_and_back_from_a_cursor() {
        let t = table(7);
        fn id(s: &String) -> &str {
            s
        }
        let first = t.page(&Cursor::Start, 3, |_| true, id).unwrap();
        assert_eq!(ids(&first), ["id1", "id2", "id3"]);
        assert!(first.has_more);
        assert_eq!(first.last_id.as_deref(), Some("id3"));
        let last = t
            .page(&Cursor::After("id6".into()), 3, |_| true, id)
            .unwrap();
        assert_eq!(ids(&last), ["id7"]);
        assert!(!last.has_more);
        let back = t
            .page(&Cursor::Before("id6".into()), 3, |_| true, id)
            .unwrap();
        assert_eq!(ids(&back), ["id3", "id4", "id5"]);
        assert!(back.has_more);
        assert_eq!(
            back.last_id.as_deref(),
            Some("id3"),
            "the cursor to keep going back"
        );
        let start = t
            .page(&Cursor::Before("id2".into()), 3, |_| true, id)
            .unwrap();
        assert_eq!(ids(&start), ["id1"]);
        assert!(!start.has_more);
    }

    #[test]
    fn a_deleted_row_still_marks_its_place() {
        let mut t = table(4);
        t.remove("id2");
        let page = t
            .page(&Cursor::After("id2".into()), 10, |_| true, |s| s.as_str())
            .unwrap();
        assert_eq!(ids(&page), ["id3", "id4"]);
        assert!(
            t.page(&Cursor::After("nope".into()), 1, |_| true, |s| s.as_str())
                .is_err()
        );
    }

    #[test]
    fn filters_apply_within_the_page() {
        let t = table(10);
        let even = |s: &String| s.trim_start_matches("id").parse::<u32>().unwrap() % 2 == 0;
        let page = t.page(&Cursor::Start, 2, even, |s| s.as_str()).unwrap();
        assert_eq!(ids(&page), ["id2", "id4"]);
        assert!(page.has_more);
    }

    #[test]
    fn the_same_seed_gives_the_same_store() {
        let size = SeedSize {
            events: 3,
            collections: 1,
            invites: 50,
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
