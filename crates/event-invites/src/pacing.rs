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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::observe::{Observers, PacingReason, QuotaStoreEvent};
use crate::quota_store::QuotaStore;

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

/// Microseconds since the Unix epoch: a time every process on a host
/// reads alike, so that a bucket kept in a file means the same to each.
pub(crate) type Micros = u64;

/// Reads a tokio `Instant` as wall-clock [`Micros`]: the wall clock when
/// the pacer was made, moved on by the monotonic clock since (so a pacer's
/// own waits never jump with the wall clock).
#[derive(Debug, Clone, Copy)]
struct WallClock {
    at: Instant,
    wall: Micros,
}

impl WallClock {
    fn now() -> Self {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as Micros);
        Self {
            at: Instant::now(),
            wall,
        }
    }

    fn micros(&self, t: Instant) -> Micros {
        if t >= self.at {
            self.wall + (t - self.at).as_micros() as Micros
        } else {
            self.wall
                .saturating_sub((self.at - t).as_micros() as Micros)
        }
    }
}

fn micros(d: Duration) -> Micros {
    d.as_micros() as Micros
}

fn duration(us: Micros) -> Duration {
    Duration::from_micros(us)
}

/// The pacing state of one API key, as a quota store keeps it for every
/// client that shares it: the quota's tokens, the server's budget and
/// window as its headers said, and a 429's hold. Times are wall-clock
/// [`Micros`]; nothing in it is secret or personal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Bucket {
    /// Quota tokens left, as of `refilled_at`.
    pub(crate) tokens: f64,
    pub(crate) refilled_at: Micros,
    /// The server's budget left in its current window, counted down by
    /// each request sent since its last reading.
    pub(crate) server_remaining: Option<u64>,
    /// Bounds on when the server's current window ends.
    pub(crate) window_end: Option<(Micros, Micros)>,
    /// No request before this (a 429's `Retry-After`).
    pub(crate) blocked_until: Option<Micros>,
    /// Requests sent while the server's budget was unknown (before its
    /// first reading): the first reading may not count them yet.
    pub(crate) sent_unknown: u64,
    /// The server's `x-rate-limit-limit`, last said: its quota, which
    /// wins over a larger configured one.
    pub(crate) server_limit: Option<u64>,
    /// The server's window as far as its headers tell: the longest
    /// `x-rate-limit-reset` seen (a fresh window's first answer shows all
    /// of it).
    #[serde(default)]
    pub(crate) server_window: Option<Micros>,
}

/// One reading of a response's rate-limit headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reading {
    pub(crate) limit: Option<u64>,
    pub(crate) remaining: u64,
    pub(crate) reset: Duration,
}

impl Bucket {
    /// A bucket no request has used: its quota's tokens all there.
    pub(crate) fn new(quota: Option<Quota>, now: Micros) -> Self {
        Self {
            tokens: quota.map_or(0.0, |q| f64::from(q.limit.max(1))),
            refilled_at: now,
            server_remaining: None,
            window_end: None,
            blocked_until: None,
            sent_unknown: 0,
            server_limit: None,
            server_window: None,
        }
    }

    /// The quota paced by: the configured one, or, when the server's
    /// `x-rate-limit-limit` is smaller, the server's: that many over its
    /// window as its headers tell (the configured window until they do).
    pub(crate) fn effective(&self, quota: Option<Quota>) -> Option<Quota> {
        let quota = quota?;
        match self.server_limit {
            Some(server) if server < u64::from(quota.limit) => Some(Quota::new(
                server.max(1) as u32,
                self.server_window.map_or(quota.window, duration),
            )),
            _ => Some(quota),
        }
    }

    /// Adds the tokens `quota` gave back since the last refill, up to its
    /// limit; returns the limit and the rate (tokens a second).
    pub(crate) fn refill(&mut self, quota: Quota, now: Micros) -> (f64, f64) {
        let capacity = f64::from(quota.limit.max(1));
        let rate = capacity / quota.window.as_secs_f64().max(f64::EPSILON);
        let elapsed = duration(now.saturating_sub(self.refilled_at)).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        self.refilled_at = self.refilled_at.max(now);
        (capacity, rate)
    }

    /// Counts a request and returns `None`, or says how long to wait first
    /// and why.
    pub(crate) fn decide(
        &mut self,
        quota: Option<Quota>,
        now: Micros,
    ) -> Option<(Duration, PacingReason)> {
        if let Some(until) = self.blocked_until {
            if until > now {
                return Some((duration(until - now), PacingReason::RetryAfter));
            }
            self.blocked_until = None;
        }
        if let Some((_, latest_end)) = self.window_end
            && latest_end <= now
        {
            // The server's window has ended: its budget is whole again, as
            // large as the last `x-rate-limit-limit` said (unknown if none).
            self.window_end = None;
            self.server_remaining = self.server_limit;
        }
        if self.server_remaining == Some(0) {
            let wait = match self.window_end {
                Some((_, latest_end)) => duration(latest_end - now),
                None => Duration::from_secs(1),
            };
            return Some((
                wait.max(Duration::from_millis(1)),
                PacingReason::ServerWindow,
            ));
        }
        if let Some(quota) = self.effective(quota) {
            let (_, rate) = self.refill(quota, now);
            if self.tokens < 1.0 {
                return Some((
                    Duration::from_secs_f64((1.0 - self.tokens) / rate),
                    PacingReason::Quota,
                ));
            }
            self.tokens -= 1.0;
        }
        match &mut self.server_remaining {
            Some(remaining) => *remaining = remaining.saturating_sub(1),
            None => self.sent_unknown += 1,
        }
        None
    }

    /// Takes in one reading of the server's headers, made at `now`.
    pub(crate) fn observe(&mut self, reading: Reading, now: Micros) {
        let Reading {
            limit,
            remaining,
            reset,
        } = reading;
        let (earliest, latest) = (
            now + micros(reset.saturating_sub(Duration::from_secs(1))),
            now + micros(reset),
        );
        match self.window_end {
            // A reading of a window that ended before the one we know
            // (told late, after the store was back): nothing to learn.
            Some((lo, _)) if latest < lo => return,
            Some((lo, hi)) if earliest <= hi && latest >= lo => {
                // The window we know: narrow its end, and keep the smaller
                // budget (requests sent since this response left the
                // server are already counted down).
                self.window_end = Some((lo.max(earliest), hi.min(latest)));
                self.server_remaining = Some(
                    self.server_remaining
                        .map_or(remaining, |r| r.min(remaining)),
                );
            }
            Some(_) => {
                // A later window than the one we knew.
                self.window_end = Some((earliest, latest));
                self.server_remaining = Some(remaining);
            }
            None => {
                // The first reading, or the first of a window whose budget we
                // have been counting down since it began. A first reading
                // answers one of the requests sent blind; the others may
                // not be counted in it yet, so they are taken off.
                self.window_end = Some((earliest, latest));
                let blind = std::mem::take(&mut self.sent_unknown).saturating_sub(1);
                self.server_remaining = Some(
                    self.server_remaining
                        .map_or(remaining.saturating_sub(blind), |r| r.min(remaining)),
                );
            }
        }
        if limit.is_some() {
            self.server_limit = limit;
        }
        self.server_window = Some(self.server_window.unwrap_or(0).max(micros(reset)));
    }

    /// Holds every request back until `until`.
    pub(crate) fn block(&mut self, until: Micros) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// The same bucket on a clock `by` µs ahead (a store's clock, or back
    /// from it): every instant moved, every amount kept.
    pub(crate) fn shifted(&self, by: i64) -> Bucket {
        let at = |t: Micros| t.saturating_add_signed(by);
        Bucket {
            refilled_at: at(self.refilled_at),
            window_end: self.window_end.map(|(lo, hi)| (at(lo), at(hi))),
            blocked_until: self.blocked_until.map(at),
            ..self.clone()
        }
    }

    /// One of `n` equal shares of the bucket (tokens, the server's budget
    /// and limit): what each of `n` sharers may use while they cannot
    /// share the bucket itself.
    fn share(&self, n: u32) -> Bucket {
        Bucket {
            tokens: self.tokens / f64::from(n.max(1)),
            server_remaining: self.server_remaining.map(|r| share(r, n)),
            server_limit: self.server_limit.map(|l| share(l, n).max(1)),
            ..self.clone()
        }
    }
}

impl Bucket {
    /// The whole bucket again from one of `n` equal shares of it: what a
    /// store that lost the bucket starts from when the first sharer is
    /// back (the others are taken to have used their shares alike).
    fn unshare(&self, n: u32) -> Bucket {
        let n = n.max(1);
        Bucket {
            tokens: self.tokens * f64::from(n),
            server_remaining: self.server_remaining.map(|r| r * u64::from(n)),
            server_limit: self.server_limit.map(|l| l * u64::from(n)),
            ..self.clone()
        }
    }
}

/// One of `n` equal shares of `amount`, rounded down.
fn share(amount: u64, n: u32) -> u64 {
    amount / u64::from(n.max(1))
}

/// What a pacer learned from a response, on its way to the store: told as
/// how long ago it happened, so a store on another clock places it right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Event {
    /// The server's rate-limit headers, read `ago` µs before the exchange.
    Observe { reading: Reading, ago: Micros },
    /// A 429's `Retry-After` of `wait` µs, read `ago` µs before.
    Block { wait: Micros, ago: Micros },
}

impl Event {
    /// The same event as one of `n` sharers should read it: a share of the
    /// server's budget and limit.
    fn share(self, n: u32) -> Event {
        match self {
            Event::Observe { reading, ago } => Event::Observe {
                reading: Reading {
                    limit: reading.limit.map(|l| share(l, n).max(1)),
                    remaining: share(reading.remaining, n),
                    ..reading
                },
                ago,
            },
            block => block,
        }
    }

    /// The same event, learned `ago` µs before the exchange.
    fn ago(self, ago: Micros) -> Event {
        match self {
            Event::Observe { reading, .. } => Event::Observe { reading, ago },
            Event::Block { wait, .. } => Event::Block { wait, ago },
        }
    }
}

/// One exchange with a quota store: apply what this pacer learned since
/// the last one, then (when `take`) count a request or say how long to
/// wait. The store does it atomically on its own clock.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    pub(crate) quota: Option<Quota>,
    /// The asking pacer's clock (a store without one of its own uses it).
    pub(crate) now: Micros,
    pub(crate) events: Vec<Event>,
    pub(crate) take: bool,
    /// The asker's own copy of the bucket, on the store's clock: what a
    /// store that lost the bucket (restarted) starts from, rather than a
    /// full quota.
    pub(crate) seed: Option<Bucket>,
    /// The asking pacer (random, made with it): a store that can count
    /// the pacers taking from a bucket lately does.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) pacer: u64,
}

/// A store's answer: its clock, the bucket after the exchange, and the
/// wait (when `take` found no request allowed now).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub(crate) now: Micros,
    pub(crate) bucket: Bucket,
    pub(crate) wait: Option<(Duration, PacingReason)>,
    /// How many pacers took from the bucket lately, if the store counts
    /// them: while it fails, each paces to its share.
    pub(crate) sharers: Option<u32>,
}

impl Ask {
    /// The exchange, on a bucket kept by the caller (`None`: none yet) at
    /// `now` on the store's clock: what the memory and host stores run,
    /// and what the Redis store's script does in Lua.
    pub(crate) fn apply(&self, slot: &mut Option<Bucket>, now: Micros) -> Answer {
        let bucket = slot.get_or_insert_with(|| {
            self.seed
                .clone()
                .unwrap_or_else(|| Bucket::new(self.quota, now))
        });
        for event in &self.events {
            match *event {
                Event::Observe { reading, ago } => bucket.observe(reading, now.saturating_sub(ago)),
                Event::Block { wait, ago } => bucket.block(now.saturating_sub(ago) + wait),
            }
        }
        let wait = if self.take {
            bucket.decide(self.quota, now)
        } else {
            None
        };
        Answer {
            now,
            bucket: bucket.clone(),
            wait,
            sharers: None,
        }
    }
}

/// The pacer of one client and all its clones: it keeps its [`Bucket`] in
/// a [`QuotaStore`] (this process's memory unless the client was given
/// another), under a name made of the API and a fingerprint of the key.
///
/// Each request is one exchange with the store (what this pacer learned
/// since the last, then a token). The pacer keeps a copy of the bucket as
/// the store last answered, moved on by what it learns in between: progress
/// reads it without asking the store, and while the store fails the pacer
/// paces by it alone.
#[derive(Debug)]
pub(crate) struct Pacer {
    quota: Option<Quota>,
    store: QuotaStore,
    bucket: String,
    clock: WallClock,
    /// What the server last reported to this process.
    last: Mutex<Option<RateLimitState>>,
    /// This pacer's copy of the bucket and what it has not told the store.
    local: Mutex<Local>,
    failing: AtomicBool,
    /// Told when the store fails and when it is back, with the API's name.
    observers: Observers,
    api: &'static str,
    /// This pacer, to a store that counts its sharers.
    id: u64,
}

/// A pacer's own side of its bucket.
#[derive(Debug)]
struct Local {
    /// The bucket as the store last answered (on this pacer's clock), with
    /// what was learned since.
    mirror: Option<Bucket>,
    /// Learned since the last exchange, with when (this pacer's clock).
    pending: Vec<(Event, Micros)>,
    /// The store's clock minus this pacer's, at the last exchange.
    offset: i64,
    /// The pacers the store last counted on this bucket (1 if it does not
    /// count): while it fails, this one paces to a share of the quota.
    sharers: u32,
    /// How many times the store started failing: an answer to an exchange
    /// begun before the last time is stale (it neither ends the failure
    /// nor replaces this pacer's share).
    failures: u64,
}

/// Events kept for the store while it fails: the newest this many.
const PENDING_MAX: usize = 64;

impl Pacer {
    /// A pacer of its own, in this process's memory.
    #[cfg(test)]
    pub(crate) fn new(quota: Option<Quota>) -> Self {
        Self::shared(quota, QuotaStore::memory(), "local".into())
    }

    /// A pacer whose bucket is `bucket` in `store`, shared with every
    /// client that names the same bucket there.
    pub(crate) fn shared(quota: Option<Quota>, store: QuotaStore, bucket: String) -> Self {
        Self {
            quota,
            store,
            bucket,
            clock: WallClock::now(),
            last: Mutex::new(None),
            local: Mutex::new(Local {
                mirror: None,
                pending: Vec::new(),
                offset: 0,
                sharers: 1,
                failures: 0,
            }),
            failing: AtomicBool::new(false),
            observers: Observers::default(),
            api: "",
            id: fastrand::u64(..),
        }
    }

    /// Tells `observers`, as `api`, when the store fails and is back.
    pub(crate) fn observed(mut self, observers: Observers, api: &'static str) -> Self {
        self.observers = observers;
        self.api = api;
        self
    }

    /// The same pacer with its clock `by` µs off the true one (tests of
    /// sharers whose clocks disagree).
    #[cfg(test)]
    pub(crate) fn skewed(mut self, by: i64) -> Self {
        self.clock.wall = self.clock.wall.saturating_add_signed(by);
        self
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One exchange with the store at `at`: tells it what was learned
    /// since the last, and when `take`, counts a request or learns the
    /// wait. Returns the bucket (on this pacer's clock) and the wait. While
    /// the store fails, the pacer's own copy answers instead, said once
    /// when it starts failing and once when it is back.
    async fn exchange(
        &self,
        at: Instant,
        take: bool,
    ) -> (Bucket, Option<(Duration, PacingReason)>) {
        let now = self.clock.micros(at);
        let (ask, drained, seen) = {
            let mut local = self.local();
            let drained: Vec<(Event, Micros)> = local.pending.drain(..).collect();
            let events = drained
                .iter()
                .map(|&(event, when)| event.ago(now.saturating_sub(when)))
                .collect();
            // While it fails, the copy is this pacer's share: a store that
            // is back empty starts from the whole.
            let seed = local
                .mirror
                .as_ref()
                .map(|m| match self.failing.load(Ordering::Relaxed) {
                    true => m.unshare(local.sharers).shifted(local.offset),
                    false => m.shifted(local.offset),
                });
            let ask = Ask {
                quota: self.quota,
                now,
                events,
                take,
                seed,
                pacer: self.id,
            };
            (ask, drained, local.failures)
        };
        match self.store.inner.exchange(&self.bucket, &ask).await {
            Ok(answer) => {
                let offset = answer.now as i64 - now as i64;
                let mine = answer.bucket.shifted(-offset);
                let mut local = self.local();
                if local.failures != seen && self.failing.load(Ordering::Relaxed) {
                    // Begun before the store failed: the request is counted
                    // there, but this pacer goes on with its share.
                    return (mine, answer.wait);
                }
                let back = self.failing.swap(false, Ordering::Relaxed);
                local.offset = offset;
                local.sharers = answer.sharers.unwrap_or(1).max(1);
                // What was learned while the store answered is in `pending`
                // and not in its answer yet: the copy keeps it too.
                let mut copy = mine.clone();
                for (event, when) in &local.pending {
                    apply_event(&mut copy, *event, *when);
                }
                local.mirror = Some(copy);
                drop(local);
                if back {
                    tracing::warn!(store = %self.store, "the quota store answers again: shared pacing resumes");
                    self.tell(None);
                }
                (mine, answer.wait)
            }
            Err(e) => {
                let mut local = self.local();
                let started = !self.failing.swap(true, Ordering::Relaxed);
                if started {
                    local.failures += 1;
                }
                // What was learned waits for the store (the newest of it).
                let mut kept = drained;
                kept.append(&mut local.pending);
                let excess = kept.len().saturating_sub(PENDING_MAX);
                local.pending = kept.split_off(excess);
                let n = local.sharers;
                let quota = self.alone(n);
                let mirror = local
                    .mirror
                    .get_or_insert_with(|| Bucket::new(self.quota, now));
                if started {
                    // From now on this process paces alone: to its share of
                    // what the sharers had left, and of the quota.
                    *mirror = mirror.share(n);
                }
                let wait = if take {
                    mirror.decide(quota, now)
                } else {
                    None
                };
                let answer = (mirror.clone(), wait);
                drop(local);
                if started {
                    tracing::warn!(store = %self.store, error = %e, "the quota store failed: pacing by this process's share of the quota and the server's headers until it is back");
                    self.tell(Some(e.to_string()));
                }
                answer
            }
        }
    }

    /// The quota this pacer paces by while the store fails and `n` pacers
    /// shared it: its share.
    fn alone(&self, n: u32) -> Option<Quota> {
        self.quota
            .map(|q| Quota::new(share(u64::from(q.limit), n).max(1) as u32, q.window))
    }

    /// Tells the observer that the store failed (with why) or is back.
    fn tell(&self, error: Option<String>) {
        self.observers.quota_store(|| QuotaStoreEvent {
            api: self.api,
            store: self.store.to_string(),
            error,
        });
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
            match self.try_acquire(now).await {
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
    pub(crate) async fn try_acquire(&self, now: Instant) -> Option<(Duration, PacingReason)> {
        self.exchange(now, true).await.1
    }

    /// What a request would find now, counting nothing: from this pacer's
    /// copy of the bucket (as the store answered its last request), without
    /// asking the store.
    pub(crate) fn outlook(&self) -> Outlook {
        let now = self.clock.micros(Instant::now());
        let (mut b, pace_by) = {
            let local = self.local();
            let b = local
                .mirror
                .clone()
                .unwrap_or_else(|| Bucket::new(self.quota, now));
            match self.failing.load(Ordering::Relaxed) {
                true => (b, self.alone(local.sharers)),
                false => (b, self.quota),
            }
        };
        let quota = b.effective(pace_by);
        let wait = b.decide(pace_by, now);
        let available = if wait.is_some() {
            Some(0)
        } else {
            // `decide` counted one request on the copy: give it back.
            let tokens = self.quota.map(|_| (b.tokens + 1.0).floor() as u64);
            let server = b.server_remaining.map(|r| r + 1);
            match (tokens, server) {
                (Some(t), Some(r)) => Some(t.min(r)),
                (one, other) => one.or(other),
            }
        };
        Outlook {
            available,
            wait,
            quota,
        }
    }

    /// How many requests could be sent now without waiting: the fewer of
    /// the quota's tokens and the server's remaining budget (0 while a
    /// `Retry-After` holds); `None` when neither is known. Counts nothing.
    #[cfg(test)]
    pub(crate) fn available(&self) -> Option<u64> {
        self.outlook().available
    }

    /// How long the next request would wait now, and why; counts nothing.
    #[cfg(test)]
    pub(crate) fn peek(&self) -> Option<(Duration, PacingReason)> {
        self.outlook().wait
    }

    /// The quota paced by now (the server's, when it said a smaller one),
    /// with the tokens left and how long until they are all back: asks the
    /// store (counting nothing).
    pub(crate) async fn usage(&self) -> QuotaUsage {
        let at = Instant::now();
        let (mut b, _) = self.exchange(at, false).await;
        let now = self.clock.micros(at);
        let effective = b.effective(self.quota);
        // Refilled to now (on a copy) without counting a request.
        let refilled = effective.map(|q| b.refill(q, now));
        QuotaUsage {
            store: self.store.to_string(),
            bucket: self.bucket.clone(),
            quota: effective,
            left: effective.map(|_| b.tokens.floor().max(0.0) as u64),
            full_in: refilled.map(|(capacity, rate)| {
                Duration::from_secs_f64(((capacity - b.tokens) / rate).max(0.0))
            }),
            server_limit: b.server_limit,
            server_remaining: b.server_remaining,
            blocked_for: b
                .blocked_until
                .filter(|until| *until > now)
                .map(|until| duration(until - now)),
            shared: !self.failing.load(Ordering::Relaxed),
        }
    }

    /// Reads the rate-limit headers of a response, for every sharer: into
    /// this pacer's copy and the store (at once, so that a spent window or
    /// a smaller limit holds the others back before their next request).
    pub(crate) async fn observe(&self, headers: &HeaderMap) {
        self.observe_at(headers, Instant::now()).await;
    }

    async fn observe_at(&self, headers: &HeaderMap, at: Instant) {
        if self.read(headers, at) {
            self.exchange(at, false).await;
        }
    }

    /// Keeps what `headers` say (`true`), if they carry a reading.
    fn read(&self, headers: &HeaderMap, at: Instant) -> bool {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let (Some(remaining), Some(reset)) = (
            number(artsvp_api::facts::RATE_LIMIT_REMAINING),
            number(artsvp_api::facts::RATE_LIMIT_RESET),
        ) else {
            return false;
        };
        let reading = Reading {
            limit: number(artsvp_api::facts::RATE_LIMIT_LIMIT),
            remaining,
            reset: Duration::from_secs(reset),
        };
        self.learn(Event::Observe { reading, ago: 0 }, at);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(RateLimitState {
            limit: reading.limit,
            remaining,
            reset_after: reading.reset,
            observed_at: at.into_std(),
        });
        true
    }

    /// Keeps `event`, learned at `at`, in this pacer's copy and for the
    /// store.
    fn learn(&self, event: Event, at: Instant) {
        let when = self.clock.micros(at);
        let quota = self.quota;
        let mut local = self.local();
        // While the store fails, the server's figures are shared too.
        let n = if self.failing.load(Ordering::Relaxed) {
            local.sharers
        } else {
            1
        };
        let mirror = local.mirror.get_or_insert_with(|| Bucket::new(quota, when));
        apply_event(mirror, event.share(n), when);
        local.pending.push((event, when));
        let excess = local.pending.len().saturating_sub(PENDING_MAX);
        local.pending.drain(..excess);
    }

    /// Holds every request back for `wait` (a 429's `Retry-After`), for
    /// every sharer: tells the store at once.
    pub(crate) async fn block_for(&self, wait: Duration) {
        let now = Instant::now();
        self.learn(
            Event::Block {
                wait: micros(wait),
                ago: 0,
            },
            now,
        );
        self.exchange(now, false).await;
    }

    /// What the server last reported to this process.
    pub(crate) fn last(&self) -> Option<RateLimitState> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Applies `event`, learned at `when`, to `bucket` (same clock).
fn apply_event(bucket: &mut Bucket, event: Event, when: Micros) {
    match event {
        Event::Observe { reading, .. } => bucket.observe(reading, when),
        Event::Block { wait, .. } => bucket.block(when + wait),
    }
}

/// What a request would find now: [`Pacer::outlook`].
pub(crate) struct Outlook {
    /// Requests that could go without waiting (`None`: nothing known).
    pub(crate) available: Option<u64>,
    /// How long the next would wait, and why.
    pub(crate) wait: Option<(Duration, PacingReason)>,
    /// The quota paced by (the server's, when smaller).
    pub(crate) quota: Option<Quota>,
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

    #[tokio::test]
    async fn the_local_quota_allows_a_burst_then_paces() {
        let pacer = Pacer::new(Some(Quota::per_second(3)));
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.try_acquire(now).await, None);
        }
        let (wait, reason) = pacer.try_acquire(now).await.expect("the bucket is empty");
        assert_eq!(reason, PacingReason::Quota);
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(334),
            "{wait:?}"
        );
        assert_eq!(
            pacer.try_acquire(now + Duration::from_millis(334)).await,
            None
        );
    }

    #[tokio::test]
    async fn a_partly_refilled_bucket_waits_only_for_the_rest_of_a_token() {
        // 4 per 2 s: a token every 500 ms.
        let quota = Quota::new(4, Duration::from_secs(2));
        let pacer = Pacer::new(Some(quota));
        assert_eq!(pacer.quota(), Some(quota));
        let now = Instant::now();
        for _ in 0..4 {
            assert_eq!(pacer.try_acquire(now).await, None);
        }
        // 250 ms later half a token is back: 250 ms more to wait.
        let (wait, reason) = pacer
            .try_acquire(now + Duration::from_millis(250))
            .await
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

    #[tokio::test]
    async fn what_is_available_now_is_the_fewer_of_tokens_and_server_budget() {
        let pacer = Pacer::new(Some(Quota::new(10, Duration::from_secs(60))));
        assert_eq!(pacer.available(), Some(10));
        pacer.observe(&headers(3, 30)).await;
        assert_eq!(pacer.available(), Some(3), "the server's budget is smaller");
        assert_eq!(Pacer::new(None).available(), None, "nothing known");
        pacer.block_for(Duration::from_secs(5)).await;
        assert_eq!(pacer.available(), Some(0));
    }

    #[tokio::test]
    async fn no_quota_means_no_wait() {
        let pacer = Pacer::new(None);
        let now = Instant::now();
        for _ in 0..1_000 {
            assert_eq!(pacer.try_acquire(now).await, None);
        }
    }

    #[tokio::test]
    async fn a_spent_server_budget_waits_for_the_window_end() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        pacer.observe_at(&headers(2, 1), t0).await;
        assert_eq!(pacer.try_acquire(t0).await, None);
        assert_eq!(pacer.try_acquire(t0).await, None);
        let (wait, reason) = pacer.try_acquire(t0).await.expect("budget spent");
        assert_eq!(reason, PacingReason::ServerWindow);
        assert_eq!(
            wait,
            Duration::from_secs(1),
            "until the latest possible end"
        );
        assert_eq!(
            pacer.try_acquire(t0 + Duration::from_secs(1)).await,
            None,
            "a new window"
        );
        assert_eq!(pacer.last().unwrap().remaining, 2);
    }

    #[tokio::test]
    async fn readings_narrow_the_window_end() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        // At t0 the window has (0, 1] s left; at t0+0.6 it shows 1 s again,
        // so it ends in (t0+0.6, t0+1]; at t0+0.7 a reading of 1 s and 0 left.
        pacer.observe_at(&headers(10, 1), t0).await;
        pacer
            .observe_at(&headers(5, 1), t0 + Duration::from_millis(600))
            .await;
        pacer
            .observe_at(&headers(0, 1), t0 + Duration::from_millis(700))
            .await;
        let (wait, _) = pacer
            .try_acquire(t0 + Duration::from_millis(700))
            .await
            .expect("budget spent");
        assert_eq!(
            wait,
            Duration::from_millis(300),
            "ends by t0+1s, the tightest bound"
        );
    }

    #[tokio::test]
    async fn a_reading_of_a_later_window_starts_its_budget_afresh() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        // Spent, the window ending in (t0+1, t0+2].
        pacer.observe_at(&headers(0, 2), t0).await;
        assert!(pacer.try_acquire(t0).await.is_some(), "the budget is spent");
        // At t0+2.5 s a reading ending in (t0+3.5, t0+4.5]: a new window,
        // whose 10 are not the old window's 0.
        let later = t0 + Duration::from_millis(2_500);
        pacer.observe_at(&headers(10, 2), later).await;
        assert_eq!(
            pacer.try_acquire(later).await,
            None,
            "the new window's budget"
        );

        // Even before the known window is over: at t0+1.5 s a reading
        // ending in (t0+5.5, t0+6.5] begins after (t0+1, t0+2] ends, so it
        // is a new window, not the old one narrowed.
        let pacer = Pacer::new(None);
        pacer.observe_at(&headers(0, 2), t0).await;
        let early = t0 + Duration::from_millis(1_500);
        pacer.observe_at(&headers(10, 5), early).await;
        assert_eq!(pacer.try_acquire(early).await, None, "its own budget of 10");
    }

    #[tokio::test]
    async fn requests_sent_before_the_first_reading_are_counted_against_it() {
        let pacer = Pacer::new(None);
        let t0 = Instant::now();
        for _ in 0..4 {
            assert_eq!(pacer.try_acquire(t0).await, None, "the budget is unknown");
        }
        // The first answer says 19 left: the three others in flight may
        // not be in that figure.
        pacer.observe_at(&headers(19, 1), t0).await;
        for _ in 0..16 {
            assert_eq!(pacer.try_acquire(t0).await, None);
        }
        assert!(
            pacer.try_acquire(t0).await.is_some(),
            "16 = 19 - 3, then wait"
        );
    }

    /// Two pacers on one host store: two processes sharing a key.
    fn sharers(quota: Option<Quota>, name: &str) -> (Pacer, Pacer, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("pacing-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = || QuotaStore::host_in(&dir).unwrap();
        let a = Pacer::shared(quota, store(), "artsvp-test".into());
        let b = Pacer::shared(quota, store(), "artsvp-test".into());
        (a, b, dir)
    }

    #[tokio::test]
    async fn pacers_sharing_a_host_store_share_one_quota() {
        let (a, b, dir) = sharers(Some(Quota::new(4, Duration::from_secs(60))), "share");
        let now = Instant::now();
        assert_eq!(a.try_acquire(now).await, None);
        assert_eq!(b.try_acquire(now).await, None);
        assert_eq!(a.try_acquire(now).await, None);
        assert_eq!(b.try_acquire(now).await, None);
        assert!(a.try_acquire(now).await.is_some(), "4 taken between them");
        assert!(b.try_acquire(now).await.is_some());
        assert_eq!(b.usage().await.left, Some(0));
        let text = std::fs::read_to_string(dir.join("artsvp-test.json")).unwrap();
        assert!(text.contains("tokens"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn clients_given_one_memory_store_share_one_quota() {
        let quota = Some(Quota::new(2, Duration::from_secs(60)));
        let store = QuotaStore::memory();
        let a = Pacer::shared(quota, store.clone(), "artsvp-x".into());
        let b = Pacer::shared(quota, store, "artsvp-x".into());
        let other = Pacer::shared(quota, QuotaStore::memory(), "artsvp-x".into());
        let now = Instant::now();
        assert_eq!(a.try_acquire(now).await, None);
        assert_eq!(b.try_acquire(now).await, None);
        assert!(a.try_acquire(now).await.is_some(), "2 taken between them");
        assert_eq!(
            other.try_acquire(now).await,
            None,
            "another store, another quota"
        );
    }

    #[tokio::test]
    async fn what_one_sharer_reads_from_the_server_holds_the_other_back() {
        let (a, b, dir) = sharers(None, "learn");
        let now = Instant::now();
        a.observe_at(&headers(0, 5), now).await;
        let (wait, reason) = b
            .try_acquire(now)
            .await
            .expect("the window is spent for both");
        assert_eq!(reason, PacingReason::ServerWindow);
        assert!(wait > Duration::from_secs(4), "{wait:?}");
        a.block_for(Duration::from_secs(30)).await;
        assert!(b.usage().await.blocked_for.unwrap() > Duration::from_secs(29));
        // B's own copy has it too, since it asked the store.
        assert_eq!(b.peek().unwrap().1, PacingReason::RetryAfter);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_smaller_server_limit_wins_over_the_configured_quota() {
        let quota = Some(Quota::new(10, Duration::from_secs(100)));
        let mut bucket = Bucket::new(quota, 0);
        // A fresh window's first answer: 2 per 10 s.
        let reading = Reading {
            limit: Some(2),
            remaining: 2,
            reset: Duration::from_secs(10),
        };
        bucket.observe(reading, 0);
        let effective = bucket.effective(quota).unwrap();
        let ten = Duration::from_secs(10);
        assert_eq!((effective.limit, effective.window), (2, ten));
        // A later answer's shorter reset does not shorten the window.
        let later_answer = Reading {
            reset: Duration::from_secs(3),
            ..reading
        };
        bucket.observe(later_answer, 0);
        assert_eq!(bucket.effective(quota).unwrap().window, ten);
        // With the server's window left aside (its budget alone would also
        // hold requests back): 2 tokens at most, then one every 5 s (2 per
        // 10 s), not one a second.
        (bucket.server_remaining, bucket.window_end) = (None, None);
        let later = micros(Duration::from_secs(2));
        assert_eq!(bucket.decide(quota, later), None);
        assert_eq!(bucket.decide(quota, later), None);
        let (wait, reason) = bucket
            .decide(quota, later)
            .expect("the server's quota is spent");
        assert_eq!(reason, PacingReason::Quota);
        assert!(wait > Duration::from_secs(4), "{wait:?}");
        // A larger server limit does not raise the configured quota.
        bucket.observe(
            Reading {
                limit: Some(50),
                ..reading
            },
            later,
        );
        assert_eq!(bucket.effective(quota).unwrap().limit, 10);
    }

    /// Keeps every quota store event.
    #[derive(Default)]
    struct StoreEvents(Mutex<Vec<QuotaStoreEvent>>);

    impl crate::Observer for StoreEvents {
        fn quota_store(&self, event: &QuotaStoreEvent) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    #[tokio::test]
    async fn a_store_that_fails_mid_run_leaves_pacing_to_the_process_until_it_is_back() {
        let (a, _b, dir) = sharers(Some(Quota::new(3, Duration::from_secs(60))), "fail");
        let events = std::sync::Arc::new(StoreEvents::default());
        let a = a.observed(Observers::new(Some(events.clone())), "ARTSVP");
        let now = Instant::now();
        assert_eq!(a.try_acquire(now).await, None);
        assert!(a.usage().await.shared);
        std::fs::remove_dir_all(&dir).unwrap();
        // Its own count goes on from the bucket as the store last had it:
        // 2 left of 3.
        assert_eq!(a.try_acquire(now).await, None);
        assert!(!a.usage().await.shared, "the store failed");
        assert_eq!(a.try_acquire(now).await, None);
        assert!(a.try_acquire(now).await.is_some(), "3 taken in all");
        // Back, but empty (a new directory): it starts from this process's
        // count, not from a full quota.
        std::fs::create_dir_all(&dir).unwrap();
        let (_, reason) = a.try_acquire(now).await.expect("still 3 taken");
        assert_eq!(reason, PacingReason::Quota);
        let usage = a.usage().await;
        assert!(usage.shared);
        assert_eq!(usage.left, Some(0));
        // Said once when it failed (with why) and once when it was back.
        let said = events.0.lock().unwrap().clone();
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(said[0].api, "ARTSVP");
        assert!(said[0].store.starts_with("host ("), "{said:?}");
        assert!(
            said[0].error.is_some() && said[1].error.is_none(),
            "{said:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_reading_of_an_earlier_window_told_late_changes_nothing() {
        let mut bucket = Bucket::new(None, 0);
        let second = micros(Duration::from_secs(1));
        let reading = |remaining| Reading {
            limit: Some(20),
            remaining,
            reset: Duration::from_secs(2),
        };
        // The window ending at 7–8 s, then one that ended at 2–3 s.
        bucket.observe(reading(3), 5 * second);
        let known = bucket.clone();
        bucket.observe(reading(19), 0);
        assert_eq!(bucket, known);
    }

    #[tokio::test]
    async fn retry_after_blocks_everyone() {
        let pacer = Pacer::new(None);
        pacer.block_for(Duration::from_secs(5)).await;
        let (wait, reason) = pacer.try_acquire(Instant::now()).await.expect("blocked");
        assert!(
            wait > Duration::from_secs(4) && wait <= Duration::from_secs(5),
            "{wait:?}"
        );
        assert_eq!(reason, PacingReason::RetryAfter);
    }

    #[test]
    fn a_hold_ends_at_its_instant() {
        let mut bucket = Bucket::new(None, 0);
        bucket.block(1_000);
        assert_eq!(
            bucket.decide(None, 400),
            Some((Duration::from_micros(600), PacingReason::RetryAfter))
        );
        assert_eq!(bucket.decide(None, 1_000), None, "over at its instant");
    }

    #[test]
    fn a_server_limit_equal_to_the_quota_keeps_the_configured_window() {
        let quota = Some(Quota::new(10, Duration::from_secs(100)));
        let mut bucket = Bucket::new(quota, 0);
        let reading = Reading {
            limit: Some(10),
            remaining: 10,
            reset: Duration::from_secs(10),
        };
        bucket.observe(reading, 0);
        assert_eq!(bucket.effective(quota), quota);
    }
}
