//! Verifies the logical backups of Tidemark's own databases on their own, as each database's
//! setting says: each new backup soon after it is made (the default), the newest once a day, or
//! only when asked.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::verify::start_verification;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::{Job, JobRunner};
use crate::provider::local::scratch::ScratchInstance;
use crate::provider::{BackupMethod, BackupStatus, ProviderKind};
use chrono::{TimeDelta, Utc};
use tidemark_types::{Evidence, Verification, VerificationMode, VerificationOutcome};

/// The name verifications started on their own are recorded under.
pub const AUTO_VERIFIER: &str = "verifier";
const EVERY: Duration = Duration::from_secs(15);

/// What starts verifications of new backups.
#[derive(Debug)]
pub struct AutoVerifier {
    pub runner: Arc<JobRunner>,
    pub catalog: Catalog,
    pub config: Arc<Config>,
    pub scratch: Arc<ScratchInstance>,
}

impl AutoVerifier {
    /// Looks every few seconds until cancelled.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        crate::periodic::every(EVERY, token, || async {
            if let Err(e) = self.round().await {
                tracing::warn!(error = %format!("{e:#}"), "cannot look for backups to verify");
            }
        })
        .await
    }

    /// Starts a verification of each database's newest finished logical backup that has none
    /// yet; returns the jobs it started.
    pub async fn round(&self) -> anyhow::Result<Vec<Job>> {
        let store = self.runner.store();
        let mut started = Vec::new();
        for db in self.catalog.databases().await? {
            // Scalingo's backups are verified when someone asks (each is streamed from Scalingo).
            let (newest, default) = if db.provider == ProviderKind::Scalingo {
                let newest = self
                    .catalog
                    .backups(&db.id)
                    .await?
                    .into_iter()
                    .filter(|b| {
                        b.status == BackupStatus::Done
                            && matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic)
                    })
                    .max_by_key(|b| b.created_at);
                (newest, VerificationMode::Off)
            } else {
                let newest = store
                    .logical_backups(&db.id)
                    .await?
                    .into_iter()
                    .find(|b| b.backup.status == BackupStatus::Done)
                    .map(|b| b.backup);
                (newest, VerificationMode::AfterEach)
            };
            let Some(newest) = newest else { continue };
            let mode = store.verification_mode(&db.id).await?.unwrap_or(default);
            let due = match mode {
                VerificationMode::Off => false,
                // Each backup once: the newest, unless it has been (or is being) verified.
                VerificationMode::AfterEach => {
                    store.verifications_of_backup(&newest.id).await?.is_empty()
                }
                // The newest backup again, a day after the database's last verification began.
                VerificationMode::Daily => store
                    .verifications(&db.id, 1)
                    .await?
                    .first()
                    .is_none_or(|v| Utc::now() - v.started_at >= TimeDelta::days(1)),
            };
            if !due {
                continue;
            }
            let job = start_verification(
                &self.runner,
                &self.catalog,
                &self.config,
                &self.scratch,
                &db.id,
                &newest.id,
                &Principal::system(AUTO_VERIFIER),
            )
            .await;
            match job {
                Ok(job) => {
                    tracing::info!(database = %db.id, backup = %newest.id, job = %job.id, "verifying a new backup");
                    started.push(job);
                }
                Err(e) => {
                    // Said once, where the backup's verifications are read, rather than tried
                    // again every few seconds.
                    tracing::warn!(database = %db.id, backup = %newest.id, error = %e, "cannot verify a new backup");
                    let now = Utc::now();
                    store
                        .save_verification(&Verification {
                            id: format!("refused-{}", newest.id),
                            database: db.id.clone(),
                            backup: newest.id.clone(),
                            started_at: now,
                            finished_at: Some(now),
                            outcome: VerificationOutcome::Failed,
                            evidence: Evidence {
                                failure: Some(format!("The verification could not start: {e}")),
                                ..Evidence::default()
                            },
                        })
                        .await?;
                }
            }
        }
        Ok(started)
    }
}
