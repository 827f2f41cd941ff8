//! The ARTSVP client: events, collections, bookings and invites, every
//! operation of the API, with typed errors, safe retries and pacing.

mod bulk;
mod models;
mod requests;
mod stream;

pub use bulk::{
    BulkError, BulkInvite, BulkKey, BulkOutcome, BulkRun, Checkpoint, CheckpointError,
    GuestOutcome, Outage, Progress, Target,
};
pub use models::{
    BatchResult, Booking, Collection, CreateOutcome, Event, Invite, InviteDetail, MetaData, Page,
    Resource,
};
pub use requests::{
    BookingQuery, BookingUpdate, Cursor, Dedupe, Duplicates, Guest, InviteQuery, InviteUpdate,
    NewBatch, NewInvite, normalize_email,
};
pub use stream::{CollectionQuery, EventQuery, HasId, Items, Listing, Pages};

pub use crate::enums::{BookingStatus, ResourceKind};
pub use crate::usage::{Usage, UsageParseError};

use crate::error::Error;
use crate::pipeline::call::{Call, call};
use crate::shell::client_shell;
use crate::verdict::Safety;

client_shell! {
    /// An ARTSVP client: cheap to clone (clones share the connection pool,
    /// pacing and rate-limit state), `Send + Sync`.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), event_invites::Error> {
    /// use event_invites::Artsvp;
    /// use event_invites::artsvp::{Dedupe, NewInvite};
    ///
    /// let client = Artsvp::from_env()?;
    /// let outcome = client
    ///     .create_invite(&NewInvite::for_event("eve-123").email("lucy@example.com").dedupe(Dedupe::Email))
    ///     .await?;
    /// let invite = outcome.get();
    /// println!("{} ({} used, new: {})", invite.url, invite.usage, outcome.is_created());
    /// # Ok(())
    /// # }
    /// ```
    Artsvp {
        raw: artsvp_api::Client,
        service: crate::Service::Artsvp,
        facts: artsvp_api::facts,
        quota: Some(crate::Quota::ARTSVP),
    }
}

/// Sends a list request from `cursor` (`starting_after` / `ending_before`).
macro_rules! send_from {
    ($request:expr, $cursor:expr) => {
        match $cursor {
            Cursor::Start => $request.send(),
            Cursor::After(id) => $request.starting_after(id.clone()).send(),
            Cursor::Before(id) => $request.ending_before(id.clone()).send(),
        }
    };
}

fn page<T, R>(
    data: Vec<R>,
    has_more: bool,
    cursor: Option<String>,
    convert: impl FnMut(R) -> Result<T, crate::ErrorKind>,
) -> Result<Page<T>, crate::ErrorKind> {
    Ok(Page {
        items: data.into_iter().map(convert).collect::<Result<_, _>>()?,
        has_more,
        cursor,
    })
}

/// An id bound for a path, checked, and owned by the call.
fn checked(id: &str) -> Result<String, crate::ErrorKind> {
    crate::ids::check("id", id).map(|()| id.to_string())
}

/// A read.
fn read<F>(attempt: F) -> (Safety, F) {
    (Safety::Read, attempt)
}

/// A write that is safe to repeat (a whitelisted PATCH, a DELETE).
fn idempotent<F>(attempt: F) -> (Safety, F) {
    (Safety::Idempotent, attempt)
}

impl Artsvp {
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
        Items::new(self.clone(), EventQuery::from(from))
    }

    /// The pages of the events list.
    pub fn event_pages(&self, from: Cursor) -> Pages<EventQuery> {
        Pages::new(self.clone(), EventQuery::from(from))
    }

    /// Every collection, as a stream.
    pub fn collections(&self, from: Cursor) -> Items<CollectionQuery> {
        Items::new(self.clone(), CollectionQuery::from(from))
    }

    /// The pages of the collections list.
    pub fn collection_pages(&self, from: Cursor) -> Pages<CollectionQuery> {
        Pages::new(self.clone(), CollectionQuery::from(from))
    }

    /// Invites a guest to an event, stating whether a duplicate may be made;
    /// says whether the invite is new or already existed.
    pub fn invite_to_event(
        &self,
        event_id: &str,
        guest: Guest,
        duplicates: Duplicates,
    ) -> Call<'_, CreateOutcome<Invite>> {
        self.create_invite(&NewInvite::for_event(event_id).for_guest(guest, duplicates))
    }

    /// Invites a guest to a collection, stating whether a duplicate may be
    /// made; says whether the invite is new or already existed.
    pub fn invite_to_collection(
        &self,
        collection_id: &str,
        guest: Guest,
        duplicates: Duplicates,
    ) -> Call<'_, CreateOutcome<Invite>> {
        self.create_invite(&NewInvite::for_collection(collection_id).for_guest(guest, duplicates))
    }

    /// The bookings of one event (by id or code), as a resumable stream
    /// like the others (`cursor()`, `try_next()`). ARTSVP's bookings list
    /// has no event filter: this pages through **every booking of the
    /// account** and keeps the event's ([`BookingQuery::event`]).
    pub fn bookings_for_event(&self, event: &str) -> Items<BookingQuery> {
        self.bookings(BookingQuery::new().event(event))
    }

    /// The guest list of one event: its confirmed bookings (status
    /// `is_confirmed`). The same idea as [`crate::SecureGate::guest_list`].
    ///
    /// ARTSVP's bookings list has no event filter and no page size, so this
    /// reads **every booking of the account**, 50 a page (one request per
    /// page, paced like any other), and keeps the event's. For a large
    /// account, stream [`Artsvp::bookings_for_event`] instead and keep its
    /// `cursor()` to resume.
    pub async fn guest_list(&self, event: &str) -> Result<Vec<Booking>, Error> {
        let mut bookings = self.bookings_for_event(event);
        let mut confirmed = Vec::new();
        while let Some(booking) = bookings.try_next().await? {
            if booking.is_confirmed() {
                confirmed.push(booking);
            }
        }
        Ok(confirmed)
    }

    /// An event's guest list ([`Artsvp::guest_list`]: its confirmed
    /// bookings) as rows ready for CSV: name, email, status, party size,
    /// booking reference. Reads every booking of the account.
    pub async fn export_guest_list(&self, event: &str) -> Result<Vec<crate::GuestRow>, Error> {
        let guests = self.guest_list(event).await?;
        Ok(guests.iter().map(crate::GuestRow::from).collect())
    }

    /// A page of events.
    pub fn list_events(&self, cursor: &Cursor) -> Call<'_, Page<Event>> {
        let raw = &self.shell.raw;
        let cursor = cursor.clone();
        let prepared = Ok(read(move || send_from!(raw.list_events(), &cursor)));
        call(&self.shell.transport, "list_events", prepared, |r| {
            let list = r.into_inner();
            page(list.data, list.has_more, list.last_event_id, Ok)
        })
    }

    /// One event, by id or code.
    pub fn get_event(&self, id: &str) -> Call<'_, Event> {
        let raw = &self.shell.raw;
        let prepared = checked(id).map(|id| read(move || raw.get_event().id(id.clone()).send()));
        call(&self.shell.transport, "get_event", prepared, |r| {
            Ok(r.into_inner())
        })
    }

    /// A page of collections.
    pub fn list_collections(&self, cursor: &Cursor) -> Call<'_, Page<Collection>> {
        let raw = &self.shell.raw;
        let cursor = cursor.clone();
        let prepared = Ok(read(move || send_from!(raw.list_collections(), &cursor)));
        call(&self.shell.transport, "list_collections", prepared, |r| {
            let list = r.into_inner();
            page(list.data, list.has_more, list.last_collection_id, Ok)
        })
    }

    /// One collection, by id or code.
    pub fn get_collection(&self, id: &str) -> Call<'_, Collection> {
        let raw = &self.shell.raw;
        let prepared =
            checked(id).map(|id| read(move || raw.get_collection().id(id.clone()).send()));
        call(&self.shell.transport, "get_collection", prepared, |r| {
            Ok(r.into_inner())
        })
    }

    /// A page of bookings. With [`BookingQuery::event`], the page keeps
    /// only that event's bookings (and may be empty while `has_more`).
    pub fn list_bookings(&self, query: &BookingQuery) -> Call<'_, Page<Booking>> {
        let raw = &self.shell.raw;
        let sent = query.personal().map(Clone::clone);
        let query = query.clone();
        let keep = query.clone();
        let prepared = Ok(read(move || {
            let mut request = raw.list_bookings();
            if let Some(x) = &query.external_id {
                request = request.external_id(x.clone());
            }
            if let Some(x) = &query.email {
                request = request.email(x.clone());
            }
            if !query.tags.is_empty() {
                request = request.tags(query.tags.clone());
            }
            send_from!(request, &query.cursor)
        }));
        call(&self.shell.transport, "list_bookings", prepared, move |r| {
            let list = r.into_inner();
            let mut page = page(list.data, list.has_more, list.last_booking_id, |b| {
                Ok(Booking::from(b))
            })?;
            page.items.retain(|b| keep.keeps(b));
            Ok(page)
        })
        .carrying(sent)
    }

    /// One booking.
    pub fn get_booking(&self, id: &str) -> Call<'_, Booking> {
        let raw = &self.shell.raw;
        let prepared = checked(id).map(|id| read(move || raw.get_booking().id(id.clone()).send()));
        call(&self.shell.transport, "get_booking", prepared, |r| {
            Ok(r.into_inner().into())
        })
    }

    /// Changes a booking's whitelisted fields.
    pub fn update_booking(&self, id: &str, update: &BookingUpdate) -> Call<'_, Booking> {
        let raw = &self.shell.raw;
        let sent = update.personal().map(Clone::clone);
        let body = update.to_raw();
        let prepared = checked(id).map(|id| {
            idempotent(move || {
                raw.update_booking()
                    .id(id.clone())
                    .body(body.clone())
                    .send()
            })
        });
        call(&self.shell.transport, "update_booking", prepared, |r| {
            Ok(r.into_inner().into())
        })
        .carrying(sent)
    }

    /// A page of invites.
    pub fn list_invites(&self, query: &InviteQuery) -> Call<'_, Page<Invite>> {
        let raw = &self.shell.raw;
        let sent = query.personal().map(Clone::clone);
        let query = query.clone();
        let prepared = query.check().map(|()| {
            let resource_type = query.resource_type();
            read(move || {
                let mut request = raw.list_invites();
                if let Some((id, _)) = &query.resource {
                    request = request.resource_id(id.clone());
                }
                if let Some(kind) = resource_type {
                    request = request.resource_type(kind);
                }
                if !query.tags.is_empty() {
                    request = request.tags(query.tags.clone());
                }
                if let Some(x) = &query.external_id {
                    request = request.external_id(x.clone());
                }
                if let Some(x) = &query.name {
                    request = request.name(x.clone());
                }
                if let Some(x) = &query.email {
                    request = request.email(x.clone());
                }
                if let Some(limit) = query.limit {
                    request = request.limit(u64::from(limit));
                }
                send_from!(request, &query.cursor)
            })
        });
        call(&self.shell.transport, "list_invites", prepared, |r| {
            let list = r.into_inner();
            page(
                list.data,
                list.has_more,
                list.last_invite_id,
                Invite::from_raw,
            )
        })
        .carrying(sent)
    }

    /// One invite with its bookings, by id or code.
    pub fn get_invite(&self, id: &str) -> Call<'_, InviteDetail> {
        let raw = &self.shell.raw;
        let prepared = checked(id).map(|id| read(move || raw.get_invite().id(id.clone()).send()));
        call(&self.shell.transport, "get_invite", prepared, |r| {
            InviteDetail::from_raw(r.into_inner())
        })
    }

    /// Creates an invite, and says whether it is new (201) or an existing
    /// one its dedupe filter matched (200). With a dedupe filter it is
    /// retried like a read (a repeat returns the same invite); without one
    /// it is sent once, and a lost answer is
    /// [`crate::ErrorKind::OutcomeUnknown`].
    pub fn create_invite(&self, new: &NewInvite) -> Call<'_, CreateOutcome<Invite>> {
        let raw = &self.shell.raw;
        let sent = new.personal().map(Clone::clone);
        let prepared = new.to_raw().map(|body| {
            let safety = if body.filter.is_some() {
                Safety::DedupedCreate
            } else {
                Safety::Create
            };
            (safety, move || {
                raw.create_invite().body(body.clone()).send()
            })
        });
        call(&self.shell.transport, "create_invite", prepared, |r| {
            let status = r.status().as_u16();
            Ok(CreateOutcome::from_status(
                status,
                Invite::from_raw(r.into_inner())?,
            ))
        })
        .carrying(sent)
    }

    /// Changes an invite's whitelisted fields.
    pub fn update_invite(&self, id: &str, update: &InviteUpdate) -> Call<'_, Invite> {
        let raw = &self.shell.raw;
        let body = update.to_raw();
        let prepared = checked(id).map(|id| {
            idempotent(move || raw.update_invite().id(id.clone()).body(body.clone()).send())
        });
        call(&self.shell.transport, "update_invite", prepared, |r| {
            Invite::from_raw(r.into_inner())
        })
    }

    /// Deletes an invite. Retried like a read; a retry that finds the
    /// invite already gone reports success.
    pub fn delete_invite(&self, id: &str) -> Call<'_, ()> {
        let raw = &self.shell.raw;
        let prepared =
            checked(id).map(|id| idempotent(move || raw.delete_invite().id(id.clone()).send()));
        call(&self.shell.transport, "delete_invite", prepared, |_| Ok(()))
            // A 404 after an earlier attempt: that attempt deleted it.
            .recover(|e| {
                (matches!(e.kind(), crate::ErrorKind::NotFound { .. }) && e.attempts() > 1)
                    .then_some(())
            })
    }

    /// Creates one invite per event and collection whose resource tags
    /// match. Retried only with a dedupe filter.
    pub fn batch_create_invites(&self, batch: &NewBatch) -> Call<'_, BatchResult> {
        let raw = &self.shell.raw;
        let sent = batch.personal().map(Clone::clone);
        let prepared = batch.to_raw().map(|body| {
            let safety = if body.filter.is_some() {
                Safety::DedupedCreate
            } else {
                Safety::Create
            };
            (safety, move || {
                raw.batch_create_invites().body(body.clone()).send()
            })
        });
        call(
            &self.shell.transport,
            "batch_create_invites",
            prepared,
            |r| {
                let result = r.into_inner();
                let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
                Ok(BatchResult {
                    invites: result
                        .data
                        .into_iter()
                        .map(Invite::from_raw)
                        .collect::<Result<_, _>>()?,
                    total_events: count(result.total_events),
                    total_collections: count(result.total_collection),
                    total_resources: count(result.total_resources),
                    total_invites_created: count(result.total_invites_created),
                })
            },
        )
        .carrying(sent)
    }
}
