//! Jobs and their numbered events in the state database.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::database::{Store, StoreError};
use crate::records::{Artifact, EventBody, Job, JobEnd, JobEvent, JobId, JobKind};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn job_from_row(row: &SqliteRow) -> Result<Job, StoreError> {
    let kind: String = row.try_get("kind")?;
    let params: String = row.try_get("params")?;
    let status: String = row.try_get("status")?;
    let artifact: Option<String> = row.try_get("artifact")?;
    Ok(Job {
        id: JobId(row.try_get("id")?),
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?,
        database: row.try_get("database")?,
        started_by: row.try_get("started_by")?,
        params: serde_json::from_str(&params).map_err(|e| corrupt("job parameters", e))?,
        status: serde_json::from_str(&status).map_err(|e| corrupt("job status", e))?,
        summary: row.try_get("summary")?,
        artifact: artifact
            .map(|a| serde_json::from_str::<Artifact>(&a))
            .transpose()
            .map_err(|e| corrupt("job artifact", e))?,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serialising plain data structures to a string cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    pub async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO jobs (id, kind, database, started_by, params, status, state, queued_at, summary, artifact)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(job.id.as_str())
        .bind(job.kind.as_str())
        .bind(&job.database)
        .bind(&job.started_by)
        .bind(to_json(&job.params))
        .bind(to_json(&job.status))
        .bind(job.status.name())
        .bind(job.status.queued_at().to_rfc3339())
        .bind(&job.summary)
        .bind(job.artifact.as_ref().map(to_json))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Saves a job's status, summary and artifact.
    pub async fn update_job(&self, job: &Job) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET status = ?, state = ?, summary = ?, artifact = ? WHERE id = ?",
        )
        .bind(to_json(&job.status))
        .bind(job.status.name())
        .bind(&job.summary)
        .bind(job.artifact.as_ref().map(to_json))
        .bind(job.id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn job(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query("SELECT * FROM jobs WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// The newest jobs first, of one database or of all.
    pub async fn jobs(&self, database: Option<&str>, limit: u32) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM jobs WHERE (?1 IS NULL OR database = ?1) ORDER BY queued_at DESC, id DESC LIMIT ?2",
        )
        .bind(database)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// How many jobs there are of each kind in each state.
    pub async fn job_counts(
        &self,
    ) -> Result<std::collections::BTreeMap<(String, String), u64>, StoreError> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(k, s, n)| ((k, s), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// Every job still queued or running.
    pub async fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query("SELECT * FROM jobs WHERE state IN ('queued', 'running')")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Appends an event with the next number of its job.
    pub async fn append_event(
        &self,
        job: &JobId,
        at: DateTime<Utc>,
        body: &EventBody,
    ) -> Result<JobEvent, StoreError> {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO job_events (job_id, seq, at, body)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_events WHERE job_id = ?1), ?2, ?3)
             RETURNING seq",
        )
        .bind(job.as_str())
        .bind(at.to_rfc3339())
        .bind(to_json(body))
        .fetch_one(&self.pool)
        .await?;
        Ok(JobEvent {
            seq: u64::try_from(seq).unwrap_or_default(),
            at,
            body: body.clone(),
        })
    }

    /// A job's events numbered after `after`, in order.
    pub async fn events_after(&self, job: &JobId, after: u64) -> Result<Vec<JobEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, body FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(job.as_str())
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq")?;
                let at: String = r.try_get("at")?;
                let body: String = r.try_get("body")?;
                Ok(JobEvent {
                    seq: u64::try_from(seq).unwrap_or_default(),
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| corrupt("event time", e))?
                        .with_timezone(&Utc),
                    body: serde_json::from_str(&body).map_err(|e| corrupt("event", e))?,
                })
            })
            .collect()
    }

    /// Jobs left queued or running by a server that stopped without finishing them become
    /// interrupted; returns them with their new status.
    pub async fn interrupt_unfinished(&self, at: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        let jobs = self.unfinished_jobs().await?;
        let mut out = Vec::with_capacity(jobs.len());
        for mut job in jobs {
            job.status = job.status.finish(JobEnd::Interrupted, at);
            job.summary = Some("The server stopped while this job was running.".into());
            self.update_job(&job).await?;
            out.push(job);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{JobStatus, ProgressView};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.db")).await.unwrap();
        (dir, s)
    }

    fn job(at: DateTime<Utc>) -> Job {
        Job {
            id: JobId::generate(at),
            kind: JobKind::Dump,
            database: "demo".into(),
            started_by: "admin".into(),
            params: serde_json::json!({"format": "custom"}),
            status: JobStatus::Queued { queued_at: at },
            summary: None,
            artifact: None,
        }
    }

    #[tokio::test]
    async fn jobs_round_trip_and_list_newest_first() {
        let (_d, s) = store().await;
        let t0 = Utc::now();
        let a = job(t0 - chrono::Duration::seconds(10));
        let mut b = job(t0);
        s.insert_job(&a).await.unwrap();
        s.insert_job(&b).await.unwrap();
        b.status = b.status.clone().start(t0);
        b.artifact = Some(Artifact {
            file_name: "x.dump".into(),
            size_bytes: 3,
        });
        s.update_job(&b).await.unwrap();
        assert_eq!(s.job(&b.id).await.unwrap().unwrap(), b);
        let all = s.jobs(None, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|j| &j.id).collect::<Vec<_>>(),
            [&b.id, &a.id]
        );
        assert!(s.jobs(Some("other"), 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn events_are_numbered_per_job_and_read_after_a_point() {
        let (_d, s) = store().await;
        let j = job(Utc::now());
        s.insert_job(&j).await.unwrap();
        for i in 0..5 {
            let e = s
                .append_event(
                    &j.id,
                    Utc::now(),
                    &EventBody::Progress {
                        progress: ProgressView {
                            phase: "dumping".into(),
                            done: i,
                            total: Some(5),
                            unit: "tables".into(),
                            current: None,
                            bytes: 0,
                            bytes_per_second: None,
                            eta_seconds: None,
                        },
                    },
                )
                .await
                .unwrap();
            assert_eq!(e.seq, i + 1);
        }
        let after = s.events_after(&j.id, 3).await.unwrap();
        assert_eq!(after.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    }

    #[tokio::test]
    async fn unfinished_jobs_become_interrupted() {
        let (_d, s) = store().await;
        let t0 = Utc::now();
        let mut running = job(t0);
        running.status = running.status.clone().start(t0);
        s.insert_job(&running).await.unwrap();
        let mut done = job(t0);
        done.status = done.status.clone().start(t0).finish(JobEnd::Succeeded, t0);
        s.insert_job(&done).await.unwrap();

        let changed = s.interrupt_unfinished(t0).await.unwrap();
        assert_eq!(changed.len(), 1);
        let reread = s.job(&running.id).await.unwrap().unwrap();
        assert_eq!(reread.status.name(), "interrupted");
        assert_eq!(reread.status.started_at(), Some(t0));
        assert_eq!(
            s.job(&done.id).await.unwrap().unwrap().status.name(),
            "succeeded"
        );
    }
}
