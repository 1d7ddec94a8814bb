#!/usr/bin/env python3
"""Reference vectors for `tests/drift_vectors.rs` (opsdeck's drift statistics vs NumPy/SciPy).

Run from the repository root:

    python3 tests/drift/generate_vectors.py

Generated with Python 3.11, NumPy 2.4.6 and SciPy 1.17.1 (versions are recorded in the JSON). Seeds are fixed,
inputs are rounded to 6 decimals before anything is computed, so the JSON round-trips the samples exactly: every
sample is written with at most 15 significant digits (checked below), which any JSON reader parses to the same f64.

Conventions (SciPy has no PSI, so PSI/JS expectations follow these rules with NumPy):
  * bins: 10 by default; equal-width inner edges ``min + k*(max-min)/B`` over the reference, or quantile
    inner edges ``np.quantile(reference, k/B)`` (method 'linear'), k = 1..B-1;
  * a value's bin is ``np.searchsorted(inner_edges, x, side='right')``; shares are count / n;
  * PSI = sum((cur - ref) * ln(cur / ref)) with exact-zero shares replaced by 1e-4 (no renormalisation);
  * JS = scipy.spatial.distance.jensenshannon(ref_shares, cur_shares, base) on the same, unreplaced shares;
  * categorical: categories are the sorted union; chi2 = scipy.stats.chi2_contingency(2xK, correction=False).
"""

import json
import platform
from pathlib import Path

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon

OUT = Path(__file__).with_name("vectors.json")


def inner_edges(ref, bins, binning):
    if binning == "equal_width":
        mn, mx = ref.min(), ref.max()
        return mn + np.arange(1, bins) * (mx - mn) / bins
    return np.quantile(ref, np.arange(1, bins) / bins)


def shares(values, edges, bins):
    idx = np.searchsorted(edges, values, side="right")
    return np.bincount(idx, minlength=bins) / len(values)


def psi_value(p, q):
    p = np.where(p == 0, 1e-4, p)
    q = np.where(q == 0, 1e-4, q)
    return float(sum((q - p) * np.log(q / p)))


def binned(ref, cur, bins, binning):
    edges = inner_edges(ref, bins, binning)
    p, q = shares(ref, edges, bins), shares(cur, edges, bins)
    return {
        "bins": bins,
        "binning": binning,
        "edges": edges.tolist(),
        "psi": psi_value(p, q),
        "js": float(jensenshannon(p, q)),
        "js_base2": float(jensenshannon(p, q, base=2)),
    }


def numeric_case(name, a, b, bins=(10,)):
    a = np.round(np.asarray(a, dtype=float), 6)
    b = np.round(np.asarray(b, dtype=float), 6)
    for x in np.concatenate([a, b]):
        digits = repr(float(x)).lstrip("-").split("e")[0].replace(".", "").strip("0")
        assert len(digits) <= 15 and float(repr(float(x))) == x, x
    ks = stats.ks_2samp(a, b, method="auto")
    return {
        "name": name,
        "a": a.tolist(),
        "b": b.tolist(),
        "ks": {"statistic": float(ks.statistic), "pvalue": float(ks.pvalue)},
        "binned": [binned(a, b, n, binning) for n in bins for binning in ("equal_width", "quantile")],
        "wasserstein": float(stats.wasserstein_distance(a, b)),
    }


def categorical_case(name, ref, cur):
    cats = sorted(set(ref) | set(cur))
    rc = np.array([ref.count(c) for c in cats], dtype=float)
    cc = np.array([cur.count(c) for c in cats], dtype=float)
    chi = stats.chi2_contingency(np.array([rc, cc]), correction=False)
    p, q = rc / rc.sum(), cc / cc.sum()
    return {
        "name": name,
        "reference": ref,
        "current": cur,
        "chi2": {"statistic": float(chi.statistic), "pvalue": float(chi.pvalue), "dof": int(chi.dof)},
        "psi": psi_value(p, q),
        "js": float(jensenshannon(p, q)),
        "js_base2": float(jensenshannon(p, q, base=2)),
    }


def intents(rng, n, weights):
    names = ["billing", "cancel", "chitchat", "complaint", "refund", "support", "upgrade"]
    w = np.asarray(weights, dtype=float)
    return [names[i] for i in rng.choice(len(names), size=n, p=w / w.sum())]


def main():
    rng = np.random.default_rng(20261122)
    numeric = [
        numeric_case("normal_vs_shifted", rng.normal(0, 1, 800), rng.normal(0.3, 1, 900), bins=(10, 5)),
        numeric_case("ties_rounded", np.round(rng.normal(5, 2, 300)), np.round(rng.normal(5.5, 2, 250))),
        numeric_case("unequal_sizes", rng.normal(0, 1, 37), rng.normal(0.2, 1.1, 1200)),
        numeric_case("student_t_df2", rng.standard_t(2, 600), rng.standard_t(2, 500) * 1.3),
        numeric_case("cauchy", rng.standard_cauchy(400), rng.standard_cauchy(450) + 0.5),
        numeric_case("identical", *(2 * [rng.exponential(2.0, 200)])),
        numeric_case("small_5_vs_7", rng.normal(0, 1, 5), rng.normal(1, 1, 7)),
        numeric_case("equal_sizes_exact", rng.normal(0, 1, 120), rng.normal(0.25, 1, 120)),
        numeric_case("exact_at_the_10000_limit", rng.normal(0, 1, 10000), rng.normal(0.04, 1, 3000)),
        numeric_case("equal_sizes_2000", rng.normal(0, 1, 2000), rng.normal(0.1, 1, 2000)),
        *[
            numeric_case(
                f"small_ties_{i}",
                np.round(rng.normal(0, 1, rng.integers(3, 40)), 1),
                np.round(rng.normal(0.3, 1, rng.integers(3, 40)), 1),
            )
            for i in range(6)
        ],
        numeric_case("large_asymptotic", rng.normal(0, 1, 20000), rng.normal(0.05, 1, 15000)),
        numeric_case("large_asymptotic_same_law", rng.normal(0, 1, 20000), rng.normal(0, 1, 15000)),
    ]
    categorical = [
        categorical_case(
            "shifted_intent_mix",
            intents(rng, 500, [5, 1, 3, 2, 2, 6, 1]),
            intents(rng, 400, [3, 2, 3, 4, 3, 5, 1]),
        ),
        categorical_case(
            "unseen_category",
            intents(rng, 300, [5, 1, 3, 2, 0, 6, 1]),
            intents(rng, 300, [5, 1, 3, 2, 2, 6, 1]),
        ),
        categorical_case("identical", *(2 * [intents(rng, 250, [1, 1, 1, 1, 1, 1, 1])])),
    ]
    doc = {
        "generator": "tests/drift/generate_vectors.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__},
        "numeric": numeric,
        "categorical": categorical,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
