//! Verifications: test restores of backups on the scratch instance, started and read.

use super::backups::backup_not_found;
use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::jobs::Job;
use crate::provider::{BackupMethod, Database, ProviderKind};
use crate::store::{LogicalBackup, ShareLink};
use crate::work::verify::start_verification;
use tidemark_types::{BackupDetail, Verification};

/// The most verifications a list gives.
const MOST: u32 = 200;

/// Starts a verification of one of the database's backups (operators and up).
pub async fn start(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    backup: &str,
) -> Result<Job, OpsError> {
    let door = tm.door(who, Action::VerifyBackup, Some(database)).await?;
    let result = start_verification(
        &tm.jobs,
        &tm.catalog,
        &tm.config,
        &tm.scratch,
        database,
        backup,
        &who.principal,
    )
    .await
    .map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}

/// A database's verifications, newest first (anyone signed in).
pub async fn list(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
) -> Result<Vec<Verification>, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    Ok(tm.store().verifications(&db.id, MOST).await?)
}

/// One of the database's backups with its evidence (anyone signed in).
pub async fn backup(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    backup: &str,
) -> Result<BackupDetail, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    detail_of(tm, &db, backup)
        .await?
        .ok_or_else(|| backup_not_found(&db.name, backup).coded("backup_not_found"))
}

/// The backup a share link opens, with its evidence; `None` when the link is not a backup's or
/// the backup is gone. The link's token was the credential.
pub async fn shared(
    tm: &Tidemark,
    link: &ShareLink,
) -> Result<Option<(Database, BackupDetail)>, OpsError> {
    if link.kind != super::shares::BACKUP {
        return Ok(None);
    }
    let db = tm.catalog.database(&link.database).await?;
    Ok(detail_of(tm, &db, &link.target).await?.map(|d| (db, d)))
}

/// A backup of `db` with its evidence; `None` when it has none with this id.
pub(super) async fn detail_of(
    tm: &Tidemark,
    db: &Database,
    backup: &str,
) -> Result<Option<BackupDetail>, OpsError> {
    let found: Option<LogicalBackup> = tm
        .store()
        .logical_backups(&db.id)
        .await?
        .into_iter()
        .find(|b| b.backup.id == backup);
    // A provider's backup (Scalingo) is known from the provider, with no checksum or counts.
    let found = match found {
        Some(record) => Some(record),
        None if db.provider == ProviderKind::Scalingo => tm
            .catalog
            .backups(&db.id)
            .await?
            .into_iter()
            .find(|b| {
                b.id == backup && matches!(b.method, BackupMethod::Manual | BackupMethod::Periodic)
            })
            .map(|b| LogicalBackup {
                database: db.id.clone(),
                file_name: format!("Scalingo backup {}", b.id),
                sha256: None,
                row_counts: None,
                backup: b,
            }),
        None => None,
    };
    let Some(record) = found else {
        return physical_detail(tm, db, backup).await;
    };
    let verifications = tm
        .store()
        .verifications_of_backup(&record.backup.id)
        .await?;
    Ok(Some(BackupDetail {
        backup: record.backup,
        database: record.database,
        file_name: record.file_name,
        sha256: record.sha256,
        row_counts: record.row_counts,
        verifications,
        repository_checks: Vec::new(),
    }))
}

/// A physical backup of a managed cluster with the checks of its files; `None` when it has none
/// with this id.
async fn physical_detail(
    tm: &Tidemark,
    db: &Database,
    backup: &str,
) -> Result<Option<BackupDetail>, OpsError> {
    if db.provider != ProviderKind::Local {
        return Ok(None);
    }
    let Some(found) = tm
        .catalog
        .backups(&db.id)
        .await?
        .into_iter()
        .find(|b| b.id == backup && b.method.is_physical())
    else {
        return Ok(None);
    };
    Ok(Some(BackupDetail {
        database: db.id.clone(),
        file_name: format!("pgBackRest backup {}", found.id),
        sha256: None,
        row_counts: None,
        verifications: Vec::new(),
        repository_checks: tm.store().repository_checks_of(&db.id, &found.id).await?,
        backup: found,
    }))
}
