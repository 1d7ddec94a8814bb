//! Fuzz target: the sanitiser: its output never holds a control, escape, bidi or zero-width
//! character. The check is `check_sanitize` in tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_sanitize(data));
