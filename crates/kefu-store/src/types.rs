use kefu_domain::*;
use serde::{Deserialize, Serialize};

/// A shop with the secrets the server needs to verify platform and widget callers.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopRecord {
    pub shop: Shop,
    /// HMAC-SHA256 key for platform webhooks.
    pub webhook_secret: String,
    /// HMAC-SHA256 key for widget identity verification (`user_hash`).
    pub widget_secret: String,
}

impl std::fmt::Debug for ShopRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopRecord")
            .field("shop", &self.shop)
            .field("webhook_secret", &"<redacted>")
            .field("widget_secret", &"<redacted>")
            .finish()
    }
}

/// An agent's login session. Only a hash of the bearer token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub shop: ShopId,
    pub agent: AgentId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OrderStats {
    pub order_count: u64,
    /// Paid value of orders that were not refunded or closed.
    pub total_spent_fen: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShopCounts {
    pub agents: u64,
    pub customers: u64,
    pub products: u64,
    pub orders: u64,
    pub conversations: u64,
    pub messages: u64,
    pub events: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConversationFilter {
    #[default]
    Open,
    Closed,
    All,
}

/// A webhook delivery's first answer, replayed for retries with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    /// SHA-256 of the request body, so a reused key with a different body is detected.
    pub request_hash: String,
    pub status: u16,
    pub response: String,
    pub created_at: Timestamp,
}

/// Events for one conversation, with the state they lead to.
#[derive(Debug, Clone)]
pub struct AppendBatch {
    pub shop: ShopId,
    pub events: Vec<Envelope>,
    /// The conversation after folding `events` (see `kefu_domain::conversation::fold_new`).
    pub conversation: Conversation,
    /// The version the events were decided against; `None` for a new conversation.
    pub expected_version: Option<u32>,
    pub idempotency: Option<IdempotencyRecord>,
    /// The text engine's reading of the batch's messages, stored in the same transaction.
    pub analyses: Vec<MessageAnalysis>,
}

/// What the text engine read in one message. The store keeps the headline figures as columns
/// (for curves and reports) and the rest as the analyser's own JSON, which it does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageAnalysis {
    pub message: MessageId,
    pub conversation: ConversationId,
    pub sender: Sender,
    pub at: Timestamp,
    /// Which lexicons and model produced this reading.
    pub analyzer: String,
    /// `negative`, `neutral` or `positive`.
    pub sentiment: String,
    /// In [-1, 1].
    pub score: f64,
    /// The dominant emotion, if any.
    pub emotion: Option<String>,
    /// In [0, 1].
    pub intensity: f64,
    /// The full analysis as JSON.
    pub body: String,
}

/// What an append stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The log sequence numbers given to the events, in order.
    pub seqs: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub seq: i64,
    pub envelope: Envelope,
}

/// One of the bot's decisions, as the agent and the lifecycle jobs read it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotTurnRecord {
    /// The `bot_decided` event.
    pub event: EventId,
    pub conversation: ConversationId,
    /// The shopper of the conversation.
    pub customer: CustomerId,
    /// The shopper's message decided on, and its text.
    pub question: MessageId,
    pub question_text: String,
    /// The bot's reply.
    pub reply: MessageId,
    pub decision: BotDecision,
    /// The shopper's rating of the reply, once given.
    pub helpful: Option<bool>,
    pub at: Timestamp,
}

/// Whether an agent takes new conversations, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentPresence {
    pub agent: AgentId,
    pub status: AgentStatus,
    pub since: Timestamp,
}
