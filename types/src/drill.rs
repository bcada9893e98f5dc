//! What proves a managed cluster's physical backups and its recoverable window: pgBackRest's
//! check of each backup in the repository, and drills that restore to a point in time beside the
//! cluster and look for its canary rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::verification::VerificationOutcome;

/// `pgbackrest verify`'s word on one physical backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositoryCheck {
    /// The backup's label.
    pub backup: String,
    pub checked_at: DateTime<Utc>,
    /// Every file of the backup is present, of the right size, with the right checksum.
    pub valid: bool,
    /// In a sentence: "964 of 964 files valid".
    pub detail: String,
}

/// What a drill established, step by step; a step not reached is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrillEvidence {
    /// The physical backup the drill restored from.
    pub backup: Option<String>,
    /// The moment the drill restored to, inside the recoverable window.
    pub target: Option<DateTime<Utc>>,
    /// From the start of the restored copy to its promotion: the replay time.
    pub replay_seconds: Option<f64>,
    /// The last canary row written before the target, which must be there.
    pub canary_before: Option<DateTime<Utc>>,
    /// The first canary row written after the target, which must not be.
    pub canary_after: Option<DateTime<Utc>>,
    /// The canary check in a sentence.
    pub canary: Option<String>,
    /// `pgbackrest verify` on the repository, just before the drill.
    #[serde(default)]
    pub repository: Vec<RepositoryCheck>,
    /// The first thing that failed, named; absent when all passed.
    pub failure: Option<String>,
}

/// A point-in-time drill of one managed cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PitrDrill {
    /// The drill job's id.
    pub id: String,
    pub database: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: VerificationOutcome,
    pub evidence: DrillEvidence,
}
