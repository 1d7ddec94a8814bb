//! Fuzz target: the SLA policy file and due times on what it defines. The check is
//! `check_sla_policy` in tests/support/fuzz_checks.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_sla_policy(data));
