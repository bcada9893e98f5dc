//! Tidemark's own state: an embedded SQLite database in the data directory, with migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot update the state database's schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("state database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// A managed cluster as the state remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRecord {
    pub name: String,
    pub port: u16,
    pub main_database: String,
    pub ready_at: Option<DateTime<Utc>>,
}

/// The state database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
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

    pub async fn cluster(&self, name: &str) -> Result<Option<ClusterRecord>, StoreError> {
        let row: Option<(String, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT name, port, main_database, ready_at FROM clusters WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(name, port, main_database, ready_at)| ClusterRecord {
                name,
                port: u16::try_from(port).unwrap_or_default(),
                main_database,
                ready_at: ready_at
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc)),
            }),
        )
    }

    pub async fn save_cluster(&self, c: &ClusterRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO clusters (name, port, main_database, created_at, ready_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET port = excluded.port, main_database = excluded.main_database",
        )
        .bind(&c.name)
        .bind(i64::from(c.port))
        .bind(&c.main_database)
        .bind(Utc::now().to_rfc3339())
        .bind(c.ready_at.map(|t| t.to_rfc3339()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_cluster_ready(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE clusters SET ready_at = COALESCE(ready_at, ?) WHERE name = ?")
            .bind(Utc::now().to_rfc3339())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
