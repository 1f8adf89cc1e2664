//! One message as the lint reads it: the normalised text, its "skeleton", which characters
//! are quoted, and the clauses.

use kefu_text::Normalized;

/// A message prepared for the rules.
pub(crate) struct View {
    /// The message normalised by kefu-text (half-width, Simplified, lower case, separators
    /// between Han dropped); `origin` points into the original.
    pub norm: Normalized,
    /// The normalised text with everything but Han characters, ASCII letters and digits,
    /// bopomofo, `%` and `.` dropped: emoji and symbols put between characters to dodge a
    /// keyword (`没❗办❗法`, `v❤信`, `wei xin`) vanish here.
    pub skeleton: Normalized,
    /// Per original char: inside quotation marks (the agent quoting the shopper or a label).
    pub quoted: Vec<bool>,
    /// Clauses of the skeleton, split where the original has clause punctuation.
    pub clauses: Vec<Clause>,
    original: Vec<char>,
}

/// A clause: its skeleton text and, per char, the original char it came from.
pub(crate) struct Clause {
    pub text: String,
    pub origin: Vec<usize>,
}

impl Clause {
    /// The original char span of the clause chars `[start, end)` (char indices).
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        let from = self.origin.get(start).copied().unwrap_or(0);
        let to = self
            .origin
            .get(end.saturating_sub(1))
            .map_or(from + 1, |&o| o + 1);
        (from, to.max(from + 1))
    }

    /// The char index of a byte offset into `text`.
    pub fn char_at(&self, byte: usize) -> usize {
        self.text[..byte.min(self.text.len())].chars().count()
    }

    /// Whether the clause's chars `[start, end)` are all quoted in the original.
    pub fn quoted(&self, view: &View, start: usize, end: usize) -> bool {
        let (from, to) = self.span(start, end);
        view.is_quoted(from, to)
    }
}

impl View {
    pub fn new(text: &str) -> View {
        let norm = kefu_text::normalize(text);
        let skeleton = skeleton(&norm);
        let original: Vec<char> = text.chars().collect();
        let quoted = quoted(&original);
        let clauses = clauses(&original, &skeleton);
        View {
            norm,
            skeleton,
            quoted,
            clauses,
            original,
        }
    }

    /// Whether the original chars `[start, end)` run across a clause break: normalisation joins
    /// Han characters across punctuation, and `薄荷绿，泡泡纱` is not 绿泡泡.
    pub fn crosses_clauses(&self, start: usize, end: usize) -> bool {
        self.original[start.min(self.original.len())..end.min(self.original.len())]
            .iter()
            .any(|&c| is_clause_break(c))
    }

    /// Whether every original char in `[start, end)` is quoted.
    pub fn is_quoted(&self, start: usize, end: usize) -> bool {
        end > start && (start..end).all(|i| self.quoted.get(i).copied().unwrap_or(false))
    }
}

fn keeps(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '%' | '.')
        || kefu_text::is_han(c)
        || ('\u{3105}'..='\u{312F}').contains(&c)
}

fn skeleton(norm: &Normalized) -> Normalized {
    let mut text = String::with_capacity(norm.text.len());
    let mut origin = Vec::with_capacity(norm.origin.len());
    for (c, &at) in norm.text.chars().zip(&norm.origin) {
        if keeps(c) {
            text.push(c);
            origin.push(at);
        }
    }
    Normalized { text, origin }
}

/// Quotation marks toggle or bracket a quoted stretch; the marks themselves count as quoted.
fn quoted(original: &[char]) -> Vec<bool> {
    let mut out = vec![false; original.len()];
    let mut depth = 0usize;
    let mut straight = false;
    for (i, &c) in original.iter().enumerate() {
        match c {
            '“' | '「' | '『' | '‘' | '《' => {
                depth += 1;
                out[i] = true;
            }
            '”' | '」' | '』' | '’' | '》' => {
                out[i] = true;
                depth = depth.saturating_sub(1);
            }
            '"' | '＂' => {
                straight = !straight;
                out[i] = true;
            }
            _ => out[i] = depth > 0 || straight,
        }
    }
    // An unclosed quote quotes nothing: it was a stray mark.
    if straight || depth > 0 {
        let last_open = original
            .iter()
            .rposition(|c| matches!(c, '"' | '＂' | '“' | '「' | '『' | '‘' | '《'));
        if let Some(open) = last_open {
            for q in out.iter_mut().skip(open) {
                *q = false;
            }
        }
    }
    out
}

/// Punctuation that ends a clause. Not `、`, which agents also put between the characters of
/// a word to dodge a keyword (`不、清、楚`).
pub(crate) fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '！' | '!' | '？' | '?' | '；' | ';' | '\n' | '～' | '~' | '：' | ':'
    )
}

fn clauses(original: &[char], skeleton: &Normalized) -> Vec<Clause> {
    // Clause number of each original char.
    let mut number = Vec::with_capacity(original.len());
    let mut n = 0usize;
    for &c in original {
        if is_clause_break(c) {
            n += 1;
        }
        number.push(n);
    }
    let mut out: Vec<Clause> = Vec::new();
    let mut current: Option<usize> = None;
    for (c, &at) in skeleton.text.chars().zip(&skeleton.origin) {
        let k = number.get(at).copied().unwrap_or(n);
        if current != Some(k) {
            out.push(Clause {
                text: String::new(),
                origin: Vec::new(),
            });
            current = Some(k);
        }
        if let Some(last) = out.last_mut() {
            last.text.push(c);
            last.origin.push(at);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skeleton_drops_what_is_put_between_characters() {
        assert_eq!(View::new("没❗办❗法").skeleton.text, "没办法");
        assert_eq!(View::new("加我 V❤ 有惊喜").skeleton.text, "加我v有惊喜");
        assert_eq!(View::new("wei xin 搜").skeleton.text, "weixin搜");
        assert_eq!(View::new("ㄅㄨˋ知道").skeleton.text, "ㄅㄨ知道");
    }

    #[test]
    fn clauses_split_where_the_original_has_punctuation() {
        let v = View::new("今天付款，今天发");
        let texts: Vec<&str> = v.clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["今天付款", "今天发"]);
        assert_eq!(v.clauses[1].span(0, 3), (5, 8));
    }

    #[test]
    fn quotes_cover_what_they_enclose_and_a_stray_mark_covers_nothing() {
        let v = View::new("您说的\"保证明天到\"我们没法承诺");
        assert!(v.is_quoted(4, 9));
        assert!(!v.is_quoted(10, 12));
        let stray = View::new("点\"价格保护");
        assert!(!stray.is_quoted(2, 4));
    }
}
