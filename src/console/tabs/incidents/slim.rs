//! A resolved incident as the list holds it after a large merge ([`SlimIncident`]): the fields a
//! row shows, sorts and filters by, without the timeline (read from the cache when the incident is
//! selected or opened), in one allocation of its own (the id and the title together) instead of
//! six.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::console::list::Filter;
use crate::console::list::slim::{self, Pool, Slim};
use crate::domain::{Incident, IncidentStatus, Priority, Tier};

#[derive(Debug, Clone, PartialEq)]
pub struct SlimIncident {
    /// The id and the title in one allocation ([`slim::join`]); the id is `split` bytes long.
    id_title: Box<str>,
    split: u8,
    service_id: Arc<str>,
    assignee: Option<Arc<str>>,
    source: Option<Arc<str>>,
    /// The version while it fits in 32 bits (4 billion changes; a larger one is held in full).
    version: u32,
    /// Triggered, updated, acknowledged, resolved, in nanoseconds ([`slim::NONE`] for none).
    at: [i64; 4],
    priority: Priority,
    status: IncidentStatus,
    tier: Tier,
}

/// What the Drift tab's markers need of an incident, borrowed from a full or a compact row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentSpan<'a> {
    pub id: &'a str,
    pub service_id: &'a str,
    pub triggered_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl<'a> From<&'a Incident> for IncidentSpan<'a> {
    fn from(i: &'a Incident) -> IncidentSpan<'a> {
        IncidentSpan { id: &i.id, service_id: &i.service_id, triggered_at: i.triggered_at, resolved_at: i.resolved_at }
    }
}

impl SlimIncident {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    pub fn title(&self) -> &str {
        slim::text_of(&self.id_title, self.split)
    }

    pub fn span(&self) -> IncidentSpan<'_> {
        IncidentSpan {
            id: self.id(),
            service_id: &self.service_id,
            triggered_at: slim::instant(self.at[0]),
            resolved_at: slim::instant_opt(self.at[3]),
        }
    }
}

/// What a filter searches in an incident, one field a line (the full and the compact row alike).
#[expect(clippy::too_many_arguments, reason = "the eight fields a filter searches, named")]
pub(super) fn matches(
    filter: &Filter,
    id: &str,
    priority: Priority,
    status: IncidentStatus,
    service_id: &str,
    title: &str,
    assignee: Option<&str>,
    tier: Tier,
    source: Option<&str>,
) -> bool {
    filter.matches(&[
        id,
        priority.label(),
        status.label(),
        service_id,
        title,
        assignee.unwrap_or(""),
        tier.label(),
        source.unwrap_or(""),
    ])
}

impl Slim<Incident> for SlimIncident {
    fn slim(i: &Incident, pool: &mut Pool) -> Option<SlimIncident> {
        let at = [
            slim::nanos(i.triggered_at)?,
            slim::nanos(i.updated_at)?,
            slim::nanos_opt(i.acknowledged_at)?,
            slim::nanos_opt(i.resolved_at)?,
        ];
        let (id_title, split) = slim::join(&i.id, &i.title)?;
        Some(SlimIncident {
            id_title,
            split,
            service_id: pool.get(&i.service_id),
            assignee: pool.get_opt(i.assignee.as_deref()),
            source: pool.get_opt(i.source.as_deref()),
            version: u32::try_from(i.version).ok()?,
            at,
            priority: i.priority,
            status: i.status,
            tier: i.tier,
        })
    }

    fn full(&self) -> Incident {
        Incident {
            id: self.id().to_string(),
            version: i64::from(self.version),
            title: self.title().to_string(),
            service_id: self.service_id.to_string(),
            priority: self.priority,
            status: self.status,
            tier: self.tier,
            assignee: self.assignee.as_deref().map(str::to_string),
            triggered_at: slim::instant(self.at[0]),
            updated_at: slim::instant(self.at[1]),
            acknowledged_at: slim::instant_opt(self.at[2]),
            resolved_at: slim::instant_opt(self.at[3]),
            timeline: Vec::new(),
            source: self.source.as_deref().map(str::to_string),
        }
    }

    fn id(&self) -> &str {
        slim::id_of(&self.id_title, self.split)
    }

    fn version(&self) -> i64 {
        i64::from(self.version)
    }

    fn matches(&self, filter: &Filter) -> bool {
        matches(
            filter,
            self.id(),
            self.priority,
            self.status,
            &self.service_id,
            self.title(),
            self.assignee.as_deref(),
            self.tier,
            self.source.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::list::Item;

    #[test]
    fn a_compact_incident_is_the_incident_without_its_timeline_and_filters_alike() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-05T14:00:00.5Z").unwrap().to_utc();
        let mut pool = Pool::default();
        for mut incident in crate::fixtures::many_incidents(50, now) {
            incident.source = Some("prod-alertmanager".into());
            let slim = SlimIncident::slim(&incident, &mut pool).unwrap();
            assert!(!incident.timeline.is_empty());
            let full = slim.full();
            assert_eq!(full, Incident { timeline: Vec::new(), ..incident.clone() });
            for text in ["inc-1000", "llm", "resolved", "p2", "dana", "prod-alert", "region 3", "nothing like it"] {
                let filter = Filter::new(text);
                assert_eq!(slim.matches(&filter), incident.matches(&filter), "{text} on {}", incident.id);
            }
        }
    }

    #[test]
    fn what_a_compact_row_cannot_hold_exactly_is_kept_in_full() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-05T14:00:00Z").unwrap().to_utc();
        let mut pool = Pool::default();
        let incident = crate::fixtures::many_incidents(1, now).remove(0);
        let far = chrono::DateTime::parse_from_rfc3339("2300-01-01T00:00:00Z").unwrap().to_utc();
        assert!(SlimIncident::slim(&Incident { resolved_at: Some(far), ..incident.clone() }, &mut pool).is_none());
        assert!(
            SlimIncident::slim(&Incident { version: i64::from(u32::MAX) + 1, ..incident.clone() }, &mut pool).is_none()
        );
        assert!(SlimIncident::slim(&incident, &mut pool).is_some());
    }

    #[test]
    fn the_order_word_sorts_by_rank_then_newest_first() {
        use super::super::IncidentOrder;
        let o = IncidentOrder::new;
        assert!(o(1, 5_000) < o(1, 4_000), "newer first within a rank");
        assert!(o(1, 0) < o(2, 9_000_000_000_000), "rank first");
        assert!(o(9, 1) > o(8, 1));
        assert_eq!(o(3, -5), o(3, 0), "before 1970 counts as 1970");
        assert!(o(3, i64::MAX) <= o(3, 1 << 56), "far future clamped, still in its rank");
        assert!(o(3, i64::MAX) > o(2, 0));
    }
}
