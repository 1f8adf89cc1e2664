//! kefu's knowledge base (知识库 / 百问百答) as the bot and the agent assist panel read it.
//! Pure: no I/O, no async.
//!
//! - [`prep`]: what matching reads of a question (normalised text, content words, bigrams).
//! - [`bm25`]: an in-memory BM25 index.
//! - [`vectors`]: sentence embeddings and their dot products.
//! - [`rank`]: the re-ranker learned from the knowledge base's own similar questions.
//! - [`index`]: a shop's retrieval index combining all of the above.
//! - [`lifecycle`]: proposals from unanswered questions, retirement of unhelpful entries.
//! - [`decide`]: the bot's decision — answer, clarify or hand off with a reason.
//! - [`template`]: answers with variables filled from the shopper's order.
//! - [`eval`]: the figures `kefu eval faq` prints.
//! - [`sheet`]: entries to and from the shop's own spreadsheet (.xlsx, .csv, .jsonl) for import
//!   and export, with every bad row reported.

pub mod bm25;
pub mod bot;
pub mod decide;
pub mod eval;
pub mod index;
pub mod lifecycle;
pub mod prep;
pub mod rank;
pub mod semantic;
pub mod sheet;
pub mod template;
pub mod vectors;

pub use bot::{BotInput, BotTurn, OrderFacts, respond};
pub use decide::{BotSettings, Decision, HandOffReason, Turn, decide};
pub use index::{Candidate, Doc, Embedder, Index};
