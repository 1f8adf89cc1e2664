//! Word segmentation: jieba with the shop's own words (product names, brands, SKU words).
//!
//! Loading jieba's dictionary takes ~100 ms and ~30 MiB, so the base segmenter is built once
//! and shared; a shop's segmenter is a copy with its words added, built when the shop's
//! catalogue changes, not per message.

use std::sync::Arc;

use jieba_rs::Jieba;

/// A jieba segmenter, cheap to clone (the dictionary is shared).
#[derive(Clone)]
pub struct Segmenter {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Segmenter::new()
    }
}

/// How often a shop word counts, in jieba's frequency units: high enough that jieba keeps a
/// product name (`小熊维尼`, `纸尿裤xl`) in one piece rather than splitting it on common words.
const SHOP_WORD_FREQ: usize = 50_000;

impl Segmenter {
    /// jieba's bundled dictionary.
    pub fn new() -> Segmenter {
        Segmenter {
            jieba: Arc::new(Jieba::new()),
        }
    }

    /// A copy of this segmenter that also knows `words`. Words are normalised first, since
    /// segmentation reads normalised text; blank words are skipped.
    pub fn with_words<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> Segmenter {
        let mut jieba = (*self.jieba).clone();
        for word in words {
            let word = crate::normalize(word).text;
            let word = word.trim();
            if !word.is_empty() && !word.contains(char::is_whitespace) {
                jieba.add_word(word, Some(SHOP_WORD_FREQ), None);
            }
        }
        Segmenter {
            jieba: Arc::new(jieba),
        }
    }

    /// The words of `text` (normalised text is expected), without whitespace tokens.
    pub fn cut<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut(text, true)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| !w.trim().is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_words_stay_whole() {
        let base = Segmenter::new();
        let text = "云朵棉夜用拉拉裤什么时候发货";
        assert!(!base.cut(text).contains(&"云朵棉"), "{:?}", base.cut(text));
        let shop = base.with_words(["云朵棉", "  ", "Ｂ型 款"]);
        let tokens = shop.cut(text);
        assert_eq!(tokens.first(), Some(&"云朵棉"), "{tokens:?}");
        assert!(tokens.contains(&"发货"));
        assert!(Segmenter::new().cut("  ").is_empty());
    }
}
