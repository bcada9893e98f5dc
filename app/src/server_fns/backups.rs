//! Backups: a manual one, one made ready to restore, a verification, and a drill.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::StagedDump;

/// Takes a manual logical backup; returns the job's id.
#[server(prefix = "/_fn", endpoint = "trigger_backup")]
pub async fn trigger_backup(id: String) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let job = tidemark_core::ops::backups::take(&tm, &who, &id).await?;
    Ok(job.id.to_string())
}

/// Makes a backup ready to restore: its dump is taken out of its archive and kept as an upload.
#[server(prefix = "/_fn", endpoint = "stage_backup")]
pub async fn stage_backup(id: String, backup: String) -> Result<StagedDump, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let up = tidemark_core::ops::uploads::stage(&tm, &who, &id, &backup).await?;
    Ok(StagedDump::from_upload(&up))
}

/// Verifies a backup by a test restore on the scratch instance; returns the job's id.
#[server(prefix = "/_fn", endpoint = "verify_backup")]
pub async fn verify_backup(id: String, backup: String) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let job = tidemark_core::ops::verifications::start(&tm, &who, &id, &backup).await?;
    Ok(job.id.to_string())
}

/// Runs a point-in-time drill of a managed cluster; returns the job's id.
#[server(prefix = "/_fn", endpoint = "run_drill")]
pub async fn run_drill(id: String) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let job = tidemark_core::ops::drills::start(&tm, &who, &id).await?;
    Ok(job.id.to_string())
}

/// A backup's page: its database and the backup with its evidence; `None` when either is unknown.
#[server(prefix = "/_fn", endpoint = "backup_page")]
pub async fn load_backup_page(
    id: String,
    backup: String,
) -> Result<Option<crate::model::BackupPage>, AppError> {
    use tidemark_core::ops::{ErrorKind, databases, verifications};
    let (tm, who) = super::context::signed_in()?;
    let detail = match verifications::backup(&tm, &who, &id, &backup).await {
        Ok(detail) => detail,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let database = databases::get(&tm, &who, &id).await?;
    Ok(Some(crate::model::BackupPage {
        database,
        detail,
        shared: false,
    }))
}

/// Creates a read-only link to a backup's page, valid for 7 days; returns its path.
#[server(prefix = "/_fn", endpoint = "share_backup")]
pub async fn share_backup(id: String, backup: String) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let link = tidemark_core::ops::shares::create_for_backup(&tm, &who, &id, &backup, None).await?;
    Ok(link.path())
}

/// The backup a share link opens, read-only; `None` when the link is unknown, expired, revoked,
/// not a backup's, or its backup is gone. Public: the link's token is the credential. The page
/// holds the backup and its evidence, and of its database only the name.
#[server(prefix = "/_fn", endpoint = "shared_backup")]
pub async fn load_shared_backup(
    token: String,
) -> Result<Option<crate::model::BackupPage>, AppError> {
    use tidemark_core::ops;
    let tm = super::context::for_share_link()?;
    let Some(link) = ops::shares::open(&tm, &token).await? else {
        return Ok(None);
    };
    let Some((database, detail)) = ops::verifications::shared(&tm, &link).await? else {
        return Ok(None);
    };
    Ok(Some(
        crate::model::BackupPage {
            database,
            detail,
            shared: false,
        }
        .for_share_link(),
    ))
}
