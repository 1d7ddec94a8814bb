//! Wasserstein-1 (earth mover's) distance between two raw samples, as `scipy.stats.wasserstein_distance`.

use super::{DriftError, check_sample, count_le, sorted};

/// `∫ |F_a(x) − F_b(x)| dx` over the empirical CDFs of `a` and `b`.
pub fn wasserstein_distance(a: &[f64], b: &[f64]) -> Result<f64, DriftError> {
    check_sample("a", a)?;
    check_sample("b", b)?;
    let (a, b) = (sorted(a), sorted(b));
    let mut all: Vec<f64> = a.iter().chain(&b).copied().collect();
    all.sort_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let total = all
        .windows(2)
        .map(|w| {
            let cdf_a = count_le(&a, w[0]) as f64 / na;
            let cdf_b = count_le(&b, w[0]) as f64 / nb;
            (cdf_a - cdf_b).abs() * (w[1] - w[0])
        })
        .sum();
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shifted_point_masses() {
        assert_eq!(wasserstein_distance(&[0.0], &[3.0]).unwrap(), 3.0);
        assert!((wasserstein_distance(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]).unwrap() - 5.0).abs() < 1e-12);
        assert_eq!(wasserstein_distance(&[], &[1.0]), Err(DriftError::EmptySample("a")));
        assert_eq!(wasserstein_distance(&[1.0], &[f64::NAN]), Err(DriftError::NonFinite { sample: "b", index: 0 }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn symmetric_and_non_negative(
            a in prop::collection::vec(-1e3f64..1e3, 1..40),
            b in prop::collection::vec(-1e3f64..1e3, 1..40),
        ) {
            let ab = wasserstein_distance(&a, &b).unwrap();
            let ba = wasserstein_distance(&b, &a).unwrap();
            prop_assert!(ab >= 0.0);
            prop_assert!((ab - ba).abs() <= 1e-9 * ab.max(1.0));
            prop_assert_eq!(wasserstein_distance(&a, &a).unwrap(), 0.0);
        }
    }
}
