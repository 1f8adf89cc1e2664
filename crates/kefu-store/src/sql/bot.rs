//! The bot's turns as projected from the log, and the entries proposed from the questions it
//! could not answer (the [`Store`](crate::Store) methods delegate here).

use super::SqlStore;
use super::rows::{get, id, json, opt_id, opt_ts, to_json, ts};
use crate::{BotTurnRecord, StoreResult};
use kefu_domain::*;
use sqlx::any::AnyRow;

/// A turn with its question's text (from the messages) and its shopper (from the conversation).
const SELECT: &str = "SELECT b.event_id, b.conversation_id, b.question_id, b.reply_id, b.decision, \
     b.helpful, b.at, m.text AS question_text, c.customer_id \
     FROM bot_turns b JOIN messages m ON m.id = b.question_id \
     JOIN conversations c ON c.id = b.conversation_id";

fn turn(row: &AnyRow) -> StoreResult<BotTurnRecord> {
    Ok(BotTurnRecord {
        event: id(row, "event_id")?,
        conversation: id(row, "conversation_id")?,
        customer: id(row, "customer_id")?,
        question: id(row, "question_id")?,
        question_text: get(row, "question_text")?,
        reply: id(row, "reply_id")?,
        decision: json(row, "decision")?,
        helpful: get::<Option<i64>>(row, "helpful")?.map(|v| v != 0),
        at: ts(row, "at")?,
    })
}

impl SqlStore {
    pub(super) async fn turns_of(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<BotTurnRecord>> {
        let sql = format!(
            "{SELECT} WHERE b.shop_id = $1 AND b.conversation_id = $2 ORDER BY b.event_seq"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(conversation.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(turn)
            .collect()
    }

    pub(super) async fn turn_by_reply(
        &self,
        shop: ShopId,
        reply: MessageId,
    ) -> StoreResult<Option<BotTurnRecord>> {
        let sql = format!("{SELECT} WHERE b.shop_id = $1 AND b.reply_id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(reply.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(turn)
            .transpose()
    }

    pub(super) async fn unanswered(
        &self,
        shop: ShopId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<BotTurnRecord>> {
        let reasons: Vec<&str> = HandOffReason::ALL
            .iter()
            .filter(|r| r.means_unanswered())
            .map(|r| r.as_str())
            .collect();
        let sql = format!(
            "{SELECT} WHERE b.shop_id = $1 AND b.at >= $2 AND b.reason IN ('{}') \
             ORDER BY b.at DESC LIMIT $3",
            reasons.join("', '")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(since.as_millis())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(turn)
            .collect()
    }
}

fn proposal(row: &AnyRow) -> StoreResult<KnowledgeProposal> {
    Ok(KnowledgeProposal {
        id: id(row, "id")?,
        shop: id(row, "shop_id")?,
        question: get(row, "question")?,
        similar: json(row, "similar_questions")?,
        asked: get(row, "asked")?,
        askers: get(row, "askers")?,
        status: super::rows::named(row, "status", ProposalStatus::parse)?,
        entry: opt_id(row, "entry_id")?,
        created_at: ts(row, "created_at")?,
        decided_at: opt_ts(row, "decided_at")?,
    })
}

impl SqlStore {
    pub(super) async fn proposals(
        &self,
        shop: ShopId,
        status: Option<ProposalStatus>,
    ) -> StoreResult<Vec<KnowledgeProposal>> {
        sqlx::query(
            "SELECT * FROM knowledge_proposals WHERE shop_id = $1 AND ($2 = '' OR status = $2) \
             ORDER BY askers DESC, asked DESC, created_at, id",
        )
        .bind(shop.to_string())
        .bind(status.map_or("", |s| s.as_str()))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(proposal)
        .collect()
    }

    pub(super) async fn proposal_by_id(
        &self,
        shop: ShopId,
        id: ProposalId,
    ) -> StoreResult<Option<KnowledgeProposal>> {
        sqlx::query("SELECT * FROM knowledge_proposals WHERE shop_id = $1 AND id = $2")
            .bind(shop.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(proposal)
            .transpose()
    }

    pub(super) async fn replace_open(
        &self,
        shop: ShopId,
        proposals: &[KnowledgeProposal],
    ) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM knowledge_proposals WHERE shop_id = $1 AND status = 'open'")
            .bind(shop.to_string())
            .execute(&mut *tx)
            .await?;
        for p in proposals {
            sqlx::query(
                "INSERT INTO knowledge_proposals (id, shop_id, question, similar_questions, asked, \
                 askers, status, entry_id, created_at, decided_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(p.id.to_string())
            .bind(shop.to_string())
            .bind(p.question.as_str())
            .bind(to_json(&p.similar))
            .bind(p.asked)
            .bind(p.askers)
            .bind(p.status.as_str())
            .bind(p.entry.map(|e| e.to_string()))
            .bind(p.created_at.as_millis())
            .bind(p.decided_at.map(Timestamp::as_millis))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn decide(
        &self,
        shop: ShopId,
        id: ProposalId,
        status: ProposalStatus,
        entry: Option<KnowledgeEntryId>,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE knowledge_proposals SET status = $1, entry_id = $2, decided_at = $3 \
             WHERE shop_id = $4 AND id = $5 AND status = 'open'",
        )
        .bind(status.as_str())
        .bind(entry.map(|e| e.to_string()))
        .bind(at.as_millis())
        .bind(shop.to_string())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
