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

mod handlers;
mod seed;
mod store;

use std::io;
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::http::{Response, StatusCode};
use securegate_api::types::Invite;
use serde_json::Value;

use crate::server::{self, Api};
use crate::settings::{Server, Settings, server_methods, settings_methods};
use store::{Data, Shared};

/// Builds a [`FakeSecureGate`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::FakeSecureGate;
///
/// let fake = FakeSecureGate::builder().events(2).invites_per_event(5).start().await?;
/// assert_eq!(fake.event_ids().len(), 2);
/// assert_eq!(fake.invites(&fake.event_ids()[0]).len(), 5);
/// # Ok(())
/// # }
/// ```
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

    setters! {
        /// How many events have invites (default 3).
        pub fn events(n: usize) => self.events = n;

        /// How many invites each event has (default 24; every status,
        /// authentication method and country code appears from 12 on).
        pub fn invites_per_event(n: usize) => self.invites_per_event = n;
    }

    /// Starts the server inside the current tokio runtime.
    pub async fn start(self) -> io::Result<FakeSecureGate> {
        let (seed, events, per_event) = (self.settings.seed, self.events, self.invites_per_event);
        let data: Shared = Arc::new(RwLock::new(seed::seeded(seed, events, per_event)));
        let reseed = {
            let data = data.clone();
            move || {
                *data.write().unwrap_or_else(|e| e.into_inner()) =
                    seed::seeded(seed, events, per_event)
            }
        };
        let server = self
            .settings
            .serve::<SecureGateApi>(
                handlers::router(data.clone()),
                seed::default_key(seed),
                reseed,
                Arc::new(store::AddInvites(data.clone())),
            )
            .await?;
        Ok(FakeSecureGate { server, data })
    }
}

struct SecureGateApi;

impl Api for SecureGateApi {
    const NAME: &'static str = "SecureGate";
    const KEY_HEADER: &'static str = securegate_api::facts::KEY_HEADER;
    const ROUTES: &'static [(&'static str, &'static str)] = handlers::ROUTES;

    fn error(status: StatusCode, _code: &str, message: &str) -> Response<Body> {
        handlers::error(status, message)
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
    /// (The control API's `POST /securegate/invites` does the same.)
    pub fn insert_invites(&self, event_id: &str, invites: impl IntoIterator<Item = Invite>) {
        self.data
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event_id, invites);
    }

    /// Sets the status of invite `id` of `event_id` (`pending`, `sent`,
    /// `accepted` or `rejected`), as a guest's answer would; `false` when
    /// there is no such invite or status. (The control API's
    /// `POST /securegate/invite_status` does the same.)
    pub fn set_invite_status(&self, event_id: &str, id: &str, status: &str) -> bool {
        store::STATUSES.contains(&status)
            && self
                .data
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .set_status(event_id, id, status)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }
}
