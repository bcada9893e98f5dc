//! The nouns every side of Tidemark speaks (the browser, core, the REST API): serde and chrono
//! only, so they compile to wasm as they are.

mod backup;
mod database;
mod drill;
mod firewall;
mod job;
mod pitr;
mod progress;
mod role;
mod schedule;
pub mod units;
mod verification;

pub use backup::{Backup, BackupMethod, BackupStatus, RowCounts, SafetyCopy};
pub use database::{Database, DatabaseStatus, Features, Hosting, ProviderKind};
pub use drill::{DrillEvidence, PitrDrill, RepositoryCheck};
pub use firewall::{Firewall, FirewallRule, FirewallRuleKind, ManagedRange, NewFirewallRule};
pub use job::{JobKind, JobState};
pub use pitr::PitrWindow;
pub use progress::Progress;
pub use role::{Action, Role};
pub use schedule::{DailySchedule, ProviderSchedule, Schedule};
pub use verification::{
    BackupDetail, Evidence, TableCheck, Verification, VerificationMode, VerificationOutcome,
};
