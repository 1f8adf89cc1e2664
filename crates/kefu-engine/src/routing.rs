//! Who serves a waiting conversation: queues ordered by priority then waiting time, agents
//! eligible by tier and skill group, least-loaded assignment within each agent's limit.
//!
//! Policy (where the issue is silent):
//! - A conversation waits for one tier (standard, expert, crisis); only agents of that tier take
//!   it — the crisis team does not drain the standard queue, and a standard agent never gets a
//!   crisis.
//! - A shop with nobody at all in a conversation's tier (no crisis team, say) files it under the
//!   nearest tier it has: crisis → expert → standard, expert → standard → crisis.
//! - A skill group (售前, 售后, 物流, a category) narrows it to the agents of that tier who have the
//!   skill. If nobody of that tier has the skill at all, any agent of the tier is eligible, so a
//!   topic no one was trained for still reaches a person.
//! - Only `online` agents below their concurrency limit take new conversations. Among eligible
//!   agents the one with the fewest conversations wins; ties go to the one whose last assignment
//!   is oldest, then to the smaller id (deterministic).
//! - The queue order is priority (crisis > human-only > VIP > complaint > normal), then
//!   conversations sent back (an agent went silent or offline) ahead of the rest, then waiting
//!   time, then arrival order.
//!
//! The router is plain data: it reads no clock and does no I/O. Each waiting conversation is
//! filed under the one group of agents who may take it, so an assignment looks only at the head
//! of each group's queue whose agents have room: its cost grows with the number of groups, not
//! with the number of waiting conversations or agents.

use kefu_domain::{AgentId, AgentStatus, ConversationId, Priority, Tier, Timestamp};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

/// What a waiting conversation needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Need {
    pub tier: Tier,
    /// The skill group its topic calls for, if any.
    pub skill: Option<String>,
}

/// An agent as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub agent: AgentId,
    pub tier: Tier,
    pub skills: Vec<String>,
    pub max_concurrent: u32,
    pub status: AgentStatus,
}

/// How long the conversation at `position` (0 = next) may wait when its group's online agents
/// have `capacity` seats and one conversation takes `handle_ms`; `None` with nobody online.
pub fn wait_estimate_ms(position: usize, capacity: u32, handle_ms: i64) -> Option<i64> {
    (capacity > 0).then(|| (position as i64 + 1) * handle_ms / i64::from(capacity))
}

/// The tiers that take a conversation when the shop has nobody at all in its own tier, nearest
/// first: a small shop without a crisis team still gets its major complaints to a person.
fn fallback(tier: Tier) -> [Tier; 2] {
    match tier {
        Tier::Crisis => [Tier::Expert, Tier::Standard],
        Tier::Expert => [Tier::Standard, Tier::Crisis],
        Tier::Standard | Tier::Bot => [Tier::Expert, Tier::Crisis],
    }
}

/// One queue as the supervisor and the waiting shoppers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSnapshot {
    pub tier: Tier,
    pub skill: Option<String>,
    /// Seats of the group's online agents, busy or not (for wait estimates).
    pub capacity: u32,
    /// Next first.
    pub waiting: Vec<ConversationId>,
}

/// A set of interchangeable agents: one tier, optionally one skill.
type Group = (Tier, Option<String>);

/// Queue order: most urgent first, then sent-back ones, then longest waiting, then arrival.
type QueueKey = (Reverse<Priority>, bool, Timestamp, u64, ConversationId);

/// Agent order within a group: fewest conversations, then longest since an assignment.
type LoadKey = (u32, u64, AgentId);

#[derive(Debug, Clone)]
struct SeatState {
    seat: Seat,
    active: u32,
    /// Sequence number of the agent's latest assignment (0: none yet).
    last_assigned: u64,
}

impl SeatState {
    fn available(&self) -> bool {
        self.seat.status == AgentStatus::Online && self.active < self.seat.max_concurrent
    }

    fn load_key(&self) -> LoadKey {
        (self.active, self.last_assigned, self.seat.agent)
    }

    fn groups(&self) -> impl Iterator<Item = Group> + '_ {
        std::iter::once((self.seat.tier, None)).chain(
            self.seat
                .skills
                .iter()
                .map(|s| (self.seat.tier, Some(s.clone()))),
        )
    }
}

#[derive(Debug, Clone)]
struct Waiting {
    key: QueueKey,
    group: Group,
}

/// Why a routing operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingError {
    UnknownAgent(AgentId),
    AlreadyWaiting(ConversationId),
    NotAssigned(ConversationId),
}

impl std::fmt::Display for RoutingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoutingError::UnknownAgent(a) => write!(f, "agent {a} is not known to routing"),
            RoutingError::AlreadyWaiting(c) => write!(f, "conversation {c} is already waiting"),
            RoutingError::NotAssigned(c) => write!(f, "conversation {c} is not assigned"),
        }
    }
}

impl std::error::Error for RoutingError {}

/// One shop's routing state: its agents, who holds what, and who waits.
#[derive(Debug, Clone, Default)]
pub struct Router {
    seats: HashMap<AgentId, SeatState>,
    /// Available agents of each group, least loaded first.
    free: HashMap<Group, BTreeSet<LoadKey>>,
    /// How many agents of a tier (with no skill) or of a tier with a skill there are, whatever
    /// their status.
    skilled: HashMap<Group, usize>,
    queues: HashMap<Group, BTreeSet<QueueKey>>,
    waiting: HashMap<ConversationId, Waiting>,
    assigned: HashMap<ConversationId, AgentId>,
    seq: u64,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Takes a seat out of the free sets of its groups.
    fn unlist(&mut self, agent: AgentId) {
        if let Some(s) = self.seats.get(&agent) {
            let key = s.load_key();
            for g in s.groups() {
                if let Some(set) = self.free.get_mut(&g) {
                    set.remove(&key);
                }
            }
        }
    }

    /// Puts a seat into the free sets of its groups, if it has room.
    fn list(&mut self, agent: AgentId) {
        if let Some(s) = self.seats.get(&agent)
            && s.available()
        {
            let key = s.load_key();
            for g in s.groups() {
                self.free.entry(g).or_default().insert(key);
            }
        }
    }

    /// Adds an agent or updates their tier, skills, limit or status. Their conversations stay
    /// theirs (an agent going offline is [`Router::go_offline`]).
    pub fn upsert_agent(&mut self, seat: Seat) {
        self.unlist(seat.agent);
        let (active, last_assigned) = match self.seats.remove(&seat.agent) {
            Some(old) => {
                for g in old.groups() {
                    if let Some(n) = self.skilled.get_mut(&g) {
                        *n = n.saturating_sub(1);
                    }
                }
                (old.active, old.last_assigned)
            }
            None => (0, 0),
        };
        let state = SeatState {
            seat,
            active,
            last_assigned,
        };
        for g in state.groups() {
            *self.skilled.entry(g).or_default() += 1;
        }
        let agent = state.seat.agent;
        self.seats.insert(agent, state);
        self.list(agent);
    }

    /// Changes an agent's status; only `online` agents take new conversations. For going
    /// offline, [`Router::go_offline`] also says which conversations to send back.
    pub fn set_status(&mut self, agent: AgentId, status: AgentStatus) -> Result<(), RoutingError> {
        let mut seat = self
            .seats
            .get(&agent)
            .ok_or(RoutingError::UnknownAgent(agent))?
            .seat
            .clone();
        seat.status = status;
        self.upsert_agent(seat);
        Ok(())
    }

    /// The group a need is filed under (see the module's policy).
    fn group_of(&self, need: &Need) -> Group {
        let staffed = |group: &Group| self.skilled.get(group).is_some_and(|n| *n > 0);
        let tier = std::iter::once(need.tier)
            .chain(fallback(need.tier))
            .find(|t| staffed(&(*t, None)))
            .unwrap_or(need.tier);
        match &need.skill {
            Some(skill) if staffed(&(tier, Some(skill.clone()))) => (tier, Some(skill.clone())),
            _ => (tier, None),
        }
    }

    /// A conversation starts waiting (a hand-off, a transfer, a requeue).
    pub fn enqueue(
        &mut self,
        conversation: ConversationId,
        need: &Need,
        priority: Priority,
        since: Timestamp,
    ) -> Result<(), RoutingError> {
        self.file(conversation, need, priority, since, false)
    }

    fn file(
        &mut self,
        conversation: ConversationId,
        need: &Need,
        priority: Priority,
        since: Timestamp,
        sent_back: bool,
    ) -> Result<(), RoutingError> {
        if self.waiting.contains_key(&conversation) {
            return Err(RoutingError::AlreadyWaiting(conversation));
        }
        let group = self.group_of(need);
        let seq = self.next_seq();
        let key = (Reverse(priority), !sent_back, since, seq, conversation);
        self.queues.entry(group.clone()).or_default().insert(key);
        self.waiting.insert(conversation, Waiting { key, group });
        Ok(())
    }

    /// A waiting conversation leaves the queue without an agent (closed, or the bot took it
    /// back). Returns whether it was waiting.
    pub fn withdraw(&mut self, conversation: ConversationId) -> bool {
        match self.waiting.remove(&conversation) {
            Some(w) => {
                if let Some(q) = self.queues.get_mut(&w.group) {
                    q.remove(&w.key);
                }
                true
            }
            None => false,
        }
    }

    /// An assigned conversation ends (closed) or leaves its agent: the agent has room again.
    /// Returns the agent who held it.
    pub fn release(&mut self, conversation: ConversationId) -> Option<AgentId> {
        let agent = self.assigned.remove(&conversation)?;
        self.unlist(agent);
        if let Some(s) = self.seats.get_mut(&agent) {
            s.active = s.active.saturating_sub(1);
        }
        self.list(agent);
        Some(agent)
    }

    /// Sends an assigned conversation back to the front of its priority (its agent went silent
    /// past the shop's limit): it leaves the agent and waits again, ahead of those not sent back.
    pub fn send_back(
        &mut self,
        conversation: ConversationId,
        need: &Need,
        priority: Priority,
        since: Timestamp,
    ) -> Result<AgentId, RoutingError> {
        let agent = self
            .release(conversation)
            .ok_or(RoutingError::NotAssigned(conversation))?;
        self.file(conversation, need, priority, since, true)?;
        Ok(agent)
    }

    /// The agent goes offline; their conversations are returned (for the caller to send back
    /// with each one's need and priority, see [`Router::send_back`]).
    pub fn go_offline(&mut self, agent: AgentId) -> Result<Vec<ConversationId>, RoutingError> {
        self.set_status(agent, AgentStatus::Offline)?;
        let mut held: Vec<ConversationId> = self
            .assigned
            .iter()
            .filter(|(_, a)| **a == agent)
            .map(|(c, _)| *c)
            .collect();
        held.sort();
        Ok(held)
    }

    /// Records an assignment made elsewhere (an agent replying to a waiting conversation takes
    /// it; a transfer to a named agent), even above the agent's limit.
    pub fn take(
        &mut self,
        conversation: ConversationId,
        agent: AgentId,
    ) -> Result<(), RoutingError> {
        if !self.seats.contains_key(&agent) {
            return Err(RoutingError::UnknownAgent(agent));
        }
        self.withdraw(conversation);
        self.release(conversation);
        self.unlist(agent);
        let seq = self.next_seq();
        if let Some(s) = self.seats.get_mut(&agent) {
            s.active += 1;
            s.last_assigned = seq;
        }
        self.list(agent);
        self.assigned.insert(conversation, agent);
        Ok(())
    }

    /// Makes the next assignment: the most urgent waiting conversation that an agent has room
    /// for, to the least-loaded such agent. `None` when nobody who waits can be served now.
    pub fn assign_next(&mut self) -> Option<(ConversationId, AgentId)> {
        let mut best: Option<(&QueueKey, &Group)> = None;
        for (group, agents) in &self.free {
            if agents.is_empty() {
                continue;
            }
            if let Some(head) = self.queues.get(group).and_then(BTreeSet::first)
                && best.is_none_or(|(b, _)| head < b)
            {
                best = Some((head, group));
            }
        }
        let (key, group) = best?;
        let conversation = key.4;
        let agent = self.free.get(group)?.first()?.2;
        self.withdraw(conversation);
        self.take(conversation, agent).ok()?;
        Some((conversation, agent))
    }

    /// Makes every assignment possible now, in order.
    pub fn assign_all(&mut self) -> Vec<(ConversationId, AgentId)> {
        std::iter::from_fn(|| self.assign_next()).collect()
    }

    /// A waiting conversation's place in its group's queue (0 = next), if it waits.
    pub fn position(&self, conversation: ConversationId) -> Option<usize> {
        let w = self.waiting.get(&conversation)?;
        let queue = self.queues.get(&w.group)?;
        Some(queue.range(..w.key).count())
    }

    /// How long a conversation at `position` may wait: its group's online agents together free
    /// `capacity` seats per `handle_ms` (one average conversation); `None` while nobody of the
    /// group is online.
    pub fn estimated_wait_ms(&self, conversation: ConversationId, handle_ms: i64) -> Option<i64> {
        let position = self.position(conversation)?;
        let capacity = self.capacity(&self.waiting.get(&conversation)?.group);
        wait_estimate_ms(position, capacity, handle_ms)
    }

    /// Files a conversation again from wherever routing had it (waiting in another queue,
    /// held by an agent): how the server makes routing agree with the log after a transfer, a
    /// send-back or a restart.
    pub fn requeue(
        &mut self,
        conversation: ConversationId,
        need: &Need,
        priority: Priority,
        since: Timestamp,
        sent_back: bool,
    ) {
        self.withdraw(conversation);
        self.release(conversation);
        // Cannot be refused: the conversation was just taken out of every queue.
        let _ = self.file(conversation, need, priority, since, sent_back);
    }

    /// Every non-empty queue, next conversation first, with the seats its online agents have.
    pub fn queues(&self) -> Vec<QueueSnapshot> {
        let mut out: Vec<QueueSnapshot> = self
            .queues
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(group, q)| QueueSnapshot {
                tier: group.0,
                skill: group.1.clone(),
                capacity: self.capacity(group),
                waiting: q.iter().map(|k| k.4).collect(),
            })
            .collect();
        out.sort_by(|a, b| (a.tier, &a.skill).cmp(&(b.tier, &b.skill)));
        out
    }

    /// Seats the online agents of a group have in all.
    fn capacity(&self, group: &Group) -> u32 {
        self.seats
            .values()
            .filter(|s| s.seat.status == AgentStatus::Online)
            .filter(|s| s.groups().any(|g| g == *group))
            .map(|s| s.seat.max_concurrent)
            .sum()
    }

    /// Every agent with how many conversations they hold.
    pub fn seats(&self) -> impl Iterator<Item = (&Seat, u32)> {
        self.seats.values().map(|s| (&s.seat, s.active))
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Who holds a conversation.
    pub fn holder(&self, conversation: ConversationId) -> Option<AgentId> {
        self.assigned.get(&conversation).copied()
    }

    /// How many conversations an agent holds.
    pub fn load(&self, agent: AgentId) -> Option<u32> {
        self.seats.get(&agent).map(|s| s.active)
    }

    /// The routing invariants, for tests and simulations: no agent above their limit unless an
    /// assignment was made to them by hand, and nobody waiting whom an agent with room could
    /// take. Returns what is wrong.
    pub fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (group, agents) in &self.free {
            let waiting = self.queues.get(group).map_or(0, BTreeSet::len);
            if !agents.is_empty() && waiting > 0 {
                out.push(format!(
                    "{waiting} waiting for {group:?} while {} agents have room",
                    agents.len()
                ));
            }
        }
        for s in self.seats.values() {
            let listed = s
                .groups()
                .all(|g| self.free.get(&g).is_some_and(|f| f.contains(&s.load_key())));
            if s.available() != listed {
                out.push(format!("agent {} is listed wrongly", s.seat.agent));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seat(tier: Tier, skills: &[&str], max: u32) -> Seat {
        Seat {
            agent: AgentId::new(),
            tier,
            skills: skills.iter().map(|s| s.to_string()).collect(),
            max_concurrent: max,
            status: AgentStatus::Online,
        }
    }

    fn need(tier: Tier, skill: Option<&str>) -> Need {
        Need {
            tier,
            skill: skill.map(str::to_owned),
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_millis(s * 1_000)
    }

    #[test]
    fn a_shop_without_a_crisis_team_gives_major_complaints_to_the_nearest_tier() {
        let mut r = Router::new();
        let standard = seat(Tier::Standard, &["售后"], 2);
        r.upsert_agent(standard.clone());
        let crisis = ConversationId::new();
        r.enqueue(
            crisis,
            &need(Tier::Crisis, Some("售后")),
            Priority::Crisis,
            t(1),
        )
        .expect("new");
        assert_eq!(r.assign_all(), vec![(crisis, standard.agent)]);
        // Once an expert exists, expert work goes to the experts only.
        let expert = seat(Tier::Expert, &[], 1);
        r.upsert_agent(Seat {
            status: AgentStatus::Offline,
            ..expert.clone()
        });
        let defect = ConversationId::new();
        r.enqueue(defect, &need(Tier::Expert, None), Priority::HumanOnly, t(2))
            .expect("new");
        assert_eq!(
            r.assign_all(),
            vec![],
            "the expert is offline: it waits for them"
        );
        r.set_status(expert.agent, AgentStatus::Online)
            .expect("known");
        assert_eq!(r.assign_all(), vec![(defect, expert.agent)]);
        assert!(r.violations().is_empty());
    }

    #[test]
    fn the_most_urgent_goes_first_then_the_longest_waiting() {
        let mut r = Router::new();
        let a = seat(Tier::Standard, &[], 1);
        let (normal, vip, old_normal) = (
            ConversationId::new(),
            ConversationId::new(),
            ConversationId::new(),
        );
        let standard = need(Tier::Standard, None);
        r.enqueue(normal, &standard, Priority::Normal, t(10))
            .expect("new");
        r.enqueue(vip, &standard, Priority::Vip, t(30))
            .expect("new");
        r.enqueue(old_normal, &standard, Priority::Normal, t(5))
            .expect("new");
        assert_eq!(r.position(vip), Some(0));
        assert_eq!(r.position(old_normal), Some(1));
        assert_eq!(r.position(normal), Some(2));
        assert_eq!(r.assign_next(), None, "no agent yet");
        r.upsert_agent(a.clone());
        assert_eq!(r.assign_all(), vec![(vip, a.agent)], "one seat: the VIP");
        assert_eq!(r.position(old_normal), Some(0));
        r.release(vip);
        assert_eq!(r.assign_all(), vec![(old_normal, a.agent)]);
        assert!(r.violations().is_empty());
    }

    #[test]
    fn the_least_loaded_eligible_agent_takes_it_and_limits_hold() {
        let mut r = Router::new();
        let busy = seat(Tier::Standard, &["售后"], 3);
        let idle = seat(Tier::Standard, &["售后"], 3);
        let presale = seat(Tier::Standard, &["售前"], 3);
        let expert = seat(Tier::Expert, &["售后"], 3);
        for s in [&busy, &idle, &presale, &expert] {
            r.upsert_agent(s.clone());
        }
        r.take(ConversationId::new(), busy.agent).expect("known");
        let c = ConversationId::new();
        r.enqueue(
            c,
            &need(Tier::Standard, Some("售后")),
            Priority::Normal,
            t(1),
        )
        .expect("new");
        assert_eq!(r.assign_next(), Some((c, idle.agent)));
        // Fill 售后: 3 + 3 seats, one taken already, one just assigned.
        let more: Vec<ConversationId> = (0..6).map(|_| ConversationId::new()).collect();
        for (i, c) in more.iter().enumerate() {
            r.enqueue(
                *c,
                &need(Tier::Standard, Some("售后")),
                Priority::Normal,
                t(2 + i as i64),
            )
            .expect("new");
        }
        let made = r.assign_all();
        assert_eq!(made.len(), 4, "two seats each left for busy and idle");
        assert!(
            made.iter()
                .all(|(_, a)| *a == busy.agent || *a == idle.agent)
        );
        assert_eq!((r.load(busy.agent), r.load(idle.agent)), (Some(3), Some(3)));
        assert_eq!(
            r.waiting(),
            2,
            "the pre-sales and expert agents are not eligible"
        );
        assert!(r.violations().is_empty());
        assert_eq!(r.estimated_wait_ms(more[5], 300_000), Some(2 * 300_000 / 6));
    }

    #[test]
    fn a_skill_nobody_has_falls_back_to_the_whole_tier() {
        let mut r = Router::new();
        let a = seat(Tier::Standard, &["售前"], 2);
        r.upsert_agent(a.clone());
        let c = ConversationId::new();
        r.enqueue(
            c,
            &need(Tier::Standard, Some("特定品类")),
            Priority::Normal,
            t(1),
        )
        .expect("new");
        assert_eq!(r.assign_next(), Some((c, a.agent)));
    }

    #[test]
    fn away_and_busy_agents_take_nothing_new_and_offline_ones_give_back() {
        let mut r = Router::new();
        let a = seat(Tier::Standard, &[], 2);
        let b = seat(Tier::Standard, &[], 2);
        r.upsert_agent(a.clone());
        let standard = need(Tier::Standard, None);
        let (c1, c2, c3) = (
            ConversationId::new(),
            ConversationId::new(),
            ConversationId::new(),
        );
        r.enqueue(c1, &standard, Priority::Normal, t(1))
            .expect("new");
        r.enqueue(c2, &standard, Priority::Normal, t(2))
            .expect("new");
        assert_eq!(r.assign_all().len(), 2);
        r.set_status(a.agent, AgentStatus::Away).expect("known");
        r.release(c1);
        r.enqueue(c3, &standard, Priority::Normal, t(3))
            .expect("new");
        assert_eq!(r.assign_next(), None, "away agents take nothing new");
        r.upsert_agent(b.clone());
        assert_eq!(r.assign_next(), Some((c3, b.agent)));
        let held = r.go_offline(a.agent).expect("known");
        assert_eq!(held, vec![c2]);
        let late = ConversationId::new();
        r.enqueue(late, &standard, Priority::Normal, t(0))
            .expect("new");
        r.send_back(c2, &standard, Priority::Normal, t(2))
            .expect("assigned");
        assert_eq!(
            r.position(c2),
            Some(0),
            "sent back to the front, before even older ones"
        );
        assert_eq!(r.assign_next(), Some((c2, b.agent)));
        assert_eq!(
            r.send_back(c1, &standard, Priority::Normal, t(1)),
            Err(RoutingError::NotAssigned(c1))
        );
        assert!(r.violations().is_empty());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Agent(usize, u32, usize),
        Status(usize, usize),
        Enqueue(usize, usize, usize),
        Release(usize),
        SendBack(usize),
        Offline(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..6usize, 1..4u32, 0..3usize).prop_map(|(a, m, s)| Op::Agent(a, m, s)),
            (0..6usize, 0..4usize).prop_map(|(a, s)| Op::Status(a, s)),
            (0..5usize, 0..3usize, 0..3usize).prop_map(|(p, s, t)| Op::Enqueue(p, s, t)),
            (0..40usize).prop_map(Op::Release),
            (0..40usize).prop_map(Op::SendBack),
            (0..6usize).prop_map(Op::Offline),
        ]
    }

    proptest! {
        #[test]
        fn after_assigning_nobody_waits_whom_an_agent_with_room_could_take(
            ops in proptest::collection::vec(op(), 1..120)
        ) {
            let agents: Vec<AgentId> = (0..6).map(|_| AgentId::new()).collect();
            let skills = [None, Some("售后"), Some("物流")];
            let tiers = [Tier::Standard, Tier::Expert, Tier::Crisis];
            let mut convs: Vec<(ConversationId, Need)> = Vec::new();
            let mut r = Router::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Agent(a, max, s) => r.upsert_agent(Seat {
                        agent: agents[a],
                        tier: tiers[a % 2],
                        skills: skills[s].into_iter().map(str::to_owned).collect(),
                        max_concurrent: max,
                        status: AgentStatus::Online,
                    }),
                    Op::Status(a, s) => {
                        let _ = r.set_status(agents[a], AgentStatus::ALL[s]);
                    }
                    Op::Enqueue(p, s, t) => {
                        let c = ConversationId::new();
                        let n = need(tiers[t], skills[s]);
                        r.enqueue(c, &n, Priority::ALL[p], Timestamp::from_millis(i as i64)).expect("new");
                        convs.push((c, n));
                    }
                    Op::Release(k) => {
                        if let Some((c, _)) = convs.get(k) {
                            r.release(*c);
                        }
                    }
                    Op::SendBack(k) => {
                        if let Some((c, n)) = convs.get(k).cloned() {
                            let _ = r.send_back(c, &n, Priority::Normal, Timestamp::from_millis(i as i64));
                        }
                    }
                    Op::Offline(a) => {
                        if let Ok(held) = r.go_offline(agents[a]) {
                            for c in held {
                                let n = convs.iter().find(|(x, _)| *x == c).map(|(_, n)| n.clone());
                                if let Some(n) = n {
                                    r.send_back(c, &n, Priority::Normal, Timestamp::from_millis(i as i64)).expect("held");
                                }
                            }
                        }
                    }
                }
                let made = r.assign_all();
                for (c, a) in &made {
                    prop_assert_eq!(r.holder(*c), Some(*a));
                    let s = &r.seats[a];
                    prop_assert!(s.active <= s.seat.max_concurrent, "{} above its limit", a);
                    prop_assert_eq!(s.seat.status, AgentStatus::Online);
                }
                let v = r.violations();
                prop_assert!(v.is_empty(), "{:?}", v);
            }
        }
    }
}
