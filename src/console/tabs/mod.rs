//! One module per tab: its state and the pure operations `update` uses on it.

pub mod calendar;
pub mod drift;
pub mod incidents;
pub mod postmortems;
pub mod sla;
pub mod tickets;

/// The tabs, in the order of the tab bar and the number keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TabId {
    #[default]
    Incidents,
    Tickets,
    Sla,
    Drift,
    Calendar,
    Postmortems,
}

impl TabId {
    pub const ALL: [TabId; 6] =
        [TabId::Incidents, TabId::Tickets, TabId::Sla, TabId::Drift, TabId::Calendar, TabId::Postmortems];

    pub fn title(self) -> &'static str {
        match self {
            TabId::Incidents => "Incidents",
            TabId::Tickets => "Tickets",
            TabId::Sla => "SLA",
            TabId::Drift => "Drift",
            TabId::Calendar => "Calendar",
            TabId::Postmortems => "Postmortems",
        }
    }

    /// The name in the tab bar on narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            TabId::Incidents => "Inc",
            TabId::Tickets => "Tix",
            TabId::Sla => "SLA",
            TabId::Drift => "Drift",
            TabId::Calendar => "Cal",
            TabId::Postmortems => "PM",
        }
    }

    fn index(self) -> usize {
        TabId::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn number(self) -> usize {
        self.index() + 1
    }

    pub fn next(self) -> TabId {
        TabId::ALL[(self.index() + 1) % TabId::ALL.len()]
    }

    pub fn prev(self) -> TabId {
        TabId::ALL[(self.index() + TabId::ALL.len() - 1) % TabId::ALL.len()]
    }
}
