//! Personal data typed by the agent (个人信息): a full mainland mobile number, street address,
//! 18-character ID number or bank card number — whoever's it is. Masked numbers
//! (`138****5678`, 尾号5678), order and tracking numbers, barcodes, the shop's 400 hotline and
//! the shop's own return warehouse or store address are not personal data.
//!
//! Numbers are read as digit runs over the normalised text (so full-width digits count), with
//! spaces or dashes allowed between digits and Chinese digits (`一五九 零零一二…`, `幺三八…`)
//! read like Arabic ones. A run touching a letter (`SF1381234…`, `JT00…`) or an asterisk is part
//! of something else.

use super::compile;
use super::view::View;
use kefu_domain::{Finding, QaLabel};
use regex::Regex;

pub(crate) struct Patterns {
    address: Regex,
    shop_place: Regex,
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("personal::Patterns")
    }
}

impl Patterns {
    pub fn new() -> Patterns {
        Patterns {
            // Administrative areas (the province may be left out or written without 省), then
            // a road with a number. Building and room may follow and are not needed.
            address: compile(
                r"(?:\p{Han}{1,7}?(?:省|自治区|市|区|县|旗|镇|州)){1,4}\s?\p{Han}{1,8}?(?:大道|路|街|巷|弄|胡同)(?:[0-9一二三四五六七八九十]{1,3}段)?\s?[0-9一二三四五六七八九十百零]{1,5}号",
            ),
            shop_place: compile(
                r"退货寄|退回寄|寄回|退货地址|退换货地址|售后仓|退货仓|仓库|有门市|门市地址|门市部|的门市|门店|实体店|我们的店|本店地址|店铺地址|公司地址|发货地",
            ),
        }
    }
}

/// A character of a digit run and its value.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '零' | '〇' => Some('0'),
        '一' | '幺' => Some('1'),
        '二' | '两' => Some('2'),
        '三' => Some('3'),
        '四' => Some('4'),
        '五' => Some('5'),
        '六' => Some('6'),
        '七' => Some('7'),
        '八' => Some('8'),
        '九' => Some('9'),
        _ => None,
    }
}

fn is_gap(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}' | '—' | '–' | '.')
}

/// A run of digits in the normalised text: its digits, its span, and how it was written.
struct Run {
    digits: String,
    start: usize,
    end: usize,
    /// Written in Chinese digits (any of them).
    chinese: bool,
    /// Its groups' lengths when written with gaps.
    groups: Vec<usize>,
}

fn runs(chars: &[char]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut run = Run {
            digits: String::new(),
            start,
            end: start,
            chinese: false,
            groups: vec![0],
        };
        let mut j = i;
        loop {
            match chars.get(j).copied().and_then(digit) {
                Some(d) => {
                    run.digits.push(d);
                    run.chinese |= !chars[j].is_ascii_digit();
                    if let Some(g) = run.groups.last_mut() {
                        *g += 1;
                    }
                    j += 1;
                    run.end = j;
                }
                None => {
                    // One or two gap characters between digits keep the run going.
                    let gap = chars[j..].iter().take_while(|&&c| is_gap(c)).count();
                    if (1..=2).contains(&gap)
                        && chars.get(j + gap).copied().and_then(digit).is_some()
                    {
                        run.groups.push(0);
                        j += gap;
                    } else {
                        break;
                    }
                }
            }
        }
        out.push(run);
        i = j.max(i + 1);
    }
    out
}

pub(crate) fn check(p: &Patterns, view: &View, out: &mut Vec<Finding>) {
    let chars: Vec<char> = view.norm.text.chars().collect();
    for run in runs(&chars) {
        let before = run.start.checked_sub(1).map(|k| chars[k]);
        let after = chars.get(run.end).copied();
        let touches = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic() || c == '*');
        let x_after =
            after == Some('x') || (after == Some(' ') && chars.get(run.end + 1) == Some(&'x'));
        if touches(before) || (touches(after) && !x_after) {
            continue;
        }
        // Chinese digits are only a number when a whole phone or ID is spelled out that way.
        if run.chinese && run.digits.len() < 11 {
            continue;
        }
        let (rule, what, end) = match classify(&run, x_after, &chars) {
            Some(k) => k,
            None => continue,
        };
        let Some((from, to)) = view.norm.original_span(run.start, end) else {
            continue;
        };
        out.push(Finding {
            label: QaLabel::PersonalData,
            rule: rule.to_owned(),
            start: from,
            end: to,
            reason: format!("{what}：请勿在聊天中发送完整号码，需要核对时只说尾号"),
            suggestion: None,
        });
    }
    addresses(p, view, &chars, out);
}

/// What a digit run is, and where it ends (an ID number's final X).
fn classify(
    run: &Run,
    x_after: bool,
    chars: &[char],
) -> Option<(&'static str, &'static str, usize)> {
    let d = run.digits.as_str();
    let mobile = |s: &str| {
        s.len() == 11
            && s.starts_with('1')
            && s.as_bytes()
                .get(1)
                .is_some_and(|b| (b'3'..=b'9').contains(b))
    };
    let plus86 = run.start > 0 && chars[run.start - 1] == '+';
    if mobile(d) || ((plus86 || d.len() == 13) && d.starts_with("86") && mobile(&d[2..])) {
        return Some(("personal.phone", "完整手机号", run.end));
    }
    if x_after && d.len() == 17 && birth_date(d) {
        let end = chars[run.end..]
            .iter()
            .position(|&c| c == 'x')
            .map_or(run.end, |k| run.end + k + 1);
        return Some(("personal.id_card", "完整身份证号", end));
    }
    if d.len() == 18 && birth_date(d) && !order_context(chars, run.start) {
        return Some(("personal.id_card", "完整身份证号", run.end));
    }
    if (16..=19).contains(&d.len()) && !order_context(chars, run.start) {
        let card_words = card_context(chars, run.start);
        let grouped_in_fours = run.groups.len() >= 4
            && run
                .groups
                .iter()
                .take(run.groups.len() - 1)
                .all(|&g| g == 4);
        // A plain run with no card word is a card when it looks like one: UnionPay's 62, or a
        // Visa/Mastercard prefix with a valid Luhn check digit.
        let looks_like_card =
            d.starts_with("62") || (matches!(d.as_bytes()[0], b'4' | b'5') && luhn(d));
        if card_words || grouped_in_fours || looks_like_card {
            return Some(("personal.bank_card", "完整银行卡号", run.end));
        }
    }
    None
}

/// An ID number's birth date (digits 7–14) is a real-looking date.
fn birth_date(d: &str) -> bool {
    let num = |r: std::ops::Range<usize>| d.get(r).and_then(|s| s.parse::<u32>().ok());
    matches!(
        (num(6..10), num(10..12), num(12..14)),
        (Some(1900..=2030), Some(1..=12), Some(1..=31))
    )
}

fn preceding(chars: &[char], start: usize, width: usize) -> String {
    chars[start.saturating_sub(width)..start].iter().collect()
}

fn order_context(chars: &[char], start: usize) -> bool {
    let before = preceding(chars, start, 8);
    [
        "订单", "单号", "编号", "运单", "快递", "条码", "物流", "sku", "货号",
    ]
    .iter()
    .any(|w| before.contains(w))
}

fn card_context(chars: &[char], start: usize) -> bool {
    let before = preceding(chars, start, 12);
    let after: String = chars[start..].iter().skip(16).take(30).collect();
    [
        "卡号",
        "银行卡",
        "卡",
        "账号",
        "账户",
        "转账",
        "汇款",
        "打款",
    ]
    .iter()
    .any(|w| before.contains(w))
        || after.contains("户名")
}

fn addresses(p: &Patterns, view: &View, chars: &[char], out: &mut Vec<Finding>) {
    let text = &view.norm.text;
    for m in p.address.find_iter(text) {
        let start = text[..m.start()].chars().count();
        let end = start + m.as_str().chars().count();
        let around: String = chars[start.saturating_sub(20)..(end + 12).min(chars.len())]
            .iter()
            .collect();
        if p.shop_place.is_match(&around) {
            continue;
        }
        let Some((from, to)) = view.norm.original_span(start, end) else {
            continue;
        };
        if view.is_quoted(from, to) {
            continue;
        }
        out.push(Finding {
            label: QaLabel::PersonalData,
            rule: "personal.address".to_owned(),
            start: from,
            end: to,
            reason: "完整收货地址：请勿在聊天中发送，需要核对时只说到区或街道".to_owned(),
            suggestion: None,
        });
    }
}

/// The Luhn check digit test that card numbers pass.
fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}
