//! Tickets (工单) and their history in SQL (the [`Store`](crate::Store) methods delegate here).
//! A ticket and the entry recording its change are always written in one transaction.

use super::SqlStore;
use super::rows::{self, to_json};
use crate::error::on_unique;
use crate::{DueTicket, FirstAgents, StoreError, StoreResult, TicketFilter, TicketStatusFilter};
use kefu_domain::ticket::{
    Change, Department, ReminderKind, Ticket, TicketChange, TicketKind, TicketStatus,
};
use kefu_domain::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

const COLUMNS: &str = "id, shop_id, number, conversation_id, customer_id, order_no, kind, title, \
     description, owner_id, department, status, due_at, repeat_of, reopen_count, created_at, \
     updated_at, closed_at, version";

/// The number is the shop's highest plus one, computed by the insert itself; two concurrent
/// inserts on PostgreSQL may compute the same one, and the loser retries.
const INSERT: &str = "INSERT INTO tickets (id, shop_id, conversation_id, customer_id, order_no, kind, \
     title, description, owner_id, department, status, due_at, repeat_of, reopen_count, created_at, \
     updated_at, closed_at, version, number) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     COALESCE(MAX(number), 0) + 1 FROM tickets WHERE shop_id = $19 RETURNING number";

const UPDATE: &str = "UPDATE tickets SET order_no = $3, kind = $4, title = $5, description = $6, \
     owner_id = $7, department = $8, status = $9, due_at = $10, reopen_count = $11, updated_at = $12, \
     closed_at = $13, version = $14 WHERE shop_id = $1 AND id = $2 AND version = $15";

const INSERT_CHANGE: &str = "INSERT INTO ticket_changes (shop_id, ticket_id, at, by_agent, change, data, \
     detail, reminder, reminder_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Attempts at a new ticket's number before giving up.
const NUMBER_ATTEMPTS: usize = 5;
/// The most tickets one reminder round looks at per shop.
const DUE_BATCH: i64 = 500;
const ACTIVE: &str = "status IN ('open', 'in_progress')";

fn opt_named<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<Option<T>> {
    let s: Option<String> = rows::get(row, col)?;
    s.map(|s| parse(&s).ok_or_else(|| StoreError::corrupt(format!("{col}: unknown value {s}"))))
        .transpose()
}

fn ticket(row: &AnyRow) -> StoreResult<Ticket> {
    let reopen: i64 = rows::get(row, "reopen_count")?;
    Ok(Ticket {
        id: rows::id(row, "id")?,
        shop: rows::id(row, "shop_id")?,
        number: rows::get(row, "number")?,
        conversation: rows::opt_id(row, "conversation_id")?,
        customer: rows::id(row, "customer_id")?,
        order_no: rows::get(row, "order_no")?,
        kind: rows::named(row, "kind", TicketKind::parse)?,
        title: rows::get(row, "title")?,
        description: rows::get(row, "description")?,
        owner: rows::id(row, "owner_id")?,
        department: opt_named(row, "department", Department::parse)?,
        status: rows::named(row, "status", TicketStatus::parse)?,
        due_at: rows::opt_ts(row, "due_at")?,
        repeat_of: rows::opt_id(row, "repeat_of")?,
        reopen_count: u32::try_from(reopen)
            .map_err(|_| StoreError::corrupt(format!("reopen_count: out of range {reopen}")))?,
        created_at: rows::ts(row, "created_at")?,
        updated_at: rows::ts(row, "updated_at")?,
        closed_at: rows::opt_ts(row, "closed_at")?,
        version: rows::get(row, "version")?,
    })
}

fn change(row: &AnyRow) -> StoreResult<TicketChange> {
    Ok(TicketChange {
        ticket: rows::id(row, "ticket_id")?,
        at: rows::ts(row, "at")?,
        by: rows::opt_id(row, "by_agent")?,
        change: rows::json(row, "data")?,
        detail: rows::get(row, "detail")?,
    })
}

async fn insert_change(
    tx: &mut Transaction<'_, Any>,
    shop: ShopId,
    c: &TicketChange,
) -> StoreResult<u64> {
    let (reminder, due) = match &c.change {
        Change::Reminded { reminder, due_at } => {
            (Some(reminder.as_str()), Some(due_at.as_millis()))
        }
        _ => (None, None),
    };
    let done = sqlx::query(INSERT_CHANGE)
        .bind(shop.to_string())
        .bind(c.ticket.to_string())
        .bind(c.at.as_millis())
        .bind(c.by.map(|a| a.to_string()))
        .bind(c.change.kind())
        .bind(to_json(&c.change))
        .bind(c.detail.clone())
        .bind(reminder)
        .bind(due)
        .execute(&mut **tx)
        .await
        .map_err(on_unique("ticket reminder"))?;
    Ok(done.rows_affected())
}

fn check_change(ticket: &Ticket, c: &TicketChange) -> StoreResult<()> {
    if c.ticket != ticket.id {
        return Err(StoreError::MissingReference(format!(
            "the change is about ticket {}, not {}",
            c.ticket, ticket.id
        )));
    }
    Ok(())
}

/// Binds `value` as the next text parameter; its placeholder.
fn placeholder(texts: &mut Vec<String>, value: String) -> String {
    texts.push(value);
    format!("${}", texts.len())
}

impl SqlStore {
    pub(super) async fn ticket_create(&self, t: &Ticket, c: &TicketChange) -> StoreResult<Ticket> {
        check_change(t, c)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_create(t, c).await {
                Err(StoreError::Duplicate(what))
                    if what == "ticket number" && attempt < NUMBER_ATTEMPTS =>
                {
                    continue;
                }
                other => return other,
            }
        }
    }

    async fn try_create(&self, t: &Ticket, c: &TicketChange) -> StoreResult<Ticket> {
        let mut tx = super::begin_write(&self.pool).await?;
        let number: i64 = sqlx::query_scalar(INSERT)
            .bind(t.id.to_string())
            .bind(t.shop.to_string())
            .bind(t.conversation.map(|id| id.to_string()))
            .bind(t.customer.to_string())
            .bind(t.order_no.clone())
            .bind(t.kind.as_str())
            .bind(t.title.clone())
            .bind(t.description.clone())
            .bind(t.owner.to_string())
            .bind(t.department.map(Department::as_str))
            .bind(t.status.as_str())
            .bind(t.due_at.map(Timestamp::as_millis))
            .bind(t.repeat_of.map(|id| id.to_string()))
            .bind(i64::from(t.reopen_count))
            .bind(t.created_at.as_millis())
            .bind(t.updated_at.as_millis())
            .bind(t.closed_at.map(Timestamp::as_millis))
            .bind(t.version)
            .bind(t.shop.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    // The id is a fresh UUIDv7, so a clash is on (shop, number).
                    StoreError::Duplicate("ticket number".to_owned())
                }
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::MissingReference(
                        "the ticket's customer, owner or earlier ticket does not exist".to_owned(),
                    )
                }
                _ => StoreError::Database(e),
            })?;
        insert_change(&mut tx, t.shop, c).await?;
        tx.commit().await?;
        Ok(Ticket {
            number,
            ..t.clone()
        })
    }

    pub(super) async fn ticket_update(
        &self,
        t: &Ticket,
        expected: i64,
        c: &TicketChange,
    ) -> StoreResult<()> {
        check_change(t, c)?;
        let mut tx = super::begin_write(&self.pool).await?;
        let done = sqlx::query(UPDATE)
            .bind(t.shop.to_string())
            .bind(t.id.to_string())
            .bind(t.order_no.clone())
            .bind(t.kind.as_str())
            .bind(t.title.clone())
            .bind(t.description.clone())
            .bind(t.owner.to_string())
            .bind(t.department.map(Department::as_str))
            .bind(t.status.as_str())
            .bind(t.due_at.map(Timestamp::as_millis))
            .bind(i64::from(t.reopen_count))
            .bind(t.updated_at.as_millis())
            .bind(t.closed_at.map(Timestamp::as_millis))
            .bind(t.version)
            .bind(expected)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::MissingReference("the new owner does not exist".to_owned())
                }
                _ => StoreError::Database(e),
            })?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!("ticket {}", t.id)));
        }
        insert_change(&mut tx, t.shop, c).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn ticket_by_id(
        &self,
        shop: ShopId,
        id: TicketId,
    ) -> StoreResult<Option<Ticket>> {
        let sql = format!("SELECT {COLUMNS} FROM tickets WHERE shop_id = $1 AND id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(ticket)
            .transpose()
    }

    pub(super) async fn ticket_history(
        &self,
        shop: ShopId,
        id: TicketId,
    ) -> StoreResult<Vec<TicketChange>> {
        sqlx::query(
            "SELECT ticket_id, at, by_agent, data, detail FROM ticket_changes \
             WHERE shop_id = $1 AND ticket_id = $2 ORDER BY seq",
        )
        .bind(shop.to_string())
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(change)
        .collect()
    }

    pub(super) async fn ticket_list(
        &self,
        shop: ShopId,
        f: &TicketFilter,
        limit: i64,
    ) -> StoreResult<Vec<Ticket>> {
        // Every value is bound; only the fixed conditions are spliced in.
        let mut conditions = vec!["shop_id = $1".to_owned()];
        let mut texts: Vec<String> = vec![shop.to_string()];
        match f.status {
            None => conditions.push("status <> 'closed'".to_owned()),
            Some(TicketStatusFilter::All) => {}
            Some(TicketStatusFilter::Only(s)) => {
                let p = placeholder(&mut texts, s.as_str().to_owned());
                conditions.push(format!("status = {p}"));
            }
        }
        if let Some(d) = f.department {
            let p = placeholder(&mut texts, d.as_str().to_owned());
            conditions.push(format!("department = {p}"));
        }
        if let Some(owner) = f.owner {
            let p = placeholder(&mut texts, owner.to_string());
            conditions.push(format!("owner_id = {p}"));
        }
        let mut ints: Vec<i64> = Vec::new();
        if let Some(at) = f.overdue_at {
            ints.push(at.as_millis());
            conditions.push(format!(
                "{ACTIVE} AND due_at IS NOT NULL AND due_at <= ${}",
                texts.len() + ints.len()
            ));
        }
        ints.push(limit);
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE {} \
             ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, number DESC LIMIT ${}",
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
        q.fetch_all(&self.pool).await?.iter().map(ticket).collect()
    }

    pub(super) async fn ticket_for_order(
        &self,
        shop: ShopId,
        order_no: &str,
    ) -> StoreResult<Option<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE shop_id = $1 AND order_no = $2 \
             ORDER BY number LIMIT 1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(order_no.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(ticket)
            .transpose()
    }

    pub(super) async fn conversation_first_agents(
        &self,
        shop: ShopId,
        conversation: ConversationId,
    ) -> StoreResult<FirstAgents> {
        let assigned = sqlx::query(
            "SELECT payload FROM events WHERE shop_id = $1 AND conversation_id = $2 \
             AND kind = 'assigned' ORDER BY seq LIMIT 1",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let assigned = match assigned {
            None => None,
            Some(row) => {
                // Read only the field needed, so the rule does not depend on the rest of the
                // event's shape.
                let payload: serde_json::Value = rows::json(&row, "payload")?;
                let agent = payload["agent"].as_str().ok_or_else(|| {
                    StoreError::corrupt("payload: an assigned event without an agent")
                })?;
                Some(agent.parse::<AgentId>().map_err(|_| {
                    StoreError::corrupt(format!("payload: not an agent id: {agent}"))
                })?)
            }
        };
        let replied = sqlx::query(
            "SELECT agent_id FROM messages WHERE shop_id = $1 AND conversation_id = $2 \
             AND agent_id IS NOT NULL ORDER BY event_seq LIMIT 1",
        )
        .bind(shop.to_string())
        .bind(conversation.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(|r| rows::id(r, "agent_id"))
        .transpose()?;
        Ok(FirstAgents { assigned, replied })
    }

    pub(super) async fn ticket_due(
        &self,
        shop: ShopId,
        until: Timestamp,
    ) -> StoreResult<Vec<DueTicket>> {
        // A ticket already reminded as overdue for its due time needs nothing more.
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets t WHERE shop_id = $1 AND {ACTIVE} \
             AND due_at IS NOT NULL AND due_at <= $2 AND NOT EXISTS (SELECT 1 FROM ticket_changes c \
             WHERE c.ticket_id = t.id AND c.reminder = 'overdue' AND c.reminder_due_at = t.due_at) \
             ORDER BY due_at LIMIT $3"
        );
        let tickets: Vec<Ticket> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(shop.to_string())
            .bind(until.as_millis())
            .bind(DUE_BATCH)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(ticket)
            .collect::<StoreResult<_>>()?;
        let mut out = Vec::with_capacity(tickets.len());
        for t in tickets {
            let due = t.due_at.map(Timestamp::as_millis);
            let sent = sqlx::query(
                "SELECT reminder FROM ticket_changes WHERE shop_id = $1 AND ticket_id = $2 \
                 AND reminder IS NOT NULL AND reminder_due_at = $3",
            )
            .bind(shop.to_string())
            .bind(t.id.to_string())
            .bind(due)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let kind = rows::named(r, "reminder", ReminderKind::parse)?;
                Ok((kind, t.due_at.unwrap_or_default()))
            })
            .collect::<StoreResult<_>>()?;
            out.push(DueTicket { ticket: t, sent });
        }
        Ok(out)
    }

    pub(super) async fn ticket_remind(&self, shop: ShopId, c: &TicketChange) -> StoreResult<bool> {
        if !matches!(c.change, Change::Reminded { .. }) {
            return Err(StoreError::MissingReference(
                "only reminders are recorded this way".to_owned(),
            ));
        }
        let mut tx = super::begin_write(&self.pool).await?;
        let known: Option<i64> =
            sqlx::query_scalar("SELECT version FROM tickets WHERE shop_id = $1 AND id = $2")
                .bind(shop.to_string())
                .bind(c.ticket.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(StoreError::MissingReference(format!("ticket {}", c.ticket)));
        }
        match insert_change(&mut tx, shop, c).await {
            Ok(_) => {
                tx.commit().await?;
                Ok(true)
            }
            // Recorded already (by an earlier round, or another node just now).
            Err(StoreError::Duplicate(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
