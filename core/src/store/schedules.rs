//! Backup schedules in the state database: the setting, and the last slot that ran (kept across restarts).

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::Row;

use super::database::{Store, StoreError, parse_time};
use tidemark_types::DailySchedule;

/// A database's schedule and when it last ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRecord {
    pub schedule: DailySchedule,
    /// The slot (an `hour:00` instant) of the last scheduled run started.
    pub last_run: Option<DateTime<Utc>>,
}

/// Times are stored to the second in one fixed form, so that SQL compares them in time order.
impl Store {
    /// The database's schedule; the default one (recorded as if it ran at `now`, so a new
    /// database is not backed up for a slot it never had) when none is stored yet.
    pub async fn schedule(
        &self,
        database: &str,
        now: DateTime<Utc>,
    ) -> Result<ScheduleRecord, StoreError> {
        let defaults = DailySchedule::default();
        sqlx::query(
            "INSERT INTO schedules (database, enabled, hour, last_run_at, updated_at)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (database) DO NOTHING",
        )
        .bind(database)
        .bind(defaults.enabled)
        .bind(i64::from(defaults.hour))
        .bind(now.to_rfc3339_opts(SecondsFormat::Secs, true))
        .bind(now.to_rfc3339_opts(SecondsFormat::Secs, true))
        .execute(&self.pool)
        .await?;
        let row =
            sqlx::query("SELECT enabled, hour, last_run_at FROM schedules WHERE database = ?")
                .bind(database)
                .fetch_one(&self.pool)
                .await?;
        let hour: i64 = row.try_get("hour")?;
        let last: Option<String> = row.try_get("last_run_at")?;
        Ok(ScheduleRecord {
            schedule: DailySchedule {
                enabled: row.try_get("enabled")?,
                hour: u8::try_from(hour)
                    .map_err(|_| StoreError::Corrupt(format!("schedule hour {hour}")))?,
            },
            last_run: last
                .as_deref()
                .map(|t| parse_time(t, "schedule"))
                .transpose()?,
        })
    }

    /// Changes the setting; the last run is kept.
    pub async fn save_schedule(
        &self,
        database: &str,
        schedule: DailySchedule,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.schedule(database, now).await?;
        sqlx::query(
            "UPDATE schedules SET enabled = ?, hour = ?, updated_at = ? WHERE database = ?",
        )
        .bind(schedule.enabled)
        .bind(i64::from(schedule.hour))
        .bind(now.to_rfc3339_opts(SecondsFormat::Secs, true))
        .bind(database)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims a slot for a run: true for the one caller that moved `last_run` forward to it, so
    /// a slot runs once even when two schedulers look at the same moment.
    pub async fn claim_slot(
        &self,
        database: &str,
        slot: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE schedules SET last_run_at = ?
             WHERE database = ? AND (last_run_at IS NULL OR last_run_at < ?)",
        )
        .bind(slot.to_rfc3339_opts(SecondsFormat::Secs, true))
        .bind(database)
        .bind(slot.to_rfc3339_opts(SecondsFormat::Secs, true))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
