//! Properties the rest of kefu relies on when it seeds the demo shop.

use kefu_demo::{DEMO_PASSWORD, DemoShop, generate};
use kefu_domain::conversation::replay;
use kefu_domain::{
    ConversationState, Event, MessageText, OrderStatus, Role, Sender, Tier, Timestamp,
};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const DAY: i64 = 86_400_000;

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-03-15T06:30:00Z").expect("valid timestamp")
}

/// Generated once and shared: the properties below all read the same shop.
fn shop() -> &'static DemoShop {
    static SHOP: OnceLock<DemoShop> = OnceLock::new();
    SHOP.get_or_init(|| generate(42, now()))
}

#[test]
fn same_seed_and_now_give_identical_data_and_another_seed_differs() {
    let a = shop();
    let b = generate(42, now());
    assert_eq!(a.shop, b.shop);
    assert_eq!(a.agents, b.agents);
    assert_eq!(a.customers, b.customers);
    assert_eq!(a.products, b.products);
    assert_eq!(a.orders, b.orders);
    assert_eq!(a.events, b.events);
    assert_eq!(*a, b);

    let c = generate(43, now());
    assert_ne!(a.shop.id, c.shop.id);
    assert_ne!(a.customers[0].id, c.customers[0].id);
    assert_ne!(a.orders[0].order_no, c.orders[0].order_no);
    assert_ne!(a.events.len() + a.orders.len(), 0);
    assert_ne!(a.events, c.events);
}

#[test]
fn volumes_meet_the_demo_minimums() {
    let s = shop();
    assert!(s.products.len() >= 50, "{} products", s.products.len());
    assert!(
        s.customers.len() >= 2_000,
        "{} customers",
        s.customers.len()
    );
    assert!(s.orders.len() >= 10_000, "{} orders", s.orders.len());
    assert_eq!(s.shop.slug, "demo");
    let categories: HashSet<&str> = s.products.iter().map(|p| p.category.as_str()).collect();
    for c in [
        "纸尿裤",
        "拉拉裤",
        "湿疹膏",
        "护臀霜",
        "奶粉",
        "辅食",
        "湿巾",
        "奶瓶",
        "洗护",
        "玩具",
        "餐具",
    ] {
        assert!(categories.contains(c), "missing category {c}");
    }
    assert!(
        s.products
            .iter()
            .all(|p| p.price_fen > 0 && p.attributes.contains_key("品牌"))
    );
}

#[test]
fn eight_agents_in_three_tiers_with_the_first_a_standard_agent() {
    let s = shop();
    assert_eq!(s.agents.len(), 8);
    let tiers: HashSet<Tier> = s.agents.iter().map(|a| a.agent.tier).collect();
    assert_eq!(
        tiers,
        HashSet::from([Tier::Standard, Tier::Expert, Tier::Crisis])
    );
    let count = |t: Tier| s.agents.iter().filter(|a| a.agent.tier == t).count();
    assert_eq!(
        (
            count(Tier::Standard),
            count(Tier::Expert),
            count(Tier::Crisis)
        ),
        (5, 2, 1)
    );
    let first = &s.agents[0].agent;
    assert_eq!((first.role, first.tier), (Role::Agent, Tier::Standard));
    assert!(first.skill_groups.iter().any(|g| g == "售前"));
    assert!(first.skill_groups.iter().any(|g| g == "售后"));
    assert!(
        s.agents
            .iter()
            .any(|a| a.agent.role == Role::Supervisor && a.agent.tier == Tier::Crisis)
    );
    for a in &s.agents {
        assert_eq!(a.password, DEMO_PASSWORD);
        assert!(a.agent.username.is_ascii());
        assert!((3..=8).contains(&a.agent.max_concurrent));
        assert_eq!(a.agent.shop, s.shop.id);
    }
}

#[test]
fn identifiers_are_unique() {
    let s = shop();
    let unique = |xs: Vec<&str>| {
        let n = xs.len();
        xs.into_iter().collect::<HashSet<_>>().len() == n
    };
    assert!(unique(
        s.customers.iter().map(|c| c.external_id.as_str()).collect()
    ));
    assert!(unique(
        s.orders.iter().map(|o| o.order_no.as_str()).collect()
    ));
    assert!(unique(s.products.iter().map(|p| p.sku.as_str()).collect()));
    assert!(unique(
        s.agents.iter().map(|a| a.agent.username.as_str()).collect()
    ));
    let event_ids: HashSet<_> = s.events.iter().map(|e| e.id).collect();
    assert_eq!(event_ids.len(), s.events.len());
    assert_eq!(s.customers[0].external_id, "C00001");
    for (i, c) in s.customers.iter().enumerate() {
        assert_eq!(c.external_id, format!("C{:05}", i + 1));
    }
}

#[test]
fn customers_look_like_real_shoppers() {
    let s = shop();
    for c in &s.customers {
        assert!(!c.nickname.is_empty());
        assert!(c.vip_level <= 5);
        if let Some(phone) = &c.phone {
            assert_eq!(phone.len(), 11, "{phone}");
            assert!(phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(
                ["13", "15", "17", "18", "19"].contains(&&phone[..2]),
                "{phone}"
            );
        }
    }
    let low = s.customers.iter().filter(|c| c.vip_level <= 1).count();
    let high = s.customers.iter().filter(|c| c.vip_level >= 4).count();
    assert!(
        low > 3 * high,
        "vip levels should skew low: {low} vs {high}"
    );
    let first_order: HashMap<_, Timestamp> = s
        .orders
        .iter()
        .rev()
        .map(|o| (o.customer, o.created_at))
        .collect();
    for c in &s.customers {
        let first = first_order.get(&c.id).expect("every customer has an order");
        assert!(
            c.created_at < *first,
            "{} created after first order",
            c.external_id
        );
    }
    let tags: HashSet<&str> = s
        .customers
        .iter()
        .flat_map(|c| c.tags.iter().map(String::as_str))
        .collect();
    for t in ["新客", "老客", "高价值", "敏感肌宝宝", "二胎", "价格敏感"] {
        assert!(tags.contains(t), "no customer tagged {t}");
    }
}

#[test]
fn orders_are_consistent_and_inside_the_window() {
    let s = shop();
    let now = now();
    let start = now.plus_millis(-90 * DAY);
    let customers: HashSet<_> = s.customers.iter().map(|c| c.id).collect();
    let skus: HashSet<&str> = s.products.iter().map(|p| p.sku.as_str()).collect();
    let mut late = 0;
    for o in &s.orders {
        assert_eq!(o.total_fen, o.items_total_fen(), "{}", o.order_no);
        assert!(!o.items.is_empty());
        assert!(
            o.items
                .iter()
                .all(|i| skus.contains(i.sku.as_str()) && i.quantity > 0)
        );
        assert!(customers.contains(&o.customer));
        assert!(
            (18..=19).contains(&o.order_no.len()) && o.order_no.bytes().all(|b| b.is_ascii_digit())
        );
        let times = [
            Some(o.created_at),
            o.paid_at,
            o.shipped_at,
            o.received_at,
            o.refunded_at,
        ];
        for t in times.iter().flatten() {
            assert!(
                start <= *t && *t <= now,
                "{} outside the window",
                o.order_no
            );
        }
        let chain: Vec<Timestamp> = [Some(o.created_at), o.paid_at, o.shipped_at, o.received_at]
            .into_iter()
            .flatten()
            .collect();
        assert!(
            chain.windows(2).all(|w| w[0] <= w[1]),
            "{} out of order",
            o.order_no
        );
        if let Some(r) = o.refunded_at {
            assert!(o.paid_at.is_some_and(|p| p <= r));
        }
        assert_eq!(o.tracking_no.is_some(), o.shipped_at.is_some());
        match o.status {
            OrderStatus::Unpaid | OrderStatus::Closed => assert!(o.paid_at.is_none()),
            OrderStatus::Paid => assert!(o.paid_at.is_some() && o.shipped_at.is_none()),
            OrderStatus::Shipped => assert!(o.shipped_at.is_some() && o.received_at.is_none()),
            OrderStatus::Received => assert!(o.received_at.is_some() && o.refunded_at.is_none()),
            OrderStatus::Refunding => assert!(o.paid_at.is_some() && o.refunded_at.is_none()),
            OrderStatus::Refunded => assert!(o.refunded_at.is_some()),
        }
        if o.status == OrderStatus::Closed {
            assert!(now.as_millis() - o.created_at.as_millis() > DAY);
        }
        if let (Some(p), Some(sh)) = (o.paid_at, o.shipped_at)
            && sh.as_millis() - p.as_millis() > DAY
        {
            late += 1;
        }
    }
    let n = s.orders.len();
    let refunds = s
        .orders
        .iter()
        .filter(|o| matches!(o.status, OrderStatus::Refunding | OrderStatus::Refunded))
        .count();
    assert!(
        refunds * 100 >= 2 * n && refunds * 100 <= 6 * n,
        "{refunds} refunds of {n}"
    );
    assert!(s.orders.iter().any(|o| o.status == OrderStatus::Closed));
    assert!(late > 0 && late * 10 < n, "{late} late shipments of {n}");
    // Recent orders are still in flight, old ones have arrived.
    let recent = |st| {
        s.orders
            .iter()
            .any(|o| o.status == st && now.as_millis() - o.created_at.as_millis() < 3 * DAY)
    };
    assert!(
        recent(OrderStatus::Paid) && recent(OrderStatus::Shipped) && recent(OrderStatus::Unpaid)
    );
    assert!(
        s.orders
            .iter()
            .filter(|o| now.as_millis() - o.created_at.as_millis() > 20 * DAY)
            .all(|o| o.status != OrderStatus::Shipped && o.status != OrderStatus::Paid)
    );
    assert!(
        s.orders
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
}

#[test]
fn the_showcase_customer_has_history_and_a_parcel_on_its_way() {
    let s = shop();
    let c1 = &s.customers[0];
    let mine: Vec<_> = s.orders.iter().filter(|o| o.customer == c1.id).collect();
    assert!(mine.len() >= 3, "C00001 has {} orders", mine.len());
    let last = mine.last().expect("has orders");
    assert_eq!(last.status, OrderStatus::Shipped);
    assert!(last.tracking_no.is_some());
    assert!(now().as_millis() - last.created_at.as_millis() < 3 * DAY);
    let chats = s.events.iter().filter(|e| matches!(&e.event, Event::ConversationOpened { customer, .. } if *customer == c1.id)).count();
    assert!(chats >= 1);
}

#[test]
fn the_event_log_replays_and_tells_coherent_conversations() {
    let s = shop();
    let now = now();
    assert!(
        s.events.windows(2).all(|w| w[0].at <= w[1].at),
        "log is in time order"
    );
    assert!(
        s.events
            .iter()
            .all(|e| e.shop == s.shop.id && e.at <= now && e.at >= now.plus_millis(-90 * DAY))
    );
    let conversations = replay(&s.events).expect("the log replays");
    let opened = s
        .events
        .iter()
        .filter(|e| matches!(e.event, Event::ConversationOpened { .. }))
        .count();
    assert_eq!(
        opened,
        conversations.len(),
        "each conversation is opened exactly once"
    );
    assert!(
        conversations.len() >= 300,
        "{} conversations",
        conversations.len()
    );

    let open: Vec<_> = conversations
        .values()
        .filter(|c| c.state.is_open())
        .collect();
    assert!(!open.is_empty() && open.len() <= 10, "{} open", open.len());
    assert!(open.iter().any(|c| c.state == ConversationState::Queued));
    assert!(open.iter().any(|c| matches!(
        c.state,
        ConversationState::Assigned | ConversationState::Waiting
    )));
    assert!(
        open.iter()
            .all(|c| now.as_millis() - c.created_at.as_millis() < 6 * 3_600_000)
    );
    let mut open_customers = HashSet::new();
    assert!(
        open.iter().all(|c| open_customers.insert(c.customer)),
        "one open conversation per customer"
    );

    let customers: HashSet<_> = s.customers.iter().map(|c| c.id).collect();
    let agents: HashSet<_> = s.agents.iter().map(|a| a.agent.id).collect();
    for c in conversations.values() {
        assert!(customers.contains(&c.customer));
        assert!(c.message_count >= 1);
        if let Some(a) = c.assigned_agent {
            assert!(agents.contains(&a));
        }
        if c.state == ConversationState::Closed {
            assert!(c.last_message.is_some() && c.assigned_agent.is_some());
        }
    }
    assert!(
        conversations.values().any(|c| c.tier == Tier::Crisis),
        "a complaint reached the crisis team"
    );
    assert!(conversations.values().any(|c| c.tier == Tier::Expert));
    assert!(
        conversations
            .values()
            .any(|c| c.platform.as_deref() == Some("douyin"))
    );

    let mut first_sender: HashMap<_, Sender> = HashMap::new();
    let mut texts = HashSet::new();
    for e in &s.events {
        if let Event::MessagePosted {
            conversation,
            sender,
            text,
            ..
        } = &e.event
        {
            first_sender.entry(*conversation).or_insert(*sender);
            assert_eq!(MessageText::parse(text.as_str()).as_ref(), Ok(text));
            texts.insert(text.as_str());
        }
        if let Event::Closed { by, .. } = &e.event {
            assert!(matches!(by, Sender::Agent { .. }));
        }
    }
    assert!(
        first_sender.values().all(|s| *s == Sender::Shopper),
        "shoppers speak first"
    );
    assert!(texts.len() > 400, "only {} distinct messages", texts.len());
    // Conversations quote real order numbers.
    let order_nos: HashSet<&str> = s.orders.iter().map(|o| o.order_no.as_str()).collect();
    let quoting = texts
        .iter()
        .filter(|t| order_nos.iter().any(|n| t.contains(n)))
        .count();
    assert!(quoting >= 10, "{quoting} messages quote an order number");
}

#[test]
fn baskets_follow_needs() {
    let s = shop();
    let has = |o: &kefu_domain::Order, cat: &str| {
        o.items.iter().any(|i| {
            s.products
                .iter()
                .any(|p| p.sku == i.sku && p.category == cat)
        })
    };
    let share = |xs: &[&kefu_domain::Order], f: &dyn Fn(&kefu_domain::Order) -> bool| {
        xs.iter().filter(|o| f(o)).count() as f64 / xs.len().max(1) as f64
    };
    let all: Vec<_> = s.orders.iter().collect();
    let diapers: Vec<_> = all.iter().copied().filter(|o| has(o, "纸尿裤")).collect();
    let companions = |o: &kefu_domain::Order| has(o, "湿巾") || has(o, "护臀霜");
    let others: Vec<_> = all
        .iter()
        .copied()
        .filter(|o| !has(o, "纸尿裤") && !has(o, "拉拉裤"))
        .collect();
    let overall = share(&all, &companions);
    let base = share(&others, &companions);
    let with = share(&diapers, &companions);
    assert!(
        with > overall && with > 0.5,
        "diaper companions {with:.2} vs overall {overall:.2}"
    );
    assert!(
        with > 2.0 * base,
        "diaper companions {with:.2} vs orders without diapers {base:.2}"
    );

    let eczema: Vec<_> = all.iter().copied().filter(|o| has(o, "湿疹膏")).collect();
    let lotion = |o: &kefu_domain::Order| o.items.iter().any(|i| i.name.contains("润肤乳"));
    assert!(share(&eczema, &lotion) > 2.0 * share(&all, &lotion));
}

#[test]
fn babies_grow_into_larger_diaper_sizes() {
    let s = shop();
    let size_rank = |sku: &str| {
        ["-NB", "-S", "-M", "-L", "-XL", "-XXL"]
            .iter()
            .position(|c| sku.ends_with(c))
    };
    let mut by_customer: HashMap<_, Vec<usize>> = HashMap::new();
    for o in &s.orders {
        for i in &o.items {
            if i.name.contains("纸尿裤")
                && let Some(r) = size_rank(&i.sku)
            {
                by_customer.entry(o.customer).or_default().push(r);
            }
        }
    }
    let mut grew = 0;
    for sizes in by_customer.values() {
        assert!(
            sizes.windows(2).all(|w| w[0] <= w[1]),
            "a baby shrank: {sizes:?}"
        );
        if sizes.first() < sizes.last() {
            grew += 1;
        }
    }
    assert!(grew >= 50, "only {grew} babies moved up a size");
}

#[test]
fn activity_is_busier_on_weekends_evenings_and_in_the_promotion() {
    let s = shop();
    let cst = |t: Timestamp| t.as_millis() + 8 * 3_600_000;
    let hour = |t: Timestamp| cst(t).rem_euclid(DAY) / 3_600_000;
    let day = |t: Timestamp| cst(t).div_euclid(DAY);
    let evening = s
        .orders
        .iter()
        .filter(|o| (19..23).contains(&hour(o.created_at)))
        .count();
    let morning = s
        .orders
        .iter()
        .filter(|o| (5..9).contains(&hour(o.created_at)))
        .count();
    assert!(evening > 3 * morning);
    let mut per_day: HashMap<i64, usize> = HashMap::new();
    for o in &s.orders {
        *per_day.entry(day(o.created_at)).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_day.values().copied().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    let busiest = counts[counts.len() - 3];
    assert!(
        busiest > 2 * median,
        "three promotion days stand out: {busiest} vs {median}"
    );
    let weekend = |d: i64| (d + 3).rem_euclid(7) >= 5;
    let avg = |f: &dyn Fn(i64) -> bool| {
        let days: Vec<_> = per_day
            .iter()
            .filter(|(d, _)| f(**d))
            .map(|(_, n)| *n)
            .collect();
        days.iter().sum::<usize>() as f64 / days.len().max(1) as f64
    };
    assert!(avg(&weekend) > avg(&|d| !weekend(d)));
}

#[test]
fn generation_is_fast() {
    let started = std::time::Instant::now();
    let s = generate(7, now());
    assert!(s.orders.len() >= 10_000);
    // Well under a second in release; debug builds get head room.
    assert!(started.elapsed().as_secs() < 10);
}
