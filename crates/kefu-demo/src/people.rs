//! Agents and shoppers. Shoppers are generated as *profiles* first (baby's birth date, skin,
//! feeding, how often the family buys, which platform they come from) because those drive their
//! orders and conversations; the public [`Customer`] rows are finished after the orders exist, so
//! `created_at` can precede the first order and tags such as 高价值 reflect real spend.

use crate::ids::IdSource;
use crate::time::{DAY, HOUR, MINUTE};
use kefu_domain::{Agent, CustomerId, Role, ShopId, Tier, Timestamp};

/// One member of staff: (username, display name, role, tier, skill groups, max concurrent).
type Staff = (
    &'static str,
    &'static str,
    Role,
    Tier,
    &'static [&'static str],
    u32,
);

/// The demo staff.
/// Index 0 is a standard 售前/售后 agent because the live demo logs in as the first agent.
const STAFF: &[Staff] = &[
    (
        "xiaomei",
        "小美",
        Role::Agent,
        Tier::Standard,
        &["售前", "售后"],
        6,
    ),
    (
        "aqiang",
        "阿强",
        Role::Agent,
        Tier::Standard,
        &["售后", "物流"],
        6,
    ),
    (
        "tingting",
        "婷婷",
        Role::Agent,
        Tier::Standard,
        &["售前"],
        8,
    ),
    (
        "xiaoyu",
        "小雨",
        Role::Agent,
        Tier::Standard,
        &["物流", "售后"],
        5,
    ),
    (
        "lele",
        "乐乐",
        Role::Agent,
        Tier::Standard,
        &["售前", "物流"],
        7,
    ),
    (
        "wangjie",
        "王姐",
        Role::Expert,
        Tier::Expert,
        &["售后", "母婴顾问"],
        4,
    ),
    (
        "linlaoshi",
        "林老师",
        Role::Expert,
        Tier::Expert,
        &["母婴顾问", "皮肤护理"],
        4,
    ),
    (
        "zhaozhuguan",
        "赵主管",
        Role::Supervisor,
        Tier::Crisis,
        &["危机处理", "售后", "物流"],
        3,
    ),
];

/// Staff were hired between one year and two months before the window starts.
pub(crate) fn agents(ids: &mut IdSource, shop: ShopId, window_start: Timestamp) -> Vec<Agent> {
    STAFF
        .iter()
        .map(|(username, display, role, tier, skills, max)| Agent {
            id: ids.agent(),
            shop,
            username: (*username).to_owned(),
            display_name: (*display).to_owned(),
            role: *role,
            tier: *tier,
            skill_groups: skills.iter().map(|s| (*s).to_owned()).collect(),
            max_concurrent: *max,
            created_at: window_start.plus_millis(-ids.range(60, 365) * DAY),
        })
        .collect()
}

/// Where a shopper reaches the shop; decides the channel, platform and order-number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Taobao,
    Douyin,
    Jd,
    /// The shop's own mini-program / website chat widget.
    Widget,
}

impl Source {
    pub fn platform(self) -> Option<&'static str> {
        match self {
            Source::Taobao => Some("taobao"),
            Source::Douyin => Some("douyin"),
            Source::Jd => Some("jd"),
            Source::Widget => None,
        }
    }
}

/// How often a family buys: the heavy tail of a Pareto-like distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    OneTime,
    Occasional,
    Loyal,
    Heavy,
}

#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub id: CustomerId,
    pub external_id: String,
    pub nickname: String,
    pub phone: Option<String>,
    pub city: Option<&'static str>,
    pub source: Source,
    /// The baby's birth; after the window start for expecting parents.
    pub birth: Timestamp,
    pub sensitive: bool,
    pub formula: bool,
    pub second_child: bool,
    pub price_sensitive: bool,
    pub activity: Activity,
    pub diaper_line: usize,
    pub formula_line: usize,
    /// Switches to 拉拉裤 once the baby crawls.
    pub pants: bool,
    /// Whether the shopper knew the shop before the window (drives created_at and 老客).
    pub returning: bool,
}

const BABY_NAMES: &[&str] = &[
    "小鱼",
    "暖暖",
    "豆豆",
    "星星",
    "糖糖",
    "果果",
    "乐乐",
    "朵朵",
    "米粒",
    "团团",
    "圆圆",
    "球球",
    "可乐",
    "布丁",
    "小满",
    "一一",
    "安安",
    "甜甜",
    "橙子",
    "嘟嘟",
    "悠悠",
    "小葡萄",
    "芒果",
    "奶糖",
    "小核桃",
    "大宝",
    "二宝",
    "诺诺",
    "贝贝",
    "妞妞",
    "小土豆",
    "阳阳",
    "小米",
    "多多",
    "皮皮",
    "桃子",
    "小树",
    "辰辰",
    "欢欢",
    "柚子",
    "栗子",
    "饭团",
    "汤圆",
    "小玥",
    "木木",
    "宸宸",
    "小熊",
    "丁丁",
];
const PARENT_SUFFIX: &[(&str, u32)] = &[
    ("妈妈", 30),
    ("麻麻", 14),
    ("妈", 8),
    ("妈咪", 8),
    ("的妈咪", 6),
    ("的麻麻", 4),
    ("爸", 7),
    ("爸爸", 7),
    ("爸比", 3),
    ("粑粑", 3),
    ("家", 2),
];
const ADJECTIVES: &[&str] = &[
    "爱笑的",
    "不睡觉的",
    "快乐的",
    "努力的",
    "佛系",
    "暴躁",
    "温柔的",
    "元气",
    "熬夜的",
    "奶凶",
];
const NOUNS: &[&str] = &[
    "宝妈",
    "奶爸",
    "小鱼",
    "团子",
    "西瓜",
    "芒果布丁",
    "兔子",
    "猫咪",
    "老母亲",
    "新手妈妈",
];

fn nickname(ids: &mut IdSource, source: Source) -> String {
    let style = ids.weighted(&[52, 12, 14, 22]);
    match (style, source) {
        (1, _) => {
            let adj = ids.pick(ADJECTIVES);
            let noun = ids.pick(NOUNS);
            if ids.chance(0.4) {
                format!("{adj}{noun}{}", ids.range(2016, 2026))
            } else {
                format!("{adj}{noun}")
            }
        }
        (2, _) => {
            let baby = ids.pick(BABY_NAMES);
            let tail = ids.pick(&["宝妈", "小宝贝", "的日常", "成长记", "和妈妈", "🐳", "🍼"]);
            format!("{baby}{tail}")
        }
        (3, Source::Taobao) => format!("tb_{}", ids.digits(7)),
        (3, Source::Douyin) => format!("用户{}", ids.digits(10)),
        (3, Source::Jd) => {
            let hex: String = (0..10)
                .map(|_| {
                    let v = u8::try_from(ids.range(0, 16)).unwrap_or(0);
                    char::from_digit(u32::from(v), 16).unwrap_or('0')
                })
                .collect();
            format!("jd_{hex}")
        }
        (3, Source::Widget) => format!("wx_{}", ids.digits(8)),
        _ => {
            let baby = ids.pick(BABY_NAMES);
            let suffix = ids.pick_weighted(PARENT_SUFFIX);
            format!("{baby}{suffix}")
        }
    }
}

const PHONE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "170", "173", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "195", "198", "199",
];

/// Cities weighted roughly by urban population and online spending.
const CITIES: &[(&str, u32)] = &[
    ("上海", 24),
    ("北京", 21),
    ("深圳", 18),
    ("广州", 18),
    ("重庆", 16),
    ("成都", 18),
    ("杭州", 13),
    ("武汉", 12),
    ("西安", 11),
    ("南京", 10),
    ("苏州", 11),
    ("天津", 11),
    ("郑州", 11),
    ("长沙", 9),
    ("东莞", 9),
    ("青岛", 8),
    ("沈阳", 7),
    ("宁波", 8),
    ("佛山", 8),
    ("合肥", 8),
    ("昆明", 7),
    ("济南", 7),
    ("福州", 7),
    ("厦门", 5),
    ("无锡", 6),
    ("南宁", 6),
    ("石家庄", 7),
    ("哈尔滨", 6),
    ("大连", 5),
    ("温州", 7),
    ("贵阳", 5),
    ("南昌", 5),
    ("太原", 4),
    ("兰州", 3),
    ("乌鲁木齐", 3),
    ("海口", 2),
    ("银川", 2),
    ("西宁", 1),
    ("呼和浩特", 2),
    ("泉州", 5),
    ("惠州", 4),
    ("绍兴", 4),
    ("徐州", 4),
    ("潍坊", 3),
    ("洛阳", 3),
    ("拉萨", 1),
];

/// A fresh profile for customer number `n` (1-based).
pub(crate) fn profile(ids: &mut IdSource, n: usize, window_start: Timestamp) -> Profile {
    let id = ids.customer();
    let source = match ids.weighted(&[55, 20, 10, 15]) {
        0 => Source::Taobao,
        1 => Source::Douyin,
        2 => Source::Jd,
        _ => Source::Widget,
    };
    let nickname = nickname(ids, source);
    let phone = if ids.chance(0.88) {
        let prefix = ids.pick(PHONE_PREFIXES);
        Some(format!("{prefix}{}", ids.digits(8)))
    } else {
        None
    };
    let city = if ids.chance(0.95) {
        Some(*ids.pick_weighted(CITIES))
    } else {
        None
    };
    let activity = match ids.weighted(&[42, 26, 20, 12]) {
        0 => Activity::OneTime,
        1 => Activity::Occasional,
        2 => Activity::Loyal,
        _ => Activity::Heavy,
    };
    let age_at_start = match ids.weighted(&[8, 15, 25, 25, 27]) {
        0 => ids.range(-50, 0),
        1 => ids.range(0, 60),
        2 => ids.range(60, 180),
        3 => ids.range(180, 365),
        _ => ids.range(365, 800),
    };
    let birth = window_start.plus_millis(-age_at_start * DAY - ids.range(0, 24) * HOUR);
    let returning = match activity {
        Activity::OneTime => ids.chance(0.3),
        Activity::Occasional => ids.chance(0.5),
        Activity::Loyal | Activity::Heavy => ids.chance(0.75),
    };
    Profile {
        id,
        external_id: format!("C{n:05}"),
        nickname,
        phone,
        city,
        source,
        birth,
        sensitive: ids.chance(0.18),
        formula: ids.chance(0.45),
        second_child: ids.chance(0.12),
        price_sensitive: ids.chance(0.25),
        activity,
        diaper_line: ids.weighted(&[60, 40]),
        formula_line: ids.weighted(&[55, 45]),
        pants: ids.chance(0.55),
        returning,
    }
}

/// The showcase customer C00001: a loyal 淘宝 mum whose sensitive-skinned baby grows from S to M
/// during the window, so the live demo has a rich history to show.
pub(crate) fn showcase(p: &mut Profile, window_start: Timestamp) {
    p.nickname = "小鱼妈妈".to_owned();
    p.source = Source::Taobao;
    p.city = Some("杭州");
    if p.phone.is_none() {
        p.phone = Some("13857146203".to_owned());
    }
    p.birth = window_start.plus_millis(-70 * DAY - 9 * HOUR);
    p.sensitive = true;
    p.formula = false;
    p.activity = Activity::Heavy;
    p.diaper_line = 0;
    p.pants = false;
    p.returning = true;
}

/// How long before the first order a shopper became known to the shop.
pub(crate) fn account_age(ids: &mut IdSource, returning: bool) -> i64 {
    if returning {
        ids.range(95, 900) * DAY + ids.range(0, 24 * 60) * MINUTE
    } else {
        match ids.weighted(&[50, 35, 15]) {
            0 => ids.range(3, 60) * MINUTE,
            1 => ids.range(1, 48) * HOUR,
            _ => ids.range(2, 30) * DAY,
        }
    }
}

/// VIP level, skewed low and rising with how much the family buys.
pub(crate) fn vip_level(ids: &mut IdSource, activity: Activity) -> u8 {
    let weights: &[u32] = match activity {
        Activity::OneTime => &[62, 25, 9, 4, 0, 0],
        Activity::Occasional => &[38, 30, 18, 10, 3, 1],
        Activity::Loyal => &[12, 22, 30, 22, 10, 4],
        Activity::Heavy => &[0, 6, 16, 30, 30, 18],
    };
    u8::try_from(ids.weighted(weights)).unwrap_or(0)
}

/// Agents who cover a skill group, for routing conversations to someone plausible.
pub(crate) fn with_skill<'a>(agents: &'a [Agent], skill: &str, tier: Tier) -> Vec<&'a Agent> {
    agents
        .iter()
        .filter(|a| {
            a.tier == tier && (skill.is_empty() || a.skill_groups.iter().any(|s| s == skill))
        })
        .collect()
}

/// The id of an agent chosen for a skill, falling back to any agent of the tier.
pub(crate) fn route(ids: &mut IdSource, agents: &[Agent], skill: &str, tier: Tier) -> Agent {
    let skilled = with_skill(agents, skill, tier);
    let pool = if skilled.is_empty() {
        with_skill(agents, "", tier)
    } else {
        skilled
    };
    match pool.as_slice() {
        [] => agents[0].clone(),
        xs => (*ids.pick(xs)).clone(),
    }
}
