//! Lexicons: the word lists kefu matches in every message, and the matcher over them.
//!
//! Each lexicon is a UTF-8 file with one entry per line, `term<TAB>category<TAB>severity`,
//! plus a fourth column (the better phrasing) for forbidden agent phrases; `#` starts a
//! comment. The files in `lexicons/` are compiled into the crate, and a shop can bring its own
//! entries in the same format ([`LexiconSet::with_entries`]).
//!
//! Matching runs over the [normalised](crate::normalize) text, so `退 款`, `退\u{200b}款` and
//! `退貨` all hit `退款`, and the span of every hit is reported in the original's characters.
//!
//! **When is a term inside a longer word not a hit?** Two rules, both meant to keep ordinary
//! messages quiet without dropping real hits:
//! 1. Terms that start or end with an ASCII letter or digit only match at ASCII word
//!    boundaries: `315` is not found in the order number `2012315…`, nor `sb` in `usb`.
//! 2. The `innocent` list names longer words that contain a term but mean something else
//!    (`曝光度`, `工商银行`, `多媒体`). They join the same automaton, which finds the
//!    leftmost-longest match, so at a given start the longer innocent word wins and swallows
//!    the term. An innocent word only shields the lexicon it names.
//!
//! Chinese terms are otherwise matched wherever they appear: in Chinese, a risky word inside
//! a longer word is usually still the risky word (`投诉电话`, `退款申请`), so a jieba token
//! boundary test would lose more real hits than it saves.

use std::fmt;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use serde::Serialize;

use crate::normalize::{Normalized, normalize};

/// The lexicons kefu knows, each with its own categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LexiconKind {
    /// Risk words in shopper text (敏感词).
    Sensitive,
    /// Phrases agents must not use (禁用语), each with a better phrasing.
    Forbidden,
    /// Topics only a person may answer (人工专属).
    HumanOnly,
    /// Emotion words; the severity column is the intensity.
    Emotion,
    /// Shoppers asking for a person (转人工).
    Transfer,
    /// What agents must not send (违规内容): leading the shopper off the platform, review
    /// manipulation, abuse and discrimination, illegal offers.
    Conduct,
}

impl LexiconKind {
    pub const ALL: [LexiconKind; 6] = [
        LexiconKind::Sensitive,
        LexiconKind::Forbidden,
        LexiconKind::HumanOnly,
        LexiconKind::Emotion,
        LexiconKind::Transfer,
        LexiconKind::Conduct,
    ];

    /// The stable name used in files, JSON and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LexiconKind::Sensitive => "sensitive",
            LexiconKind::Forbidden => "forbidden",
            LexiconKind::HumanOnly => "human_only",
            LexiconKind::Emotion => "emotion",
            LexiconKind::Transfer => "transfer",
            LexiconKind::Conduct => "conduct",
        }
    }

    pub fn parse(name: &str) -> Option<LexiconKind> {
        LexiconKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The categories an entry of this lexicon may have.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            LexiconKind::Sensitive => &[
                "complaint",
                "regulator",
                "legal",
                "fraud",
                "quality",
                "refund",
                "abuse",
                "media",
            ],
            LexiconKind::Forbidden => &[
                "refusal",
                "ignorance",
                "shirking",
                "impatience",
                "blame",
                "rude",
                "cold",
            ],
            LexiconKind::HumanOnly => &["funds_safety", "product_defect", "privacy", "safety"],
            LexiconKind::Emotion => &Emotion::NAMES,
            LexiconKind::Transfer => &["request"],
            LexiconKind::Conduct => &[
                "off_platform",
                "review",
                "abuse",
                "discrimination",
                "illegal",
            ],
        }
    }

    /// Whether entries carry a better phrasing in a fourth column.
    fn has_suggestion(self) -> bool {
        self == LexiconKind::Forbidden
    }
}

impl fmt::Display for LexiconKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five emotions kefu tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Anger,
    Anxiety,
    Disappointment,
    Satisfaction,
    Gratitude,
}

impl Emotion {
    pub const ALL: [Emotion; 5] = [
        Emotion::Anger,
        Emotion::Anxiety,
        Emotion::Disappointment,
        Emotion::Satisfaction,
        Emotion::Gratitude,
    ];
    const NAMES: [&'static str; 5] = [
        "anger",
        "anxiety",
        "disappointment",
        "satisfaction",
        "gratitude",
    ];

    pub fn as_str(self) -> &'static str {
        Emotion::NAMES[self as usize]
    }

    pub fn parse(name: &str) -> Option<Emotion> {
        Emotion::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Anger, anxiety and disappointment are what a supervisor watches for.
    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Emotion::Anger | Emotion::Anxiety | Emotion::Disappointment
        )
    }
}

/// One lexicon entry, with its term already normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub term: String,
    pub category: &'static str,
    /// 1 (notice) to 3 (high risk); for emotions, the intensity.
    pub severity: u8,
    /// The better phrasing, for forbidden phrases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// Why a lexicon file or entry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconError {
    pub lexicon: String,
    /// 1-based line number, 0 when the error is not about one line.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LexiconError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.lexicon, self.message)
        } else {
            write!(f, "{} line {}: {}", self.lexicon, self.line, self.message)
        }
    }
}

impl std::error::Error for LexiconError {}

/// Longest term accepted, in characters: lexicons hold words and phrases, not paragraphs.
pub const MAX_TERM_CHARS: usize = 32;

/// Parses one lexicon file. Every entry is checked; the first bad line is reported.
pub fn parse_lexicon(kind: LexiconKind, source: &str) -> Result<Vec<Entry>, LexiconError> {
    let mut entries = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |message: String| LexiconError {
            lexicon: kind.as_str().to_owned(),
            line: i + 1,
            message,
        };
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let expected = if kind.has_suggestion() { 4 } else { 3 };
        if fields.len() != expected {
            return Err(err(format!(
                "expected {expected} tab-separated columns (term, category, severity{}), found {}",
                if kind.has_suggestion() {
                    ", suggestion"
                } else {
                    ""
                },
                fields.len()
            )));
        }
        let entry = entry(
            kind,
            fields[0],
            fields[1],
            fields[2],
            fields.get(3).copied(),
        )
        .map_err(err)?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Builds and checks one entry; the error says what is wrong with it.
pub fn entry(
    kind: LexiconKind,
    term: &str,
    category: &str,
    severity: &str,
    suggestion: Option<&str>,
) -> Result<Entry, String> {
    let normalized = normalize(term.trim()).text;
    if normalized.trim().is_empty() {
        return Err(format!("term {term:?} is empty once normalised"));
    }
    if normalized.chars().count() > MAX_TERM_CHARS {
        return Err(format!(
            "term {term:?} is longer than {MAX_TERM_CHARS} characters"
        ));
    }
    let category = kind
        .categories()
        .iter()
        .find(|c| **c == category)
        .copied()
        .ok_or_else(|| {
            format!(
                "unknown category {category:?} for {kind}; expected one of {}",
                kind.categories().join(", ")
            )
        })?;
    let severity = match severity.parse::<u8>() {
        Ok(s @ 1..=3) => s,
        _ => return Err(format!("severity must be 1, 2 or 3, found {severity:?}")),
    };
    let suggestion = match suggestion.map(str::trim) {
        Some("") => return Err("the better phrasing is empty".to_owned()),
        Some(s) => Some(s.to_owned()),
        None => None,
    };
    Ok(Entry {
        term: normalized,
        category,
        severity,
        suggestion,
    })
}

/// Parses the innocent list: `word<TAB>lexicon<TAB>0` per line.
pub fn parse_innocent(source: &str) -> Result<Vec<(LexiconKind, String)>, LexiconError> {
    let mut words = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |message: String| LexiconError {
            lexicon: "innocent".to_owned(),
            line: i + 1,
            message,
        };
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if !(2..=3).contains(&fields.len()) {
            return Err(err(format!(
                "expected word<TAB>lexicon[<TAB>0], found {} columns",
                fields.len()
            )));
        }
        let kind = LexiconKind::parse(fields[1])
            .ok_or_else(|| err(format!("unknown lexicon {:?}", fields[1])))?;
        let word = normalize(fields[0]).text;
        if word.trim().is_empty() || word.chars().count() > MAX_TERM_CHARS {
            return Err(err(format!(
                "word {:?} is empty or longer than {MAX_TERM_CHARS} characters",
                fields[0]
            )));
        }
        words.push((kind, word));
    }
    Ok(words)
}

/// A lexicon term found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub lexicon: LexiconKind,
    pub category: &'static str,
    /// The lexicon's term (normalised), not the text as written.
    pub term: String,
    pub severity: u8,
    /// Char offsets `[start, end)` into the original text.
    pub start: usize,
    pub end: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// One compiled lexicon: its entries and an automaton over their terms and innocent words.
struct Compiled {
    kind: LexiconKind,
    entries: Vec<Entry>,
    /// Values below `entries.len()` are entries; the rest are innocent words.
    automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled")
            .field("kind", &self.kind)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Compiled {
    fn build(
        kind: LexiconKind,
        entries: Vec<Entry>,
        innocent: &[String],
    ) -> Result<Compiled, LexiconError> {
        let err = |message: String| LexiconError {
            lexicon: kind.as_str().to_owned(),
            line: 0,
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for e in &entries {
            if !seen.insert(e.term.as_str()) {
                return Err(err(format!(
                    "term {:?} is listed twice (after normalisation)",
                    e.term
                )));
            }
        }
        let mut patterns: Vec<(&str, u32)> = Vec::with_capacity(entries.len() + innocent.len());
        for (i, e) in entries.iter().enumerate() {
            patterns.push((e.term.as_str(), index(i)?));
        }
        for (i, word) in innocent.iter().enumerate() {
            // An innocent word equal to a term would silence the term everywhere.
            if seen.contains(word.as_str()) {
                return Err(err(format!(
                    "innocent word {word:?} is also a term of this lexicon"
                )));
            }
            if seen.insert(word.as_str()) {
                patterns.push((word.as_str(), index(entries.len() + i)?));
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                CharwiseDoubleArrayAhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build_with_values(patterns)
                    .map_err(|e| err(format!("cannot build the matcher: {e}")))?,
            )
        };
        Ok(Compiled {
            kind,
            entries,
            automaton,
        })
    }

    fn find(&self, text: &Normalized, chars: &CharIndex, out: &mut Vec<Hit>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        self.scan(automaton, text, chars, 0, text.text.len(), out);
    }

    /// The hits that start in the byte range `[from, before)` of the normalised text.
    fn scan(
        &self,
        automaton: &CharwiseDoubleArrayAhoCorasick<u32>,
        text: &Normalized,
        chars: &CharIndex,
        from: usize,
        before: usize,
        out: &mut Vec<Hit>,
    ) {
        for m in automaton.leftmost_find_iter(&text.text[from..]) {
            let (m_start, m_end) = (from + m.start(), from + m.end());
            if m_start >= before {
                break;
            }
            let Some(entry) = self.entries.get(m.value() as usize) else {
                continue; // an innocent word: it swallows what it contains
            };
            if !at_ascii_boundaries(&text.text, m_start, m_end) {
                // A term that would split an ASCII word gives way, and what starts inside it
                // is read again: 加我v does not fit 加我vx, but vx does.
                let next = m_start
                    + text.text[m_start..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                self.scan(automaton, text, chars, next, m_end, out);
                continue;
            }
            let (start, end) = (chars.char_at(m_start), chars.char_at(m_end));
            let Some((from, to)) = text.original_span(start, end) else {
                continue;
            };
            out.push(Hit {
                lexicon: self.kind,
                category: entry.category,
                term: entry.term.clone(),
                severity: entry.severity,
                start: from,
                end: to,
                suggestion: entry.suggestion.clone(),
            });
        }
    }
}

fn index(i: usize) -> Result<u32, LexiconError> {
    u32::try_from(i).map_err(|_| LexiconError {
        lexicon: String::new(),
        line: 0,
        message: "too many entries".to_owned(),
    })
}

/// A match that begins or ends with an ASCII letter or digit must not continue one.
fn at_ascii_boundaries(text: &str, start: usize, end: usize) -> bool {
    let matched = &text[start..end];
    let word = |c: char| c.is_ascii_alphanumeric();
    let starts_word = matched.chars().next().is_some_and(word);
    let ends_word = matched.chars().next_back().is_some_and(word);
    let before = text[..start].chars().next_back().is_some_and(word);
    let after = text[end..].chars().next().is_some_and(word);
    let splits_word = (starts_word && before) || (ends_word && after);
    !splits_word
}

/// Byte offset → char index for one text.
struct CharIndex {
    /// Byte offset of each char, then the text's length.
    starts: Vec<usize>,
}

impl CharIndex {
    fn new(text: &str) -> CharIndex {
        let mut starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        starts.push(text.len());
        CharIndex { starts }
    }

    fn char_at(&self, byte: usize) -> usize {
        self.starts.partition_point(|&b| b < byte)
    }
}

/// The bundled lexicon files.
const BUNDLED: [(LexiconKind, &str); 6] = [
    (
        LexiconKind::Sensitive,
        include_str!("../lexicons/sensitive.tsv"),
    ),
    (
        LexiconKind::Forbidden,
        include_str!("../lexicons/forbidden.tsv"),
    ),
    (
        LexiconKind::HumanOnly,
        include_str!("../lexicons/human_only.tsv"),
    ),
    (
        LexiconKind::Emotion,
        include_str!("../lexicons/emotion.tsv"),
    ),
    (
        LexiconKind::Transfer,
        include_str!("../lexicons/transfer.tsv"),
    ),
    (
        LexiconKind::Conduct,
        include_str!("../lexicons/conduct.tsv"),
    ),
];
const BUNDLED_INNOCENT: &str = include_str!("../lexicons/innocent.tsv");

/// All lexicons, compiled for matching. Build once and share.
#[derive(Debug)]
pub struct LexiconSet {
    compiled: Vec<Compiled>,
}

impl LexiconSet {
    /// The lexicons shipped with kefu.
    pub fn bundled() -> Result<LexiconSet, LexiconError> {
        LexiconSet::with_entries(&[], &[])
    }

    /// The bundled lexicons plus a shop's own entries and innocent words.
    pub fn with_entries(
        extra: &[(LexiconKind, Entry)],
        extra_innocent: &[(LexiconKind, String)],
    ) -> Result<LexiconSet, LexiconError> {
        let mut innocent = parse_innocent(BUNDLED_INNOCENT)?;
        innocent.extend(extra_innocent.iter().cloned());
        let mut compiled = Vec::with_capacity(BUNDLED.len());
        for (kind, source) in BUNDLED {
            let mut entries = parse_lexicon(kind, source)?;
            entries.extend(
                extra
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, e)| e.clone()),
            );
            let shields: Vec<String> = innocent
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, w)| w.clone())
                .collect();
            compiled.push(Compiled::build(kind, entries, &shields)?);
        }
        Ok(LexiconSet { compiled })
    }

    /// The entries of one lexicon.
    pub fn entries(&self, kind: LexiconKind) -> &[Entry] {
        self.compiled
            .iter()
            .find(|c| c.kind == kind)
            .map_or(&[], |c| c.entries.as_slice())
    }

    /// Every hit of every lexicon in a normalised text, ordered by lexicon then position.
    pub fn find(&self, text: &Normalized) -> Vec<Hit> {
        let chars = CharIndex::new(&text.text);
        let mut hits = Vec::new();
        for c in &self.compiled {
            c.find(text, &chars, &mut hits);
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(lines: &[(LexiconKind, &str)], innocent: &str) -> LexiconSet {
        let mut compiled = Vec::new();
        let innocent = parse_innocent(innocent).expect("innocent parses");
        for kind in LexiconKind::ALL {
            let source: String = lines
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let entries = parse_lexicon(kind, &source).expect("parses");
            let shields: Vec<String> = innocent
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, w)| w.clone())
                .collect();
            compiled.push(Compiled::build(kind, entries, &shields).expect("builds"));
        }
        LexiconSet { compiled }
    }

    fn spans(set: &LexiconSet, text: &str) -> Vec<(String, &'static str, String)> {
        set.find(&normalize(text))
            .into_iter()
            .map(|h| {
                let shown: String = text.chars().skip(h.start).take(h.end - h.start).collect();
                (h.term, h.category, shown)
            })
            .collect()
    }

    #[test]
    fn evasions_hit_and_spans_show_the_original() {
        let s = set(
            &[
                (LexiconKind::Sensitive, "退款\trefund\t1"),
                (LexiconKind::Sensitive, "假货\tfraud\t2"),
            ],
            "",
        );
        assert_eq!(
            spans(&s, "我要退 - 款，这是假貨"),
            [
                ("退款".into(), "refund", "退 - 款".into()),
                ("假货".into(), "fraud", "假貨".into())
            ]
        );
        assert_eq!(spans(&s, "退\u{200b}款").len(), 1);
        assert_eq!(spans(&s, "退😀款"), []);
    }

    #[test]
    fn ascii_terms_match_only_whole_words() {
        let s = set(
            &[
                (LexiconKind::Sensitive, "315\tregulator\t3"),
                (LexiconKind::Sensitive, "sb\tabuse\t3"),
            ],
            "",
        );
        assert_eq!(spans(&s, "我要打315").len(), 1);
        assert_eq!(spans(&s, "打３１５投诉").len(), 1);
        assert_eq!(spans(&s, "订单2012315887"), []);
        assert_eq!(spans(&s, "usb 充电线"), []);
        assert_eq!(spans(&s, "你是SB吗").len(), 1);
    }

    #[test]
    fn a_term_that_would_split_a_word_gives_way_to_one_inside_it() {
        let s = set(
            &[
                (LexiconKind::Conduct, "加我v\toff_platform\t2"),
                (LexiconKind::Conduct, "vx\toff_platform\t2"),
            ],
            "",
        );
        assert_eq!(
            spans(&s, "有问题加我ＶＸ：abc"),
            [("vx".into(), "off_platform", "ＶＸ".into())]
        );
        assert_eq!(spans(&s, "加我v 有惊喜").len(), 1);
        assert_eq!(spans(&s, "加我vip群"), []);
    }

    #[test]
    fn innocent_words_shield_only_their_lexicon() {
        let s = set(
            &[
                (LexiconKind::Sensitive, "曝光\tmedia\t3"),
                (LexiconKind::Emotion, "曝光\tanger\t1"),
            ],
            "曝光度\tsensitive\t0\n",
        );
        let hits = s.find(&normalize("相机曝光度太高"));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].lexicon, LexiconKind::Emotion);
        assert_eq!(s.find(&normalize("我要曝光你们")).len(), 2);
    }

    #[test]
    fn longer_terms_win() {
        let s = set(
            &[
                (LexiconKind::Emotion, "满意\tsatisfaction\t2"),
                (LexiconKind::Emotion, "不满意\tdisappointment\t2"),
            ],
            "",
        );
        assert_eq!(
            spans(&s, "很不满意"),
            [("不满意".into(), "disappointment", "不满意".into())]
        );
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        let bad = [
            ("退款\trefund\n", "columns"),
            ("退款\tnope\t1\n", "unknown category"),
            ("退款\trefund\t4\n", "severity"),
            ("退款\trefund\tx\n", "severity"),
            ("\u{200b}\trefund\t1\n", "empty"),
        ];
        for (line, why) in bad {
            let source = format!("# header\n\n{line}");
            let e = parse_lexicon(LexiconKind::Sensitive, &source).expect_err(line);
            assert_eq!(e.line, 3, "{line:?}");
            assert!(e.message.contains(why), "{line:?}: {}", e.message);
        }
        let e = parse_lexicon(LexiconKind::Forbidden, "不行\trefusal\t2\t \n").expect_err("empty");
        assert!(e.message.contains("better phrasing"));
        let dup = Compiled::build(
            LexiconKind::Sensitive,
            parse_lexicon(
                LexiconKind::Sensitive,
                "退款\trefund\t1\n退 款\trefund\t1\n",
            )
            .expect("parses"),
            &[],
        );
        assert!(dup.is_err());
    }

    #[test]
    fn bundled_lexicons_load() {
        let set = LexiconSet::bundled().expect("bundled lexicons are valid");
        for kind in LexiconKind::ALL {
            assert!(!set.entries(kind).is_empty(), "{kind}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(source in "\\PC{0,200}|([a-z退款\\t123#\\n]{0,60})") {
            for kind in LexiconKind::ALL {
                let _ = parse_lexicon(kind, &source);
            }
            let _ = parse_innocent(&source);
        }

        #[test]
        fn hits_are_inside_the_original(text in "\\PC{0,60}|[退款 \\-假货貨315sb\u{200b}]{0,30}") {
            let s = set(&[(LexiconKind::Sensitive, "退款\trefund\t1"), (LexiconKind::Sensitive, "315\tregulator\t3")], "");
            let len = text.chars().count();
            for h in s.find(&normalize(&text)) {
                proptest::prop_assert!(h.start < h.end && h.end <= len);
            }
        }
    }
}
