//! A detail view's history (an incident's timeline, a ticket's history): a titled rule, one
//! line per event — when, what, who, the text wrapped under itself — and the user's queued
//! actions on the item, which are shown but not yet confirmed.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::console::state::AppState;
use crate::console::widgets::Draw;
use crate::console::widgets::clock;

/// One event as the history shows it.
pub struct HistoryEntry<'a> {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub style: Style,
    pub actor: &'a str,
    pub text: &'a str,
    /// A key moment (`*` on an incident's timeline).
    pub starred: bool,
}

/// Width of the event-kind column (`acknowledged` is the longest label).
const KIND_WIDTH: usize = 12;

/// Draws a detail view in `area`: the `head` lines (plus the stale badge while data is not
/// current), a rule titled `title`, and the history of item `id` from event number `scroll`
/// (whole events, however many lines each wraps to), that event marked `▸`. Only the lines that
/// fit are laid out, so a huge event or a long history costs no more to draw than a short one.
#[allow(clippy::too_many_arguments)]
pub fn draw_detail_view(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    mut head: Vec<Line<'_>>,
    title: &str,
    entries: &[HistoryEntry<'_>],
    id: &str,
    scroll: usize,
    now: DateTime<Utc>,
) {
    let theme = &state.settings.theme;
    let tz = state.settings.timezone;
    if state.sync.is_stale() {
        let (badge, _) = crate::console::widgets::status::freshness(state);
        head.push(Line::from(vec![Span::raw(" "), Span::styled(badge, theme.stale_badge())]));
    }
    let [head_area, rule, body] =
        Layout::vertical([Constraint::Length(head.len() as u16), Constraint::Length(1), Constraint::Min(0)])
            .areas(area);
    buf.render_widget(Paragraph::new(head), head_area);
    let dashes = theme.glyphs.rule.repeat(usize::from(rule.width).saturating_sub(title.chars().count() + 2));
    buf.render_widget(Line::from(Span::styled(format!(" {title} {dashes}"), theme.muted())), rule);

    let clocks: Vec<String> = entries.iter().map(|e| clock(e.at, now, tz)).collect();
    let clock_width = clocks.iter().map(|c| c.chars().count()).max().unwrap_or(8);
    let actor_width = entries.iter().map(|e| e.actor.chars().count()).max().unwrap_or(0).clamp(6, 16);
    // Prefix: space, clock, two spaces, the marks, kind and a space, actor and a space.
    let indent = 1 + clock_width + 2 + 2 + KIND_WIDTH + 1 + actor_width + 1;
    let text_width = usize::from(body.width).saturating_sub(indent).max(10);
    // Only what fits is laid out: from the event scrolled to, as many lines as the body has,
    // however long the events are or how many there are.
    let height = usize::from(body.height);
    let start = scroll.min(entries.len().saturating_sub(1));
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (i, (entry, at)) in entries.iter().zip(&clocks).enumerate().skip(start) {
        if lines.len() >= height {
            break;
        }
        let mut chunks = wrap_words_upto(entry.text, text_width, height - lines.len()).into_iter();
        let glyphs = &theme.glyphs;
        let mark = match (i == scroll, entry.starred) {
            (true, true) => format!("{}{}", glyphs.pointer, glyphs.star),
            (true, false) => format!("{} ", glyphs.pointer),
            (false, true) => format!(" {}", glyphs.star),
            (false, false) => "  ".to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {at:>clock_width$}  "), theme.muted()),
            Span::styled(mark, theme.accent()),
            Span::styled(format!("{:<KIND_WIDTH$} ", entry.kind), entry.style),
            Span::styled(format!("{:<actor_width$} ", entry.actor), theme.accent()),
            Span::raw(chunks.next().unwrap_or_default()),
        ]));
        lines.extend(chunks.map(|chunk| Line::from(format!("{:indent$}{chunk}", ""))));
    }
    // What is shown already includes queued actions; say which are not confirmed.
    for entry in state.outbox.pending_for(id) {
        let detail = match &entry.last_error {
            Some(error) => format!(" — {} attempt(s), last: {error}", entry.attempts),
            None => String::new(),
        };
        lines.push(Line::from(Span::styled(
            format!(
                " {} {} queued at {}, not yet confirmed{detail}",
                theme.glyphs.queued,
                entry.action.verb(),
                clock(entry.created_at, now, tz)
            ),
            theme.pending(),
        )));
    }
    lines.truncate(height);
    buf.render_widget(Paragraph::new(lines), body);
}

/// Splits `text` into lines of at most `width` characters at spaces; longer words are cut.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    wrap_words_upto(text, width, usize::MAX)
}

/// The first `max_lines` lines of [`wrap_words`]: the rest of the text is not looked at.
pub fn wrap_words_upto(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(1);
    let max_lines = max_lines.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word;
        loop {
            let used = line.chars().count();
            let len = word.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + len <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                if lines.len() == max_lines {
                    return lines;
                }
                continue;
            }
            let cut: String = word.chars().take(width).collect();
            word = &word[cut.len()..];
            lines.push(cut);
            if lines.len() == max_lines {
                return lines;
            }
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::{wrap_words, wrap_words_upto};

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap_words("index refresh job stuck on quota", 12), ["index", "refresh job", "stuck on", "quota"]);
        assert_eq!(wrap_words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("", 5), [""]);
        assert_eq!(wrap_words("fits", 10), ["fits"]);
    }

    #[test]
    fn wrapping_stops_at_the_lines_asked_for() {
        assert_eq!(wrap_words_upto("index refresh job stuck on quota", 12, 2), ["index", "refresh job"]);
        assert_eq!(wrap_words_upto(&"x".repeat(1_000_000), 10, 3), ["x".repeat(10), "x".repeat(10), "x".repeat(10)]);
        assert_eq!(wrap_words_upto("", 5, 0), [""]);
    }
}
