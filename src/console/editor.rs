//! `$VISUAL` / `$EDITOR` for a draft: which editor (its program found before the terminal is
//! handed over), the terminal handed to it and taken back, the file read back bounded.

use super::input::Input;
use super::terminal;

/// Hands the draft to `$VISUAL` / `$EDITOR` (`vi` when neither is set) in the terminal, and takes
/// the terminal back when it exits: the file's text, or why there is none. An editor that is not
/// installed is said so by name, before the terminal is handed over.
pub(super) async fn external_editor(
    tui: &mut terminal::Tui,
    input: &mut Input,
    path: &std::path::Path,
    text: &str,
) -> Result<String, String> {
    let editor = editor_command(|name| std::env::var(name).ok());
    let program = program_of(&editor);
    let not_found = || format!("the editor `{program}` was not found (set $VISUAL or $EDITOR)");
    if !program_exists(&program, std::env::var_os("PATH").as_deref()) {
        return Err(not_found());
    }
    crate::console::effect::write_draft(path, text)
        .await
        .map_err(|e| format!("cannot write the draft for the editor: {e}"))?;
    input.pause().await;
    let left = terminal::leave();
    let file = path.to_path_buf();
    // `sh -c` so that EDITOR="code --wait" works; the path is passed as an argument, not spliced.
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh").arg("-c").arg(format!("{editor} \"$1\"")).arg("opsdeck").arg(&file).status()
    })
    .await;
    let resumed = terminal::resume(tui);
    input.resume();
    left.and(resumed).map_err(|e| format!("the terminal could not be taken back from the editor: {e}"))?;
    match status {
        Ok(Ok(status)) if status.success() => {
            // The editor may have left anything there: read it bounded, and only as a file.
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || {
                crate::files::read_text(&path, crate::files::DRAFT_LIMIT).map_err(|e| e.describe(""))
            })
            .await
            .map_err(|e| format!("the reading task failed: {e}"))?
        }
        // The shell's answer for a command it cannot find (the check above found something else).
        Ok(Ok(status)) if status.code() == Some(127) => Err(not_found()),
        Ok(Ok(status)) => Err(format!("the editor `{program}` exited with {status}")),
        Ok(Err(err)) => Err(format!("cannot run the editor `{program}`: {err}")),
        Err(err) => Err(format!("the editor task failed: {err}")),
    }
}

/// The editor command line: `$VISUAL`, else `$EDITOR`, else `vi` (blank values count as unset).
fn editor_command(var: impl Fn(&str) -> Option<String>) -> String {
    ["VISUAL", "EDITOR"].iter().filter_map(|v| var(v)).find(|v| !v.trim().is_empty()).unwrap_or_else(|| "vi".into())
}

/// The program an editor command line runs: its first word, unquoted (`code` of `code --wait`).
fn program_of(command: &str) -> String {
    let command = command.trim_start();
    match command.chars().next() {
        Some(quote @ ('"' | '\'')) => command[1..].split(quote).next().unwrap_or_default().to_string(),
        _ => command.split_whitespace().next().unwrap_or_default().to_string(),
    }
}

/// Whether `program` can be run: a path to an executable file, or one found in `path` (`$PATH`).
fn program_exists(program: &str, path: Option<&std::ffi::OsStr>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable =
        |p: &std::path::Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.is_empty() {
        return false;
    }
    if program.contains('/') {
        return executable(std::path::Path::new(program));
    }
    path.is_some_and(|path| std::env::split_paths(path).any(|dir| executable(&dir.join(program))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_comes_from_visual_then_editor_then_vi() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(editor_command(env(&[("VISUAL", "code --wait"), ("EDITOR", "nano")])), "code --wait");
        assert_eq!(editor_command(env(&[("VISUAL", " "), ("EDITOR", "nano")])), "nano");
        assert_eq!(editor_command(env(&[])), "vi");
        assert_eq!(program_of("code --wait"), "code");
        assert_eq!(program_of("\"/opt/my editor/ed\" -x"), "/opt/my editor/ed");
    }

    #[test]
    fn an_editor_that_is_not_installed_is_found_missing() {
        let dir = tempfile::tempdir().unwrap();
        let editor = dir.path().join("ed-stub");
        std::fs::write(&editor, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        assert!(program_exists("ed-stub", Some(&path)));
        assert!(program_exists(&editor.display().to_string(), None));
        assert!(!program_exists("nvim-not-installed", Some(&path)));
        assert!(!program_exists("/nonexistent/nvim", Some(&path)));
        assert!(!program_exists("", Some(&path)));
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a program").unwrap();
        assert!(!program_exists(&text.display().to_string(), None), "a file that is not executable");
    }
}
