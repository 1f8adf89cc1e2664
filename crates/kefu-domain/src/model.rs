//! The shop's world: who serves, who buys, what is sold and ordered.

use crate::ids::*;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Declares a closed set of values with a stable snake_case name used in JSON, SQL and the UI.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

/// A shop: the tenant. Its `slug` appears in widget and webhook URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shop {
    pub id: ShopId,
    pub slug: String,
    pub name: String,
    pub created_at: Timestamp,
}

named_enum!(
    /// What a person may do in the shop.
    Role {
        /// 客服: serves conversations.
        Agent = "agent",
        /// 专家坐席: serves complex, high-value and human-only conversations.
        Expert = "expert",
        /// 主管: watches, reviews, reassigns.
        Supervisor = "supervisor",
        /// 店铺管理员: manages agents, knowledge, rules and settings.
        Admin = "admin",
    }
);

impl Role {
    /// Whether this role may import catalogue and customer data.
    pub fn can_import(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }

    /// Whether this role may write, publish and retire knowledge-base entries and change the
    /// bot's settings. Every role may read and search the knowledge base.
    pub fn can_edit_knowledge(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }
}

named_enum!(
    /// Who serves a conversation, from cheapest to most senior.
    Tier {
        Bot = "bot",
        Standard = "standard",
        Expert = "expert",
        Crisis = "crisis",
    }
);

/// A person who logs into the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub shop: ShopId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub tier: Tier,
    /// Skill groups such as 售前, 售后, 物流, or a product category.
    pub skill_groups: Vec<String>,
    /// How many conversations the agent serves at once.
    pub max_concurrent: u32,
    pub created_at: Timestamp,
}

/// A shopper as the shop knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub shop: ShopId,
    /// The shopper's id on the shop's platform or site; unique within the shop.
    pub external_id: String,
    pub nickname: String,
    pub phone: Option<String>,
    pub city: Option<String>,
    /// 0 = ordinary, 1..=5 = membership levels.
    pub vip_level: u8,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
}

impl Customer {
    /// A shopper seen for the first time on a channel (widget, platform webhook): known only by
    /// the id the channel gives and, if any, a nickname. Imports fill in the rest later.
    pub fn first_contact(
        shop: ShopId,
        external_id: String,
        nickname: Option<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            id: CustomerId::new(),
            shop,
            nickname: nickname.unwrap_or_else(|| external_id.clone()),
            external_id,
            phone: None,
            city: None,
            vip_level: 0,
            tags: Vec::new(),
            created_at: at,
        }
    }
}

/// Masks a phone number for display: `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 7 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub shop: ShopId,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub price_fen: i64,
    /// Free attributes shown to agents and used by rules: 规格, 适用年龄, 成分, 保质期 …
    pub attributes: BTreeMap<String, String>,
    pub created_at: Timestamp,
}

named_enum!(
    /// Where an order is in its life.
    OrderStatus {
        Unpaid = "unpaid",
        Paid = "paid",
        Shipped = "shipped",
        Received = "received",
        Refunding = "refunding",
        Refunded = "refunded",
        Closed = "closed",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub product_id: Option<ProductId>,
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub shop: ShopId,
    /// The platform's order number; unique within the shop.
    pub order_no: String,
    pub customer: CustomerId,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    pub total_fen: i64,
    pub created_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub shipped_at: Option<Timestamp>,
    pub received_at: Option<Timestamp>,
    pub refunded_at: Option<Timestamp>,
    pub tracking_no: Option<String>,
}

impl Order {
    /// The sum of the items, which an imported order's total must equal.
    pub fn items_total_fen(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i.unit_price_fen.saturating_mul(i64::from(i.quantity)))
            .sum()
    }
}

named_enum!(
    /// Whether an agent takes new conversations.
    AgentStatus {
        /// Takes new conversations up to their limit.
        Online = "online",
        /// Serves the conversations they have; takes no new ones.
        Busy = "busy",
        /// Stepped away; takes no new ones (their conversations wait for them a while).
        Away = "away",
        /// Gone; their conversations go back to the queue.
        Offline = "offline",
    }
);

named_enum!(
    /// How urgently a waiting conversation needs a person, least urgent first (the derived
    /// order ranks them).
    Priority {
        Normal = "normal",
        /// The shopper is complaining.
        Complaint = "complaint",
        /// A VIP or high-value customer.
        Vip = "vip",
        /// A topic only people may handle (funds, defects, privacy).
        HumanOnly = "human_only",
        /// A major complaint for the crisis team (重大投诉).
        Crisis = "crisis",
    }
);

named_enum!(
    /// How a conversation reached the shop.
    Channel {
        /// The shop's web chat widget.
        Widget = "widget",
        /// A platform integration posting to the signed webhook.
        Webhook = "webhook",
        /// The HTTP API, called by the shop's own systems.
        Api = "api",
    }
);

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sender {
    Shopper,
    Bot,
    Agent { agent: AgentId },
    System,
}

impl Sender {
    pub fn kind(self) -> &'static str {
        match self {
            Sender::Shopper => "shopper",
            Sender::Bot => "bot",
            Sender::Agent { .. } => "agent",
            Sender::System => "system",
        }
    }

    pub fn agent(self) -> Option<AgentId> {
        match self {
            Sender::Agent { agent } => Some(agent),
            _ => None,
        }
    }
}

/// A message as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub shop: ShopId,
    pub conversation: ConversationId,
    pub sender: Sender,
    pub text: crate::MessageText,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_for_display() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345"), "*****");
    }

    #[test]
    fn enum_names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
