//! What the console's tasks hand each other that belongs to no tab and is not the domain's: the
//! drift statistics the UI task asks for ([`DriftJob`], in `Effect::ComputeDrift`) and what the
//! blocking thread that computes them sends back ([`DriftResults`], in `Event::DriftComputed`).
//!
//! Plain data and pure functions over the domain, so the event and effect modules need no tab.

use chrono::{DateTime, Utc};

use crate::domain::Sample;
use crate::domain::monitoring::{WindowStats, window_stats};

/// Statistics to compute away from the UI task: a feature's reference and the windows that lack them.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftJob {
    pub model: String,
    pub feature: String,
    pub reference: Sample,
    pub windows: Vec<(DateTime<Utc>, Sample)>,
}

/// What a [`DriftJob`] found: per window start, the sample size and the statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftResults {
    pub model: String,
    pub feature: String,
    pub windows: Vec<(DateTime<Utc>, usize, Result<WindowStats, String>)>,
}

impl DriftJob {
    /// Compares every window with the reference. Pure, and slow enough to keep off the UI task.
    pub fn run(self) -> DriftResults {
        let windows = self
            .windows
            .into_iter()
            .map(|(start, sample)| {
                (start, sample.len(), window_stats(&self.reference, &sample).map_err(|e| e.to_string()))
            })
            .collect();
        DriftResults { model: self.model, feature: self.feature, windows }
    }
}
