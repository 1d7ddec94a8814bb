//! Fuzz target: `.ics` import (`calendar import`, the Calendar tab's `i`): reading, planning the
//! upsert and the agenda. The check is `check_ics_import` in tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_ics_import(data));
