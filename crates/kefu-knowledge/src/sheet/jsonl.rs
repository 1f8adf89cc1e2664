//! JSON lines: one object per line with the English field names
//! (`{"id", "question", "similar": [..], "answer", "tags": [..], "products": [..], "valid_from",
//! "valid_to", "status"}`), which is also what `kefu eval faq --kb` reads. Field names go
//! through the same matching as sheet headers; `null` is an empty cell; a list may also be
//! given as one string, split as a cell is.

use serde_json::Value as Json;

use super::value::{Value, number_text};
use super::{
    FIELD_COUNT, Field, Labels, MAX_ROWS, RawRow, RowError, SheetEntry, SheetError, build, codes,
    too_many_rows,
};

pub(super) fn read(bytes: &[u8]) -> Result<Vec<SheetEntry>, Vec<RowError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![RowError::file(
            codes::UNREADABLE,
            "JSONL 文件必须是 UTF-8 编码，每行一个 JSON 对象",
        )]);
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut lines = 0;
    for (index, line) in text.split('\n').enumerate() {
        let row = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if lines > MAX_ROWS {
            return Err(vec![too_many_rows(row)]);
        }
        match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(object)) => {
                let mut raw = RawRow::new(row);
                let mut seen: [Option<&str>; FIELD_COUNT] = Default::default();
                for (name, json) in &object {
                    let Some(field) = Field::from_header(name) else {
                        continue;
                    };
                    if let Some(first) = seen[field.index()] {
                        errors.push(RowError {
                            row,
                            column: Some(name.clone()),
                            code: codes::DUPLICATE_COLUMN,
                            message: format!(
                                "「{first}」和「{name}」都是{}，请只保留一个",
                                field.chinese()
                            ),
                        });
                        continue;
                    }
                    seen[field.index()] = Some(name);
                    raw.values[field.index()] = json_value(field, json);
                }
                if !raw.is_blank() {
                    rows.push(raw);
                }
            }
            Ok(_) => errors.push(bad_json(row, "这一行应是一个 JSON 对象 {…}".into())),
            Err(error) => errors.push(bad_json(
                row,
                format!("这一行不是有效的 JSON（第 {} 列）", error.column()),
            )),
        }
    }
    let labels = Labels(Field::ALL.map(|field| field.english().to_string()));
    let result = build(rows, &labels);
    if errors.is_empty() {
        return result;
    }
    if let Err(more) = result {
        errors.extend(more);
    }
    errors.sort_by_key(|error| error.row);
    Err(errors)
}

fn bad_json(row: usize, message: String) -> RowError {
    RowError {
        row,
        column: None,
        code: codes::BAD_JSON,
        message,
    }
}

fn json_value(field: Field, json: &Json) -> Value {
    match json {
        Json::Null => Value::Empty,
        Json::String(text) => Value::Text(text.clone()),
        Json::Number(n) => match n.as_f64() {
            Some(n) if !field.is_list() => Value::Number(n),
            _ => Value::Text(n.to_string()),
        },
        Json::Array(items) if field.is_list() => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Json::String(text) => list.push(text.clone()),
                    Json::Number(n) => {
                        list.push(n.as_f64().map_or_else(|| n.to_string(), number_text))
                    }
                    Json::Null => {}
                    _ => return Value::Bad(format!("{} 应是字符串数组", field.english())),
                }
            }
            Value::List(list)
        }
        _ if field.is_list() => Value::Bad(format!("{} 应是字符串数组", field.english())),
        _ => Value::Bad(format!("{} 应是字符串", field.english())),
    }
}

pub(super) fn write(entries: &[SheetEntry]) -> Result<Vec<u8>, SheetError> {
    let mut out = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut out, entry)
            .map_err(|error| SheetError::Write(Box::new(error)))?;
        out.push(b'\n');
    }
    Ok(out)
}
