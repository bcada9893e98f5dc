//! Tidemark's own state: an embedded SQLite database in the data directory, with migrations.

mod accounts;
mod audit;
mod backups;
mod clusters;
mod database;
mod drills;
pub mod housekeeping;
mod jobs;
mod schedules;
mod shares;
mod verifications;

pub use accounts::{ApiToken, User};
pub use audit::AuditEntry;
pub use backups::LogicalBackup;
pub use clusters::ClusterRecord;
pub use database::{Store, StoreError};
pub use schedules::ScheduleRecord;
pub use shares::{NewShareLink, ShareLink};
