//! Supervisor alerts, their history and the hourly tallies their baselines read, in SQL (the
//! [`Store`](crate::Store) methods delegate here). An alert and the entries recording its
//! change are always written in one transaction.

use super::SqlStore;
use super::rows::{self, to_json};
use crate::{StoreError, StoreResult};
use kefu_domain::alert::{Alert, AlertChange, AlertKind, AlertState, Severity, Sink};
use kefu_domain::*;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

const INSERT: &str = "INSERT INTO alerts (id, shop_id, kind, subject, severity, state, title, detail, \
     conversation_id, agent_id, count, raised_at, last_at, delivered_at, delivered_via, \
     acknowledged_at, acknowledged_by, resolved_at, resolved_by, delivery_escalated_at, \
     resolution_escalated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
     $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)";

const UPDATE: &str = "UPDATE alerts SET severity = $3, state = $4, title = $5, detail = $6, count = $7, \
     last_at = $8, delivered_at = $9, delivered_via = $10, acknowledged_at = $11, acknowledged_by = $12, \
     resolved_at = $13, resolved_by = $14, delivery_escalated_at = $15, resolution_escalated_at = $16, \
     version = $17 WHERE shop_id = $1 AND id = $2 AND version = $18";

const INSERT_CHANGE: &str = "INSERT INTO alert_changes (shop_id, alert_id, at, by_agent, change, data, note) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

fn opt_named<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<Option<T>> {
    let s: Option<String> = rows::get(row, col)?;
    s.map(|s| parse(&s).ok_or_else(|| StoreError::corrupt(format!("{col}: unknown value {s}"))))
        .transpose()
}

fn alert(row: &AnyRow) -> StoreResult<Alert> {
    let count: i64 = rows::get(row, "count")?;
    Ok(Alert {
        id: rows::id(row, "id")?,
        shop: rows::id(row, "shop_id")?,
        kind: rows::named(row, "kind", AlertKind::parse)?,
        subject: rows::get(row, "subject")?,
        severity: rows::named(row, "severity", Severity::parse)?,
        state: rows::named(row, "state", AlertState::parse)?,
        title: rows::get(row, "title")?,
        detail: rows::get(row, "detail")?,
        conversation: rows::opt_id(row, "conversation_id")?,
        agent: rows::opt_id(row, "agent_id")?,
        count: u32::try_from(count)
            .map_err(|_| StoreError::corrupt(format!("count: out of range {count}")))?,
        raised_at: rows::ts(row, "raised_at")?,
        last_at: rows::ts(row, "last_at")?,
        delivered_at: rows::opt_ts(row, "delivered_at")?,
        delivered_via: opt_named(row, "delivered_via", Sink::parse)?,
        acknowledged_at: rows::opt_ts(row, "acknowledged_at")?,
        acknowledged_by: rows::opt_id(row, "acknowledged_by")?,
        resolved_at: rows::opt_ts(row, "resolved_at")?,
        resolved_by: rows::opt_id(row, "resolved_by")?,
        delivery_escalated_at: rows::opt_ts(row, "delivery_escalated_at")?,
        resolution_escalated_at: rows::opt_ts(row, "resolution_escalated_at")?,
        version: rows::get(row, "version")?,
    })
}

fn change(row: &AnyRow) -> StoreResult<AlertChange> {
    Ok(AlertChange {
        alert: rows::id(row, "alert_id")?,
        at: rows::ts(row, "at")?,
        by: rows::opt_id(row, "by_agent")?,
        change: rows::json(row, "data")?,
        note: rows::get(row, "note")?,
    })
}

async fn insert_changes(
    tx: &mut Transaction<'_, Any>,
    shop: ShopId,
    alert: AlertId,
    changes: &[AlertChange],
) -> StoreResult<()> {
    for c in changes {
        if c.alert != alert {
            return Err(StoreError::MissingReference(format!(
                "the change is about alert {}, not {alert}",
                c.alert
            )));
        }
        sqlx::query(INSERT_CHANGE)
            .bind(shop.to_string())
            .bind(c.alert.to_string())
            .bind(c.at.as_millis())
            .bind(c.by.map(|a| a.to_string()))
            .bind(c.change.kind())
            .bind(to_json(&c.change))
            .bind(c.note.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::as_millis)
}

fn text<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

impl SqlStore {
    pub(super) async fn alert_insert(&self, a: &Alert, c: &AlertChange) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        sqlx::query(INSERT)
            .bind(a.id.to_string())
            .bind(a.shop.to_string())
            .bind(a.kind.as_str())
            .bind(a.subject.clone())
            .bind(a.severity.as_str())
            .bind(a.state.as_str())
            .bind(a.title.clone())
            .bind(a.detail.clone())
            .bind(text(a.conversation))
            .bind(text(a.agent))
            .bind(i64::from(a.count))
            .bind(a.raised_at.as_millis())
            .bind(a.last_at.as_millis())
            .bind(ms(a.delivered_at))
            .bind(a.delivered_via.map(Sink::as_str))
            .bind(ms(a.acknowledged_at))
            .bind(text(a.acknowledged_by))
            .bind(ms(a.resolved_at))
            .bind(text(a.resolved_by))
            .bind(ms(a.delivery_escalated_at))
            .bind(ms(a.resolution_escalated_at))
            .bind(a.version)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Duplicate("open alert".to_owned())
                }
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::MissingReference(format!("shop {}", a.shop))
                }
                _ => StoreError::Database(e),
            })?;
        insert_changes(&mut tx, a.shop, a.id, std::slice::from_ref(c)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn alert_update(
        &self,
        a: &Alert,
        expected: i64,
        changes: &[AlertChange],
    ) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        let done = sqlx::query(UPDATE)
            .bind(a.shop.to_string())
            .bind(a.id.to_string())
            .bind(a.severity.as_str())
            .bind(a.state.as_str())
            .bind(a.title.clone())
            .bind(a.detail.clone())
            .bind(i64::from(a.count))
            .bind(a.last_at.as_millis())
            .bind(ms(a.delivered_at))
            .bind(a.delivered_via.map(Sink::as_str))
            .bind(ms(a.acknowledged_at))
            .bind(text(a.acknowledged_by))
            .bind(ms(a.resolved_at))
            .bind(text(a.resolved_by))
            .bind(ms(a.delivery_escalated_at))
            .bind(ms(a.resolution_escalated_at))
            .bind(a.version)
            .bind(expected)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Stale(format!("alert {}", a.id)));
        }
        insert_changes(&mut tx, a.shop, a.id, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn alert_change_record(
        &self,
        shop: ShopId,
        c: &AlertChange,
    ) -> StoreResult<()> {
        let mut tx = super::begin_write(&self.pool).await?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT id FROM alerts WHERE shop_id = $1 AND id = $2")
                .bind(shop.to_string())
                .bind(c.alert.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            return Err(StoreError::MissingReference(format!("alert {}", c.alert)));
        }
        insert_changes(&mut tx, shop, c.alert, std::slice::from_ref(c)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn alert_open(
        &self,
        shop: ShopId,
        kind: AlertKind,
        subject: &str,
    ) -> StoreResult<Option<Alert>> {
        sqlx::query(
            "SELECT * FROM alerts WHERE shop_id = $1 AND kind = $2 AND subject = $3 \
             AND state <> 'resolved'",
        )
        .bind(shop.to_string())
        .bind(kind.as_str())
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(alert)
        .transpose()
    }

    pub(super) async fn alert_by_id(
        &self,
        shop: ShopId,
        id: AlertId,
    ) -> StoreResult<Option<Alert>> {
        sqlx::query("SELECT * FROM alerts WHERE shop_id = $1 AND id = $2")
            .bind(shop.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(alert)
            .transpose()
    }

    pub(super) async fn alert_history(
        &self,
        shop: ShopId,
        id: AlertId,
    ) -> StoreResult<Vec<AlertChange>> {
        sqlx::query("SELECT * FROM alert_changes WHERE shop_id = $1 AND alert_id = $2 ORDER BY seq")
            .bind(shop.to_string())
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(change)
            .collect()
    }

    pub(super) async fn alert_list(
        &self,
        shop: ShopId,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<Alert>> {
        let sql = if open_only {
            "SELECT * FROM alerts WHERE shop_id = $1 AND state <> 'resolved' \
             ORDER BY raised_at DESC, id DESC LIMIT $2"
        } else {
            "SELECT * FROM alerts WHERE shop_id = $1 ORDER BY raised_at DESC, id DESC LIMIT $2"
        };
        sqlx::query(sql)
            .bind(shop.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(alert)
            .collect()
    }

    pub(super) async fn tally_add(
        &self,
        shop: ShopId,
        metric: &str,
        hour: Timestamp,
        by: i64,
    ) -> StoreResult<i64> {
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO alert_tallies (shop_id, metric, hour_start, count) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (shop_id, metric, hour_start) \
             DO UPDATE SET count = alert_tallies.count + excluded.count RETURNING count",
        )
        .bind(shop.to_string())
        .bind(metric)
        .bind(hour.as_millis())
        .bind(by)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::MissingReference(format!("shop {shop}"))
            }
            _ => StoreError::Database(e),
        })?;
        Ok(count)
    }

    pub(super) async fn tally_read(
        &self,
        shop: ShopId,
        metric: &str,
        hours: &[Timestamp],
    ) -> StoreResult<Vec<i64>> {
        let mut out = Vec::with_capacity(hours.len());
        for hour in hours {
            let n: Option<i64> = sqlx::query_scalar(
                "SELECT count FROM alert_tallies WHERE shop_id = $1 AND metric = $2 AND hour_start = $3",
            )
            .bind(shop.to_string())
            .bind(metric)
            .bind(hour.as_millis())
            .fetch_optional(&self.pool)
            .await?;
            out.push(n.unwrap_or(0));
        }
        Ok(out)
    }
}
