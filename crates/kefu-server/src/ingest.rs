//! The write path of a message: decide events with the pure domain functions, append them
//! durably, then push to live sockets. Handlers for the widget, the webhook and the workspace
//! all come through here, so every channel behaves the same.

use crate::desk;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views::{ConversationView, CustomerBrief, LiveFrame, MessageView};
use kefu_bus::Topic;
use kefu_domain::conversation::{
    Opening, decide_agent_reply, decide_close, decide_shopper_message, fold_new,
};
use kefu_domain::*;
use kefu_store::{AppendBatch, IdempotencyRecord, StoreError};

/// How often a write is retried after losing a race with another writer.
pub(crate) const ATTEMPTS: usize = 3;

/// A message that was stored and pushed.
#[derive(Debug, Clone)]
pub struct Posted {
    pub conversation: Conversation,
    pub message: Message,
    /// What the live lint found in an agent's message (recorded with its analysis); empty for
    /// shoppers and the bot.
    pub findings: Vec<Finding>,
}

/// A shopper's message once stored, and the bot's reply to it when the bot serves.
#[derive(Debug, Clone)]
pub struct Received {
    pub posted: Posted,
    pub bot: Option<Posted>,
    /// The bot's decision: `answer`, `clarify` or `hand_off`.
    pub bot_action: Option<&'static str>,
}

/// Builds the idempotency record of a webhook delivery once the ids are decided, so the record
/// is written in the same transaction as the message it answers for.
pub type Receipt<'a> = &'a (dyn Fn(&Posted) -> IdempotencyRecord + Send + Sync);

/// A shopper's message, on any channel.
pub async fn shopper_message(
    state: &AppState,
    customer: &Customer,
    channel: Channel,
    platform: Option<String>,
    text: MessageText,
    receipt: Option<Receipt<'_>>,
) -> ApiResult<Received> {
    let shop = customer.shop;
    let desk = state.desk.for_shop(&*state.store, shop).await?;
    let analyzer = state.text.for_shop(&*state.store, shop).await?;
    let analysis = analyzer.analyze(text.as_str());
    // A shop with a knowledge base to answer from is served by the bot first. A knowledge base
    // that cannot load is not a reason to refuse the message: the bot hands off below.
    let knowledge = state
        .knowledge
        .for_shop(&*state.store, shop, state.clock.now())
        .await
        .inspect_err(|e| tracing::error!(%shop, error = %e.message, "knowledge base unavailable"))
        .ok();
    let bot = !knowledge.as_ref().is_some_and(|k| k.entries.is_empty());
    let vip = customer.vip_level >= crate::bot::VIP_LEVEL;
    let risk = desk::threatens(&analysis);
    let serial = state.locks.lock(customer.id).await;
    let mut attempt = 0;
    let received = loop {
        attempt += 1;
        let current = match state.hot.conversation(customer.id) {
            Some(known) => known.filter(|c| c.state.is_open()),
            None => state.store.open_conversation_of(shop, customer.id).await?,
        };
        let expected = current.as_ref().map(|c| c.version);
        let now = state.clock.now();
        let events = decide_shopper_message(
            shop,
            customer.id,
            current.as_ref(),
            Opening {
                channel,
                platform: platform.clone(),
                bot,
                queue: desk::queue_for(&desk, None, None, vip, risk, now),
            },
            text.clone(),
            now,
        );
        let posted = fold(current, &events)?;
        let batch = AppendBatch {
            shop,
            events: events.clone(),
            conversation: posted.conversation.clone(),
            expected_version: expected,
            idempotency: receipt.map(|r| r(&posted)),
            analyses: vec![crate::text::record(
                &analyzer,
                &posted.message,
                &analysis,
                &[],
            )],
        };
        match state.store.append(batch).await {
            Ok(_) => {
                remember(state, &posted.conversation);
                desk::committed(state, &desk, &posted.conversation, &events);
                publish(state, &posted, CustomerBrief::from(customer));
                let turn = if posted.conversation.state == ConversationState::Bot {
                    let question = crate::bot::Question {
                        posted: &posted,
                        analyzer: &analyzer,
                        analysis: &analysis,
                    };
                    crate::bot::take_turn(state, &desk, customer, knowledge.as_deref(), question)
                        .await
                } else {
                    None
                };
                let (bot, bot_action) = match turn {
                    Some((reply, action)) => (Some(reply), Some(action)),
                    None => (None, None),
                };
                break Received {
                    posted,
                    bot,
                    bot_action,
                };
            }
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => {
                state.hot.forget_conversation(customer.id);
            }
            Err(e) => {
                state.hot.forget_conversation(customer.id);
                return Err(e.into());
            }
        }
    };
    drop(serial);
    crate::alerts::detect::shopper_message(state, &desk, customer, &received.posted, &analysis)
        .await;
    if received.posted.conversation.message_count == 1 {
        // A new conversation: a shopper back within 48 h of a close reopens the question of
        // whether that one was resolved.
        crate::qa::after_return(&*state.store, shop, customer.id, state.clock.now()).await;
    }
    let latest = received.bot.as_ref().unwrap_or(&received.posted);
    if latest.conversation.state == ConversationState::Queued {
        desk::dispatch(state, &desk).await;
    }
    Ok(received)
}

/// An agent's reply. A conversation nobody holds is taken by the replying agent.
pub async fn agent_reply(
    state: &AppState,
    agent: &Agent,
    conversation: ConversationId,
    text: MessageText,
) -> ApiResult<Posted> {
    let desk = state.desk.for_shop(&*state.store, agent.shop).await?;
    let (current, customer) = load(state, agent.shop, conversation).await?;
    let analyzer = state.text.for_shop(&*state.store, agent.shop).await?;
    let analysis = analyzer.analyze(text.as_str());
    // The same check the reply box ran while the agent typed, recorded with the message: the
    // agent may send anyway, and the record shows it.
    let policy = state.lint.policy(&*state.store, agent.shop).await?;
    let findings = state.lint.lint(text.as_str(), policy, state.clock.now());
    let serial = state.locks.lock(customer.id).await;
    let mut current = current;
    let mut attempt = 0;
    let posted = loop {
        attempt += 1;
        let events = decide_agent_reply(&current, agent.id, text.clone(), state.clock.now())?;
        let expected = current.version;
        let mut posted = fold(Some(current), &events)?;
        posted.findings.clone_from(&findings);
        let took = events
            .iter()
            .any(|e| matches!(e.event, Event::Assigned { .. }));
        let batch = AppendBatch {
            shop: agent.shop,
            events: events.clone(),
            conversation: posted.conversation.clone(),
            expected_version: Some(expected),
            idempotency: None,
            analyses: vec![crate::text::record(
                &analyzer,
                &posted.message,
                &analysis,
                &findings,
            )],
        };
        match state.store.append(batch).await {
            Ok(_) => {
                remember(state, &posted.conversation);
                desk::committed(state, &desk, &posted.conversation, &events);
                publish(state, &posted, CustomerBrief::from(&customer));
                break (posted, took);
            }
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => {
                state.hot.forget_conversation(customer.id);
                current = load(state, agent.shop, conversation).await?.0;
            }
            Err(e) => {
                state.hot.forget_conversation(customer.id);
                return Err(e.into());
            }
        }
    };
    drop(serial);
    let (posted, took) = posted;
    if took {
        // Taking a waiting conversation moves everyone behind it up.
        desk::publish_queue_positions(state, &desk);
    }
    Ok(posted)
}

/// Closes a conversation on an agent's behalf.
pub async fn close(
    state: &AppState,
    agent: &Agent,
    conversation: ConversationId,
) -> ApiResult<ConversationView> {
    let desk = state.desk.for_shop(&*state.store, agent.shop).await?;
    let (current, customer) = load(state, agent.shop, conversation).await?;
    let serial = state.locks.lock(customer.id).await;
    let event = decide_close(
        &current,
        Sender::Agent { agent: agent.id },
        state.clock.now(),
    )?;
    let expected = current.version;
    let closed = fold_new(Some(current), std::slice::from_ref(&event))?;
    let event_copy = event.clone();
    let appended = state
        .store
        .append(AppendBatch {
            shop: agent.shop,
            events: vec![event],
            conversation: closed.clone(),
            expected_version: Some(expected),
            idempotency: None,
            analyses: Vec::new(),
        })
        .await;
    if let Err(e) = appended {
        state.hot.forget_conversation(customer.id);
        return Err(e.into());
    }
    remember(state, &closed);
    desk::committed(state, &desk, &closed, &[event_copy]);
    let view = ConversationView::new(&closed, CustomerBrief::from(&customer));
    state.bus.publish(
        Topic::Shop(agent.shop),
        LiveFrame::ConversationUpdated {
            conversation: view.clone(),
        }
        .to_json(),
    );
    drop(serial);
    // Every closed conversation is scored (质检).
    crate::qa::after_close(&*state.store, &closed, state.clock.now()).await;
    // Its agent has room again.
    desk::dispatch(state, &desk).await;
    Ok(view)
}

/// Keeps a just-written conversation as its customer's latest, unless an older write finishing
/// late would overwrite a newer one.
pub(crate) fn remember(state: &AppState, c: &Conversation) {
    let newer_known = state
        .hot
        .conversation(c.customer)
        .flatten()
        .is_some_and(|k| k.id == c.id && k.version > c.version);
    if !newer_known {
        state.hot.remember_conversation(c.customer, Some(c.clone()));
    }
}

/// A conversation of the shop and its customer; 404 for either missing.
pub(crate) async fn load(
    state: &AppState,
    shop: ShopId,
    id: ConversationId,
) -> ApiResult<(Conversation, Customer)> {
    let conversation = state
        .store
        .conversation(shop, id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let customer = state
        .store
        .customer(shop, conversation.customer)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    Ok((conversation, customer))
}

fn fold(current: Option<Conversation>, events: &[Envelope]) -> ApiResult<Posted> {
    let message = events
        .iter()
        .find_map(Envelope::message)
        .ok_or_else(ApiError::internal)?;
    let conversation = fold_new(current, events)?;
    Ok(Posted {
        conversation,
        message,
        findings: Vec::new(),
    })
}

/// Pushes a stored message: the whole picture to the shop's agents, the message alone to the
/// shopper (who must not see internal state such as assignment).
pub(crate) fn publish(state: &AppState, posted: &Posted, customer: CustomerBrief) {
    publish_view(state, posted, MessageView::from(&posted.message), customer);
}

/// [`publish`] with the message's view given (a bot reply carries its action).
pub(crate) fn publish_view(
    state: &AppState,
    posted: &Posted,
    view: MessageView,
    customer: CustomerBrief,
) {
    let shop = posted.conversation.shop;
    let message = LiveFrame::MessageCreated {
        conversation: posted.conversation.id,
        message: view,
    }
    .to_json();
    state.bus.publish(Topic::Shop(shop), message.clone());
    let sla = state
        .desk
        .get(shop)
        .and_then(|d| d.sla_of(posted.conversation.id));
    state.bus.publish(
        Topic::Shop(shop),
        LiveFrame::ConversationUpdated {
            conversation: ConversationView::new(&posted.conversation, customer).with_sla(sla),
        }
        .to_json(),
    );
    state
        .bus
        .publish(Topic::Customer(shop, posted.conversation.customer), message);
}
