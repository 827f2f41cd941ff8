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
mod store;

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use artsvp_api::types::{Booking, Collection, Event, Invite};
use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde_json::Value;

use crate::clock::Clock;
use crate::faults::FaultRule;
use crate::log::RequestLog;
use crate::rate_limit::RateLimit;
use crate::rng::Rng;
use crate::server::{self, Api, Pipeline, Running};
use store::{SeedSize, Store};

/// Builds a [`FakeArtsvp`].
#[derive(Debug, Clone)]
pub struct ArtsvpBuilder {
    seed: u64,
    size: SeedSize,
    latency: Duration,
    rate_limit: Option<RateLimit>,
    api_key: Option<String>,
    port: u16,
    manual_clock: bool,
    faults: Vec<FaultRule>,
    log_limit: Option<usize>,
}

impl Default for ArtsvpBuilder {
    fn default() -> Self {
        Self {
            seed: 42,
            size: SeedSize {
                events: 6,
                collections: 2,
                invites: 120,
            },
            latency: Duration::ZERO,
            rate_limit: Some(RateLimit::ARTSVP),
            api_key: None,
            port: 0,
            manual_clock: false,
            faults: Vec::new(),
            log_limit: None,
        }
    }
}

impl ArtsvpBuilder {
    /// The seed of the data and ids (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many events to seed (default 6).
    pub fn events(mut self, n: usize) -> Self {
        self.size.events = n;
        self
    }

    /// How many collections to seed (default 2).
    pub fn collections(mut self, n: usize) -> Self {
        self.size.collections = n;
        self
    }

    /// How many invites to seed (default 120); used invites come with their
    /// bookings.
    pub fn invites(mut self, n: usize) -> Self {
        self.size.invites = n;
        self
    }

    /// Latency added to every request.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The request quota (default ARTSVP's: 1,000 per 15 minutes).
    pub fn rate_limit(mut self, quota: RateLimit) -> Self {
        self.rate_limit = Some(quota);
        self
    }

    /// No quota at all (and no rate-limit headers).
    pub fn unlimited(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// The API key the server accepts (default: derived from the seed).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Rate-limit windows follow a manual clock moved by
    /// [`FakeArtsvp::advance_clock`] instead of real time.
    pub fn manual_clock(mut self) -> Self {
        self.manual_clock = true;
        self
    }

    /// Keeps only the last `n` requests in the request log (default: all;
    /// 0 keeps none). For long runs, whose log would otherwise grow.
    pub fn request_log_limit(mut self, n: usize) -> Self {
        self.log_limit = Some(n);
        self
    }

    /// A fault rule in force from the first request.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Starts the server inside the current tokio runtime.
    pub async fn start(self) -> io::Result<FakeArtsvp> {
        let api_key = self.api_key.clone().unwrap_or_else(|| {
            format!("artsvp_test_{}", Rng::new(self.seed ^ 0xA575_0000).hex(24))
        });
        let store = Arc::new(Mutex::new(Store::seeded(self.seed, self.size)));
        let clock = if self.manual_clock {
            Clock::manual()
        } else {
            Clock::real()
        };
        let pipeline = Arc::new(Pipeline::new(
            api_key,
            self.rate_limit,
            &clock,
            self.latency,
            self.log_limit,
        ));
        for rule in self.faults {
            pipeline.faults.push(rule);
        }
        let router = handlers::router(store.clone());
        let running = server::serve::<ArtsvpApi>(router, pipeline.clone(), self.port).await?;
        Ok(FakeArtsvp {
            base_url: format!("http://{}", running.addr),
            running,
            pipeline,
            store,
            clock,
        })
    }
}

struct ArtsvpApi;

impl Api for ArtsvpApi {
    const KEY_HEADER: &'static str = "authorization";

    fn route_of(path: &str) -> Option<&'static str> {
        handlers::route_of(path)
    }

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
    base_url: String,
    running: Running,
    pipeline: Arc<Pipeline>,
    store: Arc<Mutex<Store>>,
    clock: Clock,
}

impl std::fmt::Debug for FakeArtsvp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeArtsvp")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeArtsvp {
    /// A builder for seed, data size, latency, quota and faults.
    pub fn builder() -> ArtsvpBuilder {
        ArtsvpBuilder::default()
    }

    /// Starts a server with the default settings.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:<port>`: the base URL to give a client (the
    /// production equivalent is `https://app.artsvp.com/api/v2`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key the server accepts in `Authorization`.
    pub fn api_key(&self) -> &str {
        &self.pipeline.api_key
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

    /// Adds a fault rule.
    pub fn inject(&self, rule: FaultRule) {
        self.pipeline.faults.push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.pipeline.faults.clear();
    }

    /// The request log.
    pub fn requests(&self) -> RequestLog {
        self.pipeline.log.clone()
    }

    /// Moves the manual clock forward (see [`ArtsvpBuilder::manual_clock`]);
    /// false on the real clock.
    pub fn advance_clock(&self, by: Duration) -> bool {
        self.clock.advance(by)
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        self.running.shutdown().await;
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}
