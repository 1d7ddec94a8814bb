use super::*;
use crate::console::keymap::Mode;
use crate::console::state::tests::{Role, state_with};
use crate::domain::postmortem::PostmortemDraft;
use crate::domain::{Command, IncidentAction};

fn overlay() -> Modal {
    Modal::Overlay(Overlay::Help { scroll: 0 })
}

fn input() -> Modal {
    Modal::Input(Input { kind: InputKind::Filter, textarea: TextArea::default() })
}

fn form() -> Modal {
    Modal::Form(MaintenanceForm::new("UTC"))
}

fn editor() -> Modal {
    let draft = PostmortemDraft { title: "t".into(), body: "b\n".into() };
    Modal::Editor(PostmortemEditor::new("PM-1", "INC-1", 1, &draft))
}

fn confirm() -> Modal {
    Modal::Confirm(Confirm {
        id: "INC-1".into(),
        title: "t".into(),
        command: Command::Incident(IncidentAction::Resolve),
    })
}

fn ranks(modals: &Modals) -> Vec<u8> {
    modals.iter().map(Modal::rank).collect()
}

/// Confirm over editor over form over input over overlay, whatever the order they opened in:
/// the answer the five separate fields and their if-chain gave.
#[test]
fn the_most_urgent_open_modal_is_on_top_in_any_opening_order() {
    let all = [overlay, input, form, editor, confirm];
    // Every order of every pair, and all five forwards and backwards.
    for (i, first) in all.iter().enumerate() {
        for (j, second) in all.iter().enumerate().filter(|(j, _)| *j != i) {
            let mut modals = Modals::default();
            modals.push(first());
            modals.push(second());
            assert_eq!(modals.top().map(Modal::rank), Some(i.max(j) as u8), "{i} then {j}");
            assert_eq!(ranks(&modals), [i.min(j) as u8, i.max(j) as u8], "drawn bottom to top");
        }
    }
    let mut forwards = Modals::default();
    all.iter().for_each(|m| forwards.push(m()));
    let mut backwards = Modals::default();
    all.iter().rev().for_each(|m| backwards.push(m()));
    assert_eq!(ranks(&forwards), [0, 1, 2, 3, 4]);
    assert_eq!(ranks(&backwards), [0, 1, 2, 3, 4]);
    // Closing the top hands the keyboard to the next one down.
    assert!(matches!(backwards.pop(), Some(Modal::Confirm(_))));
    assert!(matches!(backwards.top(), Some(Modal::Editor(_))));
    assert!(backwards.take_editor().is_some() && backwards.take_form().is_some());
    assert!(matches!(backwards.top(), Some(Modal::Input(_))));
}

#[test]
fn one_of_each_kind_opening_another_replaces_it() {
    let mut modals = Modals::default();
    modals.push(overlay());
    modals.push(confirm());
    modals.push(Modal::Overlay(Overlay::Outbox { selected: 2 }));
    assert_eq!(modals.overlay(), Some(Overlay::Outbox { selected: 2 }));
    assert_eq!(ranks(&modals), [0, 4], "the panel stays under the confirmation");
    let note = Input { kind: InputKind::Note { incident_id: "INC-1".into() }, textarea: TextArea::default() };
    modals.push(input());
    modals.push(Modal::Input(note));
    assert_eq!(modals.input().map(|i| &i.kind), Some(&InputKind::Note { incident_id: "INC-1".into() }));
    assert_eq!(ranks(&modals), [0, 1, 4]);
    assert!(modals.take_confirm().is_some() && modals.take_confirm().is_none());
    assert!(matches!(modals.top(), Some(Modal::Input(_))));
}

#[test]
fn a_panel_key_opens_its_panel_closes_it_or_swaps_another() {
    let mut modals = Modals::default();
    modals.toggle_overlay(Overlay::Help { scroll: 0 });
    if let Some(Overlay::Help { scroll }) = modals.overlay_mut() {
        *scroll = 7;
    }
    modals.toggle_overlay(Overlay::Messages { scroll: 0 });
    assert_eq!(modals.overlay(), Some(Overlay::Messages { scroll: 0 }));
    modals.toggle_overlay(Overlay::Messages { scroll: 0 });
    assert!(modals.is_empty());
}

/// The state asks the stack which layer has the keyboard.
#[test]
fn the_top_modal_decides_the_keymap_layer() {
    let mut state = state_with(Vec::new(), Vec::new(), Role::Commander);
    assert_eq!(state.layers().last(), Some(&Mode::Global), "no modal: the tab's view");
    state.modals.push(confirm());
    state.modals.push(overlay());
    state.modals.push(input());
    assert_eq!(state.layers(), [Mode::Confirm]);
    state.modals.take_confirm();
    assert_eq!(state.layers(), [Mode::Input]);
    state.modals.push(editor());
    state.modals.push(form());
    assert_eq!(state.layers(), [Mode::Editor]);
    state.modals.take_editor();
    assert_eq!(state.layers(), [Mode::Form]);
    state.modals.take_form();
    state.modals.take_input();
    assert_eq!(state.layers(), [Mode::Overlay]);
}
