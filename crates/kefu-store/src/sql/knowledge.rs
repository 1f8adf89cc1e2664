//! Knowledge-base entries and per-shop settings in SQL (the [`Store`] methods delegate here).

use super::SqlStore;
use super::rows::{self, KNOWLEDGE_COLUMNS, to_json};
use crate::error::on_unique;
use crate::{ImportCounts, StoreError, StoreResult};
use kefu_domain::*;
use sqlx::{Any, Transaction};

const INSERT: &str = "INSERT INTO knowledge_entries (id, shop_id, entry_key, question, similar_questions, answer, \
     tags, products, valid_from, valid_to, status, version, created_at, updated_at, hits, helpful, \
     unhelpful, handoffs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

/// Writes the entry's fields and status over the row with its id, if the row is at
/// `expected` version (any version when `None`).
const UPDATE: &str = "UPDATE knowledge_entries SET entry_key = $3, question = $4, similar_questions = $5, \
     answer = $6, tags = $7, products = $8, valid_from = $9, valid_to = $10, status = $11, \
     version = $12, updated_at = $13 WHERE shop_id = $1 AND id = $2 AND ($14 < 0 OR version = $14)";

async fn insert(tx: &mut Transaction<'_, Any>, e: &KnowledgeEntry) -> StoreResult<()> {
    sqlx::query(INSERT)
        .bind(e.id.to_string())
        .bind(e.shop.to_string())
        .bind(e.fields.key.clone())
        .bind(e.fields.question.clone())
        .bind(to_json(&e.fields.similar))
        .bind(e.fields.answer.clone())
        .bind(to_json(&e.fields.tags))
        .bind(to_json(&e.fields.products))
        .bind(e.fields.valid_from.clone())
        .bind(e.fields.valid_to.clone())
        .bind(e.status.as_str())
        .bind(e.version)
        .bind(e.created_at.as_millis())
        .bind(e.updated_at.as_millis())
        .bind(e.stats.hits)
        .bind(e.stats.helpful)
        .bind(e.stats.unhelpful)
        .bind(e.stats.handoffs)
        .execute(&mut **tx)
        .await
        .map_err(on_unique("knowledge entry key"))?;
    Ok(())
}

/// Rows changed by the update (0 when the entry is missing or at another version).
async fn update(
    tx: &mut Transaction<'_, Any>,
    id: KnowledgeEntryId,
    e: &KnowledgeEntry,
    expected: Option<i64>,
) -> StoreResult<u64> {
    let done = sqlx::query(UPDATE)
        .bind(e.shop.to_string())
        .bind(id.to_string())
        .bind(e.fields.key.clone())
        .bind(e.fields.question.clone())
        .bind(to_json(&e.fields.similar))
        .bind(e.fields.answer.clone())
        .bind(to_json(&e.fields.tags))
        .bind(to_json(&e.fields.products))
        .bind(e.fields.valid_from.clone())
        .bind(e.fields.valid_to.clone())
        .bind(e.status.as_str())
        .bind(e.version)
        .bind(e.updated_at.as_millis())
        .bind(expected.unwrap_or(-1))
        .execute(&mut **tx)
        .await
        .map_err(on_unique("knowledge entry key"))?;
    Ok(done.rows_affected())
}

impl SqlStore {
    pub(super) async fn kb_entries(&self, shop: ShopId) -> StoreResult<Vec<KnowledgeEntry>> {
        let sql = format!(
            "SELECT {KNOWLEDGE_COLUMNS} FROM knowledge_entries WHERE shop_id = $1 ORDER BY created_at, id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::knowledge_entry)
            .collect()
    }

    pub(super) async fn kb_entry(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
    ) -> StoreResult<Option<KnowledgeEntry>> {
        let sql = format!(
            "SELECT {KNOWLEDGE_COLUMNS} FROM knowledge_entries WHERE shop_id = $1 AND id = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(rows::knowledge_entry)
            .transpose()
    }

    pub(super) async fn kb_insert(&self, entry: &KnowledgeEntry) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        insert(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn kb_update(&self, entry: &KnowledgeEntry, expected: i64) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        if update(&mut tx, entry.id, entry, Some(expected)).await? != 1 {
            return Err(StoreError::Stale(format!("knowledge entry {}", entry.id)));
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn kb_delete(&self, shop: ShopId, id: KnowledgeEntryId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM knowledge_entries WHERE shop_id = $1 AND id = $2")
            .bind(shop.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn kb_import(
        &self,
        shop: ShopId,
        entries: &[KnowledgeEntry],
    ) -> StoreResult<ImportCounts> {
        let stored = self.kb_entries(shop).await?;
        let by_key: std::collections::HashMap<&str, (KnowledgeEntryId, i64)> = stored
            .iter()
            .filter_map(|e| Some((e.fields.key.as_deref()?, (e.id, e.version))))
            .collect();
        let by_id: std::collections::HashMap<KnowledgeEntryId, i64> =
            stored.iter().map(|e| (e.id, e.version)).collect();
        let mut counts = ImportCounts::default();
        let mut tx = super::begin_write(&self.pool).await?;
        for e in entries {
            if e.shop != shop {
                return Err(StoreError::MissingReference(format!(
                    "knowledge entry {} belongs to another shop",
                    e.id
                )));
            }
            let known = match e.fields.key.as_deref() {
                Some(k) => by_key.get(k).copied(),
                None => by_id.get(&e.id).map(|v| (e.id, *v)),
            };
            match known {
                Some((id, version)) => {
                    let replaced = KnowledgeEntry {
                        version: version + 1,
                        ..e.clone()
                    };
                    update(&mut tx, id, &replaced, None).await?;
                    counts.updated += 1;
                }
                None => {
                    insert(&mut tx, e).await?;
                    counts.inserted += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    pub(super) async fn kb_add_stats(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
        d: KnowledgeStats,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE knowledge_entries SET hits = hits + $3, helpful = helpful + $4, \
             unhelpful = unhelpful + $5, handoffs = handoffs + $6 WHERE shop_id = $1 AND id = $2",
        )
        .bind(shop.to_string())
        .bind(id.to_string())
        .bind(d.hits)
        .bind(d.helpful)
        .bind(d.unhelpful)
        .bind(d.handoffs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn setting(&self, shop: ShopId, section: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT body FROM shop_settings WHERE shop_id = $1 AND section = $2")
            .bind(shop.to_string())
            .bind(section.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| rows::get(r, "body")).transpose()
    }

    pub(super) async fn put_setting(
        &self,
        shop: ShopId,
        section: &str,
        body: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shop_settings (shop_id, section, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (shop_id, section) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(shop.to_string())
        .bind(section.to_owned())
        .bind(body.to_owned())
        .bind(at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(on_unique("shop setting"))?;
        Ok(())
    }
}
