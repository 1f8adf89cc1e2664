//! Knowledge-base import and export as Excel (.xlsx), CSV (UTF-8) or JSONL — shops keep their
//! 百问百答 in Excel.
//!
//! An import is all or nothing: every row is checked (by the file reader, then by the same
//! rules as the editor) and every problem is reported with its row and column before anything
//! is written. Rows match existing entries by their code (编号), or, without one, by their
//! standard question, so importing the same file twice updates instead of duplicating.

use crate::auth::AgentSession;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::extract::RawBody;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kefu_domain::*;
use kefu_knowledge::sheet::{self, Format, SheetEntry};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Mounted with the import body limit (see `app()`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/knowledge/import", post(import))
        .route("/knowledge/export", get(export))
}

/// At most this many problems are reported.
const MAX_REPORTED: usize = 100;

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// xlsx | csv | jsonl; otherwise taken from the Content-Type.
    pub format: Option<String>,
    /// The status of rows whose 状态 column is empty: draft (default) or published.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeImportResult {
    pub inserted: u64,
    pub updated: u64,
}

fn format_of(query: Option<&str>, headers: &HeaderMap) -> ApiResult<Format> {
    if let Some(name) = query {
        return Format::from_name(name)
            .ok_or_else(|| ApiError::field("format", "one of xlsx, csv, jsonl"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.contains("spreadsheetml") {
        Ok(Format::Xlsx)
    } else if content_type.starts_with("text/csv") {
        Ok(Format::Csv)
    } else if content_type.contains("jsonl") || content_type.contains("ndjson") {
        Ok(Format::Jsonl)
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send an .xlsx, CSV (UTF-8) or JSONL file, or say which with ?format=",
        ))
    }
}

fn row_error(row: usize, field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        row: Some(row),
        field: field.into(),
        message: message.into(),
    }
}

/// Imports entries from a file.
#[utoipa::path(post, path = "/api/v1/knowledge/import",
    params(("format" = Option<String>, Query, description = "xlsx | csv | jsonl"),
        ("status" = Option<String>, Query, description = "status of rows without one: draft | published")),
    request_body(content = Vec<u8>, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = KnowledgeImportResult), (status = 415, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    session: AgentSession,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<KnowledgeImportResult>> {
    session.require(Role::can_edit_knowledge)?;
    let format = format_of(query.format.as_deref(), &headers)?;
    let default_status = match query.status.as_deref() {
        None | Some("draft") => EntryStatus::Draft,
        Some("published") => EntryStatus::Published,
        Some(_) => return Err(ApiError::field("status", "draft or published")),
    };
    // Reading a large workbook is CPU work: keep it off the async workers.
    let rows = tokio::task::spawn_blocking(move || sheet::read(format, &body))
        .await
        .map_err(|_| ApiError::internal())?;
    let rows = rows.map_err(|errors| {
        ApiError::validation(
            errors
                .into_iter()
                .take(MAX_REPORTED)
                .map(|e| {
                    let message = e.to_string();
                    row_error(
                        e.row,
                        e.column.unwrap_or_else(|| e.code.to_owned()),
                        message,
                    )
                })
                .collect(),
        )
    })?;
    let shop = session.shop();
    let now = state.clock.now();
    let existing = state.store.knowledge_entries(shop).await?;
    let by_question: HashMap<&str, &KnowledgeEntry> = existing
        .iter()
        .map(|e| (e.fields.question.as_str(), e))
        .collect();
    let mut errors = Vec::new();
    let mut entries = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        // Row numbers as the file shows them: the header is row 1 of a sheet.
        let row_no = if format == Format::Jsonl {
            i + 1
        } else {
            i + 2
        };
        match entry_of(row, default_status, shop, now, &by_question) {
            Ok(e) => entries.push(e),
            Err(e) => errors.push(row_error(row_no, e.0, e.1)),
        }
    }
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED);
        return Err(ApiError::validation(errors));
    }
    let counts = state.store.import_knowledge(shop, &entries).await?;
    state.knowledge.rebuild(&*state.store, shop, now).await?;
    Ok(Json(KnowledgeImportResult {
        inserted: counts.inserted,
        updated: counts.updated,
    }))
}

/// A file row as an entry to write; one without a code that repeats an existing standard
/// question takes that entry's code, so it replaces it.
fn entry_of(
    row: SheetEntry,
    default_status: EntryStatus,
    shop: ShopId,
    now: Timestamp,
    by_question: &HashMap<&str, &KnowledgeEntry>,
) -> Result<KnowledgeEntry, (String, String)> {
    let status = match row.status.as_deref() {
        None => default_status,
        Some(s) => {
            EntryStatus::parse(s).ok_or(("status".to_owned(), format!("unknown status {s:?}")))?
        }
    };
    let mut fields = EntryDraft {
        key: row.key,
        question: row.question,
        similar: row.similar,
        answer: row.answer,
        tags: row.tags,
        products: row.products,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
    }
    .parse()
    .map_err(|e| (e.field.to_owned(), e.message))?;
    kefu_knowledge::template::parse(&fields.answer)
        .map_err(|e| ("answer".to_owned(), e.to_string()))?;
    let same = by_question.get(fields.question.as_str());
    if fields.key.is_none()
        && let Some(same) = same
    {
        fields.key = same.fields.key.clone();
    }
    Ok(KnowledgeEntry {
        // The store matches by code first and then by id: a row without a code that repeats
        // a code-less entry's question replaces that entry.
        id: same.map_or_else(KnowledgeEntryId::new, |s| s.id),
        shop,
        fields,
        status,
        version: 1,
        created_at: now,
        updated_at: now,
        stats: KnowledgeStats::default(),
    })
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// xlsx (default) | csv | jsonl
    pub format: Option<String>,
    /// Only entries with this status.
    pub status: Option<String>,
}

/// The shop's entries as a file.
#[utoipa::path(get, path = "/api/v1/knowledge/export",
    params(("format" = Option<String>, Query, description = "xlsx (default) | csv | jsonl"),
        ("status" = Option<String>, Query)),
    responses((status = 200, description = "the file"), (status = 422, body = crate::error::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    session: AgentSession,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let format = match query.format.as_deref() {
        None => Format::Xlsx,
        Some(name) => Format::from_name(name)
            .ok_or_else(|| ApiError::field("format", "one of xlsx, csv, jsonl"))?,
    };
    let status = query
        .status
        .as_deref()
        .map(|s| EntryStatus::parse(s).ok_or_else(|| ApiError::field("status", "unknown status")))
        .transpose()?;
    let entries: Vec<SheetEntry> = state
        .store
        .knowledge_entries(session.shop())
        .await?
        .into_iter()
        .filter(|e| status.is_none_or(|s| e.status == s))
        .map(|e| SheetEntry {
            key: e.fields.key,
            question: e.fields.question,
            similar: e.fields.similar,
            answer: e.fields.answer,
            tags: e.fields.tags,
            products: e.fields.products,
            valid_from: e.fields.valid_from,
            valid_to: e.fields.valid_to,
            status: Some(e.status.as_str().to_owned()),
        })
        .collect();
    let bytes = tokio::task::spawn_blocking(move || sheet::write(format, &entries))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| ApiError::field("format", e.to_string()))?;
    // RFC 5987: the Chinese file name for browsers, an ASCII one for the rest.
    let disposition = format!(
        "attachment; filename=\"knowledge.{ext}\"; filename*=UTF-8''%E7%9F%A5%E8%AF%86%E5%BA%93.{ext}",
        ext = format.extension()
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|_| ApiError::internal())?,
            ),
        ],
        bytes,
    )
        .into_response())
}
