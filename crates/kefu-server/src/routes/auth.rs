//! Agent login, logout and identity.

use crate::auth::{AgentSession, decoy_hash, random_token, sha256_hex, verify_password};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::views::{AgentView, ShopView};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::Timestamp;
use kefu_store::Session;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The shop's slug, e.g. `demo`.
    pub shop: String,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub agent: AgentView,
    pub shop: ShopView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub agent: AgentView,
    pub shop: ShopView,
}

fn invalid() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCredentials,
        "shop, username or password is wrong",
    )
}

/// Logs an agent in.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    if req.password.len() > 1_024 || req.username.len() > 128 || req.shop.len() > 128 {
        return Err(invalid());
    }
    let shop = state.store.shop_by_slug(&req.shop).await?;
    let found = match &shop {
        Some(s) => {
            state
                .store
                .agent_credentials(s.shop.id, &req.username)
                .await?
        }
        None => None,
    };
    let hash = found
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |(_, h)| h.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    let (Some(shop), Some((agent, _)), true) = (shop, found, ok) else {
        return Err(invalid());
    };
    let token = random_token();
    let now = state.clock.now();
    let expires_at = now.plus_millis(state.limits.session_ttl_ms);
    state
        .store
        .create_session(&Session {
            token_hash: sha256_hex(token.as_bytes()),
            shop: shop.shop.id,
            agent: agent.id,
            created_at: now,
            expires_at,
        })
        .await?;
    tracing::info!(shop = %shop.shop.slug, agent = %agent.username, "agent logged in");
    Ok(Json(LoginResponse {
        token,
        expires_at,
        agent: AgentView::from(&agent),
        shop: ShopView::from(&shop.shop),
    }))
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<axum::http::StatusCode> {
    state.store.delete_session(&session.token_hash).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The logged-in agent and their shop.
#[utoipa::path(get, path = "/api/v1/auth/me", responses((status = 200, body = MeResponse)))]
pub async fn me(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<MeResponse>> {
    let shop = state
        .store
        .shop(session.shop())
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(MeResponse {
        agent: AgentView::from(&session.agent),
        shop: ShopView::from(&shop.shop),
    }))
}
