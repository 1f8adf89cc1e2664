//! Mapping between rows and domain types. Every decode failure is a [`StoreError::Corrupt`]:
//! the database holds only what kefu wrote, so an unreadable row is a bug worth surfacing.

use crate::{MessageAnalysis, Session, ShopRecord, StoreError, StoreResult};
use kefu_domain::conversation::LastMessage;
use kefu_domain::*;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

pub(super) fn get<'r, T>(row: &'r AnyRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col)
        .map_err(|e| StoreError::corrupt(format!("{col}: {e}")))
}

pub(super) fn id<T: FromStr>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let s: String = get(row, col)?;
    s.parse()
        .map_err(|_| StoreError::corrupt(format!("{col}: not an id: {s}")))
}

pub(super) fn opt_id<T: FromStr>(row: &AnyRow, col: &str) -> StoreResult<Option<T>> {
    let s: Option<String> = get(row, col)?;
    s.map(|s| {
        s.parse()
            .map_err(|_| StoreError::corrupt(format!("{col}: not an id: {s}")))
    })
    .transpose()
}

pub(super) fn ts(row: &AnyRow, col: &str) -> StoreResult<Timestamp> {
    Ok(Timestamp::from_millis(get(row, col)?))
}

pub(super) fn opt_ts(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    Ok(get::<Option<i64>>(row, col)?.map(Timestamp::from_millis))
}

pub(super) fn json<T: DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let s: String = get(row, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::corrupt(format!("{col}: {e}")))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain data structs with string keys cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(super) fn named<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    let s: String = get(row, col)?;
    parse(&s).ok_or_else(|| StoreError::corrupt(format!("{col}: unknown value {s}")))
}

fn small<T: TryFrom<i64>>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let n: i64 = get(row, col)?;
    T::try_from(n).map_err(|_| StoreError::corrupt(format!("{col}: out of range {n}")))
}

pub(super) fn shop_record(row: &AnyRow) -> StoreResult<ShopRecord> {
    Ok(ShopRecord {
        shop: shop(row)?,
        webhook_secret: get(row, "webhook_secret")?,
        widget_secret: get(row, "widget_secret")?,
    })
}

pub(super) fn shop(row: &AnyRow) -> StoreResult<Shop> {
    Ok(Shop {
        id: id(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(super) fn agent(row: &AnyRow) -> StoreResult<Agent> {
    Ok(Agent {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        role: named(row, "role", Role::parse)?,
        tier: named(row, "tier", Tier::parse)?,
        skill_groups: json(row, "skill_groups")?,
        max_concurrent: small(row, "max_concurrent")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(super) fn session(row: &AnyRow) -> StoreResult<Session> {
    Ok(Session {
        token_hash: get(row, "token_hash")?,
        shop: id(row, "shop_id")?,
        agent: id(row, "agent_id")?,
        created_at: ts(row, "created_at")?,
        expires_at: ts(row, "expires_at")?,
    })
}

pub(super) fn customer(row: &AnyRow) -> StoreResult<Customer> {
    Ok(Customer {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        external_id: get(row, "external_id")?,
        nickname: get(row, "nickname")?,
        phone: get(row, "phone")?,
        city: get(row, "city")?,
        vip_level: small(row, "vip_level")?,
        tags: json(row, "tags")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(super) fn product(row: &AnyRow) -> StoreResult<Product> {
    Ok(Product {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        sku: get(row, "sku")?,
        name: get(row, "name")?,
        category: get(row, "category")?,
        price_fen: get(row, "price_fen")?,
        attributes: json(row, "attributes")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(super) fn order(row: &AnyRow) -> StoreResult<Order> {
    Ok(Order {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        order_no: get(row, "order_no")?,
        customer: id(row, "customer_id")?,
        status: named(row, "status", OrderStatus::parse)?,
        items: json(row, "items")?,
        total_fen: get(row, "total_fen")?,
        created_at: ts(row, "created_at")?,
        paid_at: opt_ts(row, "paid_at")?,
        shipped_at: opt_ts(row, "shipped_at")?,
        received_at: opt_ts(row, "received_at")?,
        refunded_at: opt_ts(row, "refunded_at")?,
        tracking_no: get(row, "tracking_no")?,
    })
}

/// A sender is stored as its kind plus, for agents, the agent id column.
pub(super) fn sender(kind: &str, agent: Option<AgentId>) -> Option<Sender> {
    match (kind, agent) {
        ("shopper", _) => Some(Sender::Shopper),
        ("bot", _) => Some(Sender::Bot),
        ("system", _) => Some(Sender::System),
        ("agent", Some(agent)) => Some(Sender::Agent { agent }),
        _ => None,
    }
}

pub(super) fn conversation(row: &AnyRow) -> StoreResult<Conversation> {
    let last_at = opt_ts(row, "last_at")?;
    let last_message = match last_at {
        None => None,
        Some(at) => Some(LastMessage {
            text: get::<Option<String>>(row, "last_text")?.unwrap_or_default(),
            sender: json(row, "last_sender")?,
            at,
        }),
    };
    Ok(Conversation {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        customer: id(row, "customer_id")?,
        channel: named(row, "channel", Channel::parse)?,
        platform: get(row, "platform")?,
        state: named(row, "state", ConversationState::parse)?,
        tier: named(row, "tier", Tier::parse)?,
        assigned_agent: opt_id(row, "assigned_agent_id")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        last_message,
        message_count: small(row, "message_count")?,
        bot: match get::<Option<String>>(row, "bot")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::corrupt(format!("conversation bot memory: {e}")))?,
            None => BotMemory::default(),
        },
        waiting: match get::<Option<String>>(row, "waiting")? {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::corrupt(format!("conversation waiting: {e}")))?,
            ),
            None => None,
        },
        escalation: match get::<Option<String>>(row, "escalation")? {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::corrupt(format!("conversation escalation: {e}")))?,
            ),
            None => None,
        },
        version: small(row, "version")?,
    })
}

pub(super) fn message(row: &AnyRow) -> StoreResult<Message> {
    let kind: String = get(row, "sender")?;
    let agent = opt_id(row, "agent_id")?;
    Ok(Message {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        conversation: id(row, "conversation_id")?,
        sender: sender(&kind, agent)
            .ok_or_else(|| StoreError::corrupt(format!("sender: {kind}")))?,
        text: MessageText::parse(&get::<String>(row, "text")?)
            .map_err(|e| StoreError::corrupt(format!("text: {e}")))?,
        at: ts(row, "at")?,
    })
}

pub(super) fn message_analysis(row: &AnyRow) -> StoreResult<MessageAnalysis> {
    Ok(MessageAnalysis {
        message: id(row, "message_id")?,
        conversation: id(row, "conversation_id")?,
        sender: json(row, "sender")?,
        at: ts(row, "at")?,
        analyzer: get(row, "analyzer")?,
        sentiment: get(row, "sentiment")?,
        score: get(row, "score")?,
        emotion: get(row, "emotion")?,
        intensity: get(row, "intensity")?,
        body: get(row, "body")?,
    })
}

pub(super) const KNOWLEDGE_COLUMNS: &str = "id, shop_id, entry_key, question, similar_questions, answer, tags, \
     products, valid_from, valid_to, status, version, created_at, updated_at, hits, helpful, unhelpful, handoffs";

pub(super) fn knowledge_entry(row: &AnyRow) -> StoreResult<KnowledgeEntry> {
    Ok(KnowledgeEntry {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        fields: EntryDraft {
            key: get(row, "entry_key")?,
            question: get(row, "question")?,
            similar: json(row, "similar_questions")?,
            answer: get(row, "answer")?,
            tags: json(row, "tags")?,
            products: json(row, "products")?,
            valid_from: get(row, "valid_from")?,
            valid_to: get(row, "valid_to")?,
        },
        status: named(row, "status", EntryStatus::parse)?,
        version: get(row, "version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        stats: KnowledgeStats {
            hits: get(row, "hits")?,
            helpful: get(row, "helpful")?,
            unhelpful: get(row, "unhelpful")?,
            handoffs: get(row, "handoffs")?,
        },
    })
}
