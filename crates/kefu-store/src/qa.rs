//! Conversation QA (质检) rows: a closed conversation's score, supervisors' overrides of its
//! items and the agent's one appeal. The store keeps the scorer's items and rubric as JSON it
//! does not read; what a score means is `kefu_engine::qa::score`'s.

use kefu_domain::*;

/// A conversation's QA score as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaScoreRecord {
    pub shop: ShopId,
    pub conversation: ConversationId,
    pub customer: CustomerId,
    /// Whose work it scores; `None` when no agent ever held the conversation.
    pub agent: Option<AgentId>,
    pub closed_at: Timestamp,
    pub scored_at: Timestamp,
    /// The scorer's total, 0–100.
    pub auto_total: i64,
    /// The effective total, after the supervisors' overrides.
    pub total: i64,
    /// The scorer's items, JSON.
    pub items: String,
    /// The rubric's weights it used, JSON.
    pub rubric: String,
    pub rubric_version: i64,
    /// Counts writes, for compare-and-set.
    pub version: i64,
}

/// A supervisor's override of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaReview {
    pub id: QaReviewId,
    pub shop: ShopId,
    pub conversation: ConversationId,
    /// The rubric item's name (`timeliness`, `politeness` …).
    pub item: String,
    /// 0–100.
    pub score: i64,
    pub comment: String,
    pub reviewer: AgentId,
    pub at: Timestamp,
    /// The appeal this override decided, if it did.
    pub appeal: Option<QaAppealId>,
}

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QaAppealStatus {
    Open,
    Accepted,
    Rejected,
}

impl QaAppealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QaAppealStatus::Open => "open",
            QaAppealStatus::Accepted => "accepted",
            QaAppealStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Accepted, Self::Rejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An agent's appeal (申诉) against one item of a score, and its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaAppeal {
    pub id: QaAppealId,
    pub shop: ShopId,
    pub conversation: ConversationId,
    pub agent: AgentId,
    pub item: String,
    pub reason: String,
    pub created_at: Timestamp,
    pub status: QaAppealStatus,
    pub decided_by: Option<AgentId>,
    /// The supervisor's comment.
    pub decision: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// Which scores [`crate::Store::qa_scores`] returns; every part narrows the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QaScoreFilter {
    pub agent: Option<AgentId>,
    /// Closed at or after.
    pub from: Option<Timestamp>,
    /// Closed before.
    pub to: Option<Timestamp>,
}

/// One agent's scores in a [`QaScoreFilter`]'s range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QaAgentAverage {
    pub agent: AgentId,
    pub conversations: i64,
    /// Mean effective total.
    pub average: f64,
}

/// An override written with the score's new effective total, if the score is still at
/// `expected_version`.
#[derive(Debug, Clone, Copy)]
pub struct QaOverride<'a> {
    pub review: &'a QaReview,
    pub total: i64,
    pub expected_version: i64,
}
