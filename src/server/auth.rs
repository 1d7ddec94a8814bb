//! Bearer tokens → users with roles, the directory of people the server knows (those users,
//! and people without a token such as the simulator's staff), and [`Caller`], the authenticated
//! user of a request. Tokens are kept only as SHA-256 digests in memory and are never listed.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::ServerState;
use super::error::ApiError;
use crate::api::{Me, Role, User};

#[derive(Debug, Default, Clone)]
pub struct Users {
    by_digest: HashMap<[u8; 32], Me>,
    /// People known by name who do not sign in (the simulator's support desk and on-call staff).
    people: HashMap<String, Role>,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The tokens file of `opsdeck serve --tokens FILE`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    users: Vec<UserEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: String,
    /// Read as text so that a refusal can leave out a value that may be a token (see [`role_of`]).
    role: toml::Spanned<String>,
    token: String,
}

/// A user's role. A value that is none is quoted only when it is shorter than a token could be:
/// a longer one is likely a token pasted on the wrong line, and a refusal never shows a token.
fn role_of(text: &str, entry: &UserEntry) -> Result<Role, String> {
    let value = entry.role.get_ref();
    match value.as_str() {
        "viewer" => return Ok(Role::Viewer),
        "responder" => return Ok(Role::Responder),
        "commander" => return Ok(Role::Commander),
        _ => {}
    }
    let at = entry.role.span().start.min(text.len());
    let line = text.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let shown = if value.chars().count() < MIN_TOKEN_LEN {
        format!("`{}`", value.escape_debug())
    } else {
        format!("of {} characters (not shown: it may be a token)", value.chars().count())
    };
    Err(format!("line {line}: user `{}`: the role {shown} is not viewer, responder or commander", entry.name))
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Shortest token accepted from a tokens file; shorter ones are guessable.
pub const MIN_TOKEN_LEN: usize = 16;

impl Users {
    pub fn add(&mut self, name: &str, role: Role, token: &str) {
        self.by_digest.insert(digest(token), Me { name: name.to_string(), role });
    }

    /// Someone the server knows by name without a token (they never sign in).
    pub fn add_person(&mut self, name: &str, role: Role) {
        self.people.insert(name.to_string(), role);
    }

    /// Everyone the server knows, by name (with the highest role a name has), sorted.
    pub fn directory(&self) -> Vec<User> {
        let mut by_name: HashMap<&str, Role> = HashMap::new();
        let all = self.by_digest.values().map(|me| (me.name.as_str(), me.role));
        for (name, role) in all.chain(self.people.iter().map(|(n, r)| (n.as_str(), *r))) {
            let best = by_name.entry(name).or_insert(role);
            *best = (*best).max(role);
        }
        let mut users: Vec<User> =
            by_name.into_iter().map(|(name, role)| User { name: name.to_string(), role }).collect();
        users.sort();
        users
    }

    pub fn authenticate(&self, token: &str) -> Option<&Me> {
        self.by_digest.get(&digest(token))
    }

    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    /// Reads a TOML file of `[[users]]` tables with `name`, `role` and `token`.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read { path: shown.clone(), source })?;
        Users::parse(&text).map_err(|message| UsersError::Invalid { path: shown, message })
    }

    pub fn parse(text: &str) -> Result<Users, String> {
        let file: TokensFile = toml::from_str(text).map_err(|e| crate::config::describe_toml_error(text, &e))?;
        let mut users = Users::default();
        for entry in file.users {
            let role = role_of(text, &entry)?;
            if entry.token.len() < MIN_TOKEN_LEN {
                return Err(format!("the token of user `{}` is shorter than {MIN_TOKEN_LEN} characters", entry.name));
            }
            if entry.name.trim().is_empty() {
                return Err("a user has an empty name".to_string());
            }
            // The same token twice would let the last entry win: a viewer's token could become a
            // commander's. Refused, naming both users and never the token.
            if let Some(first) = users.authenticate(&entry.token) {
                return Err(format!(
                    "users `{}` and `{}` have the same token; give each user a token of their own",
                    first.name, entry.name
                ));
            }
            users.add(&entry.name, role, &entry.token);
        }
        Ok(users)
    }
}

/// A random token for generated users (demo mode, `serve` without a tokens file).
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The authenticated user of a request.
pub struct Caller(pub Me);

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        state.users.authenticate(token).cloned().map(Caller).ok_or_else(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_given_to_two_users_is_refused_naming_both() {
        let err = Users::parse(
            r#"
            [[users]]
            name = "vic"
            role = "viewer"
            token = "shared-token-0123456789"

            [[users]]
            name = "dana"
            role = "commander"
            token = "shared-token-0123456789"
            "#,
        )
        .unwrap_err();
        assert!(err.contains("`vic`") && err.contains("`dana`"), "{err}");
        assert!(!err.contains("shared-token"), "the token never appears in a message: {err}");
    }

    #[test]
    fn tokens_file_maps_tokens_to_roles() {
        let users = Users::parse(
            r#"
            [[users]]
            name = "dana"
            role = "responder"
            token = "dana-token-0123456789"

            [[users]]
            name = "vic"
            role = "viewer"
            token = "vic-token-0123456789"
            "#,
        )
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users.authenticate("dana-token-0123456789").unwrap().role, Role::Responder);
        assert!(users.authenticate("nope").is_none());
    }

    #[test]
    fn the_directory_lists_names_and_roles_once_and_never_a_token() {
        let mut users = Users::default();
        users.add("erin", Role::Responder, "erin-token-0123456789");
        users.add("erin", Role::Commander, "erin-second-token-0123456789");
        users.add("vic", Role::Viewer, "vic-token-0123456789");
        users.add_person("nina", Role::Responder);
        let directory = users.directory();
        let names: Vec<(&str, Role)> = directory.iter().map(|u| (u.name.as_str(), u.role)).collect();
        assert_eq!(names, [("erin", Role::Commander), ("nina", Role::Responder), ("vic", Role::Viewer)]);
        assert!(!serde_json::to_string(&directory).unwrap().contains("token"));
    }

    #[test]
    fn short_tokens_and_unknown_roles_are_refused() {
        let short = "[[users]]\nname = \"a\"\nrole = \"viewer\"\ntoken = \"short\"\n";
        assert!(Users::parse(short).unwrap_err().contains("shorter"));
        let role = "[[users]]\nname = \"a\"\nrole = \"admin\"\ntoken = \"0123456789abcdefgh\"\n";
        let err = Users::parse(role).unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("user `a`: the role `admin` is not viewer"), "{err}");
        // Lines swapped by mistake: the token in the role's place is not repeated.
        let swapped = "[[users]]\nname = \"a\"\ntoken = \"commander\"\nrole = \"0123456789abcdefgh\"\n";
        let err = Users::parse(swapped).unwrap_err();
        assert!(
            !err.contains("0123456789abcdefgh") && err.contains("line 4") && err.contains("18 characters"),
            "{err}"
        );
    }
}
