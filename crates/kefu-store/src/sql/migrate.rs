//! A small migration runner: each backend has its own ordered SQL files, embedded in the binary,
//! applied once each inside a transaction and recorded in `schema_migrations`.

use super::Backend;
use crate::{StoreError, StoreResult};
use sqlx::AnyPool;

struct Migration {
    version: i64,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/sqlite/0002_message_analyses.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/sqlite/0003_knowledge.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../../migrations/sqlite/0004_bot_turns.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../../migrations/sqlite/0005_knowledge_proposals.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../../migrations/sqlite/0006_routing.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../../migrations/sqlite/0007_tickets.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("../../migrations/sqlite/0008_alerts.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("../../migrations/sqlite/0009_qa.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/postgres/0002_message_analyses.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/postgres/0003_knowledge.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../../migrations/postgres/0004_bot_turns.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../../migrations/postgres/0005_knowledge_proposals.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../../migrations/postgres/0006_routing.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../../migrations/postgres/0007_tickets.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("../../migrations/postgres/0008_alerts.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("../../migrations/postgres/0009_qa.sql"),
    },
];

pub(super) async fn run(pool: &AnyPool, backend: Backend) -> StoreResult<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let migrations = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    for m in migrations {
        let mut tx = pool.begin().await?;
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(m.sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| StoreError::Migration {
                version: m.version,
                source,
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(m.version)
            .bind(kefu_domain::Clock::now(&kefu_domain::SystemClock).as_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(
            version = m.version,
            backend = backend.name(),
            "migration applied"
        );
    }
    Ok(())
}
