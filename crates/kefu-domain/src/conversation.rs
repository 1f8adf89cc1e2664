//! The conversation state machine.
//!
//! ```text
//!            shopper writes                 agent replies
//!  (none) ──────────────► queued ──assign──► assigned ◄──────► waiting
//!                           ▲  ▲                │  shopper writes  │
//!                 bot hands │  └──── requeue ───┘                  │
//!                   off     │                                      │
//!                          bot                 any ──close──► closed
//! ```
//! `decide_*` functions turn an intent into events; [`Conversation::apply`] folds one event into
//! state and rejects transitions the machine does not allow. Both are pure.

use crate::bot::{BotDecision, BotMemory};
use crate::event::{Envelope, Event};
use crate::ids::*;
use crate::model::{Channel, Priority, Sender, Tier, named_enum};
use crate::routing::{
    Escalation, QueueRequest, RaiseReason, SendBack, SendBackReason, SlaSignal, Waiting,
};
use crate::text::MessageText;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

named_enum!(
    /// Where a conversation stands.
    ConversationState {
        /// The bot is serving it.
        Bot = "bot",
        /// Waiting in a queue for a person.
        Queued = "queued",
        /// A person serves it and owes the shopper a reply.
        Assigned = "assigned",
        /// A person replied; waiting for the shopper.
        Waiting = "waiting",
        /// Ended.
        Closed = "closed",
    }
);

impl ConversationState {
    pub fn is_open(self) -> bool {
        self != ConversationState::Closed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the conversation is closed")]
    Closed,
    #[error("the conversation is already open")]
    AlreadyOpen,
    #[error("the conversation has not been opened")]
    NotOpened,
    #[error("only the bot may write while the bot serves, and only while it does")]
    BotNotServing,
    #[error("an agent must be assigned before replying")]
    NotAssigned,
    #[error("the conversation is not waiting in a queue")]
    NotQueued,
    #[error("no agent holds the conversation")]
    NotHeld,
    #[error("the conversation is already there")]
    NoChange,
}

/// The last message, kept on the conversation for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastMessage {
    pub text: String,
    pub sender: Sender,
    pub at: Timestamp,
}

/// Conversation state: a pure fold over its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub shop: ShopId,
    pub customer: CustomerId,
    pub channel: Channel,
    pub platform: Option<String>,
    pub state: ConversationState,
    pub tier: Tier,
    pub assigned_agent: Option<AgentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_message: Option<LastMessage>,
    pub message_count: u32,
    /// The bot's turns so far: misses in a row, its latest answer, its hand-off.
    #[serde(default, skip_serializing_if = "BotMemory::is_empty")]
    pub bot: BotMemory,
    /// While it waits for a person: in which queue, how urgently, since when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
    /// Made more urgent while it runs (情绪升级): the highest priority it was raised to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    /// How many events have been folded in; the store uses it for optimistic concurrency.
    pub version: u32,
}

/// How long a list preview of the last message may be.
pub const PREVIEW_CHARS: usize = 80;

impl Conversation {
    /// Builds the state from the opening event.
    pub fn opened(envelope: &Envelope) -> Result<Self, TransitionError> {
        let Event::ConversationOpened {
            conversation,
            customer,
            channel,
            platform,
            state,
            tier,
        } = &envelope.event
        else {
            return Err(TransitionError::NotOpened);
        };
        Ok(Self {
            id: *conversation,
            shop: envelope.shop,
            customer: *customer,
            channel: *channel,
            platform: platform.clone(),
            state: *state,
            tier: *tier,
            assigned_agent: None,
            created_at: envelope.at,
            updated_at: envelope.at,
            last_message: None,
            message_count: 0,
            bot: BotMemory::default(),
            // A log written before queues carried a priority opens straight into the queue.
            waiting: (*state == ConversationState::Queued).then(|| Waiting {
                tier: *tier,
                priority: Default::default(),
                skill: None,
                due: None,
                sent_back: None,
                since: envelope.at,
            }),
            escalation: None,
            version: 1,
        })
    }

    /// Folds one later event into the state.
    pub fn apply(&mut self, envelope: &Envelope) -> Result<(), TransitionError> {
        use ConversationState as S;
        if self.state == S::Closed {
            return Err(TransitionError::Closed);
        }
        match &envelope.event {
            Event::ConversationOpened { .. } => return Err(TransitionError::AlreadyOpen),
            Event::MessagePosted { sender, text, .. } => {
                self.state = match (sender, self.state) {
                    (Sender::Shopper, S::Waiting) => S::Assigned,
                    (Sender::Shopper | Sender::System, s) => s,
                    (Sender::Bot, S::Bot) => S::Bot,
                    (Sender::Bot, _) => return Err(TransitionError::BotNotServing),
                    (Sender::Agent { .. }, S::Assigned | S::Waiting) => S::Waiting,
                    (Sender::Agent { .. }, _) => return Err(TransitionError::NotAssigned),
                };
                self.last_message = Some(LastMessage {
                    text: text.preview(PREVIEW_CHARS),
                    sender: *sender,
                    at: envelope.at,
                });
                self.message_count = self.message_count.saturating_add(1);
            }
            Event::Queued {
                tier,
                priority,
                skill,
                due,
                sent_back,
                ..
            } => {
                self.state = S::Queued;
                self.tier = *tier;
                self.assigned_agent = None;
                self.waiting = Some(Waiting {
                    tier: *tier,
                    // An escalated conversation never waits below its escalation.
                    priority: self.raised(*priority),
                    skill: skill.clone(),
                    due: *due,
                    sent_back: *sent_back,
                    since: envelope.at,
                });
            }
            Event::Assigned { agent, .. } => {
                self.state = S::Assigned;
                self.assigned_agent = Some(*agent);
                self.waiting = None;
                if self.tier == Tier::Bot {
                    self.tier = Tier::Standard;
                }
            }
            Event::Closed { .. } => {
                self.state = S::Closed;
                self.waiting = None;
            }
            Event::Transferred { .. } => {}
            Event::SlaSignaled { .. } => {
                // A clock's signal is bookkeeping, not activity: it does not move the
                // conversation up the lists.
                self.version = self.version.saturating_add(1);
                return Ok(());
            }
            Event::PriorityRaised {
                priority, reason, ..
            } => {
                if self.escalation.is_some_and(|e| e.priority >= *priority) {
                    return Err(TransitionError::NoChange);
                }
                self.escalation = Some(Escalation {
                    priority: *priority,
                    reason: *reason,
                    at: envelope.at,
                });
                if let Some(w) = &mut self.waiting {
                    w.priority = w.priority.max(*priority);
                }
                // Like a clock's signal, it is bookkeeping: the lists keep their order.
                self.version = self.version.saturating_add(1);
                return Ok(());
            }
            Event::BotDecided { decision, .. } => {
                if self.state != S::Bot {
                    return Err(TransitionError::BotNotServing);
                }
                self.bot.decided(decision);
            }
            Event::BotRated { helpful, .. } => {
                // An unhelpful answer is a miss while the bot still serves.
                if !helpful && self.state == S::Bot {
                    self.bot.misses = self.bot.misses.saturating_add(1);
                }
            }
        }
        self.updated_at = envelope.at;
        self.version = self.version.saturating_add(1);
        Ok(())
    }
}

impl Conversation {
    /// `priority`, or the conversation's escalation when that is higher.
    pub fn raised(&self, priority: Priority) -> Priority {
        self.escalation
            .map_or(priority, |e| e.priority.max(priority))
    }
}

/// How a new conversation opens: where the shopper wrote from, and who serves first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub channel: Channel,
    /// The platform for webhook conversations.
    pub platform: Option<String>,
    /// The bot serves first (the shop has a knowledge base to answer from); otherwise the
    /// conversation goes straight to `queue`.
    pub bot: bool,
    /// Where it waits when the bot does not serve.
    pub queue: QueueRequest,
}

/// A shopper wrote `text`. `current` is the customer's open conversation, if any.
/// Returns the events to append; the first element is the opening when a new conversation starts.
pub fn decide_shopper_message(
    shop: ShopId,
    customer: CustomerId,
    current: Option<&Conversation>,
    opening: Opening,
    text: MessageText,
    at: Timestamp,
) -> Vec<Envelope> {
    let mut out = Vec::with_capacity(2);
    let conversation = match current.filter(|c| c.state.is_open()) {
        Some(c) => c.id,
        None => {
            let id = ConversationId::new();
            out.push(Envelope::new(
                shop,
                at,
                Event::ConversationOpened {
                    conversation: id,
                    customer,
                    channel: opening.channel,
                    platform: opening.platform,
                    state: if opening.bot {
                        ConversationState::Bot
                    } else {
                        ConversationState::Queued
                    },
                    tier: if opening.bot {
                        Tier::Bot
                    } else {
                        opening.queue.tier
                    },
                },
            ));
            id
        }
    };
    let opened = !out.is_empty();
    out.push(Envelope::new(
        shop,
        at,
        Event::MessagePosted {
            conversation,
            message: MessageId::new(),
            sender: Sender::Shopper,
            text,
        },
    ));
    if opened && !opening.bot {
        out.push(queued(shop, conversation, opening.queue, None, at));
    }
    out
}

fn queued(
    shop: ShopId,
    conversation: ConversationId,
    queue: QueueRequest,
    sent_back: Option<SendBack>,
    at: Timestamp,
) -> Envelope {
    Envelope::new(
        shop,
        at,
        Event::Queued {
            conversation,
            tier: queue.tier,
            priority: queue.priority,
            skill: queue.skill,
            due: queue.due,
            sent_back,
        },
    )
}

/// An agent replies. An agent replying to a conversation nobody holds takes it first.
pub fn decide_agent_reply(
    conversation: &Conversation,
    agent: AgentId,
    text: MessageText,
    at: Timestamp,
) -> Result<Vec<Envelope>, TransitionError> {
    use ConversationState as S;
    let mut out = Vec::with_capacity(2);
    match conversation.state {
        S::Closed => return Err(TransitionError::Closed),
        S::Bot | S::Queued => out.push(Envelope::new(
            conversation.shop,
            at,
            Event::Assigned {
                conversation: conversation.id,
                agent,
            },
        )),
        S::Assigned | S::Waiting => {}
    }
    out.push(Envelope::new(
        conversation.shop,
        at,
        Event::MessagePosted {
            conversation: conversation.id,
            message: MessageId::new(),
            sender: Sender::Agent { agent },
            text,
        },
    ));
    Ok(out)
}

/// The bot's turn on the shopper's message `question`: the decision, the bot's reply, and for
/// a hand-off the queue it goes to (`queue`, chosen by the caller's routing policy). Only a
/// conversation the bot serves can take one.
pub fn decide_bot_turn(
    conversation: &Conversation,
    question: MessageId,
    decision: BotDecision,
    reply: MessageText,
    queue: QueueRequest,
    at: Timestamp,
) -> Result<Vec<Envelope>, TransitionError> {
    if !conversation.state.is_open() {
        return Err(TransitionError::Closed);
    }
    if conversation.state != ConversationState::Bot {
        return Err(TransitionError::BotNotServing);
    }
    let id = conversation.id;
    let reply_id = MessageId::new();
    let hands_off = decision.reason().is_some();
    let mut out = vec![
        Envelope::new(
            conversation.shop,
            at,
            Event::BotDecided {
                conversation: id,
                question,
                reply: reply_id,
                decision,
            },
        ),
        Envelope::new(
            conversation.shop,
            at,
            Event::MessagePosted {
                conversation: id,
                message: reply_id,
                sender: Sender::Bot,
                text: reply,
            },
        ),
    ];
    if hands_off {
        out.push(queued(conversation.shop, id, queue, None, at));
    }
    Ok(out)
}

/// Routing gives a waiting conversation to an agent.
pub fn decide_assign(
    conversation: &Conversation,
    agent: AgentId,
    at: Timestamp,
) -> Result<Envelope, TransitionError> {
    match conversation.state {
        ConversationState::Closed => Err(TransitionError::Closed),
        ConversationState::Queued => Ok(Envelope::new(
            conversation.shop,
            at,
            Event::Assigned {
                conversation: conversation.id,
                agent,
            },
        )),
        _ => Err(TransitionError::NotQueued),
    }
}

/// Where a transfer sends a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// To this agent, at once.
    Agent(AgentId),
    /// To a group or tier's queue.
    Queue(QueueRequest),
}

/// An agent passes a conversation on, keeping everything said so far, with a reason.
pub fn decide_transfer(
    conversation: &Conversation,
    by: AgentId,
    to: TransferTarget,
    reason: String,
    at: Timestamp,
) -> Result<Vec<Envelope>, TransitionError> {
    use ConversationState as S;
    match conversation.state {
        S::Closed => return Err(TransitionError::Closed),
        S::Bot => return Err(TransitionError::NotQueued),
        S::Queued | S::Assigned | S::Waiting => {}
    }
    let from = conversation.assigned_agent;
    let next = match to {
        TransferTarget::Agent(agent) => {
            if from == Some(agent) {
                return Err(TransitionError::NoChange);
            }
            Envelope::new(
                conversation.shop,
                at,
                Event::Assigned {
                    conversation: conversation.id,
                    agent,
                },
            )
        }
        TransferTarget::Queue(queue) => {
            let same = conversation.waiting.as_ref().is_some_and(|w| {
                w.tier == queue.tier && w.skill == queue.skill && w.priority == queue.priority
            });
            if same {
                return Err(TransitionError::NoChange);
            }
            queued(conversation.shop, conversation.id, queue, None, at)
        }
    };
    let record = Envelope::new(
        conversation.shop,
        at,
        Event::Transferred {
            conversation: conversation.id,
            by,
            from,
            reason,
        },
    );
    Ok(vec![record, next])
}

/// Takes a conversation from its agent (silent past the limit, or gone offline) and puts it
/// back at the front of `queue`.
pub fn decide_send_back(
    conversation: &Conversation,
    reason: SendBackReason,
    queue: QueueRequest,
    at: Timestamp,
) -> Result<Envelope, TransitionError> {
    use ConversationState as S;
    match (conversation.state, conversation.assigned_agent) {
        (S::Closed, _) => Err(TransitionError::Closed),
        (S::Assigned | S::Waiting, Some(agent)) => Ok(queued(
            conversation.shop,
            conversation.id,
            queue,
            Some(SendBack { agent, reason }),
            at,
        )),
        _ => Err(TransitionError::NotHeld),
    }
}

/// Records an SLA clock's warning or breach.
pub fn decide_sla_signal(
    conversation: &Conversation,
    signal: SlaSignal,
    at: Timestamp,
) -> Result<Envelope, TransitionError> {
    if !conversation.state.is_open() {
        return Err(TransitionError::Closed);
    }
    Ok(Envelope::new(
        conversation.shop,
        at,
        Event::SlaSignaled {
            conversation: conversation.id,
            signal,
        },
    ))
}

/// Makes a running conversation more urgent: raises it to `priority` for `reason`, once per
/// conversation and priority (`NoChange` when it is already escalated that far).
pub fn decide_raise_priority(
    conversation: &Conversation,
    priority: Priority,
    reason: RaiseReason,
    at: Timestamp,
) -> Result<Envelope, TransitionError> {
    if !conversation.state.is_open() {
        return Err(TransitionError::Closed);
    }
    if conversation
        .escalation
        .is_some_and(|e| e.priority >= priority)
    {
        return Err(TransitionError::NoChange);
    }
    Ok(Envelope::new(
        conversation.shop,
        at,
        Event::PriorityRaised {
            conversation: conversation.id,
            priority,
            reason,
        },
    ))
}

/// The shopper rates the bot's answer `reply` (which answered with `entry`).
pub fn decide_bot_rating(
    conversation: &Conversation,
    reply: MessageId,
    entry: crate::KnowledgeEntryId,
    helpful: bool,
    at: Timestamp,
) -> Result<Envelope, TransitionError> {
    if !conversation.state.is_open() {
        return Err(TransitionError::Closed);
    }
    Ok(Envelope::new(
        conversation.shop,
        at,
        Event::BotRated {
            conversation: conversation.id,
            reply,
            entry,
            helpful,
        },
    ))
}

/// Closes an open conversation.
pub fn decide_close(
    conversation: &Conversation,
    by: Sender,
    at: Timestamp,
) -> Result<Envelope, TransitionError> {
    if !conversation.state.is_open() {
        return Err(TransitionError::Closed);
    }
    Ok(Envelope::new(
        conversation.shop,
        at,
        Event::Closed {
            conversation: conversation.id,
            by,
        },
    ))
}

/// Rebuilds every conversation from the log, in log order. Fails on the first event the state
/// machine rejects, since a valid log never contains one.
pub fn replay<'a>(
    events: impl IntoIterator<Item = &'a Envelope>,
) -> Result<HashMap<ConversationId, Conversation>, (EventId, TransitionError)> {
    let mut out: HashMap<ConversationId, Conversation> = HashMap::new();
    for envelope in events {
        let id = envelope.event.conversation();
        match out.get_mut(&id) {
            Some(c) => c.apply(envelope).map_err(|e| (envelope.id, e))?,
            None => {
                let c = Conversation::opened(envelope).map_err(|e| (envelope.id, e))?;
                out.insert(id, c);
            }
        }
    }
    Ok(out)
}

/// Applies freshly decided events to the current state (or opens it), as the store will.
pub fn fold_new(
    current: Option<Conversation>,
    events: &[Envelope],
) -> Result<Conversation, TransitionError> {
    let mut state = current;
    for e in events {
        match state.as_mut() {
            Some(c) if !matches!(e.event, Event::ConversationOpened { .. }) => c.apply(e)?,
            _ => state = Some(Conversation::opened(e)?),
        }
    }
    state.ok_or(TransitionError::NotOpened)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MessageText {
        MessageText::parse(s).expect("valid text")
    }

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn queue() -> QueueRequest {
        QueueRequest::standard()
    }

    #[test]
    fn a_shopper_opens_an_agent_takes_replies_and_closes() {
        let shop = ShopId::new();
        let customer = CustomerId::new();
        let agent = AgentId::new();
        let first = decide_shopper_message(
            shop,
            customer,
            None,
            Opening {
                channel: Channel::Widget,
                platform: None,
                bot: false,
                queue: QueueRequest::standard(),
            },
            text("你好，纸尿裤什么时候发货？"),
            t(1),
        );
        assert_eq!(first.len(), 3, "opened, posted, queued");
        let mut c = fold_new(None, &first).expect("opens");
        assert_eq!(c.state, ConversationState::Queued);
        assert_eq!(c.message_count, 1);

        let reply = decide_agent_reply(&c, agent, text("亲，今天下单今天发"), t(2)).expect("ok");
        assert!(matches!(reply[0].event, Event::Assigned { .. }));
        c = fold_new(Some(c), &reply).expect("applies");
        assert_eq!(c.state, ConversationState::Waiting);
        assert_eq!(c.assigned_agent, Some(agent));

        let again = decide_shopper_message(
            shop,
            customer,
            Some(&c),
            Opening {
                channel: Channel::Widget,
                platform: None,
                bot: false,
                queue: QueueRequest::standard(),
            },
            text("好的"),
            t(3),
        );
        assert_eq!(again.len(), 1, "an open conversation is continued");
        c = fold_new(Some(c), &again).expect("applies");
        assert_eq!(c.state, ConversationState::Assigned);

        let close = decide_close(&c, Sender::Agent { agent }, t(4)).expect("closes");
        c = fold_new(Some(c), &[close]).expect("applies");
        assert_eq!(c.state, ConversationState::Closed);
        assert_eq!(
            decide_agent_reply(&c, agent, text("还在吗"), t(5)),
            Err(TransitionError::Closed)
        );
        let next = decide_shopper_message(
            shop,
            customer,
            Some(&c),
            Opening {
                channel: Channel::Widget,
                platform: None,
                bot: false,
                queue: QueueRequest::standard(),
            },
            text("在吗"),
            t(6),
        );
        assert_eq!(next.len(), 3, "a closed conversation is never reopened");
        assert_ne!(next[0].event.conversation(), c.id);
    }

    #[test]
    fn replay_rebuilds_the_same_state_and_rejects_an_invalid_log() {
        let shop = ShopId::new();
        let agent = AgentId::new();
        let mut log = decide_shopper_message(
            shop,
            CustomerId::new(),
            None,
            Opening {
                channel: Channel::Webhook,
                platform: Some("taobao".into()),
                bot: false,
                queue: QueueRequest::standard(),
            },
            text("在吗"),
            t(10),
        );
        let live = fold_new(None, &log).expect("opens");
        let reply = decide_agent_reply(&live, agent, text("在的亲"), t(11)).expect("ok");
        let live = fold_new(Some(live), &reply).expect("applies");
        log.extend(reply);
        let rebuilt = replay(&log).expect("valid log");
        assert_eq!(rebuilt.get(&live.id), Some(&live));

        let bogus = Envelope::new(
            shop,
            t(12),
            Event::MessagePosted {
                conversation: ConversationId::new(),
                message: MessageId::new(),
                sender: Sender::Shopper,
                text: text("?"),
            },
        );
        assert_eq!(
            replay([&bogus]).map(|_| ()),
            Err((bogus.id, TransitionError::NotOpened))
        );
    }

    #[test]
    fn only_a_serving_bot_may_write_and_agents_must_be_assigned() {
        let shop = ShopId::new();
        let opened = Envelope::new(
            shop,
            t(1),
            Event::ConversationOpened {
                conversation: ConversationId::new(),
                customer: CustomerId::new(),
                channel: Channel::Api,
                platform: None,
                state: ConversationState::Queued,
                tier: Tier::Standard,
            },
        );
        let mut c = Conversation::opened(&opened).expect("opens");
        let post = |sender| {
            Envelope::new(
                shop,
                t(2),
                Event::MessagePosted {
                    conversation: c.id,
                    message: MessageId::new(),
                    sender,
                    text: text("hi"),
                },
            )
        };
        let bot = post(Sender::Bot);
        let agent = post(Sender::Agent {
            agent: AgentId::new(),
        });
        assert_eq!(c.apply(&bot), Err(TransitionError::BotNotServing));
        assert_eq!(c.apply(&agent), Err(TransitionError::NotAssigned));
        assert_eq!(c.apply(&opened), Err(TransitionError::AlreadyOpen));
    }

    #[test]
    fn the_bot_answers_asks_back_hands_off_and_an_agent_takes_over() {
        use crate::bot::{HandOffReason, HandOffSummary};
        use crate::ids::KnowledgeEntryId;
        let shop = ShopId::new();
        let (a, b) = (KnowledgeEntryId::new(), KnowledgeEntryId::new());
        let mut log = decide_shopper_message(
            shop,
            CustomerId::new(),
            None,
            Opening {
                channel: Channel::Widget,
                platform: None,
                bot: true,
                queue: QueueRequest::standard(),
            },
            text("我的快递到哪了"),
            t(1),
        );
        let question = log[1].message().expect("message").id;
        let mut c = fold_new(None, &log).expect("opens");
        assert_eq!((c.state, c.tier), (ConversationState::Bot, Tier::Bot));

        let answer = BotDecision::Answer {
            entry: a,
            confidence: 910,
        };
        let turn =
            decide_bot_turn(&c, question, answer, text("已发货"), queue(), t(2)).expect("serving");
        assert_eq!(turn.len(), 2, "an answer does not queue");
        c = fold_new(Some(c), &turn).expect("applies");
        log.extend(turn);
        assert_eq!(c.state, ConversationState::Bot);
        assert_eq!(c.bot.last_answer, Some(a));

        let reply = log
            .iter()
            .rev()
            .find_map(Envelope::message)
            .expect("reply")
            .id;
        let rated = decide_bot_rating(&c, reply, a, false, t(3)).expect("open");
        c = fold_new(Some(c), std::slice::from_ref(&rated)).expect("applies");
        log.push(rated);
        assert_eq!(c.bot.misses, 1, "an unhelpful answer is a miss");

        let clarify = BotDecision::Clarify {
            options: [a, b],
            confidence: 400,
        };
        let turn =
            decide_bot_turn(&c, question, clarify, text("您想问哪个"), queue(), t(4)).expect("ok");
        c = fold_new(Some(c), &turn).expect("applies");
        log.extend(turn);
        assert_eq!(c.bot.misses, 2);

        let hand_off = BotDecision::HandOff {
            reason: HandOffReason::HumanOnlyTopic,
            confidence: 100,
            after: Some(a),
            summary: HandOffSummary {
                topic: Some("资金安全".into()),
                question: "我被骗了".into(),
                emotion: None,
                order: None,
            },
        };
        let expert = QueueRequest {
            tier: Tier::Expert,
            priority: crate::Priority::HumanOnly,
            skill: None,
            due: None,
        };
        let turn =
            decide_bot_turn(&c, question, hand_off, text("转人工"), expert, t(5)).expect("ok");
        assert_eq!(turn.len(), 3, "a hand-off queues");
        c = fold_new(Some(c), &turn).expect("applies");
        log.extend(turn);
        assert_eq!((c.state, c.tier), (ConversationState::Queued, Tier::Expert));
        assert_eq!(
            c.bot.hand_off.as_ref().map(|h| h.reason),
            Some(HandOffReason::HumanOnlyTopic)
        );
        let late = BotDecision::Answer {
            entry: b,
            confidence: 990,
        };
        assert_eq!(
            decide_bot_turn(&c, question, late, text("x"), queue(), t(6)).map(|_| ()),
            Err(TransitionError::BotNotServing),
            "the bot does not talk over the queue"
        );

        let agent = AgentId::new();
        let reply = decide_agent_reply(&c, agent, text("您好，我来处理"), t(7)).expect("ok");
        c = fold_new(Some(c), &reply).expect("applies");
        log.extend(reply);
        assert_eq!(c.state, ConversationState::Waiting);
        assert_eq!(replay(&log).expect("valid").get(&c.id), Some(&c));
    }

    #[test]
    fn routing_assigns_transfers_sends_back_and_signals_without_moving_the_list() {
        use crate::routing::{SlaClock, SlaLevel};
        let shop = ShopId::new();
        let (a, b) = (AgentId::new(), AgentId::new());
        let vip = QueueRequest {
            priority: crate::Priority::Vip,
            skill: Some("物流".into()),
            ..QueueRequest::standard()
        };
        let mut log = decide_shopper_message(
            shop,
            CustomerId::new(),
            None,
            Opening {
                channel: Channel::Widget,
                platform: None,
                bot: false,
                queue: vip.clone(),
            },
            text("快递丢了"),
            t(1),
        );
        let mut c = fold_new(None, &log).expect("opens");
        let waiting = c.waiting.clone().expect("waits");
        assert_eq!(
            (waiting.priority, waiting.skill.as_deref(), waiting.since),
            (crate::Priority::Vip, Some("物流"), t(1))
        );

        let assign = decide_assign(&c, a, t(2)).expect("queued");
        c = fold_new(Some(c), std::slice::from_ref(&assign)).expect("applies");
        log.push(assign);
        assert_eq!(
            (c.state, c.assigned_agent, c.waiting.is_none()),
            (ConversationState::Assigned, Some(a), true)
        );
        assert_eq!(
            decide_assign(&c, b, t(3)).map(|_| ()),
            Err(TransitionError::NotQueued)
        );

        assert_eq!(
            decide_transfer(&c, a, TransferTarget::Agent(a), "x".into(), t(3)).map(|_| ()),
            Err(TransitionError::NoChange)
        );
        let moved = decide_transfer(&c, a, TransferTarget::Agent(b), "需要物流专员".into(), t(3))
            .expect("held");
        assert!(matches!(moved[0].event, Event::Transferred { from: Some(f), .. } if f == a));
        c = fold_new(Some(c), &moved).expect("applies");
        log.extend(moved);
        assert_eq!(c.assigned_agent, Some(b));

        let back = decide_send_back(&c, SendBackReason::Silent, vip.clone(), t(4)).expect("held");
        c = fold_new(Some(c), std::slice::from_ref(&back)).expect("applies");
        log.push(back);
        assert_eq!(c.state, ConversationState::Queued);
        assert_eq!(
            c.waiting.as_ref().and_then(|w| w.sent_back),
            Some(SendBack {
                agent: b,
                reason: SendBackReason::Silent
            })
        );
        assert_eq!(
            decide_send_back(&c, SendBackReason::Offline, vip, t(5)).map(|_| ()),
            Err(TransitionError::NotHeld)
        );

        let before = (c.updated_at, c.version);
        let signal = SlaSignal {
            clock: SlaClock::FirstResponse,
            level: SlaLevel::Warning,
            burst: t(1),
            at: t(12),
            agent: None,
        };
        let signaled = decide_sla_signal(&c, signal, t(12)).expect("open");
        c = fold_new(Some(c), std::slice::from_ref(&signaled)).expect("applies");
        log.push(signaled);
        assert_eq!(
            (c.updated_at, c.version),
            (before.0, before.1 + 1),
            "bookkeeping only"
        );
        assert_eq!(replay(&log).expect("valid").get(&c.id), Some(&c));
    }

    #[test]
    fn an_escalation_raises_the_queue_once_per_priority_and_outlives_a_requeue() {
        use crate::Priority;
        let shop = ShopId::new();
        let agent = AgentId::new();
        let mut log = decide_shopper_message(
            shop,
            CustomerId::new(),
            None,
            Opening {
                channel: Channel::Widget,
                platform: None,
                bot: false,
                queue: queue(),
            },
            text("气死了，东西坏了"),
            t(1),
        );
        let mut c = fold_new(None, &log).expect("opens");
        let before = (c.updated_at, c.version);
        let raised =
            decide_raise_priority(&c, Priority::Complaint, RaiseReason::NegativeWords, t(2))
                .expect("open");
        c = fold_new(Some(c), std::slice::from_ref(&raised)).expect("applies");
        log.push(raised);
        assert_eq!(
            c.waiting.as_ref().map(|w| (w.priority, w.since)),
            Some((Priority::Complaint, t(1))),
            "it moves up but keeps its waiting time"
        );
        assert_eq!((c.updated_at, c.version), (before.0, before.1 + 1));
        assert_eq!(
            c.escalation,
            Some(Escalation {
                priority: Priority::Complaint,
                reason: RaiseReason::NegativeWords,
                at: t(2)
            })
        );
        assert_eq!(
            decide_raise_priority(
                &c,
                Priority::Complaint,
                RaiseReason::StrongNegativeTurn,
                t(3)
            )
            .map(|_| ()),
            Err(TransitionError::NoChange),
            "once per priority"
        );

        let assign = decide_assign(&c, agent, t(4)).expect("queued");
        c = fold_new(Some(c), std::slice::from_ref(&assign)).expect("applies");
        log.push(assign);
        assert!(c.escalation.is_some(), "a held conversation stays marked");
        let back = decide_send_back(&c, SendBackReason::Offline, queue(), t(5)).expect("held");
        c = fold_new(Some(c), std::slice::from_ref(&back)).expect("applies");
        log.push(back);
        assert_eq!(
            c.waiting.as_ref().map(|w| w.priority),
            Some(Priority::Complaint),
            "a normal requeue does not undo the escalation"
        );
        let higher =
            decide_raise_priority(&c, Priority::Crisis, RaiseReason::StrongNegativeTurn, t(6))
                .expect("a higher level is new");
        c = fold_new(Some(c), std::slice::from_ref(&higher)).expect("applies");
        log.push(higher);
        assert_eq!(c.raised(Priority::Normal), Priority::Crisis);
        assert_eq!(replay(&log).expect("valid").get(&c.id), Some(&c));
        let close = decide_close(&c, Sender::System, t(7)).expect("open");
        c = fold_new(Some(c), &[close]).expect("applies");
        assert_eq!(
            decide_raise_priority(&c, Priority::Vip, RaiseReason::NegativeWords, t(8)).map(|_| ()),
            Err(TransitionError::Closed)
        );
    }
}
