//! Fuzz target: `drift compare` on two files' contents. The check is `check_drift_compare` in
//! tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_drift_compare(data));
