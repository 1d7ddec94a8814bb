use super::*;
use crossterm::event::KeyEventKind;
use strum::IntoEnumIterator;

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

#[test]
fn every_action_has_a_key_and_a_description() {
    let keymap = Keymap::default();
    let bound: Vec<Action> = keymap.bound_actions().collect();
    for action in Action::iter() {
        assert!(bound.contains(&action), "{action:?} has no default key");
        assert!(!action.description().trim().is_empty(), "{action:?} has no description");
    }
}

#[test]
fn parses_and_displays_chords() {
    let cases = [
        ("a", "a"),
        ("A", "A"),
        ("alt-A", "Alt-A"),
        ("ctrl-R", "Ctrl-r"),
        ("ctrl-space", "Ctrl-Space"),
        ("shift-tab", "Shift-Tab"),
        ("shift-up", "Shift-↑"),
        ("ctrl-pagedown", "Ctrl-PgDn"),
        ("alt-9", "Alt-9"),
        ("alt-enter", "Alt-Enter"),
        ("Enter", "Enter"),
        ("pagedown", "PgDn"),
        ("alt-x", "Alt-x"),
        ("f5", "F5"),
        ("?", "?"),
        ("space", "Space"),
    ];
    for (input, shown) in cases {
        let chord: KeyChord = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(chord.to_string(), shown, "{input}");
    }
    for bad in ["", "ctrl-", "f13", "hyper-a", "notakey"] {
        assert!(bad.parse::<KeyChord>().is_err(), "{bad:?} should not parse");
    }
    assert_eq!("shift-tab".parse::<KeyChord>().unwrap(), "backtab".parse::<KeyChord>().unwrap());
}

#[test]
fn chords_a_terminal_cannot_send_are_refused_with_what_to_write() {
    for (bad, says) in [
        ("ctrl-shift-9", "cannot send shift with `9`"),
        ("ctrl-9", "cannot send ctrl with `9`"),
        ("ctrl-.", "cannot send ctrl with `.`"),
        ("shift-1", "write the character shift gives"),
        ("shift-a", "write A"),
        ("alt-shift-x", "write alt-X"),
        ("ctrl-shift-a", "ctrl-shift-a as ctrl-a; write ctrl-a"),
        ("ctrl-i", "write tab"),
        ("ctrl-m", "write enter"),
        ("ctrl-M", "write enter"),
        ("ctrl-I", "write tab"),
        ("shift-enter", "as enter; write enter"),
        ("ctrl-backspace", "write backspace"),
        ("shift-space", "write space"),
    ] {
        let err = bad.parse::<KeyChord>().expect_err(bad);
        assert!(matches!(err, KeyParseError::Unsendable { .. }), "{bad}: {err}");
        assert!(err.to_string().contains(says), "{bad}: {err}");
        assert!(err.to_string().starts_with(&format!("`{bad}`")), "{err}");
    }
}

#[test]
fn control_characters_are_no_key_and_are_shown_escaped() {
    for bad in ["\u{1}", "\t", "alt-\u{1b}", "\u{9b}", "\u{61c}", "ctrl-\u{200b}", "\u{2028}", "alt-\u{2029}"] {
        let err = bad.parse::<KeyChord>().expect_err(bad);
        assert!(err.to_string().contains("a control or invisible character is not a key"), "{bad:?}: {err}");
        assert!(!err.to_string().chars().any(char::is_control), "{err:?}");
    }
    let err = "\u{1b}]52;c;eA==\u{7}".parse::<KeyChord>().unwrap_err();
    assert_eq!(err.to_string().split('`').nth(1), Some("\\u{1b}]52;c;eA==\\u{7}"), "{err}");
}

#[test]
fn taking_quits_key_says_what_it_was_and_ctrl_c_still_quits() {
    let (keymap, warnings) =
        Keymap::with_overrides(&BTreeMap::from([(Action::Acknowledge, vec!["q".parse().unwrap()])]));
    let incidents = [Mode::Incidents, Mode::List, Mode::Global];
    assert_eq!(keymap.resolve(&incidents, &key(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Action::Acknowledge));
    assert_eq!(
        warnings,
        ["`q` was `quit` everywhere; it is now `acknowledge`; `quit` is still on Ctrl-c"],
        "{warnings:?}"
    );
    let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(keymap.resolve(&incidents, &ctrl_c), Some(Action::Quit));

    // Quit bound elsewhere keeps ctrl-c too; ctrl-c cannot be given away.
    let overrides = BTreeMap::from([
        (Action::Quit, vec!["x".parse().unwrap()]),
        (Action::Resolve, vec!["R".parse().unwrap(), "ctrl-c".parse().unwrap()]),
    ]);
    let (keymap, warnings) = Keymap::with_overrides(&overrides);
    assert_eq!(keymap.resolve(&incidents, &ctrl_c), Some(Action::Quit));
    assert_eq!(keymap.resolve(&incidents, &key(KeyCode::Char('x'), KeyModifiers::NONE)), Some(Action::Quit));
    assert!(warnings.iter().any(|w| w.contains("Ctrl-c stays with quitting")), "{warnings:?}");

    // An action left with no key says so.
    let (_, warnings) = Keymap::with_overrides(&BTreeMap::from([(Action::AddNote, vec!["p".parse().unwrap()])]));
    assert_eq!(
        warnings,
        ["`p` was `postmortem` on the Incidents tab; it is now `add_note`; `postmortem` is now unbound — bind \
             it elsewhere under [keys]"],
        "{warnings:?}"
    );
}

#[test]
fn shifted_letters_match_with_or_without_the_shift_flag() {
    let keymap = Keymap::default();
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Last)
    );
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('G'), KeyModifiers::NONE)),
        Some(Action::Last)
    );
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('g'), KeyModifiers::NONE)),
        Some(Action::First)
    );
}

#[test]
fn layers_fall_back_to_global_only_in_lists_and_detail_views() {
    let keymap = Keymap::default();
    let a = key(KeyCode::Char('a'), KeyModifiers::NONE);
    assert_eq!(keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &a), Some(Action::Acknowledge));
    assert_eq!(keymap.resolve(&[Mode::Incidents, Mode::Detail, Mode::Global], &a), Some(Action::Acknowledge));
    assert_eq!(keymap.resolve(&[Mode::Input], &a), None, "typing `a` in a note is just text");
    assert_eq!(keymap.resolve(&[Mode::Confirm], &a), None);
    let mut release = a;
    release.kind = KeyEventKind::Release;
    assert_eq!(keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &release), None);
}

#[test]
fn overrides_rebind_and_steal_keys_with_a_warning() {
    let mut overrides = BTreeMap::new();
    overrides.insert(Action::Acknowledge, vec!["Y".parse().unwrap()]);
    overrides.insert(Action::Escalate, vec!["a".parse().unwrap()]);
    let (keymap, warnings) = Keymap::with_overrides(&overrides);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('Y'), KeyModifiers::SHIFT)),
        Some(Action::Acknowledge)
    );
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('a'), KeyModifiers::NONE)),
        Some(Action::Escalate)
    );
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('e'), KeyModifiers::NONE)),
        None
    );

    let mut stealing = BTreeMap::new();
    stealing.insert(Action::Resolve, vec!["j".parse().unwrap()]);
    let (keymap, warnings) = Keymap::with_overrides(&stealing);
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Char('j'), KeyModifiers::NONE)),
        Some(Action::Resolve)
    );
    assert!(warnings.iter().any(|w| w.contains("move_down")), "{warnings:?}");
    assert_eq!(
        keymap.resolve(&[Mode::Incidents, Mode::List, Mode::Global], &key(KeyCode::Down, KeyModifiers::NONE)),
        Some(Action::MoveDown)
    );
}

#[test]
fn help_lists_every_bound_action() {
    let keymap = Keymap::default();
    let sections = keymap.help_sections();
    let listed: Vec<Action> = sections.iter().flat_map(|s| s.entries.iter().map(|e| e.action)).collect();
    for action in Action::iter() {
        assert!(listed.contains(&action), "{action:?} missing from help");
    }
    let global = &sections[0];
    assert_eq!(global.title, "Everywhere");
    assert!(global.entries.iter().any(|e| e.keys == "q Ctrl-c" && e.action == Action::Quit));
}
