//! The demo shop's knowledge base (百问百答): `data/kb.jsonl`, 136 entries written for this
//! shop's catalogue and policies, all published. The same file is the knowledge base of
//! `kefu eval faq`, so what the demo bot answers is what the figures in BENCHMARKS.md measure.

use crate::ids::IdSource;
use kefu_domain::{EntryDraft, EntryStatus, KnowledgeEntry, KnowledgeStats, ShopId, Timestamp};
use serde::Deserialize;

const KB: &str = include_str!("../data/kb.jsonl");

#[derive(Deserialize)]
struct Line {
    id: String,
    question: String,
    similar: Vec<String>,
    answer: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    products: Vec<String>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

/// The entries, published at `at`. A line that does not parse or validate is skipped; the
/// tests check that none does.
pub(crate) fn entries(ids: &mut IdSource, shop: ShopId, at: Timestamp) -> Vec<KnowledgeEntry> {
    KB.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
        .filter_map(|l| {
            EntryDraft {
                key: Some(l.id),
                question: l.question,
                similar: l.similar,
                answer: l.answer,
                tags: l.tags,
                products: l.products,
                valid_from: l.valid_from,
                valid_to: l.valid_to,
            }
            .parse()
            .ok()
        })
        .map(|fields| KnowledgeEntry {
            id: ids.knowledge_entry(),
            shop,
            fields,
            status: EntryStatus::Published,
            version: 1,
            created_at: at,
            updated_at: at,
            stats: KnowledgeStats::default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_a_valid_entry() {
        let lines = KB.lines().filter(|l| !l.trim().is_empty()).count();
        let entries = entries(
            &mut IdSource::new(1),
            ShopId::new(),
            Timestamp::from_millis(0),
        );
        assert_eq!(entries.len(), lines);
        assert!(entries.len() >= 80);
        assert!(entries.iter().all(|e| {
            e.fields
                .key
                .as_deref()
                .is_some_and(|k| k.starts_with("kb-"))
        }));
        let mut keys: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.fields.key.as_deref())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), entries.len(), "codes are unique");
    }
}
