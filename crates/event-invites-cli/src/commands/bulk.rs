//! `invite` and `sync`: a bulk run of the library (`Artsvp::bulk_invite`)
//! with the SQLite journal as its checkpoint, progress (a bar, or lines in a
//! log) that says when the run waits for the rate-limit window, Ctrl-C
//! handling and a summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use event_invites::artsvp::{
    BulkError, BulkKey, BulkRun, Guest, GuestOutcome, Outage, Progress, Target,
};
use event_invites::securegate::InviteStatus;
use event_invites::{Artsvp, ErrorKind, SecureGate};

use super::guests_csv;
use super::progress::{self, Reporter};
use crate::Outcome;
use crate::error::CliError;
use crate::journal::{Journal, RunId};

/// How a bulk run shows itself, shared by `invite` and `sync`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Check every row and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Requests under way at once (the rate limit still sets the pace).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// How to show progress: a bar on a terminal and lines otherwise
    /// (`auto`), always a bar, plain lines (one every 10 s and at each
    /// rate-limit wait), or none.
    #[arg(long, value_enum, default_value_t = progress::Mode::Auto)]
    pub progress: progress::Mode,
    /// No progress and no per-row outcome messages: only errors, bad CSV
    /// rows and the summary.
    #[arg(long)]
    pub quiet: bool,
}

/// Where a run is going and what it is called in messages.
pub struct Run<'a> {
    pub client: &'a Artsvp,
    pub target: Target,
    pub key: BulkKey,
    /// The journal's path.
    pub journal: PathBuf,
    /// On the built-in fake servers: the journal is temporary and nothing
    /// can be resumed.
    pub demo: bool,
    pub args: &'a RunArgs,
}

/// `invite --csv FILE`.
pub async fn from_csv(run: Run<'_>, csv: &Path, delimiter: u8) -> Result<Outcome, CliError> {
    let list = guests_csv::read(csv, run.key, delimiter).map_err(CliError::Usage)?;
    for bad in &list.bad {
        eprintln!("line {}: skipped: {}", bad.line, bad.problem);
    }
    let lines: Vec<u64> = list.rows.iter().map(|r| r.line).collect();
    let guests: Vec<Guest> = list.rows.into_iter().map(|r| r.guest).collect();
    if run.args.dry_run {
        println!(
            "{}dry run: {} row(s) ready to invite to {}, {} skipped as bad input; nothing was sent",
            demo_prefix(run.demo),
            guests.len(),
            run.target,
            list.bad.len()
        );
        return Ok(if list.bad.is_empty() {
            Outcome::Done
        } else {
            Outcome::SomeFailed
        });
    }
    let source = std::fs::canonicalize(csv)
        .unwrap_or_else(|_| csv.to_path_buf())
        .display()
        .to_string();
    check_target(run.client, &run.target).await?;
    let id = RunId {
        target: run.target.to_string(),
        source,
        key: key_name(run.key).into(),
    };
    let interrupt = Interrupt::install()?;
    let journal = Journal::open(&run.journal, &id).map_err(CliError::Usage)?;
    bulk(&run, guests, &lines, journal, list.bad.len(), interrupt).await
}

/// `sync --from-securegate EVENT --to-artsvp-event ID`: always deduped by
/// email.
pub async fn sync(
    securegate: &SecureGate,
    run: Run<'_>,
    from: &str,
    status: InviteStatus,
) -> Result<Outcome, CliError> {
    let invites = securegate.invites_with_status(from, status.clone()).await?;
    let guests: Vec<Guest> = invites.iter().map(Guest::from).collect();
    eprintln!(
        "{}{} {status} SecureGate guest(s) of {from} to invite to ARTSVP {}",
        demo_prefix(run.demo),
        guests.len(),
        run.target
    );
    if invites.is_empty() {
        eprintln!(
            "hint: SecureGate lists no {status} invites for {from} (an unknown event id has none \
             either): check the event id and --status"
        );
    }
    if run.args.dry_run {
        println!(
            "{}dry run: {} guest(s) to invite; nothing was sent",
            demo_prefix(run.demo),
            guests.len()
        );
        return Ok(Outcome::Done);
    }
    check_target(run.client, &run.target).await?;
    let id = RunId {
        target: run.target.to_string(),
        source: format!("securegate event {from} ({status})"),
        key: key_name(BulkKey::Email).into(),
    };
    let interrupt = Interrupt::install()?;
    let journal = Journal::open(&run.journal, &id).map_err(CliError::Usage)?;
    let lines: Vec<u64> = (1..=guests.len() as u64).collect();
    bulk(&run, guests, &lines, journal, 0, interrupt).await
}

fn key_name(key: BulkKey) -> &'static str {
    match key {
        BulkKey::ExternalId => "external_id",
        _ => "email",
    }
}

/// A file name part from an id: letters, digits and `-`, the rest `_`.
pub fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `demo (built-in fake servers): ` in demo mode.
pub fn demo_prefix(demo: bool) -> &'static str {
    if demo {
        "demo (built-in fake servers): "
    } else {
        ""
    }
}

/// Ctrl-C, listened for from creation on, before the journal exists: a
/// signal that comes while the loop is busy with a guest is kept for its
/// next turn. (A `tokio::signal::ctrl_c()` made anew on each turn is only
/// listening while it is polled, so a signal in between was lost and the
/// run went on to the end.)
struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    fn install() -> Result<Self, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            signal(SignalKind::interrupt())
                .map(|signal| Self { signal })
                .map_err(|e| CliError::Failed(format!("cannot listen for Ctrl-C: {e}")))
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        self.signal.recv().await;
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How a run's loop ended.
enum Ended {
    AllDone,
    Interrupted,
    Outage(Outage),
}

/// Runs the bulk invite with the journal, progress and a summary.
async fn bulk(
    run: &Run<'_>,
    guests: Vec<Guest>,
    lines: &[u64],
    journal: Journal,
    bad_input: usize,
    mut interrupt: Interrupt,
) -> Result<Outcome, CliError> {
    let held = journal.held();
    if held.finished + held.in_flight > 0 {
        eprintln!(
            "resuming from {}: {} guest(s) finished earlier are skipped, {} in flight are sent again (deduped)",
            run.journal.display(),
            held.finished,
            held.in_flight
        );
    }
    let journal = Arc::new(journal);
    let mut bulk = run
        .client
        .bulk_invite(run.target.clone(), guests)
        .key(run.key)
        .concurrency(usize::from(run.args.concurrency))
        .checkpoint(journal.clone())
        .start();
    let mut reporter = Reporter::new(run.args.progress, run.args.quiet, bulk.progress().total);
    let ended = match follow(&mut bulk, &mut reporter, lines, &mut interrupt).await {
        Ok(ended) => ended,
        Err(e) => {
            reporter.finish(&bulk.progress());
            return Err(e.into());
        }
    };
    let progress = bulk.progress();
    drop(bulk);
    reporter.finish(&progress);
    let interrupted = matches!(ended, Ended::Interrupted);
    if interrupted {
        eprintln!("{}", interrupted_message(run));
    }
    summary(run, &progress, bad_input);
    if let Ended::Outage(e) = ended {
        return Err(CliError::Unavailable(outage_message(&e, run)));
    }
    Ok(
        if interrupted || progress.failed + progress.unknown + bad_input > 0 {
            Outcome::SomeFailed
        } else {
            Outcome::Done
        },
    )
}

/// Reports each guest's failure and the progress until the run ends, stops
/// for an outage, or Ctrl-C comes; any other error stops it.
async fn follow(
    bulk: &mut BulkRun,
    reporter: &mut Reporter,
    lines: &[u64],
    interrupt: &mut Interrupt,
) -> Result<Ended, BulkError> {
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            next = bulk.try_next() => match next {
                Ok(Some(done)) => {
                    let line = lines.get(done.index).copied().unwrap_or_default();
                    match &done.outcome {
                        GuestOutcome::Failed(e) => reporter.say(format!("line {line}: failed: {e}")),
                        GuestOutcome::Unknown(e) => reporter.say(format!(
                            "line {line}: outcome unknown (re-run to send it again, deduped): {e}"
                        )),
                        _ => {}
                    }
                }
                Ok(None) => return Ok(Ended::AllDone),
                Err(BulkError::Outage(outage)) => return Ok(Ended::Outage(outage)),
                Err(e) => return Err(e),
            },
            _ = ticker.tick() => reporter.show(&bulk.progress()),
            () = interrupt.wait() => return Ok(Ended::Interrupted),
        }
    }
}

/// What Ctrl-C leaves behind, in this mode.
fn interrupted_message(run: &Run<'_>) -> String {
    if run.demo {
        "interrupted: this was a demo on built-in fake servers, whose invites end with the \
         process; there is nothing to resume"
            .to_string()
    } else {
        format!(
            "interrupted: the journal {} keeps what was done; run the same command to go on",
            run.journal.display()
        )
    }
}

/// Fails, sending nothing else, when the target does not exist.
pub async fn check_target(client: &Artsvp, target: &Target) -> Result<(), CliError> {
    let found = match target {
        Target::Event(id) => client.get_event(id).await.map(drop),
        Target::Collection(id) => client.get_collection(id).await.map(drop),
    };
    match found {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound { .. }) => Err(CliError::Usage(format!(
            "ARTSVP has no {target}: check the id or code"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// What an outage stop tells the operator: what failed, since when, what
/// is left, and how to go on.
fn outage_message(outage: &Outage, run: &Run<'_>) -> String {
    let host = outage
        .host
        .as_ref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    let go_on = if run.demo {
        "this was a demo on built-in fake servers; nothing to resume".to_string()
    } else {
        format!(
            "kept pending in {}: run the same command again to go on",
            run.journal.display()
        )
    };
    format!(
        "stopped: ARTSVP{host} answers {} to every {} since {} ({} rows in a row); {} rows not \
         sent, {go_on}",
        outage.answer,
        outage.operation,
        progress::clock_time(outage.since),
        outage.failed_in_a_row,
        progress::thousands(outage.not_sent),
    )
}

fn summary(run: &Run<'_>, p: &Progress, bad_input: usize) {
    let elapsed = p.started.elapsed().as_secs_f64();
    println!(
        "{}{}: created {}, existing {}, failed {}, unknown {}, skipped as bad input {}, done earlier {} ({} of {} in {elapsed:.1}s)",
        demo_prefix(run.demo),
        run.target,
        p.created,
        p.existing,
        p.failed,
        p.unknown,
        bad_input,
        p.skipped,
        p.done,
        p.total
    );
}
