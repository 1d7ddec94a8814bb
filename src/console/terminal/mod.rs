//! Entering and leaving the terminal, the panic hook, and synchronized drawing.
//!
//! A frame whose cells are all as on screen already is not sent at all: no synchronized-update
//! markers, no colour resets, nothing (an idle console over SSH costs no bandwidth). A frame that
//! changes sends only its changed cells (ratatui's diff), in the fewest bytes (`cells.rs`); the
//! cursor stays hidden from [`enter`] on and is not hidden again every frame.
//!
//! The panic hook restores the terminal first (raw mode off, main screen back, cursor shown)
//! and then runs the previous hook, so the panic message lands on a usable screen.
//!
//! What is sent depends on the terminal ([`TermCaps`]): the Linux console and VTs get no
//! alternate screen, synchronized updates or bracketed paste (the screen is cleared on the way
//! out instead), and terminals of 16 colours get the classic colour codes through [`Ansi16`].

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;

mod cells;

use crate::console::state::AppState;
use crate::console::theme::{TermCaps, ansi16_index, nearest_ansi16};

/// The terminal the console draws on, and the frame last sent to it.
pub struct Tui {
    terminal: Terminal<CrosstermBackend<TermWriter>>,
    /// What the screen shows now, as far as this program knows; `None` when unknown (at the
    /// start, after another program had the terminal).
    shown: Option<Buffer>,
}

impl Tui {
    pub fn size(&self) -> io::Result<ratatui::layout::Size> {
        self.terminal.size()
    }
}

/// Whether the terminal in use has an alternate screen and the other modern modes; set by
/// [`enter`], read when leaving (also from the panic hook).
static MODERN: AtomicBool = AtomicBool::new(true);

fn modern() -> bool {
    MODERN.load(Ordering::Relaxed)
}

pub fn enter(caps: TermCaps) -> io::Result<Tui> {
    MODERN.store(caps.modern, Ordering::Relaxed);
    install_panic_hook();
    enable_raw_mode()?;
    take_screen()?;
    let writer = TermWriter { out: io::stdout(), ansi16: caps.ansi16.then(Ansi16::default) };
    Ok(Tui { terminal: Terminal::new(CrosstermBackend::new(writer))?, shown: None })
}

fn take_screen() -> io::Result<()> {
    if modern() {
        execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste, cursor::Hide, Clear(ClearType::All))
    } else {
        execute!(io::stdout(), cursor::Hide, Clear(ClearType::All))
    }
}

/// Takes the terminal back after another program (`$EDITOR`) had it: raw mode, the alternate
/// screen, and a full redraw on the next frame.
pub fn resume(tui: &mut Tui) -> io::Result<()> {
    enable_raw_mode()?;
    take_screen()?;
    // `Terminal::clear` would ask the terminal where the cursor is and wait for the answer; a
    // blank "previous frame" makes the next draw write every cell just the same.
    tui.terminal.swap_buffers();
    tui.shown = None;
    Ok(())
}

/// Puts the terminal back as it was. Safe to call more than once.
pub fn leave() -> io::Result<()> {
    let raw = disable_raw_mode();
    if modern() {
        execute!(io::stdout(), DisableBracketedPaste, LeaveAlternateScreen, cursor::Show)?;
    } else {
        // No alternate screen to leave: wipe the console's last frame instead.
        execute!(
            io::stdout(),
            crossterm::style::ResetColor,
            Clear(ClearType::All),
            cursor::MoveTo(0, 0),
            cursor::Show
        )?;
    }
    raw
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = leave();
        previous(info);
    }));
}

/// Draws one frame inside a synchronized update, so terminals that support it show it whole;
/// sends nothing when no cell differs from the screen. Returns whether anything was sent.
pub fn draw(tui: &mut Tui, state: &AppState, now: DateTime<Utc>) -> io::Result<bool> {
    let terminal = &mut tui.terminal;
    terminal.autoresize()?;
    let mut frame = terminal.get_frame();
    crate::console::view::draw(&mut frame, state, now);
    // The console never shows the terminal's cursor (it is hidden on entering), so the cells
    // are the whole of a frame.
    if tui.shown.as_ref() == Some(&*terminal.current_buffer_mut()) {
        terminal.current_buffer_mut().reset();
        return Ok(false);
    }
    if modern() {
        queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    }
    let drawn = terminal.current_buffer_mut().clone();
    match &tui.shown {
        // Only what changed, in as few bytes as the terminal reads the same way (`cells`).
        Some(shown) if shown.area == drawn.area => {
            cells::write_change(terminal.backend_mut(), shown, &drawn)?;
        }
        // What the screen shows is not known: ratatui's own diff from its blank buffer.
        _ => terminal.flush()?,
    }
    terminal.swap_buffers();
    if modern() {
        queue!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    }
    terminal.backend_mut().flush()?;
    tui.shown = Some(drawn);
    Ok(true)
}

pub fn bell(tui: &mut Tui) -> io::Result<()> {
    let backend = tui.terminal.backend_mut();
    backend.write_all(b"\x07")?;
    backend.flush()
}

/// Standard output, through [`Ansi16`] on terminals of 16 colours.
pub struct TermWriter {
    out: Stdout,
    ansi16: Option<Ansi16>,
}

impl Write for TermWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.ansi16 {
            Some(filter) => {
                let out = filter.filter(buf);
                self.out.write_all(&out)?;
                Ok(buf.len())
            }
            None => self.out.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Rewrites colours in escape sequences to the 16 ANSI colours' classic codes: crossterm sends
/// every colour as `38;5;n` (or `38;2;r;g;b`), which the Linux console and VTs do not read.
/// Works on a byte stream cut anywhere: a sequence split between writes is held until its end.
#[derive(Debug, Default)]
pub struct Ansi16 {
    /// An escape sequence begun and not finished.
    pending: Vec<u8>,
}

impl Ansi16 {
    pub fn filter(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() + 8);
        for &byte in input {
            if self.pending.is_empty() {
                if byte == 0x1b {
                    self.pending.push(byte);
                } else {
                    out.push(byte);
                }
                continue;
            }
            self.pending.push(byte);
            match self.pending.len() {
                // Not a CSI sequence (ESC 7, an OSC…): passed on as it is.
                2 if byte != b'[' => out.append(&mut self.pending),
                2 => {}
                // Parameter and intermediate bytes go on; anything else ends the sequence.
                _ if (0x20..=0x3f).contains(&byte) => {}
                _ => {
                    let sequence = std::mem::take(&mut self.pending);
                    if byte == b'm' {
                        out.extend_from_slice(&rewrite_sgr(&sequence[2..sequence.len() - 1]));
                    } else {
                        out.extend_from_slice(&sequence);
                    }
                }
            }
        }
        out
    }
}

/// `ESC [ params m` with every extended colour replaced by the nearest of the 16.
fn rewrite_sgr(params: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(params);
    let parts: Vec<&str> = text.split(';').collect();
    let number = |i: usize| parts.get(i).and_then(|p| p.parse::<u8>().ok());
    let mut codes: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let layer = match parts[i] {
            "38" => Some(30),
            "48" => Some(40),
            _ => None,
        };
        let index = match (layer, parts.get(i + 1).copied()) {
            (Some(_), Some("5")) => number(i + 2).map(|n| (ansi16_index(n), 3)),
            (Some(_), Some("2")) => match (number(i + 2), number(i + 3), number(i + 4)) {
                (Some(r), Some(g), Some(b)) => Some((nearest_ansi16(r, g, b), 5)),
                _ => None,
            },
            _ => None,
        };
        match (layer, index) {
            (Some(base), Some((index, used))) => {
                let code = if index < 8 { base + u16::from(index) } else { base + 60 + u16::from(index - 8) };
                codes.push(code.to_string());
                i += used;
            }
            _ => {
                codes.push(parts[i].to_string());
                i += 1;
            }
        }
    }
    format!("\x1b[{}m", codes.join(";")).into_bytes()
}

#[cfg(test)]
mod tests;
