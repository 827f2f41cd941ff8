//! Stateful fake SecureGate and ARTSVP servers that run inside your own
//! tests: seeded data, the APIs' auth, rate limit and pagination, scriptable
//! faults and a request log.
//!
//! Each server listens on `127.0.0.1` (port 0 by default), runs in the
//! caller's tokio runtime and stops when dropped. The same seed gives the
//! same data and ids. Response bodies are built from the generated
//! `securegate-api` and `artsvp-api` types, so the fakes cannot drift from
//! the specs without failing to compile.
//!
//! # A downstream test, with the `event-invites` facade
//!
//! With the default `facade` feature, `fake.client()` is an
//! `event_invites::Artsvp` (or `SecureGate`) pointed at the fake, and
//! `fake.state()` shows what the fake holds in the facade's own types and
//! names:
//!
//! ```
//! use event_invites::artsvp::{Dedupe, NewInvite};
//! use event_invites_fake::FakeArtsvp;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeArtsvp::builder().seed(7).invites(0).start().await?;
//! let client = fake.client();
//! let event = fake.state().events[0].id.clone();
//!
//! let new = NewInvite::for_event(&event).email("ann@example.com").dedupe(Dedupe::Email);
//! assert!(client.create_invite(&new).await?.is_created());
//! assert!(!client.create_invite(&new).await?.is_created(), "deduped");
//!
//! let state = fake.state();
//! assert_eq!(state.invites.len(), 1);
//! assert_eq!(state.invites[0].email.as_deref(), Some("ann@example.com"));
//! # Ok(())
//! # }
//! ```
//!
//! # A downstream test, with the generated client
//!
//! ```
//! use event_invites_fake::{Fault, FaultRule, FakeArtsvp};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeArtsvp::builder().seed(7).invites(30).start().await?;
//!
//! // Point the client under test at the fake.
//! let mut headers = reqwest::header::HeaderMap::new();
//! headers.insert("authorization", fake.api_key().parse()?);
//! let http = reqwest::Client::builder().default_headers(headers).build()?;
//! let client = artsvp_api::Client::new_with_client(fake.base_url(), http);
//!
//! // The next invite list answers 503…
//! fake.inject(FaultRule::new(Fault::Status(503)).on("GET", "/invites"));
//! let failed = client.list_invites().send().await;
//! assert_eq!(failed.unwrap_err().status().map(|s| s.as_u16()), Some(503));
//!
//! // …and the one after it works.
//! let page = client.list_invites().limit(10).send().await?.into_inner();
//! assert_eq!(page.data.len(), 10);
//!
//! // The request log shows both, the API key redacted.
//! let log = fake.requests().entries();
//! assert_eq!(log[0].fault.as_deref(), Some("status_503"));
//! assert_eq!(log[1].query.as_deref(), Some("limit=10"));
//! assert_eq!(log[1].header("authorization"), Some("[redacted]"));
//! # Ok(())
//! # }
//! ```
//!
//! # Faults
//!
//! [`FaultRule`]s pick requests (the next one, or by method and route
//! template, a number of times or always) and a [`Fault`]: a status, a 429
//! with `Retry-After`, latency, a dropped connection, a truncated body,
//! malformed JSON, unknown enum values or unknown extra fields. With
//! [`FaultRule::after_write`] the request's write is applied first, so a
//! client that retries a create after a lost response can be caught
//! creating it twice. A rule for a route or method the API does not serve
//! could never strike: [`FakeArtsvp::try_inject`] refuses it with an
//! [`UnknownRoute`] that lists the routes, and `inject` panics with that
//! message, so a test cannot pass while testing nothing.
//!
//! # Command line
//!
//! `cargo run -p event-invites-fake -- --artsvp-port 8082 --control-port 8090`
//! serves both until Ctrl-C or SIGTERM and prints one JSON line with their
//! base URLs, API keys and a few seeded ids: a stand-alone mock for test
//! suites in other languages. `--help` lists the flags (host, ports, keys,
//! data sizes, seed, rate limit, latency, manual clock). The control API
//! ([`ControlApi`], whose page lists its endpoints) offers what the Rust API
//! offers over HTTP: fault rules (with ids, refused for a route the API does
//! not serve), data to add, reset, the manual clock and the request log.
//!
//! # Layout
//!
//! Each API's fake is a `mod.rs` (builder and handle), `handlers.rs` (the
//! route table and handlers), `store.rs` (its state), `seed.rs` (its seeded
//! data) and, for ARTSVP, `table.rs` (rows in creation order with cursor
//! pages) and `render.rs` (the wire form). `server.rs` is the pipeline every
//! request goes through, one function per step.

#![deny(missing_docs)]

#[macro_use]
mod setters;

mod artsvp;
mod clock;
mod control;
#[cfg(feature = "facade")]
mod facade;
mod faults;
mod log;
mod rate_limit;
#[cfg(unix)]
mod redis;
#[cfg(unix)]
mod redis_shapes;
mod rng;
mod securegate;
mod server;
mod settings;
mod tls;

pub use artsvp::{ArtsvpBuilder, FakeArtsvp};
pub use control::{ControlApi, ControlServer};
pub use faults::{Fault, FaultId, FaultRule, Timing, UnknownRoute};
pub use log::{LoggedRequest, REDACTED, RequestLog};
pub use rate_limit::RateLimit;
#[cfg(unix)]
pub use redis::{INSTALL_HINT as REDIS_INSTALL_HINT, RedisServer};
#[cfg(unix)]
pub use redis_shapes::{
    NODE_TIMEOUT as REDIS_NODE_TIMEOUT, QUOTA_ACL as REDIS_QUOTA_ACL, RedisCluster, RedisSentinel,
    SENTINEL_SERVICE, quota_acl_user,
};
pub use securegate::{FakeSecureGate, SecureGateBuilder};
pub use tls::FakeTls;

#[cfg(feature = "facade")]
pub use facade::{ArtsvpState, SecureGateState};
