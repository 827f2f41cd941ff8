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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
        if event_id.is_empty() {
            return Err(Error::InvalidRequest {
                operation: OPERATION,
                message: "the event id is empty".into(),
            });
        }
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
}
