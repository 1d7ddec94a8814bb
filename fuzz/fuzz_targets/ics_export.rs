//! Fuzz target: what an `.ics` import read, exported again (`calendar export`), reads back as the
//! same windows. The check is `check_ics_export` in tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_ics_export(data));
