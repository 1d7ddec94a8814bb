//! Fuzz target: `config.toml` as the console loads it, with an SLA policy and a postmortem template
//! beside it to name. The check is `check_config_file` in tests/support/fuzz_checks.rs.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

#[allow(dead_code)]
#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

/// A folder of this process's own under the temporary directory, made once.
fn config_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("opsdeck-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        checks::config_dir(&dir)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_config_file(data, config_path()));
