//! Dumps: pg_dump of a database's main database, as a job.

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::jobs::Job;
use crate::work::dump::{self, StartDumpError};

impl From<StartDumpError> for OpsError {
    fn from(e: StartDumpError) -> Self {
        match e {
            StartDumpError::Provider(p) => p.into(),
            StartDumpError::Job(j) => j.into(),
            StartDumpError::NotSupported(m) => {
                OpsError::new(super::ErrorKind::Invalid, "not_supported", m)
            }
            StartDumpError::Unreachable(m) => {
                OpsError::new(super::ErrorKind::Invalid, "unreachable", m)
            }
            StartDumpError::NotFound(m) => OpsError::not_found("backup_not_found", m),
            StartDumpError::NoSpace(m) => OpsError::unavailable("disk_full", m),
        }
    }
}

/// Starts a dump of `database` (operators and up); returns the queued job.
pub async fn start(tm: &Tidemark, who: &Caller, database: &str) -> Result<Job, OpsError> {
    let door = tm.door(who, Action::Dump, Some(database)).await?;
    let result = dump::start_dump(&tm.jobs, &tm.catalog, &tm.config, database, &who.principal)
        .await
        .map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}
