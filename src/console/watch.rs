//! Watching a folder for files other programs change (the config file, postmortem drafts).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use notify::{RecursiveMode, Watcher};

/// Calls `on_change` with the path of every file in `dir` (not below it) that is created or
/// written, as the platform reports it (editors often fire several events per save). `dir` is
/// created if it does not exist. Watching stops when the returned watcher is dropped.
pub fn watch_dir(
    dir: &Path,
    mut on_change: impl FnMut(&Path) + Send + 'static,
) -> notify::Result<notify::RecommendedWatcher> {
    std::fs::create_dir_all(dir).map_err(notify::Error::io)?;
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        for path in &event.paths {
            on_change(path);
        }
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Watches `<dir>/PM-*.md` and calls `on_change(id, text)` once per distinct text a program
/// leaves in one (temporary files, unreadable or non-UTF-8 ones, and anything but a regular file
/// of at most `files::DRAFT_LIMIT` are skipped).
pub fn watch_drafts(
    dir: PathBuf,
    mut on_change: impl FnMut(String, String) + Send + 'static,
) -> notify::Result<notify::RecommendedWatcher> {
    let mut last: HashMap<String, String> = HashMap::new();
    watch_dir(&dir, move |path| {
        let Some(id) = draft_id(path) else { return };
        let Ok(text) = crate::files::read_text(path, crate::files::DRAFT_LIMIT) else { return };
        if last.get(&id) != Some(&text) {
            last.insert(id.clone(), text.clone());
            on_change(id, text);
        }
    })
}

/// `PM-1042` for `…/PM-1042.md`.
fn draft_id(path: &Path) -> Option<String> {
    if path.extension()? != "md" {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    stem.starts_with("PM-").then(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postmortem_drafts_count() {
        assert_eq!(draft_id(Path::new("/d/PM-1042.md")).as_deref(), Some("PM-1042"));
        assert_eq!(draft_id(Path::new("/d/PM-1042.md.tmp")), None);
        assert_eq!(draft_id(Path::new("/d/notes.md")), None);
        assert_eq!(draft_id(Path::new("/d/PM-1042.txt")), None);
    }
}
