//! `opsdeck serve --config server.toml`, the real binary: `bind`, `db`, `tokens` and
//! `[[sources]]` from the file (a flag on the command line wins), `GET /v1/sources` listing each
//! source with its health, and a mistake in the file refused with its line and key before
//! anything listens.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const TOKEN: &str = "vic-viewer-token-0123456789";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn opsdeck(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command.env("XDG_STATE_HOME", dir).env("XDG_DATA_HOME", dir).env("XDG_CONFIG_HOME", dir).env("OPSDECK_LOG", "warn");
    command
}

/// Starts `opsdeck serve` with `args` and returns it with its URL and what it printed first.
fn serve(dir: &std::path::Path, args: &[&str]) -> (Server, String, Vec<String>) {
    let mut child = opsdeck(dir)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("opsdeck serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let url = loop {
        let line = lines.next().expect("opsdeck serve says where it listens before it exits").unwrap();
        seen.push(line.clone());
        if let Some(url) = line.strip_prefix("opsdeck serve: listening on ") {
            break url.trim().to_string();
        }
    };
    seen.push(lines.next().expect("the sources line").unwrap());
    (server, url, seen)
}

fn write_config(dir: &std::path::Path, sources: &str) -> std::path::PathBuf {
    std::fs::write(
        dir.join("tokens.toml"),
        format!("[[users]]\nname = \"vic\"\nrole = \"viewer\"\ntoken = \"{TOKEN}\"\n"),
    )
    .unwrap();
    let path = dir.join("server.toml");
    std::fs::write(
        &path,
        format!("bind = \"127.0.0.1:0\"\ndb = \"server.sqlite\"\ntokens = \"tokens.toml\"\n\n{sources}"),
    )
    .unwrap();
    path
}

async fn sources(url: &str) -> serde_json::Value {
    let client = reqwest::Client::new();
    let response = client.get(format!("{url}/v1/sources")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_config_files_sources_feed_the_server_and_are_listed_with_their_health() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[[sources]]\nkind = \"simulator\"\nname = \"lab-sim\"\nseed = 3\n");
    let (_server, url, printed) = serve(dir.path(), &["--config", &config.display().to_string()]);
    assert_eq!(printed.last().unwrap(), "opsdeck serve: sources lab-sim (simulator)");
    let body = sources(&url).await;
    let list = body["sources"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!((list[0]["name"].as_str(), list[0]["kind"].as_str()), (Some("lab-sim"), Some("simulator")));
    assert_eq!(list[0]["stale"], false, "the simulator had its good start: {body}");
    assert!(list[0]["last_ok_at"].is_string(), "{body}");
    // `db` is beside the config file, and the viewer of `tokens` may read the list.
    assert!(dir.path().join("server.sqlite").exists());
    let anonymous = reqwest::get(format!("{url}/v1/sources")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_flag_wins_over_the_file_and_simulate_adds_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    let (_server, url, printed) =
        serve(dir.path(), &["--config", &config.display().to_string(), "--db", ":memory:", "--simulate"]);
    assert_eq!(printed.last().unwrap(), "opsdeck serve: sources simulator (simulator)");
    assert!(!dir.path().join("server.sqlite").exists(), "--db :memory: won over the file's db");
    let body = sources(&url).await;
    assert_eq!(body["sources"][0]["name"], "simulator", "{body}");
}

#[test]
fn a_mistake_in_the_config_file_is_refused_with_its_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[sources]]\nkind = \"nagios\"\nname = \"n\"\n",
            "line 6 `sources.n.kind`: unknown kind `nagios`; the known kinds are simulator",
        ),
        ("[[sources]]\nkind = \"simulator\"\nname = \"Prod\"\n", "line 7 `sources[1].name`"),
        (
            "[[sources]]\nkind = \"simulator\"\nname = \"s\"\nsead = 2\n",
            "line 8 `sources.s.sead`: unknown field `sead`",
        ),
        ("listen = 1\n", "line 5, column 1: unknown field `listen`"),
    ];
    for (sources, expected) in cases {
        let config = write_config(dir.path(), sources);
        let out = opsdeck(dir.path()).args(["serve", "--config"]).arg(&config).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("{}", config.display())) && stderr.contains(expected), "{expected}: {stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "nothing listened");
    }
    let out = opsdeck(dir.path()).args(["serve", "--config"]).arg(dir.path().join("nope.toml")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"), "{}", String::from_utf8_lossy(&out.stderr));
}
