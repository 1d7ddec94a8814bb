//! Entering and leaving the terminal, the panic hook, and synchronized drawing.
//!
//! The panic hook restores the terminal first (raw mode off, main screen back, cursor shown)
//! and then runs the previous hook, so the panic message lands on a usable screen.

use std::io::{self, Stdout, Write};

use chrono::{DateTime, Utc};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::state::AppState;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

pub fn enter() -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste, cursor::Hide)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Takes the terminal back after another program (`$EDITOR`) had it: raw mode, the alternate
/// screen, and a full redraw on the next frame.
pub fn resume(terminal: &mut Tui) -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste, cursor::Hide, Clear(ClearType::All))?;
    // `Terminal::clear` would ask the terminal where the cursor is and wait for the answer; a
    // blank "previous frame" makes the next draw write every cell just the same.
    terminal.swap_buffers();
    Ok(())
}

/// Puts the terminal back as it was. Safe to call more than once.
pub fn leave() -> io::Result<()> {
    let raw = disable_raw_mode();
    execute!(io::stdout(), DisableBracketedPaste, LeaveAlternateScreen, cursor::Show)?;
    raw
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = leave();
        previous(info);
    }));
}

/// Draws one frame inside a synchronized update, so terminals that support it show it whole.
pub fn draw(terminal: &mut Tui, state: &AppState, now: DateTime<Utc>) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| crate::ui::draw(frame, state, now))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)
}

pub fn bell(terminal: &mut Tui) -> io::Result<()> {
    let backend = terminal.backend_mut();
    backend.write_all(b"\x07")?;
    backend.flush()
}
