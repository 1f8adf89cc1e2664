//! Keeping each shop's knowledge base alive (see `kefu_knowledge::lifecycle`): the questions
//! the bot handed off unanswered become proposed entries, refreshed weekly and on request, and
//! the published entries that help least are listed for retirement.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use kefu_domain::*;
use kefu_knowledge::lifecycle::{Unanswered, Usage, propose, retirement_candidates, usefulness};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;

/// Proposals come from the unanswered questions of this long.
pub const PROPOSAL_WINDOW_MS: i64 = 7 * 86_400_000;
/// How many proposals a refresh keeps.
pub const PROPOSALS: usize = 20;
/// At most this many unanswered questions are clustered per refresh (the newest).
const MAX_QUESTIONS: u32 = 5_000;
/// The share of published entries listed for retirement.
pub const RETIREMENT_SHARE: f64 = 0.2;
/// The settings section that remembers the last refresh.
const PROPOSALS_SECTION: &str = "proposals";
/// How often the weekly job looks for shops that are due.
const JOB_TICK: Duration = Duration::from_secs(3_600);

#[derive(Debug, Default, Serialize, Deserialize)]
struct RefreshMark {
    refreshed_at: Option<Timestamp>,
}

/// When the shop's proposals were last refreshed.
pub async fn refreshed_at(state: &AppState, shop: ShopId) -> ApiResult<Option<Timestamp>> {
    let mark = state.store.shop_setting(shop, PROPOSALS_SECTION).await?;
    Ok(mark
        .and_then(|body| serde_json::from_str::<RefreshMark>(&body).ok())
        .and_then(|m| m.refreshed_at))
}

/// Clusters the last week's unanswered questions into at most [`PROPOSALS`] open proposals,
/// replacing the open ones. Questions already covered by a decided proposal, or that the
/// knowledge base now answers, are left out.
pub async fn refresh_proposals(state: &AppState, shop: ShopId) -> ApiResult<()> {
    let now = state.clock.now();
    let embedder = state.knowledge.embedder().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unavailable,
            "the sentence encoder is not available, so questions cannot be grouped",
        )
    })?;
    let knowledge = state.knowledge.for_shop(&*state.store, shop, now).await?;
    let existing = state.store.knowledge_proposals(shop, None).await?;
    let decided: HashSet<String> = existing
        .iter()
        .filter(|p| p.status != ProposalStatus::Open)
        .flat_map(|p| p.questions().map(|q| kefu_text::normalize(q).text))
        .collect();
    // An open proposal that comes back with the same standard question keeps its id and age,
    // so a page opened before the refresh can still approve it.
    let open: Vec<(String, ProposalId, Timestamp)> = existing
        .iter()
        .filter(|p| p.status == ProposalStatus::Open)
        .map(|p| (p.question.clone(), p.id, p.created_at))
        .collect();
    let turns = state
        .store
        .unanswered_questions(shop, now.plus_millis(-PROPOSAL_WINDOW_MS), MAX_QUESTIONS)
        .await?;
    let proposals = tokio::task::spawn_blocking(move || {
        let threshold = knowledge.settings.answer_threshold;
        let mut texts: Vec<(String, String, Vec<f32>)> = Vec::new();
        for t in &turns {
            let normalized = kefu_text::normalize(&t.question_text).text;
            if normalized.is_empty() || decided.contains(&normalized) {
                continue;
            }
            let answered = knowledge
                .index
                .search(&t.question_text, 1)
                .first()
                .is_some_and(|c| c.probability >= threshold);
            if answered {
                continue;
            }
            let vector = embedder.embed(&normalized);
            texts.push((t.question_text.clone(), t.customer.to_string(), vector));
        }
        let questions: Vec<Unanswered<'_>> = texts
            .iter()
            .map(|(text, asker, embedding)| Unanswered {
                text,
                asker,
                embedding,
            })
            .collect();
        propose(&questions, PROPOSALS)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, %shop, "proposal clustering failed");
        ApiError::internal()
    })?;
    let records: Vec<KnowledgeProposal> = proposals
        .into_iter()
        .map(|p| {
            let (id, created_at) = open
                .iter()
                .find(|(question, _, _)| *question == p.question)
                .map_or((ProposalId::new(), now), |(_, id, at)| (*id, *at));
            KnowledgeProposal {
                id,
                shop,
                question: p.question,
                similar: p.similar,
                asked: p.asked as i64,
                askers: p.askers as i64,
                status: ProposalStatus::Open,
                entry: None,
                created_at,
                decided_at: None,
            }
        })
        .collect();
    state.store.replace_open_proposals(shop, &records).await?;
    let mark = serde_json::to_string(&RefreshMark {
        refreshed_at: Some(now),
    })
    .map_err(|_| ApiError::internal())?;
    state
        .store
        .put_shop_setting(shop, PROPOSALS_SECTION, &mark, now)
        .await?;
    Ok(())
}

/// A published entry listed for retirement.
#[derive(Debug, Clone)]
pub struct Retirable {
    pub entry: KnowledgeEntry,
    pub usefulness: f64,
}

/// The bottom [`RETIREMENT_SHARE`] of the shop's published entries by usefulness, least useful
/// first.
pub async fn retirement_list(state: &AppState, shop: ShopId) -> ApiResult<Vec<Retirable>> {
    let published: Vec<KnowledgeEntry> = state
        .store
        .knowledge_entries(shop)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Published)
        .collect();
    let usage: Vec<Usage> = published
        .iter()
        .map(|e| Usage {
            hits: e.stats.hits,
            helpful: e.stats.helpful,
            unhelpful: e.stats.unhelpful,
            handoffs: e.stats.handoffs,
        })
        .collect();
    Ok(retirement_candidates(&usage, RETIREMENT_SHARE)
        .into_iter()
        .map(|i| Retirable {
            entry: published[i].clone(),
            usefulness: usefulness(usage[i]),
        })
        .collect())
}

/// The weekly job: every hour, refreshes the proposals of each shop whose last refresh is a
/// week old (or that never had one). Failures are logged and retried at the next tick.
pub async fn run_weekly(state: AppState) {
    let mut tick = tokio::time::interval(JOB_TICK);
    loop {
        tick.tick().await;
        let shops = match state.store.list_shops().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "proposal job cannot list shops");
                continue;
            }
        };
        let now = state.clock.now();
        for shop in shops {
            let due = match refreshed_at(&state, shop.id).await {
                Ok(last) => {
                    last.is_none_or(|t| now.as_millis() - t.as_millis() >= PROPOSAL_WINDOW_MS)
                }
                Err(e) => {
                    tracing::warn!(shop = %shop.slug, error = %e.message, "proposal job skipped a shop");
                    false
                }
            };
            if due && let Err(e) = refresh_proposals(&state, shop.id).await {
                tracing::warn!(shop = %shop.slug, error = %e.message, "proposals not refreshed");
            }
        }
    }
}
