//! The help panel laid out: where the panel goes, and its lines (generated from the keymap,
//! wrapped to the panel, with each action's name for `[keys]`). The panel draws them
//! (`widgets::help`); the state scrolls no further than the last of them.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use crate::console::action::Action;
use crate::console::keymap::Mode;
use crate::console::state::AppState;

/// The panel's rectangle in `area`.
pub fn panel_area(area: Rect) -> Rect {
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let height = area.height.saturating_sub(2).max(5);
    super::centered(area, width, height)
}

/// Width of the keys column, its indent included, and of the `!` mark after it.
const KEYS_WIDTH: usize = 18;
const MARK_WIDTH: usize = 2;
/// From this inner width on, action names get their own column on the right.
const NAME_COLUMN_FROM: usize = 96;

/// The help panel's lines for an inner width of `width`, wrapped (never cut): per section its
/// title, then per binding its keys, `!` when it changes shared state, what it does, and its
/// name for `[keys]` in the config, dim.
pub fn help_lines(state: &AppState, width: u16) -> Vec<Line<'static>> {
    let theme = &state.settings.theme;
    let width = usize::from(width).max(KEYS_WIDTH + MARK_WIDTH + 10);
    let disabled = state.read_only_reason();
    let names_width = state
        .settings
        .keymap
        .help_sections()
        .iter()
        .flat_map(|s| &s.entries)
        .map(|e| e.action.name().len())
        .max()
        .unwrap_or(0);
    let name_column = width >= NAME_COLUMN_FROM;
    let mut lines = Vec::new();
    if let Some(reason) = disabled {
        let text = format!("Read-only: actions marked ! are disabled ({reason}).");
        lines.extend(wrap(vec![], words(&text, theme.warning()), width, 0));
        lines.push(Line::from(""));
    }
    for section in state.settings.keymap.help_sections() {
        lines.extend(wrap(vec![], words(section.title, theme.header()), width, 2));
        for entry in section.entries {
            let dangerous = entry.action.is_dangerous();
            let style = if dangerous && disabled.is_some() { theme.muted() } else { Style::new() };
            let keys = format!("  {}", entry.keys);
            let mut prefix = Vec::new();
            if keys.chars().count() >= KEYS_WIDTH {
                // Too many keys for the column: they get a line of their own.
                lines.extend(wrap(vec![Span::raw("  ")], words(&entry.keys, theme.accent()), width, 4));
                prefix.push(Span::raw(" ".repeat(KEYS_WIDTH)));
            } else {
                prefix.push(Span::styled(format!("{keys:<KEYS_WIDTH$}"), theme.accent()));
            }
            prefix.push(Span::styled(if dangerous { "! " } else { "  " }, theme.warning()));
            let indent = KEYS_WIDTH + MARK_WIDTH;
            let name = entry.action.name();
            if name_column {
                let text_width = width - names_width - 2;
                let mut wrapped = wrap(prefix, words(entry.action.description(), style), text_width, indent);
                if let Some(first) = wrapped.first_mut() {
                    let pad = text_width.saturating_sub(first.width()) + 2;
                    first.spans.push(Span::raw(" ".repeat(pad)));
                    first.spans.push(Span::styled(name, theme.muted()));
                }
                lines.extend(wrapped);
            } else {
                let mut tokens = words(entry.action.description(), style);
                tokens.push((name.to_string(), theme.muted(), 2));
                lines.extend(wrap(prefix, tokens, width, indent));
            }
        }
        lines.push(Line::from(""));
    }
    let keys = &state.settings.keymap;
    let label = |action| keys.key_label(&[Mode::Overlay], action);
    let footer = format!(
        "! changes shared state on the backend. Keys are set under [keys] in config.toml by the names \
         in the dim column: acknowledge = \"A\", or escalate = [\"e\", \"E\"]. Scroll with {} {} {} {} {} {}.",
        label(Action::MoveDown),
        label(Action::MoveUp),
        label(Action::PageDown),
        label(Action::PageUp),
        label(Action::First),
        label(Action::Last),
    );
    lines.extend(wrap(vec![], words(&footer, theme.muted()), width, 0));
    lines
}

/// Words of `text` in `style`, each to be put one space after the one before it.
fn words(text: &str, style: Style) -> Vec<(String, Style, usize)> {
    text.split(' ').filter(|w| !w.is_empty()).map(|w| (w.to_string(), style, 1)).collect()
}

/// Lays `tokens` (word, style, spaces before it) out after `prefix` in lines of `width`; lines
/// after the first start `indent` columns in. A word longer than a line is cut across lines.
fn wrap(
    prefix: Vec<Span<'static>>,
    tokens: Vec<(String, Style, usize)>,
    width: usize,
    indent: usize,
) -> Vec<Line<'static>> {
    let indent = indent.min(width.saturating_sub(10));
    let mut lines = Vec::new();
    let mut used: usize = prefix.iter().map(|s| s.width()).sum();
    let start = used;
    let mut spans = prefix;
    let mut line_start = start;
    for (word, style, gap) in tokens {
        let word_width = Span::raw(word.as_str()).width();
        let gap = if used == line_start { 0 } else { gap };
        if used + gap + word_width > width && used > line_start {
            lines.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(indent)));
            used = indent;
            line_start = indent;
        } else if gap > 0 {
            spans.push(Span::styled(" ".repeat(gap), style));
            used += gap;
        }
        let mut rest = word.as_str();
        while used + Span::raw(rest).width() > width && width > used {
            let cut = rest.char_indices().nth(width - used).map_or(rest.len(), |(i, _)| i);
            spans.push(Span::styled(rest[..cut].to_string(), style));
            lines.push(Line::from(std::mem::take(&mut spans)));
            spans.push(Span::raw(" ".repeat(indent)));
            used = indent;
            line_start = indent;
            rest = &rest[cut..];
        }
        used += Span::raw(rest).width();
        spans.push(Span::styled(rest.to_string(), style));
    }
    lines.push(Line::from(spans));
    lines
}

/// The help panel's scrolling in a terminal of `size`: a page (the lines it shows less one, so
/// one line stays in view) and the furthest it scrolls (the last line at the bottom).
pub fn help_scroll_limits(state: &AppState, size: (u16, u16)) -> (usize, usize) {
    let popup = panel_area(Rect::new(0, 0, size.0, size.1));
    let inner = Block::default().borders(Borders::ALL).inner(popup);
    let shown = usize::from(inner.height);
    let total = help_lines(state, inner.width).len();
    (shown.saturating_sub(1).max(1), total.saturating_sub(shown))
}
