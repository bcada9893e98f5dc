//! The local provider: PostgreSQL clusters that Tidemark manages, archived and backed up by pgBackRest.

mod canary;
mod cluster;
mod demo;
mod drill;
mod error;
mod owner;
mod pitr;
pub mod scratch;
mod window;

pub use canary::{CANARY_DATABASE, CanaryWriter};
pub use cluster::{ClusterSpec, ManagedCluster, quote_ident};
pub use error::ClusterError;
pub use window::recoverable_window;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Backup, BackupMethod, BackupStatus, Database, DatabaseStatus, Features, Hosting, PitrWindow,
    Provider, ProviderError, ProviderKind, SafetyCopy,
};
use crate::jobs::JobContext;
use crate::pgtools::pg_dump::ConnTarget;
use crate::pgtools::pgbackrest::{PhysicalBackup, PhysicalKind};
use crate::pgtools::repo_verify::RepoVerdict;
use crate::store::Store;
use tidemark_types::DrillEvidence;

/// Serves the managed clusters, one Tidemark database per cluster's main database.
#[derive(Debug)]
pub struct LocalProvider {
    clusters: Vec<Arc<ManagedCluster>>,
    /// Where the logical backups' catalogue lives.
    store: Store,
}

impl LocalProvider {
    pub fn new(clusters: Vec<Arc<ManagedCluster>>, store: Store) -> Self {
        Self { clusters, store }
    }

    fn cluster(&self, id: &str) -> Result<&Arc<ManagedCluster>, ProviderError> {
        self.clusters
            .iter()
            .find(|c| c.spec.id == id)
            .ok_or_else(|| ProviderError::NotFound(id.to_string()))
    }
}

fn physical_backup(b: &PhysicalBackup) -> Backup {
    Backup {
        id: b.label.clone(),
        created_at: b.started_at,
        finished_at: Some(b.stopped_at),
        size_bytes: Some(b.repository_bytes),
        status: if b.error {
            BackupStatus::Error
        } else {
            BackupStatus::Done
        },
        method: match b.kind {
            PhysicalKind::Full => BackupMethod::PhysicalFull,
            PhysicalKind::Differential => BackupMethod::PhysicalDifferential,
            PhysicalKind::Incremental => BackupMethod::PhysicalIncremental,
        },
    }
}

#[async_trait]
impl Provider for LocalProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Local
    }

    async fn databases(&self) -> Result<Vec<Database>, ProviderError> {
        let mut out = Vec::with_capacity(self.clusters.len());
        for c in &self.clusters {
            let running = c.is_running().await;
            out.push(Database {
                id: c.spec.id.clone(),
                name: c.spec.display_name.clone(),
                provider: ProviderKind::Local,
                hosting: Hosting::Managed,
                engine: c.engine_version(),
                main_database: c.spec.main_database.clone(),
                features: Features::managed(),
                status: if running {
                    DatabaseStatus::Running
                } else {
                    DatabaseStatus::Stopped
                },
                plan: None,
            });
        }
        Ok(out)
    }

    /// Physical (pgBackRest) and logical (pg_dump archives) backups together, newest first.
    async fn backups(&self, database: &str) -> Result<Vec<Backup>, ProviderError> {
        let c = self.cluster(database)?;
        let info = c.info().await.map_err(ProviderError::from)?;
        let mut list: Vec<Backup> = info.backups.iter().map(physical_backup).collect();
        let logical = self
            .store
            .logical_backups(database)
            .await
            .map_err(|e| ProviderError::Internal(e.to_string()))?;
        list.extend(logical.into_iter().map(|l| l.backup));
        list.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(list)
    }

    async fn pitr_window(&self, database: &str) -> Result<PitrWindow, ProviderError> {
        let c = self.cluster(database)?;
        let info = c.info().await.map_err(ProviderError::from)?;
        let (last_archived, timeline) = c.archive_state().await.map_err(ProviderError::from)?;
        Ok(
            match recoverable_window(&info.backups, last_archived, timeline) {
                Some((earliest, latest)) => PitrWindow::available(earliest, latest),
                None => PitrWindow::unavailable(
                    "There is no successful physical backup yet, so no point in time can be restored.",
                ),
            },
        )
    }

    async fn connection(&self, database: &str) -> Result<ConnTarget, ProviderError> {
        Ok(self.cluster(database)?.conn_target())
    }

    async fn pitr_restore(
        &self,
        database: &str,
        target: DateTime<Utc>,
        ctx: &JobContext,
    ) -> anyhow::Result<String> {
        self.cluster(database)?.restore_to(target, ctx).await
    }

    async fn physical_backup(&self, database: &str, ctx: &JobContext) -> anyhow::Result<String> {
        let c = self.cluster(database)?;
        ctx.progress
            .phase("taking a full physical backup", "", None)
            .await?;
        let started = std::time::Instant::now();
        c.backup(PhysicalKind::Full).await?;
        Ok(format!(
            "Took a full physical backup with pgBackRest in {:.1} s.",
            started.elapsed().as_secs_f64()
        ))
    }

    async fn check_repository(&self, database: &str) -> anyhow::Result<RepoVerdict> {
        self.cluster(database)?.check_repository().await
    }

    async fn pitr_drill(
        &self,
        database: &str,
        ctx: &JobContext,
        evidence: &mut DrillEvidence,
    ) -> anyhow::Result<bool> {
        self.cluster(database)?.drill(ctx, evidence).await
    }

    async fn safety_copies(&self, database: &str) -> Result<Vec<SafetyCopy>, ProviderError> {
        Ok(self.cluster(database)?.safety_copies())
    }

    async fn discard_safety_copy(&self, database: &str, id: &str) -> Result<bool, ProviderError> {
        Ok(self.cluster(database)?.discard_safety_copy(id)?)
    }
}
