//! Restores: the checks a restore would make, and the restore itself, into a new database
//! (operators and up) or in place (admins).

use super::{Caller, ErrorKind, OpsError, Tidemark};
use crate::auth::Action;
use crate::jobs::Job;
use crate::work::preflight::Check;
use crate::work::restore::{
    RestoreRequest, RestoreTarget, StartRestoreError, preflight_restore, start_restore,
};

impl From<StartRestoreError> for OpsError {
    fn from(e: StartRestoreError) -> Self {
        match e {
            StartRestoreError::Provider(p) => p.into(),
            StartRestoreError::Job(j) => j.into(),
            StartRestoreError::Store(s) => s.into(),
            StartRestoreError::Conflict(m) => {
                OpsError::conflict("database_exists", m).at("new_database")
            }
            StartRestoreError::Invalid { field, message } => OpsError::invalid(field, message),
            e @ StartRestoreError::Preflight(_) => {
                OpsError::new(ErrorKind::Invalid, "preflight_failed", e.to_string())
            }
        }
    }
}

/// The action a restore request needs.
fn action_of(request: &RestoreRequest) -> Action {
    match request.target {
        RestoreTarget::InPlace => Action::RestoreInPlace,
        RestoreTarget::NewDatabase(_) => Action::RestoreIntoNewDatabase,
    }
}

/// Runs the checks a restore would make, starting nothing.
pub async fn preflight(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    request: RestoreRequest,
) -> Result<Vec<Check>, OpsError> {
    tm.door(who, action_of(&request), Some(database)).await?;
    Ok(preflight_restore(
        &tm.jobs,
        &tm.catalog,
        &tm.config,
        database,
        &who.principal,
        request,
    )
    .await?)
}

/// Starts the restore when every check passes; returns the queued job.
pub async fn start(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    request: RestoreRequest,
) -> Result<Job, OpsError> {
    let door = tm.door(who, action_of(&request), Some(database)).await?;
    let result = start_restore(
        &tm.jobs,
        &tm.catalog,
        &tm.config,
        database,
        &who.principal,
        request,
    )
    .await
    .map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}
