//! The daily backup: read it (anyone), change it (admins).

use super::{Caller, ErrorKind, OpsError, Tidemark};
use crate::auth::Action;
use crate::schedule::service::{self, ScheduleChangeError};
use tidemark_types::{Schedule, VerificationMode};

impl From<ScheduleChangeError> for OpsError {
    fn from(e: ScheduleChangeError) -> Self {
        match e {
            ScheduleChangeError::Provider(p) => p.into(),
            ScheduleChangeError::Store(s) => s.into(),
            ScheduleChangeError::Invalid(i) => OpsError::invalid(i.field(), i.to_string()),
            ScheduleChangeError::NotSupported(m) => {
                OpsError::new(ErrorKind::Invalid, "not_supported", m)
            }
        }
    }
}

/// The schedule as it stands, with its next run.
pub async fn read(tm: &Tidemark, who: &Caller, database: &str) -> Result<Schedule, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    Ok(service::read(&tm.catalog, tm.store(), database, tm.clock.now()).await?)
}

/// A change of schedule: a part left out keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleChange {
    pub enabled: Option<bool>,
    /// The hour of the day in UTC, 0 to 23.
    pub hour: Option<i64>,
    /// When backups are verified on their own: `after_each`, `daily` or `off`.
    pub verification: Option<String>,
}

/// Changes the schedule; returns it as it now stands.
pub async fn change(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    change: ScheduleChange,
) -> Result<Schedule, OpsError> {
    let door = tm.door(who, Action::ChangeSchedule, Some(database)).await?;
    let result = match change
        .verification
        .as_deref()
        .map(|v| (v, VerificationMode::parse(v)))
    {
        Some((v, None)) => Err(OpsError::invalid(
            "verification",
            format!("'{v}' is not a way to verify backups; use after_each, daily or off."),
        )),
        mode => service::change(
            &tm.catalog,
            tm.store(),
            database,
            change.enabled,
            change.hour,
            mode.and_then(|(_, m)| m),
            tm.clock.now(),
        )
        .await
        .map_err(OpsError::from),
    };
    door.end(result, |s| {
        format!(
            "{} at {:02}:00 UTC, verified {}",
            if s.enabled { "on" } else { "off" },
            s.hour,
            s.verification.label()
        )
    })
    .await
}
