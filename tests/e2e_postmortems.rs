//! End to end: postmortems in the real binary, in a pseudo-terminal, against `opsdeck serve` —
//! the journal surviving `kill -9` mid-typing, and the hand-off to `$EDITOR`.

#[path = "support/console.rs"]
mod console;
#[path = "support/pty.rs"]
mod pty;

use std::os::unix::fs::PermissionsExt;

use console::{BIN, Console, T, World};
use pty::{ConsoleDirs, DANA_TOKEN, ERIN_TOKEN, Pty};

/// The postmortem id of an incident, as the console derives it.
fn pm_of(incident_id: &str) -> String {
    format!("PM-{}", incident_id.trim_start_matches("INC-"))
}

#[test]
fn a_draft_survives_kill_9_mid_typing_and_is_saved_after_the_restart() {
    let world = World::new();
    let incident = world.api.create(ERIN_TOKEN, "Assistant answers in the wrong language", "P2");
    let id = incident["id"].as_str().expect("id").to_string();
    let dirs = world.console_dirs("console");
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    console.wait_all(&[&id, "● live"]);

    console.keys(b"p");
    console.wait_all(&["drafted from", "Title"]);
    let sentence = "Root cause: the language detector was skipped.";
    console.keys(sentence.as_bytes());
    // Typed, and the journal says it is on disk.
    console.wait(&format!("“{sentence}” journaled"), |s| {
        s.contains(sentence) && s.contains("journaled ") && !s.contains("typing…") && !s.contains("journaling…")
    });
    // More typing, then the process is killed before the journal's next write can happen.
    console.keys(b" And then");
    let status = console.ok(console.pty.kill9_and_wait(T));
    assert!(!status.success(), "SIGKILL leaves no clean exit: {status}");
    drop(console);

    // Someone else on the same data folder (a shared jump host): erin's draft is not theirs.
    let mut other = world.console(&dirs, DANA_TOKEN, &[]);
    let screen = other.wait_all(&[&id, "● live"]);
    assert!(!screen.contains("restored") && !screen.contains(sentence), "{screen}");
    other.keys(b"q");
    other.ok(other.pty.wait_exit(T));
    drop(other);

    // Erin again: the draft is offered, the keyboard is hers; Enter opens it.
    let mut console = world.console(&dirs, ERIN_TOKEN, &[]);
    let offer = format!("restored your draft of {}", pm_of(&id));
    let screen = console.wait_all(&[&offer, "opens it"]);
    assert!(!screen.contains(sentence), "the editor is not opened over the user's first keys: {screen}");
    console.keys(b"\r");
    console.wait_text(sentence);
    console.keys(b"\x13"); // ctrl-s
    console.wait_text(&format!("✓ {} saved", pm_of(&id)));
    let saved = world.api.get_path(ERIN_TOKEN, &format!("/v1/postmortems/{}", pm_of(&id)));
    assert!(saved["body"].as_str().is_some_and(|b| b.contains(sentence)), "{saved:#}");
    assert_eq!(saved["created_by"], "erin");
}

#[test]
fn ctrl_e_hands_the_draft_to_editor_and_takes_its_changes_back() {
    let world = World::new();
    let incident = world.api.create(ERIN_TOKEN, "Summaries drop invoice totals", "P3");
    let id = incident["id"].as_str().expect("id").to_string();
    let dirs = world.console_dirs("console");
    // A stub editor: appends a line to the file it is given, as a person would, and exits.
    let editor = dirs.root.join("stub-editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nprintf 'Added by the stub editor.\\n' >> \"$1\"\n").expect("stub editor");
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let editor = editor.to_string_lossy().into_owned();
    let env = [("EDITOR", editor.as_str()), ("VISUAL", "")];
    let mut console = Console::start_with(&dirs, &world.server.url, ERIN_TOKEN, &[], &env);
    console.wait_all(&[&id, "● live"]);

    console.keys(b"p");
    console.wait_text("drafted from");
    console.keys(b"\x05"); // ctrl-e
    console.wait_text("the editor's changes are in");
    assert!(console.pty.alternate_screen(), "the console took the terminal back");
    // The appended line is at the end of the body: go there (alt->) to see it.
    console.keys(b"\x1b>");
    console.wait_text("Added by the stub editor.");
    console.keys(b"\x13");
    console.wait_text(&format!("✓ {} saved", pm_of(&id)));
    let saved = world.api.get_path(ERIN_TOKEN, &format!("/v1/postmortems/{}", pm_of(&id)));
    assert!(saved["body"].as_str().is_some_and(|b| b.trim_end().ends_with("Added by the stub editor.")), "{saved:#}");
}

#[test]
fn an_editor_that_is_not_installed_is_named_and_the_draft_stays() {
    let world = World::new();
    let incident = world.api.create(ERIN_TOKEN, "Summaries drop invoice totals", "P3");
    let id = incident["id"].as_str().expect("id").to_string();
    let dirs = world.console_dirs("console");
    let env = [("EDITOR", "nvim-absent --clean"), ("VISUAL", "")];
    let mut console = Console::start_with(&dirs, &world.server.url, ERIN_TOKEN, &[], &env);
    console.wait_all(&[&id, "● live"]);

    console.keys(b"p");
    console.wait_text("drafted from");
    console.keys(b"\x05"); // ctrl-e
    let screen = console.wait_text("the editor `nvim-absent` was not found (set $VISUAL or $EDITOR)");
    assert!(!screen.contains("exit status"), "{screen}");
    assert!(screen.contains("Title") && screen.contains("+ item"), "still in the editor:\n{screen}");
    assert!(console.pty.alternate_screen(), "the terminal was never handed over");
}

#[test]
fn the_demo_has_a_published_and_a_draft_postmortem_to_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dirs = ConsoleDirs::new(dir.path().join("demo")).expect("console dirs");
    let pty = Pty::spawn(dirs.command(std::path::Path::new(BIN), &[])).expect("spawn the demo");
    let mut console = Console { pty, log: dirs.log_file() };
    console.wait_all(&["DEMO", "● live"]);
    console.keys(b"6");
    console.wait_all(&["published", "draft", "OVERDUE"]);
    console.keys(b"\r");
    console.wait_all(&["Title", "## Summary", "+ item"]);
    console.keys(b"\x1b");
    console.wait_text("OVERDUE");
    console.keys(b"q");
    let status = console.ok(console.pty.wait_exit(T));
    assert!(status.success(), "{status}");
}
