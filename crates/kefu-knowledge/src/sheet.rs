//! Knowledge-base entries as shops keep them in a spreadsheet (百问百答.xlsx), a CSV file or
//! JSON lines — read for import, written for export. Pure: bytes in, bytes out.
//!
//! Reading is all-or-nothing: a file with any bad row yields every [`RowError`] (row numbers as
//! the user sees them in Excel, codes from [`codes`]) and no entries, so a shop fixes its sheet
//! and imports again rather than ending up with half a knowledge base.
//!
//! What a reader accepts:
//! - Columns by Chinese or English name, in any order, case and surrounding spaces ignored, a
//!   `*` required-marker or a `（说明）` hint after the name ignored too; unknown columns are
//!   skipped. See [`Field::aliases`]. `标准问题` and `答案` are required.
//! - The header row is the first row (of the first ten) naming at least two known columns, so a
//!   title row above it (`XX旗舰店百问百答`) does no harm.
//! - Lists (相似问题, 标签, 适用商品) one per line in the cell or split on `|`, `｜`, `；`, `;`
//!   (and `，`, `,` for tags and products); blank and repeated items are dropped, as is a similar
//!   question equal to the standard one.
//! - Dates as `2026-12-01`, `2026/12/1`, `2026.12.1`, `2026年12月1日`, `20261201`, or Excel date
//!   cells and serial numbers; normalised to `YYYY-MM-DD`.
//! - Status as `draft`/`in_review`/`published`/`retired` or `草稿`/`审核中`/`已发布`/`已下线`,
//!   normalised to the English code.
//! - Text is NFC-normalised, line endings become `\n`, and surrounding whitespace is trimmed;
//!   inner text is kept as it is.
//!
//! Writers produce what the readers read back to the same entries (for entries a reader could
//! have produced): Excel and CSV with Chinese headers, a similar question per line in its cell,
//! tags and products joined by `，`, status as its Chinese label and dates as real Excel dates;
//! JSON lines with the English field names, which is also what `kefu eval faq --kb` reads.
//! `write(format, &[])` is the empty template a shop fills in.
//!
//! Size: a reader keeps at most [`MAX_ROWS`] rows and (Excel) 256 columns, and refuses a
//! workbook that inflates past 256 MB; the caller still caps the upload's byte size.

mod csv_file;
mod excel;
mod jsonl;
mod value;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use value::{Value, Ymd};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 5000;
/// Longest standard (and similar) question, in characters.
pub const MAX_QUESTION_CHARS: usize = 200;
/// Longest answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 2000;
/// Most similar questions per entry.
pub const MAX_SIMILAR: usize = 50;
/// Longest entry code (编号), in characters.
pub const MAX_KEY_CHARS: usize = 64;

/// The stable codes of [`RowError::code`] and [`SheetError::code`], for the UI to translate.
pub mod codes {
    /// The bytes are not a file of the stated format (row 0).
    pub const UNREADABLE: &str = "unreadable";
    /// A required column (标准问题, 答案) is missing from the header row.
    pub const MISSING_COLUMN: &str = "missing_column";
    /// Two columns of the header row mean the same field.
    pub const DUPLICATE_COLUMN: &str = "duplicate_column";
    /// More than [`super::MAX_ROWS`] data rows.
    pub const TOO_MANY_ROWS: &str = "too_many_rows";
    /// A JSON line that is not a JSON object.
    pub const BAD_JSON: &str = "bad_json";
    /// A cell of the wrong kind: an Excel error value (`#N/A`), a JSON number where a list goes.
    pub const BAD_VALUE: &str = "bad_value";
    pub const QUESTION_REQUIRED: &str = "question_required";
    pub const ANSWER_REQUIRED: &str = "answer_required";
    /// Question, similar question, answer or entry code over its limit in characters.
    pub const TOO_LONG: &str = "too_long";
    pub const TOO_MANY_SIMILAR: &str = "too_many_similar";
    pub const BAD_STATUS: &str = "bad_status";
    pub const BAD_DATE: &str = "bad_date";
    /// 失效日期 before 生效日期.
    pub const BAD_DATE_RANGE: &str = "bad_date_range";
    /// The same entry code or the same standard question on an earlier row.
    pub const DUPLICATE: &str = "duplicate";
    /// (Writing) a list item holding a separator, which a cell cannot keep apart.
    pub const UNREPRESENTABLE: &str = "unrepresentable";
    /// (Writing) the spreadsheet or CSV library refused.
    pub const WRITE_FAILED: &str = "write_failed";

    /// Every code, for a translation table to be checked against.
    pub const ALL: &[&str] = &[
        UNREADABLE,
        MISSING_COLUMN,
        DUPLICATE_COLUMN,
        TOO_MANY_ROWS,
        BAD_JSON,
        BAD_VALUE,
        QUESTION_REQUIRED,
        ANSWER_REQUIRED,
        TOO_LONG,
        TOO_MANY_SIMILAR,
        BAD_STATUS,
        BAD_DATE,
        BAD_DATE_RANGE,
        DUPLICATE,
        UNREPRESENTABLE,
        WRITE_FAILED,
    ];
}

/// A file format for knowledge-base entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An Excel workbook, `.xlsx`. (An old `.xls` is refused with how to re-save it.)
    Xlsx,
    /// Comma-separated values in UTF-8 (Excel's "CSV UTF-8"); tab-separated is recognised too.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// `"xlsx"`, `".CSV"`, `"jsonl"`…; also `xlsm` as [`Format::Xlsx`], `tsv`/`txt` as
    /// [`Format::Csv`], `ndjson`/`json` as [`Format::Jsonl`].
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.trim().trim_start_matches('.').to_ascii_lowercase();
        match name.as_str() {
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The format a file name's extension says: `百问百答.xlsx` → [`Format::Xlsx`].
    pub fn from_file_name(file_name: &str) -> Option<Format> {
        let (_, extension) = file_name.trim().rsplit_once('.')?;
        Format::from_name(extension)
    }

    /// The extension [`write()`] output should be saved with, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }

    /// The media type of [`write()`] output, for a download response.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
        }
    }
}

/// One knowledge-base entry as a sheet row holds it: plain data, checked by [`read()`].
///
/// Serialised with the JSONL field names (`id` for the key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetEntry {
    /// The shop's own entry code (编号), e.g. `kb-001`; matches rows on re-import.
    #[serde(rename = "id", alias = "key", default)]
    pub key: Option<String>,
    /// 标准问题.
    pub question: String,
    /// 相似问题.
    #[serde(default)]
    pub similar: Vec<String>,
    /// 答案.
    pub answer: String,
    /// 标签.
    #[serde(default)]
    pub tags: Vec<String>,
    /// 适用商品.
    #[serde(default)]
    pub products: Vec<String>,
    /// 生效日期, `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// 失效日期, `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_to: Option<String>,
    /// 状态: `draft`, `in_review`, `published` or `retired`.
    #[serde(default)]
    pub status: Option<String>,
}

/// What is wrong with one row of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based row as Excel shows it (the header is row 1) or line of a JSONL file; 0 for the
    /// file as a whole.
    pub row: usize,
    /// The column's header as the file writes it (JSONL: the field name), if one column is at
    /// fault.
    pub column: Option<String>,
    /// Stable snake_case code, one of [`codes`].
    pub code: &'static str,
    /// What to fix, in Chinese.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row > 0 {
            write!(f, "第 {} 行", self.row)?;
        }
        if let Some(column) = &self.column {
            write!(f, "「{column}」")?;
        }
        if self.row > 0 || self.column.is_some() {
            f.write_str("：")?;
        }
        f.write_str(&self.message)
    }
}

impl RowError {
    fn file(code: &'static str, message: impl Into<String>) -> RowError {
        RowError {
            row: 0,
            column: None,
            code,
            message: message.into(),
        }
    }
}

/// Why [`write()`] could not produce a file.
#[derive(Debug)]
pub enum SheetError {
    /// An item of a list field holds a separator, so the cell would read back as several items
    /// (JSONL has no such limit).
    Unrepresentable {
        /// 0-based index into the entries given to [`write()`].
        entry: usize,
        /// The field, by its Chinese column name.
        field: &'static str,
        value: String,
    },
    /// The spreadsheet or CSV writer failed (a cell over Excel's 32,767 characters, say).
    Write(Box<dyn std::error::Error + Send + Sync>),
}

impl SheetError {
    /// One of [`codes`].
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Unrepresentable { .. } => codes::UNREPRESENTABLE,
            SheetError::Write(_) => codes::WRITE_FAILED,
        }
    }
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetError::Unrepresentable {
                entry,
                field,
                value,
            } => write!(
                f,
                "第 {} 条的{field}「{value}」含有分隔符（换行、|、;、逗号），表格中无法作为一项保存；请导出为 JSONL 或修改该项",
                entry + 1
            ),
            SheetError::Write(source) => write!(f, "生成文件失败：{source}"),
        }
    }
}

impl std::error::Error for SheetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SheetError::Write(source) => Some(source.as_ref()),
            SheetError::Unrepresentable { .. } => None,
        }
    }
}

/// Reads every entry of a file, or every problem with it.
pub fn read(format: Format, bytes: &[u8]) -> Result<Vec<SheetEntry>, Vec<RowError>> {
    match format {
        Format::Xlsx => excel::read(bytes),
        Format::Csv => csv_file::read(bytes),
        Format::Jsonl => jsonl::read(bytes),
    }
}

/// Writes entries as a file [`read()`] takes back.
///
/// Excel and CSV refuse a similar question, tag or product holding its cell's separator
/// ([`SheetError::Unrepresentable`]); JSONL keeps it.
pub fn write(format: Format, entries: &[SheetEntry]) -> Result<Vec<u8>, SheetError> {
    match format {
        Format::Xlsx => {
            check_representable(entries)?;
            excel::write(entries)
        }
        Format::Csv => {
            check_representable(entries)?;
            csv_file::write(entries)
        }
        Format::Jsonl => jsonl::write(entries),
    }
}

fn check_representable(entries: &[SheetEntry]) -> Result<(), SheetError> {
    for (index, entry) in entries.iter().enumerate() {
        for field in [Field::Similar, Field::Tags, Field::Products] {
            let items = match field {
                Field::Similar => &entry.similar,
                Field::Tags => &entry.tags,
                _ => &entry.products,
            };
            if let Some(item) = items
                .iter()
                .find(|item| item.contains(|c| field.is_separator(c)))
            {
                return Err(SheetError::Unrepresentable {
                    entry: index,
                    field: field.chinese(),
                    value: item.clone(),
                });
            }
        }
    }
    Ok(())
}

/// A column of the sheet, i.e. a field of [`SheetEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Key,
    Question,
    Similar,
    Answer,
    Tags,
    Products,
    ValidFrom,
    ValidTo,
    Status,
}

const FIELD_COUNT: usize = 9;

impl Field {
    /// In the order of exported columns.
    pub const ALL: [Field; FIELD_COUNT] = [
        Field::Key,
        Field::Question,
        Field::Similar,
        Field::Answer,
        Field::Tags,
        Field::Products,
        Field::ValidFrom,
        Field::ValidTo,
        Field::Status,
    ];

    /// The exported Excel/CSV header.
    pub fn chinese(self) -> &'static str {
        self.aliases()[0]
    }

    /// The JSONL field name.
    pub fn english(self) -> &'static str {
        match self {
            Field::Key => "id",
            Field::Question => "question",
            Field::Similar => "similar",
            Field::Answer => "answer",
            Field::Tags => "tags",
            Field::Products => "products",
            Field::ValidFrom => "valid_from",
            Field::ValidTo => "valid_to",
            Field::Status => "status",
        }
    }

    /// Header names that mean this column, the exported one first.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Key => &["编号", "id", "key", "问题编号", "条目编号"],
            Field::Question => &["标准问题", "问题", "question", "标准问法"],
            Field::Similar => &[
                "相似问题",
                "相似问法",
                "similar",
                "相似问",
                "similar_questions",
            ],
            Field::Answer => &["答案", "回复", "answer", "回答", "标准答案"],
            Field::Tags => &["标签", "分类", "tags", "tag"],
            Field::Products => &["适用商品", "商品", "products", "product"],
            Field::ValidFrom => &["生效日期", "开始日期", "valid_from", "生效时间", "开始时间"],
            Field::ValidTo => &["失效日期", "结束日期", "valid_to", "失效时间", "结束时间"],
            Field::Status => &["状态", "status"],
        }
    }

    /// The column a header names: `" 标准问题* "`, `"Question"`, `"生效日期（YYYY-MM-DD）"`.
    pub fn from_header(header: &str) -> Option<Field> {
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        Field::ALL
            .into_iter()
            .find(|field| field.aliases().iter().any(|alias| header_key(alias) == key))
    }

    fn index(self) -> usize {
        self as usize
    }

    fn is_list(self) -> bool {
        matches!(self, Field::Similar | Field::Tags | Field::Products)
    }

    /// Whether `c` separates items of this (list) field in a cell.
    fn is_separator(self, c: char) -> bool {
        matches!(c, '\n' | '\r' | '|' | '｜' | '；' | ';')
            || (matches!(self, Field::Tags | Field::Products) && matches!(c, '，' | ','))
    }
}

/// A header reduced to what names it: no `*` marker, no `(hint)`, no case, spaces, `_` or `-`.
fn header_key(header: &str) -> String {
    let header = value::clean(header);
    let header = header.trim_matches(|c: char| c == '*' || c == '＊' || c.is_whitespace());
    let header = match header.find(['(', '（', '[', '【']) {
        Some(at) if at > 0 => &header[..at],
        _ => header,
    };
    header
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '*' | '＊')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// One data row before checking: a value per field and where it came from.
struct RawRow {
    row: usize,
    values: [Value; FIELD_COUNT],
}

impl RawRow {
    fn new(row: usize) -> RawRow {
        RawRow {
            row,
            values: Default::default(),
        }
    }

    fn is_blank(&self) -> bool {
        self.values.iter().all(Value::is_blank)
    }

    fn take(&mut self, field: Field) -> Value {
        std::mem::take(&mut self.values[field.index()])
    }
}

/// The column names errors are reported under: as the file writes them.
struct Labels([String; FIELD_COUNT]);

impl Labels {
    fn get(&self, field: Field) -> Option<String> {
        Some(self.0[field.index()].clone())
    }
}

/// Checks rows into entries; `rows` are the non-blank data rows, at most [`MAX_ROWS`].
fn build(rows: Vec<RawRow>, labels: &Labels) -> Result<Vec<SheetEntry>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut entries = Vec::with_capacity(rows.len());
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut questions: HashMap<String, usize> = HashMap::new();
    for raw in rows {
        let row = raw.row;
        let before = errors.len();
        let entry = check_row(raw, labels, &mut errors);
        if let Some(key) = &entry.key {
            if let Some(first) = keys.get(key) {
                errors.push(RowError {
                    row,
                    column: labels.get(Field::Key),
                    code: codes::DUPLICATE,
                    message: format!("编号「{key}」与第 {first} 行重复"),
                });
            } else {
                keys.insert(key.clone(), row);
            }
        }
        if !entry.question.is_empty() {
            if let Some(first) = questions.get(&entry.question) {
                errors.push(RowError {
                    row,
                    column: labels.get(Field::Question),
                    code: codes::DUPLICATE,
                    message: format!("标准问题与第 {first} 行重复"),
                });
            } else {
                questions.insert(entry.question.clone(), row);
            }
        }
        if errors.len() == before {
            entries.push(entry);
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Collects the errors of one row.
struct RowCheck<'a> {
    row: usize,
    labels: &'a Labels,
    errors: &'a mut Vec<RowError>,
}

impl RowCheck<'_> {
    fn error(&mut self, field: Field, code: &'static str, message: String) {
        self.errors.push(RowError {
            row: self.row,
            column: self.labels.get(field),
            code,
            message,
        });
    }

    fn text(&mut self, raw: &mut RawRow, field: Field) -> Option<String> {
        match raw.take(field).into_text() {
            Ok(text) => text.filter(|t| !t.is_empty()),
            Err(why) => {
                self.error(field, codes::BAD_VALUE, why);
                None
            }
        }
    }

    fn list(&mut self, raw: &mut RawRow, field: Field) -> Vec<String> {
        match raw.take(field).into_list(|c| field.is_separator(c)) {
            Ok(items) => items,
            Err(why) => {
                self.error(field, codes::BAD_VALUE, why);
                Vec::new()
            }
        }
    }

    fn date(&mut self, raw: &mut RawRow, field: Field) -> Option<Ymd> {
        match raw.take(field).into_date() {
            Ok(date) => date,
            Err(why) => {
                self.error(field, codes::BAD_DATE, why);
                None
            }
        }
    }

    /// Text that must be there and fit in `max` characters.
    fn required(
        &mut self,
        raw: &mut RawRow,
        field: Field,
        code: &'static str,
        max: usize,
    ) -> String {
        let before = self.errors.len();
        let text = self.text(raw, field).unwrap_or_default();
        let n = text.chars().count();
        let name = field.chinese();
        if self.errors.len() > before {
            // Already reported as a value of the wrong kind.
        } else if text.is_empty() {
            self.error(field, code, format!("{name}不能为空"));
        } else if n > max {
            self.error(
                field,
                codes::TOO_LONG,
                format!("{name}最多 {max} 个字，这里有 {n} 个字"),
            );
        }
        text
    }
}

fn check_row(mut raw: RawRow, labels: &Labels, errors: &mut Vec<RowError>) -> SheetEntry {
    let mut check = RowCheck {
        row: raw.row,
        labels,
        errors,
    };

    let key = check.text(&mut raw, Field::Key);
    if let Some(key) = &key {
        let n = key.chars().count();
        if n > MAX_KEY_CHARS {
            check.error(
                Field::Key,
                codes::TOO_LONG,
                format!("编号最多 {MAX_KEY_CHARS} 个字，这里有 {n} 个字"),
            );
        }
    }
    let question = check.required(
        &mut raw,
        Field::Question,
        codes::QUESTION_REQUIRED,
        MAX_QUESTION_CHARS,
    );
    let answer = check.required(
        &mut raw,
        Field::Answer,
        codes::ANSWER_REQUIRED,
        MAX_ANSWER_CHARS,
    );

    let mut similar = check.list(&mut raw, Field::Similar);
    similar.retain(|s| *s != question);
    if similar.len() > MAX_SIMILAR {
        check.error(
            Field::Similar,
            codes::TOO_MANY_SIMILAR,
            format!("相似问题最多 {MAX_SIMILAR} 条，这里有 {} 条", similar.len()),
        );
    }
    if let Some(long) = similar
        .iter()
        .find(|s| s.chars().count() > MAX_QUESTION_CHARS)
    {
        let message = format!(
            "每条相似问题最多 {MAX_QUESTION_CHARS} 个字，「{}…」有 {} 个字",
            long.chars().take(10).collect::<String>(),
            long.chars().count()
        );
        check.error(Field::Similar, codes::TOO_LONG, message);
    }
    let tags = check.list(&mut raw, Field::Tags);
    let products = check.list(&mut raw, Field::Products);

    let valid_from = check.date(&mut raw, Field::ValidFrom);
    let valid_to = check.date(&mut raw, Field::ValidTo);
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && to < from
    {
        check.error(
            Field::ValidTo,
            codes::BAD_DATE_RANGE,
            format!("失效日期 {to} 早于生效日期 {from}"),
        );
    }

    let status = check
        .text(&mut raw, Field::Status)
        .and_then(|status| match value::status_code(&status) {
            Some(code) => Some(code.to_string()),
            None => {
                check.error(
                    Field::Status,
                    codes::BAD_STATUS,
                    format!(
                        "状态「{status}」无法识别，可填：草稿、审核中、已发布、已下线（或 draft、in_review、published、retired）"
                    ),
                );
                None
            }
        });

    SheetEntry {
        key,
        question,
        similar,
        answer,
        tags,
        products,
        valid_from: valid_from.map(|d| d.to_string()),
        valid_to: valid_to.map(|d| d.to_string()),
        status,
    }
}

/// Reads a table (Excel or CSV rows) whose header row comes first among `rows`: finds the
/// header, maps columns to fields, and checks the data rows below it.
///
/// `rows` yields `(row number, cells)` for non-blank rows only, in order.
fn read_table(
    rows: impl Iterator<Item = (usize, Vec<Value>)>,
) -> Result<Vec<SheetEntry>, Vec<RowError>> {
    let mut rows = rows;
    let mut skipped = Vec::new();
    let header = loop {
        let Some((row, cells)) = rows.next() else {
            // No row names two columns: report against the first row there was.
            break skipped.into_iter().next();
        };
        let known = cells
            .iter()
            .filter(|cell| Field::from_header(&cell.header_text()).is_some())
            .count();
        if known >= 2 {
            break Some((row, cells));
        }
        skipped.push((row, cells));
        if skipped.len() == HEADER_SEARCH {
            break skipped.into_iter().next();
        }
    };
    let Some((header_row, header_cells)) = header else {
        return Err(vec![RowError {
            row: 1,
            column: Some(Field::Question.chinese().into()),
            code: codes::MISSING_COLUMN,
            message: "文件是空的：第一行应是表头，至少要有「标准问题」和「答案」两列".into(),
        }]);
    };

    let mut columns: Vec<Option<Field>> = Vec::with_capacity(header_cells.len());
    let mut labels: [Option<String>; FIELD_COUNT] = Default::default();
    let mut errors = Vec::new();
    for cell in &header_cells {
        let text = cell.header_text();
        let field = Field::from_header(&text);
        if let Some(field) = field {
            if let Some(first) = &labels[field.index()] {
                errors.push(RowError {
                    row: header_row,
                    column: Some(text.clone()),
                    code: codes::DUPLICATE_COLUMN,
                    message: format!(
                        "「{first}」和「{text}」两列都是{}，请只保留一列",
                        field.chinese()
                    ),
                });
            } else {
                labels[field.index()] = Some(text.clone());
            }
        }
        columns.push(field);
    }
    for field in [Field::Question, Field::Answer] {
        if labels[field.index()].is_none() {
            errors.push(RowError {
                row: header_row,
                column: Some(field.chinese().into()),
                code: codes::MISSING_COLUMN,
                message: format!(
                    "表头缺少「{}」列（也可写作：{}）",
                    field.chinese(),
                    field.aliases()[1..].join("、")
                ),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let labels = Labels(std::array::from_fn(|i| {
        labels[i]
            .take()
            .unwrap_or_else(|| Field::ALL[i].chinese().to_string())
    }));

    let mut data = Vec::new();
    for (row, cells) in rows {
        let mut raw = RawRow::new(row);
        for (cell, field) in cells.into_iter().zip(&columns) {
            if let Some(field) = field {
                raw.values[field.index()] = cell;
            }
        }
        if raw.is_blank() {
            continue;
        }
        if data.len() == MAX_ROWS {
            return Err(vec![too_many_rows(row)]);
        }
        data.push(raw);
    }
    build(data, &labels)
}

/// Rows looked at for the header row.
const HEADER_SEARCH: usize = 10;

fn too_many_rows(row: usize) -> RowError {
    RowError {
        row,
        column: None,
        code: codes::TOO_MANY_ROWS,
        message: format!("一个文件最多导入 {MAX_ROWS} 条，请拆成几个文件分别导入"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_either_language_and_with_decoration() {
        let cases = [
            ("标准问题", Some(Field::Question)),
            (" Question ", Some(Field::Question)),
            ("*标准问题", Some(Field::Question)),
            ("答案（必填）", Some(Field::Answer)),
            ("生效日期(YYYY-MM-DD)", Some(Field::ValidFrom)),
            ("Valid From", Some(Field::ValidFrom)),
            ("VALID_TO", Some(Field::ValidTo)),
            ("ID", Some(Field::Key)),
            ("相似问法", Some(Field::Similar)),
            ("分类", Some(Field::Tags)),
            ("商品", Some(Field::Products)),
            ("状态", Some(Field::Status)),
            ("备注", None),
            ("", None),
            ("(说明)", None),
        ];
        for (header, want) in cases {
            assert_eq!(Field::from_header(header), want, "{header:?}");
        }
    }

    #[test]
    fn aliases_are_unambiguous() {
        let mut seen = HashMap::new();
        for field in Field::ALL {
            for alias in field.aliases() {
                assert_eq!(Field::from_header(alias), Some(field), "{alias}");
                assert!(seen.insert(header_key(alias), field).is_none(), "{alias}");
            }
            assert_eq!(Field::from_header(field.english()), Some(field));
        }
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_file_name("百问百答.xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_file_name("宏表.XLSM"), Some(Format::Xlsx));
        assert_eq!(Format::from_file_name("旧表.xls"), None);
        assert_eq!(Format::from_file_name("kb.v2.jsonl"), Some(Format::Jsonl));
        assert_eq!(Format::from_file_name("导出.csv"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("README"), None);
        assert_eq!(Format::from_file_name("a.pdf"), None);
        assert_eq!(Format::from_name(".CSV"), Some(Format::Csv));
        for format in [Format::Xlsx, Format::Csv, Format::Jsonl] {
            assert_eq!(Format::from_name(format.extension()), Some(format));
        }
    }

    #[test]
    fn every_code_is_snake_case_and_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for code in codes::ALL {
            assert!(seen.insert(code));
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn row_errors_display_with_row_and_column() {
        let error = RowError {
            row: 3,
            column: Some("答案".into()),
            code: codes::ANSWER_REQUIRED,
            message: "答案不能为空".into(),
        };
        assert_eq!(error.to_string(), "第 3 行「答案」：答案不能为空");
        assert_eq!(
            RowError::file(codes::UNREADABLE, "坏了").to_string(),
            "坏了"
        );
    }
}
