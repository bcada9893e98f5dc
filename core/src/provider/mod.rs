//! Providers: where databases and their backups live (a managed local cluster, or Scalingo).

pub mod local;
mod model;

pub use model::*;

use async_trait::async_trait;

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
}
