//! Which logical backups are kept, as the configuration states it: a preset like Scalingo's plans,
//! with any number overridden. What it keeps is worked out in `schedule::retention`.

use serde::{Deserialize, Serialize};

/// How many scheduled and manual backups to keep. Counting windows include the current one:
/// the day, ISO week and month of `now` are day, week and month 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Every successful scheduled backup of the last this many UTC days.
    pub daily_days: u32,
    /// The newest successful scheduled backup of each Sunday in the last this many ISO weeks.
    pub weekly_weeks: u32,
    /// The newest successful scheduled backup of each month's first Sunday in the last this many months.
    pub monthly_months: u32,
    /// This many newest successful manual backups.
    pub manual_keep: u32,
}

impl RetentionPolicy {
    /// A week of dailies, four Sundays, ten manual backups.
    pub fn starter() -> Self {
        Self {
            daily_days: 7,
            weekly_weeks: 4,
            monthly_months: 0,
            manual_keep: 10,
        }
    }

    /// A week of dailies, eight Sundays, a year of first Sundays, fifty manual backups.
    pub fn business() -> Self {
        Self {
            daily_days: 7,
            weekly_weeks: 8,
            monthly_months: 12,
            manual_keep: 50,
        }
    }
}

/// The policy named `starter` or `business`; None for any other name.
pub fn preset(name: &str) -> Option<RetentionPolicy> {
    match name {
        "starter" => Some(RetentionPolicy::starter()),
        "business" => Some(RetentionPolicy::business()),
        _ => None,
    }
}
