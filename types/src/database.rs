//! A database as Tidemark serves it, and what it can do.

use serde::{Deserialize, Serialize};

/// Where the database lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Local,
    Scalingo,
}

/// How the database is hosted; it decides which blocks of the Backups tab apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl Hosting {
    /// How the pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Hosting::Managed => "Managed by Tidemark",
            Hosting::External => "External server",
            Hosting::ScalingoShared => "Scalingo · Shared Resources",
            Hosting::ScalingoDedicated => "Scalingo · Dedicated Resources",
        }
    }
}

/// What can be done with a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DatabaseStatus {
    Running,
    Stopped,
    /// A server Tidemark does not run, which did not answer.
    Unreachable,
}

/// A database as the overview, the Backups tab and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Database {
    /// Tidemark's id, used in URLs.
    pub id: String,
    /// The name people read.
    pub name: String,
    pub provider: ProviderKind,
    pub hosting: Hosting,
    /// The engine and its version, e.g. "PostgreSQL 15.18".
    pub engine: String,
    /// The database that dumps and logical backups are of.
    pub main_database: String,
    pub status: DatabaseStatus,
    pub features: Features,
    /// The provider's plan, e.g. `postgresql-business-1024`; none for Tidemark's own clusters.
    pub plan: Option<String>,
}
