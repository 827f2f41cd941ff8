//! `sync --watch`: one sync as a service, the one-sync case of `serve`'s
//! supervisor (the loop is `super::sync`). Health, status and Prometheus
//! metrics are served on `--listen`; logs are one line per cycle and per
//! failure, text or JSON (`--log-format json`), with counts and ids only,
//! never a guest's data or a key. `--plan` says what the next cycle would
//! do, sending nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use event_invites::SecureGate;
use event_invites::artsvp::{BulkKey, Guest, Target};
use event_invites::securegate::InviteStatus;

use super::config::{DEFAULT_ARTSVP_KEY_ENV, DEFAULT_SECUREGATE_KEY_ENV, SyncSpec};
use super::signals::Signals;
use super::status::Board;
use super::supervisor::{Clients, Supervisor};
use super::sync::{self, Ended};
use super::{http, metrics};
use crate::Outcome;
use crate::commands::bulk::Run;
use crate::error::CliError;
use crate::journal::{Journal, RunId};

pub use super::sync::run_id;

/// Time between cycles unless `--interval` (or the config) says.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

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
    /// With --watch: rebuild the journal from the ARTSVP event's invites
    /// before the first cycle (as when it is missing): every guest with an
    /// invite there is settled as existing, about one request per 100.
    #[arg(long, requires = "watch")]
    pub rebuild_journal: bool,
}

/// How `--watch` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `2s`, `5m`, `1h` (a whole number and a unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
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

/// Runs the watch: the one-sync case of the service's supervisor, until
/// SIGTERM or Ctrl-C (exit 0), a refused key (exit 77) or a problem an
/// operator must fix (the journal, the ARTSVP event).
pub async fn run(
    securegate: &SecureGate,
    run: Run<'_>,
    from: &str,
    status: InviteStatus,
    args: &WatchArgs,
) -> Result<Outcome, CliError> {
    init_logs(args.log_format.unwrap_or(LogFormat::Text));
    let spec = SyncSpec {
        name: label(from, &run.target.to_string()),
        from: from.to_string(),
        to: match &run.target {
            Target::Event(id) | Target::Collection(id) => id.clone(),
        },
        interval: args.interval.unwrap_or(DEFAULT_INTERVAL),
        status,
        revoke_declined: args.revoke_declined,
        securegate_key_env: DEFAULT_SECUREGATE_KEY_ENV.into(),
        artsvp_key_env: DEFAULT_ARTSVP_KEY_ENV.into(),
        journal: run.journal.clone(),
        concurrency: usize::from(run.args.concurrency),
    };
    let recorder = metrics::install()
        .map_err(|e| CliError::Failed(format!("cannot set up the metrics: {e}")))?;
    let board = Arc::new(Board::default());
    if let Some(addr) = args.listen {
        http::serve(addr, board.clone(), recorder, "--listen").await?;
    }
    let mut signals = Signals::install(false)?;
    let clients = Clients::fixed(securegate.clone(), run.client.clone());
    let mut supervisor = Supervisor::new(board, clients, args.rebuild_journal);
    supervisor.apply(std::slice::from_ref(&spec)).await?;
    tokio::select! {
        _ = signals.next() => {
            supervisor.stop_all().await;
            Ok(Outcome::Done)
        }
        ended = supervisor.ended(&spec.name) => match ended {
            Ended::Stopped => Ok(Outcome::Done),
            Ended::Refused(e) | Ended::Failed(e) => Err(e),
        }
    }
}

/// The `sync` label of a watch: `FROM-TO`, lowercase letters, digits and
/// `-` (the rest `-`).
fn label(from: &str, to: &str) -> String {
    let to = to.strip_prefix("event ").unwrap_or(to);
    format!("{from}-{to}")
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '-',
        })
        .collect()
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
        .map(|j| sync::declined_after_invite(&invites, j))
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

/// Logs on stderr, text or JSON; `RUST_LOG`-free: the watch's lines and
/// the facade's warnings.
pub fn init_logs(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
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
    fn a_watch_is_labelled_by_its_events() {
        assert_eq!(label("evt-Watch", "event 3779b1"), "evt-watch-3779b1");
        assert_eq!(label("a_b", "c.d"), "a-b-c-d");
    }
}
