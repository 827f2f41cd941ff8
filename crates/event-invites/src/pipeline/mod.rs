//! The request pipeline: where every call of both APIs goes, in order.
//!
//! 1. [`call`]: a [`Call`](call::Call) holds the operation and its options
//!    until it is awaited.
//! 2. [`transport`]: waits for the pacer ([`crate::quota`]), sends one
//!    attempt (key, timeouts, deadline), records what came back.
//! 3. [`classify`]: reads a failure into a [`Cause`](crate::verdict::Cause)
//!    from typed facts (status, headers, the error chain, the body).
//! 4. [`crate::verdict`]: one verdict per failure: was it sent, may it be
//!    repeated, may a write have been applied.
//! 5. [`retry`]: the policy and the shared retry budget decide whether and
//!    when to try again.
//!
//! A new rule goes where its fact is read (`classify/`) or judged
//! (`verdict`); a new endpoint goes in its API's folder (`artsvp/`,
//! `securegate/`) as a [`call::call`] with its safety class.

pub(crate) mod call;
pub(crate) mod classify;
pub(crate) mod held;
pub(crate) mod resolve;
pub(crate) mod retry;
pub(crate) mod transport;
