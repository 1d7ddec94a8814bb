//! A queue tab's list ([`Queue`]): rows, their order, the rows a filter lets through, the
//! selection and the open detail.
//!
//! Changed rows are put back in order where they belong (a binary search by the key each row
//! sits under, then one pass that copies the order around them), never by re-sorting every row:
//! a sync page of 500 changes over a million rows moves indices, it does not compare a million
//! keys. Without a filter the visible rows are the order itself, so nothing is copied for them;
//! only a filter, a policy or maintenance change (every key moves) or a batch that touches a
//! large part of the queue sorts or filters all.
//!
//! A filter over many rows is matched a slice at a time ([`FILTER_SLICE`] rows, in sort order):
//! the first slice at once, the rest a slice per turn of the loop ([`Queue::filter_step`]), so a
//! key typed in the filter bar reaches the screen within a frame with a million rows. Rows before
//! the scan's boundary (a sort key and id) have been matched; rows that move meanwhile are
//! matched where they land if that is before it, and left to the scan if after it.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::{Back, Cursor, Detail, Filter, Held, Item, Pool, Row, Shown, Slim, Step, splice_sorted};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    New,
    Updated,
    /// We already had this version or a newer one.
    Ignored,
}

/// A batch touching more than one row in this many re-sorts everything instead.
const RESORT_FRACTION: usize = 4;

/// Rows a filter matches per turn: 4–8 ms on a 2-core machine with the other core busy
/// (`cargo bench --bench filter`), inside a frame with the frame's drawing.
pub const FILTER_SLICE: usize = 10_000;

/// A queue tab's list: rows in the order they arrived, their sort order by (key, id), the rows a
/// filter lets through, the selection and the open detail. A redraw only slices the visible rows:
/// with 100,000 incidents nothing sorts or filters on a frame.
#[derive(Debug, Clone)]
pub struct Queue<T: Item, K> {
    rows: Vec<Row<T, K>>,
    /// The strings compact rows share (services, people, customers, sources).
    pool: Pool,
    /// Storage indices, found by their row's id: the id is held once, in the row (a map keyed
    /// by a copy of it cost about 90 bytes a row).
    by_id: HashTable<u32>,
    hasher: std::hash::RandomState,
    /// Storage indices in sort order.
    order: Vec<usize>,
    /// Storage indices in sort order that the filter lets through, while there is a filter
    /// (without one the visible rows are `order`).
    visible: Vec<usize>,
    filter: Filter,
    /// While a filter is being matched a slice at a time: the (sort key, id) of the first row
    /// not matched yet; every row before it in the order has been.
    scan: Option<(K, String)>,
    cursor: Cursor,
    detail: Option<Detail>,
    /// The compact row whose long parts were last asked of the cache ([`Queue::compact_wanted`]).
    reading: Option<String>,
}

impl<T: Item, K> Default for Queue<T, K> {
    fn default() -> Self {
        Queue {
            rows: Vec::new(),
            pool: Pool::default(),
            by_id: HashTable::new(),
            hasher: std::hash::RandomState::new(),
            order: Vec::new(),
            visible: Vec::new(),
            filter: Filter::default(),
            scan: None,
            cursor: Cursor::default(),
            detail: None,
            reading: None,
        }
    }
}

impl<T: Item, K: PartialEq> PartialEq for Queue<T, K> {
    /// The same rows in the same order, filter, selection and detail (the index follows the rows).
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
            && self.order == other.order
            && self.visible == other.visible
            && self.filter == other.filter
            && self.scan == other.scan
            && self.cursor == other.cursor
            && self.detail == other.detail
            && self.reading == other.reading
    }
}

impl<T: Item, K: Ord + Copy + Default> Queue<T, K> {
    /// Where the row with `id` is stored.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        let rows = &self.rows;
        self.by_id.find(self.hasher.hash_one(id), |&i| rows[i as usize].id() == id).map(|&i| i as usize)
    }

    /// Stores a new row, found by its id from then on.
    fn push(&mut self, row: Row<T, K>) -> usize {
        let index = self.rows.len();
        let slot = u32::try_from(index).expect("fewer than 4 billion rows");
        let (rows, hasher) = (&self.rows, &self.hasher);
        self.by_id.insert_unique(hasher.hash_one(row.id()), slot, |&i| hasher.hash_one(rows[i as usize].id()));
        self.rows.push(row);
        index
    }

    /// Stores `item` as confirmed unless this version or a newer one is held already; a new
    /// confirmed version drops what queued actions showed. `key` sorts the row. The caller puts
    /// the touched rows back in order ([`Queue::reorder`]) and refilters.
    pub fn upsert(&mut self, item: T, key: impl Fn(&T) -> K) -> (Upsert, usize) {
        self.store(item, key, false)
    }

    /// [`Queue::upsert`], holding the item compactly ([`super::slim`]): without its long parts,
    /// which are read from the cache when it is selected or opened ([`Queue::compact_wanted`]).
    pub fn upsert_compact(&mut self, item: T, key: impl Fn(&T) -> K) -> (Upsert, usize) {
        self.store(item, key, true)
    }

    fn store(&mut self, item: T, key: impl Fn(&T) -> K, compact: bool) -> (Upsert, usize) {
        let index = self.index_of(item.id());
        if let Some(index) = index {
            let row = &self.rows[index];
            let same = matches!(&row.confirmed, Held::Full(held) if **held == item);
            if item.version() < row.version() || same {
                return (Upsert::Ignored, index);
            }
        }
        let sort = key(&item);
        let confirmed = match compact.then(|| T::Slim::slim(&item, &mut self.pool)).flatten() {
            Some(slim) => Held::Slim(slim),
            None => Held::Full(Box::new(item)),
        };
        match index {
            Some(index) => {
                let row = &mut self.rows[index];
                (row.confirmed, row.shown, row.key) = (confirmed, None, sort);
                (Upsert::Updated, index)
            }
            None => {
                let row = Row { confirmed, shown: None, key: sort, placed: K::default(), is_placed: false };
                (Upsert::New, self.push(row))
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
        row.shown = shown.map(|item| Box::new(Shown { item, pending }));
        row.refresh(key);
        let moved = row.key != before;
        if moved || !self.filter.is_empty() {
            self.reorder(&[index]);
        }
        moved || !self.filter.is_empty()
    }

    /// Gives back the room the rows' storage grew into beyond what they hold (after a large
    /// merge: a vector that doubled as it grew may be a third empty).
    pub fn shrink_to_fit(&mut self) {
        // The index is left as it is: it was reserved for the rows the cache holds, and rebuilding
        // it (a hash of every id) would take a frame's time for what it gives back.
        self.rows.shrink_to_fit();
        self.order.shrink_to_fit();
        self.visible.shrink_to_fit();
    }

    /// Makes room for `additional` more rows, so that storing them copies nothing already held.
    pub fn reserve(&mut self, additional: usize) {
        self.rows.reserve(additional);
        let (rows, hasher) = (&self.rows, &self.hasher);
        self.by_id.reserve(additional, |&i| hasher.hash_one(rows[i as usize].id()));
        self.order.reserve(additional);
    }

    /// The row whose long parts should be read from the cache now: the one selected or opened,
    /// when it is compact and was not asked for already.
    pub fn compact_wanted(&mut self) -> Option<String> {
        let row = self.target().filter(|r| r.is_compact())?;
        if self.reading.as_deref() == Some(row.id()) {
            return None;
        }
        let id = row.id().to_string();
        self.reading = Some(id.clone());
        Some(id)
    }

    /// Holds a compact row in full again from `full`, the cache's copy, when that is the version
    /// the row holds (the sort key and the filter's text do not depend on the long parts).
    /// Returns whether it did.
    pub fn restore_compact(&mut self, full: T) -> bool {
        let Some(index) = self.index_of(full.id()) else { return false };
        let row = &mut self.rows[index];
        if !row.is_compact() || row.version() != full.version() {
            return false;
        }
        if self.reading.as_deref() == Some(full.id()) {
            self.reading = None;
        }
        row.confirmed = Held::Full(Box::new(full));
        true
    }

    /// Recomputes every row's sort key (the policy or the pauses changed) and re-sorts.
    pub fn rekey(&mut self, key: impl Fn(&T) -> K) {
        for row in &mut self.rows {
            row.refresh(&key);
        }
        self.reorder_all();
    }

    /// Puts touched rows back in order and in or out of the visible rows: each found by a binary
    /// search under the key it sat under, all moved in one pass; a batch touching a large part
    /// of the queue sorts all instead. The caller then keeps the selection ([`Queue::reselect`]).
    pub fn reorder(&mut self, touched: &[usize]) {
        let mut touched = touched.to_vec();
        touched.sort_unstable();
        touched.dedup();
        // Without a filter, a row whose key did not change stays where it is.
        let filtered = !self.filter.is_empty();
        touched.retain(|&i| filtered || self.rows[i].placed() != Some(self.rows[i].key));
        if touched.is_empty() {
            return;
        }
        if touched.len() * RESORT_FRACTION > self.rows.len() {
            return self.reorder_all();
        }
        let rows = &self.rows;
        let placed_at = |list: &[usize], index: usize| -> Option<usize> {
            let row = &rows[index];
            let key = (row.placed()?, row.id());
            let at = list.partition_point(|&i| (rows[i].placed(), rows[i].id()) < (Some(key.0), key.1));
            (list.get(at) == Some(&index)).then_some(at)
        };
        // Before the new key: rows already placed under their old key, new ones by the key now.
        let before = |&existing: &usize, &new: &usize| {
            (rows[existing].placed(), rows[existing].id()) < (Some(rows[new].key), rows[new].id())
        };
        let mut added = touched.clone();
        added.sort_unstable_by(|&a, &b| (rows[a].key, rows[a].id()).cmp(&(rows[b].key, rows[b].id())));
        if filtered {
            let mut removed: Vec<usize> = touched.iter().filter_map(|&i| placed_at(&self.visible, i)).collect();
            removed.sort_unstable();
            // A row landing past the scan's boundary is matched when the scan gets there.
            let scanned =
                |i: usize| self.scan.as_ref().is_none_or(|(key, id)| (rows[i].key, rows[i].id()) < (*key, id.as_str()));
            let shown = added.iter().copied().filter(|&i| scanned(i) && rows[i].matches(&self.filter)).collect();
            splice_sorted(&mut self.visible, &removed, shown, before);
        }
        let mut removed: Vec<usize> = touched.iter().filter_map(|&i| placed_at(&self.order, i)).collect();
        removed.sort_unstable();
        splice_sorted(&mut self.order, &removed, added, before);
        for &i in &touched {
            let row = &mut self.rows[i];
            (row.placed, row.is_placed) = (row.key, true);
        }
    }

    fn reorder_all(&mut self) {
        for row in &mut self.rows {
            (row.placed, row.is_placed) = (row.key, true);
        }
        let rows = &self.rows;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by(|&a, &b| (rows[a].key, rows[a].id()).cmp(&(rows[b].key, rows[b].id())));
        self.order = order;
        self.refilter_rows();
    }

    /// The visible rows: storage indices in sort order.
    fn shown(&self) -> &[usize] {
        if self.filter.is_empty() { &self.order } else { &self.visible }
    }

    /// Where the row stored at `index` is among the visible rows (a binary search).
    fn position(&self, index: usize) -> Option<usize> {
        let rows = &self.rows;
        let row = rows.get(index)?;
        let key = (row.placed()?, row.id());
        let shown = self.shown();
        let at = shown.partition_point(|&i| (rows[i].placed(), rows[i].id()) < (Some(key.0), key.1));
        (shown.get(at) == Some(&index)).then_some(at)
    }

    /// Recomputes the visible rows from the order and the filter: the first slice now, the rest
    /// by [`Queue::filter_step`].
    fn refilter_rows(&mut self) {
        self.visible = Vec::new();
        self.scan = None;
        if !self.filter.is_empty()
            && let Some(&first) = self.order.first()
        {
            self.scan = Some(self.scan_key(first));
            self.filter_step();
        }
    }

    /// Matches the next [`FILTER_SLICE`] rows of a filter being matched. Returns whether rows are
    /// left to match.
    pub fn filter_step(&mut self) -> bool {
        let Some(start) = self.scanned() else { return false };
        let end = (start + FILTER_SLICE).min(self.order.len());
        let (rows, filter) = (&self.rows, &self.filter);
        self.visible.extend(self.order[start..end].iter().copied().filter(|&i| rows[i].matches(filter)));
        self.scan = self.order.get(end).map(|&i| self.scan_key(i));
        self.scan.is_some()
    }

    /// While a filter is being matched: how many rows of how many have been.
    pub fn filtering(&self) -> Option<(usize, usize)> {
        Some((self.scanned()?, self.order.len()))
    }

    /// While a filter is being matched: where in the order its boundary is (the rows before it
    /// have been matched).
    fn scanned(&self) -> Option<usize> {
        let (key, id) = self.scan.as_ref()?;
        let rows = &self.rows;
        Some(
            self.order
                .partition_point(|&i| (rows[i].placed().unwrap_or(rows[i].key), rows[i].id()) < (*key, id.as_str())),
        )
    }

    /// The boundary a scan stops at when the row stored at `index` is the next to match.
    fn scan_key(&self, index: usize) -> (K, String) {
        let row = &self.rows[index];
        (row.placed().unwrap_or(row.key), row.id().to_string())
    }

    /// Recomputes the visible rows after the filter changed; see [`Queue::reselect`].
    pub fn refilter(&mut self, keep_selected: Option<&str>) {
        self.refilter_rows();
        self.reselect(keep_selected);
    }

    /// After rows moved: the selection stays on `keep_selected` if it is still visible, else
    /// inside the list, and an open detail closes when its item is gone.
    pub fn reselect(&mut self, keep_selected: Option<&str>) {
        if let Some(pos) = keep_selected.and_then(|id| self.index_of(id)).and_then(|i| self.position(i)) {
            self.cursor.selected = pos;
        }
        self.cursor.selected = self.cursor.selected.min(self.shown().len().saturating_sub(1));
        if self.detail.as_ref().is_some_and(|d| self.index_of(&d.id).is_none()) {
            self.detail = None;
        }
    }

    /// Forgets every row (the server's database was replaced); the filter stays.
    pub fn clear(&mut self) {
        *self = Queue { filter: std::mem::take(&mut self.filter), ..Queue::default() };
    }

    pub fn set_filter(&mut self, filter: &str) {
        let selected = self.selected_id().map(str::to_string);
        let filter = Filter::new(filter);
        // A filter that only adds to the text (a key typed in the filter bar) lets through a
        // part of what it let through: only those rows are matched again, when they are few
        // enough for one turn; more are matched again a slice at a time, from the top.
        let narrows = !self.filter.is_empty() && filter.as_str().starts_with(self.filter.as_str());
        self.filter = filter;
        if narrows && self.visible.len() <= FILTER_SLICE {
            let rows = &self.rows;
            self.visible.retain(|&i| rows[i].matches(&self.filter));
            self.reselect(selected.as_deref());
        } else {
            self.refilter(selected.as_deref());
        }
    }

    pub fn filter(&self) -> &str {
        self.filter.as_str()
    }

    pub fn row_at(&self, index: usize) -> &Row<T, K> {
        &self.rows[index]
    }

    pub fn row(&self, id: &str) -> Option<&Row<T, K>> {
        self.index_of(id).map(|i| &self.rows[i])
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index_of(id).is_some()
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

    /// How many rows, in sort order, come before the first that `pred` refuses: `pred` must
    /// hold for a leading run of the order and then never (a binary search).
    pub fn leading(&self, pred: impl Fn(&Row<T, K>) -> bool) -> usize {
        self.order.partition_point(|&i| pred(&self.rows[i]))
    }

    /// Every row, in sort order.
    pub fn all(&self) -> impl Iterator<Item = &Row<T, K>> {
        self.order.iter().map(|&i| &self.rows[i])
    }

    /// Rows `start..start + len` of the filtered list.
    pub fn visible_rows(&self, start: usize, len: usize) -> impl Iterator<Item = &Row<T, K>> {
        let shown = self.shown();
        let start = start.min(shown.len());
        shown[start..].iter().take(len).map(|&i| &self.rows[i])
    }

    pub fn visible_len(&self) -> usize {
        self.shown().len()
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    pub fn cursor_mut(&mut self) -> (&mut Cursor, usize) {
        let len = self.visible_len();
        (&mut self.cursor, len)
    }

    pub fn selected(&self) -> Option<&Row<T, K>> {
        self.shown().get(self.cursor.selected).map(|&i| &self.rows[i])
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.selected().map(|r| r.id())
    }

    /// Opens `id` (followed from another tab): selects it, clearing a filter that hides it.
    pub fn open_id(&mut self, id: &str, viewport: usize) -> bool {
        let Some(index) = self.index_of(id) else {
            return false;
        };
        if self.position(index).is_none() {
            self.set_filter("");
        }
        if let Some(pos) = self.position(index) {
            self.cursor.selected = pos;
        }
        self.cursor.scroll_into_view(self.visible_len(), viewport);
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
        let len = self.visible_len();
        match &mut self.detail {
            Some(detail) => step.scroll(detail, lines),
            None => self.cursor.navigate(step, len, viewport),
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
        let len = self.visible_len();
        self.cursor.scroll_into_view(len, viewport);
    }

    /// See [`Cursor::reconcile`].
    pub fn reconcile(&mut self, viewport: usize, fresh: bool) {
        let len = self.visible_len();
        self.cursor.reconcile(len, viewport, fresh);
    }

    /// The open detail's row.
    pub fn detail_row(&self) -> Option<&Row<T, K>> {
        self.detail.as_ref().and_then(|d| self.row(&d.id))
    }
}
