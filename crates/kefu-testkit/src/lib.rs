//! Test support shared by every crate's integration tests.
//!
//! [`TestStore`] gives each test its own database: a fresh SQLite file in a temporary
//! directory, or a fresh schema in the PostgreSQL database named by `KEFU_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`, the one CI and development machines run).
//! Tests never share data, so they run in parallel and in any order.

mod app;
mod builders;

pub use app::*;
pub use builders::*;

use kefu_store::{SqlStore, StoreConfig};
use std::sync::Arc;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// A store with its own database, removed when dropped.
#[derive(Debug)]
pub struct TestStore {
    pub store: Arc<SqlStore>,
    pub config: StoreConfig,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl TestStore {
    pub async fn new(backend: TestBackend) -> Self {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("kefu.db").display());
                let config = StoreConfig::new(url);
                let store = SqlStore::connect(&config).await.expect("sqlite store");
                Self {
                    store: Arc::new(store),
                    config,
                    _dir: Some(dir),
                    schema: None,
                }
            }
            TestBackend::Postgres => {
                let schema = format!("kefu_test_{}", uuid::Uuid::new_v4().simple());
                let mut config = StoreConfig::new(postgres_url());
                config.schema = Some(schema.clone());
                config.max_connections = 4;
                let store = SqlStore::connect(&config).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL at {} must be running for this test: {e}",
                        postgres_url()
                    )
                });
                Self {
                    store: Arc::new(store),
                    config,
                    _dir: None,
                    schema: Some(schema),
                }
            }
        }
    }
}

pub fn postgres_url() -> String {
    std::env::var("KEFU_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block; use a short-lived one of our own.
        let url = postgres_url();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(kefu_store::drop_postgres_schema(&url, &schema))
                .ok()
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop a test schema");
        }
    }
}

/// Declares one async test per backend from a function `async fn(TestBackend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestBackend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestBackend::Postgres).await
                }
            )+
        }
    };
}
