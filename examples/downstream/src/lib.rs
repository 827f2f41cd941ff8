//! A downstream crate, as a new user writes one: it depends on
//! `event-invites` and `tokio` only (and on `event-invites-fake` for its
//! tests). Its doctests are the code blocks of the workspace README and of
//! every page of the guide (`guide/src/*.md`, in [`guide`]), compiled as
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

/// The guide's pages: their Rust blocks are this crate's doctests (a block
/// with no language would be compiled as Rust too, so every other block
/// names its language).
pub mod guide {
    #[doc = include_str!("../../../guide/src/get-started.md")]
    pub mod get_started {}
    #[doc = include_str!("../../../guide/src/sdk.md")]
    pub mod sdk {}
    #[doc = include_str!("../../../guide/src/testing.md")]
    pub mod testing {}
    #[doc = include_str!("../../../guide/src/tool.md")]
    pub mod tool {}
    #[doc = include_str!("../../../guide/src/service.md")]
    pub mod service {}
    #[doc = include_str!("../../../guide/src/quota.md")]
    pub mod quota {}
    #[doc = include_str!("../../../guide/src/monitor.md")]
    pub mod monitor {}
    #[doc = include_str!("../../../guide/src/security.md")]
    pub mod security {}
    #[doc = include_str!("../../../guide/src/troubleshooting.md")]
    pub mod troubleshooting {}
    #[doc = include_str!("../../../guide/src/maintain.md")]
    pub mod maintain {}
}
