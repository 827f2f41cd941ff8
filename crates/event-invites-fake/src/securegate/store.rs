//! The fake SecureGate server's state: each event's invites, stored as the
//! API answers them (the generated type), so there is no separate rendering.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use securegate_api::types::Invite;

/// The seeded invites, by event, events in seeding order.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) events: Vec<String>,
    pub(crate) invites: HashMap<String, Vec<Invite>>,
}

pub(crate) type Shared = Arc<RwLock<Data>>;
