//! Jobs: long operations (dumps, restores, backups) run by workers, with real progress and events.

pub mod backup;
pub mod dump;
mod events;
pub mod follow;
mod hub;
mod model;
pub mod pitr;
pub mod preflight;
mod progress;
pub mod restore;
mod runner;
pub mod scheduler;
pub mod staging;
pub mod timescale;
pub mod upload;
pub mod upload_sweep;

pub use events::{EventBody, JobEvent, ProgressView, as_of_record};
pub use hub::{EventHub, Subscription};
pub use model::{Artifact, Job, JobEnd, JobId, JobKind, JobState, JobStatus};
pub use progress::Progress;
pub use runner::{JobContext, JobError, JobRequest, JobRunner, Work, WorkOutcome};
