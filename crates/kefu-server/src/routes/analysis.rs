//! What the text engine read in a conversation: each message's analysis and the shopper's
//! emotion curve, for the agent beside the chat and for the supervisor reviewing it.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::IdPath;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use kefu_domain::{ConversationId, MessageId, Sender, Timestamp};
use kefu_text::analysis::{CurveInput, EmotionReading, emotion_curve};
use kefu_text::lexicon::Emotion;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/conversations/{id}/analysis", get(conversation_analysis))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageAnalysisView {
    #[schema(value_type = String)]
    pub message_id: MessageId,
    #[schema(value_type = Object)]
    pub sender: Sender,
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// negative | neutral | positive
    pub sentiment: String,
    /// In [-1, 1].
    pub score: f64,
    /// anger | anxiety | disappointment | satisfaction | gratitude, or null.
    pub emotion: Option<String>,
    /// In [0, 1].
    pub intensity: f64,
    /// Lexicon hits (`{lexicon, category, term, severity, start, end, suggestion?}`, char
    /// offsets into the message), entities, sentiment and emotion.
    #[schema(value_type = Object)]
    pub analysis: serde_json::Value,
    /// Which lexicons and model read the message.
    pub analyzer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationAnalysis {
    pub messages: Vec<MessageAnalysisView>,
    /// The shopper's emotion curve: one point per shopper message, with the running mood,
    /// where it started and ended, its lowest point and whether it took a strong negative turn.
    #[schema(value_type = Object)]
    pub shopper_curve: kefu_text::analysis::EmotionCurve,
}

/// Each message's analysis and the shopper's emotion curve.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/analysis",
    responses((status = 200, body = ConversationAnalysis), (status = 404, body = crate::error::ErrorBody)))]
pub async fn conversation_analysis(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
) -> ApiResult<Json<ConversationAnalysis>> {
    let shop = session.shop();
    state
        .store
        .conversation(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let records = state.store.message_analyses(shop, id).await?;
    let shopper_curve = emotion_curve(records.iter().filter(|r| r.sender == Sender::Shopper).map(
        |r| CurveInput {
            at_ms: r.at.as_millis(),
            score: r.score as f32,
            emotion: EmotionReading {
                label: r.emotion.as_deref().and_then(Emotion::parse),
                intensity: r.intensity as f32,
            },
        },
    ));
    let messages = records
        .into_iter()
        .map(|r| MessageAnalysisView {
            analysis: serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
            message_id: r.message,
            sender: r.sender,
            at: r.at,
            sentiment: r.sentiment,
            score: r.score,
            emotion: r.emotion,
            intensity: r.intensity,
            analyzer: r.analyzer,
        })
        .collect();
    Ok(Json(ConversationAnalysis {
        messages,
        shopper_curve,
    }))
}
