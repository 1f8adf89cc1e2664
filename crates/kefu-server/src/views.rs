//! What the API and the live sockets send: JSON views of domain values. Kept apart from the
//! domain so the wire format is explicit (and documented in OpenAPI) and can evolve on purpose.

use kefu_domain::conversation::LastMessage;
use kefu_domain::*;
use kefu_store::OrderStats;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShopView {
    #[schema(value_type = String)]
    pub id: ShopId,
    pub slug: String,
    pub name: String,
}

impl From<&Shop> for ShopView {
    fn from(s: &Shop) -> Self {
        Self {
            id: s.id,
            slug: s.slug.clone(),
            name: s.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    #[schema(value_type = String)]
    pub id: AgentId,
    pub username: String,
    pub display_name: String,
    /// agent | expert | supervisor | admin
    #[schema(value_type = String)]
    pub role: Role,
    /// standard | expert | crisis
    #[schema(value_type = String)]
    pub tier: Tier,
    pub skill_groups: Vec<String>,
    pub max_concurrent: u32,
}

impl From<&Agent> for AgentView {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role,
            tier: a.tier,
            skill_groups: a.skill_groups.clone(),
            max_concurrent: a.max_concurrent,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerBrief {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub nickname: String,
    pub vip_level: u8,
}

impl From<&Customer> for CustomerBrief {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id,
            nickname: c.nickname.clone(),
            vip_level: c.vip_level,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastMessageView {
    pub text: String,
    /// shopper | bot | agent | system
    pub sender: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<&LastMessage> for LastMessageView {
    fn from(m: &LastMessage) -> Self {
        Self {
            text: m.text.clone(),
            sender: m.sender.kind(),
            at: m.at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    #[schema(value_type = String)]
    pub id: ConversationId,
    /// bot | queued | assigned | waiting | closed
    #[schema(value_type = String)]
    pub state: ConversationState,
    /// bot | standard | expert | crisis
    #[schema(value_type = String)]
    pub tier: Tier,
    /// widget | webhook | api
    #[schema(value_type = String)]
    pub channel: Channel,
    pub platform: Option<String>,
    #[schema(value_type = Option<String>)]
    pub assigned_agent_id: Option<AgentId>,
    pub customer: CustomerBrief,
    pub last_message: Option<LastMessageView>,
    pub message_count: u32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Why the bot gave the conversation to people, with its summary for the agent:
    /// `{reason, summary: {topic, question, emotion, order}}`. Absent if it never did.
    #[schema(value_type = Option<Object>)]
    pub hand_off: Option<HandOff>,
    /// While it waits for a person: `{tier, priority, skill?, due?, sent_back?: {agent, reason},
    /// since}`; `due` marks an offline message (留言).
    #[schema(value_type = Option<Object>)]
    pub waiting: Option<Waiting>,
    /// The clock counting down while the shopper waits for a reply.
    pub sla: Option<SlaClockView>,
    /// Made more urgent because the shopper's emotion escalated (情绪升级):
    /// `{priority, reason: negative_words | strong_negative_turn, at}`.
    #[schema(value_type = Option<Object>)]
    pub escalation: Option<Escalation>,
}

/// An SLA countdown as the workspace shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaClockView {
    /// first_response | reply_interval | offline_reply
    #[schema(value_type = String)]
    pub clock: SlaClock,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When it breaches.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// warning | breach, once reached.
    #[schema(value_type = Option<String>)]
    pub level: Option<SlaLevel>,
}

impl From<crate::desk::SlaView> for SlaClockView {
    fn from(v: crate::desk::SlaView) -> Self {
        SlaClockView {
            clock: v.clock,
            started_at: v.started_at,
            due_at: v.due_at,
            level: v.level,
        }
    }
}

impl ConversationView {
    /// With the countdown the desk keeps for it.
    pub fn with_sla(mut self, sla: Option<crate::desk::SlaView>) -> Self {
        self.sla = sla.map(SlaClockView::from);
        self
    }

    pub fn new(c: &Conversation, customer: CustomerBrief) -> Self {
        Self {
            id: c.id,
            state: c.state,
            tier: c.tier,
            channel: c.channel,
            platform: c.platform.clone(),
            assigned_agent_id: c.assigned_agent,
            customer,
            last_message: c.last_message.as_ref().map(LastMessageView::from),
            message_count: c.message_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
            hand_off: c.bot.hand_off.clone(),
            waiting: c.waiting.clone(),
            sla: None,
            escalation: c.escalation,
        }
    }
}

/// An entry the bot named, with its standard question when it still exists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedEntryView {
    #[schema(value_type = String)]
    pub id: KnowledgeEntryId,
    pub key: Option<String>,
    pub question: Option<String>,
}

/// One of the bot's turns, as the agent reviews it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BotTurnView {
    /// The shopper's message and the bot's reply.
    #[schema(value_type = String)]
    pub question_id: MessageId,
    #[schema(value_type = String)]
    pub reply_id: MessageId,
    /// answer | clarify | hand_off
    pub action: &'static str,
    /// The answer's entry, or the two entries offered.
    pub entries: Vec<NamedEntryView>,
    /// For a hand-off: customer_request | human_only_topic | negative_emotion | repeated_miss |
    /// low_confidence | vip | bot_error
    #[schema(value_type = Option<String>)]
    pub reason: Option<HandOffReason>,
    /// The ranker's probability for the best entry, 0–1.
    pub confidence: f32,
    /// The shopper's rating of an answer, once given.
    pub helpful: Option<bool>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl BotTurnView {
    /// `entry` looks an entry up by id among the shop's current entries.
    pub fn new<'a>(
        turn: &kefu_store::BotTurnRecord,
        entry: impl Fn(KnowledgeEntryId) -> Option<&'a KnowledgeEntry>,
    ) -> Self {
        let d = &turn.decision;
        BotTurnView {
            question_id: turn.question,
            reply_id: turn.reply,
            action: d.action(),
            entries: d
                .entries()
                .into_iter()
                .map(|id| {
                    let found = entry(id);
                    NamedEntryView {
                        id,
                        key: found.and_then(|e| e.fields.key.clone()),
                        question: found.map(|e| e.fields.question.clone()),
                    }
                })
                .collect(),
            reason: d.reason(),
            confidence: f32::from(d.confidence()) / 1000.0,
            helpful: turn.helpful,
            at: turn.at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    #[schema(value_type = String)]
    pub id: MessageId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// shopper | bot | agent | system
    pub sender: &'static str,
    #[schema(value_type = Option<String>)]
    pub agent_id: Option<AgentId>,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// For a bot reply: `answer` (the shopper may rate it), `clarify` or `hand_off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_action: Option<&'static str>,
    /// For a bot answer the shopper rated: whether it helped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helpful: Option<bool>,
    /// For an agent's reply as it is sent: what the live lint found (the message went out
    /// anyway, and the record keeps this).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub lint: Vec<kefu_domain::Finding>,
}

impl MessageView {
    /// The views of `messages`, with the bot's replies marked from its `turns`.
    pub fn with_turns(messages: &[Message], turns: &[kefu_store::BotTurnRecord]) -> Vec<Self> {
        messages
            .iter()
            .map(|m| {
                let mut view = MessageView::from(m);
                if let Some(turn) = turns.iter().find(|t| t.reply == m.id) {
                    view.bot_action = Some(turn.decision.action());
                    view.helpful = turn.helpful;
                }
                view
            })
            .collect()
    }
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id,
            conversation_id: m.conversation,
            sender: m.sender.kind(),
            agent_id: m.sender.agent(),
            text: m.text.as_str().to_owned(),
            at: m.at,
            bot_action: None,
            helpful: None,
            lint: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerView {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub external_id: String,
    pub nickname: String,
    /// Phone numbers are never sent in full to the workspace.
    pub phone_masked: Option<String>,
    pub city: Option<String>,
    pub vip_level: u8,
    pub tags: Vec<String>,
    pub order_count: u64,
    pub total_spent_fen: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl CustomerView {
    pub fn new(c: &Customer, stats: OrderStats) -> Self {
        Self {
            id: c.id,
            external_id: c.external_id.clone(),
            nickname: c.nickname.clone(),
            phone_masked: c.phone.as_deref().map(mask_phone),
            city: c.city.clone(),
            vip_level: c.vip_level,
            tags: c.tags.clone(),
            order_count: stats.order_count,
            total_spent_fen: stats.total_spent_fen,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderItemView {
    #[schema(value_type = Option<String>)]
    pub product_id: Option<ProductId>,
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    #[schema(value_type = String)]
    pub id: OrderId,
    pub order_no: String,
    /// unpaid | paid | shipped | received | refunding | refunded | closed
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub total_fen: i64,
    pub items: Vec<OrderItemView>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub shipped_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub refunded_at: Option<Timestamp>,
    pub tracking_no: Option<String>,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        Self {
            id: o.id,
            order_no: o.order_no.clone(),
            status: o.status,
            total_fen: o.total_fen,
            items: o
                .items
                .iter()
                .map(|i| OrderItemView {
                    product_id: i.product_id,
                    sku: i.sku.clone(),
                    name: i.name.clone(),
                    quantity: i.quantity,
                    unit_price_fen: i.unit_price_fen,
                })
                .collect(),
            created_at: o.created_at,
            paid_at: o.paid_at,
            shipped_at: o.shipped_at,
            received_at: o.received_at,
            refunded_at: o.refunded_at,
            tracking_no: o.tracking_no.clone(),
        }
    }
}

/// A frame on a live socket.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum LiveFrame {
    #[serde(rename = "hello")]
    Hello { role: &'static str },
    #[serde(rename = "message.created")]
    MessageCreated {
        #[serde(rename = "conversation_id")]
        conversation: ConversationId,
        message: MessageView,
    },
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation: ConversationView },
    /// To a waiting shopper: their place in the queue (0 = next), the estimated wait (absent
    /// while nobody who could take it is online), and for an offline message its due time;
    /// `waiting: false` (and no position) once a person took the conversation.
    #[serde(rename = "queue.status")]
    QueueStatus {
        #[serde(rename = "conversation_id")]
        conversation: ConversationId,
        waiting: bool,
        position: Option<usize>,
        estimated_wait_ms: Option<i64>,
        due: Option<Timestamp>,
    },
    /// An SLA clock warned or breached.
    #[serde(rename = "sla.signal")]
    SlaSignaled {
        #[serde(rename = "conversation_id")]
        conversation: ConversationId,
        clock: SlaClock,
        level: SlaLevel,
        #[serde(rename = "agent_id")]
        agent: Option<AgentId>,
        at: Timestamp,
    },
    /// An agent reached the shop's daily breach line (red line): for supervisors.
    #[serde(rename = "agent.red_line")]
    RedLine {
        #[serde(rename = "agent_id")]
        agent: AgentId,
        breaches: usize,
    },
    /// An agent reached the shop's daily yellow line (fewer breaches than the red): a first
    /// warning for supervisors.
    #[serde(rename = "agent.yellow_line")]
    YellowLine {
        #[serde(rename = "agent_id")]
        agent: AgentId,
        breaches: usize,
    },
    /// An agent's status changed.
    #[serde(rename = "agent.status")]
    AgentStatus {
        #[serde(rename = "agent_id")]
        agent: AgentId,
        status: AgentStatus,
        since: Timestamp,
    },
    /// Frames were dropped for this socket: the client should re-read from the API.
    #[serde(rename = "resync")]
    Resync,
    #[serde(rename = "pong")]
    Pong,
    /// A supervisor alert was raised or changed (bumped, delivered, acknowledged, resolved,
    /// escalated): the whole alert, to upsert by id.
    #[serde(rename = "alert.updated")]
    Alert { alert: crate::alerts::AlertView },
    /// A ticket is due within the hour (`overdue: false`) or past its due time.
    #[serde(rename = "ticket.reminder")]
    TicketReminder {
        ticket: crate::tickets::TicketView,
        overdue: bool,
    },
}

impl LiveFrame {
    pub fn to_json(&self) -> std::sync::Arc<str> {
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{\"type\":\"resync\"}".to_owned())
            .into()
    }
}
