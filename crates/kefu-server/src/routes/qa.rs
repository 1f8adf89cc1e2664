//! Conversation QA (质检) through the API: a closed conversation's score and items, a
//! supervisor's override of an item, the agent's one appeal and its decision, the supervisors'
//! list with per-agent averages, and the shop's rubric weights.
//!
//! Supervisors and admins read and review any conversation; an agent reads the scores of their
//! own conversations and appeals them. Every change is checked before anything is written.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{IdPath, JsonBody};
use crate::qa;
use crate::state::AppState;
use crate::tickets::AgentBrief;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use kefu_engine::qa::score::{Evidence, QaItem, QaRubric, Weights};
use kefu_store::{
    QaAppeal, QaAppealStatus, QaOverride, QaReview, QaScoreFilter, QaScoreRecord, StoreError,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}/qa", get(conversation_qa))
        .route("/conversations/{id}/qa/reviews", post(review))
        .route("/conversations/{id}/qa/appeal", post(appeal))
        .route("/qa/appeals", get(appeals))
        .route("/qa/appeals/{id}/decision", post(decide))
        .route("/qa/scores", get(scores))
        .route("/settings/qa", get(rubric).put(put_rubric))
}

/// Longest comment or reason, in characters.
const MAX_TEXT_CHARS: usize = 500;
/// Scores and appeals listed at most.
const MAX_LIST: u32 = 500;

fn supervises(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub note: String,
    #[schema(value_type = Option<String>)]
    pub message_id: Option<MessageId>,
}

impl From<&Evidence> for EvidenceView {
    fn from(e: &Evidence) -> Self {
        Self {
            note: e.note.clone(),
            message_id: e.message,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    #[schema(value_type = String)]
    pub id: QaReviewId,
    pub item: String,
    pub score: i64,
    pub comment: String,
    pub reviewer: AgentBrief,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The appeal this override decided, if it did.
    #[schema(value_type = Option<String>)]
    pub appeal_id: Option<QaAppealId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    /// timeliness | forbidden_phrases | promises | politeness | resolution | emotion
    pub item: String,
    /// The effective score: the latest override's, else the scorer's.
    pub score: u8,
    /// The scorer's score.
    pub auto_score: u8,
    pub weight: u8,
    /// Whether it counts in the total (an item with nothing to judge does not, until a
    /// supervisor scores it).
    pub applicable: bool,
    pub explanation: String,
    pub evidence: Vec<EvidenceView>,
    /// The latest override of this item.
    pub review: Option<ReviewView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealView {
    #[schema(value_type = String)]
    pub id: QaAppealId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub agent: AgentBrief,
    pub item: String,
    pub reason: String,
    /// open | accepted | rejected
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub decided_by: Option<AgentBrief>,
    pub decision: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QaView {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub agent: Option<AgentBrief>,
    #[schema(value_type = String, format = DateTime)]
    pub closed_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub scored_at: Timestamp,
    /// The effective total (0–100), after overrides.
    pub total: u8,
    /// The scorer's total.
    pub auto_total: u8,
    pub rubric_version: i64,
    pub items: Vec<ItemView>,
    /// Every override, oldest first.
    pub reviews: Vec<ReviewView>,
    pub appeal: Option<AppealView>,
    /// Whether the caller may override items.
    pub can_review: bool,
    /// Whether the caller may appeal (the conversation's agent, once).
    pub can_appeal: bool,
}

/// The shop's agents by id, for naming them in views.
async fn agents(state: &AppState, shop: ShopId) -> ApiResult<HashMap<AgentId, Agent>> {
    Ok(state
        .store
        .list_agents(shop)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect())
}

fn brief(agents: &HashMap<AgentId, Agent>, id: AgentId) -> AgentBrief {
    AgentBrief {
        id,
        display_name: agents
            .get(&id)
            .map(|a| a.display_name.clone())
            .unwrap_or_default(),
    }
}

fn review_view(agents: &HashMap<AgentId, Agent>, r: &QaReview) -> ReviewView {
    ReviewView {
        id: r.id,
        item: r.item.clone(),
        score: r.score,
        comment: r.comment.clone(),
        reviewer: brief(agents, r.reviewer),
        at: r.at,
        appeal_id: r.appeal,
    }
}

fn appeal_view(agents: &HashMap<AgentId, Agent>, a: &QaAppeal) -> AppealView {
    AppealView {
        id: a.id,
        conversation_id: a.conversation,
        agent: brief(agents, a.agent),
        item: a.item.clone(),
        reason: a.reason.clone(),
        status: a.status.as_str().to_owned(),
        created_at: a.created_at,
        decided_by: a.decided_by.map(|id| brief(agents, id)),
        decision: a.decision.clone(),
        decided_at: a.decided_at,
    }
}

/// A closed conversation of the caller's shop that the caller may see the score of.
async fn visible_score(
    state: &AppState,
    session: &AgentSession,
    id: ConversationId,
) -> ApiResult<QaScoreRecord> {
    let conversation = state
        .store
        .conversation(session.shop(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    if !supervises(session.agent.role) && !conversation.state.is_open() {
        // An agent sees only their own scores, and is refused before anything is scored: a
        // stored score names its agent; one not made yet would be the last holder's.
        let me = Some(session.agent.id);
        let owner = match state.store.qa_score(session.shop(), id).await? {
            Some(stored) => stored.agent,
            None => conversation.assigned_agent,
        };
        if owner != me {
            return Err(ApiError::forbidden());
        }
    }
    let record = qa::score_of(&*state.store, &conversation, state.clock.now()).await?;
    if !supervises(session.agent.role) && record.agent != Some(session.agent.id) {
        return Err(ApiError::forbidden());
    }
    Ok(record)
}

async fn view(
    state: &AppState,
    session: &AgentSession,
    record: &QaScoreRecord,
) -> ApiResult<QaView> {
    let shop = session.shop();
    let reviews = state.store.qa_reviews(shop, record.conversation).await?;
    let appeal = state.store.qa_appeal_of(shop, record.conversation).await?;
    let agents = agents(state, shop).await?;
    let (effective, auto_total) = qa::effective(record, &reviews)?;
    let items = effective
        .items
        .iter()
        .map(|i| {
            let latest = reviews.iter().rev().find(|r| r.item == i.item.as_str());
            ItemView {
                item: i.item.as_str().to_owned(),
                score: latest.map_or(i.score, |r| r.score.clamp(0, 100) as u8),
                auto_score: i.score,
                weight: i.weight,
                applicable: i.applicable || latest.is_some(),
                explanation: i.explanation.clone(),
                evidence: i.evidence.iter().map(EvidenceView::from).collect(),
                review: latest.map(|r| review_view(&agents, r)),
            }
        })
        .collect();
    Ok(QaView {
        conversation_id: record.conversation,
        agent: record.agent.map(|a| brief(&agents, a)),
        closed_at: record.closed_at,
        scored_at: record.scored_at,
        total: effective.total,
        auto_total,
        rubric_version: record.rubric_version,
        items,
        reviews: reviews.iter().map(|r| review_view(&agents, r)).collect(),
        can_review: supervises(session.agent.role),
        can_appeal: appeal.is_none() && record.agent == Some(session.agent.id),
        appeal: appeal.as_ref().map(|a| appeal_view(&agents, a)),
    })
}

/// A closed conversation's QA score, items, overrides and appeal; scored now if it never was.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/qa",
    responses((status = 200, body = QaView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn conversation_qa(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
) -> ApiResult<Json<QaView>> {
    let record = visible_score(&state, &session, id).await?;
    Ok(Json(view(&state, &session, &record).await?))
}

fn item(raw: &str) -> ApiResult<QaItem> {
    QaItem::parse(raw).ok_or_else(|| {
        ApiError::field(
            "item",
            "must be timeliness, forbidden_phrases, promises, politeness, resolution or emotion",
        )
    })
}

fn text(field: &str, raw: &str) -> ApiResult<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_TEXT_CHARS {
        return Err(ApiError::field(
            field,
            format!("1 to {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(t.to_owned())
}

fn points(field: &str, raw: i64) -> ApiResult<i64> {
    if (0..=100).contains(&raw) {
        Ok(raw)
    } else {
        Err(ApiError::field(field, "a score from 0 to 100"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// The item to override.
    pub item: String,
    /// Its new score, 0–100.
    pub score: i64,
    /// Why (1–500 characters).
    pub comment: String,
}

/// An override written with the total it leads to, against the score's version.
async fn write_review(
    state: &AppState,
    record: &QaScoreRecord,
    review: &QaReview,
) -> ApiResult<()> {
    let mut reviews = state
        .store
        .qa_reviews(record.shop, record.conversation)
        .await?;
    reviews.push(review.clone());
    let (effective, _) = qa::effective(record, &reviews)?;
    state
        .store
        .add_qa_review(QaOverride {
            review,
            total: i64::from(effective.total),
            expected_version: record.version,
        })
        .await?;
    Ok(())
}

/// A supervisor overrides one item's score, with a comment; the total follows.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/qa/reviews", request_body = ReviewBody,
    responses((status = 201, body = QaView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
    JsonBody(body): JsonBody<ReviewBody>,
) -> ApiResult<(StatusCode, Json<QaView>)> {
    session.require(supervises)?;
    let item = item(&body.item)?;
    let score = points("score", body.score)?;
    let comment = text("comment", &body.comment)?;
    let record = visible_score(&state, &session, id).await?;
    if record.agent == Some(session.agent.id) && session.agent.role != Role::Admin {
        // Nobody reviews their own work: another supervisor (or an admin) does.
        return Err(ApiError::forbidden());
    }
    let review = QaReview {
        id: QaReviewId::new(),
        shop: session.shop(),
        conversation: id,
        item: item.as_str().to_owned(),
        score,
        comment,
        reviewer: session.agent.id,
        at: state.clock.now(),
        appeal: None,
    };
    write_review(&state, &record, &review).await?;
    let record = visible_score(&state, &session, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &session, &record).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    /// The item appealed.
    pub item: String,
    /// Why the agent disagrees (1–500 characters).
    pub reason: String,
}

/// The conversation's agent appeals one item, once per conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/qa/appeal", request_body = AppealBody,
    responses((status = 201, body = QaView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn appeal(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<ConversationId>,
    JsonBody(body): JsonBody<AppealBody>,
) -> ApiResult<(StatusCode, Json<QaView>)> {
    let item = item(&body.item)?;
    let reason = text("reason", &body.reason)?;
    let record = visible_score(&state, &session, id).await?;
    if record.agent != Some(session.agent.id) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only the conversation's agent may appeal its score",
        ));
    }
    let appeal = QaAppeal {
        id: QaAppealId::new(),
        shop: session.shop(),
        conversation: id,
        agent: session.agent.id,
        item: item.as_str().to_owned(),
        reason,
        created_at: state.clock.now(),
        status: QaAppealStatus::Open,
        decided_by: None,
        decision: None,
        decided_at: None,
    };
    match state.store.insert_qa_appeal(&appeal).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => {
            return Err(ApiError::new(
                ErrorCode::AlreadyAppealed,
                "this conversation's score was already appealed; an appeal is allowed once",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &session, &record).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// accept | reject
    pub decision: String,
    /// Why (1–500 characters); the agent sees it.
    pub comment: String,
    /// Accepting sets the appealed item to this score (0–100); rejecting takes none.
    pub score: Option<i64>,
}

/// A supervisor accepts an open appeal (the item gets the given score, recorded as an
/// override) or rejects it.
#[utoipa::path(post, path = "/api/v1/qa/appeals/{id}/decision", request_body = DecisionBody,
    responses((status = 200, body = QaView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<QaAppealId>,
    JsonBody(body): JsonBody<DecisionBody>,
) -> ApiResult<Json<QaView>> {
    session.require(supervises)?;
    let accept = match body.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(ApiError::field("decision", "must be accept or reject")),
    };
    let comment = text("comment", &body.comment)?;
    let score = match (accept, body.score) {
        (true, Some(s)) => Some(points("score", s)?),
        (true, None) => {
            return Err(ApiError::field(
                "score",
                "accepting an appeal gives the item its new score",
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::field(
                "score",
                "a rejected appeal keeps the score",
            ));
        }
        (false, None) => None,
    };
    let shop = session.shop();
    let found = state
        .store
        .qa_appeal(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("appeal"))?;
    let decided_already =
        || ApiError::new(ErrorCode::AppealDecided, "this appeal was already decided");
    if found.status != QaAppealStatus::Open {
        return Err(decided_already());
    }
    let record = visible_score(&state, &session, found.conversation).await?;
    if found.agent == session.agent.id && session.agent.role != Role::Admin {
        // Nobody decides their own appeal.
        return Err(ApiError::forbidden());
    }
    let now = state.clock.now();
    let decided = QaAppeal {
        status: if accept {
            QaAppealStatus::Accepted
        } else {
            QaAppealStatus::Rejected
        },
        decided_by: Some(session.agent.id),
        decision: Some(comment.clone()),
        decided_at: Some(now),
        ..found.clone()
    };
    let fix = score.map(|s| QaReview {
        id: QaReviewId::new(),
        shop,
        conversation: found.conversation,
        item: found.item.clone(),
        score: s,
        comment,
        reviewer: session.agent.id,
        at: now,
        appeal: Some(found.id),
    });
    let total = match &fix {
        Some(r) => {
            let mut reviews = state.store.qa_reviews(shop, found.conversation).await?;
            reviews.push(r.clone());
            Some(i64::from(qa::effective(&record, &reviews)?.0.total))
        }
        None => None,
    };
    let change = fix.as_ref().zip(total).map(|(review, total)| QaOverride {
        review,
        total,
        expected_version: record.version,
    });
    if !state.store.decide_qa_appeal(&decided, change).await? {
        return Err(decided_already());
    }
    let record = visible_score(&state, &session, found.conversation).await?;
    Ok(Json(view(&state, &session, &record).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ScoresQuery {
    /// Only this agent's conversations.
    pub agent: Option<String>,
    /// Closed at or after: RFC 3339, or a shop-time date `2025-12-01`.
    pub from: Option<String>,
    /// Closed before.
    pub to: Option<String>,
    /// 1..=500, default 200.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreRow {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub agent: Option<AgentBrief>,
    #[schema(value_type = String, format = DateTime)]
    pub closed_at: Timestamp,
    pub total: i64,
    pub auto_total: i64,
    /// A supervisor's override moved the total away from the scorer's.
    pub reviewed: bool,
    /// open | accepted | rejected, when appealed.
    pub appeal: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentAverageView {
    pub agent: AgentBrief,
    pub conversations: i64,
    /// Mean effective total, one decimal.
    pub average: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreList {
    pub items: Vec<ScoreRow>,
    /// Over every score in the range, not only the listed ones.
    pub agents: Vec<AgentAverageView>,
}

fn time(field: &str, raw: Option<&String>) -> ApiResult<Option<Timestamp>> {
    match raw.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Timestamp::parse_flexible(s)
            .map(Some)
            .ok_or_else(|| ApiError::field(field, "an RFC 3339 time or a date such as 2025-12-01")),
    }
}

/// The end of a range: a bare date (`2025-12-01`) includes that whole shop day.
fn end_of(field: &str, raw: Option<&String>) -> ApiResult<Option<Timestamp>> {
    let bare_date = raw.is_some_and(|s| s.trim().len() == 10);
    Ok(time(field, raw)?.map(|t| {
        if bare_date {
            t.plus_millis(86_400_000)
        } else {
            t
        }
    }))
}

/// Scored conversations, newest close first, with each agent's average (supervisors).
#[utoipa::path(get, path = "/api/v1/qa/scores", params(ScoresQuery),
    responses((status = 200, body = ScoreList), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn scores(
    State(state): State<AppState>,
    session: AgentSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ScoreList>> {
    session.require(supervises)?;
    let agent = match q.get("agent").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<AgentId>()
                .map_err(|_| ApiError::field("agent", "not a valid id"))?,
        ),
    };
    let filter = QaScoreFilter {
        agent,
        from: time("from", q.get("from"))?,
        to: end_of("to", q.get("to"))?,
    };
    let limit = match q.get("limit") {
        None => 200,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIST).contains(n))
            .ok_or_else(|| ApiError::field("limit", "a whole number from 1 to 500"))?,
    };
    let shop = session.shop();
    let found = state.store.qa_scores(shop, &filter, limit).await?;
    let averages = state.store.qa_agent_averages(shop, &filter).await?;
    // The appeals of the listed conversations only (at most one each): a shop's whole appeal
    // history would grow without bound.
    let mut appeals: HashMap<ConversationId, QaAppealStatus> = HashMap::new();
    for r in &found {
        if let Some(a) = state.store.qa_appeal_of(shop, r.conversation).await? {
            appeals.insert(a.conversation, a.status);
        }
    }
    let agents = agents(&state, shop).await?;
    Ok(Json(ScoreList {
        items: found
            .iter()
            .map(|r| ScoreRow {
                conversation_id: r.conversation,
                agent: r.agent.map(|a| brief(&agents, a)),
                closed_at: r.closed_at,
                total: r.total,
                auto_total: r.auto_total,
                reviewed: r.total != r.auto_total,
                appeal: appeals.get(&r.conversation).map(|s| s.as_str().to_owned()),
            })
            .collect(),
        agents: averages
            .iter()
            .map(|a| AgentAverageView {
                agent: brief(&agents, a.agent),
                conversations: a.conversations,
                average: (a.average * 10.0).round() / 10.0,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealList {
    pub items: Vec<AppealView>,
}

/// Appeals, oldest first (supervisors); `state` is open (default), accepted, rejected or all.
#[utoipa::path(get, path = "/api/v1/qa/appeals",
    params(("state" = Option<String>, Query, description = "open | accepted | rejected | all")),
    responses((status = 200, body = AppealList), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn appeals(
    State(state): State<AppState>,
    session: AgentSession,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<AppealList>> {
    session.require(supervises)?;
    let status =
        match q.get("state").map(String::as_str) {
            None | Some("") | Some("open") => Some(QaAppealStatus::Open),
            Some("all") => None,
            Some(s) => Some(QaAppealStatus::parse(s).ok_or_else(|| {
                ApiError::field("state", "must be open, accepted, rejected or all")
            })?),
        };
    let shop = session.shop();
    let found = state.store.qa_appeals(shop, status, MAX_LIST).await?;
    let agents = agents(&state, shop).await?;
    Ok(Json(AppealList {
        items: found.iter().map(|a| appeal_view(&agents, a)).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RubricBody {
    /// Points per item, each 0–100, summing to 100.
    #[schema(value_type = Object)]
    pub weights: Weights,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RubricView {
    /// Counts the shop's edits; 0 = the defaults.
    pub version: u32,
    #[schema(value_type = Object)]
    pub weights: Weights,
}

impl From<QaRubric> for RubricView {
    fn from(r: QaRubric) -> Self {
        Self {
            version: r.version,
            weights: r.weights,
        }
    }
}

/// The shop's QA rubric weights.
#[utoipa::path(get, path = "/api/v1/settings/qa", responses((status = 200, body = RubricView)))]
pub async fn rubric(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<RubricView>> {
    Ok(Json(
        qa::rubric(&*state.store, session.shop()).await?.into(),
    ))
}

/// Replaces the rubric's weights (supervisors and admins); later scores use them, earlier ones
/// keep theirs.
#[utoipa::path(put, path = "/api/v1/settings/qa", request_body = RubricBody,
    responses((status = 200, body = RubricView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_rubric(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(body): JsonBody<RubricBody>,
) -> ApiResult<Json<RubricView>> {
    session.require(supervises)?;
    let saved = qa::put_rubric(
        &*state.store,
        session.shop(),
        body.weights,
        state.clock.now(),
    )
    .await?;
    Ok(Json(saved.into()))
}
