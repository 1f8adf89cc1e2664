//! Entity extraction: the order numbers, tracking numbers, phone numbers, amounts, durations and
//! dates in a shopper's message, read from its [`Normalized`] form (so `訂單號：２０２６…` and
//! `１３８－１２３４－５６７８` read like their plain forms) and reported on the original text.
//!
//! Build one [`EntityExtractor`] (it compiles its patterns once) and share it;
//! [`extract`](EntityExtractor::extract) is pure and returns entities sorted by position,
//! never overlapping.
//!
//! # Kinds and canonical values
//!
//! | kind | value | examples |
//! |---|---|---|
//! | `order_no` | the digits; Pinduoduo keeps its dash | `2026111312345678901`, `231125-123456789012345` |
//! | `tracking_no` | upper case, plus `carrier` when known | `SF1234567890123` (顺丰), `7…` (中通), `EA123456789CN` (EMS) |
//! | `phone` | digits only, no `+86`; `display` masks the middle | `13812345678` / `138****5678`, `057188886666` / `0571****6666` |
//! | `money` | yuan with two decimals | `¥99` → `99.00`, `九块九` → `9.90`, `五毛` → `0.50`, `1.5万元` → `15000.00` |
//! | `duration` | amount and unit as written: `m` `h` `d` `wd` (working days) `w` `mo` `y`; plus `hours` | `7天` → `7d`, `半小时` → `0.5h`, `3个工作日` → `3wd` |
//! | `date` | `YYYY-MM-DD`, `MM-DD`, `+Nd`/`-Nd` (relative: the library has no clock), `weekday:N` (Monday = 1 … Sunday = 7) | `双十一` → `11-11`, `后天` → `+2d`, `周三` → `weekday:3` |
//!
//! A duration's `hours` is its nominal length for comparisons against shop policy: a day is
//! 24 h, a week 7 days, a month 30 days, a year 365 days, and a working day counts as one day
//! (a lower bound on the calendar time; check the `wd` unit when weekends matter).
//!
//! # Precedence
//!
//! Every recognizer proposes candidates; the longest candidate wins and overlapping shorter
//! ones are dropped (on equal length, the earlier one). So a digit run is one entity, never
//! split: a mobile number inside a 19-digit order number is not a phone, `618元` is money and
//! not the 618 festival, `2026年11月25日` is one date. Digit runs are whole tokens (maximal runs
//! of ASCII letters and digits), classified by length, prefix and the words just before them:
//!
//! 1. letters and digits: a carrier format (`SF`+12–15, `YT`+13, `JT`+13, `JD…`+11–15,
//!    UPU `AA123456789CN`) is a tracking number whatever the context;
//! 2. 11 digits `1[3-9]…` are a mobile phone, whatever the context (no platform's orders have
//!    11 digits); `86` + a mobile, a landline with its area code (`0…`, 10–12 digits) and
//!    `400`/`800` numbers are phones unless an order or tracking word says otherwise;
//! 3. after 快递单号/运单号/物流单号/快递号/运单/面单, 10–20 digits are a tracking number;
//! 4. after 订单号/订单编号/订单, 12–19 digits are an order number;
//! 5. `7`+13 digits (中通) and `43`+13 digits (韵达) are tracking numbers;
//! 6. 16–19 digits are an order number (Taobao/Tmall, Douyin `69…`, JD, the shop widget `8…`);
//! 7. after 快递/物流 or a carrier's name, 10–15 digits are a tracking number; after a bare
//!    单号, 12–15 digits are an order number (JD orders can be that short);
//! 8. anything else is no entity: quantities and sizes (`3件`, `120码`, `身高165`,
//!    `iphone15`) and short service numbers such as the `12315` consumer hotline or `10086`,
//!    which are not a shopper's phone (a complaint lexicon is the place for 12315).
//!
//! A carrier named in the message (`韵达快递单号…`) overrides a carrier guessed from digits alone.
//!
//! # Ambiguous cases, decided
//!
//! * `11.25` alone is neither money nor a date: it is a date only when followed by 号/日 or by
//!   a time word (前, 之前, 以后, 当天, 发货 …), and money only with a currency word (`11.25元`).
//!   `M/D` is read the same way. `25号` alone is not a date (it is as often a shoe size).
//! * `X日` is the day of a month after `M月`; alone it is a duration only before 内, 以内,
//!   无理由, 后 … (`7日无理由`).
//! * `X月` is a month, never a duration; a number of months needs 个 (`三个月`, `半个月`).
//! * `X年` is a duration only up to 10 years (warranties); `2026年` is not 2026 years.
//! * `X分` is a score (`五分好评`), not money or minutes; minutes need 分钟.
//! * `一块` alone is "together", not ¥1 (`一块钱`, `一块五` are money); `X角` needs 钱
//!   (`三角` is a triangle); `两块蛋糕` does read as ¥2, a rare confusion in shop chat.
//! * Ranges read as their upper bound: `两三天` → `3d`, `3-5天` → `5d`; "more than" reads as
//!   its lower bound: `一个多月` → `1mo`, `100多块` → `100.00`.
//! * `第3天`, `第二周` are ordinals, not durations; `天猫` is never a day, nor are the idioms
//!   `三天两头` and `一天到晚`.
//! * `后天`/`前天`/`明天` inside words (以后天天, 目前天气, 说明天猫) are not dates.

use regex::{Captures, Regex};
use serde::Serialize;

use crate::normalize::Normalized;
use crate::numerals::{
    is_numeral_char, parse_digit_string, parse_number, parse_range_upper, single_digit,
};

/// What an [`Entity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    OrderNo,
    TrackingNo,
    Phone,
    Money,
    Duration,
    Date,
}

/// One entity found in a message; see the module documentation for the values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// The canonical value that rules and agents read.
    pub value: String,
    /// Char offsets `[start, end)` into the original text.
    pub start: usize,
    pub end: usize,
    /// Phones: the masked form to show (`138****5678`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Tracking numbers: the carrier when the format or the message names it (`顺丰`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Durations: the nominal length in hours, for comparing against policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
}

impl Entity {
    /// A candidate; `start` and `end` are in the normalised text until [`resolve`] maps them.
    fn new(kind: EntityKind, value: String, start: usize, end: usize) -> Self {
        Entity {
            kind,
            value,
            start,
            end,
            display: None,
            carrier: None,
            hours: None,
        }
    }
}

/// Finds entities in normalised messages. Holds its compiled patterns: build one and share it.
#[derive(Debug)]
pub struct EntityExtractor {
    mobile: Regex,
    landline: Regex,
    service: Regex,
    pdd_order: Regex,
    money_prefixed: Regex,
    money_suffixed: Regex,
    duration: Regex,
    date_ymd: Regex,
    date_chinese: Regex,
    date_short: Regex,
    festival: Regex,
    relative_day: Regex,
    weekday: Regex,
}

impl Default for EntityExtractor {
    fn default() -> Self {
        Self::new()
    }
}

/// An Arabic number (with `,` grouping or a decimal part, optionally followed by Chinese units)
/// or a run of Chinese numerals. The repetitions are bounded so that a rejected match costs
/// little to retry one char later: a long run of digits stays linear to scan.
const NUMBER: &str = "(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}(?:\\.[0-9]{1,4})?|[0-9]{1,13}(?:\\.[0-9]{1,4})?[十百千万亿]{0,3}|[零〇一二两三四五六七八九十百千万亿壹贰貳叁肆伍陆陸柒捌玖拾佰仟]{1,16})";

/// Larger counts (`1234567天`) are identifiers or noise, not a time anyone promises.
const MAX_DURATION_AMOUNT: f64 = 10_000.0;

/// Words after `X日` that make it a number of days (`7日无理由`, `3日内`) rather than a day of
/// the month.
const DAY_COUNT_CUES: &[&str] = &[
    "内",
    "以内",
    "之内",
    "无理由",
    "后",
    "之后",
    "以后",
    "左右",
    "达",
];

/// Words after `M.D` or `M/D` that make it a date (`11.25前发货`) rather than a price.
const DATE_CUES: &[&str] = &[
    "前", "之前", "以前", "后", "之后", "以后", "当天", "那天", "发货", "到货", "发出", "截止",
    "开始", "到",
];

/// Compiles one of the extractor's own patterns, which are constants covered by the tests.
fn pattern(p: &str) -> Regex {
    Regex::new(p).expect("the extractor's patterns are valid")
}

impl EntityExtractor {
    pub fn new() -> Self {
        EntityExtractor {
            mobile: pattern(r"(?:\+86[ -]?|86[ -])?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}"),
            landline: pattern(
                r"(?:\((?P<pa>0[0-9]{2,3})\)|(?P<a>0[0-9]{2,3}))[ -]?(?P<s>[0-9]{3,4}[ -]?[0-9]{4})",
            ),
            service: pattern(r"[48]00[ -]?(?:[0-9]{3}[ -]?[0-9]{4}|[0-9]{4}[ -]?[0-9]{3})"),
            pdd_order: pattern(r"[0-9]{6}-[0-9]{15}"),
            money_prefixed: pattern(
                r"(?:¥|￥|rmb|人民币)\s?(?P<n>[0-9]{1,3}(?:,[0-9]{3}){1,4}(?:\.[0-9]{1,4})?|[0-9]{1,13}(?:\.[0-9]{1,4})?)(?P<u>[万千])?(?:元|块)?",
            ),
            money_suffixed: pattern(&format!(
                r"(?P<n>{NUMBER})多?\s?(?P<u>块钱|块|元|圆|rmb|人民币|毛钱|毛|角钱)"
            )),
            duration: pattern(&format!(
                r"(?P<n>{NUMBER}|半)多?\s?(?:(?P<ge>个)多?)?(?P<half>半)?(?P<u>工作日|小时|钟头|分钟|天|日|周|星期|礼拜|月|年|hours|hour|hrs|hr|h|minutes|minute|mins|min)(?P<half2>半)?"
            )),
            date_ymd: pattern(
                r"(?P<y>[0-9]{4})(?P<s1>[-/.])(?P<m>[0-9]{1,2})(?P<s2>[-/.])(?P<d>[0-9]{1,2})(?:日|号)?",
            ),
            date_chinese: pattern(
                r"(?:(?P<y>[0-9]{4}|[零〇一二三四五六七八九]{4})年)?(?P<m>[0-9]{1,2}|[一二三四五六七八九十]{1,3})月(?P<d>[0-9]{1,2}|[一二三四五六七八九十]{1,4})(?P<suffix>日|号)?",
            ),
            date_short: pattern(r"(?P<m>[0-9]{1,2})[./](?P<d>[0-9]{1,2})(?P<suffix>日|号)?"),
            festival: pattern(r"双(?:十一|11|十二|12)|618"),
            relative_day: pattern(r"大后天|大前天|今天|明天|后天|昨天|前天|今日|明日|昨日"),
            weekday: pattern(r"(?:星期|礼拜|周)(?P<d>[一二三四五六日天])"),
        }
    }

    /// The entities in `n`, sorted by start and never overlapping, with spans in the original.
    pub fn extract(&self, n: &Normalized) -> Vec<Entity> {
        let t = Text::new(&n.text);
        let mut found = Vec::new();
        tokens(&t, &mut found);
        self.phones(&t, &mut found);
        self.money(&t, &mut found);
        self.durations(&t, &mut found);
        self.dates(&t, &mut found);
        resolve(found, n)
    }

    /// Phones written with separators or `+86`; plain digit runs are classified in [`tokens`].
    fn phones(&self, t: &Text, out: &mut Vec<Entity>) {
        let grouped = |s: &str| s.contains([' ', '-', '+', '(']);
        scan(&self.mobile, t, out, |c, start, end| {
            let text = c.get(0)?.as_str();
            if !grouped(text)
                || !free_digits(t, start, end, &[' ', '-'])
                || t.before(start) == Some('+')
            {
                return None;
            }
            let digits = digits_of(text);
            let mobile = digits
                .strip_prefix("86")
                .filter(|_| digits.len() == 13)
                .unwrap_or(&digits);
            Some(phone(mobile, 3, start, end))
        });
        scan(&self.landline, t, out, |c, start, end| {
            let area = c.name("pa").or_else(|| c.name("a"))?.as_str();
            let valid_area = match area.len() {
                3 => area == "010" || area.starts_with("02"),
                _ => area
                    .as_bytes()
                    .get(1)
                    .is_some_and(|b| (b'3'..=b'9').contains(b)),
            };
            if !valid_area
                || !grouped(c.get(0)?.as_str())
                || !free_digits(t, start, end, &[' ', '-'])
            {
                return None;
            }
            let value = format!("{area}{}", digits_of(c.name("s")?.as_str()));
            Some(phone(&value, area.len(), start, end))
        });
        scan(&self.service, t, out, |c, start, end| {
            let text = c.get(0)?.as_str();
            if !grouped(text) || !free_digits(t, start, end, &[' ', '-']) {
                return None;
            }
            Some(phone(&digits_of(text), 3, start, end))
        });
        scan(&self.pdd_order, t, out, |c, start, end| {
            let text = c.get(0)?.as_str();
            free_digits(t, start, end, &['-'])
                .then(|| Entity::new(EntityKind::OrderNo, text.to_string(), start, end))
        });
    }

    fn money(&self, t: &Text, out: &mut Vec<Entity>) {
        scan(&self.money_prefixed, t, out, |c, start, end| {
            let text = c.get(0)?.as_str();
            if text.starts_with('r') && t.before(start).is_some_and(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            if t.at(end).is_some_and(|a| a.is_ascii_digit()) {
                return None;
            }
            let mut number = c.name("n")?.as_str().to_string();
            number.push_str(c.name("u").map_or("", |u| u.as_str()));
            let yuan = parse_number(&number)?;
            Some(Entity::new(
                EntityKind::Money,
                yuan_value(yuan)?,
                start,
                end,
            ))
        });
        scan(&self.money_suffixed, t, out, |c, start, end| {
            let number = c.name("n")?.as_str();
            if !number_starts_freely(t, start, number) {
                return None;
            }
            let unit = c.name("u")?.as_str();
            if unit == "rmb" && t.at(end).is_some_and(|a| a.is_ascii_alphanumeric()) {
                return None;
            }
            let amount = read_amount(number)?;
            let (base, tail) = match unit {
                "块" | "元" | "圆" => (amount, money_tail(t, end, false)),
                "毛" => (amount / 10.0, money_tail(t, end, true)),
                "毛钱" | "角钱" => (amount / 10.0, (0.0, end)),
                _ => (amount, (0.0, end)),
            };
            if unit == "块" && number == "一" && tail.1 == end {
                return None;
            }
            Some(Entity::new(
                EntityKind::Money,
                yuan_value(base + tail.0)?,
                start,
                tail.1,
            ))
        });
    }

    fn durations(&self, t: &Text, out: &mut Vec<Entity>) {
        scan(&self.duration, t, out, |c, start, _| {
            let number = c.name("n")?.as_str();
            if !number_starts_freely(t, start, number) {
                return None;
            }
            let u = c.name("u")?;
            let unit = u.as_str();
            let unit_end = t.char_index(u.end());
            let after = t.rest(unit_end);
            let counted = c.name("ge").is_some();
            let mut amount = read_amount(number).filter(|&a| a <= MAX_DURATION_AMOUNT)?;
            let ascii = unit.is_ascii();
            if ascii {
                if !number.starts_with(|d: char| d.is_ascii_digit())
                    || counted
                    || c.name("half").is_some()
                    || t.at(unit_end).is_some_and(|a| a.is_ascii_alphanumeric())
                {
                    return None;
                }
                let code = if unit.starts_with('h') { "h" } else { "m" };
                return Some(duration(amount, code, start, unit_end));
            }
            let rejected = match unit {
                "月" => !counted,
                "日" => !DAY_COUNT_CUES.iter().any(|cue| after.starts_with(cue)),
                "年" => {
                    amount > 10.0
                        || after.starts_with('级')
                        || number.len() > 2 && number.is_ascii()
                }
                "周" => after.starts_with(['年', '岁']),
                // 天猫 (Tmall), and the idioms 三天两头 (every so often) and 一天到晚 (all day).
                "天" => ["猫", "两头", "到晚"].iter().any(|w| after.starts_with(w)),
                _ => false,
            };
            if rejected {
                return None;
            }
            if c.name("half").is_some() {
                if !counted {
                    return None;
                }
                amount += 0.5;
            }
            let mut end = unit_end;
            if let Some(h) = c.name("half2") {
                let half_end = t.char_index(h.end());
                if c.name("half").is_none() && t.at(half_end) != Some('价') {
                    amount += 0.5;
                    end = half_end;
                }
            }
            let code = match unit {
                "工作日" => "wd",
                "小时" | "钟头" => "h",
                "分钟" => "m",
                "天" | "日" => "d",
                "周" | "星期" | "礼拜" => "w",
                "月" => "mo",
                _ => "y",
            };
            Some(duration(amount, code, start, end))
        });
    }

    fn dates(&self, t: &Text, out: &mut Vec<Entity>) {
        let date =
            |value: String, start, end| Some(Entity::new(EntityKind::Date, value, start, end));
        scan(&self.date_ymd, t, out, |c, start, end| {
            if c.name("s1")?.as_str() != c.name("s2")?.as_str()
                || !free_digits(t, start, end, &['.', '-', '/'])
            {
                return None;
            }
            let y: u32 = c.name("y")?.as_str().parse().ok()?;
            let m: u32 = c.name("m")?.as_str().parse().ok()?;
            let d: u32 = c.name("d")?.as_str().parse().ok()?;
            date(full_date(y, m, d)?, start, end)
        });
        scan(&self.date_chinese, t, out, |c, start, end| {
            let before = t.before(start);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || is_numeral_char(b)) {
                return None;
            }
            let d = c.name("d")?.as_str();
            let arabic_day = d.starts_with(|x: char| x.is_ascii_digit());
            if arabic_day && t.at(end).is_some_and(|a| a.is_ascii_digit()) {
                return None;
            }
            if !arabic_day && c.name("suffix").is_none() {
                return None;
            }
            let m = small_integer(c.name("m")?.as_str())?;
            let d = small_integer(d)?;
            match c.name("y") {
                Some(y) => {
                    let y = y.as_str();
                    let y = y.parse().ok().or_else(|| parse_digit_string(y))?;
                    date(full_date(u32::try_from(y).ok()?, m, d)?, start, end)
                }
                None => date(month_day(m, d)?, start, end),
            }
        });
        scan(&self.date_short, t, out, |c, start, end| {
            if !free_digits(t, start, end, &['.', '/', '-']) {
                return None;
            }
            let cued = c.name("suffix").is_some()
                || DATE_CUES.iter().any(|cue| t.rest(end).starts_with(cue));
            if !cued {
                return None;
            }
            let m = c.name("m")?.as_str().parse().ok()?;
            let d = c.name("d")?.as_str().parse().ok()?;
            date(month_day(m, d)?, start, end)
        });
        scan(&self.festival, t, out, |c, start, end| {
            let text = c.get(0)?.as_str();
            if text == "618" && !free_digits(t, start, end, &['.', ',', '-', '/']) {
                return None;
            }
            if t.at(end)
                .is_some_and(|a| a.is_ascii_alphanumeric() || is_numeral_char(a))
            {
                return None;
            }
            let value = match text {
                "618" => "06-18",
                "双十二" | "双12" => "12-12",
                _ => "11-11",
            };
            date(value.to_string(), start, end)
        });
        scan(&self.relative_day, t, out, |c, start, end| {
            let text = c.get(0)?.as_str();
            let before = t.before(start).unwrap_or(' ');
            let word_before = match text.chars().next() {
                Some('后') => "以之最然背今此随先过落售午稍往事善饭身而退".contains(before),
                Some('前') => "之以目当提眼面从先向空跟此事日年门上售".contains(before),
                Some('明') => "说证表透聪光清简声发文分标查注阐鲜精英神".contains(before),
                Some('今') => "如至现当古迄".contains(before),
                _ => false,
            };
            let word_after = match t.at(end) {
                Some('猫') => text.ends_with('天'),
                Some('期' | '志' | '常') => text.ends_with('日'),
                _ => false,
            };
            if word_before || word_after {
                return None;
            }
            let value = match text {
                "今天" | "今日" => "+0d",
                "明天" | "明日" => "+1d",
                "后天" => "+2d",
                "大后天" => "+3d",
                "昨天" | "昨日" => "-1d",
                "前天" => "-2d",
                _ => "-3d",
            };
            date(value.to_string(), start, end)
        });
        scan(&self.weekday, t, out, |c, start, end| {
            if t.before(start)
                .is_some_and(|b| b.is_ascii_digit() || is_numeral_char(b) || b == '个')
            {
                return None;
            }
            let day = match c.name("d")?.as_str() {
                "日" | "天" => 7,
                d => small_integer(d)?,
            };
            date(format!("weekday:{day}"), start, end)
        });
    }
}

/// The normalised text with char ↔ byte bookkeeping for the regex matches.
struct Text<'a> {
    s: &'a str,
    chars: Vec<char>,
    /// The byte offset of each char, then `s.len()`.
    offsets: Vec<usize>,
}

impl<'a> Text<'a> {
    fn new(s: &'a str) -> Self {
        let (mut offsets, chars): (Vec<usize>, Vec<char>) = s.char_indices().unzip();
        offsets.push(s.len());
        Text { s, chars, offsets }
    }

    fn char_index(&self, byte: usize) -> usize {
        self.offsets.partition_point(|&o| o < byte)
    }

    fn byte(&self, char_index: usize) -> usize {
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(self.s.len())
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn before(&self, i: usize) -> Option<char> {
        i.checked_sub(1).and_then(|j| self.at(j))
    }

    /// The text from char `i` on.
    fn rest(&self, i: usize) -> &'a str {
        self.s.get(self.byte(i)..).unwrap_or("")
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.s.get(self.byte(start)..self.byte(end)).unwrap_or("")
    }
}

/// Runs `read` on every match of `re`. A rejected match is retried one char later, so a match
/// that fails its checks (`两三天` does not parse as a number) does not hide a shorter one
/// inside it (`三天`).
fn scan(
    re: &Regex,
    t: &Text,
    out: &mut Vec<Entity>,
    mut read: impl FnMut(&Captures, usize, usize) -> Option<Entity>,
) {
    let mut at = 0;
    while at < t.s.len() {
        let Some(c) = re.captures_at(t.s, at) else {
            break;
        };
        let Some(m) = c.get(0) else { break };
        let (start, end) = (t.char_index(m.start()), t.char_index(m.end()));
        match read(&c, start, end) {
            Some(e) if e.end > e.start => {
                at = t.byte(e.end.max(start + 1));
                out.push(e);
            }
            _ => at = t.byte(start + 1),
        }
    }
}

/// Keeps the longest candidates (then the earliest; then the first proposed, in the order
/// digit tokens, phones, money, durations, dates) so that no two overlap, and maps their spans
/// back to the original text.
fn resolve(mut found: Vec<Entity>, n: &Normalized) -> Vec<Entity> {
    found.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Entity> = Vec::with_capacity(found.len());
    for e in found {
        if kept.iter().all(|k| e.end <= k.start || k.end <= e.start) {
            kept.push(e);
        }
    }
    kept.sort_by_key(|e| e.start);
    let mut out = Vec::with_capacity(kept.len());
    let mut last_end = 0;
    for mut e in kept {
        // One original char can expand into several (`⑩` → `10`); never report a char twice.
        let Some((start, end)) = n.original_span(e.start, e.end) else {
            continue;
        };
        if start < last_end {
            continue;
        }
        (e.start, e.end, last_end) = (start, end, end);
        out.push(e);
    }
    out
}

/// Splits the text into maximal runs of ASCII letters and digits and classifies each.
fn tokens(t: &Text, out: &mut Vec<Entity>) {
    let mut i = 0;
    while i < t.chars.len() {
        if !t.chars[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while t.at(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
            i += 1;
        }
        let token = t.slice(start, i);
        let found = if token.bytes().all(|b| b.is_ascii_digit()) {
            classify_digits(t, token, start, i)
        } else {
            lettered_tracking(token).map(|carrier| {
                let mut e =
                    Entity::new(EntityKind::TrackingNo, token.to_ascii_uppercase(), start, i);
                e.carrier = carrier.map(str::to_string);
                e
            })
        };
        out.extend(found);
    }
}

/// Tracking numbers with letters, by carrier format; `Some(None)` for an unknown carrier.
fn lettered_tracking(token: &str) -> Option<Option<&'static str>> {
    let (prefix, rest) = token.split_at(token.find(|c: char| c.is_ascii_digit())?);
    let (digits, suffix) = rest.split_at(
        rest.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len()),
    );
    let n = digits.len();
    match (prefix, suffix) {
        ("sf", "") if (12..=15).contains(&n) => Some(Some("顺丰")),
        ("yt", "") if n == 13 => Some(Some("圆通")),
        ("jt", "") if n == 13 => Some(Some("极兔")),
        (p, "") if p.starts_with("jd") && p.len() <= 4 && (11..=15).contains(&n) => {
            Some(Some("京东物流"))
        }
        // UPU S10: two letters, eight digits and a check digit (not verified: shoppers'
        // examples rarely carry a valid one), two letters of country.
        (p, s)
            if p.len() == 2
                && n == 9
                && s.len() == 2
                && s.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            Some(match (p.as_bytes().first(), s) {
                (Some(b'e'), "cn") => Some("EMS"),
                (_, "cn") => Some("中国邮政"),
                _ => None,
            })
        }
        _ => None,
    }
}

/// How the words just before a digit run describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    None,
    /// 快递单号, 运单号 …
    Tracking,
    /// 订单号, 订单 …
    Order,
    /// 快递, 物流, a carrier's name.
    WeakTracking,
    /// A bare 单号.
    WeakOrder,
}

const CUES: &[(&str, Cue)] = &[
    ("快递单号", Cue::Tracking),
    ("物流单号", Cue::Tracking),
    ("运单号", Cue::Tracking),
    ("运单", Cue::Tracking),
    ("快递号", Cue::Tracking),
    ("物流号", Cue::Tracking),
    ("面单", Cue::Tracking),
    ("订单编号", Cue::Order),
    ("订单号", Cue::Order),
    ("订单", Cue::Order),
    ("单号", Cue::WeakOrder),
    ("快递", Cue::WeakTracking),
    ("物流", Cue::WeakTracking),
];

const CARRIERS: &[(&str, &str)] = &[
    ("顺丰", "顺丰"),
    ("圆通", "圆通"),
    ("中通", "中通"),
    ("韵达", "韵达"),
    ("申通", "申通"),
    ("极兔", "极兔"),
    ("京东物流", "京东物流"),
    ("京东快递", "京东物流"),
    ("邮政", "中国邮政"),
    ("ems", "EMS"),
    ("德邦", "德邦"),
    ("百世", "百世"),
];

/// The word from `words` that ends closest before the end of `window` (the longest when
/// several end at the same place): its end, its length and its meaning.
fn closest<T: Copy>(window: &str, words: &[(&str, T)]) -> Option<(usize, usize, T)> {
    words
        .iter()
        .filter_map(|&(w, meaning)| window.rfind(w).map(|at| (at + w.len(), w.len(), meaning)))
        .max_by_key(|&(end, len, _)| (end, len))
}

/// The cue word closest before char `start`, within ten chars, and the carrier named there.
/// A carrier's name is itself a weak tracking cue.
fn cue_before(t: &Text, start: usize) -> (Cue, Option<&'static str>) {
    let window = t.slice(start.saturating_sub(10), start);
    let cue = closest(window, CUES);
    let carrier = closest(window, CARRIERS);
    let cue = match (cue, carrier) {
        (Some((ce, cl, cue)), Some((ke, kl, _))) if (ce, cl) >= (ke, kl) => cue,
        (_, Some(_)) => Cue::WeakTracking,
        (Some((_, _, cue)), None) => cue,
        (None, None) => Cue::None,
    };
    (cue, carrier.map(|(_, _, name)| name))
}

/// Classifies a run of digits by length, prefix and cue words (see the module documentation).
fn classify_digits(t: &Text, digits: &str, start: usize, end: usize) -> Option<Entity> {
    let len = digits.len();
    let (cue, named_carrier) = cue_before(t, start);
    let is_mobile = |d: &str| {
        d.len() == 11
            && d.starts_with('1')
            && d.as_bytes()
                .get(1)
                .is_some_and(|b| (b'3'..=b'9').contains(b))
    };
    if is_mobile(digits) {
        return Some(phone(digits, 3, start, end));
    }
    if let Some(mobile) = digits.strip_prefix("86").filter(|m| is_mobile(m))
        && matches!(cue, Cue::None | Cue::WeakTracking)
    {
        return Some(phone(mobile, 3, start, end));
    }
    if digits.starts_with('0') && !matches!(cue, Cue::Tracking | Cue::Order) {
        let area = if digits.starts_with("010") || digits.starts_with("02") {
            3
        } else {
            4
        };
        let valid_area = area == 3
            || digits
                .as_bytes()
                .get(1)
                .is_some_and(|b| (b'3'..=b'9').contains(b));
        if valid_area && (7..=8).contains(&(len - area.min(len))) {
            return Some(phone(digits, area, start, end));
        }
    }
    if len == 10 && (digits.starts_with("400") || digits.starts_with("800")) && cue != Cue::Tracking
    {
        return Some(phone(digits, 3, start, end));
    }
    let guessed_carrier = match len {
        14 if digits.starts_with('7') => Some("中通"),
        15 if digits.starts_with("43") => Some("韵达"),
        _ => None,
    };
    let tracking = |carrier: Option<&str>| {
        let mut e = Entity::new(EntityKind::TrackingNo, digits.to_string(), start, end);
        e.carrier = carrier.map(str::to_string);
        Some(e)
    };
    let order = || {
        Some(Entity::new(
            EntityKind::OrderNo,
            digits.to_string(),
            start,
            end,
        ))
    };
    match cue {
        Cue::Tracking if (10..=20).contains(&len) => tracking(named_carrier.or(guessed_carrier)),
        Cue::Order if (12..=19).contains(&len) => order(),
        _ if guessed_carrier.is_some() => tracking(named_carrier.or(guessed_carrier)),
        _ if (16..=19).contains(&len) => order(),
        Cue::WeakTracking if (10..=15).contains(&len) => tracking(named_carrier),
        Cue::WeakOrder if (12..=15).contains(&len) => order(),
        _ => None,
    }
}

/// A phone entity; `display` keeps the first `keep` digits (the area code, or 138) and the
/// last four.
fn phone(digits: &str, keep: usize, start: usize, end: usize) -> Entity {
    let head = digits.get(..keep).unwrap_or("");
    let tail = digits.get(digits.len().saturating_sub(4)..).unwrap_or("");
    let mut e = Entity::new(EntityKind::Phone, digits.to_string(), start, end);
    e.display = Some(format!("{head}****{tail}"));
    e
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `[start, end)` stands alone as a digit group: no ASCII letter or digit touches it,
/// and no digit joined to it by one of `joiners` (`2026-` before `11-25` belongs to it).
fn free_digits(t: &Text, start: usize, end: usize, joiners: &[char]) -> bool {
    let touches = |c: Option<char>, beyond: Option<char>| match c {
        Some(c) if c.is_ascii_alphanumeric() => true,
        Some(c) if joiners.contains(&c) => beyond.is_some_and(|b| b.is_ascii_digit()),
        _ => false,
    };
    let before_beyond = start.checked_sub(2).and_then(|i| t.at(i));
    !touches(t.before(start), before_beyond) && !touches(t.at(end), t.at(end + 1))
}

/// Whether a number starting at `start` begins there, rather than continuing a longer number
/// or following `第` (an ordinal).
fn number_starts_freely(t: &Text, start: usize, number: &str) -> bool {
    match t.before(start) {
        None => true,
        Some('第') => false,
        Some(b) if number.starts_with(|c: char| c.is_ascii_digit()) => {
            // `,` continues a number only as thousands grouping: `1,299` but not `…901,7天`.
            let leading = number.chars().take_while(char::is_ascii_digit).count();
            let joined = b == '.' || b == ',' && leading == 3;
            !(b.is_ascii_alphanumeric()
                || joined && t.before(start - 1).is_some_and(|c| c.is_ascii_digit()))
        }
        Some(b) => !is_numeral_char(b),
    }
}

/// A number, or the upper bound of a Chinese range (`两三` → 3).
fn read_amount(number: &str) -> Option<f64> {
    parse_number(number).or_else(|| parse_range_upper(number))
}

/// An integer from 1 to 31 written in Arabic or Chinese, for months and days.
fn small_integer(s: &str) -> Option<u32> {
    let n = parse_number(s)?;
    (n.fract() == 0.0 && (1.0..=31.0).contains(&n)).then_some(n as u32)
}

/// Chars that count things (件, 个, 斤 …): a digit before one is a quantity, not small change.
fn is_classifier(c: char) -> bool {
    "件个斤条只双盒瓶套台张份支袋箱杯次天号码位人元块毛角月年周".contains(c)
}

/// Small change after 块/元 (`九块九`, `两块五毛`, `三元五角二分`) or after 毛 (`两毛五`):
/// the extra yuan and the end of the amount.
fn money_tail(t: &Text, i: usize, after_mao: bool) -> (f64, usize) {
    let Some(d) = t.at(i).and_then(single_digit).filter(|&d| d > 0) else {
        return (0.0, i);
    };
    let d = d as f64;
    match t.at(i + 1) {
        Some('毛' | '角') if !after_mao => {
            let mut extra = d / 10.0;
            let mut j = i + 2;
            if let (Some(f), Some('分')) = (t.at(j).and_then(single_digit), t.at(j + 1)) {
                extra += f as f64 / 100.0;
                j += 2;
            }
            if t.at(j) == Some('钱') {
                j += 1;
            }
            (extra, j)
        }
        Some('分') => (d / 100.0, i + 2),
        next => {
            let bare = match next {
                None => true,
                Some(c) if c.is_ascii_digit() => false,
                Some(c) if is_numeral_char(c) => t.at(i + 2).is_some_and(is_classifier),
                Some(c) => !is_classifier(c),
            };
            if bare {
                (if after_mao { d / 100.0 } else { d / 10.0 }, i + 1)
            } else {
                (0.0, i)
            }
        }
    }
}

/// Yuan as a decimal string with two places; `None` for amounts no shop chat means.
fn yuan_value(yuan: f64) -> Option<String> {
    if !(0.0..1e12).contains(&yuan) {
        return None;
    }
    let fen = (yuan * 100.0).round() as u64;
    Some(format!("{}.{:02}", fen / 100, fen % 100))
}

fn duration(amount: f64, unit: &str, start: usize, end: usize) -> Entity {
    let hours_per_unit = match unit {
        "m" => 1.0 / 60.0,
        "h" => 1.0,
        "d" | "wd" => 24.0,
        "w" => 24.0 * 7.0,
        "mo" => 24.0 * 30.0,
        _ => 24.0 * 365.0,
    };
    let amount_text = if amount.fract() == 0.0 {
        format!("{amount:.0}")
    } else {
        let two = format!("{amount:.2}");
        two.trim_end_matches('0').to_string()
    };
    let mut e = Entity::new(
        EntityKind::Duration,
        format!("{amount_text}{unit}"),
        start,
        end,
    );
    e.hours = Some(amount * hours_per_unit);
    e
}

fn days_in_month(m: u32, year: Option<u32>) -> Option<u32> {
    Some(match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) => 28,
            _ => 29,
        },
        _ => return None,
    })
}

fn month_day(m: u32, d: u32) -> Option<String> {
    (1..=days_in_month(m, None)?)
        .contains(&d)
        .then(|| format!("{m:02}-{d:02}"))
}

fn full_date(y: u32, m: u32, d: u32) -> Option<String> {
    ((1900..=2199).contains(&y) && (1..=days_in_month(m, Some(y))?).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize;
    use EntityKind::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static EXTRACTOR: LazyLock<EntityExtractor> = LazyLock::new(EntityExtractor::new);

    fn extract(s: &str) -> Vec<Entity> {
        EXTRACTOR.extract(&normalize(s))
    }

    /// The original chars `[start, end)` of `s`.
    fn original(s: &str, e: &Entity) -> String {
        s.chars().skip(e.start).take(e.end - e.start).collect()
    }

    /// A message and the (kind, value, original text of the span) of each entity expected in it.
    type Case<'a> = (&'a str, &'a [(EntityKind, &'a str, &'a str)]);

    /// (kind, value, the original text of the span) for each entity in `s`.
    fn found(s: &str) -> Vec<(EntityKind, String, String)> {
        extract(s)
            .iter()
            .map(|e| (e.kind, e.value.clone(), original(s, e)))
            .collect()
    }

    fn check(cases: &[Case]) {
        let mut failures = Vec::new();
        for (input, expected) in cases {
            let expected: Vec<(EntityKind, String, String)> = expected
                .iter()
                .map(|(k, v, s)| (*k, v.to_string(), s.to_string()))
                .collect();
            let got = found(input);
            if got != expected {
                failures.push(format!(
                    "{input:?}\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn only(s: &str, kind: EntityKind) -> Entity {
        let all = extract(s);
        match &all[..] {
            [e] if e.kind == kind => e.clone(),
            _ => panic!("{s:?}: expected one {kind:?}, got {all:?}"),
        }
    }

    #[test]
    fn order_numbers() {
        check(&[
            (
                "订单号：2026111312345678901",
                &[(OrderNo, "2026111312345678901", "2026111312345678901")],
            ),
            (
                "我的订单 6912345678901234567 还没发货",
                &[(OrderNo, "6912345678901234567", "6912345678901234567")],
            ),
            (
                "312345678901234567",
                &[(OrderNo, "312345678901234567", "312345678901234567")],
            ),
            (
                "812345678901234567查一下",
                &[(OrderNo, "812345678901234567", "812345678901234567")],
            ),
            (
                "4123456789012345678",
                &[(OrderNo, "4123456789012345678", "4123456789012345678")],
            ),
            (
                "1234567890123456",
                &[(OrderNo, "1234567890123456", "1234567890123456")],
            ),
            (
                "單號 123456789012",
                &[(OrderNo, "123456789012", "123456789012")],
            ),
            (
                "订单号是313812345678901234",
                &[(OrderNo, "313812345678901234", "313812345678901234")],
            ),
            (
                "拼多多订单231125-123456789012345",
                &[(OrderNo, "231125-123456789012345", "231125-123456789012345")],
            ),
            (
                "物流一直没更新 2026111312345678901",
                &[(OrderNo, "2026111312345678901", "2026111312345678901")],
            ),
            (
                "订单号 71234567890123",
                &[(OrderNo, "71234567890123", "71234567890123")],
            ),
            ("123456789012", &[]),
            ("2026111312345678901234", &[]),
        ]);
    }

    #[test]
    fn tracking_numbers() {
        check(&[
            (
                "顺丰SF1234567890123",
                &[(TrackingNo, "SF1234567890123", "SF1234567890123")],
            ),
            (
                "yt1234567890123",
                &[(TrackingNo, "YT1234567890123", "yt1234567890123")],
            ),
            (
                "JDVA12345678901",
                &[(TrackingNo, "JDVA12345678901", "JDVA12345678901")],
            ),
            (
                "JT1234567890123",
                &[(TrackingNo, "JT1234567890123", "JT1234567890123")],
            ),
            (
                "EA123456789CN",
                &[(TrackingNo, "EA123456789CN", "EA123456789CN")],
            ),
            (
                "71234567890123",
                &[(TrackingNo, "71234567890123", "71234567890123")],
            ),
            (
                "431234567890123",
                &[(TrackingNo, "431234567890123", "431234567890123")],
            ),
            (
                "快递单号：123456789012",
                &[(TrackingNo, "123456789012", "123456789012")],
            ),
            (
                "运单号1234567890",
                &[(TrackingNo, "1234567890", "1234567890")],
            ),
            (
                "已发货，单号71234567890123",
                &[(TrackingNo, "71234567890123", "71234567890123")],
            ),
            (
                "订单号SF1234567890123",
                &[(TrackingNo, "SF1234567890123", "SF1234567890123")],
            ),
            (
                "ＳＦ１２３４５６７８９０１２３",
                &[(
                    TrackingNo,
                    "SF1234567890123",
                    "ＳＦ１２３４５６７８９０１２３",
                )],
            ),
        ]);
        let carrier = |s: &str| only(s, TrackingNo).carrier;
        assert_eq!(carrier("SF1234567890123").as_deref(), Some("顺丰"));
        assert_eq!(carrier("YT1234567890123").as_deref(), Some("圆通"));
        assert_eq!(carrier("71234567890123").as_deref(), Some("中通"));
        assert_eq!(carrier("431234567890123").as_deref(), Some("韵达"));
        assert_eq!(carrier("JDVA12345678901").as_deref(), Some("京东物流"));
        assert_eq!(carrier("JT1234567890123").as_deref(), Some("极兔"));
        assert_eq!(carrier("EA123456789CN").as_deref(), Some("EMS"));
        assert_eq!(carrier("RR123456789CN").as_deref(), Some("中国邮政"));
        assert_eq!(carrier("快递单号：123456789012"), None);
        assert_eq!(
            carrier("韵达快递单号 71234567890123").as_deref(),
            Some("韵达")
        );
        assert_eq!(carrier("申通 123456789012").as_deref(), Some("申通"));
    }

    #[test]
    fn phones() {
        check(&[
            ("13812345678", &[(Phone, "13812345678", "13812345678")]),
            (
                "电话138 1234 5678",
                &[(Phone, "13812345678", "138 1234 5678")],
            ),
            ("138-1234-5678", &[(Phone, "13812345678", "138-1234-5678")]),
            (
                "+86 13812345678",
                &[(Phone, "13812345678", "+86 13812345678")],
            ),
            (
                "+86 138 1234 5678",
                &[(Phone, "13812345678", "+86 138 1234 5678")],
            ),
            ("8613812345678", &[(Phone, "13812345678", "8613812345678")]),
            ("010-12345678", &[(Phone, "01012345678", "010-12345678")]),
            (
                "0571-8888 6666",
                &[(Phone, "057188886666", "0571-8888 6666")],
            ),
            (
                "(0571)88886666",
                &[(Phone, "057188886666", "(0571)88886666")],
            ),
            ("057188886666", &[(Phone, "057188886666", "057188886666")]),
            ("400-800-8888", &[(Phone, "4008008888", "400-800-8888")]),
            ("4008008888", &[(Phone, "4008008888", "4008008888")]),
            (
                "我电话是(021)12345678",
                &[(Phone, "02112345678", "(021)12345678")],
            ),
            (
                "手机：186-0000-1111，固话：0755-2888 8888",
                &[
                    (Phone, "18600001111", "186-0000-1111"),
                    (Phone, "075528888888", "0755-2888 8888"),
                ],
            ),
            (
                "１３８－１２３４－５６７８",
                &[(Phone, "13812345678", "１３８－１２３４－５６７８")],
            ),
            ("打12315投诉你们", &[]),
            ("10086", &[]),
            ("1381234567", &[]),
            ("138123456789", &[]),
        ]);
        let display = |s: &str| only(s, Phone).display;
        assert_eq!(display("13812345678").as_deref(), Some("138****5678"));
        assert_eq!(display("+86 138-1234-5678").as_deref(), Some("138****5678"));
        assert_eq!(display("0571-8888 6666").as_deref(), Some("0571****6666"));
        assert_eq!(display("010-12345678").as_deref(), Some("010****5678"));
        assert_eq!(display("400-800-8888").as_deref(), Some("400****8888"));
    }

    #[test]
    fn money() {
        check(&[
            ("¥99", &[(Money, "99.00", "¥99")]),
            ("￥99.9", &[(Money, "99.90", "￥99.9")]),
            ("99元", &[(Money, "99.00", "99元")]),
            ("99.50元", &[(Money, "99.50", "99.50元")]),
            ("99块", &[(Money, "99.00", "99块")]),
            ("便宜99块钱吧", &[(Money, "99.00", "99块钱")]),
            ("三十元", &[(Money, "30.00", "三十元")]),
            ("五十块", &[(Money, "50.00", "五十块")]),
            ("两百块", &[(Money, "200.00", "两百块")]),
            ("1,299元", &[(Money, "1299.00", "1,299元")]),
            ("1，299元", &[(Money, "1299.00", "1，299元")]),
            ("RMB 99", &[(Money, "99.00", "RMB 99")]),
            ("99rmb", &[(Money, "99.00", "99rmb")]),
            ("九块九", &[(Money, "9.90", "九块九")]),
            ("9块9包邮", &[(Money, "9.90", "9块9")]),
            ("五毛", &[(Money, "0.50", "五毛")]),
            ("两毛五", &[(Money, "0.25", "两毛五")]),
            ("两块五毛", &[(Money, "2.50", "两块五毛")]),
            ("三元五角二分", &[(Money, "3.52", "三元五角二分")]),
            ("一块五", &[(Money, "1.50", "一块五")]),
            ("一块钱", &[(Money, "1.00", "一块钱")]),
            ("壹佰贰拾元", &[(Money, "120.00", "壹佰贰拾元")]),
            ("1.5万元", &[(Money, "15000.00", "1.5万元")]),
            ("¥3万", &[(Money, "30000.00", "¥3万")]),
            ("一百五十块", &[(Money, "150.00", "一百五十块")]),
            ("99元3件", &[(Money, "99.00", "99元")]),
            ("三四百块", &[(Money, "400.00", "三四百块")]),
            ("五毛钱", &[(Money, "0.50", "五毛钱")]),
            ("100多块", &[(Money, "100.00", "100多块")]),
            ("我们一块去", &[]),
            ("三角形", &[]),
            ("给五分好评", &[]),
            ("第3块", &[]),
        ]);
    }

    #[test]
    fn durations() {
        check(&[
            ("7天", &[(Duration, "7d", "7天")]),
            ("七天", &[(Duration, "7d", "七天")]),
            ("三天", &[(Duration, "3d", "三天")]),
            ("24小时", &[(Duration, "24h", "24小时")]),
            ("二十四小时", &[(Duration, "24h", "二十四小时")]),
            ("48h", &[(Duration, "48h", "48h")]),
            ("2 hours", &[(Duration, "2h", "2 hours")]),
            ("半小时", &[(Duration, "0.5h", "半小时")]),
            ("一个半小时", &[(Duration, "1.5h", "一个半小时")]),
            ("两个小时", &[(Duration, "2h", "两个小时")]),
            ("两周", &[(Duration, "2w", "两周")]),
            ("一个星期", &[(Duration, "1w", "一个星期")]),
            ("一个月", &[(Duration, "1mo", "一个月")]),
            ("半个月", &[(Duration, "0.5mo", "半个月")]),
            ("15分钟", &[(Duration, "15m", "15分钟")]),
            ("5min", &[(Duration, "5m", "5min")]),
            ("十五天", &[(Duration, "15d", "十五天")]),
            ("3个工作日", &[(Duration, "3wd", "3个工作日")]),
            ("7天无理由退货", &[(Duration, "7d", "7天")]),
            ("7日无理由", &[(Duration, "7d", "7日")]),
            ("两天半", &[(Duration, "2.5d", "两天半")]),
            ("一天半价", &[(Duration, "1d", "一天")]),
            ("一年保修", &[(Duration, "1y", "一年")]),
            ("两三天", &[(Duration, "3d", "两三天")]),
            ("3-5天", &[(Duration, "5d", "5天")]),
            ("三五天能到吗", &[(Duration, "5d", "三五天")]),
            ("等了一个多月", &[(Duration, "1mo", "一个多月")]),
            ("十多天", &[(Duration, "10d", "十多天")]),
            ("两个多小时", &[(Duration, "2h", "两个多小时")]),
            ("第3天", &[]),
            ("第二周", &[]),
            ("3年级", &[]),
            ("2026年", &[]),
            ("三周年", &[]),
            ("25日", &[]),
            ("3月", &[]),
            ("同一天猫价", &[]),
            ("三天两头坏", &[]),
            ("一天到晚催", &[]),
            ("1~2天", &[(Duration, "2d", "2天")]),
            ("半个多月", &[(Duration, "0.5mo", "半个多月")]),
            ("几天", &[]),
            ("1234567天", &[]),
        ]);
        let hours = |s: &str| only(s, Duration).hours;
        assert_eq!(hours("7天"), Some(168.0));
        assert_eq!(hours("24小时"), Some(24.0));
        assert_eq!(hours("半小时"), Some(0.5));
        assert_eq!(hours("15分钟"), Some(0.25));
        assert_eq!(hours("两周"), Some(336.0));
        assert_eq!(hours("一个月"), Some(720.0));
        assert_eq!(hours("3个工作日"), Some(72.0));
        assert!(
            hours("7天") > hours("3天"),
            "a 7-day promise exceeds a 3-day policy"
        );
    }

    #[test]
    fn dates() {
        check(&[
            ("2026-11-25", &[(Date, "2026-11-25", "2026-11-25")]),
            ("2026/11/25", &[(Date, "2026-11-25", "2026/11/25")]),
            ("2026.11.25", &[(Date, "2026-11-25", "2026.11.25")]),
            ("11月25日", &[(Date, "11-25", "11月25日")]),
            ("11月25号", &[(Date, "11-25", "11月25号")]),
            ("11月25发货", &[(Date, "11-25", "11月25")]),
            ("十一月二十五日", &[(Date, "11-25", "十一月二十五日")]),
            ("2026年11月25日", &[(Date, "2026-11-25", "2026年11月25日")]),
            (
                "二〇二六年十一月二十五日",
                &[(Date, "2026-11-25", "二〇二六年十一月二十五日")],
            ),
            ("11.25号", &[(Date, "11-25", "11.25号")]),
            ("11.25前发货", &[(Date, "11-25", "11.25")]),
            ("11/25之前", &[(Date, "11-25", "11/25")]),
            ("11.25", &[]),
            ("11.25元", &[(Money, "11.25", "11.25元")]),
            ("双十一", &[(Date, "11-11", "双十一")]),
            ("双11", &[(Date, "11-11", "双11")]),
            ("双十二", &[(Date, "12-12", "双十二")]),
            ("618活动", &[(Date, "06-18", "618")]),
            ("618元", &[(Money, "618.00", "618元")]),
            ("双十一天猫", &[(Date, "11-11", "双十一")]),
            ("今天", &[(Date, "+0d", "今天")]),
            ("明天", &[(Date, "+1d", "明天")]),
            ("后天", &[(Date, "+2d", "后天")]),
            ("大后天", &[(Date, "+3d", "大后天")]),
            ("昨天", &[(Date, "-1d", "昨天")]),
            ("前天", &[(Date, "-2d", "前天")]),
            ("周三", &[(Date, "weekday:3", "周三")]),
            ("星期三", &[(Date, "weekday:3", "星期三")]),
            ("礼拜三", &[(Date, "weekday:3", "礼拜三")]),
            ("下周日", &[(Date, "weekday:7", "周日")]),
            ("星期天", &[(Date, "weekday:7", "星期天")]),
            ("两周三次", &[(Duration, "2w", "两周")]),
            ("13月1日", &[]),
            ("2月30日", &[]),
            ("2月29日", &[(Date, "02-29", "2月29日")]),
            ("2025-02-29", &[]),
            ("2024-02-29", &[(Date, "2024-02-29", "2024-02-29")]),
            ("以后天天用", &[]),
            ("目前天气不好", &[]),
            ("说明天猫有货", &[]),
            ("之前天猫买的", &[]),
            ("25号", &[]),
        ]);
    }

    #[test]
    fn quantities_sizes_and_models_are_not_entities() {
        check(&[
            ("120码", &[]),
            ("3件", &[]),
            ("买了3件", &[]),
            ("第2个", &[]),
            ("尺码120", &[]),
            ("身高165体重55", &[]),
            ("iphone15", &[]),
            ("iPhone 15 Pro", &[]),
            ("12315", &[]),
            ("sku: A-12", &[]),
        ]);
    }

    #[test]
    fn whole_messages() {
        check(&[
            (
                "订单2026111312345678901，7天无理由，退我99元",
                &[
                    (OrderNo, "2026111312345678901", "2026111312345678901"),
                    (Duration, "7d", "7天"),
                    (Money, "99.00", "99元"),
                ],
            ),
            (
                "今天发货吗？说好24小时内发货的",
                &[(Date, "+0d", "今天"), (Duration, "24h", "24小时")],
            ),
            (
                "訂單號：２０２６１１１３１２３４５６７８９０１ 電話１３８－１２３４－５６７８",
                &[
                    (
                        OrderNo,
                        "2026111312345678901",
                        "２０２６１１１３１２３４５６７８９０１",
                    ),
                    (Phone, "13812345678", "１３８－１２３４－５６７８"),
                ],
            ),
            (
                "快递单号SF1234567890123，订单号312345678901234567，双十一前能到吗",
                &[
                    (TrackingNo, "SF1234567890123", "SF1234567890123"),
                    (OrderNo, "312345678901234567", "312345678901234567"),
                    (Date, "11-11", "双十一"),
                ],
            ),
            (
                "退 - 款 ３ 天 了，還沒到帳，￥１２９.９",
                &[(Duration, "3d", "３ 天"), (Money, "129.90", "￥１２９.９")],
            ),
        ]);
    }

    #[test]
    fn serialises_with_snake_case_kinds_and_only_the_fields_that_apply() {
        let json = |s: &str| serde_json::to_value(extract(s)).expect("serialises");
        assert_eq!(
            json("138-1234-5678"),
            serde_json::json!([{"kind": "phone", "value": "13812345678", "start": 0, "end": 13, "display": "138****5678"}])
        );
        assert_eq!(
            json("SF1234567890123"),
            serde_json::json!([{"kind": "tracking_no", "value": "SF1234567890123", "start": 0, "end": 15, "carrier": "顺丰"}])
        );
        assert_eq!(
            json("7天"),
            serde_json::json!([{"kind": "duration", "value": "7d", "start": 0, "end": 2, "hours": 168.0}])
        );
        assert_eq!(
            json("订单2026111312345678901"),
            serde_json::json!([{"kind": "order_no", "value": "2026111312345678901", "start": 2, "end": 21}])
        );
    }

    /// Text made of the pieces entities are built from, so the properties meet real matches.
    const ENTITY_SOUP: &str = "[0-9０-９一二两三四五六七八九十百千万半个天元块毛角号月日周年小时分钟工作今明后前第订单号快递运物流顺丰sfytjdvacnh:：\\-+ .,/¥￥()（）退款貨]{0,40}";

    fn messages() -> impl Strategy<Value = String> {
        prop_oneof!["\\PC{0,60}", ENTITY_SOUP]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn spans_are_in_bounds_sorted_and_disjoint(s in messages()) {
            let len = s.chars().count();
            let entities = extract(&s);
            for e in &entities {
                prop_assert!(e.start < e.end && e.end <= len, "{:?} in {:?}", e, s);
                prop_assert!(!e.value.is_empty());
            }
            for w in entities.windows(2) {
                prop_assert!(w[0].end <= w[1].start, "{:?} overlaps {:?} in {:?}", w[0], w[1], s);
            }
        }

        #[test]
        fn normalising_first_changes_no_entity(s in messages()) {
            let once = normalize(&s);
            let twice = normalize(&once.text);
            let kinds_and_values = |n: &Normalized| {
                EXTRACTOR.extract(n).into_iter().map(|e| (e.kind, e.value)).collect::<Vec<_>>()
            };
            prop_assert_eq!(kinds_and_values(&once), kinds_and_values(&twice));
        }

        #[test]
        fn mobiles_read_in_every_usual_spelling(
            mobile in "1[3-9][0-9]{9}",
            spelling in 0..6usize,
            before in "[我的电话手机是:： ]{0,4}",
            after in "[，。谢 ]{0,3}",
        ) {
            let (a, b, c) = (&mobile[..3], &mobile[3..7], &mobile[7..]);
            let written = match spelling {
                0 => mobile.clone(),
                1 => format!("{a} {b} {c}"),
                2 => format!("{a}-{b}-{c}"),
                3 => format!("+86 {mobile}"),
                4 => format!("86{mobile}"),
                _ => format!("+86-{a}-{b}-{c}"),
            };
            let s = format!("{before}{written}{after}");
            let e = only(&s, Phone);
            prop_assert_eq!(&e.value, &mobile);
            prop_assert_eq!(original(&s, &e), written);
            prop_assert_eq!(e.display, Some(format!("{a}****{}", &mobile[7..])));
        }

        /// The demo shop's order and tracking formats (`kefu-demo/src/orders.rs`), bare and after
        /// their cue words.
        #[test]
        fn demo_order_and_tracking_numbers(
            format in 0..9usize,
            digits in "[0-9]{18}",
            cue in 0..3usize,
        ) {
            let (number, kind, carrier) = match format {
                0 => (format!("{}{digits}", 2 + digits.as_bytes()[0] % 3), OrderNo, None),
                1 => (format!("69{}", &digits[..17]), OrderNo, None),
                2 => (format!("3{}", &digits[..17]), OrderNo, None),
                3 => (format!("8{}", &digits[..17]), OrderNo, None),
                4 => (format!("SF{}", &digits[..13]), TrackingNo, Some("顺丰")),
                5 => (format!("YT{}", &digits[..13]), TrackingNo, Some("圆通")),
                6 => (format!("7{}", &digits[..13]), TrackingNo, Some("中通")),
                7 => (format!("43{}", &digits[..13]), TrackingNo, Some("韵达")),
                _ => (format!("JDVA{}", &digits[..11]), TrackingNo, Some("京东物流")),
            };
            let cue = match (cue, kind) {
                (0, _) => "",
                (1, OrderNo) => "订单号：",
                (1, _) => "快递单号：",
                _ => "单号 ",
            };
            let s = format!("{cue}{number}，帮我查一下");
            let e = only(&s, kind);
            prop_assert_eq!(&e.value, &number);
            prop_assert_eq!(original(&s, &e), number);
            prop_assert_eq!(e.carrier.as_deref(), carrier);
        }

        #[test]
        fn mobiles_inside_longer_digit_runs_are_not_phones(prefix in "[0-9]{1,8}", suffix in "[0-9]{0,8}") {
            prop_assume!(!(prefix == "86" && suffix.is_empty()), "86 + a mobile is the mobile");
            let s = format!("{prefix}13812345678{suffix}");
            prop_assert!(extract(&s).iter().all(|e| e.kind != Phone), "{:?}", s);
        }
    }
}
