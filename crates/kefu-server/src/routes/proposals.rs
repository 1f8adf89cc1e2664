//! Keeping the knowledge base alive: entries proposed from the questions the bot could not
//! answer (approve with an answer, or dismiss), and the entries that help least, listed for
//! retirement. Everyone may read; supervisors and admins decide.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{IdPath, JsonBody};
use crate::lifecycle;
use crate::routes::knowledge::{EntryInput, EntryView, insert_entry};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/knowledge/proposals", get(list))
        .route("/knowledge/proposals/refresh", post(refresh))
        .route("/knowledge/proposals/{id}/approve", post(approve))
        .route("/knowledge/proposals/{id}/dismiss", post(dismiss))
        .route("/knowledge/retirement", get(retirement))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    #[schema(value_type = String)]
    pub id: ProposalId,
    /// The most central question of the group: the proposed standard question.
    pub question: String,
    pub similar: Vec<String>,
    /// Times asked, and by how many shoppers.
    pub asked: i64,
    pub askers: i64,
    /// open | approved | dismissed
    pub status: &'static str,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<&KnowledgeProposal> for ProposalView {
    fn from(p: &KnowledgeProposal) -> Self {
        ProposalView {
            id: p.id,
            question: p.question.clone(),
            similar: p.similar.clone(),
            asked: p.asked,
            askers: p.askers,
            status: p.status.as_str(),
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalList {
    /// When the proposals were last computed; null before the first time.
    #[schema(value_type = Option<String>)]
    pub refreshed_at: Option<Timestamp>,
    pub proposals: Vec<ProposalView>,
}

async fn open_proposals(state: &AppState, shop: ShopId) -> ApiResult<ProposalList> {
    let proposals = state
        .store
        .knowledge_proposals(shop, Some(ProposalStatus::Open))
        .await?;
    Ok(ProposalList {
        refreshed_at: lifecycle::refreshed_at(state, shop).await?,
        proposals: proposals.iter().map(ProposalView::from).collect(),
    })
}

/// The open proposals, most asked first.
#[utoipa::path(get, path = "/api/v1/knowledge/proposals",
    responses((status = 200, body = ProposalList)))]
pub async fn list(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<ProposalList>> {
    Ok(Json(open_proposals(&state, session.shop()).await?))
}

/// Groups the last week's unanswered questions into new proposals now (the weekly job does the
/// same by itself).
#[utoipa::path(post, path = "/api/v1/knowledge/proposals/refresh",
    responses((status = 200, body = ProposalList), (status = 403, body = crate::error::ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<ProposalList>> {
    session.require(Role::can_edit_knowledge)?;
    lifecycle::refresh_proposals(&state, session.shop()).await?;
    Ok(Json(open_proposals(&state, session.shop()).await?))
}

async fn open_proposal(state: &AppState, shop: ShopId, id: ProposalId) -> ApiResult<()> {
    let proposal = state
        .store
        .knowledge_proposal(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("proposal"))?;
    if proposal.status != ProposalStatus::Open {
        return Err(already_decided(proposal.status));
    }
    Ok(())
}

fn already_decided(status: ProposalStatus) -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        format!("the proposal was already {status}"),
    )
}

/// Turns a proposal into an entry with the admin's edits and answer (published unless another
/// status is asked for).
#[utoipa::path(post, path = "/api/v1/knowledge/proposals/{id}/approve", request_body = EntryInput,
    responses((status = 201, body = EntryView), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ProposalId>,
    JsonBody(input): JsonBody<EntryInput>,
) -> ApiResult<(StatusCode, Json<EntryView>)> {
    session.require(Role::can_edit_knowledge)?;
    let shop = session.shop();
    open_proposal(&state, shop, id).await?;
    let entry = insert_entry(&state, shop, &input, EntryStatus::Published).await?;
    let now = state.clock.now();
    let decided = state
        .store
        .decide_proposal(shop, id, ProposalStatus::Approved, Some(entry.id), now)
        .await?;
    if !decided {
        // Decided by someone else meanwhile: the entry stands (it was asked for), but say so.
        tracing::info!(%shop, proposal = %id, entry = %entry.id, "proposal decided concurrently");
    }
    Ok((StatusCode::CREATED, Json(EntryView::new(&entry, now))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dismissed {
    #[schema(value_type = String)]
    pub id: ProposalId,
    pub status: &'static str,
}

/// Dismisses a proposal: its questions are not proposed again.
#[utoipa::path(post, path = "/api/v1/knowledge/proposals/{id}/dismiss",
    responses((status = 200, body = Dismissed), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ProposalId>,
) -> ApiResult<Json<Dismissed>> {
    session.require(Role::can_edit_knowledge)?;
    let shop = session.shop();
    open_proposal(&state, shop, id).await?;
    let decided = state
        .store
        .decide_proposal(shop, id, ProposalStatus::Dismissed, None, state.clock.now())
        .await?;
    if !decided {
        return Err(already_decided(ProposalStatus::Approved));
    }
    Ok(Json(Dismissed {
        id,
        status: ProposalStatus::Dismissed.as_str(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetirableView {
    pub entry: EntryView,
    /// Helpful rate (one vote of each kind assumed) × share of answers not followed by a
    /// hand-off; 0 for an entry never used.
    pub usefulness: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetirementList {
    pub entries: Vec<RetirableView>,
}

/// The published entries in the bottom 20 % by usefulness, least useful first.
#[utoipa::path(get, path = "/api/v1/knowledge/retirement",
    responses((status = 200, body = RetirementList)))]
pub async fn retirement(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<RetirementList>> {
    let now = state.clock.now();
    let list = lifecycle::retirement_list(&state, session.shop()).await?;
    Ok(Json(RetirementList {
        entries: list
            .iter()
            .map(|r| RetirableView {
                entry: EntryView::new(&r.entry, now),
                usefulness: r.usefulness,
            })
            .collect(),
    }))
}
