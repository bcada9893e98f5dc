//! Schedules and retention: when backups run and which ones are deleted, as pure functions of time.

pub mod daily;
pub mod retention;
pub mod service;

pub use daily::{DailySchedule, ScheduleError};
pub use retention::{Candidate, CandidateKind, Deletion, RetentionPolicy};
