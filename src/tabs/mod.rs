//! One module per tab: its state and the pure operations `update` uses on it.

pub mod incidents;
