//! Jobs: the list, a job's page (also through a share link), a dump, cancelling, sharing.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{Job, JobPage};

/// A job's page as of its record: the latest progress, the log's tail, and the number of the last
/// event included, from which the browser follows the stream.
#[cfg(feature = "ssr")]
fn page_of(job: tidemark_core::jobs::Job, events: Vec<tidemark_core::jobs::JobEvent>) -> JobPage {
    use crate::model::{LOG_TAIL, LiveEvent, LiveEventBody, Progress};
    let last_event = events.last().map_or(0, |e| e.seq);
    let mut progress: Option<Progress> = None;
    let mut log = Vec::new();
    for e in events {
        // The same JSON the event stream sends, read the way the browser reads it.
        let Ok(live) = serde_json::to_value(&e).and_then(serde_json::from_value::<LiveEvent>)
        else {
            continue;
        };
        match live.body {
            LiveEventBody::Progress { progress: p } => progress = Some(p),
            LiveEventBody::Log { line } => log.push(line),
            LiveEventBody::Status { .. } => {}
        }
    }
    let keep = log.len().saturating_sub(LOG_TAIL);
    JobPage {
        events_url: format!("/api/v1/jobs/{}/events", job.id),
        job: job.into(),
        progress,
        log: log.split_off(keep),
        last_event,
        shared: false,
    }
}

/// A job with its latest progress and log tail; `None` when there is no such job.
#[server(prefix = "/_fn", endpoint = "job_page")]
pub async fn load_job_page(id: String) -> Result<Option<JobPage>, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let found = tidemark_core::ops::jobs::page(&tm, &who, &id).await?;
    Ok(found.map(|(job, events)| page_of(job, events)))
}

/// The job a share link opens, read-only; `None` when the link is unknown, expired or revoked,
/// or its creator has been disabled. Public: the link's token is the credential. The page holds
/// only what a link may show: the kind, the database's name, the state, the phase and progress,
/// the times and the outcome.
#[server(prefix = "/_fn", endpoint = "shared_job")]
pub async fn load_shared_job(token: String) -> Result<Option<JobPage>, AppError> {
    use tidemark_core::ops;
    let tm = super::context::for_share_link()?;
    let Some(link) = ops::shares::open(&tm, &token).await? else {
        return Ok(None);
    };
    if link.kind != ops::shares::JOB {
        return Ok(None);
    }
    let Some(job_id) = tidemark_core::jobs::JobId::parse(&link.target) else {
        return Ok(None);
    };
    let Some((job, events)) = ops::jobs::snapshot(&tm, &job_id).await? else {
        return Ok(None);
    };
    let name = tm
        .catalog
        .database(&job.database)
        .await
        .map(|d| d.name)
        .unwrap_or_else(|_| job.database.clone());
    Ok(Some(page_of(job, events).for_share_link(&token, name)))
}

/// Creates a read-only link to a job's page, valid for 7 days; returns its path.
#[server(prefix = "/_fn", endpoint = "share_job")]
pub async fn share_job(id: String) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let link = tidemark_core::ops::shares::create(&tm, &who, &id, None).await?;
    Ok(link.path())
}

/// Asks a queued or running job to stop.
#[server(prefix = "/_fn", endpoint = "cancel_job")]
pub async fn cancel_job(id: String) -> Result<(), AppError> {
    let (tm, who) = super::context::signed_in()?;
    tidemark_core::ops::jobs::cancel(&tm, &who, &id).await?;
    Ok(())
}

/// Jobs, newest first: of one database, in one state, of one kind, each when given.
#[server(prefix = "/_fn", endpoint = "list_jobs")]
pub async fn list_jobs(
    database: Option<String>,
    state: Option<String>,
    kind: Option<String>,
    limit: Option<u32>,
) -> Result<Vec<Job>, AppError> {
    use crate::model::{JobKind, JobState};
    let (tm, who) = super::context::signed_in()?;
    let given = |v: Option<String>| v.filter(|s| !s.is_empty());
    let state = given(state)
        .map(|s| {
            JobState::parse(&s)
                .ok_or_else(|| AppError::invalid("state", format!("'{s}' is not a job's state.")))
        })
        .transpose()?;
    let kind = given(kind)
        .map(|k| {
            JobKind::parse(&k)
                .ok_or_else(|| AppError::invalid("kind", format!("'{k}' is not a kind of job.")))
        })
        .transpose()?;
    let filter = tidemark_core::ops::jobs::JobFilter {
        database: given(database),
        state,
        kind,
        limit: Some(limit.unwrap_or(100).min(tidemark_core::ops::jobs::MAX_LIST)),
    };
    let jobs = tidemark_core::ops::jobs::list(&tm, &who, filter).await?;
    Ok(jobs.into_iter().map(Job::from).collect())
}

/// Starts a dump of the database's main database; returns the job's id.
#[server(prefix = "/_fn", endpoint = "start_dump")]
pub async fn start_dump(id: String) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let job = tidemark_core::ops::dumps::start(&tm, &who, &id).await?;
    Ok(job.id.to_string())
}
