//! Support tiers, services and the escalation policies that say whom each tier pages.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Support tier an incident is escalated to: T1 first response … T4 engineering and leadership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub enum Tier {
    T1,
    T2,
    T3,
    T4,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::T1, Tier::T2, Tier::T3, Tier::T4];

    pub fn label(self) -> &'static str {
        match self {
            Tier::T1 => "T1",
            Tier::T2 => "T2",
            Tier::T3 => "T3",
            Tier::T4 => "T4",
        }
    }

    /// What the tier does, as the support plan names it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::T1 => "first response",
            Tier::T2 => "technical",
            Tier::T3 => "expert / AI-ML",
            Tier::T4 => "engineering / leadership",
        }
    }

    /// The tier an escalation moves to, or `None` at the top.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::T1 => Some(Tier::T2),
            Tier::T2 => Some(Tier::T3),
            Tier::T3 => Some(Tier::T4),
            Tier::T4 => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EscalationLevel {
    pub tier: Tier,
    /// Who is paged at this level, first one first.
    pub targets: Vec<String>,
    /// Minutes without acknowledgement before the incident moves to the next level.
    pub escalate_after_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EscalationPolicy {
    pub id: String,
    pub name: String,
    pub levels: Vec<EscalationLevel>,
}

impl EscalationPolicy {
    pub fn level(&self, tier: Tier) -> Option<&EscalationLevel> {
        self.levels.iter().find(|l| l.tier == tier)
    }

    /// The first target paged at `tier`, if the policy has one.
    pub fn target_for(&self, tier: Tier) -> Option<&str> {
        self.level(tier).and_then(|l| l.targets.first()).map(String::as_str)
    }
}

/// A monitored service, e.g. `llm-gateway`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub description: String,
    pub escalation_policy_id: String,
}
