//! A shop day, simulated second by second through the engine's stages (routing and SLA clocks),
//! with the conversation events a real day would append. It checks the invariants throughout
//! and prints the day's KPIs.
//!
//! The day (shop time): shoppers arrive from 08:00, ramping up through the morning; a promotion
//! at 10:00–11:00 triples arrivals; at lunch (12:00–13:30) a third of the agents are away;
//! arrivals peak again 20:00–22:00; and all day agents step away for a few minutes and come
//! back. Standard questions go to the bot, which answers about half of them; the rest are
//! handed off (a priority, a tier, a skill) and wait for people. An agent answers each burst
//! after a think-and-type delay, the shopper writes again a few times, and the conversation
//! closes. Deterministic for a seed.

use crate::hours::{Schedule, Shift};
use crate::routing::{Need, Router, Seat};
use crate::sla::{Answered, SlaLevel, SlaPolicy, SlaSignal, SlaState};
use kefu_domain::{
    AgentId, AgentStatus, Channel, ConversationId, ConversationState, CustomerId, Envelope, Event,
    MessageId, MessageText, Priority, Sender, ShopId, Tier, Timestamp,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the day looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPlan {
    pub seed: u64,
    /// Midnight (shop time) of the simulated day.
    pub midnight: Timestamp,
    pub agents: usize,
    /// Shoppers per hour at the busiest ordinary hour.
    pub peak_per_hour: f64,
    /// Share of conversations the bot closes by itself.
    pub bot_share: f64,
}

impl Default for DayPlan {
    fn default() -> Self {
        DayPlan {
            seed: 7,
            // 2026-12-01 00:00 shop time.
            midnight: Timestamp::from_millis(1_764_518_400_000),
            agents: 24,
            peak_per_hour: 180.0,
            bot_share: 0.45,
        }
    }
}

/// What the day produced.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DayReport {
    pub conversations: usize,
    pub handed_off: usize,
    pub shopper_messages: usize,
    pub frt_p50_s: f64,
    pub frt_p90_s: f64,
    pub three_minute_rate: f64,
    pub max_queue: usize,
    pub warnings: usize,
    pub breaches: usize,
    /// Conversations taken back from agents who went away or offline.
    pub sent_back: usize,
    /// Invariant violations seen (empty on a good day).
    pub violations: Vec<String>,
}

/// A small deterministic generator (SplitMix64): the simulation needs no crate for it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// An id made from a number, so a day replays identically (random ids would break ties
/// differently on every run).
fn id<T: std::str::FromStr>(kind: u16, n: u64) -> T {
    format!("00000000-{kind:04x}-7000-8000-{n:012x}")
        .parse()
        .unwrap_or_else(|_| unreachable!("a well-formed uuid"))
}

/// Arrivals per hour relative to the busiest ordinary hour, by shop hour.
pub fn demand(hour: i64) -> f64 {
    match hour {
        8 => 0.3,
        9 => 0.6,
        10 => 2.4, // the promotion: three times the usual 0.8
        11..=12 => 0.8,
        13 => 0.5,
        14..=19 => 0.7,
        20..=21 => 1.0,
        22 => 0.6,
        23 => 0.3,
        _ => 0.0,
    }
}

const SKILLS: [&str; 3] = ["售前", "售后", "物流"];

/// How long a held conversation may wait on an agent who stepped away before it goes back to
/// the queue.
pub const SILENCE_LIMIT_MS: i64 = 120_000;

/// A conversation in people's hands.
struct Live {
    need: Need,
    priority: Priority,
    sla: SlaState,
    /// Bursts the shopper will still start after the current one.
    bursts_left: u32,
    /// When the holding agent's reply is due, if a burst waits for it.
    reply_at: Option<i64>,
    /// When the shopper writes next, if they will.
    shopper_at: Option<i64>,
    close_at: Option<i64>,
}

struct Day {
    plan: DayPlan,
    rng: Rng,
    shop: ShopId,
    policy: SlaPolicy,
    router: Router,
    agents: Vec<Seat>,
    live: HashMap<ConversationId, Live>,
    /// SLA timers: when → conversations to check.
    timers: BTreeMap<i64, HashSet<ConversationId>>,
    fired: HashSet<(ConversationId, SlaSignal)>,
    answered: Vec<Answered>,
    report: DayReport,
}

impl Day {
    fn at(&self, ms: i64) -> Timestamp {
        self.plan.midnight.plus_millis(ms)
    }

    fn event(&mut self, c: ConversationId, ms: i64, event: Event) {
        let envelope = Envelope::new(self.shop, self.at(ms), event);
        let policy = self.policy.clone();
        let Some(live) = self.live.get_mut(&c) else {
            return;
        };
        if let Some(a) = live.sla.apply(&envelope, &policy) {
            self.answered.push(a);
        }
        if let Some(due) = live.sla.next_due(&policy) {
            let due = due.as_millis() - self.plan.midnight.as_millis();
            self.timers.entry(due).or_default().insert(c);
        }
    }

    fn post(&mut self, c: ConversationId, ms: i64, sender: Sender) {
        let text = MessageText::parse("亲，在吗").unwrap_or_else(|_| unreachable!("fixed text"));
        if sender == Sender::Shopper {
            self.report.shopper_messages += 1;
        }
        self.event(
            c,
            ms,
            Event::MessagePosted {
                conversation: c,
                message: MessageId::new(),
                sender,
                text,
            },
        );
    }

    fn arrive(&mut self, ms: i64) {
        self.report.conversations += 1;
        if self.rng.unit() < self.plan.bot_share {
            // The bot answers and the shopper leaves: no person involved.
            self.report.shopper_messages += 1;
            return;
        }
        self.report.handed_off += 1;
        let c: ConversationId = id(1, self.report.handed_off as u64);
        let roll = self.rng.unit();
        let (tier, priority) = match roll {
            r if r < 0.02 => (Tier::Crisis, Priority::Crisis),
            r if r < 0.10 => (Tier::Expert, Priority::HumanOnly),
            r if r < 0.20 => (Tier::Standard, Priority::Vip),
            r if r < 0.35 => (Tier::Standard, Priority::Complaint),
            _ => (Tier::Standard, Priority::Normal),
        };
        let skill =
            (self.rng.unit() < 0.7).then(|| SKILLS[self.rng.range(0, 2) as usize].to_owned());
        let need = Need { tier, skill };
        self.live.insert(
            c,
            Live {
                need: need.clone(),
                priority,
                sla: SlaState::default(),
                bursts_left: self.rng.range(0, 3) as u32,
                reply_at: None,
                shopper_at: None,
                close_at: None,
            },
        );
        self.event(
            c,
            ms,
            Event::ConversationOpened {
                conversation: c,
                customer: CustomerId::new(),
                channel: Channel::Widget,
                platform: None,
                state: ConversationState::Bot,
                tier: Tier::Bot,
            },
        );
        self.post(c, ms, Sender::Shopper);
        self.post(c, ms, Sender::Bot);
        self.event(
            c,
            ms,
            Event::Queued {
                conversation: c,
                tier,
                priority,
                skill: need.skill.clone(),
                due: None,
                sent_back: None,
            },
        );
        if self
            .router
            .enqueue(c, &need, priority, self.at(ms))
            .is_err()
        {
            self.report.violations.push(format!("{c} queued twice"));
        }
    }

    fn assign(&mut self, ms: i64) {
        for (c, agent) in self.router.assign_all() {
            self.event(
                c,
                ms,
                Event::Assigned {
                    conversation: c,
                    agent,
                },
            );
            let think = self.rng.range(3_000, 25_000);
            if let Some(l) = self.live.get_mut(&c) {
                l.reply_at = Some(ms + think);
            }
        }
    }

    fn agent_replies(&mut self, ms: i64) {
        let mut due: Vec<ConversationId> = self
            .live
            .iter()
            .filter(|(_, l)| l.reply_at.is_some_and(|t| t <= ms))
            .map(|(c, _)| *c)
            .collect();
        due.sort();
        for c in due {
            let Some(agent) = self.router.holder(c) else {
                continue;
            };
            let present = self
                .agents
                .iter()
                .any(|a| a.agent == agent && a.status == AgentStatus::Online);
            if !present {
                // An away agent does not type. Past the shop's silence limit the conversation
                // goes back to the front of the queue.
                let waited = self
                    .live
                    .get(&c)
                    .and_then(|l| l.sla.open.as_ref())
                    .map(|b| ms - (b.started.as_millis() - self.plan.midnight.as_millis()));
                if waited.is_some_and(|w| w >= SILENCE_LIMIT_MS) {
                    self.send_back(c, ms);
                }
                continue;
            }
            self.post(c, ms, Sender::Agent { agent });
            let next = if self.live.get(&c).is_some_and(|l| l.bursts_left > 0) {
                Some(ms + self.rng.range(15_000, 120_000))
            } else {
                None
            };
            if let Some(l) = self.live.get_mut(&c) {
                l.reply_at = None;
                match next {
                    Some(t) => {
                        l.shopper_at = Some(t);
                        l.bursts_left -= 1;
                    }
                    None => l.close_at = Some(ms + 60_000),
                }
            }
        }
    }

    fn shoppers_write(&mut self, ms: i64) {
        let mut due: Vec<ConversationId> = self
            .live
            .iter()
            .filter(|(_, l)| l.shopper_at.is_some_and(|t| t <= ms))
            .map(|(c, _)| *c)
            .collect();
        due.sort();
        for c in due {
            self.post(c, ms, Sender::Shopper);
            let think = self.rng.range(3_000, 35_000);
            let held = self.router.holder(c).is_some();
            if let Some(l) = self.live.get_mut(&c) {
                l.shopper_at = None;
                // Waiting in the queue again (its agent went away): the reply comes on assignment.
                l.reply_at = held.then_some(ms + think);
            }
        }
    }

    fn close(&mut self, ms: i64) {
        let mut due: Vec<ConversationId> = self
            .live
            .iter()
            .filter(|(_, l)| l.close_at.is_some_and(|t| t <= ms))
            .map(|(c, _)| *c)
            .collect();
        due.sort();
        for c in due {
            self.event(
                c,
                ms,
                Event::Closed {
                    conversation: c,
                    by: Sender::System,
                },
            );
            self.router.release(c);
            self.router.withdraw(c);
            self.live.remove(&c);
        }
    }

    /// Agents step away and come back; at lunch a third of them are away; an agent away
    /// longer than five minutes counts as gone and their conversations go back to the queue.
    fn staffing(&mut self, ms: i64) {
        let hour = ms / 3_600_000;
        let lunch = (12 * 60..13 * 60 + 30).contains(&(ms / 60_000));
        for i in 0..self.agents.len() {
            let wanted = if lunch && i % 3 == 0 {
                AgentStatus::Offline
            } else if self.rng.unit() < 1.0 / 3_600.0 {
                AgentStatus::Away
            } else {
                self.agents[i].status
            };
            let back = self.agents[i].status != AgentStatus::Online
                && !(lunch && i % 3 == 0)
                && self.rng.unit() < 1.0 / 240.0;
            let status = if back && (8..24).contains(&hour) {
                AgentStatus::Online
            } else {
                wanted
            };
            if status == self.agents[i].status {
                continue;
            }
            self.agents[i].status = status;
            let agent = self.agents[i].agent;
            if status == AgentStatus::Offline {
                self.give_back(agent, ms);
            } else if self.router.set_status(agent, status).is_err() {
                self.report
                    .violations
                    .push(format!("agent {agent} unknown"));
            }
        }
    }

    fn give_back(&mut self, agent: AgentId, ms: i64) {
        let held = match self.router.go_offline(agent) {
            Ok(h) => h,
            Err(e) => {
                self.report.violations.push(e.to_string());
                return;
            }
        };
        for c in held {
            self.send_back(c, ms);
        }
    }

    /// Takes a conversation from its agent and puts it at the front of its priority.
    fn send_back(&mut self, c: ConversationId, ms: i64) {
        let Some((need, priority)) = self.live.get(&c).map(|l| (l.need.clone(), l.priority)) else {
            return;
        };
        if let Err(e) = self.router.send_back(c, &need, priority, self.at(ms)) {
            self.report.violations.push(e.to_string());
        }
        self.report.sent_back += 1;
        self.event(
            c,
            ms,
            Event::Queued {
                conversation: c,
                tier: need.tier,
                priority,
                skill: need.skill.clone(),
                due: None,
                sent_back: None,
            },
        );
        if let Some(l) = self.live.get_mut(&c) {
            l.reply_at = None;
        }
    }

    fn timers(&mut self, ms: i64) {
        let due: Vec<i64> = self.timers.range(..=ms).map(|(t, _)| *t).collect();
        let policy = self.policy.clone();
        for t in due {
            let Some(convs) = self.timers.remove(&t) else {
                continue;
            };
            for c in convs {
                let now = self.at(ms);
                let Some(l) = self.live.get_mut(&c) else {
                    continue;
                };
                for signal in l.sla.fire(now, &policy) {
                    match signal.level {
                        SlaLevel::Warning => self.report.warnings += 1,
                        SlaLevel::Breach => self.report.breaches += 1,
                    }
                    if !self.fired.insert((c, signal)) {
                        self.report
                            .violations
                            .push(format!("{c}: {signal:?} fired twice"));
                    }
                }
                if let Some(next) = l.sla.next_due(&policy) {
                    let next = next.as_millis() - self.plan.midnight.as_millis();
                    self.timers.entry(next).or_default().insert(c);
                }
            }
        }
    }

    fn check(&mut self, ms: i64) {
        self.report.max_queue = self.report.max_queue.max(self.router.waiting());
        if ms % 60_000 == 0 {
            for v in self.router.violations() {
                self.report.violations.push(format!("{}: {v}", ms / 1_000));
            }
            for a in &self.agents {
                let load = self.router.load(a.agent).unwrap_or(0);
                if load > a.max_concurrent {
                    self.report.violations.push(format!(
                        "agent {} holds {load} > {}",
                        a.agent, a.max_concurrent
                    ));
                }
            }
            // Every conversation with people is either held or waiting.
            for c in self.live.keys() {
                if self.router.holder(*c).is_none() && self.router.position(*c).is_none() {
                    self.report
                        .violations
                        .push(format!("{c} is neither held nor waiting"));
                }
            }
        }
    }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs the day from 08:00 until the last conversation closes (or 02:00 the next day).
pub fn simulate(plan: &DayPlan) -> DayReport {
    let mut day = Day {
        rng: Rng(plan.seed),
        shop: ShopId::new(),
        // The simulated shop is staffed until midnight, so the day's last shoppers are served
        // live rather than left as offline messages.
        policy: SlaPolicy {
            hours: Schedule {
                shifts: vec![Shift {
                    days: (1..=7).collect(),
                    from: "08:00".into(),
                    to: "24:00".into(),
                }],
                ..Schedule::default()
            },
            ..SlaPolicy::default()
        },
        router: Router::new(),
        agents: Vec::new(),
        live: HashMap::new(),
        timers: BTreeMap::new(),
        fired: HashSet::new(),
        answered: Vec::new(),
        report: DayReport::default(),
        plan: plan.clone(),
    };
    for i in 0..plan.agents {
        let tier = match i % 8 {
            0 => Tier::Expert,
            _ if i == plan.agents - 1 => Tier::Crisis,
            _ => Tier::Standard,
        };
        let seat = Seat {
            agent: id(2, i as u64),
            tier,
            skills: vec![SKILLS[i % 3].to_owned()],
            max_concurrent: 5,
            status: AgentStatus::Online,
        };
        day.router.upsert_agent(seat.clone());
        day.agents.push(seat);
    }
    let start = 8 * 3_600_000;
    let end = 26 * 3_600_000;
    let mut ms = start;
    while ms < end {
        let hour = ms / 3_600_000;
        let rate = plan.peak_per_hour * demand(hour) / 3_600.0;
        if day.rng.unit() < rate {
            day.arrive(ms);
        }
        day.staffing(ms);
        day.shoppers_write(ms);
        day.agent_replies(ms);
        day.close(ms);
        day.assign(ms);
        day.timers(ms);
        day.check(ms);
        if hour >= 24 && day.live.is_empty() {
            break;
        }
        ms += 1_000;
    }
    let mut frt: Vec<f64> = day
        .answered
        .iter()
        .filter(|a| a.first)
        .map(|a| a.wait_ms() as f64 / 1_000.0)
        .collect();
    let counted: Vec<&Answered> = day.answered.iter().filter(|a| a.counted).collect();
    let in_time = counted
        .iter()
        .filter(|a| a.wait_ms() <= day.policy.three_minute_ms)
        .count();
    let mut report = day.report;
    report.frt_p50_s = percentile(&mut frt, 0.5);
    report.frt_p90_s = percentile(&mut frt, 0.9);
    report.three_minute_rate = in_time as f64 / counted.len().max(1) as f64;
    if !day.live.is_empty() {
        report
            .violations
            .push(format!("{} conversations never finished", day.live.len()));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shop_day_keeps_every_invariant() {
        let report = simulate(&DayPlan::default());
        assert!(report.violations.is_empty(), "{:#?}", report.violations);
        assert!(report.conversations > 1_000, "{report:?}");
        assert!(report.handed_off > 400, "{report:?}");
        assert!(
            report.max_queue > 0,
            "the promotion makes people wait: {report:?}"
        );
        assert!(report.frt_p50_s > 0.0 && report.frt_p90_s >= report.frt_p50_s);
        assert!((0.0..=1.0).contains(&report.three_minute_rate));
    }

    #[test]
    fn the_same_seed_gives_the_same_day() {
        let plan = DayPlan {
            peak_per_hour: 60.0,
            agents: 8,
            ..DayPlan::default()
        };
        let a = simulate(&plan);
        let b = simulate(&plan);
        assert_eq!(
            (a.conversations, a.shopper_messages, a.max_queue, a.breaches),
            (b.conversations, b.shopper_messages, b.max_queue, b.breaches)
        );
    }
}
