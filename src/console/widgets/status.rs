//! The header line (what you look at, how fresh it is, how far catching up has come), the status line (messages, input, key
//! hints, queued actions, what is not saved to disk, who you are) and the confirmation dialogs. What is particular to a tab
//! (counts, filter chip, badge, hints) the tab says (`Tab`); the editor's hints are the editor's.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::console::action::Action;
use crate::console::event::SyncProgress;
use crate::console::keymap::Mode;
use crate::console::state::{AppState, Confirm, InputKind, Level, Push, QuitConfirm};
use crate::console::tabs::TabId;
use crate::console::tabs::postmortems::editor;
use crate::domain::text::truncate;

/// The freshness badge: `● live`, `syncing 480,000 / 1,000,000` while catching up (pages are
/// arriving, however long each took),
/// `STALE since 14:03:22`, or `CACHED … · connecting`.
pub fn freshness(state: &AppState) -> (String, bool) {
    let at = |t| crate::console::widgets::clock(t, t, state.settings.timezone);
    match (&state.sync.failing, state.sync.live, state.sync.last_ok) {
        (None, _, _) if state.sync.catching_up.is_some() => {
            (state.sync.catching_up.map(|p| syncing(p, false)).unwrap_or_default(), false)
        }
        (None, true, _) if state.sync.push == Push::Down => {
            (format!("{} live · polling", state.settings.theme.glyphs.live), false)
        }
        (None, true, _) => (format!("{} live", state.settings.theme.glyphs.live), false),
        (Some(_), _, Some(last)) => (format!(" STALE since {} ", at(last)), true),
        (Some(_), _, None) => (" STALE: never synced ".to_string(), true),
        (None, false, Some(last)) => (format!(" CACHED {} · connecting ", at(last)), true),
        (None, false, None) => (" connecting… ".to_string(), true),
    }
}

/// How much of the tab bar fits: names, short names, numbers with only the current tab named,
/// or only the current tab.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TabBar {
    Full,
    Short,
    Numbers,
    Current,
}

fn tab_spans(state: &AppState, form: TabBar, now: DateTime<Utc>) -> Vec<Span<'static>> {
    let theme = &state.settings.theme;
    let mut spans = Vec::new();
    // The tab bar: the number key, the name, and for SLA how many clocks are in trouble.
    for tab in TabId::ALL {
        let current = tab == state.tab;
        if form == TabBar::Current && !current {
            continue;
        }
        let style = if current { theme.selected().add_modifier(Modifier::BOLD) } else { theme.muted() };
        spans.push(Span::raw(" "));
        let label = match form {
            TabBar::Full => format!("{} {}", tab.number(), tab.title()),
            TabBar::Short => format!("{} {}", tab.number(), tab.short_title()),
            TabBar::Numbers | TabBar::Current if current => format!("{} {}", tab.number(), tab.short_title()),
            TabBar::Numbers | TabBar::Current => tab.number().to_string(),
        };
        spans.push(Span::styled(label, style));
        if let Some((text, band)) = state.tab(tab).badge(now) {
            spans.push(Span::styled(format!(" {text}"), theme.band(band)));
        }
    }
    spans
}

/// The header. Counts, freshness and the backend always show whole: the tab bar shortens first
/// (names, short names, numbers), then the counts lose their words (`100009 · 100009 (300)`),
/// never a digit, then the tab bar only names the current tab; the filter text is cut last of
/// all but its count. Should even that not fit, the tab bar is cut, not the counts.
pub fn draw_header(frame: &mut Frame<'_>, area: Rect, state: &AppState, now: DateTime<Utc>) {
    let theme = &state.settings.theme;
    let focused = state.focused();
    let (counts, filter, shown) = (focused.counts(), focused.filter(), focused.shown());
    // While a long list is still being matched, the count so far and how far it has got.
    let scanning = focused.list().and_then(|l| l.filtering());

    let width = |spans: &[Span<'_>]| spans.iter().map(|s| s.width()).sum::<usize>();
    let brand = [Span::styled(" opsdeck ", theme.accent()), Span::styled("│", theme.muted())];
    // The filter chip wants `  /text (n)`: its count always, the text as far as it fits.
    let chip_count = match scanning {
        Some((done, total)) => format!(" ({shown}… {}%)", done * 100 / total.max(1)),
        None => format!(" ({shown})"),
    };
    let (chip_min, chip_least) = match filter.is_empty() {
        true => (0, 0),
        false => (4 + chip_count.len() + filter.chars().count().min(8), 4 + chip_count.len() + 1),
    };
    let forms = fewer_words(&counts);
    let (fullest, fewest) = (&forms[0], &forms[forms.len() - 1]);
    // Tab names matter more than the product's name, which goes first; the filter's text more
    // than the counts' words; the counts' digits more than the other tabs' numbers.
    let mut candidates: Vec<(bool, TabBar, &String, usize)> =
        [(true, TabBar::Full), (true, TabBar::Short), (false, TabBar::Short), (true, TabBar::Numbers)]
            .into_iter()
            .map(|(brand_shown, form)| (brand_shown, form, fullest, chip_min))
            .collect();
    candidates.extend(forms.iter().map(|counts| (false, TabBar::Numbers, counts, chip_least)));
    candidates.push((false, TabBar::Current, fewest, chip_least));
    let fits = |right: &[Span<'_>]| {
        candidates.iter().find_map(|(brand_shown, form, counts, chip)| {
            let tabs = tab_spans(state, *form, now);
            let brand_width = if *brand_shown { width(&brand) } else { 0 };
            let fixed = width(right) + 3 + Span::raw(counts.as_str()).width();
            (brand_width + width(&tabs) + chip + fixed <= usize::from(area.width)).then_some((
                *brand_shown,
                tabs,
                *counts,
            ))
        })
    };
    // The freshness badge loses its words last (`STALE 14:03:22`).
    let full_right = header_right(state, now, false);
    let (right, (with_brand, tabs, counts)) = match fits(&full_right) {
        Some(choice) => (full_right, choice),
        None => {
            let right = header_right(state, now, true);
            let choice = fits(&right).unwrap_or_else(|| (false, tab_spans(state, TabBar::Current, now), fewest));
            (right, choice)
        }
    };
    let right_width = width(&right);
    let mut left: Vec<Span> = Vec::new();
    if with_brand {
        left.extend(brand);
    }
    left.extend(tabs);
    let mut tail = vec![Span::styled(" │ ", theme.muted()), Span::styled(counts.clone(), theme.muted())];
    if !filter.is_empty() {
        let room =
            usize::from(area.width).saturating_sub(width(&left) + width(&tail) + right_width + chip_count.len() + 3);
        tail.push(Span::styled(format!("  /{}{chip_count}", truncate(filter, room.max(1))), theme.accent()));
    }
    let tail_width = width(&tail).min(usize::from(area.width).saturating_sub(right_width)) as u16;
    let [left_area, tail_area, right_area] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(tail_width),
        Constraint::Length(right_width as u16),
    ])
    .areas(area);
    // The tab bar, then the counts right after it (the room left of them is the tab bar's).
    let tabs_width = (width(&left) as u16).min(left_area.width);
    let [tabs_area, tail_area] =
        Layout::horizontal([Constraint::Length(tabs_width), Constraint::Min(0)]).areas(left_area.union(tail_area));
    frame.render_widget(Line::from(left), tabs_area);
    frame.render_widget(Line::from(tail), tail_area);
    frame.render_widget(Line::from(right), right_area);
}

/// The header's right side: read-only, a stale source, the backend, the display zone and freshness (`short`:
/// the freshness badge without its words).
fn header_right(state: &AppState, now: DateTime<Utc>, short: bool) -> Vec<Span<'static>> {
    let theme = &state.settings.theme;
    let (badge, stale) = if short { short_freshness(state) } else { freshness(state) };
    let mut right = vec![Span::raw(" ")];
    if state.read_only_reason().is_some() {
        right.push(Span::styled(" READ-ONLY ", theme.stale_badge()));
        right.push(Span::raw(" "));
    }
    if let Some(chip) = source_chip(state, now, short) {
        right.push(Span::styled(chip, theme.stale_badge()));
        right.push(Span::raw(" "));
    }
    if state.session.demo {
        right.push(Span::styled("DEMO", theme.accent()));
    } else {
        right.push(Span::styled(state.session.backend_label.clone(), theme.muted()));
    }
    right.push(Span::styled(format!(" {}", state.settings.timezone.name_at(now)), theme.muted()));
    right.push(Span::raw(" "));
    right.push(Span::styled(badge, if stale { theme.stale_badge() } else { theme.ok() }));
    right.push(Span::raw(" "));
    right
}

/// The first source whose data may be out of date, at a glance: `prod-am stale 3m: cannot
/// connect` (`short`: without the reason), `+2` when more are; nothing when all are fine.
pub fn source_chip(state: &AppState, now: DateTime<Utc>, short: bool) -> Option<String> {
    let mut stale = state.sync.stale_sources();
    let first = stale.next()?;
    let more = stale.count();
    let since = match first.last_ok_at {
        Some(at) => format!("stale {}", crate::console::time::age((now - at).num_seconds().max(0))),
        None => "no good poll yet".to_string(),
    };
    let mut chip = format!(" {} {since}", truncate(&first.name, 24));
    if let (false, Some(error)) = (short, first.last_error.as_deref()) {
        chip.push_str(&format!(": {}", truncate(error, 40)));
    }
    if more > 0 {
        chip.push_str(&format!(" +{more}"));
    }
    chip.push(' ');
    Some(chip)
}

/// The freshness badge where the header is short of room: `STALE 14:03:22`, `CACHED 14:03:22`.
fn short_freshness(state: &AppState) -> (String, bool) {
    let at = |t| crate::console::widgets::clock(t, t, state.settings.timezone);
    match (&state.sync.failing, state.sync.live, state.sync.last_ok) {
        (Some(_), _, Some(last)) => (format!(" STALE {} ", at(last)), true),
        (Some(_), _, None) => (" STALE ".to_string(), true),
        (None, _, _) if state.sync.catching_up.is_some() => {
            (state.sync.catching_up.map(|p| syncing(p, true)).unwrap_or_default(), false)
        }
        (None, false, Some(last)) => (format!(" CACHED {} ", at(last)), true),
        _ => freshness(state),
    }
}

/// How far catching up has come: `syncing 480,000 / 1,000,000`, or `480,000/1,000,000` where
/// the header is short of room (the numbers always whole).
pub fn syncing(progress: SyncProgress, short: bool) -> String {
    let (done, total) = (grouped(progress.done.min(progress.total)), grouped(progress.total));
    if short { format!("{done}/{total}") } else { format!("syncing {done} / {total}") }
}

/// A count with its thousands grouped: `1,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` as it is, then with one word fewer at a time from the right (a word: letters and no
/// digit), down to its numbers and signs: `3 open · 19 (loading 300)`, `3 open · 19 (300)`,
/// `3 · 19 (300)`.
fn fewer_words(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = text.split(' ').map(str::to_string).collect();
    let mut forms = vec![text.to_string()];
    let is_word = |t: &str| t.chars().any(char::is_alphabetic) && !t.chars().any(|c| c.is_ascii_digit());
    while let Some(i) = tokens.iter().rposition(|t| is_word(t)) {
        // What is not a letter stays, joined to the next token: `(loading 300)` → `(300)`.
        let signs: String = tokens[i].chars().filter(|c| !c.is_alphabetic()).collect();
        tokens.remove(i);
        if !signs.is_empty() {
            match tokens.get_mut(i) {
                Some(next) => next.insert_str(0, &signs),
                None => tokens.push(signs),
            }
        }
        tokens.retain(|t| !t.is_empty());
        forms.push(tokens.join(" "));
    }
    forms
}

pub fn draw_footer(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let theme = &state.settings.theme;
    let mut right = vec![Span::raw(" ")];
    let queued = state.outbox.len();
    if queued > 0 {
        let waiting = state.sync.is_stale() || state.outbox.is_paused();
        let q = theme.glyphs.queued;
        let text = if waiting { format!("{q} {queued} queued ") } else { format!("{q} {queued} sending ") };
        right.push(Span::styled(text, theme.pending()));
    }
    let rejected = state.outbox.rejected().len();
    if rejected > 0 {
        right.push(Span::styled(format!("{} {rejected} rejected ", theme.glyphs.rejected), theme.error()));
    }
    // Until each is on disk or confirmed: the whole story is on the left, and in the log.
    let (actions, drafts) = state.unsaved_counts();
    if actions + drafts > 0 {
        right.push(Span::styled(format!("✗ {} not on disk ", actions + drafts), theme.error()));
    } else if state.storage.work_notice.is_some() {
        right.push(Span::styled("✗ work file ", theme.error()));
    }
    // Until the file is fixed: the error is in the message log in full.
    if state.config_error.is_some() {
        let key = state.settings.keymap.key_label(&[Mode::Global], Action::MessageLog);
        right.push(Span::styled(format!("✗ config invalid ({key}) "), theme.error()));
    }
    match &state.session.me {
        Some(me) => right.push(Span::styled(format!("{} · {} ", me.name, me.role.label()), theme.muted())),
        None => right.push(Span::styled("signing in… ", theme.muted())),
    }
    let right_width: usize = right.iter().map(|s| s.width()).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width as u16)]).areas(area);
    frame.render_widget(Line::from(right), right_area);

    if let Some(input) = state.modals.input() {
        let label = match &input.kind {
            InputKind::Filter => " / ".to_string(),
            InputKind::Note { incident_id } => format!(" note on {incident_id}: "),
            InputKind::Assign { key } => format!(" assign {key} to: "),
            InputKind::Reassign { incident_id } => format!(" reassign {incident_id} to: "),
            InputKind::ImportPath => " import windows from: ".to_string(),
            InputKind::OpenTicket { incident_id } => format!(" open a ticket of {incident_id}: "),
        };
        let [label_area, text_area] =
            Layout::horizontal([Constraint::Length(label.chars().count() as u16), Constraint::Min(1)]).areas(left_area);
        frame.render_widget(Span::styled(label, theme.accent()), label_area);
        frame.render_widget(&input.textarea, text_area);
        return;
    }
    let serious = state.flash.as_ref().is_some_and(|f| matches!(f.level, Level::Error));
    if let Some(id) = state.drafts.offer.as_deref()
        && !serious
    {
        let keymap = &state.settings.keymap;
        let at = state
            .drafts
            .postmortems
            .get(id)
            .map(|d| crate::console::widgets::clock(d.journaled_at, d.journaled_at, state.settings.timezone));
        let line = Line::from(vec![
            Span::styled(
                format!(
                    " ✎ restored your draft of {id}{} — ",
                    at.map(|a| format!(" (journaled {a})")).unwrap_or_default()
                ),
                theme.warning(),
            ),
            Span::styled(keymap.key_label(&[Mode::Offer], Action::OpenRestored), theme.accent()),
            Span::raw(" opens it · "),
            Span::styled(keymap.key_label(&[Mode::Offer], Action::DismissRestored), theme.accent()),
            Span::raw(" not now"),
        ]);
        frame.render_widget(line, left_area);
        return;
    }
    if let Some(flash) = &state.flash {
        let style = match flash.level {
            Level::Info => Style::new(),
            Level::Success => theme.ok(),
            Level::Warning => theme.warning(),
            Level::Error => theme.error(),
        };
        frame.render_widget(Line::from(Span::styled(format!(" {}", flash.text), style)), left_area);
        return;
    }
    // Work not on disk outranks everything but a message showing: it stays until resolved.
    if let Some(line) = state.storage_line() {
        frame.render_widget(Line::from(Span::styled(format!(" {line}"), theme.error())), left_area);
        return;
    }
    if let Some((_, error)) = &state.sync.failing {
        frame.render_widget(Line::from(Span::styled(format!(" {error}"), theme.warning())), left_area);
        return;
    }
    frame.render_widget(hints(state, usize::from(left_area.width)), left_area);
}

/// Key hints for the view under any dialog, from the keymap, as many as fit in `width`.
fn hints(state: &AppState, width: usize) -> Line<'static> {
    let keymap = &state.settings.keymap;
    let theme = &state.settings.theme;
    // Hints describe the view under a panel (its keys work again once the panel closes).
    let layers = if state.modals.overlay().is_some() { state.view_layers() } else { state.layers() };
    let [first, rest] = if layers.contains(&Mode::Conflict) {
        [editor::CONFLICT_HINTS, &[][..]]
    } else if state.modals.editor().is_some() {
        // Keys other than these type into the text (or are not bound) in the editor.
        [editor::HINTS, &[][..]]
    } else {
        state.focused().hints(&layers)
    };
    let actions = first.iter().chain(rest);
    // What the role cannot do is not offered; help (`?`) lists it, marked.
    let disabled = state.read_only_reason().is_some();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    if disabled {
        spans.push(Span::styled("read-only ", theme.warning()));
        used += 10;
    }
    for (action, label) in actions.filter(|(action, _)| !(disabled && action.is_dangerous())) {
        let key = keymap.key_label(&layers, *action);
        let text = format!(" {label}  ");
        used += key.chars().count() + text.chars().count();
        if used > width {
            break;
        }
        spans.push(Span::styled(key, theme.accent()));
        spans.push(Span::raw(text));
    }
    Line::from(spans)
}

pub fn draw_confirm(frame: &mut Frame<'_>, area: Rect, state: &AppState, confirm: &Confirm) {
    let theme = &state.settings.theme;
    let keymap = &state.settings.keymap;
    let width = area.width.saturating_sub(4).min(64);
    let popup = crate::console::widgets::centered(area, width, 6);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent())
        .title(Span::styled(format!(" {} {}? ", capitalized(confirm.command.verb()), confirm.id), theme.header()));
    // "Cancel" is what the yes does to a window, so the no must not say it too.
    let (yes, no) = match &confirm.command {
        crate::domain::Command::Maintenance(crate::domain::MaintenanceAction::Cancel) => {
            ("cancel the window".to_string(), "keep it")
        }
        command => (command.verb().to_string(), "cancel"),
    };
    let text = vec![
        Line::from(confirm.title.clone()),
        Line::from(""),
        Line::from(vec![
            Span::styled(keymap.key_label(&[Mode::Confirm], Action::Confirm), theme.accent()),
            Span::raw(format!(" {yes}   ")),
            Span::styled(keymap.key_label(&[Mode::Confirm], Action::Cancel), theme.accent()),
            Span::raw(format!(" {no}")),
        ]),
    ];
    frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), popup);
}

/// "2 actions and 1 draft are not saved — quit anyway?", in the same box as a confirmation.
pub fn draw_quit(frame: &mut Frame<'_>, area: Rect, state: &AppState, quit: &QuitConfirm) {
    let theme = &state.settings.theme;
    let keymap = &state.settings.keymap;
    let width = area.width.saturating_sub(4).min(64);
    let popup = crate::console::widgets::centered(area, width, 7);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.error())
        .title(Span::styled(" Quit? ", theme.header()));
    let text = vec![
        Line::from(format!("{} — quit anyway?", quit.what)),
        Line::from("Not on disk and not sent yet: quitting now loses them."),
        Line::from(""),
        Line::from(vec![
            Span::styled(keymap.key_label(&[Mode::Confirm], Action::Confirm), theme.accent()),
            Span::raw(" quit and lose them   "),
            Span::styled(keymap.key_label(&[Mode::Confirm], Action::Cancel), theme.accent()),
            Span::raw(" stay"),
        ]),
    ];
    frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), popup);
}

fn capitalized(verb: &str) -> String {
    let mut chars = verb.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catching_up_shows_both_counts_whole_with_their_thousands_grouped() {
        let progress = SyncProgress { done: 480_000, total: 1_000_000 };
        assert_eq!(syncing(progress, false), "syncing 480,000 / 1,000,000");
        assert_eq!(syncing(progress, true), "480,000/1,000,000");
        assert_eq!(syncing(SyncProgress { done: 999, total: 1_000 }, false), "syncing 999 / 1,000");
        assert_eq!(syncing(SyncProgress { done: 12, total: 10 }, false), "syncing 10 / 10", "never past the total");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(100_009), "100,009");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }
}
