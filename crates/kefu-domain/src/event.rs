//! The append-only event log. Everything that happens to a conversation is one of these,
//! appended once and never changed; conversation state is a fold over them
//! (see [`crate::conversation::replay`]).

use crate::bot::BotDecision;
use crate::conversation::ConversationState;
use crate::ids::*;
use crate::model::{Channel, Message, Priority, Sender, Tier};
use crate::routing::{RaiseReason, SendBack, SlaSignal};
use crate::text::MessageText;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A shopper started a new conversation (their first message, or the first after a close).
    ConversationOpened {
        conversation: ConversationId,
        customer: CustomerId,
        channel: Channel,
        /// The platform for webhook conversations (taobao, douyin, jd, pdd …).
        platform: Option<String>,
        state: ConversationState,
        tier: Tier,
    },
    /// A message was added to a conversation.
    MessagePosted {
        conversation: ConversationId,
        message: MessageId,
        sender: Sender,
        text: MessageText,
    },
    /// The conversation waits in a tier's queue (a hand-off, an opening without the bot, a
    /// transfer to a group, or sent back from a silent or departed agent).
    Queued {
        conversation: ConversationId,
        tier: Tier,
        #[serde(default)]
        priority: Priority,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skill: Option<String>,
        /// An offline message (留言), due then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent_back: Option<SendBack>,
    },
    /// An agent took (or was given) the conversation.
    Assigned {
        conversation: ConversationId,
        agent: AgentId,
    },
    /// An agent passed the conversation on, with the reason; the `Assigned` (to an agent) or
    /// `Queued` (to a group or tier) that follows says where. Counted in the transfer rate.
    Transferred {
        conversation: ConversationId,
        by: AgentId,
        /// Who held it before, if anyone did.
        from: Option<AgentId>,
        reason: String,
    },
    /// An SLA clock warned or breached.
    SlaSignaled {
        conversation: ConversationId,
        signal: SlaSignal,
    },
    /// The conversation was made more urgent (the shopper's emotion escalated): a waiting
    /// conversation moves up its queue, a held one is marked for its agent. Once per
    /// conversation and priority.
    PriorityRaised {
        conversation: ConversationId,
        priority: Priority,
        reason: RaiseReason,
    },
    /// The conversation ended.
    Closed {
        conversation: ConversationId,
        by: Sender,
    },
    /// The bot decided what to do with a shopper's message; its reply (the answer, the
    /// question back, or the hand-off notice) is the `MessagePosted` that follows.
    BotDecided {
        conversation: ConversationId,
        /// The shopper's message decided on.
        question: MessageId,
        /// The bot's reply to it.
        reply: MessageId,
        decision: BotDecision,
    },
    /// The shopper said whether a bot answer helped.
    BotRated {
        conversation: ConversationId,
        /// The bot's answer message.
        reply: MessageId,
        entry: KnowledgeEntryId,
        helpful: bool,
    },
}

impl Event {
    /// The stored kind of SLA signals, for reading them back by kind.
    pub const SLA_SIGNALED: &'static str = "sla_signaled";

    pub fn conversation(&self) -> ConversationId {
        match self {
            Event::ConversationOpened { conversation, .. }
            | Event::MessagePosted { conversation, .. }
            | Event::Queued { conversation, .. }
            | Event::Assigned { conversation, .. }
            | Event::Closed { conversation, .. }
            | Event::BotDecided { conversation, .. }
            | Event::BotRated { conversation, .. }
            | Event::Transferred { conversation, .. }
            | Event::SlaSignaled { conversation, .. }
            | Event::PriorityRaised { conversation, .. } => *conversation,
        }
    }

    /// The stable name stored beside the payload, for querying the log without parsing it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ConversationOpened { .. } => "conversation_opened",
            Event::MessagePosted { .. } => "message_posted",
            Event::Queued { .. } => "queued",
            Event::Assigned { .. } => "assigned",
            Event::Closed { .. } => "closed",
            Event::BotDecided { .. } => "bot_decided",
            Event::BotRated { .. } => "bot_rated",
            Event::Transferred { .. } => "transferred",
            Event::SlaSignaled { .. } => Event::SLA_SIGNALED,
            Event::PriorityRaised { .. } => "priority_raised",
        }
    }
}

/// An event with its identity, tenant and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: EventId,
    pub shop: ShopId,
    pub at: Timestamp,
    pub event: Event,
}

impl Envelope {
    /// The message this envelope posts, if it is a `MessagePosted`.
    pub fn message(&self) -> Option<Message> {
        match &self.event {
            Event::MessagePosted {
                conversation,
                message,
                sender,
                text,
            } => Some(Message {
                id: *message,
                shop: self.shop,
                conversation: *conversation,
                sender: *sender,
                text: text.clone(),
                at: self.at,
            }),
            _ => None,
        }
    }

    pub fn new(shop: ShopId, at: Timestamp, event: Event) -> Self {
        Self {
            id: EventId::new(),
            shop,
            at,
            event,
        }
    }
}
