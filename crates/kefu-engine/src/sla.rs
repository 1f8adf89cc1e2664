//! SLA clocks of one conversation, decided from its events and the time passed in — never a
//! clock read — so they replay from the log and survive a restart.
//!
//! The platforms' rules (the seeds' numbers): the first human reply within 15 s of the
//! shopper's first message to people; every later burst of shopper messages answered within
//! 40 s; and the 3-minute reply rate — bursts answered by a person within 180 s, counted only
//! in the platform's hours (08:00–23:00 shop time). A burst starts with a shopper message that
//! nobody has answered yet and ends with the next human reply; more shopper messages in between
//! join the burst. Bot replies do not stop the clocks: while the bot serves, no clock runs, and
//! a hand-off starts one for the messages the bot could not answer.
//!
//! Outside staffed hours no live clock runs: a burst started then is an offline message (留言),
//! due at the shop's set time of the next staffed day, warned an hour before (or at 80 % of a
//! shorter span) and escalated as a breach when it passes.
//!
//! Each clock warns the agent at 80 % of its target and records a breach at 100 %. Both are
//! signals the caller appends to the log; once a signal is in the state (from the log, after a
//! restart too) it is never produced again, so a timer fires once.

use crate::hours::Schedule;
use kefu_domain::{AgentId, ConversationState, Envelope, Event, Sender, Timestamp};
pub use kefu_domain::{SlaClock, SlaLevel, SlaSignal};
use serde::{Deserialize, Serialize};

/// How long before an offline message is due its agent is warned, at most.
const OFFLINE_WARNING_MS: i64 = 3_600_000;

/// A shop's targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaPolicy {
    pub first_response_ms: i64,
    pub reply_interval_ms: i64,
    pub three_minute_ms: i64,
    /// The share of a target at which the agent is warned.
    pub warn_share: f64,
    /// Shop-time hours [from, to) in which bursts count toward the 3-minute reply rate.
    pub counted_from_hour: u8,
    pub counted_to_hour: u8,
    /// When people serve; outside it bursts become offline messages.
    pub hours: Schedule,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            first_response_ms: 15_000,
            reply_interval_ms: 40_000,
            three_minute_ms: 180_000,
            warn_share: 0.8,
            counted_from_hour: 8,
            counted_to_hour: 23,
            hours: Schedule::default(),
        }
    }
}

impl SlaPolicy {
    /// Whether a burst starting at `at` counts toward the 3-minute reply rate.
    pub fn counted(&self, at: Timestamp) -> bool {
        (self.counted_from_hour..self.counted_to_hour).contains(&at.shop_hour())
    }
}

/// A burst waiting for a human reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burst {
    pub started: Timestamp,
    /// Whether no person has replied in the conversation yet (the first-response clock).
    pub first: bool,
    /// Whether it counts toward the 3-minute reply rate.
    pub counted: bool,
    /// An offline message: due then instead of the live clocks.
    #[serde(default)]
    pub due: Option<Timestamp>,
    /// Signals already produced for this burst.
    pub fired: Vec<(SlaClock, SlaLevel)>,
}

/// A finished burst, for the KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answered {
    pub started: Timestamp,
    pub replied: Timestamp,
    pub first: bool,
    pub counted: bool,
    pub agent: Option<AgentId>,
}

impl Answered {
    pub fn wait_ms(&self) -> i64 {
        self.replied.as_millis() - self.started.as_millis()
    }
}

/// One conversation's clocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaState {
    /// Whether a person has replied yet.
    pub human_replied: bool,
    /// Whether people serve it (it left the bot).
    pub with_people: bool,
    pub agent: Option<AgentId>,
    pub open: Option<Burst>,
    pub closed: bool,
}

impl SlaState {
    /// Folds one conversation event in; returns the burst a human reply just answered.
    pub fn apply(&mut self, envelope: &Envelope, policy: &SlaPolicy) -> Option<Answered> {
        let at = envelope.at;
        match &envelope.event {
            Event::ConversationOpened { state, .. } => {
                self.with_people = *state != ConversationState::Bot;
                None
            }
            Event::Queued { due, .. } => {
                // A hand-off: whatever the shopper asked the bot and is still unanswered now
                // waits for people, from now. A conversation sent back keeps its burst.
                self.with_people = true;
                self.agent = None;
                if self.open.is_none() {
                    self.start(at, policy, *due);
                }
                None
            }
            Event::Assigned { agent, .. } => {
                self.with_people = true;
                self.agent = Some(*agent);
                None
            }
            Event::MessagePosted { sender, .. } => match sender {
                Sender::Shopper => {
                    if self.with_people && self.open.is_none() {
                        self.start(at, policy, None);
                    }
                    None
                }
                Sender::Agent { agent } => {
                    self.human_replied = true;
                    self.agent = Some(*agent);
                    self.open.take().map(|b| Answered {
                        started: b.started,
                        replied: at,
                        first: b.first,
                        counted: b.counted,
                        agent: Some(*agent),
                    })
                }
                Sender::Bot | Sender::System => None,
            },
            Event::Closed { .. } => {
                self.closed = true;
                self.open = None;
                None
            }
            Event::SlaSignaled { signal, .. } => {
                self.record(signal);
                None
            }
            Event::BotDecided { .. }
            | Event::BotRated { .. }
            | Event::Transferred { .. }
            | Event::PriorityRaised { .. } => None,
        }
    }

    /// Opens a burst; `due` is the offline due time the queue decided, if it did. Otherwise a
    /// burst outside staffed hours gets its due time from the schedule.
    fn start(&mut self, at: Timestamp, policy: &SlaPolicy, due: Option<Timestamp>) {
        let due =
            due.or_else(|| (!policy.hours.is_staffed(at)).then(|| policy.hours.offline_due(at)));
        self.open = Some(Burst {
            started: at,
            first: !self.human_replied,
            counted: policy.counted(at),
            due,
            fired: Vec::new(),
        });
    }

    /// Records a signal already in the log (after a restart, replaying the log).
    pub fn record(&mut self, signal: &SlaSignal) {
        if let Some(b) = self.open.as_mut()
            && b.started == signal.burst
            && !b.fired.contains(&(signal.clock, signal.level))
        {
            b.fired.push((signal.clock, signal.level));
        }
    }

    /// The clocks running on the open burst, each with its warning and breach times.
    fn deadlines(&self, policy: &SlaPolicy) -> Vec<(SlaClock, SlaLevel, Timestamp)> {
        let Some(b) = &self.open else {
            return Vec::new();
        };
        let warn_after = |target: i64| (target as f64 * policy.warn_share).round() as i64;
        let mut clocks = Vec::with_capacity(2);
        match b.due {
            Some(due) => {
                let target = (due.as_millis() - b.started.as_millis()).max(0);
                let warn = warn_after(target).max(target - OFFLINE_WARNING_MS);
                clocks.push((SlaClock::OfflineReply, warn, target));
            }
            None if b.first => {
                let target = policy.first_response_ms;
                clocks.push((SlaClock::FirstResponse, warn_after(target), target));
            }
            None => {
                let target = policy.reply_interval_ms;
                clocks.push((SlaClock::ReplyInterval, warn_after(target), target));
            }
        }
        if b.counted {
            let target = policy.three_minute_ms;
            clocks.push((SlaClock::ThreeMinute, warn_after(target), target));
        }
        let mut out = Vec::new();
        for (clock, warn, target) in clocks {
            for (level, after) in [(SlaLevel::Warning, warn), (SlaLevel::Breach, target)] {
                if !b.fired.contains(&(clock, level)) {
                    out.push((clock, level, b.started.plus_millis(after)));
                }
            }
        }
        out
    }

    /// When the next signal is due, for the timer to wake up then; `None` when nothing runs.
    pub fn next_due(&self, policy: &SlaPolicy) -> Option<Timestamp> {
        self.deadlines(policy).into_iter().map(|(_, _, t)| t).min()
    }

    /// The signals due at `now` that were not produced before, in time order; they are
    /// recorded as produced.
    pub fn fire(&mut self, now: Timestamp, policy: &SlaPolicy) -> Vec<SlaSignal> {
        let mut due: Vec<(SlaClock, SlaLevel, Timestamp)> = self
            .deadlines(policy)
            .into_iter()
            .filter(|(_, _, t)| *t <= now)
            .collect();
        due.sort_by_key(|(c, l, t)| (*t, *c, *l));
        let Some(b) = self.open.as_mut() else {
            return Vec::new();
        };
        let burst = b.started;
        due.into_iter()
            .map(|(clock, level, at)| {
                b.fired.push((clock, level));
                SlaSignal {
                    clock,
                    level,
                    burst,
                    at,
                    agent: self.agent,
                }
            })
            .collect()
    }

    /// Milliseconds left on the open burst's tightest clock at `now` (negative once breached),
    /// for the agent's countdown.
    pub fn remaining_ms(&self, now: Timestamp, policy: &SlaPolicy) -> Option<i64> {
        self.due(policy)
            .map(|due| due.as_millis() - now.as_millis())
    }

    /// When the open burst's own clock (first response, reply interval or offline reply)
    /// breaches, for the agent's countdown.
    pub fn due(&self, policy: &SlaPolicy) -> Option<Timestamp> {
        let b = self.open.as_ref()?;
        Some(match b.due {
            Some(due) => due,
            None if b.first => b.started.plus_millis(policy.first_response_ms),
            None => b.started.plus_millis(policy.reply_interval_ms),
        })
    }
}

/// A discipline line: this many breaches by one agent in one shop day flags them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedLine {
    pub breaches_per_day: usize,
}

impl Default for RedLine {
    fn default() -> Self {
        RedLine {
            breaches_per_day: 3,
        }
    }
}

/// Agents over the line: each `(agent, shop day as days since 1970 in UTC+8, breaches)` with
/// at least `line.breaches_per_day` breaches that day.
pub fn over_the_line(breaches: &[SlaSignal], line: RedLine) -> Vec<(AgentId, i64, usize)> {
    let mut counts: std::collections::BTreeMap<(AgentId, i64), usize> = Default::default();
    for s in breaches.iter().filter(|s| s.level == SlaLevel::Breach) {
        if let Some(agent) = s.agent {
            *counts.entry((agent, s.at.shop_day())).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= line.breaches_per_day)
        .map(|((agent, day), n)| (agent, day, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_domain::{Channel, ConversationId, CustomerId, MessageId, MessageText, ShopId, Tier};

    struct Conv {
        shop: ShopId,
        id: ConversationId,
    }

    impl Conv {
        fn new() -> Conv {
            Conv {
                shop: ShopId::new(),
                id: ConversationId::new(),
            }
        }
        fn at(&self, ms: i64, event: Event) -> Envelope {
            Envelope::new(self.shop, Timestamp::from_millis(ms), event)
        }
        fn opened(&self, ms: i64, bot: bool) -> Envelope {
            self.at(
                ms,
                Event::ConversationOpened {
                    conversation: self.id,
                    customer: CustomerId::new(),
                    channel: Channel::Widget,
                    platform: None,
                    state: if bot {
                        ConversationState::Bot
                    } else {
                        ConversationState::Queued
                    },
                    tier: if bot { Tier::Bot } else { Tier::Standard },
                },
            )
        }
        fn says(&self, ms: i64, sender: Sender) -> Envelope {
            self.at(
                ms,
                Event::MessagePosted {
                    conversation: self.id,
                    message: MessageId::new(),
                    sender,
                    text: MessageText::parse("在吗").expect("text"),
                },
            )
        }
    }

    /// 10:00 shop time on some day, in ms.
    const TEN_AM: i64 = 1_764_554_400_000;

    #[test]
    fn the_first_response_warns_at_80_percent_breaches_at_100_and_fires_once() {
        let policy = SlaPolicy::default();
        let c = Conv::new();
        let agent = AgentId::new();
        let mut s = SlaState::default();
        s.apply(&c.opened(TEN_AM, false), &policy);
        s.apply(&c.says(TEN_AM, Sender::Shopper), &policy);
        assert_eq!(
            s.next_due(&policy),
            Some(Timestamp::from_millis(TEN_AM + 12_000))
        );
        assert_eq!(
            s.remaining_ms(Timestamp::from_millis(TEN_AM + 5_000), &policy),
            Some(10_000)
        );
        assert!(
            s.fire(Timestamp::from_millis(TEN_AM + 11_999), &policy)
                .is_empty()
        );
        let warned = s.fire(Timestamp::from_millis(TEN_AM + 12_000), &policy);
        assert_eq!(
            warned
                .iter()
                .map(|x| (x.clock, x.level))
                .collect::<Vec<_>>(),
            [(SlaClock::FirstResponse, SlaLevel::Warning)]
        );
        assert!(
            s.fire(Timestamp::from_millis(TEN_AM + 12_500), &policy)
                .is_empty(),
            "once"
        );
        // Waking late (a restart) produces everything due, in order, once.
        let late = s.fire(Timestamp::from_millis(TEN_AM + 200_000), &policy);
        assert_eq!(
            late.iter().map(|x| (x.clock, x.level)).collect::<Vec<_>>(),
            [
                (SlaClock::FirstResponse, SlaLevel::Breach),
                (SlaClock::ThreeMinute, SlaLevel::Warning),
                (SlaClock::ThreeMinute, SlaLevel::Breach),
            ]
        );
        assert_eq!(s.next_due(&policy), None);
        let answered = s
            .apply(&c.says(TEN_AM + 201_000, Sender::Agent { agent }), &policy)
            .expect("answers the burst");
        assert!(answered.first && answered.counted);
        assert_eq!(answered.wait_ms(), 201_000);
    }

    #[test]
    fn later_bursts_use_the_reply_interval_and_join_messages_until_a_person_replies() {
        let policy = SlaPolicy::default();
        let c = Conv::new();
        let agent = AgentId::new();
        let mut s = SlaState::default();
        s.apply(&c.opened(TEN_AM, false), &policy);
        s.apply(&c.says(TEN_AM, Sender::Shopper), &policy);
        s.apply(&c.says(TEN_AM + 3_000, Sender::Agent { agent }), &policy);
        s.apply(&c.says(TEN_AM + 60_000, Sender::Shopper), &policy);
        s.apply(&c.says(TEN_AM + 70_000, Sender::Shopper), &policy);
        assert_eq!(
            s.next_due(&policy),
            Some(Timestamp::from_millis(TEN_AM + 60_000 + 32_000)),
            "the burst started with the first unanswered message"
        );
        let answered = s
            .apply(&c.says(TEN_AM + 80_000, Sender::Agent { agent }), &policy)
            .expect("answered");
        assert!(!answered.first);
        assert_eq!(answered.wait_ms(), 20_000);
        assert_eq!(s.next_due(&policy), None);
    }

    #[test]
    fn no_clock_runs_while_the_bot_serves_and_a_hand_off_starts_one() {
        let policy = SlaPolicy::default();
        let c = Conv::new();
        let mut s = SlaState::default();
        s.apply(&c.opened(TEN_AM, true), &policy);
        s.apply(&c.says(TEN_AM, Sender::Shopper), &policy);
        s.apply(&c.says(TEN_AM + 500, Sender::Bot), &policy);
        assert_eq!(s.next_due(&policy), None);
        s.apply(
            &c.at(
                TEN_AM + 1_000,
                Event::Queued {
                    conversation: c.id,
                    tier: Tier::Standard,
                    priority: Default::default(),
                    skill: None,
                    due: None,
                    sent_back: None,
                },
            ),
            &policy,
        );
        assert_eq!(
            s.next_due(&policy),
            Some(Timestamp::from_millis(TEN_AM + 13_000))
        );
        s.apply(
            &c.at(
                TEN_AM + 2_000,
                Event::Closed {
                    conversation: c.id,
                    by: Sender::System,
                },
            ),
            &policy,
        );
        assert_eq!(
            s.next_due(&policy),
            None,
            "a closed conversation owes nothing"
        );
    }

    #[test]
    fn a_replayed_state_with_its_logged_signals_fires_nothing_twice() {
        let policy = SlaPolicy::default();
        let c = Conv::new();
        let log = [c.opened(TEN_AM, false), c.says(TEN_AM, Sender::Shopper)];
        let mut live = SlaState::default();
        for e in &log {
            live.apply(e, &policy);
        }
        let signals = live.fire(Timestamp::from_millis(TEN_AM + 16_000), &policy);
        assert_eq!(signals.len(), 2);
        // Restart: the state is rebuilt from the log, signals included.
        let mut rebuilt = SlaState::default();
        for e in &log {
            rebuilt.apply(e, &policy);
        }
        for x in &signals {
            rebuilt.record(x);
        }
        assert_eq!(rebuilt, live);
        assert!(
            rebuilt
                .fire(Timestamp::from_millis(TEN_AM + 16_000), &policy)
                .is_empty()
        );
    }

    #[test]
    fn night_bursts_do_not_count_toward_the_three_minute_rate() {
        let policy = SlaPolicy::default();
        let night = TEN_AM + 14 * 3_600_000; // 00:00 shop time
        assert!(policy.counted(Timestamp::from_millis(TEN_AM)));
        assert!(!policy.counted(Timestamp::from_millis(night)));
        assert!(policy.counted(Timestamp::from_millis(
            TEN_AM + 12 * 3_600_000 + 59 * 60_000
        )));
        assert!(!policy.counted(Timestamp::from_millis(TEN_AM + 13 * 3_600_000)));
        let c = Conv::new();
        let mut s = SlaState::default();
        s.apply(&c.opened(night, false), &policy);
        s.apply(&c.says(night, Sender::Shopper), &policy);
        let all = s.fire(Timestamp::from_millis(night + 600_000), &policy);
        assert!(all.iter().all(|x| x.clock == SlaClock::FirstResponse));
    }

    #[test]
    fn outside_staffed_hours_a_burst_is_an_offline_message_due_next_morning() {
        let policy = SlaPolicy::default();
        let night = TEN_AM + 13 * 3_600_000 + 30 * 60_000; // 23:30 shop time
        let due = TEN_AM + 24 * 3_600_000; // 10:00 the next day
        let c = Conv::new();
        let mut s = SlaState::default();
        s.apply(&c.opened(night, false), &policy);
        s.apply(&c.says(night, Sender::Shopper), &policy);
        assert_eq!(s.due(&policy), Some(Timestamp::from_millis(due)));
        assert_eq!(
            s.next_due(&policy),
            Some(Timestamp::from_millis(due - 3_600_000)),
            "warned an hour before"
        );
        let all = s.fire(Timestamp::from_millis(due), &policy);
        assert_eq!(
            all.iter().map(|x| (x.clock, x.level)).collect::<Vec<_>>(),
            [
                (SlaClock::OfflineReply, SlaLevel::Warning),
                (SlaClock::OfflineReply, SlaLevel::Breach)
            ]
        );
        // Signals read back from the log are not fired again.
        let mut replayed = SlaState::default();
        replayed.apply(&c.opened(night, false), &policy);
        replayed.apply(&c.says(night, Sender::Shopper), &policy);
        for x in &all {
            replayed.apply(
                &c.at(
                    x.at.as_millis(),
                    Event::SlaSignaled {
                        conversation: c.id,
                        signal: *x,
                    },
                ),
                &policy,
            );
        }
        assert!(
            replayed
                .fire(Timestamp::from_millis(due + 1), &policy)
                .is_empty()
        );
    }

    #[test]
    fn three_breaches_in_a_shop_day_cross_the_red_line() {
        let a = AgentId::new();
        let b = AgentId::new();
        let breach = |agent, ms| SlaSignal {
            clock: SlaClock::ReplyInterval,
            level: SlaLevel::Breach,
            burst: Timestamp::from_millis(ms),
            at: Timestamp::from_millis(ms),
            agent: Some(agent),
        };
        let warn = SlaSignal {
            level: SlaLevel::Warning,
            ..breach(b, TEN_AM)
        };
        let day = 86_400_000;
        let signals = [
            breach(a, TEN_AM),
            breach(a, TEN_AM + 3_600_000),
            breach(a, TEN_AM + 13 * 3_600_000 + 59 * 60_000), // 23:59 the same shop day
            breach(b, TEN_AM),
            breach(b, TEN_AM + day),
            breach(b, TEN_AM + 2 * day),
            warn,
            warn,
        ];
        let flagged = over_the_line(&signals, RedLine::default());
        assert_eq!(flagged.len(), 1);
        assert_eq!((flagged[0].0, flagged[0].2), (a, 3));
    }
}
