//! Group commit. One task owns all appends to the event log: it takes every request waiting in
//! its queue (up to [`MAX_BATCH`]) and writes them in one transaction with one commit. Callers
//! are answered only after the commit, so an acknowledged append is durable.
//!
//! The usual case is written with as few statements as possible (multi-row inserts for keys,
//! events and messages), because with SQLite every statement is a round trip to the driver's
//! thread. If anything in that fast path fails (a concurrent change, a reused idempotency key),
//! the group is rolled back and written again request by request, each in its own savepoint, so
//! only the failing requests fail.
//!
//! When idle the writer waits on the queue, so a lone request is written at once; under load the
//! queue fills while a commit runs and batches grow by themselves.

use super::rows::to_json;
use crate::{AppendBatch, Appended, IdempotencyRecord, MessageAnalysis, StoreError, StoreResult};
use kefu_domain::{BotDecision, Conversation, Envelope, Event, EventId, KnowledgeEntryId};
use sqlx::{Any, AnyPool, Transaction};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 256;
const QUEUE: usize = 8_192;

pub(super) struct WriteRequest {
    batch: AppendBatch,
    /// The shop id as stored, formatted once.
    shop_id: String,
    reply: oneshot::Sender<StoreResult<Appended>>,
}

impl std::fmt::Debug for WriteRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteRequest")
            .field("conversation", &self.batch.conversation.id)
            .finish()
    }
}

pub(super) fn spawn(pool: AnyPool) -> mpsc::Sender<WriteRequest> {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(run(pool, rx));
    tx
}

/// Sends a batch to the writer and waits for its commit.
pub(super) async fn submit(
    writer: &mpsc::Sender<WriteRequest>,
    batch: AppendBatch,
) -> StoreResult<Appended> {
    let (reply, answer) = oneshot::channel();
    writer
        .send(WriteRequest {
            shop_id: batch.shop.to_string(),
            batch,
            reply,
        })
        .await
        .map_err(|_| StoreError::Closed)?;
    answer.await.map_err(|_| StoreError::Closed)?
}

async fn run(pool: AnyPool, mut rx: mpsc::Receiver<WriteRequest>) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut pending, MAX_BATCH).await > 0 {
        let requests = std::mem::take(&mut pending);
        match write_group(&pool, &requests).await {
            Ok(results) => {
                for (request, result) in requests.into_iter().zip(results) {
                    // A caller that gave up waiting is fine: its write is committed anyway.
                    let _ = request.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = requests.len(), "group commit failed");
                let message = e.to_string();
                for request in requests {
                    let _ = request
                        .reply
                        .send(Err(StoreError::Database(sqlx::Error::Protocol(format!(
                            "group commit failed: {message}"
                        )))));
                }
            }
        }
    }
}

async fn write_group(
    pool: &AnyPool,
    requests: &[WriteRequest],
) -> StoreResult<Vec<StoreResult<Appended>>> {
    match write_group_fast(pool, requests).await {
        Ok(results) => Ok(results),
        Err(e) => {
            tracing::debug!(error = %e, size = requests.len(), "group fast path failed; writing one by one");
            write_group_isolated(pool, requests).await
        }
    }
}

/// All requests in bulk statements; any failure fails the whole group (nothing is committed).
async fn write_group_fast(
    pool: &AnyPool,
    requests: &[WriteRequest],
) -> StoreResult<Vec<StoreResult<Appended>>> {
    let mut tx = super::begin_write(pool).await?;
    let keys: Vec<(&str, &IdempotencyRecord)> = requests
        .iter()
        .filter_map(|r| {
            r.batch
                .idempotency
                .as_ref()
                .map(|k| (r.shop_id.as_str(), k))
        })
        .collect();
    insert_keys(&mut tx, &keys).await?;
    let (new, moved): (Vec<&WriteRequest>, Vec<&WriteRequest>) = requests
        .iter()
        .partition(|r| r.batch.expected_version.is_none());
    for r in new {
        write_conversation(&mut tx, &r.shop_id, &r.batch.conversation, None).await?;
    }
    for chunk in statements(&moved) {
        update_conversations(&mut tx, chunk).await?;
    }
    let events: Vec<(&str, &Envelope)> = requests
        .iter()
        .flat_map(|r| r.batch.events.iter().map(|e| (r.shop_id.as_str(), e)))
        .collect();
    let seqs = insert_log(&mut tx, &events).await?;
    let analyses: Vec<(&str, &MessageAnalysis)> = requests
        .iter()
        .flat_map(|r| r.batch.analyses.iter().map(|a| (r.shop_id.as_str(), a)))
        .collect();
    insert_analyses(&mut tx, &analyses).await?;
    tx.commit().await?;
    Ok(requests
        .iter()
        .map(|r| Ok(appended(&r.batch, &seqs)))
        .collect())
}

/// Each request in its own savepoint, so a failing one does not take the others down.
async fn write_group_isolated(
    pool: &AnyPool,
    requests: &[WriteRequest],
) -> StoreResult<Vec<StoreResult<Appended>>> {
    let mut tx = super::begin_write(pool).await?;
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        sqlx::raw_sql("SAVEPOINT append").execute(&mut *tx).await?;
        let result = apply(&mut tx, &request.batch).await;
        let end = if result.is_ok() {
            "RELEASE SAVEPOINT append"
        } else {
            "ROLLBACK TO SAVEPOINT append"
        };
        sqlx::raw_sql(end).execute(&mut *tx).await?;
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

/// Most rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 32;

/// Splits rows into statements of 32, 16, 8, 4, 2 or 1 rows. So few distinct statement shapes
/// stay in each connection's prepared-statement cache instead of being parsed for every group,
/// and parameter lists stay short (SQLite looks `$n` names up linearly).
fn statements<T>(rows: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let size = if rest.len() >= ROWS_PER_STATEMENT {
            ROWS_PER_STATEMENT
        } else {
            1 << rest.len().ilog2()
        };
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

/// `($1, $2, …), ($n+1, …)` for `rows` rows of `cols` columns.
fn values(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn insert_keys(
    tx: &mut Transaction<'static, Any>,
    keys: &[(&str, &IdempotencyRecord)],
) -> StoreResult<()> {
    for chunk in statements(keys) {
        let sql = format!(
            "INSERT INTO idempotency_keys (shop_id, idem_key, request_hash, status, response, created_at) VALUES {}",
            values(chunk.len(), 6)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (shop, k) in chunk {
            q = q
                .bind(*shop)
                .bind(k.key.as_str())
                .bind(k.request_hash.as_str())
                .bind(i64::from(k.status))
                .bind(k.response.as_str())
                .bind(k.created_at.as_millis());
        }
        q.execute(&mut **tx).await.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::IdempotencyKeyTaken
            }
            _ => StoreError::Database(e),
        })?;
    }
    Ok(())
}

/// Moves existing conversations to their new versions in one statement; fails (and so sends the
/// group down the one-by-one path) unless every row was still at its expected version.
async fn update_conversations(
    tx: &mut Transaction<'static, Any>,
    rows: &[&WriteRequest],
) -> StoreResult<()> {
    // VALUES columns are named column1, column2 … in both SQLite and PostgreSQL.
    let sql = format!(
        "UPDATE conversations SET state = v.column3, tier = v.column4, assigned_agent_id = v.column5, \
         updated_at = v.column6, last_text = v.column7, last_sender = v.column8, last_at = v.column9, \
         message_count = v.column10, version = v.column11, bot = v.column12, waiting = v.column13, \
         escalation = v.column15 \
         FROM (VALUES {}) AS v \
         WHERE conversations.id = v.column1 AND conversations.shop_id = v.column2 \
         AND conversations.version = v.column14",
        values(rows.len(), 15)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for r in rows {
        let c = &r.batch.conversation;
        let last = c.last_message.as_ref();
        q = q
            .bind(c.id.to_string())
            .bind(r.shop_id.as_str())
            .bind(c.state.as_str())
            .bind(c.tier.as_str())
            .bind(c.assigned_agent.map(|a| a.to_string()))
            .bind(c.updated_at.as_millis())
            .bind(last.map(|m| m.text.clone()))
            .bind(last.map(|m| to_json(&m.sender)))
            .bind(last.map(|m| m.at.as_millis()))
            .bind(i64::from(c.message_count))
            .bind(i64::from(c.version))
            .bind(bot_memory(c))
            .bind(waiting(c))
            .bind(r.batch.expected_version.map(i64::from))
            .bind(escalation(c));
    }
    let done = q.execute(&mut **tx).await?;
    if done.rows_affected() != rows.len() as u64 {
        return Err(StoreError::Conflict(format!(
            "{} of {} conversations changed concurrently",
            rows.len() as u64 - done.rows_affected(),
            rows.len()
        )));
    }
    Ok(())
}

async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    rows: &[(&str, &Envelope)],
) -> StoreResult<Vec<(EventId, i64)>> {
    let sql = format!(
        "INSERT INTO events (id, shop_id, conversation_id, kind, payload, at) VALUES {} RETURNING seq, id",
        values(rows.len(), 6)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (shop, e) in rows {
        q = q
            .bind(e.id.to_string())
            .bind(*shop)
            .bind(e.event.conversation().to_string())
            .bind(e.event.kind())
            .bind(to_json(&e.event))
            .bind(e.at.as_millis());
    }
    q.fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((super::rows::id(row, "id")?, super::rows::get(row, "seq")?)))
        .collect()
}

/// Projects `MessagePosted` events (with their log sequence numbers) into the messages table.
pub(super) async fn insert_messages(
    tx: &mut Transaction<'static, Any>,
    rows: &[(&str, &Envelope, i64)],
) -> StoreResult<()> {
    for chunk in statements(rows) {
        insert_message_rows(tx, chunk).await?;
    }
    Ok(())
}

async fn insert_message_rows(
    tx: &mut Transaction<'static, Any>,
    rows: &[(&str, &Envelope, i64)],
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO messages (id, shop_id, conversation_id, sender, agent_id, text, at, event_seq) VALUES {}",
        values(rows.len(), 8)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (shop, e, seq) in rows {
        let Event::MessagePosted {
            conversation,
            message,
            sender,
            text,
        } = &e.event
        else {
            continue;
        };
        q = q
            .bind(message.to_string())
            .bind(*shop)
            .bind(conversation.to_string())
            .bind(sender.kind())
            .bind(sender.agent().map(|a| a.to_string()))
            .bind(text.as_str())
            .bind(e.at.as_millis())
            .bind(*seq);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Stores the text engine's reading of messages, in multi-row statements.
async fn insert_analyses(
    tx: &mut Transaction<'static, Any>,
    rows: &[(&str, &MessageAnalysis)],
) -> StoreResult<()> {
    for chunk in statements(rows) {
        let sql = format!(
            "INSERT INTO message_analyses (message_id, shop_id, conversation_id, sender, at, analyzer, \
             sentiment, score, emotion, intensity, body) VALUES {}",
            values(chunk.len(), 11)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (shop, a) in chunk {
            q = q
                .bind(a.message.to_string())
                .bind(*shop)
                .bind(a.conversation.to_string())
                .bind(to_json(&a.sender))
                .bind(a.at.as_millis())
                .bind(a.analyzer.as_str())
                .bind(a.sentiment.as_str())
                .bind(a.score)
                .bind(a.emotion.as_deref())
                .bind(a.intensity)
                .bind(a.body.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes one batch: idempotency key, conversation projection, then events and messages.
pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    batch: &AppendBatch,
) -> StoreResult<Appended> {
    let shop = batch.shop.to_string();
    if let Some(key) = &batch.idempotency {
        insert_keys(tx, &[(shop.as_str(), key)]).await?;
    }
    write_conversation(tx, &shop, &batch.conversation, batch.expected_version).await?;
    let events: Vec<(&str, &Envelope)> = batch.events.iter().map(|e| (shop.as_str(), e)).collect();
    let seqs = insert_log(tx, &events).await?;
    let analyses: Vec<(&str, &MessageAnalysis)> =
        batch.analyses.iter().map(|a| (shop.as_str(), a)).collect();
    insert_analyses(tx, &analyses).await?;
    Ok(appended(batch, &seqs))
}

/// The sequence numbers the log gave to a batch's events, in the batch's order.
fn appended(batch: &AppendBatch, seqs: &HashMap<EventId, i64>) -> Appended {
    Appended {
        seqs: batch
            .events
            .iter()
            .map(|e| seqs.get(&e.id).copied().unwrap_or_default())
            .collect(),
    }
}

/// Appends events to the log and projects their messages; returns each event's sequence number.
async fn insert_log(
    tx: &mut Transaction<'static, Any>,
    events: &[(&str, &Envelope)],
) -> StoreResult<HashMap<EventId, i64>> {
    let mut seqs: HashMap<EventId, i64> = HashMap::with_capacity(events.len());
    for chunk in statements(events) {
        seqs.extend(insert_events(tx, chunk).await?);
    }
    let messages: Vec<(&str, &Envelope, i64)> = events
        .iter()
        .filter(|(_, e)| matches!(e.event, Event::MessagePosted { .. }))
        .map(|(shop, e)| (*shop, *e, seqs.get(&e.id).copied().unwrap_or_default()))
        .collect();
    insert_messages(tx, &messages).await?;
    let bot: Vec<(&str, &Envelope, i64)> = events
        .iter()
        .filter(|(_, e)| matches!(e.event, Event::BotDecided { .. } | Event::BotRated { .. }))
        .map(|(shop, e)| (*shop, *e, seqs.get(&e.id).copied().unwrap_or_default()))
        .collect();
    project_bot_events(tx, &bot, true).await?;
    Ok(seqs)
}

/// The conversation's bot memory as stored: JSON, or NULL before the bot's first turn.
fn bot_memory(c: &Conversation) -> Option<String> {
    (!c.bot.is_empty()).then(|| to_json(&c.bot))
}

fn waiting(c: &Conversation) -> Option<String> {
    c.waiting.as_ref().map(to_json)
}

fn escalation(c: &Conversation) -> Option<String> {
    c.escalation.as_ref().map(to_json)
}

/// Projects the bot's decisions into `bot_turns` and its ratings onto them. With `count`, also
/// bumps the entries' counters: an answer is a hit, a hand-off after an answer counts against
/// that answer's entry, a rating is a helpful or unhelpful vote. (A projection rebuild passes
/// `false`: counters are not projections and must not be counted twice.)
pub(super) async fn project_bot_events(
    tx: &mut Transaction<'static, Any>,
    rows: &[(&str, &Envelope, i64)],
    count: bool,
) -> StoreResult<()> {
    for (shop, e, seq) in rows {
        match &e.event {
            Event::BotDecided {
                conversation,
                question,
                reply,
                decision,
            } => {
                sqlx::query(
                    "INSERT INTO bot_turns (event_id, shop_id, conversation_id, question_id, reply_id, \
                     action, reason, decision, helpful, at, event_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)",
                )
                .bind(e.id.to_string())
                .bind(*shop)
                .bind(conversation.to_string())
                .bind(question.to_string())
                .bind(reply.to_string())
                .bind(decision.action())
                .bind(decision.reason().map(|r| r.as_str()))
                .bind(to_json(decision))
                .bind(e.at.as_millis())
                .bind(*seq)
                .execute(&mut **tx)
                .await?;
                if !count {
                    continue;
                }
                match decision {
                    BotDecision::Answer { entry, .. } => {
                        bump(tx, shop, *entry, "hits").await?;
                    }
                    BotDecision::HandOff {
                        after: Some(entry), ..
                    } => bump(tx, shop, *entry, "handoffs").await?,
                    _ => {}
                }
            }
            Event::BotRated {
                reply,
                entry,
                helpful,
                ..
            } => {
                sqlx::query(
                    "UPDATE bot_turns SET helpful = $1 WHERE shop_id = $2 AND reply_id = $3",
                )
                .bind(i64::from(*helpful))
                .bind(*shop)
                .bind(reply.to_string())
                .execute(&mut **tx)
                .await?;
                if count {
                    let counter = if *helpful { "helpful" } else { "unhelpful" };
                    bump(tx, shop, *entry, counter).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Adds one to an entry's counter. An entry deleted since is skipped: its counts went with it.
async fn bump(
    tx: &mut Transaction<'static, Any>,
    shop: &str,
    entry: KnowledgeEntryId,
    counter: &'static str,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE knowledge_entries SET {counter} = {counter} + 1 WHERE shop_id = $1 AND id = $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(shop)
        .bind(entry.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts a new conversation row or moves an existing one from `expected` to its new version.
pub(super) async fn write_conversation(
    tx: &mut Transaction<'static, Any>,
    shop: &str,
    c: &Conversation,
    expected: Option<u32>,
) -> StoreResult<()> {
    let last = c.last_message.as_ref();
    let last_text = last.map(|m| m.text.clone());
    let last_sender = last.map(|m| to_json(&m.sender));
    let last_at = last.map(|m| m.at.as_millis());
    let agent = c.assigned_agent.map(|a| a.to_string());
    match expected {
        None => {
            sqlx::query(
                "INSERT INTO conversations (id, shop_id, customer_id, channel, platform, state, tier, \
                 assigned_agent_id, created_at, updated_at, last_text, last_sender, last_at, message_count, version, bot, waiting, escalation) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(c.id.to_string())
            .bind(shop)
            .bind(c.customer.to_string())
            .bind(c.channel.as_str())
            .bind(c.platform.clone())
            .bind(c.state.as_str())
            .bind(c.tier.as_str())
            .bind(agent)
            .bind(c.created_at.as_millis())
            .bind(c.updated_at.as_millis())
            .bind(last_text)
            .bind(last_sender)
            .bind(last_at)
            .bind(i64::from(c.message_count))
            .bind(i64::from(c.version))
            .bind(bot_memory(c))
            .bind(waiting(c))
            .bind(escalation(c))
            .execute(&mut **tx)
            .await
            .map_err(|e| match &e {
                // Another request opened a conversation for this customer first.
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Conflict(c.id.to_string())
                }
                _ => StoreError::Database(e),
            })?;
        }
        Some(version) => {
            let done = sqlx::query(
                "UPDATE conversations SET state = $1, tier = $2, assigned_agent_id = $3, updated_at = $4, \
                 last_text = $5, last_sender = $6, last_at = $7, message_count = $8, version = $9, \
                 bot = $10, waiting = $11, escalation = $12 WHERE id = $13 AND shop_id = $14 AND version = $15",
            )
            .bind(c.state.as_str())
            .bind(c.tier.as_str())
            .bind(agent)
            .bind(c.updated_at.as_millis())
            .bind(last_text)
            .bind(last_sender)
            .bind(last_at)
            .bind(i64::from(c.message_count))
            .bind(i64::from(c.version))
            .bind(bot_memory(c))
            .bind(waiting(c))
            .bind(escalation(c))
            .bind(c.id.to_string())
            .bind(shop)
            .bind(i64::from(version))
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(c.id.to_string()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_into_power_of_two_statements() {
        let rows: Vec<u32> = (0..75).collect();
        let sizes: Vec<usize> = statements(&rows).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [32, 32, 8, 2, 1]);
        assert!(statements::<u32>(&[]).is_empty());
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
