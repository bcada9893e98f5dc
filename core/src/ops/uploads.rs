//! Dumps to restore, kept on the server for a day: a file sent by someone (operators and up), or
//! a logical backup made ready (its dump taken out of its archive).

use tokio::io::AsyncRead;

use super::{Caller, ErrorKind, OpsError, Tidemark};
use crate::auth::Action;
use crate::work::staging::{StageError, stage_backup};
use crate::work::upload::{Upload, UploadError, UploadLimits, receive};

impl From<UploadError> for OpsError {
    fn from(e: UploadError) -> Self {
        match &e {
            UploadError::TooLarge { .. } | UploadError::UnpacksTooLarge { .. } => {
                OpsError::new(ErrorKind::Invalid, "upload_too_large", e.to_string())
            }
            UploadError::DiskFull { .. } => {
                tracing::warn!(error = %e, "refused an upload: the disk is nearly full");
                OpsError::unavailable("disk_full", e.to_string())
            }
            e if e.is_client_error() => {
                OpsError::new(ErrorKind::Invalid, "not_a_dump", e.to_string())
            }
            e => OpsError::internal(e, "store the upload"),
        }
    }
}

impl From<StageError> for OpsError {
    fn from(e: StageError) -> Self {
        match e {
            StageError::Provider(p) => p.into(),
            StageError::Store(s) => s.into(),
            StageError::NotFound(m) => OpsError::not_found("backup_not_found", m),
            StageError::Upload(u) => u.into(),
        }
    }
}

/// Receives a dump sent for a restore into `database`: checked, and kept when it is one.
pub async fn receive_file(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    body: impl AsyncRead + Unpin,
) -> Result<Upload, OpsError> {
    let door = tm.door(who, Action::Upload, Some(database)).await?;
    let result = async {
        tm.catalog.database(database).await?;
        let limits = UploadLimits::from_max(tm.config.max_upload_bytes);
        Ok(receive(&tm.config.artifacts_dir(), &limits, body).await?)
    }
    .await;
    door.end(result, |up| up.id.clone()).await
}

/// Makes backup `backup` of `database` (`latest`: its newest successful logical backup) ready
/// to restore.
pub async fn stage(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    backup: &str,
) -> Result<Upload, OpsError> {
    let door = tm.door(who, Action::Upload, Some(database)).await?;
    let result = stage_backup(&tm.catalog, tm.store(), &tm.config, database, backup)
        .await
        .map_err(OpsError::from);
    door.end(result, |up| up.id.clone()).await
}
