//! Labelled text in the corpus format: `0|1<TAB>text` per line.

/// A text and whether it is positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    pub positive: bool,
    pub text: String,
}

/// A line that is not `0|1<TAB>text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based, as an editor shows it.
    pub line: usize,
    pub kind: ParseErrorKind,
}

/// What is wrong with the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// No tab between label and text.
    MissingTab,
    /// The label is not `0` or `1`; holds the label as found (at most 20 characters).
    BadLabel(String),
    /// Nothing but whitespace after the tab.
    EmptyText,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            ParseErrorKind::MissingTab => write!(f, "expected `label<TAB>text`"),
            ParseErrorKind::BadLabel(label) => write!(f, "label {label:?} is not 0 or 1"),
            ParseErrorKind::EmptyText => write!(f, "empty text"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses `0|1<TAB>text` lines (0 = negative, 1 = positive). Blank lines are skipped, `\r\n`
/// endings accepted, and tabs after the first belong to the text. The first bad line is the
/// error, named by its number.
pub fn parse_labelled_tsv(input: &str) -> Result<Vec<LabelledText>, ParseError> {
    let mut out = Vec::new();
    for (index, raw) in input.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let error = |kind| ParseError {
            line: index + 1,
            kind,
        };
        let (label, text) = line
            .split_once('\t')
            .ok_or_else(|| error(ParseErrorKind::MissingTab))?;
        let positive = match label.trim() {
            "0" => false,
            "1" => true,
            other => {
                return Err(error(ParseErrorKind::BadLabel(
                    other.chars().take(20).collect(),
                )));
            }
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(error(ParseErrorKind::EmptyText));
        }
        out.push(LabelledText {
            positive,
            text: text.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_labels_and_texts_and_skips_blank_lines() {
        let parsed = parse_labelled_tsv("1\t很好\n\n0\t太差了\t真的\r\n   \n").expect("valid");
        assert_eq!(
            parsed,
            vec![
                LabelledText {
                    positive: true,
                    text: "很好".into()
                },
                LabelledText {
                    positive: false,
                    text: "太差了\t真的".into()
                },
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("1\tok\n\n很好", 3, ParseErrorKind::MissingTab),
            ("1\tok\n2\t很好", 2, ParseErrorKind::BadLabel("2".into())),
            ("1\t  ", 1, ParseErrorKind::EmptyText),
        ];
        for (input, line, kind) in cases {
            let error = parse_labelled_tsv(input).expect_err(input);
            assert_eq!(error, ParseError { line, kind }, "{input:?}");
            assert!(error.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_errors_point_at_a_real_line(input in "\\PC{0,200}|[01\t\n\r 好x]{0,60}") {
            match parse_labelled_tsv(&input) {
                Ok(parsed) => {
                    let lines = input.split('\n').filter(|l| !l.trim().is_empty()).count();
                    prop_assert_eq!(parsed.len(), lines);
                }
                Err(error) => {
                    prop_assert!(error.line >= 1 && error.line <= input.split('\n').count());
                }
            }
        }

        #[test]
        fn written_examples_read_back(examples in prop::collection::vec((any::<bool>(), "[^\t\r\n]*[好差a-z][^\t\r\n]*"), 0..20)) {
            let text: String = examples
                .iter()
                .map(|(p, t)| format!("{}\t{}\n", u8::from(*p), t))
                .collect();
            let parsed = parse_labelled_tsv(&text).expect("well-formed");
            let expected: Vec<LabelledText> = examples
                .into_iter()
                .map(|(positive, text)| LabelledText { positive, text: text.trim().to_owned() })
                .collect();
            prop_assert_eq!(parsed, expected);
        }
    }
}
