//! The postmortem editor: the title, the Markdown body (ratatui-textarea: undo and redo, word
//! movement, the usual Emacs keys, search) and a line for adding action items. Pure state; the
//! journal, saving and `$EDITOR` are effects the app state asks for. Its footer hints.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

use crate::console::action::Action;
use crate::console::tabs::Hints;
use crate::domain::postmortem::{ActionItem, Postmortem, PostmortemDraft};
use crate::domain::text::sanitize;

/// The footer's hints while the editor is open; keys other than these type into the text.
pub const HINTS: Hints = &[
    (Action::SavePostmortem, "save"),
    (Action::ExternalEditor, "$EDITOR"),
    (Action::Find, "find"),
    (Action::NextField, "title/body/item"),
    (Action::CloseEditor, "close"),
];

/// The footer's hints while someone else's save is shown beside the text.
pub const CONFLICT_HINTS: Hints =
    &[(Action::TakeTheirs, "theirs"), (Action::KeepMine, "mine"), (Action::SaveMineOnTop, "mine on top")];

/// Which part of the editor has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Title,
    Body,
    /// The action-item line: `text @owner due:YYYY-MM-DD`, Enter adds it to the body.
    ActionItem,
}

#[derive(Debug, Clone)]
pub struct PostmortemEditor {
    /// `PM-1042`.
    pub id: String,
    pub incident_id: String,
    /// The revision the text is based on (0: the postmortem does not exist on the backend yet).
    pub base_version: i64,
    title: TextArea<'static>,
    body: TextArea<'static>,
    item: TextArea<'static>,
    pub part: Part,
    /// The search prompt, while open.
    search: Option<TextArea<'static>>,
    /// The text changed since it was last journaled.
    pub unjournaled: bool,
    /// Why the action-item line was not added.
    pub item_error: Option<String>,
    /// Someone else saved first: their postmortem, shown beside this text until the writer picks.
    pub theirs: Option<Box<Postmortem>>,
    /// Text changed on disk by another program, offered to load.
    pub offer: Option<String>,
    /// Where the hand-off to `$EDITOR` stands: the drafts folder's watcher sees that program
    /// write the very file it was handed, which is its result, not a change to offer.
    pub hand_off: HandOff,
}

/// The draft's hand-off to `$EDITOR`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HandOff {
    #[default]
    None,
    /// `$EDITOR` has the file: whatever it writes comes back when it exits.
    Out,
    /// `$EDITOR` exited leaving this text in the file.
    Back(String),
}

fn one_line(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_placeholder_text(placeholder);
    area.set_cursor_line_style(ratatui::style::Style::default());
    area.move_cursor(CursorMove::End);
    area
}

/// The title line, showing its start (End goes to the end).
fn title_line(text: &str) -> TextArea<'static> {
    let mut area = one_line(text, "title");
    area.move_cursor(CursorMove::Head);
    area
}

/// The body: long lines wrap at words (a word wider than the view at characters), so the view
/// never scrolls sideways, after a search either.
fn body_area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut area = TextArea::new(if lines.is_empty() { vec![String::new()] } else { lines });
    area.set_cursor_line_style(ratatui::style::Style::default());
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.set_max_histories(1000);
    area
}

impl PostmortemEditor {
    pub fn new(id: &str, incident_id: &str, base_version: i64, draft: &PostmortemDraft) -> PostmortemEditor {
        PostmortemEditor {
            id: id.to_string(),
            incident_id: incident_id.to_string(),
            base_version,
            // The server's (or a file's) text: sanitised like every outside string, lines kept.
            title: title_line(&sanitize(&draft.title)),
            body: body_area(&clean_body(&draft.body)),
            item: one_line("", "Rotate the retriever's index nightly @lee due:2026-12-01"),
            part: Part::Body,
            search: None,
            unjournaled: false,
            item_error: None,
            theirs: None,
            offer: None,
            hand_off: HandOff::None,
        }
    }

    /// The text as it is now.
    pub fn draft(&self) -> PostmortemDraft {
        let mut body = self.body.lines().join("\n");
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        PostmortemDraft { title: self.title.lines().join(" "), body }
    }

    pub fn title(&self) -> &TextArea<'static> {
        &self.title
    }

    pub fn body(&self) -> &TextArea<'static> {
        &self.body
    }

    pub fn item_line(&self) -> &TextArea<'static> {
        &self.item
    }

    pub fn search(&self) -> Option<&TextArea<'static>> {
        self.search.as_ref()
    }

    /// Replaces the whole text (from `$EDITOR`, a file changed on disk, or their version).
    pub fn replace(&mut self, draft: &PostmortemDraft) {
        let cursor = self.body.cursor();
        self.title = title_line(&sanitize(&draft.title));
        self.body = body_area(&clean_body(&draft.body));
        self.body.move_cursor(CursorMove::Jump(cursor.0 as u16, cursor.1 as u16));
        self.unjournaled = true;
    }

    pub fn next_part(&mut self) {
        self.part = match self.part {
            Part::Title => Part::Body,
            Part::Body => Part::ActionItem,
            Part::ActionItem => Part::Title,
        };
    }

    pub fn prev_part(&mut self) {
        self.part = match self.part {
            Part::Title => Part::ActionItem,
            Part::Body => Part::Title,
            Part::ActionItem => Part::Body,
        };
    }

    /// A key the keymap did not take: edits the part with the keyboard (or the search prompt).
    /// Returns whether anything on screen changed.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        if let Some(search) = &mut self.search {
            return match key.code {
                KeyCode::Enter => {
                    self.body.search_forward(false);
                    true
                }
                _ => {
                    let changed = search.input(key);
                    let pattern = regex::escape(&search.lines().join(""));
                    let _ = self.body.set_search_pattern(pattern);
                    self.body.search_forward(true);
                    changed
                }
            };
        }
        match self.part {
            Part::Title | Part::ActionItem if key.code == KeyCode::Enter => {
                if self.part == Part::ActionItem {
                    return self.add_item();
                }
                self.part = Part::Body;
                true
            }
            Part::Title => self.edited(|e| e.title.input(key)),
            // A key that only moves the cursor changes the screen too.
            Part::Body => self.edited(|e| e.body.input(key)),
            Part::ActionItem => {
                self.item_error = None;
                self.item.input(key)
            }
        }
    }

    fn edited(&mut self, edit: impl FnOnce(&mut Self) -> bool) -> bool {
        let changed = edit(self);
        self.unjournaled |= changed;
        true
    }

    /// Pasted text into the part with the keyboard, stripped of control characters.
    pub fn paste(&mut self, text: &str) -> bool {
        match self.part {
            Part::Body => {
                let clean = clean_body(text);
                let changed = self.body.insert_str(clean);
                self.unjournaled |= changed;
                changed
            }
            Part::Title => {
                let changed = self.title.insert_str(sanitize(&text.replace(['\n', '\r'], " ")));
                self.unjournaled |= changed;
                changed
            }
            Part::ActionItem => self.item.insert_str(sanitize(&text.replace(['\n', '\r'], " "))),
        }
    }

    /// Adds the action-item line to the body's `## Action items` list.
    pub fn add_item(&mut self) -> bool {
        let line = self.item.lines().join(" ");
        if line.trim().is_empty() {
            self.part = Part::Body;
            return true;
        }
        match ActionItem::parse(&sanitize(&line), false) {
            Ok(item) => {
                let body = insert_action_item(&self.draft().body, &item);
                let cursor = self.body.cursor();
                self.body = body_area(&body);
                self.body.move_cursor(CursorMove::Jump(cursor.0 as u16, cursor.1 as u16));
                self.item = one_line("", "");
                self.item_error = None;
                self.unjournaled = true;
            }
            Err(error) => self.item_error = Some(error),
        }
        true
    }

    pub fn open_search(&mut self) {
        self.search = Some(one_line("", "find in the body; Enter finds the next, Esc closes"));
    }

    pub fn close_search(&mut self) -> bool {
        let _ = self.body.set_search_pattern("");
        self.search.take().is_some()
    }
}

/// A body from outside (a paste, a file, `$EDITOR`): control characters and escape sequences
/// removed line by line, line ends kept.
pub fn clean_body(text: &str) -> String {
    // Terminals send a pasted line break as CR: a lone CR is a line break too.
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| sanitize(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `body` with `item` appended to its `## Action items` list (after the list's last line), or
/// with that section added at the end when there is none.
pub fn insert_action_item(body: &str, item: &ActionItem) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let heading = |l: &'_ str| -> Option<(usize, String)> {
        let t = l.trim_start();
        let level = t.chars().take_while(|c| *c == '#').count();
        (level > 0 && t[level..].starts_with(' ')).then(|| (level, t[level..].trim().to_string()))
    };
    let Some(start) =
        lines.iter().position(|l| heading(l).is_some_and(|(_, h)| h.eq_ignore_ascii_case("action items")))
    else {
        let mut out = body.trim_end().to_string();
        out.push_str(&format!("\n\n## Action items\n\n{}\n", item.to_line()));
        return out;
    };
    let level = heading(lines[start]).map_or(2, |(l, _)| l);
    let end = lines[start + 1..]
        .iter()
        .position(|l| heading(l).is_some_and(|(l, _)| l <= level))
        .map_or(lines.len(), |i| start + 1 + i);
    // After the last non-blank line of the section.
    let mut at = end;
    while at > start + 1 && lines[at - 1].trim().is_empty() {
        at -= 1;
    }
    let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
    out.push(item.to_line());
    out.extend(lines[at..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
