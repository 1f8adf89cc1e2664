//! Conversation QA in SQL (the [`Store`](crate::Store) methods delegate here): scores, the
//! overrides that move their effective total (compare-and-set on `qa_scores.version`) and the
//! one appeal per conversation (a unique index).

use super::SqlStore;
use super::rows;
use crate::error::on_unique;
use crate::{
    QaAgentAverage, QaAppeal, QaAppealStatus, QaOverride, QaReview, QaScoreFilter, QaScoreRecord,
    StoreError, StoreResult,
};
use kefu_domain::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

const SCORE_COLUMNS: &str = "shop_id, conversation_id, customer_id, agent_id, closed_at, scored_at, \
     auto_total, total, items, rubric, rubric_version, version";

const APPEAL_COLUMNS: &str = "id, shop_id, conversation_id, agent_id, item, reason, created_at, \
     status, decided_by, decision, decided_at";

fn score(row: &AnyRow) -> StoreResult<QaScoreRecord> {
    Ok(QaScoreRecord {
        shop: rows::id(row, "shop_id")?,
        conversation: rows::id(row, "conversation_id")?,
        customer: rows::id(row, "customer_id")?,
        agent: rows::opt_id(row, "agent_id")?,
        closed_at: rows::ts(row, "closed_at")?,
        scored_at: rows::ts(row, "scored_at")?,
        auto_total: rows::get(row, "auto_total")?,
        total: rows::get(row, "total")?,
        items: rows::get(row, "items")?,
        rubric: rows::get(row, "rubric")?,
        rubric_version: rows::get(row, "rubric_version")?,
        version: rows::get(row, "version")?,
    })
}

fn review(row: &AnyRow) -> StoreResult<QaReview> {
    Ok(QaReview {
        id: rows::id(row, "id")?,
        shop: rows::id(row, "shop_id")?,
        conversation: rows::id(row, "conversation_id")?,
        item: rows::get(row, "item")?,
        score: rows::get(row, "score")?,
        comment: rows::get(row, "comment")?,
        reviewer: rows::id(row, "reviewer_id")?,
        at: rows::ts(row, "at")?,
        appeal: rows::opt_id(row, "appeal_id")?,
    })
}

fn appeal(row: &AnyRow) -> StoreResult<QaAppeal> {
    Ok(QaAppeal {
        id: rows::id(row, "id")?,
        shop: rows::id(row, "shop_id")?,
        conversation: rows::id(row, "conversation_id")?,
        agent: rows::id(row, "agent_id")?,
        item: rows::get(row, "item")?,
        reason: rows::get(row, "reason")?,
        created_at: rows::ts(row, "created_at")?,
        status: rows::named(row, "status", QaAppealStatus::parse)?,
        decided_by: rows::opt_id(row, "decided_by")?,
        decision: rows::get(row, "decision")?,
        decided_at: rows::opt_ts(row, "decided_at")?,
    })
}

/// The filter's conditions after `shop_id = $1`, with their text and integer binds (texts are
/// bound first, so placeholders stay in ascending order).
fn conditions(f: &QaScoreFilter, shop: ShopId) -> (Vec<String>, Vec<String>, Vec<i64>) {
    let mut conditions = vec!["shop_id = $1".to_owned()];
    let mut texts = vec![shop.to_string()];
    if let Some(agent) = f.agent {
        texts.push(agent.to_string());
        conditions.push(format!("agent_id = ${}", texts.len()));
    }
    let mut ints = Vec::new();
    if let Some(from) = f.from {
        ints.push(from.as_millis());
        conditions.push(format!("closed_at >= ${}", texts.len() + ints.len()));
    }
    if let Some(to) = f.to {
        ints.push(to.as_millis());
        conditions.push(format!("closed_at < ${}", texts.len() + ints.len()));
    }
    (conditions, texts, ints)
}

async fn write_override(tx: &mut Transaction<'_, Any>, c: &QaOverride<'_>) -> StoreResult<()> {
    let r = c.review;
    let moved = sqlx::query(
        "UPDATE qa_scores SET total = $1, version = version + 1 \
         WHERE shop_id = $2 AND conversation_id = $3 AND version = $4",
    )
    .bind(c.total)
    .bind(r.shop.to_string())
    .bind(r.conversation.to_string())
    .bind(c.expected_version)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM qa_scores WHERE shop_id = $1 AND conversation_id = $2",
        )
        .bind(r.shop.to_string())
        .bind(r.conversation.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        return Err(match exists {
            Some(_) => StoreError::Stale(format!("the QA score of {}", r.conversation)),
            None => StoreError::MissingReference("the conversation has no QA score".to_owned()),
        });
    }
    sqlx::query(
        "INSERT INTO qa_reviews (id, shop_id, conversation_id, item, score, comment, reviewer_id, \
         at, appeal_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.id.to_string())
    .bind(r.shop.to_string())
    .bind(r.conversation.to_string())
    .bind(r.item.clone())
    .bind(r.score)
    .bind(r.comment.clone())
    .bind(r.reviewer.to_string())
    .bind(r.at.as_millis())
    .bind(r.appeal.map(|a| a.to_string()))
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::MissingReference("the reviewer does not exist".to_owned())
        }
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

impl SqlStore {
    pub(super) async fn qa_put_score(
        &self,
        s: &QaScoreRecord,
        expected: Option<i64>,
    ) -> StoreResult<()> {
        let done = match expected {
            None => sqlx::query(
                "INSERT INTO qa_scores (shop_id, conversation_id, customer_id, agent_id, closed_at, \
                 scored_at, auto_total, total, items, rubric, rubric_version, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(s.shop.to_string())
            .bind(s.conversation.to_string())
            .bind(s.customer.to_string())
            .bind(s.agent.map(|a| a.to_string()))
            .bind(s.closed_at.as_millis())
            .bind(s.scored_at.as_millis())
            .bind(s.auto_total)
            .bind(s.total)
            .bind(s.items.clone())
            .bind(s.rubric.clone())
            .bind(s.rubric_version)
            .bind(s.version)
            .execute(&self.pool)
            .await
            .map_err(on_unique("QA score"))?,
            Some(v) => sqlx::query(
                "UPDATE qa_scores SET customer_id = $1, agent_id = $2, closed_at = $3, \
                 scored_at = $4, auto_total = $5, total = $6, items = $7, rubric = $8, \
                 rubric_version = $9, version = $10 \
                 WHERE shop_id = $11 AND conversation_id = $12 AND version = $13",
            )
            .bind(s.customer.to_string())
            .bind(s.agent.map(|a| a.to_string()))
            .bind(s.closed_at.as_millis())
            .bind(s.scored_at.as_millis())
            .bind(s.auto_total)
            .bind(s.total)
            .bind(s.items.clone())
            .bind(s.rubric.clone())
            .bind(s.rubric_version)
            .bind(s.version)
            .bind(s.shop.to_string())
            .bind(s.conversation.to_string())
            .bind(v)
            .execute(&self.pool)
            .await?,
        };
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!(
                "the QA score of {}",
                s.conversation
            )));
        }
        Ok(())
    }

    pub(super) async fn qa_score_of(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Option<QaScoreRecord>> {
        let sql = format!(
            "SELECT {SCORE_COLUMNS} FROM qa_scores WHERE shop_id = $1 AND conversation_id = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(conversation.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(score)
            .transpose()
    }

    pub(super) async fn qa_score_list(
        &self,
        shop: ShopId,
        f: &QaScoreFilter,
        limit: i64,
    ) -> StoreResult<Vec<QaScoreRecord>> {
        let (conditions, texts, mut ints) = conditions(f, shop);
        ints.push(limit);
        let sql = format!(
            "SELECT {SCORE_COLUMNS} FROM qa_scores WHERE {} \
             ORDER BY closed_at DESC, conversation_id LIMIT ${}",
            conditions.join(" AND "),
            texts.len() + ints.len()
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in texts {
            q = q.bind(t);
        }
        for i in ints {
            q = q.bind(i);
        }
        q.fetch_all(&self.pool).await?.iter().map(score).collect()
    }

    pub(super) async fn qa_averages(
        &self,
        shop: ShopId,
        f: &QaScoreFilter,
    ) -> StoreResult<Vec<QaAgentAverage>> {
        let (mut conditions, texts, ints) = conditions(f, shop);
        conditions.push("agent_id IS NOT NULL".to_owned());
        // The sum rather than AVG, cast: AVG's and SUM's types differ between the backends.
        let sql = format!(
            "SELECT agent_id, COUNT(*) AS n, CAST(SUM(total) AS BIGINT) AS points FROM qa_scores WHERE {} \
             GROUP BY agent_id ORDER BY agent_id",
            conditions.join(" AND ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in texts {
            q = q.bind(t);
        }
        for i in ints {
            q = q.bind(i);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let n: i64 = rows::get(row, "n")?;
                let points: i64 = rows::get(row, "points")?;
                Ok(QaAgentAverage {
                    agent: rows::id(row, "agent_id")?,
                    conversations: n,
                    average: if n > 0 { points as f64 / n as f64 } else { 0.0 },
                })
            })
            .collect()
    }

    pub(super) async fn qa_latest_of_customer(
        &self,
        shop: ShopId,
        customer: CustomerId,
        since: Timestamp,
    ) -> StoreResult<Option<QaScoreRecord>> {
        let sql = format!(
            "SELECT {SCORE_COLUMNS} FROM qa_scores WHERE shop_id = $1 AND customer_id = $2 \
             AND closed_at >= $3 ORDER BY closed_at DESC LIMIT 1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(customer.to_string())
            .bind(since.as_millis())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(score)
            .transpose()
    }

    pub(super) async fn qa_add_review(&self, c: QaOverride<'_>) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        write_override(&mut tx, &c).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn qa_review_list(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<QaReview>> {
        sqlx::query(
            "SELECT id, shop_id, conversation_id, item, score, comment, reviewer_id, at, appeal_id \
             FROM qa_reviews WHERE shop_id = $1 AND conversation_id = $2 ORDER BY at, id",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(review)
        .collect()
    }

    pub(super) async fn qa_insert_appeal(&self, a: &QaAppeal) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO qa_appeals (id, shop_id, conversation_id, agent_id, item, reason, \
             created_at, status, decided_by, decision, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(a.id.to_string())
        .bind(a.shop.to_string())
        .bind(a.conversation.to_string())
        .bind(a.agent.to_string())
        .bind(a.item.clone())
        .bind(a.reason.clone())
        .bind(a.created_at.as_millis())
        .bind(a.status.as_str())
        .bind(a.decided_by.map(|x| x.to_string()))
        .bind(a.decision.clone())
        .bind(a.decided_at.map(Timestamp::as_millis))
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate("QA appeal".to_owned())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::MissingReference(
                    "the conversation has no QA score, or the agent does not exist".to_owned(),
                )
            }
            _ => StoreError::Database(e),
        })?;
        Ok(())
    }

    async fn qa_appeal_where(
        &self,
        condition: &str,
        shop: ShopId,
        key: String,
    ) -> StoreResult<Option<QaAppeal>> {
        let sql =
            format!("SELECT {APPEAL_COLUMNS} FROM qa_appeals WHERE shop_id = $1 AND {condition}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(appeal)
            .transpose()
    }

    pub(super) async fn qa_appeal_by_id(
        &self,
        shop: ShopId,
        id: QaAppealId,
    ) -> StoreResult<Option<QaAppeal>> {
        self.qa_appeal_where("id = $2", shop, id.to_string()).await
    }

    pub(super) async fn qa_appeal_by_conversation(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Option<QaAppeal>> {
        self.qa_appeal_where("conversation_id = $2", shop, conversation.to_string())
            .await
    }

    pub(super) async fn qa_appeal_list(
        &self,
        shop: ShopId,
        status: Option<QaAppealStatus>,
        limit: i64,
    ) -> StoreResult<Vec<QaAppeal>> {
        let rows = match status {
            Some(s) => {
                let sql = format!(
                    "SELECT {APPEAL_COLUMNS} FROM qa_appeals WHERE shop_id = $1 AND status = $2 \
                     ORDER BY created_at, id LIMIT $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(shop.to_string())
                    .bind(s.as_str())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {APPEAL_COLUMNS} FROM qa_appeals WHERE shop_id = $1 \
                     ORDER BY created_at, id LIMIT $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(shop.to_string())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(appeal).collect()
    }

    pub(super) async fn qa_decide_appeal(
        &self,
        a: &QaAppeal,
        change: Option<QaOverride<'_>>,
    ) -> StoreResult<bool> {
        let mut tx = super::begin_write(&self.pool).await?;
        let done = sqlx::query(
            "UPDATE qa_appeals SET status = $1, decided_by = $2, decision = $3, decided_at = $4 \
             WHERE shop_id = $5 AND id = $6 AND status = 'open'",
        )
        .bind(a.status.as_str())
        .bind(a.decided_by.map(|x| x.to_string()))
        .bind(a.decision.clone())
        .bind(a.decided_at.map(Timestamp::as_millis))
        .bind(a.shop.to_string())
        .bind(a.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::MissingReference("the deciding agent does not exist".to_owned())
            }
            _ => StoreError::Database(e),
        })?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(c) = change {
            write_override(&mut tx, &c).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn qa_open_tickets(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tickets WHERE shop_id = $1 AND conversation_id = $2 \
             AND status IN ('open', 'in_progress')",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
