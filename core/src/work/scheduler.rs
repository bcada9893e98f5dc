//! The scheduler: starts the daily logical backups and the periodic full physical backups that are
//! due, one per slot and never two of a kind at once for a database.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::backup::{PHYSICAL_FULL, start_backup, start_physical_backup};
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::JobRunner;
use crate::jobs::{Job, JobKind};
use crate::provider::{BackupMethod, BackupStatus, Database, ProviderKind};
use crate::schedule::daily::due_slot;
use crate::store::StoreError;

/// Who the scheduler's jobs are started by.
pub const SCHEDULER: &str = "scheduler";

/// How often the scheduler looks.
const TICK: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct Scheduler {
    pub runner: Arc<JobRunner>,
    pub catalog: Catalog,
    pub config: Arc<Config>,
}

impl Scheduler {
    /// Looks every few seconds until cancelled.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        loop {
            if let Err(e) = self.tick(Utc::now()).await {
                tracing::warn!(error = %format!("{e:#}"), "the scheduler could not check the schedules");
            }
            tokio::select! {
                () = token.cancelled() => return Ok(()),
                () = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// Starts what is due at `now`; returns the jobs it started.
    pub async fn tick(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Job>> {
        let mut started = Vec::new();
        // Scalingo runs its own schedules; only Tidemark's databases are looked at here.
        for db in self.catalog.databases_of(ProviderKind::Local).await? {
            if db.features.scheduled_backups
                && let Some(job) = self.daily_backup(&db, now).await?
            {
                started.push(job);
            }
            if db.features.pitr
                && self.config.full_backup_every_days > 0
                && let Some(job) = self.physical_backup(&db, now).await?
            {
                started.push(job);
            }
        }
        Ok(started)
    }

    async fn daily_backup(&self, db: &Database, now: DateTime<Utc>) -> anyhow::Result<Option<Job>> {
        let store = self.runner.store();
        let record = store.schedule(&db.id, now).await?;
        let Some(slot) = due_slot(
            &record.schedule,
            record.last_run,
            now,
            self.config.catch_up_missed_backups,
        ) else {
            return Ok(None);
        };
        if self.busy(&db.id, "periodic").await? {
            return Ok(None);
        }
        if !store.claim_slot(&db.id, slot).await? {
            return Ok(None);
        }
        tracing::info!(database = %db.id, slot = %slot, "starting the scheduled backup");
        let job = start_backup(
            &self.runner,
            &self.catalog,
            &self.config,
            &db.id,
            BackupMethod::Periodic,
            &Principal::system(SCHEDULER),
        )
        .await?;
        Ok(Some(job))
    }

    async fn physical_backup(
        &self,
        db: &Database,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Job>> {
        let newest_full = self
            .catalog
            .backups(&db.id)
            .await?
            .into_iter()
            .filter(|b| b.method == BackupMethod::PhysicalFull && b.status == BackupStatus::Done)
            .filter_map(|b| b.finished_at)
            .max();
        let every = chrono::Duration::days(i64::from(self.config.full_backup_every_days));
        if newest_full.is_some_and(|t| now - t < every) || self.busy(&db.id, PHYSICAL_FULL).await? {
            return Ok(None);
        }
        tracing::info!(database = %db.id, "starting the periodic full physical backup");
        let job = start_physical_backup(
            &self.runner,
            &self.catalog,
            &db.id,
            &Principal::system(SCHEDULER),
        )
        .await?;
        Ok(Some(job))
    }

    /// Whether a backup job of this method is queued or running for the database.
    async fn busy(&self, database: &str, method: &str) -> Result<bool, StoreError> {
        let jobs = self.runner.store().jobs(Some(database), 50).await?;
        Ok(jobs.iter().any(|j| {
            j.kind == JobKind::Backup
                && !j.status.is_finished()
                && j.params.get("method").and_then(|m| m.as_str()) == Some(method)
        }))
    }
}
