//! KS + PSI + JS + Wasserstein for 100,000 reference vs 100,000 current values:
//! `cargo bench --bench drift`. SciPy's time for the same work on the same machine:
//! `python3 benches/scipy_drift.py`.
//!
//! The samples: a standard normal reference and a current sample scaled by 1.1 and shifted by
//! 0.1, from a fixed seed (Box–Muller over ChaCha8), as in the Python script.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use opsdeck::domain::drift::{self, Binning};

const N: usize = 100_000;

fn normal(rng: &mut ChaCha8Rng, n: usize, scale: f64, shift: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos() * scale + shift
        })
        .collect()
}

fn all_four(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let reference = normal(&mut rng, N, 1.0, 0.0);
    let current = normal(&mut rng, N, 1.1, 0.1);
    c.bench_function("KS + PSI + JS + Wasserstein, 100k vs 100k", |b| {
        b.iter(|| {
            let ks = drift::ks_2samp(&reference, &current).expect("ks");
            let psi = drift::psi(&reference, &current, 10, Binning::EqualWidth).expect("psi");
            let js = drift::js_distance(&reference, &current, 10, Binning::EqualWidth, None).expect("js");
            let w = drift::wasserstein_distance(&reference, &current).expect("wasserstein");
            (ks.statistic, ks.pvalue, psi.value, js, w)
        })
    });
    c.bench_function("KS alone, 100k vs 100k", |b| b.iter(|| drift::ks_2samp(&reference, &current).expect("ks")));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(15);
    targets = all_four
}
criterion_main!(benches);
