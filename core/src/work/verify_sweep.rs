//! Verifies logical backups on their own, as each database's setting says: each new backup soon
//! after it is made (the default for Tidemark's own databases), the newest once a day (the
//! default for Scalingo's, whose archives are streamed from Scalingo), or only when asked.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::verify::start_verification;
use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::jobs::{Job, JobKind, JobRunner};
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
        let mut verifying = store
            .unfinished_jobs()
            .await?
            .iter()
            .any(|j| j.kind == JobKind::Verification);
        for db in self.catalog.databases().await? {
            let scalingo = db.provider == ProviderKind::Scalingo;
            // Scalingo's newest backup once a day by default (each is streamed from Scalingo).
            let default = if scalingo {
                VerificationMode::Daily
            } else {
                VerificationMode::AfterEach
            };
            let mode = store.verification_mode(&db.id).await?.unwrap_or(default);
            // Decided from the state database first: the provider is asked for its backups only
            // when one is due, which keeps Scalingo's request budget for the people using it.
            match mode {
                VerificationMode::Off => continue,
                // The newest backup again, a day after the database's last verification began;
                // one database at a time, so that many never wait on the scratch instance at once.
                VerificationMode::Daily => {
                    let recent = store
                        .verifications(&db.id, 1)
                        .await?
                        .first()
                        .is_some_and(|v| Utc::now() - v.started_at < TimeDelta::days(1));
                    if verifying || recent {
                        continue;
                    }
                }
                VerificationMode::AfterEach => {}
            }
            let newest = if scalingo {
                self.catalog
                    .backups(&db.id)
                    .await?
                    .into_iter()
                    .filter(|b| {
                        b.status == BackupStatus::Done
                            && matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic)
                    })
                    .max_by_key(|b| b.created_at)
            } else {
                store
                    .logical_backups(&db.id)
                    .await?
                    .into_iter()
                    .find(|b| b.backup.status == BackupStatus::Done)
                    .map(|b| b.backup)
            };
            let Some(newest) = newest else { continue };
            // Each backup once: the newest, unless it has been (or is being) verified.
            if mode == VerificationMode::AfterEach
                && !store.verifications_of_backup(&newest.id).await?.is_empty()
            {
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
                    verifying = true;
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
