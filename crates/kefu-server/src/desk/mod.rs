//! The service desk: for each shop, the routing queues (`kefu_engine::Router`), every open
//! conversation's SLA clocks (`kefu_engine::sla`) and the agents' presence, held in memory
//! beside the log.
//!
//! The log stays the truth. A shop's desk is built from the store on first use (and for every
//! shop when the server starts): agents and their stored status, open conversations and
//! their events — SLA signals included, so a restarted server fires what came due while it was
//! down, and nothing twice. After that every durable append is folded in through
//! [`ShopDesk::observe`], under the customer's lock, so the desk sees each conversation's
//! events in log order. Decisions the desk makes (an assignment, a send-back, a warning) are
//! appended like any other event and folded in the same way (see `actions.rs`).
//!
//! The in-memory part is per node: with several nodes, each would route on its own. One node
//! per shop is the deployment this supports.

mod actions;
pub mod settings;

pub use actions::{
    TransferRequest, dispatch, publish_queue_positions, run_timers, set_status, tick, transfer,
    warm,
};
pub(crate) use actions::{append_decided, committed};

use crate::error::ApiResult;
use kefu_domain::*;
use kefu_engine::sla::{SlaPolicy, SlaState};
use kefu_engine::{Need, QueueSnapshot, Router, Seat};
use kefu_store::Store;
use settings::ServiceSettings;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// Every shop's desk, built on first use.
#[derive(Debug)]
pub struct DeskService {
    clock: Arc<dyn Clock>,
    shops: Mutex<HashMap<ShopId, Arc<tokio::sync::OnceCell<Arc<ShopDesk>>>>>,
}

impl DeskService {
    pub fn new(clock: Arc<dyn Clock>) -> Arc<DeskService> {
        Arc::new(DeskService {
            clock,
            shops: Mutex::default(),
        })
    }

    fn cells(&self) -> MutexGuard<'_, HashMap<ShopId, Arc<tokio::sync::OnceCell<Arc<ShopDesk>>>>> {
        self.shops.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shop's desk, built from the store the first time.
    pub async fn for_shop(&self, store: &dyn Store, shop: ShopId) -> ApiResult<Arc<ShopDesk>> {
        let cell = self.cells().entry(shop).or_default().clone();
        let desk = cell
            .get_or_try_init(|| async {
                ShopDesk::load(store, shop, self.clock.now())
                    .await
                    .map(Arc::new)
            })
            .await?;
        Ok(desk.clone())
    }

    /// The shop's desk if it is built.
    pub fn get(&self, shop: ShopId) -> Option<Arc<ShopDesk>> {
        self.cells().get(&shop).and_then(|cell| cell.get().cloned())
    }

    /// The desks built so far.
    pub fn loaded(&self) -> Vec<Arc<ShopDesk>> {
        self.cells()
            .values()
            .filter_map(|cell| cell.get().cloned())
            .collect()
    }
}

/// Whether the shopper threatens the regulator, a lawyer or the press (12315, 律师, 曝光):
/// a major complaint for the crisis team.
pub fn threatens(analysis: &kefu_text::analysis::Analysis) -> bool {
    analysis
        .hits_of(kefu_text::lexicon::LexiconKind::Sensitive)
        .any(|h| matches!(h.category, "regulator" | "legal" | "media"))
}

/// The queue for a conversation reaching people now (see `kefu_engine::triage`).
pub fn queue_for(
    desk: &ShopDesk,
    reason: Option<HandOffReason>,
    topic: Option<&str>,
    vip: bool,
    risk: bool,
    at: Timestamp,
) -> QueueRequest {
    let d = desk.lock();
    kefu_engine::triage::queue_for(
        kefu_engine::triage::Facts {
            reason,
            topic,
            vip,
            risk,
        },
        &d.settings.skills,
        &d.settings.hours,
        at,
    )
}

/// One conversation as the desk follows it.
#[derive(Debug, Clone)]
struct Tracked {
    customer: CustomerId,
    state: ConversationState,
    waiting: Option<Waiting>,
    holder: Option<AgentId>,
    /// When the holder got it.
    held_since: Option<Timestamp>,
    /// The queue it last waited in, for sending it back there.
    last_queue: Option<QueueRequest>,
    sla: SlaState,
    /// The timer this conversation is filed under, if any.
    wake: Option<Timestamp>,
}

/// An agent's presence.
#[derive(Debug, Clone)]
struct Present {
    agent: Agent,
    status: AgentStatus,
    since: Timestamp,
}

#[derive(Debug)]
struct Desk {
    settings: ServiceSettings,
    policy: SlaPolicy,
    router: Router,
    agents: HashMap<AgentId, Present>,
    open: HashMap<ConversationId, Tracked>,
    timers: BTreeSet<(Timestamp, ConversationId)>,
    /// Breaches per agent and shop day, and who was flagged on which day.
    breaches: HashMap<(AgentId, i64), usize>,
    flagged: HashSet<(AgentId, i64, Line)>,
    /// The queue position and wait last told to each waiting shopper.
    told: HashMap<ConversationId, (usize, Option<i64>)>,
}

/// What folding in a batch of events turned up for the caller to announce.
#[derive(Debug, Default)]
pub struct Observed {
    /// Agents who just reached one of the shop's daily lines: (agent, breaches today, line).
    pub flagged: Vec<(AgentId, usize, Line)>,
}

/// One shop's desk.
#[derive(Debug)]
pub struct ShopDesk {
    pub shop: ShopId,
    desk: Mutex<Desk>,
    /// One dispatcher at a time, so assignments are decided and appended in order.
    dispatching: tokio::sync::Mutex<()>,
}

fn seat(agent: &Agent, status: AgentStatus) -> Seat {
    Seat {
        agent: agent.id,
        tier: agent.tier,
        skills: agent.skill_groups.clone(),
        max_concurrent: agent.max_concurrent,
        status,
    }
}

fn need(w: &Waiting) -> Need {
    Need {
        tier: w.tier,
        skill: w.skill.clone(),
    }
}

impl ShopDesk {
    async fn load(store: &dyn Store, shop: ShopId, now: Timestamp) -> ApiResult<ShopDesk> {
        let settings = settings::load(store, shop).await?;
        let presence: HashMap<AgentId, (AgentStatus, Timestamp)> = store
            .agent_presence(shop)
            .await?
            .into_iter()
            .map(|p| (p.agent, (p.status, p.since)))
            .collect();
        let mut desk = Desk {
            policy: settings.sla(),
            settings,
            router: Router::new(),
            agents: HashMap::new(),
            open: HashMap::new(),
            timers: BTreeSet::new(),
            breaches: HashMap::new(),
            flagged: HashSet::new(),
            told: HashMap::new(),
        };
        for agent in store.list_agents(shop).await? {
            let (status, since) = presence
                .get(&agent.id)
                .copied()
                .unwrap_or((AgentStatus::Offline, agent.created_at));
            desk.router.upsert_agent(seat(&agent, status));
            desk.agents.insert(
                agent.id,
                Present {
                    agent,
                    status,
                    since,
                },
            );
        }
        let mut open = store.open_conversations(shop).await?;
        // Queues are rebuilt in the order people started waiting.
        open.sort_by_key(|c| c.waiting.as_ref().map(|w| w.since).unwrap_or(c.created_at));
        for c in &open {
            let events = store.conversation_events(shop, c.id).await?;
            desk.fold(c, &events, false);
        }
        // Today's breaches, closed conversations' included, for the discipline lines; lines
        // already reached were announced before the restart.
        for e in store
            .events_of_kinds(shop, &[Event::SLA_SIGNALED], now.shop_midnight(), 100_000)
            .await?
        {
            if let Event::SlaSignaled { signal, .. } = &e.event
                && signal.level == SlaLevel::Breach
                && let Some(agent) = signal.agent
            {
                desk.count_breach((agent, signal.at.shop_day()));
            }
        }
        Ok(ShopDesk {
            shop,
            desk: Mutex::new(desk),
            dispatching: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Desk> {
        self.desk.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn settings(&self) -> ServiceSettings {
        self.lock().settings.clone()
    }

    /// Takes new settings; running clocks are re-filed under the new targets.
    pub fn set_settings(&self, settings: ServiceSettings) {
        let mut d = self.lock();
        d.policy = settings.sla();
        d.settings = settings;
        let ids: Vec<ConversationId> = d.open.keys().copied().collect();
        for id in ids {
            d.reschedule(id);
        }
    }

    /// Folds in events just appended to `conversation` (which is the state after them).
    pub fn observe(&self, conversation: &Conversation, events: &[Envelope]) -> Observed {
        self.lock().fold(conversation, events, true)
    }

    /// A new or changed agent (their tier, skills or limit).
    pub fn upsert_agent(&self, agent: &Agent) {
        let mut d = self.lock();
        let status = d
            .agents
            .get(&agent.id)
            .map_or(AgentStatus::Offline, |p| p.status);
        d.router.upsert_agent(seat(agent, status));
        let since = d
            .agents
            .get(&agent.id)
            .map_or(agent.created_at, |p| p.since);
        d.agents.insert(
            agent.id,
            Present {
                agent: agent.clone(),
                status,
                since,
            },
        );
    }

    /// An agent's status changed (already stored). Returns the conversations they hold, for
    /// the caller to send back when they went offline.
    fn status_changed(
        &self,
        agent: AgentId,
        status: AgentStatus,
        at: Timestamp,
    ) -> Vec<ConversationId> {
        let mut d = self.lock();
        if let Some(p) = d.agents.get_mut(&agent) {
            p.status = status;
            p.since = at;
        }
        let _ = d.router.set_status(agent, status);
        let mut held: Vec<ConversationId> = d
            .open
            .iter()
            .filter(|(_, t)| t.holder == Some(agent))
            .map(|(id, _)| *id)
            .collect();
        held.sort();
        held
    }

    fn customer_of(&self, conversation: ConversationId) -> Option<CustomerId> {
        self.lock().open.get(&conversation).map(|t| t.customer)
    }

    /// Whether any of the shop's agents, whatever their status, serves this tier.
    pub fn has_tier(&self, tier: Tier) -> bool {
        self.lock().agents.values().any(|p| p.agent.tier == tier)
    }

    /// Whether the agent is one of the shop's, as the desk knows them.
    pub fn knows(&self, agent: AgentId) -> bool {
        self.lock().agents.contains_key(&agent)
    }

    /// An agent's status as routing has it; unknown agents are offline.
    pub fn status_of(&self, agent: AgentId) -> AgentStatus {
        self.lock()
            .agents
            .get(&agent)
            .map_or(AgentStatus::Offline, |p| p.status)
    }

    /// Decides the next assignment, recording it in routing; the caller appends it.
    fn next_assignment(&self) -> Option<(ConversationId, CustomerId, AgentId)> {
        let mut d = self.lock();
        let (conversation, agent) = d.router.assign_next()?;
        let customer = d.open.get(&conversation).map(|t| t.customer)?;
        Some((conversation, customer, agent))
    }

    /// Makes routing agree with a conversation read back from the store (an assignment that
    /// could not be appended).
    fn resync(&self, conversation: &Conversation) {
        self.lock().fold(conversation, &[], true);
    }

    /// Timers due at `now`: each conversation with the SLA signals to record and whether its
    /// holder has been silent past the limit. Taken off the timer set; folding in what the
    /// caller appends files them again.
    fn due(&self, now: Timestamp) -> Vec<Due> {
        let mut d = self.lock();
        let ripe: Vec<(Timestamp, ConversationId)> = d
            .timers
            .iter()
            .take_while(|(at, _)| *at <= now)
            .copied()
            .collect();
        let mut out = Vec::new();
        for key in ripe {
            d.timers.remove(&key);
            let policy = d.policy.clone();
            let silence = d.settings.silence_limit_ms();
            let Some(t) = d.open.get_mut(&key.1) else {
                continue;
            };
            t.wake = None;
            let signals = t.sla.clone().fire(now, &policy);
            let silent = t
                .silence_due(silence)
                .filter(|due| *due <= now)
                .and(t.holder);
            if signals.is_empty() && silent.is_none() {
                d.reschedule(key.1);
                continue;
            }
            out.push(Due {
                conversation: key.1,
                customer: t.customer,
                signals,
                silent,
            });
        }
        out
    }

    /// The queue a held conversation goes back to: the one it last waited in (live now, not
    /// an offline message), or its tier's at normal priority.
    fn queue_to_return(&self, conversation: &Conversation) -> QueueRequest {
        let d = self.lock();
        d.open
            .get(&conversation.id)
            .and_then(|t| t.last_queue.clone())
            .unwrap_or_else(|| QueueRequest {
                tier: match conversation.tier {
                    Tier::Bot => Tier::Standard,
                    tier => tier,
                },
                ..QueueRequest::standard()
            })
    }

    /// When the conversation's unanswered burst began, if it has one.
    fn burst_of(&self, conversation: ConversationId) -> Option<Timestamp> {
        let d = self.lock();
        d.open
            .get(&conversation)
            .and_then(|t| t.sla.open.as_ref())
            .map(|b| b.started)
    }

    /// Files a conversation's timer again from its current clocks.
    fn refile(&self, conversation: ConversationId) {
        self.lock().reschedule(conversation);
    }

    /// Files a conversation's timer again after a failed append, a little later.
    fn retry_later(&self, conversation: ConversationId, at: Timestamp) {
        let mut d = self.lock();
        if let Some(t) = d.open.get_mut(&conversation) {
            t.wake = Some(at);
            d.timers.insert((at, conversation));
        }
    }

    /// Routing's invariants — nobody waits while an eligible online agent has room, nobody holds
    /// more than their limit unless given it by hand — as what is wrong, for checks and
    /// simulations.
    pub fn violations(&self) -> Vec<String> {
        self.lock().router.violations()
    }

    /// How many conversations wait for a person.
    pub fn waiting(&self) -> usize {
        self.lock().router.waiting()
    }

    /// The earliest timer, for the timer loop to sleep until.
    pub fn next_wake(&self) -> Option<Timestamp> {
        self.lock().timers.first().map(|(t, _)| *t)
    }

    /// Where a conversation waits for the shopper: position in its queue (0 = next) and an
    /// estimated wait (none while nobody who could take it is online), or its offline due time.
    pub fn queue_status(&self, conversation: ConversationId) -> Option<QueueStatus> {
        let d = self.lock();
        let t = d.open.get(&conversation).filter(|t| t.waiting.is_some())?;
        Some(QueueStatus {
            position: d.router.position(conversation)?,
            estimated_wait_ms: d
                .router
                .estimated_wait_ms(conversation, d.settings.average_handle_ms()),
            due: t.offline_due(),
        })
    }

    /// Statuses of waiting shoppers whose position or estimate changed since they were told,
    /// and `None` for those told before who no longer wait (a person took them).
    fn changed_positions(&self) -> Vec<(ConversationId, CustomerId, Option<QueueStatus>)> {
        let mut d = self.lock();
        let handle = d.settings.average_handle_ms();
        let mut out = Vec::new();
        let mut now_waiting = HashSet::new();
        for q in d.router.queues() {
            for (position, id) in q.waiting.iter().enumerate() {
                now_waiting.insert(*id);
                let wait = kefu_engine::routing::wait_estimate_ms(position, q.capacity, handle);
                if d.told.get(id) == Some(&(position, wait)) {
                    continue;
                }
                let Some(t) = d.open.get(id) else { continue };
                out.push((
                    *id,
                    t.customer,
                    Some(QueueStatus {
                        position,
                        estimated_wait_ms: wait,
                        due: t.offline_due(),
                    }),
                ));
            }
        }
        for (id, _, s) in &out {
            if let Some(s) = s {
                d.told.insert(*id, (s.position, s.estimated_wait_ms));
            }
        }
        let gone: Vec<ConversationId> = d
            .told
            .keys()
            .filter(|id| !now_waiting.contains(id))
            .copied()
            .collect();
        for id in gone {
            d.told.remove(&id);
            if let Some(t) = d.open.get(&id) {
                out.push((id, t.customer, None));
            }
        }
        out
    }

    /// The clock an agent sees counting down on a conversation.
    pub fn sla_of(&self, conversation: ConversationId) -> Option<SlaView> {
        let d = self.lock();
        let t = d.open.get(&conversation)?;
        let burst = t.sla.open.as_ref()?;
        let clock = match (burst.due, burst.first) {
            (Some(_), _) => SlaClock::OfflineReply,
            (None, true) => SlaClock::FirstResponse,
            (None, false) => SlaClock::ReplyInterval,
        };
        let level = [SlaLevel::Breach, SlaLevel::Warning].into_iter().find(|l| {
            burst
                .fired
                .iter()
                .any(|(c, fired)| *c == clock && fired == l)
        });
        Some(SlaView {
            clock,
            started_at: burst.started,
            due_at: t.sla.due(&d.policy)?,
            level,
        })
    }

    /// The supervisor's picture: agents, queues, offline messages.
    pub fn snapshot(&self, now: Timestamp) -> DeskSnapshot {
        let d = self.lock();
        let mut agents: Vec<AgentLoad> = d
            .router
            .seats()
            .filter_map(|(seat, active)| {
                let p = d.agents.get(&seat.agent)?;
                Some(AgentLoad {
                    agent: p.agent.clone(),
                    status: p.status,
                    since: p.since,
                    active,
                    breaches_today: d
                        .breaches
                        .get(&(seat.agent, now.shop_day()))
                        .copied()
                        .unwrap_or(0),
                })
            })
            .collect();
        agents.sort_by(|a, b| {
            (a.agent.tier, &a.agent.username).cmp(&(b.agent.tier, &b.agent.username))
        });
        let queues = d
            .router
            .queues()
            .into_iter()
            .map(|q| {
                let waiting = q
                    .waiting
                    .iter()
                    .filter_map(|id| {
                        let t = d.open.get(id)?;
                        Some((*id, t.customer, t.waiting.clone()?))
                    })
                    .collect();
                (q, waiting)
            })
            .collect();
        let mut offline: Vec<OfflineMessage> = d
            .open
            .iter()
            .filter_map(|(id, t)| {
                let burst = t.sla.open.as_ref()?;
                let due = burst.due?;
                Some(OfflineMessage {
                    conversation: *id,
                    customer: t.customer,
                    left_at: burst.started,
                    due,
                    holder: t.holder,
                    overdue: due <= now,
                })
            })
            .collect();
        offline.sort_by_key(|m| (m.due, m.left_at));
        DeskSnapshot {
            agents,
            queues,
            offline,
            red_line: d.settings.breaches_per_day,
            yellow_line: d.settings.yellow_breaches_per_day,
        }
    }
}

/// A timer that came due.
#[derive(Debug)]
struct Due {
    conversation: ConversationId,
    customer: CustomerId,
    signals: Vec<SlaSignal>,
    /// The holder, when they have been silent past the limit.
    silent: Option<AgentId>,
}

/// Where a waiting shopper stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    pub position: usize,
    pub estimated_wait_ms: Option<i64>,
    /// An offline message's due time.
    pub due: Option<Timestamp>,
}

/// The countdown on a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaView {
    pub clock: SlaClock,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    /// How far it got: warned, breached, or neither yet.
    pub level: Option<SlaLevel>,
}

#[derive(Debug, Clone)]
pub struct AgentLoad {
    pub agent: Agent,
    pub status: AgentStatus,
    pub since: Timestamp,
    pub active: u32,
    pub breaches_today: usize,
}

#[derive(Debug, Clone)]
pub struct OfflineMessage {
    pub conversation: ConversationId,
    pub customer: CustomerId,
    pub left_at: Timestamp,
    pub due: Timestamp,
    pub holder: Option<AgentId>,
    pub overdue: bool,
}

/// A conversation waiting in a queue: whose, and how.
pub type WaitingIn = (ConversationId, CustomerId, Waiting);

#[derive(Debug, Clone)]
pub struct DeskSnapshot {
    pub agents: Vec<AgentLoad>,
    pub queues: Vec<(QueueSnapshot, Vec<WaitingIn>)>,
    pub offline: Vec<OfflineMessage>,
    pub red_line: u32,
    pub yellow_line: u32,
}

/// A discipline line an agent reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Line {
    Yellow,
    Red,
}

impl Line {
    pub fn as_str(self) -> &'static str {
        match self {
            Line::Yellow => "yellow",
            Line::Red => "red",
        }
    }
}

impl Tracked {
    fn new(customer: CustomerId) -> Tracked {
        Tracked {
            customer,
            state: ConversationState::Bot,
            waiting: None,
            holder: None,
            held_since: None,
            last_queue: None,
            sla: SlaState::default(),
            wake: None,
        }
    }

    /// An offline message's due time: the one its queue was given, or its burst's.
    fn offline_due(&self) -> Option<Timestamp> {
        self.waiting
            .as_ref()
            .and_then(|w| w.due)
            .or(self.sla.open.as_ref().and_then(|b| b.due))
    }

    /// When the holder's silence sends the conversation back: the limit after they got it or
    /// after the shopper's unanswered burst began, whichever is later. Offline messages wait
    /// for their due time instead.
    fn silence_due(&self, limit_ms: i64) -> Option<Timestamp> {
        if self.state != ConversationState::Assigned || self.holder.is_none() {
            return None;
        }
        let burst = self.sla.open.as_ref().filter(|b| b.due.is_none())?;
        let from = self
            .held_since
            .map_or(burst.started, |h| h.max(burst.started));
        Some(from.plus_millis(limit_ms))
    }
}

impl Desk {
    /// Folds events into a conversation's tracking and makes routing agree with its state.
    /// `count` adds its breaches to the day's tally (not while rebuilding, which reads the
    /// day's breaches from the log once).
    fn fold(&mut self, c: &Conversation, events: &[Envelope], count: bool) -> Observed {
        let mut observed = Observed::default();
        let policy = self.policy.clone();
        let t = self
            .open
            .entry(c.id)
            .or_insert_with(|| Tracked::new(c.customer));
        let mut breaches = Vec::new();
        for e in events {
            t.sla.apply(e, &policy);
            match &e.event {
                Event::Assigned { .. } => t.held_since = Some(e.at),
                Event::Queued {
                    tier,
                    priority,
                    skill,
                    ..
                } => {
                    t.last_queue = Some(QueueRequest {
                        tier: *tier,
                        priority: *priority,
                        skill: skill.clone(),
                        due: None,
                    });
                }
                Event::SlaSignaled { signal, .. } if signal.level == SlaLevel::Breach => {
                    if let Some(agent) = signal.agent {
                        breaches.push((agent, signal.at.shop_day()));
                    }
                }
                _ => {}
            }
        }
        t.state = c.state;
        t.waiting = c.waiting.clone();
        t.holder = c.assigned_agent;
        for key in breaches.into_iter().filter(|_| count) {
            if let Some((n, line)) = self.count_breach(key) {
                observed.flagged.push((key.0, n, line));
            }
        }
        match c.state {
            ConversationState::Closed => {
                self.router.withdraw(c.id);
                self.router.release(c.id);
                if let Some(t) = self.open.remove(&c.id)
                    && let Some(wake) = t.wake
                {
                    self.timers.remove(&(wake, c.id));
                }
                return observed;
            }
            ConversationState::Queued => {
                if let Some(w) = &c.waiting {
                    // A new queue, or a raised priority (which moves it up its queue).
                    let requeued = events.iter().any(|e| {
                        matches!(e.event, Event::Queued { .. } | Event::PriorityRaised { .. })
                    });
                    if requeued || self.router.position(c.id).is_none() {
                        self.router.requeue(
                            c.id,
                            &need(w),
                            w.priority,
                            w.since,
                            w.sent_back.is_some(),
                        );
                    }
                }
            }
            ConversationState::Assigned | ConversationState::Waiting => {
                if let Some(agent) = c.assigned_agent
                    && self.router.holder(c.id) != Some(agent)
                    && self.router.take(c.id, agent).is_err()
                {
                    // An agent routing does not know (added since the desk was built) holds
                    // it: at least it no longer waits.
                    self.router.withdraw(c.id);
                }
            }
            ConversationState::Bot => {
                self.router.withdraw(c.id);
                self.router.release(c.id);
            }
        }
        self.reschedule(c.id);
        observed
    }

    /// Adds a breach to an agent's day; the line it reaches, if it reaches one now for the first
    /// time that day (each line is announced once).
    fn count_breach(&mut self, key: (AgentId, i64)) -> Option<(usize, Line)> {
        let (red, yellow) = (
            self.settings.breaches_per_day as usize,
            self.settings.yellow_breaches_per_day as usize,
        );
        let n = self.breaches.entry(key).or_default();
        *n += 1;
        let n = *n;
        let line = if n >= red {
            Line::Red
        } else if n >= yellow {
            Line::Yellow
        } else {
            return None;
        };
        self.flagged
            .insert((key.0, key.1, line))
            .then_some((n, line))
    }

    /// Files a conversation's timer at its next SLA signal or silence limit.
    fn reschedule(&mut self, id: ConversationId) {
        let silence = self.settings.silence_limit_ms();
        let Some(t) = self.open.get_mut(&id) else {
            return;
        };
        if let Some(old) = t.wake.take() {
            self.timers.remove(&(old, id));
        }
        let wake = [t.sla.next_due(&self.policy), t.silence_due(silence)]
            .into_iter()
            .flatten()
            .min();
        if let Some(at) = wake {
            t.wake = Some(at);
            self.timers.insert((at, id));
        }
    }
}
