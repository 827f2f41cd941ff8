//! `invite` and `sync`: a bulk run of the library (`Artsvp::bulk_invite`)
//! with the SQLite journal as its checkpoint, a progress bar that says when
//! the run waits for the rate-limit window, Ctrl-C handling and a summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use event_invites::artsvp::{BulkKey, Guest, GuestOutcome, Progress, Target};
use event_invites::securegate::InviteStatus;
use event_invites::{Artsvp, SecureGate};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::journal::{Journal, RunId};
use crate::{DedupeBy, Outcome, guests_csv};

/// Options shared by `invite` and `sync`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Which field makes two guests one (the dedupe filter every invite
    /// carries). `sync` always dedupes by email.
    #[arg(long, value_enum, default_value_t = DedupeBy::Email)]
    dedupe: DedupeBy,
    /// The journal (SQLite). Default: next to the CSV (`<csv>.journal.sqlite`),
    /// or `sync-<from>-<to>.journal.sqlite` for `sync`.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Check every row and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Requests under way at once (the rate limit still sets the pace).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

/// `invite --csv FILE`.
pub async fn from_csv(
    client: &Artsvp,
    event: Option<String>,
    collection: Option<String>,
    csv: &Path,
    args: &RunArgs,
) -> Result<Outcome, String> {
    let target = match (event, collection) {
        (Some(event), None) => Target::event(event),
        (None, Some(collection)) => Target::collection(collection),
        _ => return Err("give one of --event and --collection".into()),
    };
    let key = args.dedupe.key();
    let list = guests_csv::read(csv, key)?;
    for bad in &list.bad {
        eprintln!("line {}: skipped: {}", bad.line, bad.problem);
    }
    let lines: Vec<u64> = list.rows.iter().map(|r| r.line).collect();
    let guests: Vec<Guest> = list.rows.into_iter().map(|r| r.guest).collect();
    if args.dry_run {
        println!(
            "dry run: {} row(s) ready to invite to {target}, {} skipped as bad input; nothing was sent",
            guests.len(),
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
    let journal_path = args.journal.clone().unwrap_or_else(|| {
        let mut name = csv.as_os_str().to_owned();
        name.push(".journal.sqlite");
        PathBuf::from(name)
    });
    let run = RunId {
        target: target.to_string(),
        source,
        key: key_name(key).into(),
    };
    check_target(client, &target).await?;
    let journal = Journal::open(&journal_path, &run)?;
    bulk(
        client,
        target,
        guests,
        &lines,
        key,
        journal,
        &journal_path,
        args,
        list.bad.len(),
    )
    .await
}

/// `sync --from-securegate EVENT --to-artsvp-event ID`.
pub async fn sync(
    securegate: &SecureGate,
    artsvp: &Artsvp,
    from: &str,
    to: &str,
    status: InviteStatus,
    args: &RunArgs,
) -> Result<Outcome, String> {
    let invites = securegate
        .invites_with_status(from, status.clone())
        .await
        .map_err(|e| e.to_string())?;
    let guests: Vec<Guest> = invites.iter().map(Guest::from).collect();
    let target = Target::event(to);
    eprintln!(
        "{} {status} SecureGate guest(s) of {from} to invite to ARTSVP {target}",
        guests.len()
    );
    if args.dry_run {
        println!(
            "dry run: {} guest(s) to invite; nothing was sent",
            guests.len()
        );
        return Ok(Outcome::Done);
    }
    let journal_path = args.journal.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "sync-{}-{}.journal.sqlite",
            file_safe(from),
            file_safe(to)
        ))
    });
    let run = RunId {
        target: target.to_string(),
        source: format!("securegate event {from} ({status})"),
        key: key_name(BulkKey::Email).into(),
    };
    check_target(artsvp, &target).await?;
    let journal = Journal::open(&journal_path, &run)?;
    let lines: Vec<u64> = (1..=guests.len() as u64).collect();
    bulk(
        artsvp,
        target,
        guests,
        &lines,
        BulkKey::Email,
        journal,
        &journal_path,
        args,
        0,
    )
    .await
}

fn key_name(key: BulkKey) -> &'static str {
    match key {
        BulkKey::ExternalId => "external_id",
        _ => "email",
    }
}

fn file_safe(id: &str) -> String {
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

/// Runs the bulk invite with the journal, a progress bar and a summary.
#[allow(clippy::too_many_arguments)]
async fn bulk(
    client: &Artsvp,
    target: Target,
    guests: Vec<Guest>,
    lines: &[u64],
    key: BulkKey,
    journal: Journal,
    journal_path: &Path,
    args: &RunArgs,
    bad_input: usize,
) -> Result<Outcome, String> {
    let held = journal.held();
    if held.finished + held.in_flight > 0 {
        eprintln!(
            "resuming from {}: {} guest(s) finished earlier are skipped, {} in flight are sent again (deduped)",
            journal_path.display(),
            held.finished,
            held.in_flight
        );
    }
    let journal = Arc::new(journal);
    let mut run = client
        .bulk_invite(target.clone(), guests)
        .key(key)
        .concurrency(usize::from(args.concurrency))
        .checkpoint(journal.clone())
        .start();
    let bar = progress_bar(run.progress().total);
    let mut waiting = false;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let mut outage = None;
    let interrupted = loop {
        tokio::select! {
            next = run.try_next() => match next {
                Ok(Some(done)) => {
                    bar.inc(1);
                    let line = lines.get(done.index).copied().unwrap_or_default();
                    match &done.outcome {
                        GuestOutcome::Failed(e) => say(&bar, format!("line {line}: failed: {e}")),
                        GuestOutcome::Unknown(e) => say(&bar, format!(
                            "line {line}: outcome unknown (re-run to send it again, deduped): {e}"
                        )),
                        _ => {}
                    }
                }
                Ok(None) => break false,
                Err(e) if matches!(e.kind(), event_invites::ErrorKind::Outage { .. }) => {
                    outage = Some(e);
                    break false;
                }
                Err(e) => {
                    bar.abandon();
                    return Err(e.to_string());
                }
            },
            _ = ticker.tick() => {
                waiting = show_wait(&bar, &run.progress(), waiting);
            }
            _ = tokio::signal::ctrl_c() => break true,
        }
    };
    let progress = run.progress();
    drop(run);
    bar.finish_and_clear();
    summary(&target, &progress, bad_input, interrupted, journal_path);
    if let Some(e) = outage {
        return Err(outage_message(&e, journal_path));
    }
    Ok(
        if interrupted || progress.failed + progress.unknown + bad_input > 0 {
            Outcome::SomeFailed
        } else {
            Outcome::Done
        },
    )
}

/// A line above the bar, or on standard error when there is no bar (not a
/// terminal).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

/// Fails, sending nothing else, when the target does not exist.
async fn check_target(client: &Artsvp, target: &Target) -> Result<(), String> {
    let found = match target {
        Target::Event(id) => client.get_event(id).await.map(drop),
        Target::Collection(id) => client.get_collection(id).await.map(drop),
    };
    match found {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.kind(), event_invites::ErrorKind::NotFound { .. }) => {
            Err(format!("ARTSVP has no {target}: check the id or code"))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} guests  {per_sec}  eta {eta}  {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// Says when the run starts waiting for the rate limit, and until when (as
/// a line, so it shows without a terminal too); returns whether it waits.
fn show_wait(bar: &ProgressBar, progress: &Progress, was_waiting: bool) -> bool {
    let wait = progress
        .waiting_until
        .map(|until| until.saturating_duration_since(Instant::now()))
        .filter(|w| *w >= Duration::from_secs(1));
    match wait {
        Some(wait) => {
            let until = std::time::SystemTime::now() + wait;
            let clock = clock_time(until);
            bar.set_message(format!("waiting for the rate-limit window until {clock}"));
            if !was_waiting {
                say(
                    bar,
                    format!(
                        "waiting for the rate-limit window until {clock} ({}s; {} of {} done)",
                        wait.as_secs(),
                        progress.done,
                        progress.total
                    ),
                );
            }
            true
        }
        None => {
            if was_waiting {
                bar.set_message("");
            }
            false
        }
    }
}

/// `HH:MM:SS` UTC of a wall-clock time.
fn clock_time(at: std::time::SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

/// What an outage stop tells the operator: what failed, since when, what
/// is left, and how to go on.
fn outage_message(e: &event_invites::Error, journal: &Path) -> String {
    let event_invites::ErrorKind::Outage {
        since,
        failed_in_a_row,
        not_sent,
        answer,
        failing,
    } = e.kind()
    else {
        return e.to_string();
    };
    let api = e.api().map_or("the API", |api| api.name());
    let host = e.host().map(|h| format!(" ({h})")).unwrap_or_default();
    format!(
        "stopped: {api}{host} answers {answer} to every {failing} since {} ({failed_in_a_row} rows \
         in a row); {not_sent} rows not sent, kept pending in {}: run the same command again to \
         go on",
        clock_time(*since),
        journal.display()
    )
}

fn summary(target: &Target, p: &Progress, bad_input: usize, interrupted: bool, journal: &Path) {
    let elapsed = p.started.elapsed().as_secs_f64();
    if interrupted {
        eprintln!(
            "interrupted: the journal {} keeps what was done; run the same command to go on",
            journal.display()
        );
    }
    println!(
        "{target}: created {}, existing {}, failed {}, unknown {}, skipped as bad input {}, done earlier {} ({} of {} in {elapsed:.1}s)",
        p.created, p.existing, p.failed, p.unknown, bad_input, p.skipped, p.done, p.total
    );
}
