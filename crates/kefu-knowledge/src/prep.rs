//! What retrieval reads of a question: the normalised text, its content words and its
//! character bigrams.
//!
//! Shoppers type the same question many ways: `快递到哪了呀😊`, `快遞到哪了`, `ＳＦ能发吗`.
//! Normalisation (kefu-text) folds Traditional, full-width and case; then particles and
//! greetings that every question shares (吗, 呢, 亲, 请问 …) are dropped so they do not make
//! unrelated questions look alike. Words come from jieba with the shop's own words; bigrams of
//! adjacent content characters catch what segmentation splits differently or a typo breaks
//! (`发货` vs `发或` still shares nothing, but `什么时候发货` vs `啥时候发货` shares `发货`,
//! `时候`).

use kefu_text::segment::Segmenter;

/// Words that carry no topic: particles, pronouns, greetings, politeness.
const STOP_WORDS: &[&str] = &[
    "吗",
    "嘛",
    "么",
    "呢",
    "吧",
    "啊",
    "呀",
    "哦",
    "噢",
    "喔",
    "哈",
    "哈哈",
    "啦",
    "嘞",
    "咯",
    "哟",
    "呐",
    "哇",
    "诶",
    "欸",
    "嗯",
    "恩",
    "额",
    "呃",
    "唉",
    "哎",
    "的",
    "地",
    "得",
    "了",
    "着",
    "过",
    "我",
    "我们",
    "你",
    "你们",
    "您",
    "亲",
    "亲亲",
    "请问",
    "请",
    "问",
    "问一下",
    "一下",
    "想问",
    "想",
    "问下",
    "你好",
    "您好",
    "在吗",
    "在",
    "在不在",
    "客服",
    "谢谢",
    "麻烦",
    "麻烦你",
    "那",
    "那个",
    "这个",
    "就",
    "还",
    "也",
    "都",
    "和",
    "跟",
    "是",
    "吗?",
    "呢?",
    "宝宝",
    "宝贝",
];

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// A character that can carry meaning in a question: Han, a letter or a digit.
pub(crate) fn is_content_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A question prepared for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The normalised text (kefu-text's normalisation), emoji and all.
    pub normalized: String,
    /// Content words, stop words removed, in order (duplicates kept: BM25 counts them).
    pub words: Vec<String>,
    /// Bigrams of adjacent content characters inside each word-run of the text.
    pub bigrams: Vec<String>,
    /// Content characters, in order.
    pub chars: Vec<char>,
}

/// Prepares `text` for matching with `segmenter` (jieba with the shop's words).
pub fn prepare(segmenter: &Segmenter, text: &str) -> Prepared {
    let normalized = kefu_text::normalize(text).text;
    let words: Vec<String> = segmenter
        .cut(&normalized)
        .into_iter()
        .filter(|w| w.chars().any(is_content_char) && !is_stop_word(w))
        .map(str::to_owned)
        .collect();
    let chars: Vec<char> = words
        .iter()
        .flat_map(|w| w.chars())
        .filter(|c| is_content_char(*c))
        .collect();
    // Bigrams over the content characters of the stop-word-free text, so `发货了吗` and
    // `发货呢` share `发货` and nothing else.
    let mut bigrams = Vec::with_capacity(chars.len());
    for pair in chars.windows(2) {
        let mut b = String::with_capacity(8);
        b.push(pair[0]);
        b.push(pair[1]);
        bigrams.push(b);
    }
    if chars.len() == 1 {
        bigrams.push(chars[0].to_string());
    }
    Prepared {
        normalized,
        words,
        bigrams,
        chars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn segmenter() -> &'static Segmenter {
        static S: OnceLock<Segmenter> = OnceLock::new();
        S.get_or_init(Segmenter::new)
    }

    #[test]
    fn particles_and_greetings_do_not_count() {
        let p = prepare(segmenter(), "亲，请问什么时候发货呀😊");
        assert!(p.words.contains(&"发货".to_owned()), "{:?}", p.words);
        assert!(
            !p.words
                .iter()
                .any(|w| w == "亲" || w == "呀" || w == "请问"),
            "{:?}",
            p.words
        );
        assert!(p.bigrams.contains(&"发货".to_owned()));
        assert!(!p.chars.contains(&'😊'));
    }

    #[test]
    fn traditional_and_full_width_read_like_simplified() {
        let a = prepare(segmenter(), "什么时候发货");
        let b = prepare(segmenter(), "什麼時候發貨");
        assert_eq!(a.words, b.words);
        let c = prepare(segmenter(), "ＳＦ能发吗");
        assert!(c.words.iter().any(|w| w == "sf"), "{:?}", c.words);
    }

    #[test]
    fn empty_and_symbol_only_text_gives_nothing() {
        for text in ["", "   ", "😊😊", "？？？", "吗呢"] {
            let p = prepare(segmenter(), text);
            assert!(
                p.words.is_empty() && p.bigrams.is_empty(),
                "{text:?}: {p:?}"
            );
        }
    }
}
