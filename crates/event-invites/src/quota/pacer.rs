//! The pacer of one client and its clones ([`Pacer`]): one exchange with
//! the quota store per request, a copy of the bucket for progress and for
//! while the store fails, and the server's headers read into both.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::observe::{Observers, PacingReason, QuotaEvent, QuotaStoreEvent};

use super::bucket::{Ask, Bucket, Event, Micros, Reading, duration, micros, share};
use super::{Quota, QuotaStore, QuotaUsage, RateLimitState};

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
    #[cfg(all(test, feature = "redis"))]
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
        let (ask, drained, seen) = self.ask(now, take);
        match self.store.inner.exchange(&self.bucket, &ask).await {
            Ok(answer) => self.answered(answer, now, seen),
            Err(e) => self.lost(&e, drained, now, take),
        }
    }

    /// The store's question at `now`: what was learned since the last
    /// exchange (drained from `pending`, returned too in case the store
    /// fails), the seed of a store that is back empty, and the failures
    /// counted when it was asked.
    fn ask(&self, now: Micros, take: bool) -> (Ask, Vec<(Event, Micros)>, u64) {
        let mut local = self.local();
        let drained: Vec<(Event, Micros)> = local.pending.drain(..).collect();
        let events = drained
            .iter()
            .map(|&(event, when)| event.ago(now.saturating_sub(when)))
            .collect();
        // While it fails, the copy is this pacer's share: a store that is
        // back empty starts from the whole.
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
    }

    /// The store answered (an exchange asked when `seen` failures had been
    /// counted): its bucket on this pacer's clock becomes the copy, and a
    /// store that was failing is back.
    fn answered(
        &self,
        answer: super::bucket::Answer,
        now: Micros,
        seen: u64,
    ) -> (Bucket, Option<(Duration, PacingReason)>) {
        let offset = answer.now as i64 - now as i64;
        let mine = answer.bucket.shifted(-offset);
        let mut local = self.local();
        if local.failures != seen && self.failing.load(Ordering::Relaxed) {
            // Begun before the store failed: the request is counted there,
            // but this pacer goes on with its share.
            return (mine, answer.wait);
        }
        let back = self.failing.swap(false, Ordering::Relaxed);
        local.offset = offset;
        local.sharers = answer.sharers.unwrap_or(1).max(1);
        // What was learned while the store answered is in `pending` and not
        // in its answer yet: the copy keeps it too.
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

    /// The store failed: what was learned waits for it (the newest of it),
    /// and this pacer answers from its copy, paced to its share of what the
    /// sharers had left (said once, when the failure starts).
    fn lost(
        &self,
        e: &std::io::Error,
        drained: Vec<(Event, Micros)>,
        now: Micros,
        take: bool,
    ) -> (Bucket, Option<(Duration, PacingReason)>) {
        let mut local = self.local();
        let started = !self.failing.swap(true, Ordering::Relaxed);
        if started {
            local.failures += 1;
        }
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
            // From now on this process paces alone: to its share of what
            // the sharers had left, and of the quota.
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
        let (bucket, wait) = self.exchange(now, true).await;
        self.observers.quota(|| {
            let quota = bucket.effective(self.quota);
            QuotaEvent {
                api: self.api,
                store: self.store.kind(),
                shared: !self.failing.load(Ordering::Relaxed),
                quota,
                left: quota.map(|_| bucket.tokens.floor().max(0.0) as u64),
            }
        });
        wait
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

#[cfg(test)]
mod tests;
