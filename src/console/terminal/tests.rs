use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::cells::{write_cells, write_change};
use super::*;
use crate::config::Config;
use crate::console::event::Event;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 14, 0, 0).unwrap()
}

/// Frames of the real views: each tab, a second apart, and a few hand-made cells besides.
fn frames(width: u16, height: u16) -> Vec<Buffer> {
    let session = crate::fixtures::session(true);
    let snapshot = crate::fixtures::seeded_snapshot(7, now());
    let mut state = AppState::new(session, &Config::default(), snapshot, true, now());
    state.update(Event::Resize { width, height }, now());
    state.update(crate::fixtures::synced(now(), "fixture", false, vec![]), now());
    let mut out = Vec::new();
    for (i, tab) in ['1', '2', '3', '3', '4', '5', '6', '1'].into_iter().enumerate() {
        let at = now() + chrono::Duration::seconds(i as i64);
        state.update(Event::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(tab))), at);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| crate::console::view::draw(frame, &state, at)).unwrap();
        out.push(terminal.backend().buffer().clone());
    }
    let mut odd = out[0].clone();
    let styles = [
        Style::new().fg(Color::Rgb(1, 2, 3)).bg(Color::Indexed(200)).add_modifier(Modifier::BOLD | Modifier::ITALIC),
        Style::new().fg(Color::LightRed).add_modifier(Modifier::REVERSED | Modifier::UNDERLINED),
        Style::new().bg(Color::Blue).add_modifier(Modifier::DIM),
        Style::new(),
    ];
    for (i, style) in styles.iter().cycle().take(40).enumerate() {
        let (x, y) = ((i * 7 % usize::from(width)) as u16, (i * 3 % usize::from(height)) as u16);
        odd[(x, y)].set_symbol(if i % 5 == 0 { "界" } else { "x" }).set_style(*style);
    }
    // The last column, then the next line's start.
    odd[(width - 1, 2)].set_symbol("z");
    odd[(0, 3)].set_symbol("a");
    out.push(odd);
    out
}

/// What crossterm's own encoder (ratatui's backend) sends for the change from `from` to `to`.
fn crossterm_bytes(from: &Buffer, to: &Buffer) -> Vec<u8> {
    let mut out = Vec::new();
    CrosstermBackend::new(&mut out).draw(from.diff(to).into_iter()).unwrap();
    out
}

/// The first cells two screens differ in.
fn differences(ours: &[String], theirs: &[String]) -> Vec<(String, String)> {
    ours.iter().zip(theirs).filter(|(a, b)| a != b).take(4).map(|(a, b)| (a.clone(), b.clone())).collect()
}

/// What a terminal shows after `bytes`, cell by cell: text, colours and attributes.
fn shown(width: u16, height: u16, bytes: &[u8]) -> Vec<String> {
    let mut parser = vt100::Parser::new(height, width, 0);
    parser.process(bytes);
    let screen = parser.screen();
    let mut cells = Vec::new();
    for row in 0..height {
        for col in 0..width {
            let c = screen.cell(row, col).unwrap();
            // An erased cell and a space written there look the same.
            let text = if c.contents().is_empty() { " ".to_string() } else { c.contents().to_string() };
            cells.push(format!(
                "{row},{col} {text:?} {:?} {:?} b{} i{} u{} r{} d{}",
                c.fgcolor(),
                c.bgcolor(),
                c.bold(),
                c.italic(),
                c.underline(),
                c.inverse(),
                c.dim()
            ));
        }
    }
    cells
}

#[test]
fn changed_cells_draw_the_same_screen_as_crossterms_encoder_in_fewer_bytes() {
    let (width, height) = (120, 30);
    let frames = frames(width, height);
    let blank = Buffer::empty(Rect::new(0, 0, width, height));
    let (mut theirs, mut ours) = (Vec::new(), Vec::new());
    let mut previous = &blank;
    for frame in &frames {
        let reference = crossterm_bytes(previous, frame);
        let mut mine = Vec::new();
        write_change(&mut mine, previous, frame).unwrap();
        theirs.extend_from_slice(&reference);
        ours.extend_from_slice(&mine);
        let (a, b) = (shown(width, height, &ours), shown(width, height, &theirs));
        assert!(a == b, "after {} frames: {:?}", frames.len(), differences(&a, &b));
        assert!(mine.len() <= reference.len(), "{} bytes where crossterm sends {}", mine.len(), reference.len());
        previous = frame;
    }
    // A countdown a second on (the SLA tab twice): a few bytes a changed digit.
    let reference = crossterm_bytes(&frames[2], &frames[3]);
    let mut mine = Vec::new();
    write_cells(&mut mine, width, frames[2].diff(&frames[3])).unwrap();
    let changed = frames[2].diff(&frames[3]).len();
    assert!(changed > 0, "the SLA tab's countdowns moved");
    assert!(mine.len() * 3 <= reference.len() * 2, "{} bytes against crossterm's {}", mine.len(), reference.len());
}

/// A list that gained a row (everything below moves down one) or lost two (up two): the rows
/// are moved by the terminal, the screen ends up the same, in a fraction of the bytes.
#[test]
fn rows_that_moved_are_moved_not_redrawn() {
    let (width, height) = (120, 30);
    let frames = frames(width, height);
    let blank = Buffer::empty(Rect::new(0, 0, width, height));
    let base = &frames[2];
    let w = usize::from(width);
    let shifted = |shift: isize| {
        let mut to = base.clone();
        for r in 4..26usize {
            let source = r as isize - shift;
            if (4..26).contains(&source) {
                let cells = base.content[source as usize * w..(source as usize + 1) * w].to_vec();
                to.content[r * w..(r + 1) * w].clone_from_slice(&cells);
            }
        }
        for col in 0..width {
            let new_row = if shift > 0 { 4 } else { 25 };
            to[(col, new_row)].set_symbol("n").set_style(Style::new().fg(Color::Yellow));
        }
        to
    };
    for shift in [1, -2] {
        let to = shifted(shift);
        let mut theirs = crossterm_bytes(&blank, base);
        let mut ours = theirs.clone();
        let reference = crossterm_bytes(base, &to);
        let mut mine = Vec::new();
        write_change(&mut mine, base, &to).unwrap();
        theirs.extend_from_slice(&reference);
        ours.extend_from_slice(&mine);
        let (a, b) = (shown(width, height, &ours), shown(width, height, &theirs));
        assert!(a == b, "shift {shift}: {:?}", differences(&a, &b));
        assert!(
            mine.len() * 3 < reference.len(),
            "shift {shift}: {} bytes where crossterm sends {}",
            mine.len(),
            reference.len()
        );
    }
}

#[test]
fn nothing_changed_is_nothing_written() {
    let mut out = Vec::new();
    write_cells(&mut out, 80, std::iter::empty()).unwrap();
    assert!(out.is_empty());
}

#[test]
fn extended_colours_become_the_classic_sixteen_however_the_writes_are_cut() {
    let input = b"\x1b[H\x1b[38;5;9;48;5;0mP1\x1b[38;5;8mdim\x1b[38;2;0;205;0mok\x1b[39;49m\x1b[1m\x1b[?2026h\x1b7x";
    let expected = b"\x1b[H\x1b[91;40mP1\x1b[90mdim\x1b[32mok\x1b[39;49m\x1b[1m\x1b[?2026h\x1b7x";
    let mut whole = Ansi16::default();
    assert_eq!(String::from_utf8_lossy(&whole.filter(input)), String::from_utf8_lossy(expected));
    for cut in 1..input.len() {
        let mut split = Ansi16::default();
        let mut out = split.filter(&input[..cut]);
        out.extend(split.filter(&input[cut..]));
        assert_eq!(out, expected, "cut at {cut}");
    }
    let mut cube = Ansi16::default();
    assert_eq!(cube.filter(b"\x1b[38;5;196m"), b"\x1b[91m");
}
