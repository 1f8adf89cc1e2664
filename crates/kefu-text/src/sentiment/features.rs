//! Hashed sparse features of a normalised message.
//!
//! A feature is a 32-bit key: a stable hash of what it stands for (a character n-gram, a jieba
//! word, a word pair, a negated word) whose lowest bit says which *view* it belongs to
//! (characters or words). Hashing instead of storing strings keeps the model small and lets
//! prediction run without allocating a string per feature. The hash is written out here, not
//! taken from a crate, because a saved model is only valid while the hash never changes.
//!
//! Two views because they fail differently: character n-grams survive segmentation mistakes,
//! slang and typos (`绝绝子`, `垃圾`), while words and word pairs see past three characters
//! (`一点都不好用`) and the word after a negation (`不` + `满意`).

/// The view of character n-grams.
pub(crate) const VIEW_CHARS: usize = 0;
/// The view of jieba words, word pairs and negated words.
pub(crate) const VIEW_WORDS: usize = 1;
/// How many views there are.
pub(crate) const VIEWS: usize = 2;

/// Which features are extracted; saved in the model so prediction extracts the same ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FeatureConfig {
    /// Longest character n-gram, 0 (none) to 4.
    pub char_ngrams: u8,
    /// Also n-grams that touch the start or end of the message (`^好`, `差$`).
    pub char_boundaries: bool,
    /// jieba words.
    pub word_unigrams: bool,
    /// Pairs of adjacent jieba words.
    pub word_bigrams: bool,
    /// The word after a negation (`不`, `没有`, `别` …) as a feature of its own.
    pub negation: bool,
    /// Every ASCII digit reads `0`, so order numbers and prices share features.
    pub fold_digits: bool,
}

impl FeatureConfig {
    pub(crate) fn to_byte(self) -> [u8; 2] {
        let flags = u8::from(self.char_boundaries)
            | u8::from(self.word_unigrams) << 1
            | u8::from(self.word_bigrams) << 2
            | u8::from(self.negation) << 3
            | u8::from(self.fold_digits) << 4;
        [self.char_ngrams, flags]
    }

    pub(crate) fn from_bytes(bytes: [u8; 2]) -> Option<FeatureConfig> {
        let [char_ngrams, flags] = bytes;
        if char_ngrams > 4 || flags >> 5 != 0 {
            return None;
        }
        Some(FeatureConfig {
            char_ngrams,
            char_boundaries: flags & 1 != 0,
            word_unigrams: flags & 1 << 1 != 0,
            word_bigrams: flags & 1 << 2 != 0,
            negation: flags & 1 << 3 != 0,
            fold_digits: flags & 1 << 4 != 0,
        })
    }
}

/// Words after which the next word is read as negated. jieba keeps some negated phrases whole
/// (`不错`, `没问题`); those are ordinary words and need no help.
const NEGATIONS: &[&str] = &[
    "不",
    "没",
    "没有",
    "别",
    "无",
    "不是",
    "不太",
    "不会",
    "不能",
    "不要",
    "不够",
    "未",
    "毫无",
    "并不",
    "并没有",
    "从不",
    "从来不",
    "绝不",
    "不怎么",
    "不用",
    "非",
];

// Namespaces keep a word and a character n-gram that spell the same apart.
const NS_CHARS: u64 = 0x10;
const NS_WORD: u64 = 0x20;
const NS_PAIR: u64 = 0x21;
const NS_NEGATED: u64 = 0x22;
/// Stand-ins for the start and end of a message in boundary n-grams; never real characters.
const START: u64 = 0x11_0000;
const END: u64 = 0x11_0001;

/// One step of the FxHash word mix: cheap, and good enough once [`finish`] scrambles the bits.
fn add(hash: u64, value: u64) -> u64 {
    (hash.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// MurmurHash3's 64-bit finaliser, folded to 32 bits with the view in the lowest bit; never 0,
/// which the feature table keeps for empty slots.
fn finish(hash: u64, view: usize) -> u32 {
    let mut h = hash;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    // Truncation is the point: keys are 32 bits.
    let folded = (h ^ (h >> 32)) as u32;
    match (folded & !1) | view as u32 {
        0 => 2,
        key => key,
    }
}

fn fold(c: char, fold_digits: bool) -> u64 {
    if fold_digits && c.is_ascii_digit() {
        u64::from('0')
    } else if c.is_whitespace() {
        u64::from(' ')
    } else {
        u64::from(c)
    }
}

fn word_hash(word: &str, fold_digits: bool) -> u64 {
    word.chars()
        .fold(0x9e37_79b9_7f4a_7c15, |h, c| add(h, fold(c, fold_digits)))
}

/// Appends the feature keys of one message to `out` (with repeats; see [`count`]).
///
/// `normalized` is the output of [`crate::normalize`]; `tokens` its jieba cut. Whitespace
/// tokens are skipped, so a segmenter that emits or drops them gives the same features.
pub(crate) fn extract(
    normalized: &str,
    tokens: &[&str],
    config: &FeatureConfig,
    out: &mut Vec<u32>,
) {
    if config.char_ngrams > 0 {
        char_ngrams(normalized, config, out);
    }
    if !(config.word_unigrams || config.word_bigrams || config.negation) {
        return;
    }
    let mut previous: Option<(u64, &str)> = None;
    for token in tokens {
        let word = token.trim();
        if word.is_empty() {
            continue;
        }
        let hash = word_hash(word, config.fold_digits);
        if config.word_unigrams {
            out.push(finish(add(NS_WORD, hash), VIEW_WORDS));
        }
        if let Some((before, before_word)) = previous {
            if config.word_bigrams {
                out.push(finish(add(add(NS_PAIR, before), hash), VIEW_WORDS));
            }
            if config.negation && NEGATIONS.contains(&before_word) {
                out.push(finish(add(NS_NEGATED, hash), VIEW_WORDS));
            }
        }
        previous = Some((hash, word));
    }
}

fn char_ngrams(normalized: &str, config: &FeatureConfig, out: &mut Vec<u32>) {
    let max_n = usize::from(config.char_ngrams);
    // A sliding window of the last `max_n` folded characters; runs of whitespace count once.
    let mut window = [0u64; 5];
    let mut filled = 0usize;
    let mut push = |c: u64, out: &mut Vec<u32>| {
        window.copy_within(1.., 0);
        window[4] = c;
        filled = (filled + 1).min(5);
        let boundary = c == END;
        for n in 1..=max_n.min(filled) {
            let gram = &window[5 - n..];
            let touches_boundary = gram[0] == START || boundary;
            if touches_boundary && (n == 1 || !config.char_boundaries) {
                continue;
            }
            let hash = gram.iter().fold(NS_CHARS + n as u64, |h, &c| add(h, c));
            out.push(finish(hash, VIEW_CHARS));
        }
    };
    push(START, out);
    let mut last_space = true;
    for c in normalized.chars() {
        let folded = fold(c, config.fold_digits);
        let space = folded == u64::from(' ');
        if space && last_space {
            continue;
        }
        last_space = space;
        push(folded, out);
    }
    push(END, out);
}

/// Sorts the keys and turns repeats into counts.
pub(crate) fn count(keys: &mut [u32]) -> impl Iterator<Item = (u32, u32)> + '_ {
    keys.sort_unstable();
    keys.chunk_by(|a, b| a == b)
        .map(|run| (run[0], u32::try_from(run.len()).unwrap_or(u32::MAX)))
}

/// The view of a key.
pub(crate) fn view_of(key: u32) -> usize {
    (key & 1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str, tokens: &[&str], config: &FeatureConfig) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        extract(text, tokens, config, &mut out);
        count(&mut out).collect()
    }

    const ALL: FeatureConfig = FeatureConfig {
        char_ngrams: 3,
        char_boundaries: true,
        word_unigrams: true,
        word_bigrams: true,
        negation: true,
        fold_digits: true,
    };

    #[test]
    fn config_round_trips_through_its_bytes() {
        assert_eq!(FeatureConfig::from_bytes(ALL.to_byte()), Some(ALL));
        assert_eq!(FeatureConfig::from_bytes([5, 0]), None);
        assert_eq!(FeatureConfig::from_bytes([3, 0x80]), None);
    }

    #[test]
    fn character_ngrams_are_counted_per_length() {
        let only_chars = FeatureConfig {
            char_boundaries: false,
            word_unigrams: false,
            word_bigrams: false,
            negation: false,
            ..ALL
        };
        // 好好好: 3 × 好, 2 × 好好, 1 × 好好好.
        let mut counts: Vec<u32> = keys("好好好", &[], &only_chars)
            .iter()
            .map(|&(_, n)| n)
            .collect();
        counts.sort_unstable();
        assert_eq!(counts, vec![1, 2, 3]);
    }

    #[test]
    fn digits_fold_and_whitespace_tokens_are_ignored() {
        assert_eq!(
            keys("订单号123", &["订单号", "123"], &ALL),
            keys("订单号987", &["订单号", " ", "987"], &ALL)
        );
    }

    #[test]
    fn negation_adds_a_feature_and_views_are_marked() {
        // 满意: chars 满 意 满意 ^满 ^满意 意$ 满意$, word 满意.
        assert_eq!(keys("满意", &["满意"], &ALL).len(), 8);
        // 不满意: chars 不 满 意 ^不 不满 ^不满 满意 不满意 意$ 满意$,
        // words 不 满意 不+满意 NOT(满意).
        let negated = keys("不满意", &["不", "满意"], &ALL);
        assert_eq!(negated.len(), 14);
        assert!(negated.iter().any(|&(k, _)| view_of(k) == VIEW_WORDS));
        assert!(negated.iter().any(|&(k, _)| view_of(k) == VIEW_CHARS));
    }
}
