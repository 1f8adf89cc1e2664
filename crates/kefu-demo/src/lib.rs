//! A realistic, deterministic demo shop: 贝贝乐母婴旗舰店, a Chinese baby-products (母婴) store
//! with its staff, a few thousand shoppers, a catalogue, ninety days of orders and the event log
//! of its past customer-service conversations.
//!
//! Why it exists: kefu's workspace, routing rules and dashboards are only convincing (and only
//! testable at scale) with data that behaves like a real shop — diapers bought with wipes, a
//! baby growing out of size S, late shipments during a promotion, complaints that reach an
//! expert. Hand-written fixtures cannot show that; random noise does not either.
//!
//! The crate is pure: no I/O, no async and no clock reads. Everything is derived from the
//! `(seed, now)` pair handed to [`generate`], so the same pair always gives the same shop, down
//! to every UUID, and tests or screenshots built on it never drift. All times are placed
//! relative to `now`: orders fall in the 90 days before it, a few conversations are still open
//! at it.

mod catalog;
mod dialogue;
mod ids;
mod knowledge;
mod orders;
mod people;
mod time;

use ids::IdSource;
use kefu_domain::{
    Agent, Customer, Envelope, KnowledgeEntry, Order, OrderStatus, Product, Shop, Timestamp,
};
use std::collections::HashSet;

/// The password of every demo agent. Demo data only: never use it for a real shop.
pub const DEMO_PASSWORD: &str = "kefu-demo";

/// The demo shop's slug, as used in widget and webhook URLs.
pub const DEMO_SHOP_SLUG: &str = "demo";

/// Customers generated before checking the order volume; more are added only if the orders fall
/// short of [`MIN_ORDERS`], so the minimum holds for every seed.
const BASE_CUSTOMERS: usize = 3_900;
/// The order volume the demo promises (dashboards and load tests need a busy shop).
const MIN_ORDERS: usize = 10_000;

/// A member of staff together with the plain-text password the demo seeds for them. The caller
/// hashes it when storing the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAgent {
    pub agent: Agent,
    pub password: String,
}

/// Everything the demo seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoShop {
    pub shop: Shop,
    /// Eight people in three tiers. Index 0 (`xiaomei`, 小美) is a standard 售前/售后 agent,
    /// the one the live demo logs in as.
    pub agents: Vec<DemoAgent>,
    /// In external-id order: `customers[0]` is `C00001`.
    pub customers: Vec<Customer>,
    pub products: Vec<Product>,
    /// In time order of creation.
    pub orders: Vec<Order>,
    /// The knowledge base (百问百答), published: `data/kb.jsonl`.
    pub knowledge: Vec<KnowledgeEntry>,
    /// Past conversations as an event log, in time order (ConversationOpened, MessagePosted, Assigned, Closed …).
    pub events: Vec<Envelope>,
}

/// Generates the demo shop for `seed`, with every timestamp at or before `now`.
///
/// Orders are created in the 90 days before `now`, with a 3-day 店庆大促 starting at local
/// midnight 38 days before `now`. Customer `C00001` (小鱼妈妈) always has several orders, the
/// latest shipped about a day before `now` and not yet received. A handful of conversations
/// (fewer than ten) are open at `now`: some queued, some held by an agent. Shop, staff and
/// products are dated before the window.
pub fn generate(seed: u64, now: Timestamp) -> DemoShop {
    let mut ids = IdSource::new(seed);
    let window = orders::Window::new(now);
    let shop = Shop {
        id: ids.shop(),
        slug: DEMO_SHOP_SLUG.to_owned(),
        name: "贝贝乐母婴旗舰店".to_owned(),
        created_at: window.start.plus_millis(-700 * time::DAY),
    };
    let agents = people::agents(&mut ids, shop.id, window.start);
    let items = catalog::catalogue(
        &mut ids,
        shop.id,
        shop.created_at.plus_millis(30 * time::DAY),
    );
    let shelf = orders::Shelf::new(&items);
    let ctx = orders::Ctx {
        shop: shop.id,
        window,
        items: &items,
        shelf: &shelf,
    };

    let mut profiles = Vec::with_capacity(BASE_CUSTOMERS);
    let mut sim = orders::Sim::default();
    let mut seen = HashSet::new();
    while profiles.len() < BASE_CUSTOMERS || sim.orders.len() < MIN_ORDERS {
        let n = profiles.len() + 1;
        let mut p = people::profile(&mut ids, n, window.start);
        if n == 1 {
            people::showcase(&mut p, window.start);
        }
        sim.add_customer(&mut ids, &ctx, &p, &mut seen, n == 1);
        profiles.push(p);
    }

    let customers = finish_customers(&mut ids, shop.id, &profiles, &sim, now);
    let events = dialogue::conversations(
        &mut ids,
        &dialogue::World {
            shop: shop.id,
            window,
            profiles: &profiles,
            sim: &sim,
            items: &items,
            agents: &agents,
        },
    );

    let mut orders = sim.orders;
    orders.sort_by_key(|o| o.created_at);
    // Drawn last, so adding the knowledge base changed no other id of a seed.
    let knowledge = knowledge::entries(&mut ids, shop.id, window.start);
    DemoShop {
        shop,
        agents: agents
            .into_iter()
            .map(|agent| DemoAgent {
                agent,
                password: DEMO_PASSWORD.to_owned(),
            })
            .collect(),
        customers,
        products: items.into_iter().map(|i| i.product).collect(),
        orders,
        knowledge,
        events,
    }
}

/// Turns profiles into customer rows once their orders are known: the account predates the
/// first order, and tags summarise what an agent would want to know at a glance.
fn finish_customers(
    ids: &mut IdSource,
    shop: kefu_domain::ShopId,
    profiles: &[people::Profile],
    sim: &orders::Sim,
    now: Timestamp,
) -> Vec<Customer> {
    profiles
        .iter()
        .zip(&sim.by_customer)
        .map(|(p, mine)| {
            let first = mine
                .iter()
                .map(|&i| sim.orders[i].created_at)
                .min()
                .unwrap_or(now);
            let created_at = first.plus_millis(-people::account_age(ids, p.returning));
            let spend: i64 = mine
                .iter()
                .map(|&i| &sim.orders[i])
                .filter(|o| {
                    o.paid_at.is_some()
                        && !matches!(o.status, OrderStatus::Refunded | OrderStatus::Refunding)
                })
                .map(|o| o.total_fen)
                .sum();
            let mut tags = Vec::new();
            if now.as_millis() - created_at.as_millis() < 30 * time::DAY {
                tags.push("新客");
            } else if p.returning || mine.len() >= 4 {
                tags.push("老客");
            }
            if spend >= 150_000 {
                tags.push("高价值");
            }
            if p.sensitive {
                tags.push("敏感肌宝宝");
            }
            if p.second_child {
                tags.push("二胎");
            }
            if p.price_sensitive {
                tags.push("价格敏感");
            }
            if p.formula {
                tags.push("奶粉喂养");
            }
            if p.birth > first {
                tags.push("待产");
            }
            Customer {
                id: p.id,
                shop,
                external_id: p.external_id.clone(),
                nickname: p.nickname.clone(),
                phone: p.phone.clone(),
                city: p.city.map(str::to_owned),
                vip_level: people::vip_level(ids, p.activity),
                tags: tags.into_iter().map(str::to_owned).collect(),
                created_at,
            }
        })
        .collect()
}
