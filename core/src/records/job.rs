//! A job's record: what it is, who started it, and a status whose variants carry their timestamps.

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A job's id: sortable by creation time, unguessable enough to appear in shared links.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub String);

impl JobId {
    pub fn generate(at: DateTime<Utc>) -> Self {
        let suffix: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(10)
            .map(|c| char::from(c).to_ascii_lowercase())
            .collect();
        JobId(format!("{}-{suffix}", at.format("%Y%m%d%H%M%S")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Ids come from URLs: only what `generate` can produce is accepted.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| JobId(s.to_string()))
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub use tidemark_types::{JobKind, JobState};

/// Where a job is in its life. A running job cannot exist without its start time, nor a finished
/// one without its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobStatus {
    Queued {
        queued_at: DateTime<Utc>,
    },
    Running {
        queued_at: DateTime<Utc>,
        started_at: DateTime<Utc>,
    },
    Succeeded {
        queued_at: DateTime<Utc>,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
    },
    Failed {
        queued_at: DateTime<Utc>,
        started_at: Option<DateTime<Utc>>,
        finished_at: DateTime<Utc>,
        reason: String,
    },
    Cancelled {
        queued_at: DateTime<Utc>,
        started_at: Option<DateTime<Utc>>,
        finished_at: DateTime<Utc>,
    },
    /// The server stopped while the job ran.
    Interrupted {
        queued_at: DateTime<Utc>,
        started_at: Option<DateTime<Utc>>,
        finished_at: DateTime<Utc>,
    },
}

impl JobStatus {
    /// The state without its times, as the pages and the API speak of it.
    pub fn state(&self) -> JobState {
        match self {
            JobStatus::Queued { .. } => JobState::Queued,
            JobStatus::Running { .. } => JobState::Running,
            JobStatus::Succeeded { .. } => JobState::Succeeded,
            JobStatus::Failed { .. } => JobState::Failed,
            JobStatus::Cancelled { .. } => JobState::Cancelled,
            JobStatus::Interrupted { .. } => JobState::Interrupted,
        }
    }

    pub fn name(&self) -> &'static str {
        self.state().as_str()
    }

    pub fn is_finished(&self) -> bool {
        self.state().is_finished()
    }

    pub fn queued_at(&self) -> DateTime<Utc> {
        match self {
            JobStatus::Queued { queued_at }
            | JobStatus::Running { queued_at, .. }
            | JobStatus::Succeeded { queued_at, .. }
            | JobStatus::Failed { queued_at, .. }
            | JobStatus::Cancelled { queued_at, .. }
            | JobStatus::Interrupted { queued_at, .. } => *queued_at,
        }
    }

    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        match self {
            JobStatus::Queued { .. } => None,
            JobStatus::Running { started_at, .. } | JobStatus::Succeeded { started_at, .. } => {
                Some(*started_at)
            }
            JobStatus::Failed { started_at, .. }
            | JobStatus::Cancelled { started_at, .. }
            | JobStatus::Interrupted { started_at, .. } => *started_at,
        }
    }

    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        match self {
            JobStatus::Queued { .. } | JobStatus::Running { .. } => None,
            JobStatus::Succeeded { finished_at, .. }
            | JobStatus::Failed { finished_at, .. }
            | JobStatus::Cancelled { finished_at, .. }
            | JobStatus::Interrupted { finished_at, .. } => Some(*finished_at),
        }
    }

    /// Queued becomes running; anything else stays as it is.
    pub fn start(self, at: DateTime<Utc>) -> Self {
        match self {
            JobStatus::Queued { queued_at } => JobStatus::Running {
                queued_at,
                started_at: at,
            },
            other => other,
        }
    }

    /// The end of a job, from whatever state it was in; a finished job keeps its first end.
    pub fn finish(self, end: JobEnd, at: DateTime<Utc>) -> Self {
        if self.is_finished() {
            return self;
        }
        let queued_at = self.queued_at();
        let started_at = self.started_at();
        match end {
            JobEnd::Succeeded => JobStatus::Succeeded {
                queued_at,
                started_at: started_at.unwrap_or(at),
                finished_at: at,
            },
            JobEnd::Failed(reason) => JobStatus::Failed {
                queued_at,
                started_at,
                finished_at: at,
                reason,
            },
            JobEnd::Cancelled => JobStatus::Cancelled {
                queued_at,
                started_at,
                finished_at: at,
            },
            JobEnd::Interrupted => JobStatus::Interrupted {
                queued_at,
                started_at,
                finished_at: at,
            },
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    Succeeded,
    Failed(String),
    Cancelled,
    Interrupted,
}

/// A file a job produced (a dump), kept in the data directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// The name a download gets.
    pub file_name: String,
    pub size_bytes: u64,
}

/// A job's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub database: String,
    pub started_by: String,
    /// What was asked, without secrets.
    pub params: serde_json::Value,
    pub status: JobStatus,
    /// One sentence on the result, once finished.
    pub summary: Option<String>,
    pub artifact: Option<Artifact>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_795_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_job_carries_its_times_through_its_life() {
        let s = JobStatus::Queued { queued_at: t(0) }.start(t(5));
        assert_eq!(s.started_at(), Some(t(5)));
        assert!(!s.is_finished());
        let done = s.finish(JobEnd::Succeeded, t(9));
        assert_eq!(
            done,
            JobStatus::Succeeded {
                queued_at: t(0),
                started_at: t(5),
                finished_at: t(9)
            }
        );
        // A second end does not overwrite the first.
        assert_eq!(done.clone().finish(JobEnd::Cancelled, t(20)), done);
    }

    #[test]
    fn a_job_cancelled_in_the_queue_never_started() {
        let s = JobStatus::Queued { queued_at: t(0) }.finish(JobEnd::Cancelled, t(1));
        assert_eq!(s.started_at(), None);
        assert_eq!(s.name(), "cancelled");
    }

    #[test]
    fn statuses_serialise_with_their_state_name() {
        let s = JobStatus::Failed {
            queued_at: t(0),
            started_at: Some(t(1)),
            finished_at: t(2),
            reason: "pg_dump failed".into(),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["state"], "failed");
        assert_eq!(json["reason"], "pg_dump failed");
        let back: JobStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn ids_from_urls_are_checked() {
        let id = JobId::generate(t(0));
        assert_eq!(JobId::parse(id.as_str()), Some(id));
        assert_eq!(JobId::parse("../etc/passwd"), None);
        assert_eq!(JobId::parse(""), None);
    }
}
