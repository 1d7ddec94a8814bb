//! Fuzz target: key chords as the config spells them. The check is `check_key_chord` in
//! tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_key_chord(data));
