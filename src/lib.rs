//! opsdeck: a keyboard-first terminal operations console for generative-AI services.
//!
//! Where each concern lives:
//!
//! - [`domain`]: pure types and rules shared by console and server (incidents and their
//!   transitions, tiers and escalation policies, durations, sanitising outside text).
//! - [`api`]: the Ops API v1 wire contract.
//! - [`server`]: the reference Ops API server (axum), its store (sqlx/SQLite) and the simulator.
//! - [`db`]: opening SQLite databases for the cache and the server alike.
//! - [`action`], [`keymap`]: what a user can ask for, and which keys ask for it.
//! - [`config`]: `config.toml`, tokens, and the watcher that reloads it.

pub mod action;
pub mod api;
pub mod config;
pub mod db;
pub mod domain;
pub mod keymap;
pub mod server;
