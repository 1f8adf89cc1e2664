//! kefu's pipeline stages: pure functions of state, event and time, tested with a manual clock
//! and replayable from the log. They do no I/O and read no clock.
//!
//! - [`routing`]: queues, eligible agents and least-loaded assignment.

pub mod routing;

pub use routing::{Need, Router, RoutingError, Seat};
