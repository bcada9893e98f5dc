//! Databases: every one Tidemark serves, one of them, and what its Backups tab shows.

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::provider::{Backup, Database, Firewall, PitrWindow, ProviderError, SafetyCopy};
use tidemark_types::{PitrDrill, RepositoryCheck, Schedule, Verification};

/// Every database of the providers that answer, and a sentence for each that does not.
pub async fn list(tm: &Tidemark, who: &Caller) -> Result<(Vec<Database>, Vec<String>), OpsError> {
    tm.door(who, Action::Read, None).await?;
    Ok(tm.catalog.listing().await)
}

/// Every database, or the error of the only provider, when none answers.
pub async fn all(tm: &Tidemark, who: &Caller) -> Result<Vec<Database>, OpsError> {
    tm.door(who, Action::Read, None).await?;
    Ok(tm.catalog.databases().await?)
}

pub async fn get(tm: &Tidemark, who: &Caller, id: &str) -> Result<Database, OpsError> {
    tm.door(who, Action::Read, Some(id)).await?;
    Ok(tm.catalog.database(id).await?)
}

/// What a database's Backups tab shows, from one lookup of each.
#[derive(Debug, Clone)]
pub struct BackupsTab {
    pub database: Database,
    pub window: PitrWindow,
    pub backups: Vec<Backup>,
    pub schedule: Option<Schedule>,
    pub safety_copies: Vec<SafetyCopy>,
    pub firewall: Option<Firewall>,
    /// Newest first.
    pub verifications: Vec<Verification>,
    /// The newest point-in-time drill, for managed clusters.
    pub drill: Option<PitrDrill>,
    /// The newest repository check of each physical backup.
    pub repository: Vec<RepositoryCheck>,
}

/// The Backups tab of a database; `None` when there is none with this id.
pub async fn backups_tab(
    tm: &Tidemark,
    who: &Caller,
    id: &str,
) -> Result<Option<BackupsTab>, OpsError> {
    tm.door(who, Action::Read, Some(id)).await?;
    let o = match tm.catalog.overview(id).await {
        Ok(o) => o,
        Err(ProviderError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let db = &o.database;
    let schedule = if db.features.scheduled_backups {
        Some(crate::schedule::service::read(&tm.catalog, tm.store(), &db.id, tm.clock.now()).await?)
    } else {
        None
    };
    let safety_copies = tm.catalog.safety_copies(&db.id).await?;
    let firewall = if db.features.firewall {
        Some(tm.catalog.firewall(&db.id).await?)
    } else {
        None
    };
    let verifications = tm.store().verifications(&o.database.id, 200).await?;
    let drill = tm.store().drills(&db.id, 1).await?.into_iter().next();
    let repository = tm.store().repository_checks(&db.id).await?;
    Ok(Some(BackupsTab {
        database: o.database,
        window: o.window,
        backups: o.backups,
        schedule,
        safety_copies,
        firewall,
        verifications,
        drill,
        repository,
    }))
}
