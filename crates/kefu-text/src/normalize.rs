//! Normalisation for matching.
//!
//! Shoppers and agents dodge keyword checks with full-width letters (`ＶＩＰ`), Traditional
//! characters (`退貨`), invisible characters (`退\u{200b}款`) and separators between Chinese
//! characters (`退 款`, `退-款`, `退…款`, `假_货`). [`normalize`] undoes all of these, one
//! original character at a time, so that every output character records which input character
//! it came from and a match in the normalised text can be shown on the original:
//!
//! 1. invisible characters are dropped (zero-width spaces and joiners, soft hyphens, bidi
//!    controls, byte-order marks, variation selectors);
//! 2. each character is put in NFKC form (full-width → half-width, `①` → `1`, ligatures …);
//! 3. Traditional Chinese becomes Simplified (fast2s, over the whole text so it can read each
//!    character's neighbours);
//! 4. letters are lower-cased;
//! 5. separators (whitespace, punctuation, symbols other than emoji) standing between two Han
//!    characters are dropped, so `退 - 款` reads `退款`; elsewhere they are kept (`12315`,
//!    `iphone 15`, sentence punctuation after a word).
//!
//! Emoji are kept (they carry emotion) and are not separators, so `退😀款` stays as written.

use unicode_normalization::UnicodeNormalization;

/// A normalised text and, for each of its characters, the index of the original character it
/// came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// `origin[i]` is the char index in the original of the `i`-th char of `text`;
    /// non-decreasing, and always less than the original's char count.
    pub origin: Vec<usize>,
}

impl Normalized {
    /// The original char range `[start, end)` covering normalised chars `[start, end)`.
    pub fn original_span(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        if start >= end || end > self.origin.len() {
            return None;
        }
        Some((self.origin[start], self.origin[end - 1] + 1))
    }
}

/// Normalises `input` for matching; see the module documentation for the steps.
pub fn normalize(input: &str) -> Normalized {
    // Steps 1–2, character by character, remembering each output char's origin.
    let mut nfkc = String::with_capacity(input.len());
    let mut nfkc_origin: Vec<usize> = Vec::with_capacity(input.len());
    for (i, c) in input.chars().enumerate() {
        if c.is_ascii() {
            // NFKC leaves ASCII alone: the common case costs nothing more.
            nfkc.push(c);
            nfkc_origin.push(i);
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        for k in c.nfkc() {
            if !is_invisible(k) {
                nfkc.push(k);
                nfkc_origin.push(i);
            }
        }
    }
    // Step 3 on the whole text at once: fast2s reads each character's neighbours to pick the
    // right Simplified form, and maps every character to exactly one character.
    let simplified: std::borrow::Cow<'_, str> = if nfkc.is_ascii() {
        std::borrow::Cow::Borrowed(&nfkc)
    } else {
        std::borrow::Cow::Owned(fast2s::convert(&nfkc))
    };
    // Step 4: lower case (one character may become several).
    let mut chars: Vec<(char, usize)> = Vec::with_capacity(nfkc_origin.len());
    for ((c, before), &at) in simplified.chars().zip(nfkc.chars()).zip(&nfkc_origin) {
        let c = if NOT_TRADITIONAL.contains(&before) {
            before
        } else {
            c
        };
        if c.is_ascii() {
            chars.push((c.to_ascii_lowercase(), at));
        } else {
            chars.extend(c.to_lowercase().map(|l| (l, at)));
        }
    }
    // Step 5: drop separator runs with a Han character on both sides.
    let mut text = String::with_capacity(input.len());
    let mut origin = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let (c, at) = chars[i];
        if is_separator(c) {
            let run_end = (i..chars.len())
                .find(|&j| !is_separator(chars[j].0))
                .unwrap_or(chars.len());
            let han_before = text.chars().next_back().is_some_and(is_han);
            let han_after = chars.get(run_end).is_some_and(|(n, _)| is_han(*n));
            if !(han_before && han_after) {
                for &(s, sat) in &chars[i..run_end] {
                    text.push(s);
                    origin.push(sat);
                }
            }
            i = run_end;
            continue;
        }
        text.push(c);
        origin.push(at);
        i += 1;
    }
    Normalized { text, origin }
}

/// Simplified characters fast2s converts although they are not Traditional forms: `呵`
/// (呵呵, 呵护) would become `嗬`.
const NOT_TRADITIONAL: &[char] = &['呵'];

/// Characters that render as nothing and only serve to split words.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{034F}'                // combining grapheme joiner
        | '\u{061C}'                // Arabic letter mark
        | '\u{115F}' | '\u{1160}'   // Hangul fillers
        | '\u{180E}'                // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space, non-joiner, joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
        | '\u{2066}'..='\u{206F}'   // bidi isolates, deprecated format characters
        | '\u{3164}' | '\u{FFA0}'   // Hangul fillers
        | '\u{FE00}'..='\u{FE0F}'   // variation selectors
        | '\u{FEFF}'                // byte-order mark / zero-width no-break space
        | '\u{E0000}'..='\u{E007F}' // tags
    )
}

/// Han ideographs (CJK Unified Ideographs and their extensions, compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}'
    )
}

/// Emoji and pictographs: kept as they are, never treated as separators.
fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
    )
}

/// What people put between characters to break a keyword: whitespace, punctuation and symbols.
fn is_separator(c: char) -> bool {
    if c.is_alphanumeric() || is_han(c) || is_emoji(c) {
        return false;
    }
    c.is_whitespace() || c.is_ascii_punctuation() || is_unicode_punctuation_or_symbol(c)
}

/// General punctuation, CJK symbols and punctuation, and the common symbol blocks.
fn is_unicode_punctuation_or_symbol(c: char) -> bool {
    matches!(c,
        '\u{00A1}'..='\u{00BF}'
        | '\u{00D7}' | '\u{00F7}'
        | '\u{2010}'..='\u{205E}'
        | '\u{2190}'..='\u{23FF}'
        | '\u{2500}'..='\u{25FF}'
        | '\u{3000}'..='\u{303F}'
        | '\u{30FB}'
        | '\u{FE10}'..='\u{FE6F}'
        | '\u{FF01}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF20}'
        | '\u{FF3B}'..='\u{FF40}'
        | '\u{FF5B}'..='\u{FF65}'
        | '\u{FFE0}'..='\u{FFEE}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn separators_between_chinese_characters_are_dropped() {
        for evasion in [
            "退 款",
            "退-款",
            "退…款",
            "退 - 款",
            "退　款",
            "退·款",
            "退\n款",
            "退*_*款",
        ] {
            assert_eq!(n(evasion), "退款", "{evasion:?}");
        }
        assert_eq!(n("假_货"), "假货");
    }

    #[test]
    fn separators_elsewhere_are_kept() {
        assert_eq!(n("iPhone 15 Pro"), "iphone 15 pro");
        assert_eq!(n("打12315投诉"), "打12315投诉");
        assert_eq!(
            n("好的，谢谢"),
            "好的谢谢",
            "punctuation between Han is a separator too"
        );
        assert_eq!(n("谢谢!"), "谢谢!");
        assert_eq!(n("sku: A-12"), "sku: a-12");
    }

    #[test]
    fn full_width_traditional_case_and_invisible_characters() {
        assert_eq!(n("ＶＩＰ会员１２３"), "vip会员123");
        assert_eq!(n("退貨退款"), "退货退款");
        assert_eq!(n("這個產品是假貨"), "这个产品是假货");
        assert_eq!(n("退\u{200b}款"), "退款");
        assert_eq!(n("\u{feff}投\u{200d}诉"), "投诉");
        assert_eq!(n("①②③"), "123");
        assert_eq!(n("呵呵，呵护"), "呵呵呵护", "呵 is Simplified already");
    }

    #[test]
    fn emoji_are_kept() {
        assert_eq!(n("好评😊"), "好评😊");
        assert_eq!(n("退😀款"), "退😀款");
    }

    #[test]
    fn offsets_point_back_into_the_original() {
        let original = "我要 退 - 款！";
        let out = normalize(original);
        assert_eq!(out.text, "我要退款!");
        let start = out.text.chars().position(|c| c == '退').expect("found");
        let (a, b) = out.original_span(start, start + 2).expect("span");
        let shown: String = original.chars().skip(a).take(b - a).collect();
        assert_eq!(shown, "退 - 款");
        assert_eq!(out.original_span(3, 3), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{0,40}|[退款假货 \\-_…·　\u{200b}ＡａＢ貨產😀!?。，]{0,30}") {
            let once = normalize(&s).text;
            prop_assert_eq!(normalize(&once).text, once);
        }

        #[test]
        fn every_character_maps_inside_the_original_in_order(s in "\\PC{0,40}|[退款假货 \\-_…·　\u{200b}ＡａＢ貨產😀!?。，]{0,30}") {
            let out = normalize(&s);
            let len = s.chars().count();
            prop_assert_eq!(out.origin.len(), out.text.chars().count());
            prop_assert!(out.origin.iter().all(|&o| o < len));
            prop_assert!(out.origin.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
