//! The event-invites benchmarks. Every figure is a ratio of two things
//! measured in this run, interleaved (A B A B …), medians over rounds,
//! against the fake servers on loopback. Prints a table and writes
//! `target/bench/summary.json`. `--smoke` runs the same code on tiny sizes
//! (it checks that the benchmarks run; its figures mean nothing).
//!
//! Run it with `cargo xtask bench [--smoke]`.

mod alloc;
mod shared;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use event_invites::artsvp::{
    BulkError, Checkpoint, CheckpointError, Cursor, Guest, GuestOutcome, InviteQuery, NewInvite,
    Target,
};
use event_invites::{Artsvp, Quota, RetryPolicy};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule, RateLimit};
use serde::Serialize;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// How big each benchmark is.
struct Sizes {
    get_rounds: usize,
    decode_invites: usize,
    decode_rounds: usize,
    overlap_pages: usize,
    overlap_rounds: usize,
    memory_small: usize,
    memory_large: usize,
    pacing_creates: usize,
    pacing_quota: u32,
    bulk_guests: usize,
    bulk_quota: u64,
    bulk_window: Duration,
    resume_guests: usize,
    outage_guests: usize,
    flaky_guests: usize,
    shared_guests: usize,
    shared_quota: u64,
    shared_window: Duration,
    store_calls: usize,
}

const FULL: Sizes = Sizes {
    get_rounds: 300,
    decode_invites: 10_000,
    decode_rounds: 31,
    overlap_pages: 50,
    overlap_rounds: 3,
    memory_small: 10_000,
    memory_large: 100_000,
    pacing_creates: 400,
    pacing_quota: 50,
    bulk_guests: 2_000,
    bulk_quota: 200,
    bulk_window: Duration::from_secs(2),
    resume_guests: 2_000,
    outage_guests: 1_000,
    flaky_guests: 1_000,
    shared_guests: 300,
    shared_quota: 60,
    shared_window: Duration::from_secs(2),
    store_calls: 2_000,
};

const SMOKE: Sizes = Sizes {
    get_rounds: 5,
    decode_invites: 200,
    decode_rounds: 3,
    overlap_pages: 3,
    overlap_rounds: 1,
    memory_small: 300,
    memory_large: 900,
    pacing_creates: 20,
    pacing_quota: 50,
    bulk_guests: 30,
    bulk_quota: 20,
    bulk_window: Duration::from_secs(1),
    resume_guests: 40,
    outage_guests: 400,
    flaky_guests: 60,
    shared_guests: 10,
    shared_quota: 20,
    shared_window: Duration::from_secs(1),
    store_calls: 50,
};

/// One line of `summary.json`.
#[derive(Debug, Serialize)]
struct Figure {
    name: &'static str,
    ours: f64,
    baseline: f64,
    unit: &'static str,
    ratio: f64,
    target: String,
    meets: bool,
}

/// A benchmark gives one figure or several.
impl From<Figure> for Vec<Figure> {
    fn from(figure: Figure) -> Self {
        vec![figure]
    }
}

/// Runs each benchmark `wanted` names, in this order, into `figures`.
macro_rules! run_wanted {
    ($wanted:ident, $figures:ident, $($name:literal => $run:expr,)*) => {
        $(if $wanted($name) {
            $figures.extend(Vec::<Figure>::from($run));
        })*
    };
}

impl Figure {
    /// `ours / baseline`, not yet checked against a target.
    fn compare(name: &'static str, ours: f64, baseline: f64, unit: &'static str) -> Self {
        Self {
            name,
            ours,
            baseline,
            unit,
            ratio: ours / baseline,
            target: String::new(),
            meets: false,
        }
    }

    /// The target, in words, and whether the figure meets it (`meets` is
    /// given the ratio).
    fn check(self, target: String, meets: impl FnOnce(f64) -> bool) -> Self {
        Self {
            meets: meets(self.ratio),
            target,
            ..self
        }
    }

    fn at_most(name: &'static str, ours: f64, baseline: f64, unit: &'static str, max: f64) -> Self {
        Self::compare(name, ours, baseline, unit).check(format!("ratio <= {max:.2}"), |r| r <= max)
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let smoke = std::env::args().any(|a| a == "--smoke");
    // Names given: only the benchmarks whose name starts with one of them.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.starts_with(o.as_str()));
    let sizes = if smoke { &SMOKE } else { &FULL };
    let mut figures = Vec::new();
    eprintln!(
        "running the benchmarks{}…",
        if smoke { " (smoke sizes)" } else { "" }
    );
    run_wanted!(
        wanted,
        figures,
        "get_overhead" => get_overhead(sizes).await?,
        "decode_10k" => decode_10k(sizes)?,
        "stream_overlap" => stream_overlap(sizes).await?,
        "stream_memory" => stream_memory(sizes).await?,
        "pacing" => pacing(sizes).await?,
        "bulk_invite" => bulk_invite(sizes).await?,
        "resume_waste" => resume_waste(sizes).await?,
        "outage" => outage(sizes).await?,
        "flaky" => flaky(sizes).await?,
        "shared" => shared::shared_quota(sizes).await?,
        "store_cost" => shared::store_cost(sizes).await?,
    );

    println!(
        "{:<22} {:>14} {:>14} {:>6} {:>8}  {:<18} meets",
        "name", "ours", "baseline", "unit", "ratio", "target"
    );
    for f in &figures {
        println!(
            "{:<22} {:>14.3} {:>14.3} {:>6} {:>8.3}  {:<18} {}",
            f.name, f.ours, f.baseline, f.unit, f.ratio, f.target, f.meets
        );
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(if smoke {
        "summary-smoke.json"
    } else {
        "summary.json"
    });
    std::fs::write(&path, serde_json::to_string_pretty(&figures)? + "\n")?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// A SecureGate invite as a hand-written client would decode it.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct PlainInvite {
    id: String,
    first_name: String,
    last_name: String,
    email: String,
    country_code: String,
    mobile_number: String,
    authentication_method: String,
    event_id: String,
    session_code: String,
    session_id: String,
    image: Option<String>,
    status: String,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    last_seen: Option<chrono::DateTime<chrono::Utc>>,
    onyxplus_id: Option<String>,
    ticket_id: Option<String>,
}

/// The facade's SecureGate call against hand-written reqwest + serde_json,
/// same server, 100 invites.
async fn get_overhead(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
    let fake = FakeSecureGate::builder()
        .events(1)
        .invites_per_event(100)
        .start()
        .await?;
    let event = fake.event_ids()[0].clone();
    let client = fake.client_builder().build()?;
    let http = reqwest::Client::new();
    let url = format!("{}/events/{event}/invites", fake.base_url());
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for round in 0..sizes.get_rounds + 10 {
        let t = Instant::now();
        let a = client.invites(&event).await?;
        let a_time = t.elapsed();
        let t = Instant::now();
        let b: Vec<PlainInvite> = http
            .get(&url)
            .header("x-api-key", fake.api_key())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let b_time = t.elapsed();
        assert_eq!(a.len(), b.len());
        if round >= 10 {
            // The first rounds warm the connection pools.
            ours.push(a_time);
            baseline.push(b_time);
        }
        fake.requests().clear();
    }
    Ok(medians("get_overhead", ours, baseline, 1.05))
}

/// A figure of the medians of two timings, in ms, at most `limit` × the
/// baseline.
fn medians(name: &'static str, ours: Vec<Duration>, baseline: Vec<Duration>, limit: f64) -> Figure {
    Figure::at_most(name, ms(median(ours)), ms(median(baseline)), "ms", limit)
}

/// Decoding a body of invites into the facade's models (straight, as the
/// client does since it holds the body back from the generated client)
/// against serde_json into a plain struct with the same fields.
fn decode_10k(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
    let body = securegate_body(sizes.decode_invites);
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..sizes.decode_rounds {
        let t = Instant::now();
        let a: Vec<event_invites::securegate::Invite> = serde_json::from_slice(&body)?;
        ours.push(t.elapsed());
        let t = Instant::now();
        let b: Vec<PlainInvite> = serde_json::from_slice(&body)?;
        baseline.push(t.elapsed());
        assert_eq!(a.len(), b.len());
        drop((a, b));
    }
    Ok(medians("decode_10k", ours, baseline, 1.05))
}

/// A SecureGate response body with `n` invites.
fn securegate_body(n: usize) -> Vec<u8> {
    let statuses = ["pending", "sent", "accepted", "rejected"];
    let countries = ["1", "44", "61"];
    let methods = ["QR Code", "Biometric", "Both"];
    let invites: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (country, method, status) = (countries[i % 3], methods[i % 3], statuses[i % 4]);
            serde_json::json!({
                "id": format!("invite-{i}"),
                "first_name": "Jane",
                "last_name": format!("Smith{i}"),
                "email": format!("jane.smith{i}@example.com"),
                "country_code": country,
                "mobile_number": "5559876543",
                "authentication_method": method,
                "event_id": "event-456",
                "session_code": "DEF456",
                "session_id": format!("session-{i}"),
                "image": if i % 2 == 0 { Some("https://example.com/p.jpg") } else { None },
                "status": status,
                "created_at": "2023-02-28T12:01:00Z",
                "updated_at": "2023-02-28T12:01:00Z",
                "last_seen": if i % 3 == 0 { Some("2023-03-01T10:15:00Z") } else { None },
                "onyxplus_id": null,
                "ticket_id": null,
            })
        })
        .collect();
    serde_json::to_vec(&invites).unwrap_or_default()
}

fn artsvp_client(fake: &FakeArtsvp) -> Result<Artsvp, event_invites::Error> {
    fake.client_builder().quota(None).build()
}

/// Streaming pages of 100 invites with 10 ms of server latency and 10 ms of
/// work per page, against a fetch-then-process loop.
async fn stream_overlap(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
    let work = Duration::from_millis(10);
    let fake = FakeArtsvp::builder()
        .invites(sizes.overlap_pages * 100)
        .events(1)
        .collections(0)
        .latency(Duration::from_millis(10))
        .unlimited()
        .start()
        .await?;
    let client = artsvp_client(&fake)?;
    let query = InviteQuery::new().limit(100);
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..sizes.overlap_rounds {
        let t = Instant::now();
        let mut pages = client.invite_pages(query.clone());
        let mut seen = 0;
        while let Some(page) = pages.try_next().await? {
            seen += page.items.len();
            tokio::time::sleep(work).await;
        }
        ours.push(t.elapsed());
        assert_eq!(seen, sizes.overlap_pages * 100);

        let t = Instant::now();
        let mut cursor = Cursor::Start;
        loop {
            let page = client.list_invites(&query.clone().cursor(cursor)).await?;
            tokio::time::sleep(work).await;
            match (page.has_more, page.cursor) {
                (true, Some(next)) => cursor = Cursor::After(next),
                _ => break,
            }
        }
        baseline.push(t.elapsed());
    }
    Ok(medians("stream_overlap", ours, baseline, 0.60))
}

/// Peak heap growth while streaming a long list against a list a tenth as
/// long: flat means the stream holds about two pages, however long the list.
/// The client runs on a thread of its own whose allocations alone are
/// counted; the fake server runs on the main runtime's threads.
async fn stream_memory(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
    let mut peaks = Vec::new();
    for n in [sizes.memory_large, sizes.memory_small] {
        // The fake's request log would grow with the pages: keep none.
        let fake = FakeArtsvp::builder()
            .invites(n)
            .events(3)
            .collections(1)
            .unlimited()
            .request_log_limit(0)
            .start()
            .await?;
        let (base_url, key) = (fake.base_url().to_string(), fake.api_key().to_string());
        let peak = tokio::task::spawn_blocking(move || -> Result<usize, String> {
            alloc::count_this_thread();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let client = Artsvp::builder()
                    .base_url(base_url)
                    .api_key(key)
                    .quota(None)
                    .build()
                    .map_err(|e| e.to_string())?;
                let base = alloc::reset_peak();
                let mut items = client.invites(InviteQuery::new().limit(100));
                let mut seen = 0;
                while let Some(invite) = items.try_next().await.map_err(|e| e.to_string())? {
                    seen += 1;
                    drop(invite);
                }
                if seen != n {
                    return Err(format!("streamed {seen} of {n} invites"));
                }
                Ok(alloc::peak().saturating_sub(base))
            })
        })
        .await??;
        peaks.push(peak);
        fake.shutdown().await;
    }
    let kib = |b: usize| b as f64 / 1024.0;
    Ok(Figure::at_most(
        "stream_memory",
        kib(peaks[0]),
        kib(peaks[1]),
        "KiB",
        1.2,
    ))
}

/// Bulk creates against a server quota: the achieved rate against the quota,
/// and no 429.
async fn pacing(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
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

fn bulk_guests(n: usize) -> Vec<Guest> {
    (0..n)
        .map(|i| Guest::new(format!("Guest {i}"), format!("bulk{i}@example.com")))
        .collect()
}

/// A fake ARTSVP with no invites, answering 429 over `quota`, that keeps
/// the last `log` requests.
async fn limited_empty_fake(quota: RateLimit, log: usize) -> std::io::Result<FakeArtsvp> {
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
async fn bulk_invite(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
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
async fn resume_waste(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
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
fn rate_limited(fake: &FakeArtsvp) -> usize {
    fake.requests().count(|r| r.status == Some(429))
}

/// Creates (`POST /invites`) the fake has answered so far.
fn creates_sent(fake: &FakeArtsvp) -> usize {
    fake.requests().count(|r| r.method == "POST")
}

/// A fake ARTSVP with no rate limit whose creates fail by `rule`, a client
/// as a bulk run would use it (retries that wait milliseconds, since the
/// figures count requests, not seconds, and the default retry budget), and
/// an event to invite `rows` guests to.
async fn failing_creates(
    rows: usize,
    rule: FaultRule,
) -> Result<(FakeArtsvp, Artsvp, String), Box<dyn std::error::Error>> {
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
async fn outage(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
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
async fn flaky(sizes: &Sizes) -> Result<Figure, Box<dyn std::error::Error>> {
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
