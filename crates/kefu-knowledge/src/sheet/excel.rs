//! Excel: read `.xlsx` with calamine, write it with rust_xlsxwriter.
//!
//! The file comes from outside, so reading keeps its own bounds rather than trusting the
//! workbook: the zip's declared size is capped before anything is inflated, as is the shared
//! string count that calamine reserves memory for on opening; cells are streamed
//! (calamine's `worksheet_range` would allocate every cell of the used rectangle, and one stray
//! cell at `XFD1048576` makes that rectangle billions of cells), only the first
//! [`MAX_COLUMNS`] columns and a few more than [`MAX_ROWS`] rows are kept, and a panic inside
//! calamine on a malformed file is reported as an unreadable file.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Workbook, XlsxError,
};

use super::value::{self, Value, Ymd};
use super::{Field, HEADER_SEARCH, MAX_ROWS, RowError, SheetEntry, SheetError, codes, read_table};

/// The sheet written, and preferred when reading a workbook of several.
const SHEET_NAMES: [&str; 2] = ["知识库", "百问百答"];

/// Columns read; cells to the right of these are ignored.
const MAX_COLUMNS: u32 = 256;

/// Most bytes the workbook's parts may inflate to. A full 5,000-row sheet of long answers is
/// well under this.
const MAX_INFLATED_BYTES: u128 = 256 << 20;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

const DAMAGED: &str =
    "无法读取这个 Excel 文件：文件可能已损坏，请在 Excel 中重新保存为 .xlsx 后再导入";

fn unreadable(message: &str) -> Vec<RowError> {
    vec![RowError::file(codes::UNREADABLE, message)]
}

pub(super) fn read(bytes: &[u8]) -> Result<Vec<SheetEntry>, Vec<RowError>> {
    if bytes.starts_with(CFB_MAGIC) {
        return Err(unreadable(
            "这是旧版 .xls 文件（或设置了密码的 Excel 文件）：请去掉密码，在 Excel 或 WPS 中另存为「Excel 工作簿 (*.xlsx)」后再导入",
        ));
    }
    if !bytes.starts_with(ZIP_MAGIC) {
        return Err(unreadable(not_excel_hint(bytes)));
    }
    check_parts(bytes)?;
    // calamine parses untrusted XML; should it panic (a malformed cell reference overflows in a
    // debug build), the caller gets an error for this file, not a crashed request.
    let rows =
        std::panic::catch_unwind(|| read_cells(bytes)).map_err(|_| unreadable(DAMAGED))??;
    read_table(rows.into_iter())
}

/// Checks what calamine would otherwise trust: the parts' total size, and the string count a
/// shared-strings part declares, which calamine reserves room for before reading a string
/// (`uniqueCount="4294967296"` in a 10 KB file is a 100 GB allocation, and an allocation failure
/// aborts the process).
fn check_parts(bytes: &[u8]) -> Result<(), Vec<RowError>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable(DAMAGED))?;
    let mut total: u128 = 0;
    let mut shared_strings = Vec::new();
    for i in 0..archive.len() {
        // The central directory's sizes: zip inflates no entry past its declared size.
        let entry = archive.by_index_raw(i).map_err(|_| unreadable(DAMAGED))?;
        total += u128::from(entry.size());
        if entry
            .name_raw()
            .to_ascii_lowercase()
            .ends_with(b"sharedstrings.xml")
        {
            shared_strings.push((i, entry.size()));
        }
    }
    if total > MAX_INFLATED_BYTES {
        return Err(unreadable(
            "这个 Excel 文件解压后太大（超过 256 MB），不像是知识库表格：请只保留知识库工作表后再导入",
        ));
    }
    for (i, size) in shared_strings {
        let mut head = Vec::new();
        let read = archive
            .by_index(i)
            .map_err(|_| unreadable(DAMAGED))
            .and_then(|entry| {
                entry
                    .take(SHARED_STRINGS_HEAD)
                    .read_to_end(&mut head)
                    .map_err(|_| unreadable(DAMAGED))
            });
        read?;
        match declared_unique_count(&head) {
            // Each string is at least `<si/>`.
            Some(count) if count <= u128::from(size) / 5 => {}
            _ => return Err(unreadable(DAMAGED)),
        }
    }
    Ok(())
}

/// How much of a shared-strings part is read to find its root element.
const SHARED_STRINGS_HEAD: u64 = 64 << 10;

/// The largest `uniqueCount` in the shared-strings root element's start tag (0 when there is
/// none); `None` when that tag does not end within `head`.
fn declared_unique_count(head: &[u8]) -> Option<u128> {
    let mut rest = head;
    let tag = loop {
        let at = rest.iter().position(|&b| b == b'<')?;
        rest = &rest[at + 1..];
        if rest.starts_with(b"!--") {
            rest = &rest[rest.windows(3).position(|w| w == b"-->")? + 3..];
        } else if rest.starts_with(b"?") || rest.starts_with(b"!") {
            rest = &rest[tag_end(rest)? + 1..];
        } else {
            break &rest[..tag_end(rest)?];
        }
    };
    const NAME: &[u8] = b"uniqueCount";
    let counts = tag
        .windows(NAME.len())
        .enumerate()
        .filter(|(_, w)| *w == NAME);
    Some(
        counts
            .map(|(at, _)| {
                tag[at + NAME.len()..]
                    .iter()
                    .skip_while(|&&b| {
                        matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'=' | b'"' | b'\'')
                    })
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0u128, |n, &b| {
                        n.saturating_mul(10).saturating_add(u128::from(b - b'0'))
                    })
            })
            .max()
            .unwrap_or(0),
    )
}

/// Where the tag that `text` is inside of ends: its first `>` outside quotes.
fn tag_end(text: &[u8]) -> Option<usize> {
    let mut quote = None;
    text.iter().position(|&b| match quote {
        Some(q) => {
            if b == q {
                quote = None;
            }
            false
        }
        None if b == b'"' || b == b'\'' => {
            quote = Some(b);
            false
        }
        None => b == b'>',
    })
}

/// The chosen sheet's non-blank rows, in order, as `(Excel row, cells)`.
fn read_cells(bytes: &[u8]) -> Result<Vec<(usize, Vec<Value>)>, Vec<RowError>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| {
        unreadable("无法打开：这不是 Excel 工作簿（.xlsx）。WPS 或 LibreOffice 的表格请另存为「Excel 工作簿 (*.xlsx)」后再导入")
    })?;
    let sheets = book.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let chosen = worksheets()
        .find(|s| SHEET_NAMES.contains(&s.name.trim()))
        .or_else(|| worksheets().find(|s| s.visible == SheetVisible::Visible))
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone());
    let Some(name) = chosen else {
        return Err(unreadable("这个 Excel 文件里没有工作表"));
    };
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|_| unreadable(DAMAGED))?;
    // Enough rows for the header search and one past the limit, so the limit is reported.
    let keep_rows = MAX_ROWS + HEADER_SEARCH + 1;
    let mut rows: BTreeMap<u32, Vec<(u32, Value)>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(|_| unreadable(DAMAGED))? {
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            continue;
        }
        let value = cell_value(cell.get_value());
        if value.is_blank() {
            continue;
        }
        if rows.len() >= keep_rows && !rows.contains_key(&row) {
            break;
        }
        rows.entry(row).or_default().push((col, value));
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let width = cells
                .iter()
                .map(|&(col, _)| col as usize + 1)
                .max()
                .unwrap_or(0);
            let mut values = vec![Value::Empty; width];
            for (col, value) in cells {
                values[col as usize] = value;
            }
            (row as usize + 1, values)
        })
        .collect())
}

/// What the bytes look like instead, for the error message.
fn not_excel_hint(bytes: &[u8]) -> &'static str {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = &start[..start.len().min(64)];
    if start.is_empty() {
        "文件是空的"
    } else if start.trim_ascii_start().starts_with(b"{") {
        "这不是 Excel 文件，看起来是 JSONL：请按 JSONL 格式导入"
    } else if std::str::from_utf8(start).is_ok() {
        "这不是 Excel 文件，看起来是 CSV 或文本：请按 CSV 格式导入，或在 Excel 中另存为 .xlsx"
    } else {
        "这不是有效的 Excel 文件（.xlsx）：请在 Excel 中另存为「Excel 工作簿 (*.xlsx)」后再导入"
    }
}

fn cell_value(cell: &DataRef<'_>) -> Value {
    match cell {
        DataRef::Empty => Value::Empty,
        DataRef::SharedString(text) => Value::Text((*text).to_string()),
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            Value::Text(text.clone())
        }
        DataRef::Int(n) => Value::Number(*n as f64),
        DataRef::Float(n) => Value::Number(*n),
        DataRef::Bool(b) => Value::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        DataRef::DateTime(at) if at.is_datetime() => {
            let (year, month, day, ..) = at.to_ymd_hms_milli();
            match Ymd::new(year.into(), month.into(), day.into()) {
                Some(date) => Value::Date(date),
                None => Value::Bad(format!("单元格里的日期 {year}-{month}-{day} 不存在")),
            }
        }
        DataRef::DateTime(at) => Value::Number(at.as_f64()),
        DataRef::Error(error) => Value::Bad(format!("单元格是错误值 {error}，请改成文字")),
    }
}

pub(super) fn write(entries: &[SheetEntry]) -> Result<Vec<u8>, SheetError> {
    build_workbook(entries).map_err(|error| SheetError::Write(Box::new(error)))
}

fn width(field: Field) -> f64 {
    match field {
        Field::Key => 12.0,
        Field::Question => 30.0,
        Field::Similar => 36.0,
        Field::Answer => 60.0,
        Field::Tags | Field::Products => 18.0,
        Field::ValidFrom | Field::ValidTo => 12.0,
        Field::Status => 10.0,
    }
}

fn build_workbook(entries: &[SheetEntry]) -> Result<Vec<u8>, XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border_bottom(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let plain = Format::new().set_align(FormatAlign::Top);
    let wrap = Format::new().set_align(FormatAlign::Top).set_text_wrap();
    // The 编号 column is text, so codes a shop types later (`001`) keep their zeros.
    let text = Format::new()
        .set_align(FormatAlign::Top)
        .set_num_format("@");
    let date = Format::new()
        .set_align(FormatAlign::Top)
        .set_num_format("yyyy-mm-dd");

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET_NAMES[0])?;
    for (col, field) in (0u16..).zip(Field::ALL) {
        sheet.write_string_with_format(0, col, field.chinese(), &header)?;
        sheet.set_column_width(col, width(field))?;
        let format = match field {
            Field::Key => &text,
            Field::Similar | Field::Answer => &wrap,
            Field::ValidFrom | Field::ValidTo => &date,
            _ => &plain,
        };
        sheet.set_column_format(col, format)?;
    }
    sheet.set_freeze_panes(1, 0)?;

    let mut last_row = 0;
    for (row, entry) in (1u32..).zip(entries) {
        last_row = row;
        let mut cells: Vec<(Field, String, &Format)> = vec![
            (Field::Key, entry.key.clone().unwrap_or_default(), &text),
            (Field::Question, entry.question.clone(), &plain),
            (Field::Similar, entry.similar.join("\n"), &wrap),
            (Field::Answer, entry.answer.clone(), &wrap),
            (Field::Tags, entry.tags.join("，"), &plain),
            (Field::Products, entry.products.join("，"), &plain),
        ];
        for (field, day) in [
            (Field::ValidFrom, &entry.valid_from),
            (Field::ValidTo, &entry.valid_to),
        ] {
            let Some(day) = day else { continue };
            match Ymd::parse(day) {
                Some(ymd) => {
                    let at = ExcelDateTime::from_ymd(ymd.year, ymd.month, ymd.day)?;
                    sheet.write_date_with_format(row, column(field), &at, &date)?;
                }
                None => cells.push((field, day.clone(), &plain)),
            }
        }
        if let Some(status) = &entry.status {
            let label = value::status_label(status).unwrap_or(status);
            cells.push((Field::Status, label.to_string(), &plain));
        }
        for (field, value, format) in cells {
            if !value.is_empty() {
                sheet.write_string_with_format(row, column(field), value, format)?;
            }
        }
    }

    let last_col = column(Field::Status);
    sheet.autofilter(0, 0, last_row.max(1), last_col)?;
    let statuses = ["draft", "in_review", "published", "retired"]
        .map(|code| value::status_label(code).unwrap_or(code));
    let choices = DataValidation::new()
        .allow_list_strings(&statuses)?
        .set_error_style(DataValidationErrorStyle::Warning);
    let validated_to = last_row.max(u32::try_from(MAX_ROWS).unwrap_or(u32::MAX));
    sheet.add_data_validation(1, last_col, validated_to, last_col, &choices)?;

    book.save_to_buffer()
}

fn column(field: Field) -> u16 {
    // Nine fields: the index always fits.
    u16::try_from(field.index()).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_count_is_read_from_the_root_element() {
        let cases: [(&[u8], Option<u128>); 8] = [
            (
                br#"<?xml version="1.0"?><sst xmlns="x" count="3" uniqueCount="2"><si>"#,
                Some(2),
            ),
            (br#"<!-- a > b --><x:sst uniqueCount = '42'>"#, Some(42)),
            (br#"<sst count="3">"#, Some(0)),
            (
                br#"<sst uniqueCount="99999999999999999999999999999999999999999">"#,
                Some(u128::MAX),
            ),
            (br#"<?xml version="1.0"?>"#, None),
            (br#"<sst uniqueCount="#, None),
            (br#"<sst a="x>y" uniqueCount="7">"#, Some(7)),
            (br#"<sst uniqueCount="3" uniqueCount="70">"#, Some(70)),
        ];
        for (head, want) in cases {
            assert_eq!(
                declared_unique_count(head),
                want,
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
