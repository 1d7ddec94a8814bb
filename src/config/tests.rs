use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("config.toml"))
}

#[test]
fn the_example_config_parses() {
    let text = include_str!("../../assets/config.example.toml");
    let config = parse(text).unwrap();
    assert_eq!(config.poll_interval, Duration::from_secs(2));
    assert!(config.bell_on_new_p1);
    assert!(config.stream, "the change stream is on unless turned off");
    assert!(config.keys.is_empty() && config.colors.is_empty(), "the example only shows overrides in comments");
}

#[test]
fn a_full_config_parses() {
    let config = parse(
        r##"
        backend = "https://ops.example.com/"
        token_file = "/run/secrets/opsdeck"
        poll_interval = "5s"
        bell_on_new_p1 = false
        timezone = "Europe/Berlin"
        read_only = true
        stream = false
        [keys]
        acknowledge = "A"
        escalate = ["E", "ctrl-e"]
        [colors]
        p1 = "#ff5f5f"
        accent = "cyan"
        "##,
    )
    .unwrap();
    assert_eq!(config.backend.as_deref(), Some("https://ops.example.com"));
    assert_eq!(config.poll_interval, Duration::from_secs(5));
    assert!(!config.bell_on_new_p1);
    assert_eq!(config.timezone, Some(chrono_tz::Europe::Berlin));
    assert!(config.read_only);
    assert!(!config.stream);
    assert_eq!(config.keys[&Action::Escalate].len(), 2);
    assert_eq!(config.colors["p1"], Color::Rgb(0xff, 0x5f, 0x5f));
}

#[test]
fn mistakes_name_the_line_and_the_key() {
    let cases = [
        ("poll_interval = \"2x\"", 1, Some("poll_interval"), "not a duration"),
        ("\n\ntimezone = \"Mars/Olympus\"", 3, Some("timezone"), "IANA"),
        ("[keys]\nfrobnicate = \"f\"", 2, Some("keys.frobnicate"), "not an action"),
        ("[keys]\nacknowledge = \"hyper-a\"", 2, Some("keys.acknowledge"), "not a key"),
        ("[keys]\nquit = \"ctrl-shift-9\"", 2, Some("keys.quit"), "`ctrl-shift-9`: terminals cannot send"),
        ("[keys]\nresolve = [\"R\", \"ctrl-c\"]", 2, Some("keys.resolve"), "Ctrl-c is kept for quitting"),
        ("[colors]\np1 = \"blurple\"", 2, Some("colors.p1"), "not a colour"),
        ("[colors]\nbackground = \"red\"", 2, Some("colors.background"), "unknown colour"),
        ("backend = \"ftp://x\"", 1, Some("backend"), "not an http"),
        ("poll_interval = \"10ms\"", 1, Some("poll_interval"), "at least"),
        ("poll_interval = \"10x\"", 1, Some("poll_interval"), "not a duration"),
        ("poll_interval = \"0s\"", 1, Some("poll_interval"), "at least"),
        ("\nglyphs = \"emoji\"", 2, Some("glyphs"), "not one of auto, ascii, unicode"),
        ("colour = 1", 1, None, "unknown field"),
        ("backend = ", 1, None, ""),
    ];
    for (text, line, key, needle) in cases {
        let err = parse(text).expect_err(text);
        assert_eq!(err.line, Some(line), "{text}: {err}");
        assert_eq!(err.key.as_deref(), key, "{text}: {err}");
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
}

#[test]
fn drift_bands_are_configurable_and_nonsense_is_refused_with_its_line() {
    let path = Path::new("/x/config.toml");
    let config = Config::parse("[drift]\npsi_moderate = 0.05\npvalue_drift = 0.01\n", path).unwrap();
    assert_eq!(config.drift_bands.psi_moderate, 0.05);
    assert_eq!(config.drift_bands.psi_significant, 0.25, "left out: the default");
    assert_eq!(config.drift_bands.pvalue_drift, 0.01);
    let err = Config::parse("poll_interval = \"5s\"\n[drift]\npsi_moderate = 0.5\n", path).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("drift"));
    assert!(err.line.is_some_and(|l| l >= 2), "{err}");
    assert!(err.message.contains("psi_moderate must be below psi_significant"), "{err}");
    let err = Config::parse("[drift]\npsi = 0.5\n", path).unwrap_err();
    assert!(err.message.contains("psi"), "{err}");
}

#[test]
fn the_sla_policy_file_is_read_relative_to_the_config_and_its_errors_name_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.toml");
    let policy = include_str!("../../assets/sla-policy.toml").replace("\"15m\"", "\"5m\"");
    std::fs::write(dir.path().join("sla.toml"), &policy).unwrap();
    let config = Config::parse("sla_policy = \"sla.toml\"\n", &config_path).unwrap();
    let p1 = config.sla.targets(crate::domain::Priority::P1);
    assert_eq!(p1.response.duration, chrono::Duration::minutes(5));
    assert_eq!(config.sla_policy_file, Some(dir.path().join("sla.toml")));

    std::fs::write(dir.path().join("sla.toml"), policy.replace("calendar = \"24x7\"", "calendar = \"24x5\"")).unwrap();
    let err = Config::parse("sla_policy = \"sla.toml\"\n", &config_path).unwrap_err();
    assert_eq!(err.path, dir.path().join("sla.toml"), "the error names the policy file");
    assert!(err.line.is_some() && err.key.as_deref().is_some_and(|k| k.ends_with(".calendar")), "{err}");
    assert!(err.message.contains("24x5"), "{err}");

    let err = Config::parse("sla_policy = \"missing.toml\"\n", &config_path).unwrap_err();
    assert_eq!((err.line, err.key.as_deref()), (Some(1), Some("sla_policy")));
}

#[test]
fn a_config_file_named_on_the_command_line_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nonexistent.toml");
    assert_eq!(Config::load(&missing).unwrap(), Config::default(), "the default path may be missing");
    let err = Config::load_required(&missing).unwrap_err();
    assert!(err.to_string().contains("nonexistent.toml") && err.message.contains("no such config file"), "{err}");
    assert!(Config::load_required(dir.path()).unwrap_err().message.contains("directory"));
    std::fs::write(&missing, "glyphs = \"ascii\"\n").unwrap();
    assert_eq!(Config::load_required(&missing).unwrap().glyphs, GlyphChoice::Ascii);
}

#[test]
fn secrets_do_not_print() {
    let config = parse("token = \"s3cr3t-value\"").unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
}

#[test]
fn token_sources_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "from-file\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut config = Config { token: Some(Secret::new("from-config")), ..Config::default() };

    let (token, warnings) = resolve_token(Some(&file), Some("from-env".into()), &config).unwrap();
    assert_eq!(token.unwrap().expose(), "from-file");
    assert!(warnings[0].contains("readable by others"), "{warnings:?}");

    let (token, _) = resolve_token(None, Some("from-env".into()), &config).unwrap();
    assert_eq!(token.unwrap().expose(), "from-env");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    config.token_file = Some(file.clone());
    let (token, warnings) = resolve_token(None, None, &config).unwrap();
    assert_eq!(token.unwrap().expose(), "from-file");
    assert!(warnings.is_empty());

    config.token_file = None;
    let (token, _) = resolve_token(None, None, &config).unwrap();
    assert_eq!(token.unwrap().expose(), "from-config");

    let missing = dir.path().join("missing");
    assert!(resolve_token(Some(&missing), None, &config).unwrap_err().contains("cannot read"));
}

#[test]
fn a_team_template_is_read_beside_the_config_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(dir.path().join("ours.md"), "# {{incident_id}}\n\n## Action items\n").unwrap();
    let config = Config::parse("postmortem_template = \"ours.md\"\n", &path).unwrap();
    assert_eq!(config.postmortem_template.as_deref(), Some("# {{incident_id}}\n\n## Action items\n"));
    let err = Config::parse("\npostmortem_template = \"missing.md\"\n", &path).unwrap_err();
    assert_eq!((err.line, err.key.as_deref()), (Some(2), Some("postmortem_template")));
    assert!(err.message.contains("missing.md"), "{err}");
    std::fs::write(dir.path().join("empty.md"), " \n").unwrap();
    let err = Config::parse("postmortem_template = \"empty.md\"\n", &path).unwrap_err();
    assert!(err.message.contains("empty"), "{err}");
}

/// A FIFO at `path` (created with mkfifo(3)).
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// `f` on a thread, awaited at most 10 s: a read that hangs fails the test.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the read returned instead of hanging")
}

/// The special files a reader of the config must refuse, each at `dir/name`, with the message
/// it must give: /dev/zero, a FIFO, a directory, and a sparse file over `limit`.
fn special_files(dir: &Path, name: &str, limit: u64) -> Vec<(PathBuf, String)> {
    let fifo = dir.join(format!("fifo-{name}"));
    mkfifo(&fifo);
    let folder = dir.join(format!("dir-{name}"));
    std::fs::create_dir(&folder).unwrap();
    let huge = dir.join(format!("huge-{name}"));
    std::fs::File::create(&huge).unwrap().set_len(3 * 1024 * 1024 * 1024).unwrap();
    vec![
        (PathBuf::from("/dev/zero"), "/dev/zero is not a regular file (a character device)".to_string()),
        (fifo.clone(), format!("{} is not a regular file (a FIFO)", fifo.display())),
        (folder.clone(), format!("{} is not a regular file (a directory)", folder.display())),
        (huge.clone(), format!("{} is 3 GB; the limit is {}", huge.display(), crate::files::Size(limit))),
    ]
}

#[test]
fn template_and_policy_files_that_are_not_files_or_too_large_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    for (key, limit) in
        [("postmortem_template", crate::files::TEMPLATE_LIMIT), ("sla_policy", crate::files::POLICY_LIMIT)]
    {
        for (file, expected) in special_files(dir.path(), key, limit) {
            let text = format!("\n{key} = \"{}\"\n", file.display());
            let config = config.clone();
            let err = bounded(move || Config::parse(&text, &config).unwrap_err());
            assert_eq!((err.line, err.key.as_deref()), (Some(2), Some(key)), "{err}");
            assert_eq!(err.message, expected);
        }
    }
}

#[test]
fn token_files_that_are_not_files_or_too_large_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for (file, expected) in special_files(dir.path(), "token", crate::files::TOKEN_LIMIT) {
        let config = Config { token_file: Some(file.clone()), ..Config::default() };
        let from_config = bounded(move || resolve_token(None, None, &config).unwrap_err());
        assert_eq!(from_config, format!("the token file {expected}"));
        let from_flag = bounded(move || resolve_token(Some(&file), None, &Config::default()).unwrap_err());
        assert_eq!(from_flag, format!("the token file {expected}"));
    }
}

#[test]
fn a_config_file_that_is_not_a_file_or_too_large_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for (file, expected) in special_files(dir.path(), "config.toml", crate::files::CONFIG_LIMIT) {
        let shown = file.display().to_string();
        let err = bounded(move || Config::load(&file).unwrap_err());
        // The path leads the message once: `<path>: not a regular file (a FIFO)`.
        let problem = expected.strip_prefix(&shown).unwrap().trim_start();
        let problem = match problem.strip_prefix("is not") {
            Some(rest) => format!("not{rest}"),
            None => format!("too large ({})", problem.strip_prefix("is ").unwrap()),
        };
        assert_eq!(err.to_string(), format!("{shown}: {problem}"));
    }
}
