//! The bot's turns as projected from the log (the [`Store`](crate::Store) methods delegate here).

use super::SqlStore;
use super::rows::{get, id, json, ts};
use crate::{BotTurnRecord, StoreResult};
use kefu_domain::*;
use sqlx::any::AnyRow;

/// A turn with its question's text, which lives with the messages.
const SELECT: &str = "SELECT b.event_id, b.conversation_id, b.question_id, b.reply_id, b.decision, \
     b.helpful, b.at, m.text AS question_text \
     FROM bot_turns b JOIN messages m ON m.id = b.question_id";

fn turn(row: &AnyRow) -> StoreResult<BotTurnRecord> {
    Ok(BotTurnRecord {
        event: id(row, "event_id")?,
        conversation: id(row, "conversation_id")?,
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
