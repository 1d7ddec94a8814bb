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

/// The display zone's name at `at`: `UTC`, `CET`, `CEST`; the system's zone (no `timezone`
/// configured) by its offset, `UTC+01:00`, or `UTC` when it has none.
pub fn zone_name(at: DateTime<Utc>, tz: Option<chrono_tz::Tz>) -> String {
    match tz {
        Some(tz) => at.with_timezone(&tz).format("%Z").to_string(),
        None => match at.with_timezone(&chrono::Local).offset().local_minus_utc() {
            0 => "UTC".to_string(),
            _ => format!("UTC{}", at.with_timezone(&chrono::Local).format("%:z")),
        },
    }
}

/// `at` formatted with `format` in the display time zone `tz` (the system's when `None`).
pub fn local(at: DateTime<Utc>, tz: Option<chrono_tz::Tz>, format: &str) -> String {
    match tz {
        Some(tz) => at.with_timezone(&tz).format(format).to_string(),
        None => at.with_timezone(&chrono::Local).format(format).to_string(),
    }
}
