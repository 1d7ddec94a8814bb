//! The config watcher on a real file: edits arrive as reloads, a broken edit as an error that
//! names the line, and an editor's write-to-temp-then-rename is seen like any other save.

use std::sync::mpsc;
use std::time::Duration;

use opsdeck::config::{self, Config, ConfigError};

/// Failure deadline only: each wait ends as soon as the watcher reports.
const DEADLINE: Duration = Duration::from_secs(10);

fn next(rx: &mpsc::Receiver<Result<Config, ConfigError>>) -> Result<Config, ConfigError> {
    rx.recv_timeout(DEADLINE).expect("the watcher reports the change")
}

#[test]
fn edits_reload_and_mistakes_are_reported_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "poll_interval = \"2s\"\n").unwrap();
    let (tx, rx) = mpsc::channel();
    let _watcher = config::watch(path.clone(), move |result| {
        let _ = tx.send(result);
    })
    .unwrap();

    std::fs::write(&path, "poll_interval = \"2s\"\nbell_on_new_p1 = maybe\n").unwrap();
    let err = loop {
        match next(&rx) {
            Err(err) => break err,
            Ok(_) => continue, // a truncate-then-write can be seen half done
        }
    };
    assert_eq!(err.line, Some(2), "{err}");

    std::fs::write(&path, "poll_interval = \"7s\"\n").unwrap();
    // A write is a truncate then a write: the watcher may first read an empty file, which is a
    // valid config of defaults. Wait for the edit itself.
    let config = loop {
        if let Ok(config) = next(&rx)
            && config.poll_interval == Duration::from_secs(7)
        {
            break config;
        }
    };
    assert_eq!(config.poll_interval, Duration::from_secs(7));

    // Editors save by writing a temporary file and renaming it over the original.
    let temp = dir.path().join(".config.toml.swp");
    std::fs::write(&temp, "poll_interval = \"9s\"\n").unwrap();
    std::fs::rename(&temp, &path).unwrap();
    let config = loop {
        if let Ok(config) = next(&rx)
            && config.poll_interval == Duration::from_secs(9)
        {
            break config;
        }
    };
    assert_eq!(config.poll_interval, Duration::from_secs(9));
}
