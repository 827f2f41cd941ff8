//! The pacing state of one API key ([`Bucket`]) and the one exchange a
//! quota store runs on it per request ([`Ask::apply`]): the algorithm every
//! store shares (the Redis store runs the same in Lua, `store/bucket.lua`).
//! Times are wall-clock microseconds ([`Micros`]).

use std::time::Duration;

use crate::observe::PacingReason;

use super::Quota;

/// Microseconds since the Unix epoch: a time every process on a host
/// reads alike, so that a bucket kept in a file means the same to each.
pub(crate) type Micros = u64;

pub(crate) fn micros(d: Duration) -> Micros {
    d.as_micros() as Micros
}

pub(crate) fn duration(us: Micros) -> Duration {
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
    pub(crate) fn share(&self, n: u32) -> Bucket {
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
    pub(crate) fn unshare(&self, n: u32) -> Bucket {
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
pub(crate) fn share(amount: u64, n: u32) -> u64 {
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
    pub(crate) fn share(self, n: u32) -> Event {
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
    pub(crate) fn ago(self, ago: Micros) -> Event {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh window's first answer: `limit` requests per 10 s, all left.
    fn first_answer(limit: u64) -> Reading {
        Reading {
            limit: Some(limit),
            remaining: limit,
            reset: Duration::from_secs(10),
        }
    }

    #[test]
    fn a_smaller_server_limit_wins_over_the_configured_quota() {
        let quota = Some(Quota::new(10, Duration::from_secs(100)));
        let mut bucket = Bucket::new(quota, 0);
        let reading = first_answer(2);
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
        bucket.observe(first_answer(10), 0);
        assert_eq!(bucket.effective(quota), quota);
    }
}
