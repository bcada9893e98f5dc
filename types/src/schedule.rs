//! The daily logical backup.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

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
    /// When Tidemark proves the backups by test restores on its own.
    #[serde(default)]
    pub verification: crate::VerificationMode,
}

/// A daily backup schedule kept by the provider itself (Scalingo), hours in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSchedule {
    pub enabled: bool,
    /// Usually one hour; several when the provider's support set more.
    pub hours: Vec<u8>,
}

/// One scheduled backup a day, at `hour:00` UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySchedule {
    pub enabled: bool,
    /// Hour of the day in UTC, 0..=23. Deserialising checks the range; a value built in code
    /// outside it makes the schedule never run.
    #[serde(deserialize_with = "deserialize_hour")]
    pub hour: u8,
}

impl Default for DailySchedule {
    /// Enabled at 00:00 UTC, as Scalingo does by default.
    fn default() -> Self {
        Self {
            enabled: true,
            hour: 0,
        }
    }
}

fn deserialize_hour<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let raw = i64::deserialize(deserializer)?;
    u8::try_from(raw).ok().filter(|h| *h <= 23).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "hour must be a whole number from 0 to 23 (UTC); got {raw}"
        ))
    })
}
