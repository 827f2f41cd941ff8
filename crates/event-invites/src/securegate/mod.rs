//! The SecureGate client: an event's invites, all or by status, as facade
//! models with open enums, and the guest-list helpers built on them.

use chrono::{DateTime, Utc};

pub use crate::enums::{AuthenticationMethod, CountryCode, InviteStatus};
use crate::error::ErrorKind;
use crate::export::GuestRow;
use crate::pipeline::call::{Call, call};
use crate::pipeline::held;
use crate::shell::client_shell;
use crate::verdict::Safety;

/// A SecureGate invite.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeSecureGate::start().await?;
/// # let client = fake.client();
/// # let event = fake.event_ids()[0].clone();
/// for invite in client.invites(&event).await? {
///     println!("{} <{}> {}: {}", invite.full_name(), invite.email, invite.display_number(), invite.status);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(description = "A SecureGate invite."))]
pub struct Invite {
    // In the generated type's order (alphabetical): serde also decodes a
    // struct from an array, by position, and the same order keeps this
    // type's decoding identical to the generated type's on every document
    // (tests/decode_fuzz.rs proves it).
    /// How the invitee authenticates.
    pub authentication_method: AuthenticationMethod,
    /// The invitee's country calling code.
    pub country_code: CountryCode,
    /// When the invite was created.
    pub created_at: DateTime<Utc>,
    /// The invitee's email.
    pub email: String,
    /// The event it is for.
    pub event_id: String,
    /// The invitee's first name.
    pub first_name: String,
    /// The invite's id.
    pub id: String,
    /// The invitee's photo URL.
    pub image: Option<String>,
    /// The invitee's last name.
    pub last_name: String,
    /// When the invitee was last seen.
    pub last_seen: Option<DateTime<Utc>>,
    /// The invitee's mobile number, without the country code.
    pub mobile_number: String,
    /// The Onyx+ id, if any.
    pub onyxplus_id: Option<String>,
    /// The session code.
    pub session_code: String,
    /// The session id.
    pub session_id: String,
    /// The invite's status (`pending` when the server leaves it out, as
    /// the spec's default says).
    #[serde(default = "pending")]
    pub status: InviteStatus,
    /// The ticket id, if any.
    pub ticket_id: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The status of an invite whose `status` the server left out.
fn pending() -> InviteStatus {
    InviteStatus::Pending
}

impl Invite {
    /// `"First Last"`.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }

    /// The mobile number in E.164 form, for sending texts or dialling:
    /// `+15551234567` (the country code, then the number's digits, without
    /// the spaces, dashes or brackets it may be stored with).
    pub fn international_number(&self) -> String {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        format!(
            "+{}{}",
            digits(self.country_code.as_str()),
            digits(&self.mobile_number)
        )
    }

    /// The mobile number for display: `+1 5551234567` (the number as
    /// stored).
    pub fn display_number(&self) -> String {
        format!("+{} {}", self.country_code, self.mobile_number.trim())
    }
}

impl From<securegate_api::types::Invite> for Invite {
    #[inline]
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

/// A SecureGate invitee as an ARTSVP guest, for syncing a guest list from
/// one to the other: the name (`First Last`), the email, and the SecureGate
/// invite's id as the external id, so a sync can dedupe by either. The
/// phone, status and the rest stay behind: an ARTSVP invite has no field
/// for them. Empty values are left out.
///
/// ```
/// # fn example(invites: Vec<event_invites::securegate::Invite>) {
/// use event_invites::artsvp::Guest;
///
/// let guests: Vec<Guest> = invites.iter().map(Guest::from).collect();
/// # }
/// ```
impl From<&Invite> for crate::artsvp::Guest {
    fn from(invite: &Invite) -> Self {
        let present = |s: String| (!s.trim().is_empty()).then_some(s);
        Self {
            name: present(invite.full_name()),
            email: present(invite.email.clone()),
            external_id: present(invite.id.clone()),
            ..Self::default()
        }
    }
}

/// How an event's invitations are doing: counts per status and two rates,
/// from one request ([`SecureGate::invite_stats`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeSecureGate::start().await?;
/// # let client = fake.client();
/// # let event = fake.event_ids()[0].clone();
/// let stats = client.invite_stats(&event).await?;
/// println!("{} invites, {} accepted", stats.total, stats.accepted);
/// if let Some(rate) = stats.acceptance_rate() {
///     println!("{:.0} % of answers are yes", rate * 100.0);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(
        description = "How an event's invitations are doing: counts per status and two rates,\nfrom one request ([`SecureGate::invite_stats`])."
    )
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

client_shell! {
    /// A SecureGate client: cheap to clone (clones share the connection
    /// pool, pacing and rate-limit state), `Send + Sync`.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), event_invites::Error> {
    /// use event_invites::SecureGate;
    /// use event_invites::securegate::InviteStatus;
    ///
    /// let client = SecureGate::from_env()?;
    /// let everyone = client.invites("event-456").await?;
    /// let waiting = client.invites_with_status("event-456", InviteStatus::Sent).await?;
    /// for guest in client.guest_list("event-456").await? {
    ///     println!("{} {}", guest.full_name(), guest.international_number());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    SecureGate {
        raw: securegate_api::Client,
        service: crate::Service::SecureGate,
        facts: securegate_api::facts,
        quota: None,
    }
}

impl SecureGate {
    /// Every invite of an event (`GET /events/{event_id}/invites`). An
    /// event SecureGate does not know has no invites (an empty list).
    pub fn invites(&self, event_id: &str) -> Call<'_, Vec<Invite>> {
        self.get_invites(event_id, None)
    }

    /// The invites of an event with this status (the API filters).
    pub fn invites_with_status(
        &self,
        event_id: &str,
        status: InviteStatus,
    ) -> Call<'_, Vec<Invite>> {
        self.get_invites(event_id, Some(status))
    }

    fn get_invites(&self, event_id: &str, status: Option<InviteStatus>) -> Call<'_, Vec<Invite>> {
        let raw = &self.shell.raw;
        let event_id = event_id.to_string();
        let prepared = crate::ids::check("event id", &event_id)
            .and_then(|()| status.as_ref().map(raw_status).transpose())
            .map(|status| {
                (Safety::Read, move || {
                    let request = raw.get_invites().event_id(event_id.clone());
                    let send = match status {
                        Some(status) => request.status(status).send(),
                        None => request.send(),
                    };
                    // Decoded once, into the facade's invites.
                    held::decoded(send, b"[]", |raw: Vec<_>| {
                        raw.into_iter().map(Invite::from).collect::<Vec<_>>()
                    })
                })
            });
        call(&self.shell.transport, "get_invites", prepared, |r| {
            Ok(r.into_inner())
        })
    }

    /// The guest list: the invites that were accepted. (The same idea as
    /// [`crate::Artsvp::guest_list`].)
    pub fn guest_list(&self, event_id: &str) -> Call<'_, Vec<Invite>> {
        self.invites_with_status(event_id, InviteStatus::Accepted)
    }

    /// Who to follow up with: sent invites with no response yet.
    pub fn awaiting_response(&self, event_id: &str) -> Call<'_, Vec<Invite>> {
        self.invites_with_status(event_id, InviteStatus::Sent)
    }

    /// Invites created but not sent yet.
    pub fn not_yet_sent(&self, event_id: &str) -> Call<'_, Vec<Invite>> {
        self.invites_with_status(event_id, InviteStatus::Pending)
    }

    /// An event's invites (all, or those with `status`) as rows ready for
    /// CSV: name, email, E.164 phone, status, party size, invite id.
    pub fn export(&self, event_id: &str, status: Option<InviteStatus>) -> Call<'_, Vec<GuestRow>> {
        self.get_invites(event_id, status)
            .map(|invites| invites.iter().map(GuestRow::from).collect())
    }

    /// Counts per status and the response and acceptance rates of an
    /// event's invites, from one request (see [`InviteStats`] for the
    /// formulas).
    pub fn invite_stats(&self, event_id: &str) -> Call<'_, InviteStats> {
        self.invites(event_id)
            .map(|invites| InviteStats::of(&invites))
    }
}

/// The generated client's status filter; SecureGate cannot filter by a
/// status this version does not know.
fn raw_status(status: &InviteStatus) -> Result<securegate_api::types::InviteStatus, ErrorKind> {
    status
        .as_str()
        .parse()
        .map_err(|_| ErrorKind::InvalidRequest {
            message: format!(
                "SecureGate cannot filter by the unknown status {:?}",
                status.as_str()
            ),
        })
}

impl From<&Invite> for GuestRow {
    fn from(invite: &Invite) -> Self {
        Self {
            name: invite.full_name(),
            email: invite.email.clone(),
            phone: invite.international_number(),
            status: invite.status.to_string(),
            party_size: 1,
            reference: invite.id.clone(),
        }
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
    fn an_invitee_becomes_an_artsvp_guest_with_name_email_and_id() {
        let guest = crate::artsvp::Guest::from(&with_status("accepted"));
        assert_eq!(guest.name.as_deref(), Some("A B"));
        assert_eq!(guest.email.as_deref(), Some("a@b"));
        assert_eq!(guest.external_id.as_deref(), Some("i"));
        assert!(guest.tags.is_empty() && guest.meta_data.is_none());

        let mut blank = with_status("sent");
        blank.first_name = " ".into();
        blank.last_name = String::new();
        blank.email = String::new();
        let guest = crate::artsvp::Guest::from(&blank);
        assert_eq!(
            (guest.name, guest.email),
            (None, None),
            "empty values left out"
        );
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
        let mut invite = invite;
        invite.mobile_number = "(555) 123-4567".into();
        assert_eq!(invite.international_number(), "+15551234567");
        assert_eq!(invite.display_number(), "+1 (555) 123-4567");
    }
}
