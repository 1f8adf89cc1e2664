//! Chinese text analysis for kefu. Pure: no I/O, no async, no global state.
//!
//! This first part is [`normalize`]: the form of a message that lexicon matching reads, built
//! to defeat the usual evasions while every character still points back into the original.

mod normalize;
pub mod sentiment;

pub use normalize::{Normalized, normalize};
