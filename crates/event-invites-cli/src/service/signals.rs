//! The signals a service acts on, listened for from the start (a signal
//! that comes while a sync is busy is kept for the next wait): SIGTERM and
//! Ctrl-C stop it; SIGHUP reloads `serve`'s config.

use crate::error::CliError;

/// What a signal asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Stop,
    Reload,
}

pub struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    /// Only `serve` reloads (for `sync --watch`, SIGHUP keeps its default).
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn install(reload: bool) -> Result<Self, CliError> {
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
                hup: reload.then(|| listen(SignalKind::hangup())).transpose()?,
            })
        }
        #[cfg(not(unix))]
        {
            let _ = reload;
            Ok(Self {})
        }
    }

    /// The next signal.
    pub async fn next(&mut self) -> Asked {
        #[cfg(unix)]
        {
            let Self { term, int, hup } = self;
            let hup = async {
                match hup {
                    Some(hup) => hup.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = term.recv() => Asked::Stop,
                _ = int.recv() => Asked::Stop,
                _ = hup => Asked::Reload,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Asked::Stop
        }
    }
}
