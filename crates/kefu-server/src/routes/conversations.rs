//! The agent workspace's conversations: list, open, reply, close.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IdPath, JsonBody};
use crate::ingest;
use crate::routes::customers::customer_view;
use crate::state::AppState;
use crate::views::{
    BotTurnView, ConversationView, CustomerBrief, CustomerView, MessageView, OrderView,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::{ConversationId, CustomerId, MessageText};
use kefu_store::ConversationFilter;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/{id}", get(detail))
        .route("/conversations/{id}/messages", post(reply))
        .route("/conversations/{id}/close", post(close))
}

/// How many messages a conversation's detail carries.
const DETAIL_MESSAGES: u32 = 200;
/// How many of the customer's orders sit beside the chat.
const RECENT_ORDERS: u32 = 5;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// open (default) | closed | all
    pub state: Option<String>,
    /// 1..=200, default 100
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    pub items: Vec<ConversationView>,
}

/// Conversations of the caller's shop, latest activity first.
#[utoipa::path(get, path = "/api/v1/conversations", params(ListQuery),
    responses((status = 200, body = ConversationList)))]
pub async fn list(
    State(state): State<AppState>,
    session: AgentSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ConversationList>> {
    let filter = match q.get("state").map(String::as_str) {
        None | Some("open") => ConversationFilter::Open,
        Some("closed") => ConversationFilter::Closed,
        Some("all") => ConversationFilter::All,
        Some(other) => {
            return Err(ApiError::field(
                "state",
                format!("must be open, closed or all, not {other:?}"),
            ));
        }
    };
    let limit = match q.get("limit") {
        None => 100,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 200"))?,
    };
    let shop = session.shop();
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let conversations = state.store.list_conversations(shop, filter, limit).await?;
    // One query for all the customers on the page, not one per conversation.
    let mut ids: Vec<CustomerId> = conversations.iter().map(|c| c.customer).collect();
    ids.sort();
    ids.dedup();
    let briefs: HashMap<CustomerId, CustomerBrief> = state
        .store
        .customers_by_ids(shop, &ids)
        .await?
        .iter()
        .map(|c| (c.id, CustomerBrief::from(c)))
        .collect();
    let items = conversations
        .iter()
        .map(|c| {
            briefs
                .get(&c.customer)
                .map(|b| ConversationView::new(c, b.clone()).with_sla(desk.sla_of(c.id)))
                .ok_or_else(|| ApiError::not_found("customer"))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(ConversationList { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
    pub customer: CustomerView,
    /// The customer's most recent orders, newest first.
    pub orders: Vec<OrderView>,
    /// The bot's decisions in this conversation, oldest first.
    pub bot_turns: Vec<BotTurnView>,
}

/// One conversation with its messages, the customer's profile and recent orders.
#[utoipa::path(get, path = "/api/v1/conversations/{id}",
    responses((status = 200, body = ConversationDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
) -> ApiResult<Json<ConversationDetail>> {
    let shop = session.shop();
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let conversation = state
        .store
        .conversation(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let (customer, orders) =
        customer_view(&state, shop, conversation.customer, RECENT_ORDERS).await?;
    let messages = state.store.messages(shop, id, DETAIL_MESSAGES).await?;
    let turns = state.store.bot_turns(shop, id).await?;
    // Named from the stored entries, not only the published ones the bot reads now: a
    // retired entry still explains an old turn. A conversation has few turns.
    let mut named: Vec<kefu_domain::KnowledgeEntry> = Vec::new();
    for id in turns.iter().flat_map(|t| t.decision.entries()) {
        if !named.iter().any(|e| e.id == id)
            && let Some(e) = state.store.knowledge_entry(shop, id).await?
        {
            named.push(e);
        }
    }
    let by_id = |id: kefu_domain::KnowledgeEntryId| named.iter().find(|e| e.id == id);
    let bot_turns = turns.iter().map(|t| BotTurnView::new(t, by_id)).collect();
    Ok(Json(ConversationDetail {
        conversation: ConversationView::new(
            &conversation,
            CustomerBrief {
                id: customer.id,
                nickname: customer.nickname.clone(),
                vip_level: customer.vip_level,
            },
        )
        .with_sla(desk.sla_of(id)),
        messages: MessageView::with_turns(&messages, &turns),
        customer,
        orders,
        bot_turns,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// 1..=2000 characters.
    pub text: String,
}

/// Sends an agent's reply. Replying to a conversation nobody holds takes it.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", request_body = ReplyRequest,
    responses((status = 201, body = MessageView), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
    JsonBody(req): JsonBody<ReplyRequest>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    let text = MessageText::parse(&req.text)?;
    let posted = ingest::agent_reply(&state, &session.agent, id, text).await?;
    Ok((
        StatusCode::CREATED,
        Json(MessageView {
            lint: posted.findings,
            ..MessageView::from(&posted.message)
        }),
    ))
}

/// Closes a conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/close",
    responses((status = 200, body = ConversationView), (status = 409, body = crate::error::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
) -> ApiResult<Json<ConversationView>> {
    ingest::close(&state, &session.agent, id).await.map(Json)
}
