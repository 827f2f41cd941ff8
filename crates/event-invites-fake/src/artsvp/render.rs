//! The fake ARTSVP server's wire rendering: a stored record as the API
//! answers it (resource or event embedded, counters shown), built from the
//! generated types so that it cannot drift from the spec.

use artsvp_api::types::{Booking, Invite, MetaData, Resource, Tags};

use super::store::{BookingRecord, InviteRecord, ResourceRef, Store};

impl Store {
    /// The resource as an invite embeds it.
    pub(crate) fn resource(&self, resource: &ResourceRef) -> Option<Resource> {
        Some(match resource {
            ResourceRef::Event(id) => {
                let e = self.events.get(id)?;
                Resource {
                    id: e.id.clone(),
                    object: "event".into(),
                    code: e.code.clone(),
                    name: e.name.clone(),
                    reference: e.reference.clone(),
                    description: e.description.clone(),
                    time_zone: e.time_zone.clone(),
                    start_date: e.start_date,
                    start_time: e.start_time,
                    end_date: e.end_date,
                    end_time: e.end_time,
                    public_url: e.public_url.clone(),
                    banner_image: e.banner_image.clone(),
                    resource_tags: e.resource_tags.clone(),
                    created_at: e.created_at,
                    updated_at: e.updated_at,
                }
            }
            ResourceRef::Collection(id) => {
                let c = self.collections.get(id)?;
                Resource {
                    id: c.id.clone(),
                    object: "collection".into(),
                    code: c.code.clone(),
                    name: c.name.clone(),
                    public_url: c.public_url.clone(),
                    banner_image: c.banner_image.clone(),
                    resource_tags: c.resource_tags.clone(),
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                    reference: None,
                    description: None,
                    time_zone: None,
                    start_date: None,
                    start_time: None,
                    end_date: None,
                    end_time: None,
                }
            }
        })
    }

    /// The invite as the API answers it: resource embedded, counters shown.
    pub(crate) fn render(&self, r: &InviteRecord) -> Invite {
        let resource = self.resource(&r.resource);
        Invite {
            id: r.id.clone(),
            object: "invite".into(),
            code: r.code.clone(),
            name: r.name.clone(),
            email: r.email.clone(),
            golden: r.golden,
            register_interest: r.register_interest,
            url: format!("https://invite.artsvp.com/{}", r.code),
            used: r.uses > 0,
            amount_used: format!("{}/{}", r.uses, r.total_count),
            resource_tags: resource.as_ref().and_then(|x| x.resource_tags.clone()),
            resource,
            tags: Some(Tags(r.tags.clone())),
            meta_data: Some(MetaData(r.meta_data.clone())),
            external_id: r.external_id.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    /// The booking as the API answers it: its event embedded.
    pub(crate) fn render_booking(&self, b: &BookingRecord) -> Booking {
        let event = self.events.get(&b.event_code);
        let key =
            b.id.trim_start_matches("boo-")
                .replace('-', "")
                .to_uppercase();
        let reference = match key.get(..12) {
            Some(k) => format!("{}-{}-{}", &k[..4], &k[4..8], &k[8..12]),
            None => key.clone(),
        };
        Booking {
            id: b.id.clone(),
            object: "booking".into(),
            reference: Some(reference),
            status: Some(b.status.clone()),
            name: b.name.clone(),
            email: b.email.clone(),
            size: Some(b.size),
            start_time_utc: event.and_then(|e| e.start_time),
            start_time_local: event.and_then(|e| e.start_time),
            url: Some(format!(
                "https://artsvp.com/bookings/{}",
                key.to_lowercase()
            )),
            event_id: Some(b.event_code.clone()),
            event_name: event.map(|e| e.name.clone()),
            event_reference: event.and_then(|e| e.reference.clone()),
            event_time_zone: event.and_then(|e| e.time_zone.clone()),
            invite_id: b.invite_code.clone(),
            tags: Some(Tags(b.tags.clone())),
            resource_tags: event.and_then(|e| e.resource_tags.clone()),
            meta_data: Some(MetaData(b.meta_data.clone())),
            external_id: b.external_id.clone(),
            created_at: Some(b.created_at),
            updated_at: Some(b.updated_at),
            event: event.cloned(),
        }
    }

    /// The bookings made with an invite (by its code), oldest first.
    pub(crate) fn bookings_of(&self, invite_code: &str) -> Vec<Booking> {
        self.bookings
            .iter()
            .filter(|b| b.invite_code.as_deref() == Some(invite_code))
            .map(|b| self.render_booking(b))
            .collect()
    }
}
