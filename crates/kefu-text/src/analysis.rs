//! The one analysis step every message goes through, and the emotion curve of a conversation.
//!
//! [`Analyzer::analyze`] normalises the text, segments it, matches the lexicons, extracts
//! entities and reads sentiment and emotion. The bot, routing, quality inspection, rules and
//! dashboards all read its [`Analysis`] rather than the raw text.

use std::sync::Arc;

use serde::Serialize;

use crate::entities::{Entity, EntityExtractor, EntityKind};
use crate::lexicon::{Emotion, Entry, Hit, LexiconError, LexiconKind, LexiconSet};
use crate::normalize::{Normalized, normalize};
use crate::segment::Segmenter;
use crate::sentiment::{self, Prediction, SentimentLabel, SentimentModel};

/// What kefu reads in one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub normalized: String,
    pub tokens: Vec<String>,
    pub hits: Vec<Hit>,
    pub entities: Vec<Entity>,
    pub sentiment: Sentiment,
    pub emotion: EmotionReading,
}

impl Analysis {
    /// Hits of one lexicon.
    pub fn hits_of(&self, kind: LexiconKind) -> impl Iterator<Item = &Hit> {
        self.hits.iter().filter(move |h| h.lexicon == kind)
    }

    /// Whether the shopper asked for a person (转人工).
    pub fn asks_for_human(&self) -> bool {
        self.hits_of(LexiconKind::Transfer).next().is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    /// In [-1, 1]: -1 very negative, 1 very positive.
    pub score: f32,
}

impl Sentiment {
    /// The label as stored and sent: `negative`, `neutral` or `positive`.
    pub fn label_name(&self) -> &'static str {
        match self.label {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }
}

/// The dominant emotion of a message and how strong it is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EmotionReading {
    /// `None` when the message shows no emotion (serialised as `null`).
    pub label: Option<Emotion>,
    /// In [0, 1].
    pub intensity: f32,
}

/// Normalise → segment → lexicons → entities → sentiment and emotion. Build once (jieba's
/// dictionary and the model load in ~100 ms) and share; a shop's analyser is a copy with its
/// own words and lexicon entries.
#[derive(Debug, Clone)]
pub struct Analyzer {
    segmenter: Segmenter,
    lexicons: Arc<LexiconSet>,
    entities: Arc<EntityExtractor>,
    model: Arc<SentimentModel>,
    version: String,
}

impl Analyzer {
    /// The bundled lexicons and sentiment model.
    pub fn bundled() -> Result<Analyzer, LexiconError> {
        Ok(Analyzer {
            segmenter: Segmenter::new(),
            lexicons: Arc::new(LexiconSet::bundled()?),
            entities: Arc::new(EntityExtractor::new()),
            model: Arc::new(SentimentModel::bundled()),
            version: format!("kefu-text/{}", env!("CARGO_PKG_VERSION")),
        })
    }

    /// A copy that also knows a shop's words (product names, brands, SKU words) and lexicon
    /// entries. `revision` names the shop's configuration in [`Analyzer::version`].
    pub fn for_shop<'a>(
        &self,
        words: impl IntoIterator<Item = &'a str>,
        entries: &[(LexiconKind, Entry)],
        innocent: &[(LexiconKind, String)],
        revision: &str,
    ) -> Result<Analyzer, LexiconError> {
        let lexicons = if entries.is_empty() && innocent.is_empty() {
            self.lexicons.clone()
        } else {
            Arc::new(LexiconSet::with_entries(entries, innocent)?)
        };
        Ok(Analyzer {
            segmenter: self.segmenter.with_words(words),
            lexicons,
            entities: self.entities.clone(),
            model: self.model.clone(),
            version: format!("{}+shop:{revision}", self.version),
        })
    }

    /// The same analyser with another sentiment model (for evaluating a retrained one).
    pub fn with_model(&self, model: SentimentModel) -> Analyzer {
        Analyzer {
            model: Arc::new(model),
            version: format!("{}+model:custom", self.version),
            ..self.clone()
        }
    }

    /// Which code, lexicons and model produced an analysis; stored beside it.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn lexicons(&self) -> &LexiconSet {
        &self.lexicons
    }

    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    pub fn model(&self) -> &SentimentModel {
        &self.model
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        let normalized = normalize(text);
        let tokens = self.segmenter.cut(&normalized.text);
        let hits = self.lexicons.find(&normalized);
        let entities = self.entities.extract(&normalized);
        let prediction = match without_identifiers(&normalized, &entities) {
            None => self.model.predict(&normalized.text, &tokens),
            Some(text) => self.model.predict(&text, &self.segmenter.cut(&text)),
        };
        let emotion = read_emotion(&hits, text);
        let sentiment = blend_sentiment(&prediction, &hits);
        Analysis {
            tokens: tokens.into_iter().map(str::to_owned).collect(),
            normalized: normalized.text,
            hits,
            entities,
            sentiment,
            emotion,
        }
    }
}

/// The normalised text without order numbers, tracking numbers and phones, or `None` when it
/// has none. Identifiers carry no sentiment, but reviews mention them mostly in complaints,
/// so the model would read `订单号2038…` as negative.
fn without_identifiers(normalized: &Normalized, entities: &[Entity]) -> Option<String> {
    let spans: Vec<(usize, usize)> = entities
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EntityKind::OrderNo | EntityKind::TrackingNo | EntityKind::Phone
            )
        })
        .map(|e| (e.start, e.end))
        .collect();
    if spans.is_empty() {
        return None;
    }
    Some(
        normalized
            .text
            .chars()
            .zip(&normalized.origin)
            .filter(|(_, at)| !spans.iter().any(|(s, e)| (*s..*e).contains(*at)))
            .map(|(c, _)| c)
            .collect(),
    )
}

/// The emotion words found, plus what the sensitive words say about the shopper's temper
/// (an insult is anger; a threat to go to 12315 or the press is anger too). Exclamation and
/// repeated question marks make a message more intense.
fn read_emotion(hits: &[Hit], original: &str) -> EmotionReading {
    let mut weight = [0u32; 5];
    for hit in hits {
        let (emotion, strength) = match hit.lexicon {
            LexiconKind::Emotion => match Emotion::parse(hit.category) {
                Some(e) => (e, u32::from(hit.severity)),
                None => continue,
            },
            LexiconKind::Sensitive => match hit.category {
                "abuse" => (Emotion::Anger, 3),
                "regulator" | "media" | "legal" | "complaint" => (Emotion::Anger, 2),
                "fraud" => (Emotion::Anger, 1),
                _ => continue,
            },
            _ => continue,
        };
        weight[emotion as usize] += strength;
    }
    let Some((index, &strongest)) = weight
        .iter()
        .enumerate()
        .max_by_key(|(i, w)| (**w, std::cmp::Reverse(*i)))
        .filter(|(_, w)| **w > 0)
    else {
        return EmotionReading {
            label: None,
            intensity: 0.0,
        };
    };
    let emphasis = original
        .chars()
        .filter(|c| matches!(c, '!' | '！'))
        .count()
        .min(3) as f32
        * 0.1;
    EmotionReading {
        label: Some(Emotion::ALL[index]),
        intensity: (strongest as f32 / 3.0 + emphasis).min(1.0),
    }
}

/// The model reads reviews well but knows little of short chat lines (`气死了`, `谢谢亲`);
/// the emotion lexicon knows those. The two are mixed by how much each has to say: the
/// lexicon's weight is its hits' total intensity against half the model's evidence, so on a
/// review (evidence 10–100) the model leads, and on a three-word chat line the lexicon does.
/// Without lexicon hits the model's own reading stands, a neutral one kept inside the band.
fn blend_sentiment(prediction: &Prediction, hits: &[Hit]) -> Sentiment {
    let (label, score) = sentiment::label(prediction);
    let mut positive = 0.0f32;
    let mut negative = 0.0f32;
    for hit in hits {
        let strength = f32::from(hit.severity);
        match hit.lexicon {
            LexiconKind::Emotion => match Emotion::parse(hit.category) {
                Some(e) if e.is_negative() => negative += strength,
                Some(_) => positive += strength,
                None => {}
            },
            LexiconKind::Sensitive if hit.category == "abuse" => negative += strength,
            _ => {}
        }
    }
    let mass = positive + negative;
    if mass == 0.0 {
        let score = if label == SentimentLabel::Neutral {
            score * NEUTRAL_BAND
        } else {
            score
        };
        return Sentiment { label, score };
    }
    let lexicon_score = (positive - negative) / mass;
    let weight = mass / (mass + prediction.evidence.max(0.0) / 2.0);
    let score = (score * (1.0 - weight) + lexicon_score * weight).clamp(-1.0, 1.0);
    Sentiment {
        label: label_of(score),
        score,
    }
}

/// Below this distance from zero a score reads as neutral.
const NEUTRAL_BAND: f32 = 0.2;

fn label_of(score: f32) -> SentimentLabel {
    if score <= -NEUTRAL_BAND {
        SentimentLabel::Negative
    } else if score >= NEUTRAL_BAND {
        SentimentLabel::Positive
    } else {
        SentimentLabel::Neutral
    }
}

/// One shopper message on a conversation's emotion curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The message's own sentiment score.
    pub score: f32,
    /// The mood so far: an exponentially weighted average, so one odd message does not swing it.
    pub mood: f32,
    pub emotion: Option<Emotion>,
    pub intensity: f32,
}

/// A conversation's emotion curve and what a supervisor looks at first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmotionCurve {
    pub points: Vec<CurvePoint>,
    /// Mood after the first and the last message (0 when there are none).
    pub start: f32,
    pub end: f32,
    /// The lowest mood reached.
    pub lowest: f32,
    /// A message at least this much below the mood before it is a strong negative turn.
    pub strong_negative_turn: bool,
}

/// How much each new message moves the mood.
const MOOD_WEIGHT: f32 = 0.5;
/// A drop of this much from the mood to a message counts as a strong negative turn.
const STRONG_TURN: f32 = 1.0;

/// One message as the curve reads it: when, its sentiment score and its emotion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveInput {
    pub at_ms: i64,
    pub score: f32,
    pub emotion: EmotionReading,
}

/// The curve over a conversation's shopper messages, in time order.
pub fn emotion_curve(messages: impl IntoIterator<Item = CurveInput>) -> EmotionCurve {
    let mut points = Vec::new();
    let mut mood: Option<f32> = None;
    let mut strong_negative_turn = false;
    for m in messages {
        let score = m.score.clamp(-1.0, 1.0);
        let next = match mood {
            None => score,
            Some(before) => {
                if before - score >= STRONG_TURN {
                    strong_negative_turn = true;
                }
                before + MOOD_WEIGHT * (score - before)
            }
        };
        mood = Some(next);
        points.push(CurvePoint {
            at_ms: m.at_ms,
            score,
            mood: next,
            emotion: m.emotion.label,
            intensity: m.emotion.intensity,
        });
    }
    EmotionCurve {
        start: points.first().map_or(0.0, |p| p.mood),
        end: points.last().map_or(0.0, |p| p.mood),
        lowest: points
            .iter()
            .map(|p| p.mood)
            .reduce(f32::min)
            .unwrap_or(0.0),
        strong_negative_turn,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn analyzer() -> &'static Analyzer {
        static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
        ANALYZER.get_or_init(|| Analyzer::bundled().expect("bundled lexicons are valid"))
    }

    #[test]
    fn one_message_read_whole() {
        let text = "等了三天还没发货！！我要投 诉，再不退款就打１２３１５";
        let a = analyzer().analyze(text);
        assert_eq!(a.normalized, "等了三天还没发货我要投诉再不退款就打12315");
        assert!(a.tokens.contains(&"发货".to_owned()), "{:?}", a.tokens);
        let categories: Vec<&str> = a
            .hits_of(LexiconKind::Sensitive)
            .map(|h| h.category)
            .collect();
        for expected in ["complaint", "refund", "regulator"] {
            assert!(categories.contains(&expected), "{categories:?}");
        }
        let shown: Vec<String> = a
            .hits_of(LexiconKind::Sensitive)
            .map(|h| text.chars().skip(h.start).take(h.end - h.start).collect())
            .collect();
        assert!(shown.contains(&"投 诉".to_owned()), "{shown:?}");
        assert!(shown.contains(&"１２３１５".to_owned()), "{shown:?}");
        assert_eq!(a.sentiment.label, SentimentLabel::Negative);
        assert!(a.sentiment.score < -0.2);
        assert!(
            a.emotion.label.is_some_and(Emotion::is_negative),
            "{:?}",
            a.emotion
        );
        let days: Vec<(&str, Option<f64>)> = a
            .entities
            .iter()
            .filter(|e| e.kind == EntityKind::Duration)
            .map(|e| (e.value.as_str(), e.hours))
            .collect();
        assert_eq!(days, [("3d", Some(72.0))]);
    }

    #[test]
    fn short_chat_lines_get_their_polarity_from_the_lexicon() {
        for (text, label) in [
            ("谢谢亲", SentimentLabel::Positive),
            ("太给力了，非常满意", SentimentLabel::Positive),
            ("气死了", SentimentLabel::Negative),
            ("在吗", SentimentLabel::Neutral),
            ("订单号2038475629103847561", SentimentLabel::Neutral),
        ] {
            assert_eq!(analyzer().analyze(text).sentiment.label, label, "{text}");
        }
    }

    #[test]
    fn transfer_requests_and_human_only_topics_are_found() {
        assert!(analyzer().analyze("转人工！").asks_for_human());
        assert!(analyzer().analyze("我要找真人客服").asks_for_human());
        assert!(!analyzer().analyze("人工智能早教机有货吗").asks_for_human());
        let a = analyzer().analyze("银行卡被盗刷了");
        assert!(
            a.hits_of(LexiconKind::HumanOnly)
                .any(|h| h.category == "funds_safety")
        );
    }

    #[test]
    fn empty_and_odd_input_is_fine() {
        for text in ["", " ", "😀😀", "\u{200b}", "ＡＢＣ", "🇨🇳", "\u{0301}"] {
            let a = analyzer().analyze(text);
            assert_eq!(a.sentiment.label, SentimentLabel::Neutral, "{text:?}");
            assert!(a.hits.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn the_curve_smooths_and_flags_a_strong_negative_turn() {
        let point = |at_ms, score| CurveInput {
            at_ms,
            score,
            emotion: EmotionReading {
                label: None,
                intensity: 0.0,
            },
        };
        let curve = emotion_curve([point(0, 0.6), point(1, 0.5), point(2, -0.9)]);
        assert_eq!(curve.points.len(), 3);
        assert_eq!(curve.start, 0.6);
        assert!((curve.points[1].mood - 0.55).abs() < 1e-6);
        assert!((curve.end - (-0.175)).abs() < 1e-6);
        assert_eq!(curve.lowest, curve.end);
        assert!(curve.strong_negative_turn);
        let calm = emotion_curve([point(0, 0.2), point(1, 0.1)]);
        assert!(!calm.strong_negative_turn);
        assert!((calm.lowest - 0.15).abs() < 1e-6);
        let empty = emotion_curve([]);
        assert_eq!((empty.start, empty.end, empty.points.len()), (0.0, 0.0, 0));
    }

    proptest::proptest! {
        #[test]
        fn analysis_is_in_bounds_for_any_text(text in "\\PC{0,80}|[退款 假货貨315sb谢谢气死了\u{200b}１２３!！]{0,40}") {
            let a = analyzer().analyze(&text);
            let len = text.chars().count();
            proptest::prop_assert!((-1.0..=1.0).contains(&a.sentiment.score));
            proptest::prop_assert!((0.0..=1.0).contains(&a.emotion.intensity));
            for h in &a.hits {
                proptest::prop_assert!(h.start < h.end && h.end <= len);
            }
            for e in &a.entities {
                proptest::prop_assert!(e.start < e.end && e.end <= len);
            }
        }
    }
}
