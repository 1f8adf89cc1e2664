//! The learned re-ranker: a logistic regression over a few lexical and semantic signals that
//! turns them into one probability "this entry answers the question".
//!
//! It learns from the knowledge base itself. Similar questions are labelled paraphrases: each
//! one, held out of the index, is a question whose right answer is known; the same question
//! with its whole entry held out is a question the knowledge base cannot answer. So every shop
//! gets weights fitted to its own entries, and the probability is calibrated well enough for
//! the bot's thresholds to mean the same thing across shops.

use serde::{Deserialize, Serialize};

/// Names of the features, in order; the ranker's weights line up with them.
pub const FEATURES: &[&str] = &[
    "cos",
    "cos_margin",
    "cos_centroid",
    "words",
    "words_margin",
    "bigrams",
    "bigrams_margin",
    "query_coverage",
    "question_coverage",
    "query_length",
];

pub const N_FEATURES: usize = 10;

/// Whether a feature measures closeness, so that more of it can only make an entry more
/// likely: the fit keeps these weights at zero or above. Without the constraint a base of
/// templated entries (the same questions for each of many products) teaches the ranker that
/// a closer match is a worse one, and it ranks below any single signal.
const MONOTONE: [bool; N_FEATURES] = [true, true, true, true, true, true, true, true, true, false];

pub type Features = [f32; N_FEATURES];

/// One training example: a candidate's features and whether it was the right entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Example {
    pub features: Features,
    pub right: bool,
}

/// A fitted logistic regression with its feature standardisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranker {
    pub mean: Features,
    pub scale: Features,
    pub weights: Features,
    pub bias: f32,
}

/// Passes of full-batch gradient descent.
const EPOCHS: usize = 400;
const LEARNING_RATE: f32 = 0.5;
/// L2 penalty: keeps weights small when a shop's knowledge base gives few examples.
const L2: f32 = 1e-3;

impl Ranker {
    /// The ranker of a shop whose own knowledge base has too few similar questions to learn
    /// from: fitted on the demo shop's knowledge base by `kefu train ranker` (which writes
    /// `models/ranker.json`), so it has seen a realistic base's paraphrases and
    /// unanswerable questions.
    pub fn fallback() -> Ranker {
        static BUNDLED: std::sync::OnceLock<Ranker> = std::sync::OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                serde_json::from_str(include_str!("../models/ranker.json"))
                    .expect("the bundled ranker parses (a unit test reads it)")
            })
            .clone()
    }

    /// Fits a ranker to `examples`; `None` when they hold no right or no wrong candidate.
    pub fn fit(examples: &[Example]) -> Option<Ranker> {
        let positives = examples.iter().filter(|e| e.right).count();
        if positives == 0 || positives == examples.len() {
            return None;
        }
        let n = examples.len() as f32;
        let mut mean = [0.0f32; N_FEATURES];
        for e in examples {
            for (m, x) in mean.iter_mut().zip(e.features) {
                *m += x / n;
            }
        }
        let mut scale = [0.0f32; N_FEATURES];
        for e in examples {
            for k in 0..N_FEATURES {
                scale[k] += (e.features[k] - mean[k]).powi(2) / n;
            }
        }
        for s in &mut scale {
            *s = s.sqrt().max(1e-3);
        }
        let rows: Vec<(Features, f32)> = examples
            .iter()
            .map(|e| {
                let mut x = e.features;
                for k in 0..N_FEATURES {
                    x[k] = (x[k] - mean[k]) / scale[k];
                }
                (x, if e.right { 1.0 } else { 0.0 })
            })
            .collect();
        let mut weights = [0.0f32; N_FEATURES];
        let mut bias = 0.0f32;
        for _ in 0..EPOCHS {
            let mut grad = [0.0f32; N_FEATURES];
            let mut grad_bias = 0.0f32;
            for (x, y) in &rows {
                let p = sigmoid(bias + x.iter().zip(&weights).map(|(a, b)| a * b).sum::<f32>());
                let err = p - y;
                for k in 0..N_FEATURES {
                    grad[k] += err * x[k];
                }
                grad_bias += err;
            }
            for k in 0..N_FEATURES {
                weights[k] -= LEARNING_RATE * (grad[k] / n + L2 * weights[k]);
                if MONOTONE[k] {
                    weights[k] = weights[k].max(0.0);
                }
            }
            bias -= LEARNING_RATE * grad_bias / n;
        }
        Some(Ranker {
            mean,
            scale,
            weights,
            bias,
        })
    }

    /// The probability that the candidate with these features is the right entry.
    pub fn probability(&self, features: &Features) -> f32 {
        let z = self.bias
            + (0..N_FEATURES)
                .map(|k| self.weights[k] * (features[k] - self.mean[k]) / self.scale[k])
                .sum::<f32>();
        sigmoid(z)
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_that_a_higher_cosine_means_right() {
        let mut examples = Vec::new();
        for i in 0..200 {
            let cos = i as f32 / 200.0;
            let mut features = [0.0; N_FEATURES];
            features[0] = cos;
            features[1] = (i % 7) as f32 / 10.0;
            examples.push(Example {
                features,
                right: cos > 0.6,
            });
        }
        let ranker = Ranker::fit(&examples).expect("both classes present");
        let mut low = [0.0; N_FEATURES];
        low[0] = 0.2;
        let mut high = [0.0; N_FEATURES];
        high[0] = 0.9;
        assert!(ranker.probability(&high) > 0.9, "{ranker:?}");
        assert!(ranker.probability(&low) < 0.1, "{ranker:?}");
    }

    #[test]
    fn one_class_cannot_be_fitted() {
        let e = Example {
            features: [0.5; N_FEATURES],
            right: true,
        };
        assert!(Ranker::fit(&[e, e]).is_none());
        assert!(Ranker::fit(&[]).is_none());
    }

    #[test]
    fn the_bundled_ranker_tells_a_paraphrase_from_an_unrelated_question() {
        let r = Ranker::fallback();
        assert!(r.weights.iter().chain([&r.bias]).all(|w| w.is_finite()));
        // A close paraphrase: near in meaning to the phrasing and the entry, sharing words.
        let paraphrase = [0.9, 0.3, 0.85, 1.0, 0.5, 1.0, 0.5, 0.8, 0.8, 2.0];
        // An unrelated question: far in meaning, nothing shared, another entry closer.
        let unrelated = [0.3, -0.3, 0.3, 0.0, -0.5, 0.0, -0.5, 0.1, 0.1, 2.0];
        assert!(
            r.probability(&paraphrase) > 0.8,
            "{}",
            r.probability(&paraphrase)
        );
        assert!(
            r.probability(&unrelated) < 0.2,
            "{}",
            r.probability(&unrelated)
        );
    }
}
