//! The console's end-to-end harness: the real binary in a pseudo-terminal against a real
//! `opsdeck serve`, and the Ops API over HTTP to set up and check what the server recorded.
//! Every wait is on an event with a deadline that only matters when something is broken.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::pty::{self, ConsoleDirs, Pty, Server};

/// Deadline for anything to show up. Only reached when a test fails.
pub const T: Duration = Duration::from_secs(30);
pub const BIN: &str = env!("CARGO_BIN_EXE_opsdeck");
/// Ctrl-R: sync now.
pub const CTRL_R: &[u8] = b"\x12";

/// The Ops API over HTTP, for setting up incidents and checking what the server recorded.
pub struct Api {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let client = rt.block_on(async {
            reqwest::Client::builder()
                // The server is killed and restarted: never reuse a connection to the old one.
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(15))
                .build()
                .expect("http client")
        });
        Api { rt, client, base: base.to_string() }
    }

    pub fn create(&self, token: &str, title: &str, priority: &str) -> Value {
        self.post(token, "/v1/incidents", json!({ "title": title, "service_id": "llm-gateway", "priority": priority }))
    }

    pub fn post(&self, token: &str, path: &str, body: Value) -> Value {
        self.rt.block_on(async {
            let response = self
                .client
                .post(format!("{}{path}", self.base))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {path}: {e}"));
            let status = response.status();
            let text = response.text().await.expect("body");
            assert_eq!(status.as_u16(), 201, "POST {path} answered {status}: {text}");
            serde_json::from_str(&text).expect("JSON")
        })
    }

    pub fn get(&self, token: &str, id: &str) -> Value {
        self.get_path(token, &format!("/v1/incidents/{id}"))
    }

    pub fn get_path(&self, token: &str, path: &str) -> Value {
        self.rt.block_on(async {
            let response = self
                .client
                .get(format!("{}{path}", self.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
            let status = response.status();
            let text = response.text().await.expect("body");
            assert!(status.is_success(), "GET {path} answered {status}: {text}");
            serde_json::from_str(&text).expect("JSON")
        })
    }
}

/// A temp dir with a tokens file and a running server.
pub struct World {
    // Fields drop in order: the server is gone before its directory is removed.
    pub server: Server,
    pub api: Api,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = dir.path().join("tokens.toml");
        pty::write_tokens(&tokens).expect("tokens file");
        let server = Server::start(Path::new(BIN), &dir.path().join("server.sqlite"), &tokens, T).expect("server");
        let api = Api::new(&server.url);
        World { server, api, dir }
    }

    /// Fresh XDG directories for one console.
    pub fn console_dirs(&self, name: &str) -> ConsoleDirs {
        ConsoleDirs::new(self.dir.path().join(name)).expect("console dirs")
    }

    /// Starts the console against this server with `token`.
    pub fn console(&self, dirs: &ConsoleDirs, token: &str, extra: &[&str]) -> Console {
        Console::start(dirs, &self.server.url, token, extra)
    }

    /// Opens a ticket (`body` as `POST /v1/tickets` takes it) as erin, then starts erin's console
    /// and waits until it is live: the ticket's key, the console and its folders.
    pub fn ticket_and_console(&self, body: Value) -> (String, Console, ConsoleDirs) {
        let ticket = self.api.post(super::pty::ERIN_TOKEN, "/v1/tickets", body);
        let key = ticket["key"].as_str().expect("ticket key").to_string();
        let dirs = self.console_dirs("console");
        let console = self.console(&dirs, super::pty::ERIN_TOKEN, &[]);
        console.wait_all(&["● live", "erin · responder"]);
        (key, console, dirs)
    }
}

/// The console in a PTY; failures carry the screen and the console's log.
pub struct Console {
    pub pty: Pty,
    pub log: PathBuf,
}

impl Console {
    pub fn start(dirs: &ConsoleDirs, backend: &str, token: &str, extra: &[&str]) -> Console {
        Console::start_with(dirs, backend, token, extra, &[])
    }

    /// [`Console::start`] with extra environment variables (e.g. `EDITOR`).
    pub fn start_with(dirs: &ConsoleDirs, backend: &str, token: &str, extra: &[&str], env: &[(&str, &str)]) -> Console {
        Console::start_via(&[], dirs, backend, token, extra, env)
    }

    /// [`Console::start_with`] through `launcher` (e.g. `ip netns exec NAME`).
    pub fn start_via(
        launcher: &[&str],
        dirs: &ConsoleDirs,
        backend: &str,
        token: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Console {
        let token_file = dirs.root.join("token");
        std::fs::write(&token_file, format!("{token}\n")).expect("token file");
        // As a careful user keeps it (the console warns about a token file others can read).
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
        let token_file = token_file.to_string_lossy().into_owned();
        let mut args = vec!["--backend", backend, "--token-file", token_file.as_str()];
        args.extend_from_slice(extra);
        let mut command = dirs.command_via(launcher, Path::new(BIN), &args);
        for (name, value) in env {
            command.env(name, value);
        }
        let pty = Pty::spawn(command).expect("spawn the console");
        Console { pty, log: dirs.log_file() }
    }

    pub fn fail(&self, err: String) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"));
        let tail: Vec<&str> = log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        panic!("{err}\n--- console log (last 40 lines) ---\n{}", tail.join("\n"));
    }

    pub fn ok<V>(&self, result: Result<V, String>) -> V {
        result.unwrap_or_else(|err| self.fail(err))
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.ok(self.pty.wait_for_text(text, T))
    }

    pub fn wait_all(&self, texts: &[&str]) -> String {
        self.ok(self.pty.wait_for_all(texts, T))
    }

    pub fn wait(&self, what: &str, predicate: impl FnMut(&str) -> bool) -> String {
        self.ok(self.pty.wait_for_described(what, predicate, T))
    }

    pub fn keys(&mut self, bytes: &[u8]) {
        let result = self.pty.send(bytes);
        self.ok(result)
    }
}

/// The screen line showing incident `id`.
pub fn line_of<'a>(screen: &'a str, id: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(id))
}

/// The last line of the screen: messages, queued actions, who we are.
pub fn footer(screen: &str) -> &str {
    screen.lines().last().unwrap_or("")
}

/// The id of an incident as the API returns it.
pub fn id_of(incident: &Value) -> String {
    incident["id"].as_str().expect("incident id").to_string()
}

/// The timeline events of `kind` in an incident as the API returns it.
pub fn events<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["timeline"].as_array().expect("timeline").iter().filter(|e| e["kind"] == kind).collect()
}

/// Whether the tests run as root (mounts, namespaces, another user's identity).
pub fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
