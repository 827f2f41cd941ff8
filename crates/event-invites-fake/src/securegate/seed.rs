//! The fake SecureGate server's seeded data: invites that use every
//! status, authentication method and country code; the same seed gives the
//! same data and ids.

use chrono::{DateTime, TimeZone, Utc};
use securegate_api::types::{Invite, InviteStatus};

use super::store::Data;
use crate::rng::Rng;

const STATUSES: [InviteStatus; 4] = [
    InviteStatus::Pending,
    InviteStatus::Sent,
    InviteStatus::Accepted,
    InviteStatus::Rejected,
];
const METHODS: [&str; 3] = ["QR Code", "Biometric", "Both"];
const COUNTRIES: [(&str, &str); 5] = [
    ("1", "5551234567"),
    ("44", "7700900123"),
    ("61", "412345678"),
    ("91", "9812345678"),
    ("345", "3231234"),
];
const FIRST_NAMES: [&str; 8] = ["John", "Jane", "Amara", "Luis", "Mei", "Olu", "Sara", "Tom"];
const LAST_NAMES: [&str; 8] = [
    "Doe", "Smith", "Okafor", "Garcia", "Chen", "Adeyemi", "Berg", "Hale",
];

/// The API key a seed gives when none is set.
pub(super) fn default_key(seed: u64) -> String {
    format!("sg_test_{}", Rng::new(seed).hex(24))
}

/// The data a seed gives: `events` events of `per_event` invites.
pub(super) fn seeded(seed: u64, events: usize, per_event: usize) -> Data {
    let mut rng = Rng::new(seed);
    // The default key comes first from the same stream.
    let _key = rng.hex(24);
    seed_data(&mut rng, events, per_event)
}

fn seed_data(rng: &mut Rng, events: usize, per_event: usize) -> Data {
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let mut data = Data::default();
    let mut n = 0u64;
    for _ in 0..events {
        let event_id = format!("event-{}", rng.hex(6));
        let mut invites = Vec::with_capacity(per_event);
        for i in 0..per_event {
            n += 1;
            let status = STATUSES[i % 4];
            let (country, mobile) = COUNTRIES[i % 5];
            let first = *rng.pick(&FIRST_NAMES);
            let last = *rng.pick(&LAST_NAMES);
            let created = base + chrono::Duration::minutes(n as i64);
            let responded = matches!(status, InviteStatus::Accepted | InviteStatus::Rejected);
            invites.push(Invite {
                id: format!("invite-{n}"),
                first_name: first.to_string(),
                last_name: last.to_string(),
                email: format!(
                    "{}.{}{n}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                country_code: country.to_string(),
                mobile_number: mobile.to_string(),
                authentication_method: METHODS[(i / 4) % 3].to_string(),
                event_id: event_id.clone(),
                session_code: rng.hex(6).to_uppercase(),
                session_id: format!("session-{}", rng.hex(8)),
                image: i.is_multiple_of(2).then(|| {
                    format!(
                        "https://example.com/profile-photos/{}-{n}.jpg",
                        first.to_lowercase()
                    )
                }),
                status: status.to_string(),
                created_at: created,
                updated_at: created + chrono::Duration::hours(i as i64 % 5),
                last_seen: responded.then(|| created + chrono::Duration::hours(6)),
                onyxplus_id: (i % 3 == 0).then(|| format!("onyx-{}", rng.hex(8))),
                ticket_id: (i % 3 == 1).then(|| format!("ticket-{}", rng.hex(8))),
            });
        }
        data.invites.insert(event_id.clone(), invites);
        data.events.push(event_id);
    }
    data
}
