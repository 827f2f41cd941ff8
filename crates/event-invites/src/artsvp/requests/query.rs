//! List queries: where a page starts ([`Cursor`]) and what an invite or
//! booking list is narrowed to ([`InviteQuery`], [`BookingQuery`]),
//! checked before anything is sent.

use super::*;

/// Where a page starts.
///
/// A cursor is the id of an object of that list, as a page's `cursor`
/// gives it. An empty id is refused before anything is sent
/// (`ErrorKind::InvalidRequest`, no attempt made); an id that never named
/// an object of the list is ARTSVP's 400 (`ErrorKind::Validation`).
///
/// ```
/// use event_invites::artsvp::Cursor;
///
/// // A page's `cursor` is the id of its last item: the next page starts after it.
/// let next = Some("inv-42".to_string()).map(Cursor::After).unwrap_or_default();
/// assert_eq!(next, Cursor::After("inv-42".into()));
/// assert_eq!(Cursor::default(), Cursor::Start);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cursor {
    /// The start of the list.
    #[default]
    Start,
    /// The items after this id (`starting_after`).
    After(String),
    /// The items before this id (`ending_before`).
    Before(String),
}

/// Which invites to list.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use event_invites::artsvp::InviteQuery;
/// use futures_util::TryStreamExt;
///
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// let event = &fake.events()[0].id;
/// // Every invite of one event tagged `vip`, page after page.
/// let query = InviteQuery::new().event(event).tags(["vip"]).limit(100);
/// let vips: Vec<_> = client.invites(query).try_collect().await?;
/// assert!(vips.iter().all(|i| i.tags.iter().any(|t| t == "vip")));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InviteQuery {
    pub(crate) resource: Option<(String, ResourceKind)>,
    pub(crate) tags: Vec<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) limit: Option<u8>,
    pub(crate) cursor: Cursor,
}

impl InviteQuery {
    /// Every invite.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the invites of this event.
    pub fn event(self, id: impl Into<String>) -> Self {
        self.resource(id, ResourceKind::Event)
    }

    /// Only the invites of this collection.
    pub fn collection(self, id: impl Into<String>) -> Self {
        self.resource(id, ResourceKind::Collection)
    }

    /// Only the invites of this resource.
    pub fn resource(mut self, id: impl Into<String>, kind: ResourceKind) -> Self {
        self.resource = Some((id.into(), kind));
        self
    }

    /// Only invites with any of these tags.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    setters! {
        /// Only invites with this external id.
        pub fn external_id(id: impl Into<String>) => self.external_id = Some(id.into());

        /// Only invites with this name.
        pub fn name(name: impl Into<String>) => self.name = Some(name.into());

        /// Only invites with this email.
        pub fn email(email: impl Into<String>) => self.email = Some(email.into());

        /// Items per page, 1 to 100 (ARTSVP's default is 50).
        pub fn limit(limit: u8) => self.limit = Some(limit);

        /// Where the page starts.
        pub fn cursor(cursor: Cursor) => self.cursor = cursor;
    }

    pub(crate) fn personal(&self) -> [&Option<String>; 3] {
        [&self.name, &self.email, &self.external_id]
    }

    pub(crate) fn check(&self) -> Result<(), ErrorKind> {
        if let Some(limit) = self.limit
            && !(1..=100).contains(&limit)
        {
            return Err(ErrorKind::InvalidRequest {
                message: format!("limit must be between 1 and 100, got {limit}"),
            });
        }
        if let Some((_, kind)) = &self.resource
            && resource_type(kind).is_none()
        {
            return Err(ErrorKind::InvalidRequest {
                message: format!("cannot list the invites of a {:?} resource", kind.as_str()),
            });
        }
        Ok(())
    }

    pub(crate) fn resource_type(&self) -> Option<raw::ResourceType> {
        self.resource
            .as_ref()
            .and_then(|(_, kind)| resource_type(kind))
    }
}

/// Which bookings to list.
///
/// ```no_run
/// use event_invites::artsvp::BookingQuery;
/// use futures_util::TryStreamExt;
///
/// # async fn example(client: event_invites::Artsvp) -> event_invites::Result<()> {
/// // Lucy's bookings, whatever the event.
/// let query = BookingQuery::new().email("lucy@example.com");
/// let bookings: Vec<_> = client.bookings(query).try_collect().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingQuery {
    pub(crate) external_id: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) event: Option<String>,
    pub(crate) cursor: Cursor,
}

impl BookingQuery {
    /// Every booking.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Only bookings with this external id.
        pub fn external_id(id: impl Into<String>) => self.external_id = Some(id.into());

        /// Only bookings made with this email.
        pub fn email(email: impl Into<String>) => self.email = Some(email.into());
    }

    /// Only bookings with any of these tags.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    setters! {
        /// Only bookings of this event (by id or code). ARTSVP's bookings list
        /// has no event filter, so this one is applied here, to each page: the
        /// pages still hold (and cost a request for) every booking of the
        /// account, and a page may come back empty.
        pub fn event(event: impl Into<String>) => self.event = Some(event.into());

        /// Where the page starts.
        pub fn cursor(cursor: Cursor) => self.cursor = cursor;
    }

    pub(crate) fn personal(&self) -> [&Option<String>; 2] {
        [&self.email, &self.external_id]
    }

    /// Whether `booking` passes the filters applied here (the event).
    pub(crate) fn keeps(&self, booking: &crate::artsvp::Booking) -> bool {
        self.event.as_deref().is_none_or(|event| {
            booking.event_code.as_deref() == Some(event)
                || booking
                    .event
                    .as_ref()
                    .is_some_and(|e| e.id == event || e.code == event)
        })
    }
}
