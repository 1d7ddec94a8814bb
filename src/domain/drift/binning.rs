//! Binned drift measures on numeric features — population stability index and Jensen–Shannon distance over
//! the same reference-derived bins — their categorical counterparts over category shares, and both over
//! counts already binned (a Prometheus histogram's buckets: [`psi_counts`], [`js_counts`]).

use super::chi2::category_counts;
use super::{DriftError, check_sample, count_le, sorted};

/// A share of exactly zero is replaced by this in PSI (no renormalisation).
const PSI_FLOOR: f64 = 1e-4;

/// How the bin edges are derived from the reference sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Binning {
    /// Inner edges `min + k·(max − min)/B`, `k = 1..B`.
    #[default]
    EqualWidth,
    /// Inner edges at the reference quantiles `k/B` (linear interpolation, NumPy's default `np.quantile`).
    Quantile,
}

/// A population stability index with its per-bin breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Psi {
    /// `Σ (cur_i − ref_i) · ln(cur_i / ref_i)`.
    pub value: f64,
    /// The `B − 1` inner edges; a value's bin is the number of inner edges ≤ it.
    pub edges: Vec<f64>,
    pub reference_shares: Vec<f64>,
    pub current_shares: Vec<f64>,
    /// The per-bin term `(cur_i − ref_i) · ln(cur_i / ref_i)` after the zero-share replacement.
    pub contributions: Vec<f64>,
}

/// PSI of `current` against `reference` over `bins` bins derived from the reference.
pub fn psi(reference: &[f64], current: &[f64], bins: usize, binning: Binning) -> Result<Psi, DriftError> {
    let Binned { edges, reference: reference_shares, current: current_shares } =
        binned_shares(reference, current, bins, binning)?;
    let (value, contributions) = psi_terms(&reference_shares, &current_shares);
    Ok(Psi { value, edges, reference_shares, current_shares, contributions })
}

/// Jensen–Shannon distance between the binned shares (same bins as [`psi`], no zero replacement), as
/// `scipy.spatial.distance.jensenshannon(p, q, base)`; `None` is the natural log.
pub fn js_distance(
    reference: &[f64],
    current: &[f64],
    bins: usize,
    binning: Binning,
    base: Option<f64>,
) -> Result<f64, DriftError> {
    check_base(base)?;
    let binned = binned_shares(reference, current, bins, binning)?;
    Ok(jensen_shannon(&binned.reference, &binned.current, base))
}

/// PSI over category shares (categories in the sorted union; the 1e-4 rule for unseen categories).
pub fn psi_categorical(reference: &[&str], current: &[&str]) -> Result<f64, DriftError> {
    Ok(psi_categories(reference, current)?.value)
}

/// A categorical PSI with its per-category breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalPsi {
    pub value: f64,
    /// The sorted union of categories seen in either sample.
    pub categories: Vec<String>,
    pub reference_shares: Vec<f64>,
    pub current_shares: Vec<f64>,
    /// Each category's term of the sum, after the zero-share replacement.
    pub contributions: Vec<f64>,
}

/// [`psi_categorical`] with the shares and contribution of every category.
pub fn psi_categories(reference: &[&str], current: &[&str]) -> Result<CategoricalPsi, DriftError> {
    let counts = category_counts(reference, current)?;
    let (reference_shares, current_shares) = (shares(&counts.reference), shares(&counts.current));
    let (value, contributions) = psi_terms(&reference_shares, &current_shares);
    let categories = counts.categories.iter().map(|c| c.to_string()).collect();
    Ok(CategoricalPsi { value, categories, reference_shares, current_shares, contributions })
}

/// Jensen–Shannon distance over category shares.
pub fn js_categorical(reference: &[&str], current: &[&str], base: Option<f64>) -> Result<f64, DriftError> {
    check_base(base)?;
    let counts = category_counts(reference, current)?;
    Ok(jensen_shannon(&shares(&counts.reference), &shares(&counts.current), base))
}

/// PSI over counts already binned (a histogram's buckets, reference and current over the same
/// bounds): the shares are the counts over their totals, then as [`psi`]. `edges` is empty: the
/// caller knows the bounds.
pub fn psi_counts(reference: &[f64], current: &[f64]) -> Result<Psi, DriftError> {
    check_counts(reference, current)?;
    let (reference_shares, current_shares) = (shares(reference), shares(current));
    let (value, contributions) = psi_terms(&reference_shares, &current_shares);
    Ok(Psi { value, edges: Vec::new(), reference_shares, current_shares, contributions })
}

/// Jensen–Shannon distance over counts already binned, as [`js_distance`] over the same bins.
pub fn js_counts(reference: &[f64], current: &[f64], base: Option<f64>) -> Result<f64, DriftError> {
    check_base(base)?;
    check_counts(reference, current)?;
    Ok(jensen_shannon(&shares(reference), &shares(current), base))
}

/// Two count vectors over the same bins: equal lengths, each count finite and not negative, and
/// something counted in each.
pub(super) fn check_counts(reference: &[f64], current: &[f64]) -> Result<(), DriftError> {
    if reference.len() != current.len() {
        return Err(DriftError::BinMismatch { reference: reference.len(), current: current.len() });
    }
    if reference.is_empty() || reference.len() > super::MAX_BINS {
        return Err(DriftError::InvalidBins { bins: reference.len() });
    }
    for (sample, counts) in [("reference", reference), ("current", current)] {
        if let Some(index) = counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
            return Err(DriftError::BadCount { sample, index });
        }
        if counts.iter().sum::<f64>() <= 0.0 {
            return Err(DriftError::EmptySample(sample));
        }
    }
    Ok(())
}

fn check_base(base: Option<f64>) -> Result<(), DriftError> {
    match base {
        Some(b) if !(b.is_finite() && b > 0.0 && b != 1.0) => Err(DriftError::InvalidBase(b)),
        _ => Ok(()),
    }
}

fn shares(counts: &[f64]) -> Vec<f64> {
    let n: f64 = counts.iter().sum();
    counts.iter().map(|c| c / n).collect()
}

/// Inner edges with the reference and current shares per bin.
struct Binned {
    edges: Vec<f64>,
    reference: Vec<f64>,
    current: Vec<f64>,
}

fn binned_shares(reference: &[f64], current: &[f64], bins: usize, binning: Binning) -> Result<Binned, DriftError> {
    check_sample("reference", reference)?;
    check_sample("current", current)?;
    if bins == 0 || bins > super::MAX_BINS {
        return Err(DriftError::InvalidBins { bins });
    }
    let sorted_ref = sorted(reference);
    let edges = match binning {
        Binning::EqualWidth => equal_width_edges(&sorted_ref, bins),
        Binning::Quantile => quantile_edges(&sorted_ref, bins),
    };
    let count = |values: &[f64]| {
        let mut counts = vec![0.0; bins];
        for &v in values {
            counts[count_le(&edges, v)] += 1.0;
        }
        shares(&counts)
    };
    let (reference, current) = (count(reference), count(current));
    Ok(Binned { edges, reference, current })
}

fn equal_width_edges(sorted_ref: &[f64], bins: usize) -> Vec<f64> {
    let (min, max) = (sorted_ref[0], sorted_ref[sorted_ref.len() - 1]);
    let b = bins as f64;
    (1..bins).map(|k| min + k as f64 * (max - min) / b).collect()
}

/// `np.quantile(sorted_ref, k / bins)` for `k = 1..bins` (method `linear`, NumPy's two-sided lerp).
fn quantile_edges(sorted_ref: &[f64], bins: usize) -> Vec<f64> {
    let last = sorted_ref.len() - 1;
    (1..bins)
        .map(|k| {
            let q = k as f64 / bins as f64;
            let index = last as f64 * q;
            let lo = (index.floor() as usize).min(last);
            let hi = (lo + 1).min(last);
            let t = index - lo as f64;
            let (a, b) = (sorted_ref[lo], sorted_ref[hi]);
            let diff = b - a;
            if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
        })
        .collect()
}

/// The PSI total and per-bin terms, with exact-zero shares replaced by [`PSI_FLOOR`].
fn psi_terms(reference: &[f64], current: &[f64]) -> (f64, Vec<f64>) {
    let floor = |s: f64| if s == 0.0 { PSI_FLOOR } else { s };
    let contributions: Vec<f64> = reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let (r, c) = (floor(r), floor(c));
            (c - r) * (c / r).ln()
        })
        .collect();
    (contributions.iter().sum(), contributions)
}

/// `x · ln(x / y)` with SciPy's `rel_entr` conventions for zeros.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn jensen_shannon(p: &[f64], q: &[f64], base: Option<f64>) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    let (mut left, mut right) = (0.0, 0.0);
    for (&pi, &qi) in p.iter().zip(q) {
        let (pi, qi) = (pi / sp, qi / sq);
        let m = (pi + qi) / 2.0;
        left += rel_entr(pi, m);
        right += rel_entr(qi, m);
    }
    let mut js = left + right;
    if let Some(b) = base {
        js /= b.ln();
    }
    (js / 2.0).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges_follow_the_conventions() {
        let r: Vec<f64> = (0..=10).map(f64::from).collect();
        let p = psi(&r, &r, 5, Binning::EqualWidth).unwrap();
        assert_eq!(p.edges, vec![2.0, 4.0, 6.0, 8.0]);
        assert_eq!(p.value, 0.0);
        // np.quantile(range(11), [0.25, 0.5, 0.75]) == [2.5, 5, 7.5]
        let q = psi(&r, &r, 4, Binning::Quantile).unwrap();
        assert_eq!(q.edges, vec![2.5, 5.0, 7.5]);
        assert_eq!(q.reference_shares, vec![3.0 / 11.0, 2.0 / 11.0, 3.0 / 11.0, 3.0 / 11.0]);
    }

    #[test]
    fn out_of_range_values_fall_in_end_bins_and_zero_shares_use_the_floor() {
        let p = psi(&[0.0, 1.0], &[-5.0, 5.0, 5.0, 5.0], 2, Binning::EqualWidth).unwrap();
        assert_eq!(p.current_shares, vec![0.25, 0.75]);
        let only_low = psi(&[0.0, 1.0], &[-1.0], 2, Binning::EqualWidth).unwrap();
        assert_eq!(only_low.current_shares, vec![1.0, 0.0]);
        let expected = (1.0 - 0.5) * (1.0f64 / 0.5).ln() + (1e-4 - 0.5) * (1e-4f64 / 0.5).ln();
        assert!((only_low.value - expected).abs() < 1e-15);
    }

    #[test]
    fn invalid_input_is_an_error() {
        assert_eq!(psi(&[1.0], &[1.0], 0, Binning::Quantile), Err(DriftError::InvalidBins { bins: 0 }));
        assert_eq!(
            psi(&[1.0], &[1.0], usize::MAX, Binning::Quantile),
            Err(DriftError::InvalidBins { bins: usize::MAX })
        );
        assert_eq!(js_distance(&[1.0], &[1.0], 3, Binning::Quantile, Some(1.0)), Err(DriftError::InvalidBase(1.0)));
        assert_eq!(psi(&[1.0], &[], 3, Binning::Quantile), Err(DriftError::EmptySample("current")));
    }

    #[test]
    fn counts_binned_elsewhere_give_what_the_raw_values_give() {
        let r: Vec<f64> = (0..40).map(|i| f64::from(i % 10)).collect();
        let c: Vec<f64> = (0..30).map(|i| f64::from(i % 7) + 2.0).collect();
        let from_values = psi(&r, &c, 5, Binning::EqualWidth).unwrap();
        let count = |values: &[f64]| {
            let mut counts = vec![0.0; 5];
            for &v in values {
                counts[count_le(&from_values.edges, v)] += 1.0;
            }
            counts
        };
        let (rc, cc) = (count(&r), count(&c));
        let from_counts = psi_counts(&rc, &cc).unwrap();
        assert!((from_counts.value - from_values.value).abs() < 1e-12);
        assert_eq!(from_counts.contributions, from_values.contributions);
        let js = js_distance(&r, &c, 5, Binning::EqualWidth, None).unwrap();
        assert!((js_counts(&rc, &cc, None).unwrap() - js).abs() < 1e-12);
        assert_eq!(psi_counts(&[0.0, 0.0], &[1.0, 1.0]).unwrap_err(), DriftError::EmptySample("reference"));
        assert_eq!(js_counts(&[], &[], None).unwrap_err(), DriftError::InvalidBins { bins: 0 });
        assert!(matches!(psi_counts(&[1.0, f64::NAN], &[1.0, 1.0]), Err(DriftError::BadCount { index: 1, .. })));
    }

    #[test]
    fn disjoint_categories_reach_the_js_bound() {
        let js = js_categorical(&["a", "a"], &["b"], Some(2.0)).unwrap();
        assert!((js - 1.0).abs() < 1e-15);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn psi_and_js_properties(
            a in prop::collection::vec(-100f64..100.0, 1..80),
            b in prop::collection::vec(-100f64..100.0, 1..80),
            bins in 1usize..12,
            quantile in any::<bool>(),
        ) {
            let binning = if quantile { Binning::Quantile } else { Binning::EqualWidth };
            let p = psi(&a, &b, bins, binning).unwrap();
            prop_assert!(p.value >= 0.0);
            prop_assert!(p.contributions.iter().all(|c| *c >= 0.0));
            prop_assert_eq!(psi(&a, &a, bins, binning).unwrap().value, 0.0);
            let js = js_distance(&a, &b, bins, binning, None).unwrap();
            prop_assert!((0.0..=std::f64::consts::LN_2.sqrt() + 1e-12).contains(&js));
            prop_assert_eq!(js_distance(&a, &a, bins, binning, None).unwrap(), 0.0);
        }

        #[test]
        fn js_is_symmetric_over_shared_bins(
            p in prop::collection::vec(0u32..20, 1..12),
            q in prop::collection::vec(0u32..20, 1..12),
        ) {
            let n = p.len().min(q.len());
            let (mut p, mut q): (Vec<f64>, Vec<f64>) =
                (p[..n].iter().map(|&x| f64::from(x)).collect(), q[..n].iter().map(|&x| f64::from(x)).collect());
            p[0] += 1.0;
            q[0] += 1.0;
            prop_assert_eq!(jensen_shannon(&p, &q, None), jensen_shannon(&q, &p, None));
            prop_assert!(jensen_shannon(&p, &q, None) <= std::f64::consts::LN_2.sqrt() + 1e-12);
        }
    }
}
