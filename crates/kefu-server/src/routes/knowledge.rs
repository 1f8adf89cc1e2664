//! The knowledge base (知识库): entries, their lifecycle, search (the bot's own retrieval, for
//! the admin's test box and the agent's assist panel) and the bot's settings.
//!
//! Every write rebuilds the shop's index before it answers, so the bot uses what was saved
//! from the next message on. Edits carry the version they were made from; an edit of an entry
//! someone else changed meanwhile is refused with `stale_version` rather than lost.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{IdPath, JsonBody};
use crate::knowledge::{BOT_SETTINGS, ShopKnowledge};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use kefu_knowledge::{BotSettings, Decision, Turn, decide};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/knowledge", get(list).post(create))
        .route("/knowledge/search", post(search))
        .route("/knowledge/{id}", get(detail).put(update).delete(remove))
        .route("/knowledge/{id}/status", post(change_status))
        .route("/settings/bot", get(bot_settings).put(put_bot_settings))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    pub hits: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub handoffs: i64,
    /// Helpful votes among all votes; null before the first vote.
    pub helpful_rate: Option<f64>,
}

/// An entry as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    #[schema(value_type = String)]
    pub id: KnowledgeEntryId,
    /// The shop's own code (编号), unique in the shop.
    pub key: Option<String>,
    pub question: String,
    pub similar: Vec<String>,
    pub answer: String,
    pub tags: Vec<String>,
    pub products: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// draft | in_review | published | retired
    pub status: String,
    /// Whether the bot answers with it now (published and inside its validity window).
    pub active: bool,
    pub version: i64,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    pub stats: StatsView,
}

impl EntryView {
    pub fn new(e: &KnowledgeEntry, now: Timestamp) -> EntryView {
        EntryView {
            id: e.id,
            key: e.fields.key.clone(),
            question: e.fields.question.clone(),
            similar: e.fields.similar.clone(),
            answer: e.fields.answer.clone(),
            tags: e.fields.tags.clone(),
            products: e.fields.products.clone(),
            valid_from: e.fields.valid_from.clone(),
            valid_to: e.fields.valid_to.clone(),
            status: e.status.as_str().to_owned(),
            active: e.answers_at(now),
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
            stats: StatsView {
                hits: e.stats.hits,
                helpful: e.stats.helpful,
                unhelpful: e.stats.unhelpful,
                handoffs: e.stats.handoffs,
                helpful_rate: e.stats.helpful_rate(),
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    #[serde(default)]
    pub key: Option<String>,
    pub question: String,
    #[serde(default)]
    pub similar: Vec<String>,
    pub answer: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// On create only: draft (default), in_review or published.
    #[serde(default)]
    pub status: Option<String>,
    /// On update: the version the edit was made from.
    #[serde(default)]
    pub version: Option<i64>,
}

impl EntryInput {
    /// The checked fields: the domain's rules and a well-formed answer template.
    fn fields(&self) -> ApiResult<EntryDraft> {
        let draft = EntryDraft {
            key: self.key.clone(),
            question: self.question.clone(),
            similar: self.similar.clone(),
            answer: self.answer.clone(),
            tags: self.tags.clone(),
            products: self.products.clone(),
            valid_from: self.valid_from.clone(),
            valid_to: self.valid_to.clone(),
        }
        .parse()
        .map_err(|e| ApiError::field(e.field, e.message))?;
        kefu_knowledge::template::parse(&draft.answer)
            .map_err(|e| ApiError::field("answer", e.to_string()))?;
        Ok(draft)
    }
}

fn parse_status(s: &str) -> ApiResult<EntryStatus> {
    EntryStatus::parse(s).ok_or_else(|| {
        ApiError::field(
            "status",
            format!("{s:?} is not one of draft, in_review, published, retired"),
        )
    })
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only entries with this status.
    pub status: Option<String>,
    /// Only entries with this tag.
    pub tag: Option<String>,
    /// Only entries whose question, similar questions or answer contain this text
    /// (Traditional/Simplified, full-width and case are ignored).
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryList {
    pub entries: Vec<EntryView>,
    /// Entries in the shop, before filters.
    pub total: usize,
}

/// The shop's entries, newest change first.
#[utoipa::path(get, path = "/api/v1/knowledge",
    params(("status" = Option<String>, Query), ("tag" = Option<String>, Query), ("q" = Option<String>, Query)),
    responses((status = 200, body = EntryList)))]
pub async fn list(
    State(state): State<AppState>,
    session: AgentSession,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<EntryList>> {
    let status = query.status.as_deref().map(parse_status).transpose()?;
    let needle = query
        .q
        .as_deref()
        .map(|q| kefu_text::normalize(q.trim()).text)
        .filter(|q| !q.is_empty());
    let all = state.store.knowledge_entries(session.shop()).await?;
    let total = all.len();
    let now = state.clock.now();
    let mut entries: Vec<&KnowledgeEntry> = all
        .iter()
        .filter(|e| status.is_none_or(|s| e.status == s))
        .filter(|e| query.tag.as_ref().is_none_or(|t| e.fields.tags.contains(t)))
        .filter(|e| {
            needle.as_ref().is_none_or(|n| {
                e.questions()
                    .chain(std::iter::once(e.fields.answer.as_str()))
                    .any(|text| kefu_text::normalize(text).text.contains(n.as_str()))
            })
        })
        .collect();
    entries.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
    Ok(Json(EntryList {
        entries: entries
            .into_iter()
            .map(|e| EntryView::new(e, now))
            .collect(),
        total,
    }))
}

/// Adds an entry (a draft unless another status is asked for).
#[utoipa::path(post, path = "/api/v1/knowledge", request_body = EntryInput,
    responses((status = 201, body = EntryView), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(input): JsonBody<EntryInput>,
) -> ApiResult<(StatusCode, Json<EntryView>)> {
    session.require(Role::can_edit_knowledge)?;
    let entry = insert_entry(&state, session.shop(), &input, EntryStatus::Draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(EntryView::new(&entry, state.clock.now())),
    ))
}

/// Checks and stores a new entry (with `default_status` unless the input names one) and
/// rebuilds the index.
pub(crate) async fn insert_entry(
    state: &AppState,
    shop: ShopId,
    input: &EntryInput,
    default_status: EntryStatus,
) -> ApiResult<KnowledgeEntry> {
    let fields = input.fields()?;
    let status = match input.status.as_deref() {
        None => default_status,
        Some(s) => parse_status(s)?,
    };
    if status == EntryStatus::Retired {
        return Err(ApiError::field("status", "a new entry cannot be retired"));
    }
    let now = state.clock.now();
    let entry = KnowledgeEntry {
        id: KnowledgeEntryId::new(),
        shop,
        fields,
        status,
        version: 1,
        created_at: now,
        updated_at: now,
        stats: KnowledgeStats::default(),
    };
    state.store.insert_knowledge_entry(&entry).await?;
    changed(state, shop).await?;
    Ok(entry)
}

async fn load(state: &AppState, shop: ShopId, id: KnowledgeEntryId) -> ApiResult<KnowledgeEntry> {
    state
        .store
        .knowledge_entry(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge entry"))
}

/// Rebuilds the shop's index after a change.
async fn changed(state: &AppState, shop: ShopId) -> ApiResult<()> {
    state
        .knowledge
        .rebuild(&*state.store, shop, state.clock.now())
        .await?;
    Ok(())
}

/// One entry.
#[utoipa::path(get, path = "/api/v1/knowledge/{id}",
    responses((status = 200, body = EntryView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<KnowledgeEntryId>,
) -> ApiResult<Json<EntryView>> {
    let entry = load(&state, session.shop(), id).await?;
    Ok(Json(EntryView::new(&entry, state.clock.now())))
}

fn require_version(input: Option<i64>) -> ApiResult<i64> {
    input.ok_or_else(|| ApiError::field("version", "send the version the edit was made from"))
}

/// Replaces an entry's fields (its status stays).
#[utoipa::path(put, path = "/api/v1/knowledge/{id}", request_body = EntryInput,
    responses((status = 200, body = EntryView), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<KnowledgeEntryId>,
    JsonBody(input): JsonBody<EntryInput>,
) -> ApiResult<Json<EntryView>> {
    session.require(Role::can_edit_knowledge)?;
    let version = require_version(input.version)?;
    if input.status.is_some() {
        return Err(ApiError::field(
            "status",
            "change the status with POST /api/v1/knowledge/{id}/status",
        ));
    }
    let fields = input.fields()?;
    let current = load(&state, session.shop(), id).await?;
    let now = state.clock.now();
    let entry = KnowledgeEntry {
        fields,
        version: version + 1,
        updated_at: now,
        ..current
    };
    state.store.update_knowledge_entry(&entry, version).await?;
    changed(&state, session.shop()).await?;
    Ok(Json(EntryView::new(&entry, now)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// draft | in_review | published | retired
    pub status: String,
    pub version: i64,
}

/// Moves an entry along its lifecycle (submit, publish, retire, revive, reject).
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/status", request_body = StatusChange,
    responses((status = 200, body = EntryView), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_status(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<KnowledgeEntryId>,
    JsonBody(change): JsonBody<StatusChange>,
) -> ApiResult<Json<EntryView>> {
    session.require(Role::can_edit_knowledge)?;
    let to = parse_status(&change.status)?;
    let current = load(&state, session.shop(), id).await?;
    if !current.status.can_become(to) {
        return Err(ApiError::field(
            "status",
            format!("an entry that is {} cannot become {}", current.status, to),
        ));
    }
    let now = state.clock.now();
    let entry = KnowledgeEntry {
        status: to,
        version: change.version + 1,
        updated_at: now,
        ..current
    };
    state
        .store
        .update_knowledge_entry(&entry, change.version)
        .await?;
    changed(&state, session.shop()).await?;
    Ok(Json(EntryView::new(&entry, now)))
}

#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    pub version: Option<i64>,
}

/// Deletes a draft or a retired entry (a published one is retired first, so the bot never
/// loses an answer by accident).
#[utoipa::path(delete, path = "/api/v1/knowledge/{id}",
    params(("version" = i64, Query)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    session: AgentSession,
    IdPath(id): IdPath<KnowledgeEntryId>,
    Query(query): Query<VersionQuery>,
) -> ApiResult<StatusCode> {
    session.require(Role::can_edit_knowledge)?;
    let version = require_version(query.version)?;
    let current = load(&state, session.shop(), id).await?;
    if !matches!(current.status, EntryStatus::Draft | EntryStatus::Retired) {
        return Err(ApiError::field(
            "status",
            format!("a {} entry is retired before it is deleted", current.status),
        ));
    }
    if current.version != version {
        return Err(ApiError::new(
            ErrorCode::StaleVersion,
            "the entry was changed by someone else; reload it",
        ));
    }
    state
        .store
        .delete_knowledge_entry(session.shop(), id)
        .await?;
    changed(&state, session.shop()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// A shopper's question.
    pub text: String,
    /// Candidates to return, 1–10 (default 3).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateView {
    pub entry: EntryView,
    /// The probability that this entry answers the question.
    pub probability: f32,
    /// The entry's phrasing closest to the question.
    pub matched: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub candidates: Vec<CandidateView>,
    /// What the bot would do with this question as a shopper's first message:
    /// `{action: answer|clarify|hand_off, entry?, options?, reason?, confidence}`.
    #[schema(value_type = Object)]
    pub decision: Decision,
}

/// The bot's retrieval and decision for a question: the admin's test box and the agent's
/// suggested answers.
#[utoipa::path(post, path = "/api/v1/knowledge/search", request_body = SearchInput,
    responses((status = 200, body = SearchResult), (status = 422, body = crate::error::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(input): JsonBody<SearchInput>,
) -> ApiResult<Json<SearchResult>> {
    let text =
        MessageText::parse(&input.text).map_err(|e| ApiError::field("text", e.to_string()))?;
    let limit = input.limit.unwrap_or(3);
    if !(1..=10).contains(&limit) {
        return Err(ApiError::field("limit", "between 1 and 10"));
    }
    let now = state.clock.now();
    let knowledge = state
        .knowledge
        .for_shop(&*state.store, session.shop(), now)
        .await?;
    let analyzer = state.text.for_shop(&*state.store, session.shop()).await?;
    let analysis = analyzer.analyze(text.as_str());
    let (candidates, decision) = run_bot(&knowledge, &analysis, text.as_str(), limit.max(2));
    Ok(Json(SearchResult {
        candidates: candidates
            .iter()
            .take(limit)
            .filter_map(|c| {
                knowledge.entry(c.entry).map(|e| CandidateView {
                    entry: EntryView::new(e, now),
                    probability: c.probability,
                    matched: c.matched.clone(),
                })
            })
            .collect(),
        decision,
    }))
}

/// Retrieval and decision for one message with no conversation history.
pub fn run_bot(
    knowledge: &ShopKnowledge,
    analysis: &kefu_text::analysis::Analysis,
    text: &str,
    k: usize,
) -> (Vec<kefu_knowledge::Candidate>, Decision) {
    let candidates = knowledge.index.search(text, k);
    let decision = decide(
        &knowledge.settings,
        &Turn {
            analysis,
            candidates: &candidates,
            misses: 0,
            vip: false,
        },
    );
    (candidates, decision)
}

/// The shop's bot thresholds.
#[utoipa::path(get, path = "/api/v1/settings/bot",
    responses((status = 200, body = Object)))]
pub async fn bot_settings(
    State(state): State<AppState>,
    session: AgentSession,
) -> ApiResult<Json<BotSettings>> {
    let knowledge = state
        .knowledge
        .for_shop(&*state.store, session.shop(), state.clock.now())
        .await?;
    Ok(Json(knowledge.settings))
}

/// Replaces the shop's bot thresholds (missing fields take their defaults).
#[utoipa::path(put, path = "/api/v1/settings/bot", request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_bot_settings(
    State(state): State<AppState>,
    session: AgentSession,
    JsonBody(settings): JsonBody<BotSettings>,
) -> ApiResult<Json<BotSettings>> {
    session.require(Role::can_edit_knowledge)?;
    settings
        .validate()
        .map_err(|e| ApiError::field("settings", e.to_string()))?;
    let body = serde_json::to_string(&settings).map_err(|_| ApiError::internal())?;
    state
        .store
        .put_shop_setting(session.shop(), BOT_SETTINGS, &body, state.clock.now())
        .await?;
    changed(&state, session.shop()).await?;
    Ok(Json(settings))
}
