//! The fake ARTSVP server: every operation of `specs/artsvp.yaml` over a
//! seeded, stateful store, with ARTSVP's rate limit, cursor pagination and
//! `Authorization: <key>` check.
//!
//! Decisions where the docs are silent (see also the spec's description):
//! - lists are in creation order, oldest first; `ending_before` pages come
//!   back oldest first too, and their `last_<thing>_id` is the page's first
//!   item (the cursor to keep going back);
//! - a cursor naming a deleted invite still marks its place; a cursor that
//!   never named anything, an empty cursor, or both cursors at once, is 400;
//! - unknown query parameters are 400 `unknown_parameter`; `tags[]=a` is
//!   read as `tags=a`;
//! - a `filter` looks for a duplicate among the invites of the same
//!   resource; a duplicate is answered 200, a new invite 201;
//! - `amount_used` is `used/total_count`, so an unlimited invite reads
//!   `3/0`;
//! - ids and codes are both accepted wherever an id is (`resource_id`,
//!   `/invites/{id}`, `/events/{id}`, …);
//! - a batch answers every matching resource's invite, existing ones (found
//!   by `filter`) included; `total_invites_created` counts the new ones.

mod handlers;
mod render;
mod seed;
mod store;
mod table;

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use artsvp_api::types::{Booking, Collection, Event, Invite};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde_json::Value;

use crate::rate_limit::RateLimit;
use crate::rng::Rng;
use crate::server::{self, Api};
use crate::settings::{Server, Settings, server_methods, settings_methods};
use seed::SeedSize;
use store::Store;

/// Builds a [`FakeArtsvp`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use event_invites_fake::{FakeArtsvp, RateLimit};
///
/// let fake = FakeArtsvp::builder()
///     .seed(7)
///     .invites(30)
///     .rate_limit(RateLimit::new(10, Duration::from_secs(1)))
///     .latency(Duration::from_millis(5))
///     .start()
///     .await?;
/// assert_eq!(fake.invites().len(), 30);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ArtsvpBuilder {
    settings: Settings,
    size: SeedSize,
}

impl Default for ArtsvpBuilder {
    /// Seed 42, 6 events, 2 collections, 120 invites, ARTSVP's quota of
    /// 1,000 requests per 15 minutes.
    fn default() -> Self {
        Self {
            settings: Settings::new(Some(RateLimit::ARTSVP)),
            size: SeedSize {
                events: 6,
                collections: 2,
                invites: 120,
                bookings: None,
            },
        }
    }
}

impl ArtsvpBuilder {
    settings_methods!(FakeArtsvp);

    setters! {
        /// How many events to seed (default 6).
        pub fn events(n: usize) => self.size.events = n;

        /// How many collections to seed (default 2).
        pub fn collections(n: usize) => self.size.collections = n;

        /// How many invites to seed (default 120); used invites come with their
        /// bookings.
        pub fn invites(n: usize) => self.size.invites = n;

        /// How many bookings to seed: the first `n` invites (all of them when
        /// there are fewer) are used once each. By default about a third of the
        /// invites are used, some of them more than once.
        pub fn bookings(n: usize) => self.size.bookings = Some(n);
    }

    /// Starts the server inside the current tokio runtime.
    pub async fn start(self) -> io::Result<FakeArtsvp> {
        let (seed, size) = (self.settings.seed, self.size);
        let default_key = format!("artsvp_test_{}", Rng::new(seed ^ 0xA575_0000).hex(24));
        let store = Arc::new(Mutex::new(Store::seeded(seed, size)));
        let reseed = {
            let store = store.clone();
            move || *store.lock().unwrap_or_else(|e| e.into_inner()) = Store::seeded(seed, size)
        };
        let router = handlers::router(store.clone());
        let server = self
            .settings
            .serve::<ArtsvpApi>(
                router,
                default_key,
                reseed,
                Arc::new(store::AddBookings(store.clone())),
            )
            .await?;
        Ok(FakeArtsvp { server, store })
    }
}

struct ArtsvpApi;

impl Api for ArtsvpApi {
    const NAME: &'static str = "ARTSVP";
    const KEY_HEADER: &'static str = artsvp_api::facts::KEY_HEADER;
    const ROUTES: &'static [(&'static str, &'static str)] = handlers::ROUTES;

    fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
        handlers::error(status, code, message)
    }

    fn unknown_enum_values(body: &mut Value) {
        server::replace_strings(body, "status", "is_on_hold");
        server::replace_strings(body, "object", "venue");
    }
}

/// A fake ARTSVP server on `127.0.0.1`, stopped when dropped.
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use event_invites_fake::FakeArtsvp;
///
/// let fake = FakeArtsvp::builder().seed(7).invites(500).start().await?;
/// println!("{} with Authorization: {}", fake.base_url(), fake.api_key());
/// assert_eq!(fake.invites().len(), 500);
/// # Ok(())
/// # }
/// ```
pub struct FakeArtsvp {
    server: Server,
    store: Arc<Mutex<Store>>,
}

impl std::fmt::Debug for FakeArtsvp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeArtsvp")
            .field("base_url", &self.server.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeArtsvp {
    server_methods!();

    /// A builder for seed, data size, latency, quota and faults.
    pub fn builder() -> ArtsvpBuilder {
        ArtsvpBuilder::default()
    }

    /// Starts a server with the default settings.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// Every event, in list order.
    pub fn events(&self) -> Vec<Event> {
        self.store().events.iter().cloned().collect()
    }

    /// Every collection, in list order.
    pub fn collections(&self) -> Vec<Collection> {
        self.store().collections.iter().cloned().collect()
    }

    /// Every invite as the API shows it, in list order.
    pub fn invites(&self) -> Vec<Invite> {
        let store = self.store();
        store.invites.iter().map(|r| store.render(r)).collect()
    }

    /// One invite by id or code, as the API shows it.
    pub fn invite(&self, id: &str) -> Option<Invite> {
        let store = self.store();
        store.invites.get(id).map(|r| store.render(r))
    }

    /// Every booking as the API shows it, in list order.
    pub fn bookings(&self) -> Vec<Booking> {
        let store = self.store();
        store
            .bookings
            .iter()
            .map(|b| store.render_booking(b))
            .collect()
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}
