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
//! use event_invites::{Artsvp, SecureGate};
//! use event_invites::artsvp::{CreateOutcome, Dedupe, InviteQuery, NewInvite};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), event_invites::Error> {
//!     let securegate = SecureGate::from_env()?; // SECUREGATE_API_KEY [, SECUREGATE_BASE_URL]
//!     let guests = securegate.guest_list("event-456").await?;
//!
//!     let artsvp = Artsvp::from_env()?; // ARTSVP_API_KEY [, ARTSVP_BASE_URL]
//!     let new = NewInvite::for_event("eve-123").email("lucy@example.com").dedupe(Dedupe::Email);
//!     match artsvp.create_invite(&new).await? {
//!         CreateOutcome::Created(invite) => println!("invited: {}", invite.url),
//!         CreateOutcome::Existing(invite) => println!("already invited: {}", invite.url),
//!     }
//!     let mut invites = artsvp.invites(InviteQuery::new().event("eve-123").limit(100));
//!     while let Some(invite) = invites.try_next().await? {
//!         println!("{} {}", invite.code, invite.usage);
//!     }
//!     println!("{} accepted on SecureGate", guests.len());
//!     Ok(())
//! }
//! ```
//!
//! Every operation returns a [`Call`]: await it for the value, or first set
//! a timeout, a retry policy or headers for that call only, and use
//! [`Call::with_response`] for the status, headers, request id and
//! rate-limit state that came with it. An [`Observer`] sees every attempt
//! and pacing wait, for metrics.
//!
//! For tests, `event-invites-fake` runs both APIs in-process and hands out
//! clients pointed at them (`fake.client()`).
//!
//! # Models: re-exported, or copied into a typed form
//!
//! Each model is decided by one rule. A generated type (from
//! `securegate-api` / `artsvp-api`) is **re-exported** when every field is
//! already what a caller wants: ARTSVP's `Event` and `Collection`. It is
//! **copied** into a facade type when a field needs a typed or open form:
//! a status that must survive values the vendor adds later (open enums), a
//! string with numbers in it (`amount_used` as [`artsvp::Usage`]), a nested
//! resource whose kind matters ([`artsvp::Resource`]), or a field the
//! vendor's spec gets wrong (see the overlay). That is ARTSVP's
//! [`artsvp::Invite`], [`artsvp::Booking`], [`artsvp::InviteDetail`] and
//! [`artsvp::BatchResult`], and SecureGate's [`securegate::Invite`]. No
//! model is **wrapped**: a wrapper would put the fields behind accessors
//! and add nothing. A copy cannot drop a field silently: the workspace's
//! spec-coverage test fails when a field of the generated type is neither
//! carried nor listed as omitted, with the reason; the raw types stay one
//! call away ([`raw`], `client.raw()`).

//! # Security: what is sent where
//!
//! - **The key goes to the base URL's host only.** It is sent as a
//!   sensitive header (SecureGate's `x-api-key`, ARTSVP's `Authorization`)
//!   and never appears in `Debug`, `Display`, errors or traces.
//! - **Redirects are never followed**, by the facade's calls or by the
//!   generated client behind `raw()`: neither API documents one, and an
//!   HTTP client strips only `Authorization` on a cross-origin redirect, so
//!   following one would hand SecureGate's key, or a create's guest name
//!   and email (a 307 re-sends the body), to wherever it points. A 3xx is
//!   [`ErrorKind::Redirect`], naming only the origin it pointed to; it is
//!   not sent ([`Sent::No`]) and not retried. No `Referer` is sent.
//! - **Plain `http://` only to loopback** (`localhost`, `127.0.0.0/8`,
//!   `::1`): a client for a remote `http://` base URL is not built (a
//!   configuration error) unless the caller opts in
//!   ([`ClientBuilder::allow_insecure_http`], or
//!   [`ENV_ALLOW_INSECURE_HTTP`]`=1` through `from_env` and the tool).
//! - **TLS** checks the certificate against the system's roots and any
//!   added with [`ClientBuilder::root_certificate_pem`] (`from_env` adds
//!   the file named by `SSL_CERT_FILE`). A failed check is
//!   [`TransportCause::Tls`] with its [`TlsProblem`] (unknown issuer, name
//!   mismatch, expired; with `native-tls`, whose error carries no typed
//!   reason, [`TlsProblem::Other`]), after exactly one connection: it is
//!   never retried.
//! - **Causes are read from types only** (io error kinds, hyper's, rustls's
//!   and native-tls's errors, the resolver's [`HostLookupError`]), never
//!   from an error's words. Host names are looked up by
//!   [`SystemResolver`] (the system's `getaddrinfo`, typed), so a host that
//!   does not exist ([`TransportCause::NoSuchHost`], not retried) is told
//!   from a resolver that did not answer ([`TransportCause::Dns`]).
//! - **Proxies** come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
//!   `NO_PROXY` (reqwest's reading of them; `localhost` is proxied too
//!   unless `NO_PROXY` names it). An `https://` request goes through a
//!   `CONNECT` tunnel: the proxy sees the host and port, never the key or
//!   the body. Proxy credentials in those variables go to the proxy only,
//!   and never appear in errors or `Debug`.
//! - **Not logged**: guests' names, emails and phones from request or
//!   response bodies; errors name a field's path and the problem, and mask
//!   what a server's message echoes.
//! - A caller's own `reqwest::Client` ([`ClientBuilder::http_client`])
//!   keeps its own redirect, proxy and TLS settings: build it with
//!   `redirect(reqwest::redirect::Policy::none())` to keep the guarantees
//!   above.

//! # Cargo features
//!
//! | feature | what it adds | what it costs to build |
//! |---|---|---|
//! | `rustls` (default) | HTTPS through rustls with the aws-lc-rs provider (reqwest's `rustls`) | aws-lc-sys, which needs a C compiler: the longest single step of a clean build |
//! | `rustls-no-provider` | HTTPS through rustls, no crypto provider compiled in: install one (e.g. `rustls::crypto::ring::default_provider().install_default()`) before building a client | no C compilation from this crate |
//! | `native-tls` | HTTPS through the platform's TLS (OpenSSL, Secure Transport, SChannel) | links the system library (OpenSSL headers on Linux) |
//! | `schemars` | `schemars::JsonSchema` for every model, open enums included, and for the generated types | schemars and its derive macro |
//!
//! With no TLS feature the client speaks plain `http://` only (for the fake
//! servers, or behind a TLS-terminating proxy) and refuses an `https://`
//! base URL when it is built.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod setters;

pub mod artsvp;
mod config;
mod enums;
mod error;
mod export;
mod ids;
#[cfg(feature = "metrics")]
mod metrics;
mod observe;
mod pipeline;
mod quota;
mod redact;
mod secret;
pub mod securegate;
mod shell;
mod transport_cause;
mod usage;
mod verdict;

pub use artsvp::Artsvp;
pub use config::{Api, ClientBuilder, ENV_ALLOW_INSECURE_HTTP, USER_AGENT};
pub use error::{
    DeadlineStage, DecodeProblem, Error, ErrorKind, FieldProblem, Result, Service, TlsProblem,
    TransportCause,
};
pub use export::GuestRow;
#[cfg(feature = "metrics")]
pub use metrics::{MetricsObserver, Series, SeriesKind};
pub use observe::{
    AttemptEvent, AttemptOutcome, BudgetEvent, Observer, PacingEvent, PacingReason, QuotaEvent,
    QuotaStoreEvent,
};
pub use pipeline::call::{Call, Response};
pub use pipeline::resolve::{HostLookupError, SystemResolver};
pub use pipeline::retry::{RetryBudget, RetryPolicy};
pub use quota::{Quota, QuotaStore, QuotaUsage, RateLimitState};
pub use securegate::SecureGate;
pub use verdict::{Sent, Verdict};

/// The generated clients, for what the facade does not wrap.
pub mod raw {
    pub use artsvp_api;
    pub use securegate_api;
}
