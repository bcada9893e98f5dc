//! A verification of a backup: a test restore on the scratch instance, and what it proved.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a verification ended, or that it has not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationOutcome {
    Running,
    Passed,
    Failed,
    /// Stopped before it could say; it proves nothing either way.
    Cancelled,
}

impl VerificationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationOutcome::Running => "running",
            VerificationOutcome::Passed => "passed",
            VerificationOutcome::Failed => "failed",
            VerificationOutcome::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Passed, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// When Tidemark verifies a database's logical backups on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationMode {
    /// Each new backup, soon after it is made.
    #[default]
    AfterEach,
    /// The newest backup, once a day.
    Daily,
    /// Only when someone asks.
    Off,
}

impl VerificationMode {
    pub const ALL: [VerificationMode; 3] = [Self::AfterEach, Self::Daily, Self::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            VerificationMode::AfterEach => "after_each",
            VerificationMode::Daily => "daily",
            VerificationMode::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }

    /// How the pages say it: "after each backup".
    pub fn label(self) -> &'static str {
        match self {
            VerificationMode::AfterEach => "after each backup",
            VerificationMode::Daily => "once a day",
            VerificationMode::Off => "only when asked",
        }
    }
}

/// One table: the rows the backup counted when it was made, and the rows the test restore has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableCheck {
    /// `schema.table`.
    pub table: String,
    /// At backup time, in the dump's own snapshot; absent when the table was not in it.
    pub expected: Option<u64>,
    /// In the restored database; absent when the table is not there.
    pub found: Option<u64>,
}

impl TableCheck {
    pub fn matches(&self) -> bool {
        self.expected.is_some() && self.expected == self.found
    }
}

/// What a verification established, step by step; a step not reached is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// The archive's SHA-256 as read before the restore.
    pub sha256: Option<String>,
    /// Whether it is the one recorded when the backup was made; absent when none was.
    pub checksum_matches: Option<bool>,
    /// pg_restore's outcome, in a sentence.
    pub restore: Option<String>,
    /// How long the restore took: the measured recovery time, in seconds.
    pub restore_seconds: Option<f64>,
    /// Every table's rows, expected and found.
    pub tables: Vec<TableCheck>,
    /// pg_amcheck's outcome (heap and every B-tree index, with `--heapallindexed`).
    pub amcheck: Option<String>,
    /// The first thing that failed, named; absent when all passed.
    pub failure: Option<String>,
    /// What deserves a look without failing the verification, such as a table that lost more
    /// than half its rows since the previous verified backup (for backups counted by no one).
    #[serde(default)]
    pub flags: Vec<String>,
}

/// A verification of one backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// The verification job's id.
    pub id: String,
    pub database: String,
    pub backup: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: VerificationOutcome,
    pub evidence: Evidence,
}

/// A backup with what proves it: for a logical one its checksum, its rows at backup time and its
/// verifications; for a physical one the checks of its files in the repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupDetail {
    #[serde(flatten)]
    pub backup: crate::Backup,
    pub database: String,
    pub file_name: String,
    /// The archive's SHA-256, taken when it was written.
    pub sha256: Option<String>,
    /// Every table's rows, counted in the dump's own snapshot.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<std::collections::BTreeMap<String, u64>>))]
    pub row_counts: Option<crate::RowCounts>,
    /// Newest first.
    pub verifications: Vec<Verification>,
    /// For a physical backup: `pgbackrest verify`'s word on its files, newest first.
    #[serde(default)]
    pub repository_checks: Vec<crate::drill::RepositoryCheck>,
}
