//! The shopper's web widget. A shopper first opens a session and gets a visitor token bound to
//! one customer; every later call is answered for that customer only, whatever it sends.
//!
//! Identity: a shop that knows its shopper (logged in on its site) passes `user_id` with
//! `user_hash = hex(HMAC-SHA256(widget_secret, user_id))`, computed on the shop's server, so
//! nobody can chat as somebody else. Without `user_id` the shopper is an anonymous visitor.

use crate::auth::{Visitor, verify_hmac_hex};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{IdPath, JsonBody};
use crate::ingest;
use crate::state::AppState;
use crate::views::{MessageView, ShopView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/widget/sessions", post(open_session))
        .route("/widget/messages", get(history).post(send))
        .route("/widget/messages/{id}/rating", post(rate))
}

/// Messages a returning shopper sees of their latest conversation.
const HISTORY: u32 = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The shop's slug.
    pub shop: String,
    /// The shop's own id of a logged-in shopper; requires `user_hash`.
    pub user_id: Option<String>,
    /// hex(HMAC-SHA256(widget secret, user_id)).
    pub user_hash: Option<String>,
    pub nickname: Option<String>,
    /// A token from an earlier session, to continue as the same visitor.
    pub visitor_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetCustomer {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub nickname: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// Send as `Authorization: Bearer <token>` and as `?token=` on the live socket.
    pub token: String,
    pub customer: WidgetCustomer,
    pub shop: ShopView,
}

fn check_len(field: &str, value: &str, max: usize) -> ApiResult<()> {
    let n = value.chars().count();
    if n == 0 || n > max {
        return Err(ApiError::field(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(())
}

/// Starts (or resumes) a shopper's session.
#[utoipa::path(post, path = "/api/v1/widget/sessions", request_body = SessionRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn open_session(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<SessionRequest>,
) -> ApiResult<Json<SessionResponse>> {
    let shop = state
        .store
        .shop_by_slug(&req.shop)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    let now = state.clock.now();
    let nickname = match req.nickname.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => {
            check_len("nickname", n, 32)?;
            Some(n.to_owned())
        }
        _ => None,
    };
    let resumed = req
        .visitor_token
        .as_deref()
        .and_then(|t| state.visitor_tokens.verify(t, now))
        .filter(|(s, _)| *s == shop.shop.id);
    let customer = match (&req.user_id, resumed) {
        (Some(user_id), _) => {
            check_len("user_id", user_id, 64)?;
            let hash = req.user_hash.as_deref().unwrap_or_default();
            if !verify_hmac_hex(shop.widget_secret.as_bytes(), user_id.as_bytes(), hash) {
                return Err(ApiError::new(
                    ErrorCode::InvalidSignature,
                    "user_hash does not match user_id",
                ));
            }
            let fresh = Customer::first_contact(shop.shop.id, user_id.clone(), nickname, now);
            state.store.ensure_customer(&fresh).await?
        }
        (None, Some((_, customer))) => state
            .store
            .customer(shop.shop.id, customer)
            .await?
            .ok_or_else(ApiError::unauthorized)?,
        (None, None) => {
            let visitor = CustomerId::new();
            let external = format!("visitor:{visitor}");
            let name = nickname.unwrap_or_else(|| {
                let s = visitor.to_string();
                format!("访客{}", &s[s.len() - 4..])
            });
            let mut fresh = Customer::first_contact(shop.shop.id, external, Some(name), now);
            fresh.id = visitor;
            fresh.tags = vec!["访客".to_owned()];
            state.store.ensure_customer(&fresh).await?
        }
    };
    let token = state.visitor_tokens.issue(
        shop.shop.id,
        customer.id,
        now.plus_millis(state.limits.visitor_ttl_ms),
    );
    Ok(Json(SessionResponse {
        token,
        customer: WidgetCustomer {
            id: customer.id,
            nickname: customer.nickname,
        },
        shop: ShopView::from(&shop.shop),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetConversation {
    #[schema(value_type = String)]
    pub id: ConversationId,
    #[schema(value_type = String)]
    pub state: ConversationState,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetHistory {
    pub conversation: Option<WidgetConversation>,
    pub messages: Vec<MessageView>,
}

/// The shopper's latest conversation and its messages.
#[utoipa::path(get, path = "/api/v1/widget/messages",
    responses((status = 200, body = WidgetHistory), (status = 401, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    visitor: Visitor,
) -> ApiResult<Json<WidgetHistory>> {
    let Some(c) = state
        .store
        .latest_conversation_of(visitor.shop, visitor.customer)
        .await?
    else {
        return Ok(Json(WidgetHistory {
            conversation: None,
            messages: Vec::new(),
        }));
    };
    let messages = state.store.messages(visitor.shop, c.id, HISTORY).await?;
    let turns = state.store.bot_turns(visitor.shop, c.id).await?;
    Ok(Json(WidgetHistory {
        conversation: Some(WidgetConversation {
            id: c.id,
            state: c.state,
        }),
        messages: MessageView::with_turns(&messages, &turns),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSend {
    /// 1..=2000 characters.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSent {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub message: MessageView,
    /// The bot's reply, when the bot serves the conversation.
    pub reply: Option<MessageView>,
    /// What the reply is: `answer` (which the shopper may rate), `clarify` or `hand_off`.
    pub reply_action: Option<&'static str>,
}

/// The shopper sends a message; a new conversation opens if none is open.
#[utoipa::path(post, path = "/api/v1/widget/messages", request_body = WidgetSend,
    responses((status = 201, body = WidgetSent), (status = 422, body = crate::error::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    visitor: Visitor,
    JsonBody(req): JsonBody<WidgetSend>,
) -> ApiResult<(StatusCode, Json<WidgetSent>)> {
    let text = MessageText::parse(&req.text)?;
    let customer = state
        .store
        .customer(visitor.shop, visitor.customer)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let received =
        ingest::shopper_message(&state, &customer, Channel::Widget, None, text, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(WidgetSent {
            conversation_id: received.posted.conversation.id,
            message: MessageView::from(&received.posted.message),
            reply: received.bot.as_ref().map(|b| MessageView {
                bot_action: received.bot_action,
                ..MessageView::from(&b.message)
            }),
            reply_action: received.bot_action,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// Whether the bot's answer helped.
    pub helpful: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingRecorded {
    pub helpful: bool,
}

/// The shopper rates one of the bot's answers (有帮助 / 没帮助), once. An unhelpful answer
/// counts as a miss toward handing the conversation to a person.
#[utoipa::path(post, path = "/api/v1/widget/messages/{id}/rating", request_body = RatingRequest,
    responses((status = 200, body = RatingRecorded), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    visitor: Visitor,
    IdPath(id): IdPath<MessageId>,
    JsonBody(req): JsonBody<RatingRequest>,
) -> ApiResult<Json<RatingRecorded>> {
    let customer = state
        .store
        .customer(visitor.shop, visitor.customer)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    crate::bot::rate(&state, &customer, id, req.helpful).await?;
    Ok(Json(RatingRecorded {
        helpful: req.helpful,
    }))
}
