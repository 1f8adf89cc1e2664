//! The conversation QA score (会话质检评分): 0–100 for every closed conversation, from six items
//! the shop weighs in its rubric. Pure: the caller reads the conversation's log, each message's
//! stored analysis (sentiment, emotion, the live lint's findings), the shopper's mood curve, the
//! shop's SLA targets and what happened after the close, and passes them in.
//!
//! The items, each scored 0–100 (see the `*_item` functions for the exact rules):
//!
//! - **timeliness** (响应时效): every burst of shopper messages answered by a person, timed
//!   against its own target (first response 15 s, reply interval 40 s, an offline message's due
//!   time): on time 100, then down to 50 at the 3-minute mark and 0 at twice that. A question
//!   left unanswered when the conversation closed counts with the time it waited, unless it was
//!   only the shopper's thanks. The log's SLA warnings and breaches are its evidence.
//! - **forbidden_phrases** (禁用语与敏感内容): 100 less 25 per forbidden phrase and 40 per
//!   sensitive or personal-data finding the live lint recorded on the agents' messages.
//! - **promises** (违规承诺): 100 less 40 per unauthorized promise.
//! - **politeness** (话术结构): the agents' clauses sorted into affirmation (肯定), solution
//!   (解决方案) and care (情感关怀) by [`AFFIRMATION`], [`SOLUTION`] and [`CARE`]; the score is
//!   100 × (1 − the total variation distance between their shares and the seeds' 60/30/10
//!   "thermometer"). No such clause at all scores 0.
//! - **resolution** (问题解决): 100 less 40 when the shopper's last message was negative, 30
//!   when it was a question nobody answered, 20 for a transfer, 30 for a ticket (工单) still open
//!   about it, and 50 when the shopper came back with a new conversation within
//!   [`RETURN_WINDOW_MS`].
//! - **emotion** (情绪变化): the shopper's mood at the end against the start: 100 less 60 × the
//!   drop and 50 × how negative the end is.
//!
//! An item with nothing to judge (no agent message, no shopper message with an analysis, no
//! burst for people) is *not applicable*: it is shown but leaves the total, whose weights are
//! the applicable items'. The total is `Σ weight × score / Σ weight` over applicable items,
//! rounded; a supervisor's override replaces an item's score (and makes it applicable) and the
//! total is recomputed by [`effective_total`].

use crate::sla::{SlaPolicy, SlaState};
use kefu_domain::{
    AgentId, Envelope, Event, Finding, MessageId, QaLabel, Sender, SlaLevel, Timestamp,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The shopper coming back with a new conversation this soon after the close means the issue
/// was not resolved (the resolution rate's 48 h).
pub const RETURN_WINDOW_MS: i64 = 48 * 3_600_000;

/// The seeds' 话术温度计: affirmation 60 %, solution 30 %, care 10 %.
pub const THERMOMETER: [f64; 3] = [0.6, 0.3, 0.1];

/// 肯定句: acknowledging, agreeing, apologising, thanking.
pub const AFFIRMATION: &[&str] = &[
    "理解",
    "明白",
    "抱歉",
    "不好意思",
    "对不起",
    "感谢",
    "谢谢",
    "说得对",
    "说的对",
    "辛苦",
    "久等",
    "没问题",
    "好的",
    "可以的",
    "放心",
    "是的",
    "收到",
    "了解",
    "您别急",
    "别着急",
    "不客气",
    "应该的",
];

/// 解决方案: a concrete action for the shopper.
pub const SOLUTION: &[&str] = &[
    "为您",
    "帮您",
    "给您",
    "安排",
    "补发",
    "退款",
    "退货",
    "换货",
    "查询",
    "查一下",
    "查了",
    "核实",
    "处理",
    "联系快递",
    "催促",
    "催一下",
    "加急",
    "申请",
    "登记",
    "跟进",
    "发货",
    "重新发",
    "寄出",
    "操作",
    "办理",
    "补偿",
    "升级",
    "建议",
    "推荐",
    "就发",
    "发出",
];

/// 情感关怀: caring beyond the issue, closing warmly.
pub const CARE: &[&str] = &[
    "还有什么",
    "还有其他",
    "还有别的",
    "其他问题",
    "别的问题",
    "祝您",
    "祝宝宝",
    "注意",
    "随时",
    "欢迎再来",
    "生活愉快",
    "愉快",
    "保重",
    "记得",
    "小心",
    "身体",
];

/// What a closing shopper line looks like: thanks and okays, not a question.
const ACKNOWLEDGEMENTS: &[&str] = &[
    "谢谢",
    "谢了",
    "感谢",
    "好的",
    "好",
    "嗯",
    "收到",
    "ok",
    "知道了",
    "行",
    "可以",
    "明白",
];
/// A closing line is short.
const ACKNOWLEDGEMENT_MAX_CHARS: usize = 12;
/// Sentiment at or above this is positive enough to count as content.
const POSITIVE: f32 = 0.3;
/// Sentiment at or below this is negative.
const NEGATIVE: f32 = -0.3;

const FORBIDDEN_PENALTY: u32 = 25;
const SENSITIVE_PENALTY: u32 = 40;
const PROMISE_PENALTY: u32 = 40;
const NEGATIVE_END_PENALTY: u32 = 40;
const UNANSWERED_END_PENALTY: u32 = 30;
const TRANSFER_PENALTY: u32 = 20;
const OPEN_TICKET_PENALTY: u32 = 30;
const RETURN_PENALTY: u32 = 50;

/// One rubric item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QaItem {
    Timeliness,
    ForbiddenPhrases,
    Promises,
    Politeness,
    Resolution,
    Emotion,
}

impl QaItem {
    pub const ALL: [QaItem; 6] = [
        QaItem::Timeliness,
        QaItem::ForbiddenPhrases,
        QaItem::Promises,
        QaItem::Politeness,
        QaItem::Resolution,
        QaItem::Emotion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QaItem::Timeliness => "timeliness",
            QaItem::ForbiddenPhrases => "forbidden_phrases",
            QaItem::Promises => "promises",
            QaItem::Politeness => "politeness",
            QaItem::Resolution => "resolution",
            QaItem::Emotion => "emotion",
        }
    }

    pub fn parse(s: &str) -> Option<QaItem> {
        QaItem::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// How much each item counts, in points out of 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub timeliness: u8,
    pub forbidden_phrases: u8,
    pub promises: u8,
    pub politeness: u8,
    pub resolution: u8,
    pub emotion: u8,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            timeliness: 20,
            forbidden_phrases: 20,
            promises: 15,
            politeness: 15,
            resolution: 20,
            emotion: 10,
        }
    }
}

impl Weights {
    pub fn of(&self, item: QaItem) -> u8 {
        match item {
            QaItem::Timeliness => self.timeliness,
            QaItem::ForbiddenPhrases => self.forbidden_phrases,
            QaItem::Promises => self.promises,
            QaItem::Politeness => self.politeness,
            QaItem::Resolution => self.resolution,
            QaItem::Emotion => self.emotion,
        }
    }

    /// Each weight at most 100 and all of them summing to exactly 100.
    pub fn validate(&self) -> Result<(), RubricError> {
        for item in QaItem::ALL {
            if self.of(item) > 100 {
                return Err(RubricError {
                    field: format!("weights.{}", item.as_str()),
                    message: "a weight is 0 to 100".to_owned(),
                });
            }
        }
        let sum: u32 = QaItem::ALL.iter().map(|i| u32::from(self.of(*i))).sum();
        if sum != 100 {
            return Err(RubricError {
                field: "weights".to_owned(),
                message: format!("the weights must sum to 100, not {sum}"),
            });
        }
        Ok(())
    }
}

/// The shop's rubric: the weights and which edition of them a score used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QaRubric {
    /// Counts the shop's edits; the defaults are version 0.
    pub version: u32,
    pub weights: Weights,
}

/// What is wrong with a rubric: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubricError {
    pub field: String,
    pub message: String,
}

/// What the text engine and the live lint read in one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// Sentiment in [-1, 1].
    pub score: f32,
    /// The dominant emotion's name (`anger`, `anxiety`, `disappointment`, `satisfaction`,
    /// `gratitude`), if any.
    pub emotion: Option<String>,
    /// The live lint's findings (agents' messages only).
    pub findings: Vec<Finding>,
}

/// The shopper's mood curve as the emotion item reads it (`kefu_text::analysis::emotion_curve`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mood {
    pub start: f32,
    pub end: f32,
    pub lowest: f32,
    pub strong_negative_turn: bool,
}

/// Everything a score is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput<'a> {
    /// The conversation's events, in log order, up to and including its close.
    pub events: &'a [Envelope],
    /// Each message's reading; messages without one read as neutral and clean.
    pub readings: &'a HashMap<MessageId, Reading>,
    /// The shopper's mood; `None` when no shopper message was analysed.
    pub mood: Option<Mood>,
    pub sla: &'a SlaPolicy,
    /// Tickets about this conversation still open or in progress.
    pub open_tickets: usize,
    /// When the shopper opened a new conversation within [`RETURN_WINDOW_MS`] of the close.
    pub returned_at: Option<Timestamp>,
}

/// One piece of evidence behind an item's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was seen, in the agent's language (zh-CN).
    pub note: String,
    /// The message it is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageId>,
}

/// One item's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemScore {
    pub item: QaItem,
    /// 0–100.
    pub score: u8,
    /// The rubric's weight for it.
    pub weight: u8,
    /// Whether there was anything to judge; items that are not applicable leave the total.
    pub applicable: bool,
    /// How the score came about, in one line (zh-CN).
    pub explanation: String,
    pub evidence: Vec<Evidence>,
}

/// A conversation's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QaScore {
    /// 0–100.
    pub total: u8,
    pub items: Vec<ItemScore>,
}

/// Scores a closed conversation.
pub fn score(input: &ScoreInput<'_>, rubric: &QaRubric) -> QaScore {
    let facts = Facts::read(input);
    let items: Vec<ItemScore> = [
        timeliness_item(input, &facts),
        violations_item(&facts),
        promises_item(&facts),
        politeness_item(&facts),
        resolution_item(input, &facts),
        emotion_item(input.mood),
    ]
    .into_iter()
    .map(
        |(item, applicable, score, explanation, evidence)| ItemScore {
            item,
            score,
            weight: rubric.weights.of(item),
            applicable,
            explanation,
            evidence,
        },
    )
    .collect();
    QaScore {
        total: effective_total(&items, &[]),
        items,
    }
}

/// The total with some items' scores replaced (a supervisor's overrides, latest per item):
/// `Σ weight × score / Σ weight` over the applicable items and the overridden ones, rounded.
/// When those weigh nothing, the plain mean of their scores; when there are none, 100.
pub fn effective_total(items: &[ItemScore], overrides: &[(QaItem, u8)]) -> u8 {
    let mut weighted = 0.0;
    let mut weights = 0.0;
    let mut plain = Vec::new();
    for i in items {
        let overridden = overrides.iter().rev().find(|(item, _)| *item == i.item);
        if !i.applicable && overridden.is_none() {
            continue;
        }
        let s = f64::from(overridden.map_or(i.score, |(_, s)| *s).min(100));
        weighted += f64::from(i.weight) * s;
        weights += f64::from(i.weight);
        plain.push(s);
    }
    let total = if weights > 0.0 {
        weighted / weights
    } else if plain.is_empty() {
        100.0
    } else {
        plain.iter().sum::<f64>() / plain.len() as f64
    };
    to_score(total)
}

/// The agent a conversation's score belongs to: who closed it, else who held it last, else who
/// last replied.
pub fn scored_agent(events: &[Envelope]) -> Option<AgentId> {
    let mut held = None;
    let mut replied = None;
    for e in events {
        match &e.event {
            Event::Closed {
                by: Sender::Agent { agent },
                ..
            } => return Some(*agent),
            Event::Assigned { agent, .. } => held = Some(*agent),
            Event::MessagePosted {
                sender: Sender::Agent { agent },
                ..
            } => replied = Some(*agent),
            _ => {}
        }
    }
    held.or(replied)
}

type Item = (QaItem, bool, u8, String, Vec<Evidence>);

/// A burst of shopper messages for people and what became of it.
#[derive(Debug, Clone)]
struct BurstOutcome {
    started: Timestamp,
    /// Its own clock's target, in ms from the start.
    target_ms: i64,
    /// An offline message: late is simply late.
    offline: bool,
    waited_ms: i64,
    answered: bool,
    /// The shopper's messages since the last agent reply (to the bot too, for a hand-off).
    messages: Vec<MessageId>,
}

/// What the items read, gathered in one pass over the log.
#[derive(Debug, Default)]
struct Facts {
    bursts: Vec<BurstOutcome>,
    warnings: usize,
    breaches: usize,
    agent_messages: Vec<(MessageId, String)>,
    shopper_messages: Vec<(MessageId, String)>,
    /// The last message of the conversation was the shopper's.
    ends_with_shopper: bool,
    transfers: usize,
    findings: Vec<(MessageId, Finding)>,
}

impl Facts {
    fn read(input: &ScoreInput<'_>) -> Facts {
        let mut f = Facts::default();
        let mut sla = SlaState::default();
        let mut pending: Vec<MessageId> = Vec::new();
        let mut seen_findings: HashSet<(MessageId, String, usize)> = HashSet::new();
        for e in input.events {
            match &e.event {
                Event::MessagePosted {
                    message,
                    sender,
                    text,
                    ..
                } => match sender {
                    Sender::Agent { .. } => {
                        if let Some(b) = &sla.open {
                            f.bursts.push(outcome(b, e.at, true, &pending, input.sla));
                        }
                        pending.clear();
                        f.agent_messages.push((*message, text.as_str().to_owned()));
                        f.ends_with_shopper = false;
                        for finding in input
                            .readings
                            .get(message)
                            .map(|r| r.findings.as_slice())
                            .unwrap_or_default()
                        {
                            if seen_findings.insert((*message, finding.rule.clone(), finding.start))
                            {
                                f.findings.push((*message, finding.clone()));
                            }
                        }
                    }
                    Sender::Shopper => {
                        pending.push(*message);
                        f.shopper_messages
                            .push((*message, text.as_str().to_owned()));
                        f.ends_with_shopper = true;
                    }
                    Sender::Bot | Sender::System => {
                        f.ends_with_shopper = false;
                    }
                },
                Event::Closed { .. } => {
                    if let Some(b) = &sla.open {
                        f.bursts.push(outcome(b, e.at, false, &pending, input.sla));
                    }
                }
                Event::SlaSignaled { signal, .. } => match signal.level {
                    SlaLevel::Warning => f.warnings += 1,
                    SlaLevel::Breach => f.breaches += 1,
                },
                Event::Transferred { .. } => f.transfers += 1,
                _ => {}
            }
            sla.apply(e, input.sla);
        }
        f
    }
}

fn outcome(
    b: &crate::sla::Burst,
    at: Timestamp,
    answered: bool,
    pending: &[MessageId],
    policy: &SlaPolicy,
) -> BurstOutcome {
    let (target_ms, offline) = match b.due {
        Some(due) => ((due.as_millis() - b.started.as_millis()).max(0), true),
        None if b.first => (policy.first_response_ms, false),
        None => (policy.reply_interval_ms, false),
    };
    BurstOutcome {
        started: b.started,
        target_ms,
        offline,
        waited_ms: (at.as_millis() - b.started.as_millis()).max(0),
        answered,
        messages: pending.to_vec(),
    }
}

/// A burst's timeliness: on time 100; then linearly to 50 at the 3-minute mark and to 0 at
/// twice that. An offline message answered after its due time scores 0.
fn burst_score(b: &BurstOutcome, three_minute_ms: i64) -> f64 {
    let (wait, target) = (b.waited_ms as f64, b.target_ms as f64);
    if wait <= target {
        return 100.0;
    }
    if b.offline {
        return 0.0;
    }
    let three = (three_minute_ms as f64).max(target + 1.0);
    if wait <= three {
        100.0 - 50.0 * (wait - target) / (three - target)
    } else if wait <= 2.0 * three {
        50.0 - 50.0 * (wait - three) / three
    } else {
        0.0
    }
}

/// Whether a shopper message just closes the conversation politely (thanks, okay).
fn acknowledgement(text: &str, reading: Option<&Reading>) -> bool {
    if reading.is_some_and(|r| {
        r.score >= POSITIVE || matches!(r.emotion.as_deref(), Some("gratitude" | "satisfaction"))
    }) {
        return true;
    }
    let t = text.trim().to_lowercase();
    t.chars().count() <= ACKNOWLEDGEMENT_MAX_CHARS
        && !t.contains(['?', '？', '吗'])
        && ACKNOWLEDGEMENTS.iter().any(|a| t.contains(a))
}

fn seconds(ms: i64) -> String {
    if ms < 120_000 {
        format!("{} 秒", (ms as f64 / 1000.0).round())
    } else {
        format!("{:.1} 分钟", ms as f64 / 60_000.0)
    }
}

fn timeliness_item(input: &ScoreInput<'_>, f: &Facts) -> Item {
    let texts: HashMap<MessageId, &str> = f
        .shopper_messages
        .iter()
        .map(|(id, t)| (*id, t.as_str()))
        .collect();
    let counted: Vec<&BurstOutcome> = f
        .bursts
        .iter()
        .filter(|b| {
            // The shopper's closing thanks need no answer.
            b.answered
                || b.messages.is_empty()
                || !b.messages.iter().all(|m| {
                    acknowledgement(texts.get(m).copied().unwrap_or(""), input.readings.get(m))
                })
        })
        .collect();
    let mut evidence = Vec::new();
    for b in &counted {
        if b.waited_ms > b.target_ms || !b.answered {
            let note = match (b.answered, b.offline) {
                (true, true) => format!("留言超过约定时间回复，等待 {}", seconds(b.waited_ms)),
                (true, false) => format!(
                    "顾客等待 {} 才得到回复（目标 {}）",
                    seconds(b.waited_ms),
                    seconds(b.target_ms)
                ),
                (false, _) => format!("顾客的问题等待 {} 未回复即结束会话", seconds(b.waited_ms)),
            };
            evidence.push(Evidence {
                note,
                message: b.messages.first().copied(),
            });
        }
    }
    if f.warnings + f.breaches > 0 {
        evidence.push(Evidence {
            note: format!("响应时效预警 {} 次，超时 {} 次", f.warnings, f.breaches),
            message: None,
        });
    }
    if counted.is_empty() {
        return (
            QaItem::Timeliness,
            false,
            100,
            "没有需要人工回复的顾客消息".to_owned(),
            evidence,
        );
    }
    let mean = counted
        .iter()
        .map(|b| burst_score(b, input.sla.three_minute_ms))
        .sum::<f64>()
        / counted.len() as f64;
    let on_time = counted
        .iter()
        .filter(|b| b.answered && b.waited_ms <= b.target_ms)
        .count();
    let first = counted
        .iter()
        .min_by_key(|b| b.started)
        .filter(|b| b.answered && !b.offline);
    let mut explanation = format!("{} 轮提问中 {} 轮按时回复", counted.len(), on_time);
    if let Some(b) = first {
        explanation.push_str(&format!("，首轮等待 {}", seconds(b.waited_ms)));
    }
    (
        QaItem::Timeliness,
        true,
        to_score(mean),
        explanation,
        evidence,
    )
}

fn finding_note(f: &Finding) -> String {
    match &f.suggestion {
        Some(s) => format!("{}（建议：{}）", f.reason, s),
        None => f.reason.clone(),
    }
}

fn violations_item(f: &Facts) -> Item {
    let mut penalty = 0u32;
    let mut evidence = Vec::new();
    let (mut forbidden, mut sensitive) = (0, 0);
    for (message, finding) in &f.findings {
        let p = match finding.label {
            QaLabel::ForbiddenPhrase => {
                forbidden += 1;
                FORBIDDEN_PENALTY
            }
            QaLabel::Sensitive | QaLabel::PersonalData => {
                sensitive += 1;
                SENSITIVE_PENALTY
            }
            QaLabel::UnauthorizedPromise => continue,
        };
        penalty += p;
        evidence.push(Evidence {
            note: finding_note(finding),
            message: Some(*message),
        });
    }
    let explanation = if forbidden + sensitive == 0 {
        "未发现禁用语或敏感内容".to_owned()
    } else {
        format!("禁用语 {forbidden} 处，敏感或个人信息 {sensitive} 处")
    };
    (
        QaItem::ForbiddenPhrases,
        !f.agent_messages.is_empty(),
        to_score(100.0 - f64::from(penalty)),
        explanation,
        evidence,
    )
}

fn promises_item(f: &Facts) -> Item {
    let evidence: Vec<Evidence> = f
        .findings
        .iter()
        .filter(|(_, x)| x.label == QaLabel::UnauthorizedPromise)
        .map(|(message, finding)| Evidence {
            note: finding_note(finding),
            message: Some(*message),
        })
        .collect();
    let n = evidence.len() as u32;
    let explanation = if n == 0 {
        "未发现违规承诺".to_owned()
    } else {
        format!("违规承诺 {n} 处")
    };
    (
        QaItem::Promises,
        !f.agent_messages.is_empty(),
        to_score(100.0 - f64::from(n.saturating_mul(PROMISE_PENALTY))),
        explanation,
        evidence,
    )
}

/// The kind of an agent's clause in the thermometer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Affirmation,
    Solution,
    Care,
}

/// Splits a message into clauses at sentence and clause punctuation.
pub fn clauses(text: &str) -> impl Iterator<Item = &str> {
    text.split([
        '。', '！', '？', '!', '?', '；', ';', '，', ',', '~', '～', '…', '\n',
    ])
    .map(str::trim)
    .filter(|c| c.chars().any(char::is_alphanumeric))
}

/// A clause's tone: the kind whose cue appears first in it (the longer cue on a tie); `None`
/// when no cue does.
pub fn tone(clause: &str) -> Option<Tone> {
    let mut best: Option<(usize, std::cmp::Reverse<usize>, Tone)> = None;
    for (tone, cues) in [
        (Tone::Affirmation, AFFIRMATION),
        (Tone::Solution, SOLUTION),
        (Tone::Care, CARE),
    ] {
        for cue in cues {
            if let Some(at) = clause.find(cue) {
                let key = (at, std::cmp::Reverse(cue.len()), tone);
                if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                    best = Some(key);
                }
            }
        }
    }
    best.map(|(_, _, t)| t)
}

fn politeness_item(f: &Facts) -> Item {
    let mut counts = [0usize; 3];
    for (_, text) in &f.agent_messages {
        for c in clauses(text) {
            match tone(c) {
                Some(Tone::Affirmation) => counts[0] += 1,
                Some(Tone::Solution) => counts[1] += 1,
                Some(Tone::Care) => counts[2] += 1,
                None => {}
            }
        }
    }
    let n: usize = counts.iter().sum();
    let applicable = !f.agent_messages.is_empty();
    if n == 0 {
        return (
            QaItem::Politeness,
            applicable,
            if applicable { 0 } else { 100 },
            "没有肯定、解决方案或关怀的表达".to_owned(),
            Vec::new(),
        );
    }
    let shares: Vec<f64> = counts.iter().map(|c| *c as f64 / n as f64).collect();
    let distance: f64 = shares
        .iter()
        .zip(THERMOMETER)
        .map(|(s, t)| (s - t).abs())
        .sum::<f64>()
        / 2.0;
    let pct = |s: f64| (s * 100.0).round() as u32;
    let explanation = format!(
        "肯定 {}% / 解决方案 {}% / 关怀 {}%（目标 60/30/10）",
        pct(shares[0]),
        pct(shares[1]),
        pct(shares[2])
    );
    let mut evidence = Vec::new();
    for (i, name) in ["肯定句", "解决方案", "情感关怀"].iter().enumerate() {
        if counts[i] == 0 {
            evidence.push(Evidence {
                note: format!("缺少{name}"),
                message: None,
            });
        }
    }
    (
        QaItem::Politeness,
        applicable,
        to_score(100.0 * (1.0 - distance)),
        explanation,
        evidence,
    )
}

fn resolution_item(input: &ScoreInput<'_>, f: &Facts) -> Item {
    let mut penalty = 0;
    let mut evidence = Vec::new();
    let mut note = |p: u32, text: String, message: Option<MessageId>| {
        penalty += p;
        evidence.push(Evidence {
            note: text,
            message,
        });
    };
    if let Some((id, text)) = f.shopper_messages.last() {
        let reading = input.readings.get(id);
        let negative = reading.is_some_and(|r| {
            r.score <= NEGATIVE
                || matches!(
                    r.emotion.as_deref(),
                    Some("anger" | "anxiety" | "disappointment")
                )
        });
        if negative {
            note(
                NEGATIVE_END_PENALTY,
                "顾客最后一条消息情绪负面".to_owned(),
                Some(*id),
            );
        } else if f.ends_with_shopper && !acknowledgement(text, reading) {
            note(
                UNANSWERED_END_PENALTY,
                "顾客最后的问题没有得到回复".to_owned(),
                Some(*id),
            );
        }
    }
    if f.transfers > 0 {
        note(
            TRANSFER_PENALTY,
            format!("会话被转接 {} 次", f.transfers),
            None,
        );
    }
    if input.open_tickets > 0 {
        note(
            OPEN_TICKET_PENALTY,
            format!("仍有 {} 个未完结的工单", input.open_tickets),
            None,
        );
    }
    if input.returned_at.is_some() {
        note(RETURN_PENALTY, "顾客在 48 小时内再次咨询".to_owned(), None);
    }
    let explanation = if evidence.is_empty() {
        "会话结束时问题已解决".to_owned()
    } else {
        "问题可能未解决".to_owned()
    };
    (
        QaItem::Resolution,
        true,
        to_score(100.0 - f64::from(penalty)),
        explanation,
        evidence,
    )
}

fn emotion_item(mood: Option<Mood>) -> Item {
    let Some(m) = mood else {
        return (
            QaItem::Emotion,
            false,
            100,
            "没有可分析的顾客消息".to_owned(),
            Vec::new(),
        );
    };
    let (start, end) = (
        f64::from(m.start.clamp(-1.0, 1.0)),
        f64::from(m.end.clamp(-1.0, 1.0)),
    );
    let drop = (start - end).max(0.0);
    let negative_end = (-end).max(0.0);
    let score = 100.0 - 60.0 * drop - 50.0 * negative_end;
    let word = |x: f64| {
        if x >= f64::from(POSITIVE) {
            "正面"
        } else if x <= f64::from(NEGATIVE) {
            "负面"
        } else {
            "平稳"
        }
    };
    let explanation = format!(
        "顾客情绪从{}（{:.2}）到{}（{:.2}）",
        word(start),
        start,
        word(end),
        end
    );
    let mut evidence = Vec::new();
    if m.strong_negative_turn {
        evidence.push(Evidence {
            note: format!("情绪曾明显转差，最低 {:.2}", m.lowest),
            message: None,
        });
    }
    (
        QaItem::Emotion,
        true,
        to_score(score),
        explanation,
        evidence,
    )
}

fn to_score(x: f64) -> u8 {
    if x.is_nan() {
        return 0;
    }
    x.round().clamp(0.0, 100.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_domain::{
        Channel, ConversationId, ConversationState, CustomerId, MessageText, ShopId, SlaClock,
        SlaSignal, Tier,
    };
    use proptest::prelude::*;

    /// 10:00 shop time on some day, in ms.
    const TEN_AM: i64 = 1_764_554_400_000;

    struct Log {
        shop: ShopId,
        id: ConversationId,
        events: Vec<Envelope>,
        readings: HashMap<MessageId, Reading>,
        agent: AgentId,
    }

    impl Log {
        fn new() -> Log {
            let mut log = Log {
                shop: ShopId::new(),
                id: ConversationId::new(),
                events: Vec::new(),
                readings: HashMap::new(),
                agent: AgentId::new(),
            };
            log.push(
                0,
                Event::ConversationOpened {
                    conversation: log.id,
                    customer: CustomerId::new(),
                    channel: Channel::Widget,
                    platform: None,
                    state: ConversationState::Queued,
                    tier: Tier::Standard,
                },
            );
            log
        }
        fn push(&mut self, s: i64, event: Event) {
            self.events.push(Envelope::new(
                self.shop,
                Timestamp::from_millis(TEN_AM + s * 1000),
                event,
            ));
        }
        fn say(&mut self, s: i64, sender: Sender, text: &str, reading: Reading) -> MessageId {
            let message = MessageId::new();
            self.push(
                s,
                Event::MessagePosted {
                    conversation: self.id,
                    message,
                    sender,
                    text: MessageText::parse(text).expect("text"),
                },
            );
            self.readings.insert(message, reading);
            message
        }
        fn shopper(&mut self, s: i64, text: &str, score: f32) -> MessageId {
            self.say(
                s,
                Sender::Shopper,
                text,
                Reading {
                    score,
                    ..Reading::default()
                },
            )
        }
        fn agent_says(&mut self, s: i64, text: &str, findings: Vec<Finding>) -> MessageId {
            let agent = self.agent;
            self.say(
                s,
                Sender::Agent { agent },
                text,
                Reading {
                    findings,
                    ..Reading::default()
                },
            )
        }
        fn assign(&mut self, s: i64) {
            let agent = self.agent;
            self.push(
                s,
                Event::Assigned {
                    conversation: self.id,
                    agent,
                },
            );
        }
        fn close(&mut self, s: i64) {
            let agent = self.agent;
            self.push(
                s,
                Event::Closed {
                    conversation: self.id,
                    by: Sender::Agent { agent },
                },
            );
        }
        fn score(&self, mood: Option<Mood>, open_tickets: usize, returned: bool) -> QaScore {
            let policy = SlaPolicy::default();
            let input = ScoreInput {
                events: &self.events,
                readings: &self.readings,
                mood,
                sla: &policy,
                open_tickets,
                returned_at: returned.then(|| Timestamp::from_millis(TEN_AM + 3_600_000)),
            };
            score(&input, &QaRubric::default())
        }
    }

    fn item(s: &QaScore, item: QaItem) -> &ItemScore {
        s.items.iter().find(|i| i.item == item).expect("item")
    }

    fn finding(label: QaLabel, rule: &str) -> Finding {
        Finding {
            label,
            rule: rule.to_owned(),
            start: 0,
            end: 2,
            reason: format!("{rule} 命中"),
            suggestion: None,
        }
    }

    fn calm(start: f32, end: f32) -> Option<Mood> {
        Some(Mood {
            start,
            end,
            lowest: start.min(end),
            strong_negative_turn: false,
        })
    }

    /// A model conversation: answered at once, the thermometer's structure, thanks at the end.
    fn exemplary() -> Log {
        let mut log = Log::new();
        log.shopper(0, "快递三天没动了", -0.2);
        log.assign(1);
        log.agent_says(
            5,
            "理解您的心情，抱歉让您久等了，我马上为您查询物流，好的亲，感谢耐心，这边帮您催一下快递，不好意思，明白的，还有什么可以帮您",
            vec![],
        );
        log.shopper(20, "好的谢谢", 0.8);
        log.agent_says(25, "不客气，祝您生活愉快", vec![]);
        log.close(30);
        log
    }

    #[test]
    fn an_exemplary_conversation_scores_high_on_every_item() {
        let s = exemplary().score(calm(-0.2, 0.8), 0, false);
        for i in &s.items {
            assert!(i.applicable, "{i:?}");
        }
        assert_eq!(item(&s, QaItem::Timeliness).score, 100);
        assert_eq!(item(&s, QaItem::ForbiddenPhrases).score, 100);
        assert_eq!(item(&s, QaItem::Promises).score, 100);
        assert_eq!(item(&s, QaItem::Resolution).score, 100);
        assert_eq!(item(&s, QaItem::Emotion).score, 100);
        let politeness = item(&s, QaItem::Politeness);
        assert!(politeness.score >= 80, "{politeness:?}");
        assert!(s.total >= 95, "{s:?}");
    }

    #[test]
    fn slow_replies_lose_timeliness_in_proportion_and_signals_are_evidence() {
        let mut log = Log::new();
        log.shopper(0, "在吗", 0.0);
        log.assign(1);
        // First response after 97.5 s: halfway from 15 s to 180 s → 75.
        log.push(
            15,
            Event::SlaSignaled {
                conversation: log.id,
                signal: SlaSignal {
                    clock: SlaClock::FirstResponse,
                    level: SlaLevel::Breach,
                    burst: Timestamp::from_millis(TEN_AM),
                    at: Timestamp::from_millis(TEN_AM + 15_000),
                    agent: None,
                },
            },
        );
        log.say(
            97,
            Sender::Agent { agent: log.agent },
            "在的",
            Reading::default(),
        );
        // Make the wait exact.
        if let Some(e) = log.events.last_mut() {
            e.at = Timestamp::from_millis(TEN_AM + 97_500);
        }
        // The second burst waits 10 s (target 40 s): on time.
        log.shopper(100, "发什么快递", 0.0);
        log.agent_says(110, "中通", vec![]);
        log.close(120);
        let s = log.score(calm(0.0, 0.0), 0, false);
        let t = item(&s, QaItem::Timeliness);
        assert_eq!(t.score, 88, "mean of 75 and 100: {t:?}");
        assert!(t.explanation.contains("2 轮提问中 1 轮按时回复"), "{t:?}");
        assert!(
            t.evidence.iter().any(|e| e.note.contains("超时 1 次")),
            "{t:?}"
        );
        assert!(t.evidence.iter().any(|e| e.note.contains("98 秒")), "{t:?}");
    }

    #[test]
    fn burst_scores_fall_to_fifty_at_three_minutes_and_zero_at_six() {
        let b = |waited_ms, offline| BurstOutcome {
            started: Timestamp::from_millis(0),
            target_ms: 40_000,
            offline,
            waited_ms,
            answered: true,
            messages: vec![],
        };
        assert_eq!(burst_score(&b(40_000, false), 180_000), 100.0);
        assert_eq!(burst_score(&b(180_000, false), 180_000), 50.0);
        assert_eq!(burst_score(&b(270_000, false), 180_000), 25.0);
        assert_eq!(burst_score(&b(400_000, false), 180_000), 0.0);
        assert_eq!(burst_score(&b(40_001, true), 180_000), 0.0);
    }

    #[test]
    fn closing_thanks_need_no_answer_but_an_ignored_question_counts() {
        let mut log = exemplary();
        // The exemplary log's last shopper line was answered; add an unanswered thanks.
        log.events.pop();
        log.shopper(40, "谢谢", 0.9);
        log.close(400);
        let s = log.score(calm(0.0, 0.9), 0, false);
        assert_eq!(item(&s, QaItem::Timeliness).score, 100);
        assert_eq!(item(&s, QaItem::Resolution).score, 100);

        let mut log = exemplary();
        log.events.pop();
        log.shopper(40, "那什么时候能到呢", 0.0);
        log.close(400);
        let s = log.score(calm(0.0, 0.0), 0, false);
        let t = item(&s, QaItem::Timeliness);
        assert!(t.score < 100, "{t:?}");
        assert!(
            t.evidence
                .iter()
                .any(|e| e.note.contains("未回复即结束会话")),
            "{t:?}"
        );
        let r = item(&s, QaItem::Resolution);
        assert_eq!(r.score, 70, "{r:?}");
    }

    #[test]
    fn findings_cost_points_per_kind_and_count_once_per_message_and_rule() {
        let mut log = Log::new();
        log.shopper(0, "这个能退吗", 0.0);
        log.assign(1);
        let twice = finding(QaLabel::ForbiddenPhrase, "forbidden.refusal");
        log.agent_says(
            5,
            "不知道，你自己看",
            vec![
                twice.clone(),
                twice,
                finding(QaLabel::PersonalData, "personal.phone"),
            ],
        );
        log.agent_says(
            8,
            "保证明天到",
            vec![finding(QaLabel::UnauthorizedPromise, "promise.delivery")],
        );
        log.close(10);
        let s = log.score(calm(0.0, 0.0), 0, false);
        let v = item(&s, QaItem::ForbiddenPhrases);
        assert_eq!(v.score, 100 - 25 - 40, "{v:?}");
        assert_eq!(v.evidence.len(), 2);
        assert!(v.evidence.iter().all(|e| e.message.is_some()));
        let p = item(&s, QaItem::Promises);
        assert_eq!(p.score, 60, "{p:?}");
        assert!(p.explanation.contains("违规承诺 1 处"));
    }

    #[test]
    fn politeness_is_the_distance_from_the_thermometer() {
        assert_eq!(tone("理解您的心情"), Some(Tone::Affirmation));
        assert_eq!(tone("我马上为您补发"), Some(Tone::Solution));
        assert_eq!(tone("祝您生活愉快"), Some(Tone::Care));
        assert_eq!(tone("抱歉给您带来不便"), Some(Tone::Affirmation));
        assert_eq!(tone("24斤的宝宝建议选XL码哦"), Some(Tone::Solution));
        assert_eq!(tone("请问还有别的问题吗亲"), Some(Tone::Care));
        assert_eq!(tone("不客气哦"), Some(Tone::Affirmation));
        assert_eq!(tone("中通"), None);
        assert_eq!(clauses("好的亲，这边帮您查询。还有什么问题吗？").count(), 3);

        let only_solutions = |text: &str| {
            let mut log = Log::new();
            log.shopper(0, "在吗", 0.0);
            log.assign(1);
            log.agent_says(3, text, vec![]);
            log.close(10);
            item(&log.score(None, 0, false), QaItem::Politeness).clone()
        };
        // All solution: shares (0, 1, 0) are 0.7 from (0.6, 0.3, 0.1).
        assert_eq!(only_solutions("为您补发").score, 30);
        // 6 affirmation, 3 solution, 1 care: exactly the thermometer.
        let ideal = only_solutions(
            "理解，抱歉，感谢，好的，明白，收到，为您补发，帮您退款，给您登记，祝您愉快",
        );
        assert_eq!(ideal.score, 100, "{ideal:?}");
        let none = only_solutions("中通");
        assert_eq!((none.score, none.applicable), (0, true));
    }

    #[test]
    fn resolution_reads_the_last_word_transfers_tickets_and_returns() {
        let mut log = exemplary();
        log.push(
            2,
            Event::Transferred {
                conversation: log.id,
                by: log.agent,
                from: Some(log.agent),
                reason: "专家处理".into(),
            },
        );
        let s = log.score(calm(0.0, 0.5), 1, true);
        let r = item(&s, QaItem::Resolution);
        assert_eq!(r.score, 0, "20 + 30 + 50: {r:?}");
        assert_eq!(r.evidence.len(), 3);

        let mut log = Log::new();
        log.shopper(0, "太差了，我要投诉", -0.9);
        log.assign(1);
        log.agent_says(3, "抱歉，为您处理", vec![]);
        log.shopper(6, "你们就是骗子", -0.9);
        log.close(10);
        let s = log.score(calm(-0.9, -0.9), 0, false);
        let r = item(&s, QaItem::Resolution);
        assert_eq!(r.score, 60, "{r:?}");
        let e = item(&s, QaItem::Emotion);
        assert_eq!(e.score, 55, "ends at -0.9: {e:?}");
    }

    #[test]
    fn emotion_rewards_holding_or_lifting_the_mood() {
        let e = |start, end| emotion_item(calm(start, end)).2;
        assert_eq!(e(0.0, 0.0), 100);
        assert_eq!(e(-0.8, 0.4), 100);
        assert_eq!(e(-0.8, -0.4), 80);
        assert_eq!(e(0.5, -0.5), 15);
        assert!(!emotion_item(None).1);
    }

    #[test]
    fn without_an_agent_reply_only_what_applies_counts() {
        let mut log = Log::new();
        log.shopper(0, "在吗", 0.0);
        log.assign(1);
        log.close(5);
        let s = log.score(None, 0, false);
        let applicable: Vec<QaItem> = s
            .items
            .iter()
            .filter(|i| i.applicable)
            .map(|i| i.item)
            .collect();
        assert_eq!(applicable, [QaItem::Timeliness, QaItem::Resolution]);
        // Timeliness: waited 5 s of 15 at close: not a breach yet, so not counted as late, but
        // the unanswered question still costs resolution.
        assert_eq!(item(&s, QaItem::Timeliness).score, 100);
        assert_eq!(item(&s, QaItem::Resolution).score, 70);
        // (20 × 100 + 20 × 70) / 40.
        assert_eq!(s.total, 85);
        assert_eq!(scored_agent(&log.events), Some(log.agent));
    }

    #[test]
    fn overrides_replace_an_items_score_and_the_total_follows() {
        let s = exemplary().score(calm(0.0, 0.5), 0, false);
        let before = s.total;
        let after = effective_total(&s.items, &[(QaItem::Timeliness, 0)]);
        // Timeliness weighs 20 of 100: the total loses 20 points.
        assert_eq!(i32::from(before) - i32::from(after), 20);
        // The latest override of an item wins.
        assert_eq!(
            effective_total(
                &s.items,
                &[(QaItem::Timeliness, 0), (QaItem::Timeliness, 100)]
            ),
            before
        );
    }

    #[test]
    fn weights_must_sum_to_a_hundred() {
        assert!(Weights::default().validate().is_ok());
        let w = Weights {
            emotion: 11,
            ..Weights::default()
        };
        assert_eq!(w.validate().map_err(|e| e.field), Err("weights".to_owned()));
        let w = Weights {
            timeliness: 101,
            forbidden_phrases: 0,
            promises: 0,
            politeness: 0,
            resolution: 0,
            emotion: 0,
        };
        assert_eq!(
            w.validate().map_err(|e| e.field),
            Err("weights.timeliness".to_owned())
        );
        assert_eq!(QaItem::parse("politeness"), Some(QaItem::Politeness));
        assert_eq!(QaItem::parse("nope"), None);
    }

    fn arb_finding() -> impl Strategy<Value = Finding> {
        (0usize..4, 0usize..3).prop_map(|(label, rule)| {
            let label = [
                QaLabel::ForbiddenPhrase,
                QaLabel::UnauthorizedPromise,
                QaLabel::Sensitive,
                QaLabel::PersonalData,
            ][label];
            finding(label, &format!("rule.{rule}"))
        })
    }

    /// (sender 0 shopper / 1 agent / 2 bot / 3 SLA breach / 4 transfer, seconds later, score,
    /// findings, text)
    type Step = (u8, u16, f32, Vec<Finding>, usize);

    fn arb_step() -> impl Strategy<Value = Step> {
        (
            0u8..5,
            0u16..2_000,
            -1.5f32..1.5,
            proptest::collection::vec(arb_finding(), 0..4),
            0usize..6,
        )
    }

    const TEXTS: [&str; 6] = [
        "在吗",
        "谢谢",
        "理解您，为您补发，祝您愉快",
        "不知道",
        "好的",
        "那什么时候到？",
    ];

    proptest! {
        #[test]
        fn scores_stay_within_0_and_100(
            weights in proptest::array::uniform6(0u8..=255),
            steps in proptest::collection::vec(arb_step(), 0..30),
            mood in proptest::option::of((-3.0f32..3.0, -3.0f32..3.0, any::<bool>())),
            tickets in 0usize..3,
            returned in any::<bool>(),
            overrides in proptest::collection::vec((0usize..6, 0u8..=255), 0..4),
        ) {
            let mut log = Log::new();
            log.assign(0);
            let mut t = 0i64;
            for (kind, later, score, findings, text) in steps {
                t += i64::from(later);
                let text = TEXTS[text];
                match kind {
                    0 => {
                        log.say(t, Sender::Shopper, text, Reading { score, emotion: None, findings: vec![] });
                    }
                    1 => {
                        let agent = log.agent;
                        log.say(t, Sender::Agent { agent }, text, Reading { score, emotion: None, findings });
                    }
                    2 => {
                        log.say(t, Sender::Bot, text, Reading::default());
                    }
                    3 => log.push(t, Event::SlaSignaled {
                        conversation: log.id,
                        signal: SlaSignal {
                            clock: SlaClock::ReplyInterval,
                            level: SlaLevel::Breach,
                            burst: Timestamp::from_millis(TEN_AM),
                            at: Timestamp::from_millis(TEN_AM + t * 1000),
                            agent: None,
                        },
                    }),
                    _ => log.push(t, Event::Transferred {
                        conversation: log.id,
                        by: log.agent,
                        from: None,
                        reason: "转".into(),
                    }),
                }
            }
            log.close(t + 1);
            let rubric = QaRubric {
                version: 1,
                weights: Weights {
                    timeliness: weights[0],
                    forbidden_phrases: weights[1],
                    promises: weights[2],
                    politeness: weights[3],
                    resolution: weights[4],
                    emotion: weights[5],
                },
            };
            let policy = SlaPolicy::default();
            let input = ScoreInput {
                events: &log.events,
                readings: &log.readings,
                mood: mood.map(|(start, end, strong)| Mood { start, end, lowest: start.min(end), strong_negative_turn: strong }),
                sla: &policy,
                open_tickets: tickets,
                returned_at: returned.then(|| Timestamp::from_millis(TEN_AM)),
            };
            let s = score(&input, &rubric);
            prop_assert!(s.total <= 100);
            prop_assert_eq!(s.items.len(), 6);
            for i in &s.items {
                prop_assert!(i.score <= 100);
            }
            let overrides: Vec<(QaItem, u8)> = overrides.into_iter().map(|(i, s)| (QaItem::ALL[i], s)).collect();
            prop_assert!(effective_total(&s.items, &overrides) <= 100);
        }
    }
}
