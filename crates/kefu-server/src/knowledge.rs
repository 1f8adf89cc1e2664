//! Each shop's knowledge base as the bot and the assist panel read it: the published entries
//! inside their validity window, their retrieval index and the shop's bot settings.
//!
//! An index is built from the store on first use (and for every shop when the server starts),
//! rebuilt in full whenever an entry changes — before the edit's response returns, so what an
//! admin saved is what the bot answers with — and again when a promotion's validity window
//! opens or closes. Sentence embeddings of question texts are kept between builds, so an edit
//! re-encodes only the questions it added or changed. Building runs on the blocking pool: it
//! encodes and fits the ranker, which would stall the async workers.

use crate::error::{ApiError, ApiResult};
use kefu_domain::{KnowledgeEntry, ShopId, Timestamp};
use kefu_knowledge::{BotSettings, Doc, Embedder, Index};
use kefu_store::{Store, StoreResult};
use kefu_text::segment::Segmenter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// The settings section the bot's thresholds are stored under.
pub const BOT_SETTINGS: &str = "bot";

/// One shop's built knowledge base.
#[derive(Debug)]
pub struct ShopKnowledge {
    pub index: Index,
    /// The entries the index holds, in index order (`Candidate::entry` indexes this).
    pub entries: Vec<KnowledgeEntry>,
    pub settings: BotSettings,
    /// When an entry's validity window next opens or closes: the index is stale from then.
    pub stale_at: Option<Timestamp>,
}

impl ShopKnowledge {
    pub fn entry(&self, position: usize) -> Option<&KnowledgeEntry> {
        self.entries.get(position)
    }
}

type EmbeddingCache = HashMap<String, Vec<f32>>;

pub struct KnowledgeService {
    embedder: Option<Arc<dyn Embedder>>,
    segmenter: Segmenter,
    built: RwLock<HashMap<ShopId, Arc<ShopKnowledge>>>,
    /// Per shop: embeddings by question text, and the lock that serialises its builds.
    caches: Mutex<HashMap<ShopId, Arc<tokio::sync::Mutex<EmbeddingCache>>>>,
}

impl std::fmt::Debug for KnowledgeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeService")
            .field("semantic", &self.embedder.is_some())
            .finish_non_exhaustive()
    }
}

/// The next time after `now` at which an entry's window opens or closes.
fn next_boundary(entries: &[KnowledgeEntry], now: Timestamp) -> Option<Timestamp> {
    entries
        .iter()
        .flat_map(|e| e.window_edges())
        .filter(|t| *t > now)
        .min()
}

impl KnowledgeService {
    pub fn new(embedder: Option<Arc<dyn Embedder>>, segmenter: Segmenter) -> KnowledgeService {
        KnowledgeService {
            embedder,
            segmenter,
            built: RwLock::new(HashMap::new()),
            caches: Mutex::new(HashMap::new()),
        }
    }

    /// The process-wide service: every `AppState` of the process (tests start many) shares
    /// one encoder and one set of built indexes, keyed by shop.
    pub fn shared() -> Arc<KnowledgeService> {
        static SERVICE: std::sync::OnceLock<Arc<KnowledgeService>> = std::sync::OnceLock::new();
        SERVICE
            .get_or_init(|| {
                let segmenter = crate::text::TextEngine::shared().base().segmenter().clone();
                Arc::new(KnowledgeService::bundled(segmenter))
            })
            .clone()
    }

    /// With the bundled sentence encoder, or lexical only when it cannot load (logged: a
    /// broken build should not stop shoppers from being served by people).
    pub fn bundled(segmenter: Segmenter) -> KnowledgeService {
        let embedder = match kefu_knowledge::semantic::bundled() {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::error!(error = %e, "sentence encoder unavailable; the bot matches words only");
                None
            }
        };
        KnowledgeService::new(embedder, segmenter)
    }

    /// The sentence encoder, when it loaded.
    pub fn embedder(&self) -> Option<Arc<dyn Embedder>> {
        self.embedder.clone()
    }

    fn cache_of(&self, shop: ShopId) -> Arc<tokio::sync::Mutex<EmbeddingCache>> {
        let mut caches = self.caches.lock().unwrap_or_else(|p| p.into_inner());
        caches.entry(shop).or_default().clone()
    }

    fn cached(&self, shop: ShopId) -> Option<Arc<ShopKnowledge>> {
        let built = self.built.read().unwrap_or_else(|p| p.into_inner());
        built.get(&shop).cloned()
    }

    /// The shop's knowledge base at `now`, built if it is missing or stale.
    pub async fn for_shop(
        &self,
        store: &dyn Store,
        shop: ShopId,
        now: Timestamp,
    ) -> ApiResult<Arc<ShopKnowledge>> {
        if let Some(k) = self.cached(shop)
            && k.stale_at.is_none_or(|t| now < t)
        {
            return Ok(k);
        }
        self.rebuild(store, shop, now).await
    }

    /// Builds the shop's knowledge base from the store and swaps it in.
    pub async fn rebuild(
        &self,
        store: &dyn Store,
        shop: ShopId,
        now: Timestamp,
    ) -> ApiResult<Arc<ShopKnowledge>> {
        let cache = self.cache_of(shop);
        // One build per shop at a time; a second caller waits and rebuilds from fresh rows.
        let mut guard = cache.lock().await;
        let (all, settings) = load(store, shop).await?;
        let entries: Vec<KnowledgeEntry> =
            all.iter().filter(|e| e.answers_at(now)).cloned().collect();
        let stale_at = next_boundary(&all, now);
        let docs: Vec<Doc> = entries
            .iter()
            .map(|e| Doc {
                id: e.id.to_string(),
                questions: e.questions().map(str::to_owned).collect(),
            })
            .collect();
        let segmenter = self.segmenter.clone();
        let embedder = self.embedder.clone();
        let mut embeddings = std::mem::take(&mut *guard);
        let (index, mut embeddings) = tokio::task::spawn_blocking(move || {
            let index = Index::build(&docs, segmenter, embedder, &mut embeddings);
            (index, embeddings)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, %shop, "knowledge index build failed");
            ApiError::internal()
        })?;
        // Keep only the texts still in use, so the cache does not grow with every edit.
        let live: std::collections::HashSet<String> = entries
            .iter()
            .flat_map(|e| e.questions().map(|q| kefu_text::normalize(q).text))
            .collect();
        embeddings.retain(|text, _| live.contains(text));
        *guard = embeddings;
        let built = Arc::new(ShopKnowledge {
            index,
            entries,
            settings,
            stale_at,
        });
        self.built
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(shop, built.clone());
        Ok(built)
    }

    /// Builds every shop's knowledge base (at start), logging failures rather than failing:
    /// a shop whose build fails is built again on first use.
    pub async fn warm(&self, store: &dyn Store, now: Timestamp) {
        let shops = match store.list_shops().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list shops to build knowledge indexes");
                return;
            }
        };
        for shop in shops {
            let started = std::time::Instant::now();
            match self.rebuild(store, shop.id, now).await {
                Ok(k) => tracing::info!(
                    shop = %shop.slug,
                    entries = k.entries.len(),
                    ranker_fitted = k.index.fitted(),
                    ms = started.elapsed().as_millis() as u64,
                    "knowledge index built"
                ),
                Err(e) => {
                    tracing::warn!(shop = %shop.slug, error = %e.message, "knowledge index not built")
                }
            }
        }
    }
}

/// The shop's entries and bot settings. Stored settings that no longer parse (written by an
/// older version) fall back to the defaults, logged, rather than stopping the bot.
async fn load(store: &dyn Store, shop: ShopId) -> StoreResult<(Vec<KnowledgeEntry>, BotSettings)> {
    let entries = store.knowledge_entries(shop).await?;
    let settings = match store.shop_setting(shop, BOT_SETTINGS).await? {
        Some(body) => serde_json::from_str(&body).unwrap_or_else(|e| {
            tracing::warn!(%shop, error = %e, "stored bot settings unreadable; using defaults");
            BotSettings::default()
        }),
        None => BotSettings::default(),
    };
    Ok((entries, settings))
}
