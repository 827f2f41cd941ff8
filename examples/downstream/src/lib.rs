//! A downstream crate, as a new user writes one: it depends on
//! `event-invites` and `tokio` only (and on `event-invites-fake` for its
//! tests). Its doctests are the workspace README's code blocks, compiled as
//! written in a crate with nothing else; its tests do, through the public
//! API only, what users asked the facade for.
//!
//! The README follows.
#![doc = include_str!("../../../README.md")]

/// Sends one invite per guest and says how many were new: the kind of
/// helper a downstream crate writes.
///
/// ```no_run
/// # async fn example() -> Result<(), event_invites::Error> {
/// let client = event_invites::Artsvp::from_env()?;
/// let (created, existing) =
///     downstream_example::invite_all(&client, "eve-123", &["ann@example.com"]).await?;
/// println!("{created} invited, {existing} already were");
/// # Ok(())
/// # }
/// ```
pub async fn invite_all(
    client: &event_invites::Artsvp,
    event: &str,
    emails: &[&str],
) -> Result<(usize, usize), event_invites::Error> {
    use event_invites::artsvp::{CreateOutcome, Dedupe, NewInvite};
    let (mut created, mut existing) = (0, 0);
    for email in emails {
        let new = NewInvite::for_event(event)
            .email(*email)
            .dedupe(Dedupe::Email)
            .normalize_email(true);
        match client.create_invite(&new).await? {
            CreateOutcome::Created(_) => created += 1,
            CreateOutcome::Existing(_) => existing += 1,
        }
    }
    Ok((created, existing))
}
