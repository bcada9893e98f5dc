//! The job engine: runs any job and knows none in particular. The runner, the job record and its
//! status, events and the progress handle that writes them, the hub that stores and broadcasts
//! events, and following a job's events.

pub mod follow;
mod hub;
mod progress;
mod runner;

pub use crate::records::{
    Artifact, EventBody, Job, JobEnd, JobEvent, JobId, JobKind, JobState, JobStatus, ProgressView,
    as_of_record,
};
pub use hub::{EventHub, Subscription};
pub use progress::Progress;
pub use runner::{JobContext, JobError, JobRequest, JobRunner, Work, WorkOutcome};
