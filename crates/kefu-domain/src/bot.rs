//! What the bot did in a conversation, as the log records it: one decision per shopper message
//! it served (answer, ask which of two entries is meant, or hand off with a reason), and the
//! shopper's verdict on an answer.
//!
//! Confidences are stored in thousandths so events stay exactly comparable and replayable.

use crate::ids::KnowledgeEntryId;
use crate::model::named_enum;
use serde::{Deserialize, Serialize};

named_enum!(
    /// Why the bot handed a conversation to a person. Stable names: stored, sent and counted.
    HandOffReason {
        /// The shopper asked for a person (转人工).
        CustomerRequest = "customer_request",
        /// Funds safety, product defects, privacy: never answered by the bot.
        HumanOnlyTopic = "human_only_topic",
        /// Anger, disappointment, complaints and threats (12315, 律师, 曝光).
        NegativeEmotion = "negative_emotion",
        /// The bot missed several times in a row.
        RepeatedMiss = "repeated_miss",
        /// No entry is likely enough to answer.
        LowConfidence = "low_confidence",
        /// The shop serves this customer by people only.
        Vip = "vip",
        /// The bot failed; a person takes over rather than leave the shopper waiting.
        BotError = "bot_error",
    }
);

impl HandOffReason {
    /// Whether the shopper's question went unanswered because the knowledge base lacks it
    /// (rather than because a person was wanted): such questions feed entry proposals.
    pub fn means_unanswered(self) -> bool {
        matches!(
            self,
            HandOffReason::LowConfidence | HandOffReason::RepeatedMiss
        )
    }
}

/// A probability in thousandths (0..=1000).
pub type Permille = u16;

/// A probability in [0, 1] as thousandths, clamped.
pub fn permille(p: f32) -> Permille {
    if p.is_nan() {
        return 0;
    }
    (p.clamp(0.0, 1.0) * 1000.0).round() as Permille
}

/// What the agent who takes over needs at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOffSummary {
    /// What the shopper is asking about: the closest entry's first tag or question, or the
    /// sensitive category that sent them to a person.
    pub topic: Option<String>,
    /// The shopper's last message.
    pub question: String,
    /// The shopper's emotion when handed off (`anger`, `anxiety` …), if one was read.
    pub emotion: Option<String>,
    /// The shopper's latest order: number and status (`TB2026… · shipped`).
    pub order: Option<String>,
}

/// The bot's decision on one shopper message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BotDecision {
    /// Answered with this entry.
    Answer {
        entry: KnowledgeEntryId,
        confidence: Permille,
    },
    /// Asked which of two entries the shopper meant.
    Clarify {
        options: [KnowledgeEntryId; 2],
        confidence: Permille,
    },
    /// Gave the conversation to a person.
    HandOff {
        reason: HandOffReason,
        confidence: Permille,
        /// The entry the bot last answered with in this conversation: its answer did not end
        /// the contact, which counts against the entry.
        after: Option<KnowledgeEntryId>,
        summary: HandOffSummary,
    },
}

impl BotDecision {
    pub fn action(&self) -> &'static str {
        match self {
            BotDecision::Answer { .. } => "answer",
            BotDecision::Clarify { .. } => "clarify",
            BotDecision::HandOff { .. } => "hand_off",
        }
    }

    pub fn confidence(&self) -> Permille {
        match self {
            BotDecision::Answer { confidence, .. }
            | BotDecision::Clarify { confidence, .. }
            | BotDecision::HandOff { confidence, .. } => *confidence,
        }
    }

    /// The entries the decision names: the answer, the two options, or none.
    pub fn entries(&self) -> Vec<KnowledgeEntryId> {
        match self {
            BotDecision::Answer { entry, .. } => vec![*entry],
            BotDecision::Clarify { options, .. } => options.to_vec(),
            BotDecision::HandOff { .. } => Vec::new(),
        }
    }

    pub fn reason(&self) -> Option<HandOffReason> {
        match self {
            BotDecision::HandOff { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

/// A hand-off as the conversation keeps it for the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOff {
    pub reason: HandOffReason,
    pub summary: HandOffSummary,
}

/// What a conversation remembers of the bot's turns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotMemory {
    /// Misses in a row: questions the bot had to ask back, answers marked unhelpful.
    pub misses: u32,
    /// The entry of the bot's latest answer.
    pub last_answer: Option<KnowledgeEntryId>,
    /// The two entries the bot just asked the shopper to choose between.
    pub pending: Option<[KnowledgeEntryId; 2]>,
    /// Why and with what the bot handed the conversation to people.
    pub hand_off: Option<HandOff>,
}

impl BotMemory {
    /// Whether nothing is remembered (stored as no value).
    pub fn is_empty(&self) -> bool {
        *self == BotMemory::default()
    }

    /// Folds one decision in.
    pub fn decided(&mut self, decision: &BotDecision) {
        match decision {
            BotDecision::Answer { entry, .. } => {
                self.misses = 0;
                self.last_answer = Some(*entry);
                self.pending = None;
            }
            BotDecision::Clarify { options, .. } => {
                self.misses = self.misses.saturating_add(1);
                self.pending = Some(*options);
            }
            BotDecision::HandOff {
                reason, summary, ..
            } => {
                self.misses = 0;
                self.pending = None;
                self.hand_off = Some(HandOff {
                    reason: *reason,
                    summary: summary.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permille_is_clamped_and_rounded() {
        assert_eq!(permille(0.8765), 877);
        assert_eq!(permille(-1.0), 0);
        assert_eq!(permille(3.0), 1000);
        assert_eq!(permille(f32::NAN), 0);
    }

    #[test]
    fn misses_count_clarifications_and_reset_on_answer_and_hand_off() {
        let a = KnowledgeEntryId::new();
        let b = KnowledgeEntryId::new();
        let mut m = BotMemory::default();
        assert!(m.is_empty());
        let clarify = BotDecision::Clarify {
            options: [a, b],
            confidence: 400,
        };
        m.decided(&clarify);
        m.decided(&clarify);
        assert_eq!(m.misses, 2);
        m.decided(&BotDecision::Answer {
            entry: a,
            confidence: 900,
        });
        assert_eq!((m.misses, m.last_answer), (0, Some(a)));
        m.decided(&clarify);
        m.decided(&BotDecision::HandOff {
            reason: HandOffReason::RepeatedMiss,
            confidence: 300,
            after: Some(a),
            summary: HandOffSummary {
                topic: None,
                question: "在吗".into(),
                emotion: None,
                order: None,
            },
        });
        assert_eq!(m.misses, 0);
        assert_eq!(
            m.hand_off.as_ref().map(|h| h.reason),
            Some(HandOffReason::RepeatedMiss)
        );
    }

    #[test]
    fn decisions_serialise_with_stable_names() {
        let d = BotDecision::HandOff {
            reason: HandOffReason::Vip,
            confidence: 0,
            after: None,
            summary: HandOffSummary {
                topic: Some("物流".into()),
                question: "到哪了".into(),
                emotion: None,
                order: None,
            },
        };
        let json = serde_json::to_value(&d).expect("serialises");
        assert_eq!(json["action"], "hand_off");
        assert_eq!(json["reason"], "vip");
        let back: BotDecision = serde_json::from_value(json).expect("parses");
        assert_eq!(back, d);
        for r in HandOffReason::ALL {
            assert_eq!(HandOffReason::parse(r.as_str()), Some(*r));
        }
    }
}
