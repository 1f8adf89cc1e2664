use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The conversation changed since it was read; read again and retry.
    #[error("conversation {0} changed concurrently")]
    Conflict(String),
    /// A row was edited since the caller read it (its version moved on).
    #[error("{0} was changed by someone else")]
    Stale(String),
    /// A unique key (slug, username, external id, order number …) is already taken.
    #[error("duplicate {0}")]
    Duplicate(String),
    /// The idempotency key of an append was already used.
    #[error("idempotency key already used")]
    IdempotencyKeyTaken,
    /// A row refers to another that does not exist in the same shop.
    #[error("{0}")]
    MissingReference(String),
    /// Stored data that kefu cannot read back (a bug or a manual edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("migration {version} failed: {source}")]
    Migration {
        version: i64,
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

/// Maps a unique-key violation to [`StoreError::Duplicate`]; other errors pass through.
pub(crate) fn on_unique(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(what.to_owned())
        }
        _ => StoreError::Database(e),
    }
}
