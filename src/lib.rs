//! opsdeck: a keyboard-first terminal operations console for generative-AI services.
//!
//! Where each concern lives:
//!
//! - [`domain`]: pure types and rules shared by console and server (incidents and tickets and
//!   their transitions, the commands that change them, tiers and escalation policies, durations,
//!   sanitising outside text; drift statistics and monitored models; maintenance windows, their
//!   recurrences and iCalendar form; postmortems, their action items and the template).
//! - [`sla`]: the SLA engine: business-hours calendars, the SLA policy file, response and
//!   resolution clocks with their bands (pure), and `opsdeck sla due`.
//! - [`api`]: the Ops API v1 wire contract.
//! - [`server`]: the reference Ops API server (axum) and its store (sqlx/SQLite).
//! - [`sources`]: what feeds the server's store from outside, a client of its `Store` trait: the
//!   demo simulator today, Alertmanager, Prometheus and PagerDuty next.
//! - [`db`]: opening SQLite databases for the cache and the server alike.
//! - [`action`], [`keymap`]: what a user can ask for, and which keys ask for it.
//! - [`config`]: `config.toml`, tokens, and the watcher that reloads it.
//! - [`backend`]: the [`backend::Backend`] trait and its HTTP client.
//! - [`cache`]: the console's SQLite cache of one backend, including the outbox tables and the
//!   postmortem journal.
//! - [`outbox`]: the pure rules for queued actions (persist, send in order, retry, reject).
//! - [`sync`]: the poller task that keeps the cache current.
//! - [`event`]: the one channel everything reports into.
//! - [`state`], [`tabs`]: the console's state and its pure `update`; one module per tab
//!   (incidents, tickets, SLA, drift, calendar, postmortems and their editor) and `tabs::clocks`,
//!   the one clock model over tickets and incidents (which maintenance windows pause).
//! - [`ui`]: views that borrow the state and draw it.
//! - [`effect`]: the runner that carries out effects and reports back as events.
//! - [`app`]: the run loop (and the hand-off to `$EDITOR`); [`terminal`]: entering, leaving,
//!   panic hook, drawing; [`watch`]: folders other programs write to (config, drafts).
//! - [`calendar_cli`]: `opsdeck calendar export|import`, maintenance windows as iCalendar files.
//! - [`drift_cli`]: `opsdeck drift compare`, the drift statistics on two files.
//! - [`postmortem_cli`]: `opsdeck postmortem export`, a postmortem as Markdown.
//! - [`cli_client`]: what the command-line tools that call an Ops API server share (arguments,
//!   HTTP client, exit statuses).
//! - [`cli`], [`paths`]: the command line, logging, and where files live (XDG).
//! - [`fixtures`]: deterministic data for tests, snapshots and benchmarks.

pub mod action;
pub mod api;
pub mod app;
pub mod backend;
pub mod cache;
pub mod calendar_cli;
pub mod cli;
pub mod cli_client;
pub mod config;
pub mod db;
pub mod domain;
pub mod drift_cli;
pub mod effect;
pub mod event;
pub mod fixtures;
pub mod keymap;
pub mod outbox;
pub mod paths;
pub mod postmortem_cli;
pub mod server;
pub mod sla;
pub mod sources;
pub mod state;
pub mod sync;
pub mod tabs;
pub mod terminal;
pub mod ui;
pub mod watch;
