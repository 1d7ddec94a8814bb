#!/usr/bin/env python3
"""SciPy's time for what `cargo bench --bench drift` measures in opsdeck: KS + PSI + JS +
Wasserstein for 100,000 reference vs 100,000 current values, with the same data and the same
conventions (10 equal-width bins over the reference range, shares, 1e-4 for empty PSI bins).

    pip install numpy scipy
    python3 benches/scipy_drift.py

Prints the median of 15 runs after 2 warm-up runs. The samples match benches/drift.rs: a
standard normal reference and a current sample shifted by 0.1 and scaled by 1.1, from a fixed
seed (the values differ from the Rust bench's, their sizes and shape do not).
"""

import statistics
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance

N = 100_000
BINS = 10


def psi_and_js(ref, cur):
    lo, hi = ref.min(), ref.max()
    inner = lo + np.arange(1, BINS) * (hi - lo) / BINS
    r = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=BINS) / len(ref)
    c = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=BINS) / len(cur)
    js = distance.jensenshannon(r, c)
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r))), float(js)


def once(ref, cur):
    ks = stats.ks_2samp(ref, cur, method="auto")
    psi, js = psi_and_js(ref, cur)
    w = stats.wasserstein_distance(ref, cur)
    return ks.statistic, ks.pvalue, psi, js, w


def main():
    rng = np.random.default_rng(7)
    ref = rng.standard_normal(N)
    cur = rng.standard_normal(N) * 1.1 + 0.1
    for _ in range(2):
        once(ref, cur)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        once(ref, cur)
        times.append(time.perf_counter() - start)
    print(f"scipy {__import__('scipy').__version__}, numpy {np.__version__}: "
          f"KS + PSI + JS + Wasserstein, {N} vs {N}: median {statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
