//! Keeping a knowledge base alive: questions the bot could not answer become proposed
//! entries, and entries that do not help are flagged for retirement.
//!
//! Proposals come from clustering the unanswered questions by meaning (USE-m3 cosine): a
//! question joins the closest cluster whose centroid is similar enough, or starts its own.
//! The clusters asked most often (by distinct shoppers, so one shopper repeating himself does
//! not make a topic) are proposed, each with its most central question as the standard one and
//! the others as similar questions; an admin approves, edits or dismisses them.

use serde::Serialize;

use crate::vectors::{dot, normalized};

/// Cosine a question needs to its cluster's centroid to join it. USE-m3 paraphrases of shop
/// questions mostly score 0.7–0.9, unrelated ones below 0.5.
pub const JOIN_COSINE: f32 = 0.72;
/// Similar questions kept per proposal.
const MAX_SIMILAR: usize = 10;

/// An unanswered question.
#[derive(Debug, Clone)]
pub struct Unanswered<'a> {
    pub text: &'a str,
    /// Who asked (a customer id): counts distinct askers.
    pub asker: &'a str,
    /// Unit vector of the question (the knowledge base's encoder).
    pub embedding: &'a [f32],
}

/// A proposed new entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub question: String,
    pub similar: Vec<String>,
    /// Times asked, and by how many shoppers.
    pub asked: usize,
    pub askers: usize,
}

struct Cluster {
    sum: Vec<f32>,
    members: Vec<usize>,
}

/// The `top` most-asked clusters of `questions` as proposals, most asked first.
pub fn propose(questions: &[Unanswered<'_>], top: usize) -> Vec<Proposal> {
    let mut clusters: Vec<Cluster> = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let best = clusters
            .iter()
            .enumerate()
            .map(|(c, cluster)| (c, dot(q.embedding, &normalized(cluster.sum.clone()))))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((c, cos)) if cos >= JOIN_COSINE => {
                let cluster = &mut clusters[c];
                for (s, x) in cluster.sum.iter_mut().zip(q.embedding) {
                    *s += x;
                }
                cluster.members.push(i);
            }
            _ => clusters.push(Cluster {
                sum: q.embedding.to_vec(),
                members: vec![i],
            }),
        }
    }
    let mut proposals: Vec<(usize, Proposal)> = clusters
        .into_iter()
        .map(|cluster| {
            let centroid = normalized(cluster.sum);
            let mut members = cluster.members;
            // Most central first: it reads most like what the cluster is about.
            members.sort_by(|&a, &b| {
                dot(questions[b].embedding, &centroid)
                    .total_cmp(&dot(questions[a].embedding, &centroid))
            });
            let mut texts: Vec<String> = Vec::new();
            for &m in &members {
                let t = questions[m].text.trim();
                if !t.is_empty() && !texts.iter().any(|x| x == t) {
                    texts.push(t.to_owned());
                }
            }
            let mut askers: Vec<&str> = members.iter().map(|&m| questions[m].asker).collect();
            askers.sort_unstable();
            askers.dedup();
            let first = members.first().copied().unwrap_or(0);
            let mut texts = texts.into_iter();
            (
                first,
                Proposal {
                    question: texts.next().unwrap_or_default(),
                    similar: texts.take(MAX_SIMILAR).collect(),
                    asked: members.len(),
                    askers: askers.len(),
                },
            )
        })
        .filter(|(_, p)| !p.question.is_empty())
        .collect();
    proposals.sort_by(|a, b| {
        (b.1.askers, b.1.asked)
            .cmp(&(a.1.askers, a.1.asked))
            .then(a.0.cmp(&b.0))
    });
    proposals.into_iter().take(top).map(|(_, p)| p).collect()
}

/// What an entry did for shoppers over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub hits: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub handoffs: i64,
}

/// How useful an entry is, in [0, 1]: its helpful rate (with one vote of each kind assumed,
/// so a single vote cannot decide) times the share of its answers that did not end with a
/// hand-off. An entry never used scores 0.
pub fn usefulness(u: Usage) -> f64 {
    if u.hits <= 0 {
        return 0.0;
    }
    let helpful = (u.helpful.max(0) as f64 + 1.0) / ((u.helpful + u.unhelpful).max(0) as f64 + 2.0);
    let kept = 1.0 - (u.handoffs.clamp(0, u.hits) as f64 / u.hits as f64);
    helpful * kept
}

/// Positions of the entries in the bottom `share` by usefulness (at least one when there are
/// five or more entries; none for fewer, where a ranking means little), least useful first.
pub fn retirement_candidates(usage: &[Usage], share: f64) -> Vec<usize> {
    if usage.len() < 5 {
        return Vec::new();
    }
    let n = ((usage.len() as f64 * share).floor() as usize).max(1);
    let mut order: Vec<usize> = (0..usage.len()).collect();
    order.sort_by(|&a, &b| {
        usefulness(usage[a])
            .total_cmp(&usefulness(usage[b]))
            .then(a.cmp(&b))
    });
    order.truncate(n);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        normalized(v.to_vec())
    }

    #[test]
    fn paraphrases_cluster_and_the_most_asked_comes_first() {
        let invoice = unit(&[1.0, 0.1, 0.0]);
        let invoice2 = unit(&[0.95, 0.15, 0.05]);
        let stroller = unit(&[0.0, 1.0, 0.1]);
        let qs = vec![
            Unanswered {
                text: "能开专票吗",
                asker: "a",
                embedding: &invoice,
            },
            Unanswered {
                text: "婴儿车有卖吗",
                asker: "b",
                embedding: &stroller,
            },
            Unanswered {
                text: "可以开增值税专用发票吗",
                asker: "c",
                embedding: &invoice2,
            },
            Unanswered {
                text: "能开专票吗",
                asker: "d",
                embedding: &invoice,
            },
            Unanswered {
                text: "婴儿车有卖吗",
                asker: "b",
                embedding: &stroller,
            },
        ];
        let p = propose(&qs, 20);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].asked, p[0].askers), (3, 3));
        assert!(p[0].question.contains("专"));
        assert_eq!(
            p[0].similar.len(),
            1,
            "duplicates are kept once: {:?}",
            p[0]
        );
        assert_eq!(
            (p[1].asked, p[1].askers),
            (2, 1),
            "one shopper asking twice is one asker"
        );
        assert_eq!(propose(&qs, 1).len(), 1);
        assert!(propose(&[], 20).is_empty());
    }

    #[test]
    fn unused_and_unhelpful_entries_are_flagged_first() {
        let u = |hits, helpful, unhelpful, handoffs| Usage {
            hits,
            helpful,
            unhelpful,
            handoffs,
        };
        let usage = vec![
            u(100, 40, 2, 5),
            u(0, 0, 0, 0),
            u(50, 1, 20, 30),
            u(80, 30, 5, 2),
            u(60, 20, 3, 4),
            u(70, 25, 4, 3),
            u(90, 35, 1, 1),
            u(40, 10, 10, 10),
            u(30, 12, 2, 1),
            u(20, 8, 1, 1),
        ];
        assert_eq!(retirement_candidates(&usage, 0.2), vec![1, 2]);
        assert!(usefulness(u(10, 9, 1, 0)) > usefulness(u(10, 1, 9, 0)));
        assert!(retirement_candidates(&usage[..4], 0.2).is_empty());
    }
}
