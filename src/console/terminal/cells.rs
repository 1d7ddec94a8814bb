//! The bytes of a frame's changed cells, as few as a terminal reads the same way: the cursor moved
//! relatively when that is shorter (down, back a column or two, to the line's start, forward),
//! only the colours and attributes that differ from the cell before set (in one sequence), and
//! one `ESC [ 0 m` at the end instead of a reset per colour. A countdown's redraw is then a few
//! bytes per digit that changed. A block of rows that moved up or down (a row came or went in a
//! list above them) is moved by the terminal in a scroll region ([`shift_rows`]), and only the
//! rows that differ after that are drawn.
//!
//! What is sent is the same screen crossterm's own encoder draws (the tests feed both to a
//! terminal emulator, in `terminal/tests.rs`): colours as `38;5;n` like crossterm's, so the 16-colour filter reads them.

use std::io::{self, Write};

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};

/// Writes what turns the screen showing `from` into `to`: rows moved, then the cells that
/// still differ.
pub fn write_change(out: &mut impl Write, from: &Buffer, to: &Buffer) -> io::Result<()> {
    let moved = shift_rows(out, from, to)?;
    write_cells(out, to.area.width, moved.as_ref().unwrap_or(from).diff(to))
}

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

/// Rows of `from` that `to` shows shifted up or down (a list that gained or lost a row above
/// them): moved on the terminal itself with a scroll region, so only the row that came or went is
/// drawn. Writes the move to `out` and returns `from` as the screen then shows it; `None` when no
/// block of at least [`MIN_MOVED`] rows moved.
pub fn shift_rows<'a>(out: &mut impl Write, from: &'a Buffer, to: &'a Buffer) -> io::Result<Option<Buffer>> {
    let (width, height) = (usize::from(to.area.width), usize::from(to.area.height));
    if from.area != to.area || width == 0 {
        return Ok(None);
    }
    let row = |b: &'a Buffer, r: usize| -> &'a [Cell] { &b.content[r * width..(r + 1) * width] };
    // The best shift: (rows gained, shift, first row of `to`, end row) of the longest run of
    // rows equal to `from`'s `shift` rows above (down: positive) that are not equal in place.
    let mut best: Option<(usize, isize, usize, usize)> = None;
    for shift in (-MAX_SHIFT..=MAX_SHIFT).filter(|s| *s != 0) {
        let (mut start, mut gained) = (None, 0);
        for r in 0..=height {
            let source = r as isize - shift;
            let same = r < height && (0..height as isize).contains(&source) && row(to, r) == row(from, source as usize);
            match (same, start) {
                (true, None) => {
                    start = Some(r);
                    gained = usize::from(row(to, r) != row(from, r));
                }
                (true, Some(_)) => gained += usize::from(row(to, r) != row(from, r)),
                (false, Some(s)) => {
                    if best.is_none_or(|b| gained > b.0) {
                        best = Some((gained, shift, s, r));
                    }
                    start = None;
                }
                (false, None) => {}
            }
        }
    }
    let Some((_, shift, start, end)) = best.filter(|b| b.0 >= MIN_MOVED) else { return Ok(None) };
    let k = shift.unsigned_abs();
    let mut moved = from.clone();
    let blank = vec![Cell::default(); width];
    // The region and the lines inserted at its top (down) or deleted there (up), on the screen
    // and in the copy of it.
    let (top, bottom, sequence) = if shift > 0 {
        (start - k, end - 1, format!("\x1b[{}L", k))
    } else {
        (start, end - 1 + k, format!("\x1b[{}M", k))
    };
    let mut rows: Vec<Vec<Cell>> = (top..=bottom).map(|r| row(from, r).to_vec()).collect();
    if shift > 0 {
        rows.truncate(rows.len() - k);
        for _ in 0..k {
            rows.insert(0, blank.clone());
        }
    } else {
        rows.drain(..k);
        rows.extend(std::iter::repeat_n(blank.clone(), k));
    }
    for (i, cells) in rows.into_iter().enumerate() {
        moved.content[(top + i) * width..(top + i + 1) * width].clone_from_slice(&cells);
    }
    // Lines come in blank with the default colours: no attribute may be set.
    write!(out, "\x1b[0m\x1b[{};{}r\x1b[{};1H{sequence}\x1b[r", top + 1, bottom + 1, top + 1)?;
    Ok(Some(moved))
}

/// Fewer rows moved than this are simply redrawn.
const MIN_MOVED: usize = 3;
/// The most rows a block is looked for shifted by.
const MAX_SHIFT: isize = 8;
