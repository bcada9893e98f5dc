//! What the state keeps of a job: its record (id, kind, who, parameters, a status that carries
//! its times, its outcome) and its numbered events. Plain data below the store, which keeps it,
//! and the job engine, which writes it.

mod event;
mod job;

pub use event::{EventBody, JobEvent, ProgressView, as_of_record};
pub use job::{Artifact, Job, JobEnd, JobId, JobKind, JobState, JobStatus};
