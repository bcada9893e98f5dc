//! Logical backups in the state database: one row per archive, whatever became of it.

use sqlx::Row;

use super::database::{Store, StoreError, parse_time};
use tidemark_types::{Backup, BackupMethod, BackupStatus, RowCounts};

/// A logical backup's record.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalBackup {
    pub backup: Backup,
    pub database: String,
    /// The archive's name, e.g. `20261122070000_demo.tar.gz`.
    pub file_name: String,
    /// The archive's SHA-256 (hex), taken when it was written.
    pub sha256: Option<String>,
    /// Every table's rows, counted inside the dump's own snapshot.
    pub row_counts: Option<RowCounts>,
}

fn status_str(s: BackupStatus) -> &'static str {
    match s {
        BackupStatus::Scheduled => "scheduled",
        BackupStatus::Running => "running",
        BackupStatus::Done => "done",
        BackupStatus::Error => "error",
    }
}

impl Store {
    pub async fn save_logical_backup(&self, b: &LogicalBackup) -> Result<(), StoreError> {
        let method = match b.backup.method {
            BackupMethod::Periodic => "periodic",
            _ => "manual",
        };
        sqlx::query(
            "INSERT INTO logical_backups (id, database, method, status, created_at, finished_at, size_bytes, file_name, sha256, row_counts)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
                                            size_bytes = excluded.size_bytes, sha256 = excluded.sha256,
                                            row_counts = excluded.row_counts",
        )
        .bind(&b.backup.id)
        .bind(&b.database)
        .bind(method)
        .bind(status_str(b.backup.status))
        .bind(b.backup.created_at.to_rfc3339())
        .bind(b.backup.finished_at.map(|t| t.to_rfc3339()))
        .bind(b.backup.size_bytes.and_then(|s| i64::try_from(s).ok()))
        .bind(&b.file_name)
        .bind(&b.sha256)
        .bind(
            b.row_counts
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("row counts: {e}")))?,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a backup (its archive is deleted by the caller).
    pub async fn delete_logical_backup(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM logical_backups WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A database's logical backups, newest first.
    pub async fn logical_backups(&self, database: &str) -> Result<Vec<LogicalBackup>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM logical_backups WHERE database = ? ORDER BY created_at DESC, id DESC",
        )
        .bind(database)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let method: String = r.try_get("method")?;
                let created: String = r.try_get("created_at")?;
                let finished: Option<String> = r.try_get("finished_at")?;
                let size: Option<i64> = r.try_get("size_bytes")?;
                let counts: Option<String> = r.try_get("row_counts")?;
                Ok(LogicalBackup {
                    database: r.try_get("database")?,
                    file_name: r.try_get("file_name")?,
                    sha256: r.try_get("sha256")?,
                    row_counts: counts
                        .as_deref()
                        .map(serde_json::from_str)
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(format!("row counts: {e}")))?,
                    backup: Backup {
                        id: r.try_get("id")?,
                        created_at: parse_time(&created, "backup")?,
                        finished_at: finished
                            .as_deref()
                            .map(|t| parse_time(t, "backup"))
                            .transpose()?,
                        size_bytes: size.and_then(|s| u64::try_from(s).ok()),
                        status: match status.as_str() {
                            "scheduled" => BackupStatus::Scheduled,
                            "running" => BackupStatus::Running,
                            "done" => BackupStatus::Done,
                            _ => BackupStatus::Error,
                        },
                        method: if method == "periodic" {
                            BackupMethod::Periodic
                        } else {
                            BackupMethod::Manual
                        },
                    },
                })
            })
            .collect()
    }
}
