//! Past conversations. Each one is planned around a real order of a real customer (its order
//! number, carrier, tracking number, sizes, refund), so agents browsing the demo see chats that
//! agree with the order panel next to them. Scripts are assembled from phrase templates with
//! slots and varied openers and particles, then laid out on the time line with human delays
//! and turned into events that respect the conversation state machine.

use crate::catalog::{self, Item, Kind, short_name};
use crate::ids::IdSource;
use crate::orders::{Meta, Sim, Window};
use crate::people::{Profile, Source, route};
use crate::time::{DAY, HOUR, MINUTE, SECOND, local_date, local_hour, month_day};
use kefu_domain::{
    Agent, Channel, ConversationId, ConversationState, CustomerId, Envelope, Event, MessageText,
    Order, OrderStatus, Sender, ShopId, Tier, Timestamp,
};

/// How many closed conversations to produce.
const CLOSED_TARGET: usize = 340;
/// Conversations left open at `now` (kept small: a demo queue, not a backlog).
const OPEN_TARGET: usize = 7;
/// Allergy complaints escalated to the crisis team (from the expert tier).
const CRISES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Logistics,
    Urge,
    Address,
    Size,
    ShipTime,
    ShelfLife,
    Ingredients,
    Rash,
    ReturnPolicy,
    RefundProgress,
    Complaint,
    Crisis,
    PriceProtect,
    Gift,
    Invoice,
    Coupon,
}

const TOPICS: &[(Topic, u32)] = &[
    (Topic::Logistics, 16),
    (Topic::Urge, 8),
    (Topic::Address, 5),
    (Topic::Size, 12),
    (Topic::ShipTime, 9),
    (Topic::ShelfLife, 6),
    (Topic::Ingredients, 8),
    (Topic::Rash, 5),
    (Topic::ReturnPolicy, 6),
    (Topic::RefundProgress, 6),
    (Topic::Complaint, 6),
    (Topic::PriceProtect, 4),
    (Topic::Gift, 3),
    (Topic::Invoice, 4),
    (Topic::Coupon, 4),
];

impl Topic {
    /// The skill group that handles the topic, and the tier it opens in.
    fn routing(self) -> (&'static str, Tier) {
        match self {
            Topic::Logistics | Topic::Urge | Topic::Address => ("物流", Tier::Standard),
            Topic::Size
            | Topic::ShipTime
            | Topic::ShelfLife
            | Topic::Ingredients
            | Topic::Coupon
            | Topic::Rash => ("售前", Tier::Standard),
            Topic::ReturnPolicy
            | Topic::RefundProgress
            | Topic::PriceProtect
            | Topic::Gift
            | Topic::Invoice => ("售后", Tier::Standard),
            // Any expert takes complaints; the first free one, not a particular skill.
            Topic::Complaint | Topic::Crisis => ("", Tier::Expert),
        }
    }
}

/// One step of a script. Agents are indices into the agent list.
#[derive(Debug, Clone)]
enum Step {
    Shopper(String),
    Assign(usize),
    Agent(usize, String),
    Escalate(Tier),
    Close(usize),
}

/// Template slots, replaced as `{name}`.
#[derive(Debug, Default)]
struct Slots(Vec<(&'static str, String)>);

impl Slots {
    /// Sets a slot, replacing an earlier value (a topic refines the generic slots).
    fn set(&mut self, key: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    fn fill(&self, template: &str) -> String {
        let mut s = template.to_owned();
        for (k, v) in &self.0 {
            let key = format!("{{{k}}}");
            if s.contains(&key) {
                s = s.replace(&key, v);
            }
        }
        s
    }
}

/// Builds a script from templates.
struct Writer<'a> {
    ids: &'a mut IdSource,
    slots: Slots,
    steps: Vec<Step>,
    agent: usize,
}

/// Endings shoppers tack on; none of them turns a statement into a question.
const TAILS: &[&str] = &["～", "哈", "😊", "🙏", "!", "～～", "👌"];

impl Writer<'_> {
    fn shopper(&mut self, templates: &[&str]) {
        let mut text = self.slots.fill(self.ids.pick::<&str>(templates));
        if self.ids.chance(0.15) {
            text.push_str(self.ids.pick::<&str>(TAILS));
        }
        self.steps.push(Step::Shopper(text));
    }

    fn agent(&mut self, templates: &[&str]) {
        let text = self.slots.fill(self.ids.pick::<&str>(templates));
        self.steps.push(Step::Agent(self.agent, text));
    }

    /// A shopper question and the agent answer that goes with it.
    fn exchange(&mut self, pairs: &[(&str, &str)]) {
        let (q, a) = *self.ids.pick(pairs);
        self.shopper(&[q]);
        self.agent(&[a]);
    }

    fn maybe(&mut self, p: f64) -> bool {
        self.ids.chance(p)
    }

    /// The shopper's first words, sometimes with a separate 在吗 first.
    fn open(&mut self, templates: &[&str]) {
        if self.maybe(0.3) {
            self.shopper(&[
                "在吗",
                "在吗在吗",
                "你好",
                "亲",
                "客服在吗？",
                "hello",
                "有人吗",
                "亲 在不在",
            ]);
        }
        self.shopper(templates);
    }

    /// The agent takes the conversation and greets.
    fn take(&mut self, agent: usize) {
        self.agent = agent;
        self.steps.push(Step::Assign(agent));
        if self.maybe(0.5) {
            self.agent(&[
                "您好，我是客服{agent}，很高兴为您服务😊",
                "亲，您好～这边是贝贝乐客服{agent}",
                "在的亲～请问有什么可以帮您？",
                "您好亲，{agent}为您服务，请稍等哦",
            ]);
        }
    }

    /// Thanks, goodbye and the agent's close.
    fn wrap_up(&mut self) {
        match self.ids.weighted(&[45, 40, 15]) {
            0 => {
                self.agent(&["亲，还有其他可以帮您的吗？", "请问还有别的问题吗亲～"]);
                self.shopper(&[
                    "没了谢谢",
                    "没有了 谢谢亲",
                    "ok",
                    "好嘞👌",
                    "嗯嗯 辛苦了🙏",
                    "没啦",
                ]);
                self.agent(&[
                    "不客气哦，祝宝宝健康快乐成长～",
                    "感谢您的支持，有问题随时找我们哈😊",
                    "好的亲，祝您生活愉快，再见～",
                ]);
            }
            1 => {
                self.shopper(&[
                    "好的 谢谢",
                    "谢谢亲",
                    "知道了",
                    "好的好的",
                    "嗯嗯",
                    "谢啦😊",
                ]);
                self.agent(&[
                    "不客气亲～有问题随时联系我们哦",
                    "应该的亲，祝宝宝健康成长😊",
                    "不客气哈～",
                ]);
            }
            _ => {}
        }
        self.steps.push(Step::Close(self.agent));
    }
}

/// Everything a script can talk about.
struct Subject<'a> {
    topic: Topic,
    profile: &'a Profile,
    order: Option<&'a Order>,
    meta: Option<&'a Meta>,
    items: &'a [Item],
    window: &'a Window,
    start: Timestamp,
}

fn baby_jin(age_days: i64) -> i64 {
    let months = age_days.max(0) as f64 / 30.0;
    let kg = if months < 6.0 {
        3.4 + 0.75 * months
    } else {
        7.9 + 0.25 * (months - 6.0)
    };
    (kg * 2.0).round() as i64
}

fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        format!("{}", fen / 100)
    } else {
        format!("{}.{:02}", fen / 100, fen % 100)
    }
}

/// The catalogue entry for an order line.
fn item_of<'a>(items: &'a [Item], sku: &str) -> Option<&'a Item> {
    items.iter().find(|i| i.product.sku == sku)
}

/// Products that touch a baby's skin: what ingredient questions and allergy reports are about.
fn is_skin_care(k: Kind) -> bool {
    matches!(
        k,
        Kind::EczemaCream | Kind::Lotion | Kind::SensitiveKit | Kind::ButtCream
    )
}

fn find_kind<'a>(s: &Subject<'a>, f: impl Fn(Kind) -> bool) -> Option<&'a Item> {
    s.order?
        .items
        .iter()
        .filter_map(|line| item_of(s.items, &line.sku))
        .find(|i| f(i.kind))
}

fn is_diaper(k: Kind) -> bool {
    matches!(k, Kind::Diaper { .. } | Kind::Pants { .. })
}

const ROADS: &[&str] = &[
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "文一西路",
    "长江路",
    "滨江大道",
    "学府路",
    "和平街",
];
const COMMUNITIES: &[&str] = &[
    "阳光花园",
    "翠苑小区",
    "锦绣华庭",
    "桂花园",
    "城市花园",
    "香槟国际",
    "幸福里",
    "金色家园",
];

/// The conversation for a subject; `finish` adds the goodbyes and the close (open
/// conversations stop mid-way).
fn script(ids: &mut IdSource, s: &Subject<'_>, agents: &[Agent], finish: bool) -> Vec<Step> {
    let p = s.profile;
    let age = (s.start.as_millis() - p.birth.as_millis()).div_euclid(DAY);
    let mut slots = Slots::default();
    let main = s
        .order
        .and_then(|o| o.items.first())
        .and_then(|line| item_of(s.items, &line.sku));
    if let Some(o) = s.order {
        slots.set("no", o.order_no.clone());
        slots.set("amt", yuan(o.total_fen));
        slots.set("date", month_day(o.created_at));
        if let Some(tn) = &o.tracking_no {
            slots.set("tn", tn.clone());
        }
        if let Some(shipped) = o.shipped_at {
            let days = ((s.start.as_millis() - shipped.as_millis()) / DAY).max(1);
            slots.set("days", days.to_string());
        }
        if let Some(paid) = o.paid_at {
            let hours = ((s.start.as_millis() - paid.as_millis()) / HOUR).max(1);
            slots.set("hours", hours.to_string());
        }
        slots.set("diff", yuan((o.total_fen * 15 / 100).max(100) / 100 * 100));
    }
    if let Some(c) = s.meta.and_then(|m| m.carrier) {
        slots.set("c", c);
    }
    if let Some(item) = main {
        slots.set("p", short_name(&item.product));
    }
    slots.set("city", p.city.unwrap_or("您那边"));
    slots.set("m", (age.max(0) / 30).to_string());
    slots.set("jin", baby_jin(age).to_string());
    slots.set("promo_date", month_day(s.window.promo_start));
    let (skill, tier) = s.topic.routing();
    let agent = route(ids, agents, skill, tier);
    let agent_index = agents.iter().position(|a| a.id == agent.id).unwrap_or(0);
    slots.set("agent", agent.display_name.clone());
    let mut w = Writer {
        ids,
        slots,
        steps: Vec::new(),
        agent: agent_index,
    };
    match s.topic {
        Topic::Logistics => {
            let overdue = s
                .order
                .and_then(|o| o.shipped_at)
                .is_some_and(|t| s.start.as_millis() - t.as_millis() >= 2 * DAY);
            if overdue {
                w.open(&[
                    "单号{tn}这个怎么好几天不动了",
                    "咋还没到啊，都发货{days}天了",
                    "发货{days}天了还没收到，{no}帮我看看",
                ]);
            } else {
                w.open(&[
                    "我的快递到哪了？订单号{no}",
                    "亲 帮我查下物流呗，{no}",
                    "{p}发的什么快递呀？到哪了",
                    "在吗在吗，我买的{p}到哪了😭宝宝快没得用了",
                ]);
            }
            w.take(agent_index);
            w.agent(&[
                "亲，您好～这边帮您查询一下，请稍等哦",
                "好的亲，马上帮您查一下物流信息哈",
                "收到，您稍等，这就帮您看看～",
            ]);
            w.agent(&[
                "亲，您的包裹走的是{c}，单号{tn}，目前已经到{city}转运中心了，预计明天就能送到哦",
                "查到啦，{c}{tn}今天已经在派送途中了，请保持电话畅通哈😊",
                "亲，物流显示{c}在中转，近期件量大稍有延迟，预计1-2天内送达，给您带来不便非常抱歉🙏",
            ]);
            if w.maybe(0.4) {
                w.shopper(&[
                    "那能快点吗 宝宝快没得用了",
                    "能不能帮我催一下",
                    "上次也是这么慢😤",
                ]);
                w.agent(&[
                    "亲，理解您的心情，这边已经给快递催件了，如果明天还没送到您再联系我们，我们第一时间跟进哦",
                    "好的亲，已经帮您联系{c}加急派送了，有消息马上告诉您",
                ]);
            }
        }
        Topic::Urge => {
            w.open(&[
                "拍了一天了怎么还没发货？{no}",
                "亲，我昨天下的单咋还没发货呀",
                "什么时候发货啊，急用！",
                "都{hours}个小时了还没发，是不是没货了",
                "说好的48小时发货呢，{no}到现在还没动静",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，非常抱歉让您久等了🙏 这边帮您查一下订单{no}",
                "您好亲，这边马上帮您核实一下发货进度",
            ]);
            w.agent(&[
                "亲，近期订单量比较大，仓库在加急处理中，已经帮您备注优先发出，今天之内一定发出哦",
                "查到了，您的订单已经在打包了，预计今天发出，发出后订单里就能看到物流单号哈",
                "已经帮您联系仓库加急了，今天18点前会安排发出，给您添麻烦了",
            ]);
            w.shopper(&[
                "好吧 尽快哈",
                "行，今天一定要发哦",
                "那你们要说话算话啊",
                "好的谢谢",
                "急用的 麻烦快点",
            ]);
        }
        Topic::Address => {
            let addr = format!(
                "{}{}{}号{}{}栋{}单元{}",
                p.city.unwrap_or("杭州"),
                w.ids.pick(ROADS),
                w.ids.range(1, 400),
                w.ids.pick(COMMUNITIES),
                w.ids.range(1, 30),
                w.ids.range(1, 5),
                w.ids.range(101, 2_802)
            );
            w.slots.set("addr", addr);
            w.open(&[
                "亲，地址填错了能改吗",
                "刚下单的{no}，收货地址要改一下",
                "我想改下收货地址，还没发货吧？",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，您的订单还没有发货，可以修改的哦，请把新的收货地址发给我～",
                "可以的亲，麻烦发一下新地址，收件人和电话不变吗？",
            ]);
            w.shopper(&["{addr}，电话不变", "改成{addr}", "新地址：{addr} 谢谢"]);
            w.agent(&[
                "好的，已经帮您修改为：{addr}，请您核对一下哦",
                "收到亲，地址已经修改好了，仓库会按新地址发货～",
            ]);
            w.shopper(&["对的 谢谢！", "没问题 辛苦啦", "好的"]);
        }
        Topic::Size => {
            let item = find_kind(s, is_diaper);
            let (code, pieces, range, prev) = match item.map(|i| i.kind) {
                Some(Kind::Pants { size, .. }) => {
                    let (c, n, r) = catalog::PANTS_SIZES[size];
                    (c, n, r, catalog::PANTS_SIZES[size.saturating_sub(1)].0)
                }
                Some(Kind::Diaper { size, .. }) => {
                    let (c, n, r) = catalog::DIAPER_SIZES[size];
                    (c, n, r, catalog::DIAPER_SIZES[size.saturating_sub(1)].0)
                }
                _ => ("M", 62, "6-11kg", "S"),
            };
            w.slots.set("size", code);
            w.slots.set("prev", prev);
            w.slots.set("pieces", pieces.to_string());
            w.slots.set("range", range);
            if prev == code {
                w.open(&[
                    "宝宝{m}个月，{jin}斤，穿什么码合适呀",
                    "纸尿裤尺码怎么选啊，宝宝{m}个月了",
                ]);
            } else {
                w.open(&[
                    "宝宝{m}个月，{jin}斤，穿什么码合适呀",
                    "请问{jin}斤的宝宝穿{prev}码还是{size}码",
                    "纸尿裤尺码怎么选啊，宝宝{m}个月了，有点胖",
                    "亲 宝宝{jin}斤 {prev}码有点勒了 要换大一码吗",
                ]);
            }
            w.take(agent_index);
            w.agent(&[
                "亲，{jin}斤的宝宝建议选{size}码哦，{size}码适合{range}，腰围有弹性不会勒",
                "根据宝宝体重，推荐{size}码～如果宝宝偏胖或者腿比较粗，可以考虑大一码哈",
                "亲，大腿根有勒痕就说明该换码啦，推荐{size}码（{range}）",
            ]);
            if w.maybe(0.6) {
                w.exchange(&[
                    ("那{size}码一包能用多久呀", "一包{pieces}片，按一天6-8片算大概一周多哦，囤两包比较划算～"),
                    ("夜里会不会漏啊", "亲，夜用款12小时吸收，一片到天亮没问题的，穿的时候记得把大腿侧边的防漏边拉出来哦"),
                    ("晚上一片能撑到天亮吗", "亲，正常一晚一片就够啦，如果宝宝尿量大可以选我们的云朵棉夜用款哦"),
                ]);
            }
            w.shopper(&["好的 那我拍{size}码了", "好 下单了", "ok 那先来两包"]);
        }
        Topic::ShipTime => {
            let early = local_hour(s.start) < 16;
            w.open(&[
                "今天拍今天能发吗",
                "现在下单什么时候发货呀",
                "亲，{p}有现货吗？多久能到{city}",
                "下午拍的话今天发吗",
            ]);
            w.take(agent_index);
            if early {
                w.agent(&[
                    "亲，16点前付款当天就发出哦，{city}一般2-3天能到",
                    "有现货的亲，现在拍今天下午就发～",
                ]);
            } else {
                w.agent(&[
                    "亲，现在下单明天上午就安排发出，{city}一般2-3天可以收到哈",
                    "亲，今天的已经截单了，明天一早给您发出哦",
                ]);
            }
            if w.maybe(0.5) {
                w.exchange(&[
                    ("发什么快递", "默认发中通/圆通/韵达，随机安排哦"),
                    ("能发顺丰吗", "可以的亲，需要顺丰的话补个运费差价就行～"),
                    ("包邮吗", "亲，全场包邮的，偏远地区除外哈"),
                ]);
            }
            w.shopper(&["好的 那我现在拍", "行 拍了", "好滴"]);
        }
        Topic::ShelfLife => {
            let item = find_kind(s, |k| {
                matches!(
                    k,
                    Kind::Formula { .. }
                        | Kind::RiceCereal
                        | Kind::Puree
                        | Kind::EczemaCream
                        | Kind::ButtCream
                )
            })
            .or(main);
            let shelf = item
                .and_then(|i| i.product.attributes.get("保质期").cloned())
                .unwrap_or_else(|| "2年".to_owned());
            let (y, m, _) = local_date(s.start.plus_millis(-w.ids.range(30, 120) * DAY));
            w.slots.set("prod_date", format!("{y}年{m}月"));
            w.slots.set("shelf", shelf);
            if let Some(i) = item {
                w.slots.set("p", short_name(&i.product));
            }
            w.open(&[
                "{p}保质期到什么时候呀",
                "这个是新日期吗？不要临期的哈",
                "{p}生产日期是哪个月的",
                "亲 请问奶粉是新鲜批次吗",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，我们都是品牌方直供，现货生产日期是{prod_date}，保质期{shelf}，请放心购买哦",
                "亲，现在发的都是{prod_date}生产的新鲜日期，保质期{shelf}～",
            ]);
            if w.maybe(0.5) {
                w.shopper(&["开封后能放多久", "开了之后要放冰箱吗"]);
                match item.map(|i| i.kind) {
                    Some(Kind::Formula { .. }) => w.agent(&[
                        "奶粉开罐后建议一个月内吃完，勺子放回卡槽，放阴凉干燥处就行，不用放冰箱哦",
                    ]),
                    Some(Kind::Puree) => {
                        w.agent(&["果泥开封后要冷藏，并且当天吃完哦，吃不完的不要再喂宝宝了"])
                    }
                    Some(Kind::RiceCereal) => {
                        w.agent(&["米粉开袋后把封口夹好，放阴凉干燥处，建议一个月内吃完哈"])
                    }
                    _ => w.agent(&["开封后建议12个月内用完，放在阴凉干燥处保存哈，不用放冰箱"]),
                }
            }
            w.shopper(&["好的 放心了", "行 那我拍了", "嗯嗯"]);
        }
        Topic::Ingredients => {
            let item = find_kind(s, is_skin_care).or(main);
            if let Some(i) = item {
                w.slots.set("p", short_name(&i.product));
                let ing = i
                    .product
                    .attributes
                    .get("成分")
                    .or_else(|| i.product.attributes.get("特点"))
                    .cloned()
                    .unwrap_or_else(|| "温和植物成分".to_owned());
                w.slots.set("ing", ing);
            }
            w.open(&[
                "宝宝有湿疹，{p}含激素吗",
                "这个{p}新生儿能用吗？宝宝皮肤特别敏感",
                "{p}成分安全吗 有没有香精",
                "宝宝脸上干干的起小疙瘩，{p}能用吗",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，{p}不含激素、无香精，主要成分是{ing}，敏感肌宝宝也可以用的哦",
                "您好，{p}是低敏配方（{ing}），0岁以上都能用～建议先在耳后小面积试用24小时哈",
            ]);
            if w.maybe(0.6) {
                w.exchange(&[
                    ("那湿疹严重的话也能用吗", "如果湿疹有渗液、破皮比较严重，建议先带宝宝看医生哦，我们的产品适合日常舒缓和保湿护理"),
                    ("和润肤乳可以一起用吗", "可以的，洗完澡先全身涂润肤乳，再在干燥的地方厚涂一层，效果更好～"),
                    ("一天涂几次呀", "亲，每天2-3次，洗澡后3分钟内涂保湿效果最好哦"),
                ]);
            }
            w.shopper(&["好的 那我买一支试试", "明白了 谢谢", "行 先买一个试试"]);
        }
        Topic::Rash => {
            let butt = s
                .items
                .iter()
                .find(|i| i.kind == Kind::ButtCream)
                .map(|i| short_name(&i.product).to_owned())
                .unwrap_or_else(|| "护臀膏".to_owned());
            w.slots.set("butt", butt);
            if let Some(i) = find_kind(s, is_diaper) {
                w.slots.set("p", short_name(&i.product));
            }
            w.open(&[
                "宝宝屁屁红红的😭是不是纸尿裤不透气啊",
                "用了几天{p}，屁屁有点红，咋办",
                "红屁屁了 有什么推荐的吗",
                "宝宝屁股红了一片，是不是过敏了",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，别着急～红屁屁多数是尿湿后闷着引起的，建议2-3小时换一次，换的时候用温水洗干净、晾干再穿",
                "亲，宝宝皮肤娇嫩，天气热或者换得不够勤都容易红屁屁，勤换、保持干爽是关键哦",
            ]);
            w.agent(&[
                "可以搭配{butt}薄涂一层，形成保护膜，一般1-2天就会好转",
                "换尿裤时涂一层{butt}隔离尿湿，如果持续不好或者破皮了，建议及时就医哦",
            ]);
            w.shopper(&["好的 我买个护臀霜试试", "谢谢 我去看看", "原来这样 学到了"]);
        }
        Topic::ReturnPolicy => {
            let next = find_kind(s, is_diaper)
                .map(|i| match i.kind {
                    Kind::Diaper { size, .. } => catalog::DIAPER_SIZES[(size + 1).min(5)].0,
                    Kind::Pants { size, .. } => catalog::PANTS_SIZES[(size + 1).min(3)].0,
                    _ => "大一",
                })
                .unwrap_or("大一");
            w.slots.set("next", next);
            w.open(&[
                "没拆封的能退吗",
                "{p}买多了，可以退一包吗",
                "拆开了一包还能退吗？宝宝穿着小了",
                "退换货怎么弄啊",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，未拆封、不影响二次销售的支持7天无理由退换哦，运费险会补贴运费",
                "亲，拆封的纸尿裤涉及卫生问题不支持退哦，未拆封的整包可以退换，给您换成{next}码可以吗？",
            ]);
            w.shopper(&["好的 那我申请退货", "那换{next}码吧", "运费谁出啊"]);
            w.agent(&[
                "好的亲，您在订单里点申请售后，选择退货退款，我这边收到后马上给您同意哈",
                "可以的，您申请换货，寄回后我们收到会尽快给您发{next}码～",
                "亲，您的订单有运费险，寄回的运费会自动理赔到您账户哦",
            ]);
        }
        Topic::RefundProgress => {
            w.open(&[
                "我的退款怎么还没到？{no}",
                "退款退到哪了",
                "退货寄回去{days}天了，钱还没退",
                "申请退款好几天了 能不能快点处理",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，这边帮您查一下订单{no}的退款进度，稍等哦",
                "好的亲，马上帮您看看",
            ]);
            w.agent(&[
                "亲，这边查到您的退款申请已经同意了，退款会原路退回，一般1-3个工作日到账哦",
                "亲，仓库已经签收您的退货，正在验货，验完马上给您退款哈",
                "您好，退款{amt}元已经在处理中，请耐心等待～",
            ]);
            w.shopper(&["好吧", "好的 知道了", "能快点吗", "行 那我等等"]);
        }
        Topic::Complaint => {
            let reason = s.meta.and_then(|m| m.refund_reason).unwrap_or("破损");
            if reason == "漏液" {
                w.open(&[
                    "{p}漏液了！整个箱子都湿了",
                    "收到的东西漏了一箱子，这怎么用啊😡",
                    "你们这个{p}盖子都没拧紧，漏了一半",
                ]);
            } else {
                w.open(&[
                    "收到的{p}盒子都压扁了，里面也破了😡",
                    "你们这发货也太不用心了，东西都是坏的",
                    "{p}外包装破了个大洞，还能用吗？再这样要给差评了",
                ]);
            }
            w.take(agent_index);
            w.agent(&[
                "亲，非常抱歉给您带来不好的体验🙏 麻烦您拍一下外包装和破损的照片给我看看",
                "您好，我是售后专员{agent}，真的很抱歉，麻烦您先拍几张照片，这边马上为您处理",
            ]);
            w.shopper(&[
                "照片发你了，你自己看",
                "拍了，已经发过去了",
                "[图片] 就这样",
            ]);
            w.agent(&[
                "收到照片了，确实是运输中损坏了，这边给您两个方案：1. 免费补发一份 2. 直接退款{amt}元，您看哪个合适？",
                "亲，给您补发一件新的，今天加急发顺丰，另外给您发一张20元无门槛券作为补偿，您看可以吗",
            ]);
            w.shopper(&[
                "那补发吧 快点",
                "直接退款吧",
                "行吧 下次注意点",
                "好吧，这次就算了",
            ]);
            w.agent(&[
                "好的，已经给您登记了，补发单号出来后第一时间同步给您",
                "好的，已经给您申请退款，请留意退款通知哦",
                "非常感谢您的理解，我们会加强包装的🙏",
            ]);
        }
        Topic::Crisis => {
            let item = find_kind(s, is_skin_care).or(main);
            if let Some(i) = item {
                w.slots.set("p", short_name(&i.product));
            }
            w.shopper(&[
                "用了你们的{p}宝宝脸上全是红疹子！你们这是什么三无产品",
                "宝宝用完{p}过敏了，现在在医院，你们必须给个说法",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，听到宝宝过敏我们非常着急，请问宝宝现在情况怎么样？",
                "您好，非常抱歉，宝宝现在还好吗？有没有去医院看一下",
            ]);
            w.shopper(&[
                "医生说是接触性皮炎，你们不给说法我就去12315投诉，还要发小红书曝光",
                "我要你们负责医药费，不然就找媒体",
            ]);
            w.agent(&[
                "亲，您的情况我马上转给我们主管来处理，请稍等",
                "理解您的心情，这边请我们主管直接和您沟通",
            ]);
            let supervisor = route(w.ids, agents, "危机处理", Tier::Crisis);
            let sup = agents
                .iter()
                .position(|a| a.id == supervisor.id)
                .unwrap_or(0);
            w.slots.set("sup", supervisor.display_name.clone());
            w.steps.push(Step::Escalate(Tier::Crisis));
            w.agent = sup;
            w.steps.push(Step::Assign(sup));
            w.agent(&[
                "您好，我是客服{sup}，宝宝的情况我们非常重视。麻烦您提供一下就诊记录和产品批号，我们会把同批次产品送检，同时为您全额退款，医药费凭票据由我们承担",
                "您好，我是{sup}，首先向您和宝宝道歉。这边已经为您登记全额退款，请把病历和产品照片发给我，检测结果出来第一时间告知您",
            ]);
            w.shopper(&[
                "好，我把病历拍给你",
                "那你们尽快，宝宝还在难受",
                "行 我等你们结果",
            ]);
            w.agent(&[
                "收到，今天之内给您回复处理进度，您有任何问题直接找我",
                "好的，祝宝宝早日康复，后续由我全程跟进",
            ]);
        }
        Topic::PriceProtect => {
            let days = s
                .order
                .map(|o| ((s.start.as_millis() - o.created_at.as_millis()) / DAY).max(1))
                .unwrap_or(3);
            w.slots.set("ago", days.to_string());
            w.open(&[
                "我{ago}天前刚买的{p}，现在大促便宜了{diff}块，能价保吗",
                "亲 现在活动价比我买的时候便宜，可以退差价吗",
                "刚买完就降价😭 {no}能保价吗",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，我们支持15天价保的哦，这边核实一下～您的订单{no}确实在价保期内，差价{diff}元会以红包形式补给您",
                "亲，价保需要在订单页面点「价格保护」申请，系统会自动退差价{diff}元哈",
            ]);
            w.shopper(&["好的 谢谢", "太好了👍", "申请了 谢谢亲"]);
        }
        Topic::Gift => {
            w.open(&[
                "你们不是说送试用装湿巾吗，我没收到啊",
                "赠品呢？页面上写的满199送护臀霜",
                "买的{p}没看到赠品",
            ]);
            w.take(agent_index);
            // Only promotion orders came with a gift; otherwise the agent explains and soothes.
            if s.meta.is_some_and(|m| m.promo) {
                w.agent(&[
                    "亲，非常抱歉🙏 这边核实一下，确实是仓库漏发了，马上给您补寄，单号出来同步您",
                ]);
            } else {
                w.agent(&["亲，赠品是店庆大促期间下单才有的哦，您是{date}下的单，这边给您申请一张10元优惠券作为补偿可以吗"]);
            }
            w.shopper(&["好的", "那行吧", "记得补哦"]);
        }
        Topic::Invoice => {
            w.open(&[
                "能开发票吗",
                "亲，订单{no}要开个电子发票，抬头是个人",
                "需要开发票报销 怎么弄",
            ]);
            w.take(agent_index);
            w.agent(&[
                "可以的亲，在订单详情页点「申请开票」就可以，电子发票1-3个工作日开好",
                "好的，请提供一下抬头和税号，开好后会发到您的订单里哦",
            ]);
            if w.maybe(0.5) {
                let tax = format!("91330{}MA{}", w.ids.digits(6), w.ids.digits(7));
                w.slots.set("tax", tax);
                w.shopper(&[
                    "抬头：杭州某某科技有限公司，税号{tax}",
                    "个人就行",
                    "公司抬头，税号{tax}",
                ]);
                w.agent(&["好的，已经帮您提交开票申请，开好后会推送到您的订单哦"]);
            }
        }
        Topic::Coupon => {
            w.open(&[
                "有没有优惠券呀",
                "大促什么时候开始？现在买亏吗",
                "满减怎么算啊",
                "老客有优惠吗",
            ]);
            w.take(agent_index);
            w.agent(&[
                "亲，{promo_date}开始店庆大促，全场85折，会员还能叠加店铺券哦",
                "亲，店铺首页可以领满199减20的券，领完下单自动抵扣～",
                "亲，会员等级越高折扣越多，另外关注店铺可以领一张10元无门槛券哈",
            ]);
            w.shopper(&["那我等大促再买", "领了 谢谢", "好的 我去看看"]);
        }
    }
    if finish {
        w.wrap_up();
    }
    w.steps
}

/// Where the conversation sits on the time line for a topic, or `None` when the order does not
/// fit it (a logistics question needs a shipped parcel, a refund question a refund …).
fn start_for(
    ids: &mut IdSource,
    topic: Topic,
    o: &Order,
    m: &Meta,
    items: &[Item],
    w: &Window,
) -> Option<Timestamp> {
    let has = |f: &dyn Fn(Kind) -> bool| {
        o.items
            .iter()
            .filter_map(|l| item_of(items, &l.sku))
            .any(|i| f(i.kind))
    };
    let between = |ids: &mut IdSource, a: Timestamp, b: Timestamp| -> Option<Timestamp> {
        (b > a).then(|| Timestamp::from_millis(ids.range(a.as_millis(), b.as_millis())))
    };
    let presale = |ids: &mut IdSource| {
        Some(
            o.created_at
                .plus_millis(-ids.range(12 * MINUTE, 50 * MINUTE)),
        )
    };
    match topic {
        Topic::Logistics => {
            let shipped = o.shipped_at?;
            let end = o.received_at.unwrap_or(w.now).plus_millis(-2 * HOUR);
            between(ids, shipped.plus_millis(20 * HOUR), end)
        }
        Topic::Urge => {
            let paid = o.paid_at?;
            let end = o.shipped_at.unwrap_or(w.now).plus_millis(-HOUR);
            between(ids, paid.plus_millis(20 * HOUR), end)
        }
        Topic::Address => {
            let paid = o.paid_at?;
            let shipped = o.shipped_at?;
            between(
                ids,
                paid.plus_millis(5 * MINUTE),
                paid.plus_millis(HOUR).min(shipped.plus_millis(-2 * HOUR)),
            )
        }
        Topic::Size => has(&is_diaper).then(|| presale(ids)).flatten(),
        Topic::ShipTime | Topic::Coupon => presale(ids),
        Topic::ShelfLife => {
            has(&|k| matches!(k, Kind::Formula { .. } | Kind::RiceCereal | Kind::Puree))
                .then(|| presale(ids))
                .flatten()
        }
        Topic::Ingredients => {
            has(&|k| matches!(k, Kind::EczemaCream | Kind::Lotion | Kind::SensitiveKit))
                .then(|| presale(ids))
                .flatten()
        }
        Topic::Rash => {
            let received = o.received_at?;
            has(&is_diaper)
                .then(|| {
                    between(
                        ids,
                        received.plus_millis(DAY),
                        received.plus_millis(10 * DAY),
                    )
                })
                .flatten()
        }
        Topic::ReturnPolicy | Topic::Invoice | Topic::Gift => {
            let received = o.received_at?;
            let end = m
                .refund_requested_at
                .unwrap_or(received.plus_millis(5 * DAY));
            between(ids, received.plus_millis(2 * HOUR), end)
        }
        Topic::RefundProgress => {
            let req = m.refund_requested_at?;
            let end = o.refunded_at.unwrap_or(w.now).plus_millis(-HOUR);
            between(ids, req.plus_millis(4 * HOUR), end)
        }
        Topic::Complaint => {
            let received = o.received_at?;
            let reason = m.refund_reason?;
            if !matches!(reason, "破损" | "漏液") {
                return None;
            }
            let req = m.refund_requested_at?;
            between(
                ids,
                received.plus_millis(20 * MINUTE),
                req.plus_millis(-20 * MINUTE),
            )
        }
        Topic::Crisis => {
            let received = o.received_at?;
            let _ = m.refund_reason.filter(|r| *r == "过敏")?;
            between(
                ids,
                received.plus_millis(DAY),
                received.plus_millis(3 * DAY),
            )
        }
        Topic::PriceProtect => {
            let created = o.created_at;
            o.paid_at?;
            let gap = w.promo_start.as_millis() - created.as_millis();
            (0 < gap && gap < 7 * DAY)
                .then(|| between(ids, w.promo_start.plus_millis(8 * HOUR), w.promo_end))
                .flatten()
        }
    }
}

/// Lays a script out on the time line and turns it into events.
#[allow(clippy::too_many_arguments)]
fn emit(
    ids: &mut IdSource,
    shop: ShopId,
    customer: CustomerId,
    source: Source,
    tier: Tier,
    agents: &[Agent],
    steps: &[Step],
    start: Timestamp,
    busy: bool,
) -> Vec<Envelope> {
    let conversation: ConversationId = ids.conversation();
    let (channel, platform) = match source.platform() {
        Some(p) => (Channel::Webhook, Some(p.to_owned())),
        None => (Channel::Widget, None),
    };
    let mut out = Vec::with_capacity(steps.len() + 1);
    let mut at = start;
    out.push(Envelope {
        id: ids.event(),
        shop,
        at,
        event: Event::ConversationOpened {
            conversation,
            customer,
            channel,
            platform,
            state: ConversationState::Queued,
            tier,
        },
    });
    let mut prev: Option<&Step> = None;
    for (k, step) in steps.iter().enumerate() {
        let delay = match (prev, step) {
            (None, _) => 0,
            (Some(Step::Shopper(_)), Step::Shopper(_)) => ids.range(3 * SECOND, 20 * SECOND),
            (Some(_), Step::Shopper(_)) => ids.range(20 * SECOND, 4 * MINUTE),
            (Some(Step::Escalate(_)), Step::Assign(_)) => ids.range(MINUTE, 5 * MINUTE),
            (Some(_), Step::Assign(_)) => {
                if busy {
                    ids.range(MINUTE, 8 * MINUTE)
                } else {
                    ids.range(5 * SECOND, 2 * MINUTE)
                }
            }
            (Some(Step::Assign(_)), Step::Agent(..)) => ids.range(5 * SECOND, 30 * SECOND),
            (Some(Step::Agent(..)), Step::Agent(..)) => ids.range(15 * SECOND, 2 * MINUTE),
            (Some(_), Step::Agent(..)) => ids.range(15 * SECOND, 90 * SECOND),
            (Some(_), Step::Escalate(_)) => ids.range(30 * SECOND, 2 * MINUTE),
            (Some(Step::Agent(..)), Step::Close(_)) => ids.range(2 * MINUTE, 12 * MINUTE),
            (Some(_), Step::Close(_)) => ids.range(MINUTE, 5 * MINUTE),
        };
        // Events of one conversation are strictly increasing in time.
        at = at.plus_millis(delay.max(if k == 0 { 0 } else { 1 }));
        let event = match step {
            Step::Shopper(text) | Step::Agent(_, text) => {
                let Ok(text) = MessageText::parse(text) else {
                    continue;
                };
                let sender = match step {
                    Step::Agent(i, _) => Sender::Agent {
                        agent: agents[*i].id,
                    },
                    _ => Sender::Shopper,
                };
                Event::MessagePosted {
                    conversation,
                    message: ids.message(),
                    sender,
                    text,
                }
            }
            Step::Assign(i) => Event::Assigned {
                conversation,
                agent: agents[*i].id,
            },
            Step::Escalate(tier) => Event::Queued {
                conversation,
                tier: *tier,
                priority: if *tier == Tier::Crisis {
                    kefu_domain::Priority::Crisis
                } else {
                    kefu_domain::Priority::Complaint
                },
                skill: None,
                due: None,
                sent_back: None,
            },
            Step::Close(i) => Event::Closed {
                conversation,
                by: Sender::Agent {
                    agent: agents[*i].id,
                },
            },
        };
        out.push(Envelope {
            id: ids.event(),
            shop,
            at,
            event,
        });
        prev = Some(step);
    }
    out
}

/// Inputs the conversation generator reads.
#[derive(Debug)]
pub(crate) struct World<'a> {
    pub shop: ShopId,
    pub window: Window,
    pub profiles: &'a [Profile],
    pub sim: &'a Sim,
    pub items: &'a [Item],
    pub agents: &'a [Agent],
}

/// A topic sought out on purpose: how many to make and which orders fit it.
type Target = (Topic, usize, fn(&Meta) -> bool);

/// Keeps every customer to one conversation at a time, as the live system does.
#[derive(Debug, Default)]
struct Calendar(Vec<Vec<(Timestamp, Timestamp)>>);

impl Calendar {
    fn free(&self, customer: usize, from: Timestamp, to: Timestamp) -> bool {
        self.0[customer].iter().all(|(a, b)| to < *a || *b < from)
    }
}

/// The whole event log, in time order.
pub(crate) fn conversations(ids: &mut IdSource, world: &World<'_>) -> Vec<Envelope> {
    let w = &world.window;
    let mut calendar = Calendar(vec![Vec::new(); world.profiles.len()]);
    let mut log: Vec<Envelope> = Vec::new();
    let mut closed = 0usize;

    let mut try_plan = |ids: &mut IdSource,
                        topic: Topic,
                        customer: usize,
                        order: usize,
                        log: &mut Vec<Envelope>|
     -> bool {
        let o = &world.sim.orders[order];
        let m = &world.sim.meta[order];
        let Some(start) = start_for(ids, topic, o, m, world.items, w) else {
            return false;
        };
        // Every pass (the targeted crisis, complaint and refund ones included) goes through
        // here, so every closed conversation lies inside the window, from its first event to
        // its last.
        if start < w.start.plus_millis(HOUR) || start > w.now.plus_millis(-3 * HOUR) {
            return false;
        }
        let profile = &world.profiles[customer];
        let subject = Subject {
            topic,
            profile,
            order: Some(o),
            meta: Some(m),
            items: world.items,
            window: w,
            start,
        };
        let steps = script(ids, &subject, world.agents, true);
        let tier = topic.routing().1;
        let events = emit(
            ids,
            world.shop,
            profile.id,
            profile.source,
            tier,
            world.agents,
            &steps,
            start,
            w.in_promo(start),
        );
        let end = events.last().map_or(start, |e| e.at);
        if end > w.now.plus_millis(-HOUR) || !calendar.free(customer, start, end) {
            return false;
        }
        calendar.0[customer].push((start, end));
        log.extend(events);
        true
    };

    // The showcase customer's own history, so the demo's first customer has past chats.
    for topic in [Topic::Size, Topic::Logistics, Topic::Rash, Topic::ShelfLife] {
        for &order in &world.sim.by_customer[0] {
            if try_plan(ids, topic, 0, order, &mut log) {
                closed += 1;
                break;
            }
        }
    }

    let n_orders = world.sim.orders.len();
    let owner: Vec<usize> = {
        let mut owner = vec![0; n_orders];
        for (c, orders) in world.sim.by_customer.iter().enumerate() {
            for &o in orders {
                owner[o] = c;
            }
        }
        owner
    };
    // Rare orders make the most instructive conversations, so they are sought out rather than
    // left to chance: allergy reports escalated to the crisis team, damaged or leaking parcels
    // handled by an expert, and refunds being chased.
    let targeted: [Target; 3] = [
        (Topic::Crisis, CRISES, |m| m.refund_reason == Some("过敏")),
        (Topic::Complaint, 12, |m| {
            matches!(m.refund_reason, Some("破损" | "漏液"))
        }),
        (Topic::RefundProgress, 15, |m| {
            m.refund_requested_at.is_some()
        }),
    ];
    for (topic, want, fits) in targeted {
        let candidates: Vec<usize> = (0..n_orders)
            .filter(|&i| fits(&world.sim.meta[i]))
            .collect();
        let (mut made, mut attempts) = (0, 0);
        while made < want && !candidates.is_empty() && attempts < 50 * want {
            attempts += 1;
            let order = *ids.pick(&candidates);
            if try_plan(ids, topic, owner[order], order, &mut log) {
                closed += 1;
                made += 1;
            }
        }
    }

    let mut attempts = 0;
    while closed < CLOSED_TARGET && attempts < 200_000 {
        attempts += 1;
        let topic = *ids.pick_weighted(TOPICS);
        let order =
            usize::try_from(ids.range(0, i64::try_from(n_orders).unwrap_or(0))).unwrap_or(0);
        if try_plan(ids, topic, owner[order], order, &mut log) {
            closed += 1;
        }
    }

    // A small live queue at `now`: some waiting for an agent, some being served.
    let mut open = 0;
    let mut attempts = 0;
    while open < OPEN_TARGET && attempts < 100_000 {
        attempts += 1;
        let order =
            usize::try_from(ids.range(0, i64::try_from(n_orders).unwrap_or(0))).unwrap_or(0);
        let customer = owner[order];
        if customer == 0 {
            continue;
        }
        let o = &world.sim.orders[order];
        let m = &world.sim.meta[order];
        let topic = match o.status {
            OrderStatus::Shipped
                if o.shipped_at
                    .is_some_and(|t| w.now.as_millis() - t.as_millis() > 20 * HOUR) =>
            {
                Topic::Logistics
            }
            OrderStatus::Paid
                if o.paid_at
                    .is_some_and(|t| w.now.as_millis() - t.as_millis() > 22 * HOUR) =>
            {
                Topic::Urge
            }
            OrderStatus::Refunding if m.refund_requested_at.is_some() => Topic::RefundProgress,
            _ => continue,
        };
        let start = w.now.plus_millis(-ids.range(4 * MINUTE, 90 * MINUTE));
        let profile = &world.profiles[customer];
        let subject = Subject {
            topic,
            profile,
            order: Some(o),
            meta: Some(m),
            items: world.items,
            window: w,
            start,
        };
        let mut steps = script(ids, &subject, world.agents, false);
        let waiting = open % 2 == 0;
        let cut = if waiting {
            steps
                .iter()
                .position(|s| matches!(s, Step::Assign(_)))
                .unwrap_or(1)
        } else {
            // Served: the agent answered once, the shopper asked again and awaits a reply.
            let first_agent = steps
                .iter()
                .position(|s| matches!(s, Step::Agent(..)))
                .unwrap_or(0);
            steps
                .iter()
                .skip(first_agent)
                .position(|s| matches!(s, Step::Shopper(_)))
                .map_or(first_agent + 1, |k| first_agent + k + 1)
        };
        steps.truncate(cut);
        steps.retain(|s| !matches!(s, Step::Close(_)));
        let tier = topic.routing().1;
        let mut events = emit(
            ids,
            world.shop,
            profile.id,
            profile.source,
            tier,
            world.agents,
            &steps,
            start,
            false,
        );
        let end = events.last().map_or(start, |e| e.at);
        if end > w.now {
            let shift = end.as_millis() - w.now.as_millis();
            for e in &mut events {
                e.at = e.at.plus_millis(-shift);
            }
        }
        let (from, to) = (events[0].at, w.now);
        // Like the closed conversations, a live one never reaches back before the window.
        if from < w.start || !calendar.free(customer, from, to) {
            continue;
        }
        calendar.0[customer].push((from, to));
        log.extend(events);
        open += 1;
    }

    // One log in time order; the sort is stable, so a conversation's own order is kept.
    log.sort_by_key(|e| e.at);
    log
}
