//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so primary keys stay index friendly)
//! wrapped in its own type, so an `AgentId` can never be passed where a `CustomerId` is meant.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),+ $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (from storage or a deterministic generator).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )+};
}

id_type!(
    /// A shop (tenant). Every other row belongs to exactly one shop.
    ShopId,
    /// A person who serves shoppers: agent, expert, supervisor or admin.
    AgentId,
    /// A shopper known to the shop (from a platform, the widget or an import).
    CustomerId,
    /// A product in the shop's catalogue.
    ProductId,
    /// An order placed by a customer.
    OrderId,
    /// One shopper's contact, from first message to close.
    ConversationId,
    /// One message inside a conversation.
    MessageId,
    /// One entry of the append-only event log.
    EventId,
    /// One entry of a shop's knowledge base (知识库).
    KnowledgeEntryId,
    /// A proposed knowledge-base entry, clustered from questions the bot could not answer.
    ProposalId,
    /// A ticket (工单): work a chat cannot finish, owned by the agent who first took the case.
    TicketId,
    /// A supervisor alert (告警): raised, delivered, acknowledged, resolved.
    AlertId,
    /// A supervisor's override of one item of a conversation's QA score.
    QaReviewId,
    /// An agent's appeal (申诉) against a conversation's QA score.
    QaAppealId,
);
