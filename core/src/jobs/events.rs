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
