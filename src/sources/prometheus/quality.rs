//! Quality points from PromQL answers: each query evaluated at window ends (`step` = the window)
//! gives, per window, the value of the metric it is mapped to. A window the answer has no sample
//! for, or a NaN/±Inf sample, leaves that metric missing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::client::Answer;
use super::config::Target;
use crate::domain::QualityPoint;

/// The value of an answer at each evaluation time. A query meant for one series that gives
/// several (labels not aggregated away) takes the first series in label order, so the choice is
/// stable; the poll reports it.
pub fn values_by_time(answer: &Answer) -> BTreeMap<i64, Option<f64>> {
    answer.series.first().map(|s| s.samples.iter().copied().collect()).unwrap_or_default()
}

/// Sets `target` on `point`.
pub fn set(point: &mut QualityPoint, target: Target, value: Option<f64>) {
    match target {
        Target::Requests => point.requests = value.map(|v| v.round().max(0.0) as u64),
        Target::Metric(metric) => point.set(metric, value),
    }
}

/// Empty points of `model` for the windows ending at `first_end`, `first_end + window`, … `last_end`.
pub fn empty_points(model: &str, first_end: i64, last_end: i64, window: i64) -> BTreeMap<i64, QualityPoint> {
    let mut out = BTreeMap::new();
    let mut end = first_end;
    while end <= last_end {
        if let (Some(s), Some(e)) = (at(end - window), at(end)) {
            out.insert(end, QualityPoint::empty(model, s, e));
        }
        end += window;
    }
    out
}

pub fn at(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::QualityMetric;
    use crate::sources::prometheus::client::Series;

    #[test]
    fn each_window_gets_the_sample_at_its_end_and_a_missing_one_stays_missing() {
        let answer = Answer {
            series: vec![Series { labels: BTreeMap::new(), samples: vec![(7200, Some(0.25)), (14400, None)] }],
            warnings: Vec::new(),
        };
        let values = values_by_time(&answer);
        let mut points = empty_points("m", 7200, 14400, 3600);
        for (end, point) in points.iter_mut() {
            set(point, Target::Metric(QualityMetric::ErrorRate), values.get(end).copied().flatten());
        }
        let rates: Vec<Option<f64>> = points.values().map(|p| p.error_rate).collect();
        assert_eq!(rates, [Some(0.25), None, None]);
        assert_eq!(points[&7200].start.timestamp(), 3600);
        let mut point = points[&7200].clone();
        set(&mut point, Target::Requests, Some(41.6));
        assert_eq!(point.requests, Some(42));
        assert!(values_by_time(&Answer::default()).is_empty());
    }
}
