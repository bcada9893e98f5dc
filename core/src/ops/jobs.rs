//! Jobs: the list with its filters, one job, its page as of its record, what it produced, and
//! cancelling it (operators and up).

use std::path::PathBuf;

use super::{Caller, OpsError, Tidemark, job_not_found};
use crate::auth::Action;
use crate::jobs::{Job, JobEvent, JobId, JobKind, JobState, as_of_record};
use crate::work::dump::artifact_path;

/// Which jobs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub database: Option<String>,
    pub state: Option<JobState>,
    pub kind: Option<JobKind>,
    /// At most this many, newest first: 1 to 500, 100 when not given.
    pub limit: Option<u32>,
}

/// The most jobs one list holds.
pub const MAX_LIST: u32 = 500;

/// Jobs, newest first.
pub async fn list(tm: &Tidemark, who: &Caller, filter: JobFilter) -> Result<Vec<Job>, OpsError> {
    tm.door(who, Action::Read, filter.database.as_deref())
        .await?;
    let limit = filter.limit.unwrap_or(100);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(OpsError::invalid(
            "limit",
            format!("limit must be a number from 1 to {MAX_LIST}."),
        ));
    }
    let filtered = filter.state.is_some() || filter.kind.is_some();
    let jobs = tm
        .store()
        .jobs(
            filter.database.as_deref(),
            if filtered { MAX_LIST } else { limit },
        )
        .await?;
    Ok(jobs
        .into_iter()
        .filter(|j| filter.state.is_none_or(|s| j.status.state() == s))
        .filter(|j| filter.kind.is_none_or(|k| j.kind == k))
        .take(limit as usize)
        .collect())
}

fn parse(id: &str) -> Result<JobId, OpsError> {
    JobId::parse(id).ok_or_else(|| job_not_found(id))
}

/// One job.
pub async fn get(tm: &Tidemark, who: &Caller, id: &str) -> Result<Job, OpsError> {
    tm.door(who, Action::Read, None).await?;
    tm.store()
        .job(&parse(id)?)
        .await?
        .ok_or_else(|| job_not_found(id))
}

/// A job and its stored events as of its record: a page drawn from both follows the live
/// stream from the right place (see `as_of_record`).
pub async fn snapshot(tm: &Tidemark, id: &JobId) -> Result<Option<(Job, Vec<JobEvent>)>, OpsError> {
    let store = tm.store();
    let Some(job) = store.job(id).await? else {
        return Ok(None);
    };
    let events = as_of_record(store.events_after(id, 0).await?, &job.status);
    Ok(Some((job, events)))
}

/// A job's page for someone signed in: `None` when there is no such job.
pub async fn page(
    tm: &Tidemark,
    who: &Caller,
    id: &str,
) -> Result<Option<(Job, Vec<JobEvent>)>, OpsError> {
    tm.door(who, Action::Read, None).await?;
    let Some(id) = JobId::parse(id) else {
        return Ok(None);
    };
    snapshot(tm, &id).await
}

/// Asks a queued or running job to stop; it ends as cancelled and keeps nothing half-written.
pub async fn cancel(tm: &Tidemark, who: &Caller, id: &str) -> Result<Job, OpsError> {
    let job_id = parse(id)?;
    let job = tm
        .store()
        .job(&job_id)
        .await?
        .ok_or_else(|| job_not_found(id))?;
    let door = tm.door(who, Action::CancelJob, Some(&job.database)).await?;
    let result = tm.jobs.cancel(&job_id).await.map_err(OpsError::from);
    door.end(result, |j| j.id.to_string()).await
}

/// The file a finished job produced (a dump, or a safety copy), and the name to download it as.
pub async fn artifact(
    tm: &Tidemark,
    who: &Caller,
    id: &str,
) -> Result<(PathBuf, String), OpsError> {
    let job = get(tm, who, id).await?;
    tm.door(who, Action::Download, Some(&job.database)).await?;
    let Some(artifact) = job.artifact else {
        return Err(OpsError::not_found(
            "artifact_not_found",
            format!(
                "The job '{id}' has no file to download ({}).",
                job.status.name()
            ),
        ));
    };
    Ok((
        artifact_path(&tm.config.artifacts_dir(), &job.id),
        artifact.file_name,
    ))
}
