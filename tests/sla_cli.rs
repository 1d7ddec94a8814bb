//! `opsdeck sla due` as users run it: the real binary, its output, and exit status 2 with a
//! one-line message for every mistake.

use std::process::{Command, Output};

/// `opsdeck sla due ARGS` with no config file where the console looks for one.
fn sla_due(args: &[&str]) -> Output {
    sla_due_in(args, std::path::Path::new("/nonexistent/opsdeck-test-config"))
}

/// `opsdeck sla due ARGS` with `config_home` as `$XDG_CONFIG_HOME`.
fn sla_due_in(args: &[&str], config_home: &std::path::Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command.arg("sla").arg("due").args(args).env("XDG_CONFIG_HOME", config_home);
    command.output().expect("runs opsdeck")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn prints_the_due_instant() {
    // Thursday 2026-11-05 07:00 EST: the clock starts at 09:00 and runs 1m.
    let out = sla_due(&["--calendar", "business", "--start", "2026-11-05T12:00:00Z", "--target", "1m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "2026-11-05T14:01:00Z\n");

    // 24h of business time from Monday 09:00 EST; Wednesday 2026-11-11 is a holiday in the default policy.
    let out = sla_due(&["--calendar", "business", "--start", "2026-11-09T09:00:00-05:00", "--target", "24h"]);
    assert_eq!(stdout(&out), "2026-11-12T22:00:00Z\n", "{}", stderr(&out));

    let out = sla_due(&["--calendar", "24x7", "--start", "2026-03-08T06:30:00Z", "--target", "1h30m"]);
    assert_eq!(stdout(&out), "2026-03-08T08:00:00Z\n", "{}", stderr(&out));
}

#[test]
fn json_has_local_time_and_intervals() {
    let out = sla_due(&["--calendar", "business", "--start", "2026-11-05T21:30:00Z", "--target", "90m", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(
        json,
        serde_json::json!({
            "due": "2026-11-06T15:00:00Z",
            "due_local": "2026-11-06T10:00:00-05:00",
            "timezone": "America/New_York",
            "calendar": "business",
            "target": "1h30m",
            "intervals": [
                {"start": "2026-11-05T21:30:00Z", "end": "2026-11-05T22:00:00Z"},
                {"start": "2026-11-06T14:00:00Z", "end": "2026-11-06T15:00:00Z"},
            ],
        })
    );
    // Fields in the documented order.
    assert!(stdout(&out).starts_with("{\"due\":\"2026-11-06T15:00:00Z\",\"due_local\":"), "{}", stdout(&out));

    let out = sla_due(&["--calendar", "24x7", "--start", "2026-11-05T21:30:00Z", "--target", "90m", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(json["timezone"], "UTC");
    assert_eq!(json["due"], "2026-11-05T23:00:00Z");
    assert_eq!(
        json["intervals"],
        serde_json::json!([{"start": "2026-11-05T21:30:00Z", "end": "2026-11-05T23:00:00Z"}])
    );
}

#[test]
fn a_policy_file_is_used_and_its_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    let mut text = String::from(
        "[calendars.berlin]\ntimezone = \"Europe/Berlin\"\nhours = { mon = [\"08:00-12:00\", \"13:00-16:00\"] }\n",
    );
    for p in ["P1", "P2", "P3", "P4"] {
        text.push_str(&format!("[priorities.{p}]\ncalendar = \"berlin\"\nresponse = \"1h\"\nresolution = \"7h\"\n"));
    }
    std::fs::write(&good, &text).unwrap();
    let policy = good.to_str().unwrap();
    // Monday 2026-11-09, CET: 7h of Monday hours end at 16:00 local.
    let out =
        sla_due(&["--policy", policy, "--calendar", "berlin", "--start", "2026-11-09T00:00:00Z", "--target", "7h"]);
    assert_eq!(stdout(&out), "2026-11-09T15:00:00Z\n", "{}", stderr(&out));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, text.replace("\"berlin\"\nresponse = \"1h\"", "\"berln\"\nresponse = \"1h\"")).unwrap();
    let out = sla_due(&[
        "--policy",
        bad.to_str().unwrap(),
        "--calendar",
        "berlin",
        "--start",
        "2026-11-09T00:00:00Z",
        "--target",
        "1h",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("line 5, `priorities.P1.calendar`: unknown calendar `berln` (known: berlin)"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(stdout(&out).is_empty());

    let out = sla_due(&[
        "--policy",
        "/nonexistent/policy.toml",
        "--calendar",
        "x",
        "--start",
        "2026-11-09T00:00:00Z",
        "--target",
        "1h",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read /nonexistent/policy.toml"), "{}", stderr(&out));
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let cases = [
        (
            ["--calendar", "business", "--start", "2026-11-05T12:00:00Z", "--target", "15x"],
            "--target: `15x` is not a duration",
        ),
        (["--calendar", "business", "--start", "2026-11-05T12:00:00Z", "--target", "-5m"], "not a duration"),
        (["--calendar", "business", "--start", "2026-11-05T12:00:00Z", "--target", "9999d"], "maximum"),
        (
            ["--calendar", "business", "--start", "yesterday", "--target", "1h"],
            "--start: `yesterday` is not an RFC 3339",
        ),
        (["--calendar", "business", "--start", "2026-11-05 12:00", "--target", "1h"], "RFC 3339"),
        (
            ["--calendar", "biz", "--start", "2026-11-05T12:00:00Z", "--target", "1h"],
            "unknown calendar `biz` (known: 24x7, business)",
        ),
    ];
    for (args, needle) in cases {
        let out = sla_due(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("opsdeck sla due: ") && err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A missing argument is clap's usage error, also status 2.
    let out = sla_due(&["--calendar", "business"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Without `--policy`, the policy is the console's: the config file's `sla_policy` (`--config`,
/// else where the console looks), and `--policy` still wins.
#[test]
fn the_console_configs_sla_policy_applies_without_policy() {
    let dir = tempfile::tempdir().unwrap();
    let policy = include_str!("../assets/sla-policy.toml").replace("[calendars.business]", "[calendars.night-desk]");
    let policy = policy.replace("calendar = \"business\"", "calendar = \"night-desk\"");
    std::fs::write(dir.path().join("night.toml"), policy).unwrap();
    std::fs::create_dir_all(dir.path().join("opsdeck")).unwrap();
    let config = dir.path().join("opsdeck/config.toml");
    std::fs::write(&config, "sla_policy = \"../night.toml\"\n").unwrap();
    let args = ["--calendar", "night-desk", "--start", "2026-11-05T12:00:00Z", "--target", "1m"];

    let out = sla_due_in(&args, dir.path());
    assert_eq!(stdout(&out), "2026-11-05T14:01:00Z\n", "the default config's policy: {}", stderr(&out));
    let mut named = vec!["--config", config.to_str().unwrap()];
    named.extend(args);
    let out = sla_due(&named);
    assert_eq!(stdout(&out), "2026-11-05T14:01:00Z\n", "--config names it: {}", stderr(&out));

    // --policy wins over the config: the built-in file has no `night-desk`.
    let builtin = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sla-policy.toml");
    let mut overridden = vec!["--policy", builtin];
    overridden.extend(args);
    let out = sla_due_in(&overridden, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown calendar `night-desk` (known: 24x7, business)"), "{}", stderr(&out));
}
