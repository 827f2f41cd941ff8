//! A lost journal is rebuilt, not replayed: before its first cycle, a sync
//! without its journal (or with `--rebuild-journal`) lists the ARTSVP
//! event's invites, 100 a page, and settles every guest whose email has
//! one there as `existing`. The cycle then invites only the rest: about
//! one request per 100 invites instead of one create per guest. Guests
//! settled so are never revoked (`revoke_declined` deletes only the invites
//! the journal says this sync created).

use event_invites::Artsvp;
use event_invites::artsvp::{InviteQuery, normalize_email};

use crate::error::CliError;
use crate::journal::Journal;

/// Invites per page of the listing (ARTSVP's most).
pub const PAGE: u8 = 100;

/// What a rebuild found and did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// Pages (requests) read.
    pub pages: u64,
    /// Invites the event holds.
    pub listed: u64,
    /// Guests the journal did not hold as finished, settled now.
    pub settled: u64,
}

/// The ARTSVP event's id (the config may name it by code); an event that
/// does not exist is a usage error (the sync stops: an operator must fix
/// the config).
pub async fn event_id(artsvp: &Artsvp, event: &str) -> Result<String, CliError> {
    match artsvp.get_event(event).await {
        Ok(found) => Ok(found.id),
        Err(e) if matches!(e.kind(), event_invites::ErrorKind::NotFound { .. }) => Err(
            CliError::Usage(format!("ARTSVP has no event {event}: check the id or code")),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Lists event `event`'s invites (its id) and settles their guests, by
/// email as the sync dedupes them, in `journal`.
pub async fn settle_existing(
    artsvp: &Artsvp,
    event: &str,
    journal: &Journal,
) -> Result<Settled, CliError> {
    let mut pages = artsvp.invite_pages(InviteQuery::new().event(event).limit(PAGE));
    let mut found = Vec::new();
    let mut settled = Settled::default();
    while let Some(page) = pages.try_next().await? {
        settled.pages += 1;
        settled.listed += page.items.len() as u64;
        found.extend(page.items.into_iter().filter_map(|invite| {
            let key = normalize_email(invite.email.as_deref()?);
            (!key.is_empty()).then_some((key, invite.id))
        }));
    }
    settled.settled = journal
        .settle_existing(&found)
        .map_err(|e| CliError::Failed(format!("rebuilding the journal: {e}")))?;
    Ok(settled)
}
