//! Where opsdeck keeps its files, following the XDG base directories.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `$XDG_CONFIG_HOME/opsdeck`
    pub config_dir: PathBuf,
    /// `$XDG_DATA_HOME/opsdeck`: caches, the user's work files and the `serve` database.
    pub data_dir: PathBuf,
    /// `$XDG_STATE_HOME/opsdeck`: logs and the generated `serve` token.
    pub state_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Result<Paths, String> {
        let dirs = directories::ProjectDirs::from("", "", "opsdeck")
            .ok_or("cannot find a home directory for opsdeck's files (is HOME set?)")?;
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            state_dir: dirs.state_dir().unwrap_or(dirs.data_local_dir()).to_path_buf(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// One cache file per backend: `demo.sqlite`, or `<host>-<port>-<hash>.sqlite`.
    pub fn cache_file(&self, backend: Option<&str>) -> PathBuf {
        self.data_dir.join("cache").join(cache_file_name(backend))
    }

    /// The user's own work for one backend (outbox, journaled drafts, note drafts), apart from
    /// the cache so that clearing or losing the cache folder loses none of it:
    /// `work/demo.sqlite`, or `work/<host>-<port>-<hash>.sqlite`.
    pub fn work_file(&self, backend: Option<&str>) -> PathBuf {
        self.data_dir.join("work").join(cache_file_name(backend))
    }

    pub fn log_dir(&self) -> &Path {
        &self.state_dir
    }
}

pub fn cache_file_name(backend: Option<&str>) -> String {
    let Some(url) = backend else {
        return "demo.sqlite".to_string();
    };
    let normalized = url.trim().trim_end_matches('/').to_lowercase();
    let host: String = normalized
        .split("://")
        .nth(1)
        .unwrap_or(&normalized)
        .split('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
        .take(60)
        .collect();
    let hash: String = Sha256::digest(normalized.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{host}-{hash}.sqlite")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cache_file_per_backend() {
        assert_eq!(cache_file_name(None), "demo.sqlite");
        let a = cache_file_name(Some("https://ops.example.com:8443/"));
        assert!(a.starts_with("ops.example.com-8443-"), "{a}");
        assert_eq!(a, cache_file_name(Some("HTTPS://ops.example.com:8443")));
        assert_ne!(a, cache_file_name(Some("https://ops.example.com:8444")));
        assert!(!cache_file_name(Some("http://../../etc")).contains('/'));
    }
}
