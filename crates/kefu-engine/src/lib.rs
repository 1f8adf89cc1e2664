//! kefu's pipeline stages: pure functions of state, event and time, tested with a manual clock
//! and replayable from the log. They do no I/O and read no clock.
//!
//! - [`routing`]: queues, eligible agents and least-loaded assignment.
//! - [`sla`]: first-response, reply-interval and 3-minute clocks, warnings and breaches, and
//!   the daily red line.
//! - [`hours`]: staffed hours, holidays, and when an offline message is due.
//! - [`triage`]: which queue, priority and skill a conversation reaching people gets.
//! - [`sim`]: a shop day through both, with its invariants and KPIs.
//! - [`qa`]: quality inspection; the conversation QA score.

pub mod hours;
pub mod qa;
pub mod routing;
pub mod sim;
pub mod sla;
pub mod triage;

pub use routing::{Need, QueueSnapshot, Router, RoutingError, Seat};
