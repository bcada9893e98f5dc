//! Providers: where databases and their backups live (a managed local cluster, or Scalingo).

pub mod external;
pub mod local;
mod model;

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
}

/// One source of databases. Each call names a database by its Tidemark id.
#[async_trait]
pub trait Provider: Send + Sync {
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
}
