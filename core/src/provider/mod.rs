//! Providers: where databases and their backups live (a managed local cluster, or Scalingo).

pub mod cidr;
pub mod external;
pub mod local;
mod model;
pub mod scalingo;

pub use model::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::jobs::JobContext;

use crate::pgtools::ToolError;
use crate::pgtools::pg_dump::ConnTarget;

/// Why a provider could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("no database with the id '{0}'")]
    NotFound(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("database query failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
    /// Something named in the request does not exist; the sentence says what.
    #[error("{0}")]
    Missing(String),
    /// The request was refused field by field.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The request cannot be done now (another operation runs, a limit is reached).
    #[error("{0}")]
    Conflict(String),
    /// This database does not offer what was asked.
    #[error("{0}")]
    NotSupported(String),
    /// The provider's own service failed or refused Tidemark's credentials.
    #[error("{0}")]
    Upstream(String),
}

/// One source of databases. Each call names a database by its Tidemark id.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Which kind of provider this is.
    fn kind(&self) -> ProviderKind;

    /// The databases this provider serves.
    async fn databases(&self) -> Result<Vec<Database>, ProviderError>;

    /// Backups of one database, newest first.
    async fn backups(&self, database: &str) -> Result<Vec<Backup>, ProviderError>;

    /// The span of time the database can be restored to.
    async fn pitr_window(&self, database: &str) -> Result<PitrWindow, ProviderError>;

    /// How to log in to the database's main database, for dumps and restores.
    async fn connection(&self, database: &str) -> Result<ConnTarget, ProviderError>;

    /// Restores the database to `target` as the work of a running job; returns its summary.
    /// The caller has checked the window and the confirmation.
    async fn pitr_restore(
        &self,
        database: &str,
        target: DateTime<Utc>,
        ctx: &JobContext,
    ) -> anyhow::Result<String> {
        let _ = (target, ctx);
        anyhow::bail!("{database} offers no point-in-time recovery here")
    }

    /// `pgbackrest verify`'s word on the repository of a cluster with continuous archiving.
    async fn check_repository(
        &self,
        database: &str,
    ) -> anyhow::Result<crate::pgtools::repo_verify::RepoVerdict> {
        anyhow::bail!("{database} keeps no physical backups here")
    }

    /// Restores the database beside itself to a recent moment and checks its canary, as the
    /// work of a running job, filling `evidence`; `false` when cancelled.
    async fn pitr_drill(
        &self,
        database: &str,
        ctx: &JobContext,
        evidence: &mut tidemark_types::DrillEvidence,
    ) -> anyhow::Result<bool> {
        let _ = (ctx, evidence);
        anyhow::bail!("{database} offers no point-in-time recovery here")
    }

    /// Takes a full physical backup as the work of a running job; returns its summary.
    async fn physical_backup(&self, database: &str, ctx: &JobContext) -> anyhow::Result<String> {
        let _ = ctx;
        anyhow::bail!("{database} takes no physical backups here")
    }

    /// Data directories that point-in-time restores set aside.
    async fn safety_copies(&self, database: &str) -> Result<Vec<SafetyCopy>, ProviderError> {
        let _ = database;
        Ok(Vec::new())
    }

    /// Deletes a safety copy; false when there is none with that id.
    async fn discard_safety_copy(&self, database: &str, id: &str) -> Result<bool, ProviderError> {
        let _ = (database, id);
        Ok(false)
    }

    /// The daily schedule the provider keeps itself; `None` when Tidemark's scheduler keeps it.
    async fn own_schedule(
        &self,
        database: &str,
    ) -> Result<Option<ProviderSchedule>, ProviderError> {
        let _ = database;
        Ok(None)
    }

    /// Changes the schedule the provider keeps: off keeps the hour.
    async fn set_own_schedule(
        &self,
        database: &str,
        enabled: bool,
        hour: Option<u8>,
    ) -> Result<ProviderSchedule, ProviderError> {
        let _ = (enabled, hour);
        Err(ProviderError::NotSupported(format!(
            "{database} has no schedule kept by its provider."
        )))
    }

    /// Takes a backup on the provider's side as the work of a running job; returns its summary.
    async fn provider_backup(&self, database: &str, ctx: &JobContext) -> anyhow::Result<String> {
        let _ = ctx;
        anyhow::bail!("{database} takes no backups on its provider's side")
    }

    /// Opens a backup's archive kept by the provider, from `range` (an HTTP Range value) when
    /// given; `None` when the provider keeps no archives (Tidemark's own are files).
    async fn open_archive(
        &self,
        database: &str,
        backup: &str,
        range: Option<&str>,
    ) -> Result<Option<ArchiveStream>, ProviderError> {
        let _ = (database, backup, range);
        Ok(None)
    }

    /// The firewall rules and the ranges a rule can name.
    async fn firewall(&self, database: &str) -> Result<Firewall, ProviderError> {
        Err(ProviderError::NotSupported(format!(
            "{database} has no firewall rules to manage here."
        )))
    }

    async fn add_firewall_rule(
        &self,
        database: &str,
        rule: NewFirewallRule,
    ) -> Result<FirewallRule, ProviderError> {
        let _ = rule;
        Err(ProviderError::NotSupported(format!(
            "{database} has no firewall rules to manage here."
        )))
    }

    async fn remove_firewall_rule(&self, database: &str, id: &str) -> Result<(), ProviderError> {
        let _ = id;
        Err(ProviderError::NotSupported(format!(
            "{database} has no firewall rules to manage here."
        )))
    }
}
