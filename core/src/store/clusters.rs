//! Managed clusters as the state remembers them: their port and whether their first backup was taken.

use chrono::{DateTime, Utc};

use super::database::{Store, StoreError};

/// A managed cluster as the state remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRecord {
    pub name: String,
    pub port: u16,
    pub main_database: String,
    pub ready_at: Option<DateTime<Utc>>,
}

impl Store {
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
