use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::domain::postmortem::action_items;

fn editor(body: &str) -> PostmortemEditor {
    let draft = PostmortemDraft { title: "Postmortem: gateway 5xx (INC-1042)".into(), body: body.into() };
    PostmortemEditor::new("PM-1042", "INC-1042", 3, &draft)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
}

fn type_text(e: &mut PostmortemEditor, text: &str) {
    for c in text.chars() {
        e.input(if c == '\n' { key(KeyCode::Enter) } else { key(KeyCode::Char(c)) });
    }
}

#[test]
fn typing_marks_the_text_for_the_journal_and_moving_does_not() {
    let mut e = editor("# Summary\n\nIt broke.\n");
    assert!(!e.unjournaled);
    e.input(key(KeyCode::Down));
    e.input(ctrl('e'));
    assert!(!e.unjournaled, "moving the cursor is not an edit");
    type_text(&mut e, "Badly.");
    assert!(e.unjournaled);
    assert_eq!(e.draft().body, "# Summary\nBadly.\nIt broke.\n");
}

#[test]
fn undo_redo_word_movement_and_emacs_keys_come_from_the_textarea() {
    let mut e = editor("");
    type_text(&mut e, "retriever index was stale");
    e.input(alt('b'));
    e.input(ctrl('k'));
    assert_eq!(e.draft().body, "retriever index was \n");
    e.input(ctrl('u'));
    assert_eq!(e.draft().body, "retriever index was stale\n", "ctrl-u undoes");
    e.input(ctrl('r'));
    assert_eq!(e.draft().body, "retriever index was \n", "ctrl-r redoes");
    e.input(ctrl('a'));
    type_text(&mut e, "The ");
    assert_eq!(e.draft().body, "The retriever index was \n");
}

#[test]
fn search_finds_and_moves_to_the_next_match() {
    let mut e = editor("alpha\nbeta (x)\ngamma\nbeta (x) again\n");
    e.open_search();
    type_text(&mut e, "beta (x)");
    assert_eq!(e.body().cursor(), (1, 0), "regex characters are taken literally");
    e.input(key(KeyCode::Enter));
    assert_eq!(e.body().cursor(), (3, 0));
    assert!(e.close_search());
    assert!(!e.unjournaled, "searching is not editing");
}

#[test]
fn the_action_item_line_adds_to_the_list_and_says_what_is_wrong() {
    let mut e = editor("# Summary\n\n## Action items\n\n- [ ] Existing @lee\n\n## Lessons learned\n\nSome.\n");
    e.part = Part::ActionItem;
    type_text(&mut e, "Canary the index due:someday");
    e.input(key(KeyCode::Enter));
    assert!(e.item_error.as_deref().is_some_and(|m| m.contains("due:someday")), "{:?}", e.item_error);
    assert_eq!(action_items(&e.draft().body).len(), 1, "nothing added");
    for _ in 0.."due:someday".len() {
        e.input(key(KeyCode::Backspace));
    }
    type_text(&mut e, "@sam due:2026-12-01");
    e.input(key(KeyCode::Enter));
    assert!(e.item_error.is_none());
    let items = action_items(&e.draft().body);
    assert_eq!(items.len(), 2);
    assert_eq!((items[1].text.as_str(), items[1].owner.as_str()), ("Canary the index", "sam"));
    assert!(e.draft().body.contains("- [ ] Existing @lee\n- [ ] Canary the index @sam due:2026-12-01\n\n## Lessons"));
    assert!(e.item_line().lines().join("").is_empty());
}

#[test]
fn an_item_goes_into_a_new_section_when_there_is_none() {
    let item = ActionItem::parse("Add alerts @dana", false).unwrap();
    let body = insert_action_item("# Summary\n\nText.\n", &item);
    assert_eq!(body, "# Summary\n\nText.\n\n## Action items\n\n- [ ] Add alerts @dana\n");
    assert_eq!(action_items(&body), vec![item]);
}

#[test]
fn pasted_and_loaded_text_is_inert() {
    let mut e = editor("");
    e.paste("line one\x1b[2J\r\nline \x07two\n");
    assert_eq!(e.draft().body, "line one\nline two\n");
    e.replace(&PostmortemDraft { title: "T\x1b]0;pwned\x07".into(), body: "a\x1b[31m\nb\n".into() });
    let draft = e.draft();
    assert!(!draft.title.contains('\x1b') && !draft.body.contains('\x1b'), "{draft:?}");
    assert!(e.unjournaled);
}

#[test]
fn tab_order_and_enter_on_the_title() {
    let mut e = editor("");
    assert_eq!(e.part, Part::Body);
    e.next_part();
    assert_eq!(e.part, Part::ActionItem);
    e.next_part();
    assert_eq!(e.part, Part::Title);
    e.input(key(KeyCode::End));
    type_text(&mut e, " v2");
    e.input(key(KeyCode::Enter));
    assert_eq!(e.part, Part::Body, "Enter on the title goes to the body, adding no line");
    assert_eq!(e.draft().title, "Postmortem: gateway 5xx (INC-1042) v2");
    e.prev_part();
    assert_eq!(e.part, Part::Title);
}

#[test]
fn the_servers_title_and_body_reach_the_editor_sanitised_with_their_lines() {
    let draft = PostmortemDraft {
        title: "Gateway\u{1b}]52;c;aGVsbG8=\u{7} outage\u{200b}".into(),
        body: "## Summary\n\u{1b}[2J\u{1b}[Hcleared\u{202e}\n\nend".into(),
    };
    let e = PostmortemEditor::new("PM-1", "INC-1", 1, &draft);
    assert_eq!(e.title().lines(), ["Gateway outage"]);
    assert_eq!(e.body().lines(), ["## Summary", "cleared", "", "end"]);
}

#[test]
fn a_paste_with_lone_carriage_returns_keeps_its_lines() {
    // Terminals send a pasted line break as CR.
    let mut e = editor("");
    assert!(e.paste("first\rsecond\r\nthird"));
    assert_eq!(e.body().lines(), ["first", "second", "third"]);
}
