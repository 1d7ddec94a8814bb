//! Drift windows from a feature exported as a Prometheus histogram: per window, the increase of
//! each `_bucket` series over the window (`sum by (le) (increase(sel[window]))`), de-cumulated by
//! `le` into a [`Sample::Histogram`]; the reference is the same over the configured fixed range.

use std::collections::BTreeMap;

use super::client::Series;
use crate::domain::Sample;

/// The PromQL giving the bucket counts of `selector` over the `secs` before each evaluation.
pub fn increase_query(selector: &str, secs: i64) -> String {
    format!("sum by (le) (increase({selector}[{secs}s]))")
}

/// The histogram at each evaluation time from the cumulative `le` series, or none where nothing
/// was counted (no traffic is a gap, not a window of zeros). `le` values that do not read as
/// numbers are left out; `+Inf` becomes the overflow count.
pub fn histograms(series: &[Series]) -> BTreeMap<i64, Sample> {
    let mut by_time: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for s in series {
        let Some(le) = s.labels.get("le").and_then(|le| le.parse::<f64>().ok()) else { continue };
        if le.is_nan() {
            continue;
        }
        for (t, value) in &s.samples {
            if let Some(v) = value {
                by_time.entry(*t).or_default().push((le, *v));
            }
        }
    }
    by_time.into_iter().filter_map(|(t, buckets)| Some((t, decumulate(buckets)?))).collect()
}

/// Counts per bucket from cumulative counts by upper bound. A dip (counter resets make
/// `increase` estimates disagree a little across buckets) counts as zero, not negative.
pub fn decumulate(mut buckets: Vec<(f64, f64)>) -> Option<Sample> {
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    buckets.dedup_by(|a, b| a.0 == b.0);
    let (mut bounds, mut counts) = (Vec::new(), Vec::new());
    let mut below = 0.0_f64;
    let mut overflow = 0.0;
    for (le, cumulative) in buckets {
        let count = (cumulative - below).max(0.0);
        below = below.max(cumulative);
        if le.is_infinite() {
            overflow = count;
        } else {
            bounds.push(le);
            counts.push(count);
        }
    }
    counts.push(overflow);
    let sample = Sample::Histogram { bounds, counts };
    sample.problem().is_none().then_some(sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(bound: &str, samples: Vec<(i64, Option<f64>)>) -> Series {
        Series { labels: [("le".to_string(), bound.to_string())].into_iter().collect(), samples }
    }

    #[test]
    fn cumulative_buckets_become_counts_per_bucket_and_empty_windows_are_gaps() {
        let series = vec![
            le("+Inf", vec![(10, Some(10.0)), (20, Some(0.0))]),
            le("100", vec![(10, Some(3.0)), (20, Some(0.0))]),
            le("500", vec![(10, Some(9.0)), (20, Some(0.0))]),
            le("not-a-number", vec![(10, Some(99.0))]),
        ];
        let all = histograms(&series);
        assert_eq!(all.len(), 1, "nothing counted at 20: no window");
        assert_eq!(all[&10], Sample::Histogram { bounds: vec![100.0, 500.0], counts: vec![3.0, 6.0, 1.0] });
        // No +Inf bucket: nothing above the last bound; a dip counts as zero.
        let dip = decumulate(vec![(1.0, 2.0), (2.0, 1.5)]).unwrap();
        assert_eq!(dip, Sample::Histogram { bounds: vec![1.0, 2.0], counts: vec![2.0, 0.0, 0.0] });
        assert_eq!(increase_query("x_bucket{a=\"b\"}", 3600), "sum by (le) (increase(x_bucket{a=\"b\"}[3600s]))");
    }
}
