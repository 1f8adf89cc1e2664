//! Tickets (工单): list, open from a conversation or a customer, read with history, and move
//! along — department with a due time, notes, resolved, closed by the owner after confirming
//! with the shopper, reopened, handed to another owner by a supervisor or admin.
//!
//! Ids in the path answer 404 when they are not the caller's shop's; ids in the body that are
//! not (a conversation, a customer, an agent) are a 422 on that field. Every change is decided
//! in `kefu_domain::ticket` over the version read and written with its history entry.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;
use crate::tickets::{self, TicketDetail, TicketView};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::ticket::{
    self, Department, Provenance, Ticket, TicketChange, TicketDraft, TicketError, TicketKind,
    TicketStatus,
};
use kefu_domain::*;
use kefu_store::{TicketFilter, TicketStatusFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(list).post(create))
        .route("/tickets/{id}", get(detail))
        .route("/tickets/{id}/department", post(assign_department))
        .route("/tickets/{id}/notes", post(add_note))
        .route("/tickets/{id}/resolve", post(resolve))
        .route("/tickets/{id}/close", post(close))
        .route("/tickets/{id}/reopen", post(reopen))
        .route("/tickets/{id}/owner", post(hand_over))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// active (default: all but closed) | open | in_progress | resolved | closed | all
    pub status: Option<String>,
    /// logistics | warehouse | after_sales | finance
    pub department: Option<String>,
    /// true: only the caller's own tickets
    pub mine: Option<bool>,
    /// true: only open or in-progress tickets past their due time
    pub overdue: Option<bool>,
    /// 1..=200, default 100
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub items: Vec<TicketView>,
}

fn flag(q: &HashMap<String, String>, name: &str) -> ApiResult<bool> {
    match q.get(name).map(String::as_str) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::field(name, "must be true or false")),
    }
}

/// The shop's tickets, due first.
#[utoipa::path(get, path = "/api/v1/tickets", params(ListQuery),
    responses((status = 200, body = TicketList), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    session: AgentSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<TicketList>> {
    let status = match q.get("status").map(String::as_str) {
        None | Some("") | Some("active") => None,
        Some("all") => Some(TicketStatusFilter::All),
        Some(s) => Some(TicketStatusFilter::Only(
            TicketStatus::parse(s).ok_or_else(|| {
                ApiError::field(
                    "status",
                    "must be active, open, in_progress, resolved, closed or all",
                )
            })?,
        )),
    };
    let department = match q.get("department").map(String::as_str) {
        None | Some("") => None,
        Some(d) => Some(department(d)?),
    };
    let limit = match q.get("limit") {
        None => 100,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 200"))?,
    };
    let now = state.clock.now();
    let filter = TicketFilter {
        status,
        department,
        owner: flag(&q, "mine")?.then_some(session.agent.id),
        overdue_at: flag(&q, "overdue")?.then_some(now),
    };
    let shop = session.shop();
    let found = state.store.list_tickets(shop, &filter, limit).await?;
    Ok(Json(TicketList {
        items: tickets::views(&state, shop, &found, now).await?,
    }))
}

fn department(s: &str) -> ApiResult<Department> {
    Department::parse(s).ok_or_else(|| {
        ApiError::field(
            "department",
            "must be logistics, warehouse, after_sales or finance",
        )
    })
}

fn due_time(s: &str) -> ApiResult<Timestamp> {
    Timestamp::parse_rfc3339(s).ok_or_else(|| ApiError::field("due_at", "must be an RFC 3339 time"))
}

fn body_id<T: std::str::FromStr>(field: &str, raw: &str) -> ApiResult<T> {
    raw.parse()
        .map_err(|_| ApiError::field(field, "not a valid id"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    /// The conversation the ticket comes from; its shopper is the ticket's customer.
    pub conversation_id: Option<String>,
    /// The customer, for a ticket without a conversation (or the conversation's, if both).
    pub customer_id: Option<String>,
    pub order_no: Option<String>,
    /// refund_check | lost_parcel | quality_claim | other
    pub kind: String,
    /// 1..=100 characters.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// RFC 3339, in the future.
    pub due_at: Option<String>,
}

/// Opens a ticket. Its owner is the agent who first took the conversation (首问负责), not
/// necessarily the caller; a ticket about an order that already had one is marked as a repeat.
#[utoipa::path(post, path = "/api/v1/tickets", request_body = CreateTicket,
    responses((status = 201, body = TicketDetail), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(input): JsonBody<CreateTicket>,
) -> ApiResult<(StatusCode, Json<TicketDetail>)> {
    let shop = session.shop();
    let kind = TicketKind::parse(&input.kind).ok_or_else(|| {
        ApiError::field(
            "kind",
            "must be refund_check, lost_parcel, quality_claim or other",
        )
    })?;
    let due_at = input.due_at.as_deref().map(due_time).transpose()?;
    let conversation =
        match input.conversation_id.as_deref() {
            None => None,
            Some(raw) => {
                let id: ConversationId = body_id("conversation_id", raw)?;
                Some(
                    state.store.conversation(shop, id).await?.ok_or_else(|| {
                        ApiError::field("conversation_id", "no such conversation")
                    })?,
                )
            }
        };
    let named_customer: Option<CustomerId> = input
        .customer_id
        .as_deref()
        .map(|raw| body_id("customer_id", raw))
        .transpose()?;
    let customer = match (&conversation, named_customer) {
        (Some(c), Some(named)) if c.customer != named => {
            return Err(ApiError::field(
                "customer_id",
                "is not the conversation's customer",
            ));
        }
        (Some(c), _) => c.customer,
        (None, Some(named)) => named,
        (None, None) => {
            return Err(ApiError::field(
                "customer_id",
                "give a conversation_id or a customer_id",
            ));
        }
    };
    if state.store.customer(shop, customer).await?.is_none() {
        return Err(ApiError::field("customer_id", "no such customer"));
    }
    let draft = TicketDraft {
        conversation: conversation.as_ref().map(|c| c.id),
        customer,
        order_no: input.order_no,
        kind,
        title: input.title,
        description: input.description,
        due_at,
    };
    let repeat_of = match draft.order_no.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(no) => state
            .store
            .first_ticket_for_order(shop, no)
            .await?
            .map(|t| t.id),
    };
    let owner = tickets::owner_for(&state, shop, draft.conversation, session.agent.id).await?;
    let now = state.clock.now();
    let provenance = Provenance { owner, repeat_of };
    let (new, change) = ticket::create(
        shop,
        TicketId::new(),
        &draft,
        provenance,
        session.agent.id,
        now,
    )?;
    let stored = state.store.create_ticket(&new, &change).await?;
    tracing::info!(%shop, ticket = %stored.id, number = stored.number, owner = %owner, "ticket opened");
    // A ticket is a complaint for the hourly complaint baseline.
    if let Err(e) = crate::alerts::detect::count_complaints(&state, shop, 1).await {
        tracing::error!(%shop, error = %e.message, "ticket not counted as a complaint");
    }
    Ok((
        StatusCode::CREATED,
        Json(tickets::detail(&state, shop, stored.id).await?),
    ))
}

/// A ticket with its history.
#[utoipa::path(get, path = "/api/v1/tickets/{id}",
    responses((status = 200, body = TicketDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(tickets::detail(&state, session.shop(), id).await?))
}

/// Reads the ticket, decides the change over it and writes both if nobody changed the ticket
/// meanwhile (409 `stale_version` otherwise).
async fn change(
    state: &AppState,
    session: &AgentSession,
    id: TicketId,
    decide: impl FnOnce(&Ticket, Timestamp) -> Result<(Ticket, TicketChange), TicketError>,
) -> ApiResult<Json<TicketDetail>> {
    let shop = session.shop();
    let current = state
        .store
        .ticket(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let (next, entry) = decide(&current, state.clock.now())?;
    state
        .store
        .update_ticket(&next, current.version, &entry)
        .await?;
    Ok(Json(tickets::detail(state, shop, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRequest {
    /// logistics | warehouse | after_sales | finance
    pub department: String,
    /// RFC 3339, in the future.
    pub due_at: String,
}

/// Gives the ticket to a department with a due time (the same department: a new due time).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/department", request_body = DepartmentRequest,
    responses((status = 200, body = TicketDetail), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn assign_department(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
    JsonBody(input): JsonBody<DepartmentRequest>,
) -> ApiResult<Json<TicketDetail>> {
    let department = department(&input.department)?;
    let due_at = due_time(&input.due_at)?;
    let by = session.agent.id;
    change(&state, &session, id, |t, now| {
        ticket::assign_department(t, by, department, due_at, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// 1..=2000 characters.
    pub text: String,
}

/// Adds a note to the ticket's history.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/notes", request_body = NoteRequest,
    responses((status = 200, body = TicketDetail), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
    JsonBody(input): JsonBody<NoteRequest>,
) -> ApiResult<Json<TicketDetail>> {
    let by = session.agent.id;
    change(&state, &session, id, |t, now| {
        ticket::add_note(t, by, &input.text, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What the department did; optional.
    #[serde(default)]
    pub note: String,
}

/// The department is done: the ticket goes back to its owner to confirm with the shopper.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/resolve", request_body = ResolveRequest,
    responses((status = 200, body = TicketDetail), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
    JsonBody(input): JsonBody<ResolveRequest>,
) -> ApiResult<Json<TicketDetail>> {
    let by = session.agent.id;
    change(&state, &session, id, |t, now| {
        ticket::resolve(t, by, &input.note, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Must be true: the owner confirmed the outcome with the shopper (已与顾客确认).
    #[serde(default)]
    pub confirmed_with_shopper: bool,
    #[serde(default)]
    pub note: String,
}

/// Closes the ticket: only its owner, and only after confirming with the shopper.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/close", request_body = CloseRequest,
    responses((status = 200, body = TicketDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
    JsonBody(input): JsonBody<CloseRequest>,
) -> ApiResult<Json<TicketDetail>> {
    let by = session.agent.id;
    change(&state, &session, id, |t, now| {
        ticket::close(t, by, input.confirmed_with_shopper, &input.note, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    /// Why it is open again; 1..=2000 characters.
    pub reason: String,
}

/// Opens a closed ticket again; it returns to its owner and the reopening is counted.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reopen", request_body = ReopenRequest,
    responses((status = 200, body = TicketDetail), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn reopen(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
    JsonBody(input): JsonBody<ReopenRequest>,
) -> ApiResult<Json<TicketDetail>> {
    let by = session.agent.id;
    change(&state, &session, id, |t, now| {
        ticket::reopen(t, by, &input.reason, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerRequest {
    /// The new owner's agent id.
    pub agent: String,
    #[serde(default)]
    pub reason: String,
}

/// Hands the ticket to another owner (supervisors and admins only).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/owner", request_body = OwnerRequest,
    responses((status = 200, body = TicketDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn hand_over(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<TicketId>,
    JsonBody(input): JsonBody<OwnerRequest>,
) -> ApiResult<Json<TicketDetail>> {
    session.require(ticket::can_hand_over)?;
    let to: AgentId = body_id("agent", &input.agent)?;
    let to = state
        .store
        .agent(session.shop(), to)
        .await?
        .ok_or_else(|| ApiError::field("agent", "no such agent in this shop"))?;
    let by = session.agent.clone();
    change(&state, &session, id, |t, now| {
        ticket::hand_over(t, &by, &to, &input.reason, now)
    })
    .await
}
