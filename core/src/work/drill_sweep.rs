//! Proves the physical backups of managed clusters on its own: `pgbackrest verify` once a day,
//! and a point-in-time drill once a week, each counted from the last one (or, before the first,
//! from the cluster's oldest physical backup).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use super::drill::{start_drill, start_repository_check};
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::jobs::{Job, JobKind, JobRunner};
use crate::provider::ProviderKind;

/// The name checks and drills started on their own are recorded under.
pub const AUTO_DRILLER: &str = "verifier";
const EVERY: Duration = Duration::from_secs(300);
pub const REPOSITORY_CHECK_EVERY: TimeDelta = TimeDelta::days(1);
pub const DRILL_EVERY: TimeDelta = TimeDelta::days(7);

/// Whether something done every `every` is due, given when it was last done (or, never done,
/// when there was first something to do it on).
pub fn due(
    last: Option<DateTime<Utc>>,
    first: DateTime<Utc>,
    every: TimeDelta,
    now: DateTime<Utc>,
) -> bool {
    now - last.unwrap_or(first) >= every
}

/// What starts repository checks and drills.
#[derive(Debug)]
pub struct DrillSweeper {
    pub runner: Arc<JobRunner>,
    pub catalog: Catalog,
}

impl DrillSweeper {
    /// Looks every few minutes until cancelled.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        crate::periodic::every(EVERY, token, || async {
            if let Err(e) = self.round(Utc::now()).await {
                tracing::warn!(error = %format!("{e:#}"), "cannot look for drills to run");
            }
        })
        .await
    }

    /// Starts what is due at `now`; returns the jobs it started.
    pub async fn round(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Job>> {
        let store = self.runner.store();
        let unfinished = store.unfinished_jobs().await?;
        let recent = store.jobs(None, 500).await?;
        let mut started = Vec::new();
        for db in self.catalog.databases_of(ProviderKind::Local).await? {
            if !db.features.pitr {
                continue;
            }
            let busy = |kind: JobKind| {
                unfinished
                    .iter()
                    .any(|j| j.database == db.id && j.kind == kind)
            };
            let Some(first) = self
                .catalog
                .backups(&db.id)
                .await?
                .into_iter()
                .filter(|b| b.method.is_physical())
                .filter_map(|b| b.finished_at)
                .min()
            else {
                continue;
            };
            let who = Principal::system(AUTO_DRILLER);
            // The last try counts as much as the last result: a check or a drill that failed
            // before recording anything is not tried again at once.
            let tried = |kind: JobKind| {
                recent
                    .iter()
                    .filter(|j| j.database == db.id && j.kind == kind)
                    .map(|j| j.status.queued_at())
                    .max()
            };
            let last_check = store
                .repository_checks(&db.id)
                .await?
                .into_iter()
                .map(|c| c.checked_at)
                .chain(tried(JobKind::RepositoryCheck))
                .max();
            let last_drill = store
                .drills(&db.id, 1)
                .await?
                .first()
                .map(|d| d.started_at)
                .into_iter()
                .chain(tried(JobKind::PitrDrill))
                .max();
            let mut job = None;
            if due(last_drill, first, DRILL_EVERY, now) && !busy(JobKind::PitrDrill) {
                job = Some(start_drill(&self.runner, &self.catalog, &db.id, &who).await);
            }
            // A drill checks the repository first; when none starts, the check is decided alone.
            if !matches!(job, Some(Ok(_)))
                && due(last_check, first, REPOSITORY_CHECK_EVERY, now)
                && !busy(JobKind::RepositoryCheck)
            {
                if let Some(Err(e)) = &job {
                    tracing::warn!(database = %db.id, error = %e, "cannot drill the recoverable window");
                }
                job = Some(start_repository_check(&self.runner, &self.catalog, &db.id, &who).await);
            }
            let Some(job) = job else { continue };
            match job {
                Ok(job) => {
                    tracing::info!(database = %db.id, job = %job.id, kind = job.kind.as_str(), "proving the physical backups");
                    started.push(job);
                }
                Err(e) => {
                    tracing::warn!(database = %db.id, error = %e, "cannot prove the physical backups")
                }
            }
        }
        Ok(started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_counts_from_the_last_time_or_else_from_the_first_backup() {
        let t = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        assert!(!due(None, t(1, 0), DRILL_EVERY, t(7, 23)));
        assert!(due(None, t(1, 0), DRILL_EVERY, t(8, 0)));
        assert!(!due(
            Some(t(2, 12)),
            t(1, 0),
            REPOSITORY_CHECK_EVERY,
            t(3, 11)
        ));
        assert!(due(
            Some(t(2, 12)),
            t(1, 0),
            REPOSITORY_CHECK_EVERY,
            t(3, 12)
        ));
    }
}
