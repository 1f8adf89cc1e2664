//! Platform webhooks: a shop's platform integration posts shopper messages here.
//!
//! The body is signed with the shop's webhook secret: `X-Kefu-Signature: sha256=<hex of
//! HMAC-SHA256(secret, raw body)>`. Each delivery carries an `Idempotency-Key`; a repeated
//! delivery returns the first answer (with `Idempotent-Replayed: true`) and stores nothing twice.
//! The answer is recorded in the same transaction as the message, so a crash cannot leave a
//! message without its key or a key without its message. A delivery is processed as if new; when
//! its key turns out to be taken, nothing it decided is written and the first answer is returned.
//! This saves a read on every first delivery, which is nearly all of them.

use crate::auth::{sha256_hex, verify_hmac_hex};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{RawBody, parse_json};
use crate::ingest::{self, Posted};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use kefu_domain::*;
use kefu_store::{IdempotencyRecord, ShopRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{shop}/messages", post(receive))
}

pub const SIGNATURE_HEADER: &str = "x-kefu-signature";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCustomer {
    /// The shopper's id on the platform.
    pub external_id: String,
    pub nickname: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookMessage {
    /// taobao, douyin, jd, pinduoduo …
    pub platform: String,
    pub customer: WebhookCustomer,
    /// 1..=2000 characters.
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAccepted {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    #[schema(value_type = String)]
    pub message_id: MessageId,
}

/// Receives one shopper message from a platform.
#[utoipa::path(post, path = "/api/v1/webhooks/{shop}/messages", request_body = WebhookMessage,
    params(("shop" = String, Path, description = "the shop's slug"),
        ("X-Kefu-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the body>"),
        ("Idempotency-Key" = String, Header, description = "unique per delivery, ≤ 128 characters")),
    responses((status = 202, body = WebhookAccepted), (status = 401, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let shop = state
        .shop_by_slug(&slug)
        .await?
        .ok_or_else(|| ApiError::not_found("shop"))?;
    verify_signature(&shop, &headers, &body)?;
    let key = idempotency_key(&headers)?;
    let request_hash = sha256_hex(&body);

    let msg: WebhookMessage = parse_json(&body)?;
    let text = MessageText::parse(&msg.text)?;
    let platform = msg.platform.trim().to_ascii_lowercase();
    if platform.is_empty()
        || platform.len() > 32
        || !platform
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(ApiError::field("platform", "1 to 32 letters, digits or _"));
    }
    let external = msg.customer.external_id.trim();
    if external.is_empty() || external.chars().count() > 64 {
        return Err(ApiError::field(
            "customer.external_id",
            "must be 1 to 64 characters",
        ));
    }
    let nickname = msg
        .customer
        .nickname
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(32).collect::<String>());
    let now = state.clock.now();
    let customer = match state.hot.customer(shop.shop.id, external) {
        Some(known) => known,
        None => {
            let c = state
                .store
                .ensure_customer(&Customer::first_contact(
                    shop.shop.id,
                    external.to_owned(),
                    nickname,
                    now,
                ))
                .await?;
            state.hot.remember_customer(&c);
            c
        }
    };

    let receipt = |posted: &Posted| IdempotencyRecord {
        key: key.clone(),
        request_hash: request_hash.clone(),
        status: StatusCode::ACCEPTED.as_u16(),
        response: serde_json::to_string(&accepted(posted)).unwrap_or_default(),
        created_at: now,
    };
    match ingest::shopper_message(
        &state,
        &customer,
        Channel::Webhook,
        Some(platform),
        text,
        Some(&receipt),
    )
    .await
    {
        Ok(received) => {
            Ok((StatusCode::ACCEPTED, Json(accepted(&received.posted))).into_response())
        }
        // An earlier (or concurrent) delivery with this key was stored: answer as it was answered.
        Err(e) if e.code == ErrorCode::IdempotencyKeyReused => {
            match state.store.idempotent_response(shop.shop.id, &key).await? {
                Some(done) => replay(done, &request_hash),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

fn accepted(posted: &Posted) -> WebhookAccepted {
    WebhookAccepted {
        conversation_id: posted.conversation.id,
        message_id: posted.message.id,
    }
}

fn verify_signature(shop: &ShopRecord, headers: &HeaderMap, body: &[u8]) -> ApiResult<()> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidSignature,
            "X-Kefu-Signature must be sha256=<hex HMAC-SHA256 of the body with the shop's webhook secret>",
        )
    };
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid)?;
    let hex = header.trim().strip_prefix("sha256=").ok_or_else(invalid)?;
    if verify_hmac_hex(shop.webhook_secret.as_bytes(), body, hex) {
        Ok(())
    } else {
        Err(invalid())
    }
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let key = headers
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyRequired,
            "send a unique Idempotency-Key header (1 to 128 visible ASCII characters) per delivery",
        ));
    }
    Ok(key.to_owned())
}

fn replay(done: IdempotencyRecord, request_hash: &str) -> ApiResult<Response> {
    if done.request_hash != request_hash {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different body",
        ));
    }
    let status = StatusCode::from_u16(done.status).map_err(|_| ApiError::internal())?;
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        done.response,
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(response)
}
