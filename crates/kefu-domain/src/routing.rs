//! The vocabulary of people serving conversations: how a conversation waits for a person, why it
//! was sent back, and the SLA clocks' warnings and breaches as the log records them. The
//! policies that decide these (who is eligible, when a clock runs) live in `kefu-engine`.

use crate::ids::AgentId;
use crate::model::{Priority, Tier, named_enum};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

// `named_enum!` declares Priority and derives no Default, so it is written out here.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Priority::Normal
    }
}

/// Where and how urgently a conversation is to wait for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRequest {
    pub tier: Tier,
    pub priority: Priority,
    /// The skill group (售前, 售后, 物流 …) its topic calls for, if any.
    pub skill: Option<String>,
    /// Set when it arrived outside staffed hours: an offline message (留言) to be answered by
    /// then rather than within the live clocks.
    pub due: Option<Timestamp>,
}

impl QueueRequest {
    /// The standard agents' queue at normal priority.
    pub fn standard() -> Self {
        QueueRequest {
            tier: Tier::Standard,
            priority: Priority::Normal,
            skill: None,
            due: None,
        }
    }
}

named_enum!(
    /// Why a conversation left its agent for the queue again.
    SendBackReason {
        /// The agent stayed silent past the shop's limit.
        Silent = "silent",
        /// The agent went offline.
        Offline = "offline",
    }
);

/// A conversation taken from its agent and put back at the front of its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendBack {
    pub agent: AgentId,
    pub reason: SendBackReason,
}

/// A conversation waiting for a person: the request it waits under, since when, and whether it
/// was sent back (which puts it ahead of those at its priority that were not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub tier: Tier,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_back: Option<SendBack>,
    pub since: Timestamp,
}

named_enum!(
    /// Which SLA clock.
    SlaClock {
        /// The first human reply of the conversation (15 s).
        FirstResponse = "first_response",
        /// A later burst's reply (40 s).
        ReplyInterval = "reply_interval",
        /// The 3-minute reply of a burst in the platform's counted hours.
        ThreeMinute = "three_minute",
        /// An offline message's reply, due at the shop's set time of the next staffed day.
        OfflineReply = "offline_reply",
    }
);

named_enum!(
    /// How far along a clock is.
    SlaLevel {
        /// Most of the target is gone (80 %): the agent is warned.
        Warning = "warning",
        /// The target passed: recorded and counted.
        Breach = "breach",
    }
);

named_enum!(
    /// Why a conversation was made more urgent while it runs.
    RaiseReason {
        /// Negative emotion words passed the shop's share of the shopper's text (3 % by default).
        NegativeWords = "negative_words",
        /// One shopper message fell far below the mood before it (the emotion curve's strong
        /// negative turn).
        StrongNegativeTurn = "strong_negative_turn",
    }
);

/// A conversation made more urgent while it runs (情绪升级): the priority it was raised to, why
/// and when. A waiting conversation never waits below it; a held one shows it to its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub priority: Priority,
    pub reason: RaiseReason,
    pub at: Timestamp,
}

/// A warning or breach, as the log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlaSignal {
    pub clock: SlaClock,
    pub level: SlaLevel,
    /// When the burst it belongs to started.
    pub burst: Timestamp,
    /// When it became due.
    pub at: Timestamp,
    /// The agent who held the conversation then, if anyone did.
    pub agent: Option<AgentId>,
}
