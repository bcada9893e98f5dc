//! The domain's nouns: a database, a backup, a recoverable window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Local,
    Scalingo,
}

/// How the database is hosted; it decides which blocks of the Backups tab apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hosting {
    /// A cluster Tidemark runs itself, with pgBackRest archiving.
    Managed,
    /// A server given by a connection URL: logical backups, dumps and restores only.
    External,
    /// A Scalingo Shared Resources addon.
    ScalingoShared,
    /// A Scalingo Dedicated Resources database.
    ScalingoDedicated,
}

/// What can be done with a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    pub pitr: bool,
    pub scheduled_backups: bool,
    pub manual_backups: bool,
    pub dumps: bool,
    pub firewall: bool,
    pub timescaledb: bool,
}

impl Features {
    /// What a managed local cluster offers.
    pub fn managed() -> Self {
        Features {
            pitr: true,
            scheduled_backups: true,
            manual_backups: true,
            dumps: true,
            firewall: false,
            timescaledb: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseStatus {
    Running,
    Stopped,
    /// A server Tidemark does not run, which did not answer.
    Unreachable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Database {
    /// Tidemark's id, used in URLs.
    pub id: String,
    /// The name people read.
    pub name: String,
    pub provider: ProviderKind,
    pub hosting: Hosting,
    /// e.g. "PostgreSQL 15.18".
    pub engine: String,
    /// The database that dumps and logical backups are of.
    pub main_database: String,
    pub features: Features,
    pub status: DatabaseStatus,
    /// The provider's plan, e.g. `postgresql-business-1024`; none for Tidemark's own clusters.
    pub plan: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupStatus {
    Scheduled,
    Running,
    Done,
    Error,
}

/// How a backup was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<u64>,
    pub status: BackupStatus,
    pub method: BackupMethod,
}

/// A data directory a point-in-time restore set aside, kept until an admin discards it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafetyCopy {
    /// The id of the restore job that made it.
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// The time the database was restored to when this copy was set aside.
    pub restore_time: DateTime<Utc>,
    pub size_bytes: u64,
}

/// The span a point-in-time restore can target, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PitrWindow {
    pub earliest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
    /// Set when there is no window, saying why.
    pub unavailable_reason: Option<String>,
}

impl PitrWindow {
    /// Whether `t` lies inside the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        matches!((self.earliest, self.latest), (Some(e), Some(l)) if e <= t && t <= l)
    }

    pub fn available(earliest: DateTime<Utc>, latest: DateTime<Utc>) -> Self {
        Self {
            earliest: Some(earliest),
            latest: Some(latest),
            unavailable_reason: None,
        }
    }

    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            earliest: None,
            latest: None,
            unavailable_reason: Some(reason.into()),
        }
    }
}

/// A daily backup schedule kept by the provider itself (Scalingo), hours in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSchedule {
    pub enabled: bool,
    /// Usually one hour; several when the provider's support set more.
    pub hours: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirewallRuleKind {
    /// An address range given as a CIDR, with a label.
    Custom,
    /// A range the provider maintains (e.g. its own region's outgoing addresses).
    Managed,
}

/// One rule letting addresses reach a Dedicated Resources database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    pub id: String,
    pub kind: FirewallRuleKind,
    pub cidr: Option<String>,
    pub label: Option<String>,
    pub range_id: Option<String>,
    /// The managed range's name, when known.
    pub range_name: Option<String>,
}

/// A rule to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NewFirewallRule {
    Custom { cidr: String, label: String },
    Managed { range_id: String },
}

/// A range the provider maintains, which a rule can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedRange {
    pub id: String,
    pub name: String,
}

/// A database's firewall: its rules and the managed ranges on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firewall {
    pub rules: Vec<FirewallRule>,
    pub managed_ranges: Vec<ManagedRange>,
    /// The most rules a database can have.
    pub max_rules: usize,
}

/// An archive being fetched from the provider, streamed through to whoever downloads it.
pub struct ArchiveStream {
    pub file_name: String,
    /// Whether this is the part asked for with a Range (206), not the whole archive.
    pub partial: bool,
    pub content_length: Option<u64>,
    pub content_range: Option<String>,
    pub body: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
}

impl std::fmt::Debug for ArchiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveStream")
            .field("file_name", &self.file_name)
            .field("partial", &self.partial)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}
