//! The sync as a service, apart from the one-shot commands: `serve
//! --config FILE` runs a season (every `[[sync]]` of the file) and `sync
//! --watch` one sync, on the same supervisor.
//!
//! - `config`: the TOML file, checked whole, errors at `FILE:LINE:COLUMN`;
//! - `supervisor`: a task per sync, started, stopped, restarted on reload;
//! - `sync`: one sync's loop (cycles, backoff, graceful stop);
//! - `rebuild`: a lost journal rebuilt from ARTSVP's listing;
//! - `status`, `http`, `metrics`: `/status`, `/healthz`, `/livez`,
//!   `/metrics` (every sync series labelled `sync`);
//! - `signals`: SIGTERM and Ctrl-C stop, SIGHUP reloads;
//! - `watch`: `sync --watch` and `sync --plan`.

pub mod config;
mod http;
pub mod metrics;
mod rebuild;
mod signals;
mod status;
mod supervisor;
mod sync;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use self::config::{ServiceConfig, load};
use self::signals::{Asked, Signals};
use self::status::Board;
use self::supervisor::{Clients, Supervisor};
use crate::Outcome;
use crate::error::CliError;

/// `serve`'s arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The season's config file (TOML): `listen`, `state_dir`, and a
    /// `[[sync]]` table per sync. SIGHUP reloads it.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Check the file (syntax, fields, names, intervals, that the key
    /// variables are set) and exit: 0 when it is good, 2 naming
    /// FILE:LINE:COLUMN when not. Sends nothing.
    #[arg(long)]
    pub check: bool,
    /// Rebuild every sync's journal from its ARTSVP event's invites before
    /// its first cycle (as when a journal is missing): about one request
    /// per 100 invites, and nobody is invited again.
    #[arg(long)]
    pub rebuild_journal: bool,
}

/// Whether variable `name` is set (and not blank).
fn is_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// `serve --config FILE`: every sync of the file until SIGTERM or Ctrl-C
/// (exit 0); SIGHUP reloads the file.
pub async fn serve(args: ServeArgs, quota_store: &str, demo: bool) -> Result<Outcome, CliError> {
    if demo {
        return Err(CliError::Usage(
            "serve does not run on the built-in fakes: start event-invites-fake-server and \
             point SECUREGATE_BASE_URL and ARTSVP_BASE_URL at it (see the guide, \"Run a \
             season\")"
                .into(),
        ));
    }
    let config = load(&args.config, &is_set, true).map_err(|e| CliError::Config(e.to_string()))?;
    if args.check {
        let names: Vec<&str> = config.syncs.iter().map(|s| s.name.as_str()).collect();
        println!(
            "{}: ok: {} sync(s): {}",
            args.config.display(),
            names.len(),
            names.join(", ")
        );
        return Ok(Outcome::Done);
    }
    watch::init_logs(config.log_format);
    make_state_dir(&config.state_dir)?;
    let store = crate::quota_store(config.quota_store.as_deref().unwrap_or(quota_store)).await?;
    let recorder = metrics::install()
        .map_err(|e| CliError::Failed(format!("cannot set up the metrics: {e}")))?;
    let board = Arc::new(Board::default());
    board.config_loaded(&args.config.display().to_string());
    http::serve(config.listen, board.clone(), recorder, "listen").await?;
    let mut signals = Signals::install(true)?;
    let mut supervisor = Supervisor::new(
        board.clone(),
        Clients::from_env(store),
        args.rebuild_journal,
    );
    supervisor.apply(&config.syncs).await?;
    tracing::info!(
        config = %args.config.display(), syncs = config.syncs.len(),
        "serving: SIGHUP reloads the config, SIGTERM stops"
    );
    let mut running = config;
    loop {
        match signals.next().await {
            Asked::Stop => {
                tracing::info!("stopping on a signal: every sync stops; nothing new is sent");
                supervisor.stop_all().await;
                return Ok(Outcome::Done);
            }
            Asked::Reload => reload(&args.config, &mut running, &mut supervisor, &board).await,
        }
    }
}

/// SIGHUP: the file read and checked again; a good one applied, a bad one
/// logged (with its position) and shown in `/status` and `/metrics`, the
/// running config kept.
async fn reload(
    file: &Path,
    running: &mut ServiceConfig,
    supervisor: &mut Supervisor,
    board: &Board,
) {
    let applied = match load(file, &is_set, true) {
        Err(e) => Err(e.to_string()),
        Ok(next) => match make_state_dir(&next.state_dir) {
            Err(e) => Err(e.to_string()),
            Ok(()) => supervisor
                .apply(&next.syncs)
                .await
                .map(|()| next)
                .map_err(|e| e.to_string()),
        },
    };
    match applied {
        Ok(next) => {
            for (what, changed) in [
                ("listen", next.listen != running.listen),
                ("log_format", next.log_format != running.log_format),
                ("quota_store", next.quota_store != running.quota_store),
            ] {
                if changed {
                    tracing::warn!(
                        field = what,
                        "changed in the file: it applies at the next restart, not on reload"
                    );
                }
            }
            board.config_loaded(&file.display().to_string());
            tracing::info!(syncs = next.syncs.len(), "config reloaded");
            *running = next;
        }
        Err(e) => {
            tracing::error!(error = %e, "reload refused: the running config stays");
            board.reload_failed(&e);
        }
    }
}

/// Creates the state directory (0700 on Unix: the journals hold guests'
/// emails) when it is missing.
fn make_state_dir(dir: &Path) -> Result<(), CliError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        CliError::Config(format!(
            "state_dir {}: cannot create it: {e}",
            dir.display()
        ))
    })
}
