//! What kind of job, and where it is in its life.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Dump,
    Restore,
    Backup,
    PitrRestore,
    Verification,
    /// `pgbackrest verify` over a managed cluster's repository.
    RepositoryCheck,
    /// A point-in-time restore beside the cluster, checked against its canary.
    PitrDrill,
}

impl JobKind {
    pub const ALL: [JobKind; 7] = [
        JobKind::Dump,
        JobKind::Restore,
        JobKind::Backup,
        JobKind::PitrRestore,
        JobKind::Verification,
        JobKind::RepositoryCheck,
        JobKind::PitrDrill,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Dump => "dump",
            JobKind::Restore => "restore",
            JobKind::Backup => "backup",
            JobKind::PitrRestore => "pitr_restore",
            JobKind::Verification => "verification",
            JobKind::RepositoryCheck => "repository_check",
            JobKind::PitrDrill => "pitr_drill",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the pages name it: "Point-in-time restore".
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Dump => "Dump",
            JobKind::Restore => "Restore",
            JobKind::Backup => "Backup",
            JobKind::PitrRestore => "Point-in-time restore",
            JobKind::Verification => "Verification",
            JobKind::RepositoryCheck => "Repository check",
            JobKind::PitrDrill => "Point-in-time drill",
        }
    }

    /// Jobs that overwrite a database, or need it to hold still while they restore a copy of it
    /// (a drill): one at a time per database.
    pub fn is_exclusive(self) -> bool {
        matches!(
            self,
            JobKind::Restore | JobKind::PitrRestore | JobKind::PitrDrill
        )
    }
}

/// Where a job is in its life, without the times its states carry in core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The server stopped while the job ran.
    Interrupted,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the job has ended, one way or another.
    pub fn is_finished(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_kinds_read_back_what_they_write() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
        }
        let finished: Vec<_> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_finished())
            .collect();
        assert_eq!(
            finished,
            [
                JobState::Succeeded,
                JobState::Failed,
                JobState::Cancelled,
                JobState::Interrupted
            ]
        );
    }
}
