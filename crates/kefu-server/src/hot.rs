//! Hot state: the latest known conversation of each recently active shopper, and recently seen
//! webhook customers, kept in memory so the message path does not read them from the store on
//! every message.
//!
//! The cache may be stale (another node wrote, or an import changed a nickname) but never
//! unsafe: every append carries the version it was decided against, and the store refuses it if
//! the conversation moved on, or if a second open conversation would appear for a shopper. On
//! such a conflict the caller drops the entry and decides again from the store.

use kefu_domain::{Conversation, Customer, CustomerId, ShopId};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept before the cache starts over; each is well under a kilobyte.
const MAX_ENTRIES: usize = 100_000;
/// How long a webhook customer is reused before it is read again (imports may change it).
pub const CUSTOMER_TTL: Duration = Duration::from_secs(60);

/// A bounded map whose entries are reused for `ttl` after they were put.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + std::hash::Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        lock(&self.entries)
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn remove<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + std::hash::Hash + ?Sized,
    {
        lock(&self.entries).remove(key);
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = lock(&self.entries);
        if entries.len() >= self.capacity {
            // Expired entries go first; if all are fresh, start over rather than grow.
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }
}

#[derive(Debug)]
pub struct HotState {
    /// The last conversation this node wrote for a customer; `None` = known to have none.
    conversations: Mutex<HashMap<CustomerId, Option<Conversation>>>,
    customers: TtlCache<(ShopId, String), Customer>,
}

impl Default for HotState {
    fn default() -> Self {
        Self {
            conversations: Mutex::default(),
            customers: TtlCache::new(CUSTOMER_TTL, MAX_ENTRIES),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HotState {
    /// `Some(state)` when the customer's latest conversation is known here.
    pub fn conversation(&self, customer: CustomerId) -> Option<Option<Conversation>> {
        lock(&self.conversations).get(&customer).cloned()
    }

    pub fn remember_conversation(&self, customer: CustomerId, c: Option<Conversation>) {
        let mut map = lock(&self.conversations);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(customer, c);
    }

    pub fn forget_conversation(&self, customer: CustomerId) {
        lock(&self.conversations).remove(&customer);
    }

    pub fn customer(&self, shop: ShopId, external_id: &str) -> Option<Customer> {
        self.customers.get(&(shop, external_id.to_owned()))
    }

    pub fn remember_customer(&self, c: &Customer) {
        self.customers
            .put((c.shop, c.external_id.clone()), c.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_forgets_and_knows_the_difference_between_none_and_unknown() {
        let hot = HotState::default();
        let customer = CustomerId::new();
        assert_eq!(hot.conversation(customer), None, "unknown");
        hot.remember_conversation(customer, None);
        assert_eq!(hot.conversation(customer), Some(None), "known to have none");
        hot.forget_conversation(customer);
        assert_eq!(hot.conversation(customer), None);
    }

    #[test]
    fn ttl_entries_expire_and_the_map_stays_bounded() {
        let cache = TtlCache::new(Duration::from_secs(60), 2);
        cache.put("a".to_owned(), 1);
        cache.put("b".to_owned(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.put("c".to_owned(), 3);
        assert_eq!(
            lock(&cache.entries).len(),
            1,
            "full of fresh entries: started over"
        );
        assert_eq!(cache.get("c"), Some(3));
        let expired = TtlCache::new(Duration::ZERO, 2);
        expired.put("a".to_owned(), 1);
        assert_eq!(expired.get("a"), None);
    }
}
