//! The text engine in the server: one base [`Analyzer`] per process (jieba's dictionary and the
//! sentiment model take ~100 ms and ~30 MiB to load), and per shop a copy that also knows the
//! shop's product words, rebuilt when the catalogue changes.

use crate::hot::TtlCache;
use kefu_domain::{Finding, Message, Product, ShopId};
use kefu_store::{MessageAnalysis, Store, StoreResult};
use kefu_text::analysis::{Analysis, Analyzer};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A shop's analyser is rebuilt at least this often, so catalogue changes from another node
/// reach it; an import on this node drops it at once.
const SHOP_ANALYZER_TTL: Duration = Duration::from_secs(300);
/// Products read for a shop's dictionary.
const MAX_PRODUCTS: u32 = 5_000;
/// Longest product-name chunk added as one word: longer chunks are descriptions
/// (`超薄透气纸尿裤`) that jieba should keep splitting into the words shoppers type.
const MAX_NAME_WORD_CHARS: usize = 6;

#[derive(Debug)]
pub struct TextEngine {
    base: Analyzer,
    shops: TtlCache<ShopId, Arc<Analyzer>>,
}

impl TextEngine {
    /// The process-wide engine. The bundled lexicons and model are tested at build time, so
    /// failing to load them is a broken build, not bad input.
    pub fn shared() -> Arc<TextEngine> {
        static ENGINE: OnceLock<Arc<TextEngine>> = OnceLock::new();
        ENGINE
            .get_or_init(|| {
                #[allow(clippy::expect_used)]
                let base = Analyzer::bundled().expect("the bundled lexicons are valid");
                Arc::new(TextEngine {
                    base,
                    shops: TtlCache::new(SHOP_ANALYZER_TTL, 10_000),
                })
            })
            .clone()
    }

    pub fn base(&self) -> &Analyzer {
        &self.base
    }

    /// The shop's analyser, built from its products on first use.
    pub async fn for_shop(&self, store: &dyn Store, shop: ShopId) -> StoreResult<Arc<Analyzer>> {
        if let Some(hit) = self.shops.get(&shop) {
            return Ok(hit);
        }
        let products = store.products(shop, MAX_PRODUCTS).await?;
        let words = shop_words(&products);
        let revision = format!("{}w", words.len());
        let analyzer = match self.base.for_shop(
            words.iter().map(String::as_str),
            &[],
            &[],
            &revision,
        ) {
            Ok(a) => Arc::new(a),
            Err(e) => {
                tracing::warn!(%shop, error = %e, "shop lexicon refused; using the bundled one");
                Arc::new(self.base.clone())
            }
        };
        self.shops.put(shop, analyzer.clone());
        Ok(analyzer)
    }

    /// Drops a shop's analyser after its catalogue changed.
    pub fn forget(&self, shop: ShopId) {
        self.shops.remove(&shop);
    }
}

/// Brands, series and short product-name words: what shoppers type that jieba's general
/// dictionary would split (`云朵棉`, `小芽`).
pub fn shop_words(products: &[Product]) -> Vec<String> {
    let mut words = std::collections::BTreeSet::new();
    for p in products {
        for key in ["品牌", "brand", "系列", "series"] {
            if let Some(v) = p.attributes.get(key) {
                words.insert(v.trim().to_owned());
            }
        }
        for chunk in p.name.split_whitespace() {
            let han = chunk
                .chars()
                .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
            if han && chunk.chars().count() <= MAX_NAME_WORD_CHARS {
                words.insert(chunk.to_owned());
            }
        }
    }
    words.into_iter().filter(|w| !w.is_empty()).collect()
}

/// The stored form of a message's analysis.
/// `lint` is what the live lint found in an agent's message, kept beside the analysis.
pub fn record(
    analyzer: &Analyzer,
    message: &Message,
    analysis: &Analysis,
    lint: &[Finding],
) -> MessageAnalysis {
    MessageAnalysis {
        message: message.id,
        conversation: message.conversation,
        sender: message.sender,
        at: message.at,
        analyzer: analyzer.version().to_owned(),
        sentiment: analysis.sentiment.label_name().to_owned(),
        score: f64::from(analysis.sentiment.score),
        emotion: analysis.emotion.label.map(|e| e.as_str().to_owned()),
        intensity: f64::from(analysis.emotion.intensity),
        body: serde_json::to_string(&StoredAnalysis {
            lint,
            ..StoredAnalysis::from(analysis)
        })
        .unwrap_or_default(),
    }
}

/// What is kept of an analysis: everything but the tokens and the normalised text, which
/// can be recomputed and would double the row.
#[derive(Debug, serde::Serialize)]
struct StoredAnalysis<'a> {
    hits: &'a [kefu_text::lexicon::Hit],
    entities: &'a [kefu_text::entities::Entity],
    sentiment: &'a kefu_text::analysis::Sentiment,
    emotion: &'a kefu_text::analysis::EmotionReading,
    /// Agent messages: the live lint's findings (see `lint.rs`).
    #[serde(skip_serializing_if = "<[Finding]>::is_empty")]
    lint: &'a [Finding],
}

impl<'a> From<&'a Analysis> for StoredAnalysis<'a> {
    fn from(a: &'a Analysis) -> Self {
        StoredAnalysis {
            hits: &a.hits,
            entities: &a.entities,
            sentiment: &a.sentiment,
            emotion: &a.emotion,
            lint: &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_domain::{ProductId, Timestamp};

    #[test]
    fn shop_words_are_brands_series_and_short_name_chunks() {
        let product = Product {
            id: ProductId::new(),
            shop: ShopId::new(),
            sku: "YD-DP-M".into(),
            name: "云朵棉夜用安睡纸尿裤 M码 58片".into(),
            category: "纸尿裤".into(),
            price_fen: 13_900,
            attributes: [("品牌".to_owned(), "云朵棉".to_owned())].into(),
            created_at: Timestamp::from_millis(0),
        };
        assert_eq!(shop_words(&[product]), ["58片", "M码", "云朵棉"]);
    }
}
