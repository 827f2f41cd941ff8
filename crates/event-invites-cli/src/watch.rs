//! `sync --watch`: the SecureGate → ARTSVP sync as a service. Each cycle
//! reads the event's SecureGate invites (one request) and invites into
//! ARTSVP the guests the journal has not settled; the journal is the state,
//! so a guest is invited once across cycles, restarts and `kill -9`.
//!
//! Health (`/healthz`) and Prometheus metrics (`/metrics`) are served on
//! `--listen`; request metrics come from the facade's `MetricsObserver`,
//! the sync's own (guests, cycles) from here. Logs are one line per cycle
//! and per failure, text or JSON (`--log-format json`), with counts and
//! ids only, never a guest's data or a key.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use event_invites::SecureGate;
use event_invites::artsvp::{BulkError, BulkKey, Guest, GuestOutcome};
use event_invites::securegate::InviteStatus;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::Outcome;
use crate::bulk::{self, Run};
use crate::error::CliError;
use crate::journal::{Journal, RunId};
use crate::series;

/// Time between cycles unless `--interval` says.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Cycles failed in a row after which `/healthz` answers 503.
const UNHEALTHY_AFTER: u32 = 3;

/// `sync --watch`'s own flags.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Keep syncing: a cycle every --interval until SIGTERM or Ctrl-C
    /// (exit 0); a refused key ends it (exit 77).
    #[arg(long, conflicts_with = "dry_run")]
    pub watch: bool,
    /// Time between cycles with --watch: `2s`, `5m`, `1h` (default 60s).
    /// After a failed cycle the wait doubles, up to 4 × this.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", requires = "watch")]
    pub interval: Option<Duration>,
    /// With --watch: serve `GET /healthz` and `GET /metrics` (Prometheus
    /// text) on this address, e.g. 127.0.0.1:9464 (port 0: any free one,
    /// said on stderr).
    #[arg(long, value_name = "ADDR", requires = "watch")]
    pub listen: Option<SocketAddr>,
    /// With --watch: one log line per cycle and per failure on stderr, as
    /// text (the default) or JSON.
    #[arg(long, value_enum, requires = "watch")]
    pub log_format: Option<LogFormat>,
    /// Delete the ARTSVP invite of a guest this sync invited who later
    /// declined on SecureGate (once, journaled). Off: such guests are only
    /// counted.
    #[arg(long)]
    pub revoke_declined: bool,
    /// Print what the next cycle would invite and revoke (SecureGate
    /// invite ids), reading SecureGate and the journal, sending nothing to
    /// ARTSVP.
    #[arg(long, conflicts_with = "watch")]
    pub plan: bool,
}

/// How `--watch` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `2s`, `5m`, `1h` (a whole number and a unit).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        format!("`{text}` is not a duration: write a whole number and s, m or h (2s, 5m, 1h)")
    })?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("`{text}`: the unit must be s, m or h (2s, 5m, 1h)")),
    };
    match seconds {
        0 => Err("the interval must be at least 1s".into()),
        s => Ok(Duration::from_secs(s)),
    }
}

/// How the watch is doing, for `/healthz`.
#[derive(Default)]
struct Health {
    failed_in_a_row: AtomicU32,
    /// Why the last cycle failed.
    last_error: Mutex<Option<String>>,
}

impl Health {
    /// The status code and text `/healthz` answers now.
    fn answer(&self) -> (u16, String) {
        let failed = self.failed_in_a_row.load(Ordering::Relaxed);
        let why = self
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        match failed {
            0 => (200, "ok\n".into()),
            n if n < UNHEALTHY_AFTER => (
                200,
                format!("ok: {n} cycle(s) failed in a row, last: {why}\n"),
            ),
            n => (
                503,
                format!("unhealthy: {n} cycles failed in a row, last: {why}\n"),
            ),
        }
    }
}

/// What one cycle did.
#[derive(Debug, Default)]
struct Cycle {
    /// Invites of guests this sync invited who declined since: deleted
    /// (with --revoke-declined), or only counted.
    revoked: u64,
    declined: u64,
    /// Guests with the status SecureGate lists now.
    listed: usize,
    /// Finished in an earlier cycle or run: not sent.
    settled: u64,
    created: u64,
    existing: u64,
    failed: u64,
    unknown: u64,
}

/// Runs the watch until SIGTERM or Ctrl-C (exit 0) or a refused key
/// (exit 77).
pub async fn run(
    securegate: &SecureGate,
    run: Run<'_>,
    from: &str,
    status: InviteStatus,
    args: &WatchArgs,
) -> Result<Outcome, CliError> {
    init_logs(args.log_format.unwrap_or(LogFormat::Text));
    let interval = args.interval.unwrap_or(DEFAULT_INTERVAL);
    let metrics = series::install()
        .map_err(|e| CliError::Failed(format!("cannot set up the metrics: {e}")))?;
    series::interval(interval);
    let health = Arc::new(Health::default());
    if let Some(addr) = args.listen {
        serve(addr, health.clone(), metrics).await?;
    }
    let mut shutdown = Shutdown::install()?;
    bulk::check_target(run.client, &run.target).await?;
    let id = run_id(from, &run.target, &status);
    let journal = Arc::new(Journal::open(&run.journal, &id).map_err(CliError::Usage)?);
    tracing::info!(
        from, to = %run.target, interval_s = interval.as_secs(), journal = %run.journal.display(),
        "watching: a cycle every interval until SIGTERM or Ctrl-C"
    );
    let mut number = 0u64;
    loop {
        number += 1;
        let started = Instant::now();
        let outcome = tokio::select! {
            outcome = cycle(securegate, &run, &journal, from, &status, args.revoke_declined) => outcome,
            () = shutdown.wait() => return Ok(stopped(number)),
        };
        let took = started.elapsed();
        series::cycle_duration(took);
        let wait = match outcome {
            Ok(done) => {
                succeeded(&health, number, &done, took);
                interval
            }
            Err(e @ (CliError::KeyRefused(_) | CliError::Failed(_))) => {
                tracing::error!(cycle = number, error = %e, "the watch stops: an operator must act");
                return Err(e);
            }
            Err(e) => failed(&health, number, &e, interval),
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.wait() => return Ok(stopped(number)),
        }
    }
}

/// The journal's owner: the same as a one-pass `sync`'s, so either can go
/// on from the other's journal.
pub fn run_id(from: &str, target: &event_invites::artsvp::Target, status: &InviteStatus) -> RunId {
    RunId {
        target: target.to_string(),
        source: format!("securegate event {from} ({status})"),
        key: "email".into(),
    }
}

/// Records a cycle that succeeded, in the log, the metrics and the health.
fn succeeded(health: &Health, number: u64, done: &Cycle, took: Duration) {
    health.failed_in_a_row.store(0, Ordering::Relaxed);
    let finished = series::Finished {
        created: done.created,
        existing: done.existing,
        failed: done.failed,
        unknown: done.unknown,
    };
    series::cycle_finished(&finished);
    tracing::info!(
        cycle = number,
        listed = done.listed,
        settled = done.settled,
        invited = done.created,
        existing = done.existing,
        failed = done.failed,
        unknown = done.unknown,
        declined = done.declined,
        revoked = done.revoked,
        took_ms = took.as_millis() as u64,
        "cycle done"
    );
}

/// Records a cycle that failed; returns the wait before the next: the
/// interval, doubled for each failure in a row, up to 4 × it.
fn failed(health: &Health, number: u64, error: &CliError, interval: Duration) -> Duration {
    let in_a_row = health.failed_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
    *health.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
    series::cycle_failed(in_a_row);
    let wait = interval.saturating_mul(1 << (in_a_row - 1).min(2));
    tracing::warn!(
        cycle = number,
        failed_in_a_row = in_a_row,
        next_in_s = wait.as_secs(),
        error = %error,
        "cycle failed"
    );
    wait
}

fn stopped(number: u64) -> Outcome {
    tracing::info!(
        cycle = number,
        "stopping on a signal: nothing new is sent; a guest in flight stays journaled and is \
         settled (deduped) by the next run"
    );
    Outcome::Done
}

/// One cycle: the SecureGate list (one request), then the guests the
/// journal has not settled, invited with it as the checkpoint.
async fn cycle(
    securegate: &SecureGate,
    run: &Run<'_>,
    journal: &Arc<Journal>,
    from: &str,
    status: &InviteStatus,
    revoke: bool,
) -> Result<Cycle, CliError> {
    let invites = securegate.invites(from).await?;
    let declined = declined_after_invite(&invites, journal);
    let guests: Vec<Guest> = invites
        .iter()
        .filter(|invite| &invite.status == status)
        .map(Guest::from)
        .collect();
    let mut done = invite(run, journal, guests).await?;
    done.declined = declined.len() as u64;
    if revoke {
        for (key, invite_id) in declined {
            revoke_one(run, journal, &key, &invite_id).await?;
            done.revoked += 1;
            series::revoked();
        }
    }
    Ok(done)
}

/// Invites `guests` into the run's target with the journal as the
/// checkpoint (settled guests are not sent again); counts each outcome.
async fn invite(
    run: &Run<'_>,
    journal: &Arc<Journal>,
    guests: Vec<Guest>,
) -> Result<Cycle, CliError> {
    let mut done = Cycle {
        listed: guests.len(),
        ..Cycle::default()
    };
    let mut bulk = run
        .client
        .bulk_invite(run.target.clone(), guests)
        .key(BulkKey::Email)
        .concurrency(usize::from(run.args.concurrency))
        .checkpoint(journal.clone())
        .start();
    loop {
        match bulk.try_next().await {
            Ok(Some(finished)) => match &finished.outcome {
                GuestOutcome::Created(_) => done.created += 1,
                GuestOutcome::Existing(_) => done.existing += 1,
                GuestOutcome::Failed(e) => {
                    done.failed += 1;
                    tracing::warn!(cycle_guest = finished.index, error = %e, "a guest failed");
                }
                GuestOutcome::Unknown(_) => done.unknown += 1,
                _ => done.settled += 1,
            },
            Ok(None) => return Ok(done),
            Err(e) => return Err(stopped_by(e, run)),
        }
    }
}

/// Why a cycle's bulk run stopped, as the watch reports it: an outage
/// fails the cycle (and is counted); a journal that cannot be written, or
/// anything else, stops the watch.
fn stopped_by(e: BulkError, run: &Run<'_>) -> CliError {
    match e {
        BulkError::Outage(outage) => {
            series::outage_stop();
            CliError::Unavailable(format!(
                "ARTSVP answers {} to every {} ({} rows in a row)",
                outage.answer, outage.operation, outage.failed_in_a_row
            ))
        }
        BulkError::Checkpoint(e) => CliError::Failed(format!(
            "the journal {} cannot be written ({e}): the watch stops, and nothing it does not \
             hold was sent",
            run.journal.display()
        )),
        e => CliError::Failed(format!("the sync stopped: {e}")),
    }
}

/// The guests SecureGate lists as declined whose ARTSVP invite this sync
/// created and has not revoked: (journal key, ARTSVP invite id).
fn declined_after_invite(
    invites: &[event_invites::securegate::Invite],
    journal: &Journal,
) -> Vec<(String, String)> {
    invites
        .iter()
        .filter(|invite| invite.status == InviteStatus::Rejected)
        .filter_map(|invite| BulkKey::Email.of(&Guest::from(invite), true))
        .filter_map(|key| journal.created_invite(&key).map(|id| (key, id)))
        .collect()
}

/// Deletes one ARTSVP invite, journaled before (`revoking`) and after
/// (`revoked`): a crash in between deletes it again next time, and an
/// invite already gone counts as revoked.
async fn revoke_one(
    run: &Run<'_>,
    journal: &Journal,
    key: &str,
    invite_id: &str,
) -> Result<(), CliError> {
    let journaled = |e: event_invites::artsvp::CheckpointError| {
        CliError::Failed(format!("the journal cannot be written: {e}"))
    };
    journal.revoking(key, false).map_err(journaled)?;
    match run.client.delete_invite(invite_id).await {
        Ok(()) => {}
        Err(e) if matches!(e.kind(), event_invites::ErrorKind::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        artsvp_invite = invite_id,
        "revoked: the guest declined on SecureGate"
    );
    journal.revoking(key, true).map_err(journaled)
}

/// `sync --plan`: what the next cycle would do, sending nothing to ARTSVP.
pub async fn plan(
    securegate: &SecureGate,
    journal: &std::path::Path,
    id: &RunId,
    from: &str,
    status: &InviteStatus,
    revoke: bool,
) -> Result<Outcome, CliError> {
    let invites = securegate.invites(from).await?;
    // A journal not made yet: nothing settled.
    let opened = journal
        .exists()
        .then(|| Journal::open(journal, id).map_err(CliError::Usage))
        .transpose()?;
    let settled = |key: &str| opened.as_ref().is_some_and(|j| j.is_settled(key));
    let mut invite = Vec::new();
    let mut already = 0;
    for candidate in invites.iter().filter(|i| &i.status == status) {
        match BulkKey::Email.of(&Guest::from(candidate), true) {
            Some(key) if settled(&key) => already += 1,
            _ => invite.push(candidate.id.clone()),
        }
    }
    let declined = opened
        .as_ref()
        .map(|j| declined_after_invite(&invites, j))
        .unwrap_or_default();
    for id in &invite {
        println!("invite  {id}");
    }
    if revoke {
        for (_, artsvp) in &declined {
            println!("revoke  {artsvp}");
        }
    }
    let revoking = if revoke {
        format!("{} to revoke", declined.len())
    } else {
        format!(
            "{} declined after their invite (pass --revoke-declined to delete them)",
            declined.len()
        )
    };
    println!(
        "plan: {} to invite, {revoking}, {already} settled earlier; nothing was sent",
        invite.len()
    );
    Ok(Outcome::Done)
}

/// Serves `/healthz` and `/metrics` on `addr` (in the background), and
/// says where on stderr.
async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
    metrics: PrometheusHandle,
) -> Result<(), CliError> {
    use axum::http::{StatusCode, header};
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Usage(format!("--listen {addr}: cannot listen there: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("--listen {addr}: {e}")))?;
    let app = axum::Router::new()
        .route(
            "/healthz",
            get(move || {
                let (code, text) = health.answer();
                async move { (StatusCode::from_u16(code).unwrap_or(StatusCode::OK), text) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let text = metrics.render();
                async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
            }),
        );
    eprintln!("event-invites: serving /healthz and /metrics on http://{bound}");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the health and metrics server stopped");
        }
    });
    Ok(())
}

/// Logs on stderr, text or JSON; `RUST_LOG`-free: the watch's lines and
/// the facade's warnings.
fn init_logs(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// SIGTERM and Ctrl-C (SIGINT), listened for from the start.
struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn install() -> Result<Self, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind| {
                signal(kind)
                    .map_err(|e| CliError::Failed(format!("cannot listen for signals: {e}")))
            };
            Ok(Self {
                term: listen(SignalKind::terminate())?,
                int: listen(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_a_whole_number_and_a_unit() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "2", "2d", "1.5s", "-2s", "0s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn health_turns_503_after_three_failed_cycles_in_a_row() {
        let health = Health::default();
        assert_eq!(health.answer().0, 200);
        let error = CliError::Unavailable("SecureGate answers 503".into());
        for expected in [200, 200, 503] {
            failed(&health, 1, &error, Duration::from_secs(2));
            let (code, text) = health.answer();
            assert_eq!(code, expected, "{text}");
            assert!(text.contains("SecureGate answers 503"), "{text}");
        }
        succeeded(&health, 4, &Cycle::default(), Duration::ZERO);
        assert_eq!(health.answer(), (200, "ok\n".into()));
    }

    #[test]
    fn a_failed_cycle_waits_longer_each_time_up_to_four_intervals() {
        let health = Health::default();
        let error = CliError::Unavailable("down".into());
        let waits: Vec<u64> = (0..5)
            .map(|_| failed(&health, 1, &error, Duration::from_secs(2)).as_secs())
            .collect();
        assert_eq!(waits, [2, 4, 8, 8, 8]);
    }
}
