//! What the desk does, as appends to the log: assignments, send-backs, SLA signals, status
//! changes and transfers. Each is decided by a pure domain function on the conversation read
//! under its customer's lock, appended with its version (retried on a concurrent change),
//! folded into the desk and pushed live.
//!
//! Lock order: the shop's dispatch lock, then one customer lock at a time. Request handlers
//! release their customer lock before they dispatch.

use super::{Due, ShopDesk};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::ingest::{ATTEMPTS, load, remember};
use crate::state::AppState;
use crate::views::{ConversationView, CustomerBrief, LiveFrame};
use kefu_bus::Topic;
use kefu_domain::conversation::{
    TransferTarget, decide_assign, decide_send_back, decide_sla_signal, decide_transfer, fold_new,
};
use kefu_domain::*;
use kefu_store::{AppendBatch, StoreError};
use std::time::Duration;

/// How often the timer loop looks for due clocks (a signal is at most this late).
const TIMER_TICK: Duration = Duration::from_millis(500);
/// How long a timer whose append failed waits before it is tried again.
const RETRY_MS: i64 = 5_000;
/// Longest transfer reason, in characters.
const MAX_REASON_CHARS: usize = 200;

/// Appends what `decide` makes of the conversation now, under its customer's lock; `None`
/// when `decide` has nothing to add. Pushes the updated conversation to the shop's agents.
pub(crate) async fn append_decided(
    state: &AppState,
    desk: &ShopDesk,
    conversation: ConversationId,
    customer: CustomerId,
    decide: impl Fn(&Conversation) -> Result<Vec<Envelope>, TransitionError>,
) -> ApiResult<Option<Conversation>> {
    let _serial = state.locks.lock(customer).await;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (current, customer) = load(state, desk.shop, conversation).await?;
        let events = decide(&current)?;
        if events.is_empty() {
            return Ok(None);
        }
        let expected = current.version;
        let next = fold_new(Some(current), &events)?;
        let batch = AppendBatch {
            shop: desk.shop,
            events: events.clone(),
            conversation: next.clone(),
            expected_version: Some(expected),
            idempotency: None,
            analyses: Vec::new(),
        };
        match state.store.append(batch).await {
            Ok(_) => {
                remember(state, &next);
                committed(state, desk, &next, &events);
                publish_conversation(state, desk, &next, CustomerBrief::from(&customer));
                return Ok(Some(next));
            }
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => {
                state.hot.forget_conversation(customer.id);
            }
            Err(e) => {
                state.hot.forget_conversation(customer.id);
                return Err(e.into());
            }
        }
    }
}

/// Folds appended events into the desk and announces what they turned up: SLA signals to
/// the shop's agents, and agents reaching the red line to the supervisors.
pub(crate) fn committed(
    state: &AppState,
    desk: &ShopDesk,
    conversation: &Conversation,
    events: &[Envelope],
) {
    let observed = desk.observe(conversation, events);
    let topic = Topic::Shop(desk.shop);
    for e in events {
        if let Event::SlaSignaled { signal, .. } = &e.event {
            let frame = LiveFrame::SlaSignaled {
                conversation: conversation.id,
                clock: signal.clock,
                level: signal.level,
                agent: signal.agent,
                at: signal.at,
            };
            state.bus.publish(topic, frame.to_json());
        }
    }
    for (agent, breaches, line) in observed.flagged {
        let frame = match line {
            super::Line::Red => LiveFrame::RedLine { agent, breaches },
            super::Line::Yellow => LiveFrame::YellowLine { agent, breaches },
        };
        state.bus.publish(topic, frame.to_json());
        tokio::spawn(crate::alerts::detect::agent_line(
            state.clone(),
            desk.shop,
            agent,
            breaches,
            line,
        ));
    }
    let breached = events.iter().any(|e| {
        matches!(&e.event, Event::SlaSignaled { signal, .. } if signal.level == SlaLevel::Breach)
    });
    if breached {
        // Off the customer's lock: the check reads the shop's recent breaches.
        tokio::spawn(crate::alerts::detect::sla_breach(state.clone(), desk.shop));
    }
}

/// Pushes a conversation's new state, with its countdown, to the shop's agents.
pub(crate) fn publish_conversation(
    state: &AppState,
    desk: &ShopDesk,
    conversation: &Conversation,
    customer: CustomerBrief,
) {
    let view = ConversationView::new(conversation, customer).with_sla(desk.sla_of(conversation.id));
    state.bus.publish(
        Topic::Shop(desk.shop),
        LiveFrame::ConversationUpdated { conversation: view }.to_json(),
    );
}

/// Tells waiting shoppers whose place in the queue moved where they stand now.
pub fn publish_queue_positions(state: &AppState, desk: &ShopDesk) {
    for (conversation, customer, status) in desk.changed_positions() {
        let frame = LiveFrame::QueueStatus {
            conversation,
            waiting: status.is_some(),
            position: status.map(|s| s.position),
            estimated_wait_ms: status.and_then(|s| s.estimated_wait_ms),
            due: status.and_then(|s| s.due),
        };
        state
            .bus
            .publish(Topic::Customer(desk.shop, customer), frame.to_json());
    }
}

/// Makes every assignment possible now: the most urgent waiting conversation to the
/// least-loaded online agent with room, again and again, each appended as `Assigned`.
pub async fn dispatch(state: &AppState, desk: &ShopDesk) {
    let _one = desk.dispatching.lock().await;
    while let Some((conversation, customer, agent)) = desk.next_assignment() {
        let now = state.clock.now();
        let assigned = append_decided(state, desk, conversation, customer, |c| {
            match c.state {
                ConversationState::Queued => decide_assign(c, agent, now).map(|e| vec![e]),
                // Someone took it or it closed meanwhile: nothing to assign.
                _ => Ok(Vec::new()),
            }
        })
        .await;
        match assigned {
            Ok(Some(_)) => {}
            Ok(None) => resync(state, desk, conversation).await,
            Err(e) => {
                tracing::error!(%conversation, error = %e.message, "assignment not stored");
                resync(state, desk, conversation).await;
                // The store is in trouble: stop here rather than spin; the next event or the
                // timer loop dispatches again.
                break;
            }
        }
    }
    publish_queue_positions(state, desk);
}

/// Routing decided on a conversation the log disagrees with: read the log's version back.
async fn resync(state: &AppState, desk: &ShopDesk, conversation: ConversationId) {
    match state.store.conversation(desk.shop, conversation).await {
        Ok(Some(c)) => desk.resync(&c),
        Ok(None) => {}
        Err(e) => tracing::error!(%conversation, error = %e, "conversation not read back"),
    }
}

/// Records every SLA signal that came due and sends back conversations whose agent stayed
/// silent past the limit, in every shop built so far; then assigns what can be. Returns how
/// many conversations it acted on.
pub async fn tick(state: &AppState) -> usize {
    let now = state.clock.now();
    let mut acted = 0;
    for desk in state.desk.loaded() {
        let due = desk.due(now);
        if due.is_empty() {
            continue;
        }
        let mut sent_back = false;
        for d in due {
            match act_on(state, &desk, &d, now).await {
                Ok(back) => {
                    acted += 1;
                    sent_back |= back;
                }
                Err(e) => {
                    tracing::error!(conversation = %d.conversation, error = %e.message, "timer not recorded; retrying");
                    desk.retry_later(d.conversation, now.plus_millis(RETRY_MS));
                }
            }
        }
        if sent_back {
            dispatch(state, &desk).await;
        }
    }
    acted
}

/// Appends one due timer's signals and, if its agent was silent, the send-back.
async fn act_on(state: &AppState, desk: &ShopDesk, due: &Due, now: Timestamp) -> ApiResult<bool> {
    let signals = due.signals.clone();
    let silent = due.silent;
    let back = append_decided(state, desk, due.conversation, due.customer, |c| {
        let mut events = Vec::with_capacity(signals.len() + 1);
        // Under the customer's lock the desk has every append folded in: a burst answered
        // since the timer woke owes nothing any more.
        let burst = desk.burst_of(c.id);
        for s in signals.iter().filter(|s| Some(s.burst) == burst) {
            events.push(decide_sla_signal(c, *s, now)?);
        }
        if let Some(agent) = silent
            && c.assigned_agent == Some(agent)
            && c.state == ConversationState::Assigned
        {
            let queue = desk.queue_to_return(c);
            events.push(decide_send_back(c, SendBackReason::Silent, queue, now)?);
        }
        Ok(events)
    })
    .await?;
    if back.is_none() {
        // Nothing was owed after all; whatever runs next on it needs its timer.
        desk.refile(due.conversation);
    }
    Ok(back.is_some_and(|c| c.state == ConversationState::Queued))
}

/// Builds every shop's desk and makes the assignments that are possible (a restart with
/// agents online and shoppers waiting).
pub async fn warm(state: &AppState) {
    let shops = match state.store.list_shops().await {
        Ok(shops) => shops,
        Err(e) => {
            tracing::error!(error = %e, "desks not built: shops not listed");
            return;
        }
    };
    for shop in shops {
        match state.desk.for_shop(&*state.store, shop.id).await {
            Ok(desk) => dispatch(state, &desk).await,
            Err(e) => tracing::error!(shop = %shop.slug, error = %e.message, "desk not built"),
        }
    }
}

/// The timer loop: [`tick`], and the alerts' escalations (`alerts::tick`), for as long as the
/// server runs.
pub async fn run_timers(state: AppState) {
    crate::alerts::warm(&state).await;
    let mut interval = tokio::time::interval(TIMER_TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        tick(&state).await;
        crate::alerts::tick(&state).await;
    }
}

/// Sets an agent's status. Going offline sends their conversations back to the front of
/// their queues; coming online lets them take the waiting ones.
pub async fn set_status(
    state: &AppState,
    shop: ShopId,
    agent: AgentId,
    status: AgentStatus,
) -> ApiResult<()> {
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let now = state.clock.now();
    if desk.knows(agent) && desk.status_of(agent) == status {
        // Nothing changes: saying "offline" twice does not send anything back again.
        return Ok(());
    }
    state
        .store
        .set_agent_status(shop, agent, status, now)
        .await
        .map_err(|e| match e {
            StoreError::MissingReference(_) => ApiError::not_found("agent"),
            e => e.into(),
        })?;
    if !desk.knows(agent)
        && let Some(found) = state.store.agent(shop, agent).await?
    {
        // Added since the desk was built: routing learns of them now.
        desk.upsert_agent(&found);
    }
    let held = desk.status_changed(agent, status, now);
    state.bus.publish(
        Topic::Shop(shop),
        LiveFrame::AgentStatus {
            agent,
            status,
            since: now,
        }
        .to_json(),
    );
    if status == AgentStatus::Offline {
        for conversation in held {
            let Some(customer) = desk.customer_of(conversation) else {
                continue;
            };
            let sent = append_decided(state, &desk, conversation, customer, |c| {
                if c.assigned_agent != Some(agent) {
                    return Ok(Vec::new());
                }
                let queue = desk.queue_to_return(c);
                decide_send_back(c, SendBackReason::Offline, queue, now).map(|e| vec![e])
            })
            .await;
            if let Err(e) = sent {
                tracing::error!(%conversation, error = %e.message, "not sent back from an offline agent");
            }
        }
    }
    dispatch(state, &desk).await;
    Ok(())
}

/// Where an agent passes a conversation: to a named agent, or to a tier's queue (optionally
/// one skill group of it), with the reason.
#[derive(Debug, Clone)]
pub struct TransferRequest {
    pub to_agent: Option<AgentId>,
    pub to_tier: Option<Tier>,
    pub to_skill: Option<String>,
    pub reason: String,
}

/// Passes a conversation on. Its holder may transfer it; supervisors and admins may move any
/// open conversation, waiting ones included.
pub async fn transfer(
    state: &AppState,
    by: &Agent,
    conversation: ConversationId,
    request: TransferRequest,
) -> ApiResult<ConversationView> {
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::field(
            "reason",
            format!("say why, in 1 to {MAX_REASON_CHARS} characters"),
        ));
    }
    let shop = by.shop;
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let (current, customer) = load(state, shop, conversation).await?;
    let supervises = matches!(by.role, Role::Supervisor | Role::Admin);
    if !supervises && current.assigned_agent != Some(by.id) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only the agent serving this conversation or a supervisor can transfer it",
        ));
    }
    let target = match (request.to_agent, request.to_tier) {
        (Some(agent), None) => {
            if request.to_skill.is_some() {
                return Err(ApiError::field(
                    "to_skill",
                    "a skill group goes with to_tier, not to_agent",
                ));
            }
            state
                .store
                .agent(shop, agent)
                .await?
                .ok_or_else(|| ApiError::field("to_agent", "no such agent in this shop"))?;
            if desk.status_of(agent) == AgentStatus::Offline {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "that agent is offline; transfer to someone online or to a queue",
                ));
            }
            TransferTarget::Agent(agent)
        }
        (None, Some(Tier::Bot)) => {
            return Err(ApiError::field("to_tier", "standard, expert or crisis"));
        }
        (None, Some(tier)) => {
            if !desk.has_tier(tier) {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!("nobody in this shop serves the {tier} tier"),
                ));
            }
            let skill = match request.to_skill.as_deref().map(str::trim) {
                None => None,
                Some(s) if !s.is_empty() && s.chars().count() <= 32 => Some(s.to_owned()),
                Some(_) => return Err(ApiError::field("to_skill", "1 to 32 characters")),
            };
            let mut queue = desk.queue_to_return(&current);
            queue.tier = tier;
            queue.skill = skill;
            queue.due = None;
            TransferTarget::Queue(queue)
        }
        _ => {
            return Err(ApiError::field(
                "to_agent",
                "give either to_agent or to_tier (with an optional to_skill)",
            ));
        }
    };
    let now = state.clock.now();
    let moved = append_decided(state, &desk, conversation, customer.id, |c| {
        decide_transfer(c, by.id, target.clone(), reason.clone(), now)
    })
    .await?
    .ok_or_else(ApiError::internal)?;
    dispatch(state, &desk).await;
    let latest = state
        .store
        .conversation(shop, conversation)
        .await?
        .unwrap_or(moved);
    Ok(
        ConversationView::new(&latest, CustomerBrief::from(&customer))
            .with_sla(desk.sla_of(conversation)),
    )
}
