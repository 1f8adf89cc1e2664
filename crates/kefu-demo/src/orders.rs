//! The order simulation. Orders are not drawn independently: each family buys what its baby
//! needs at the baby's age on that day (so one customer's diapers go NB → S → M), loyal families
//! come back when their consumables run out, everybody prefers evenings and weekends, and the
//! 3-day 店庆大促 pulls purchases forward. Each order's lifecycle (paid → shipped → received,
//! refunds, unpaid timeouts) is laid out on the time line and cut at `now`, so the status is
//! always the stage that has been reached by then.

use crate::catalog::{self, Item, Kind};
use crate::ids::IdSource;
use crate::people::{Activity, Profile, Source};
use crate::time::{DAY, HOUR, MINUTE, SECOND, local_hour, local_midnight, weekday};
use kefu_domain::{Order, OrderItem, OrderStatus, ShopId, Timestamp};
use std::collections::HashSet;

/// The simulated period.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: Timestamp,
    pub now: Timestamp,
    pub promo_start: Timestamp,
    pub promo_end: Timestamp,
}

impl Window {
    pub fn new(now: Timestamp) -> Self {
        let promo_start = local_midnight(now.plus_millis(-38 * DAY));
        Self {
            start: now.plus_millis(-90 * DAY),
            now,
            promo_start,
            promo_end: promo_start.plus_millis(3 * DAY),
        }
    }

    pub fn in_promo(&self, t: Timestamp) -> bool {
        self.promo_start <= t && t < self.promo_end
    }
}

/// Facts about an order that the public row does not carry but conversations need.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub source: Source,
    /// 顺丰, 圆通 … once shipped.
    pub carrier: Option<&'static str>,
    pub refund_requested_at: Option<Timestamp>,
    pub refund_reason: Option<&'static str>,
    pub promo: bool,
}

/// Relative likelihood of an order being placed at each local hour: busy evenings, a lunch
/// bump and the 3 a.m. night feed.
const HOUR_WEIGHTS: [u32; 24] = [
    5, 3, 2, 2, 1, 1, 2, 4, 5, 6, 7, 7, 8, 8, 7, 7, 7, 6, 6, 8, 11, 13, 12, 8,
];

fn time_on_day(ids: &mut IdSource, day_start: Timestamp) -> Timestamp {
    let hour = i64::try_from(ids.weighted(&HOUR_WEIGHTS)).unwrap_or(20);
    day_start.plus_millis(hour * HOUR + ids.range(0, HOUR))
}

fn day_weight(w: &Window, day_start: Timestamp) -> f64 {
    if w.in_promo(day_start) {
        4.0
    } else if weekday(day_start) >= 5 {
        1.35
    } else {
        1.0
    }
}

/// A time in `[from, to]` weighted by weekday, promotion and hour of day.
fn sample_time(ids: &mut IdSource, w: &Window, from: Timestamp, to: Timestamp) -> Timestamp {
    let first = local_midnight(from);
    let days = (to.as_millis() - first.as_millis()) / DAY + 1;
    for _ in 0..64 {
        let day = first.plus_millis(ids.range(0, days) * DAY);
        if !ids.chance(day_weight(w, day) / 4.0) {
            continue;
        }
        let t = time_on_day(ids, day);
        if from <= t && t <= to {
            return t;
        }
    }
    Timestamp::from_millis(ids.range(from.as_millis(), to.as_millis().max(from.as_millis() + 1)))
}

/// When a family places its orders in `[w.start, until]`.
fn order_times(ids: &mut IdSource, p: &Profile, w: &Window, until: Timestamp) -> Vec<Timestamp> {
    let from = w.start.plus_millis(MINUTE);
    if until <= from {
        return Vec::new();
    }
    let mut out = match p.activity {
        Activity::OneTime => vec![sample_time(ids, w, from, until)],
        Activity::Occasional => {
            let k = ids.range(2, 4);
            let mut ts: Vec<Timestamp> = (0..k).map(|_| sample_time(ids, w, from, until)).collect();
            ts.sort();
            ts.dedup_by(|b, a| b.as_millis() - a.as_millis() < 3 * DAY);
            ts
        }
        Activity::Loyal | Activity::Heavy => {
            let interval = if p.activity == Activity::Loyal {
                ids.range(15, 36)
            } else {
                ids.range(8, 16)
            } * DAY;
            let mut ts = Vec::new();
            let mut due = from.plus_millis(ids.range(0, interval));
            while due <= until {
                let mut day = local_midnight(due);
                // Stock up in the promotion rather than buying just before it.
                if day < w.promo_start
                    && w.promo_start.as_millis() - day.as_millis() <= 6 * DAY
                    && ids.chance(if p.price_sensitive { 0.9 } else { 0.5 })
                {
                    day = w.promo_start.plus_millis(ids.range(0, 3) * DAY);
                } else if weekday(day) == 4 && ids.chance(0.3) {
                    day = day.plus_millis(DAY);
                }
                let t = time_on_day(ids, day);
                if t > until {
                    break;
                }
                if t >= from && ts.last().is_none_or(|last: &Timestamp| *last < t) {
                    ts.push(t);
                }
                let jitter = ids.range(80, 126);
                due = t.plus_millis(interval / 100 * jitter);
            }
            if ts.is_empty() {
                ts.push(sample_time(ids, w, from, until));
            }
            ts
        }
    };
    out.sort();
    out
}

/// Where each kind of product sits in the catalogue.
#[derive(Debug)]
pub(crate) struct Shelf {
    diapers: Vec<Vec<usize>>,
    pants: Vec<Vec<usize>>,
    formula: Vec<Vec<usize>>,
    wipes: Vec<usize>,
    butt: Vec<usize>,
    eczema: Vec<usize>,
    lotion: Vec<usize>,
    wash: Vec<usize>,
    kit: Vec<usize>,
    cereal: Vec<usize>,
    puree: Vec<usize>,
    snack: Vec<usize>,
    bottle: Vec<usize>,
    nipple: Vec<usize>,
    tableware: Vec<usize>,
    toys: Vec<(usize, i64)>,
}

impl Shelf {
    pub fn new(items: &[Item]) -> Self {
        let mut s = Shelf {
            diapers: vec![vec![0; catalog::DIAPER_SIZES.len()]; catalog::DIAPER_LINES.len()],
            pants: vec![vec![0; catalog::PANTS_SIZES.len()]; catalog::PANTS_LINES.len()],
            formula: vec![vec![0; 3]; catalog::FORMULA_LINES.len()],
            wipes: vec![],
            butt: vec![],
            eczema: vec![],
            lotion: vec![],
            wash: vec![],
            kit: vec![],
            cereal: vec![],
            puree: vec![],
            snack: vec![],
            bottle: vec![],
            nipple: vec![],
            tableware: vec![],
            toys: vec![],
        };
        for (i, item) in items.iter().enumerate() {
            match item.kind {
                Kind::Diaper { line, size } => s.diapers[line][size] = i,
                Kind::Pants { line, size } => s.pants[line][size] = i,
                Kind::Formula { line, stage } => s.formula[line][stage] = i,
                Kind::Wipes => s.wipes.push(i),
                Kind::ButtCream => s.butt.push(i),
                Kind::EczemaCream => s.eczema.push(i),
                Kind::Lotion => s.lotion.push(i),
                Kind::Wash => s.wash.push(i),
                Kind::SensitiveKit => s.kit.push(i),
                Kind::RiceCereal => s.cereal.push(i),
                Kind::Puree => s.puree.push(i),
                Kind::Snack => s.snack.push(i),
                Kind::Bottle => s.bottle.push(i),
                Kind::Nipple => s.nipple.push(i),
                Kind::Tableware => s.tableware.push(i),
                Kind::Toy { min_months } => s.toys.push((i, min_months)),
            }
        }
        s
    }
}

/// What a family buys at once, as (catalogue index, quantity). Needs drive the basket: diapers
/// pull wipes and 护臀霜, 湿疹膏 pulls 润肤乳, formula pulls bottles or 辅食 by age.
fn basket(
    ids: &mut IdSource,
    shelf: &Shelf,
    p: &Profile,
    age_days: i64,
    promo: bool,
) -> Vec<(usize, u32)> {
    let mut lines: Vec<(usize, u32)> = Vec::new();
    let stock = |ids: &mut IdSource, lo: i64, hi: i64| {
        let extra = if promo { 2 } else { 0 };
        u32::try_from(ids.range(lo, hi + 1) + extra).unwrap_or(1)
    };
    let loyal = matches!(p.activity, Activity::Loyal | Activity::Heavy);
    let months = age_days / 30;
    if age_days < 33 * 30 && ids.chance(if loyal { 0.85 } else { 0.7 }) {
        let product = if p.pants && months >= 10 {
            shelf.pants[p.diaper_line][catalog::pants_size_for(age_days)]
        } else {
            shelf.diapers[p.diaper_line][catalog::diaper_size_for(age_days)]
        };
        lines.push((product, stock(ids, 1, 2)));
        if ids.chance(0.55) {
            let wipes = *ids.pick(&shelf.wipes);
            lines.push((wipes, stock(ids, 1, 2)));
        }
        if ids.chance(if months < 6 { 0.45 } else { 0.3 }) {
            let cream = *ids.pick(&shelf.butt);
            lines.push((cream, 1));
        }
    }
    if p.sensitive && ids.chance(0.4) {
        if ids.chance(0.12) {
            lines.push((*ids.pick(&shelf.kit), 1));
        } else {
            lines.push((*ids.pick(&shelf.eczema), 1));
            if ids.chance(0.6) {
                lines.push((*ids.pick(&shelf.lotion), 1));
            }
        }
    }
    if p.formula && age_days >= 0 && ids.chance(0.55) {
        let stage = catalog::formula_stage_for(age_days);
        lines.push((shelf.formula[p.formula_line][stage], stock(ids, 1, 3)));
        if ids.chance(if months < 4 { 0.3 } else { 0.1 }) {
            let bottle = *ids.pick(&shelf.bottle);
            lines.push((bottle, 1));
        }
        if ids.chance(0.12) {
            let nipple = shelf.nipple[usize::try_from(months / 3).unwrap_or(0).min(2)];
            lines.push((nipple, 1));
        }
    }
    if months >= 6 && ids.chance(if p.formula { 0.4 } else { 0.28 }) {
        let pool = if months < 8 {
            [&shelf.cereal[..], &shelf.puree[..]].concat()
        } else {
            [&shelf.cereal[..], &shelf.puree[..], &shelf.snack[..]].concat()
        };
        lines.push((*ids.pick(&pool), stock(ids, 1, 3)));
        if ids.chance(0.12) {
            lines.push((*ids.pick(&shelf.tableware), 1));
        }
    }
    if !p.sensitive && ids.chance(0.1) {
        lines.push((*ids.pick(&shelf.lotion), 1));
    }
    if ids.chance(0.12) {
        lines.push((*ids.pick(&shelf.wash), 1));
    }
    if age_days >= 0 && ids.chance(0.07) {
        let toys: Vec<usize> = shelf
            .toys
            .iter()
            .filter(|(_, min)| *min <= months)
            .map(|(i, _)| *i)
            .collect();
        if !toys.is_empty() {
            lines.push((*ids.pick(&toys), 1));
        }
    }
    if lines.is_empty() {
        let pool = [&shelf.wipes[..], &shelf.wash[..], &shelf.lotion[..]].concat();
        lines.push((*ids.pick(&pool), stock(ids, 1, 2)));
    }
    // One line per product: merge repeats.
    let mut merged: Vec<(usize, u32)> = Vec::with_capacity(lines.len());
    for (i, q) in lines {
        match merged.iter_mut().find(|(j, _)| *j == i) {
            Some(line) => line.1 += q,
            None => merged.push((i, q)),
        }
    }
    merged
}

/// Promotion prices are 15 % off, rounded down to the jiao as platforms show them.
fn unit_price(list_fen: i64, promo: bool) -> i64 {
    if promo {
        list_fen * 85 / 100 / 10 * 10
    } else {
        list_fen
    }
}

fn order_no(ids: &mut IdSource, source: Source, seen: &mut HashSet<String>) -> String {
    loop {
        let no = match source {
            Source::Taobao => format!("{}{}", ids.range(2, 5), ids.digits(18)),
            Source::Douyin => format!("69{}", ids.digits(17)),
            Source::Jd => format!("3{}", ids.digits(17)),
            Source::Widget => format!("8{}", ids.digits(17)),
        };
        if seen.insert(no.clone()) {
            return no;
        }
    }
}

/// (carrier name, tracking number) in each carrier's usual format.
fn tracking(ids: &mut IdSource, source: Source) -> (&'static str, String) {
    if source == Source::Jd {
        return ("京东物流", format!("JDVA{}", ids.digits(11)));
    }
    match ids.weighted(&[30, 25, 25, 20]) {
        0 => ("顺丰", format!("SF{}", ids.digits(13))),
        1 => ("圆通", format!("YT{}", ids.digits(13))),
        2 => ("中通", format!("7{}", ids.digits(13))),
        _ => ("韵达", format!("43{}", ids.digits(13))),
    }
}

const AFTER_RECEIPT_REASONS: &[(&str, u32)] = &[
    ("破损", 25),
    ("漏液", 15),
    ("过敏", 12),
    ("尺码不合适", 23),
    ("七天无理由", 25),
];

/// The stages an order goes through, before cutting at `now`.
#[derive(Debug, Default)]
struct Life {
    paid: Option<Timestamp>,
    shipped: Option<Timestamp>,
    received: Option<Timestamp>,
    refund_requested: Option<Timestamp>,
    refunded: Option<Timestamp>,
    reason: Option<&'static str>,
    never_paid: bool,
}

/// The warehouse ships at 17-21h for orders paid before the 16:00 cut-off, otherwise the next
/// day; some orders slip by a day or two (more during the promotion) — those late shipments are
/// what a "发货超时" rule should catch.
fn ship_time(ids: &mut IdSource, paid: Timestamp, promo: bool) -> Timestamp {
    let day = local_midnight(paid);
    let mut t = if local_hour(paid) < 16 {
        day.plus_millis(17 * HOUR + ids.range(0, 4 * HOUR))
    } else {
        day.plus_millis(DAY + 10 * HOUR + ids.range(0, 10 * HOUR))
    };
    if ids.chance(if promo { 0.2 } else { 0.05 }) {
        t = t.plus_millis(ids.range(26 * HOUR, 60 * HOUR));
    }
    t
}

fn life(ids: &mut IdSource, created: Timestamp, promo: bool, force_delivering: bool) -> Life {
    let mut l = Life::default();
    if !force_delivering && ids.chance(0.045) {
        l.never_paid = true;
        return l;
    }
    let paid = created.plus_millis(match ids.weighted(&[80, 15, 5]) {
        0 => ids.range(10 * SECOND, 3 * MINUTE),
        1 => ids.range(3 * MINUTE, HOUR),
        _ => ids.range(HOUR, 10 * HOUR),
    });
    l.paid = Some(paid);
    if !force_delivering && ids.chance(0.015) {
        let req = paid.plus_millis(ids.range(10 * MINUTE, 6 * HOUR));
        l.refund_requested = Some(req);
        l.refunded = Some(req.plus_millis(ids.range(MINUTE, 8 * HOUR)));
        l.reason = Some(*ids.pick(&["拍错了", "不想要了", "地址填错"]));
        return l;
    }
    let shipped = if force_delivering {
        paid.plus_millis(ids.range(4 * HOUR, 9 * HOUR))
    } else {
        ship_time(ids, paid, promo)
    };
    l.shipped = Some(shipped);
    let received = shipped.plus_millis(ids.range(DAY, 4 * DAY));
    if force_delivering {
        return l;
    }
    l.received = Some(received);
    if ids.chance(0.032) {
        let req = received.plus_millis(ids.range(2 * HOUR, 5 * DAY));
        l.refund_requested = Some(req);
        l.refunded = Some(req.plus_millis(ids.range(DAY, 4 * DAY)));
        l.reason = Some(*ids.pick_weighted(AFTER_RECEIPT_REASONS));
    }
    l
}

/// The simulated orders with their side facts, indexed by customer.
#[derive(Debug, Default)]
pub(crate) struct Sim {
    pub orders: Vec<Order>,
    pub meta: Vec<Meta>,
    /// Order indices per customer (profile index), in time order.
    pub by_customer: Vec<Vec<usize>>,
}

/// Shared inputs of the order simulation.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub shop: ShopId,
    pub window: Window,
    pub items: &'a [Item],
    pub shelf: &'a Shelf,
}

impl Sim {
    /// Simulates one family's orders. The showcase customer gets a final order that is on its
    /// way right now, so the live demo always has a shipped parcel to ask about.
    pub fn add_customer(
        &mut self,
        ids: &mut IdSource,
        ctx: &Ctx<'_>,
        p: &Profile,
        seen: &mut HashSet<String>,
        showcase: bool,
    ) {
        let w = ctx.window;
        let until = if showcase {
            w.now.plus_millis(-5 * DAY)
        } else {
            w.now
        };
        let mut times = order_times(ids, p, &w, until);
        if showcase {
            times.push(w.now.plus_millis(-ids.range(26 * HOUR, 30 * HOUR)));
        }
        let last = times.len().saturating_sub(1);
        let mut mine = Vec::with_capacity(times.len());
        for (k, created) in times.into_iter().enumerate() {
            let forced = showcase && k == last;
            let promo = w.in_promo(created);
            let age = (created.as_millis() - p.birth.as_millis()).div_euclid(DAY);
            let mut lines = basket(ids, ctx.shelf, p, age, promo);
            if forced {
                let diaper = ctx.shelf.diapers[p.diaper_line][catalog::diaper_size_for(age)];
                lines = vec![(diaper, 2), (ctx.shelf.wipes[0], 1), (ctx.shelf.butt[0], 1)];
            }
            let items: Vec<OrderItem> = lines
                .into_iter()
                .map(|(i, quantity)| {
                    let product = &ctx.items[i].product;
                    OrderItem {
                        product_id: Some(product.id),
                        sku: product.sku.clone(),
                        name: product.name.clone(),
                        quantity,
                        unit_price_fen: unit_price(product.price_fen, promo),
                    }
                })
                .collect();
            let l = life(ids, created, promo, forced);
            let mut order = Order {
                id: ids.order(),
                shop: ctx.shop,
                order_no: order_no(ids, p.source, seen),
                customer: p.id,
                status: OrderStatus::Unpaid,
                items,
                total_fen: 0,
                created_at: created,
                paid_at: None,
                shipped_at: None,
                received_at: None,
                refunded_at: None,
                tracking_no: None,
            };
            order.total_fen = order.items_total_fen();
            let mut meta = Meta {
                source: p.source,
                carrier: None,
                refund_requested_at: None,
                refund_reason: None,
                promo,
            };
            cut_at_now(ids, &mut order, &mut meta, &l, w.now);
            mine.push(self.orders.len());
            self.orders.push(order);
            self.meta.push(meta);
        }
        self.by_customer.push(mine);
    }
}

/// Keeps only the stages reached by `now` and derives the status from them.
fn cut_at_now(ids: &mut IdSource, o: &mut Order, m: &mut Meta, l: &Life, now: Timestamp) {
    let reached = |t: Option<Timestamp>| t.filter(|t| *t <= now);
    if l.never_paid {
        o.status = if now.as_millis() - o.created_at.as_millis() > DAY {
            OrderStatus::Closed
        } else {
            OrderStatus::Unpaid
        };
        return;
    }
    let Some(paid) = reached(l.paid) else {
        return;
    };
    o.paid_at = Some(paid);
    o.status = OrderStatus::Paid;
    if let Some(shipped) = reached(l.shipped) {
        let (carrier, no) = tracking(ids, m.source);
        o.shipped_at = Some(shipped);
        o.tracking_no = Some(no);
        m.carrier = Some(carrier);
        o.status = OrderStatus::Shipped;
    } else if l.shipped.is_some() {
        return;
    }
    if let Some(received) = reached(l.received) {
        o.received_at = Some(received);
        o.status = OrderStatus::Received;
    } else if l.received.is_some() {
        return;
    }
    if let Some(req) = reached(l.refund_requested) {
        m.refund_requested_at = Some(req);
        m.refund_reason = l.reason;
        o.status = OrderStatus::Refunding;
        if let Some(done) = reached(l.refunded) {
            o.refunded_at = Some(done);
            o.status = OrderStatus::Refunded;
        }
    }
}
