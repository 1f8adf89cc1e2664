//! The live lint for the reply box, and the shop's service policy it checks promises against.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::{Finding, MessageText, Role, ShopPolicy, TextError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lint", post(lint))
        .route("/settings/policy", get(policy).put(put_policy))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LintRequest {
    /// The reply as typed so far.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LintResponse {
    /// Each problem: `{label, rule, start, end, reason, suggestion?}`, with `start`/`end` as
    /// Unicode code-point offsets into `text`. Empty when the reply is clean.
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
    /// How long the check took on the server, in microseconds.
    pub checked_us: u64,
}

/// Checks a reply before it is sent. An empty box is clean; a reply the send would refuse
/// (too long, control characters) is refused here the same way.
#[utoipa::path(post, path = "/api/v1/lint", request_body = LintRequest,
    responses((status = 200, body = LintResponse), (status = 422, body = crate::error::ErrorBody)))]
pub async fn lint(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(req): JsonBody<LintRequest>,
) -> ApiResult<Json<LintResponse>> {
    match MessageText::parse(&req.text) {
        Ok(_) => {}
        Err(TextError::Empty) => {
            return Ok(Json(LintResponse {
                findings: Vec::new(),
                checked_us: 0,
            }));
        }
        Err(e) => return Err(e.into()),
    }
    let policy = state.lint.policy(&*state.store, session.shop()).await?;
    let started = std::time::Instant::now();
    // The text as typed, not as it would be stored (trimmed, CRLF → LF), so the offsets point
    // at what the reply box shows.
    let findings = state.lint.lint(&req.text, policy, state.clock.now());
    let checked_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    Ok(Json(LintResponse {
        findings,
        checked_us,
    }))
}

/// The shop's service policy.
#[utoipa::path(get, path = "/api/v1/settings/policy", responses((status = 200, body = Object)))]
pub async fn policy(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<ShopPolicy>> {
    Ok(Json(
        state.lint.policy(&*state.store, session.shop()).await?,
    ))
}

/// Replaces the shop's service policy (missing fields take their defaults). Supervisors only.
#[utoipa::path(put, path = "/api/v1/settings/policy", request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_policy(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(policy): JsonBody<ShopPolicy>,
) -> ApiResult<Json<ShopPolicy>> {
    session.require(|r| matches!(r, Role::Supervisor | Role::Admin))?;
    policy
        .validate()
        .map_err(|e| ApiError::field(e.field, e.message))?;
    let body = serde_json::to_string(&policy).map_err(|_| ApiError::internal())?;
    let shop = session.shop();
    state
        .store
        .put_shop_setting(shop, crate::lint::POLICY_SETTINGS, &body, state.clock.now())
        .await?;
    state.lint.set_policy(shop, policy);
    Ok(Json(policy))
}
