//! Runs jobs as named tasks: limits, cancellation, and an honest end for every job, even at shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::hub::EventHub;
use super::progress::Progress;
use crate::records::EventBody;
use crate::records::{Artifact, Job, JobEnd, JobId, JobKind, JobStatus};
use crate::store::{Store, StoreError};

/// What a running job gets: its id, its progress handle, and the token that asks it to stop.
#[derive(Debug)]
pub struct JobContext {
    pub id: JobId,
    pub progress: Progress,
    pub cancel: CancellationToken,
}

/// How the work ended, when it did not fail.
#[derive(Debug)]
pub enum WorkOutcome {
    Succeeded {
        summary: String,
        artifact: Option<Artifact>,
    },
    /// It stopped because it was asked to, and cleaned up after itself.
    Cancelled,
}

pub type Work = Pin<Box<dyn Future<Output = anyhow::Result<WorkOutcome>> + Send>>;

/// What to run.
#[derive(Debug)]
pub struct JobRequest {
    pub kind: JobKind,
    pub database: String,
    pub started_by: String,
    /// Shown with the job; must hold no secret.
    pub params: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("there is no job with the id '{0}'")]
    NotFound(String),
    #[error("the job has already ended ({0})")]
    AlreadyFinished(&'static str),
    #[error("the server is shutting down and takes no new jobs")]
    ShuttingDown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a job may take to clean up once asked to stop, before the runner moves on.
const STOP_GRACE: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct JobRunner {
    hub: EventHub,
    global: Arc<Semaphore>,
    destructive: Mutex<HashMap<String, Arc<Semaphore>>>,
    running: Arc<Mutex<HashMap<JobId, CancellationToken>>>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl JobRunner {
    /// `max_concurrent` jobs run at once; destructive jobs also run one at a time per database.
    pub fn new(hub: EventHub, max_concurrent: usize) -> Self {
        Self {
            hub,
            global: Arc::new(Semaphore::new(max_concurrent.max(1))),
            destructive: Mutex::default(),
            running: Arc::default(),
            tracker: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        }
    }

    pub fn hub(&self) -> &EventHub {
        &self.hub
    }

    pub fn store(&self) -> &Store {
        self.hub.store()
    }

    /// Marks jobs a previous server left unfinished as interrupted. Call once at start.
    pub async fn recover(&self) -> Result<usize, StoreError> {
        let jobs = self.store().interrupt_unfinished(Utc::now()).await?;
        for job in &jobs {
            tracing::warn!(job.id = %job.id, kind = job.kind.as_str(), "job interrupted by a previous stop");
            self.hub
                .publish(
                    &job.id,
                    EventBody::Status {
                        status: job.status.clone(),
                    },
                )
                .await?;
        }
        Ok(jobs.len())
    }

    /// Records the job as queued and starts a task for it; returns at once.
    pub async fn submit<F>(&self, request: JobRequest, work: F) -> Result<Job, JobError>
    where
        F: FnOnce(JobContext) -> Work + Send + 'static,
    {
        if self.shutdown.is_cancelled() {
            return Err(JobError::ShuttingDown);
        }
        let now = Utc::now();
        let job = Job {
            id: JobId::generate(now),
            kind: request.kind,
            database: request.database,
            started_by: request.started_by,
            params: request.params,
            status: JobStatus::Queued { queued_at: now },
            summary: None,
            artifact: None,
        };
        self.store().insert_job(&job).await?;
        self.hub
            .publish(
                &job.id,
                EventBody::Status {
                    status: job.status.clone(),
                },
            )
            .await?;

        let cancel = self.shutdown.child_token();
        lock(&self.running).insert(job.id.clone(), cancel.clone());
        let db_lock = job.kind.is_exclusive().then(|| {
            lock(&self.destructive)
                .entry(job.database.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(1)))
                .clone()
        });
        let task = Task {
            job: job.clone(),
            hub: self.hub.clone(),
            global: self.global.clone(),
            db_lock,
            cancel,
            shutdown: self.shutdown.clone(),
            running: self.running.clone(),
        };
        let span = tracing::info_span!("job", job.id = %job.id, kind = job.kind.as_str(), database = %job.database);
        self.tracker.spawn(task.run(work).instrument(span));
        Ok(job)
    }

    /// Asks a queued or running job to stop. Its end is recorded by its task.
    pub async fn cancel(&self, id: &JobId) -> Result<Job, JobError> {
        let job = self
            .store()
            .job(id)
            .await?
            .ok_or_else(|| JobError::NotFound(id.to_string()))?;
        if job.status.is_finished() {
            return Err(JobError::AlreadyFinished(job.status.name()));
        }
        if let Some(token) = lock(&self.running).get(id) {
            tracing::info!(job.id = %id, "cancel requested");
            token.cancel();
        }
        Ok(job)
    }

    /// Waits until every job has ended (each is told to stop and recorded as interrupted).
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(STOP_GRACE, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some jobs did not stop in time");
        }
    }
}

struct Task {
    job: Job,
    hub: EventHub,
    global: Arc<Semaphore>,
    db_lock: Option<Arc<Semaphore>>,
    cancel: CancellationToken,
    shutdown: CancellationToken,
    running: Arc<Mutex<HashMap<JobId, CancellationToken>>>,
}

impl Task {
    async fn run<F>(mut self, work: F)
    where
        F: FnOnce(JobContext) -> Work + Send + 'static,
    {
        let end = self.execute(work).await;
        let end = match end {
            // A job stopped by the server's shutdown is interrupted, not cancelled by a person.
            JobEnd::Cancelled if self.shutdown.is_cancelled() => JobEnd::Interrupted,
            other => other,
        };
        self.job.status = self.job.status.clone().finish(end.clone(), Utc::now());
        if self.job.summary.is_none() {
            self.job.summary = match &end {
                JobEnd::Succeeded => None,
                JobEnd::Failed(reason) => Some(reason.clone()),
                JobEnd::Cancelled => Some("Cancelled before it finished; nothing was kept.".into()),
                JobEnd::Interrupted => {
                    Some("The server stopped while this job was running.".into())
                }
            };
        }
        match &end {
            JobEnd::Failed(reason) => tracing::warn!(reason = %reason, "job failed"),
            other => tracing::info!(end = ?other, "job ended"),
        }
        if let Err(e) = self.save_and_announce().await {
            tracing::error!(error = %e, "cannot record the end of the job");
        }
        lock(&self.running).remove(&self.job.id);
    }

    async fn execute<F>(&mut self, work: F) -> JobEnd
    where
        F: FnOnce(JobContext) -> Work + Send + 'static,
    {
        let _global = tokio::select! {
            permit = self.global.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return JobEnd::Interrupted,
            },
            () = self.cancel.cancelled() => return JobEnd::Cancelled,
        };
        let _exclusive = match self.db_lock.clone() {
            Some(sem) => tokio::select! {
                permit = sem.acquire_owned() => match permit {
                    Ok(p) => Some(p),
                    Err(_) => return JobEnd::Interrupted,
                },
                () = self.cancel.cancelled() => return JobEnd::Cancelled,
            },
            None => None,
        };
        self.job.status = self.job.status.clone().start(Utc::now());
        if let Err(e) = self.save_and_announce().await {
            return JobEnd::Failed(format!("cannot record the start of the job: {e}"));
        }
        tracing::info!("job started");
        let ctx = JobContext {
            id: self.job.id.clone(),
            progress: Progress::new(self.job.id.clone(), self.hub.clone()),
            cancel: self.cancel.clone(),
        };
        match work(ctx).await {
            Ok(WorkOutcome::Succeeded { summary, artifact }) => {
                self.job.summary = Some(summary);
                self.job.artifact = artifact;
                JobEnd::Succeeded
            }
            Ok(WorkOutcome::Cancelled) => JobEnd::Cancelled,
            Err(e) => JobEnd::Failed(format!("{e:#}")),
        }
    }

    /// The event goes first: whoever reads the job as finished finds its final event stored.
    async fn save_and_announce(&self) -> Result<(), StoreError> {
        self.hub
            .publish(
                &self.job.id,
                EventBody::Status {
                    status: self.job.status.clone(),
                },
            )
            .await?;
        self.hub.store().update_job(&self.job).await?;
        Ok(())
    }
}
