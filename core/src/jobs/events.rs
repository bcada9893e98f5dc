//! What happens during a job, as numbered events: status changes, progress, and log lines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::JobStatus;

/// How far a job has come. Real numbers: units come from the catalog or the archive's table of contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    /// What the job is doing now, e.g. "dumping tables".
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    /// What `done` and `total` count: "tables", "entries", "WAL segments".
    pub unit: String,
    /// The item being worked on, e.g. a table name.
    pub current: Option<String>,
    pub bytes: u64,
    pub bytes_per_second: Option<f64>,
    pub eta_seconds: Option<u64>,
}

impl ProgressView {
    /// Percent done, when the total is known.
    pub fn percent(&self) -> Option<f64> {
        match self.total {
            Some(0) => Some(100.0),
            Some(total) => Some((self.done.min(total) as f64) * 100.0 / total as f64),
            None => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Status { status: JobStatus },
    Progress { progress: ProgressView },
    Log { line: String },
}

/// One event, numbered from 1 within its job; the number is the SSE id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: EventBody,
}

impl JobEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self.body {
            EventBody::Status { .. } => "status",
            EventBody::Progress { .. } => "progress",
            EventBody::Log { .. } => "log",
        }
    }

    /// A status event that ends the job's stream.
    pub fn is_final(&self) -> bool {
        matches!(&self.body, EventBody::Status { status } if status.is_finished())
    }
}

/// A job's stored events as of its record: while the record says the job is unfinished, its final
/// event (stored just before the record is updated) and anything after it are left out. A page
/// drawn from the record and these events then follows the stream from the right place, and
/// receives the job's end live rather than never.
pub fn as_of_record(mut events: Vec<JobEvent>, record: &JobStatus) -> Vec<JobEvent> {
    if !record.is_finished()
        && let Some(end) = events.iter().position(JobEvent::is_final)
    {
        events.truncate(end);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::JobEnd;

    fn event(seq: u64, body: EventBody) -> JobEvent {
        JobEvent {
            seq,
            at: Utc::now(),
            body,
        }
    }

    fn run(now: DateTime<Utc>) -> (JobStatus, JobStatus, JobStatus) {
        let queued = JobStatus::Queued { queued_at: now };
        let running = queued.clone().start(now);
        let done = running.clone().finish(JobEnd::Succeeded, now);
        (queued, running, done)
    }

    fn stored(now: DateTime<Utc>) -> Vec<JobEvent> {
        let (queued, running, done) = run(now);
        vec![
            event(1, EventBody::Status { status: queued }),
            event(2, EventBody::Status { status: running }),
            event(
                3,
                EventBody::Log {
                    line: "dumped".into(),
                },
            ),
            event(4, EventBody::Status { status: done }),
        ]
    }

    #[test]
    fn a_record_read_before_the_job_ended_leaves_its_end_to_the_stream() {
        let now = Utc::now();
        let (_, running, _) = run(now);
        let seqs: Vec<u64> = as_of_record(stored(now), &running)
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn a_finished_record_keeps_every_event() {
        let now = Utc::now();
        let (_, _, done) = run(now);
        assert_eq!(as_of_record(stored(now), &done).len(), 4);
        let (_, running, _) = run(now);
        let unfinished = stored(now)[..3].to_vec();
        assert_eq!(as_of_record(unfinished.clone(), &running), unfinished);
    }
}
