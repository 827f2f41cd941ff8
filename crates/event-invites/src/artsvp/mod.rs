//! The ARTSVP client: events, collections, bookings and invites, every
//! operation of the API, with typed errors, safe retries and pacing.

mod models;
mod requests;
mod stream;

use std::fmt;
use std::sync::Arc;

pub use models::{
    BatchResult, Booking, Collection, Event, Invite, InviteDetail, MetaData, Page, Resource,
};
pub use requests::{
    BookingQuery, BookingUpdate, Cursor, Dedupe, Duplicates, Guest, InviteQuery, InviteUpdate,
    NewBatch, NewInvite,
};
pub use stream::{CollectionQuery, EventQuery, HasId, Items, Listing, Pages};

pub use crate::enums::{BookingStatus, ResourceKind};
pub use crate::usage::Usage;

use crate::config::{self, Api, ClientBuilder};
use crate::error::Error;
use crate::pacing::{Quota, RateLimitState};
use crate::retry::Safety;
use crate::transport::Transport;

struct Inner {
    raw: artsvp_api::Client,
    base_url: String,
    transport: Transport,
}

/// An ARTSVP client: cheap to clone (clones share the connection pool,
/// pacing and rate-limit state), `Send + Sync`.
///
/// ```no_run
/// # async fn example() -> Result<(), event_invites::Error> {
/// use event_invites::Artsvp;
/// use event_invites::artsvp::{Dedupe, NewInvite};
///
/// let client = Artsvp::from_env()?;
/// let invite = client
///     .create_invite(&NewInvite::for_event("eve-123").email("lucy@example.com").dedupe(Dedupe::Email))
///     .await?;
/// println!("{} ({} used)", invite.url, invite.usage);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Artsvp {
    inner: Arc<Inner>,
}

impl fmt::Debug for Artsvp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Artsvp")
            .field("base_url", &self.inner.base_url)
            .field("transport", &self.inner.transport)
            .finish()
    }
}

impl Api for Artsvp {
    const DEFAULT_BASE_URL: &'static str = "https://app.artsvp.com/api/v2";
    const KEY_HEADER: &'static str = "authorization";
    const ENV_KEY: &'static str = "ARTSVP_API_KEY";
    const ENV_BASE_URL: &'static str = "ARTSVP_BASE_URL";
    const DEFAULT_QUOTA: Option<Quota> = Some(Quota::ARTSVP);
}

impl config::sealed::Assemble for Artsvp {
    fn assemble(base_url: String, http: reqwest::Client, transport: Transport) -> Self {
        Self {
            inner: Arc::new(Inner {
                raw: artsvp_api::Client::new_with_client(&base_url, http),
                base_url,
                transport,
            }),
        }
    }
}

/// Sends a list request from `cursor` (`starting_after` / `ending_before`).
macro_rules! send_from {
    ($request:expr, $cursor:expr) => {
        match $cursor {
            Cursor::Start => $request.send(),
            Cursor::After(id) => $request.starting_after(id).send(),
            Cursor::Before(id) => $request.ending_before(id).send(),
        }
    };
}

fn page<T, R>(
    data: Vec<R>,
    has_more: bool,
    cursor: Option<String>,
    convert: impl FnMut(R) -> Result<T, Error>,
) -> Result<Page<T>, Error> {
    Ok(Page {
        items: data.into_iter().map(convert).collect::<Result<_, _>>()?,
        has_more,
        cursor,
    })
}

fn check_id(operation: &'static str, id: &str) -> Result<(), Error> {
    crate::ids::check(operation, "id", id)
}

impl Artsvp {
    /// A client for the production API with this key.
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder().api_key(api_key).build()
    }

    /// A builder for base URL, key, timeouts, retries and quota.
    pub fn builder() -> ClientBuilder<Self> {
        ClientBuilder::default()
    }

    /// A client from `ARTSVP_API_KEY` and, if set, `ARTSVP_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        config::from_env()
    }

    /// The generated client, for anything the facade does not wrap. Its
    /// calls carry no API key unless the `reqwest::Client` adds one.
    pub fn raw(&self) -> &artsvp_api::Client {
        &self.inner.raw
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The rate-limit state the server last reported.
    pub fn rate_limit(&self) -> Option<RateLimitState> {
        self.inner.transport.pacer.last()
    }

    /// Every invite the query matches, as a stream that pages by itself
    /// (see [`Items`]).
    pub fn invites(&self, query: InviteQuery) -> Items<InviteQuery> {
        Items::new(self.clone(), query)
    }

    /// The pages of the invites the query matches (see [`Pages`]).
    pub fn invite_pages(&self, query: InviteQuery) -> Pages<InviteQuery> {
        Pages::new(self.clone(), query)
    }

    /// Every booking the query matches, as a stream.
    pub fn bookings(&self, query: BookingQuery) -> Items<BookingQuery> {
        Items::new(self.clone(), query)
    }

    /// The pages of the bookings the query matches.
    pub fn booking_pages(&self, query: BookingQuery) -> Pages<BookingQuery> {
        Pages::new(self.clone(), query)
    }

    /// Every event, as a stream.
    pub fn events(&self, from: Cursor) -> Items<EventQuery> {
        Items::new(self.clone(), EventQuery(from))
    }

    /// The pages of the events list.
    pub fn event_pages(&self, from: Cursor) -> Pages<EventQuery> {
        Pages::new(self.clone(), EventQuery(from))
    }

    /// Every collection, as a stream.
    pub fn collections(&self, from: Cursor) -> Items<CollectionQuery> {
        Items::new(self.clone(), CollectionQuery(from))
    }

    /// The pages of the collections list.
    pub fn collection_pages(&self, from: Cursor) -> Pages<CollectionQuery> {
        Pages::new(self.clone(), CollectionQuery(from))
    }

    /// Invites a guest to an event, stating whether a duplicate may be made.
    pub async fn invite_to_event(
        &self,
        event_id: &str,
        guest: Guest,
        duplicates: Duplicates,
    ) -> Result<Invite, Error> {
        self.create_invite(&NewInvite::for_event(event_id).for_guest(guest, duplicates))
            .await
    }

    /// Invites a guest to a collection, stating whether a duplicate may be
    /// made.
    pub async fn invite_to_collection(
        &self,
        collection_id: &str,
        guest: Guest,
        duplicates: Duplicates,
    ) -> Result<Invite, Error> {
        self.create_invite(&NewInvite::for_collection(collection_id).for_guest(guest, duplicates))
            .await
    }

    /// The bookings of one event (by id or code), as a stream. ARTSVP's
    /// bookings list has no event filter, so this pages through every
    /// booking and keeps the event's.
    pub fn bookings_for_event(
        &self,
        event: &str,
    ) -> impl futures_core::Stream<Item = Result<Booking, Error>> + Send + 'static {
        use futures_util::TryStreamExt;
        let event = event.to_string();
        self.bookings(BookingQuery::new()).try_filter(move |b| {
            let ours = b.event_code.as_deref() == Some(event.as_str())
                || b.event
                    .as_ref()
                    .is_some_and(|e| e.id == event || e.code == event);
            std::future::ready(ours)
        })
    }

    /// The confirmed guests of one event: its bookings with status
    /// `is_confirmed`.
    pub async fn confirmed_guests(&self, event: &str) -> Result<Vec<Booking>, Error> {
        use futures_util::TryStreamExt;
        self.bookings_for_event(event)
            .try_filter(|b| std::future::ready(b.is_confirmed()))
            .try_collect()
            .await
    }

    fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// A page of events.
    pub async fn list_events(&self, cursor: &Cursor) -> Result<Page<Event>, Error> {
        let raw = &self.inner.raw;
        let list = self
            .transport()
            .send("list_events", Safety::Idempotent, || {
                let request = raw.list_events();
                send_from!(request, cursor)
            })
            .await?
            .into_inner();
        page(list.data, list.has_more, list.last_event_id, Ok)
    }

    /// One event, by id or code.
    pub async fn get_event(&self, id: &str) -> Result<Event, Error> {
        check_id("get_event", id)?;
        let raw = &self.inner.raw;
        let event = self
            .transport()
            .send("get_event", Safety::Idempotent, || {
                raw.get_event().id(id).send()
            })
            .await?;
        Ok(event.into_inner())
    }

    /// A page of collections.
    pub async fn list_collections(&self, cursor: &Cursor) -> Result<Page<Collection>, Error> {
        let raw = &self.inner.raw;
        let list = self
            .transport()
            .send("list_collections", Safety::Idempotent, || {
                let request = raw.list_collections();
                send_from!(request, cursor)
            })
            .await?
            .into_inner();
        page(list.data, list.has_more, list.last_collection_id, Ok)
    }

    /// One collection, by id or code.
    pub async fn get_collection(&self, id: &str) -> Result<Collection, Error> {
        check_id("get_collection", id)?;
        let raw = &self.inner.raw;
        let collection = self
            .transport()
            .send("get_collection", Safety::Idempotent, || {
                raw.get_collection().id(id).send()
            })
            .await?;
        Ok(collection.into_inner())
    }

    /// A page of bookings.
    pub async fn list_bookings(&self, query: &BookingQuery) -> Result<Page<Booking>, Error> {
        let raw = &self.inner.raw;
        let list = self
            .transport()
            .send("list_bookings", Safety::Idempotent, || {
                let mut request = raw.list_bookings();
                if let Some(x) = &query.external_id {
                    request = request.external_id(x);
                }
                if let Some(x) = &query.email {
                    request = request.email(x);
                }
                if !query.tags.is_empty() {
                    request = request.tags(query.tags.clone());
                }
                send_from!(request, &query.cursor)
            })
            .await?
            .into_inner();
        page(list.data, list.has_more, list.last_booking_id, |b| {
            Ok(Booking::from(b))
        })
    }

    /// One booking.
    pub async fn get_booking(&self, id: &str) -> Result<Booking, Error> {
        check_id("get_booking", id)?;
        let raw = &self.inner.raw;
        let booking = self
            .transport()
            .send("get_booking", Safety::Idempotent, || {
                raw.get_booking().id(id).send()
            })
            .await?;
        Ok(booking.into_inner().into())
    }

    /// Changes a booking's whitelisted fields.
    pub async fn update_booking(&self, id: &str, update: &BookingUpdate) -> Result<Booking, Error> {
        check_id("update_booking", id)?;
        let raw = &self.inner.raw;
        let body = update.to_raw();
        let booking = self
            .transport()
            .send("update_booking", Safety::Idempotent, || {
                raw.update_booking().id(id).body(body.clone()).send()
            })
            .await?;
        Ok(booking.into_inner().into())
    }

    /// A page of invites.
    pub async fn list_invites(&self, query: &InviteQuery) -> Result<Page<Invite>, Error> {
        const OPERATION: &str = "list_invites";
        query.check(OPERATION)?;
        let raw = &self.inner.raw;
        let resource_type = query.resource_type();
        let list = self
            .transport()
            .send(OPERATION, Safety::Idempotent, || {
                let mut request = raw.list_invites();
                if let Some((id, _)) = &query.resource {
                    request = request.resource_id(id);
                }
                if let Some(kind) = resource_type {
                    request = request.resource_type(kind);
                }
                if !query.tags.is_empty() {
                    request = request.tags(query.tags.clone());
                }
                if let Some(x) = &query.external_id {
                    request = request.external_id(x);
                }
                if let Some(x) = &query.name {
                    request = request.name(x);
                }
                if let Some(x) = &query.email {
                    request = request.email(x);
                }
                if let Some(limit) = query.limit {
                    request = request.limit(u64::from(limit));
                }
                send_from!(request, &query.cursor)
            })
            .await?
            .into_inner();
        page(list.data, list.has_more, list.last_invite_id, |i| {
            Invite::from_raw(i, OPERATION)
        })
    }

    /// One invite with its bookings, by id or code.
    pub async fn get_invite(&self, id: &str) -> Result<InviteDetail, Error> {
        const OPERATION: &str = "get_invite";
        check_id(OPERATION, id)?;
        let raw = &self.inner.raw;
        let detail = self
            .transport()
            .send(OPERATION, Safety::Idempotent, || {
                raw.get_invite().id(id).send()
            })
            .await?;
        InviteDetail::from_raw(detail.into_inner(), OPERATION)
    }

    /// Creates an invite. With a dedupe filter it is retried like a read
    /// (a repeat returns the same invite); without one it is sent once, and
    /// a lost answer is [`Error::OutcomeUnknown`].
    pub async fn create_invite(&self, new: &NewInvite) -> Result<Invite, Error> {
        const OPERATION: &str = "create_invite";
        let body = new.to_raw(OPERATION)?;
        let safety = if body.filter.is_some() {
            Safety::DedupedCreate
        } else {
            Safety::Create
        };
        let raw = &self.inner.raw;
        let invite = self
            .transport()
            .send(OPERATION, safety, || {
                raw.create_invite().body(body.clone()).send()
            })
            .await?;
        Invite::from_raw(invite.into_inner(), OPERATION)
    }

    /// Changes an invite's whitelisted fields.
    pub async fn update_invite(&self, id: &str, update: &InviteUpdate) -> Result<Invite, Error> {
        const OPERATION: &str = "update_invite";
        check_id(OPERATION, id)?;
        let raw = &self.inner.raw;
        let body = update.to_raw();
        let invite = self
            .transport()
            .send(OPERATION, Safety::Idempotent, || {
                raw.update_invite().id(id).body(body.clone()).send()
            })
            .await?;
        Invite::from_raw(invite.into_inner(), OPERATION)
    }

    /// Deletes an invite. Retried like a read; a retry that finds the
    /// invite already gone reports success.
    pub async fn delete_invite(&self, id: &str) -> Result<(), Error> {
        const OPERATION: &str = "delete_invite";
        check_id(OPERATION, id)?;
        let raw = &self.inner.raw;
        match self
            .transport()
            .send(OPERATION, Safety::Idempotent, || {
                raw.delete_invite().id(id).send()
            })
            .await
        {
            Ok(_) => Ok(()),
            // A 404 after an earlier attempt: that attempt deleted it.
            Err(Error::NotFound { attempts, .. }) if attempts > 1 => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Creates one invite per event and collection whose resource tags
    /// match. Retried only with a dedupe filter.
    pub async fn batch_create_invites(&self, batch: &NewBatch) -> Result<BatchResult, Error> {
        const OPERATION: &str = "batch_create_invites";
        let body = batch.to_raw(OPERATION)?;
        let safety = if body.filter.is_some() {
            Safety::DedupedCreate
        } else {
            Safety::Create
        };
        let raw = &self.inner.raw;
        let result = self
            .transport()
            .send(OPERATION, safety, || {
                raw.batch_create_invites().body(body.clone()).send()
            })
            .await?
            .into_inner();
        let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        Ok(BatchResult {
            invites: result
                .data
                .into_iter()
                .map(|i| Invite::from_raw(i, OPERATION))
                .collect::<Result<_, _>>()?,
            total_events: count(result.total_events),
            total_collections: count(result.total_collection),
            total_resources: count(result.total_resources),
            total_invites_created: count(result.total_invites_created),
        })
    }
}
