//! kefu's pipeline stages: pure functions of state, event and time, tested with a manual clock
//! and replayable from the log. They do no I/O and read no clock.
//!
//! - [`routing`]: queues, eligible agents and least-loaded assignment.
//! - [`sla`]: first-response, reply-interval and 3-minute clocks, warnings and breaches, and
//!   the daily red line.
//! - [`hours`]: staffed hours, holidays, and when an offline message is due.
//! - [`triage`]: which queue, priority and skill a conversation reaching people gets.
//! - [`alerts`]: complaint surges against previous weeks, SLA breach clusters, the shopper's
//!   negative-word share, alert targets and escalation, and DingTalk / WeCom robot payloads.
//! - [`qa`]: the live lint of agents' messages against the shop's policy, and its evaluation.
//! - [`sim`]: a shop day through both, with its invariants and KPIs.
//! - [`qa`]: quality inspection; the conversation QA score.

pub mod alerts;
pub mod hours;
pub mod qa;
pub mod routing;
pub mod sim;
pub mod sla;
pub mod triage;

pub use routing::{Need, QueueSnapshot, Router, RoutingError, Seat};
