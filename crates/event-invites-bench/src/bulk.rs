//! The pacing and bulk benchmarks: creates paced by the server's headers
//! (`pacing`), a bulk run at its quota (`bulk_invite`), a resumed run's
//! waste (`resume_waste`), an outage stopped early (`outage`) and a flaky
//! server's cost (`flaky`).

use std::time::{Duration, Instant};

use event_invites::artsvp::{
    BulkError, Checkpoint, CheckpointError, Guest, GuestOutcome, NewInvite, Target,
};
use event_invites::{Artsvp, Quota, RetryPolicy};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule, RateLimit};

use crate::streams::artsvp_client;
use crate::{Failure, Figure, Sizes};

/// Bulk creates against a server quota: the achieved rate against the quota,
/// and no 429.
pub(crate) async fn pacing(sizes: &Sizes) -> Result<Figure, Failure> {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .rate_limit(RateLimit::per_second(u64::from(sizes.pacing_quota)))
        .start()
        .await?;
    // The client's defaults (ARTSVP's published quota as a full bucket), so
    // the server's headers do the pacing.
    let client = fake
        .client_builder()
        .retry(RetryPolicy::none())
        .quota(Some(Quota::ARTSVP))
        .build()?;
    let event = fake.events()[0].id.clone();
    let t = Instant::now();
    for i in 0..sizes.pacing_creates {
        client
            .create_invite(&NewInvite::for_event(&event).email(format!("bulk{i}@example.com")))
            .await?;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let limited = rate_limited(&fake);
    let achieved = sizes.pacing_creates as f64 / elapsed;
    let quota = f64::from(sizes.pacing_quota);
    Ok(Figure::compare("pacing", achieved, quota, "req/s")
        .check(format!("ratio >= 0.95, 0 x 429 (got {limited})"), |r| {
            r >= 0.95 && limited == 0
        }))
}

pub(crate) fn bulk_guests(n: usize) -> Vec<Guest> {
    (0..n)
        .map(|i| Guest::new(format!("Guest {i}"), format!("bulk{i}@example.com")))
        .collect()
}

/// A fake ARTSVP with no invites, answering 429 over `quota`, that keeps
/// the last `log` requests.
pub(crate) async fn limited_empty_fake(
    quota: RateLimit,
    log: usize,
) -> std::io::Result<FakeArtsvp> {
    FakeArtsvp::builder()
        .invites(0)
        .rate_limit(quota)
        .request_log_limit(log)
        .start()
        .await
}

/// A bulk run of 2,000 guests against a fake ARTSVP whose quota is scaled
/// down to 200 requests per 2 s: the achieved request rate against the
/// quota, with no 429 and no guest invited twice.
pub(crate) async fn bulk_invite(sizes: &Sizes) -> Result<Figure, Failure> {
    let fake = limited_empty_fake(
        RateLimit::new(sizes.bulk_quota, sizes.bulk_window),
        sizes.bulk_guests * 2,
    )
    .await?;
    // The client paces by the same (scaled) quota it would be given for
    // ARTSVP, corrected by the server's headers.
    let client = fake
        .client_builder()
        .quota(Some(Quota::new(
            u32::try_from(sizes.bulk_quota)?,
            sizes.bulk_window,
        )))
        .build()?;
    let event = fake.events()[0].id.clone();
    let t = Instant::now();
    let progress = client
        .bulk_invite(Target::event(&event), bulk_guests(sizes.bulk_guests))
        .concurrency(4)
        .await?;
    let elapsed = t.elapsed().as_secs_f64();
    let log = fake.requests().entries();
    let limited = log.iter().filter(|r| r.status == Some(429)).count();
    let held = fake.state().invites_of(&event).len();
    let duplicates = held.saturating_sub(sizes.bulk_guests);
    let achieved = log.len() as f64 / elapsed;
    let quota = sizes.bulk_quota as f64 / sizes.bulk_window.as_secs_f64();
    let complete = progress.created == sizes.bulk_guests && held == sizes.bulk_guests;
    Ok(
        Figure::compare("bulk_invite", achieved, quota, "req/s").check(
            format!("ratio >= 0.95, 0 x 429 (got {limited}), 0 duplicates (got {duplicates})"),
            |r| r >= 0.95 && limited == 0 && duplicates == 0 && complete,
        ),
    )
}

/// An in-memory journal: finished keys, and the keys sent.
#[derive(Default)]
struct MemoryJournal {
    done: std::sync::Mutex<std::collections::HashSet<String>>,
    sent: std::sync::atomic::AtomicUsize,
}

impl Checkpoint for MemoryJournal {
    fn is_done(&self, key: &str) -> bool {
        self.done.lock().unwrap().contains(key)
    }
    fn sending(&self, _key: &str) -> Result<(), CheckpointError> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        if outcome.is_final() {
            self.done.lock().unwrap().insert(key.to_string());
        }
        Ok(())
    }
}

/// A run stopped at 50 % (its task dropped mid-flight, as a crash would),
/// then re-run with the same journal: requests the re-run sent ÷ guests
/// that were left. 1.0 is no waste; in-flight guests are sent again.
pub(crate) async fn resume_waste(sizes: &Sizes) -> Result<Figure, Failure> {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .unlimited()
        .latency(Duration::from_millis(2))
        .request_log_limit(sizes.resume_guests * 2)
        .start()
        .await?;
    let client = artsvp_client(&fake)?;
    let event = fake.events()[0].id.clone();
    let journal = std::sync::Arc::new(MemoryJournal::default());
    let guests = bulk_guests(sizes.resume_guests);
    let mut run = client
        .bulk_invite(Target::event(&event), guests.clone())
        .concurrency(4)
        .checkpoint(journal.clone())
        .start();
    let mut seen = 0;
    while run.try_next().await?.is_some() {
        seen += 1;
        if seen == sizes.resume_guests / 2 {
            break;
        }
    }
    drop(run); // the crash: whatever was in flight is lost to the journal
    tokio::time::sleep(Duration::from_millis(50)).await;
    let left = sizes.resume_guests - journal.done.lock().unwrap().len();
    let before = fake.requests().len();
    client
        .bulk_invite(Target::event(&event), guests)
        .concurrency(4)
        .checkpoint(journal.clone())
        .await?;
    let sent = fake.requests().len() - before;
    let held = fake.state().invites_of(&event).len();
    Ok(
        Figure::compare("resume_waste", sent as f64, left as f64, "req").check(
            format!("ratio <= 1.02, one invite each (held {held})"),
            |r| r <= 1.02 && held == sizes.resume_guests,
        ),
    )
}

/// The requests the fake answered 429.
pub(crate) fn rate_limited(fake: &FakeArtsvp) -> usize {
    fake.requests().count(|r| r.status == Some(429))
}

/// Creates (`POST /invites`) the fake has answered so far.
pub(crate) fn creates_sent(fake: &FakeArtsvp) -> usize {
    fake.requests().count(|r| r.method == "POST")
}

/// A fake ARTSVP with no rate limit whose creates fail by `rule`, a client
/// as a bulk run would use it (retries that wait milliseconds, since the
/// figures count requests, not seconds, and the default retry budget), and
/// an event to invite `rows` guests to.
pub(crate) async fn failing_creates(
    rows: usize,
    rule: FaultRule,
) -> Result<(FakeArtsvp, Artsvp, String), Failure> {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .unlimited()
        .request_log_limit(rows * 4)
        .start()
        .await?;
    let client = fake
        .client_builder()
        .quota(None)
        .retry(RetryPolicy::new().base_delay(Duration::from_millis(5)))
        .build()?;
    let event = fake.events()[0].id.clone();
    fake.inject(rule.on("POST", "/invites"));
    Ok((fake, client, event))
}

/// 1,000 guests against a fake that answers 503 to every create: the run
/// must stop on its own, having sent few requests and failed nobody for
/// good; after the fault clears, a re-run with the same journal invites
/// every guest exactly once.
pub(crate) async fn outage(sizes: &Sizes) -> Result<Figure, Failure> {
    let rows = sizes.outage_guests;
    let (fake, client, event) =
        failing_creates(rows, FaultRule::new(Fault::Status(503)).always()).await?;
    let journal = std::sync::Arc::new(MemoryJournal::default());
    let guests = bulk_guests(rows);
    let mut run = client
        .bulk_invite(Target::event(&event), guests.clone())
        .checkpoint(journal.clone())
        .start();
    let mut failed_for_good = 0;
    let stopped = loop {
        match run.try_next().await {
            Ok(Some(done)) => {
                if matches!(done.outcome, GuestOutcome::Failed(_)) && done.outcome.is_final() {
                    failed_for_good += 1;
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    drop(run);
    let sent = creates_sent(&fake);
    let stopped_on_outage = matches!(stopped, Some(BulkError::Outage(_)));
    if let Some(e) = &stopped {
        eprintln!("outage: {e}");
    }
    // The fault clears; the same journal goes on.
    fake.clear_faults();
    let progress = client
        .bulk_invite(Target::event(&event), guests)
        .checkpoint(journal.clone())
        .await?;
    let held = fake.state().invites_of(&event).len();
    Ok(
        Figure::compare("outage", sent as f64, rows as f64, "req").check(
            format!(
                "ratio <= 0.10, stopped (got {stopped_on_outage}), 0 failed for good (got \
             {failed_for_good}), re-run: one invite each (held {held})"
            ),
            |r| {
                r <= 0.10
                    && stopped_on_outage
                    && failed_for_good == 0
                    && held == rows
                    && progress.failed + progress.unknown == 0
            },
        ),
    )
}

/// 1,000 guests against a fake that answers 503 to 3 creates in 10: every
/// guest invited exactly once, with few extra requests and no 429.
pub(crate) async fn flaky(sizes: &Sizes) -> Result<Figure, Failure> {
    let rows = sizes.flaky_guests;
    let (fake, client, event) =
        failing_creates(rows, FaultRule::new(Fault::Status(503)).share(3, 10)).await?;
    let progress = client
        .bulk_invite(Target::event(&event), bulk_guests(rows))
        .await?;
    let sent = creates_sent(&fake);
    let limited = rate_limited(&fake);
    let held = fake.state().invites_of(&event).len();
    Ok(
        Figure::compare("flaky", sent as f64, rows as f64, "req").check(
            format!(
                "ratio <= 1.60, one invite each (held {held}, created {}), 0 x 429 (got {limited})",
                progress.created
            ),
            |r| r <= 1.60 && held == rows && progress.created == rows && limited == 0,
        ),
    )
}
