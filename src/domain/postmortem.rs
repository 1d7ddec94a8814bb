//! Postmortems: the document written after an incident, its review status and its action items.
//!
//! One postmortem per incident. Its body is Markdown; action items live in the body as a task
//! list under `## Action items` (`- [ ] Add a canary @lee due:2026-12-01`), so the text a person
//! edits — in the console or in `$EDITOR` — is the one source, and the structured items are
//! read from it ([`action_items`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::incident::Rejection;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 200_000;
pub const MAX_ACTION_ITEMS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostmortemStatus {
    Draft,
    InReview,
    Published,
}

impl PostmortemStatus {
    pub const ALL: [PostmortemStatus; 3] =
        [PostmortemStatus::Draft, PostmortemStatus::InReview, PostmortemStatus::Published];

    pub fn label(self) -> &'static str {
        match self {
            PostmortemStatus::Draft => "draft",
            PostmortemStatus::InReview => "in review",
            PostmortemStatus::Published => "published",
        }
    }

    /// The next step of the review: draft → in review → published (and no further).
    pub fn next(self) -> Option<PostmortemStatus> {
        match self {
            PostmortemStatus::Draft => Some(PostmortemStatus::InReview),
            PostmortemStatus::InReview => Some(PostmortemStatus::Published),
            PostmortemStatus::Published => None,
        }
    }
}

/// One follow-up: what, who, by when, and whether it is done.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct ActionItem {
    pub text: String,
    /// Empty when nobody owns it yet.
    pub owner: String,
    pub due: Option<NaiveDate>,
    pub done: bool,
}

impl ActionItem {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.done && self.due.is_some_and(|due| due < today)
    }

    /// The item as a Markdown task-list line: `- [ ] text @owner due:2026-12-01`.
    pub fn to_line(&self) -> String {
        let mut line = format!("- [{}] {}", if self.done { "x" } else { " " }, self.text.trim());
        if !self.owner.is_empty() {
            line.push_str(&format!(" @{}", self.owner));
        }
        if let Some(due) = self.due {
            line.push_str(&format!(" due:{due}"));
        }
        line
    }

    /// Reads `text @owner due:YYYY-MM-DD` (owner and due optional, in any order at the end) as
    /// typed in the editor's action-item line or in a task-list line without its `- [ ]`.
    pub fn parse(text: &str, done: bool) -> Result<ActionItem, String> {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        let (mut owner, mut due) = (String::new(), None);
        while let Some(last) = words.last() {
            if let Some(name) = last.strip_prefix('@').filter(|n| !n.is_empty() && owner.is_empty()) {
                owner = name.to_string();
            } else if let Some(date) = last.strip_prefix("due:").filter(|_| due.is_none()) {
                let parsed = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| format!("due:{date} is not a date like due:2026-12-01"))?;
                due = Some(parsed);
            } else {
                break;
            }
            words.pop();
        }
        let text = words.join(" ");
        if text.is_empty() {
            return Err("an action item needs some text before @owner and due:".into());
        }
        Ok(ActionItem { text, owner, due, done })
    }
}

/// The action items of a body: the task-list lines under its `## Action items` heading (up to
/// the next heading of the same or a higher level). Lines that do not read as items are left
/// out; the body itself is never changed.
pub fn action_items(body: &str) -> Vec<ActionItem> {
    let mut items = Vec::new();
    let mut inside: Option<usize> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        if level > 0 && trimmed[level..].starts_with(' ') {
            inside = match inside {
                Some(l) if level > l => Some(l),
                _ if trimmed[level..].trim().eq_ignore_ascii_case("action items") => Some(level),
                _ => None,
            };
            continue;
        }
        if inside.is_none() {
            continue;
        }
        let rest = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* "));
        let Some(rest) = rest else { continue };
        let (done, rest) = match rest.get(..3) {
            Some("[ ]") => (false, &rest[3..]),
            Some("[x]" | "[X]") => (true, &rest[3..]),
            _ => continue,
        };
        if let Ok(item) = ActionItem::parse(rest, done) {
            items.push(item);
        }
    }
    items
}

/// What a person edits: the title and the Markdown body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct PostmortemDraft {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Postmortem {
    /// Stable id, e.g. `PM-4001`.
    pub id: String,
    /// The incident it is about (one postmortem per incident).
    pub incident_id: String,
    pub title: String,
    pub status: PostmortemStatus,
    /// Markdown.
    pub body: String,
    /// Read from the body's `## Action items` task list on every save.
    pub action_items: Vec<ActionItem>,
    /// Starts at 1 and increases by one with every save or status change.
    pub version: i64,
    pub created_by: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The id of an incident's postmortem: `INC-1042` → `PM-1042` (other ids get `PM-` in front).
/// Derived, so two people drafting the same incident's postmortem meet at one document.
pub fn postmortem_id(incident_id: &str) -> String {
    format!("PM-{}", incident_id.strip_prefix("INC-").unwrap_or(incident_id))
}

/// A change to an incident's postmortem, as queued in the console's outbox and sent to the Ops
/// API (`PUT /v1/postmortems/{id}`, `POST /v1/postmortems/{id}/status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PostmortemAction {
    /// Creates the postmortem (version 0: none seen yet) or saves a new revision of it.
    Save {
        incident_id: String,
        draft: PostmortemDraft,
    },
    SetStatus {
        status: PostmortemStatus,
    },
}

impl PostmortemAction {
    pub fn path(&self) -> &'static str {
        match self {
            PostmortemAction::Save { .. } => "",
            PostmortemAction::SetStatus { .. } => "status",
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            PostmortemAction::Save { .. } => "save",
            PostmortemAction::SetStatus { .. } => "move",
        }
    }

    pub fn done(&self) -> &'static str {
        match self {
            PostmortemAction::Save { .. } => "saved",
            PostmortemAction::SetStatus { status: PostmortemStatus::Draft } => "back to draft",
            PostmortemAction::SetStatus { status: PostmortemStatus::InReview } => "in review",
            PostmortemAction::SetStatus { status: PostmortemStatus::Published } => "published",
        }
    }
}

/// Why a draft cannot be saved, if it cannot.
pub fn validate(draft: &PostmortemDraft) -> Result<(), String> {
    let title = draft.title.trim();
    if title.is_empty() {
        return Err("title: must not be empty".into());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!("title: is limited to {MAX_TITLE_CHARS} characters"));
    }
    if draft.body.chars().count() > MAX_BODY_CHARS {
        return Err(format!("body: is limited to {MAX_BODY_CHARS} characters"));
    }
    let items = action_items(&draft.body).len();
    if items > MAX_ACTION_ITEMS {
        return Err(format!("action items: at most {MAX_ACTION_ITEMS}, not {items}"));
    }
    Ok(())
}

impl Postmortem {
    /// A new postmortem at version 1, in draft.
    pub fn create(id: String, incident_id: &str, draft: PostmortemDraft, by: &str, now: DateTime<Utc>) -> Postmortem {
        Postmortem {
            id,
            incident_id: incident_id.to_string(),
            title: draft.title.trim().to_string(),
            status: PostmortemStatus::Draft,
            action_items: action_items(&draft.body),
            body: draft.body,
            version: 1,
            created_by: by.to_string(),
            updated_by: by.to_string(),
            updated_at: now,
        }
    }

    pub fn draft(&self) -> PostmortemDraft {
        PostmortemDraft { title: self.title.clone(), body: self.body.clone() }
    }

    /// Whether `action` would apply to the postmortem as it is.
    pub fn check(&self, action: &PostmortemAction) -> Result<(), Rejection> {
        let invalid = |message: String| Err(Rejection::Invalid { message });
        match action {
            PostmortemAction::Save { incident_id, .. } if *incident_id != self.incident_id => {
                invalid(format!("{} is the postmortem of {}, not {incident_id}", self.id, self.incident_id))
            }
            PostmortemAction::Save { draft, .. } => validate(draft).or_else(invalid),
            PostmortemAction::SetStatus { status } if *status == self.status => {
                invalid(format!("the postmortem is already {}", status.label()))
            }
            PostmortemAction::SetStatus { .. } => Ok(()),
        }
    }

    /// Saves a revision or changes the status, as the server does; bumps the version.
    pub fn apply(&mut self, action: &PostmortemAction, by: &str, now: DateTime<Utc>) -> Result<(), Rejection> {
        self.check(action)?;
        match action {
            PostmortemAction::Save { draft, .. } => {
                self.title = draft.title.trim().to_string();
                self.body = draft.body.clone();
                self.action_items = action_items(&self.body);
            }
            PostmortemAction::SetStatus { status } => self.status = *status,
        }
        self.version += 1;
        self.updated_by = by.to_string();
        self.updated_at = now;
        Ok(())
    }

    pub fn open_items(&self) -> usize {
        self.action_items.iter().filter(|i| !i.done).count()
    }

    pub fn overdue_items(&self, today: NaiveDate) -> usize {
        self.action_items.iter().filter(|i| i.is_overdue(today)).count()
    }

    /// The document as Markdown, for `E` and `opsdeck postmortem export`: the title, a line
    /// saying what it is, then the body as written.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# {}\n\n_Postmortem {} of {} · {} · version {} · last changed by {} at {}_\n\n",
            self.title,
            self.id,
            self.incident_id,
            self.status.label(),
            self.version,
            self.updated_by,
            self.updated_at.format("%Y-%m-%d %H:%M UTC")
        );
        out.push_str(self.body.trim_end());
        out.push('\n');
        out
    }
}

/// The first line of a draft file that says what it is; read back, it is dropped.
const FILE_NOTE: &str = "<!-- opsdeck: postmortem";

/// A draft as a Markdown file (for `$EDITOR` and export): the title as the `# ` heading, a
/// comment saying what the file is, then the body.
pub fn draft_to_file(id: &str, incident_id: &str, draft: &PostmortemDraft) -> String {
    format!(
        "# {}\n\n{FILE_NOTE} {id} of {incident_id}; the first line is the title, edits here are offered back to opsdeck -->\n\n{}",
        draft.title.trim(),
        draft.body
    )
}

/// A draft read back from a file written by [`draft_to_file`] and edited by a person or a
/// program: a leading `# ` line is the title, the rest (without the note) is the body.
pub fn draft_from_file(text: &str) -> PostmortemDraft {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let mut lines = text.lines().peekable();
    while lines.peek().is_some_and(|l| l.trim().is_empty()) {
        lines.next();
    }
    let title = match lines.peek() {
        Some(first) if first.starts_with("# ") => {
            let title = first[2..].trim().to_string();
            lines.next();
            title
        }
        _ => String::new(),
    };
    let rest: Vec<&str> = lines.collect();
    let mut start = 0;
    while start < rest.len() && (rest[start].trim().is_empty() || rest[start].starts_with(FILE_NOTE)) {
        start += 1;
    }
    let mut body = rest[start..].join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    PostmortemDraft { title, body }
}

#[cfg(test)]
mod tests;
