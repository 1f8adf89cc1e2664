//! Agent assist: while an agent serves a conversation, the knowledge base's best answers to
//! the shopper's latest message, filled with the shopper's own order, ready to drop into the
//! reply box. An answer the agent sends counts as a use of its entry.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::IdPath;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}/suggestions", get(suggestions))
        .route("/knowledge/{id}/used", post(used))
}

/// Suggestions per message.
const SUGGESTIONS: usize = 3;
/// How far back the latest shopper message is looked for.
const RECENT_MESSAGES: u32 = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    #[schema(value_type = String)]
    pub entry_id: KnowledgeEntryId,
    pub key: Option<String>,
    pub question: String,
    /// The answer, with variables filled from the shopper's latest order.
    pub answer: String,
    /// False when a variable could not be filled (no order, not shipped yet): `answer` holds
    /// the ones that could be filled and keeps the others as `{order.…}` for the agent.
    pub complete: bool,
    pub probability: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    /// The shopper message the suggestions answer; null when the shopper has not written.
    #[schema(value_type = Option<String>)]
    pub message_id: Option<MessageId>,
    pub question: Option<String>,
    pub suggestions: Vec<Suggestion>,
}

/// The top three answers to the shopper's latest message.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/suggestions",
    responses((status = 200, body = Suggestions), (status = 404, body = crate::error::ErrorBody)))]
pub async fn suggestions(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
) -> ApiResult<Json<Suggestions>> {
    let shop = session.shop();
    let (_, customer) = crate::ingest::load(&state, shop, id).await?;
    let messages = state.store.messages(shop, id, RECENT_MESSAGES).await?;
    let Some(latest) = messages.iter().rev().find(|m| m.sender == Sender::Shopper) else {
        return Ok(Json(Suggestions {
            message_id: None,
            question: None,
            suggestions: Vec::new(),
        }));
    };
    let knowledge = state
        .knowledge
        .for_shop(&*state.store, shop, state.clock.now())
        .await?;
    let analyzer = state.text.for_shop(&*state.store, shop).await?;
    let order = crate::bot::latest_order(&state, &customer, &analyzer).await?;
    let suggestions = knowledge
        .index
        .search(latest.text.as_str(), SUGGESTIONS)
        .into_iter()
        .filter_map(|c| {
            let entry = knowledge.entry(c.entry)?;
            // What the order can fill is filled; the rest stays `{order.…}` for the agent.
            let missing = std::cell::Cell::new(false);
            let filled = kefu_knowledge::template::render(&entry.fields.answer, |name| {
                Some(
                    order
                        .as_ref()
                        .and_then(|o| o.value(name))
                        .unwrap_or_else(|| {
                            missing.set(true);
                            format!("{{{name}}}")
                        }),
                )
            });
            Some(Suggestion {
                entry_id: entry.id,
                key: entry.fields.key.clone(),
                question: entry.fields.question.clone(),
                complete: filled.is_ok() && !missing.get(),
                answer: filled.unwrap_or_else(|_| entry.fields.answer.clone()),
                probability: c.probability,
            })
        })
        .collect();
    Ok(Json(Suggestions {
        message_id: Some(latest.id),
        question: Some(latest.text.as_str().to_owned()),
        suggestions,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Used {
    pub hits: i64,
}

/// An agent sent an entry's answer from the assist panel: one more hit for the entry.
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/used",
    responses((status = 200, body = Used), (status = 404, body = crate::error::ErrorBody)))]
pub async fn used(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<KnowledgeEntryId>,
) -> ApiResult<Json<Used>> {
    let shop = session.shop();
    let entry = state
        .store
        .knowledge_entry(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge entry"))?;
    let one = KnowledgeStats {
        hits: 1,
        ..KnowledgeStats::default()
    };
    state.store.add_knowledge_stats(shop, id, one).await?;
    Ok(Json(Used {
        hits: entry.stats.hits + 1,
    }))
}
