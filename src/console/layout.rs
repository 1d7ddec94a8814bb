//! Layout math shared by the state and the views: the minimum terminal size and how many list
//! rows fit. The state uses it to keep a selection in view; the views to draw that many rows.

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
