//! Making outside strings safe to put on a terminal.
//!
//! Anything that came from a backend, a file or a config can carry escape sequences: OSC 52
//! writes the user's clipboard, CSI moves the cursor, DCS talks to the terminal itself. Before a
//! string reaches the screen, whole escape sequences are removed (not just their ESC byte, which
//! would leave `]52;c;…` garbage behind), other control characters become spaces or vanish, and
//! bidirectional overrides, which can make text read differently from what it is, are dropped,
//! and so are invisible characters (zero-width spaces and joiners, the byte-order mark, Unicode tag
//! characters, invisible operators and the deprecated format characters) that make two strings
//! look alike. The line and paragraph separators U+2028 and U+2029 break lines like a newline, so
//! they become spaces too — or, in the multi-line variant for documents, newlines (the only line
//! break it lets through, with the tab).
//!
//! [`cap`] bounds how much of an outside string is kept at all (a backend can send a 1 MB title):
//! [`crate::domain::caps`] says how much per field.

use std::borrow::Cow;

/// Returns `s` with escape sequences and control characters removed; newlines and tabs become
/// single spaces, so the result is always one line.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    clean(s, Lines::One)
}

/// Returns `s` with escape sequences and control characters removed, keeping its lines: for text
/// that is a document (a postmortem's Markdown, a description). Newlines and tabs stay; a CR LF
/// pair becomes one newline, and a lone CR (a line break as terminals paste it, or a way to
/// overwrite a line on screen), U+2028 and U+2029 become a newline too.
pub fn sanitize_multiline(s: &str) -> Cow<'_, str> {
    clean(s, Lines::Kept)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// Line breaks and tabs become single spaces.
    One,
    /// Line breaks become `\n`; tabs stay.
    Kept,
}

/// The one implementation behind [`sanitize`] and [`sanitize_multiline`].
fn clean(s: &str, lines: Lines) -> Cow<'_, str> {
    let kept = |c: char| lines == Lines::Kept && matches!(c, '\n' | '\t');
    if !s.chars().any(|c| needs_cleaning(c) && !kept(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars, lines),
            // C1 forms of CSI, OSC, DCS, SOS, PM, APC.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars, lines),
            '\r' if lines == Lines::Kept && chars.peek() == Some(&'\n') => {}
            '\n' | '\r' | '\u{2028}' | '\u{2029}' if lines == Lines::Kept => out.push('\n'),
            '\t' if lines == Lines::Kept => out.push('\t'),
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if needs_cleaning(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_cleaning(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Zero-width spaces and joiners, the word joiner and the invisible operators, the deprecated
/// format characters (U+206A–U+206F), the Mongolian vowel separator, the byte-order mark and the
/// tag characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{206a}'..='\u{206f}' | '\u{180e}' | '\u{feff}'
        | '\u{e0000}'..='\u{e007f}')
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>, lines: Lines) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars, lines),
        // Two-byte sequences like ESC 7, ESC c, or charset selection ESC ( B.
        Some('(' | ')' | '*' | '+' | '#' | '%' | ' ') => {
            chars.next();
        }
        Some(_) | None => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    while let Some(&c) = chars.peek() {
        if c == '\n' {
            // A line break ends a broken sequence and is kept (as a space on one line).
            return;
        }
        chars.next();
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // Not a well-formed CSI: stop here, dropping the malformed byte too.
            return;
        }
    }
}

/// OSC/DCS/SOS/PM/APC: everything up to BEL, ST (ESC \) or C1 ST — or, in a document, up to the
/// end of the line, so an unterminated sequence costs its line and not the rest of the text.
fn skip_string(chars: &mut Chars<'_>, lines: Lines) {
    while let Some(&c) = chars.peek() {
        if c == '\n' && lines == Lines::Kept {
            return;
        }
        chars.next();
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// Sanitises `s` where it is, allocating only when something had to go.
pub fn sanitize_in_place(s: &mut String) {
    if let Cow::Owned(clean) = sanitize(s) {
        *s = clean;
    }
}

/// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    Cow::Owned(out)
}

/// Cuts `s` to at most `max_bytes` bytes on a character boundary, the cut marked with `…` (which
/// counts in the bytes). Returns whether it cut. Nothing is allocated: the string shrinks in place.
pub fn cap(s: &mut String, max_bytes: usize) -> bool {
    if s.len() <= max_bytes {
        return false;
    }
    const MARK: char = '…';
    let mut end = max_bytes.saturating_sub(MARK.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    if max_bytes >= MARK.len_utf8() {
        s.push(MARK);
    }
    s.shrink_to_fit();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_untouched() {
        assert!(matches!(sanitize("p95 latency 2.8s — llm-gateway"), Cow::Borrowed(_)));
    }

    #[test]
    fn osc52_clipboard_write_is_removed_whole() {
        assert_eq!(sanitize("Hostile \u{1b}]52;c;aGVsbG8=\u{7}title"), "Hostile title");
        assert_eq!(sanitize("a\u{1b}]52;c;aGVsbG8=\u{1b}\\b"), "ab");
        assert_eq!(sanitize("a\u{9d}0;evil\u{9c}b"), "ab");
    }

    #[test]
    fn csi_sequences_and_controls_are_removed() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(sanitize("\u{1b}[2J\u{1b}[Hclear"), "clear");
        assert_eq!(sanitize("bell\u{7}\u{8}back"), "bellback");
        assert_eq!(sanitize("two\nlines\r\n\ttabbed"), "two lines tabbed");
        assert_eq!(sanitize("c1\u{9b}31mcsi"), "c1csi");
    }

    #[test]
    fn dcs_and_unterminated_sequences_cannot_swallow_past_the_end() {
        assert_eq!(sanitize("x\u{1b}P1$r\u{1b}\\y"), "xy");
        assert_eq!(sanitize("tail\u{1b}]52;c;unterminated"), "tail");
        assert_eq!(sanitize("tail\u{1b}"), "tail");
        assert_eq!(sanitize("tail\u{1b}["), "tail");
    }

    #[test]
    fn line_and_paragraph_separators_do_not_break_the_line() {
        assert_eq!(sanitize("one\u{2028}two\u{2029}three"), "one two three");
    }

    #[test]
    fn invisible_characters_are_dropped() {
        assert_eq!(sanitize("llm\u{200b}-gate\u{200d}way\u{2060}\u{feff}"), "llm-gateway");
        assert_eq!(sanitize("ok\u{e0041}\u{e007f}"), "ok");
        assert_eq!(sanitize("a\u{2062}b\u{206e}c\u{180e}d"), "abcd");
    }

    #[test]
    fn bidi_overrides_are_dropped() {
        assert_eq!(sanitize("abc\u{202e}fed"), "abcfed");
    }

    #[test]
    fn multiline_keeps_lines_and_tabs_and_removes_the_rest() {
        assert!(matches!(sanitize_multiline("# Title\n\n\tbody\n"), Cow::Borrowed(_)));
        let hostile =
            "# \u{1b}]52;c;ZXZpbA==\u{7}Title\r\nline\u{1b}[2J\u{1b}]0;pwned\u{1b}\\ two\u{7}\n\u{9b}31m\tend\u{202e}";
        assert_eq!(sanitize_multiline(hostile), "# Title\nline two\n\tend");
        assert_eq!(sanitize_multiline("a\rb\u{2028}c\u{2029}d\r\n"), "a\nb\nc\nd\n");
        assert_eq!(sanitize_multiline("broken\u{1b}[12\nnext"), "broken\nnext");
        assert_eq!(sanitize_multiline("zero\u{200b}width\u{e0041}"), "zerowidth");
        assert_eq!(sanitize_multiline("tail\u{1b}]52;c;unterminated\nkept"), "tail\nkept");
    }

    #[test]
    fn cap_cuts_on_a_char_boundary_and_marks_the_cut() {
        let mut s = "héllo wörld".to_string();
        assert!(!cap(&mut s, 64));
        assert!(cap(&mut s, 6));
        // 6 bytes: `…` takes 3, `h` and `é` (2 bytes) fit, the `l` would not.
        assert_eq!(s, "hé…");
        assert!(s.len() <= 6);
        let mut big = "€".repeat(400_000);
        assert!(cap(&mut big, 1024));
        assert!(big.len() <= 1024 && big.ends_with('…'), "{}", big.len());
        let mut tiny = "abcdef".to_string();
        assert!(cap(&mut tiny, 2));
        assert_eq!(tiny, "", "no room even for the mark");
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("abc", 0), "");
    }
}
