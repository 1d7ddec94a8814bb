//! The incidents a store's process wrote last, decoded, so the next action on one need not read
//! and parse its whole timeline again: a note on an incident of 1,000 events then costs what it
//! costs on an empty one. Each is kept under the sequence number of the write that made it; a
//! transaction takes one only when the database still has that write (no other replica, source
//! or process changed the incident since), so what a decision sees is what the database holds.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::Incident;

/// How many incidents are kept: the ones a team is working on at once, with room to spare.
pub const KEPT: usize = 64;

#[derive(Default)]
pub struct Decoded {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// Incident id → (the seq of the write that stored it, when it was last put, the incident).
    by_id: HashMap<String, (i64, u64, Incident)>,
    clock: u64,
}

impl Decoded {
    /// The incident `id` as the write at `seq` stored it, if it is kept (taken out: the caller
    /// puts back what it writes).
    pub fn take(&self, id: &str, seq: i64) -> Option<Incident> {
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (at, _, _) = kept.by_id.get(id)?;
        if *at != seq {
            kept.by_id.remove(id);
            return None;
        }
        kept.by_id.remove(id).map(|(_, _, incident)| incident)
    }

    /// Keeps `incident` as the committed write at `seq` stored it; past [`KEPT`], the one put
    /// longest ago goes.
    pub fn put(&self, seq: i64, incident: Incident) {
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.clock += 1;
        let clock = kept.clock;
        if kept.by_id.len() >= KEPT && !kept.by_id.contains_key(&incident.id) {
            let oldest = kept.by_id.iter().min_by_key(|(_, (_, put, _))| *put).map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                kept.by_id.remove(&oldest);
            }
        }
        kept.by_id.insert(incident.id.clone(), (seq, clock, incident));
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.kept.lock().map(|kept| kept.by_id.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NewIncident, Priority};

    fn incident(id: &str) -> Incident {
        let new = NewIncident { title: "t".into(), service_id: "s".into(), priority: Priority::P3 };
        Incident::trigger(id.into(), new, "api", chrono::Utc::now(), None)
    }

    #[test]
    fn an_incident_is_taken_only_at_the_write_that_stored_it() {
        let decoded = Decoded::default();
        decoded.put(7, incident("INC-1"));
        assert!(decoded.take("INC-1", 8).is_none(), "written since by someone else");
        assert!(decoded.is_empty(), "and forgotten");
        decoded.put(9, incident("INC-1"));
        assert_eq!(decoded.take("INC-1", 9).map(|i| i.id), Some("INC-1".into()));
        assert!(decoded.take("INC-1", 9).is_none(), "taken out");
    }

    #[test]
    fn past_the_bound_the_one_put_longest_ago_goes() {
        let decoded = Decoded::default();
        for n in 0..KEPT as i64 {
            decoded.put(n, incident(&format!("INC-{n}")));
        }
        decoded.put(1_000, incident("INC-new"));
        assert_eq!(decoded.len(), KEPT);
        assert!(decoded.take("INC-0", 0).is_none(), "the oldest went");
        assert!(decoded.take("INC-1", 1).is_some());
        assert!(decoded.take("INC-new", 1_000).is_some());
    }
}
