//! opsdeck: a keyboard-first terminal operations console for generative-AI services.
//!
//! Where each concern lives (`ARCHITECTURE.md` has the whole map, the rules of each folder and
//! the path of a key press and of a sync result):
//!
//! - [`domain`]: pure types and rules shared by console and server (incidents and tickets and
//!   their transitions, the commands that change them, tiers and escalation policies, durations,
//!   sanitising outside text; drift statistics and monitored models; maintenance windows, their
//!   recurrences and iCalendar form; postmortems, their action items and the template).
//! - [`sla`]: the SLA engine (pure): business-hours calendars, the SLA policy, response and
//!   resolution clocks with their bands.
//! - [`api`]: the Ops API v1 wire contract, shared by server and clients.
//! - [`server`]: the reference Ops API server (axum): router, auth, OpenAPI, handlers, the store.
//! - [`sources`]: what feeds the server's store from outside, a client of its `Store` trait: the
//!   demo simulator today, Alertmanager, Prometheus and PagerDuty next.
//! - [`backend`]: the console's client of an Ops API server (the `Backend` trait and HTTP).
//! - [`cache`]: the console's SQLite file of one backend: the server's data (disposable) and the
//!   user's own work (outbox, journaled drafts, note drafts).
//! - [`console`]: the terminal app: run loop, events, keymap and actions, the state and its pure
//!   `update`, effects and their runner, one folder per tab, shared widgets.
//! - [`cli`]: every subcommand (`serve`, `openapi`, `sla`, `calendar`, `drift`, `postmortem`) and
//!   what they share; logging and exit codes.
//! - [`config`], [`paths`], [`db`]: `config.toml` and tokens, where files live (XDG), opening
//!   SQLite databases.
//! - [`files`]: reading files from outside (named on the command line or in the config): regular
//!   files only, each kind with its size limit.
//! - [`fixtures`]: deterministic data for tests, snapshots and benchmarks.

pub mod api;
pub mod backend;
pub mod cache;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod files;
pub mod fixtures;
pub mod paths;
pub mod server;
pub mod sla;
pub mod sources;
