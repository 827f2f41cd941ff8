//! The `facade` feature: `event-invites` clients pointed at a running fake
//! (`fake.client()`, `fake.client_builder()`), and the fake's data in the
//! facade's own types and names (`fake.state()`), so a downstream test needs
//! neither the generated types nor the base URL and key.

use event_invites::{Api, Artsvp, ClientBuilder, SecureGate, artsvp, securegate};

use crate::{FakeArtsvp, FakeSecureGate};

/// What a fake ARTSVP holds, in the facade's types (`event_code`, `usage`,
/// open enums), in list order.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites::artsvp::{Dedupe, NewInvite};
/// use event_invites_fake::FakeArtsvp;
///
/// let fake = FakeArtsvp::builder().invites(0).start().await?;
/// let event = fake.state().events[0].id.clone();
/// let new = NewInvite::for_event(&event).email("lucy@example.com").dedupe(Dedupe::Email);
/// fake.client().create_invite(&new).await.expect("created");
/// // What the server holds, in the facade's own types.
/// assert_eq!(fake.state().invites_of(&event).len(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ArtsvpState {
    /// Every event.
    pub events: Vec<artsvp::Event>,
    /// Every collection.
    pub collections: Vec<artsvp::Collection>,
    /// Every invite.
    pub invites: Vec<artsvp::Invite>,
    /// Every booking.
    pub bookings: Vec<artsvp::Booking>,
}

impl ArtsvpState {
    /// The invites of one event or collection (by id or code).
    pub fn invites_of(&self, resource: &str) -> Vec<&artsvp::Invite> {
        self.invites
            .iter()
            .filter(|i| {
                i.resource
                    .as_ref()
                    .is_some_and(|r| r.id == resource || r.code == resource)
            })
            .collect()
    }
}

/// What a fake SecureGate holds, in the facade's types.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::FakeSecureGate;
///
/// let fake = FakeSecureGate::start().await?;
/// let event = fake.event_ids()[0].clone();
/// let served = fake.client().invites(&event).await.expect("listed");
/// assert_eq!(served, fake.state().invites(&event));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SecureGateState {
    /// Every event id, each with its invites, in the order they were added.
    pub events: Vec<(String, Vec<securegate::Invite>)>,
}

impl SecureGateState {
    /// The invites of one event (empty if unknown).
    pub fn invites(&self, event_id: &str) -> &[securegate::Invite] {
        self.events
            .iter()
            .find(|(id, _)| id == event_id)
            .map(|(_, invites)| invites.as_slice())
            .unwrap_or_default()
    }
}

/// A client builder for `A` with a running fake's base URL and key, trusting
/// its CA when it serves HTTPS.
fn pointed_at<A: Api>(base_url: &str, key: &str, ca_pem: Option<&str>) -> ClientBuilder<A> {
    let builder = ClientBuilder::<A>::default()
        .base_url(base_url)
        .api_key(key);
    match ca_pem {
        Some(pem) => builder.root_certificate_pem(pem),
        None => builder,
    }
}

impl FakeArtsvp {
    /// An `event_invites::Artsvp` client pointed at this fake, with its key
    /// and the facade's default settings (retries, ARTSVP's quota).
    pub fn client(&self) -> Artsvp {
        self.client_builder()
            .build()
            .expect("the fake's base URL and key are valid")
    }

    /// A client builder with this fake's base URL and key set (and its CA
    /// trusted, when it serves HTTPS), to change
    /// retries, quota or timeouts before `build()`.
    pub fn client_builder(&self) -> ClientBuilder<Artsvp> {
        pointed_at(self.base_url(), self.api_key(), self.ca_certificate_pem())
    }

    /// Everything the fake holds now, in the facade's types.
    pub fn state(&self) -> ArtsvpState {
        ArtsvpState {
            events: self.events(),
            collections: self.collections(),
            invites: self
                .invites()
                .into_iter()
                .map(|i| artsvp::Invite::try_from(i).expect("the fake renders `used/total`"))
                .collect(),
            bookings: self
                .bookings()
                .into_iter()
                .map(artsvp::Booking::from)
                .collect(),
        }
    }
}

impl FakeSecureGate {
    /// An `event_invites::SecureGate` client pointed at this fake, with its
    /// key and the facade's default settings.
    pub fn client(&self) -> SecureGate {
        self.client_builder()
            .build()
            .expect("the fake's base URL and key are valid")
    }

    /// A client builder with this fake's base URL and key set (and its CA
    /// trusted, when it serves HTTPS).
    pub fn client_builder(&self) -> ClientBuilder<SecureGate> {
        pointed_at(self.base_url(), self.api_key(), self.ca_certificate_pem())
    }

    /// Everything the fake holds now, in the facade's types.
    pub fn state(&self) -> SecureGateState {
        SecureGateState {
            events: self
                .event_ids()
                .into_iter()
                .map(|id| {
                    let invites = self
                        .invites(&id)
                        .into_iter()
                        .map(securegate::Invite::from)
                        .collect();
                    (id, invites)
                })
                .collect(),
        }
    }
}
