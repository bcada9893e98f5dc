//! Reading and changing a database's daily backup schedule, wherever it is kept: by Tidemark's
//! scheduler for its own databases, by the provider for Scalingo's.

use chrono::{DateTime, Utc};

use super::daily::{DailySchedule, ScheduleError, next_run, validate_hour};
use crate::catalog::Catalog;
use crate::provider::{Database, ProviderError};
use crate::store::{Store, StoreError};
use tidemark_types::VerificationMode;

/// The schedule as it stands, the same noun the pages and the API speak.
pub use tidemark_types::Schedule as ScheduleState;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleChangeError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Invalid(#[from] ScheduleError),
    #[error("{0}")]
    NotSupported(String),
}

/// The next of several daily hours.
fn next_of(hours: &[u8], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    hours
        .iter()
        .filter_map(|h| {
            next_run(
                &DailySchedule {
                    enabled: true,
                    hour: *h,
                },
                now,
            )
        })
        .min()
}

async fn scheduled(catalog: &Catalog, id: &str) -> Result<Database, ScheduleChangeError> {
    let db = catalog.database(id).await?;
    if !db.features.scheduled_backups {
        return Err(ScheduleChangeError::NotSupported(format!(
            "{} has no backup schedule here.",
            db.name
        )));
    }
    Ok(db)
}

/// The schedule of a database that has one.
pub async fn read(
    catalog: &Catalog,
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ScheduleState, ScheduleChangeError> {
    let db = scheduled(catalog, id).await?;
    if let Some(own) = catalog.own_schedule(&db.id).await? {
        return Ok(ScheduleState {
            enabled: own.enabled,
            hour: own.hours.first().copied().unwrap_or(0),
            next_run: if own.enabled {
                next_of(&own.hours, now)
            } else {
                None
            },
            hours: own.hours,
            last_run: None,
            kept_by_provider: true,
            // The provider's newest backup is streamed and verified once a day unless told
            // otherwise: each verification downloads a whole archive from the provider.
            verification: store
                .verification_mode(&db.id)
                .await?
                .unwrap_or(VerificationMode::Daily),
        });
    }
    let record = store.schedule(&db.id, now).await?;
    Ok(ScheduleState {
        enabled: record.schedule.enabled,
        hour: record.schedule.hour,
        hours: vec![record.schedule.hour],
        next_run: next_run(&record.schedule, now),
        last_run: record.last_run,
        kept_by_provider: false,
        verification: store.verification_mode(&db.id).await?.unwrap_or_default(),
    })
}

/// Turns the schedule on or off, or moves its hour; a field left out keeps its value.
pub async fn change(
    catalog: &Catalog,
    store: &Store,
    id: &str,
    enabled: Option<bool>,
    hour: Option<i64>,
    verification: Option<VerificationMode>,
    now: DateTime<Utc>,
) -> Result<ScheduleState, ScheduleChangeError> {
    let hour = hour.map(validate_hour).transpose()?;
    let db = scheduled(catalog, id).await?;
    let current = read(catalog, store, &db.id, now).await?;
    if let Some(mode) = verification {
        store.save_verification_mode(&db.id, mode).await?;
    }
    let enabled = enabled.unwrap_or(current.enabled);
    if current.kept_by_provider {
        // Turning it on sends the hour, as Scalingo's own client does; off sends none.
        let hour = if enabled {
            hour.or(Some(current.hour))
        } else {
            hour.filter(|h| *h != current.hour)
        };
        catalog.set_own_schedule(&db.id, enabled, hour).await?;
    } else {
        let schedule = DailySchedule {
            enabled,
            hour: hour.unwrap_or(current.hour),
        };
        store.save_schedule(&db.id, schedule, now).await?;
    }
    let state = read(catalog, store, &db.id, now).await?;
    tracing::info!(database = %db.id, enabled = state.enabled, hour = state.hour, verification = state.verification.as_str(), "backup schedule changed");
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_next_of_several_hours_is_the_soonest() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
        assert_eq!(
            next_of(&[0, 12], now),
            Some(Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap())
        );
        assert_eq!(
            next_of(&[3], now),
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap())
        );
        assert_eq!(next_of(&[], now), None);
    }
}
