//! Quality inspection (质检): the live lint of agents' messages and its evaluation.

pub mod eval;
pub mod lint;
