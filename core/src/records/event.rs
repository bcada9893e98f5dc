//! What happens during a job, as numbered events: status changes, progress, and log lines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::job::JobStatus;
/// How far a job has come, as its events carry it: the noun the pages share.
pub use tidemark_types::Progress as ProgressView;

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
    use crate::records::JobEnd;

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
