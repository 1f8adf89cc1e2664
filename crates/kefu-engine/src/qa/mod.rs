//! Quality inspection (质检): what is checked in agents' words and how a closed conversation is
//! scored.
//!
//! - [`score`]: the conversation QA score (0–100) from the shop's weighted rubric.

pub mod score;
