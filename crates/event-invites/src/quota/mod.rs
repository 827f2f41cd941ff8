//! Client-side rate-limit pacing, shared by every clone of a client: bulk
//! work slows down *before* the server says 429.
//!
//! Two things gate each request:
//!
//! 1. the client's own quota (e.g. ARTSVP's published 1,000 requests per
//!    15 minutes): a token bucket that starts full and refills evenly;
//! 2. what the server last said: `x-rate-limit-remaining` (counted down by
//!    each request sent since) and `x-rate-limit-reset`. When the server's
//!    budget is spent, requests wait for its window to end.
//!
//! `x-rate-limit-reset` is in whole seconds, so one reading only places the
//! window's end within a second. Each response narrows that interval (the
//! end is after `now + reset - 1s` and by `now + reset`), and a wait lasts
//! until the latest possible end: never early, and after a few responses
//! only milliseconds late. A 429's `Retry-After` blocks everyone until it
//! has passed.

use std::time::Duration;

mod bucket;
mod pacer;
pub(crate) mod store;

pub(crate) use pacer::Pacer;
pub use store::QuotaStore;
pub(crate) use store::bucket_name;

/// A request quota: `limit` requests per `window`.
///
/// ```
/// use std::time::Duration;
/// use event_invites::{Artsvp, Quota};
///
/// // ARTSVP publishes 1,000 requests per 15 minutes; a shared key may warrant less.
/// let client = Artsvp::builder()
///     .api_key("key")
///     .quota(Some(Quota::new(500, Duration::from_secs(900))))
///     .build()?;
/// assert_eq!(Quota::per_second(5).window, Duration::from_secs(1));
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window (and the most sent in one burst).
    pub limit: u32,
    /// The window's length.
    pub window: Duration,
}

impl Quota {
    /// ARTSVP's published quota: 1,000 requests every 15 minutes.
    pub const ARTSVP: Quota = Quota {
        limit: artsvp_api::facts::QUOTA_LIMIT,
        window: Duration::from_secs(artsvp_api::facts::QUOTA_WINDOW_SECS),
    };

    /// `limit` requests per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window }
    }

    /// `limit` requests per second.
    pub fn per_second(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }
}

/// The rate-limit state the server last reported.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// let response = client.get_event(&fake.events()[0].id).with_response().await?;
/// if let Some(state) = response.rate_limit() {
///     println!("{} requests left, window ends in {:?}", state.remaining, state.reset_after);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitState {
    /// `x-rate-limit-limit`, when sent.
    pub limit: Option<u64>,
    /// `x-rate-limit-remaining` when the response arrived.
    pub remaining: u64,
    /// `x-rate-limit-reset`: time until the window resets, when the response
    /// arrived.
    pub reset_after: Duration,
    /// When the response arrived.
    pub observed_at: std::time::Instant,
}

/// A client's quota as its store holds it now: see
/// [`Artsvp::quota_usage`](crate::Artsvp::quota_usage).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// let client = fake.client();
/// client.list_events(&Default::default()).await?;
/// let usage = client.quota_usage().await;
/// println!("{} left of {:?} ({})", usage.left.unwrap_or(0), usage.quota, usage.store);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QuotaUsage {
    /// Where it is kept (`memory`, `host (…)`): see [`QuotaStore`].
    pub store: String,
    /// The bucket's name in the store: the API and a fingerprint of the
    /// key (never the key).
    pub bucket: String,
    /// The quota paced by: the configured one, or the server's smaller
    /// `x-rate-limit-limit` over the same window (`None`: no client quota).
    pub quota: Option<Quota>,
    /// Requests the quota allows now, for every client sharing the store.
    pub left: Option<u64>,
    /// How long until the quota is whole again, if nothing is sent.
    pub full_in: Option<Duration>,
    /// The server's `x-rate-limit-limit`, when one was seen.
    pub server_limit: Option<u64>,
    /// The server's budget left in its window, counted down since its last
    /// answer, when one was seen.
    pub server_remaining: Option<u64>,
    /// How long a 429's `Retry-After` still holds every request back.
    pub blocked_for: Option<Duration>,
    /// `false` while the store fails and this process paces alone.
    pub shared: bool,
}
