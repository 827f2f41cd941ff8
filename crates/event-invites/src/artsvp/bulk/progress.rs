//! How a run is doing ([`Progress`]), counted as outcomes arrive
//! ([`Tally`]).

use super::*;

/// How a bulk run is doing, for a progress bar.
///
/// ```
/// # async fn example(run: event_invites::artsvp::BulkRun) {
/// let p = run.progress();
/// print!("{}/{} done, {} failed", p.done, p.total, p.failed);
/// if let Some(eta) = p.eta() {
///     print!(", about {} s left", eta.as_secs());
/// }
/// if let (Some(until), Some(why)) = (p.waiting_until, p.waiting_for) {
///     print!(" (waiting {:?} for the {why})", until - std::time::Instant::now());
/// }
/// println!();
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Guests in the run.
    pub total: usize,
    /// Guests with an outcome (of every kind).
    pub done: usize,
    /// Invites made.
    pub created: usize,
    /// Guests who already had one.
    pub existing: usize,
    /// Failed guests.
    pub failed: usize,
    /// Guests whose outcome is unknown.
    pub unknown: usize,
    /// Guests an earlier run finished.
    pub skipped: usize,
    /// Requests under way now.
    pub in_flight: usize,
    /// Guests sent per second, over the last 30 seconds.
    pub rate: f64,
    /// When the run started.
    pub started: Instant,
    /// When the run may send again, if it is waiting for the rate limit.
    pub waiting_until: Option<Instant>,
    /// Why it waits.
    pub waiting_for: Option<PacingReason>,
    /// The client's quota, which bounds the pace (`None`: none).
    pub quota: Option<crate::Quota>,
    /// Requests the client may send now before the rate limit makes it
    /// wait (`None`: no limit known).
    pub available: Option<u64>,
}

impl Progress {
    /// Guests left.
    pub fn remaining(&self) -> usize {
        self.total.saturating_sub(self.done)
    }

    /// The time left, rate-limit waits included: the current wait, then
    /// the guests left at the slower of the measured rate and the quota's
    /// sustained pace (`limit` per `window`) for those beyond what may be
    /// sent at once ([`Progress::available`]). `None` before there is a
    /// rate when the client has no quota.
    ///
    /// ```
    /// # fn example(run: &event_invites::artsvp::BulkRun) {
    /// // 101 guests left of 1,100 at ARTSVP's 1,000 per 15 minutes, and
    /// // a wait of 898 s for the window: about 989 s, not 101 ÷ rate.
    /// if let Some(eta) = run.progress().eta() {
    ///     println!("about {} min left", eta.as_secs() / 60);
    /// }
    /// # }
    /// ```
    pub fn eta(&self) -> Option<Duration> {
        let remaining = self.remaining() as f64;
        if self.remaining() == 0 {
            return Some(Duration::ZERO);
        }
        let wait = self.waiting_until.map_or(Duration::ZERO, |until| {
            until.saturating_duration_since(Instant::now())
        });
        let by_rate = (self.rate > 0.0).then(|| remaining / self.rate);
        let beyond = self
            .remaining()
            .saturating_sub(usize::try_from(self.available.unwrap_or(0)).unwrap_or(usize::MAX))
            as f64;
        let by_quota = self
            .quota
            .map(|q| beyond * q.window.as_secs_f64() / f64::from(q.limit.max(1)));
        let secs = match (by_rate, by_quota) {
            (Some(rate), Some(quota)) => rate.max(quota),
            (one, other) => one.or(other)?,
        };
        Some(wait + Duration::from_secs_f64(secs))
    }
}

/// The window over which [`Progress::rate`] is measured.
pub(super) const RATE_WINDOW: Duration = Duration::from_secs(30);

pub(super) struct Tally {
    pub(super) progress: Progress,
    /// When recent sends finished, for the rate.
    pub(super) recent: VecDeque<Instant>,
    /// Guests sent so far (their checkpoint heard `sending`).
    pub(super) started: usize,
    /// The guests in a row, most recent last, that failed because the API
    /// is failing (server or transport errors after their retries).
    pub(super) streak: Option<Streak>,
}

/// Guests in a row that failed because the API is failing.
pub(super) struct Streak {
    pub(super) since: std::time::SystemTime,
    pub(super) count: usize,
    pub(super) answer: String,
}

impl Tally {
    /// Follows the guests in a row that failed because the API is failing;
    /// any other outcome ends the streak.
    pub(super) fn follow(&mut self, outcome: &GuestOutcome) {
        let error = match outcome {
            GuestOutcome::Failed(e) | GuestOutcome::Unknown(e)
                if e.verdict().cause().is_unavailable() =>
            {
                e
            }
            GuestOutcome::Skipped => return,
            _ => {
                self.streak = None;
                return;
            }
        };
        let answer = match (error.status(), error.kind()) {
            (_, ErrorKind::Transport(cause)) => cause.to_string(),
            (Some(status), _) => format!("HTTP {status}"),
            (None, _) => "no answer in time".to_string(),
        };
        let streak = self.streak.get_or_insert_with(|| Streak {
            since: std::time::SystemTime::now(),
            count: 0,
            answer: String::new(),
        });
        streak.count += 1;
        streak.answer = answer;
    }

    /// The outage, when `threshold` guests in a row have failed because
    /// the API is failing and the retry budget cannot retry more.
    pub(super) fn outage(&self, threshold: usize, budget_spent: bool) -> Option<Outage> {
        let streak = self.streak.as_ref()?;
        (threshold > 0 && streak.count >= threshold && budget_spent).then(|| Outage {
            since: streak.since,
            failed_in_a_row: streak.count,
            not_sent: self.progress.total.saturating_sub(self.started),
            answer: streak.answer.clone(),
            operation: "create_invite",
            host: None,
        })
    }

    pub(super) fn count(&mut self, outcome: &GuestOutcome) {
        let p = &mut self.progress;
        p.done += 1;
        match outcome {
            GuestOutcome::Created(_) => p.created += 1,
            GuestOutcome::Existing(_) => p.existing += 1,
            GuestOutcome::Failed(_) => p.failed += 1,
            GuestOutcome::Unknown(_) => p.unknown += 1,
            GuestOutcome::Skipped => p.skipped += 1,
        }
        if !matches!(outcome, GuestOutcome::Skipped) {
            let now = Instant::now();
            self.recent.push_back(now);
            while self
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t) > RATE_WINDOW)
            {
                self.recent.pop_front();
            }
        }
    }

    pub(super) fn rate(&self) -> f64 {
        let (Some(first), Some(last)) = (self.recent.front(), self.recent.back()) else {
            return 0.0;
        };
        let span = Instant::now()
            .duration_since(*first)
            .max(last.duration_since(*first))
            .as_secs_f64();
        if self.recent.len() < 2 || span <= 0.0 {
            0.0
        } else {
            (self.recent.len() - 1) as f64 / span
        }
    }
}
