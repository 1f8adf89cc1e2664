//! Quality inspection (质检): what is checked in agents' words and how a closed conversation is
//! scored.
//!
//! - [`lint`]: the live lint of an agent's message against the shop's policy.
//! - [`eval`]: the lint's precision and recall on labelled messages (`kefu eval qa`).
//! - [`score`]: the conversation QA score (0–100) from the shop's weighted rubric.

pub mod eval;
pub mod lint;
pub mod score;
