//! The daily logical backup.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The daily backup as it stands: on or off, its hour (UTC), and when it runs next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    pub enabled: bool,
    /// The hour of the day, in UTC, when the backup starts (0 to 23).
    pub hour: u8,
    /// Every hour of the day (UTC) a backup starts; several only when the provider set them.
    pub hours: Vec<u8>,
    /// When the next scheduled backup starts; null when the schedule is off.
    pub next_run: Option<DateTime<Utc>>,
    /// The slot of the last scheduled backup Tidemark started; unknown for a provider's schedule.
    pub last_run: Option<DateTime<Utc>>,
    /// Whether the provider (Scalingo) runs the schedule rather than Tidemark.
    pub kept_by_provider: bool,
}

/// A daily backup schedule kept by the provider itself (Scalingo), hours in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSchedule {
    pub enabled: bool,
    /// Usually one hour; several when the provider's support set more.
    pub hours: Vec<u8>,
}
