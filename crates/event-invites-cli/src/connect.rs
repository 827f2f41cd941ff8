//! The clients a command needs: from the environment when its API key is
//! set, else pointed at a built-in fake server (seeded, in this process),
//! which the tool says on its first line, on standard error.

use event_invites::{Artsvp, SecureGate};
use event_invites_fake::{FakeArtsvp, FakeSecureGate};

use crate::Command;

/// The clients, and the fake servers behind them when no key is set.
pub struct Apis {
    securegate: Option<SecureGate>,
    artsvp: Option<Artsvp>,
    _fakes: (Option<FakeSecureGate>, Option<FakeArtsvp>),
}

impl Apis {
    pub async fn from_env(command: &Command) -> Result<Self, String> {
        let (needs_securegate, needs_artsvp) = match command {
            Command::Guests { .. } | Command::Stats { .. } => (true, false),
            Command::Invite { .. } | Command::Bookings { .. } => (false, true),
            Command::Sync { .. } => (true, true),
        };
        let mut notes = Vec::new();
        let (mut securegate, mut artsvp) = (None, None);
        let (mut sg_fake, mut artsvp_fake) = (None, None);
        if needs_securegate {
            if std::env::var_os("SECUREGATE_API_KEY").is_some() {
                securegate = Some(SecureGate::from_env().map_err(|e| e.to_string())?);
            } else {
                let fake = FakeSecureGate::start()
                    .await
                    .map_err(|e| format!("cannot start the built-in fake SecureGate: {e}"))?;
                notes.push(format!(
                    "SecureGate (events: {})",
                    fake.event_ids().join(", ")
                ));
                securegate = Some(fake.client());
                sg_fake = Some(fake);
            }
        }
        if needs_artsvp {
            if std::env::var_os("ARTSVP_API_KEY").is_some() {
                artsvp = Some(Artsvp::from_env().map_err(|e| e.to_string())?);
            } else {
                let fake = FakeArtsvp::start()
                    .await
                    .map_err(|e| format!("cannot start the built-in fake ARTSVP: {e}"))?;
                let events: Vec<String> = fake
                    .state()
                    .events
                    .iter()
                    .map(|e| format!("{} ({})", e.code, e.name))
                    .collect();
                notes.push(format!("ARTSVP (events: {})", events.join(", ")));
                artsvp = Some(fake.client());
                artsvp_fake = Some(fake);
            }
        }
        if !notes.is_empty() {
            eprintln!(
                "event-invites: no API key set, using the built-in fake {} — nothing real is touched",
                notes.join(" and ")
            );
        }
        Ok(Self {
            securegate,
            artsvp,
            _fakes: (sg_fake, artsvp_fake),
        })
    }

    pub fn securegate(&self) -> Result<&SecureGate, String> {
        self.securegate
            .as_ref()
            .ok_or_else(|| "this command has no SecureGate client".to_string())
    }

    /// Whether ARTSVP is the built-in fake (its data dies with the process).
    pub fn artsvp_is_fake(&self) -> bool {
        self._fakes.1.is_some()
    }

    pub fn artsvp(&self) -> Result<&Artsvp, String> {
        self.artsvp
            .as_ref()
            .ok_or_else(|| "this command has no ARTSVP client".to_string())
    }
}
