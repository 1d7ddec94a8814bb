//! The symbols views draw (`●`, `⧗`, `✗`, `▸`, `★`, arrows, chart markers, `…`), in one place,
//! with their ASCII forms for terminals that cannot show them (the Linux console, VTs, or
//! `glyphs = "ascii"` in the config).
//!
//! Views take their symbols from [`Glyphs`]. In ASCII mode the finished frame also goes through
//! [`asciify`], which replaces whatever symbol is left (box-drawing borders, `·`, the `…` of a
//! truncated cell, arrows in key names) by one ASCII character of the same width, so no frame
//! ever sends a glyph the terminal would garble. Letters and digits of any script are kept: they
//! are names and text, not decoration.

use ratatui::buffer::Buffer;
use ratatui::symbols::Marker;

/// The symbols of one glyph set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    pub ascii: bool,
    /// The live badge: `● live`.
    pub live: &'static str,
    /// Queued, not yet confirmed by the backend.
    pub queued: &'static str,
    /// Rejected, failed, an error beside a field.
    pub rejected: &'static str,
    /// Done, met.
    pub done: &'static str,
    /// The marked row or item; a separator in a breadcrumb.
    pub pointer: &'static str,
    /// Happening now (a running maintenance window).
    pub now: &'static str,
    /// Pointing back (the drift tab's paused marker).
    pub back: &'static str,
    /// Edited here and not saved.
    pub edited: &'static str,
    /// A starred timeline event.
    pub star: &'static str,
    /// A paused clock.
    pub paused: &'static str,
    /// From → to, and whom something is assigned to.
    pub arrow: &'static str,
    /// Text left out.
    pub ellipsis: &'static str,
    /// A filled and an empty cell of a bar.
    pub bar_full: &'static str,
    pub bar_empty: &'static str,
    /// A horizontal rule, and a dashed one (a threshold line).
    pub rule: &'static str,
    pub dashed: &'static str,
    /// Chart legend markers.
    pub deploy: &'static str,
    pub incident: &'static str,
    pub maintenance: &'static str,
    /// How a chart's data is drawn: braille dots, or one `*` per cell in ASCII mode. Reference
    /// lines (thresholds, deploys) stay braille, which [`asciify`] turns into `-`, `_` and `|`.
    pub marker: Marker,
}

impl Glyphs {
    pub const UNICODE: Glyphs = Glyphs {
        ascii: false,
        live: "●",
        queued: "⧗",
        rejected: "✗",
        done: "✓",
        pointer: "▸",
        now: "▶",
        back: "◂",
        edited: "✎",
        star: "★",
        paused: "⏸",
        arrow: "→",
        ellipsis: "…",
        bar_full: "█",
        bar_empty: "░",
        rule: "─",
        dashed: "┄",
        deploy: "▲",
        incident: "■",
        maintenance: "▒",
        marker: Marker::Braille,
    };

    pub const ASCII: Glyphs = Glyphs {
        ascii: true,
        live: "*",
        queued: "~",
        rejected: "x",
        done: "+",
        pointer: ">",
        now: ">",
        back: "<",
        edited: "*",
        star: "*",
        paused: "||",
        arrow: "->",
        ellipsis: "...",
        bar_full: "#",
        bar_empty: ".",
        rule: "-",
        dashed: "-",
        deploy: "^",
        incident: "!",
        maintenance: "=",
        // `•` per cell, which `asciify` turns into `*`.
        marker: Marker::Dot,
    };
}

impl Default for Glyphs {
    fn default() -> Self {
        Glyphs::UNICODE
    }
}

/// Replaces every symbol left in the frame by its one-character ASCII form (see the module doc).
pub fn asciify(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        if let Some(replaced) = ascii_symbol(symbol) {
            cell.set_symbol(&replaced);
        }
    }
}

/// A cell's grapheme in ASCII, or `None` when it is fine as it is (letters, digits).
fn ascii_symbol(symbol: &str) -> Option<String> {
    let mut out = String::with_capacity(symbol.len());
    let mut changed = false;
    let mut kept_last = false;
    for c in symbol.chars() {
        if c.is_ascii() || c.is_alphanumeric() {
            out.push(c);
            kept_last = true;
        } else if is_combining(c) {
            // An accent stays on a kept letter and goes with a replaced symbol.
            if kept_last {
                out.push(c);
            } else {
                changed = true;
            }
        } else {
            out.push(ascii_for(c));
            changed = true;
            kept_last = false;
        }
    }
    // A wide symbol (an emoji) became one narrow character: the cell it covered shows blank.
    changed.then_some(out)
}

/// Zero-width marks that belong to the character before them.
fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x200D)
}

/// One ASCII character for a symbol; `?` for one that has no sensible stand-in.
pub fn ascii_for(c: char) -> char {
    match c {
        // The glyphs of `Glyphs::UNICODE` whose ASCII form is one character.
        '●' | '•' | '◉' | '◆' | '◇' | '★' | '☆' | '✎' | '✏' | '∗' => '*',
        '○' | '◎' | '°' => 'o',
        '⧗' | '⌛' | '⏳' | '≈' | '∼' | '±' => '~',
        '✗' | '✘' | '×' | '✕' | '✖' => 'x',
        '✓' | '✔' => '+',
        '▸' | '▶' | '▹' | '►' | '▷' | '→' | '⇒' | '⟶' | '»' | '›' | '≥' => '>',
        '◂' | '◀' | '◃' | '◄' | '◁' | '←' | '⇐' | '⟵' | '«' | '‹' | '≤' => '<',
        '▲' | '△' | '▴' | '▵' | '↑' | '⇑' => '^',
        '▼' | '▽' | '▾' | '▿' | '↓' | '⇓' => 'v',
        '↔' | '⇄' | '↕' => '-',
        '■' => '!',
        '□' | '▪' | '▫' | '█' | '▉' | '▊' | '▋' | '▇' | '▆' | '▅' | '▄' | '▀' | '▌' | '▐' | '▓' => {
            '#'
        }
        '▁' | '▂' | '▃' => '_',
        '▒' => '=',
        '░' => '.',
        '⏸' | '‖' => '|',
        '⚠' | '‼' => '!',
        '…' | '‥' => '.',
        '·' | '∙' => '/',
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
        '“' | '”' | '„' | '‟' | '″' => '"',
        '‘' | '’' | '‚' | '‛' | '′' => '\'',
        '\u{00A0}' | '\u{2000}'..='\u{200B}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        // Box drawing: lines by direction, everything else a corner or crossing.
        '─' | '━' | '┄' | '┅' | '┈' | '┉' | '╌' | '╍' | '═' | '╴' | '╶' | '╸' | '╺' => '-',
        '│' | '┃' | '┆' | '┇' | '┊' | '┋' | '╎' | '╏' | '║' | '╵' | '╷' | '╹' | '╻' => '|',
        '\u{2500}'..='\u{257F}' => '+',
        '\u{2800}'..='\u{28FF}' => braille(c as u32 - 0x2800),
        '\u{2190}'..='\u{21FF}' => '>',
        '\u{25A0}'..='\u{25FF}' | '\u{2600}'..='\u{27BF}' => '*',
        c if c.is_whitespace() => ' ',
        _ => '?',
    }
}

/// A braille cell of a chart as ASCII by its shape: a horizontal line `-` (`_` at the bottom), a
/// vertical one `|`, the two crossing `+`, a blank one blank, anything else a dot.
fn braille(dots: u32) -> char {
    // Bits by row: dots 1 2 3 7 down the left column, 4 5 6 8 down the right.
    const LEFT: [u32; 4] = [0x01, 0x02, 0x04, 0x40];
    const RIGHT: [u32; 4] = [0x08, 0x10, 0x20, 0x80];
    let rows: Vec<usize> = (0..4).filter(|&r| dots & (LEFT[r] | RIGHT[r]) != 0).collect();
    let column = |bits: &[u32; 4]| bits.iter().filter(|&&b| dots & b != 0).count();
    let (left, right) = (column(&LEFT), column(&RIGHT));
    match (left, right, rows.as_slice()) {
        (0, 0, _) => ' ',
        (1, 1, [3]) => '_',
        (1, 1, [_]) => '-',
        (l, r, _) if (l >= 3 && r == 0) || (r >= 3 && l == 0) => '|',
        (4, 1, _) | (1, 4, _) => '+',
        _ => '.',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn one_character_ascii_forms_agree_with_the_frame_pass() {
        let (u, a) = (Glyphs::UNICODE, Glyphs::ASCII);
        let pairs = [
            (u.live, a.live),
            (u.queued, a.queued),
            (u.rejected, a.rejected),
            (u.done, a.done),
            (u.pointer, a.pointer),
            (u.now, a.now),
            (u.back, a.back),
            (u.edited, a.edited),
            (u.star, a.star),
            (u.bar_full, a.bar_full),
            (u.bar_empty, a.bar_empty),
            (u.rule, a.rule),
            (u.dashed, a.dashed),
            (u.deploy, a.deploy),
            (u.incident, a.incident),
            (u.maintenance, a.maintenance),
        ];
        for (unicode, ascii) in pairs {
            let c = unicode.chars().next().unwrap();
            assert_eq!(ascii_for(c).to_string(), ascii, "{unicode}");
            assert_eq!(ratatui::text::Span::raw(unicode).width(), 1, "{unicode} is one cell wide");
        }
        for (unicode, ascii) in [(u.arrow, a.arrow), (u.ellipsis, a.ellipsis), (u.paused, a.paused)] {
            assert!(ascii.is_ascii() && !ascii.is_empty(), "{unicode}: {ascii}");
        }
    }

    #[test]
    fn braille_chart_lines_keep_their_shape() {
        let cases = [('⠒', '-'), ('⠉', '-'), ('⣀', '_'), ('⡇', '|'), ('⢸', '|'), ('⡗', '+'), ('⠁', '.'), ('⠀', ' ')];
        for (cell, ascii) in cases {
            assert_eq!(ascii_for(cell), ascii, "{cell}");
        }
    }

    #[test]
    fn the_frame_pass_leaves_only_ascii_and_keeps_letters() {
        let text = "┌─ Keys ─┐│● live ⧗ ✗ ▸ ★ → … · ⣿⠀ “q” — T1→T2 Müller 東京 χ² 🔥x";
        let area = Rect::new(0, 0, text.chars().count() as u16 * 2, 1);
        let mut buffer = Buffer::empty(area);
        buffer.set_string(0, 0, text, ratatui::style::Style::new());
        asciify(&mut buffer);
        let shown: String = buffer.content.iter().map(|c| c.symbol()).collect();
        let symbols: String = shown.chars().filter(|c| !c.is_alphanumeric()).collect();
        assert!(symbols.is_ascii(), "{shown}");
        assert!(shown.starts_with("+- Keys -+|* live ~ x > * > . / .  \"q\" - T1>T2 Müller 東 京  χ² ? x"), "{shown}");
    }
}
