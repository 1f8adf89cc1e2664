//! Chinese text analysis for kefu. Pure: no I/O, no async, no global state.
//!
//! - [`normalize`]: the form of a message that lexicon matching reads, built to defeat the
//!   usual evasions while every character still points back into the original.
//! - [`lexicon`]: the word lists (敏感词, 禁用语, 人工专属, emotion words, 转人工) and the
//!   multi-pattern matcher over them.
//! - [`segment`]: jieba word segmentation with a shop's own words.
//! - [`entities`]: order and tracking numbers, phones, amounts, durations and dates.
//! - [`sentiment`]: a naive-Bayes-scaled logistic regression trained on real reviews.
//! - [`analysis`]: all of the above in one step per message, and a conversation's emotion curve.

pub mod analysis;
pub mod entities;
pub mod lexicon;
mod normalize;
pub mod numerals;
pub mod segment;
pub mod sentiment;

pub use normalize::{Normalized, is_han, normalize};
