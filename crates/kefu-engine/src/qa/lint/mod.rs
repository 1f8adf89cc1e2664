//! The live lint (实时质检) of an agent's message before and after it is sent.
//!
//! [`Linter::lint`] reads one message under the shop's [`ShopPolicy`] at the hour it is sent
//! and returns [`Finding`]s, each with its label, the rule, the span in the message as typed, a
//! reason and — for forbidden phrases — a better phrasing. Four kinds of problem:
//!
//! - **forbidden_phrase** (禁用语): the `forbidden` lexicon, matched on the normalised text and
//!   on its skeleton (emoji and symbols between characters dropped), plus `爱X不X`.
//! - **unauthorized_promise** (违规承诺, [`promise`]): durations, amounts and times read by
//!   kefu-text's entity extractor and checked against the policy — return window, shipping
//!   time and cut-off, delivery dates (never the shop's to promise), compensation summed over
//!   the message, price protection — and absolute guarantees.
//! - **sensitive** (违规内容): the `conduct` lexicon: off-platform contact and payment, other
//!   platforms, review manipulation, abuse, discrimination, illegal offers.
//! - **personal_data** (个人信息, [`personal`]): a full mobile number (in any script or
//!   spacing), street address, ID number or bank card number.
//!
//! Quoted text (the agent repeating the shopper, a button label) is never flagged. Pure: no
//! I/O, no clock; the hour comes in [`LintContext`].

mod personal;
mod promise;
mod view;

use kefu_domain::{Finding, QaLabel, ShopPolicy};
use kefu_text::Normalized;
use kefu_text::entities::EntityExtractor;
use kefu_text::lexicon::{Hit, LexiconError, LexiconKind, LexiconSet};
use regex::Regex;
use view::View;

/// What the lint needs to know besides the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintContext {
    pub policy: ShopPolicy,
    /// The shop-time hour (0–23) the message is sent at, for same-day shipping promises.
    pub now_hour: u8,
}

/// The compiled lexicons and patterns. Build once and share: [`lint`](Linter::lint) is pure.
#[derive(Debug)]
pub struct Linter {
    lexicons: LexiconSet,
    entities: EntityExtractor,
    either_way: Regex,
    handover: Regex,
    region: Regex,
    promise: promise::Patterns,
    personal: personal::Patterns,
}

impl Linter {
    /// The linter over kefu's bundled lexicons.
    pub fn bundled() -> Result<Linter, LexiconError> {
        Ok(Linter::with_lexicons(LexiconSet::bundled()?))
    }

    /// The linter over a shop's lexicons (the bundled ones plus its own entries).
    pub fn with_lexicons(lexicons: LexiconSet) -> Linter {
        Linter {
            lexicons,
            entities: EntityExtractor::new(),
            either_way: compile(r"爱(\p{Han})不(\p{Han})"),
            handover: compile(
                r"(?:帮您|为您|替您|给您)(?:提交|转|申请|联系|反馈|问|查|确认|核实|跟进|登记|上报)|我(?:去|来|再|先|这边)?(?:问|查|确认|核实)一下|我(?:去|来|再)(?:问|查|确认|核实)|(?:马上|稍后|尽快)(?:给您)?回复|转给|转交",
            ),
            region: compile(
                r"(?:东北|河南|安徽|四川|湖南|湖北|广东|广西|新疆|西藏|山东|江西|福建|贵州|云南|甘肃|河北|山西|陕西|江苏|浙江|上海|北京|农村|乡下|外地|南方|北方)(?:人|佬)(?:就|都|素质|没素质|真是)",
            ),
            promise: promise::Patterns::new(),
            personal: personal::Patterns::new(),
        }
    }

    /// Everything wrong with `text`, ordered by position; empty when the message is clean.
    pub fn lint(&self, text: &str, ctx: &LintContext) -> Vec<Finding> {
        let view = View::new(text);
        let mut found = Vec::new();
        self.phrases(&view, &mut found);
        let entities = self.entities.extract(&view.norm);
        promise::check(&self.promise, &view, &entities, ctx, &mut found);
        personal::check(&self.personal, &view, &mut found);
        tidy(found)
    }

    /// Forbidden phrases and conduct violations from the lexicons.
    fn phrases(&self, view: &View, out: &mut Vec<Finding>) {
        let mut hits = self.lexicons.find(&view.norm);
        hits.extend(self.lexicons.find(&view.skeleton));
        let handed_over = self.handover.is_match(&view.norm.text);
        for hit in hits {
            if view.is_quoted(hit.start, hit.end) || view.crosses_clauses(hit.start, hit.end) {
                continue;
            }
            match hit.lexicon {
                // "Not mine, I'm passing it to the colleague who handles it" is handing over,
                // not shirking; a dismissive phrase (severity 3) stays one.
                LexiconKind::Forbidden
                    if handed_over
                        && hit.severity < 3
                        && matches!(hit.category, "shirking" | "ignorance") => {}
                LexiconKind::Forbidden => out.push(forbidden(&hit)),
                LexiconKind::Conduct => out.push(conduct(&hit)),
                _ => {}
            }
        }
        self.either_way_phrases(&view.skeleton, view, out);
        self.regional_slurs(view, out);
    }

    /// `你们东北人就爱闹`, `河南人都…`: a whole region's people judged at once.
    fn regional_slurs(&self, view: &View, out: &mut Vec<Finding>) {
        let text = &view.skeleton.text;
        for m in self.region.find_iter(text) {
            let start = text[..m.start()].chars().count();
            let end = start + m.as_str().chars().count();
            let Some((from, to)) = view.skeleton.original_span(start, end) else {
                continue;
            };
            if view.is_quoted(from, to) {
                continue;
            }
            out.push(Finding {
                label: QaLabel::Sensitive,
                rule: "sensitive.discrimination".to_owned(),
                start: from,
                end: to,
                reason: format!("“{}”：地域歧视", m.as_str()),
                suggestion: None,
            });
        }
    }

    /// `爱买不买`, `爱退不退`, `爱来不来`: the same verb either way, "suit yourself".
    fn either_way_phrases(&self, skeleton: &Normalized, view: &View, out: &mut Vec<Finding>) {
        for c in self.either_way.captures_iter(&skeleton.text) {
            let (Some(whole), Some(a), Some(b)) = (c.get(0), c.get(1), c.get(2)) else {
                continue;
            };
            if a.as_str() != b.as_str() {
                continue;
            }
            let start = skeleton.text[..whole.start()].chars().count();
            let end = start + whole.as_str().chars().count();
            let Some((from, to)) = skeleton.original_span(start, end) else {
                continue;
            };
            if view.is_quoted(from, to) {
                continue;
            }
            out.push(Finding {
                label: QaLabel::ForbiddenPhrase,
                rule: "forbidden.cold".to_owned(),
                start: from,
                end: to,
                reason: format!("“{}”显得冷漠，像是不在乎顾客买不买", whole.as_str()),
                suggestion: Some("您可以再考虑一下，有任何问题随时找我".to_owned()),
            });
        }
    }
}

fn forbidden(hit: &Hit) -> Finding {
    let what = match hit.category {
        "refusal" => "直接拒绝，没有给出替代方案",
        "ignorance" => "回答“不知道”，应当去查清楚再答复",
        "shirking" => "推诿责任",
        "impatience" => "显得不耐烦",
        "blame" => "把问题推给顾客或他方",
        "rude" => "对顾客不尊重",
        _ => "显得冷漠",
    };
    Finding {
        label: QaLabel::ForbiddenPhrase,
        rule: format!("forbidden.{}", hit.category),
        start: hit.start,
        end: hit.end,
        reason: format!("禁用语“{}”：{what}", hit.term),
        suggestion: hit.suggestion.clone(),
    }
}

fn conduct(hit: &Hit) -> Finding {
    let (rule, what) = match hit.category {
        "off_platform" => (
            "sensitive.off_platform",
            "引导顾客离开平台（联系方式、私下交易或其他平台）",
        ),
        "review" => ("sensitive.review", "诱导或操纵评价"),
        "abuse" => ("sensitive.abuse", "辱骂顾客"),
        "discrimination" => ("sensitive.discrimination", "歧视性言论"),
        _ => ("sensitive.illegal", "违法违规内容"),
    };
    Finding {
        label: QaLabel::Sensitive,
        rule: rule.to_owned(),
        start: hit.start,
        end: hit.end,
        reason: format!("“{}”：{what}", hit.term),
        suggestion: None,
    }
}

/// Sorted by position; a finding of the same rule inside another is dropped.
fn tidy(mut found: Vec<Finding>) -> Vec<Finding> {
    found.sort_by(|a, b| {
        (a.start, std::cmp::Reverse(a.end), &a.rule).cmp(&(
            b.start,
            std::cmp::Reverse(b.end),
            &b.rule,
        ))
    });
    let mut out: Vec<Finding> = Vec::with_capacity(found.len());
    for f in found {
        let covered = out
            .iter()
            .any(|o| o.label == f.label && o.start <= f.start && f.end <= o.end);
        if !covered {
            out.push(f);
        }
    }
    out
}

/// Compiles one of the lint's own patterns, which are constants covered by the tests.
#[allow(clippy::expect_used)]
pub(crate) fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the lint's patterns are valid")
}

#[cfg(test)]
mod tests;
