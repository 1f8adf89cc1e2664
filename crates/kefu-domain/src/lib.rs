//! kefu's vocabulary. Everything here is plain data and pure functions: no I/O, no async, no
//! clock reads (time arrives as a [`Timestamp`] argument). The store, the server and the
//! pipeline all speak these types.

pub mod alert;
pub mod bot;
pub mod conversation;
pub mod event;
pub mod ids;
pub mod knowledge;
pub mod model;
pub mod qa;
pub mod routing;
pub mod text;
pub mod ticket;
pub mod time;

pub use bot::{BotDecision, BotMemory, HandOff, HandOffReason, HandOffSummary, Permille, permille};
pub use conversation::{Conversation, ConversationState, TransitionError};
pub use event::{Envelope, Event};
pub use ids::*;
pub use knowledge::{
    EntryDraft, EntryError, EntryStatus, KnowledgeEntry, KnowledgeProposal, KnowledgeStats,
    ProposalStatus,
};
pub use model::*;
pub use qa::{Finding, PolicyError, QaLabel, ShopPolicy};
pub use routing::{
    Escalation, QueueRequest, RaiseReason, SendBack, SendBackReason, SlaClock, SlaLevel, SlaSignal,
    Waiting,
};
pub use text::{MAX_MESSAGE_CHARS, MessageText, TextError};
pub use time::{Clock, ManualClock, SHOP_UTC_OFFSET_MS, SystemClock, Timestamp};
