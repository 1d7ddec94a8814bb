//! The bytes of a frame's changed cells, as few as a terminal reads the same way: the cursor moved
//! relatively when that is shorter (down, back a column or two, to the line's start, forward),
//! only the colours and attributes that differ from the cell before set (in one sequence), and
//! one `ESC [ 0 m` at the end instead of a reset per colour. A countdown's redraw is then a few
//! bytes per digit that changed.
//!
//! What is sent is the same screen crossterm's own encoder draws (the tests feed both to a
//! terminal emulator, in `terminal/tests.rs`): colours as `38;5;n` like crossterm's, so the 16-colour filter reads them.

use std::io::{self, Write};

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};

/// Writes `cells` (ratatui's diff: in screen order, each with its column and row) to `out` for
/// a screen `width` columns wide.
pub fn write_cells<'a>(
    out: &mut impl Write,
    width: u16,
    cells: impl IntoIterator<Item = (u16, u16, &'a Cell)>,
) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(256);
    // Where the cursor is, when known for sure (not after the last column: terminals differ).
    let mut cursor: Option<(u16, u16)> = None;
    let mut style = Style::reset();
    let mut any = false;
    for (x, y, cell) in cells {
        any = true;
        move_to(&mut bytes, cursor, x, y);
        let want = Style::of(cell);
        want.change_from(&style, &mut bytes);
        style = want;
        bytes.extend_from_slice(cell.symbol().as_bytes());
        let next = x.saturating_add(unicode_width(cell.symbol()));
        cursor = (next < width).then_some((next, y));
    }
    if any && style != Style::reset() {
        bytes.extend_from_slice(b"\x1b[0m");
    }
    out.write_all(&bytes)
}

fn unicode_width(symbol: &str) -> u16 {
    let w = ratatui::text::Span::raw(symbol).width();
    w.max(1) as u16
}

/// The shortest way from `cursor` to (`x`, `y`) (0-based).
fn move_to(bytes: &mut Vec<u8>, cursor: Option<(u16, u16)>, x: u16, y: u16) {
    if cursor == Some((x, y)) {
        return;
    }
    let absolute = format!("\x1b[{};{}H", y + 1, x + 1).into_bytes();
    let relative = cursor.filter(|&(_, cy)| y >= cy).map(|(cx, cy)| {
        let mut r = Vec::new();
        match y - cy {
            0 => {}
            1 => r.extend_from_slice(b"\x1b[B"),
            down => r.extend_from_slice(format!("\x1b[{down}B").as_bytes()),
        }
        let forward = |n: u16| match n {
            0 => Vec::new(),
            1 => b"\x1b[C".to_vec(),
            n => format!("\x1b[{n}C").into_bytes(),
        };
        let horizontal = if x >= cx {
            forward(x - cx)
        } else {
            let back = vec![b'\x08'; usize::from(cx - x)];
            let mut home = vec![b'\r'];
            home.extend(forward(x));
            if back.len() <= home.len() { back } else { home }
        };
        r.extend(horizontal);
        r
    });
    match relative {
        Some(r) if r.len() < absolute.len() => bytes.extend(r),
        _ => bytes.extend(absolute),
    }
}

/// What SGR state a cell needs.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Style {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

const ATTRIBUTES: [(Modifier, u8); 9] = [
    (Modifier::BOLD, 1),
    (Modifier::DIM, 2),
    (Modifier::ITALIC, 3),
    (Modifier::UNDERLINED, 4),
    (Modifier::SLOW_BLINK, 5),
    (Modifier::RAPID_BLINK, 6),
    (Modifier::REVERSED, 7),
    (Modifier::HIDDEN, 8),
    (Modifier::CROSSED_OUT, 9),
];

impl Style {
    fn reset() -> Style {
        Style { fg: Color::Reset, bg: Color::Reset, underline: Color::Reset, modifier: Modifier::empty() }
    }

    fn of(cell: &Cell) -> Style {
        Style { fg: cell.fg, bg: cell.bg, underline: cell.underline_color, modifier: cell.modifier }
    }

    /// Appends the one SGR sequence that turns `from` into `self` (nothing when they agree).
    fn change_from(&self, from: &Style, bytes: &mut Vec<u8>) {
        if self == from {
            return;
        }
        let mut params: Vec<String> = Vec::new();
        let mut from = *from;
        // An attribute turned off: start from nothing (one `0` is shorter than most `2x` codes).
        if !(from.modifier - self.modifier).is_empty() {
            params.push("0".into());
            from = Style::reset();
        }
        for (modifier, code) in ATTRIBUTES {
            if self.modifier.contains(modifier) && !from.modifier.contains(modifier) {
                params.push(code.to_string());
            }
        }
        if self.fg != from.fg {
            params.push(colour(self.fg, 38, "39"));
        }
        if self.bg != from.bg {
            params.push(colour(self.bg, 48, "49"));
        }
        if self.underline != from.underline {
            params.push(colour(self.underline, 58, "59"));
        }
        if !params.is_empty() {
            bytes.extend_from_slice(format!("\x1b[{}m", params.join(";")).as_bytes());
        }
    }
}

/// SGR parameters for `colour` on layer `layer` (38 text, 48 background, 58 underline).
fn colour(colour: Color, layer: u8, reset: &str) -> String {
    let index = match colour {
        Color::Reset => return reset.to_string(),
        Color::Rgb(r, g, b) => return format!("{layer};2;{r};{g};{b}"),
        Color::Indexed(n) => n,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    format!("{layer};5;{index}")
}
