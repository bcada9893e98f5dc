//! Point-in-time drills and repository checks in the state database.

use chrono::Utc;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::database::{Store, StoreError, parse_time};
use tidemark_types::{PitrDrill, RepositoryCheck, VerificationOutcome};

fn check_from_row(r: &SqliteRow) -> Result<RepositoryCheck, StoreError> {
    let at: String = r.try_get("checked_at")?;
    Ok(RepositoryCheck {
        backup: r.try_get("backup")?,
        checked_at: parse_time(&at, "drill")?,
        valid: r.try_get("valid")?,
        detail: r.try_get("detail")?,
    })
}

fn drill_from_row(r: &SqliteRow) -> Result<PitrDrill, StoreError> {
    let started: String = r.try_get("started_at")?;
    let finished: Option<String> = r.try_get("finished_at")?;
    let outcome: String = r.try_get("outcome")?;
    let evidence: String = r.try_get("evidence")?;
    Ok(PitrDrill {
        id: r.try_get("id")?,
        database: r.try_get("database")?,
        started_at: parse_time(&started, "drill")?,
        finished_at: finished
            .as_deref()
            .map(|t| parse_time(t, "drill"))
            .transpose()?,
        outcome: VerificationOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("drill outcome '{outcome}'")))?,
        evidence: serde_json::from_str(&evidence)
            .map_err(|e| StoreError::Corrupt(format!("drill evidence: {e}")))?,
    })
}

impl Store {
    /// Records a drill, or what it has established so far.
    pub async fn save_drill(&self, d: &PitrDrill) -> Result<(), StoreError> {
        let evidence = serde_json::to_string(&d.evidence)
            .map_err(|e| StoreError::Corrupt(format!("drill evidence: {e}")))?;
        sqlx::query(
            "INSERT INTO pitr_drills (id, database, started_at, finished_at, outcome, evidence)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at,
                                            outcome = excluded.outcome, evidence = excluded.evidence",
        )
        .bind(&d.id)
        .bind(&d.database)
        .bind(d.started_at.to_rfc3339())
        .bind(d.finished_at.map(|t| t.to_rfc3339()))
        .bind(d.outcome.as_str())
        .bind(evidence)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A database's drills, newest first, at most `limit`.
    pub async fn drills(&self, database: &str, limit: u32) -> Result<Vec<PitrDrill>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM pitr_drills WHERE database = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        )
        .bind(database)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(drill_from_row).collect()
    }

    /// Drills left running by a server that stopped: failed, saying so.
    pub async fn end_interrupted_drills(&self) -> Result<u64, StoreError> {
        let rows = sqlx::query("SELECT * FROM pitr_drills WHERE outcome = 'running'")
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let mut d = drill_from_row(row)?;
            d.outcome = VerificationOutcome::Failed;
            d.finished_at = Some(Utc::now());
            d.evidence.failure = Some("The server stopped during the drill.".to_string());
            self.save_drill(&d).await?;
        }
        Ok(rows.len() as u64)
    }

    /// Records what one repository check said of each backup.
    pub async fn save_repository_checks(
        &self,
        database: &str,
        checks: &[RepositoryCheck],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for c in checks {
            sqlx::query(
                "INSERT OR REPLACE INTO repository_checks (database, backup, checked_at, valid, detail)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(database)
            .bind(&c.backup)
            .bind(c.checked_at.to_rfc3339())
            .bind(c.valid)
            .bind(&c.detail)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every check of one backup, newest first.
    pub async fn repository_checks_of(
        &self,
        database: &str,
        backup: &str,
    ) -> Result<Vec<RepositoryCheck>, StoreError> {
        let rows = sqlx::query(
            "SELECT backup, checked_at, valid, detail FROM repository_checks
             WHERE database = ? AND backup = ? ORDER BY checked_at DESC LIMIT 100",
        )
        .bind(database)
        .bind(backup)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(check_from_row).collect()
    }

    /// The newest check of each of the database's backups.
    pub async fn repository_checks(
        &self,
        database: &str,
    ) -> Result<Vec<RepositoryCheck>, StoreError> {
        let rows = sqlx::query(
            "SELECT backup, MAX(checked_at) AS checked_at, valid, detail FROM repository_checks
             WHERE database = ? GROUP BY backup ORDER BY checked_at DESC",
        )
        .bind(database)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(check_from_row).collect()
    }
}
