//! What every fuzz target asserts on one input, shared by the fuzz targets (`fuzz/fuzz_targets/`,
//! which include this file) and by `tests/fuzz_corpus.rs`, which replays the kept corpus through
//! the same checks on stable Rust.
//!
//! Each check calls the library's own entry point for one decoder of outside input and asserts
//! what must hold whatever the bytes: no panic (a panic is the crash the fuzzer reports), and a
//! property of the result that a user relies on. No decoding logic lives here.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use opsdeck::api::{Change, DecodedPage};
use opsdeck::backend::http::{read_answer, read_applied};
use opsdeck::cli::drift::{BinningArg, CompareArgs, compare_contents};
use opsdeck::config::{Config, MIN_POLL};
use opsdeck::console::keymap::KeyChord;
use opsdeck::domain::incident::Priority;
use opsdeck::domain::maintenance::validate;
use opsdeck::domain::maintenance_ics::{
    IcsEvent, ImportDefaults, create_key, plan_import, read_ics, same_window, to_ics,
};
use opsdeck::domain::text::{sanitize, truncate};
use opsdeck::domain::{Entity, EntityKind, MaintenanceWindow};
use opsdeck::server::auth::{MIN_TOKEN_LEN, Users};
use opsdeck::sla::policy::SlaPolicy;

/// The fuzz targets, each the name of its folder under `fuzz/corpus/` and of its check below.
pub const TARGETS: &[&str] = &[
    "changes_feed",
    "ics_import",
    "ics_export",
    "config_file",
    "sla_policy",
    "tokens_file",
    "drift_compare",
    "key_chord",
    "sanitize",
];

/// A fixed instant: checks are deterministic, whatever day they run.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 12, 30, 0).unwrap()
}

/// What the sanitiser must never let through: C0 controls (newline and tab included, since its
/// output is one line), DEL, C1 controls (ESC among the C0), bidirectional controls, zero-width and
/// other invisible format characters, Unicode tag characters, and the line and paragraph
/// separators.
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidirectional controls: ALM, LRM, RLM, embeddings and overrides, isolates.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Zero-width: spaces and joiners, word joiner and invisible operators, the deprecated
        // format characters, the Mongolian vowel separator, the byte-order mark.
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{206a}'..='\u{206f}' | '\u{180e}' | '\u{feff}'
        | '\u{e0000}'..='\u{e007f}'
        | '\u{2028}' | '\u{2029}')
}

/// `domain::text::sanitize`: its output never holds a forbidden character, sanitising it again
/// changes nothing, and `truncate` keeps to its length.
pub fn check_sanitize(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let clean = sanitize(&text);
    if let Some(bad) = clean.chars().find(|c| is_forbidden(*c)) {
        panic!("sanitize let U+{:04X} through: {clean:?} from {text:?}", bad as u32);
    }
    assert_eq!(sanitize(&clean), clean, "sanitising twice changed {text:?}");
    let max = data.first().map_or(0, |b| usize::from(*b % 64));
    assert!(truncate(&clean, max).chars().count() <= max, "truncate went past {max}");
}

/// `KeyChord` from the config's spelling: a chord that parses is one a terminal sends, shown
/// without control characters, and reads back as itself where its name is a spelling.
pub fn check_key_chord(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(chord) = text.parse::<KeyChord>() else { return };
    if let crossterm::event::KeyCode::Char(c) = chord.code {
        assert!(!c.is_control(), "{text:?} parsed as the control character {c:?}, which no key sends");
    }
    let shown = chord.to_string();
    assert!(!shown.chars().any(is_forbidden), "{text:?} is shown as {shown:?}");
    // The help writes arrows and `Ins`, which are not spellings of the config.
    if !shown.contains(['↑', '↓', '←', '→']) && !shown.ends_with("Ins") {
        assert_eq!(
            shown.parse::<KeyChord>().ok(),
            Some(chord),
            "{text:?} is shown as {shown:?}, which reads back otherwise"
        );
    }
}

/// The body of an answer the console reads, and how: the first byte picks the status and what the
/// client expects (a changes page, one of the four entities, or an error status for one of them).
pub fn check_changes_feed(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else { return };
    let kinds = [EntityKind::Incident, EntityKind::Ticket, EntityKind::Maintenance, EntityKind::Postmortem];
    let kind = kinds[usize::from(selector >> 6)];
    match selector % 8 {
        0..=3 => {
            let Ok(decoded) = read_answer::<DecodedPage>(200, body, kind) else { return };
            for change in &decoded.page.changes {
                // What the console decoded, the server's own types write and read back.
                let json = serde_json::to_vec(change).expect("a decoded change serialises");
                serde_json::from_slice::<Change>(&json).expect("a serialised change reads back");
                if let Change::Maintenance(window) = change {
                    agenda(window);
                }
            }
            // What was skipped is logged and shown: nothing of it may reach a terminal raw.
            for shown in decoded.skipped.iter().map(|s| s.describe()).chain(decoded.unknown_kinds.iter().cloned()) {
                if let Some(bad) = shown.chars().find(|c| is_forbidden(*c)) {
                    panic!("a skipped record is described with U+{:04X}: {shown:?}", bad as u32);
                }
            }
        }
        4 => {
            if let Ok(Entity::Maintenance(window)) = read_applied(200, body, kind) {
                agenda(&window);
            }
        }
        n => {
            let status = [409, 401, 403, 404, 422, 429, 500, 503][usize::from(selector >> 3 & 7)];
            let status = if n == 7 { u16::from(selector) * 3 } else { status };
            if let Err(e) = read_applied(status, body, kind) {
                let _ = e.to_string();
            }
        }
    }
}

/// What the Calendar tab does with a window: its occurrences over the month from now and the
/// month from its start, each ending after it starts.
fn agenda(window: &MaintenanceWindow) {
    for from in [now(), window.start] {
        let Some(to) = from.checked_add_signed(Duration::days(31)) else { continue };
        for o in window.occurrences(from, to) {
            assert!(o.end > o.start, "an occurrence of {} ends before it starts", window.id);
        }
        let _ = window.active_at(from);
    }
}

/// `maintenance_ics::read_ics` and `plan_import`, as `calendar import` and the Calendar tab's `i`
/// use them: every event read is a valid window with an idempotency key, its agenda can be drawn,
/// and importing the file again over the windows it made changes nothing.
pub fn check_ics_import(data: &[u8]) {
    let _ = imported(data);
}

/// `ics_export`: what [`check_ics_import`] read, exported with `to_ics`, reads back as the same
/// windows (a separate target: the export's VTIMEZONE scan costs more than the reading).
pub fn check_ics_export(data: &[u8]) {
    let Some((events, windows)) = imported(data) else { return };
    // A file of cancelled events only imports nothing, and has nothing to export.
    if windows.is_empty() {
        return;
    }
    let defaults = import_defaults();
    let exported = to_ics(&windows);
    let read_back =
        read_ics(&exported, &defaults).unwrap_or_else(|e| panic!("the export does not import ({e}):\n{exported}"));
    assert_eq!(read_back.events.len(), events.len(), "the export holds another number of events:\n{exported}");
    for event in &events {
        assert!(
            read_back.events.iter().any(|b| same_window(&event.window, &b.window)),
            "the export changed a window: {:?}\n{exported}",
            event.window
        );
    }
}

fn import_defaults() -> ImportDefaults {
    ImportDefaults { services: vec!["llm-gateway".into()] }
}

/// The events a file holds and the windows importing them makes, checked as [`check_ics_import`]
/// says; `None` when the file is refused as a whole.
fn imported(data: &[u8]) -> Option<(Vec<IcsEvent>, Vec<MaintenanceWindow>)> {
    let text = std::str::from_utf8(data).ok()?;
    let file = read_ics(text, &import_defaults()).ok()?;
    let windows: Vec<MaintenanceWindow> = file
        .events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            validate(&event.window).unwrap_or_else(|e| panic!("imported an invalid window ({e}): {event:?}"));
            assert!(!create_key(event).is_empty());
            MaintenanceWindow::create(format!("MW-{i}"), event.window.clone(), "fuzz", now())
        })
        .collect();
    for window in &windows {
        agenda(window);
    }
    let events = file.events.clone();
    let again = plan_import(file, &[], &windows);
    assert!(
        again.create.is_empty() && again.update.is_empty(),
        "importing the file again over its own windows changes them: {again:?}"
    );
    Some((events, windows))
}

/// A folder with what a fuzzed config may name beside it: `sla.toml` (the built-in policy) and
/// `template.md`.
pub fn config_dir(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("sla.toml"), include_str!("../../assets/sla-policy.toml")).unwrap();
    std::fs::write(dir.join("template.md"), include_str!("../../assets/postmortem-template.md")).unwrap();
    dir.join("config.toml")
}

/// `Config::parse`: a config is accepted with its rules kept, or refused naming its file. The
/// files a config names are read from beside it only: a fuzzed path elsewhere (a device, a FIFO)
/// would test the machine, not the parser.
pub fn check_config_file(data: &[u8], config_path: &Path) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if names_a_file_elsewhere(text) {
        return;
    }
    match Config::parse(text, config_path) {
        Ok(config) => {
            assert!(config.poll_interval >= MIN_POLL, "poll_interval {:?} accepted", config.poll_interval);
            if let Some(url) = &config.backend {
                assert!(url.starts_with("http://") || url.starts_with("https://"), "backend {url:?} accepted");
            }
        }
        Err(e) => {
            let dir = config_path.parent().unwrap().display().to_string();
            assert!(e.to_string().starts_with(&dir), "the error does not name the file: {e}");
        }
    }
}

/// Whether a config's `sla_policy` or `postmortem_template` names a file outside its folder.
fn names_a_file_elsewhere(text: &str) -> bool {
    if !["sla_policy", "postmortem_template", "\\u", "\\U"].iter().any(|s| text.contains(s)) {
        return false;
    }
    let Ok(table) = text.parse::<toml::Table>() else { return false };
    ["sla_policy", "postmortem_template"]
        .iter()
        .any(|key| table.get(*key).and_then(|v| v.as_str()).is_some_and(|v| v.contains('/') || v.starts_with('~')))
}

/// `SlaPolicy::parse`: a policy that parses gives a due time or none (a calendar that is never
/// open), never a panic or an endless walk, and the open time until it is the target. One of the
/// eight clocks per input, picked by its length, keeps each run short.
pub fn check_sla_policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = SlaPolicy::parse(text) else { return };
    let p = [Priority::P1, Priority::P2, Priority::P3, Priority::P4][data.len() % 4];
    let targets = policy.targets(p);
    let target = if data.len() % 8 < 4 { &targets.response } else { &targets.resolution };
    let calendar = policy.calendar_for(target);
    if let Some(due) = calendar.add_open_time(now(), target.duration) {
        assert!(due >= now(), "{p:?} is due before it starts");
        let open = calendar.open_between(now(), due);
        assert_eq!(open, target.duration.max(Duration::zero()), "{p:?}: open time until due is not the target");
    }
    let _ = policy.bands().warning_threshold(Duration::hours(4));
}

/// `Users::parse` (the server's tokens file): a refusal never shows a token. A token the message
/// seems to hold is written over with a marker where it is a `token` value (found by its span in
/// the file), and the file parsed again: the message may hold the token's text by chance (a token
/// ` column 1: missing field`, or one that is also part of a key), but never the marker.
pub fn check_tokens_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let message = match Users::parse(text) {
        Ok(users) => return assert!(users.directory().iter().all(|u| !u.name.trim().is_empty())),
        Err(message) => message,
    };
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        users: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        name: Option<String>,
        token: Option<toml::Spanned<String>>,
    }
    let Ok(file) = toml::from_str::<File>(text) else { return };
    let names: Vec<&str> = file.users.iter().filter_map(|e| e.name.as_deref()).collect();
    for token in file.users.iter().filter_map(|e| e.token.as_ref()).map(|t| t.get_ref()) {
        // A token that is also (part of) a name is shown as the name, which it is.
        if token.len() < MIN_TOKEN_LEN || names.iter().any(|n| n.contains(token.as_str())) || !message.contains(token) {
            continue;
        }
        let Some(mark) = ['Z', 'Q', 'X', 'J', 'K'].into_iter().find(|c| !text.contains(*c)) else { continue };
        let marker = mark.to_string().repeat(token.chars().count());
        let mut written_over = text.to_string();
        let mut spans: Vec<_> = file
            .users
            .iter()
            .filter_map(|e| e.token.as_ref())
            .filter(|t| t.get_ref() == token)
            .map(|t| t.span())
            .collect();
        spans.sort_by_key(|span| std::cmp::Reverse(span.start));
        for span in spans {
            written_over.replace_range(span, &format!("\"{marker}\""));
        }
        let Err(again) = Users::parse(&written_over) else { continue };
        assert!(!again.contains(&marker), "the refusal shows a token: {again}");
    }
}

/// `drift compare` on two files' contents (split at the first NUL; the first two bytes choose
/// the options): a report's statistics are finite and within their ranges.
pub fn check_drift_compare(data: &[u8]) {
    let [flags, bins, rest @ ..] = data else { return };
    let (reference, current) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, rest),
    };
    let args = CompareArgs {
        reference: "reference.txt".into(),
        current: "current.txt".into(),
        categorical: flags & 1 != 0,
        bins: usize::from(*bins) * 4 + usize::from(flags >> 6),
        binning: if flags & 2 != 0 { BinningArg::Quantile } else { BinningArg::EqualWidth },
        json: true,
    };
    let report = match compare_contents(&args, reference, current) {
        Ok(report) => report,
        Err(message) => {
            assert!(!message.chars().any(is_forbidden), "the message is not one clean line: {message:?}");
            return;
        }
    };
    let value: serde_json::Value = serde_json::from_str(&report).expect("the JSON report parses");
    let number = |path: &str| -> f64 {
        let v = value.pointer(path).unwrap_or_else(|| panic!("{path} missing from {report}"));
        v.as_f64().unwrap_or_else(|| panic!("{path} is not a number in {report}"))
    };
    let (unit, positive): (&[&str], &[&str]) = if args.categorical {
        (&["/chi2/pvalue", "/js_distance"], &["/chi2/statistic", "/psi"])
    } else {
        (&["/ks/statistic", "/ks/pvalue", "/js_distance"], &["/psi", "/wasserstein"])
    };
    for path in unit {
        let v = number(path);
        assert!((0.0..=1.0).contains(&v), "{path} = {v} outside [0, 1] in {report}");
    }
    for path in positive {
        let v = number(path);
        assert!(v.is_finite() && v >= 0.0, "{path} = {v} in {report}");
    }
}

/// Runs the check of `target` on one input.
pub fn check(target: &str, data: &[u8], config_path: &Path) {
    match target {
        "changes_feed" => check_changes_feed(data),
        "ics_import" => check_ics_import(data),
        "ics_export" => check_ics_export(data),
        "config_file" => check_config_file(data, config_path),
        "sla_policy" => check_sla_policy(data),
        "tokens_file" => check_tokens_file(data),
        "drift_compare" => check_drift_compare(data),
        "key_chord" => check_key_chord(data),
        "sanitize" => check_sanitize(data),
        other => panic!("no fuzz target {other}"),
    }
}
