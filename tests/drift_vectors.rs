//! Drift statistics agree with NumPy/SciPy on the committed vectors (`tests/drift/generate_vectors.py`).

use opsdeck::domain::drift::{
    Binning, chi2_categorical, js_categorical, js_distance, ks_2samp, psi, psi_categorical, wasserstein_distance,
};
use serde_json::Value;

const ABS: f64 = 1e-9;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/drift/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json is committed")).expect("valid JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string")).collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn assert_abs(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= ABS, "{what}: got {got:e}, SciPy {want:e}, diff {:e}", (got - want).abs());
}

/// 1e-6 relative, or 1e-12 absolute for tiny p-values.
fn assert_pvalue(what: &str, got: f64, want: f64) {
    let diff = (got - want).abs();
    assert!(diff <= 1e-6 * want.abs() || diff <= 1e-12, "{what}: got {got:e}, SciPy {want:e}, diff {diff:e}");
}

#[test]
fn numeric_cases_match_scipy() {
    let doc = vectors();
    let cases = doc["numeric"].as_array().expect("numeric cases");
    assert!(cases.len() >= 9);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let (a, b) = (floats(&case["a"]), floats(&case["b"]));

        let ks = ks_2samp(&a, &b).expect("ks");
        assert_abs(&format!("{name} ks statistic"), ks.statistic, num(&case["ks"]["statistic"]));
        assert_pvalue(&format!("{name} ks pvalue"), ks.pvalue, num(&case["ks"]["pvalue"]));

        let w = wasserstein_distance(&a, &b).expect("wasserstein");
        assert_abs(&format!("{name} wasserstein"), w, num(&case["wasserstein"]));

        for binned in case["binned"].as_array().expect("binned") {
            let bins = binned["bins"].as_u64().expect("bins") as usize;
            let binning = match binned["binning"].as_str() {
                Some("equal_width") => Binning::EqualWidth,
                Some("quantile") => Binning::Quantile,
                other => panic!("unknown binning {other:?}"),
            };
            let what = format!("{name} {binning:?}/{bins}");
            let p = psi(&a, &b, bins, binning).expect("psi");
            let edges = floats(&binned["edges"]);
            assert_eq!(p.edges.len(), edges.len(), "{what} edges");
            for (got, want) in p.edges.iter().zip(&edges) {
                assert_abs(&format!("{what} edge"), *got, *want);
            }
            assert_abs(&format!("{what} psi"), p.value, num(&binned["psi"]));
            assert_abs(&format!("{what} psi parts"), p.contributions.iter().sum(), p.value);
            let js = js_distance(&a, &b, bins, binning, None).expect("js");
            assert_abs(&format!("{what} js"), js, num(&binned["js"]));
            let js2 = js_distance(&a, &b, bins, binning, Some(2.0)).expect("js base 2");
            assert_abs(&format!("{what} js base 2"), js2, num(&binned["js_base2"]));
        }
    }
}

#[test]
fn categorical_cases_match_scipy() {
    let doc = vectors();
    let cases = doc["categorical"].as_array().expect("categorical cases");
    assert!(cases.len() >= 3);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let (r, c) = (strings(&case["reference"]), strings(&case["current"]));
        let chi = chi2_categorical(&r, &c).expect("chi2");
        assert_abs(&format!("{name} chi2 statistic"), chi.statistic, num(&case["chi2"]["statistic"]));
        assert_pvalue(&format!("{name} chi2 pvalue"), chi.pvalue, num(&case["chi2"]["pvalue"]));
        assert_eq!(chi.dof as u64, case["chi2"]["dof"].as_u64().expect("dof"), "{name} dof");
        assert_abs(&format!("{name} psi"), psi_categorical(&r, &c).expect("psi"), num(&case["psi"]));
        assert_abs(&format!("{name} js"), js_categorical(&r, &c, None).expect("js"), num(&case["js"]));
        assert_abs(
            &format!("{name} js base 2"),
            js_categorical(&r, &c, Some(2.0)).expect("js"),
            num(&case["js_base2"]),
        );
    }
}
