//! Rust clients for the **SecureGate** and **ARTSVP** event-invitation APIs.
//!
//! - [`SecureGate`]: an event's invites, with the status filter.
//! - [`Artsvp`]: events, collections, bookings and invites (every operation).
//!
//! Both clients are cheap to clone and `Send + Sync`, built from a key
//! (`new`), a [`ClientBuilder`] (`builder()`) or the environment
//! (`from_env()`), and share one transport policy:
//!
//! - **one error type**, [`Error`], that names the operation and says
//!   whether retrying can help;
//! - **retries** with exponential backoff and full jitter, honouring
//!   `Retry-After`, within an attempt count and a time budget, and never
//!   repeating a create that could make a second object
//!   ([`RetryPolicy`]);
//! - **pacing**: a client-side quota, corrected by the server's
//!   `x-rate-limit-*` headers, that slows bulk work down before the server
//!   answers 429 ([`Quota`], [`RateLimitState`]);
//! - **open enums**: a status the vendor adds later parses as `Unknown` and
//!   keeps its text;
//! - the API key is a secret: never in `Debug`, errors or traces, and sent
//!   as a sensitive header;
//! - one `tracing` span per operation (operation, attempt, status, latency)
//!   and an event per retry.
//!
//! ```no_run
//! # async fn example() -> Result<(), event_invites::Error> {
//! use event_invites::{Artsvp, SecureGate};
//! use event_invites::artsvp::InviteQuery;
//!
//! let securegate = SecureGate::from_env()?; // SECUREGATE_API_KEY [, SECUREGATE_BASE_URL]
//! let invites = securegate.invites("event-456", None).await?;
//!
//! let artsvp = Artsvp::from_env()?; // ARTSVP_API_KEY [, ARTSVP_BASE_URL]
//! let page = artsvp.list_invites(&InviteQuery::new().event("eve-123").limit(100)).await?;
//! println!("{} + {} invites", invites.len(), page.items.len());
//! # Ok(())
//! # }
//! ```
//!
//! For tests, `event-invites-fake` runs both APIs in-process.

#![deny(missing_docs)]

pub mod artsvp;
mod config;
mod enums;
mod error;
mod ids;
mod pacing;
mod retry;
mod secret;
pub mod securegate;
mod transport;
mod usage;

pub use artsvp::Artsvp;
pub use config::{Api, ClientBuilder, USER_AGENT};
pub use enums::{AuthenticationMethod, BookingStatus, CountryCode, InviteStatus, ResourceKind};
pub use error::{Error, FieldProblem, Result};
pub use pacing::{Quota, RateLimitState};
pub use retry::RetryPolicy;
pub use securegate::SecureGate;
pub use usage::{Usage, UsageParseError};

/// The generated clients, for what the facade does not wrap.
pub mod raw {
    pub use artsvp_api;
    pub use securegate_api;
}
