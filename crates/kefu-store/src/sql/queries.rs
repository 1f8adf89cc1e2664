//! [`Store`] for [`SqlStore`]: reads on the pool, event-log appends through the writer.

use super::rows::{self, to_json};
use super::{SqlStore, writer};
use crate::error::on_unique;
use crate::*;
use async_trait::async_trait;
use kefu_domain::conversation::replay;
use kefu_domain::*;
use sqlx::any::AnyRow;
use std::collections::HashSet;

/// Rows per `IN (…)` list, well under SQLite's bound-parameter limit.
const CHUNK: usize = 500;

fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn limit(n: u32) -> i64 {
    i64::from(n.clamp(1, 1_000))
}

impl SqlStore {
    async fn fetch_all(&self, sql: &'static str, binds: &[&str]) -> StoreResult<Vec<AnyRow>> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn fetch_optional(
        &self,
        sql: &'static str,
        binds: &[&str],
    ) -> StoreResult<Option<AnyRow>> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        Ok(q.fetch_optional(&self.pool).await?)
    }

    /// Which of `keys` already exist in `column` of `table` for the shop.
    async fn existing_keys(
        &self,
        table: &str,
        column: &str,
        shop: ShopId,
        keys: &[String],
    ) -> StoreResult<HashSet<String>> {
        let select = format!("{column} AS k");
        let found = self
            .rows_where_in(&select, table, column, shop, keys, |r| rows::get(r, "k"))
            .await?;
        Ok(found.into_iter().collect())
    }

    /// `select` of the shop's rows of `table` whose `column` is one of `keys`, mapped by `map`.
    async fn rows_where_in<T>(
        &self,
        select: &str,
        table: &str,
        column: &str,
        shop: ShopId,
        keys: &[String],
        map: fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT {select} FROM {table} WHERE shop_id = $1 AND {column} IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(shop.to_string());
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(map(&row)?);
            }
        }
        Ok(out)
    }

    async fn count(&self, table: &str, shop: ShopId) -> StoreResult<u64> {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE shop_id = $1");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn counts(total: usize, existing: usize) -> ImportCounts {
    ImportCounts {
        inserted: (total - existing) as u64,
        updated: existing as u64,
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn create_shop(&self, r: &ShopRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shops (id, slug, name, webhook_secret, widget_secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.shop.id.to_string())
        .bind(&r.shop.slug)
        .bind(&r.shop.name)
        .bind(&r.webhook_secret)
        .bind(&r.widget_secret)
        .bind(r.shop.created_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(on_unique("shop slug"))?;
        Ok(())
    }

    async fn shop_by_slug(&self, slug: &str) -> StoreResult<Option<ShopRecord>> {
        self.fetch_optional("SELECT * FROM shops WHERE slug = $1", &[slug])
            .await?
            .as_ref()
            .map(rows::shop_record)
            .transpose()
    }

    async fn shop(&self, id: ShopId) -> StoreResult<Option<ShopRecord>> {
        self.fetch_optional("SELECT * FROM shops WHERE id = $1", &[&id.to_string()])
            .await?
            .as_ref()
            .map(rows::shop_record)
            .transpose()
    }

    async fn list_shops(&self) -> StoreResult<Vec<Shop>> {
        self.fetch_all("SELECT * FROM shops ORDER BY created_at", &[])
            .await?
            .iter()
            .map(rows::shop)
            .collect()
    }

    async fn upsert_agent(&self, a: &Agent, password_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO agents (id, shop_id, username, display_name, role, tier, skill_groups, \
             max_concurrent, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (shop_id, username) DO UPDATE SET display_name = excluded.display_name, \
             role = excluded.role, tier = excluded.tier, skill_groups = excluded.skill_groups, \
             max_concurrent = excluded.max_concurrent, password_hash = excluded.password_hash",
        )
        .bind(a.id.to_string())
        .bind(a.shop.to_string())
        .bind(&a.username)
        .bind(&a.display_name)
        .bind(a.role.as_str())
        .bind(a.tier.as_str())
        .bind(to_json(&a.skill_groups))
        .bind(i64::from(a.max_concurrent))
        .bind(password_hash)
        .bind(a.created_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(on_unique("agent"))?;
        Ok(())
    }

    async fn agent_credentials(
        &self,
        shop: ShopId,
        username: &str,
    ) -> StoreResult<Option<(Agent, String)>> {
        let row = self
            .fetch_optional(
                "SELECT * FROM agents WHERE shop_id = $1 AND username = $2",
                &[&shop.to_string(), username],
            )
            .await?;
        row.map(|r| Ok((rows::agent(&r)?, rows::get(&r, "password_hash")?)))
            .transpose()
    }

    async fn agent(&self, shop: ShopId, id: AgentId) -> StoreResult<Option<Agent>> {
        self.fetch_optional(
            "SELECT * FROM agents WHERE shop_id = $1 AND id = $2",
            &[&shop.to_string(), &id.to_string()],
        )
        .await?
        .as_ref()
        .map(rows::agent)
        .transpose()
    }

    async fn list_agents(&self, shop: ShopId) -> StoreResult<Vec<Agent>> {
        self.fetch_all(
            "SELECT * FROM agents WHERE shop_id = $1 ORDER BY created_at, username",
            &[&shop.to_string()],
        )
        .await?
        .iter()
        .map(rows::agent)
        .collect()
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, shop_id, agent_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.token_hash)
        .bind(s.shop.to_string())
        .bind(s.agent.to_string())
        .bind(s.created_at.as_millis())
        .bind(s.expires_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(on_unique("session"))?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        self.fetch_optional(
            "SELECT * FROM sessions WHERE token_hash = $1",
            &[token_hash],
        )
        .await?
        .as_ref()
        .map(rows::session)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn upsert_customers(&self, shop: ShopId, rows: &[Customer]) -> StoreResult<ImportCounts> {
        let keys: Vec<String> = rows.iter().map(|c| c.external_id.clone()).collect();
        let existing = self
            .existing_keys("customers", "external_id", shop, &keys)
            .await?;
        let mut tx = super::begin_write(&self.pool).await?;
        for c in rows {
            sqlx::query(
                "INSERT INTO customers (id, shop_id, external_id, nickname, phone, city, vip_level, tags, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (shop_id, external_id) DO UPDATE SET nickname = excluded.nickname, \
                 phone = excluded.phone, city = excluded.city, vip_level = excluded.vip_level, tags = excluded.tags",
            )
            .bind(c.id.to_string())
            .bind(shop.to_string())
            .bind(&c.external_id)
            .bind(&c.nickname)
            .bind(c.phone.clone())
            .bind(c.city.clone())
            .bind(i64::from(c.vip_level))
            .bind(to_json(&c.tags))
            .bind(c.created_at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(on_unique("customer id"))?;
        }
        tx.commit().await?;
        Ok(counts(rows.len(), existing.len()))
    }

    async fn upsert_products(&self, shop: ShopId, rows: &[Product]) -> StoreResult<ImportCounts> {
        let keys: Vec<String> = rows.iter().map(|p| p.sku.clone()).collect();
        let existing = self.existing_keys("products", "sku", shop, &keys).await?;
        let mut tx = super::begin_write(&self.pool).await?;
        for p in rows {
            sqlx::query(
                "INSERT INTO products (id, shop_id, sku, name, category, price_fen, attributes, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (shop_id, sku) DO UPDATE SET name = excluded.name, category = excluded.category, \
                 price_fen = excluded.price_fen, attributes = excluded.attributes",
            )
            .bind(p.id.to_string())
            .bind(shop.to_string())
            .bind(&p.sku)
            .bind(&p.name)
            .bind(&p.category)
            .bind(p.price_fen)
            .bind(to_json(&p.attributes))
            .bind(p.created_at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(on_unique("product id"))?;
        }
        tx.commit().await?;
        Ok(counts(rows.len(), existing.len()))
    }

    async fn upsert_orders(&self, shop: ShopId, rows: &[Order]) -> StoreResult<ImportCounts> {
        let customer_ids: Vec<String> = rows
            .iter()
            .map(|o| o.customer.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let known = self
            .existing_keys("customers", "id", shop, &customer_ids)
            .await?;
        if let Some(missing) = customer_ids.iter().find(|id| !known.contains(*id)) {
            return Err(StoreError::MissingReference(format!(
                "customer {missing} does not exist in this shop"
            )));
        }
        let keys: Vec<String> = rows.iter().map(|o| o.order_no.clone()).collect();
        let existing = self
            .existing_keys("orders", "order_no", shop, &keys)
            .await?;
        let mut tx = super::begin_write(&self.pool).await?;
        for o in rows {
            let ms = |t: Option<Timestamp>| t.map(Timestamp::as_millis);
            sqlx::query(
                "INSERT INTO orders (id, shop_id, order_no, customer_id, status, items, total_fen, created_at, \
                 paid_at, shipped_at, received_at, refunded_at, tracking_no) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (shop_id, order_no) DO UPDATE SET customer_id = excluded.customer_id, \
                 status = excluded.status, items = excluded.items, total_fen = excluded.total_fen, \
                 created_at = excluded.created_at, paid_at = excluded.paid_at, shipped_at = excluded.shipped_at, \
                 received_at = excluded.received_at, refunded_at = excluded.refunded_at, tracking_no = excluded.tracking_no",
            )
            .bind(o.id.to_string())
            .bind(shop.to_string())
            .bind(&o.order_no)
            .bind(o.customer.to_string())
            .bind(o.status.as_str())
            .bind(to_json(&o.items))
            .bind(o.total_fen)
            .bind(o.created_at.as_millis())
            .bind(ms(o.paid_at))
            .bind(ms(o.shipped_at))
            .bind(ms(o.received_at))
            .bind(ms(o.refunded_at))
            .bind(o.tracking_no.clone())
            .execute(&mut *tx)
            .await
            .map_err(on_unique("order id"))?;
        }
        tx.commit().await?;
        Ok(counts(rows.len(), existing.len()))
    }

    async fn customer(&self, shop: ShopId, id: CustomerId) -> StoreResult<Option<Customer>> {
        self.fetch_optional(
            "SELECT * FROM customers WHERE shop_id = $1 AND id = $2",
            &[&shop.to_string(), &id.to_string()],
        )
        .await?
        .as_ref()
        .map(rows::customer)
        .transpose()
    }

    async fn customers_by_external_ids(
        &self,
        shop: ShopId,
        external_ids: &[String],
    ) -> StoreResult<Vec<Customer>> {
        self.rows_where_in(
            "*",
            "customers",
            "external_id",
            shop,
            external_ids,
            rows::customer,
        )
        .await
    }

    async fn customers_by_ids(
        &self,
        shop: ShopId,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<Customer>> {
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.rows_where_in("*", "customers", "id", shop, &keys, rows::customer)
            .await
    }

    async fn products_by_skus(&self, shop: ShopId, skus: &[String]) -> StoreResult<Vec<Product>> {
        self.rows_where_in("*", "products", "sku", shop, skus, rows::product)
            .await
    }

    async fn products(&self, shop: ShopId, limit: u32) -> StoreResult<Vec<Product>> {
        sqlx::query("SELECT * FROM products WHERE shop_id = $1 ORDER BY sku LIMIT $2")
            .bind(shop.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::product)
            .collect()
    }

    async fn ensure_customer(&self, new: &Customer) -> StoreResult<Customer> {
        const FIND: &str = "SELECT * FROM customers WHERE shop_id = $1 AND external_id = $2";
        let shop = new.shop.to_string();
        // Most messages come from shoppers already known: read first, so the common case is
        // not a write competing with the event-log writer.
        if let Some(row) = self
            .fetch_optional(FIND, &[&shop, &new.external_id])
            .await?
        {
            return rows::customer(&row);
        }
        sqlx::query(
            "INSERT INTO customers (id, shop_id, external_id, nickname, phone, city, vip_level, tags, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (shop_id, external_id) DO NOTHING",
        )
        .bind(new.id.to_string())
        .bind(&shop)
        .bind(&new.external_id)
        .bind(&new.nickname)
        .bind(new.phone.clone())
        .bind(new.city.clone())
        .bind(i64::from(new.vip_level))
        .bind(to_json(&new.tags))
        .bind(new.created_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(on_unique("customer id"))?;
        let row = self
            .fetch_optional(FIND, &[&shop, &new.external_id])
            .await?
            .ok_or_else(|| StoreError::corrupt("customer vanished after insert"))?;
        rows::customer(&row)
    }

    async fn customer_orders(
        &self,
        shop: ShopId,
        customer: CustomerId,
        n: u32,
    ) -> StoreResult<Vec<Order>> {
        sqlx::query(
            "SELECT * FROM orders WHERE shop_id = $1 AND customer_id = $2 \
             ORDER BY created_at DESC LIMIT $3",
        )
        .bind(shop.to_string())
        .bind(customer.to_string())
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::order)
        .collect()
    }

    async fn customer_order_stats(
        &self,
        shop: ShopId,
        customer: CustomerId,
    ) -> StoreResult<OrderStats> {
        let rows = self
            .fetch_all(
                "SELECT status, total_fen FROM orders WHERE shop_id = $1 AND customer_id = $2",
                &[&shop.to_string(), &customer.to_string()],
            )
            .await?;
        let mut stats = OrderStats::default();
        for row in &rows {
            stats.order_count += 1;
            let status: String = rows::get(row, "status")?;
            let spent = matches!(
                OrderStatus::parse(&status),
                Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Received)
            );
            if spent {
                stats.total_spent_fen += rows::get::<i64>(row, "total_fen")?;
            }
        }
        Ok(stats)
    }

    async fn counts(&self, shop: ShopId) -> StoreResult<ShopCounts> {
        Ok(ShopCounts {
            agents: self.count("agents", shop).await?,
            customers: self.count("customers", shop).await?,
            products: self.count("products", shop).await?,
            orders: self.count("orders", shop).await?,
            conversations: self.count("conversations", shop).await?,
            messages: self.count("messages", shop).await?,
            events: self.count("events", shop).await?,
        })
    }

    async fn append(&self, batch: AppendBatch) -> StoreResult<Appended> {
        writer::submit(&self.writer, batch).await
    }

    async fn conversation(
        &self,
        shop: ShopId,
        id: ConversationId,
    ) -> StoreResult<Option<Conversation>> {
        self.fetch_optional(
            "SELECT * FROM conversations WHERE shop_id = $1 AND id = $2",
            &[&shop.to_string(), &id.to_string()],
        )
        .await?
        .as_ref()
        .map(rows::conversation)
        .transpose()
    }

    async fn open_conversation_of(
        &self,
        shop: ShopId,
        customer: CustomerId,
    ) -> StoreResult<Option<Conversation>> {
        self.fetch_optional(
            "SELECT * FROM conversations WHERE shop_id = $1 AND customer_id = $2 AND state <> 'closed'",
            &[&shop.to_string(), &customer.to_string()],
        )
        .await?
        .as_ref()
        .map(rows::conversation)
        .transpose()
    }

    async fn list_conversations(
        &self,
        shop: ShopId,
        filter: ConversationFilter,
        n: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let sql = match filter {
            ConversationFilter::Open => {
                "SELECT * FROM conversations WHERE shop_id = $1 AND state <> 'closed' \
                 ORDER BY updated_at DESC LIMIT $2"
            }
            ConversationFilter::Closed => {
                "SELECT * FROM conversations WHERE shop_id = $1 AND state = 'closed' \
                 ORDER BY updated_at DESC LIMIT $2"
            }
            ConversationFilter::All => {
                "SELECT * FROM conversations WHERE shop_id = $1 ORDER BY updated_at DESC LIMIT $2"
            }
        };
        sqlx::query(sql)
            .bind(shop.to_string())
            .bind(limit(n))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::conversation)
            .collect()
    }

    async fn messages(
        &self,
        shop: ShopId,
        conversation: ConversationId,
        n: u32,
    ) -> StoreResult<Vec<Message>> {
        let mut out = sqlx::query(
            "SELECT * FROM messages WHERE shop_id = $1 AND conversation_id = $2 \
             ORDER BY event_seq DESC LIMIT $3",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::message)
        .collect::<StoreResult<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    async fn message_analyses(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<MessageAnalysis>> {
        sqlx::query(
            "SELECT * FROM message_analyses WHERE shop_id = $1 AND conversation_id = $2 \
             ORDER BY at, message_id",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rows::message_analysis)
        .collect()
    }

    async fn latest_conversation_of(
        &self,
        shop: ShopId,
        customer: CustomerId,
    ) -> StoreResult<Option<Conversation>> {
        self.fetch_optional(
            "SELECT * FROM conversations WHERE shop_id = $1 AND customer_id = $2 \
             ORDER BY created_at DESC LIMIT 1",
            &[&shop.to_string(), &customer.to_string()],
        )
        .await?
        .as_ref()
        .map(rows::conversation)
        .transpose()
    }

    async fn idempotent_response(
        &self,
        shop: ShopId,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let row = self
            .fetch_optional(
                "SELECT * FROM idempotency_keys WHERE shop_id = $1 AND idem_key = $2",
                &[&shop.to_string(), key],
            )
            .await?;
        row.map(|r| {
            let status: i64 = rows::get(&r, "status")?;
            Ok(IdempotencyRecord {
                key: rows::get(&r, "idem_key")?,
                request_hash: rows::get(&r, "request_hash")?,
                status: u16::try_from(status)
                    .map_err(|_| StoreError::corrupt(format!("status {status}")))?,
                response: rows::get(&r, "response")?,
                created_at: Timestamp::from_millis(rows::get(&r, "created_at")?),
            })
        })
        .transpose()
    }

    async fn events(&self, shop: ShopId, after_seq: i64, n: u32) -> StoreResult<Vec<LoggedEvent>> {
        sqlx::query(
            "SELECT seq, id, shop_id, payload, at FROM events WHERE shop_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(shop.to_string())
        .bind(after_seq)
        .bind(limit(n))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(LoggedEvent {
                seq: rows::get(r, "seq")?,
                envelope: Envelope {
                    id: rows::id(r, "id")?,
                    shop: rows::id(r, "shop_id")?,
                    at: Timestamp::from_millis(rows::get(r, "at")?),
                    event: rows::json(r, "payload")?,
                },
            })
        })
        .collect()
    }

    async fn knowledge_entries(&self, shop: ShopId) -> StoreResult<Vec<KnowledgeEntry>> {
        self.kb_entries(shop).await
    }

    async fn knowledge_entry(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
    ) -> StoreResult<Option<KnowledgeEntry>> {
        self.kb_entry(shop, id).await
    }

    async fn insert_knowledge_entry(&self, entry: &KnowledgeEntry) -> StoreResult<()> {
        self.kb_insert(entry).await
    }

    async fn update_knowledge_entry(
        &self,
        entry: &KnowledgeEntry,
        expected_version: i64,
    ) -> StoreResult<()> {
        self.kb_update(entry, expected_version).await
    }

    async fn delete_knowledge_entry(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
    ) -> StoreResult<bool> {
        self.kb_delete(shop, id).await
    }

    async fn import_knowledge(
        &self,
        shop: ShopId,
        entries: &[KnowledgeEntry],
    ) -> StoreResult<ImportCounts> {
        self.kb_import(shop, entries).await
    }

    async fn add_knowledge_stats(
        &self,
        shop: ShopId,
        id: KnowledgeEntryId,
        delta: KnowledgeStats,
    ) -> StoreResult<()> {
        self.kb_add_stats(shop, id, delta).await
    }

    async fn shop_setting(&self, shop: ShopId, section: &str) -> StoreResult<Option<String>> {
        self.setting(shop, section).await
    }

    async fn put_shop_setting(
        &self,
        shop: ShopId,
        section: &str,
        body: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.put_setting(shop, section, body, at).await
    }

    async fn bot_turns(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<BotTurnRecord>> {
        self.turns_of(shop, conversation).await
    }

    async fn bot_turn_by_reply(
        &self,
        shop: ShopId,
        reply: MessageId,
    ) -> StoreResult<Option<BotTurnRecord>> {
        self.turn_by_reply(shop, reply).await
    }

    async fn unanswered_questions(
        &self,
        shop: ShopId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<BotTurnRecord>> {
        self.unanswered(shop, since, limit).await
    }

    async fn knowledge_proposals(
        &self,
        shop: ShopId,
        status: Option<ProposalStatus>,
    ) -> StoreResult<Vec<KnowledgeProposal>> {
        self.proposals(shop, status).await
    }

    async fn knowledge_proposal(
        &self,
        shop: ShopId,
        id: ProposalId,
    ) -> StoreResult<Option<KnowledgeProposal>> {
        self.proposal_by_id(shop, id).await
    }

    async fn replace_open_proposals(
        &self,
        shop: ShopId,
        proposals: &[KnowledgeProposal],
    ) -> StoreResult<()> {
        self.replace_open(shop, proposals).await
    }

    async fn decide_proposal(
        &self,
        shop: ShopId,
        id: ProposalId,
        status: ProposalStatus,
        entry: Option<KnowledgeEntryId>,
        at: Timestamp,
    ) -> StoreResult<bool> {
        self.decide(shop, id, status, entry, at).await
    }

    async fn agent_presence(&self, shop: ShopId) -> StoreResult<Vec<AgentPresence>> {
        self.agent_presence_of(shop).await
    }

    async fn set_agent_status(
        &self,
        shop: ShopId,
        agent: AgentId,
        status: AgentStatus,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.put_agent_presence(shop, agent, status, at).await
    }

    async fn open_conversations(&self, shop: ShopId) -> StoreResult<Vec<Conversation>> {
        self.all_open_conversations(shop).await
    }

    async fn conversation_events(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<Envelope>> {
        self.events_of_conversation(shop, conversation).await
    }

    async fn events_of_kinds(
        &self,
        shop: ShopId,
        kinds: &[&str],
        since: Timestamp,
        n: u32,
    ) -> StoreResult<Vec<Envelope>> {
        self.events_by_kind(shop, kinds, since, i64::from(n.clamp(1, 100_000)))
            .await
    }

    async fn rebuild_projections(&self, shop: ShopId) -> StoreResult<u64> {
        let mut log = Vec::new();
        let mut after = 0;
        loop {
            let page = self.events(shop, after, 1_000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            log.extend(page);
        }
        let conversations = replay(log.iter().map(|e| &e.envelope))
            .map_err(|(event, e)| StoreError::corrupt(format!("event {event}: {e}")))?;
        let shop_id = shop.to_string();
        let mut tx = super::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM bot_turns WHERE shop_id = $1")
            .bind(&shop_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM messages WHERE shop_id = $1")
            .bind(&shop_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM conversations WHERE shop_id = $1")
            .bind(&shop_id)
            .execute(&mut *tx)
            .await?;
        for c in conversations.values() {
            writer::write_conversation(&mut tx, &shop_id, c, None).await?;
        }
        let messages: Vec<(&str, &Envelope, i64)> = log
            .iter()
            .filter(|e| matches!(e.envelope.event, Event::MessagePosted { .. }))
            .map(|e| (shop_id.as_str(), &e.envelope, e.seq))
            .collect();
        writer::insert_messages(&mut tx, &messages).await?;
        let bot: Vec<(&str, &Envelope, i64)> = log
            .iter()
            .filter(|e| {
                matches!(
                    e.envelope.event,
                    Event::BotDecided { .. } | Event::BotRated { .. }
                )
            })
            .map(|e| (shop_id.as_str(), &e.envelope, e.seq))
            .collect();
        writer::project_bot_events(&mut tx, &bot, false).await?;
        tx.commit().await?;
        Ok(conversations.len() as u64)
    }

    // --- tickets (sql/tickets.rs) ---------------------------------------------------------------
    async fn create_ticket(
        &self,
        ticket: &ticket::Ticket,
        change: &ticket::TicketChange,
    ) -> StoreResult<ticket::Ticket> {
        self.ticket_create(ticket, change).await
    }

    async fn update_ticket(
        &self,
        ticket: &ticket::Ticket,
        expected_version: i64,
        change: &ticket::TicketChange,
    ) -> StoreResult<()> {
        self.ticket_update(ticket, expected_version, change).await
    }

    async fn ticket(&self, shop: ShopId, id: TicketId) -> StoreResult<Option<ticket::Ticket>> {
        self.ticket_by_id(shop, id).await
    }

    async fn ticket_changes(
        &self,
        shop: ShopId,
        id: TicketId,
    ) -> StoreResult<Vec<ticket::TicketChange>> {
        self.ticket_history(shop, id).await
    }

    async fn list_tickets(
        &self,
        shop: ShopId,
        filter: &TicketFilter,
        n: u32,
    ) -> StoreResult<Vec<ticket::Ticket>> {
        self.ticket_list(shop, filter, limit(n)).await
    }

    async fn first_ticket_for_order(
        &self,
        shop: ShopId,
        order_no: &str,
    ) -> StoreResult<Option<ticket::Ticket>> {
        self.ticket_for_order(shop, order_no).await
    }

    async fn first_agents(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<FirstAgents> {
        self.conversation_first_agents(shop, conversation).await
    }

    async fn tickets_due(&self, shop: ShopId, until: Timestamp) -> StoreResult<Vec<DueTicket>> {
        self.ticket_due(shop, until).await
    }

    async fn record_ticket_reminder(
        &self,
        shop: ShopId,
        change: &ticket::TicketChange,
    ) -> StoreResult<bool> {
        self.ticket_remind(shop, change).await
    }

    async fn open_alert(
        &self,
        shop: ShopId,
        kind: alert::AlertKind,
        subject: &str,
    ) -> StoreResult<Option<alert::Alert>> {
        self.alert_open(shop, kind, subject).await
    }

    async fn insert_alert(
        &self,
        alert: &alert::Alert,
        change: &alert::AlertChange,
    ) -> StoreResult<()> {
        self.alert_insert(alert, change).await
    }

    async fn update_alert(
        &self,
        alert: &alert::Alert,
        expected_version: i64,
        changes: &[alert::AlertChange],
    ) -> StoreResult<()> {
        self.alert_update(alert, expected_version, changes).await
    }

    async fn record_alert_change(
        &self,
        shop: ShopId,
        change: &alert::AlertChange,
    ) -> StoreResult<()> {
        self.alert_change_record(shop, change).await
    }

    async fn alert(&self, shop: ShopId, id: AlertId) -> StoreResult<Option<alert::Alert>> {
        self.alert_by_id(shop, id).await
    }

    async fn alert_changes(
        &self,
        shop: ShopId,
        id: AlertId,
    ) -> StoreResult<Vec<alert::AlertChange>> {
        self.alert_history(shop, id).await
    }

    async fn list_alerts(
        &self,
        shop: ShopId,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<alert::Alert>> {
        self.alert_list(shop, open_only, limit).await
    }

    async fn add_tally(
        &self,
        shop: ShopId,
        metric: &str,
        hour: Timestamp,
        by: i64,
    ) -> StoreResult<i64> {
        self.tally_add(shop, metric, hour, by).await
    }

    async fn tallies(
        &self,
        shop: ShopId,
        metric: &str,
        hours: &[Timestamp],
    ) -> StoreResult<Vec<i64>> {
        self.tally_read(shop, metric, hours).await
    }

    async fn put_qa_score(&self, score: &QaScoreRecord, expected: Option<i64>) -> StoreResult<()> {
        self.qa_put_score(score, expected).await
    }

    async fn qa_score(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Option<QaScoreRecord>> {
        self.qa_score_of(shop, conversation).await
    }

    async fn qa_scores(
        &self,
        shop: ShopId,
        filter: &QaScoreFilter,
        n: u32,
    ) -> StoreResult<Vec<QaScoreRecord>> {
        self.qa_score_list(shop, filter, limit(n)).await
    }

    async fn qa_agent_averages(
        &self,
        shop: ShopId,
        filter: &QaScoreFilter,
    ) -> StoreResult<Vec<QaAgentAverage>> {
        self.qa_averages(shop, filter).await
    }

    async fn latest_qa_score_of_customer(
        &self,
        shop: ShopId,
        customer: CustomerId,
        since: Timestamp,
    ) -> StoreResult<Option<QaScoreRecord>> {
        self.qa_latest_of_customer(shop, customer, since).await
    }

    async fn add_qa_review(&self, change: QaOverride<'_>) -> StoreResult<()> {
        self.qa_add_review(change).await
    }

    async fn qa_reviews(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<QaReview>> {
        self.qa_review_list(shop, conversation).await
    }

    async fn insert_qa_appeal(&self, appeal: &QaAppeal) -> StoreResult<()> {
        self.qa_insert_appeal(appeal).await
    }

    async fn qa_appeal(&self, shop: ShopId, id: QaAppealId) -> StoreResult<Option<QaAppeal>> {
        self.qa_appeal_by_id(shop, id).await
    }

    async fn qa_appeal_of(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<Option<QaAppeal>> {
        self.qa_appeal_by_conversation(shop, conversation).await
    }

    async fn qa_appeals(
        &self,
        shop: ShopId,
        status: Option<QaAppealStatus>,
        n: u32,
    ) -> StoreResult<Vec<QaAppeal>> {
        self.qa_appeal_list(shop, status, limit(n)).await
    }

    async fn decide_qa_appeal(
        &self,
        decided: &QaAppeal,
        change: Option<QaOverride<'_>>,
    ) -> StoreResult<bool> {
        self.qa_decide_appeal(decided, change).await
    }

    async fn open_tickets_of_conversation(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<u64> {
        self.qa_open_tickets(shop, conversation).await
    }
}
