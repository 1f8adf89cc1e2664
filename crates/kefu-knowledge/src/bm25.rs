//! Okapi BM25 over the questions of a knowledge base, held in memory.
//!
//! A shop's knowledge base is a few hundred to a few thousand entries with a handful of
//! phrasings each: an inverted index in memory answers in tens of microseconds and rebuilds
//! in milliseconds when an entry changes, which is what the bot needs. (CRATES.md measured a
//! hand-written in-memory BM25 at half tantivy's latency on the same 10,000 questions.)

use std::collections::HashMap;

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation.
const B: f32 = 0.75;

/// An inverted index over rows of terms.
#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    terms: HashMap<String, u32>,
    /// Per term: the rows it occurs in with its count there.
    postings: Vec<Vec<(u32, u16)>>,
    /// Per term: its inverse document frequency.
    idf: Vec<f32>,
    /// Per row: `K1 * (1 - B + B * len / avg_len)`, the length part of the denominator.
    norm: Vec<f32>,
}

impl Bm25 {
    /// Indexes `rows`, each a list of terms (repeats count).
    pub fn build<S: AsRef<str>>(rows: &[Vec<S>]) -> Bm25 {
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, u16)>> = Vec::new();
        let mut lens = Vec::with_capacity(rows.len());
        for (row, words) in rows.iter().enumerate() {
            let row = u32::try_from(row).unwrap_or(u32::MAX);
            lens.push(words.len() as f32);
            let mut counts: HashMap<&str, u16> = HashMap::new();
            for w in words {
                *counts.entry(w.as_ref()).or_default() += 1;
            }
            let mut counts: Vec<(&str, u16)> = counts.into_iter().collect();
            counts.sort_unstable();
            for (word, tf) in counts {
                let next = u32::try_from(postings.len()).unwrap_or(u32::MAX);
                let id = *terms.entry(word.to_owned()).or_insert(next);
                if id == next {
                    postings.push(Vec::new());
                }
                postings[id as usize].push((row, tf));
            }
        }
        let n = rows.len() as f32;
        let idf = postings
            .iter()
            .map(|p| {
                let df = p.len() as f32;
                ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
            })
            .collect();
        let avg = if lens.is_empty() {
            1.0
        } else {
            (lens.iter().sum::<f32>() / n).max(1.0)
        };
        let norm = lens.iter().map(|l| K1 * (1.0 - B + B * l / avg)).collect();
        Bm25 {
            terms,
            postings,
            idf,
            norm,
        }
    }

    pub fn rows(&self) -> usize {
        self.norm.len()
    }

    /// Adds each row's score for `query` into `scores` (one slot per row) and returns the
    /// rows it touched, each once, in no particular order.
    pub fn score_into<S: AsRef<str>>(&self, query: &[S], scores: &mut [f32]) -> Vec<u32> {
        let mut touched = Vec::new();
        for (i, term) in query.iter().enumerate() {
            let term = term.as_ref();
            // A term repeated in the query counts once: shoppers repeat for emphasis.
            if query[..i].iter().any(|t| t.as_ref() == term) {
                continue;
            }
            let Some(&id) = self.terms.get(term) else {
                continue;
            };
            let idf = self.idf[id as usize];
            for &(row, tf) in &self.postings[id as usize] {
                let tf = f32::from(tf);
                let slot = &mut scores[row as usize];
                if *slot == 0.0 {
                    touched.push(row);
                }
                *slot += idf * tf * (K1 + 1.0) / (tf + self.norm[row as usize]);
            }
        }
        touched
    }

    /// The score a row made of exactly the query's known terms would get: an upper bound used
    /// to put scores on a 0–1 scale comparable across queries.
    pub fn self_score<S: AsRef<str>>(&self, query: &[S]) -> f32 {
        let mut total = 0.0;
        for (i, term) in query.iter().enumerate() {
            let term = term.as_ref();
            if query[..i].iter().any(|t| t.as_ref() == term) {
                continue;
            }
            if let Some(&id) = self.terms.get(term) {
                // tf = 1 in a row of average length.
                total += self.idf[id as usize] * (K1 + 1.0) / (1.0 + K1);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<&'static str>> {
        vec![
            vec!["什么", "时候", "发货"],
            vec!["发", "什么", "快递"],
            vec!["可以", "退货"],
            vec![],
        ]
    }

    #[test]
    fn rare_terms_weigh_more_than_common_ones() {
        let index = Bm25::build(&rows());
        let mut scores = vec![0.0; index.rows()];
        let touched = index.score_into(&["什么", "发货"], &mut scores);
        assert_eq!(touched.len(), 2);
        assert!(scores[0] > scores[1], "{scores:?}");
        assert_eq!(scores[2], 0.0);
        assert_eq!(scores[3], 0.0);
    }

    #[test]
    fn unknown_and_repeated_terms_change_nothing() {
        let index = Bm25::build(&rows());
        let mut once = vec![0.0; index.rows()];
        index.score_into(&["退货"], &mut once);
        let mut twice = vec![0.0; index.rows()];
        index.score_into(&["退货", "退货", "火星"], &mut twice);
        assert_eq!(once, twice);
        assert!(index.self_score(&["退货"]) > 0.0);
        assert_eq!(index.self_score(&["火星"]), 0.0);
    }

    #[test]
    fn an_empty_index_scores_nothing() {
        let index = Bm25::build::<&str>(&[]);
        let mut scores = Vec::new();
        assert!(index.score_into(&["发货"], &mut scores).is_empty());
    }
}
