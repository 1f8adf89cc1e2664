//! What every handler can reach: the ports (store, bus, clock), keys and limits.

use crate::auth::VisitorTokens;
use crate::hot::TtlCache;
use kefu_bus::Bus;
use kefu_domain::{Clock, CustomerId};
use kefu_store::{ShopRecord, Store, StoreError};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub clock: Arc<dyn Clock>,
    pub visitor_tokens: VisitorTokens,
    pub limits: Limits,
    pub(crate) locks: Arc<CustomerLocks>,
    pub(crate) shops: Arc<TtlCache<String, ShopRecord>>,
    pub(crate) hot: Arc<crate::hot::HotState>,
    pub text: Arc<crate::text::TextEngine>,
    pub knowledge: Arc<crate::knowledge::KnowledgeService>,
    /// Routing queues, SLA clocks and agents' presence, per shop.
    pub desk: Arc<crate::desk::DeskService>,
    /// The live lint of agents' replies and each shop's service policy.
    pub lint: Arc<crate::lint::LintService>,
    /// Supervisor alerts: who watches live, and when open alerts are next due.
    pub alerts: Arc<crate::alerts::AlertService>,
    /// The language model that phrases the bot's answers, when configured.
    pub phraser: Option<Arc<crate::llm::Phraser>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_import_bytes: usize,
    pub session_ttl_ms: i64,
    pub visitor_ttl_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_import_bytes: 32 * 1024 * 1024,
            session_ttl_ms: 12 * 3_600_000,
            visitor_ttl_ms: 30 * 86_400_000,
        }
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        clock: Arc<dyn Clock>,
        visitor_key: impl Into<Vec<u8>>,
        limits: Limits,
    ) -> Self {
        let desk = crate::desk::DeskService::new(clock.clone());
        Self {
            store,
            bus,
            clock,
            visitor_tokens: VisitorTokens::new(visitor_key),
            limits,
            locks: Arc::new(CustomerLocks::new(256)),
            shops: Arc::new(TtlCache::new(SHOP_CACHE_TTL, SHOP_CACHE_CAPACITY)),
            hot: Arc::new(crate::hot::HotState::default()),
            text: crate::text::TextEngine::shared(),
            knowledge: crate::knowledge::KnowledgeService::shared(),
            desk,
            lint: crate::lint::LintService::shared(),
            alerts: crate::alerts::AlertService::shared(),
            phraser: None,
        }
    }

    /// Lets the shops' alert robots post to these hosts (`[alerts] webhook_hosts`; `*`: any).
    pub fn with_webhook_hosts(mut self, hosts: Vec<String>) -> Self {
        self.alerts = crate::alerts::AlertService::with_webhook_hosts(hosts);
        self
    }

    /// Lets the language model phrase the bot's answers (see `llm.rs`).
    pub fn with_phraser(mut self, phraser: Option<crate::llm::Phraser>) -> Self {
        self.phraser = phraser.map(Arc::new);
        self
    }

    /// The shop with this slug. Webhooks look their shop up on every delivery, so found shops
    /// are kept for [`SHOP_CACHE_TTL`]; a changed secret takes effect within that time.
    pub async fn shop_by_slug(&self, slug: &str) -> Result<Option<ShopRecord>, StoreError> {
        if let Some(hit) = self.shops.get(slug) {
            return Ok(Some(hit));
        }
        let found = self.store.shop_by_slug(slug).await?;
        if let Some(record) = &found {
            self.shops.put(slug.to_owned(), record.clone());
        }
        Ok(found)
    }
}

/// How long a looked-up shop is reused.
pub const SHOP_CACHE_TTL: Duration = Duration::from_secs(10);
/// Shops kept at most; far more than one deployment serves.
const SHOP_CACHE_CAPACITY: usize = 10_000;

/// Serialises read-decide-append per customer within this node, so two messages from the same
/// shopper never race to open two conversations. Across nodes the store's version check and
/// its one-open-conversation index catch what this cannot.
#[derive(Debug)]
pub(crate) struct CustomerLocks {
    shards: Box<[Mutex<()>]>,
}

impl CustomerLocks {
    fn new(n: usize) -> Self {
        Self {
            shards: (0..n).map(|_| Mutex::new(())).collect(),
        }
    }

    pub(crate) async fn lock(&self, customer: CustomerId) -> MutexGuard<'_, ()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        customer.hash(&mut h);
        let i = (h.finish() % self.shards.len() as u64) as usize;
        self.shards[i].lock().await
    }
}
