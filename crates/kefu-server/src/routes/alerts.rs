//! Supervisor alerts over HTTP: the list and one alert with its history (any agent of the
//! shop), acknowledge and resolve with a note, and the alert settings with a test send
//! (supervisors and admins).

use crate::alerts::settings::{ALERT_SETTINGS, AlertSettingsChange, AlertSettingsView};
use crate::alerts::webhook::Outcome;
use crate::alerts::{self, AlertView};
use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::alert::{AlertChange, Change, Sink};
use kefu_domain::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}", get(detail))
        .route("/alerts/{id}/ack", post(acknowledge))
        .route("/alerts/{id}/resolve", post(resolve))
        .route("/settings/alerts", get(settings).put(put_settings))
        .route("/settings/alerts/test", post(test_send))
}

/// The most alerts one list returns.
const MAX_LIMIT: u32 = 500;

fn supervises(r: Role) -> bool {
    matches!(r, Role::Supervisor | Role::Admin)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    pub alerts: Vec<AlertView>,
    /// The shop's targets: raised → delivered, raised → resolved, in seconds.
    pub deliver_target_s: u32,
    pub resolve_target_s: u32,
}

/// The shop's alerts, newest first: `state=open` (the default: not resolved) or `state=all`;
/// `limit` 1 to 500 (default 100).
#[utoipa::path(get, path = "/api/v1/alerts",
    params(("state" = Option<String>, Query, description = "open | all"),
           ("limit" = Option<u32>, Query, description = "1 to 500")),
    responses((status = 200, body = AlertList), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    session: AgentSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<AlertList>> {
    let open_only = match q.get("state").map(String::as_str) {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => return Err(ApiError::field("state", "open or all")),
    };
    let limit = match q.get("limit") {
        None => 100,
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::field("limit", format!("a number from 1 to {MAX_LIMIT}")))?,
    };
    let shop = session.shop();
    let found = state.store.list_alerts(shop, open_only, limit).await?;
    let settings = alerts::settings::load(&*state.store, shop).await?;
    Ok(Json(AlertList {
        alerts: found.iter().map(AlertView::from).collect(),
        deliver_target_s: settings.deliver_target_s,
        resolve_target_s: settings.resolve_target_s,
    }))
}

/// One entry of an alert's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertChangeView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub by: Option<AgentId>,
    /// raised | bumped | delivered | delivery_failed | acknowledged | resolved | escalated
    pub change: &'static str,
    /// The typed change: `{type, severity?, count?, via?, attempts?, overdue?}`.
    #[schema(value_type = Object)]
    pub data: Change,
    pub note: String,
}

impl From<AlertChange> for AlertChangeView {
    fn from(c: AlertChange) -> Self {
        AlertChangeView {
            at: c.at,
            by: c.by,
            change: c.change.kind(),
            data: c.change,
            note: c.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    pub alert: AlertView,
    pub history: Vec<AlertChangeView>,
}

async fn detail_of(state: &AppState, shop: ShopId, id: AlertId) -> ApiResult<AlertDetail> {
    let alert = state
        .store
        .alert(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("alert"))?;
    let history = state.store.alert_changes(shop, id).await?;
    Ok(AlertDetail {
        alert: AlertView::from(&alert),
        history: history.into_iter().map(AlertChangeView::from).collect(),
    })
}

/// One alert with its history.
#[utoipa::path(get, path = "/api/v1/alerts/{id}",
    responses((status = 200, body = AlertDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<AlertId>,
) -> ApiResult<Json<AlertDetail>> {
    detail_of(&state, session.shop(), id).await.map(Json)
}

/// A supervisor's note on acknowledging or resolving.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[serde(default)]
    pub note: String,
}

/// A supervisor takes the alert on (from raised or delivered).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/ack", request_body = NoteRequest,
    responses((status = 200, body = AlertDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<AlertId>,
    JsonBody(body): JsonBody<NoteRequest>,
) -> ApiResult<Json<AlertDetail>> {
    session.require(supervises)?;
    alerts::acknowledge(&state, &session.agent, id, &body.note).await?;
    detail_of(&state, session.shop(), id).await.map(Json)
}

/// A supervisor says the alert is dealt with (acknowledging it too if nobody had).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", request_body = NoteRequest,
    responses((status = 200, body = AlertDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<AlertId>,
    JsonBody(body): JsonBody<NoteRequest>,
) -> ApiResult<Json<AlertDetail>> {
    session.require(supervises)?;
    alerts::resolve(&state, &session.agent, id, &body.note).await?;
    detail_of(&state, session.shop(), id).await.map(Json)
}

/// The shop's alert rules and robots, secrets shown only as set or not.
#[utoipa::path(get, path = "/api/v1/settings/alerts",
    responses((status = 200, body = AlertSettingsView), (status = 403, body = crate::error::ErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<AlertSettingsView>> {
    session.require(supervises)?;
    let settings = alerts::settings::load(&*state.store, session.shop()).await?;
    Ok(Json(settings.view()))
}

/// Changes the shop's alert rules and robots: fields left out keep their values; a robot's
/// `secret` left out is kept, an empty one removed; an empty `url` turns the robot off.
#[utoipa::path(put, path = "/api/v1/settings/alerts", request_body = AlertSettingsChange,
    responses((status = 200, body = AlertSettingsView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(change): JsonBody<AlertSettingsChange>,
) -> ApiResult<Json<AlertSettingsView>> {
    session.require(supervises)?;
    let shop = session.shop();
    let current = alerts::settings::load(&*state.store, shop).await?;
    let next = current
        .with(change)
        .map_err(|(field, message)| ApiError::field(&field, message))?;
    let allowed = state.alerts.webhook_hosts();
    for (name, robot) in [("dingtalk", &next.dingtalk), ("wecom", &next.wecom)] {
        if !robot.url.is_empty() && !kefu_engine::alerts::webhook_allowed(&robot.url, allowed) {
            return Err(ApiError::field(
                &format!("{name}.url"),
                format!("robots may post only to {}", allowed.join(", ")),
            ));
        }
    }
    let body = serde_json::to_string(&next).map_err(|_| ApiError::internal())?;
    state
        .store
        .put_shop_setting(shop, ALERT_SETTINGS, &body, state.clock.now())
        .await?;
    Ok(Json(next.view()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    /// dingtalk | wecom; both configured robots when left out.
    pub sink: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    pub results: Vec<Outcome>,
}

/// Sends a test message to the shop's robots now and says how each fared.
#[utoipa::path(post, path = "/api/v1/settings/alerts/test", request_body = TestRequest,
    responses((status = 200, body = TestResult), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn test_send(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(body): JsonBody<TestRequest>,
) -> ApiResult<Json<TestResult>> {
    session.require(supervises)?;
    let only = match body.sink.as_deref() {
        None => None,
        Some(s) => match Sink::parse(s) {
            Some(sink @ (Sink::Dingtalk | Sink::Wecom)) => Some(sink),
            _ => return Err(ApiError::field("sink", "dingtalk or wecom")),
        },
    };
    let results = alerts::test_robots(&state, session.shop(), only).await?;
    if results.is_empty() {
        return Err(ApiError::field(
            "sink",
            "no robot is configured; save a DingTalk or WeCom URL first",
        ));
    }
    Ok(Json(TestResult { results }))
}
