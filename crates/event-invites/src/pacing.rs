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

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::observe::PacingReason;

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

#[derive(Debug, Clone)]
struct State {
    tokens: f64,
    refilled_at: Instant,
    /// The server's budget left in its current window, counted down locally.
    server_remaining: Option<u64>,
    /// Bounds on when the server's current window ends.
    window_end: Option<(Instant, Instant)>,
    /// No request before this (a 429's `Retry-After`).
    blocked_until: Option<Instant>,
    /// Requests sent while the server's budget was unknown (before its
    /// first reading): the first reading may not count them yet.
    sent_unknown: u64,
    last: Option<RateLimitState>,
}

/// The pacer of one client and all its clones.
#[derive(Debug)]
pub(crate) struct Pacer {
    quota: Option<Quota>,
    state: Mutex<State>,
}

impl Pacer {
    pub(crate) fn new(quota: Option<Quota>) -> Self {
        Self {
            quota,
            state: Mutex::new(State {
                tokens: quota.map_or(0.0, |q| f64::from(q.limit.max(1))),
                refilled_at: Instant::now(),
                server_remaining: None,
                window_end: None,
                blocked_until: None,
                sent_unknown: 0,
                last: None,
            }),
        }
    }

    /// Waits until a request may be sent, and counts it. Returns how long
    /// it waited and why (the last reason), if it waited; or, sending
    /// nothing and counting nothing, the wait and its reason when that wait
    /// would end after `deadline`.
    pub(crate) async fn acquire_before(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Option<(Duration, PacingReason)>, (Duration, PacingReason)> {
        let started = Instant::now();
        let mut reason = None;
        loop {
            let now = Instant::now();
            match self.try_acquire(now) {
                None => return Ok(reason.map(|r| (started.elapsed(), r))),
                Some((wait, why)) if deadline.is_some_and(|d| now + wait > d) => {
                    return Err((wait, why));
                }
                Some((wait, why)) => {
                    reason = Some(why);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The quota, if the client paces by one.
    pub(crate) fn quota(&self) -> Option<Quota> {
        self.quota
    }

    /// Counts a request and returns `None`, or says how long to wait first
    /// and why.
    fn try_acquire(&self, now: Instant) -> Option<(Duration, PacingReason)> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.decide(&mut s, now)
    }

    /// How many requests could be sent now without waiting: the fewer of
    /// the client's quota tokens and the server's remaining budget (0 while
    /// a `Retry-After` holds); `None` when neither is known. Counts nothing.
    pub(crate) fn available(&self) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // Refresh the state as a request would (on a copy), then undo its
        // count; a `Retry-After` block or a spent budget waits.
        let waits = self.decide(&mut s, Instant::now()).is_some();
        if waits {
            return Some(0);
        }
        let tokens = self.quota.map(|_| (s.tokens + 1.0).floor() as u64);
        let server = s.server_remaining.map(|r| r + 1);
        match (tokens, server) {
            (Some(t), Some(r)) => Some(t.min(r)),
            (one, other) => one.or(other),
        }
    }

    /// How long the next request would wait now, and why; counts nothing.
    pub(crate) fn peek(&self) -> Option<(Duration, PacingReason)> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.decide(&mut s, Instant::now())
    }

    fn decide(&self, s: &mut State, now: Instant) -> Option<(Duration, PacingReason)> {
        if let Some(until) = s.blocked_until {
            if until > now {
                return Some((until - now, PacingReason::RetryAfter));
            }
            s.blocked_until = None;
        }
        if let Some((_, latest_end)) = s.window_end
            && latest_end <= now
        {
            // The server's window has ended: its budget is whole again, as
            // large as the last `x-rate-limit-limit` said (unknown if none).
            s.window_end = None;
            s.server_remaining = s.last.and_then(|l| l.limit);
        }
        if s.server_remaining == Some(0) {
            let wait = match s.window_end {
                Some((_, latest_end)) => latest_end - now,
                None => Duration::from_secs(1),
            };
            return Some((
                wait.max(Duration::from_millis(1)),
                PacingReason::ServerWindow,
            ));
        }
        if let Some(quota) = self.quota {
            let capacity = f64::from(quota.limit.max(1));
            let rate = capacity / quota.window.as_secs_f64().max(f64::EPSILON);
            let elapsed = now.saturating_duration_since(s.refilled_at).as_secs_f64();
            s.tokens = (s.tokens + elapsed * rate).min(capacity);
            s.refilled_at = now;
            if s.tokens < 1.0 {
                return Some((
                    Duration::from_secs_f64((1.0 - s.tokens) / rate),
                    PacingReason::Quota,
                ));
            }
            s.tokens -= 1.0;
        }
        match &mut s.server_remaining {
            Some(remaining) => *remaining = remaining.saturating_sub(1),
            None => s.sent_unknown += 1,
        }
        None
    }

    /// Reads the rate-limit headers of a response.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        self.observe_at(headers, Instant::now());
    }

    fn observe_at(&self, headers: &HeaderMap, now: Instant) {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let (Some(remaining), Some(reset)) = (
            number(artsvp_api::facts::RATE_LIMIT_REMAINING),
            number(artsvp_api::facts::RATE_LIMIT_RESET),
        ) else {
            return;
        };
        let reset = Duration::from_secs(reset);
        let (earliest, latest) = (
            now + reset.saturating_sub(Duration::from_secs(1)),
            now + reset,
        );
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match s.window_end {
            Some((lo, hi)) if earliest <= hi && latest >= lo => {
                // The window we know: narrow its end, and keep the smaller
                // budget (requests sent since this response left the
                // server are already counted down).
                s.window_end = Some((lo.max(earliest), hi.min(latest)));
                s.server_remaining =
                    Some(s.server_remaining.map_or(remaining, |r| r.min(remaining)));
            }
            Some(_) => {
                // A later window than the one we knew.
                s.window_end = Some((earliest, latest));
                s.server_remaining = Some(remaining);
            }
            None => {
                // The first reading, or the first of a window whose budget we
                // have been counting down since it began. A first reading
                // answers one of the requests sent blind; the others may
                // not be counted in it yet, so they are taken off.
                s.window_end = Some((earliest, latest));
                let blind = std::mem::take(&mut s.sent_unknown).saturating_sub(1);
                s.server_remaining = Some(
                    s.server_remaining
                        .map_or(remaining.saturating_sub(blind), |r| r.min(remaining)),
                );
            }
        }
        s.last = Some(RateLimitState {
            limit: number(artsvp_api::facts::RATE_LIMIT_LIMIT),
            remaining,
            reset_after: reset,
            observed_at: now.into_std(),
        });
    }

    /// Holds every request back for `wait` (a 429's `Retry-After`).
    pub(crate) fn block_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// What the server last reported.
    pub(crate) fn last(&self) -> Option<RateLimitState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(remaining: u64, reset: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-limit", "50".parse().unwrap());
        h.insert(
            "x-rate-limit-remaining",
            remaining.to_string().parse().unwrap(),
        );
        h.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
        h
    }

    #[test]
    fn the_local_quota_allows_a_burst_then_paces() {
        let pacer = Pacer::new(Some(Quota::per_second(3)));
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.try_acquire(now), None);
        }
        let (wait, reason) = pacer.try_acquire(now).expect("the bucket is empty");
        assert_eq!(reason, PacingReason::Quota);
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(334),
            "{wait:?}"
        );
        assert_eq!(pacer.try_acquire(now + Duration::from_millis(334)), None);
    }

    #[test]
    fn a_partly_refilled_bucket_waits_only_for_the_rest_of_a_token() {
        // 4 per 2 s: a token every 500 ms.
        let quota = Quota::new(4, Duration::from_secs(2));
        let pacer = Pacer::new(Some(quota));
        assert_eq!(pacer.quota(), Some(quota));
        let now = Instant::now();
        for _ in 0..4 {
            assert_eq!(pacer.try_acquire(now), None);
        }
        // 250 ms later half a token is back: 250 ms more to wait.
        let (wait, reason) = pacer
            .try_acquire(now + Duration::from_millis(250))
            .expect("half a token is not one");
        assert_eq!(reason, PacingReason::Quota);
        let ms = wait.as_millis();
        assert!((249..=251).contains(&ms), "{wait:?}");
        // Peeking says the same and counts nothing.
        let (peeked, _) = pacer.peek().expect("still waiting");
        assert!(peeked > Duration::from_millis(200), "{peeked:?}");
        assert!(pacer.peek().is_some(), "a peek took nothing");
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_is_refused_and_one_before_it_is_waited() {
        let pacer = Pacer::new(Some(Quota::new(1, Duration::from_secs(60))));
        assert_eq!(pacer.acquire_before(None).await, Ok(None));
        let soon = Instant::now() + Duration::from_secs(1);
        let (wait, reason) = pacer.acquire_before(Some(soon)).await.unwrap_err();
        assert_eq!(reason, PacingReason::Quota);
        assert!(wait > Duration::from_secs(59), "{wait:?}");

        let fast = Pacer::new(Some(Quota::new(1, Duration::from_millis(40))));
        assert_eq!(fast.acquire_before(None).await, Ok(None));
        let later = Instant::now() + Duration::from_secs(5);
        let (waited, why) = fast
            .acquire_before(Some(later))
            .await
            .unwrap()
            .expect("it waited for the next token");
        assert_eq!(why, PacingReason::Quota);
        assert!(waited >= Duration::from_millis(30), "{waited:?}");
    }

    #[test]
    fn what_is_available_now_is_the_fewer_of_tokens_and_server_budget() {
        let pacer = Pacer::new(Some(Quota::new(10, Duration::from_secs(60))));
        assert_eq!(pacer.available(), Some(10));
        pacer.observe(&headers(3, 30));
        assert_eq!(pacer.available(), Some(3), "the server's budget is smaller");
        assert_eq!(Pacer::new(None).available(), None, "nothing known");
        pacer.block_for(Duration::from_secs(5));
        assert_eq!(pacer.available(), Some(0));
    }

    #[test]
    fn no_quota_means_no_wait() {
        let pacer = Pacer::new(None);
        let now = Instant::now();
        for _ in 0..1_000 {
            assert_eq!(pacer.try_acquire(now), None);
        }
    }

    #[test]
    fn a_spent_server_budget_waits_for_the_window_end() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        pacer.observe_at(&headers(2, 1), t0);
        assert_eq!(pacer.try_acquire(t0), None);
        assert_eq!(pacer.try_acquire(t0), None);
        let (wait, reason) = pacer.try_acquire(t0).expect("budget spent");
        assert_eq!(reason, PacingReason::ServerWindow);
        assert_eq!(
            wait,
            Duration::from_secs(1),
            "until the latest possible end"
        );
        assert_eq!(
            pacer.try_acquire(t0 + Duration::from_secs(1)),
            None,
            "a new window"
        );
        assert_eq!(pacer.last().unwrap().remaining, 2);
    }

    #[test]
    fn readings_narrow_the_window_end() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        // At t0 the window has (0, 1] s left; at t0+0.6 it shows 1 s again,
        // so it ends in (t0+0.6, t0+1]; at t0+0.7 a reading of 1 s and 0 left.
        pacer.observe_at(&headers(10, 1), t0);
        pacer.observe_at(&headers(5, 1), t0 + Duration::from_millis(600));
        pacer.observe_at(&headers(0, 1), t0 + Duration::from_millis(700));
        let (wait, _) = pacer
            .try_acquire(t0 + Duration::from_millis(700))
            .expect("budget spent");
        assert_eq!(
            wait,
            Duration::from_millis(300),
            "ends by t0+1s, the tightest bound"
        );
    }

    #[test]
    fn a_reading_of_a_later_window_starts_its_budget_afresh() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        // Spent, the window ending in (t0+1, t0+2].
        pacer.observe_at(&headers(0, 2), t0);
        assert!(pacer.try_acquire(t0).is_some(), "the budget is spent");
        // At t0+2.5 s a reading ending in (t0+3.5, t0+4.5]: a new window,
        // whose 10 are not the old window's 0.
        let later = t0 + Duration::from_millis(2_500);
        pacer.observe_at(&headers(10, 2), later);
        assert_eq!(pacer.try_acquire(later), None, "the new window's budget");

        // Even before the known window is over: at t0+1.5 s a reading
        // ending in (t0+5.5, t0+6.5] begins after (t0+1, t0+2] ends, so it
        // is a new window, not the old one narrowed.
        let pacer = Pacer::new(None);
        pacer.observe_at(&headers(0, 2), t0);
        let early = t0 + Duration::from_millis(1_500);
        pacer.observe_at(&headers(10, 5), early);
        assert_eq!(pacer.try_acquire(early), None, "its own budget of 10");
    }

    #[test]
    fn requests_sent_before_the_first_reading_are_counted_against_it() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        for _ in 0..4 {
            assert_eq!(pacer.try_acquire(t0), None, "the budget is unknown");
        }
        // The first answer says 19 left: the three others in flight may
        // not be in that figure.
        pacer.observe_at(&headers(19, 1), t0);
        for _ in 0..16 {
            assert_eq!(pacer.try_acquire(t0), None);
        }
        assert!(pacer.try_acquire(t0).is_some(), "16 = 19 - 3, then wait");
    }

    #[test]
    fn retry_after_blocks_everyone() {
        let pacer = Pacer::new(None);
        pacer.block_for(Duration::from_secs(5));
        let (wait, reason) = pacer.try_acquire(Instant::now()).expect("blocked");
        assert!(wait > Duration::from_secs(4));
        assert_eq!(reason, PacingReason::RetryAfter);
    }
}
