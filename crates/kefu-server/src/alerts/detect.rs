//! What raises alerts, read from what the server already does: a shopper's message (complaint
//! words counted per hour, risk words, emotion escalation), the desk's SLA breaches and
//! discipline lines, and tickets opened. Detection never fails the work that triggered it:
//! what goes wrong is logged.

use super::raise;
use crate::desk::{self, Line, ShopDesk};
use crate::error::ApiResult;
use crate::ingest::Posted;
use crate::state::AppState;
use kefu_domain::alert::{AlertKind, Severity, Trouble};
use kefu_domain::conversation::decide_raise_priority;
use kefu_domain::*;
use kefu_engine::alerts::{
    ShopperText, baseline_hours, breach_cluster, complaint_surge, emotion_escalation, hour_start,
    negative_share_permille,
};
use kefu_text::analysis::{Analysis, CurveInput, EmotionReading, emotion_curve};
use kefu_text::lexicon::{Emotion, LexiconKind};
use serde::Deserialize;
use std::collections::HashMap;

/// The hourly tally of complaints: complaint-category shopper messages and tickets opened.
pub const COMPLAINTS: &str = "complaints";
/// The priority an emotion escalation raises a conversation to.
pub const EMOTION_PRIORITY: Priority = Priority::Complaint;
/// Most messages of a conversation read for its negative-word share.
const SHARE_MESSAGES: u32 = 1_000;
/// How much of a message an alert quotes.
const QUOTE_CHARS: usize = 80;

/// After a shopper's message was stored (and the bot took its turn): counts a complaint, raises
/// a risk-word alert, and escalates the conversation when the shopper's emotion did.
pub async fn shopper_message(
    state: &AppState,
    desk: &ShopDesk,
    customer: &Customer,
    posted: &Posted,
    analysis: &Analysis,
) {
    let shop = customer.shop;
    let conversation = posted.conversation.id;
    let complaint = analysis
        .hits_of(LexiconKind::Sensitive)
        .any(|h| h.category == "complaint");
    if complaint && let Err(e) = count_complaints(state, shop, 1).await {
        tracing::error!(%shop, error = %e.message, "complaint not counted");
    }
    if desk::threatens(analysis) {
        let words: Vec<String> = analysis
            .hits_of(LexiconKind::Sensitive)
            .filter(|h| matches!(h.category, "regulator" | "legal" | "media"))
            .map(|h| h.term.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let trouble = Trouble {
            kind: AlertKind::RiskWords,
            subject: conversation.to_string(),
            severity: Severity::Red,
            title: format!("顾客提到 {}（{}）", words.join("、"), customer.nickname),
            detail: quote(&posted.message),
            conversation: Some(conversation),
            agent: None,
        };
        if let Err(e) = raise(state, shop, trouble).await {
            tracing::error!(%shop, %conversation, error = %e.message, "risk-word alert not raised");
        }
    }
    let negative = analysis.sentiment.label_name() == "negative"
        || analysis.emotion.label.is_some_and(Emotion::is_negative);
    let escalated = posted
        .conversation
        .escalation
        .is_some_and(|e| e.priority >= EMOTION_PRIORITY);
    if negative
        && !escalated
        && let Err(e) = emotion(state, desk, customer, conversation).await
    {
        tracing::error!(%shop, %conversation, error = %e.message, "emotion not checked");
    }
}

fn quote(message: &Message) -> String {
    message.text.preview(QUOTE_CHARS)
}

/// A lexicon hit as stored in `message_analyses.body`.
#[derive(Debug, Deserialize)]
struct StoredHit {
    lexicon: String,
    category: String,
    start: usize,
    end: usize,
}

#[derive(Debug, Deserialize)]
struct StoredBody {
    #[serde(default)]
    hits: Vec<StoredHit>,
}

/// The conversation's negative-word share and emotion curve; raises its priority and alerts
/// the supervisor when the shopper's emotion escalated.
async fn emotion(
    state: &AppState,
    desk: &ShopDesk,
    customer: &Customer,
    conversation: ConversationId,
) -> ApiResult<()> {
    let shop = customer.shop;
    let settings = super::settings::load(&*state.store, shop).await?;
    let records = state.store.message_analyses(shop, conversation).await?;
    let texts: HashMap<MessageId, Message> = state
        .store
        .messages(shop, conversation, SHARE_MESSAGES)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let shopper: Vec<_> = records
        .iter()
        .filter(|r| r.sender == Sender::Shopper)
        .collect();
    let share = negative_share_permille(
        &shopper
            .iter()
            .filter_map(|r| {
                let text = texts.get(&r.message)?;
                Some(shopper_text(text.text.as_str(), &r.body))
            })
            .collect::<Vec<_>>(),
    );
    let curve = emotion_curve(shopper.iter().map(|r| CurveInput {
        at_ms: r.at.as_millis(),
        score: r.score as f32,
        emotion: EmotionReading {
            label: r.emotion.as_deref().and_then(Emotion::parse),
            intensity: r.intensity as f32,
        },
    }));
    let Some(reason) = emotion_escalation(
        share,
        settings.negative_share_permille,
        curve.strong_negative_turn,
    ) else {
        return Ok(());
    };
    let now = state.clock.now();
    let raised = desk::append_decided(state, desk, conversation, customer.id, |c| {
        match decide_raise_priority(c, EMOTION_PRIORITY, reason, now) {
            Ok(e) => Ok(vec![e]),
            // Escalated meanwhile, or closed: nothing to raise.
            Err(TransitionError::NoChange | TransitionError::Closed) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    })
    .await?;
    let Some(c) = raised else {
        return Ok(());
    };
    tracing::info!(%shop, %conversation, %reason, share, "shopper emotion escalated");
    let why = match reason {
        RaiseReason::StrongNegativeTurn => "情绪骤降".to_owned(),
        RaiseReason::NegativeWords => format!("负面词占比 {}.{}%", share / 10, share % 10),
    };
    let trouble = Trouble {
        kind: AlertKind::Emotion,
        subject: conversation.to_string(),
        severity: Severity::Yellow,
        title: format!("顾客情绪升级（{}）：{why}", customer.nickname),
        detail: c
            .last_message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default(),
        conversation: Some(conversation),
        agent: c.assigned_agent,
    };
    raise(state, shop, trouble).await?;
    if c.state == ConversationState::Queued {
        desk::dispatch(state, desk).await;
    }
    Ok(())
}

/// One shopper message for the share: its characters as written (whitespace aside) and those
/// covered by negative emotion words.
fn shopper_text(text: &str, body: &str) -> ShopperText {
    let chars = text.chars().filter(|c| !c.is_whitespace()).count() as u32;
    let hits = serde_json::from_str::<StoredBody>(body)
        .map(|b| b.hits)
        .unwrap_or_default();
    let mut covered = vec![false; text.chars().count()];
    for h in hits.iter().filter(|h| {
        h.lexicon == "emotion" && Emotion::parse(&h.category).is_some_and(Emotion::is_negative)
    }) {
        for slot in covered.iter_mut().take(h.end).skip(h.start) {
            *slot = true;
        }
    }
    let negative = text
        .chars()
        .zip(&covered)
        .filter(|(c, hit)| **hit && !c.is_whitespace())
        .count() as u32;
    ShopperText {
        chars,
        negative_chars: negative,
    }
}

/// Counts complaints in the current hour and compares the hour with the same hour of the
/// previous weeks; a surge raises (or bumps) the shop's complaint alert.
pub async fn count_complaints(state: &AppState, shop: ShopId, n: i64) -> ApiResult<()> {
    let now = state.clock.now();
    let count = state
        .store
        .add_tally(shop, COMPLAINTS, hour_start(now), n)
        .await?;
    let previous: Vec<u64> = state
        .store
        .tallies(shop, COMPLAINTS, &baseline_hours(now))
        .await?
        .into_iter()
        .map(|n| n.max(0) as u64)
        .collect();
    let settings = super::settings::load(&*state.store, shop).await?;
    let surge = complaint_surge(
        count.max(0) as u64,
        &previous,
        u64::from(settings.complaint_floor),
    );
    let Some(severity) = surge.severity else {
        return Ok(());
    };
    let trouble = Trouble {
        kind: AlertKind::ComplaintSurge,
        subject: "shop".to_owned(),
        severity,
        title: format!(
            "本小时投诉 {} 起，较前 {} 周同期均值 {:.1} 起上升 {:.0}%",
            surge.count,
            previous.len(),
            surge.baseline,
            (surge.count as f64 / surge.reference - 1.0) * 100.0
        ),
        detail: format!(
            "{} 起的投诉消息与新工单；比较基准 {:.1} 起（不低于 {} 起）",
            now.to_shop_minute(),
            surge.reference,
            settings.complaint_floor
        ),
        conversation: None,
        agent: None,
    };
    raise(state, shop, trouble).await.map(|_| ())
}

/// An agent reached a discipline line (from the desk).
pub async fn agent_line(
    state: AppState,
    shop: ShopId,
    agent: AgentId,
    breaches: usize,
    line: Line,
) {
    let name = match state.store.agent(shop, agent).await {
        Ok(Some(a)) => a.display_name,
        _ => agent.to_string(),
    };
    let (severity, label) = match line {
        Line::Red => (Severity::Red, "红线"),
        Line::Yellow => (Severity::Yellow, "黄线"),
    };
    let trouble = Trouble {
        kind: AlertKind::AgentLine,
        subject: agent.to_string(),
        severity,
        title: format!("客服 {name} 触达{label}：今日超时 {breaches} 次"),
        detail: format!(
            "{} 起今日第 {breaches} 次响应超时",
            state.clock.now().to_shop_minute()
        ),
        conversation: None,
        agent: Some(agent),
    };
    if let Err(e) = raise(&state, shop, trouble).await {
        tracing::error!(%shop, %agent, error = %e.message, "line alert not raised");
    }
}

/// An SLA breach was recorded (from the desk): checks the shop's recent breaches for a cluster.
pub async fn sla_breach(state: AppState, shop: ShopId) {
    if let Err(e) = breach_check(&state, shop).await {
        tracing::error!(%shop, error = %e.message, "breach cluster not checked");
    }
}

async fn breach_check(state: &AppState, shop: ShopId) -> ApiResult<()> {
    let settings = super::settings::load(&*state.store, shop).await?;
    let now = state.clock.now();
    let window = i64::from(settings.cluster_minutes) * 60_000;
    let breaches: Vec<Timestamp> = state
        .store
        .events_of_kinds(
            shop,
            &[Event::SLA_SIGNALED],
            now.plus_millis(-window),
            10_000,
        )
        .await?
        .iter()
        .filter_map(|e| match &e.event {
            Event::SlaSignaled { signal, .. } if signal.level == SlaLevel::Breach => Some(e.at),
            _ => None,
        })
        .collect();
    let Some((n, severity)) =
        breach_cluster(&breaches, now, window, settings.cluster_breaches as usize)
    else {
        return Ok(());
    };
    let trouble = Trouble {
        kind: AlertKind::SlaCluster,
        subject: "shop".to_owned(),
        severity,
        title: format!("{} 分钟内 {n} 次响应超时", settings.cluster_minutes),
        detail: format!(
            "截至 {}，近 {} 分钟响应超时 {n} 次（阈值 {} 次）",
            now.to_shop_minute(),
            settings.cluster_minutes,
            settings.cluster_breaches
        ),
        conversation: None,
        agent: None,
    };
    raise(state, shop, trouble).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_counts_negative_emotion_words_as_written() {
        let body = r#"{"hits":[
            {"lexicon":"emotion","category":"anger","term":"气死","severity":3,"start":0,"end":2},
            {"lexicon":"emotion","category":"gratitude","term":"谢谢","severity":1,"start":11,"end":13},
            {"lexicon":"sensitive","category":"complaint","term":"投诉","severity":2,"start":6,"end":8}
        ]}"#;
        // 气死了 我要投诉你们 谢谢: 11 characters without the spaces, 2 of them negative words.
        assert_eq!(
            shopper_text("气死了 我要投诉你们 谢谢", body),
            ShopperText {
                chars: 11,
                negative_chars: 2
            }
        );
        assert_eq!(
            shopper_text("你好", "not json"),
            ShopperText {
                chars: 2,
                negative_chars: 0
            }
        );
    }
}
