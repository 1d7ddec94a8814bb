//! Drift statistics between a reference and a current sample, computed the way SciPy users expect.
//!
//! Numeric features: two-sample Kolmogorov–Smirnov ([`ks_2samp`]), population stability index ([`psi`]),
//! Jensen–Shannon distance over the same bins ([`js_distance`]) and Wasserstein-1 ([`wasserstein_distance`]).
//! Categorical features: χ² on the 2×K contingency table ([`chi2_categorical`]) and PSI / JS over category
//! shares ([`psi_categorical`], [`js_categorical`]). Binned features (histogram buckets, no raw values):
//! PSI, χ² and JS over the counts ([`psi_counts`], [`chi2_counts`], [`js_counts`]); KS and Wasserstein
//! need raw values and have no binned form here. Everything is pure and never panics; bad input is a
//! [`DriftError`].

mod binning;
mod chi2;
mod ks;
pub mod special;
mod wasserstein;

pub use binning::{
    Binning, CategoricalPsi, Psi, js_categorical, js_counts, js_distance, psi, psi_categorical, psi_categories,
    psi_counts,
};
pub use chi2::{Chi2, chi2_categorical, chi2_counts};
pub use ks::{Ks, ks_2samp};
pub use wasserstein::wasserstein_distance;

/// The most bins [`psi`] and [`js_distance`] accept.
pub const MAX_BINS: usize = 100_000;

/// Why a drift statistic could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    #[error("the {0} sample is empty")]
    EmptySample(&'static str),
    #[error("the {sample} sample holds a non-finite value at index {index}")]
    NonFinite { sample: &'static str, index: usize },
    #[error("the number of bins must be between 1 and {max} (got {bins})", max = MAX_BINS)]
    InvalidBins { bins: usize },
    #[error("the test needs at least two categories, found {0}")]
    TooFewCategories(usize),
    #[error("the reference has {reference} bins but the current sample {current}")]
    BinMismatch { reference: usize, current: usize },
    #[error("the {sample} counts hold a negative or non-finite count at bin {index}")]
    BadCount { sample: &'static str, index: usize },
    #[error("a logarithm base must be finite, positive and not 1 (got {0})")]
    InvalidBase(f64),
}

/// Rejects an empty sample or one holding NaN or ±inf.
fn check_sample(sample: &'static str, values: &[f64]) -> Result<(), DriftError> {
    if values.is_empty() {
        return Err(DriftError::EmptySample(sample));
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DriftError::NonFinite { sample, index }),
        None => Ok(()),
    }
}

/// A sorted copy (`f64::total_cmp`).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// How many of the sorted `values` are ≤ `x` (NumPy's `searchsorted(values, x, side='right')`).
fn count_le(values: &[f64], x: f64) -> usize {
    values.partition_point(|v| *v <= x)
}
