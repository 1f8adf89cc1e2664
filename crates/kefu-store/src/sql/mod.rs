//! One SQL implementation of [`Store`](crate::Store) for SQLite and PostgreSQL, over sqlx's
//! `Any` driver. Values crossing the driver are limited to text, integers and floats: ids are
//! UUID text, times Unix milliseconds, lists and maps JSON text. Placeholders are `$1, $2, …`
//! and always appear in ascending order, which both dialects read the same way.

mod alerts;
mod bot;
mod desk;
mod knowledge;
mod migrate;
mod qa;
mod queries;
mod rows;
mod tickets;
mod writer;

use crate::{StoreError, StoreResult};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::time::Duration;
use tokio::sync::mpsc;
use writer::WriteRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded: one file in WAL mode.
    Sqlite,
    /// Cluster mode: a shared PostgreSQL database.
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://path/to/kefu.db` or `postgres://user@host:5432/db`.
    pub url: String,
    /// PostgreSQL only: the schema to use (created if absent). Tests use one schema each.
    pub schema: Option<String>,
    pub max_connections: u32,
}

impl StoreConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            max_connections: 8,
        }
    }
}

/// The SQL store. Cheap to clone; clones share the pool and the writer.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    writer: mpsc::Sender<WriteRequest>,
}

impl SqlStore {
    /// Connects, applies pending migrations and starts the writer task.
    pub async fn connect(config: &StoreConfig) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&config.url).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                "database url must start with sqlite: or postgres:".into(),
            ))
        })?;
        if let (Backend::Postgres, Some(schema)) = (backend, &config.schema) {
            create_schema(&config.url, schema).await?;
        }
        let schema = config.schema.clone();
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                let setup = session_setup(backend, schema.as_deref());
                Box::pin(async move {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .connect(&config.url)
            .await?;
        migrate::run(&pool, backend).await?;
        let writer = writer::spawn(pool.clone());
        Ok(Self {
            pool,
            backend,
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool; pending writes already acknowledged are durable.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Per-connection settings. WAL lets readers run beside the single writer; `NORMAL` sync is
/// durable across application crashes and loses at most the last commits on power loss, the
/// trade every embedded WAL deployment makes.
fn session_setup(backend: Backend, schema: Option<&str>) -> String {
    match backend {
        Backend::Sqlite => "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;"
            .to_owned(),
        Backend::Postgres => match schema {
            Some(s) => format!("SET search_path TO {}", quote_ident(s)),
            None => String::new(),
        },
    }
}

async fn create_schema(url: &str, schema: &str) -> StoreResult<()> {
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// Drops a PostgreSQL schema and everything in it (test and benchmark clean-up).
pub async fn drop_postgres_schema(url: &str, schema: &str) -> StoreResult<()> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(schema));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// Quotes a PostgreSQL identifier.
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Begins a transaction that writes. SQLite's default (deferred) `BEGIN` takes the write lock
/// only at the first write; when another connection wrote in between, that upgrade fails at
/// once with `database is locked` — the busy timeout cannot help, waiting could deadlock.
/// `BEGIN IMMEDIATE` takes the write lock up front and waits its turn under the busy timeout.
/// PostgreSQL's row locks need none of this.
pub(super) async fn begin_write(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}
