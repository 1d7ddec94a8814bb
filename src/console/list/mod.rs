//! List machinery shared by every tab's list: the selection and scroll position ([`Cursor`]), an
//! open detail ([`Detail`]), the filter ([`Filter`], `filter.rs`), and for the two queue tabs
//! (Incidents, Tickets) the queue itself ([`Queue`]): each item as the server confirmed it and as
//! the user's queued actions will leave it, in sort order, filtered, with a selection that
//! follows its item when rows move.
//!
//! Pure: no I/O, no clock. What is particular to a tab (how items are sanitised, how a queued
//! action changes one, the sort key) stays in the tab; the queue only keeps rows in order.

mod filter;
mod queue;
pub mod slim;

use std::borrow::Cow;

pub use filter::Filter;
pub use slim::{Pool, Slim};

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

/// What a queue holds: an item the server versions, looked up by an id, found by a filter.
pub trait Item: Clone + PartialEq {
    /// The item as a compact row holds it ([`slim`]).
    type Slim: Slim<Self>;
    /// The id rows are looked up by: an incident's id, a ticket's key.
    fn id(&self) -> &str;
    fn version(&self) -> i64;
    /// Whether `filter` lets the item through: `filter.matches(&[the fields a filter searches])`,
    /// one field a line.
    fn matches(&self, filter: &Filter) -> bool;
}

/// The confirmed item of a row: in full, or compact (without its long parts, which are read
/// from the cache when the item is selected or opened).
#[derive(Debug, Clone, PartialEq)]
enum Held<T: Item> {
    Full(Box<T>),
    Slim(T::Slim),
}

/// What a row shows, as it is held: borrowed, never rebuilt (for passes over every row).
pub enum View<'a, T: Item> {
    Full(&'a T),
    Slim(&'a T::Slim),
}

/// One row of a queue: the item as confirmed and, while the user has actions queued on it, as
/// it will be once they apply. `K` is the tab's sort key, computed from what is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<T: Item, K> {
    confirmed: Held<T>,
    /// The item with the user's queued actions applied and their verbs, when there are any:
    /// boxed, so that the many rows without queued actions hold one pointer.
    shown: Option<Box<Shown<T>>>,
    key: K,
    /// The key the row sits under in the queue's order (meaningful once `is_placed`): where a
    /// binary search finds it while its new key is being placed.
    placed: K,
    is_placed: bool,
}

/// What a row shows while actions are queued on it.
#[derive(Debug, Clone, PartialEq)]
struct Shown<T> {
    item: T,
    /// Verbs of the queued actions, oldest first (`acknowledge`, `note`, …).
    pending: Vec<&'static str>,
}

impl<T: Item, K: Copy> Row<T, K> {
    /// The item as the server confirmed it (a compact row's without its long parts).
    pub fn confirmed(&self) -> Cow<'_, T> {
        match &self.confirmed {
            Held::Full(item) => Cow::Borrowed(item),
            Held::Slim(slim) => Cow::Owned(slim.full()),
        }
    }

    /// The item as shown: with queued actions applied.
    pub fn current(&self) -> Cow<'_, T> {
        match &self.shown {
            Some(shown) => Cow::Borrowed(&shown.item),
            None => self.confirmed(),
        }
    }

    /// What the row shows as it is held: a pass over every row reads this instead of
    /// [`Row::current`], which rebuilds a compact row's item.
    pub fn view(&self) -> View<'_, T> {
        match (&self.shown, &self.confirmed) {
            (Some(shown), _) => View::Full(&shown.item),
            (None, Held::Full(item)) => View::Full(item),
            (None, Held::Slim(slim)) => View::Slim(slim),
        }
    }

    /// The item's id (an incident's id, a ticket's key).
    pub fn id(&self) -> &str {
        match &self.confirmed {
            Held::Full(item) => item.id(),
            Held::Slim(slim) => slim.id(),
        }
    }

    /// The version the server confirmed: what the next action is sent against.
    pub fn version(&self) -> i64 {
        match &self.confirmed {
            Held::Full(item) => item.version(),
            Held::Slim(slim) => slim.version(),
        }
    }

    /// The confirmed item is held without its long parts (an incident's timeline, a ticket's
    /// history), which are read from the cache when the item is selected or opened.
    pub fn is_compact(&self) -> bool {
        matches!(self.confirmed, Held::Slim(_))
    }

    /// Whether `filter` lets what the row shows through (a compact row matched as it is held).
    fn matches(&self, filter: &Filter) -> bool {
        match self.view() {
            View::Full(item) => item.matches(filter),
            View::Slim(slim) => slim.matches(filter),
        }
    }

    /// Verbs of the queued actions shown on the row, oldest first (`acknowledge`, `note`, …).
    pub fn pending(&self) -> &[&'static str] {
        self.shown.as_ref().map_or(&[], |s| s.pending.as_slice())
    }

    /// Whether the row shows queued actions over the confirmed item.
    pub fn has_shown(&self) -> bool {
        self.shown.is_some()
    }

    pub fn key(&self) -> K {
        self.key
    }

    /// The key the row sits under in the order, once placed.
    fn placed(&self) -> Option<K> {
        self.is_placed.then_some(self.placed)
    }

    fn refresh(&mut self, key: impl Fn(&T) -> K) {
        self.key = key(&self.current());
    }
}

/// A queue seen whatever its rows: what the tabs' shared behaviour (filter, reconcile) needs.
pub trait List {
    fn filter(&self) -> &str;
    fn visible_len(&self) -> usize;
    fn filter_by(&mut self, text: &str, viewport: usize);
    fn reconcile(&mut self, viewport: usize, fresh: bool);
    /// While the filter is matched a slice at a time: rows done, of how many.
    fn filtering(&self) -> Option<(usize, usize)>;
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

    fn filtering(&self) -> Option<(usize, usize)> {
        Queue::filtering(self)
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

pub use queue::{FILTER_SLICE, Queue, Upsert};

/// Takes the elements at `removed` (positions, ascending) out of the sorted `items` and merges
/// the sorted `added` in, in one pass: a sync page costs one copy of the list, not a sort.
/// `before(existing, new)` says whether an element already in `items` sorts before a new one.
/// One or two changes move elements in place instead. Only the elements from the first change
/// on are copied: a run added after everything else (the cache's rows merged in their order)
/// costs what it adds, however long the list.
pub fn splice_sorted<T>(items: &mut Vec<T>, removed: &[usize], added: Vec<T>, before: impl Fn(&T, &T) -> bool) {
    if removed.len() + added.len() <= 2 {
        for &pos in removed.iter().rev() {
            items.remove(pos);
        }
        for new in added {
            let at = items.partition_point(|x| before(x, &new));
            items.insert(at, new);
        }
        return;
    }
    // Where each new element goes among the old ones (ascending, as `added` is sorted): each
    // searched for only after where the one before it went.
    let mut from = 0;
    let inserts: Vec<(usize, T)> = added
        .into_iter()
        .map(|new| {
            from += items[from..].partition_point(|x| before(x, &new));
            (from, new)
        })
        .collect();
    // Everything before the first change stays where it is.
    let first = removed.first().copied().unwrap_or(usize::MAX).min(inserts.first().map_or(usize::MAX, |(pos, _)| *pos));
    let first = first.min(items.len());
    let mut out = Vec::with_capacity(items.len() - first + inserts.len());
    let mut old = items.split_off(first).into_iter();
    let mut removed = removed.iter().map(|&pos| pos - first).peekable();
    let mut inserts = inserts.into_iter().map(|(pos, new)| (pos - first, new)).peekable();
    let mut at = 0;
    loop {
        let next_removed = removed.peek().copied().unwrap_or(usize::MAX);
        let next_insert = inserts.peek().map_or(usize::MAX, |(pos, _)| *pos);
        let next = next_removed.min(next_insert);
        if next == usize::MAX {
            out.extend(old);
            break;
        }
        out.extend(old.by_ref().take(next - at));
        at = next;
        if let Some((_, new)) = inserts.next_if(|(pos, _)| *pos <= next_removed) {
            out.push(new);
        } else {
            old.next();
            at += 1;
            removed.next();
        }
    }
    items.append(&mut out);
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

    #[test]
    fn splicing_keeps_the_order_a_sort_gives() {
        for (removed, added) in
            [(vec![], vec![5]), (vec![0], vec![]), (vec![1, 3], vec![0, 7, 7, 42]), (vec![9], vec![1, 2, 3])]
        {
            let mut items: Vec<i32> = (0..10).map(|i| i * 5).collect();
            let mut expected: Vec<i32> =
                items.iter().enumerate().filter(|(i, _)| !removed.contains(i)).map(|(_, v)| *v).collect();
            expected.extend(&added);
            expected.sort();
            splice_sorted(&mut items, &removed, added, |a, b| a < b);
            assert_eq!(items, expected);
        }
    }

    #[test]
    fn splicing_a_run_after_the_end_or_among_equals_keeps_the_order() {
        let mut items: Vec<i32> = (0..10).collect();
        splice_sorted(&mut items, &[], vec![10, 11, 12], |a, b| a < b);
        assert_eq!(items, (0..13).collect::<Vec<_>>());
        splice_sorted(&mut items, &[12], vec![5, 5, 20], |a, b| a < b);
        assert_eq!(items, [0, 1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 10, 11, 20]);
        let mut items = vec![1, 2, 3];
        splice_sorted(&mut items, &[0, 1, 2], vec![0, 4, 9], |a, b| a < b);
        assert_eq!(items, [0, 4, 9]);
    }
}
