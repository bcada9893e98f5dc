//! Backups, and the data directories point-in-time restores set aside.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every table's rows, by `schema.table`.
pub type RowCounts = BTreeMap<String, u64>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackupStatus {
    Scheduled,
    Running,
    Done,
    Error,
}

impl BackupStatus {
    pub fn label(self) -> &'static str {
        match self {
            BackupStatus::Scheduled => "Scheduled",
            BackupStatus::Running => "Running",
            BackupStatus::Done => "Done",
            BackupStatus::Error => "Failed",
        }
    }
}

/// How a backup was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BackupMethod {
    /// A pgBackRest physical backup; with the WAL archive it sets the PITR window.
    PhysicalFull,
    PhysicalDifferential,
    PhysicalIncremental,
    /// A scheduled logical backup (pg_dump).
    Periodic,
    /// A logical backup someone asked for.
    Manual,
}

impl BackupMethod {
    /// The API's name for it, as serde writes it: `physical_full`, `manual`...
    pub fn as_str(self) -> &'static str {
        match self {
            BackupMethod::PhysicalFull => "physical_full",
            BackupMethod::PhysicalDifferential => "physical_differential",
            BackupMethod::PhysicalIncremental => "physical_incremental",
            BackupMethod::Periodic => "periodic",
            BackupMethod::Manual => "manual",
        }
    }

    /// A pgBackRest backup rather than a pg_dump archive.
    pub fn is_physical(self) -> bool {
        matches!(
            self,
            Self::PhysicalFull | Self::PhysicalDifferential | Self::PhysicalIncremental
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            BackupMethod::PhysicalFull => "Full (physical)",
            BackupMethod::PhysicalDifferential => "Differential (physical)",
            BackupMethod::PhysicalIncremental => "Incremental (physical)",
            BackupMethod::Periodic => "Scheduled",
            BackupMethod::Manual => "Manual",
        }
    }
}

/// One backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backup {
    pub id: String,
    /// When it started, in UTC.
    pub created_at: DateTime<Utc>,
    /// When it finished, in UTC, if it has.
    pub finished_at: Option<DateTime<Utc>>,
    /// Size of the stored backup in bytes.
    pub size_bytes: Option<u64>,
    pub status: BackupStatus,
    pub method: BackupMethod,
}

/// A data directory a point-in-time restore set aside, kept until an admin discards it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SafetyCopy {
    /// The id of the restore job that made it.
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// The time the database was restored to when this copy was set aside.
    pub restore_time: DateTime<Utc>,
    pub size_bytes: u64,
}
