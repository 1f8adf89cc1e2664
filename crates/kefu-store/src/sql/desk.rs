//! What routing reads and writes besides the log: agents' presence (online, busy, away,
//! offline) with its history, every open conversation with its events (to rebuild queues and
//! SLA clocks at start), and the log read by kind (the day's signals and transfers).

use super::SqlStore;
use super::rows::{get, id, json, named, ts};
use crate::{AgentPresence, StoreResult};
use kefu_domain::*;

impl SqlStore {
    pub(super) async fn agent_presence_of(&self, shop: ShopId) -> StoreResult<Vec<AgentPresence>> {
        sqlx::query(
            "SELECT agent_id, status, since FROM agent_presence WHERE shop_id = $1 ORDER BY agent_id",
        )
        .bind(shop.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(AgentPresence {
                agent: id(r, "agent_id")?,
                status: named(r, "status", AgentStatus::parse)?,
                since: ts(r, "since")?,
            })
        })
        .collect()
    }

    pub(super) async fn put_agent_presence(
        &self,
        shop: ShopId,
        agent: AgentId,
        status: AgentStatus,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        let (shop, agent) = (shop.to_string(), agent.to_string());
        // Only an agent of this shop: a foreign id changes nothing.
        let known: Option<String> =
            sqlx::query_scalar("SELECT id FROM agents WHERE id = $1 AND shop_id = $2")
                .bind(agent.as_str())
                .bind(shop.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(crate::StoreError::MissingReference(format!(
                "agent {agent} is not in this shop"
            )));
        }
        let changed = sqlx::query(
            "UPDATE agent_presence SET status = $1, since = $2 WHERE agent_id = $3 AND shop_id = $4",
        )
        .bind(status.as_str())
        .bind(at.as_millis())
        .bind(agent.as_str())
        .bind(shop.as_str())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO agent_presence (agent_id, shop_id, status, since) VALUES ($1, $2, $3, $4)",
            )
            .bind(agent.as_str())
            .bind(shop.as_str())
            .bind(status.as_str())
            .bind(at.as_millis())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO agent_status_changes (shop_id, agent_id, status, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(shop.as_str())
        .bind(agent.as_str())
        .bind(status.as_str())
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn all_open_conversations(
        &self,
        shop: ShopId,
    ) -> StoreResult<Vec<Conversation>> {
        sqlx::query(
            "SELECT * FROM conversations WHERE shop_id = $1 AND state <> 'closed' ORDER BY created_at",
        )
        .bind(shop.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(super::rows::conversation)
        .collect()
    }

    pub(super) async fn events_of_conversation(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<Envelope>> {
        sqlx::query(
            "SELECT id, shop_id, payload, at FROM events WHERE shop_id = $1 AND conversation_id = $2 \
             ORDER BY seq",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(envelope)
        .collect()
    }

    pub(super) async fn events_by_kind(
        &self,
        shop: ShopId,
        kinds: &[&str],
        since: Timestamp,
        n: i64,
    ) -> StoreResult<Vec<Envelope>> {
        let mut out = Vec::new();
        for kind in kinds {
            let rows = sqlx::query(
                "SELECT id, shop_id, payload, at FROM events WHERE shop_id = $1 AND kind = $2 \
                 AND at >= $3 ORDER BY seq LIMIT $4",
            )
            .bind(shop.to_string())
            .bind(*kind)
            .bind(since.as_millis())
            .bind(n)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(envelope(r)?);
            }
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }
}

fn envelope(r: &sqlx::any::AnyRow) -> StoreResult<Envelope> {
    Ok(Envelope {
        id: id(r, "id")?,
        shop: id(r, "shop_id")?,
        at: Timestamp::from_millis(get(r, "at")?),
        event: json(r, "payload")?,
    })
}
