//! Point-in-time recovery: the recoverable window (anyone), and a restore to a moment in it
//! (admins).

use super::{Caller, ErrorKind, OpsError, Tidemark};
use crate::auth::Action;
use crate::jobs::Job;
use crate::provider::PitrWindow;
use crate::work::pitr::{PitrRequest, StartPitrError, start_pitr_restore};

impl From<StartPitrError> for OpsError {
    fn from(e: StartPitrError) -> Self {
        match e {
            StartPitrError::Provider(p) => p.into(),
            StartPitrError::Job(j) => j.into(),
            StartPitrError::NotSupported(m) => {
                OpsError::new(ErrorKind::Invalid, "not_supported", m)
            }
            StartPitrError::Invalid { field, message } => OpsError::invalid(field, message),
        }
    }
}

/// The span a restore can target, or why there is none.
pub async fn window(tm: &Tidemark, who: &Caller, database: &str) -> Result<PitrWindow, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    Ok(tm.catalog.pitr_window(database).await?)
}

/// Restores the database to `request.restore_time`, once confirmed; returns the queued job.
pub async fn restore(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    request: PitrRequest,
) -> Result<Job, OpsError> {
    let door = tm.door(who, Action::PitrRestore, Some(database)).await?;
    let result = start_pitr_restore(&tm.jobs, &tm.catalog, database, request, &who.principal)
        .await
        .map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}
