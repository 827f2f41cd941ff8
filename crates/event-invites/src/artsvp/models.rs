//! ARTSVP models as the facade gives them: open enums, `amount_used` as a
//! [`Usage`], tags as plain lists, and conversions from the generated types
//! that fail with a typed error, never a panic.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::enums::{BookingStatus, ResourceKind};
use crate::error::{DecodeProblem, Error, ErrorKind};
use crate::usage::Usage;

pub use artsvp_api::types::{Collection, Event};

/// Free-form meta data (a JSON object).
///
/// ```
/// use event_invites::artsvp::{Guest, MetaData};
///
/// let mut meta = MetaData::new();
/// meta.insert("table".into(), 12.into());
/// let guest = Guest::new("Lucy Green", "lucy@example.com").meta_data(meta);
/// assert_eq!(guest.meta_data.as_ref().and_then(|m| m.get("table")), Some(&12.into()));
/// ```
pub type MetaData = Map<String, Value>;

fn tags(raw: Option<artsvp_api::types::Tags>) -> Vec<String> {
    raw.map(|t| t.0).unwrap_or_default()
}

/// An event or a collection, as embedded in an invite.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::{InviteQuery, ResourceKind};
///
/// let page = client.list_invites(&InviteQuery::new().limit(5)).await?;
/// for invite in &page.items {
///     if let Some(resource) = &invite.resource {
///         let kind = if resource.kind == ResourceKind::Event { "event" } else { "collection" };
///         println!("{} is for the {kind} {}", invite.code, resource.name);
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(description = "An event or a collection, as embedded in an invite.")
)]
pub struct Resource {
    /// `eve-…` or `col-…`.
    pub id: String,
    /// Event or collection.
    pub kind: ResourceKind,
    /// The code used in its public URL.
    pub code: String,
    /// Its public name.
    pub name: String,
    /// Its time zone (events).
    pub time_zone: Option<String>,
    /// When it starts (events).
    pub start_time: Option<DateTime<Utc>>,
    /// When it ends (events).
    pub end_time: Option<DateTime<Utc>>,
    /// The date it starts (events).
    pub start_date: Option<NaiveDate>,
    /// The date it ends (events).
    pub end_date: Option<NaiveDate>,
    /// Its public URL.
    pub public_url: Option<String>,
    /// Its internal reference.
    pub reference: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its banner image's URL.
    pub banner_image: Option<String>,
    /// Its internal tags.
    pub resource_tags: Vec<String>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<artsvp_api::types::Resource> for Resource {
    fn from(raw: artsvp_api::types::Resource) -> Self {
        Self {
            id: raw.id,
            kind: raw.object.into(),
            code: raw.code,
            name: raw.name,
            time_zone: raw.time_zone,
            start_time: raw.start_time,
            end_time: raw.end_time,
            start_date: raw.start_date,
            end_date: raw.end_date,
            public_url: raw.public_url,
            reference: raw.reference,
            description: raw.description,
            banner_image: raw.banner_image,
            resource_tags: tags(raw.resource_tags),
            created_at: raw.created_at,
            updated_at: raw.updated_at,
        }
    }
}

/// An ARTSVP invite.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::{Dedupe, NewInvite};
///
/// let event = &fake.events()[0].id;
/// let new = NewInvite::for_event(event).email("lucy@example.com").dedupe(Dedupe::Email);
/// let invite = client.create_invite(&new).await?.into_inner();
/// assert!(!invite.is_used());
/// println!("send {} the link {}", invite.email.as_deref().unwrap_or("?"), invite.url);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(description = "An ARTSVP invite."))]
pub struct Invite {
    /// `inv-…`.
    pub id: String,
    /// The short code in the invite's URL.
    pub code: String,
    /// The name the invite is locked to, if any.
    pub name: Option<String>,
    /// The email the invite is locked to, if any.
    pub email: Option<String>,
    /// Golden invite.
    pub golden: bool,
    /// Register-interest (waitlist) invite.
    pub register_interest: bool,
    /// The invite's URL.
    pub url: String,
    /// Times used and allowed.
    pub usage: Usage,
    /// The event or collection it is for.
    pub resource: Option<Resource>,
    /// The invite's tags.
    pub tags: Vec<String>,
    /// The resource's tags.
    pub resource_tags: Vec<String>,
    /// Free-form meta data.
    pub meta_data: MetaData,
    /// An id from the caller's own system (may be empty).
    pub external_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Invite {
    /// Whether it has been used at least once.
    pub fn is_used(&self) -> bool {
        self.usage.used > 0
    }

    /// Whether it cannot be used again.
    pub fn is_exhausted(&self) -> bool {
        self.usage.is_exhausted()
    }

    pub(crate) fn from_raw(raw: artsvp_api::types::Invite) -> Result<Self, ErrorKind> {
        let usage = raw.amount_used.parse().map_err(|_| {
            ErrorKind::Decode(DecodeProblem {
                path: "amount_used".into(),
                problem: "expected `used/total` (two whole numbers)".into(),
                offset: None,
            })
        })?;
        Ok(Self {
            id: raw.id,
            code: raw.code,
            name: raw.name,
            email: raw.email,
            golden: raw.golden,
            register_interest: raw.register_interest,
            url: raw.url,
            usage,
            resource: raw.resource.map(Resource::from),
            tags: tags(raw.tags),
            resource_tags: tags(raw.resource_tags),
            meta_data: raw.meta_data.map(|m| m.0).unwrap_or_default(),
            external_id: raw.external_id,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
        })
    }
}

impl TryFrom<artsvp_api::types::Invite> for Invite {
    type Error = Error;

    /// Fails with [`ErrorKind::Decode`] naming `amount_used` when it is not
    /// `used/total`.
    fn try_from(raw: artsvp_api::types::Invite) -> Result<Self, Error> {
        Self::from_raw(raw).map_err(Error::without_operation)
    }
}

/// An ARTSVP booking.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::BookingQuery;
///
/// let page = client.list_bookings(&BookingQuery::new()).await?;
/// let confirmed = page.items.iter().filter(|b| b.is_confirmed()).count();
/// println!("{confirmed} of {} bookings on this page are confirmed", page.items.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(description = "An ARTSVP booking."))]
pub struct Booking {
    /// `boo-…`.
    pub id: String,
    /// The booking's reference.
    pub reference: Option<String>,
    /// Where the booking is in the booking process.
    pub status: Option<BookingStatus>,
    /// The primary guest's name.
    pub name: Option<String>,
    /// The primary guest's email.
    pub email: Option<String>,
    /// Guests on the booking, the primary guest included.
    pub size: Option<i64>,
    /// Start time (UTC).
    pub start_time: Option<DateTime<Utc>>,
    /// The URL to manage the booking.
    pub url: Option<String>,
    /// The booked event's code (the docs' `event_id`).
    pub event_code: Option<String>,
    /// The booked event's name.
    pub event_name: Option<String>,
    /// The booked event's internal reference.
    pub event_reference: Option<String>,
    /// The booked event's time zone: the local start is `start_time` there.
    pub event_time_zone: Option<String>,
    /// The booked event.
    pub event: Option<Event>,
    /// The code of the invite it was booked with.
    pub invite_code: Option<String>,
    /// The booking's tags.
    pub tags: Vec<String>,
    /// The resource's tags.
    pub resource_tags: Vec<String>,
    /// Free-form meta data.
    pub meta_data: MetaData,
    /// An id from the caller's own system.
    pub external_id: Option<String>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Booking {
    /// Whether the booking is confirmed.
    pub fn is_confirmed(&self) -> bool {
        self.status == Some(BookingStatus::Confirmed)
    }
}

impl From<artsvp_api::types::Booking> for Booking {
    fn from(raw: artsvp_api::types::Booking) -> Self {
        Self {
            id: raw.id,
            reference: raw.reference,
            status: raw.status.map(BookingStatus::from),
            name: raw.name,
            email: raw.email,
            size: raw.size,
            start_time: raw.start_time_utc,
            url: raw.url,
            event_code: raw.event_id,
            event_name: raw.event_name,
            event_reference: raw.event_reference,
            event_time_zone: raw.event_time_zone,
            event: raw.event,
            invite_code: raw.invite_id,
            tags: tags(raw.tags),
            resource_tags: tags(raw.resource_tags),
            meta_data: raw.meta_data.map(|m| m.0).unwrap_or_default(),
            external_id: raw.external_id,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
        }
    }
}

/// An invite with its bookings (`GET /invites/{id}`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// let id = &fake.invites()[0].id;
/// let detail = client.get_invite(id).await?;
/// println!("{} has {} booking(s)", detail.invite.code, detail.bookings.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(description = "An invite with its bookings (`GET /invites/{id}`).")
)]
pub struct InviteDetail {
    /// The invite.
    pub invite: Invite,
    /// Its bookings, oldest first.
    pub bookings: Vec<Booking>,
}

impl InviteDetail {
    pub(crate) fn from_raw(raw: artsvp_api::types::InviteWithBookings) -> Result<Self, ErrorKind> {
        use artsvp_api::types::InviteWithBookingsBookings as Bookings;
        let bookings = match raw.bookings {
            None => Vec::new(),
            Some(Bookings::Array(list)) => list.into_iter().map(Booking::from).collect(),
            Some(Bookings::Booking(one)) => vec![Booking::from(one)],
        };
        let invite = artsvp_api::types::Invite {
            id: raw.id,
            object: raw.object,
            code: raw.code,
            name: raw.name,
            email: raw.email,
            golden: raw.golden,
            register_interest: raw.register_interest,
            url: raw.url,
            used: raw.used,
            amount_used: raw.amount_used,
            resource: raw.resource,
            tags: raw.tags,
            resource_tags: raw.resource_tags,
            meta_data: raw.meta_data,
            external_id: raw.external_id,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
        };
        Ok(Self {
            invite: Invite::from_raw(invite)?,
            bookings,
        })
    }
}

impl TryFrom<artsvp_api::types::InviteWithBookings> for InviteDetail {
    type Error = Error;

    /// Fails with [`ErrorKind::Decode`] naming `amount_used` when it is not
    /// `used/total`.
    fn try_from(raw: artsvp_api::types::InviteWithBookings) -> Result<Self, Error> {
        Self::from_raw(raw).map_err(Error::without_operation)
    }
}

/// What a batch create made.
///
/// ```no_run
/// use event_invites::artsvp::NewBatch;
///
/// # async fn example(client: event_invites::Artsvp) -> event_invites::Result<()> {
/// let batch = NewBatch::for_resource_tags(["vip"]).email("lucy@example.com");
/// let result = client.batch_create_invites(&batch).await?;
/// println!(
///     "{} invites made across {} events and {} collections",
///     result.total_invites_created, result.total_events, result.total_collections
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(description = "What a batch create made.")
)]
pub struct BatchResult {
    /// One invite per matching resource (with a dedupe filter, existing
    /// matches included).
    pub invites: Vec<Invite>,
    /// Matching events.
    pub total_events: u64,
    /// Matching collections.
    pub total_collections: u64,
    /// Matching resources.
    pub total_resources: u64,
    /// Invites newly created.
    pub total_invites_created: u64,
}

/// What a create did: made a new object (HTTP 201), or found one that its
/// dedupe filter matched (HTTP 200) and made nothing.
///
/// ```no_run
/// # async fn example(client: event_invites::Artsvp) -> Result<(), event_invites::Error> {
/// use event_invites::artsvp::{CreateOutcome, Dedupe, NewInvite};
///
/// let new = NewInvite::for_event("eve-123").email("lucy@example.com").dedupe(Dedupe::Email);
/// match client.create_invite(&new).await? {
///     CreateOutcome::Created(invite) => println!("invited: {}", invite.url),
///     CreateOutcome::Existing(invite) => println!("already invited: {}", invite.url),
/// }
/// # Ok(())
/// # }
/// ```
///
/// After a retry (the first attempt's answer was lost), `Existing` may be
/// the object the first attempt made: [`crate::Response::attempts`] tells.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(
        description = "What a create did: made a new object (HTTP 201), or found one that its\ndedupe filter matched (HTTP 200) and made nothing."
    )
)]
#[serde(tag = "outcome", content = "object", rename_all = "snake_case")]
pub enum CreateOutcome<T> {
    /// A new object was made (HTTP 201).
    Created(T),
    /// A matching object already existed and is returned (HTTP 200).
    Existing(T),
}

impl<T> CreateOutcome<T> {
    /// Whether a new object was made.
    pub fn is_created(&self) -> bool {
        matches!(self, Self::Created(_))
    }

    /// The object, new or existing.
    pub fn get(&self) -> &T {
        match self {
            Self::Created(t) | Self::Existing(t) => t,
        }
    }

    /// The object, new or existing, taken out.
    pub fn into_inner(self) -> T {
        match self {
            Self::Created(t) | Self::Existing(t) => t,
        }
    }

    /// `Created` for 201, `Existing` for any other success.
    pub(crate) fn from_status(status: u16, value: T) -> Self {
        if status == 201 {
            Self::Created(value)
        } else {
            Self::Existing(value)
        }
    }
}

/// One page of a list, and the cursor to go on from.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::{Cursor, InviteQuery};
///
/// // Page by hand (or let `client.invites(query)` do it).
/// let mut query = InviteQuery::new().limit(50);
/// let mut seen = 0;
/// loop {
///     let page = client.list_invites(&query).await?;
///     seen += page.items.len();
///     match (page.has_more, page.cursor) {
///         (true, Some(last)) => query = query.cursor(Cursor::After(last)),
///         _ => break,
///     }
/// }
/// assert_eq!(seen, fake.invites().len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items, in list order.
    pub items: Vec<T>,
    /// Whether more items lie beyond the page (in the direction asked).
    pub has_more: bool,
    /// The cursor for the next page in the same direction.
    pub cursor: Option<String>,
}

impl From<&Booking> for crate::GuestRow {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_invite(amount_used: &str) -> artsvp_api::types::Invite {
        serde_json::from_value(serde_json::json!({
            "id": "inv-1", "object": "invite", "code": "abc123", "golden": false,
            "register_interest": false, "url": "https://invite.artsvp.com/abc123",
            "used": true, "amount_used": amount_used,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn amount_used_becomes_usage() {
        let invite = Invite::from_raw(raw_invite("2/2")).unwrap();
        assert_eq!(
            invite.usage,
            Usage {
                used: 2,
                limit: Some(2)
            }
        );
        assert!(invite.is_exhausted());
        assert!(invite.tags.is_empty() && invite.meta_data.is_empty());
    }

    #[test]
    fn a_malformed_amount_used_is_a_decode_error_naming_the_field_not_the_value() {
        let err = Invite::try_from(raw_invite("lots")).unwrap_err();
        match err.kind() {
            ErrorKind::Decode(problem) => assert_eq!(problem.path, "amount_used"),
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert_eq!(err.operation(), None, "a conversion is no API operation");
        assert!(!format!("{err} {err:?}").contains("lots"), "{err}");
    }
}
