//! Conversation QA in the server: every closed conversation gets a score
//! (`kefu_engine::qa::score`) from its log, its messages' stored analyses (the live lint's
//! findings are the `lint` field of `message_analyses.body`), the shopper's mood curve, the
//! shop's SLA targets and rubric (`qa_rubric` settings section), its open tickets and whether
//! the shopper came back within 48 h.
//!
//! When scores are made:
//! - on every close, right after the `Closed` event is stored ([`after_close`]);
//! - when the shopper opens a new conversation within 48 h of a scored close, that score is
//!   made again, now counting the return against resolution ([`after_return`]);
//! - lazily, when a closed conversation without a score is read (conversations closed before
//!   QA existed, or a close whose scoring failed), and by `kefu qa backfill` ([`backfill`]).
//!
//! A rescore keeps the supervisors' overrides and appeals; the effective total is recomputed
//! from the latest override of each item. Scores keep the rubric they were made with.

use crate::error::{ApiError, ApiResult, ErrorCode};
use kefu_domain::*;
use kefu_engine::qa::score::{
    ItemScore, Mood, QaItem, QaRubric, QaScore, RETURN_WINDOW_MS, Reading, ScoreInput, Weights,
    effective_total, score, scored_agent,
};
use kefu_store::{QaReview, QaScoreRecord, Store, StoreError, StoreResult};
use kefu_text::analysis::{CurveInput, EmotionReading, emotion_curve};
use kefu_text::lexicon::Emotion;
use std::collections::HashMap;

/// The settings section the rubric is stored under.
pub const QA_SETTINGS: &str = "qa_rubric";

/// Writes retried after losing a race with a review.
const ATTEMPTS: usize = 3;
/// Closed conversations `kefu qa backfill` looks at per shop, newest first.
const BACKFILL_MAX: u32 = 100_000;

/// The shop's rubric; unreadable stored settings fall back to the defaults, logged.
pub async fn rubric(store: &dyn Store, shop: ShopId) -> StoreResult<QaRubric> {
    Ok(match store.shop_setting(shop, QA_SETTINGS).await? {
        Some(body) => serde_json::from_str(&body).unwrap_or_else(|e| {
            tracing::warn!(%shop, error = %e, "stored QA rubric unreadable; using defaults");
            QaRubric::default()
        }),
        None => QaRubric::default(),
    })
}

/// Replaces the shop's weights (validated); the rubric's version goes up by one.
pub async fn put_rubric(
    store: &dyn Store,
    shop: ShopId,
    weights: Weights,
    at: Timestamp,
) -> ApiResult<QaRubric> {
    weights
        .validate()
        .map_err(|e| ApiError::field(&e.field, e.message))?;
    let current = rubric(store, shop).await?;
    let next = QaRubric {
        version: current.version + 1,
        weights,
    };
    let body = serde_json::to_string(&next).map_err(|_| ApiError::internal())?;
    store.put_shop_setting(shop, QA_SETTINGS, &body, at).await?;
    Ok(next)
}

/// The live lint's findings in a stored analysis body: its `lint` field, absent or unreadable
/// meaning none.
pub fn findings(body: &str) -> Vec<Finding> {
    #[derive(serde::Deserialize)]
    struct Lint {
        #[serde(default)]
        lint: Vec<serde_json::Value>,
    }
    serde_json::from_str::<Lint>(body)
        .map(|l| {
            l.lint
                .into_iter()
                .filter_map(|f| serde_json::from_value(f).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// When the conversation closed: its `Closed` event, else its last change.
fn closed_at(events: &[Envelope], conversation: &Conversation) -> Timestamp {
    events
        .iter()
        .rev()
        .find(|e| matches!(e.event, Event::Closed { .. }))
        .map_or(conversation.updated_at, |e| e.at)
}

/// Scores a closed conversation and stores the score (replacing the scorer's part of an
/// existing one); `None` for a conversation still open.
pub async fn score_conversation(
    store: &dyn Store,
    conversation: &Conversation,
    now: Timestamp,
) -> StoreResult<Option<QaScoreRecord>> {
    if conversation.state.is_open() {
        return Ok(None);
    }
    let (shop, id) = (conversation.shop, conversation.id);
    let events = store.conversation_events(shop, id).await?;
    let closed = closed_at(&events, conversation);
    let analyses = store.message_analyses(shop, id).await?;
    let shopper: Vec<CurveInput> = analyses
        .iter()
        .filter(|a| a.sender == Sender::Shopper)
        .map(|a| CurveInput {
            at_ms: a.at.as_millis(),
            score: a.score as f32,
            emotion: EmotionReading {
                label: a.emotion.as_deref().and_then(Emotion::parse),
                intensity: a.intensity as f32,
            },
        })
        .collect();
    let mood = (!shopper.is_empty()).then(|| {
        let c = emotion_curve(shopper);
        Mood {
            start: c.start,
            end: c.end,
            lowest: c.lowest,
            strong_negative_turn: c.strong_negative_turn,
        }
    });
    let readings: HashMap<MessageId, Reading> = analyses
        .iter()
        .map(|a| {
            (
                a.message,
                Reading {
                    score: a.score as f32,
                    emotion: a.emotion.clone(),
                    findings: if matches!(a.sender, Sender::Agent { .. }) {
                        findings(&a.body)
                    } else {
                        Vec::new()
                    },
                },
            )
        })
        .collect();
    let sla = crate::desk::settings::load(store, shop).await?.sla();
    let open_tickets = store.open_tickets_of_conversation(shop, id).await?;
    let returned_at = store
        .latest_conversation_of(shop, conversation.customer)
        .await?
        .filter(|c| {
            c.id != id
                && c.created_at >= closed
                && c.created_at.as_millis() - closed.as_millis() <= RETURN_WINDOW_MS
        })
        .map(|c| c.created_at);
    let rubric = rubric(store, shop).await?;
    let scored = score(
        &ScoreInput {
            events: &events,
            readings: &readings,
            mood,
            sla: &sla,
            open_tickets: open_tickets as usize,
            returned_at,
        },
        &rubric,
    );
    let items = serde_json::to_string(&scored.items)
        .map_err(|e| StoreError::Corrupt(format!("QA items: {e}")))?;
    let weights = serde_json::to_string(&rubric.weights)
        .map_err(|e| StoreError::Corrupt(format!("QA rubric: {e}")))?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let existing = store.qa_score(shop, id).await?;
        let reviews = store.qa_reviews(shop, id).await?;
        let record = QaScoreRecord {
            shop,
            conversation: id,
            customer: conversation.customer,
            agent: scored_agent(&events),
            closed_at: closed,
            scored_at: now,
            auto_total: i64::from(scored.total),
            total: i64::from(effective_total(&scored.items, &overrides(&reviews))),
            items: items.clone(),
            rubric: weights.clone(),
            rubric_version: i64::from(rubric.version),
            version: existing.as_ref().map_or(1, |e| e.version + 1),
        };
        match store
            .put_qa_score(&record, existing.as_ref().map(|e| e.version))
            .await
        {
            Ok(()) => return Ok(Some(record)),
            Err(StoreError::Stale(_) | StoreError::Duplicate(_)) if attempt < ATTEMPTS => {}
            Err(e) => return Err(e),
        }
    }
}

/// The overrides in the order they were made (the latest per item counts).
pub fn overrides(reviews: &[QaReview]) -> Vec<(QaItem, u8)> {
    reviews
        .iter()
        .filter_map(|r| {
            Some((
                QaItem::parse(&r.item)?,
                u8::try_from(r.score.clamp(0, 100)).ok()?,
            ))
        })
        .collect()
}

/// The scorer's items of a stored score.
pub fn items(record: &QaScoreRecord) -> ApiResult<Vec<ItemScore>> {
    serde_json::from_str(&record.items).map_err(|e| {
        tracing::error!(conversation = %record.conversation, error = %e, "stored QA items unreadable");
        ApiError::internal()
    })
}

/// The stored score of a conversation, scoring it now if it is closed and has none;
/// 409 `not_scored` while it is open.
pub async fn score_of(
    store: &dyn Store,
    conversation: &Conversation,
    now: Timestamp,
) -> ApiResult<QaScoreRecord> {
    if let Some(found) = store.qa_score(conversation.shop, conversation.id).await? {
        return Ok(found);
    }
    score_conversation(store, conversation, now)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotScored,
                "the conversation is still open; it is scored when it closes",
            )
        })
}

/// Scores a conversation just closed. A failure is logged, not returned: the close stands,
/// and the score is made when the conversation is next read.
pub async fn after_close(store: &dyn Store, conversation: &Conversation, now: Timestamp) {
    if let Err(e) = score_conversation(store, conversation, now).await {
        tracing::error!(conversation = %conversation.id, error = %e, "QA scoring failed");
    }
}

/// The shopper came back: their conversation closed within the last 48 h is scored again.
pub async fn after_return(store: &dyn Store, shop: ShopId, customer: CustomerId, now: Timestamp) {
    let since = now.plus_millis(-RETURN_WINDOW_MS);
    let rescored = async {
        let Some(previous) = store
            .latest_qa_score_of_customer(shop, customer, since)
            .await?
        else {
            return Ok(());
        };
        if let Some(c) = store.conversation(shop, previous.conversation).await? {
            score_conversation(store, &c, now).await?;
        }
        Ok::<(), StoreError>(())
    };
    if let Err(e) = rescored.await {
        tracing::error!(%shop, %customer, error = %e, "QA rescoring after a return failed");
    }
}

/// What `kefu qa backfill` did for one shop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backfilled {
    pub scored: u64,
    /// Already scored and left alone (unless rescoring).
    pub kept: u64,
}

/// Scores the shop's closed conversations that have no score yet (every closed one when
/// `rescore`), newest close first.
pub async fn backfill(
    store: &dyn Store,
    shop: ShopId,
    rescore: bool,
    now: Timestamp,
) -> StoreResult<Backfilled> {
    let closes = store
        .events_of_kinds(shop, &["closed"], Timestamp::from_millis(0), BACKFILL_MAX)
        .await?;
    let mut done = Backfilled::default();
    let mut seen = std::collections::HashSet::new();
    for e in closes.iter().rev() {
        let id = e.event.conversation();
        if !seen.insert(id) {
            continue;
        }
        if !rescore && store.qa_score(shop, id).await?.is_some() {
            done.kept += 1;
            continue;
        }
        if let Some(c) = store.conversation(shop, id).await?
            && score_conversation(store, &c, now).await?.is_some()
        {
            done.scored += 1;
        }
    }
    Ok(done)
}

/// The score with the overrides applied, for the views.
pub fn effective(record: &QaScoreRecord, reviews: &[QaReview]) -> ApiResult<(QaScore, u8)> {
    let items = items(record)?;
    let total = effective_total(&items, &overrides(reviews));
    let auto = u8::try_from(record.auto_total.clamp(0, 100)).unwrap_or(0);
    Ok((QaScore { total, items }, auto))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lint_findings_are_read_tolerantly() {
        assert!(findings(r#"{"hits": []}"#).is_empty(), "absent");
        assert!(findings(r#"{"lint": []}"#).is_empty(), "empty");
        assert!(findings("not json").is_empty(), "unreadable");
        let body = r#"{"hits": [], "lint": [
            {"label": "forbidden_phrase", "rule": "forbidden.refusal", "start": 0, "end": 3,
             "reason": "推诿", "suggestion": "我帮您确认一下"},
            {"label": "from_the_future", "rule": "x", "start": 0, "end": 1, "reason": "?"}
        ]}"#;
        let found = findings(body);
        assert_eq!(found.len(), 1, "an unknown label is skipped, not fatal");
        assert_eq!(found[0].label, QaLabel::ForbiddenPhrase);
        assert_eq!(found[0].suggestion.as_deref(), Some("我帮您确认一下"));
    }
}
