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

impl Data {
    /// Adds invites to an event (creating the event if needed).
    pub(crate) fn insert(&mut self, event_id: &str, invites: impl IntoIterator<Item = Invite>) {
        if !self.invites.contains_key(event_id) {
            self.events.push(event_id.to_string());
        }
        self.invites
            .entry(event_id.to_string())
            .or_default()
            .extend(invites);
    }

    /// Sets the status of invite `id` of `event_id` (as a guest's answer
    /// would); `false` when there is no such invite.
    pub(crate) fn set_status(&mut self, event_id: &str, id: &str, status: &str) -> bool {
        let found = self
            .invites
            .get_mut(event_id)
            .and_then(|invites| invites.iter_mut().find(|invite| invite.id == id));
        match found {
            Some(invite) => {
                invite.status = status.to_string();
                invite.updated_at = chrono::Utc::now();
                true
            }
            None => false,
        }
    }
}

/// The statuses a SecureGate invite can have.
pub(crate) const STATUSES: [&str; 4] = ["pending", "sent", "accepted", "rejected"];

/// What the control API adds: `POST /securegate/invites`.
pub(crate) struct AddInvites(pub(crate) Shared);

/// The body of `POST /securegate/invite_status`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    event_id: String,
    id: String,
    status: String,
}

/// The body of `POST /securegate/invites`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvites {
    event_id: String,
    invites: Vec<Invite>,
}

impl crate::settings::AddData for AddInvites {
    fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "invites",
                r#"{"event_id": "...", "invites": [invites as GET /events/{event_id}/invites answers them]}"#,
            ),
            (
                "invite_status",
                r#"{"event_id": "...", "id": "<invite id>", "status": "pending|sent|accepted|rejected"}"#,
            ),
        ]
    }

    fn add(&self, kind: &str, body: &[u8]) -> Result<serde_json::Value, String> {
        if kind == "invite_status" {
            let new: NewStatus = serde_json::from_slice(body)
                .map_err(|e| crate::settings::without_values(&e.to_string()))?;
            if !STATUSES.contains(&new.status.as_str()) {
                return Err("`status`: must be pending, sent, accepted or rejected".into());
            }
            let changed = self
                .0
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .set_status(&new.event_id, &new.id, &new.status);
            if !changed {
                return Err("no invite with this `event_id` and `id`".into());
            }
            return Ok(
                serde_json::json!({ "event_id": new.event_id, "id": new.id, "status": new.status }),
            );
        }
        let new: NewInvites = serde_json::from_slice(body)
            .map_err(|e| crate::settings::without_values(&e.to_string()))?;
        if new.event_id.is_empty() {
            return Err("`event_id`: must not be empty".into());
        }
        let added = new.invites.len();
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(&new.event_id, new.invites);
        Ok(serde_json::json!({ "event_id": new.event_id, "added": added }))
    }
}
