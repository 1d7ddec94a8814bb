//! List machinery shared by every tab's list: the selection and scroll position ([`Cursor`]), an
//! open detail ([`Detail`]), and for the two queue tabs (Incidents, Tickets) the queue itself
//! ([`Queue`]): each item as the server confirmed it and as the user's queued actions will leave
//! it, in sort order, filtered, with a selection that follows its item when rows move.
//!
//! Pure: no I/O, no clock. What is particular to a tab (how items are sanitised, how a queued
//! action changes one, the sort key) stays in the tab; the queue only keeps rows in order.

use std::collections::HashMap;

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

    /// After an update: keeps the selection in view of `viewport` rows, or for a list not used
    /// yet (`fresh`) selects its first row.
    pub fn reconcile(&mut self, len: usize, viewport: usize, fresh: bool) {
        if fresh {
            self.first(len, viewport);
        } else {
            self.scroll_into_view(len, viewport);
        }
    }

    /// Moves as a navigation key asks: `First`/`Last` to an end, anything else by `delta`.
    pub fn navigate(&mut self, step: Step, len: usize, viewport: usize) {
        match step {
            Step::First => self.first(len, viewport),
            Step::Last => self.last(len, viewport),
            Step::By(delta) => self.move_by(delta, len, viewport),
        }
    }
}

/// Where a navigation key moves a list or a detail view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    First,
    Last,
    /// By this many rows (a page is the rows that fit).
    By(isize),
}

impl Step {
    /// The rows the step moves by, `First` and `Last` as far as they go.
    pub fn delta(self) -> isize {
        match self {
            Step::First => isize::MIN / 2,
            Step::Last => isize::MAX / 2,
            Step::By(delta) => delta,
        }
    }

    /// Where a detail view's scroll position goes, for `lines` lines.
    pub fn scroll(self, detail: &mut Detail, lines: usize) {
        match self {
            Step::First => detail.scroll = 0,
            Step::Last => detail.scroll = lines.saturating_sub(1),
            Step::By(delta) => detail.scroll_by(delta, lines),
        }
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

/// What a queue holds: an item the server versions, looked up by an id, found by a filter.
pub trait Item: Clone + PartialEq {
    /// The id rows are looked up by: an incident's id, a ticket's key.
    fn id(&self) -> &str;
    fn version(&self) -> i64;
    /// The text a filter matches, lower-cased.
    fn haystack(&self) -> String;
}

/// One row of a queue: the item as confirmed and, while the user has actions queued on it, as
/// it will be once they apply. `K` is the tab's sort key, computed from what is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<T, K> {
    pub confirmed: T,
    /// The item with the user's queued actions applied, when there are any.
    pub shown: Option<T>,
    /// Verbs of the queued actions, oldest first (`acknowledge`, `note`, …).
    pub pending: Vec<&'static str>,
    key: K,
    haystack: String,
}

impl<T: Item, K: Copy> Row<T, K> {
    /// The item as shown: with queued actions applied.
    pub fn current(&self) -> &T {
        self.shown.as_ref().unwrap_or(&self.confirmed)
    }

    pub fn key(&self) -> K {
        self.key
    }

    fn refresh(&mut self, key: impl Fn(&T) -> K) {
        let current = self.shown.as_ref().unwrap_or(&self.confirmed);
        self.key = key(current);
        self.haystack = current.haystack();
    }
}

/// A queue seen whatever its rows: what the tabs' shared behaviour (filter, reconcile) needs.
pub trait List {
    fn filter(&self) -> &str;
    fn visible_len(&self) -> usize;
    fn filter_by(&mut self, text: &str, viewport: usize);
    fn reconcile(&mut self, viewport: usize, fresh: bool);
}

impl<T: Item, K: Ord + Copy + Default> List for Queue<T, K> {
    fn filter(&self) -> &str {
        Queue::filter(self)
    }

    fn visible_len(&self) -> usize {
        Queue::visible_len(self)
    }

    fn filter_by(&mut self, text: &str, viewport: usize) {
        Queue::filter_by(self, text, viewport);
    }

    fn reconcile(&mut self, viewport: usize, fresh: bool) {
        Queue::reconcile(self, viewport, fresh);
    }
}

/// What `Back` did on a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Back {
    /// Closed the detail of this item.
    ClosedDetail(String),
    ClearedFilter,
    Nothing,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    New,
    Updated,
    /// We already had this version or a newer one.
    Ignored,
}

/// A batch larger than this re-sorts everything instead of moving rows one by one.
const RESORT_THRESHOLD: usize = 64;

/// A queue tab's list: rows in the order they arrived, their sort order by (key, id), the rows a
/// filter lets through, the selection and the open detail. A redraw only slices `visible`: with
/// 100,000 incidents nothing sorts or filters on a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue<T, K> {
    rows: Vec<Row<T, K>>,
    by_id: HashMap<String, usize>,
    /// Storage indices in sort order.
    order: Vec<usize>,
    /// Storage indices in sort order that the filter lets through.
    visible: Vec<usize>,
    filter: String,
    cursor: Cursor,
    detail: Option<Detail>,
}

impl<T, K> Default for Queue<T, K> {
    fn default() -> Self {
        Queue {
            rows: Vec::new(),
            by_id: HashMap::new(),
            order: Vec::new(),
            visible: Vec::new(),
            filter: String::new(),
            cursor: Cursor::default(),
            detail: None,
        }
    }
}

impl<T: Item, K: Ord + Copy + Default> Queue<T, K> {
    /// Stores `item` as confirmed unless this version or a newer one is held already; a new
    /// confirmed version drops what queued actions showed. `key` sorts the row. The caller puts
    /// the touched rows back in order ([`Queue::reorder`]) and refilters.
    pub fn upsert(&mut self, item: T, key: impl Fn(&T) -> K) -> (Upsert, usize) {
        match self.by_id.get(item.id()) {
            Some(&index) => {
                let row = &mut self.rows[index];
                if item.version() < row.confirmed.version() || row.confirmed == item {
                    return (Upsert::Ignored, index);
                }
                row.confirmed = item;
                row.shown = None;
                row.pending.clear();
                row.refresh(key);
                (Upsert::Updated, index)
            }
            None => {
                let index = self.rows.len();
                self.by_id.insert(item.id().to_string(), index);
                let mut row = Row {
                    confirmed: item,
                    shown: None,
                    pending: Vec::new(),
                    key: K::default(),
                    haystack: String::new(),
                };
                row.refresh(key);
                self.rows.push(row);
                (Upsert::New, index)
            }
        }
    }

    /// Shows the row at `index` as `shown` with the verbs of the actions queued on it (none: as
    /// confirmed) and puts it back in order. Returns whether the visible rows need refiltering:
    /// with no filter and the same sort key they are unchanged, which saves an O(n) pass with
    /// 100k rows and a refresh after every sync page.
    pub fn set_shown(
        &mut self,
        index: usize,
        shown: Option<T>,
        pending: Vec<&'static str>,
        key: impl Fn(&T) -> K,
    ) -> bool {
        let row = &mut self.rows[index];
        let before = row.key;
        row.shown = shown;
        row.pending = pending;
        row.refresh(key);
        let moved = row.key != before;
        if moved {
            self.reorder(&[index]);
        }
        moved || !self.filter.is_empty()
    }

    /// Recomputes every row's sort key (the policy or the pauses changed) and re-sorts.
    pub fn rekey(&mut self, key: impl Fn(&T) -> K) {
        for row in &mut self.rows {
            row.refresh(&key);
        }
        self.reorder_all();
    }

    /// Puts touched rows back in order: a few by binary search, many by a full sort.
    pub fn reorder(&mut self, touched: &[usize]) {
        if touched.len() > RESORT_THRESHOLD {
            return self.reorder_all();
        }
        let rows = &self.rows;
        let sort_key = |i: usize| (rows[i].key, rows[i].confirmed.id());
        for &index in touched {
            if let Some(pos) = self.order.iter().position(|&i| i == index) {
                self.order.remove(pos);
            }
            let key = sort_key(index);
            let at = self.order.partition_point(|&i| sort_key(i) < key);
            self.order.insert(at, index);
        }
    }

    fn reorder_all(&mut self) {
        let rows = &self.rows;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            (rows[a].key, rows[a].confirmed.id()).cmp(&(rows[b].key, rows[b].confirmed.id()))
        });
        self.order = order;
    }

    /// Recomputes the visible rows after the order or the filter changed; the selection stays on
    /// `keep_selected` if it is still visible, and an open detail closes when its item is gone.
    pub fn refilter(&mut self, keep_selected: Option<&str>) {
        self.visible = if self.filter.is_empty() {
            self.order.clone()
        } else {
            let rows = &self.rows;
            self.order.iter().copied().filter(|&i| matches(&rows[i].haystack, &self.filter)).collect()
        };
        self.cursor.reselect(&self.visible, keep_selected.and_then(|id| self.by_id.get(id).copied()));
        if self.detail.as_ref().is_some_and(|d| !self.by_id.contains_key(&d.id)) {
            self.detail = None;
        }
    }

    /// Forgets every row (the server's database was replaced); the filter stays.
    pub fn clear(&mut self) {
        *self = Queue { filter: std::mem::take(&mut self.filter), ..Queue::default() };
    }

    pub fn set_filter(&mut self, filter: &str) {
        let selected = self.selected_id().map(str::to_string);
        self.filter = filter.trim().to_lowercase();
        self.refilter(selected.as_deref());
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn row_at(&self, index: usize) -> &Row<T, K> {
        &self.rows[index]
    }

    pub fn row(&self, id: &str) -> Option<&Row<T, K>> {
        self.by_id.get(id).map(|&i| &self.rows[i])
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row, in the order they arrived.
    pub fn rows(&self) -> impl Iterator<Item = &Row<T, K>> {
        self.rows.iter()
    }

    /// Every row, in sort order.
    pub fn all(&self) -> impl Iterator<Item = &Row<T, K>> {
        self.order.iter().map(|&i| &self.rows[i])
    }

    /// Rows `start..start + len` of the filtered list.
    pub fn visible_rows(&self, start: usize, len: usize) -> impl Iterator<Item = &Row<T, K>> {
        self.visible.iter().skip(start).take(len).map(|&i| &self.rows[i])
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn cursor_mut(&mut self) -> (&mut Cursor, usize) {
        (&mut self.cursor, self.visible.len())
    }

    pub fn selected(&self) -> Option<&Row<T, K>> {
        self.visible.get(self.cursor.selected).map(|&i| &self.rows[i])
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.selected().map(|r| r.confirmed.id())
    }

    /// Opens `id` (followed from another tab): selects it, clearing a filter that hides it.
    pub fn open_id(&mut self, id: &str, viewport: usize) -> bool {
        let Some(&index) = self.by_id.get(id) else {
            return false;
        };
        if !self.visible.contains(&index) {
            self.set_filter("");
        }
        self.cursor.reselect(&self.visible, Some(index));
        self.cursor.scroll_into_view(self.visible.len(), viewport);
        self.detail = Some(Detail::new(id));
        true
    }

    /// Opens the selected row's detail.
    pub fn open_detail(&mut self) -> bool {
        let Some(id) = self.selected_id().map(str::to_string) else {
            return false;
        };
        self.detail = Some(Detail::new(&id));
        true
    }

    pub fn close_detail(&mut self) {
        self.detail = None;
    }

    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_ref()
    }

    pub fn detail_mut(&mut self) -> Option<&mut Detail> {
        self.detail.as_mut()
    }

    /// The row actions apply to: the open detail, else the selected row.
    pub fn target(&self) -> Option<&Row<T, K>> {
        match &self.detail {
            Some(detail) => self.row(&detail.id),
            None => self.selected(),
        }
    }

    /// A navigation key: scrolls the open detail (of `lines(row)` lines), else moves the
    /// selection in a viewport of `viewport` rows.
    pub fn navigate(&mut self, step: Step, viewport: usize, lines: impl FnOnce(&Row<T, K>) -> usize) {
        let lines = self.detail_row().map_or(0, lines);
        match &mut self.detail {
            Some(detail) => step.scroll(detail, lines),
            None => self.cursor.navigate(step, self.visible.len(), viewport),
        }
    }

    /// `Back`: closes the open detail, else clears the filter (the selection kept in view).
    pub fn back(&mut self, viewport: usize) -> Back {
        if let Some(detail) = self.detail.take() {
            return Back::ClosedDetail(detail.id);
        }
        if self.filter.is_empty() {
            return Back::Nothing;
        }
        self.filter_by("", viewport);
        Back::ClearedFilter
    }

    /// Filters by `text`, keeping the selection in view of `viewport` rows.
    pub fn filter_by(&mut self, text: &str, viewport: usize) {
        self.set_filter(text);
        self.cursor.scroll_into_view(self.visible.len(), viewport);
    }

    /// See [`Cursor::reconcile`].
    pub fn reconcile(&mut self, viewport: usize, fresh: bool) {
        self.cursor.reconcile(self.visible.len(), viewport, fresh);
    }

    /// The open detail's row.
    pub fn detail_row(&self) -> Option<&Row<T, K>> {
        self.detail.as_ref().and_then(|d| self.row(&d.id))
    }
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
