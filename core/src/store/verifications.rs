//! Verifications in the state database: one row per test restore, with its evidence.

use chrono::Utc;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::database::{Store, StoreError, parse_time};
use tidemark_types::{Verification, VerificationMode, VerificationOutcome};

fn from_row(r: &SqliteRow) -> Result<Verification, StoreError> {
    let started: String = r.try_get("started_at")?;
    let finished: Option<String> = r.try_get("finished_at")?;
    let outcome: String = r.try_get("outcome")?;
    let evidence: String = r.try_get("evidence")?;
    Ok(Verification {
        id: r.try_get("id")?,
        database: r.try_get("database")?,
        backup: r.try_get("backup")?,
        started_at: parse_time(&started, "verification")?,
        finished_at: finished
            .as_deref()
            .map(|t| parse_time(t, "verification"))
            .transpose()?,
        outcome: VerificationOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("verification outcome '{outcome}'")))?,
        evidence: serde_json::from_str(&evidence)
            .map_err(|e| StoreError::Corrupt(format!("verification evidence: {e}")))?,
    })
}

impl Store {
    /// Records a verification, or what it has established so far.
    pub async fn save_verification(&self, v: &Verification) -> Result<(), StoreError> {
        let evidence = serde_json::to_string(&v.evidence)
            .map_err(|e| StoreError::Corrupt(format!("verification evidence: {e}")))?;
        sqlx::query(
            "INSERT INTO verifications (id, database, backup, started_at, finished_at, outcome, evidence)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at,
                                            finished_at = excluded.finished_at,
                                            outcome = excluded.outcome, evidence = excluded.evidence",
        )
        .bind(&v.id)
        .bind(&v.database)
        .bind(&v.backup)
        .bind(v.started_at.to_rfc3339())
        .bind(v.finished_at.map(|t| t.to_rfc3339()))
        .bind(v.outcome.as_str())
        .bind(evidence)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A backup's verifications, newest first.
    pub async fn verifications_of_backup(
        &self,
        backup: &str,
    ) -> Result<Vec<Verification>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM verifications WHERE backup = ? ORDER BY started_at DESC, id DESC",
        )
        .bind(backup)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// A database's verifications, newest first, at most `limit`.
    pub async fn verifications(
        &self,
        database: &str,
        limit: u32,
    ) -> Result<Vec<Verification>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM verifications WHERE database = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        )
        .bind(database)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// When the database's backups are verified on their own; `None` when never set.
    pub async fn verification_mode(
        &self,
        database: &str,
    ) -> Result<Option<VerificationMode>, StoreError> {
        let mode: Option<String> =
            sqlx::query_scalar("SELECT mode FROM verification_modes WHERE database = ?")
                .bind(database)
                .fetch_optional(&self.pool)
                .await?;
        mode.map(|m| {
            VerificationMode::parse(&m)
                .ok_or_else(|| StoreError::Corrupt(format!("verification mode '{m}'")))
        })
        .transpose()
    }

    pub async fn save_verification_mode(
        &self,
        database: &str,
        mode: VerificationMode,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO verification_modes (database, mode) VALUES (?, ?)
             ON CONFLICT (database) DO UPDATE SET mode = excluded.mode",
        )
        .bind(database)
        .bind(mode.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Verifications left running by a server that stopped: failed, saying so.
    pub async fn end_interrupted_verifications(&self) -> Result<u64, StoreError> {
        let rows = sqlx::query("SELECT * FROM verifications WHERE outcome = 'running'")
            .fetch_all(&self.pool)
            .await?;
        let mut ended = 0;
        for row in &rows {
            let mut v = from_row(row)?;
            v.outcome = VerificationOutcome::Failed;
            v.finished_at = Some(Utc::now());
            v.evidence.failure = Some("The server stopped during the verification.".to_string());
            self.save_verification(&v).await?;
            ended += 1;
        }
        Ok(ended)
    }
}
