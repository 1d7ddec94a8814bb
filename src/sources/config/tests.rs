use std::path::Path;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::task::JoinHandle;

use super::{Build, KINDS, SourceConfigError, build, parse, parse_with};
use crate::server::sources::{Source, SourceContext};
use crate::server::store::StoreError;

fn path() -> &'static Path {
    Path::new("/etc/opsdeck/server.toml")
}

fn error(text: &str) -> SourceConfigError {
    parse_with(text, path(), &test_kinds()).unwrap_err()
}

/// A kind of the tests' own, with a required `url` and a number, built as a source that does
/// nothing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebConfig {
    url: String,
    #[serde(default)]
    poll: u64,
}

struct Quiet(String);

#[async_trait]
impl Source for Quiet {
    fn name(&self) -> &str {
        &self.0
    }
    fn kind(&self) -> &'static str {
        "web"
    }
    async fn start(&self, _context: SourceContext) -> Result<JoinHandle<()>, StoreError> {
        Ok(tokio::spawn(async {}))
    }
}

fn web_source(name: &str, config: WebConfig) -> Result<Box<dyn Source>, String> {
    if !config.url.starts_with("http") {
        return Err(format!("url: `{}` is not an http:// URL", config.url));
    }
    let _ = config.poll;
    Ok(Box::new(Quiet(name.to_string())))
}

fn test_kinds() -> Vec<(&'static str, Build)> {
    let mut kinds = KINDS.to_vec();
    kinds.push(("web", |name, table| build(name, table, web_source)));
    kinds
}

#[test]
fn a_document_without_sources_has_none_and_other_keys_are_left_to_the_caller() {
    assert!(parse("bind = \"127.0.0.1:1\"\n[colors]\np1 = \"red\"\n", path()).unwrap().is_empty());
}

#[test]
fn entries_are_read_in_order_with_their_kind_name_and_line() {
    let text = "bind = \"x\"\n\n[[sources]]\nkind = \"simulator\"\nname = \"demo\"\nseed = 7\npace = \"demo\"\n\n[[sources]]\nkind = \"web\"\nname = \"prod-web-2\"\nurl = \"http://127.0.0.1:9\"\n";
    let specs = parse_with(text, path(), &test_kinds()).unwrap();
    let seen: Vec<_> = specs.iter().map(|s| (s.kind.as_str(), s.name.as_str(), s.line)).collect();
    assert_eq!(seen, [("simulator", "demo", 3), ("web", "prod-web-2", 9)]);
    let built = super::SourceSpec::build_with(&specs[1], path(), &test_kinds()).unwrap();
    assert_eq!((built.name(), built.kind()), ("prod-web-2", "web"));
    let simulator = specs[0].build(path()).unwrap();
    assert_eq!((simulator.name(), simulator.kind()), ("demo", "simulator"));
}

#[test]
fn an_unknown_kind_is_refused_with_the_known_ones() {
    let e = error("[[sources]]\nname = \"a\"\nkind = \"nagios\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("sources.a.kind")));
    assert!(
        e.message.contains("unknown kind `nagios`")
            && e.message.contains("simulator, alertmanager, prometheus, pagerduty, web"),
        "{e}"
    );
    assert_eq!(e.to_string(), format!("/etc/opsdeck/server.toml line 3 `sources.a.kind`: {}", e.message));
}

#[test]
fn kind_and_name_are_required_strings() {
    let e = error("[[sources]]\nname = \"a\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("sources[1].kind")));
    assert!(e.message.contains("needs a `kind`"), "{e}");
    let e = error("[[sources]]\nkind = \"simulator\"\n\n[[sources]]\nkind = \"simulator\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("sources[1].name")));
    let e = error("[[sources]]\nkind = \"simulator\"\nname = 5\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("sources[1].name")));
    assert!(e.message.contains("must be a string, not integer"), "{e}");
}

#[test]
fn a_name_is_lowercase_letters_digits_and_dashes_and_unique() {
    for bad in ["", "Prod", "prod_am", "prod am", "prod\\u001b[31m"] {
        let e = error(&format!("[[sources]]\nkind = \"simulator\"\nname = \"{bad}\"\n"));
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("sources[1].name")), "{bad:?}");
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }
    let long = "a".repeat(super::MAX_NAME_LEN + 1);
    assert!(error(&format!("[[sources]]\nkind = \"simulator\"\nname = \"{long}\"\n")).message.contains("longer"));
    let e = error(
        "[[sources]]\nkind = \"simulator\"\nname = \"a\"\n[[sources]]\nkind = \"web\"\nname = \"a\"\nurl = \"http://x\"\n",
    );
    assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("sources[2].name")));
    assert!(e.message.contains("already the name of the source on line 1"), "{e}");
}

#[test]
fn a_kinds_own_keys_are_checked_with_their_line() {
    let unknown = error("[[sources]]\nkind = \"web\"\nname = \"w\"\nurl = \"http://x\"\nurll = \"http://y\"\n");
    assert_eq!((unknown.line, unknown.key.as_deref()), (Some(5), Some("sources.w.urll")), "{unknown}");
    assert!(unknown.message.contains("unknown field `urll`"), "{unknown}");
    let wrong = error("[[sources]]\nkind = \"web\"\nname = \"w\"\nurl = \"http://x\"\npoll = \"often\"\n");
    assert_eq!((wrong.line, wrong.key.as_deref()), (Some(5), Some("sources.w.poll")), "{wrong}");
    assert!(wrong.message.contains("invalid type"), "{wrong}");
    let missing = error("\n[[sources]]\nkind = \"web\"\nname = \"w\"\n");
    assert_eq!((missing.line, missing.key.as_deref()), (Some(2), Some("sources.w")), "{missing}");
    assert!(missing.message.contains("missing field `url`"), "{missing}");
    let refused = error("[[sources]]\nkind = \"web\"\nname = \"w\"\n\nurl = \"ftp://x\"\n");
    assert_eq!((refused.line, refused.key.as_deref()), (Some(5), Some("sources.w.url")), "{refused}");
    assert_eq!(refused.message, "`ftp://x` is not an http:// URL");
}

#[test]
fn the_simulator_takes_a_seed_and_the_demo_pace_only() {
    let e = error("[[sources]]\nkind = \"simulator\"\nname = \"sim\"\npace = \"fast\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("sources.sim.pace")), "{e}");
    assert!(e.message.contains("the only one is `demo`"), "{e}");
    let e = error("[[sources]]\nkind = \"simulator\"\nname = \"sim\"\nseed = -1\n");
    assert_eq!(e.key.as_deref(), Some("sources.sim.seed"), "{e}");
}

#[test]
fn a_toml_mistake_names_its_line() {
    let e = error("[[sources]]\nkind = \"simulator\"\nname = \"a\nx\"\n");
    assert_eq!(e.line, Some(4), "{e}");
    let e = error("sources = 5\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("sources")), "{e}");
}
