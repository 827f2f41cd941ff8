//! The SecureGate client: an event's invites, with the status filter, as
//! facade models with open enums.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{self, Api, ClientBuilder};
pub use crate::enums::{AuthenticationMethod, CountryCode, InviteStatus};
use crate::error::Error;
use crate::pacing::{Quota, RateLimitState};
use crate::retry::Safety;
use crate::transport::Transport;

/// A SecureGate invite.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Invite {
    /// The invite's id.
    pub id: String,
    /// The event it is for.
    pub event_id: String,
    /// The invitee's first name.
    pub first_name: String,
    /// The invitee's last name.
    pub last_name: String,
    /// The invitee's email.
    pub email: String,
    /// The invitee's country calling code.
    pub country_code: CountryCode,
    /// The invitee's mobile number, without the country code.
    pub mobile_number: String,
    /// How the invitee authenticates.
    pub authentication_method: AuthenticationMethod,
    /// The invite's status.
    pub status: InviteStatus,
    /// The session code.
    pub session_code: String,
    /// The session id.
    pub session_id: String,
    /// The invitee's photo URL.
    pub image: Option<String>,
    /// When the invite was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When the invitee was last seen.
    pub last_seen: Option<DateTime<Utc>>,
    /// The Onyx+ id, if any.
    pub onyxplus_id: Option<String>,
    /// The ticket id, if any.
    pub ticket_id: Option<String>,
}

impl Invite {
    /// `"First Last"`.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }

    /// The mobile number with its country code: `+1 5551234567`.
    pub fn international_number(&self) -> String {
        format!("+{} {}", self.country_code, self.mobile_number)
    }
}

impl From<securegate_api::types::Invite> for Invite {
    fn from(raw: securegate_api::types::Invite) -> Self {
        Self {
            id: raw.id,
            event_id: raw.event_id,
            first_name: raw.first_name,
            last_name: raw.last_name,
            email: raw.email,
            country_code: raw.country_code.into(),
            mobile_number: raw.mobile_number,
            authentication_method: raw.authentication_method.into(),
            status: raw.status.into(),
            session_code: raw.session_code,
            session_id: raw.session_id,
            image: raw.image,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
            last_seen: raw.last_seen,
            onyxplus_id: raw.onyxplus_id,
            ticket_id: raw.ticket_id,
        }
    }
}

/// How an event's invitations are doing: counts per status and two rates,
/// from one request ([`SecureGate::invite_stats`]).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct InviteStats {
    /// Every invite of the event.
    pub total: u32,
    /// Created, not sent yet.
    pub pending: u32,
    /// Sent, no response yet.
    pub sent: u32,
    /// Accepted.
    pub accepted: u32,
    /// Declined.
    pub rejected: u32,
    /// With a status this version does not know.
    pub other: u32,
}

impl InviteStats {
    /// Counts the invites by status.
    pub fn of<'a>(invites: impl IntoIterator<Item = &'a Invite>) -> Self {
        let mut stats = Self::default();
        for invite in invites {
            stats.total += 1;
            match invite.status {
                InviteStatus::Pending => stats.pending += 1,
                InviteStatus::Sent => stats.sent += 1,
                InviteStatus::Accepted => stats.accepted += 1,
                InviteStatus::Rejected => stats.rejected += 1,
                _ => stats.other += 1,
            }
        }
        stats
    }

    /// The share of delivered invites that got an answer:
    /// `(accepted + rejected) / (sent + accepted + rejected)`.
    /// Pending invites were never delivered, so they do not count. `None`
    /// when nothing was delivered.
    pub fn response_rate(&self) -> Option<f64> {
        let answered = self.accepted + self.rejected;
        ratio(answered, self.sent + answered)
    }

    /// The share of answers that are yes: `accepted / (accepted + rejected)`.
    /// `None` when nobody answered.
    pub fn acceptance_rate(&self) -> Option<f64> {
        ratio(self.accepted, self.accepted + self.rejected)
    }
}

fn ratio(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

struct Inner {
    raw: securegate_api::Client,
    base_url: String,
    transport: Transport,
}

/// A SecureGate client: cheap to clone (clones share the connection pool,
/// pacing and rate-limit state), `Send + Sync`.
///
/// ```no_run
/// # async fn example() -> Result<(), event_invites::Error> {
/// use event_invites::{SecureGate, securegate::InviteStatus};
///
/// let client = SecureGate::from_env()?;
/// let accepted = client.invites("event-456", Some(InviteStatus::Accepted)).await?;
/// for invite in accepted {
///     println!("{}", invite.full_name());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SecureGate {
    inner: Arc<Inner>,
}

impl fmt::Debug for SecureGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureGate")
            .field("base_url", &self.inner.base_url)
            .field("transport", &self.inner.transport)
            .finish()
    }
}

impl Api for SecureGate {
    const DEFAULT_BASE_URL: &'static str = "https://api.securegate.ai";
    const KEY_HEADER: &'static str = "x-api-key";
    const ENV_KEY: &'static str = "SECUREGATE_API_KEY";
    const ENV_BASE_URL: &'static str = "SECUREGATE_BASE_URL";
    const DEFAULT_QUOTA: Option<Quota> = None;
}

impl config::sealed::Assemble for SecureGate {
    fn assemble(base_url: String, http: reqwest::Client, transport: Transport) -> Self {
        Self {
            inner: Arc::new(Inner {
                raw: securegate_api::Client::new_with_client(&base_url, http),
                base_url,
                transport,
            }),
        }
    }
}

impl SecureGate {
    /// A client for the production API with this key.
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder().api_key(api_key).build()
    }

    /// A builder for base URL, key, timeouts, retries and quota.
    pub fn builder() -> ClientBuilder<Self> {
        ClientBuilder::default()
    }

    /// A client from `SECUREGATE_API_KEY` and, if set, `SECUREGATE_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        config::from_env()
    }

    /// The generated client, for anything the facade does not wrap. Its
    /// calls carry no API key unless the `reqwest::Client` adds one.
    pub fn raw(&self) -> &securegate_api::Client {
        &self.inner.raw
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The rate-limit state the server last reported, if it sends one.
    pub fn rate_limit(&self) -> Option<RateLimitState> {
        self.inner.transport.pacer.last()
    }

    /// The invites of an event, optionally only those with `status`
    /// (`GET /events/{event_id}/invites`).
    pub async fn invites(
        &self,
        event_id: &str,
        status: Option<InviteStatus>,
    ) -> Result<Vec<Invite>, Error> {
        const OPERATION: &str = "get_invites";
        crate::ids::check(OPERATION, "event id", event_id)?;
        let status = match &status {
            None => None,
            Some(s) => Some(
                s.as_str()
                    .parse::<securegate_api::types::InviteStatus>()
                    .map_err(|_| Error::InvalidRequest {
                        operation: OPERATION,
                        message: format!(
                            "SecureGate cannot filter by the unknown status {:?}",
                            s.as_str()
                        ),
                    })?,
            ),
        };
        let raw = &self.inner.raw;
        let response = self
            .inner
            .transport
            .send(OPERATION, Safety::Idempotent, || {
                let request = raw.get_invites().event_id(event_id);
                match status {
                    Some(status) => request.status(status).send(),
                    None => request.send(),
                }
            })
            .await?;
        Ok(response
            .into_inner()
            .into_iter()
            .map(Invite::from)
            .collect())
    }

    /// The guest list: the invites that were accepted.
    pub async fn guest_list(&self, event_id: &str) -> Result<Vec<Invite>, Error> {
        self.invites(event_id, Some(InviteStatus::Accepted)).await
    }

    /// Who to follow up with: sent invites with no response yet.
    pub async fn awaiting_response(&self, event_id: &str) -> Result<Vec<Invite>, Error> {
        self.invites(event_id, Some(InviteStatus::Sent)).await
    }

    /// Invites created but not sent yet.
    pub async fn not_yet_sent(&self, event_id: &str) -> Result<Vec<Invite>, Error> {
        self.invites(event_id, Some(InviteStatus::Pending)).await
    }

    /// Counts per status and the response and acceptance rates of an
    /// event's invites, from one request (see [`InviteStats`] for the
    /// formulas).
    pub async fn invite_stats(&self, event_id: &str) -> Result<InviteStats, Error> {
        Ok(InviteStats::of(&self.invites(event_id, None).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_status(status: &str) -> Invite {
        Invite {
            id: "i".into(),
            event_id: "e".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            email: "a@b".into(),
            country_code: CountryCode::from("1"),
            mobile_number: "5".into(),
            authentication_method: AuthenticationMethod::from("Both"),
            status: InviteStatus::from(status),
            session_code: "S".into(),
            session_id: "s".into(),
            image: None,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
            last_seen: None,
            onyxplus_id: None,
            ticket_id: None,
        }
    }

    #[test]
    fn stats_count_statuses_and_compute_the_rates() {
        let invites: Vec<Invite> = [
            "pending", "sent", "sent", "accepted", "accepted", "accepted", "rejected", "expired",
        ]
        .into_iter()
        .map(with_status)
        .collect();
        let stats = InviteStats::of(&invites);
        assert_eq!(
            stats,
            InviteStats {
                total: 8,
                pending: 1,
                sent: 2,
                accepted: 3,
                rejected: 1,
                other: 1
            }
        );
        assert_eq!(stats.response_rate(), Some(4.0 / 6.0));
        assert_eq!(stats.acceptance_rate(), Some(0.75));
        assert_eq!(InviteStats::default().response_rate(), None);
        assert_eq!(InviteStats::default().acceptance_rate(), None);
    }

    #[test]
    fn full_name_and_number() {
        let invite = with_status("sent");
        assert_eq!(invite.full_name(), "A B");
        assert_eq!(invite.international_number(), "+1 5");
    }
}
