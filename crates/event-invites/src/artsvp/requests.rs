//! What a caller asks ARTSVP for: new invites, updates, batches and list
//! queries, checked before anything is sent.

use artsvp_api::types as raw;

use super::models::MetaData;
use crate::enums::ResourceKind;
use crate::error::ErrorKind;

mod query;

pub use query::{BookingQuery, Cursor, InviteQuery};

/// Which field makes a new invite a duplicate of an existing one: with a
/// dedupe filter, ARTSVP returns the existing invite of the same resource
/// instead of creating another, which also makes the create safe to retry.
///
/// ARTSVP compares the field **exactly**: `Ann@Example.com` and
/// `ann@example.com` are two guests to it. So the facade sends every email
/// trimmed and lowercased ([`normalize_email`]) by default, in single
/// creates, batches and bulk runs alike; `normalize_email(false)` on
/// [`NewInvite`], [`NewBatch`] or [`super::BulkInvite`] sends it as given.
///
/// ```
/// use event_invites::artsvp::{Dedupe, NewInvite};
///
/// // A second create for the same email returns the first invite.
/// let new = NewInvite::for_event("eve-c60d5868")
///     .email("Ann@Example.com")
///     .dedupe(Dedupe::Email);
/// assert!(new.is_deduped());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(
        description = "Which field makes a new invite a duplicate of an existing one: with a\ndedupe filter, ARTSVP returns the existing invite of the same resource\ninstead of creating another, which also makes the create safe to retry.\n\nARTSVP compares the field **exactly**: `Ann@Example.com` and\n`ann@example.com` are two guests to it. So the facade sends every email\ntrimmed and lowercased ([`normalize_email`]) by default, in single\ncreates, batches and bulk runs alike; `normalize_email(false)` on\n[`NewInvite`], [`NewBatch`] or [`super::BulkInvite`] sends it as given."
    )
)]
#[cfg_attr(feature = "schemars", schemars(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Dedupe {
    /// The same name.
    Name,
    /// The same email.
    Email,
    /// The same external id.
    ExternalId,
}

impl From<Dedupe> for raw::InviteFilter {
    fn from(d: Dedupe) -> Self {
        match d {
            Dedupe::Name => Self::Name,
            Dedupe::Email => Self::Email,
            Dedupe::ExternalId => Self::ExternalId,
        }
    }
}

fn resource_type(kind: &ResourceKind) -> Option<raw::ResourceType> {
    match kind {
        ResourceKind::Event => Some(raw::ResourceType::Event),
        ResourceKind::Collection => Some(raw::ResourceType::Collection),
        ResourceKind::Unknown(_) => None,
    }
}

/// The fields an invite is made of, shared by single and batch creates.
#[derive(Debug, Clone, Default, PartialEq)]
struct InviteFields {
    name: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    golden: Option<bool>,
    register_interest: Option<bool>,
    total_count: Option<u32>,
    tags: Vec<String>,
    meta_data: Option<MetaData>,
    dedupe: Option<Dedupe>,
    /// Send the email exactly as given (`normalize_email(false)`).
    exact_email: bool,
}

/// An email as the facade sends it by default: trimmed and lowercased, so
/// `Ann@Example.com ` and `ann@example.com` are one guest.
///
/// ```
/// assert_eq!(event_invites::artsvp::normalize_email(" Ann@Example.COM "), "ann@example.com");
/// ```
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl InviteFields {
    /// The guest's personal values, masked in server messages.
    fn personal(&self) -> [&Option<String>; 3] {
        [&self.name, &self.email, &self.external_id]
    }

    /// The email as it will be sent.
    fn email(&self) -> Option<String> {
        let email = self.email.as_deref()?;
        Some(if self.exact_email {
            email.to_string()
        } else {
            normalize_email(email)
        })
    }

    /// The dedupe filter, checked: filtering by a field needs its value.
    fn filter(&self) -> Result<Option<raw::InviteFilter>, ErrorKind> {
        let Some(dedupe) = self.dedupe else {
            return Ok(None);
        };
        let (field, value) = match dedupe {
            Dedupe::Name => ("name", self.name.clone()),
            Dedupe::Email => ("email", self.email()),
            Dedupe::ExternalId => ("external_id", self.external_id.clone()),
        };
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            return Err(ErrorKind::InvalidRequest {
                message: format!("deduping by {field} needs a value for {field}"),
            });
        }
        Ok(Some(dedupe.into()))
    }
}

/// A generated create request (single or batch): its own fields, then the
/// ones every create takes from [`InviteFields`], mapped onto the wire in
/// this one place. Returns early with the dedupe filter's error.
macro_rules! raw_create {
    ($raw:path { $($own:tt)* } with $fields:expr) => {{
        let f: &InviteFields = $fields;
        $raw {
            $($own)*
            filter: f.filter()?,
            name: f.name.clone(),
            email: f.email(),
            external_id: f.external_id.clone(),
            golden: f.golden,
            register_interest: f.register_interest,
            total_count: i64::from(f.total_count.unwrap_or(1)),
            tags: (!f.tags.is_empty()).then(|| raw::Tags(f.tags.clone())),
            meta_data: f.meta_data.clone().map(raw::MetaData),
        }
    }};
}

macro_rules! invite_fields {
    ($ty:ident) => {
        impl $ty {
            setters! {
                /// Locks the invite to this name.
                pub fn name(name: impl Into<String>) => self.fields.name = Some(name.into());

                /// Locks the invite to this email.
                pub fn email(email: impl Into<String>) => self.fields.email = Some(email.into());

                /// An id from the caller's own system.
                pub fn external_id(id: impl Into<String>) =>
                    self.fields.external_id = Some(id.into());

                /// Makes it a golden invite.
                pub fn golden(golden: bool) => self.fields.golden = Some(golden);

                /// Makes it a register-interest (waitlist) invite.
                pub fn register_interest(yes: bool) => self.fields.register_interest = Some(yes);

                /// How many times it can be used; 0 is unlimited (ARTSVP's
                /// default is 1).
                pub fn total_count(n: u32) => self.fields.total_count = Some(n);

                /// Free-form meta data.
                pub fn meta_data(meta: MetaData) => self.fields.meta_data = Some(meta);

                /// Does not create a duplicate: an invite of the same resource
                /// with the same `by` field is returned instead. This also makes
                /// the create safe to retry. ARTSVP compares the field exactly;
                /// emails are sent normalized unless
                /// [`normalize_email(false)`](Self::normalize_email).
                pub fn dedupe(by: Dedupe) => self.fields.dedupe = Some(by);

                /// Whether the email is sent trimmed and lowercased
                /// ([`normalize_email`]), so that `Ann@Example.com ` and
                /// `ann@example.com` are one guest and dedupe to one invite.
                /// **On by default**, as in bulk runs and the CLI: in a guest
                /// list the email is the guest's identity, and ARTSVP compares
                /// it exactly. `false` sends it exactly as given (an email's
                /// local part may, rarely, be case-sensitive).
                pub fn normalize_email(yes: bool) => self.fields.exact_email = !yes;
            }

            /// Tags for the invite.
            pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
                self.fields.tags = tags.into_iter().map(Into::into).collect();
                self
            }
        }
    };
}

/// A new invite for one event or collection.
///
/// ```
/// use event_invites::artsvp::{Dedupe, NewInvite};
///
/// let invite = NewInvite::for_event("eve-c60d5868")
///     .name("Lucy Green")
///     .email("lucy@example.com")
///     .total_count(2)
///     .dedupe(Dedupe::Email);
/// # let _ = invite;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvite {
    resource_id: String,
    kind: ResourceKind,
    fields: InviteFields,
}

invite_fields!(NewInvite);

impl NewInvite {
    /// An invite for the event with this id (or code).
    pub fn for_event(id: impl Into<String>) -> Self {
        Self::for_resource(id, ResourceKind::Event)
    }

    /// An invite for the collection with this id (or code).
    pub fn for_collection(id: impl Into<String>) -> Self {
        Self::for_resource(id, ResourceKind::Collection)
    }

    /// An invite for a resource of this kind.
    pub fn for_resource(id: impl Into<String>, kind: ResourceKind) -> Self {
        Self {
            resource_id: id.into(),
            kind,
            fields: InviteFields::default(),
        }
    }

    /// Whether the create carries a dedupe filter (and so is retried).
    pub fn is_deduped(&self) -> bool {
        self.fields.dedupe.is_some()
    }

    pub(crate) fn personal(&self) -> [&Option<String>; 3] {
        self.fields.personal()
    }

    pub(crate) fn to_raw(&self) -> Result<raw::CreateInviteRequest, ErrorKind> {
        if self.resource_id.is_empty() {
            return Err(ErrorKind::InvalidRequest {
                message: "the resource id is empty".into(),
            });
        }
        let resource_type = resource_type(&self.kind).ok_or_else(|| ErrorKind::InvalidRequest {
            message: format!(
                "cannot create an invite for a {:?} resource",
                self.kind.as_str()
            ),
        })?;
        Ok(raw_create!(raw::CreateInviteRequest {
            resource_id: Some(self.resource_id.clone()),
            resource_type: Some(resource_type),
            resource: None,
        } with &self.fields))
    }
}

/// One invite for every event and collection whose resource tags match.
///
/// ```
/// use event_invites::artsvp::{Dedupe, NewBatch};
///
/// // One invite for Lucy in every event and collection tagged `vip`.
/// let batch = NewBatch::for_resource_tags(["vip"])
///     .name("Lucy Green")
///     .email("lucy@example.com")
///     .dedupe(Dedupe::Email);
/// assert!(batch.is_deduped());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NewBatch {
    resource_tags: Vec<String>,
    fields: InviteFields,
}

invite_fields!(NewBatch);

impl NewBatch {
    /// Invites for every resource carrying any of these tags.
    pub fn for_resource_tags<I: IntoIterator<Item = S>, S: Into<String>>(tags: I) -> Self {
        Self {
            resource_tags: tags.into_iter().map(Into::into).collect(),
            fields: InviteFields::default(),
        }
    }

    /// Whether the batch carries a dedupe filter (and so is retried).
    pub fn is_deduped(&self) -> bool {
        self.fields.dedupe.is_some()
    }

    pub(crate) fn personal(&self) -> [&Option<String>; 3] {
        self.fields.personal()
    }

    pub(crate) fn to_raw(&self) -> Result<raw::BatchCreateInvitesRequest, ErrorKind> {
        if self.resource_tags.iter().all(|t| t.is_empty()) {
            return Err(ErrorKind::InvalidRequest {
                message: "a batch needs at least one resource tag".into(),
            });
        }
        Ok(raw_create!(raw::BatchCreateInvitesRequest {
            resource_tags: self.resource_tags.clone(),
        } with &self.fields))
    }
}

/// Changes to an invite's whitelisted fields; absent fields stay as they are.
///
/// ```no_run
/// use event_invites::artsvp::InviteUpdate;
///
/// # async fn example(client: event_invites::Artsvp) -> event_invites::Result<()> {
/// let update = InviteUpdate::new().total_count(4).tags(["vip", "press"]);
/// let invite = client.update_invite("inv-7c1d", &update).await?;
/// println!("{} now allows {:?}", invite.code, invite.usage.limit);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InviteUpdate {
    tags: Option<Vec<String>>,
    total_count: Option<u32>,
    golden: Option<bool>,
    register_interest: Option<bool>,
    external_id: Option<String>,
    meta_data: Option<MetaData>,
}

impl InviteUpdate {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the tags.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    setters! {
        /// How many times it can be used; 0 is unlimited.
        pub fn total_count(n: u32) => self.total_count = Some(n);

        /// Sets or clears golden.
        pub fn golden(golden: bool) => self.golden = Some(golden);

        /// Sets or clears register-interest.
        pub fn register_interest(yes: bool) => self.register_interest = Some(yes);

        /// Sets the external id.
        pub fn external_id(id: impl Into<String>) => self.external_id = Some(id.into());

        /// Replaces the meta data.
        pub fn meta_data(meta: MetaData) => self.meta_data = Some(meta);
    }

    pub(crate) fn to_raw(&self) -> raw::UpdateInviteRequest {
        raw::UpdateInviteRequest {
            tags: self.tags.clone().map(raw::Tags),
            total_count: self.total_count.map(i64::from),
            golden: self.golden,
            register_interest: self.register_interest,
            external_id: self.external_id.clone(),
            meta_data: self.meta_data.clone().map(raw::MetaData),
        }
    }
}

/// Changes to a booking's whitelisted fields; absent fields stay as they are.
///
/// ```no_run
/// use event_invites::artsvp::BookingUpdate;
///
/// # async fn example(client: event_invites::Artsvp) -> event_invites::Result<()> {
/// let fix = BookingUpdate::new().email("lucy.green@example.com");
/// client.update_booking("boo-46d60ac0", &fix).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingUpdate {
    name: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    meta_data: Option<MetaData>,
}

impl BookingUpdate {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The primary guest's name.
        pub fn name(name: impl Into<String>) => self.name = Some(name.into());

        /// The primary guest's email.
        pub fn email(email: impl Into<String>) => self.email = Some(email.into());

        /// An id from the caller's own system.
        pub fn external_id(id: impl Into<String>) => self.external_id = Some(id.into());

        /// Replaces the meta data.
        pub fn meta_data(meta: MetaData) => self.meta_data = Some(meta);
    }

    pub(crate) fn personal(&self) -> [&Option<String>; 3] {
        [&self.name, &self.email, &self.external_id]
    }

    pub(crate) fn to_raw(&self) -> raw::UpdateBookingRequest {
        raw::UpdateBookingRequest {
            name: self.name.clone(),
            email: self.email.clone(),
            external_id: self.external_id.clone(),
            meta_data: self.meta_data.clone().map(raw::MetaData),
        }
    }
}

/// Who an invite is for (any part may be left out: an invite with none is a
/// plain booking link).
///
/// ```
/// use event_invites::artsvp::Guest;
///
/// let guest = Guest::new("Lucy Green", "lucy@example.com")
///     .external_id("crm-1042")
///     .tags(["vip"]);
/// assert_eq!(guest.email.as_deref(), Some("lucy@example.com"));
/// // From a SecureGate invite: `Guest::from(&invite)`.
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guest {
    /// The guest's name.
    pub name: Option<String>,
    /// The guest's email.
    pub email: Option<String>,
    /// The guest's id in the caller's own system.
    pub external_id: Option<String>,
    /// Tags for the guest's invite.
    pub tags: Vec<String>,
    /// Free-form meta data for the guest's invite.
    pub meta_data: Option<MetaData>,
}

impl Guest {
    /// A guest with a name and an email.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// Adds the guest's id in the caller's own system.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Tags for the guest's invite.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Meta data for the guest's invite.
    pub fn meta_data(mut self, meta: MetaData) -> Self {
        self.meta_data = Some(meta);
        self
    }
}

/// Whether a new invite may duplicate an existing one: a choice the invite
/// helpers make the caller state.
///
/// ```no_run
/// use event_invites::artsvp::{Dedupe, Duplicates, Guest};
///
/// # async fn example(client: event_invites::Artsvp) -> event_invites::Result<()> {
/// let guest = Guest::new("Lucy Green", "lucy@example.com");
/// // Safe to run twice: the second returns the first invite.
/// let invite = client
///     .invite_to_event("eve-c60d5868", guest, Duplicates::Prevent(Dedupe::Email))
///     .await?;
/// println!("{}", invite.get().url);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Return the existing invite of the resource with the same field
    /// instead of creating another (and make the create safe to retry).
    Prevent(Dedupe),
    /// Always create a new invite (the create is then never retried once
    /// sent).
    Allow,
}

impl NewInvite {
    pub(crate) fn for_guest(self, guest: Guest, duplicates: Duplicates) -> Self {
        let mut new = self;
        new.fields.name = guest.name;
        new.fields.email = guest.email;
        new.fields.external_id = guest.external_id;
        if !guest.tags.is_empty() {
            new.fields.tags = guest.tags;
        }
        if guest.meta_data.is_some() {
            new.fields.meta_data = guest.meta_data;
        }
        new.fields.dedupe = match duplicates {
            Duplicates::Prevent(by) => Some(by),
            Duplicates::Allow => None,
        };
        new
    }
}
