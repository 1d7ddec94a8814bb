//! Fuzz target: the changes feed page, entity answers and error bodies as the console's HTTP client
//! reads them. The check is `check_changes_feed` in tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_changes_feed(data));
