//! `event-invites`: the guest-list job on the command line. SecureGate
//! guest lists and stats, ARTSVP confirmed bookings, and bulk ARTSVP
//! invites from a CSV (or from SecureGate's accepted guests) that resume
//! after a crash without inviting anyone twice.
//!
//! Keys come from `SECUREGATE_API_KEY` / `ARTSVP_API_KEY` (and the optional
//! `*_BASE_URL`); with none set, the tool runs against built-in fake servers
//! and says so first. All API logic is in the `event-invites` library; this
//! crate adds arguments, CSV, the progress bar and the SQLite journal.

mod bulk;
mod connect;
mod guests_csv;
mod journal;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use event_invites::artsvp::BulkKey;
use event_invites::securegate::InviteStatus;

/// Guest lists for SecureGate and ARTSVP events: export, stats, and bulk
/// invites that resume after a crash without inviting anyone twice.
///
/// Keys come from SECUREGATE_API_KEY and ARTSVP_API_KEY (base URLs from
/// SECUREGATE_BASE_URL and ARTSVP_BASE_URL); without a key the tool uses a
/// built-in fake server for that API and says so.
#[derive(Debug, Parser)]
#[command(name = "event-invites", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A SecureGate event's guest list (all invites, or one status).
    Guests {
        /// The SecureGate event id.
        #[arg(long)]
        event: String,
        /// Only invites with this status.
        #[arg(long, value_enum)]
        status: Option<Status>,
        #[command(flatten)]
        out: output::Output,
    },
    /// Counts per status and the response and acceptance rates of a
    /// SecureGate event.
    Stats {
        /// The SecureGate event id.
        #[arg(long)]
        event: String,
    },
    /// Invites every guest of a CSV file (header `name,email[,external_id,tags]`,
    /// tags separated by `;`) to an ARTSVP event or collection, once each.
    ///
    /// Every outcome goes to a SQLite journal (by default next to the CSV);
    /// running the same command again skips finished rows and re-sends the
    /// ones in flight with the dedupe filter. Exits 1 if any row failed, had
    /// an unknown outcome or was bad input.
    Invite {
        /// The ARTSVP event (id or code).
        #[arg(
            long,
            required_unless_present = "collection",
            conflicts_with = "collection"
        )]
        event: Option<String>,
        /// The ARTSVP collection (id or code).
        #[arg(long)]
        collection: Option<String>,
        /// The guest list.
        #[arg(long)]
        csv: PathBuf,
        #[command(flatten)]
        run: bulk::RunArgs,
    },
    /// Gives every SecureGate guest of an event (accepted by default) an
    /// invite to an ARTSVP event, deduped by email; same journal and
    /// progress as `invite`.
    Sync {
        /// The SecureGate event id.
        #[arg(long)]
        from_securegate: String,
        /// The ARTSVP event (id or code).
        #[arg(long)]
        to_artsvp_event: String,
        /// Which SecureGate guests.
        #[arg(long, value_enum, default_value_t = Status::Accepted)]
        status: Status,
        #[command(flatten)]
        run: bulk::RunArgs,
    },
    /// An ARTSVP event's confirmed bookings (reads every booking of the
    /// account: the API has no event filter).
    Bookings {
        /// The ARTSVP event (id or code).
        #[arg(long)]
        event: String,
        #[command(flatten)]
        out: output::Output,
    },
}

/// A SecureGate invite status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Status {
    Accepted,
    Pending,
    Sent,
    Rejected,
}

impl Status {
    fn api(self) -> InviteStatus {
        match self {
            Self::Accepted => InviteStatus::Accepted,
            Self::Pending => InviteStatus::Pending,
            Self::Sent => InviteStatus::Sent,
            Self::Rejected => InviteStatus::Rejected,
        }
    }
}

/// Which field makes two guests one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DedupeBy {
    Email,
    ExternalId,
}

impl DedupeBy {
    fn key(self) -> BulkKey {
        match self {
            Self::Email => BulkKey::Email,
            Self::ExternalId => BulkKey::ExternalId,
        }
    }
}

/// Against the built-in fake ARTSVP, whose invites die with the process,
/// the default journal is a temporary file: one kept beside the CSV would
/// claim, on the next run, invites that no longer exist anywhere.
fn fake_journal(apis: &connect::Apis, run: &mut bulk::RunArgs) {
    if apis.artsvp_is_fake() && run.journal.is_none() {
        let path = std::env::temp_dir().join(format!(
            "event-invites-fake-{}.journal.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        run.journal = Some(path);
    }
}

/// How a command ended.
enum Outcome {
    Done,
    /// Something failed; the details were printed.
    SomeFailed,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<Outcome, String> {
    let apis = connect::Apis::from_env(&cli.command).await?;
    match cli.command {
        Command::Guests { event, status, out } => {
            let rows = apis
                .securegate()?
                .export(&event, status.map(Status::api))
                .await
                .map_err(|e| e.to_string())?;
            out.write(&rows)?;
            Ok(Outcome::Done)
        }
        Command::Stats { event } => {
            let stats = apis
                .securegate()?
                .invite_stats(&event)
                .await
                .map_err(|e| e.to_string())?;
            output::stats(&event, &stats);
            Ok(Outcome::Done)
        }
        Command::Bookings { event, out } => {
            let rows = apis
                .artsvp()?
                .export_guest_list(&event)
                .await
                .map_err(|e| e.to_string())?;
            out.write(&rows)?;
            Ok(Outcome::Done)
        }
        Command::Invite {
            event,
            collection,
            csv,
            mut run,
        } => {
            fake_journal(&apis, &mut run);
            bulk::from_csv(apis.artsvp()?, event, collection, &csv, &run).await
        }
        Command::Sync {
            from_securegate,
            to_artsvp_event,
            status,
            mut run,
        } => {
            fake_journal(&apis, &mut run);
            bulk::sync(
                apis.securegate()?,
                apis.artsvp()?,
                &from_securegate,
                &to_artsvp_event,
                status.api(),
                &run,
            )
            .await
        }
    }
}
