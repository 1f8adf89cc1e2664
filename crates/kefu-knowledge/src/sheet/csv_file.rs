//! CSV in UTF-8, as Excel's "CSV UTF-8（逗号分隔）" saves it (a BOM, CRLF line ends); a
//! tab-separated file is recognised by its header line.
//!
//! Cells that Excel would run as a formula (`=…`, `+…`, `-…`, `@…`) are written with a `'`
//! before them, and read back without it, so an exported file opened in Excel runs nothing.

use super::value::{self, Value, Ymd};
use super::{Field, RowError, SheetEntry, SheetError, codes, read_table};

const BOM: &[u8] = b"\xEF\xBB\xBF";

const NOT_UTF8: &str = "CSV 文件必须是 UTF-8 编码。在 Excel 中「另存为」时选择「CSV UTF-8（逗号分隔）(*.csv)」即可；WPS 中选择「CSV（逗号分隔）」并把编码设为 UTF-8";

pub(super) fn read(bytes: &[u8]) -> Result<Vec<SheetEntry>, Vec<RowError>> {
    let unreadable = |message: String| vec![RowError::file(codes::UNREADABLE, message)];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(unreadable(
            "这是 Excel 文件，不是 CSV：请按 Excel 格式导入".into(),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(unreadable(format!(
            "这个文件是 UTF-16 编码（Excel 的「Unicode 文本」）。{NOT_UTF8}"
        )));
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let line = 1 + bytes[..error.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(unreadable(format!(
                "第 {line} 行有不是 UTF-8 的字符（多半是 GBK 编码）。{NOT_UTF8}"
            )));
        }
    };
    if text.contains('\0') {
        return Err(unreadable(format!("这不是文本文件。{NOT_UTF8}")));
    }

    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());

    // The row Excel shows: line breaks before the record, less those inside earlier quoted
    // cells. (The csv crate's own line numbers skip blank lines, which Excel counts as rows; a
    // record's byte offset is where the blank lines before it begin.)
    let mut scanned = 0;
    let mut breaks = 0;
    let mut inner_breaks = 0;
    let mut failure = None;
    let rows = reader
        .records()
        .map_while(|record| match record {
            Ok(record) => Some(record),
            Err(error) => {
                failure = Some(error);
                None
            }
        })
        .filter_map(|record| {
            let gap_from = record
                .position()
                .map_or(scanned, |p| usize::try_from(p.byte()).unwrap_or(scanned))
                .clamp(scanned, text.len());
            let start = gap_from
                + text[gap_from..]
                    .bytes()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
            breaks += count_breaks(&text[scanned..start]);
            scanned = start;
            let row = breaks - inner_breaks + 1;
            inner_breaks += record.iter().map(count_breaks).sum::<usize>();
            let values: Vec<Value> = record
                .iter()
                .map(|cell| {
                    if cell.is_empty() {
                        Value::Empty
                    } else {
                        Value::Text(unescape_formula(cell).to_string())
                    }
                })
                .collect();
            (!values.iter().all(Value::is_blank)).then_some((row, values))
        });
    let result = read_table(rows);
    match failure {
        // Not reached for UTF-8 text read from memory; kept so no error passes silently.
        Some(error) => Err(unreadable(format!("无法解析 CSV：{error}"))),
        None => result,
    }
}

pub(super) fn write(entries: &[SheetEntry]) -> Result<Vec<u8>, SheetError> {
    let failed = |error: csv::Error| SheetError::Write(Box::new(error));
    let mut out = BOM.to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer
            .write_record(Field::ALL.map(Field::chinese))
            .map_err(failed)?;
        for entry in entries {
            let date = |day: &Option<String>| match day {
                Some(day) => Ymd::parse(day).map_or_else(|| day.clone(), |d| d.to_string()),
                None => String::new(),
            };
            let status = entry
                .status
                .as_deref()
                .map(|s| value::status_label(s).unwrap_or(s))
                .unwrap_or_default();
            let record = [
                entry.key.clone().unwrap_or_default(),
                entry.question.clone(),
                entry.similar.join("\n"),
                entry.answer.clone(),
                entry.tags.join("，"),
                entry.products.join("，"),
                date(&entry.valid_from),
                date(&entry.valid_to),
                status.to_string(),
            ];
            writer
                .write_record(record.iter().map(|cell| escape_formula(cell)))
                .map_err(failed)?;
        }
        writer
            .flush()
            .map_err(|error| SheetError::Write(Box::new(error)))?;
    }
    Ok(out)
}

/// Line breaks as Excel counts them: `\r\n`, `\n` or a lone `\r`.
fn count_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

fn starts_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@'])
}

/// `=SUM(A1)` → `'=SUM(A1)`; a cell that already starts with `'` and a formula sign (or a
/// second `'`) gets one more, so [`unescape_formula`] undoes exactly what was done.
fn escape_formula(cell: &str) -> String {
    let quoted = cell
        .strip_prefix('\'')
        .is_some_and(|rest| starts_formula(rest) || rest.starts_with('\''));
    if starts_formula(cell) || quoted {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_count_crlf_once() {
        assert_eq!(count_breaks("a\r\nb\nc\rd"), 3);
        assert_eq!(count_breaks("\r\n\r\n"), 2);
        assert_eq!(count_breaks(""), 0);
    }

    fn rows(text: &str) -> Vec<usize> {
        match read(text.as_bytes()) {
            Ok(_) => vec![],
            Err(errors) => errors.iter().map(|e| e.row).collect(),
        }
    }

    #[test]
    fn rows_are_excel_rows_whatever_the_line_ends() {
        // Every data row lacks its answer, so each is reported with its row.
        assert_eq!(rows("问题,答案\n\n\na,\n\"b\nb\",\nc,\n"), [4, 5, 6]);
        assert_eq!(
            rows("问题,答案\r\n\r\na,\r\n\"b\r\nb\",\r\n\r\nc,"),
            [3, 4, 6]
        );
        assert_eq!(rows("\u{feff}\n问题,答案\r\na,\r\n"), [3]);
    }

    #[test]
    fn formula_escaping_round_trips() {
        for cell in [
            "=1+1", "+86", "-", "@x", "'", "''", "'=", "''=", "'a", "a'", "普通", "",
        ] {
            assert_eq!(unescape_formula(&escape_formula(cell)), cell, "{cell:?}");
        }
        assert_eq!(escape_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(escape_formula("退款"), "退款");
    }
}
