//! Views shared by the tabs: the header and status line, the help, outbox and message panels,
//! a timeline, and placing and formatting helpers (centring, times in the display zone, drawing
//! into a buffer).

pub mod help;
pub mod history;
pub mod messages;
pub mod status;

pub use crate::console::layout::centered;
pub use crate::console::time::clock;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::console::zone::DisplayZone;
/// Drawing a widget into a buffer the way `Frame` does: views are widgets that render their
/// parts into the buffer they are given.
pub trait Draw {
    fn render_widget<W: Widget>(&mut self, widget: W, area: Rect);
}

impl Draw for Buffer {
    fn render_widget<W: Widget>(&mut self, widget: W, area: Rect) {
        widget.render(area, self);
    }
}

/// `at` formatted with `format` in the display time zone `tz`.
pub fn local(at: DateTime<Utc>, tz: DisplayZone, format: &str) -> String {
    tz.format(at, format)
}
