//! The content-line reader: what real files do that the RFC's examples do not.

use super::super::read::{calendars, split_list, unescape};

#[test]
fn folds_line_ends_quotes_and_what_lies_outside_calendars() {
    let text = "\u{feff}Subject: maintenance\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Long \n\ttitle\r\n  folded\nDTSTART;TZID=\"GMT +0100 (Standard) / GMT +0200 (Daylight)\";X-A=b:20261205T020000\nEND:VEVENT\nEND:VCALENDAR\n\nBEGIN:VCALENDAR\nbegin:vevent\nsummary:second\nend:vevent\nEND:VCALENDAR\n-- \nsent from my phone: no colon here either\n";
    let all = calendars(text).unwrap();
    assert_eq!(all.len(), 2);
    let event = &all[0].children[0];
    assert_eq!(event.prop("SUMMARY").unwrap().value, "Long title folded");
    let start = event.prop("DTSTART").unwrap();
    assert_eq!(start.param("TZID"), Some("GMT +0100 (Standard) / GMT +0200 (Daylight)"));
    assert_eq!(start.value, "20261205T020000");
    assert_eq!(all[1].children[0].name, "VEVENT");
    assert_eq!(all[1].children[0].prop("SUMMARY").unwrap().value, "second");
}

#[test]
fn truly_broken_text_is_refused_with_the_line() {
    let cases = [
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nno colon\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "line 3: `no colon` is not a property",
        ),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", "line 3: END:VTODO closes BEGIN:VEVENT"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:cut", "ends inside VEVENT without its END (truncated?)"),
        ("hello", "it has no BEGIN:VCALENDAR"),
        (&"BEGIN:VCALENDAR\r\n".repeat(20), "nested deeper than 8"),
    ];
    for (text, expected) in cases {
        let error = calendars(text).unwrap_err();
        assert!(error.contains(expected), "{error} should contain {expected}");
    }
}

#[test]
fn text_escapes_and_lists() {
    assert_eq!(unescape(r"a\, b\; c\nd\\e\N"), "a, b; c\nd\\e\n");
    assert_eq!(split_list(r"llm-gateway, rag\,retrieval ,,x"), vec!["llm-gateway", "rag,retrieval", "x"]);
}
