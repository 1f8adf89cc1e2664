//! The bot's decision for one shopper message: answer, ask a closed question, or hand off to a
//! person with a reason.
//!
//! The seeds' warning is over-automation: a bot that keeps a shopper who wants a person, or
//! answers a question it did not understand, raises complaints. So the checks that send a
//! shopper to a person come first, and the bot answers only when the ranker is confident and
//! no other entry is close; two close candidates make it ask which one is meant; anything
//! else goes to a person at once. Repeated misses (clarifications the shopper had to answer,
//! answers marked unhelpful) end the bot's turn too.

use kefu_text::analysis::Analysis;
use kefu_text::lexicon::{Emotion, LexiconKind};
use serde::{Deserialize, Serialize};

use crate::index::Candidate;
pub use kefu_domain::HandOffReason;

/// A shop's bot thresholds. Probabilities are the ranker's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BotSettings {
    /// The best candidate's probability needed to answer.
    pub answer_threshold: f32,
    /// Both of the two best candidates at least this probable → ask which one is meant.
    pub clarify_threshold: f32,
    /// Above the answer threshold, the runner-up must trail by at least this much, or the bot
    /// asks instead of guessing.
    pub clarify_margin: f32,
    /// Anger or disappointment at least this intense goes to a person.
    pub negative_emotion_intensity: f32,
    /// This many misses in a row hand off (the third by default).
    pub max_misses: u32,
    /// VIP customers go straight to a person.
    pub vip_to_human: bool,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            answer_threshold: 0.5,
            clarify_threshold: 0.25,
            clarify_margin: 0.2,
            negative_emotion_intensity: 0.6,
            max_misses: 3,
            vip_to_human: true,
        }
    }
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

impl BotSettings {
    /// Checks the values make sense together.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let unit = |name: &str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(SettingsError(format!(
                    "{name} must be between 0 and 1, not {v}"
                )))
            }
        };
        unit("answer_threshold", self.answer_threshold)?;
        unit("clarify_threshold", self.clarify_threshold)?;
        unit("clarify_margin", self.clarify_margin)?;
        unit(
            "negative_emotion_intensity",
            self.negative_emotion_intensity,
        )?;
        if self.clarify_threshold > self.answer_threshold {
            return Err(SettingsError(
                "clarify_threshold must not exceed answer_threshold".to_owned(),
            ));
        }
        if !(1..=10).contains(&self.max_misses) {
            return Err(SettingsError(
                "max_misses must be between 1 and 10".to_owned(),
            ));
        }
        Ok(())
    }
}

/// What the bot knows when it decides.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    /// The text engine's reading of the shopper's message.
    pub analysis: &'a Analysis,
    /// Retrieval's candidates, best first.
    pub candidates: &'a [Candidate],
    /// Misses in a row before this message.
    pub misses: u32,
    pub vip: bool,
}

/// The bot's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Decision {
    /// Answer with this entry.
    Answer { entry: String, confidence: f32 },
    /// Ask which of two entries is meant.
    Clarify {
        options: [String; 2],
        confidence: f32,
    },
    HandOff {
        reason: HandOffReason,
        confidence: f32,
    },
}

impl Decision {
    pub fn action(&self) -> &'static str {
        match self {
            Decision::Answer { .. } => "answer",
            Decision::Clarify { .. } => "clarify",
            Decision::HandOff { .. } => "hand_off",
        }
    }

    /// Whether this turn counts as a miss toward `repeated_miss`.
    pub fn is_miss(&self) -> bool {
        matches!(self, Decision::Clarify { .. })
    }
}

/// Sensitive categories that mean the shopper is upset or threatening, whatever the emotion
/// model reads: a complaint, a regulator, a lawyer, the media, abuse.
const UPSET_CATEGORIES: &[&str] = &["complaint", "regulator", "legal", "media", "abuse"];

/// Decides what the bot does with one message.
pub fn decide(settings: &BotSettings, turn: &Turn<'_>) -> Decision {
    let confidence = turn.candidates.first().map_or(0.0, |c| c.probability);
    let hand_off = |reason| Decision::HandOff { reason, confidence };
    let analysis = turn.analysis;
    if analysis.asks_for_human() {
        return hand_off(HandOffReason::CustomerRequest);
    }
    if analysis.hits_of(LexiconKind::HumanOnly).next().is_some() {
        return hand_off(HandOffReason::HumanOnlyTopic);
    }
    if turn.vip && settings.vip_to_human {
        return hand_off(HandOffReason::Vip);
    }
    let upset_emotion = matches!(
        analysis.emotion.label,
        Some(Emotion::Anger | Emotion::Disappointment)
    ) && analysis.emotion.intensity >= settings.negative_emotion_intensity;
    let upset_words = analysis
        .hits_of(LexiconKind::Sensitive)
        .any(|h| h.severity >= 2 && UPSET_CATEGORIES.contains(&h.category));
    if upset_emotion || upset_words {
        return hand_off(HandOffReason::NegativeEmotion);
    }
    let miss = |decision: Decision| {
        if turn.misses + 1 >= settings.max_misses {
            hand_off(HandOffReason::RepeatedMiss)
        } else {
            decision
        }
    };
    let Some(best) = turn.candidates.first() else {
        return hand_off(HandOffReason::LowConfidence);
    };
    let runner_up = turn.candidates.get(1).map_or(0.0, |c| c.probability);
    let close = runner_up >= settings.clarify_threshold
        && best.probability - runner_up < settings.clarify_margin;
    if best.probability >= settings.answer_threshold && !close {
        return Decision::Answer {
            entry: best.id.clone(),
            confidence,
        };
    }
    if best.probability >= settings.clarify_threshold && runner_up >= settings.clarify_threshold {
        let second = &turn.candidates[1];
        return miss(Decision::Clarify {
            options: [best.id.clone(), second.id.clone()],
            confidence,
        });
    }
    hand_off(HandOffReason::LowConfidence)
}
