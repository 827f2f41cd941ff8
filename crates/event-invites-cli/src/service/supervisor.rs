//! The supervisor: one task per sync, started, stopped and restarted as the
//! config says. `serve` hands it every `[[sync]]` of its file (again on
//! each SIGHUP); `sync --watch` hands it its one sync.
//!
//! A reload starts the syncs it adds, stops the ones it removes (after the
//! guests under way) and restarts the ones it changes; an unchanged sync
//! is left alone (its timing and counts go on), unless it had stopped
//! (a refused key, a journal to fix): a reload starts it again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use event_invites::{Artsvp, ClientBuilder, QuotaStore, SecureGate};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::config::SyncSpec;
use super::status::Board;
use super::sync::{Ended, GRACE, SyncTask, TURNS_PER_KEY};
use crate::error::CliError;

/// Where a sync's clients come from.
pub enum Clients {
    /// The same two for every sync (`sync --watch`, whose clients the
    /// command made: from the environment or the demo's fakes).
    Fixed {
        securegate: SecureGate,
        artsvp: Artsvp,
        turns: Arc<Semaphore>,
    },
    /// From the variables each sync names, one client per key (syncs on
    /// one key share it, and so its quota and retry budget), every one
    /// sharing its quota through `store`.
    FromEnv {
        store: QuotaStore,
        securegate: HashMap<String, SecureGate>,
        /// Each ARTSVP key's client and its syncs' turns.
        artsvp: HashMap<String, (Artsvp, Arc<Semaphore>)>,
    },
}

/// A sync's clients, and the turns of the syncs on its ARTSVP key.
type SyncClients = (SecureGate, Artsvp, Arc<Semaphore>);

impl Clients {
    /// The same two clients for every sync.
    pub fn fixed(securegate: SecureGate, artsvp: Artsvp) -> Self {
        Self::Fixed {
            securegate,
            artsvp,
            turns: Arc::new(Semaphore::new(TURNS_PER_KEY)),
        }
    }

    pub fn from_env(store: QuotaStore) -> Self {
        Self::FromEnv {
            store,
            securegate: HashMap::new(),
            artsvp: HashMap::new(),
        }
    }

    /// The clients for `spec`: made once per key.
    fn for_sync(&mut self, spec: &SyncSpec) -> Result<SyncClients, CliError> {
        match self {
            Self::Fixed {
                securegate,
                artsvp,
                turns,
            } => Ok((securegate.clone(), artsvp.clone(), turns.clone())),
            Self::FromEnv {
                store,
                securegate,
                artsvp,
            } => {
                let securegate = client(securegate, &spec.securegate_key_env, store, |c| c)?;
                let (artsvp, turns) = client(artsvp, &spec.artsvp_key_env, store, |c| {
                    (c, Arc::new(Semaphore::new(TURNS_PER_KEY)))
                })?;
                Ok((securegate, artsvp, turns))
            }
        }
    }
}

/// What `made` holds for the key in variable `var`, or a client for it made
/// now (and kept as `keep` makes it).
fn client<A: event_invites::Api, T: Clone>(
    made: &mut HashMap<String, T>,
    var: &str,
    store: &QuotaStore,
    keep: impl FnOnce(A) -> T,
) -> Result<T, CliError> {
    let key = std::env::var(var)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| CliError::Config(format!("{var} is not set")))?;
    if let Some(client) = made.get(&key) {
        return Ok(client.clone());
    }
    let builder = ClientBuilder::<A>::from_env_with_key_var(var)?;
    let kept = keep(crate::connect::shared(builder, store).build()?);
    made.insert(key, kept.clone());
    Ok(kept)
}

/// A sync's task.
struct Task {
    spec: SyncSpec,
    stop: watch::Sender<bool>,
    handle: JoinHandle<Ended>,
}

/// Every sync's task.
pub struct Supervisor {
    board: Arc<Board>,
    clients: Clients,
    tasks: HashMap<String, Task>,
    /// `--rebuild-journal`: the syncs started by the first `apply` rebuild
    /// their journal.
    rebuild: bool,
}

impl Supervisor {
    pub fn new(board: Arc<Board>, clients: Clients, rebuild: bool) -> Self {
        Self {
            board,
            clients,
            tasks: HashMap::new(),
            rebuild,
        }
    }

    /// Runs `syncs`: the clients of every new or changed one are made
    /// first (an error changes nothing), then the removed and changed ones
    /// stop, and the new and changed ones (and the unchanged ones that had
    /// stopped) start.
    pub async fn apply(&mut self, syncs: &[SyncSpec]) -> Result<(), CliError> {
        let mut starting = Vec::new();
        for spec in syncs {
            let keep = self
                .tasks
                .get(&spec.name)
                .is_some_and(|t| t.spec == *spec && !t.handle.is_finished());
            if !keep {
                starting.push((spec.clone(), self.clients.for_sync(spec)?));
            }
        }
        let leaving: Vec<String> = self
            .tasks
            .iter()
            .filter(|(name, task)| {
                !syncs.iter().any(|s| s.name == **name)
                    || starting.iter().any(|(s, _)| s.name == task.spec.name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        self.stop(&leaving).await;
        for name in &leaving {
            if !syncs.iter().any(|s| s.name == *name) {
                self.board.remove(name);
                tracing::info!(sync = %name, "removed from the config: stopped");
            }
        }
        let rebuild = std::mem::take(&mut self.rebuild);
        for (spec, clients) in starting {
            self.start(spec, clients, rebuild);
        }
        Ok(())
    }

    fn start(&mut self, spec: SyncSpec, (securegate, artsvp, turns): SyncClients, rebuild: bool) {
        let (stop, stopping) = watch::channel(false);
        self.board.starting(&spec);
        tracing::info!(
            sync = %spec.name, from = %spec.from, to = %spec.to,
            interval_s = spec.interval.as_secs(), journal = %spec.journal.display(),
            "sync started: a cycle every interval"
        );
        let task = SyncTask {
            spec: spec.clone(),
            securegate,
            artsvp,
            board: self.board.clone(),
            stop: stopping,
            rebuild,
            turns,
        };
        let handle = tokio::spawn(task.run());
        self.tasks
            .insert(spec.name.clone(), Task { spec, stop, handle });
    }

    /// Stops the syncs named: none sends a new guest from now; each ends
    /// once its guests under way finish (at most [`GRACE`] and a second).
    async fn stop(&mut self, names: &[String]) {
        let tasks: Vec<Task> = names.iter().filter_map(|n| self.tasks.remove(n)).collect();
        for task in &tasks {
            let _ = task.stop.send(true);
        }
        for task in tasks {
            let abort = task.handle.abort_handle();
            if tokio::time::timeout(GRACE + Duration::from_secs(1), task.handle)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// Stops every sync (SIGTERM).
    pub async fn stop_all(&mut self) {
        let names: Vec<String> = self.tasks.keys().cloned().collect();
        self.stop(&names).await;
    }

    /// Waits until sync `name` ends by itself (refused, or stopped for an
    /// operator), for `sync --watch`, which then exits.
    pub async fn ended(&mut self, name: &str) -> Ended {
        match self.tasks.get_mut(name) {
            Some(task) => (&mut task.handle).await.unwrap_or_else(|e| {
                Ended::Failed(CliError::Failed(format!("the sync's task failed: {e}")))
            }),
            None => std::future::pending().await,
        }
    }
}
