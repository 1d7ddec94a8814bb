//! What the subcommands print, made inert: every string that came from a server or a file goes
//! through `domain::text`'s sanitiser on its way to stdout or stderr, so an OSC 52 in a
//! postmortem's title cannot write the clipboard, nor an OSC 0 the terminal's title, whether the
//! output goes to a terminal or to a file that is `cat`-ed later.
//!
//! Per kind of output:
//! - messages on stderr are one line: [`line`] (line breaks become spaces);
//! - text on stdout (Markdown, reports, tables, JSON) keeps its lines and tabs: [`text`];
//! - iCalendar keeps RFC 5545's CRLF line ends and nothing else below U+0020 but HTAB (the only
//!   control character it allows in a value): [`calendar`].

use std::borrow::Cow;

use crate::domain::text::{sanitize, sanitize_multiline};

/// Writes `bytes` to stdout; a closed pipe (`… | head`) is not worth a message or a panic.
pub fn print_all(bytes: &[u8]) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

/// Whether `id` is an id as the API names things (`INC-1042`, `PD-Q1ABC`, `AM-a1f3c9e2-2`): at
/// most 100 ASCII letters, digits, `-` and `_`. Anything else (a path, a URL, a shell snippet) is
/// refused before a request is sent.
pub fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A message for stderr: one line, no control characters or escape sequences.
pub fn line(message: &str) -> Cow<'_, str> {
    sanitize(message)
}

/// Text for stdout: lines and tabs kept, escape sequences and other controls removed.
pub fn text(output: &str) -> Cow<'_, str> {
    sanitize_multiline(output)
}

/// An iCalendar stream: sanitised as [`text`], every line then ended with CRLF again.
pub fn calendar(ics: &str) -> String {
    let clean = sanitize_multiline(ics);
    let mut out = String::with_capacity(clean.len() + clean.len() / 40);
    for line in clean.split_inclusive('\n') {
        out.push_str(line.strip_suffix('\n').unwrap_or(line));
        if line.ends_with('\n') {
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_output_keeps_crlf_and_tabs_only() {
        let ics = "BEGIN:VEVENT\r\nSUMMARY:a\u{1b}]52;c;eA==\u{7}b\tc\r\n DESC\u{1b}[31m\r\nEND:VEVENT\r\n";
        assert_eq!(calendar(ics), "BEGIN:VEVENT\r\nSUMMARY:ab\tc\r\n DESC\r\nEND:VEVENT\r\n");
        assert_eq!(calendar("a\rb"), "a\r\nb", "a lone CR is a line end, never a return over the line");
    }

    #[test]
    fn messages_are_one_line_and_text_keeps_its_lines() {
        assert_eq!(line("bad\nSUMMARY:\u{1b}]0;x\u{7}y"), "bad SUMMARY:y");
        assert_eq!(text("# T\u{9b}2J\n\n\tbody\u{7}\n"), "# T\n\n\tbody\n");
    }
}
