//! The audit log: who changed what, on which database, when, from where, and how it ended.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::Row;

use super::database::{Store, StoreError};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The user, token owner, or `scheduler`.
    pub actor: String,
    /// What was asked: `pitr_restore`, `change_schedule`, `login`...
    pub action: String,
    pub database: Option<String>,
    /// The job, backup, user or token concerned.
    pub target: Option<String>,
    /// `ok`, `denied`, or the error's sentence.
    pub outcome: String,
    /// The client's address.
    pub source: Option<String>,
}

impl Store {
    /// Records a change; a failure to record is logged, never hidden from the log.
    pub async fn record(
        &self,
        actor: &str,
        action: tidemark_types::Action,
        database: Option<&str>,
        target: Option<&str>,
        outcome: &str,
        source: Option<&str>,
    ) {
        let entry = AuditEntry {
            at: Utc::now(),
            actor: actor.to_string(),
            action: action.as_str().to_string(),
            database: database.map(str::to_string),
            target: target.map(str::to_string),
            outcome: outcome.to_string(),
            source: source.map(str::to_string),
        };
        if let Err(e) = self.audit(&entry).await {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }

    pub async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, database, target, outcome, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.at.to_rfc3339_opts(SecondsFormat::Millis, true))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.database)
        .bind(&e.target)
        .bind(&e.outcome)
        .bind(&e.source)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps the audit log bounded: drops entries older than `before`, then all but the newest
    /// `keep` entries; returns how many went.
    pub async fn prune_audit(&self, before: DateTime<Utc>, keep: u32) -> Result<u64, StoreError> {
        let old = sqlx::query("DELETE FROM audit_log WHERE at < ?")
            .bind(before.to_rfc3339_opts(SecondsFormat::Millis, true))
            .execute(&self.pool)
            .await?
            .rows_affected();
        let extra = sqlx::query(
            "DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)",
        )
        .bind(i64::from(keep))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(old + extra)
    }

    /// The newest entries first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                Ok(AuditEntry {
                    at: DateTime::parse_from_rfc3339(&at)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|e| StoreError::Corrupt(format!("audit time: {e}")))?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    database: r.try_get("database")?,
                    target: r.try_get("target")?,
                    outcome: r.try_get("outcome")?,
                    source: r.try_get("source")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_types::Action;

    #[tokio::test]
    async fn the_audit_log_keeps_its_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).await.unwrap();
        let now = Utc::now();
        let entry = |at, n: usize| AuditEntry {
            at,
            actor: format!("u{n}"),
            action: Action::Read.as_str().into(),
            database: None,
            target: None,
            outcome: "ok".into(),
            source: None,
        };
        store
            .audit(&entry(now - chrono::Duration::days(500), 0))
            .await
            .unwrap();
        for n in 1..=10 {
            store.audit(&entry(now, n)).await.unwrap();
        }
        let gone = store
            .prune_audit(now - chrono::Duration::days(400), 4)
            .await
            .unwrap();
        assert_eq!(gone, 7);
        let left: Vec<String> = store
            .audit_log(100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.actor)
            .collect();
        assert_eq!(left, ["u10", "u9", "u8", "u7"]);
    }
}
