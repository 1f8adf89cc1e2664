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

#[derive(Debug, Default)]
pub struct HotState {
    /// The last conversation this node wrote for a customer; `None` = known to have none.
    conversations: Mutex<HashMap<CustomerId, Option<Conversation>>>,
    customers: Mutex<HashMap<(ShopId, String), (Instant, Customer)>>,
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
        let map = lock(&self.customers);
        map.get(&(shop, external_id.to_owned()))
            .filter(|(at, _)| at.elapsed() < CUSTOMER_TTL)
            .map(|(_, c)| c.clone())
    }

    pub fn remember_customer(&self, c: &Customer) {
        let mut map = lock(&self.customers);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert((c.shop, c.external_id.clone()), (Instant::now(), c.clone()));
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
}
