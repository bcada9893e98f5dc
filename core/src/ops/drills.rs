//! Point-in-time drills of managed clusters, started and read, and the repository's checks.

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::jobs::Job;
use crate::work::drill::start_drill;
use tidemark_types::{PitrDrill, RepositoryCheck};

/// The most drills a list gives.
const MOST: u32 = 100;

/// Starts a drill of a managed cluster (operators and up, like a verification).
pub async fn start(tm: &Tidemark, who: &Caller, database: &str) -> Result<Job, OpsError> {
    let door = tm.door(who, Action::VerifyBackup, Some(database)).await?;
    let result = start_drill(&tm.jobs, &tm.catalog, database, &who.principal)
        .await
        .map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}

/// A database's drills, newest first (anyone signed in).
pub async fn list(tm: &Tidemark, who: &Caller, database: &str) -> Result<Vec<PitrDrill>, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    Ok(tm.store().drills(&db.id, MOST).await?)
}

/// The newest repository check of each physical backup (anyone signed in).
pub async fn repository_checks(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
) -> Result<Vec<RepositoryCheck>, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    Ok(tm.store().repository_checks(&db.id).await?)
}
