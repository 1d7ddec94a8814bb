//! Everything a user can ask for, with the sentence the help screen shows for it.
//!
//! Actions are plain data: the keymap turns keys into actions and `update` turns actions into
//! state changes and effects. Names are the `snake_case` forms used in `[keys]` of the config.

use serde::{Deserialize, Serialize};
use strum::{EnumIter, EnumString, IntoStaticStr};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumIter,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Refresh,
    ShowOutbox,
    NextTab,
    PrevTab,
    TabIncidents,
    TabTickets,
    TabSla,
    TabDrift,
    TabCalendar,
    TabPostmortems,
    Postmortem,
    StarEvent,
    CycleStatusFilter,
    AdvanceStatus,
    ExportMarkdown,
    SavePostmortem,
    ExternalEditor,
    Find,
    CloseEditor,
    TakeTheirs,
    KeepMine,
    SaveMineOnTop,
    LoadFromDisk,
    PrevMonth,
    NextMonth,
    Today,
    NewWindow,
    EditWindow,
    CancelWindow,
    ImportCalendar,
    NextField,
    PrevField,
    ClearField,
    NextModel,
    PrevModel,
    NextFeature,
    PrevFeature,
    NextStatistic,
    NextView,
    EarlierWindow,
    LaterWindow,
    NewestWindow,
    ZoomIn,
    ZoomOut,
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    First,
    Last,
    Open,
    Back,
    Filter,
    Acknowledge,
    Escalate,
    Resolve,
    AddNote,
    Take,
    Assign,
    OpenLinkedIncident,
    OpenLinkedTicket,
    Complete,
    FirstResponse,
    TogglePending,
    Confirm,
    Cancel,
    Submit,
    CancelInput,
    ClearInput,
    MessageLog,
    OpenRestored,
    DismissRestored,
    DropEntry,
    RetryEntry,
}

impl Action {
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "Quit opsdeck (queued actions are kept)",
            Action::Help => "Show or hide this help",
            Action::Refresh => "Sync with the backend now",
            Action::ShowOutbox => "Show queued and rejected actions",
            Action::NextTab => "Next tab",
            Action::PrevTab => "Previous tab",
            Action::TabIncidents => "Go to the Incidents tab",
            Action::TabTickets => "Go to the Tickets tab",
            Action::TabSla => "Go to the SLA tab",
            Action::TabDrift => "Go to the Drift tab",
            Action::TabCalendar => "Go to the maintenance Calendar tab",
            Action::TabPostmortems => "Go to the Postmortems tab",
            Action::Postmortem => "Draft the incident's postmortem from the template, or open it",
            Action::StarEvent => "Star the timeline event at the top of the view (key moments lead the postmortem)",
            Action::CycleStatusFilter => "Show all, drafts, in review or published postmortems",
            Action::AdvanceStatus => "Move the postmortem on: draft → in review → published (commanders publish)",
            Action::ExportMarkdown => {
                "Export the postmortem as Markdown to the drafts folder (edits there are offered back)"
            }
            Action::SavePostmortem => {
                "Save the postmortem (queued, sent once; offline saves go when the backend is back)"
            }
            Action::ExternalEditor => "Edit the draft in $EDITOR (the console comes back when it exits)",
            Action::Find => "Find in the body (Enter: next match, Esc: done)",
            Action::CloseEditor => "Close the editor (the draft stays journaled until saved)",
            Action::TakeTheirs => "Take their version (yours stays in the journal and the outbox panel)",
            Action::KeepMine => "Keep editing yours, now on top of theirs",
            Action::SaveMineOnTop => "Save yours as a new revision on top of theirs",
            Action::LoadFromDisk => "Load the draft that changed on disk",
            Action::PrevMonth => "Previous month",
            Action::NextMonth => "Next month",
            Action::Today => "Back to this month",
            Action::NewWindow => "Plan a new maintenance window (a form; commanders only)",
            Action::EditWindow => "Edit the selected maintenance window (all its occurrences)",
            Action::CancelWindow => "Cancel the selected maintenance window (asks to confirm)",
            Action::ImportCalendar => "Import windows from an .ics file (Google Calendar, Outlook)",
            Action::NextField => "Next field of the form",
            Action::PrevField => "Previous field of the form",
            Action::ClearField => "Clear the field to type a new value (ctrl-y puts the text back)",
            Action::NextModel => "Next model",
            Action::PrevModel => "Previous model",
            Action::NextFeature => "Next feature of the model",
            Action::PrevFeature => "Previous feature of the model",
            Action::NextStatistic => "Next statistic (PSI, p-value, JS distance, Wasserstein)",
            Action::NextView => "Next chart when only one fits (trend, distribution, quality)",
            Action::EarlierWindow => "Select the earlier window",
            Action::LaterWindow => "Select the later window",
            Action::NewestWindow => "Back to the newest window",
            Action::ZoomIn => "Zoom in (shorter time range)",
            Action::ZoomOut => "Zoom out (longer time range)",
            Action::MoveUp => "Move up",
            Action::MoveDown => "Move down",
            Action::PageUp => "Page up",
            Action::PageDown => "Page down",
            Action::First => "Go to the first row",
            Action::Last => "Go to the last row",
            Action::Open => "Open the selected item with its history (on SLA: in its own tab; Esc comes back)",
            Action::Back => "Go back, close, or clear the filter",
            Action::Filter => "Filter the list by any text shown",
            Action::Acknowledge => "Acknowledge the incident",
            Action::Escalate => "Escalate to the next tier (T1 → T2 → T3 → T4)",
            Action::Resolve => "Resolve (asks to confirm)",
            Action::AddNote => "Add a note to the incident's timeline",
            Action::Take => "Take the ticket (assign it to me)",
            Action::Assign => "Assign the ticket or reassign the incident (Tab completes known names)",
            Action::OpenLinkedIncident => "Open the incident the ticket is linked to (Esc comes back)",
            Action::OpenLinkedTicket => "Open a ticket linked to the incident (Esc comes back)",
            Action::Complete => "Complete the name or key typed so far",
            Action::FirstResponse => "Record the first response to the customer (stops the response clock)",
            Action::TogglePending => "Waiting on the customer: pause the clocks, or resume them",
            Action::Confirm => "Yes, do it",
            Action::Cancel => "No, leave it",
            Action::Submit => "Submit the input",
            Action::CancelInput => "Cancel the input (a note's text is kept as a draft)",
            Action::ClearInput => "Clear the line (Ctrl-u again in a note undoes nothing: Esc keeps the draft)",
            Action::MessageLog => "Show the last 50 messages, with their times",
            Action::OpenRestored => "Open the draft restored after a crash",
            Action::DismissRestored => "Not now: the restored draft stays journaled (tab 6 marks it ✎)",
            Action::DropEntry => "Drop the selected queued or rejected action (asks to confirm)",
            Action::RetryEntry => "Send the selected rejected action again, against what the server has now",
        }
    }

    /// Whether `[keys]` may bind Ctrl-c to this action: Ctrl-c quits outside prompts and cancels
    /// them, and nothing else may take it.
    pub fn may_take_ctrl_c(self) -> bool {
        matches!(
            self,
            Action::Quit | Action::Back | Action::CancelInput | Action::Cancel | Action::CloseEditor | Action::KeepMine
        )
    }

    /// Changes shared state on the backend: disabled in read-only mode and for viewers.
    pub fn is_dangerous(self) -> bool {
        matches!(
            self,
            Action::Acknowledge
                | Action::Escalate
                | Action::Resolve
                | Action::AddNote
                | Action::Take
                | Action::Assign
                | Action::FirstResponse
                | Action::TogglePending
                | Action::NewWindow
                | Action::EditWindow
                | Action::CancelWindow
                | Action::ImportCalendar
                | Action::Postmortem
                | Action::StarEvent
                | Action::AdvanceStatus
                | Action::SavePostmortem
                | Action::SaveMineOnTop
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use strum::IntoEnumIterator;

    #[test]
    fn names_round_trip_through_config_spelling() {
        for action in Action::iter() {
            assert_eq!(Action::from_str(action.name()).unwrap(), action);
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.name()));
        }
        assert_eq!(Action::from_str("add_note").unwrap(), Action::AddNote);
    }
}
