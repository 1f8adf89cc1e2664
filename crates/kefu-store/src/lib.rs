//! The storage port.
//!
//! [`Store`] is the one trait the rest of kefu talks to. [`SqlStore`] implements it for both
//! embedded SQLite (WAL) and PostgreSQL: the SQL is shared, while each backend has its own
//! migrations, connection setup and pool sizing ([`Backend`]). Every method takes the shop id
//! and every query filters by it, so nothing can cross tenants.
//!
//! Writes of the event log go through a single writer task per store that groups concurrent
//! appends into one transaction (group commit): a commit costs one fsync, so batching is what
//! makes thousands of acknowledged messages per second possible on one disk.

mod error;
mod qa;
mod sql;
mod types;

pub use error::StoreError;
pub use qa::*;
pub use sql::{Backend, SqlStore, StoreConfig, drop_postgres_schema};
pub use types::*;

use async_trait::async_trait;
use kefu_domain::alert::{Alert, AlertChange, AlertKind};
use kefu_domain::ticket::{Department, ReminderKind, Ticket, TicketChange, TicketStatus};
use kefu_domain::*;

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    // --- shops, agents and sessions ---------------------------------------------------------
    async fn create_shop(&self, shop: &ShopRecord) -> StoreResult<()>;
    async fn shop_by_slug(&self, slug: &str) -> StoreResult<Option<ShopRecord>>;
    async fn shop(&self, id: ShopId) -> StoreResult<Option<ShopRecord>>;
    async fn list_shops(&self) -> StoreResult<Vec<Shop>>;
    /// Inserts or replaces an agent (matched by shop and username).
    async fn upsert_agent(&self, agent: &Agent, password_hash: &str) -> StoreResult<()>;
    async fn agent_credentials(
        &self,
        shop: ShopId,
        username: &str,
    ) -> StoreResult<Option<(Agent, String)>>;
    async fn agent(&self, shop: ShopId, id: AgentId) -> StoreResult<Option<Agent>>;
    async fn list_agents(&self, shop: ShopId) -> StoreResult<Vec<Agent>>;
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    // --- customers, products, orders ----------------------------------------------------------
    /// Inserts or updates customers by `(shop, external_id)`; ids of existing rows are kept.
    async fn upsert_customers(&self, shop: ShopId, rows: &[Customer]) -> StoreResult<ImportCounts>;
    /// Inserts or updates products by `(shop, sku)`.
    async fn upsert_products(&self, shop: ShopId, rows: &[Product]) -> StoreResult<ImportCounts>;
    /// Inserts or updates orders by `(shop, order_no)`. Customers must already exist.
    async fn upsert_orders(&self, shop: ShopId, rows: &[Order]) -> StoreResult<ImportCounts>;
    async fn customer(&self, shop: ShopId, id: CustomerId) -> StoreResult<Option<Customer>>;
    async fn customers_by_external_ids(
        &self,
        shop: ShopId,
        external_ids: &[String],
    ) -> StoreResult<Vec<Customer>>;
    async fn customers_by_ids(
        &self,
        shop: ShopId,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<Customer>>;
    async fn products_by_skus(&self, shop: ShopId, skus: &[String]) -> StoreResult<Vec<Product>>;
    /// A shop's products in SKU order, at most `limit`.
    async fn products(&self, shop: ShopId, limit: u32) -> StoreResult<Vec<Product>>;
    /// The customer with this external id, created from `new` when absent.
    async fn ensure_customer(&self, new: &Customer) -> StoreResult<Customer>;
    async fn customer_orders(
        &self,
        shop: ShopId,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<Order>>;
    async fn customer_order_stats(
        &self,
        shop: ShopId,
        customer: CustomerId,
    ) -> StoreResult<OrderStats>;
    async fn counts(&self, shop: ShopId) -> StoreResult<ShopCounts>;

    // --- conversations and the event log ------------------------------------------------------
    /// Appends events and updates the projections they imply, atomically. Fails with
    /// [`StoreError::Conflict`] if the conversation moved on since `expected_version`, and with
    /// [`StoreError::IdempotencyKeyTaken`] if the batch's idempotency key was already used.
    async fn append(&self, batch: AppendBatch) -> StoreResult<Appended>;
    async fn conversation(
        &self,
        shop: ShopId,
        id: ConversationId,
    ) -> StoreResult<Option<Conversation>>;
    async fn open_conversation_of(
        &self,
        shop: ShopId,
        customer: CustomerId,
    ) -> StoreResult<Option<Conversation>>;
    /// Conversations by latest activity, newest first.
    async fn list_conversations(
        &self,
        shop: ShopId,
        filter: ConversationFilter,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>>;
    /// The last `limit` messages of a conversation, oldest first.
    async fn messages(
        &self,
        shop: ShopId,
        conversation: ConversationId,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// The text engine's readings of a conversation's messages, oldest first.
    async fn message_analyses(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<MessageAnalysis>>;
    /// The newest conversation of a customer (open or not).
    async fn latest_conversation_of(
        &self,
        shop: ShopId,
        customer: CustomerId,
    ) -> StoreResult<Option<Conversation>>;
    async fn idempotent_response(
        &self,
        shop: ShopId,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// The log of one shop after `after_seq`, in order.
    async fn events(
        &self,
        shop: ShopId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<LoggedEvent>>;
    /// Drops and rebuilds the conversation and message projections of a shop from its log.
    // --- knowledge base and settings ----------------------------------------------------------
    /// Every entry of the shop's knowledge base, any status, oldest first.
    async fn knowledge_entries(&self, shop: ShopId) -> StoreResult<Vec<KnowledgeEntry>>;
    async fn knowledge_entry(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
    ) -> StoreResult<Option<KnowledgeEntry>>;
    /// Adds an entry; [`StoreError::Duplicate`] when its key is taken.
    async fn insert_knowledge_entry(&self, entry: &KnowledgeEntry) -> StoreResult<()>;
    /// Replaces an entry's fields and status if it is still at `expected_version` (the entry
    /// carries the new version); [`StoreError::Stale`] otherwise, [`StoreError::Duplicate`]
    /// when the new key is taken.
    async fn update_knowledge_entry(
        &self,
        entry: &KnowledgeEntry,
        expected_version: i64,
    ) -> StoreResult<()>;
    /// Removes an entry; whether it existed.
    async fn delete_knowledge_entry(&self, shop: ShopId, id: KnowledgeEntryId)
    -> StoreResult<bool>;
    /// Writes imported entries in one transaction: an entry whose key exists (or, without a
    /// key, whose id exists) replaces that entry's fields and status, keeping its id,
    /// statistics and creation time; the others are added.
    async fn import_knowledge(
        &self,
        shop: ShopId,
        entries: &[KnowledgeEntry],
    ) -> StoreResult<ImportCounts>;
    /// Adds to an entry's counters.
    async fn add_knowledge_stats(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
        delta: KnowledgeStats,
    ) -> StoreResult<()>;
    /// A shop's settings section (a JSON document), if it was ever saved.
    async fn shop_setting(&self, shop: ShopId, section: &str) -> StoreResult<Option<String>>;
    async fn put_shop_setting(
        &self,
        shop: ShopId,
        section: &str,
        body: &str,
        at: Timestamp,
    ) -> StoreResult<()>;

    // --- the bot's turns ------------------------------------------------------------------------
    /// The bot's decisions in a conversation, oldest first.
    async fn bot_turns(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<BotTurnRecord>>;
    /// The decision whose reply is this message.
    async fn bot_turn_by_reply(
        &self,
        shop: ShopId,
        reply: MessageId,
    ) -> StoreResult<Option<BotTurnRecord>>;
    /// Questions the bot handed off because no entry answered them, since `since`, newest
    /// first, at most `limit`.
    async fn unanswered_questions(
        &self,
        shop: ShopId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<BotTurnRecord>>;

    /// Proposed entries, most asked first; all of them when `status` is `None`.
    async fn knowledge_proposals(
        &self,
        shop: ShopId,
        status: Option<ProposalStatus>,
    ) -> StoreResult<Vec<KnowledgeProposal>>;
    async fn knowledge_proposal(
        &self,
        shop: ShopId,
        id: ProposalId,
    ) -> StoreResult<Option<KnowledgeProposal>>;
    /// Replaces the shop's open proposals with `proposals`; decided ones stay.
    async fn replace_open_proposals(
        &self,
        shop: ShopId,
        proposals: &[KnowledgeProposal],
    ) -> StoreResult<()>;
    /// Approves or dismisses an open proposal; `false` when it is not open (any more).
    async fn decide_proposal(
        &self,
        shop: ShopId,
        id: ProposalId,
        status: ProposalStatus,
        entry: Option<KnowledgeEntryId>,
        at: Timestamp,
    ) -> StoreResult<bool>;

    async fn rebuild_projections(&self, shop: ShopId) -> StoreResult<u64>;

    // --- routing: presence, open conversations, the log by kind -------------------------------
    /// Agents' stored statuses; an agent without one is offline.
    async fn agent_presence(&self, shop: ShopId) -> StoreResult<Vec<AgentPresence>>;
    /// Sets an agent's status and records the change, in one transaction;
    /// [`StoreError::MissingReference`] when the agent is not the shop's.
    async fn set_agent_status(
        &self,
        shop: ShopId,
        agent: AgentId,
        status: AgentStatus,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Every open conversation of the shop, oldest first.
    async fn open_conversations(&self, shop: ShopId) -> StoreResult<Vec<Conversation>>;
    /// One conversation's events, in log order.
    async fn conversation_events(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<Envelope>>;
    /// Events of these kinds (see [`Event::kind`]) at or after `since`, oldest first, at most
    /// `limit` of each kind.
    async fn events_of_kinds(
        &self,
        shop: ShopId,
        kinds: &[&str],
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Envelope>>;

    // --- tickets --------------------------------------------------------------------------------
    /// Writes a new ticket and its `created` entry in one transaction, giving the ticket the
    /// shop's next number; returns it as stored.
    async fn create_ticket(&self, ticket: &Ticket, change: &TicketChange) -> StoreResult<Ticket>;
    /// Writes a changed ticket (carrying its new version) and the change's entry in one
    /// transaction, if the stored ticket is still at `expected_version`; [`StoreError::Stale`]
    /// otherwise.
    async fn update_ticket(
        &self,
        ticket: &Ticket,
        expected_version: i64,
        change: &TicketChange,
    ) -> StoreResult<()>;
    async fn ticket(&self, shop: ShopId, id: TicketId) -> StoreResult<Option<Ticket>>;
    /// A ticket's history, oldest first.
    async fn ticket_changes(&self, shop: ShopId, id: TicketId) -> StoreResult<Vec<TicketChange>>;
    /// Tickets by due time (earliest first, those without one last, then newest), at most
    /// `limit`.
    async fn list_tickets(
        &self,
        shop: ShopId,
        filter: &TicketFilter,
        limit: u32,
    ) -> StoreResult<Vec<Ticket>>;
    /// The shop's first ticket about an order, if any.
    async fn first_ticket_for_order(
        &self,
        shop: ShopId,
        order_no: &str,
    ) -> StoreResult<Option<Ticket>>;
    /// Who first took a conversation: the agent of its first `assigned` event, and the first
    /// agent who replied in it.
    async fn first_agents(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<FirstAgents>;
    /// Open and in-progress tickets due by `until` that may still need a reminder, with the
    /// reminders each already got for its current due time; earliest due first.
    async fn tickets_due(&self, shop: ShopId, until: Timestamp) -> StoreResult<Vec<DueTicket>>;
    /// Records a `reminded` entry unless the same reminder (ticket, kind, due time) is already
    /// recorded; whether it was new.
    async fn record_ticket_reminder(
        &self,
        shop: ShopId,
        change: &TicketChange,
    ) -> StoreResult<bool>;

    // --- supervisor alerts ----------------------------------------------------------------------
    /// The open (not resolved) alert of this kind and subject, if there is one.
    async fn open_alert(
        &self,
        shop: ShopId,
        kind: AlertKind,
        subject: &str,
    ) -> StoreResult<Option<Alert>>;
    /// Writes a new alert and its `raised` entry in one transaction; [`StoreError::Duplicate`]
    /// when an open alert of the same kind and subject exists (bump that one instead).
    async fn insert_alert(&self, alert: &Alert, change: &AlertChange) -> StoreResult<()>;
    /// Writes a changed alert (carrying its new version) and the entries recording the change
    /// in one transaction, if the stored alert is still at `expected_version`;
    /// [`StoreError::Stale`] otherwise.
    async fn update_alert(
        &self,
        alert: &Alert,
        expected_version: i64,
        changes: &[AlertChange],
    ) -> StoreResult<()>;
    /// Records an entry that does not change the alert (a failed delivery).
    async fn record_alert_change(&self, shop: ShopId, change: &AlertChange) -> StoreResult<()>;
    async fn alert(&self, shop: ShopId, id: AlertId) -> StoreResult<Option<Alert>>;
    /// An alert's history, oldest first.
    async fn alert_changes(&self, shop: ShopId, id: AlertId) -> StoreResult<Vec<AlertChange>>;
    /// Alerts newest first, only the open ones when `open_only`, at most `limit`.
    async fn list_alerts(
        &self,
        shop: ShopId,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<Alert>>;
    /// Adds `by` to an hourly tally (`hour` is the hour's start); the new count.
    async fn add_tally(
        &self,
        shop: ShopId,
        metric: &str,
        hour: Timestamp,
        by: i64,
    ) -> StoreResult<i64>;
    /// The tallies of these hours, in the same order (0 where nothing was counted).
    async fn tallies(
        &self,
        shop: ShopId,
        metric: &str,
        hours: &[Timestamp],
    ) -> StoreResult<Vec<i64>>;

    // --- conversation QA ------------------------------------------------------------------------
    /// Writes a conversation's score: new when `expected_version` is `None`
    /// ([`StoreError::Duplicate`] if one exists), else replacing the stored one if it is still at
    /// that version ([`StoreError::Stale`] otherwise). Reviews and appeals stay.
    async fn put_qa_score(
        &self,
        score: &QaScoreRecord,
        expected_version: Option<i64>,
    ) -> StoreResult<()>;
    async fn qa_score(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Option<QaScoreRecord>>;
    /// Scores by close time, newest first, at most `limit`.
    async fn qa_scores(
        &self,
        shop: ShopId,
        filter: &QaScoreFilter,
        limit: u32,
    ) -> StoreResult<Vec<QaScoreRecord>>;
    /// Each agent's number of scores and mean effective total in the filter's range.
    async fn qa_agent_averages(
        &self,
        shop: ShopId,
        filter: &QaScoreFilter,
    ) -> StoreResult<Vec<QaAgentAverage>>;
    /// The customer's most recently closed scored conversation closed at or after `since`.
    async fn latest_qa_score_of_customer(
        &self,
        shop: ShopId,
        customer: CustomerId,
        since: Timestamp,
    ) -> StoreResult<Option<QaScoreRecord>>;
    /// Records an override and the score's new effective total in one transaction;
    /// [`StoreError::Stale`] when the score moved on, [`StoreError::MissingReference`] when
    /// there is no score.
    async fn add_qa_review(&self, change: QaOverride<'_>) -> StoreResult<()>;
    /// A conversation's overrides, oldest first.
    async fn qa_reviews(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<QaReview>>;
    /// Records an appeal; [`StoreError::Duplicate`] when the conversation already has one.
    async fn insert_qa_appeal(&self, appeal: &QaAppeal) -> StoreResult<()>;
    async fn qa_appeal(&self, shop: ShopId, id: QaAppealId) -> StoreResult<Option<QaAppeal>>;
    async fn qa_appeal_of(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Option<QaAppeal>>;
    /// Appeals oldest first (all of them when `status` is `None`), at most `limit`.
    async fn qa_appeals(
        &self,
        shop: ShopId,
        status: Option<QaAppealStatus>,
        limit: u32,
    ) -> StoreResult<Vec<QaAppeal>>;
    /// Writes an open appeal's decision (the appeal carries it) and, for an accepted one, the
    /// override it makes, in one transaction. `false` when the appeal was not open (any more);
    /// [`StoreError::Stale`] when the score moved on.
    async fn decide_qa_appeal(
        &self,
        decided: &QaAppeal,
        change: Option<QaOverride<'_>>,
    ) -> StoreResult<bool>;
    /// Tickets about a conversation that are open or in progress.
    async fn open_tickets_of_conversation(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<u64>;
}

/// Which tickets [`Store::list_tickets`] returns; every part narrows the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TicketFilter {
    /// `None`: every ticket that is not closed.
    pub status: Option<TicketStatusFilter>,
    pub department: Option<Department>,
    pub owner: Option<AgentId>,
    /// Only open or in-progress tickets whose due time is at or before this.
    pub overdue_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatusFilter {
    Only(TicketStatus),
    All,
}

/// See [`Store::first_agents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FirstAgents {
    pub assigned: Option<AgentId>,
    pub replied: Option<AgentId>,
}

/// See [`Store::tickets_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTicket {
    pub ticket: Ticket,
    pub sent: Vec<(ReminderKind, Timestamp)>,
}
