//! The bot's whole turn on one shopper message in a conversation it serves: what it decides
//! (see [`crate::decide`]) and the words it replies with — the entry's answer filled from the
//! shopper's latest order, a closed question offering two entries, or a notice that a person
//! is coming, with a summary for that person.
//!
//! Pure: the caller loads the conversation, the customer's order and the shop's knowledge, and
//! appends what comes out.

use crate::decide::{BotSettings, Decision, Turn, decide};
use crate::index::{Candidate, Index};
use crate::template;
use kefu_domain::{
    BotDecision, BotMemory, HandOffReason, HandOffSummary, KnowledgeEntry, Order, OrderStatus,
    Timestamp, permille,
};
use kefu_text::analysis::Analysis;
use kefu_text::lexicon::LexiconKind;

/// Candidates retrieved per turn: the decision reads two, the summary and the phrasing more.
pub const CANDIDATES: usize = 5;

/// The shopper's latest order, as answers may quote it. Values are display-ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFacts {
    pub no: String,
    /// In words (`已发货`).
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub shipped_at: Option<String>,
    pub paid_at: Option<String>,
}

impl OrderFacts {
    /// The facts of `order`; `carrier` is read from its tracking number by the caller.
    pub fn of(order: &Order, carrier: Option<String>) -> OrderFacts {
        OrderFacts {
            no: order.order_no.clone(),
            status: status_words(order.status).to_owned(),
            carrier,
            tracking_no: order.tracking_no.clone(),
            shipped_at: order.shipped_at.map(Timestamp::to_shop_minute),
            paid_at: order.paid_at.map(Timestamp::to_shop_minute),
        }
    }

    /// The value of an answer variable, if this order has one.
    pub fn value(&self, variable: &str) -> Option<String> {
        match variable {
            "order.no" => Some(self.no.clone()),
            "order.status" => Some(self.status.clone()),
            "order.carrier" => self.carrier.clone(),
            "order.tracking_no" => self.tracking_no.clone(),
            "order.shipped_at" => self.shipped_at.clone(),
            "order.paid_at" => self.paid_at.clone(),
            _ => None,
        }
    }
}

/// An order status as a shopper reads it.
pub fn status_words(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Unpaid => "待付款",
        OrderStatus::Paid => "待发货",
        OrderStatus::Shipped => "已发货",
        OrderStatus::Received => "已签收",
        OrderStatus::Refunding => "退款中",
        OrderStatus::Refunded => "已退款",
        OrderStatus::Closed => "已关闭",
    }
}

/// What the bot knows when it takes its turn.
#[derive(Debug, Clone, Copy)]
pub struct BotInput<'a> {
    pub settings: &'a BotSettings,
    pub index: &'a Index,
    /// The entries the index was built from, in index order.
    pub entries: &'a [KnowledgeEntry],
    /// The shopper's message and the text engine's reading of it.
    pub text: &'a str,
    pub analysis: &'a Analysis,
    /// What the conversation remembers of earlier turns.
    pub memory: &'a BotMemory,
    pub vip: bool,
    pub order: Option<&'a OrderFacts>,
}

/// The bot's turn: the decision to record, the reply to post, and what retrieval found.
#[derive(Debug, Clone, PartialEq)]
pub struct BotTurn {
    pub decision: BotDecision,
    pub reply: String,
    pub candidates: Vec<Candidate>,
}

/// Takes the bot's turn on one message.
pub fn respond(input: &BotInput<'_>) -> BotTurn {
    let candidates = input.index.search(input.text, CANDIDATES);
    let entry_at = |position: usize| input.entries.get(position);
    if let Some(chosen) = chosen_option(input) {
        return answer(input, chosen, 1.0, candidates);
    }
    let decision = decide(
        input.settings,
        &Turn {
            analysis: input.analysis,
            candidates: &candidates,
            misses: input.memory.misses,
            vip: input.vip,
        },
    );
    match decision {
        Decision::Answer { confidence, .. } => {
            match candidates.first().and_then(|c| entry_at(c.entry)) {
                Some(entry) => answer(input, entry, confidence, candidates),
                None => hand_off(input, HandOffReason::BotError, confidence, candidates),
            }
        }
        Decision::Clarify { confidence, .. } => {
            let pair = (
                candidates.first().and_then(|c| entry_at(c.entry)),
                candidates.get(1).and_then(|c| entry_at(c.entry)),
            );
            match pair {
                (Some(first), Some(second)) => BotTurn {
                    reply: clarify_question(&first.fields.question, &second.fields.question),
                    decision: BotDecision::Clarify {
                        options: [first.id, second.id],
                        confidence: permille(confidence),
                    },
                    candidates,
                },
                _ => hand_off(input, HandOffReason::BotError, confidence, candidates),
            }
        }
        Decision::HandOff { reason, confidence } => hand_off(input, reason, confidence, candidates),
    }
}

/// The entry the shopper picked, when the bot just asked them to choose and they answered
/// with a number or 第一个 / 第二个 / 前者 / 后者 (and nothing else of substance).
fn chosen_option<'a>(input: &BotInput<'a>) -> Option<&'a KnowledgeEntry> {
    let options = input.memory.pending?;
    let text: String = kefu_text::normalize(input.text)
        .text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let text = text
        .trim_start_matches("是")
        .trim_end_matches(['吧', '呀', '啊', '的']);
    let pick = match text {
        "1" | "一" | "第1个" | "第一个" | "第一" | "前者" | "前面那个" | "上面那个" => {
            0
        }
        "2" | "二" | "第2个" | "第二个" | "第二" | "后者" | "后面那个" | "下面那个" => {
            1
        }
        _ => return None,
    };
    let id = options[pick];
    input.entries.iter().find(|e| e.id == id)
}

fn answer(
    input: &BotInput<'_>,
    entry: &KnowledgeEntry,
    confidence: f32,
    candidates: Vec<Candidate>,
) -> BotTurn {
    let filled = template::render(&entry.fields.answer, |name| {
        input.order.and_then(|o| o.value(name))
    });
    match filled {
        Ok(reply) => BotTurn {
            reply,
            decision: BotDecision::Answer {
                entry: entry.id,
                confidence: permille(confidence),
            },
            candidates,
        },
        // The answer quotes an order the shopper does not have (or one not shipped yet): a
        // person can look into it; a half-filled answer would mislead.
        Err(_) => hand_off(input, HandOffReason::LowConfidence, confidence, candidates),
    }
}

fn hand_off(
    input: &BotInput<'_>,
    reason: HandOffReason,
    confidence: f32,
    candidates: Vec<Candidate>,
) -> BotTurn {
    let summary = HandOffSummary {
        topic: topic(input, &candidates),
        question: input.text.to_owned(),
        emotion: input.analysis.emotion.label.map(|e| e.as_str().to_owned()),
        order: input.order.map(|o| format!("{} · {}", o.no, o.status)),
    };
    BotTurn {
        reply: hand_off_notice(reason).to_owned(),
        decision: BotDecision::HandOff {
            reason,
            confidence: permille(confidence),
            after: input.memory.last_answer,
            summary,
        },
        candidates,
    }
}

/// What the question is about, for the agent: the human-only or sensitive category that sent
/// it to a person, else the closest entry's first tag or its question.
fn topic(input: &BotInput<'_>, candidates: &[Candidate]) -> Option<String> {
    let flagged = input
        .analysis
        .hits_of(LexiconKind::HumanOnly)
        .chain(input.analysis.hits_of(LexiconKind::Sensitive))
        .next();
    if let Some(hit) = flagged {
        return Some(hit.category.to_owned());
    }
    let entry = candidates
        .first()
        .and_then(|c| input.entries.get(c.entry))?;
    Some(
        entry
            .fields
            .tags
            .first()
            .cloned()
            .unwrap_or_else(|| entry.fields.question.clone()),
    )
}

/// The closed question offering two entries.
pub fn clarify_question(first: &str, second: &str) -> String {
    let strip = |q: &str| q.trim_end_matches(['？', '?', '。', '！', '!']).to_owned();
    format!(
        "亲，您想咨询的是：\n1. {}\n2. {}\n回复 1 或 2 即可～",
        strip(first),
        strip(second)
    )
}

/// What the shopper reads when a person takes over.
pub fn hand_off_notice(reason: HandOffReason) -> &'static str {
    match reason {
        HandOffReason::CustomerRequest => "好的，马上为您转接人工客服，请稍等～",
        HandOffReason::NegativeEmotion => {
            "非常抱歉给您带来不好的体验，已为您转接专属客服，马上为您处理。"
        }
        HandOffReason::HumanOnlyTopic => "这个问题需要专业客服为您处理，已为您转接，请稍等～",
        HandOffReason::Vip => "尊敬的会员您好，已为您转接专属客服，请稍等～",
        HandOffReason::RepeatedMiss | HandOffReason::LowConfidence | HandOffReason::BotError => {
            "这个问题我为您转接人工客服，请稍等～"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Doc;
    use kefu_domain::{
        EntryDraft, EntryStatus, KnowledgeEntryId, KnowledgeStats, ShopId, Timestamp,
    };
    use kefu_text::analysis::Analyzer;
    use kefu_text::segment::Segmenter;
    use std::collections::HashMap;

    fn entry(
        key: &str,
        question: &str,
        similar: &[&str],
        answer: &str,
        tag: &str,
    ) -> KnowledgeEntry {
        KnowledgeEntry {
            id: KnowledgeEntryId::new(),
            shop: ShopId::new(),
            fields: EntryDraft {
                key: Some(key.into()),
                question: question.into(),
                similar: similar.iter().map(|s| s.to_string()).collect(),
                answer: answer.into(),
                tags: vec![tag.into()],
                ..EntryDraft::default()
            },
            status: EntryStatus::Published,
            version: 1,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
            stats: KnowledgeStats::default(),
        }
    }

    struct Kb {
        entries: Vec<KnowledgeEntry>,
        index: Index,
        analyzer: Analyzer,
        settings: BotSettings,
    }

    fn kb() -> Kb {
        let entries = vec![
            entry(
                "where",
                "我的快递到哪了",
                &["物流到哪里了", "查一下物流", "包裹到哪了"],
                "亲，您的订单{order.no}已由{order.carrier}发出，单号{order.tracking_no}～",
                "物流查询",
            ),
            entry(
                "return",
                "怎么申请退货",
                &["我要退货", "退货流程是什么", "如何退货"],
                "亲，在订单页点「申请售后」选择退货即可～",
                "退换政策",
            ),
            entry(
                "ship-time",
                "下单后多久发货",
                &["什么时候发货", "几天能发货", "发货要多久"],
                "亲，付款后48小时内发货哦～",
                "发货时间",
            ),
            entry(
                "size",
                "尺码怎么选",
                &["穿多大码", "尺码偏大还是偏小", "选哪个码"],
                "亲，按平时尺码选择即可，详见尺码表～",
                "尺码",
            ),
        ];
        let docs: Vec<Doc> = entries
            .iter()
            .map(|e| Doc {
                id: e.id.to_string(),
                questions: e.questions().map(str::to_owned).collect(),
            })
            .collect();
        // The encoder the bot runs with: a base this small has no ranker of its own and is
        // ranked by the bundled one, fitted with the semantic signals.
        let embedder = crate::semantic::bundled().expect("bundled encoder");
        let index = Index::build(&docs, Segmenter::new(), Some(embedder), &mut HashMap::new());
        Kb {
            entries,
            index,
            analyzer: Analyzer::bundled().expect("bundled lexicons"),
            settings: BotSettings::default(),
        }
    }

    fn turn(kb: &Kb, text: &str, memory: &BotMemory, order: Option<&OrderFacts>) -> BotTurn {
        let analysis = kb.analyzer.analyze(text);
        respond(&BotInput {
            settings: &kb.settings,
            index: &kb.index,
            entries: &kb.entries,
            text,
            analysis: &analysis,
            memory,
            vip: false,
            order,
        })
    }

    fn shipped() -> OrderFacts {
        OrderFacts {
            no: "TB20261201001".into(),
            status: "已发货".into(),
            carrier: Some("顺丰".into()),
            tracking_no: Some("SF1234567890123".into()),
            shipped_at: Some("2026-12-01 10:00".into()),
            paid_at: Some("2026-11-30 21:00".into()),
        }
    }

    #[test]
    fn a_known_question_is_answered_from_the_shoppers_own_order() {
        let kb = kb();
        let order = shipped();
        let t = turn(&kb, "我的快递到哪了", &BotMemory::default(), Some(&order));
        assert_eq!(
            t.decision,
            BotDecision::Answer {
                entry: kb.entries[0].id,
                confidence: t.decision.confidence()
            }
        );
        assert_eq!(
            t.reply,
            "亲，您的订单TB20261201001已由顺丰发出，单号SF1234567890123～"
        );
    }

    #[test]
    fn an_answer_the_shopper_has_no_order_for_goes_to_a_person() {
        let kb = kb();
        let t = turn(&kb, "我的快递到哪了", &BotMemory::default(), None);
        assert_eq!(t.decision.reason(), Some(HandOffReason::LowConfidence));
        let BotDecision::HandOff { summary, .. } = &t.decision else {
            panic!("hand-off expected");
        };
        assert_eq!(summary.topic.as_deref(), Some("物流查询"));
        assert_eq!(summary.question, "我的快递到哪了");
        assert_eq!(t.reply, hand_off_notice(HandOffReason::LowConfidence));
    }

    #[test]
    fn asking_for_a_person_hands_off_with_the_last_answer_and_the_order() {
        let kb = kb();
        let memory = BotMemory {
            last_answer: Some(kb.entries[1].id),
            ..BotMemory::default()
        };
        let order = shipped();
        let t = turn(&kb, "转人工！！", &memory, Some(&order));
        let BotDecision::HandOff {
            reason,
            after,
            summary,
            ..
        } = &t.decision
        else {
            panic!("hand-off expected, got {:?}", t.decision);
        };
        assert_eq!(*reason, HandOffReason::CustomerRequest);
        assert_eq!(*after, Some(kb.entries[1].id));
        assert_eq!(summary.order.as_deref(), Some("TB20261201001 · 已发货"));
    }

    #[test]
    fn a_shopper_who_picks_an_option_gets_that_answer() {
        let kb = kb();
        let memory = BotMemory {
            misses: 1,
            pending: Some([kb.entries[1].id, kb.entries[2].id]),
            ..BotMemory::default()
        };
        for pick in ["2", "２", "第二个", "后者吧"] {
            let t = turn(&kb, pick, &memory, None);
            assert_eq!(
                t.decision.entries(),
                vec![kb.entries[2].id],
                "{pick} picks the second option"
            );
            assert_eq!(t.reply, kb.entries[2].fields.answer);
        }
        let t = turn(&kb, "1", &memory, None);
        assert_eq!(t.decision.entries(), vec![kb.entries[1].id]);
        let nothing_pending = turn(&kb, "2", &BotMemory::default(), None);
        assert_eq!(nothing_pending.decision.action(), "hand_off");
    }

    #[test]
    fn the_clarifying_question_offers_both_entries() {
        let q = clarify_question("怎么申请退货？", "下单后多久发货?");
        assert_eq!(
            q,
            "亲，您想咨询的是：\n1. 怎么申请退货\n2. 下单后多久发货\n回复 1 或 2 即可～"
        );
    }
}
