//! `kefu eval qa`: the lint's precision and recall on labelled agent messages.
//!
//! One JSON object per line: `{"text", "policy"?, "labels": [..]}`. `policy`, when present,
//! holds the shop's [`ShopPolicy`] fields plus `now_hour`, the hour the message is sent at;
//! missing keys take the demo shop's values (`return_days` 7, `ship_within_hours` 48,
//! `cutoff_hour` 16, `now_hour` 10, `compensation_limit_yuan` 20, `price_protection_days` 15).
//! A message is scored per label: the lint flags the label or not, the line has it or not.
//! Overall figures are micro-averaged over the four labels.

use super::lint::{LintContext, Linter};
use kefu_domain::{QaLabel, ShopPolicy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The hour a message is sent at when a line does not say.
pub const DEFAULT_NOW_HOUR: u8 = 10;

/// One labelled message.
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    pub text: String,
    #[serde(default)]
    pub policy: Option<PolicyLine>,
    pub labels: Vec<String>,
}

/// A line's policy: the shop's policy and the hour.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyLine {
    #[serde(default)]
    pub now_hour: Option<u8>,
    #[serde(flatten)]
    pub shop: PolicyFields,
}

/// The shop-policy keys of a line, each optional.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PolicyFields {
    pub return_days: Option<u32>,
    pub ship_within_hours: Option<u32>,
    pub cutoff_hour: Option<u8>,
    pub compensation_limit_yuan: Option<u32>,
    pub price_protection_days: Option<u32>,
}

impl Example {
    /// The context the line describes.
    pub fn context(&self) -> LintContext {
        let d = ShopPolicy::default();
        let line = self.policy.unwrap_or(PolicyLine {
            now_hour: None,
            shop: PolicyFields::default(),
        });
        let f = line.shop;
        LintContext {
            policy: ShopPolicy {
                return_days: f.return_days.unwrap_or(d.return_days),
                ship_within_hours: f.ship_within_hours.unwrap_or(d.ship_within_hours),
                cutoff_hour: f.cutoff_hour.unwrap_or(d.cutoff_hour),
                compensation_limit_yuan: f
                    .compensation_limit_yuan
                    .unwrap_or(d.compensation_limit_yuan),
                price_protection_days: f.price_protection_days.unwrap_or(d.price_protection_days),
            },
            now_hour: line.now_hour.unwrap_or(DEFAULT_NOW_HOUR),
        }
    }
}

/// Counts for one label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LabelScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Lines that carry the label.
    pub support: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl LabelScore {
    fn from_counts(tp: usize, fp: usize, fn_: usize) -> LabelScore {
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        LabelScore {
            precision: round4(precision),
            recall: round4(recall),
            f1: round4(f1),
            support: tp + fn_,
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
        }
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// The figures `kefu eval qa` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lines: usize,
    pub clean_lines: usize,
    /// Clean lines the lint flagged anyway.
    pub clean_lines_flagged: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub per_label: BTreeMap<&'static str, LabelScore>,
}

/// A line the lint got wrong, for `--verbose`.
#[derive(Debug, Clone, Serialize)]
pub struct Mistake {
    pub text: String,
    pub missed: Vec<&'static str>,
    pub wrongly_flagged: Vec<&'static str>,
    /// What the lint said, `rule: reason`.
    pub findings: Vec<String>,
}

/// Why a line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads the JSONL lines; blank lines are skipped and any bad line is an error.
pub fn parse(source: &str) -> Result<Vec<Example>, LineError> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| LineError {
            line: i + 1,
            message,
        };
        let example: Example = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        if let Some(bad) = example.labels.iter().find(|l| QaLabel::parse(l).is_none()) {
            return Err(err(format!(
                "unknown label {bad:?}; labels are forbidden_phrase, unauthorized_promise, sensitive, personal_data"
            )));
        }
        if example.context().now_hour > 23 {
            return Err(err("now_hour must be 0–23".to_owned()));
        }
        out.push(example);
    }
    Ok(out)
}

/// Lints every example and scores the labels.
pub fn evaluate(linter: &Linter, examples: &[Example]) -> (Report, Vec<Mistake>) {
    let mut counts: BTreeMap<QaLabel, (usize, usize, usize)> =
        QaLabel::ALL.iter().map(|&l| (l, (0, 0, 0))).collect();
    let mut mistakes = Vec::new();
    let mut clean_lines = 0;
    let mut clean_lines_flagged = 0;
    for ex in examples {
        let findings = linter.lint(&ex.text, &ex.context());
        let predicted: BTreeSet<QaLabel> = findings.iter().map(|f| f.label).collect();
        let gold: BTreeSet<QaLabel> = ex.labels.iter().filter_map(|l| QaLabel::parse(l)).collect();
        if gold.is_empty() {
            clean_lines += 1;
            if !predicted.is_empty() {
                clean_lines_flagged += 1;
            }
        }
        let mut missed = Vec::new();
        let mut wrongly_flagged = Vec::new();
        for (&label, c) in counts.iter_mut() {
            match (predicted.contains(&label), gold.contains(&label)) {
                (true, true) => c.0 += 1,
                (true, false) => {
                    c.1 += 1;
                    wrongly_flagged.push(label.as_str());
                }
                (false, true) => {
                    c.2 += 1;
                    missed.push(label.as_str());
                }
                (false, false) => {}
            }
        }
        if !missed.is_empty() || !wrongly_flagged.is_empty() {
            mistakes.push(Mistake {
                text: ex.text.clone(),
                missed,
                wrongly_flagged,
                findings: findings
                    .iter()
                    .map(|f| format!("{}: {}", f.rule, f.reason))
                    .collect(),
            });
        }
    }
    let (tp, fp, fn_) = counts
        .values()
        .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
    let overall = LabelScore::from_counts(tp, fp, fn_);
    let report = Report {
        lines: examples.len(),
        clean_lines,
        clean_lines_flagged,
        precision: overall.precision,
        recall: overall.recall,
        f1: overall.f1,
        per_label: counts
            .into_iter()
            .map(|(l, (tp, fp, fn_))| (l.as_str(), LabelScore::from_counts(tp, fp, fn_)))
            .collect(),
    };
    (report, mistakes)
}
