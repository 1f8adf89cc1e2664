//! Promises an agent may not make (违规承诺), checked against the shop's policy.
//!
//! Each clause of the message (split where the agent put clause punctuation) is read on its
//! skeleton, and its topic decides which policy a number in it is held to:
//!
//! | topic (cue words) | a number in it is | flagged when |
//! |---|---|---|
//! | price protection (价保, 保价, 差价) | a 价保 window | days > `price_protection_days`, or unbounded (保价到底) |
//! | shipping (发货, 发出, 出库) | a shipping time | hours < `ship_within_hours` (a faster promise than the shop's guarantee) |
//! | delivery (送到, 到货, 必达, 内到) | a delivery time | always: delivery is the courier's, not the shop's |
//! | return (无理由, 退, 换, 寄回) | a return window | days > `return_days`, or unbounded (随时退) |
//! | warranty (质保, 保修, 售后, 质量问题) | a warranty | never |
//!
//! A clause without a topic takes its predecessor's (`拆封了也能退，二十天内都行`). Besides
//! numbers: a same-day shipping promise (今天发, 马上发) after the cut-off hour; a cut-off
//! restated later than the shop's (`16点前付款当天发` when it is 12); a delivery day
//! (明天到, 隔天必达); compensation — every amount offered now (补偿, 赔, 返, 红包, 券) summed
//! over the message — above the agent's limit; and absolute guarantees (绝对, 百分百, 保证,
//! 包治, 肯定能) about the product or service.
//!
//! Hedged statements (一般, 预计, 尽量, 以物流为准 …) in the clause or the one before are not
//! promises, nor are negated guarantees (没法保证), quoted text, composition (100%棉), refunds
//! of the order amount, 价保 differences, insurance payouts, compensation already paid or left
//! to a supervisor.

use super::LintContext;
use super::compile;
use super::view::{Clause, View};
use kefu_domain::{Finding, QaLabel};
use kefu_text::entities::{Entity, EntityKind};
use kefu_text::numerals::parse_number;
use regex::Regex;

pub(crate) struct Patterns {
    price: Regex,
    shipping: Regex,
    delivery: Regex,
    no_reason: Regex,
    warranty: Regex,
    returns: Regex,
    hedge: Regex,
    unbounded_return: Regex,
    unbounded_price: Regex,
    same_day: Regex,
    tomorrow: Regex,
    cutoff: Regex,
    delivery_day: Regex,
    compensation: Regex,
    not_compensation: Regex,
    bare_amount: Regex,
    banknote: Regex,
    guarantee: Regex,
    negation: Regex,
    composition: Regex,
}

const NUM: &str = "[0-9]+|[零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟]+";
const DELIVERY_VERB: &str = "送到|送达|到货|必达|包到|能到|就到|会到|可到|到家|到达|一定到|肯定到|保证到|准时到|前到|内到|天到|日达|天达|能收到|就收到|可以收到|会收到";
const DAY: &str = "明天|明日|明早|后天|隔天|次日|今天|今晚|今日|当天|当日|一早|上午|中午|下午|晚上|下周|周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天]";

impl Patterns {
    pub fn new() -> Patterns {
        Patterns {
            price: compile("价保|保价|差价|降价|价格保护"),
            shipping: compile("发货|发出|出库|发走|出货|揽收|就发|能发|会发|给您发|给你发|发$"),
            delivery: compile(DELIVERY_VERB),
            no_reason: compile("无理由"),
            warranty: compile("质保|保修|联保|质量问题|保质期|售后|维修"),
            returns: compile("退|换|寄回"),
            hedge: compile(
                "尽量|争取|尽快|可能|一般|预计|应该|大概|估计|正常|通常|快的话|左右|为准|不一定|看情况|大约|基本上|如无意外|顺利的话|大部分|多数",
            ),
            unbounded_return: compile(
                "没有期限|不限时|随时(?:都)?(?:可以|能)?退|什么时候都(?:可以|能)退|永久(?:包)?退|终身(?:包)?(?:退|换)",
            ),
            unbounded_price: compile(
                "保价到底|价保到底|一直保价|降价都(?:给您|给你)?补|降了都补|永久价保",
            ),
            same_day: compile(
                "(?:今天|今晚|今日|当天|当日|马上|立刻|立即|下午|这就|现在)\\p{Han}{0,8}?(?:发货|发出|发走|出库|出货|揽收|就发|能发|会发|给您发|给你发|发$)",
            ),
            tomorrow: compile("明天|明早|明日|次日|隔天|后天|下周"),
            cutoff: compile(&format!(
                "(?:下午)?({NUM})点(?:之前|以前|前)\\p{{Han}}{{0,10}}?(?:今天|当天|当日)\\p{{Han}}{{0,4}}?发"
            )),
            // A bare 到 only right after a near day: 周一到周日 is a range, not a delivery.
            delivery_day: compile(&format!(
                "(?:{DAY})\\p{{Han}}{{0,10}}?(?:{DELIVERY_VERB})|(?:明天|明日|明早|后天|隔天|次日|今天|今晚)到"
            )),
            compensation: compile("补偿|赔|返|红包|现金|无门槛|券|补|毛爷爷"),
            not_compensation: compile(
                "退款|退回|原路|返回|差价|运费险|理赔|货款|实付|之前|审批|批准|到账了|补过|帮您申请|申请一下|问问|主管|不一定|满[0-9]+减|佣金|便宜",
            ),
            bare_amount: compile(&format!(
                "(?:赔|补偿|补|返现|返|发)(?:给)?(?:你|您)?(?:个|了)?({NUM})(?:块|元|米|大洋|的|现金|红包|$)|({NUM})的(?:红包|现金|券|无门槛)"
            )),
            banknote: compile(&format!("({NUM})?张毛爷爷")),
            guarantee: compile(
                "绝对|百分百|百分之百|100%|保证|包治|包好|包退|包换|包你|包您|包适配|包合适|包正品|包满意|包没问题|包能用|包不|包会|打包票|保准|肯定能|肯定不(?:会|掉|过敏|坏|起球|缩水|变形|漏)|肯定是正品|肯定没问题|肯定有效|一定不会|一定能用|一定有效|绝无|永不|永久不",
            ),
            negation: compile("不|没|无法|难以|很难"),
            composition: compile(
                "^(?:纯|棉|羊毛|羊绒|真丝|桑蚕丝|蚕丝|涤纶|聚酯|纤维|亚麻|牛皮|羽绒|成分|天然|实木|铜|不锈钢)",
            ),
        }
    }
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("promise::Patterns")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Price,
    Shipping,
    Delivery,
    Return,
    Warranty,
}

impl Patterns {
    fn topic_of(&self, text: &str) -> Option<Topic> {
        if self.price.is_match(text) {
            Some(Topic::Price)
        } else if self.shipping.is_match(text) {
            Some(Topic::Shipping)
        } else if self.delivery_verb(text) {
            Some(Topic::Delivery)
        } else if self.no_reason.is_match(text) {
            Some(Topic::Return)
        } else if self.warranty.is_match(text) {
            Some(Topic::Warranty)
        } else if self.returns.is_match(text) {
            Some(Topic::Return)
        } else {
            None
        }
    }

    /// A delivery verb that is not 到账 (money arriving).
    fn delivery_verb(&self, text: &str) -> bool {
        self.delivery
            .find_iter(text)
            .any(|m| !text[m.end()..].starts_with('账'))
    }

    fn hedged(&self, view: &View, k: usize) -> bool {
        let clause = &view.clauses[k].text;
        self.hedge.is_match(clause)
            || k.checked_sub(1)
                .is_some_and(|p| self.hedge.is_match(&view.clauses[p].text))
    }
}

pub(crate) fn check(
    p: &Patterns,
    view: &View,
    entities: &[Entity],
    ctx: &LintContext,
    out: &mut Vec<Finding>,
) {
    let policy = &ctx.policy;
    let clause_of = clause_index(view);
    let topics: Vec<Option<Topic>> = view.clauses.iter().map(|c| p.topic_of(&c.text)).collect();
    let topic = |k: usize| topics[k].or_else(|| k.checked_sub(1).and_then(|p| topics[p]));
    let mut offered: Vec<(f64, usize, usize)> = Vec::new();
    for e in entities {
        let Some(&k) = clause_of.get(e.start) else {
            continue;
        };
        let Some(k) = k else { continue };
        if view.is_quoted(e.start, e.end) {
            continue;
        }
        match e.kind {
            EntityKind::Duration => {
                let Some(hours) = e.hours else { continue };
                let days = hours / 24.0;
                let push = |out: &mut Vec<Finding>, rule: &str, reason: String| {
                    out.push(promise(rule, e.start, e.end, reason));
                };
                match topic(k) {
                    Some(Topic::Return) if days > f64::from(policy.return_days) => push(
                        out,
                        "promise.return_window",
                        format!(
                            "承诺{}天内可退换，店铺政策是{}天",
                            fmt_num(days),
                            policy.return_days
                        ),
                    ),
                    Some(Topic::Price) if days > f64::from(policy.price_protection_days) => push(
                        out,
                        "promise.price_protection",
                        format!(
                            "承诺价保{}天，店铺政策是{}天",
                            fmt_num(days),
                            policy.price_protection_days
                        ),
                    ),
                    Some(Topic::Shipping)
                        if hours < f64::from(policy.ship_within_hours) && !p.hedged(view, k) =>
                    {
                        push(
                            out,
                            "promise.shipping",
                            format!(
                                "承诺{}小时内发货，店铺只保证{}小时内发货",
                                fmt_num(hours),
                                policy.ship_within_hours
                            ),
                        )
                    }
                    Some(Topic::Delivery)
                        if !p.hedged(view, k) && !negated_before(p, view, k, e) =>
                    {
                        push(
                            out,
                            "promise.delivery",
                            "承诺了到货时间：到货取决于快递，只能说“预计”".to_owned(),
                        )
                    }
                    _ => {}
                }
            }
            EntityKind::Money => {
                let clause = &view.clauses[k].text;
                if p.compensation.is_match(clause)
                    && !p.not_compensation.is_match(clause)
                    && let Ok(yuan) = e.value.parse::<f64>()
                {
                    offered.push((yuan, e.start, e.end));
                }
            }
            _ => {}
        }
    }
    for (k, clause) in view.clauses.iter().enumerate() {
        clause_rules(p, view, k, clause, ctx, out);
        if !p.not_compensation.is_match(&clause.text) {
            bare_amounts(p, view, clause, &mut offered);
        }
    }
    compensation(&offered, ctx, out);
}

/// The clause of each original char, if it is in one.
fn clause_index(view: &View) -> Vec<Option<usize>> {
    let len = view.quoted.len();
    let mut out = vec![None; len];
    for (k, c) in view.clauses.iter().enumerate() {
        for &o in &c.origin {
            if let Some(slot) = out.get_mut(o) {
                *slot = Some(k);
            }
        }
    }
    // Chars dropped from the skeleton (spaces, symbols such as ¥) take the clause of the
    // next char that has one, or at the end the last.
    let mut next = None;
    for slot in out.iter_mut().rev() {
        match slot {
            Some(k) => next = Some(*k),
            None => *slot = next,
        }
    }
    let mut last = None;
    for slot in out.iter_mut() {
        match slot {
            Some(k) => last = Some(*k),
            None => *slot = last,
        }
    }
    out
}

fn negated_before(p: &Patterns, view: &View, k: usize, e: &Entity) -> bool {
    let clause = &view.clauses[k];
    let at = clause.origin.partition_point(|&o| o < e.start);
    let before: String = clause.text.chars().take(at).collect();
    disclaims(p, &before)
}

/// Whether the text before a delivery time disclaims a promise (`没法保证明天到`).
fn disclaims(p: &Patterns, before: &str) -> bool {
    (before.contains("保证") || before.contains("承诺")) && p.negation.is_match(before)
}

fn clause_rules(
    p: &Patterns,
    view: &View,
    k: usize,
    clause: &Clause,
    ctx: &LintContext,
    out: &mut Vec<Finding>,
) {
    let text = clause.text.as_str();
    let policy = &ctx.policy;
    let found = |m: regex::Match<'_>| {
        let start = clause.char_at(m.start());
        let end = clause.char_at(m.end());
        (start, end)
    };
    let push =
        |out: &mut Vec<Finding>, (start, end): (usize, usize), rule: &str, reason: String| {
            if clause.quoted(view, start, end) {
                return;
            }
            let (from, to) = clause.span(start, end);
            out.push(promise(rule, from, to, reason));
        };
    if let Some(m) = p.unbounded_return.find(text) {
        push(
            out,
            found(m),
            "promise.return_window",
            format!("承诺不限期退换，店铺政策是{}天", policy.return_days),
        );
    }
    if let Some(m) = p.unbounded_price.find(text) {
        push(
            out,
            found(m),
            "promise.price_protection",
            format!(
                "承诺不限期价保，店铺政策是{}天",
                policy.price_protection_days
            ),
        );
    }
    if ctx.now_hour >= policy.cutoff_hour
        && !p.hedged(view, k)
        && !p.tomorrow.is_match(text)
        && let Some(m) = p.same_day.find(text)
    {
        push(
            out,
            found(m),
            "promise.shipping",
            format!("现在已过{}点截单时间，不能承诺今天发货", policy.cutoff_hour),
        );
    }
    if let Some(c) = p.cutoff.captures(text)
        && let (Some(whole), Some(hour)) =
            (c.get(0), c.get(1).and_then(|h| parse_number(h.as_str())))
    {
        let afternoon = whole.as_str().starts_with("下午") || hour < 8.0;
        let hour = if afternoon && hour < 12.0 {
            hour + 12.0
        } else {
            hour
        };
        if hour > f64::from(policy.cutoff_hour) {
            push(
                out,
                found(whole),
                "promise.shipping",
                format!(
                    "说{}点前付款当天发，店铺截单时间是{}点",
                    fmt_num(hour),
                    policy.cutoff_hour
                ),
            );
        }
    }
    if !p.hedged(view, k) {
        for m in p.delivery_day.find_iter(text) {
            if [
                "账", "期", "店", "时", "底", "此", "后", "的话", "明", "周", "星期", "下", "晚",
            ]
            .iter()
            .any(|w| text[m.end()..].starts_with(w))
            {
                continue; // 到账, 到期, 到店, 到时候, 收到后 …: not a delivery
            }
            let before = &text[..m.start()];
            if disclaims(p, before) {
                continue;
            }
            push(
                out,
                found(m),
                "promise.delivery",
                "承诺了到货日期：到货取决于快递，只能说“预计”".to_owned(),
            );
        }
    }
    // 保证今天发 is judged as a shipping promise: within the cut-off it is allowed.
    let shipping_clause = p.shipping.is_match(text);
    for m in p.guarantee.find_iter(text) {
        let rest = &text[m.end()..];
        if shipping_clause && !p.delivery_verb(text) {
            continue;
        }
        if m.as_str() == "保证" && (rest.starts_with('金') || rest.is_empty()) {
            // 保证金 is a deposit; a bare 保证 closing a clause stresses the promise before
            // it, which its own rule judges (`12小时内发货，保证`).
            continue;
        }
        if m.as_str() == "100%" && p.composition.is_match(rest) {
            continue;
        }
        let before = &text[..m.start()];
        let window: String = before
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if p.negation.is_match(&window) || negated_guarantee_before(p, before) {
            continue;
        }
        push(
            out,
            found(m),
            "promise.guarantee",
            format!("“{}”是绝对化承诺，商品和服务的结果不能打包票", m.as_str()),
        );
    }
}

/// An earlier guarantee word in the clause that was negated (`没法保证百分百…`).
fn negated_guarantee_before(p: &Patterns, before: &str) -> bool {
    p.guarantee.find_iter(before).any(|g| {
        let lead: String = before[..g.start()].chars().rev().take(4).collect();
        p.negation.is_match(&lead)
    })
}

fn bare_amounts(
    p: &Patterns,
    view: &View,
    clause: &Clause,
    offered: &mut Vec<(f64, usize, usize)>,
) {
    let text = clause.text.as_str();
    let mut add = |m: regex::Match<'_>, yuan: f64| {
        let (from, to) = clause.span(clause.char_at(m.start()), clause.char_at(m.end()));
        if view.is_quoted(from, to) {
            return;
        }
        let overlaps = offered.iter().any(|&(_, s, e)| s < to && from < e);
        if !overlaps {
            offered.push((yuan, from, to));
        }
    };
    for c in p.bare_amount.captures_iter(text) {
        if let Some(n) = c.get(1).or_else(|| c.get(2))
            && let Some(v) = parse_number(n.as_str())
        {
            add(n, v);
        }
    }
    for c in p.banknote.captures_iter(text) {
        let count = c
            .get(1)
            .and_then(|n| parse_number(n.as_str()))
            .unwrap_or(1.0);
        if let Some(m) = c.get(0) {
            add(m, 100.0 * count);
        }
    }
}

fn compensation(offered: &[(f64, usize, usize)], ctx: &LintContext, out: &mut Vec<Finding>) {
    let total: f64 = offered.iter().map(|&(v, _, _)| v).sum();
    let limit = f64::from(ctx.policy.compensation_limit_yuan);
    if total <= limit + 1e-9 {
        return;
    }
    let start = offered.iter().map(|&(_, s, _)| s).min().unwrap_or(0);
    let end = offered
        .iter()
        .map(|&(_, _, e)| e)
        .max()
        .unwrap_or(start + 1);
    out.push(promise(
        "promise.compensation",
        start,
        end,
        format!(
            "承诺补偿共{}元，超过您的权限{}元，请先申请主管审批",
            fmt_num(total),
            ctx.policy.compensation_limit_yuan
        ),
    ));
}

fn promise(rule: &str, start: usize, end: usize, reason: String) -> Finding {
    Finding {
        label: QaLabel::UnauthorizedPromise,
        rule: rule.to_owned(),
        start,
        end,
        reason,
        suggestion: None,
    }
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}
