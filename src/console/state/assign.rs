//! Whom a ticket or an incident may go to: the backend's users (fetched once after each sign-in), Tab
//! completion in the prompts that take a name or a key, the hint line under them, and the check
//! that refuses an unknown name while keeping what was typed.

use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;

use super::{AppState, Input, InputKind, Level, Modal, Update};
use crate::api::User;
use crate::domain::text::sanitize;
use crate::domain::{Command, IncidentAction, TicketAction};

/// What the console knows about the backend's users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Directory {
    /// Not asked yet (offline since start-up, or the answer is on its way).
    #[default]
    Unknown,
    /// The backend did not list them (an older server, or a role that may not): why.
    Unavailable(String),
    Known(Vec<User>),
}

/// Candidates starting with `text` (ignoring case), and what Tab turns `text` into: the one match,
/// or the longest start all matches share when that is longer than `text`.
pub fn complete<'a>(text: &str, candidates: &[&'a str]) -> (Option<String>, Vec<&'a str>) {
    let lower = text.to_lowercase();
    let matches: Vec<&str> = candidates.iter().copied().filter(|c| c.to_lowercase().starts_with(&lower)).collect();
    let completed = match matches.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        [first, rest @ ..] => {
            let mut common: Vec<char> = first.chars().collect();
            for other in rest {
                let same = common.iter().zip(other.chars()).take_while(|(a, b)| a.to_lowercase().eq(b.to_lowercase()));
                common.truncate(same.count());
            }
            let common: String = common.into_iter().collect();
            (common.chars().count() > text.chars().count()).then_some(common)
        }
    };
    (completed.filter(|c| c != text), matches)
}

/// A one-line prompt holding `text`, the cursor at its end.
fn prompt_text(placeholder: &str, text: &str) -> TextArea<'static> {
    let mut textarea = TextArea::new(vec![text.to_string()]);
    textarea.move_cursor(ratatui_textarea::CursorMove::End);
    textarea.set_placeholder_text(placeholder);
    textarea
}

pub(super) const ASSIGN_PLACEHOLDER: &str = "assign to (a name; Tab completes); Enter assigns, Esc cancels";

impl AppState {
    /// Names a ticket or an incident can be assigned to (users who can act), when the backend
    /// listed them.
    pub fn assignable(&self) -> Option<Vec<&str>> {
        match &self.catalog.users {
            Directory::Known(users) => {
                Some(users.iter().filter(|u| u.role.can_act()).map(|u| u.name.as_str()).collect())
            }
            Directory::Unknown | Directory::Unavailable(_) => None,
        }
    }

    pub(crate) fn on_users(&mut self, result: Result<Vec<User>, String>) -> Update {
        self.catalog.users = match result {
            Ok(users) => Directory::Known(
                users.into_iter().map(|u| User { name: sanitize(&u.name).into_owned(), role: u.role }).collect(),
            ),
            Err(error) => Directory::Unavailable(sanitize(&error).into_owned()),
        };
        // A hint line may be showing.
        Update { changed: self.modals.input().is_some(), effects: Vec::new() }
    }

    /// What the open prompt can complete from.
    fn candidates(&self) -> Option<Vec<String>> {
        match &self.modals.input()?.kind {
            InputKind::Assign { .. } | InputKind::Reassign { .. } => {
                Some(self.assignable()?.into_iter().map(str::to_string).collect())
            }
            InputKind::OpenTicket { incident_id } => Some(self.linked_tickets(incident_id)),
            InputKind::Filter | InputKind::Note { .. } | InputKind::ImportPath => None,
        }
    }

    /// Tab in a prompt: completes the name or key typed so far.
    pub(crate) fn complete_input(&mut self) -> Update {
        let Some(candidates) = self.candidates() else { return Update::unchanged() };
        let Some(input) = self.modals.input_mut() else { return Update::unchanged() };
        let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
        match complete(input.text().trim(), &refs).0 {
            Some(completed) => {
                input.textarea = prompt_text(input.textarea.placeholder_text(), &completed);
                Update::changed()
            }
            None => Update::unchanged(),
        }
    }

    /// The line under a prompt that takes a name or a key: what Tab would complete from, or why
    /// the name cannot be checked.
    pub fn prompt_hint(&self) -> Option<String> {
        let input = self.modals.input()?;
        let text = input.text();
        if let Some((refused, why)) = &self.prompt_refusal
            && *refused == text
        {
            return Some(format!("✗ {why}"));
        }
        let text = text.trim();
        let list = |matches: &[&str]| {
            let shown: Vec<&str> = matches.iter().copied().take(12).collect();
            let more = matches.len().saturating_sub(shown.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            format!("{}{more}", shown.join("  "))
        };
        if let Some(outside) = self.outside_directory(&input.kind) {
            let names = self.assignable().unwrap_or_default();
            let (_, matches) = complete(text, &names);
            return Some(format!(
                "{outside} looks the name up among its users (a name or an email); opsdeck's: {} · Tab completes",
                list(&matches)
            ));
        }
        match &input.kind {
            InputKind::Assign { .. } | InputKind::Reassign { .. } => match (&self.catalog.users, self.assignable()) {
                (_, Some(names)) => {
                    let (_, matches) = complete(text, &names);
                    Some(match matches.as_slice() {
                        [] => format!("no known user starts with “{text}”: Enter refuses it"),
                        [one] if one.eq_ignore_ascii_case(text) => format!("✓ {one}"),
                        _ if text.is_empty() => format!("known: {} · Tab completes", list(&matches)),
                        _ => format!("matches: {} · Tab completes", list(&matches)),
                    })
                }
                (Directory::Unavailable(why), None) => {
                    Some(format!("the backend did not list its users ({why}): the name cannot be checked"))
                }
                (_, None) => Some("the list of users is not known yet: the name cannot be checked".to_string()),
            },
            InputKind::OpenTicket { incident_id } => {
                let keys = self.linked_tickets(incident_id);
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                let (_, matches) = complete(text, &refs);
                Some(format!("linked to {incident_id}: {} · Tab completes, Enter opens", list(&matches)))
            }
            InputKind::Filter | InputKind::Note { .. } | InputKind::ImportPath => None,
        }
    }

    /// `A` on a ticket or an incident: the prompt for a name (`kind` is `Assign` or `Reassign`).
    pub(crate) fn open_assign_prompt(&mut self, kind: InputKind) {
        let textarea = prompt_text(ASSIGN_PLACEHOLDER, "");
        self.modals.push(Modal::Input(Input { kind, textarea }));
    }

    /// Enter in the assign prompt: a known user is assigned; an unknown name is refused with the
    /// prompt kept as typed; without a user list the name goes out unchecked, and the user is told.
    pub(crate) fn submit_assign(&mut self, kind: InputKind, typed: &str, now: DateTime<Utc>) -> Update {
        let to = sanitize(typed.trim()).into_owned();
        let works = if matches!(kind, InputKind::Reassign { .. }) { "take incidents" } else { "work tickets" };
        let outside = self.outside_directory(&kind);
        let check = match &self.catalog.users {
            _ if outside.is_some() => Ok((to, true)),
            Directory::Known(users) if !to.is_empty() => {
                let found = users
                    .iter()
                    .find(|u| u.name == to)
                    .or_else(|| users.iter().find(|u| u.name.eq_ignore_ascii_case(&to)));
                match found {
                    Some(user) if user.role.can_act() => Ok((user.name.clone(), true)),
                    Some(user) => {
                        Err(format!("{} is a {} and cannot {works}; assign someone else", user.name, user.role.label()))
                    }
                    None => Err(self.unknown_user(&to)),
                }
            }
            _ => Ok((to, false)),
        };
        let (to, checked) = match check {
            Ok(checked) => checked,
            Err(refusal) => {
                self.flash(Level::Warning, &refusal, now);
                self.prompt_refusal = Some((typed.to_string(), refusal));
                let textarea = prompt_text(ASSIGN_PLACEHOLDER, typed);
                self.modals.push(Modal::Input(Input { kind, textarea }));
                return Update::changed();
            }
        };
        let (id, command, check) = match kind {
            InputKind::Reassign { incident_id } => {
                let reassign = IncidentAction::Reassign { to: to.clone() };
                let check = self.incidents.row(&incident_id).map(|r| r.incident().check(&reassign));
                (incident_id, Command::Incident(reassign), check)
            }
            InputKind::Assign { key } => {
                let assign = TicketAction::Assign { to: to.clone() };
                let check = self.tickets.row(&key).map(|r| r.ticket().check(&assign, self.me_name()));
                (key, Command::Ticket(assign), check)
            }
            InputKind::Filter | InputKind::Note { .. } | InputKind::ImportPath | InputKind::OpenTicket { .. } => {
                return Update::unchanged();
            }
        };
        if let Some(Err(rejection)) = check {
            self.flash(Level::Warning, rejection.describe(&id, now), now);
            return Update::changed();
        }
        let update = self.enqueue(&id, command, now);
        if let Some(outside) = outside
            && let Some(flash) = &self.flash
        {
            let text = format!("{}; {outside} looks `{to}` up among its users", flash.text);
            self.flash(Level::Info, text, now);
        } else if !checked && let Some(flash) = &self.flash {
            let text = format!("{}; `{to}` could not be checked: the list of users is not known", flash.text);
            self.flash(Level::Warning, text, now);
        }
        update
    }

    /// The outside system that looks a name up itself, for the incident the prompt `kind`
    /// reassigns: PagerDuty finds the user among its own (the server refuses a name it cannot
    /// find), so opsdeck's user list does not decide there.
    fn outside_directory(&self, kind: &InputKind) -> Option<&'static str> {
        let InputKind::Reassign { incident_id } = kind else { return None };
        let row = self.incidents.row(incident_id)?;
        let incident = row.incident();
        let source = incident.source.as_deref()?;
        self.sync.sources.iter().any(|s| s.name == source && s.kind == "pagerduty").then_some("PagerDuty")
    }

    /// Why `name` is refused, with known names that start like it.
    fn unknown_user(&self, name: &str) -> String {
        let names = self.assignable().unwrap_or_default();
        let first: String = name.chars().take(1).collect();
        let (_, like) = complete(&first, &names);
        let like = match like.as_slice() {
            [] => String::new(),
            some => format!(" (known: {})", some.iter().take(4).copied().collect::<Vec<_>>().join(", ")),
        };
        format!("no user `{name}` is known to the backend{like}; Tab completes a known name")
    }
}

#[cfg(test)]
mod tests {
    use super::complete;

    #[test]
    fn tab_completes_the_one_match_or_what_all_matches_share() {
        let names = ["dana", "dario", "erin", "Lee"];
        assert_eq!(complete("e", &names), (Some("erin".into()), vec!["erin"]));
        assert_eq!(complete("d", &names), (Some("da".into()), vec!["dana", "dario"]));
        assert_eq!(complete("da", &names), (None, vec!["dana", "dario"]), "nothing more to add");
        assert_eq!(complete("l", &names), (Some("Lee".into()), vec!["Lee"]), "ignoring case");
        assert_eq!(complete("x", &names), (None, vec![]));
        assert_eq!(complete("erin", &names), (None, vec!["erin"]), "already complete");
        assert_eq!(complete("", &names).1.len(), 4);
    }
}
