//! Backups: the list, a manual logical backup, and where to download one from.

use std::path::PathBuf;

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::jobs::Job;
use crate::provider::{ArchiveStream, Backup, BackupMethod};
use crate::work::backup::{find_archive, start_backup};

/// A database's backups, newest first (anyone signed in).
pub async fn list(tm: &Tidemark, who: &Caller, database: &str) -> Result<Vec<Backup>, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    Ok(tm.catalog.backups(database).await?)
}

/// Takes a manual logical backup as a job (operators and up).
pub async fn take(tm: &Tidemark, who: &Caller, database: &str) -> Result<Job, OpsError> {
    let door = tm.door(who, Action::ManualBackup, Some(database)).await?;
    let result = start_backup(
        &tm.jobs,
        &tm.catalog,
        &tm.config,
        database,
        BackupMethod::Manual,
        &who.principal,
    )
    .await
    .map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}

/// Where a backup's archive is read from.
#[derive(Debug)]
pub enum Download {
    /// The provider keeps it: streamed through from there.
    Stream(ArchiveStream),
    /// Tidemark keeps it: a file on this server.
    File { path: PathBuf, file_name: String },
}

/// A backup's archive (`latest`: the newest successful logical one), from `range` when given.
pub async fn download(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    backup: &str,
    range: Option<&str>,
) -> Result<Download, OpsError> {
    tm.door(who, Action::Download, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    if let Some(archive) = tm.catalog.open_archive(&db.id, backup, range).await? {
        return Ok(Download::Stream(archive));
    }
    match find_archive(tm.store(), &tm.config, &db.id, backup).await? {
        Some((record, path)) => Ok(Download::File {
            path,
            file_name: record.file_name,
        }),
        None => Err(backup_not_found(&db.name, backup)),
    }
}

/// No downloadable backup by that id, in words that say why.
pub fn backup_not_found(database_name: &str, backup: &str) -> OpsError {
    let physical = backup.ends_with('F') || backup.ends_with('D') || backup.ends_with('I');
    OpsError::not_found(
        "backup_not_found",
        if backup == "latest" {
            format!("{database_name} has no successful logical backup to download yet.")
        } else if physical {
            format!(
                "'{backup}' is a physical backup: it is restored through point-in-time recovery, not downloaded."
            )
        } else {
            format!("{database_name} has no downloadable backup with the id '{backup}'.")
        },
    )
}
