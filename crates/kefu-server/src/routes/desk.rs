//! The service desk over HTTP: the supervisor's queue view, agents' status, transfers, the
//! shop's service rules, and the waiting shopper's place in the queue.

use crate::auth::{AgentSession, Visitor};
use crate::desk::settings::{SERVICE_SETTINGS, ServiceSettings};
use crate::desk::{self, TransferRequest};
use crate::error::{ApiError, ApiResult};
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;
use crate::views::{AgentView, ConversationView, CustomerBrief};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/desk", get(overview))
        .route("/desk/status", get(my_current_status).post(my_status))
        .route("/desk/agents/{id}/status", post(agent_status))
        .route("/conversations/{id}/transfer", post(transfer))
        .route(
            "/settings/service",
            get(service_settings).put(put_service_settings),
        )
        .route("/widget/queue", get(widget_queue))
}

/// Most of the day's events of one kind read for the counts.
const DAY_EVENTS: u32 = 100_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDeskView {
    pub agent: AgentView,
    /// online | busy | away | offline
    #[schema(value_type = String)]
    pub status: AgentStatus,
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    /// Conversations held now.
    pub active: u32,
    pub breaches_today: usize,
    /// Reached the shop's daily breach line (red).
    pub flagged: bool,
    /// yellow | red, once reached today.
    pub line: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingView {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub customer: CustomerBrief,
    /// normal | complaint | vip | human_only | crisis
    #[schema(value_type = String)]
    pub priority: Priority,
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    /// silent | offline, when an agent lost it.
    #[schema(value_type = Option<String>)]
    pub sent_back: Option<SendBackReason>,
    /// An offline message's due time.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    /// standard | expert | crisis
    #[schema(value_type = String)]
    pub tier: Tier,
    pub skill: Option<String>,
    /// Seats of the queue's online agents.
    pub capacity: u32,
    /// Next first.
    pub waiting: Vec<WaitingView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfflineMessageView {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub customer: CustomerBrief,
    #[schema(value_type = String, format = DateTime)]
    pub left_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub due: Timestamp,
    #[schema(value_type = Option<String>)]
    pub holder: Option<AgentId>,
    /// Past due: escalated to the supervisor.
    pub overdue: bool,
}

/// Today's counts (shop day, from 00:00 UTC+8).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct TodayView {
    pub warnings: usize,
    pub breaches: usize,
    /// Conversations that reached people today.
    pub reached_people: usize,
    /// Conversations transferred at least once today.
    pub transferred: usize,
    /// transferred / reached_people; null before anyone reached people.
    pub transfer_rate: Option<f64>,
    /// Times a conversation was taken from a silent or departed agent.
    pub sent_back: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeskView {
    pub agents: Vec<AgentDeskView>,
    pub queues: Vec<QueueView>,
    /// Offline messages (留言) not answered yet, soonest due first.
    pub offline: Vec<OfflineMessageView>,
    pub today: TodayView,
    /// Breaches in a day that flag an agent (red) and that warn first (yellow).
    pub red_line: u32,
    pub yellow_line: u32,
}

/// The supervisor's picture: who is online with how much work, who waits where, the offline
/// messages and today's SLA and transfer counts.
#[utoipa::path(get, path = "/api/v1/desk", responses((status = 200, body = DeskView)))]
pub async fn overview(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<DeskView>> {
    let shop = session.shop();
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let now = state.clock.now();
    let snapshot = desk.snapshot(now);
    let mut ids: Vec<CustomerId> = snapshot
        .queues
        .iter()
        .flat_map(|(_, w)| w.iter().map(|(_, c, _)| *c))
        .chain(snapshot.offline.iter().map(|m| m.customer))
        .collect();
    ids.sort();
    ids.dedup();
    let briefs: HashMap<CustomerId, CustomerBrief> = state
        .store
        .customers_by_ids(shop, &ids)
        .await?
        .iter()
        .map(|c| (c.id, CustomerBrief::from(c)))
        .collect();
    let brief = |id: CustomerId| {
        briefs.get(&id).cloned().unwrap_or(CustomerBrief {
            id,
            nickname: String::new(),
            vip_level: 0,
        })
    };
    let line = snapshot.red_line as usize;
    let agents = snapshot
        .agents
        .iter()
        .map(|a| AgentDeskView {
            agent: AgentView::from(&a.agent),
            status: a.status,
            since: a.since,
            active: a.active,
            breaches_today: a.breaches_today,
            flagged: a.breaches_today >= line,
            line: if a.breaches_today >= line {
                Some("red")
            } else if a.breaches_today >= snapshot.yellow_line as usize {
                Some("yellow")
            } else {
                None
            },
        })
        .collect();
    let queues = snapshot
        .queues
        .iter()
        .map(|(q, waiting)| QueueView {
            tier: q.tier,
            skill: q.skill.clone(),
            capacity: q.capacity,
            waiting: waiting
                .iter()
                .map(|(id, customer, w)| WaitingView {
                    conversation_id: *id,
                    customer: brief(*customer),
                    priority: w.priority,
                    since: w.since,
                    sent_back: w.sent_back.map(|s| s.reason),
                    due: w.due,
                })
                .collect(),
        })
        .collect();
    let offline = snapshot
        .offline
        .iter()
        .map(|m| OfflineMessageView {
            conversation_id: m.conversation,
            customer: brief(m.customer),
            left_at: m.left_at,
            due: m.due,
            holder: m.holder,
            overdue: m.overdue,
        })
        .collect();
    Ok(Json(DeskView {
        agents,
        queues,
        offline,
        today: today(&state, shop, now).await?,
        red_line: snapshot.red_line,
        yellow_line: snapshot.yellow_line,
    }))
}

/// The day's counts, read from the log.
async fn today(state: &AppState, shop: ShopId, now: Timestamp) -> ApiResult<TodayView> {
    let events = state
        .store
        .events_of_kinds(
            shop,
            &[Event::SLA_SIGNALED, "queued", "transferred"],
            now.shop_midnight(),
            DAY_EVENTS,
        )
        .await?;
    let mut out = TodayView::default();
    let (mut reached, mut transferred) = (HashSet::new(), HashSet::new());
    for e in &events {
        match &e.event {
            Event::SlaSignaled { signal, .. } => match signal.level {
                SlaLevel::Warning => out.warnings += 1,
                SlaLevel::Breach => out.breaches += 1,
            },
            Event::Queued {
                conversation,
                sent_back,
                ..
            } => {
                reached.insert(*conversation);
                out.sent_back += usize::from(sent_back.is_some());
            }
            Event::Transferred { conversation, .. } => {
                transferred.insert(*conversation);
            }
            _ => {}
        }
    }
    out.reached_people = reached.len();
    out.transferred = transferred.len();
    out.transfer_rate =
        (!reached.is_empty()).then(|| transferred.len() as f64 / reached.len() as f64);
    Ok(out)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// online | busy | away | offline
    pub status: String,
}

fn parse_status(raw: &str) -> ApiResult<AgentStatus> {
    AgentStatus::parse(raw)
        .ok_or_else(|| ApiError::field("status", "must be online, busy, away or offline"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    #[schema(value_type = String)]
    pub agent_id: AgentId,
    #[schema(value_type = String)]
    pub status: AgentStatus,
}

/// The caller's own status.
#[utoipa::path(get, path = "/api/v1/desk/status", responses((status = 200, body = StatusView)))]
pub async fn my_current_status(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<StatusView>> {
    let desk = state.desk.for_shop(&*state.store, session.shop()).await?;
    Ok(Json(StatusView {
        agent_id: session.agent.id,
        status: desk.status_of(session.agent.id),
    }))
}

/// Sets the caller's own status. Offline sends their conversations back to the queue.
#[utoipa::path(post, path = "/api/v1/desk/status", request_body = StatusRequest,
    responses((status = 200, body = StatusView), (status = 422, body = crate::error::ErrorBody)))]
pub async fn my_status(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(req): JsonBody<StatusRequest>,
) -> ApiResult<Json<StatusView>> {
    let status = parse_status(&req.status)?;
    desk::set_status(&state, session.shop(), session.agent.id, status).await?;
    Ok(Json(StatusView {
        agent_id: session.agent.id,
        status,
    }))
}

/// Sets another agent's status (supervisors and admins).
#[utoipa::path(post, path = "/api/v1/desk/agents/{id}/status", request_body = StatusRequest,
    responses((status = 200, body = StatusView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn agent_status(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(agent): IdPath<AgentId>,
    JsonBody(req): JsonBody<StatusRequest>,
) -> ApiResult<Json<StatusView>> {
    session.require(|r| matches!(r, Role::Supervisor | Role::Admin))?;
    let status = parse_status(&req.status)?;
    desk::set_status(&state, session.shop(), agent, status).await?;
    Ok(Json(StatusView {
        agent_id: agent,
        status,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// An agent to hand it to directly.
    #[schema(value_type = Option<String>)]
    pub to_agent: Option<String>,
    /// Or a tier's queue: standard | expert | crisis …
    pub to_tier: Option<String>,
    /// … optionally one skill group of it (售前, 售后, 物流 …).
    pub to_skill: Option<String>,
    /// Why (1–200 characters); recorded and shown to whoever takes it.
    pub reason: String,
}

/// Passes a conversation to another agent or queue, keeping everything said so far.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/transfer", request_body = TransferBody,
    responses((status = 200, body = ConversationView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
    JsonBody(body): JsonBody<TransferBody>,
) -> ApiResult<Json<ConversationView>> {
    let to_agent = match body.to_agent.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.parse::<AgentId>()
                .map_err(|_| ApiError::field("to_agent", "not an agent id"))?,
        ),
    };
    let to_tier = match body.to_tier.as_deref() {
        None => None,
        Some(raw) => Some(
            Tier::parse(raw)
                .ok_or_else(|| ApiError::field("to_tier", "standard, expert or crisis"))?,
        ),
    };
    let request = TransferRequest {
        to_agent,
        to_tier,
        to_skill: body.to_skill,
        reason: body.reason,
    };
    desk::transfer(&state, &session.agent, id, request)
        .await
        .map(Json)
}

/// The shop's service rules.
#[utoipa::path(get, path = "/api/v1/settings/service", responses((status = 200, body = Object)))]
pub async fn service_settings(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<ServiceSettings>> {
    let desk = state.desk.for_shop(&*state.store, session.shop()).await?;
    Ok(Json(desk.settings()))
}

/// Replaces the shop's service rules (missing fields take their defaults); running clocks
/// follow the new targets.
#[utoipa::path(put, path = "/api/v1/settings/service", request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_service_settings(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(settings): JsonBody<ServiceSettings>,
) -> ApiResult<Json<ServiceSettings>> {
    session.require(|r| matches!(r, Role::Supervisor | Role::Admin))?;
    settings
        .validate()
        .map_err(|e| ApiError::field(&e.field, e.message))?;
    let body = serde_json::to_string(&settings).map_err(|_| ApiError::internal())?;
    let shop = session.shop();
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    state
        .store
        .put_shop_setting(shop, SERVICE_SETTINGS, &body, state.clock.now())
        .await?;
    desk.set_settings(settings.clone());
    desk::dispatch(&state, &desk).await;
    Ok(Json(settings))
}

/// Where the shopper's conversation waits.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetQueueView {
    /// False when the conversation is not waiting for a person (the bot or an agent serves it).
    pub waiting: bool,
    /// 0 = next.
    pub position: Option<usize>,
    pub estimated_wait_ms: Option<i64>,
    /// An offline message's reply is due by then.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due: Option<Timestamp>,
}

/// The shopper's place in the queue, for the widget (then kept live by `queue.status` frames).
#[utoipa::path(get, path = "/api/v1/widget/queue", responses((status = 200, body = WidgetQueueView)))]
pub async fn widget_queue(
    State(state): State<AppState>,
    visitor: Visitor,
) -> ApiResult<Json<WidgetQueueView>> {
    let (shop, customer) = (visitor.shop, visitor.customer);
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let open = state.store.open_conversation_of(shop, customer).await?;
    let status = open.and_then(|c| desk.queue_status(c.id));
    Ok(Json(WidgetQueueView {
        waiting: status.is_some(),
        position: status.map(|s| s.position),
        estimated_wait_ms: status.and_then(|s| s.estimated_wait_ms),
        due: status.and_then(|s| s.due),
    }))
}
