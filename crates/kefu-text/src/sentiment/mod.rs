//! Sentiment of a shopper's message.
//!
//! This first part reads labelled text in the corpus format.

mod tsv;

pub use tsv::{LabelledText, ParseError, ParseErrorKind, parse_labelled_tsv};
