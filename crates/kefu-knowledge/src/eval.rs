//! Scoring the bot on labelled questions, as `kefu eval faq` prints it.

use serde::{Deserialize, Serialize};

use crate::decide::Decision;
use crate::index::Candidate;

/// One knowledge-base line of an evaluation file: `{"id", "question", "similar", "answer"}`
/// (further fields, as in the demo shop's file, are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KbLine {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub similar: Vec<String>,
    #[serde(default)]
    pub answer: String,
}

/// One evaluation question: the entry that answers it, or `null` when none does and the bot
/// must hand off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QueryLine {
    pub query: String,
    pub expected: Option<String>,
}

/// What the bot did with one query.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub expected: Option<String>,
    /// Candidate ids, best first (at least the top five when there are five).
    pub ranked: Vec<String>,
    pub decision: Decision,
}

impl Outcome {
    pub fn new(expected: Option<String>, candidates: &[Candidate], decision: Decision) -> Outcome {
        Outcome {
            expected,
            ranked: candidates.iter().take(5).map(|c| c.id.clone()).collect(),
            decision,
        }
    }

    fn answered(&self) -> Option<&str> {
        match &self.decision {
            Decision::Answer { entry, .. } => Some(entry),
            _ => None,
        }
    }
}

/// The figures `kefu eval faq` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaqReport {
    pub n: usize,
    pub in_scope: usize,
    pub out_of_scope: usize,
    /// In-scope queries whose best candidate is right.
    pub top1: f64,
    pub recall_at_5: f64,
    /// In-scope queries answered without a hand-off.
    pub auto_answer_rate: f64,
    /// Automatic answers (to any query) that were right.
    pub auto_answer_precision: f64,
    /// Out-of-scope queries handed off or clarified.
    pub out_of_scope_handoff: f64,
    /// In-scope queries the bot asked about instead of answering.
    pub clarify_rate: f64,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        ((num as f64 / den as f64) * 10_000.0).round() / 10_000.0
    }
}

/// Scores outcomes.
pub fn report(outcomes: &[Outcome]) -> FaqReport {
    let in_scope: Vec<&Outcome> = outcomes.iter().filter(|o| o.expected.is_some()).collect();
    let oos: Vec<&Outcome> = outcomes.iter().filter(|o| o.expected.is_none()).collect();
    let top1 = in_scope
        .iter()
        .filter(|o| o.ranked.first() == o.expected.as_ref())
        .count();
    let r5 = in_scope
        .iter()
        .filter(|o| {
            o.ranked
                .iter()
                .take(5)
                .any(|id| Some(id) == o.expected.as_ref())
        })
        .count();
    let answered_in_scope = in_scope.iter().filter(|o| o.answered().is_some()).count();
    let answered: Vec<&Outcome> = outcomes.iter().filter(|o| o.answered().is_some()).collect();
    let right = answered
        .iter()
        .filter(|o| o.answered() == o.expected.as_deref())
        .count();
    let oos_handed = oos.iter().filter(|o| o.answered().is_none()).count();
    let clarified = in_scope
        .iter()
        .filter(|o| matches!(o.decision, Decision::Clarify { .. }))
        .count();
    FaqReport {
        n: outcomes.len(),
        in_scope: in_scope.len(),
        out_of_scope: oos.len(),
        top1: ratio(top1, in_scope.len()),
        recall_at_5: ratio(r5, in_scope.len()),
        auto_answer_rate: ratio(answered_in_scope, in_scope.len()),
        auto_answer_precision: ratio(right, answered.len()),
        out_of_scope_handoff: ratio(oos_handed, oos.len()),
        clarify_rate: ratio(clarified, in_scope.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::HandOffReason;

    fn outcome(expected: Option<&str>, ranked: &[&str], decision: Decision) -> Outcome {
        Outcome {
            expected: expected.map(str::to_owned),
            ranked: ranked.iter().map(|s| (*s).to_owned()).collect(),
            decision,
        }
    }

    fn answer(id: &str) -> Decision {
        Decision::Answer {
            entry: id.to_owned(),
            confidence: 0.9,
        }
    }

    fn hand_off() -> Decision {
        Decision::HandOff {
            reason: HandOffReason::LowConfidence,
            confidence: 0.1,
        }
    }

    #[test]
    fn figures_follow_their_definitions() {
        let outcomes = vec![
            outcome(Some("a"), &["a", "b"], answer("a")),
            outcome(Some("b"), &["a", "b"], answer("a")),
            outcome(Some("c"), &["x", "y", "z", "w", "v", "c"], hand_off()),
            outcome(
                Some("d"),
                &["d", "e"],
                Decision::Clarify {
                    options: ["d".into(), "e".into()],
                    confidence: 0.4,
                },
            ),
            outcome(None, &["a"], answer("a")),
            outcome(None, &["a"], hand_off()),
        ];
        let r = report(&outcomes);
        assert_eq!((r.n, r.in_scope, r.out_of_scope), (6, 4, 2));
        assert_eq!(r.top1, 0.5);
        assert_eq!(r.recall_at_5, 0.75);
        assert_eq!(r.auto_answer_rate, 0.5);
        assert_eq!(r.auto_answer_precision, 0.3333);
        assert_eq!(r.out_of_scope_handoff, 0.5);
        assert_eq!(r.clarify_rate, 0.25);
    }

    #[test]
    fn no_queries_give_zeros_not_nan() {
        let r = report(&[]);
        assert_eq!(r.n, 0);
        assert_eq!(r.top1, 0.0);
    }
}
