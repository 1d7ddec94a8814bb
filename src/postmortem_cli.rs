//! `opsdeck postmortem export ID`: an incident's postmortem as Markdown, read from an Ops API
//! server over HTTP (any role may read, so a viewer's token is enough).
//!
//! `ID` is the postmortem's id (`PM-1042`) or its incident's (`INC-1042`, whose postmortem is
//! `PM-1042`). Exit status: 0 with the Markdown on stdout; 2 for a mistake in the input (the ID,
//! the token file, the URL) with nothing sent; 1 when the server cannot be reached, refuses, or
//! has no such postmortem.

use std::process::ExitCode;

use crate::cli_client::{Client, Failure, ServerArgs, block_on, finish};
use crate::domain::Postmortem;
use crate::domain::postmortem::postmortem_id;

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

async fn export(args: ExportArgs) -> Result<String, Failure> {
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
    Ok(postmortem.to_markdown())
}

/// The postmortem id `ID` names: itself when it is one (`PM-…`), otherwise the postmortem of the
/// incident it names. Ids are letters, digits, `-` and `_`; anything else is a mistake.
pub fn target(id: &str) -> Result<String, String> {
    let id = id.trim();
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if id.is_empty() || id.len() > 100 || !id.chars().all(plain) {
        let shown: String = id.chars().take(40).collect();
        return Err(format!("ID must be a postmortem id like PM-1042 or an incident id like INC-1042, not `{shown}`"));
    }
    Ok(if id.starts_with("PM-") { id.to_string() } else { postmortem_id(id) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_id_names_its_postmortem_and_odd_ids_are_refused() {
        assert_eq!(target("PM-1042").unwrap(), "PM-1042");
        assert_eq!(target(" INC-1042 ").unwrap(), "PM-1042");
        assert_eq!(target("ops_77").unwrap(), "PM-ops_77");
        for bad in ["", "  ", "PM-1/../x", "PM 1042", "INC-1042?x=1", "..", "PM-é"] {
            let message = target(bad).unwrap_err();
            assert!(message.starts_with("ID must be a postmortem id like PM-1042"), "{bad}: {message}");
        }
    }
}
