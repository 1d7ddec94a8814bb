//! Layout math shared by the state and the views: the minimum terminal size, how many list
//! rows fit, where a panel goes, and the help panel's lines (`help.rs`). The state uses it to
//! keep a selection in view and to scroll help no further than its end; the views to draw as much.

use ratatui::layout::{Constraint, Flex, Layout, Rect};

pub mod help;

/// Below this many columns or rows the tabs do not fit: a notice says so instead of a clipped
/// screen, and only the quit keys act (a key pressed on a screen nobody can read acts on nothing).
pub const MIN_WIDTH: u16 = 70;
pub const MIN_HEIGHT: u16 = 16;

/// Whether a terminal of `width`×`height` is below the minimum.
pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// Lines of chrome around the incident list: header, table header, status line.
const CHROME_ROWS: u16 = 3;

/// How many incident rows fit on a terminal `height` lines tall.
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(CHROME_ROWS)).max(1)
}

/// A rectangle of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}
