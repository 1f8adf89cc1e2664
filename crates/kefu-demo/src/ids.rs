//! The single source of randomness. Every id and every random choice is drawn from one seeded
//! ChaCha stream in a fixed order, which is what makes `generate(seed, now)` reproducible down
//! to the last UUID (the domain's `XxxId::new()` reads the clock and is never used here).

use kefu_domain::{
    AgentId, ConversationId, CustomerId, EventId, KnowledgeEntryId, MessageId, OrderId, ProductId,
    ShopId,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

#[derive(Debug)]
pub(crate) struct IdSource {
    pub rng: ChaCha8Rng,
}

impl IdSource {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.r#gen()).into_uuid()
    }

    pub fn shop(&mut self) -> ShopId {
        ShopId::from_uuid(self.uuid())
    }
    pub fn agent(&mut self) -> AgentId {
        AgentId::from_uuid(self.uuid())
    }
    pub fn customer(&mut self) -> CustomerId {
        CustomerId::from_uuid(self.uuid())
    }
    pub fn product(&mut self) -> ProductId {
        ProductId::from_uuid(self.uuid())
    }
    pub fn order(&mut self) -> OrderId {
        OrderId::from_uuid(self.uuid())
    }
    pub fn conversation(&mut self) -> ConversationId {
        ConversationId::from_uuid(self.uuid())
    }
    pub fn message(&mut self) -> MessageId {
        MessageId::from_uuid(self.uuid())
    }
    pub fn knowledge_entry(&mut self) -> KnowledgeEntryId {
        KnowledgeEntryId::from_uuid(self.uuid())
    }

    pub fn event(&mut self) -> EventId {
        EventId::from_uuid(self.uuid())
    }

    /// Uniform in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            self.rng.gen_range(lo..hi)
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    /// A uniformly chosen element; the lists passed here are never empty.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.rng.gen_range(0..xs.len())]
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.gen_range(0..total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// An element of `(value, weight)` pairs drawn by weight.
    pub fn pick_weighted<'a, T>(&mut self, xs: &'a [(T, u32)]) -> &'a T {
        let weights: Vec<u32> = xs.iter().map(|(_, w)| *w).collect();
        &xs[self.weighted(&weights)].0
    }

    /// A string of `n` random decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.gen_range(0..10u8)))
            .collect()
    }
}
