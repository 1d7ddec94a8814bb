//! Adapters that feed the server's store from outside systems, each a client of the
//! [`Store`](crate::server::store::Store) trait that the server starts beside its API as a
//! [`Source`](crate::server::sources::Source), and that carries actions back.
//!
//! [`config`] reads the `[[sources]]` of a config file and makes each source by its `kind`:
//! the demo [`simulator`], [`alertmanager`], [`prometheus`] and [`pagerduty`], one folder each,
//! sharing [`http`].
//!
//! A source may use `domain`, `api`, `sla` and `server::store` (the trait, not a particular
//! store); never the HTTP handlers, axum, or the console. The rules it applies (deciding an
//! action, paging under maintenance) live in `domain` or the store's API, shared with the
//! handlers, so a source's writes obey the same rules as the API's.

pub mod alertmanager;
pub mod config;
pub mod http;
pub mod pagerduty;
pub mod prometheus;
pub mod simulator;
