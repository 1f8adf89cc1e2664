//! The bot's stage of the write path. After a shopper's message is durable in a conversation
//! the bot serves, the bot takes its turn (see `kefu_knowledge::bot`): it reads the shop's
//! knowledge and the shopper's latest order, decides, optionally lets the language model
//! phrase the answer, and appends its decision and reply as a second batch that expects the
//! just-written version — still under the customer's lock, so no other write slips between.
//!
//! The shopper must never be left without a reply: any failure on the way (the knowledge base
//! cannot load, the store cannot read the order, the reply is not a valid message) turns into
//! a hand-off with `bot_error`. Only a failure of the store to take the hand-off itself leaves
//! the conversation in the bot's hands, logged; the shopper's next message tries again.

use crate::desk::ShopDesk;
use crate::error::{ApiError, ApiResult};
use crate::ingest::{ATTEMPTS, Posted, publish_view, remember};
use crate::knowledge::ShopKnowledge;
use crate::state::AppState;
use crate::views::{CustomerBrief, MessageView};
use kefu_domain::conversation::{decide_bot_turn, fold_new};
use kefu_domain::*;
use kefu_knowledge::bot::{BotInput, OrderFacts, hand_off_notice, respond};
use kefu_store::{AppendBatch, StoreError};
use kefu_text::analysis::{Analysis, Analyzer};
use kefu_text::entities::EntityKind;

/// Customers at this VIP level or above are "VIP" for the bot's `vip_to_human` setting.
pub const VIP_LEVEL: u8 = 4;

/// What the shopper wrote, as the bot reads it.
#[derive(Debug)]
pub struct Question<'a> {
    pub posted: &'a Posted,
    pub analyzer: &'a Analyzer,
    pub analysis: &'a Analysis,
}

/// The bot's turn on a message just posted in a conversation it serves. Returns the bot's
/// reply once stored and pushed, with its action (`answer`, `clarify`, `hand_off`), or `None`
/// when the conversation was no longer the bot's (an agent took it meanwhile) or the store
/// refused even the hand-off.
pub async fn take_turn(
    state: &AppState,
    desk: &ShopDesk,
    customer: &Customer,
    knowledge: Option<&ShopKnowledge>,
    question: Question<'_>,
) -> Option<(Posted, &'static str)> {
    let decided = match knowledge {
        Some(k) => decide(state, customer, k, &question).await,
        None => Err(ApiError::internal()),
    };
    let (decision, reply) = decided.unwrap_or_else(|e| {
        tracing::error!(
            conversation = %question.posted.conversation.id,
            error = %e.message,
            "bot turn failed; handing off"
        );
        bot_error(&question)
    });
    let action = decision.action();
    match append(state, desk, customer, &question, decision.clone(), &reply).await {
        Ok(posted) => posted.map(|p| (p, action)),
        Err(e) if decision.reason() != Some(HandOffReason::BotError) => {
            tracing::error!(error = %e.message, "bot reply not stored; handing off");
            let (decision, reply) = bot_error(&question);
            let action = decision.action();
            append(state, desk, customer, &question, decision, &reply)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e.message, "bot hand-off not stored");
                    None
                })
                .map(|p| (p, action))
        }
        Err(e) => {
            tracing::error!(error = %e.message, "bot hand-off not stored");
            None
        }
    }
}

/// Decides and words the turn.
async fn decide(
    state: &AppState,
    customer: &Customer,
    knowledge: &ShopKnowledge,
    question: &Question<'_>,
) -> ApiResult<(BotDecision, MessageText)> {
    let order = latest_order(state, customer, question.analyzer).await?;
    let conversation = &question.posted.conversation;
    let text = question.posted.message.text.as_str();
    let turn = respond(&BotInput {
        settings: &knowledge.settings,
        index: &knowledge.index,
        entries: &knowledge.entries,
        text,
        analysis: question.analysis,
        memory: &conversation.bot,
        vip: customer.vip_level >= VIP_LEVEL,
        order: order.as_ref(),
    });
    let mut reply = turn.reply;
    if let (Some(phraser), BotDecision::Answer { entry, .. }) = (&state.phraser, &turn.decision)
        && let Some(found) = knowledge.entries.iter().find(|e| e.id == *entry)
    {
        let shop = state.store.shop(customer.shop).await?;
        let shop_name = shop.map(|s| s.shop.name).unwrap_or_default();
        let id = found.id.to_string();
        let grounding = [crate::llm::Grounding {
            id: &id,
            question: &found.fields.question,
            answer: &found.fields.answer,
        }];
        reply = phraser
            .phrase(question.analyzer, &shop_name, text, &grounding, &reply)
            .await
            .text;
    }
    let reply = MessageText::parse(&reply).map_err(|e| {
        tracing::error!(error = %e, "the bot's reply is not a valid message");
        ApiError::internal()
    })?;
    Ok((turn.decision, reply))
}

/// The shopper's latest order as answers quote it, with the carrier read off its tracking
/// number.
pub(crate) async fn latest_order(
    state: &AppState,
    customer: &Customer,
    analyzer: &Analyzer,
) -> ApiResult<Option<OrderFacts>> {
    let orders = state
        .store
        .customer_orders(customer.shop, customer.id, 1)
        .await?;
    Ok(orders.first().map(|order| {
        let carrier = order.tracking_no.as_deref().and_then(|no| {
            analyzer
                .analyze(&format!("快递单号{no}"))
                .entities
                .into_iter()
                .find(|e| e.kind == EntityKind::TrackingNo)
                .and_then(|e| e.carrier)
        });
        OrderFacts::of(order, carrier)
    }))
}

/// The hand-off that any failure turns into.
fn bot_error(question: &Question<'_>) -> (BotDecision, MessageText) {
    let conversation = &question.posted.conversation;
    let decision = BotDecision::HandOff {
        reason: HandOffReason::BotError,
        confidence: 0,
        after: conversation.bot.last_answer,
        summary: HandOffSummary {
            topic: None,
            question: question.posted.message.text.as_str().to_owned(),
            emotion: question
                .analysis
                .emotion
                .label
                .map(|e| e.as_str().to_owned()),
            order: None,
        },
    };
    let notice = hand_off_notice(HandOffReason::BotError);
    let reply = MessageText::parse(notice).unwrap_or_else(|_| unreachable!("a fixed notice"));
    (decision, reply)
}

/// The queue a hand-off goes to (see `kefu_engine::triage`), and the reply the shopper gets:
/// outside staffed hours the hand-off notice says when the message will be answered.
fn hand_off_queue(
    desk: &ShopDesk,
    customer: &Customer,
    question: &Question<'_>,
    decision: &BotDecision,
    reply: &MessageText,
    at: Timestamp,
) -> (QueueRequest, MessageText) {
    let topic = match decision {
        BotDecision::HandOff { summary, .. } => summary.topic.as_deref(),
        _ => None,
    };
    let queue = crate::desk::queue_for(
        desk,
        decision.reason(),
        topic,
        customer.vip_level >= VIP_LEVEL,
        crate::desk::threatens(question.analysis),
        at,
    );
    let reply = match (decision.reason(), queue.due) {
        (Some(_), Some(due)) => MessageText::parse(&offline_notice(due)).unwrap_or(reply.clone()),
        _ => reply.clone(),
    };
    (queue, reply)
}

/// What a shopper handed off outside staffed hours is told.
pub fn offline_notice(due: Timestamp) -> String {
    format!(
        "现在不是人工客服的服务时间，您的留言已经记下了，客服会在 {} 前回复您。",
        due.to_shop_minute()
    )
}

/// Appends the turn after the shopper's message and pushes the reply.
async fn append(
    state: &AppState,
    desk: &ShopDesk,
    customer: &Customer,
    question: &Question<'_>,
    decision: BotDecision,
    reply: &MessageText,
) -> ApiResult<Option<Posted>> {
    let shop = customer.shop;
    let (queue, reply) = hand_off_queue(
        desk,
        customer,
        question,
        &decision,
        reply,
        state.clock.now(),
    );
    let mut current = question.posted.conversation.clone();
    let mut attempt = 0;
    loop {
        attempt += 1;
        if current.state != ConversationState::Bot {
            return Ok(None);
        }
        let events = decide_bot_turn(
            &current,
            question.posted.message.id,
            decision.clone(),
            reply.clone(),
            queue.clone(),
            state.clock.now(),
        )?;
        let message = events
            .iter()
            .find_map(Envelope::message)
            .ok_or_else(ApiError::internal)?;
        let conversation = fold_new(Some(current.clone()), &events)?;
        let batch = AppendBatch {
            shop,
            events: events.clone(),
            conversation: conversation.clone(),
            expected_version: Some(current.version),
            idempotency: None,
            analyses: Vec::new(),
        };
        match state.store.append(batch).await {
            Ok(_) => {
                let posted = Posted {
                    conversation,
                    message,
                    findings: Vec::new(),
                };
                remember(state, &posted.conversation);
                crate::desk::committed(state, desk, &posted.conversation, &events);
                let view = MessageView {
                    bot_action: Some(decision.action()),
                    ..MessageView::from(&posted.message)
                };
                publish_view(state, &posted, view, CustomerBrief::from(customer));
                return Ok(Some(posted));
            }
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => {
                state.hot.forget_conversation(customer.id);
                current = state
                    .store
                    .conversation(shop, current.id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("conversation"))?;
            }
            Err(e) => {
                state.hot.forget_conversation(customer.id);
                return Err(e.into());
            }
        }
    }
}

/// The shopper says whether the bot's answer `reply` helped. Each answer is rated once; only
/// the shopper of the conversation can rate it, and only answers (not questions back or
/// hand-off notices) can be rated.
pub async fn rate(
    state: &AppState,
    customer: &Customer,
    reply: MessageId,
    helpful: bool,
) -> ApiResult<()> {
    let shop = customer.shop;
    let not_found = || ApiError::not_found("bot answer");
    let turn = state
        .store
        .bot_turn_by_reply(shop, reply)
        .await?
        .ok_or_else(not_found)?;
    let BotDecision::Answer { entry, .. } = turn.decision else {
        return Err(not_found());
    };
    let _serial = state.locks.lock(customer.id).await;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = state
            .store
            .conversation(shop, turn.conversation)
            .await?
            .filter(|c| c.customer == customer.id)
            .ok_or_else(not_found)?;
        // Read again under the lock: a second rating racing the first must see it.
        let rated = state.store.bot_turn_by_reply(shop, reply).await?;
        if rated.is_some_and(|t| t.helpful.is_some()) {
            return Err(ApiError::new(
                crate::error::ErrorCode::Conflict,
                "this answer was already rated",
            ));
        }
        let event = kefu_domain::conversation::decide_bot_rating(
            &current,
            reply,
            entry,
            helpful,
            state.clock.now(),
        )?;
        let conversation = fold_new(Some(current.clone()), std::slice::from_ref(&event))?;
        let appended = state
            .store
            .append(AppendBatch {
                shop,
                events: vec![event],
                conversation: conversation.clone(),
                expected_version: Some(current.version),
                idempotency: None,
                analyses: Vec::new(),
            })
            .await;
        match appended {
            Ok(_) => {
                remember(state, &conversation);
                return Ok(());
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
