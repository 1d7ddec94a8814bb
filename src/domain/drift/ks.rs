//! Two-sample, two-sided Kolmogorov–Smirnov test with SciPy's `ks_2samp(method='auto')` decision rule: the exact
//! lattice-path p-value when both samples hold at most 10 000 values, otherwise (or if the exact computation
//! fails) the distribution of the one-sample `D_N` with `N = round(n₁n₂ / (n₁ + n₂))`.

use super::special::kolmogn_sf;
use super::{DriftError, check_sample, count_le, sorted};

/// SciPy's `MAX_AUTO_N`: above this sample size `method='auto'` goes asymptotic.
const MAX_EXACT_N: usize = 10_000;

/// The KS statistic `D = sup |F_a − F_b|` and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ks {
    pub statistic: f64,
    pub pvalue: f64,
}

/// As `scipy.stats.ks_2samp(a, b, alternative='two-sided', method='auto')`.
///
/// `D` is measured at every pooled value with right-continuous ECDFs, so ties are handled as SciPy does. When
/// the exact method is used the statistic is, like SciPy's, the rounded `h / lcm(n₁, n₂)`.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Result<Ks, DriftError> {
    check_sample("a", a)?;
    check_sample("b", b)?;
    let (a, b) = (sorted(a), sorted(b));
    let (n1, n2) = (a.len(), b.len());
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let mut max_s = f64::NEG_INFINITY;
    let mut min_diff = f64::INFINITY;
    for &x in a.iter().chain(&b) {
        let diff = count_le(&a, x) as f64 / n1f - count_le(&b, x) as f64 / n2f;
        max_s = max_s.max(diff);
        min_diff = min_diff.min(diff);
    }
    let min_s = (-min_diff).clamp(0.0, 1.0);
    let mut d = if min_s > max_s { min_s } else { max_s };

    if n1.max(n2) <= MAX_EXACT_N {
        let (d_exact, prob) = exact_two_sided(n1 as u64, n2 as u64, d);
        d = d_exact;
        if let Some(p) = prob {
            return Ok(Ks { statistic: d, pvalue: p.clamp(0.0, 1.0) });
        }
    }
    let (m, n) = if n1f >= n2f { (n1f, n2f) } else { (n2f, n1f) };
    let en = (m * n / (m + n)).round_ties_even();
    let pvalue = kolmogn_sf(en as u64, d).clamp(0.0, 1.0);
    Ok(Ks { statistic: d, pvalue })
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// SciPy's `_attempt_exact_2kssamp` (two-sided): the statistic snapped to the lattice, and the exact p-value or
/// `None` when the computation is not trustworthy.
fn exact_two_sided(n1: u64, n2: u64, d: f64) -> (f64, Option<f64>) {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as u64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return (d, Some(1.0));
    }
    let prob = if n1 == n2 { prob_outside_square(n1, h) } else { outer_prob_inside(n1, n2, g, h) };
    if prob.is_finite() && (0.0..=1.0).contains(&prob) { (d, Some(prob)) } else { (d, None) }
}

/// `P(D_{n,n} ≥ h/n)`: SciPy's `_compute_prob_outside_square`, a Horner form of the alternating binomial sum.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Share of lattice paths from (0,0) to (m,n) leaving the band `|x/m − y/n| < h/lcm`: SciPy's
/// `_compute_outer_prob_inside_method` (Hodges' inside method with Viehmann's recursion for `1 − p`). NaN if an
/// index would fall outside the window (SciPy would fail and go asymptotic).
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n as i64, m as i64) } else { (m as i64, n as i64) };
    let (g, h) = (g as i64, h as i64);
    let (mg, ng) = (m / g, n / g);
    let ceil_div = |num: i64, den: i64| (num as f64 / den as f64).ceil() as i64;
    let floor_div = |num: i64, den: i64| (num as f64 / den as f64).floor() as i64;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1).max(1) as usize;
    let mut a = vec![1.0f64; len_a];
    for slot in a.iter_mut().take(maxj.max(0) as usize) {
        *slot = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let Some(&prev) = a.get((jj + minj - lastminj) as usize) else { return f64::NAN };
            val = (prev * i as f64 + val * j as f64) / (i + j) as f64;
            let Some(slot) = a.get_mut(jj as usize) else { return f64::NAN };
            *slot = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (lastlen - curlen) as usize).min(a.len());
            for slot in a.iter_mut().take(end).skip(start) {
                *slot = 1.0;
            }
        }
    }
    a.get((maxj - minj - 1) as usize).copied().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_exact_cases_match_scipy() {
        // scipy.stats.ks_2samp([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8, 9])
        let ks = ks_2samp(&[1.0, 2.0, 3.0, 4.0, 5.0], &[3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]).unwrap();
        assert!((ks.statistic - 0.571_428_571_428_571_4).abs() < 1e-12);
        assert!((ks.pvalue - 0.237_373_737_373_737_38).abs() < 1e-12, "{}", ks.pvalue);
        // scipy.stats.ks_2samp([1, 2, 3], [4, 5, 6]) -> (1.0, 0.1)
        let ks = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!(ks.statistic, 1.0);
        assert!((ks.pvalue - 0.1).abs() < 1e-12);
        let same = ks_2samp(&[1.0, 1.0, 2.0], &[1.0, 2.0, 1.0]).unwrap();
        assert_eq!(same, Ks { statistic: 0.0, pvalue: 1.0 });
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(ks_2samp(&[], &[1.0]), Err(DriftError::EmptySample("a")));
        assert_eq!(ks_2samp(&[1.0, f64::INFINITY], &[1.0]), Err(DriftError::NonFinite { sample: "a", index: 1 }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn statistic_and_pvalue_in_range_and_symmetric(
            a in prop::collection::vec(-50f64..50.0, 1..60),
            b in prop::collection::vec(-50f64..50.0, 1..60),
        ) {
            let ab = ks_2samp(&a, &b).unwrap();
            let ba = ks_2samp(&b, &a).unwrap();
            prop_assert!((0.0..=1.0).contains(&ab.statistic));
            prop_assert!((0.0..=1.0).contains(&ab.pvalue));
            prop_assert_eq!(ab.statistic, ba.statistic);
            prop_assert!((ab.pvalue - ba.pvalue).abs() <= 1e-12);
        }
    }
}
