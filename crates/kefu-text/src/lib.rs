//! Chinese text analysis for kefu. Pure: no I/O, no async, no global state.
//!
//! This first part is [`normalize`]: the form of a message that lexicon matching reads, built
//! to defeat the usual evasions while every character still points back into the original.
//! [`entities`] reads order and tracking numbers, phones, amounts, durations and dates from it.

pub mod entities;
mod normalize;
mod numerals;

pub use normalize::{Normalized, normalize};
