//! How much of each text field from outside the console keeps: a backend may send a 1 MB title,
//! and every list, filter and frame would pay for it.
//!
//! Four sizes, in UTF-8 bytes, each above what the reference server accepts for its fields, so
//! nothing a well-behaved server stores is ever cut:
//!
//! | size | fields |
//! | --- | --- |
//! | [`ID_BYTES`] 256 | ids and references: service, assignee, actor, owner, model, feature, time zone |
//! | [`NAME_BYTES`] 2 KiB | titles, names, subjects, version labels, recurrence rules, category values |
//! | [`TEXT_BYTES`] 16 KiB | notes and events, descriptions, customers, action items |
//! | [`BODY_BYTES`] 1 MiB | a postmortem's body, which people need in full |
//!
//! A cut ends on a character boundary and is marked `…`. An item's own id is never cut — a cut
//! id would name another item, and an action on it would go to the wrong one — so an item whose
//! id is too long is refused whole ([`IdTooLong`]). A cut postmortem title or body is longer than
//! [`crate::domain::postmortem::validate`] allows, so saving it from the editor is refused with
//! that message instead of silently replacing the server's full text with the cut one.

use super::text::cap;
use super::{
    DriftWindow, EscalationPolicy, Incident, MaintenanceWindow, Model, Postmortem, QualityPoint, Service, Ticket,
};
use crate::domain::monitoring::Sample;

/// Ids and references.
pub const ID_BYTES: usize = 256;
/// Titles, names, subjects.
pub const NAME_BYTES: usize = 2 * 1024;
/// Notes, event texts, descriptions.
pub const TEXT_BYTES: usize = 16 * 1024;
/// A postmortem's body.
pub const BODY_BYTES: usize = 1024 * 1024;

// Every cap is above what the reference server accepts (four bytes is the longest UTF-8
// character), checked when this compiles.
const _: () = {
    use crate::domain::{incident, postmortem};
    assert!(incident::MAX_TITLE_CHARS * 4 <= NAME_BYTES);
    assert!(incident::MAX_NOTE_CHARS * 4 <= TEXT_BYTES);
    assert!(postmortem::MAX_TITLE_CHARS * 4 <= NAME_BYTES);
    assert!(postmortem::MAX_BODY_CHARS * 4 <= BODY_BYTES);
};

/// An item whose id is longer than [`ID_BYTES`]: not kept at all. Each function below caps every
/// other field first, and then says whether the id is too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {bytes} bytes, longer than an id may be ({ID_BYTES})")]
pub struct IdTooLong {
    pub field: &'static str,
    pub bytes: usize,
}

fn check_id(field: &'static str, id: &str) -> Result<(), IdTooLong> {
    if id.len() > ID_BYTES { Err(IdTooLong { field, bytes: id.len() }) } else { Ok(()) }
}

fn refs<'a>(fields: impl IntoIterator<Item = &'a mut String>) {
    for s in fields {
        cap(s, ID_BYTES);
    }
}

pub fn incident(i: &mut Incident) -> Result<(), IdTooLong> {
    cap(&mut i.title, NAME_BYTES);
    refs([&mut i.service_id].into_iter().chain(i.assignee.as_mut()));
    for event in &mut i.timeline {
        cap(&mut event.actor, ID_BYTES);
        cap(&mut event.text, TEXT_BYTES);
    }
    check_id("id", &i.id)
}

pub fn ticket(t: &mut Ticket) -> Result<(), IdTooLong> {
    cap(&mut t.subject, NAME_BYTES);
    cap(&mut t.customer, TEXT_BYTES);
    refs([&mut t.service_id].into_iter().chain(t.assignee.as_mut()).chain(t.linked_incident.as_mut()));
    if let Some(d) = t.description.as_mut() {
        cap(d, TEXT_BYTES);
    }
    for event in &mut t.history {
        cap(&mut event.actor, ID_BYTES);
        cap(&mut event.text, TEXT_BYTES);
    }
    check_id("key", &t.key)
}

pub fn service(s: &mut Service) -> Result<(), IdTooLong> {
    cap(&mut s.name, NAME_BYTES);
    cap(&mut s.description, TEXT_BYTES);
    cap(&mut s.escalation_policy_id, ID_BYTES);
    check_id("id", &s.id)
}

pub fn policy(p: &mut EscalationPolicy) -> Result<(), IdTooLong> {
    cap(&mut p.name, NAME_BYTES);
    refs(p.levels.iter_mut().flat_map(|l| l.targets.iter_mut()));
    check_id("id", &p.id)
}

fn sample(s: &mut Sample) {
    if let Sample::Categorical(values) = s {
        for v in values {
            cap(v, NAME_BYTES);
        }
    }
}

pub fn model(m: &mut Model) -> Result<(), IdTooLong> {
    cap(&mut m.name, NAME_BYTES);
    cap(&mut m.service_id, ID_BYTES);
    for v in &mut m.versions {
        cap(&mut v.version, NAME_BYTES);
        cap(&mut v.note, TEXT_BYTES);
    }
    for f in &mut m.features {
        cap(&mut f.name, ID_BYTES);
        cap(&mut f.description, TEXT_BYTES);
        sample(&mut f.reference);
    }
    check_id("id", &m.id)
}

pub fn drift_window(w: &mut DriftWindow) -> Result<(), IdTooLong> {
    sample(&mut w.current);
    check_id("model_id", &w.model_id).and(check_id("feature", &w.feature))
}

pub fn quality(q: &mut QualityPoint) -> Result<(), IdTooLong> {
    check_id("model_id", &q.model_id)
}

pub fn maintenance(w: &mut MaintenanceWindow) -> Result<(), IdTooLong> {
    cap(&mut w.title, NAME_BYTES);
    refs(w.services.iter_mut().chain([&mut w.timezone, &mut w.created_by, &mut w.updated_by]));
    if let Some(rule) = w.rrule.as_mut() {
        cap(rule, NAME_BYTES);
    }
    cap(&mut w.description, TEXT_BYTES);
    check_id("id", &w.id)
}

pub fn postmortem(p: &mut Postmortem) -> Result<(), IdTooLong> {
    cap(&mut p.incident_id, ID_BYTES);
    cap(&mut p.title, NAME_BYTES);
    cap(&mut p.body, BODY_BYTES);
    refs([&mut p.created_by, &mut p.updated_by]);
    for item in &mut p.action_items {
        cap(&mut item.text, TEXT_BYTES);
        cap(&mut item.owner, ID_BYTES);
    }
    check_id("id", &p.id)
}

/// Caps an incident, ticket, window or postmortem a backend returned for an action.
pub fn entity(e: &mut super::Entity) -> Result<(), IdTooLong> {
    match e {
        super::Entity::Incident(i) => incident(i),
        super::Entity::Ticket(t) => ticket(t),
        super::Entity::Maintenance(w) => maintenance(w),
        super::Entity::Postmortem(p) => postmortem(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::postmortem::{MAX_BODY_CHARS, MAX_TITLE_CHARS, PostmortemDraft, validate};

    #[test]
    fn a_cut_postmortem_cannot_be_saved_over_the_full_one() {
        // The shortest cut title or body, in characters, is all four-byte characters.
        let mut title = "😀".repeat(NAME_BYTES);
        let mut body = "😀".repeat(BODY_BYTES);
        assert!(cap(&mut title, NAME_BYTES) && cap(&mut body, BODY_BYTES));
        assert!(title.chars().count() > MAX_TITLE_CHARS && body.chars().count() > MAX_BODY_CHARS);
        let refused = validate(&PostmortemDraft { title: title.clone(), body: "fine".into() }).unwrap_err();
        assert!(refused.starts_with("title:"), "{refused}");
        let refused = validate(&PostmortemDraft { title: "fine".into(), body }).unwrap_err();
        assert!(refused.starts_with("body:"), "{refused}");
    }

    #[test]
    fn an_overlong_id_refuses_the_item_instead_of_renaming_it() {
        use crate::domain::{NewIncident, Priority};
        let new =
            NewIncident { title: "t".repeat(1_000_000), service_id: "llm-gateway".into(), priority: Priority::P1 };
        let mut inc = Incident::trigger("INC-1".into(), new, "alertmanager", chrono::Utc::now(), None);
        incident(&mut inc).unwrap();
        assert!(inc.title.len() <= NAME_BYTES && inc.title.ends_with('…'));
        inc.id = "I".repeat(ID_BYTES + 1);
        assert_eq!(incident(&mut inc), Err(IdTooLong { field: "id", bytes: ID_BYTES + 1 }));
    }
}
