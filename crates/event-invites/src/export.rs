//! Guest lists as flat rows, ready for a CSV file or a door list: one shape
//! for SecureGate invites and ARTSVP bookings.

use crate::artsvp::Booking;
use crate::securegate::Invite;

/// One guest as a flat row of strings (serializes to CSV with any serde
/// CSV writer, and to JSON).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeSecureGate::start().await?;
/// # let client = fake.client();
/// # let event = fake.event_ids()[0].clone();
/// let rows = client.export(&event, None).await?;
/// let mut out = String::from("name,email,status\n");
/// for row in &rows {
///     out += &format!("{},{},{}\n", row.name, row.email, row.status);
/// }
/// assert_eq!(out.lines().count(), rows.len() + 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct GuestRow {
    /// The guest's name.
    pub name: String,
    /// The guest's email.
    pub email: String,
    /// The guest's mobile number, E.164 (SecureGate); empty for ARTSVP.
    pub phone: String,
    /// The invite's status (SecureGate) or the booking's (ARTSVP).
    pub status: String,
    /// How many people the row admits (ARTSVP's booking size; 1 for a
    /// SecureGate invite).
    pub party_size: u32,
    /// The invite's id (SecureGate) or the booking's reference, else its id
    /// (ARTSVP).
    pub reference: String,
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

impl From<&Booking> for GuestRow {
    fn from(booking: &Booking) -> Self {
        Self {
            name: booking.name.clone().unwrap_or_default(),
            email: booking.email.clone().unwrap_or_default(),
            phone: String::new(),
            status: booking
                .status
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            party_size: booking
                .size
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(1),
            reference: booking
                .reference
                .clone()
                .unwrap_or_else(|| booking.id.clone()),
        }
    }
}
