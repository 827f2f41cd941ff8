//! Pagination streams for every ARTSVP list: `'static` streams that own a
//! clone of the client, keep the list's filters on every page, go forward
//! (`starting_after`) or back (`ending_before`), can be resumed exactly
//! where one stopped, refuse to loop, and fetch the next page while the
//! caller works on the current one (one page ahead, no more).
//!
//! Every stream has inherent `try_next()` and `collect_all()`, so it needs
//! nothing but this crate; it is also a `futures_core::Stream` for those
//! who combine streams.
//!
//! ```no_run
//! # async fn example(client: event_invites::Artsvp) -> Result<(), event_invites::Error> {
//! use event_invites::artsvp::InviteQuery;
//!
//! let mut invites = client.invites(InviteQuery::new().event("eve-123").limit(100));
//! while let Some(invite) = invites.try_next().await? {
//!     println!("{} {}", invite.code, invite.usage);
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use tokio::task::JoinHandle;

use super::Artsvp;
use super::models::{Booking, Collection, Event, Invite, Page};
use super::requests::{BookingQuery, Cursor, InviteQuery};
use crate::error::{Error, ErrorKind};

/// Seals [`Listing`] and [`HasId`]: callers name them (in a bound such as
/// `fn count<Q: Listing>(items: Items<Q>)`), but only this crate implements
/// them, so a new method is not a breaking change.
mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Invite {}
    impl Sealed for super::Booking {}
    impl Sealed for super::Event {}
    impl Sealed for super::Collection {}
    impl Sealed for super::InviteQuery {}
    impl Sealed for super::BookingQuery {}
    impl Sealed for super::EventQuery {}
    impl Sealed for super::CollectionQuery {}
}

/// An item that a cursor can name: [`Invite`], [`Booking`], [`Event`] and
/// [`Collection`]. Sealed: implemented by this crate only.
///
/// ```
/// use event_invites::artsvp::{HasId, Invite};
///
/// fn ids<T: HasId>(items: &[T]) -> Vec<&str> {
///     items.iter().map(HasId::id).collect()
/// }
/// let none: Vec<Invite> = Vec::new();
/// assert!(ids(&none).is_empty());
/// ```
pub trait HasId: sealed::Sealed {
    /// The id a cursor uses (`starting_after`/`ending_before`).
    fn id(&self) -> &str;
}

/// Every model a list pages through keeps its id in `id`.
macro_rules! has_id {
    ($($model:ty),*) => {$(
        impl HasId for $model {
            fn id(&self) -> &str {
                &self.id
            }
        }
    )*};
}

has_id!(Invite, Booking, Event, Collection);

/// A page, and the operation that fetched it (named once, by the call).
type Named<T> = (&'static str, Result<Page<T>, Error>);
type PageFuture<T> = Pin<Box<dyn Future<Output = Named<T>> + Send>>;

/// Sends a list call and keeps its operation's name beside the page.
async fn named<'a, T: Send + 'a>(call: crate::Call<'a, Page<T>>) -> Named<T> {
    (call.operation(), call.await)
}

/// A list query that pages: its filters, and where it starts. The four
/// queries ([`InviteQuery`], [`BookingQuery`], [`EventQuery`],
/// [`CollectionQuery`]) implement it, and [`Items`] and [`Pages`] stream any
/// of them. Sealed: implemented by this crate only, so that a function of
/// yours can take any listing.
///
/// ```no_run
/// use event_invites::artsvp::{Items, Listing};
/// use futures_util::TryStreamExt;
///
/// /// How many items a listing has, whichever it is.
/// async fn count<Q: Listing>(items: Items<Q>) -> event_invites::Result<usize> {
///     items.try_fold(0, |n, _| async move { Ok(n + 1) }).await
/// }
/// # async fn example(client: event_invites::Artsvp) -> event_invites::Result<()> {
/// let invites = count(client.invites(Default::default())).await?;
/// let events = count(client.events(event_invites::artsvp::Cursor::Start)).await?;
/// # Ok(())
/// # }
/// ```
pub trait Listing: sealed::Sealed + Clone + Send + Sync + 'static {
    /// What the list holds.
    type Item: HasId + Send + 'static;
    /// The list operation, as the spec names it (`list_invites`, …).
    const OPERATION: &'static str;
    /// Where the first page starts.
    fn start(&self) -> Cursor;
    /// Fetches the page at `cursor`, with every filter of the query.
    fn fetch(&self, client: Artsvp, cursor: Cursor) -> PageFuture<Self::Item>;
    /// Whether pages are filtered here, after the server's answer (so a
    /// page may be empty while more follow).
    fn filters_locally(&self) -> bool {
        false
    }
}

impl Listing for InviteQuery {
    type Item = Invite;
    const OPERATION: &'static str = "list_invites";
    fn start(&self) -> Cursor {
        self.cursor.clone()
    }
    fn fetch(&self, client: Artsvp, cursor: Cursor) -> PageFuture<Invite> {
        let query = self.clone().cursor(cursor);
        Box::pin(async move { named(client.list_invites(&query)).await })
    }
}

impl Listing for BookingQuery {
    type Item = Booking;
    const OPERATION: &'static str = "list_bookings";
    fn start(&self) -> Cursor {
        self.cursor.clone()
    }
    fn fetch(&self, client: Artsvp, cursor: Cursor) -> PageFuture<Booking> {
        let query = self.clone().cursor(cursor);
        Box::pin(async move { named(client.list_bookings(&query)).await })
    }
    fn filters_locally(&self) -> bool {
        self.event.is_some()
    }
}

/// A list that takes no filters, only a cursor: its query type (from a
/// [`Cursor`]) and the [`Listing`] that pages through it.
macro_rules! cursor_listing {
    ($(#[$meta:meta])* $query:ident => $item:ty, $operation:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $query(Cursor);

        impl From<Cursor> for $query {
            fn from(cursor: Cursor) -> Self {
                Self(cursor)
            }
        }

        impl Listing for $query {
            type Item = $item;
            const OPERATION: &'static str = stringify!($operation);
            fn start(&self) -> Cursor {
                self.0.clone()
            }
            fn fetch(&self, client: Artsvp, cursor: Cursor) -> PageFuture<$item> {
                Box::pin(async move { named(client.$operation(&cursor)).await })
            }
        }
    };
}

cursor_listing! {
    /// The events list (it takes no filters), from a cursor: made by
    /// [`Artsvp::events`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let fake = event_invites_fake::FakeArtsvp::start().await?;
    /// # let client = fake.client();
    /// use event_invites::artsvp::Cursor;
    /// use futures_util::TryStreamExt;
    ///
    /// let events: Vec<_> = client.events(Cursor::Start).try_collect().await?;
    /// assert_eq!(events.len(), fake.events().len());
    /// # Ok(())
    /// # }
    /// ```
    EventQuery => Event, list_events
}

cursor_listing! {
    /// The collections list (it takes no filters), from a cursor: made by
    /// [`Artsvp::collections`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let fake = event_invites_fake::FakeArtsvp::start().await?;
    /// # let client = fake.client();
    /// use event_invites::artsvp::Cursor;
    /// use futures_util::TryStreamExt;
    ///
    /// let collections: Vec<_> = client.collections(Cursor::Start).try_collect().await?;
    /// assert_eq!(collections.len(), fake.collections().len());
    /// # Ok(())
    /// # }
    /// ```
    CollectionQuery => Collection, list_collections
}

/// A cursor's hash, the same for the same cursor (fixed keys).
fn hash(cursor: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(cursor.as_bytes());
    hasher.finish()
}

/// A stream of pages. Created by [`Artsvp::invite_pages`] and friends.
///
/// It goes forward from `Cursor::Start`/`Cursor::After`, back from
/// `Cursor::Before` (pages then come newest first). While the caller holds
/// one page the next is already being fetched; no more.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::InviteQuery;
///
/// let mut pages = client.invite_pages(InviteQuery::new().limit(25));
/// while let Some(page) = pages.try_next().await? {
///     println!("{} invites; resume later from {:?}", page.items.len(), pages.cursor());
/// }
/// # Ok(())
/// # }
/// ```
pub struct Pages<Q: Listing> {
    client: Artsvp,
    query: Q,
    backward: bool,
    next: Option<JoinHandle<Named<Q::Item>>>,
    /// The list operation (for pagination errors).
    operation: &'static str,
    resume: Cursor,
    /// Hashes of the cursors seen (8 bytes a page, not a whole id).
    seen: HashSet<u64>,
    done: bool,
}

impl<Q: Listing> std::fmt::Debug for Pages<Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.operation)
            .field("resume", &self.resume)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<Q: Listing> Pages<Q> {
    pub(crate) fn new(client: Artsvp, query: Q) -> Self {
        let resume = query.start();
        let mut seen = HashSet::new();
        if let Cursor::After(c) | Cursor::Before(c) = &resume {
            seen.insert(hash(c));
        }
        Self {
            client,
            backward: matches!(resume, Cursor::Before(_)),
            query,
            next: None,
            operation: Q::OPERATION,
            resume,
            seen,
            done: false,
        }
    }

    /// Where a new stream must start to go on exactly after the last page
    /// this one yielded.
    pub fn cursor(&self) -> Cursor {
        self.resume.clone()
    }

    fn step(&self, id: String) -> Cursor {
        if self.backward {
            Cursor::Before(id)
        } else {
            Cursor::After(id)
        }
    }

    fn spawn(&mut self, cursor: Cursor) {
        let fetch = self.query.fetch(self.client.clone(), cursor);
        self.next = Some(tokio::spawn(fetch));
    }

    fn stop(&mut self, reason: String) -> Poll<Option<Result<Page<Q::Item>, Error>>> {
        self.done = true;
        Poll::Ready(Some(Err(Error::new(
            self.operation,
            ErrorKind::Pagination { reason },
        )
        .with_attempts(1))))
    }

    /// The next page, or `None` after the last. Needs no stream trait in
    /// scope.
    pub async fn try_next(&mut self) -> Result<Option<Page<Q::Item>>, Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every item of every remaining page. Prefer iterating the stream: this
    /// holds the whole list in memory.
    pub async fn collect_all(mut self) -> Result<Vec<Q::Item>, Error> {
        let mut items = Vec::new();
        while let Some(page) = self.try_next().await? {
            items.extend(page.items);
        }
        Ok(items)
    }
}

impl<Q: Listing> Drop for Pages<Q> {
    fn drop(&mut self) {
        if let Some(next) = &self.next {
            next.abort();
        }
    }
}

impl<Q: Listing> Unpin for Pages<Q> {}

impl<Q: Listing> Stream for Pages<Q> {
    type Item = Result<Page<Q::Item>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.next.is_none() {
            let start = this.resume.clone();
            this.spawn(start);
        }
        let Some(next) = this.next.as_mut() else {
            return Poll::Ready(None);
        };
        let joined = ready!(Pin::new(next).poll(cx));
        this.next = None;
        let mut page = match joined {
            Ok((operation, Ok(page))) => {
                this.operation = operation;
                page
            }
            Ok((_, Err(e))) => {
                this.done = true;
                return Poll::Ready(Some(Err(e)));
            }
            Err(e) => return this.stop(format!("the page fetch did not finish: {e}")),
        };
        if page.has_more {
            if page.items.is_empty() && !this.query.filters_locally() {
                return this
                    .stop("the server said more pages follow but sent an empty page".into());
            }
            let Some(cursor) = page.cursor.clone() else {
                return this.stop("the server said more pages follow but sent no cursor".into());
            };
            if !this.seen.insert(hash(&cursor)) {
                return this.stop(format!(
                    "the server sent the cursor `{cursor}` a second time; the list would loop"
                ));
            }
            let next = this.step(cursor.clone());
            this.spawn(next.clone());
            this.resume = next;
        } else {
            this.done = true;
            if let Some(cursor) = page.cursor.clone() {
                this.resume = this.step(cursor);
            } else if let Some(last) = page.items.last()
                && !this.query.filters_locally()
            {
                this.resume = this.step(last.id().to_string());
            }
        }
        if this.backward {
            page.items.reverse();
        }
        Poll::Ready(Some(Ok(page)))
    }
}

/// A stream of items, page after page (see [`Pages`]). Going back, items
/// come newest first.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::InviteQuery;
/// use futures_util::TryStreamExt;
///
/// // One invite at a time; pages are fetched as the stream is read.
/// let mut invites = client.invites(InviteQuery::new());
/// let mut unused = 0;
/// while let Some(invite) = invites.try_next().await? {
///     unused += usize::from(!invite.is_used());
/// }
/// println!("{unused} invites not used yet");
/// # Ok(())
/// # }
/// ```
pub struct Items<Q: Listing> {
    pages: Pages<Q>,
    buffer: VecDeque<Q::Item>,
    last: Option<String>,
}

impl<Q: Listing> std::fmt::Debug for Items<Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<Q: Listing> Items<Q> {
    pub(crate) fn new(client: Artsvp, query: Q) -> Self {
        Self {
            pages: Pages::new(client, query),
            buffer: VecDeque::new(),
            last: None,
        }
    }

    /// Where a new stream must start to go on exactly after the last item
    /// this one yielded (nothing skipped, nothing repeated).
    pub fn cursor(&self) -> Cursor {
        match &self.last {
            Some(id) => self.pages.step(id.clone()),
            None => self.pages.query.start(),
        }
    }

    /// The next item, or `None` after the last. Needs no stream trait in
    /// scope.
    ///
    /// ```no_run
    /// # async fn example(client: event_invites::Artsvp) -> Result<(), event_invites::Error> {
    /// let mut events = client.events(event_invites::artsvp::Cursor::Start);
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{}", event.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_next(&mut self) -> Result<Option<Q::Item>, Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every remaining item. Prefer iterating the stream: this holds the
    /// whole list in memory.
    pub async fn collect_all(mut self) -> Result<Vec<Q::Item>, Error> {
        let mut items: Vec<Q::Item> = self.buffer.drain(..).collect();
        items.extend(self.pages.collect_all().await?);
        Ok(items)
    }
}

impl<Q: Listing> Unpin for Items<Q> {}

impl<Q: Listing> Stream for Items<Q> {
    type Item = Result<Q::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                this.last = Some(item.id().to_string());
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.buffer.extend(page.items),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}
