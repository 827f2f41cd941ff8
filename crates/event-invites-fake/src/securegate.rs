//! The fake SecureGate server: `GET /events/{event_id}/invites` with its
//! `status` filter, over seeded invites that use every status,
//! authentication method and country code.
//!
//! Decisions where the vendor's document is silent:
//! - an unknown event answers `200 []` (the spec declares no 404, and an
//!   event without invites looks the same);
//! - unknown query parameters are ignored, as FastAPI does;
//! - a missing or wrong `x-api-key` answers 401 `{"detail": …}`;
//! - SecureGate publishes no rate limit, so there is none unless the
//!   builder sets one.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Response, StatusCode};
use axum::routing::get;
use chrono::{DateTime, TimeZone, Utc};
use securegate_api::types::{
    ErrorDetail, HttpValidationError, Invite, InviteStatus, LocationItem, ValidationError,
};
use serde_json::Value;

use crate::rng::Rng;
use crate::server::{self, Api, json_response};
use crate::settings::{Server, Settings, server_methods, settings_methods};

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

/// Builds a [`FakeSecureGate`].
#[derive(Debug, Clone)]
pub struct SecureGateBuilder {
    settings: Settings,
    events: usize,
    invites_per_event: usize,
}

impl Default for SecureGateBuilder {
    /// Seed 42, 3 events of 24 invites, no quota (SecureGate publishes none).
    fn default() -> Self {
        Self {
            settings: Settings::new(None),
            events: 3,
            invites_per_event: 24,
        }
    }
}

impl SecureGateBuilder {
    settings_methods!(FakeSecureGate);

    /// How many events have invites (default 3).
    pub fn events(mut self, n: usize) -> Self {
        self.events = n;
        self
    }

    /// How many invites each event has (default 24; every status,
    /// authentication method and country code appears from 12 on).
    pub fn invites_per_event(mut self, n: usize) -> Self {
        self.invites_per_event = n;
        self
    }

    /// Starts the server inside the current tokio runtime.
    pub async fn start(self) -> io::Result<FakeSecureGate> {
        let mut rng = Rng::new(self.settings.seed);
        let default_key = format!("sg_test_{}", rng.hex(24));
        let data = Arc::new(RwLock::new(seed(
            &mut rng,
            self.events,
            self.invites_per_event,
        )));
        let router = Router::new()
            .route("/events/{event_id}/invites", get(get_invites))
            .fallback(not_found)
            .with_state(data.clone());
        let server = self
            .settings
            .serve::<SecureGateApi>(router, default_key)
            .await?;
        Ok(FakeSecureGate { server, data })
    }
}

/// The seeded invites, by event, events in seeding order.
#[derive(Debug, Default)]
struct Data {
    events: Vec<String>,
    invites: HashMap<String, Vec<Invite>>,
}

fn seed(rng: &mut Rng, events: usize, per_event: usize) -> Data {
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

type Shared = Arc<RwLock<Data>>;

async fn get_invites(
    State(data): State<Shared>,
    event_id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    let Ok(Path(event_id)) = event_id else {
        return validation_error(
            "path",
            "event_id",
            "Input should be a valid string",
            "string_type",
        );
    };
    let mut status = None;
    for (key, value) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        if key == "status" {
            status = Some(value.into_owned());
        }
    }
    let status = match status.as_deref().map(str::parse::<InviteStatus>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => {
            return validation_error(
                "query",
                "status",
                "Input should be 'pending', 'sent', 'accepted' or 'rejected'",
                "enum",
            );
        }
    };
    let data = data.read().unwrap_or_else(|e| e.into_inner());
    let invites: Vec<&Invite> = data
        .invites
        .get(&event_id)
        .into_iter()
        .flatten()
        .filter(|i| status.is_none_or(|s| i.status == s.to_string()))
        .collect();
    json_response(StatusCode::OK, &invites)
}

/// FastAPI's 422 body, built from the generated types.
fn validation_error(place: &str, name: &str, msg: &str, kind: &str) -> Response<Body> {
    let body = HttpValidationError {
        detail: Some(ErrorDetail::Array(vec![ValidationError {
            loc: vec![
                LocationItem::String(place.to_string()),
                LocationItem::String(name.to_string()),
            ],
            msg: msg.to_string(),
            type_: kind.to_string(),
        }])),
    };
    json_response(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

async fn not_found() -> Response<Body> {
    SecureGateApi::error(StatusCode::NOT_FOUND, "not_found", "Not Found")
}

struct SecureGateApi;

impl Api for SecureGateApi {
    const KEY_HEADER: &'static str = "x-api-key";

    fn route_of(path: &str) -> Option<&'static str> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        matches!(segments.as_slice(), ["events", _, "invites"])
            .then_some("/events/{event_id}/invites")
    }

    fn error(status: StatusCode, _code: &str, message: &str) -> Response<Body> {
        let body = HttpValidationError {
            detail: Some(ErrorDetail::String(message.to_string())),
        };
        json_response(status, &body)
    }

    fn unknown_enum_values(body: &mut Value) {
        server::replace_strings(body, "status", "expired");
        server::replace_strings(body, "authentication_method", "Retina Scan");
        server::replace_strings(body, "country_code", "999");
    }
}

/// A fake SecureGate server on `127.0.0.1`, stopped when dropped.
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use event_invites_fake::FakeSecureGate;
///
/// let fake = FakeSecureGate::builder().seed(7).start().await?;
/// let event = &fake.event_ids()[0];
/// println!("GET {}/events/{event}/invites with x-api-key: {}", fake.base_url(), fake.api_key());
/// # Ok(())
/// # }
/// ```
pub struct FakeSecureGate {
    server: Server,
    data: Shared,
}

impl std::fmt::Debug for FakeSecureGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSecureGate")
            .field("base_url", &self.server.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeSecureGate {
    server_methods!();

    /// A builder for seed, data size, latency, quota and faults.
    pub fn builder() -> SecureGateBuilder {
        SecureGateBuilder::default()
    }

    /// Starts a server with the default settings.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// The seeded events' ids, each with invites.
    pub fn event_ids(&self) -> Vec<String> {
        self.read().events.clone()
    }

    /// The invites of an event as the server holds them (empty if unknown).
    pub fn invites(&self, event_id: &str) -> Vec<Invite> {
        self.read()
            .invites
            .get(event_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Adds invites to an event (creating the event if needed).
    pub fn insert_invites(&self, event_id: &str, invites: impl IntoIterator<Item = Invite>) {
        let mut data = self.data.write().unwrap_or_else(|e| e.into_inner());
        if !data.invites.contains_key(event_id) {
            data.events.push(event_id.to_string());
        }
        data.invites
            .entry(event_id.to_string())
            .or_default()
            .extend(invites);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }
}
