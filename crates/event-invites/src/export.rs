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

impl GuestRow {
    /// The column names, in field order: the header of a CSV of rows (what
    /// a serde CSV writer puts first) and of a table.
    pub const COLUMNS: [&'static str; 6] = [
        "name",
        "email",
        "phone",
        "status",
        "party_size",
        "reference",
    ];

    /// The row's values as text, in [`COLUMNS`](Self::COLUMNS) order, as a
    /// CSV writer writes them.
    ///
    /// ```
    /// use event_invites::GuestRow;
    ///
    /// let mut row = GuestRow::default();
    /// row.name = "Ann".into();
    /// row.party_size = 2;
    /// let cells = row.cells();
    /// assert_eq!((cells[0].as_str(), cells[4].as_str()), ("Ann", "2"));
    /// ```
    pub fn cells(&self) -> [String; 6] {
        [
            self.name.clone(),
            self.email.clone(),
            self.phone.clone(),
            self.status.clone(),
            self.party_size.to_string(),
            self.reference.clone(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::GuestRow;

    #[test]
    fn the_columns_are_the_serialized_fields_in_order() {
        let row = GuestRow {
            name: "n".into(),
            email: "e".into(),
            phone: "p".into(),
            status: "s".into(),
            party_size: 7,
            reference: "r".into(),
        };
        let json = serde_json::to_string(&row).unwrap();
        let at: Vec<usize> = GuestRow::COLUMNS
            .iter()
            .map(|c| json.find(&format!("\"{c}\":")).expect(c))
            .collect();
        assert!(at.is_sorted(), "{json}");
        assert_eq!(
            json.matches("\":").count(),
            GuestRow::COLUMNS.len(),
            "{json}"
        );
        assert_eq!(
            row.cells(),
            ["n", "e", "p", "s", "7", "r"].map(String::from)
        );
    }
}
