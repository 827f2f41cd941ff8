//! The clients a command needs: from the environment (the API key is
//! required), or, with `--demo` only, pointed at built-in fake servers
//! (seeded, in this process), which the tool says on its first line. It
//! never falls back to the fakes by itself: a missing key is a
//! configuration error that names the variable and the flag.

use event_invites::{
    Api, Artsvp, ClientBuilder, MetricsObserver, Observer, QuotaStore, QuotaStoreEvent, SecureGate,
};
use event_invites_fake::{FakeArtsvp, FakeSecureGate};

use crate::error::CliError;

/// Which APIs a command talks to.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub securegate: bool,
    pub artsvp: bool,
}

/// The clients, and the fake servers behind them in demo mode.
pub struct Apis {
    securegate: Option<SecureGate>,
    artsvp: Option<Artsvp>,
    fakes: Option<(FakeSecureGate, FakeArtsvp)>,
}

impl Apis {
    /// Clients from the environment, sharing their quota through the store
    /// `store` opens (awaited once the keys are known to be set); every key the
    /// command needs must be set.
    pub async fn from_env(
        needs: Needs,
        store: impl Future<Output = Result<QuotaStore, CliError>>,
    ) -> Result<Self, CliError> {
        let mut missing = Vec::new();
        for (needed, name) in [
            (needs.securegate, <SecureGate as Api>::ENV_KEY),
            (needs.artsvp, <Artsvp as Api>::ENV_KEY),
        ] {
            if needed && std::env::var(name).map_or(true, |v| v.trim().is_empty()) {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            return Err(CliError::Config(missing_keys(&missing)));
        }
        let store = store.await?;
        let securegate = needs
            .securegate
            .then(|| shared(ClientBuilder::<SecureGate>::from_env()?, &store).build())
            .transpose()?;
        let artsvp = needs
            .artsvp
            .then(|| shared(ClientBuilder::<Artsvp>::from_env()?, &store).build())
            .transpose()?;
        for base in [
            securegate.as_ref().map(SecureGate::base_url),
            artsvp.as_ref().map(Artsvp::base_url),
        ]
        .into_iter()
        .flatten()
        {
            eprintln!("event-invites: using {base}");
        }
        Ok(Self {
            securegate,
            artsvp,
            fakes: None,
        })
    }

    /// Clients pointed at built-in fake servers (`--demo`), whatever the
    /// environment says.
    pub async fn demo() -> Result<Self, CliError> {
        let start = |what: &str, e: std::io::Error| {
            CliError::Failed(format!("cannot start the built-in fake {what}: {e}"))
        };
        let securegate = FakeSecureGate::start()
            .await
            .map_err(|e| start("SecureGate", e))?;
        let artsvp = FakeArtsvp::start().await.map_err(|e| start("ARTSVP", e))?;
        let events: Vec<String> = artsvp
            .state()
            .events
            .iter()
            .map(|e| format!("{} ({})", e.code, e.name))
            .collect();
        eprintln!(
            "event-invites: demo mode: built-in fake SecureGate (events: {}) and ARTSVP (events: \
             {}); nothing real is touched",
            securegate.event_ids().join(", "),
            events.join(", ")
        );
        let built = |e: event_invites::Error| CliError::Failed(format!("demo clients: {e}"));
        Ok(Self {
            securegate: Some(
                securegate
                    .client_builder()
                    .observer(Notice)
                    .build()
                    .map_err(built)?,
            ),
            artsvp: Some(
                artsvp
                    .client_builder()
                    .observer(Notice)
                    .build()
                    .map_err(built)?,
            ),
            fakes: Some((securegate, artsvp)),
        })
    }

    pub fn securegate(&self) -> Result<&SecureGate, CliError> {
        self.securegate
            .as_ref()
            .ok_or_else(|| CliError::Failed("this command has no SecureGate client".into()))
    }

    pub fn artsvp(&self) -> Result<&Artsvp, CliError> {
        self.artsvp
            .as_ref()
            .ok_or_else(|| CliError::Failed("this command has no ARTSVP client".into()))
    }

    /// Whether the clients talk to the built-in fakes.
    pub fn is_demo(&self) -> bool {
        self.fakes.is_some()
    }
}

/// A builder whose client shares its quota through `store`, says on
/// stderr when the store fails or is back, and counts its requests for
/// `sync --watch`'s /metrics.
pub fn shared<A: Api>(builder: ClientBuilder<A>, store: &QuotaStore) -> ClientBuilder<A> {
    builder.quota_store(store.clone()).observer(Notice)
}

/// Says on stderr when the shared quota's store fails (the run goes on,
/// this process pacing by its share) and when it answers again; passes
/// every event to the facade's `MetricsObserver` (which records nothing
/// until `sync --watch` installs a recorder).
struct Notice;

impl Observer for Notice {
    fn attempt(&self, e: &event_invites::AttemptEvent) {
        MetricsObserver.attempt(e);
    }

    fn paced(&self, e: &event_invites::PacingEvent) {
        MetricsObserver.paced(e);
    }

    fn budget_empty(&self, e: &event_invites::BudgetEvent) {
        MetricsObserver.budget_empty(e);
    }

    fn quota(&self, e: &event_invites::QuotaEvent) {
        MetricsObserver.quota(e);
    }

    fn quota_store(&self, e: &QuotaStoreEvent) {
        MetricsObserver.quota_store(e);
        match &e.error {
            Some(error) => eprintln!(
                "event-invites: warning: the {} quota store {} failed ({error}); this process \
                 paces alone until it is back",
                e.api, e.store
            ),
            None => eprintln!(
                "event-invites: the {} quota store {} answers again; the quota is shared again",
                e.api, e.store
            ),
        }
    }
}

/// `ARTSVP_API_KEY is not set; pass --demo to try the tool on built-in fake
/// servers`, with the names (never the values) of set variables that look
/// like a misspelling of it.
fn missing_keys(missing: &[&str]) -> String {
    let names = missing.join(" and ");
    let verb = if missing.len() == 1 { "is" } else { "are" };
    let mut text =
        format!("{names} {verb} not set; pass --demo to try the tool on built-in fake servers");
    let lookalikes: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            missing.iter().any(|m| {
                let api = m.split('_').next().unwrap_or_default();
                name != m && name.to_ascii_uppercase().starts_with(api) && name.contains("KEY")
            })
        })
        .collect();
    if !lookalikes.is_empty() {
        text.push_str(&format!(
            " (set but not read: {}; a misspelling?)",
            lookalikes.join(", ")
        ));
    }
    text
}
