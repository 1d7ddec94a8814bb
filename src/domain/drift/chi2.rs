//! χ² test of homogeneity for a categorical feature: reference vs current counts over the sorted union of
//! categories, as `scipy.stats.chi2_contingency(table, correction=False)`; the same over a histogram's
//! bucket counts ([`chi2_counts`]).

use super::DriftError;
use super::special::chi2_sf;
use std::collections::BTreeMap;

/// Pearson's χ² statistic, its p-value and the degrees of freedom (`K − 1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi2 {
    pub statistic: f64,
    pub pvalue: f64,
    pub dof: usize,
}

/// Counts per category over the sorted union of both samples.
pub(super) struct CategoryCounts<'a> {
    pub categories: Vec<&'a str>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

pub(super) fn category_counts<'a>(
    reference: &[&'a str],
    current: &[&'a str],
) -> Result<CategoryCounts<'a>, DriftError> {
    if reference.is_empty() {
        return Err(DriftError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(DriftError::EmptySample("current"));
    }
    let mut table: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in reference {
        table.entry(c).or_default().0 += 1;
    }
    for c in current {
        table.entry(c).or_default().1 += 1;
    }
    Ok(CategoryCounts {
        categories: table.keys().copied().collect(),
        reference: table.values().map(|(r, _)| *r as f64).collect(),
        current: table.values().map(|(_, c)| *c as f64).collect(),
    })
}

/// χ² on the 2×K table, no continuity correction. Needs at least two categories in the union.
pub fn chi2_categorical(reference: &[&str], current: &[&str]) -> Result<Chi2, DriftError> {
    let counts = category_counts(reference, current)?;
    table_chi2(&counts.reference, &counts.current)
}

/// χ² on the 2×K table of counts already binned (a histogram's buckets, both over the same
/// bounds). A bin empty in both has no expected count and is left out, as a category seen in
/// neither sample is; at least two bins must remain.
pub fn chi2_counts(reference: &[f64], current: &[f64]) -> Result<Chi2, DriftError> {
    super::binning::check_counts(reference, current)?;
    let (reference, current): (Vec<f64>, Vec<f64>) =
        reference.iter().zip(current).filter(|(r, c)| **r + **c > 0.0).map(|(r, c)| (*r, *c)).unzip();
    table_chi2(&reference, &current)
}

fn table_chi2(reference: &[f64], current: &[f64]) -> Result<Chi2, DriftError> {
    let k = reference.len();
    if k < 2 {
        return Err(DriftError::TooFewCategories(k));
    }
    let rows = [reference, current];
    let row_sums: Vec<f64> = rows.iter().map(|r| r.iter().sum()).collect();
    let total: f64 = row_sums.iter().sum();
    let mut statistic = 0.0;
    for (row, row_sum) in rows.iter().zip(&row_sums) {
        for (j, observed) in row.iter().enumerate() {
            let col_sum = reference[j] + current[j];
            let expected = row_sum * col_sum / total;
            statistic += (observed - expected).powi(2) / expected;
        }
    }
    let dof = k - 1;
    Ok(Chi2 { statistic, pvalue: chi2_sf(statistic, dof as f64), dof })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_on_a_small_table() {
        // scipy.stats.chi2_contingency([[2, 1, 1], [1, 2, 3]], correction=False)
        let r = ["a", "a", "b", "c"];
        let c = ["a", "b", "b", "c", "c", "c"];
        let chi = chi2_categorical(&r, &c).unwrap();
        assert_eq!(chi.dof, 2);
        assert!((chi.statistic - 1.319_444_444_444_444_9).abs() < 1e-12, "{}", chi.statistic);
        assert!((chi.pvalue - 0.516_994_924_248_934_5).abs() < 1e-12, "{}", chi.pvalue);
    }

    #[test]
    fn rejects_degenerate_input() {
        assert_eq!(chi2_categorical(&["a"], &["a", "a"]), Err(DriftError::TooFewCategories(1)));
        assert_eq!(chi2_categorical(&[], &["a"]), Err(DriftError::EmptySample("reference")));
        assert_eq!(chi2_categorical(&["a"], &[]), Err(DriftError::EmptySample("current")));
    }

    #[test]
    fn bucket_counts_give_the_same_table_with_empty_bins_left_out() {
        // The same table as above, as bucket counts with an empty overflow bucket.
        let chi = chi2_counts(&[2.0, 1.0, 1.0, 0.0], &[1.0, 2.0, 3.0, 0.0]).unwrap();
        let categorical = chi2_categorical(&["a", "a", "b", "c"], &["a", "b", "b", "c", "c", "c"]).unwrap();
        assert_eq!(chi, categorical);
        assert_eq!(chi2_counts(&[1.0, 0.0], &[2.0, 0.0]), Err(DriftError::TooFewCategories(1)));
        assert_eq!(chi2_counts(&[1.0], &[2.0, 0.0]), Err(DriftError::BinMismatch { reference: 1, current: 2 }));
        assert_eq!(chi2_counts(&[1.0, -1.0], &[2.0, 0.0]), Err(DriftError::BadCount { sample: "reference", index: 1 }));
        assert_eq!(chi2_counts(&[1.0, 1.0], &[0.0, 0.0]), Err(DriftError::EmptySample("current")));
    }
}
