//! Cell values and what a field makes of them: cleaned text, split lists, dates, status.

use std::fmt;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// A cell as a reader found it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) enum Value {
    #[default]
    Empty,
    Text(String),
    /// A number cell (Excel) — an entry code typed as `1`, or a date as a serial number.
    Number(f64),
    /// An Excel date cell.
    Date(Ymd),
    /// A JSON array of strings.
    List(Vec<String>),
    /// A cell that holds nothing usable, with why (an Excel `#N/A`, a JSON object).
    Bad(String),
}

impl Value {
    pub(super) fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(text) => is_blank_text(text),
            Value::List(items) => items.iter().all(|item| is_blank_text(item)),
            Value::Number(_) | Value::Date(_) | Value::Bad(_) => false,
        }
    }

    /// The text of a header cell.
    pub(super) fn header_text(&self) -> String {
        match self {
            Value::Text(text) => clean(text),
            Value::Number(n) => number_text(*n),
            _ => String::new(),
        }
    }

    /// Cleaned text; `None` when the cell is empty.
    pub(super) fn into_text(self) -> Result<Option<String>, String> {
        match self {
            Value::Empty => Ok(None),
            Value::Text(text) => Ok(Some(clean(&text))),
            Value::Number(n) => Ok(Some(number_text(n))),
            Value::Date(date) => Ok(Some(date.to_string())),
            Value::List(_) => Err("这里应是一段文字，不是列表".into()),
            Value::Bad(why) => Err(why),
        }
    }

    /// Items split on `is_separator`, cleaned, without blanks and repeats.
    pub(super) fn into_list(
        self,
        is_separator: impl Fn(char) -> bool,
    ) -> Result<Vec<String>, String> {
        let mut items: Vec<String> = Vec::new();
        let mut push = |item: String| {
            if !item.is_empty() && !items.contains(&item) {
                items.push(item);
            }
        };
        match self {
            Value::List(list) => list.iter().map(|item| clean(item)).for_each(&mut push),
            Value::Text(text) => text.split(is_separator).map(clean).for_each(&mut push),
            other => {
                if let Some(text) = other.into_text()? {
                    push(text);
                }
            }
        }
        Ok(items)
    }

    pub(super) fn into_date(self) -> Result<Option<Ymd>, String> {
        let bad = |shown: &str| {
            format!("日期「{shown}」无法识别，请写成 2026-12-01、2026/12/1 或 2026年12月1日")
        };
        match self {
            Value::Empty => Ok(None),
            Value::Date(date) => Ok(Some(date)),
            Value::Number(n) => Ymd::from_number(n)
                .map(Some)
                .ok_or_else(|| bad(&number_text(n))),
            Value::Text(text) => {
                let text = clean(&text);
                if text.is_empty() {
                    Ok(None)
                } else {
                    Ymd::parse(&text).map(Some).ok_or_else(|| bad(&text))
                }
            }
            Value::List(_) => Err("日期应是一段文字，不是列表".into()),
            Value::Bad(why) => Err(why),
        }
    }
}

/// NFC, `\n` line endings, no surrounding whitespace (nor BOM or zero-width space).
pub(super) fn clean(text: &str) -> String {
    let trimmed = text.trim_matches(is_outer_space);
    let nfc: String = match is_nfc_quick(trimmed.chars()) {
        IsNormalized::Yes => trimmed.to_string(),
        IsNormalized::No | IsNormalized::Maybe => trimmed.nfc().collect(),
    };
    if !nfc.contains('\r') {
        return nfc;
    }
    let lf = nfc.replace("\r\n", "\n").replace('\r', "\n");
    lf.trim_matches(is_outer_space).to_string()
}

/// Whether [`clean`] leaves nothing (NFC never turns a visible character into space).
fn is_blank_text(text: &str) -> bool {
    text.chars().all(is_outer_space)
}

fn is_outer_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}')
}

/// A number as a person typed it: `1` not `1.0`.
pub(super) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The status code for `draft`/`草稿`…, any case.
pub(super) fn status_code(text: &str) -> Option<&'static str> {
    let key: String = text
        .trim()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .flat_map(char::to_lowercase)
        .collect();
    STATUSES
        .iter()
        .find(|(code, names)| *code == key || names.contains(&key.as_str()))
        .map(|(code, _)| *code)
}

/// The Chinese label exported for a status code.
pub(super) fn status_label(code: &str) -> Option<&'static str> {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, names)| names[0])
}

const STATUSES: &[(&str, &[&str])] = &[
    ("draft", &["草稿"]),
    ("in_review", &["审核中", "待审核", "inreview", "review"]),
    ("published", &["已发布", "发布", "已上线", "上线"]),
    ("retired", &["已下线", "下线", "已停用", "停用"]),
];

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Ymd {
    pub(super) year: u16,
    pub(super) month: u8,
    pub(super) day: u8,
}

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Excel's serial numbers run from 1900-01-01 (1) up to 9999-12-31 (2958465).
const MAX_SERIAL: f64 = 2_958_466.0;

impl Ymd {
    /// A real date in 1900–9999.
    pub(super) fn new(year: u32, month: u32, day: u32) -> Option<Ymd> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if !(1900..=9999).contains(&year) || day == 0 || day > days {
            return None;
        }
        Some(Ymd {
            year: u16::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }

    /// `2026-12-01`, `2026/12/1`, `2026.12.1`, `2026年12月1日`, `20261201`, full-width digits
    /// too; a time after the date (`2026-12-01 00:00:00`, `…T08:00:00Z`) is ignored.
    pub(super) fn parse(text: &str) -> Option<Ymd> {
        let text: String = text
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '／' => '/',
                '－' => '-',
                '．' => '.',
                _ => c,
            })
            .collect();
        let (date, time) = match text.find([' ', 'T']) {
            Some(at) => (&text[..at], text[at..].trim_start_matches([' ', 'T'])),
            None => (text.as_str(), ""),
        };
        if !time
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | 'Z' | '+' | '-'))
        {
            return None;
        }
        if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
            let number = |range: std::ops::Range<usize>| date[range].parse::<u32>().ok();
            return Ymd::new(number(0..4)?, number(4..6)?, number(6..8)?);
        }
        let date = date.strip_suffix('日').unwrap_or(date);
        let mut parts = date.split(['-', '/', '.', '年', '月']);
        let mut number = || -> Option<u32> {
            let part = parts.next()?;
            if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month, day) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        Ymd::new(year, month, day)
    }

    /// An Excel serial date (time of day ignored), or a number typed as `20261201`.
    pub(super) fn from_number(n: f64) -> Option<Ymd> {
        if n.fract() == 0.0 && (19_000_101.0..=99_991_231.0).contains(&n) {
            return Ymd::parse(&number_text(n));
        }
        Ymd::from_serial(n, false)
    }

    /// An Excel serial date in the 1900 or 1904 date system.
    pub(super) fn from_serial(n: f64, is_1904: bool) -> Option<Ymd> {
        if !(1.0..MAX_SERIAL).contains(&n) {
            return None;
        }
        let (year, month, day, ..) =
            calamine::ExcelDateTime::new(n, calamine::ExcelDateTimeType::DateTime, is_1904)
                .to_ymd_hms_milli();
        Ymd::new(year.into(), month.into(), day.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(year: u32, month: u32, day: u32) -> Option<Ymd> {
        Ymd::new(year, month, day)
    }

    #[test]
    fn dates_in_the_forms_shops_write() {
        let cases = [
            ("2026-12-01", ymd(2026, 12, 1)),
            ("2026/12/1", ymd(2026, 12, 1)),
            ("2026.12.1", ymd(2026, 12, 1)),
            ("2026年12月1日", ymd(2026, 12, 1)),
            ("2026年12月1", ymd(2026, 12, 1)),
            ("２０２６年１２月１日", ymd(2026, 12, 1)),
            ("20261201", ymd(2026, 12, 1)),
            ("2026-12-01 00:00:00", ymd(2026, 12, 1)),
            ("2026-12-01T08:00:00Z", ymd(2026, 12, 1)),
            ("2024-02-29", ymd(2024, 2, 29)),
            ("2026-02-29", None),
            ("2026-13-01", None),
            ("2026-12-32", None),
            ("2026-12", None),
            ("2026-12-01-01", None),
            ("12/01/2026", None),
            ("明天", None),
            ("2026-12-01 上午", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(Ymd::parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn dates_from_numbers() {
        assert_eq!(Ymd::from_number(46357.0), ymd(2026, 12, 1));
        assert_eq!(Ymd::from_number(46357.75), ymd(2026, 12, 1));
        assert_eq!(Ymd::from_number(20261201.0), ymd(2026, 12, 1));
        assert_eq!(Ymd::from_number(0.0), None);
        assert_eq!(Ymd::from_number(-3.0), None);
        assert_eq!(Ymd::from_number(f64::NAN), None);
        assert_eq!(Ymd::from_number(1e12), None);
        assert_eq!(Ymd::from_serial(44895.0, true), ymd(2026, 12, 1));
    }

    #[test]
    fn statuses_in_both_languages() {
        for (text, want) in [
            ("draft", Some("draft")),
            ("Published", Some("published")),
            ("in review", Some("in_review")),
            ("in-review", Some("in_review")),
            ("审核中", Some("in_review")),
            ("已下线", Some("retired")),
            (" 草稿 ", Some("draft")),
            ("deleted", None),
        ] {
            assert_eq!(status_code(text), want, "{text}");
        }
        for (code, _) in STATUSES {
            let label = status_label(code).unwrap_or_default();
            assert_eq!(status_code(label), Some(*code));
        }
    }

    #[test]
    fn clean_trims_and_normalises_only_the_edges_and_line_ends() {
        assert_eq!(clean("\u{feff}  退款 \t"), "退款");
        assert_eq!(clean("\u{3000}在吗\u{3000}"), "在吗");
        assert_eq!(clean("第一行\r\n第二行\r第三行"), "第一行\n第二行\n第三行");
        assert_eq!(clean("a  b"), "a  b");
        assert_eq!(clean("e\u{301}"), "é");
        assert_eq!(clean(" \r\n "), "");
    }

    #[test]
    fn lists_split_trim_and_drop_repeats() {
        let tags = |c: char| matches!(c, '\n' | '|' | '，' | ',');
        let list = Value::Text(" 物流 ， 发货|物流\n\n退款 ".into())
            .into_list(tags)
            .unwrap_or_default();
        assert_eq!(list, ["物流", "发货", "退款"]);
        assert_eq!(
            Value::Number(2024.0).into_list(tags).unwrap_or_default(),
            ["2024"]
        );
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(-12.0), "-12");
        assert_eq!(number_text(1.5), "1.5");
    }
}
