//! Which queue a conversation waits in when it reaches people, and how urgently: the tier, the
//! priority and the skill group, from why the bot handed it off and what is known about the
//! shopper, plus the offline due time when it arrives outside staffed hours.
//!
//! Policy (where the issue is silent):
//! - A threat to go to the regulator, a lawyer or the press (12315, 律师, 曝光 — the text
//!   engine's `regulator`, `legal`, `media` risk words) is a major complaint: crisis tier and
//!   crisis priority, whatever else holds.
//! - Human-only topics (funds, defects, privacy, safety) go to the expert seats.
//! - Priority is the highest that applies: human-only topic > VIP (the customer's level, or
//!   the bot's `vip` hand-off) > complaint (the bot's `negative_emotion` hand-off) > normal.
//! - The skill group is the first in the shop's list whose topics contain the hand-off's topic
//!   (an entry's first tag, or the human-only/sensitive category); none when nothing matches.

use crate::hours::Schedule;
use kefu_domain::{HandOffReason, Priority, QueueRequest, Tier, Timestamp};
use serde::{Deserialize, Serialize};

/// A skill group and the topics it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillTopics {
    pub skill: String,
    pub topics: Vec<String>,
}

/// The shop's skill groups, in order of preference.
pub fn default_skills() -> Vec<SkillTopics> {
    let group = |skill: &str, topics: &[&str]| SkillTopics {
        skill: skill.to_owned(),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
    };
    vec![
        group(
            "物流",
            &["物流", "发货", "快递", "物流查询", "配送", "丢件"],
        ),
        group(
            "售后",
            &[
                "售后",
                "退换货",
                "退款",
                "退货",
                "换货",
                "价保",
                "发票",
                "product_defect",
                "quality",
                "refund",
                "fraud",
            ],
        ),
        group("母婴顾问", &["safety", "过敏", "喂养"]),
        group(
            "售前",
            &[
                "优惠",
                "尺码",
                "成分",
                "奶粉",
                "辅食",
                "奶瓶",
                "餐具玩具",
                "赠品",
                "保质期",
                "正品",
                "支付",
                "接待",
                "活动",
                "库存",
            ],
        ),
    ]
}

/// What is known when a conversation reaches people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    /// Why the bot handed off; `None` when the bot did not serve (no knowledge base).
    pub reason: Option<HandOffReason>,
    /// The hand-off's topic.
    pub topic: Option<&'a str>,
    /// The customer is a VIP or high-value customer.
    pub vip: bool,
    /// The shopper threatened the regulator, a lawyer or the press.
    pub risk: bool,
}

/// The queue for a conversation reaching people at `at`.
pub fn queue_for(
    facts: Facts<'_>,
    skills: &[SkillTopics],
    hours: &Schedule,
    at: Timestamp,
) -> QueueRequest {
    let human_only = facts.reason == Some(HandOffReason::HumanOnlyTopic);
    let tier = if facts.risk {
        Tier::Crisis
    } else if human_only {
        Tier::Expert
    } else {
        Tier::Standard
    };
    let priority = if facts.risk {
        Priority::Crisis
    } else if human_only {
        Priority::HumanOnly
    } else if facts.vip || facts.reason == Some(HandOffReason::Vip) {
        Priority::Vip
    } else if facts.reason == Some(HandOffReason::NegativeEmotion) {
        Priority::Complaint
    } else {
        Priority::Normal
    };
    let skill = facts.topic.and_then(|topic| {
        skills
            .iter()
            .find(|g| g.topics.iter().any(|t| t == topic))
            .map(|g| g.skill.clone())
    });
    QueueRequest {
        tier,
        priority,
        skill,
        due: (!hours.is_staffed(at)).then(|| hours.offline_due(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_flexible(s).expect("time")
    }

    fn facts(reason: Option<HandOffReason>, topic: Option<&str>) -> Facts<'_> {
        Facts {
            reason,
            topic,
            vip: false,
            risk: false,
        }
    }

    #[test]
    fn hand_offs_pick_tier_priority_and_skill() {
        let (skills, hours, noon) = (
            default_skills(),
            Schedule::default(),
            at("2026-12-02 12:00:00"),
        );
        let q = |f| queue_for(f, &skills, &hours, noon);

        let plain = q(facts(Some(HandOffReason::LowConfidence), Some("物流")));
        assert_eq!(
            (
                plain.tier,
                plain.priority,
                plain.skill.as_deref(),
                plain.due
            ),
            (Tier::Standard, Priority::Normal, Some("物流"), None)
        );
        let defect = q(facts(
            Some(HandOffReason::HumanOnlyTopic),
            Some("product_defect"),
        ));
        assert_eq!(
            (defect.tier, defect.priority, defect.skill.as_deref()),
            (Tier::Expert, Priority::HumanOnly, Some("售后"))
        );
        let angry = q(facts(Some(HandOffReason::NegativeEmotion), Some("尺码")));
        assert_eq!(
            (angry.priority, angry.skill.as_deref()),
            (Priority::Complaint, Some("售前"))
        );
        let vip_angry = q(Facts {
            vip: true,
            ..facts(Some(HandOffReason::NegativeEmotion), None)
        });
        assert_eq!(
            vip_angry.priority,
            Priority::Vip,
            "the highest that applies"
        );
        let threat = q(Facts {
            risk: true,
            vip: true,
            ..facts(Some(HandOffReason::HumanOnlyTopic), Some("legal"))
        });
        assert_eq!(
            (threat.tier, threat.priority),
            (Tier::Crisis, Priority::Crisis)
        );
        assert_eq!(q(facts(None, Some("没听说过的话题"))).skill, None);
    }

    #[test]
    fn outside_staffed_hours_it_becomes_an_offline_message() {
        let night = at("2026-12-02 23:40:00");
        let q = queue_for(
            facts(Some(HandOffReason::CustomerRequest), None),
            &default_skills(),
            &Schedule::default(),
            night,
        );
        assert_eq!(q.due, Some(at("2026-12-03 10:00:00")));
    }
}
