//! The state database itself: opening it (private from its creation), bringing its schema up to
//! date, closing it; and what a query that fails says.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot update the state database's schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("state database query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the state database holds a record Tidemark cannot read: {0}")]
    Corrupt(String),
}

/// The state database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        // Private from its creation: it holds password hashes and the audit log. SQLite gives
        // its journal files the same mode.
        if !path.exists() {
            crate::sysuser::write_private(path, b"").map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A time the state database keeps as RFC 3339 text; `what` names it when the text is not one.
pub(super) fn parse_time(t: &str, what: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| StoreError::Corrupt(format!("{what} time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ClusterRecord;

    #[tokio::test]
    async fn clusters_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.cluster("main").await.unwrap(), None);
        let rec = ClusterRecord {
            name: "main".into(),
            port: 54321,
            main_database: "demo".into(),
            ready_at: None,
        };
        store.save_cluster(&rec).await.unwrap();
        store.mark_cluster_ready("main").await.unwrap();
        store.close().await;

        let again = Store::open(&path).await.unwrap();
        let got = again.cluster("main").await.unwrap().unwrap();
        assert_eq!(got.port, 54321);
        assert!(got.ready_at.is_some());
    }
}
