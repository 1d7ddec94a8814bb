//! One key chord (`ctrl-r`, `G`, `pagedown`): parsed from the config's spelling, refused when no
//! terminal can send it, and shown in the help and hints as people read keys.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A key with its modifiers, normalised so that `A` is `A` whether or not SHIFT was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyChord {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Self {
        let modifiers = match code {
            // The character already says whether shift was held.
            KeyCode::Char(_) | KeyCode::BackTab => modifiers - KeyModifiers::SHIFT,
            _ => modifiers,
        };
        KeyChord { code, modifiers: modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT) }
    }

    pub fn from_event(event: &KeyEvent) -> Option<Self> {
        match event.kind {
            KeyEventKind::Press | KeyEventKind::Repeat => Some(KeyChord::new(event.code, event.modifiers)),
            KeyEventKind::Release => None,
        }
    }
}

/// A key in the config that is not one, or that no terminal can send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("`{0}` is not a key (examples: a, A, ?, ctrl-r, alt-x, enter, esc, up, pagedown, f5)")]
    Unknown(String),
    /// A chord a terminal cannot send as written, with what to write instead.
    #[error("`{key}`: {reason}")]
    Unsendable { key: String, reason: String },
}

impl FromStr for KeyChord {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || KeyParseError::Unknown(shown(s));
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix, flag) = if lower.starts_with("ctrl-") {
                ("ctrl-", KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                ("alt-", KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                ("shift-", KeyModifiers::SHIFT)
            } else {
                break;
            };
            if rest.len() == prefix.len() {
                break; // "ctrl-" alone: the key is "-"? No: treat as malformed below.
            }
            modifiers |= flag;
            rest = &rest[prefix.len()..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                f if f.starts_with('f') => {
                    let n: u8 = f[1..].parse().map_err(|_| err())?;
                    if !(1..=12).contains(&n) {
                        return Err(err());
                    }
                    KeyCode::F(n)
                }
                _ => return Err(err()),
            },
        };
        let code = match code {
            // `ctrl-R` is what the terminal sends for ctrl-r (and `ctrl-M` is Enter, as ctrl-m is).
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
            code => code,
        };
        if let Some(reason) = unsendable(code, modifiers) {
            return Err(KeyParseError::Unsendable { key: shown(s), reason });
        }
        if code == KeyCode::Tab && modifiers.contains(KeyModifiers::SHIFT) {
            return Ok(KeyChord::new(KeyCode::BackTab, modifiers - KeyModifiers::SHIFT));
        }
        Ok(KeyChord::new(code, modifiers))
    }
}

/// The config's spelling of a key as an error shows it: escaped when it holds characters a
/// terminal would act on or not show.
fn shown(s: &str) -> String {
    if crate::domain::text::sanitize(s) == s { s.to_string() } else { s.escape_debug().to_string() }
}

/// Why a terminal cannot send `code` with `modifiers` as written (without the kitty keyboard
/// protocol, which opsdeck does not ask for), and what to write instead; `None` when it can.
fn unsendable(code: KeyCode, modifiers: KeyModifiers) -> Option<String> {
    let ctrl = modifiers.contains(KeyModifiers::CONTROL);
    let shift = modifiers.contains(KeyModifiers::SHIFT);
    let alt = if modifiers.contains(KeyModifiers::ALT) { "alt-" } else { "" };
    match code {
        // Terminals send control bytes for keys that have names (or for ctrl with a letter), and no
        // key sends a character the screen would not show as itself (a bidi mark, a zero-width
        // space, a line or paragraph separator, which the screen shows as a space).
        KeyCode::Char(c) if c.is_control() || *crate::domain::text::sanitize(c.encode_utf8(&mut [0; 4])) != *c.encode_utf8(&mut [0; 4]) => {
            Some(
                "a control or invisible character is not a key; write its name (enter, tab, esc, backspace) or ctrl-a … ctrl-z"
                    .into(),
            )
        }
        KeyCode::Char(c) if shift && c.is_ascii_alphabetic() && ctrl => {
            Some(format!("terminals send ctrl-shift-{l} as ctrl-{l}; write {alt}ctrl-{l}", l = c.to_ascii_lowercase()))
        }
        KeyCode::Char(c) if shift && c.is_ascii_alphabetic() => {
            Some(format!("shift with a letter is the capital letter; write {alt}{}", c.to_ascii_uppercase()))
        }
        KeyCode::Char(' ') if shift => Some("terminals send shift-space as space; write space".into()),
        KeyCode::Char(c) if shift => Some(format!(
            "terminals cannot send shift with `{c}`; write the character shift gives (`(` for shift-9 on a US keyboard)"
        )),
        KeyCode::Char('i') if ctrl => Some("ctrl-i is Tab to a terminal; write tab".into()),
        KeyCode::Char('m') if ctrl => Some("ctrl-m is Enter to a terminal; write enter".into()),
        KeyCode::Char(c) if ctrl && !(c.is_ascii_alphabetic() || c == ' ') => {
            Some(format!("terminals cannot send ctrl with `{c}`; use a letter (ctrl-a … ctrl-z), an F key, or alt-{c}"))
        }
        KeyCode::Enter | KeyCode::Esc | KeyCode::Backspace | KeyCode::Tab if ctrl || shift => {
            let name = match code {
                KeyCode::Enter => "enter",
                KeyCode::Esc => "esc",
                KeyCode::Backspace => "backspace",
                _ => "tab",
            };
            if code == KeyCode::Tab && shift && !ctrl {
                return None; // shift-tab is backtab
            }
            let held = if ctrl { "ctrl" } else { "shift" };
            Some(format!("terminals send {held}-{name} as {name}; write {alt}{name}"))
        }
        KeyCode::BackTab if ctrl => Some("terminals send ctrl-backtab as backtab; write backtab".into()),
        _ => None,
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}
