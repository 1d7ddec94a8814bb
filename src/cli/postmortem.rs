//! `opsdeck postmortem export ID`: an incident's postmortem as Markdown, read from an Ops API
//! server over HTTP (any role may read, so a viewer's token is enough). What the server sent is
//! sanitised before it is printed: Markdown has no use for escape sequences, on a terminal or in
//! a file.
//!
//! `ID` is the postmortem's id (`PM-1042`) or its incident's (`INC-1042`, whose postmortem is
//! `PM-1042`). Exit status: 0 with the Markdown on stdout; 2 for a mistake in the input (an ID
//! of neither form, the token file, the URL) with nothing sent; 1 when the server cannot be reached, refuses, or
//! has no such postmortem.

use std::process::ExitCode;

use crate::cli::client::{Client, Failure, Output, ServerArgs, block_on, finish};
use crate::domain::Postmortem;
use crate::domain::postmortem::postmortem_id;
use crate::domain::text::{sanitize_in_place, sanitize_multiline};

#[derive(Debug, clap::Subcommand)]
pub enum PostmortemCommand {
    /// Print a postmortem as Markdown: its title, what it is, and its body.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The postmortem (PM-1042) or the incident whose postmortem to print (INC-1042).
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn run(command: PostmortemCommand) -> ExitCode {
    match command {
        PostmortemCommand::Export(args) => finish("postmortem export", block_on(export(args))),
    }
}

async fn export(args: ExportArgs) -> Result<Output, Failure> {
    let id = target(&args.id).map_err(Failure::Input)?;
    let client = Client::new(&args.server)?;
    let postmortem: Postmortem = client.get(&format!("/v1/postmortems/{id}")).await.map_err(|failure| {
        match failure {
            // Say which postmortem was looked for when the user named the incident.
            Failure::Server(message) if id != args.id.trim() => {
                Failure::Server(format!("{message} (the postmortem of {})", args.id.trim()))
            }
            other => other,
        }
    })?;
    Ok(Output::Text(inert(postmortem).to_markdown()))
}

/// The postmortem with what the server sent made safe to print: the one-line fields (a title
/// with a line break would make a second heading) on one line, the body with its lines.
fn inert(mut postmortem: Postmortem) -> Postmortem {
    for field in [&mut postmortem.id, &mut postmortem.incident_id, &mut postmortem.title, &mut postmortem.updated_by] {
        sanitize_in_place(field);
    }
    postmortem.body = sanitize_multiline(&postmortem.body).into_owned();
    postmortem
}

/// The postmortem id `ID` names: itself when it is one (`PM-1042`), the postmortem of the
/// incident when it names one (`INC-1042` → `PM-1042`), or `PM-1042` for a bare number. The
/// prefix may be in either case; after it come letters, digits, `-` and `_`. Anything else (`foo`,
/// a path, a URL) is a mistake found before any request is sent.
pub fn target(id: &str) -> Result<String, String> {
    let id = id.trim();
    let prefixed = |prefix: &str| {
        id.get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|_| &id[prefix.len()..])
            .filter(|rest| crate::cli::output::plain_id(rest))
    };
    if let Some(rest) = prefixed("PM-") {
        return Ok(format!("PM-{rest}"));
    }
    if let Some(rest) = prefixed("INC-") {
        return Ok(postmortem_id(&format!("INC-{rest}")));
    }
    if !id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_digit()) {
        return Ok(format!("PM-{id}"));
    }
    let shown: String = id.chars().take(40).collect();
    Err(format!("ID must be a postmortem id like PM-1042 or an incident id like INC-1042, not `{shown}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_id_names_its_postmortem_and_odd_ids_are_refused() {
        assert_eq!(target("PM-1042").unwrap(), "PM-1042");
        assert_eq!(target(" INC-1042 ").unwrap(), "PM-1042");
        assert_eq!(target("pm-1042").unwrap(), "PM-1042");
        assert_eq!(target("inc-7").unwrap(), "PM-7");
        assert_eq!(target("1042").unwrap(), "PM-1042");
        assert_eq!(target("PM-ops_77").unwrap(), "PM-ops_77");
        for bad in ["", "  ", "foo", "ops_77", "PM-", "INC-", "PM-1/../x", "PM 1042", "INC-1042?x=1", "..", "PM-é"] {
            let message = target(bad).unwrap_err();
            assert!(message.starts_with("ID must be a postmortem id like PM-1042"), "{bad}: {message}");
        }
    }
}
