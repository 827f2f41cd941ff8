//! `event-invites`: the guest-list job on the command line. SecureGate
//! guest lists and stats, ARTSVP confirmed bookings, and bulk ARTSVP
//! invites from a CSV (or from SecureGate's accepted guests) that resume
//! after a crash without inviting anyone twice.
//!
//! Keys come from `SECUREGATE_API_KEY` / `ARTSVP_API_KEY` (and the optional
//! `*_BASE_URL`); a missing key is a configuration error. `--demo` runs
//! against built-in fake servers instead, and every summary says so. All
//! API logic is in the `event-invites` library; this crate adds arguments,
//! CSV, progress, the SQLite journal and the exit codes (`error.rs`).
//!
//! Layout: the one-shot commands' parts are in `commands/` (bulk runs, CSV,
//! output, progress); the service (`serve`, `sync --watch`: config,
//! supervisor, a sync's loop, status, HTTP, metrics, signals) in
//! `service/`; what both use at the top (`journal.rs`, `connect.rs`,
//! `error.rs`).

mod commands;
mod connect;
mod error;
mod journal;
mod service;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use event_invites::artsvp::{BulkKey, Target};
use event_invites::securegate::InviteStatus;

use crate::commands::bulk::{self, demo_prefix};
use crate::commands::output;
use crate::connect::{Apis, Needs};
use crate::error::{CliError, EXIT_CODES};
use crate::service::watch;

/// Guest lists for SecureGate and ARTSVP events: export, stats, and bulk
/// invites that resume after a crash without inviting anyone twice.
///
/// Keys come from SECUREGATE_API_KEY and ARTSVP_API_KEY (base URLs from
/// SECUREGATE_BASE_URL and ARTSVP_BASE_URL). Without the key a command
/// needs, it stops with exit code 2; pass --demo to try it on built-in fake
/// servers.
#[derive(Debug, Parser)]
#[command(name = "event-invites", version, after_help = EXIT_CODES)]
struct Cli {
    /// Use built-in fake SecureGate and ARTSVP servers (seeded, in this
    /// process) instead of the real APIs; every summary says so.
    #[arg(long, global = true)]
    demo: bool,
    /// Where each API key's quota is shared: `host` (every process of this
    /// user on this machine using the same key paces as one), `memory`
    /// (this process alone), or a Redis URL (`redis://[USER:PASSWORD@]HOST[:PORT]`,
    /// `rediss://…`, `redis+unix:///PATH`; a cluster:
    /// `redis+cluster://HOST:PORT[,HOST:PORT…]`; behind Sentinel:
    /// `redis+sentinel://HOST:PORT[,HOST:PORT…]/SERVICE`): every process on
    /// every host using that Redis.
    #[arg(
        long,
        global = true,
        env = "EVENT_INVITES_QUOTA_STORE",
        // A store URL may hold a password: never shown in --help.
        hide_env_values = true,
        default_value = "host",
        value_name = "STORE"
    )]
    quota_store: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A SecureGate event's guest list (all invites, or one status).
    #[command(after_help = EXIT_CODES)]
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
    #[command(after_help = EXIT_CODES)]
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
    /// ones in flight with the dedupe filter. When ARTSVP keeps failing the
    /// run stops, says what failed and leaves the rest pending (exit 69).
    #[command(after_help = EXIT_CODES)]
    Invite(InviteArgs),
    /// Gives every SecureGate guest of an event (accepted by default) an
    /// invite to an ARTSVP event, deduped by email; same journal and
    /// progress as `invite`.
    #[command(after_help = EXIT_CODES)]
    Sync(SyncArgs),
    /// An ARTSVP event's confirmed bookings (reads every booking of the
    /// account: the API has no event filter).
    #[command(after_help = EXIT_CODES)]
    Bookings {
        /// The ARTSVP event (id or code).
        #[arg(long)]
        event: String,
        #[command(flatten)]
        out: output::Output,
    },
    /// Runs a season as a service: every sync of a config file (TOML), each
    /// as `sync --watch` runs one, with one /healthz, /livez, /status and
    /// /metrics. SIGHUP reloads the file; SIGTERM stops (exit 0).
    ///
    /// Each sync's journal is `<state_dir>/<name>.journal.sqlite`; one that
    /// is missing is rebuilt from the ARTSVP event's invites first. A
    /// refused key stops that sync alone until the next reload. A file with
    /// a problem stops it at start with exit 2, naming FILE:LINE:COLUMN.
    #[command(after_help = EXIT_CODES)]
    Serve(service::ServeArgs),
    /// Prints an API key's shared quota: where it is kept, the quota paced
    /// by (the server's, when it said a smaller one), what is left, when
    /// it is whole again. Sends nothing.
    #[command(after_help = EXIT_CODES)]
    Quota {
        /// Which API's key.
        #[arg(long, value_enum, default_value_t = ApiName::Artsvp)]
        api: ApiName,
    },
    /// Prints a shell completion script: `event-invites completions bash >
    /// /etc/bash_completion.d/event-invites`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff): `event-invites manpage >
    /// /usr/local/share/man/man1/event-invites.1`.
    Manpage,
}

impl Command {
    /// Which APIs the command talks to (none for the offline ones).
    fn needs(&self) -> Needs {
        let (securegate, artsvp) = match self {
            Self::Guests { .. } | Self::Stats { .. } => (true, false),
            Self::Invite { .. } | Self::Bookings { .. } => (false, true),
            Self::Sync { .. } => (true, true),
            Self::Quota { api } => (*api == ApiName::Securegate, *api == ApiName::Artsvp),
            // `serve` makes its clients from each sync's key variables.
            Self::Completions { .. } | Self::Manpage | Self::Serve(_) => (false, false),
        };
        Needs { securegate, artsvp }
    }
}

/// `--delimiter`: one ASCII character, or `tab`.
fn delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        one if one.len() == 1 && one.is_ascii() => Ok(one.as_bytes()[0]),
        _ => Err("one ASCII character, or `tab`".to_string()),
    }
}

/// An API, as `quota --api` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ApiName {
    Artsvp,
    Securegate,
}

/// The Redis URL schemes `--quota-store` takes: one server, a Redis
/// Cluster, a master behind Sentinel (each with TLS).
const REDIS_SCHEMES: [&str; 7] = [
    "redis",
    "rediss",
    "redis+unix",
    "redis+cluster",
    "rediss+cluster",
    "redis+sentinel",
    "rediss+sentinel",
];

/// `--quota-store`: `host`, `memory` or a Redis URL (connected to now: an
/// unreachable server is exit 69, naming the URL with its password hidden).
async fn quota_store(choice: &str) -> Result<event_invites::QuotaStore, CliError> {
    match choice.trim() {
        "host" => Ok(event_invites::QuotaStore::host()?),
        "memory" => Ok(event_invites::QuotaStore::memory()),
        url if REDIS_SCHEMES
            .iter()
            .any(|scheme| url.starts_with(&format!("{scheme}://"))) =>
        {
            Ok(event_invites::QuotaStore::redis(url).await?)
        }
        // Not echoed: a mistyped store URL may hold a password.
        _ => Err(CliError::Usage(format!(
            "--quota-store: not a store this tool knows: use host, memory, or a URL of {}",
            REDIS_SCHEMES.map(|s| format!("{s}://")).join(", ")
        ))),
    }
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

/// Which field makes two guests one: `BulkKey`'s values as clap parses
/// them (clap's `ValueEnum` cannot be implemented for the library's type
/// here, and the library does not depend on clap).
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

/// A journal path, and whether it is a demo's temporary file (removed,
/// with SQLite's side files, when dropped: at exit, Ctrl-C included).
struct JournalPath {
    path: PathBuf,
    temporary: bool,
}

impl JournalPath {
    fn new(given: Option<PathBuf>, demo: bool, default: impl FnOnce() -> PathBuf) -> Self {
        match (given, demo) {
            (Some(path), _) => Self {
                path,
                temporary: false,
            },
            (None, true) => {
                let path = std::env::temp_dir().join(format!(
                    "event-invites-demo-{}.journal.sqlite",
                    std::process::id()
                ));
                remove_journal(&path);
                Self {
                    path,
                    temporary: true,
                }
            }
            (None, false) => Self {
                path: default(),
                temporary: false,
            },
        }
    }
}

impl Drop for JournalPath {
    fn drop(&mut self) {
        if self.temporary {
            remove_journal(&self.path);
        }
    }
}

/// Removes a journal and SQLite's `-wal` and `-shm` files beside it.
fn remove_journal(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// How a command ended.
enum Outcome {
    /// Everything done.
    Done,
    /// Some rows failed, stayed unknown or were bad input, or the run was
    /// interrupted; the details were printed.
    SomeFailed,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<Outcome, CliError> {
    if let Command::Serve(args) = cli.command {
        return service::serve(args, &cli.quota_store, cli.demo).await;
    }
    let needs = cli.command.needs();
    if !needs.securegate && !needs.artsvp {
        return offline(&cli.command);
    }
    let apis = if cli.demo {
        Apis::demo().await?
    } else {
        Apis::from_env(needs, quota_store(&cli.quota_store)).await?
    };
    let demo = apis.is_demo();
    match cli.command {
        Command::Guests { event, status, out } => {
            let rows = apis
                .securegate()?
                .export(&event, status.map(Status::api))
                .await?;
            hint_if_empty(rows.is_empty(), &event);
            write_rows(&out, &rows, demo)
        }
        Command::Stats { event } => {
            let stats = apis.securegate()?.invite_stats(&event).await?;
            hint_if_empty(stats.total == 0, &event);
            output::stats(demo_prefix(demo), &event, &stats);
            Ok(Outcome::Done)
        }
        Command::Bookings { event, out } => {
            let artsvp = apis.artsvp()?;
            bulk::check_target(artsvp, &Target::event(&event)).await?;
            let rows = artsvp.export_guest_list(&event).await?;
            write_rows(&out, &rows, demo)
        }
        Command::Invite(args) => invite(&apis, demo, args).await,
        Command::Sync(args) => sync(&apis, demo, args).await,
        Command::Quota { api } => {
            let usage = match api {
                ApiName::Artsvp => apis.artsvp()?.quota_usage().await,
                ApiName::Securegate => apis.securegate()?.quota_usage().await,
            };
            output::quota(demo_prefix(demo), &usage);
            Ok(Outcome::Done)
        }
        Command::Completions { .. } | Command::Manpage | Command::Serve(_) => offline(&cli.command),
    }
}

/// `invite`'s arguments.
#[derive(Debug, Args)]
struct InviteArgs {
    /// The ARTSVP event (id or code).
    #[arg(long, conflicts_with = "collection")]
    event: Option<String>,
    /// The ARTSVP collection (id or code).
    #[arg(long)]
    collection: Option<String>,
    /// The guest list.
    #[arg(long)]
    csv: PathBuf,
    /// What separates the CSV's fields: one character, or `tab`.
    #[arg(long, default_value = ",", value_parser = delimiter)]
    delimiter: u8,
    /// Which field makes two guests one (the dedupe filter every invite
    /// carries).
    #[arg(long, value_enum, default_value_t = DedupeBy::Email)]
    dedupe: DedupeBy,
    /// The journal (SQLite). Default: next to the CSV
    /// (`<csv>.journal.sqlite`); with --demo, a temporary file removed
    /// at exit.
    #[arg(long)]
    journal: Option<PathBuf>,
    #[command(flatten)]
    run: bulk::RunArgs,
}

/// `sync`'s arguments.
#[derive(Debug, Args)]
struct SyncArgs {
    /// The SecureGate event id.
    #[arg(long)]
    from_securegate: String,
    /// The ARTSVP event (id or code).
    #[arg(long)]
    to_artsvp_event: String,
    /// Which SecureGate guests.
    #[arg(long, value_enum, default_value_t = Status::Accepted)]
    status: Status,
    /// The journal (SQLite). Default: `sync-<from>-<to>.journal.sqlite`
    /// in the current directory; with --demo, a temporary file removed
    /// at exit.
    #[arg(long)]
    journal: Option<PathBuf>,
    #[command(flatten)]
    run: bulk::RunArgs,
    #[command(flatten)]
    watch: watch::WatchArgs,
}

/// `invite`: a CSV's guests, invited with a journal.
async fn invite(apis: &Apis, demo: bool, args: InviteArgs) -> Result<Outcome, CliError> {
    let target = invite_target(args.event, args.collection)?;
    let csv = args.csv;
    let journal = JournalPath::new(args.journal, demo, || {
        let mut name = csv.as_os_str().to_owned();
        name.push(".journal.sqlite");
        PathBuf::from(name)
    });
    let run = bulk::Run {
        client: apis.artsvp()?,
        target,
        key: args.dedupe.key(),
        journal: journal.path.clone(),
        demo,
        args: &args.run,
    };
    bulk::from_csv(run, &csv, args.delimiter).await
}

/// `sync`: SecureGate's guests, invited to an ARTSVP event with a journal.
async fn sync(apis: &Apis, demo: bool, args: SyncArgs) -> Result<Outcome, CliError> {
    let (from, to) = (args.from_securegate, args.to_artsvp_event);
    let journal = JournalPath::new(args.journal, demo, || {
        PathBuf::from(format!(
            "sync-{}-{}.journal.sqlite",
            bulk::file_safe(&from),
            bulk::file_safe(&to)
        ))
    });
    let run = bulk::Run {
        client: apis.artsvp()?,
        target: Target::event(to),
        key: BulkKey::Email,
        journal: journal.path.clone(),
        demo,
        args: &args.run,
    };
    if args.watch.plan {
        let id = watch::run_id(&from, &run.target, &args.status.api());
        let (status, revoke) = (args.status.api(), args.watch.revoke_declined);
        return watch::plan(
            apis.securegate()?,
            &run.journal,
            &id,
            &from,
            &status,
            revoke,
        )
        .await;
    }
    if args.watch.watch {
        return watch::run(
            apis.securegate()?,
            run,
            &from,
            args.status.api(),
            &args.watch,
        )
        .await;
    }
    bulk::sync(apis.securegate()?, run, &from, args.status.api()).await
}

/// Writes a read command's rows (and, in demo mode, how many there were).
fn write_rows(
    out: &output::Output,
    rows: &[event_invites::GuestRow],
    demo: bool,
) -> Result<Outcome, CliError> {
    out.write(rows).map_err(CliError::Failed)?;
    if demo {
        eprintln!("{}{} row(s)", demo_prefix(demo), rows.len());
    }
    Ok(Outcome::Done)
}

/// `invite`'s target: one of `--event` and `--collection`.
fn invite_target(event: Option<String>, collection: Option<String>) -> Result<Target, CliError> {
    match (event, collection) {
        (Some(event), None) => Ok(Target::event(event)),
        (None, Some(collection)) => Ok(Target::collection(collection)),
        _ => Err(CliError::Usage(
            "invite needs a target: pass --event ID or --collection ID".into(),
        )),
    }
}

/// The commands that talk to no API.
fn offline(command: &Command) -> Result<Outcome, CliError> {
    let mut cli = Cli::command();
    let mut out = std::io::stdout();
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut cli, "event-invites", &mut out);
        }
        Command::Manpage => clap_mangen::Man::new(cli)
            .render(&mut out)
            .map_err(|e| CliError::Failed(format!("cannot write the man page: {e}")))?,
        _ => {}
    }
    Ok(Outcome::Done)
}

/// A hint on standard error when SecureGate has no invites for an event:
/// an unknown event id has none either.
fn hint_if_empty(empty: bool, event: &str) {
    if empty {
        eprintln!(
            "hint: SecureGate lists no invites for {event} (it answers the same for an event id \
             it does not know): check the id"
        );
    }
}
