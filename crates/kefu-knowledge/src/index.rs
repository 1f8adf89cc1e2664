//! The per-shop retrieval index: BM25 over words and over character bigrams, sentence
//! embeddings of every question, and the learned ranker that combines them.
//!
//! Every entry contributes one row per phrasing (its standard question and each similar
//! question). A query is scored against every row by each signal; an entry takes the best
//! score of its rows; the entries that lead any signal become candidates; the ranker turns
//! their features into the probability that each is the answer.

use std::collections::HashMap;
use std::sync::Arc;

use kefu_text::segment::Segmenter;

use crate::bm25::Bm25;
use crate::prep::{Prepared, prepare};
use crate::rank::{Example, Features, N_FEATURES, Ranker};
use crate::vectors::{Quantized, SignBits, Vectors, dot, normalized};

/// Turns a sentence into a unit vector; the knowledge base uses USE-m3 (kefu-encoder).
pub trait Embedder: Send + Sync {
    fn dim(&self) -> usize;
    fn embed(&self, text: &str) -> Vec<f32>;
}

/// What the index needs of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub id: String,
    /// The standard question first, then the similar ones.
    pub questions: Vec<String>,
}

/// A possible answer to a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Position of the entry in the docs the index was built from.
    pub entry: usize,
    pub id: String,
    /// The probability that this entry answers the query.
    pub probability: f32,
    /// The phrasing of the entry closest to the query.
    pub matched: String,
    pub features: Features,
}

/// Candidates taken from the top of each signal before ranking.
const POOL_PER_SIGNAL: usize = 8;
/// At most this many held-out questions are used to fit the ranker: enough for ten
/// weights, and it keeps a rebuild of a 10,000-entry base within a second or two.
const MAX_TRAINING_QUERIES: usize = 2_000;
/// The ranker is fitted only when the base gives at least this many held-out questions;
/// otherwise the fallback weights are used.
const MIN_TRAINING_QUERIES: usize = 30;
/// In a base with more entries than this, the semantic signal first compares the query with
/// each entry's quantised centroid and scores the rows of only the [`SHORTLIST`] closest
/// entries exactly. Reading every row's vector (40,000 × 2 KiB for 10,000 entries) is what a
/// query would otherwise spend its time on.
const SHORTLIST_FROM: usize = 1_024;
const SHORTLIST: usize = 128;
/// Before the quantised centroids, the entries are cut to this many by their centroids' sign
/// bits (see [`SignBits`]).
const FIRST_CUT: usize = 1_024;

/// The retrieval index of one knowledge base.
pub struct Index {
    segmenter: Segmenter,
    embedder: Option<Arc<dyn Embedder>>,
    ids: Vec<String>,
    /// Per row: its entry and text. An entry's rows are contiguous: entry `e` owns rows
    /// `entry_start[e]..entry_start[e + 1]`.
    row_entry: Vec<u32>,
    entry_start: Vec<usize>,
    row_text: Vec<String>,
    row_chars: Vec<Vec<char>>,
    words: Bm25,
    bigrams: Bm25,
    /// One unit vector per row (empty without an embedder).
    vectors: Vectors,
    /// One normalised mean vector per entry, and the same quantised for the first pass.
    centroids: Vectors,
    coarse: Quantized,
    signs: SignBits,
    ranker: Ranker,
    fitted: bool,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("entries", &self.ids.len())
            .field("rows", &self.row_entry.len())
            .field("semantic", &self.embedder.is_some())
            .field("fitted", &self.fitted)
            .finish_non_exhaustive()
    }
}

/// The query side of scoring, computed once per query.
struct Query {
    prepared: Prepared,
    vector: Option<Vec<f32>>,
}

/// Per-entry best scores of each signal for one query.
struct EntryScores {
    /// Best row cosine; computed for the semantic shortlist (see [`SHORTLIST`]) and, later,
    /// for any other candidate a lexical signal brings in.
    cos: Vec<f32>,
    cos_known: Vec<bool>,
    cos_row: Vec<u32>,
    words: Vec<f32>,
    bigrams: Vec<f32>,
}

impl Index {
    /// Builds the index and fits its ranker. `embeddings` may hold vectors already computed for
    /// some question texts (from an earlier build), so an edit re-encodes only what changed.
    pub fn build(
        docs: &[Doc],
        segmenter: Segmenter,
        embedder: Option<Arc<dyn Embedder>>,
        embeddings: &mut HashMap<String, Vec<f32>>,
    ) -> Index {
        let mut ids = Vec::with_capacity(docs.len());
        let mut row_entry = Vec::new();
        let mut row_text = Vec::new();
        let mut row_prepared = Vec::new();
        for (e, doc) in docs.iter().enumerate() {
            ids.push(doc.id.clone());
            for q in &doc.questions {
                let prepared = prepare(&segmenter, q);
                row_entry.push(u32::try_from(e).unwrap_or(u32::MAX));
                row_text.push(q.clone());
                row_prepared.push(prepared);
            }
        }
        let words = Bm25::build(
            &row_prepared
                .iter()
                .map(|p| p.words.clone())
                .collect::<Vec<_>>(),
        );
        let bigrams = Bm25::build(
            &row_prepared
                .iter()
                .map(|p| p.bigrams.clone())
                .collect::<Vec<_>>(),
        );
        let dim = embedder.as_ref().map_or(0, |e| e.dim());
        let mut vectors = Vectors::new(dim);
        let mut centroids = Vectors::new(dim);
        if let Some(embedder) = &embedder {
            for p in &row_prepared {
                let v = embeddings
                    .entry(p.normalized.clone())
                    .or_insert_with(|| embedder.embed(&p.normalized));
                vectors.push(v);
            }
            let mut sums = vec![vec![0.0f32; dim]; docs.len()];
            for (row, &e) in row_entry.iter().enumerate() {
                for (s, x) in sums[e as usize].iter_mut().zip(vectors.row(row)) {
                    *s += x;
                }
            }
            for s in sums {
                centroids.push(&normalized(s));
            }
        }
        let mut entry_start = Vec::with_capacity(docs.len() + 1);
        for (row, &e) in row_entry.iter().enumerate() {
            while entry_start.len() <= e as usize {
                entry_start.push(row);
            }
        }
        entry_start.resize(docs.len() + 1, row_entry.len());
        let row_chars = row_prepared.into_iter().map(|p| p.chars).collect();
        let mut index = Index {
            segmenter,
            embedder,
            ids,
            row_entry,
            entry_start,
            row_text,
            row_chars,
            words,
            bigrams,
            vectors,
            coarse: Quantized::of(&centroids),
            signs: SignBits::of(&centroids),
            centroids,
            ranker: Ranker::fallback(),
            fitted: false,
        };
        let examples = index.training_examples();
        let queries = examples.1;
        if queries >= MIN_TRAINING_QUERIES
            && let Some(r) = Ranker::fit(&examples.0)
        {
            index.ranker = r;
            index.fitted = true;
        }
        index
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether the ranker was fitted on this knowledge base (rather than the fallback).
    pub fn fitted(&self) -> bool {
        self.fitted
    }

    pub fn ranker(&self) -> &Ranker {
        &self.ranker
    }

    /// The `k` most probable answers to `text`, best first.
    pub fn search(&self, text: &str, k: usize) -> Vec<Candidate> {
        let prepared = prepare(&self.segmenter, text);
        let vector = self
            .embedder
            .as_ref()
            .map(|e| e.embed(&prepared.normalized));
        let query = Query { prepared, vector };
        let mut ranked = self.rank(&query, None, None);
        ranked.truncate(k);
        ranked
    }

    /// Scores `query` against every entry; `skip_row` and `skip_entry` hold a row or a whole
    /// entry out (for fitting the ranker on the base itself).
    fn rank(
        &self,
        query: &Query,
        skip_row: Option<usize>,
        skip_entry: Option<usize>,
    ) -> Vec<Candidate> {
        let mut scores = self.entry_scores(query, skip_row, skip_entry);
        let pool = self.pool(&scores, skip_entry);
        if pool.is_empty() {
            return Vec::new();
        }
        // Candidates that only a lexical signal brought in get their exact cosine too.
        if let Some(q) = &query.vector {
            for &e in &pool {
                if !scores.cos_known[e] {
                    self.score_rows(q, e, skip_row, &mut scores);
                }
            }
        }
        let word_scale = self.words.self_score(&query.prepared.words).max(1e-6);
        let bigram_scale = self.bigrams.self_score(&query.prepared.bigrams).max(1e-6);
        let mut out: Vec<Candidate> = pool
            .iter()
            .map(|&e| {
                let features =
                    self.features(query, &scores, e, &pool, word_scale, bigram_scale, skip_row);
                Candidate {
                    entry: e,
                    id: self.ids[e].clone(),
                    probability: self.ranker.probability(&features),
                    matched: self.row_text[scores.cos_row[e] as usize].clone(),
                    features,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.entry.cmp(&b.entry))
        });
        out
    }

    fn entry_scores(
        &self,
        query: &Query,
        skip_row: Option<usize>,
        skip_entry: Option<usize>,
    ) -> EntryScores {
        let entries = self.ids.len();
        let rows = self.row_entry.len();
        let mut s = EntryScores {
            cos: vec![-1.0; entries],
            cos_known: vec![false; entries],
            cos_row: vec![0; entries],
            words: vec![0.0; entries],
            bigrams: vec![0.0; entries],
        };
        // First row of each entry, so `cos_row` always points inside the entry.
        for (row, &e) in self.row_entry.iter().enumerate().rev() {
            s.cos_row[e as usize] = row as u32;
        }
        let skipped =
            |row: usize| skip_row == Some(row) || skip_entry == Some(self.row_entry[row] as usize);
        if let Some(q) = &query.vector {
            let scored = if entries > SHORTLIST_FROM {
                self.shortlist(q, skip_entry)
            } else {
                (0..entries).filter(|&e| Some(e) != skip_entry).collect()
            };
            for e in scored {
                self.score_rows(q, e, skip_row, &mut s);
            }
        }
        let mut buf = vec![0.0f32; rows];
        for (index, terms, best) in [
            (&self.words, &query.prepared.words, &mut s.words),
            (&self.bigrams, &query.prepared.bigrams, &mut s.bigrams),
        ] {
            let touched = index.score_into(terms, &mut buf);
            for row in touched {
                let row = row as usize;
                let e = self.row_entry[row] as usize;
                if !skipped(row) && buf[row] > best[e] {
                    best[e] = buf[row];
                }
                buf[row] = 0.0;
            }
        }
        s
    }

    /// The [`SHORTLIST`] entries whose centroids are closest to `q`: a first cut by sign bits,
    /// then the 8-bit codes of what is left.
    fn shortlist(&self, q: &[f32], skip_entry: Option<usize>) -> Vec<usize> {
        let mut distances = Vec::with_capacity(self.ids.len());
        self.signs.distances(q, &mut distances);
        let mut cut: Vec<usize> = (0..distances.len())
            .filter(|&e| Some(e) != skip_entry)
            .collect();
        if cut.len() > FIRST_CUT {
            cut.select_nth_unstable_by_key(FIRST_CUT, |&e| distances[e]);
            cut.truncate(FIRST_CUT);
        }
        let mut coarse = Vec::with_capacity(cut.len());
        self.coarse.dot_rows(q, &cut, &mut coarse);
        if coarse.len() > SHORTLIST {
            coarse.select_nth_unstable_by(SHORTLIST, |a, b| b.1.total_cmp(&a.1));
            coarse.truncate(SHORTLIST);
        }
        coarse.into_iter().map(|(e, _)| e).collect()
    }

    /// Scores entry `e`'s rows (but `skip_row`) against the query vector exactly.
    fn score_rows(&self, q: &[f32], e: usize, skip_row: Option<usize>, s: &mut EntryScores) {
        for row in self.entry_start[e]..self.entry_start[e + 1] {
            if skip_row == Some(row) {
                continue;
            }
            let d = dot(q, self.vectors.row(row));
            if d > s.cos[e] {
                s.cos[e] = d;
                s.cos_row[e] = row as u32;
            }
        }
        s.cos_known[e] = true;
    }

    /// The entries leading any signal.
    fn pool(&self, s: &EntryScores, skip_entry: Option<usize>) -> Vec<usize> {
        let mut pool: Vec<usize> = Vec::new();
        // Cosines are compared as they are; a BM25 score of zero means no shared term.
        let mut signals: Vec<(&[f32], f32)> = vec![(&s.words, 0.0), (&s.bigrams, 0.0)];
        if self.embedder.is_some() {
            signals.insert(0, (&s.cos, -1.0));
        }
        for (signal, floor) in signals {
            for e in top_k(signal, POOL_PER_SIGNAL) {
                if Some(e) != skip_entry && signal[e] > floor && !pool.contains(&e) {
                    pool.push(e);
                }
            }
        }
        pool
    }

    #[allow(clippy::too_many_arguments)]
    fn features(
        &self,
        query: &Query,
        s: &EntryScores,
        e: usize,
        pool: &[usize],
        word_scale: f32,
        bigram_scale: f32,
        skip_row: Option<usize>,
    ) -> Features {
        let best_other = |signal: &[f32]| {
            pool.iter()
                .filter(|&&o| o != e)
                .map(|&o| signal[o])
                .fold(f32::NEG_INFINITY, f32::max)
        };
        let margin = |signal: &[f32]| {
            let other = best_other(signal);
            if other.is_finite() {
                signal[e] - other
            } else {
                signal[e]
            }
        };
        let rows = self.entry_start[e]..self.entry_start[e + 1];
        let held_out_here = skip_row.filter(|r| rows.contains(r));
        let (cos, cos_margin, cos_centroid) = match &query.vector {
            Some(q) => {
                let centroid = match held_out_here {
                    // The held-out question must not be part of its own entry's centroid, or
                    // the ranker learns to trust a centroid that real questions never join.
                    Some(_) => dot(q, &self.centroid_without(e, held_out_here)),
                    None => dot(q, self.centroids.row(e)),
                };
                (s.cos[e], margin(&s.cos), centroid)
            }
            None => (0.0, 0.0, 0.0),
        };
        // Character overlap with the entry's closest phrasing that is not held out.
        let qchars = &query.prepared.chars;
        let mut query_coverage = 0.0f32;
        let mut question_coverage = 0.0f32;
        for row in rows {
            if held_out_here == Some(row) {
                continue;
            }
            let rchars = &self.row_chars[row];
            let shared = qchars.iter().filter(|c| rchars.contains(c)).count() as f32;
            let qc = shared / (qchars.len().max(1) as f32);
            let rc = rchars.iter().filter(|c| qchars.contains(c)).count() as f32
                / (rchars.len().max(1) as f32);
            if qc + rc > query_coverage + question_coverage {
                query_coverage = qc;
                question_coverage = rc;
            }
        }
        let mut f = [0.0f32; N_FEATURES];
        f[0] = cos;
        f[1] = cos_margin;
        f[2] = cos_centroid;
        f[3] = (s.words[e] / word_scale).min(2.0);
        f[4] = (margin(&s.words) / word_scale).clamp(-2.0, 2.0);
        f[5] = (s.bigrams[e] / bigram_scale).min(2.0);
        f[6] = (margin(&s.bigrams) / bigram_scale).clamp(-2.0, 2.0);
        f[7] = query_coverage;
        f[8] = question_coverage;
        f[9] = (1.0 + qchars.len() as f32).ln();
        f
    }

    /// Entry `e`'s normalised mean vector without `skip_row`.
    fn centroid_without(&self, e: usize, skip_row: Option<usize>) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.vectors.dim()];
        for row in self.entry_start[e]..self.entry_start[e + 1] {
            if Some(row) != skip_row {
                for (s, x) in sum.iter_mut().zip(self.vectors.row(row)) {
                    *s += x;
                }
            }
        }
        normalized(sum)
    }

    /// Held-out questions of the base as training examples, and how many queries gave them.
    ///
    /// Each similar question of an entry with at least two phrasings is asked with its own
    /// row held out (its entry is the right answer) and, for every other one, with its whole
    /// entry held out (no candidate is right: what an unanswerable question looks like).
    fn training_examples(&self) -> (Vec<Example>, usize) {
        let rows = self.row_entry.len();
        let mut per_entry = vec![0usize; self.ids.len()];
        for &e in &self.row_entry {
            per_entry[e as usize] += 1;
        }
        let eligible: Vec<usize> = (0..rows)
            .filter(|&r| per_entry[self.row_entry[r] as usize] >= 2)
            .collect();
        // An even spread over the base when it has more rows than needed.
        let step = eligible.len().div_ceil(MAX_TRAINING_QUERIES).max(1);
        let mut examples = Vec::new();
        let mut queries = 0;
        for (n, &row) in eligible.iter().step_by(step).enumerate() {
            let entry = self.row_entry[row] as usize;
            let query = Query {
                prepared: prepare(&self.segmenter, &self.row_text[row]),
                vector: self
                    .embedder
                    .as_ref()
                    .map(|_| self.vectors.row(row).to_vec()),
            };
            let held_out_entry = n % 2 == 1;
            let ranked = if held_out_entry {
                self.rank(&query, Some(row), Some(entry))
            } else {
                self.rank(&query, Some(row), None)
            };
            queries += 1;
            examples.extend(ranked.iter().map(|c| Example {
                features: c.features,
                right: !held_out_entry && c.entry == entry,
            }));
        }
        (examples, queries)
    }
}

/// Indices of the `k` largest values, largest first.
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    if idx.len() > k {
        idx.select_nth_unstable_by(k, |&a, &b| values[b].total_cmp(&values[a]));
        idx.truncate(k);
    }
    idx.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    idx
}
