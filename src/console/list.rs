//! The selection and scroll position of a list, shared by every tab's list.

/// Which row is selected and which row is at the top of the viewport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Moves the selection by `delta` rows of `len` and keeps it inside a viewport of
    /// `viewport` lines.
    pub fn move_by(&mut self, delta: isize, len: usize, viewport: usize) {
        if len == 0 {
            return;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(len - 1);
        self.scroll_into_view(len, viewport);
    }

    pub fn first(&mut self, len: usize, viewport: usize) {
        self.selected = 0;
        self.scroll_into_view(len, viewport);
    }

    pub fn last(&mut self, len: usize, viewport: usize) {
        self.selected = len.saturating_sub(1);
        self.scroll_into_view(len, viewport);
    }

    /// After the visible rows changed: selects the row stored at `index` if it is still visible,
    /// and keeps the selection inside the list either way. `visible` holds storage indices.
    pub fn reselect(&mut self, visible: &[usize], index: Option<usize>) {
        if let Some(pos) = index.and_then(|index| visible.iter().position(|&i| i == index)) {
            self.selected = pos;
        }
        self.selected = self.selected.min(visible.len().saturating_sub(1));
    }

    /// Keeps the selection inside the list and the viewport.
    pub fn scroll_into_view(&mut self, len: usize, viewport: usize) {
        let viewport = viewport.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + viewport {
            self.offset = self.selected + 1 - viewport;
        }
        self.offset = self.offset.min(len.saturating_sub(viewport));
    }
}

/// An open detail view: which item, scrolled how far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub id: String,
    pub scroll: usize,
}

impl Detail {
    pub fn new(id: &str) -> Detail {
        Detail { id: id.to_string(), scroll: 0 }
    }

    pub fn scroll_by(&mut self, delta: isize, lines: usize) {
        self.scroll = self.scroll.saturating_add_signed(delta).min(lines.saturating_sub(1));
    }
}

/// Whether every whitespace-separated term of `filter` (lower-cased) occurs in `haystack`.
pub fn matches(haystack: &str, filter: &str) -> bool {
    filter.split_whitespace().all(|t| haystack.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_stays_in_the_list_and_the_viewport() {
        let mut c = Cursor::default();
        c.move_by(5, 10, 3);
        assert_eq!(c, Cursor { selected: 5, offset: 3 });
        c.move_by(100, 10, 3);
        assert_eq!(c, Cursor { selected: 9, offset: 7 });
        c.first(10, 3);
        assert_eq!(c, Cursor { selected: 0, offset: 0 });
        c.last(4, 3);
        assert_eq!(c, Cursor { selected: 3, offset: 1 });
        c.scroll_into_view(2, 3);
        assert_eq!(c, Cursor { selected: 1, offset: 0 }, "a shorter list pulls the selection in");
        c.move_by(1, 0, 3);
        assert_eq!(c, Cursor { selected: 1, offset: 0 }, "an empty list moves nothing");
    }
}
