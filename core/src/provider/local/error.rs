//! What can go wrong while creating, starting or asking a managed cluster.

use crate::pgtools::ToolError;
use crate::pgtools::pgbackrest::InfoError;
use crate::provider::ProviderError;
use crate::store::StoreError;
use crate::sysuser::SysUserError;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    User(#[from] SysUserError),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Info(#[from] InfoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the PostgreSQL cluster '{cluster}' did not start ({reason}); read its log {log_file}, which ends with:\n{log_tail}"
    )]
    StartFailed {
        cluster: String,
        reason: String,
        log_file: String,
        log_tail: String,
    },
    #[error("cannot connect to the cluster '{cluster}': {source}")]
    Connect {
        cluster: String,
        source: sqlx::Error,
    },
}

impl From<ClusterError> for ProviderError {
    fn from(e: ClusterError) -> Self {
        match e {
            ClusterError::Tool(t) => ProviderError::Tool(t),
            other => ProviderError::Unavailable(other.to_string()),
        }
    }
}
