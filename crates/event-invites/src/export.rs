//! Guest lists as flat rows, ready for a CSV file or a door list: one shape
//! for SecureGate invites and ARTSVP bookings.

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
