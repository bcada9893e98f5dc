//! The point-in-time restore job: checks the request against the window and the confirmation,
//! then hands the work to the database's provider.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::auth::Principal;
use crate::catalog::Catalog;
use crate::jobs::{Job, JobKind};
use crate::jobs::{JobError, JobRequest, JobRunner, WorkOutcome};
use crate::provider::ProviderError;

/// What someone asked for.
#[derive(Debug, Clone)]
pub struct PitrRequest {
    /// RFC 3339 with any offset; converted to UTC.
    pub restore_time: String,
    pub confirm: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StartPitrError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotSupported(String),
    #[error(transparent)]
    Job(#[from] JobError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> StartPitrError {
    StartPitrError::Invalid {
        field,
        message: message.into(),
    }
}

fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads an RFC 3339 time with any offset, as UTC.
pub fn parse_restore_time(text: &str) -> Result<DateTime<Utc>, StartPitrError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            invalid(
                "restore_time",
                format!(
                    "restore_time must be an RFC 3339 date and time such as 2026-11-22T08:30:00Z ({e}); got '{text}'"
                ),
            )
        })
}

/// Checks the request and starts the restore; nothing changes when it is refused.
pub async fn start_pitr_restore(
    runner: &JobRunner,
    catalog: &Catalog,
    database: &str,
    request: PitrRequest,
    actor: &Principal,
) -> Result<Job, StartPitrError> {
    let started_by = actor.user.as_str();
    let target = parse_restore_time(&request.restore_time)?;
    let (db, provider) = catalog.resolve(database).await?;
    if !db.features.pitr {
        return Err(StartPitrError::NotSupported(format!(
            "{} offers no point-in-time recovery: it is not a cluster with continuous archiving.",
            db.name
        )));
    }
    let window = provider.pitr_window(&db.id).await?;
    let (Some(earliest), Some(latest)) = (window.earliest, window.latest) else {
        return Err(StartPitrError::NotSupported(
            window
                .unavailable_reason
                .unwrap_or_else(|| "There is no recoverable window yet.".into()),
        ));
    };
    if !window.contains(target) {
        return Err(invalid(
            "restore_time",
            format!(
                "{} is outside the recoverable window, which runs from {} to {} (UTC)",
                utc(target),
                utc(earliest),
                utc(latest)
            ),
        ));
    }
    if !request.confirm {
        return Err(invalid(
            "confirm",
            format!(
                "confirm must be true: the database will be unavailable during the restore, everything written after {} will be gone from it, and the backup history restarts",
                utc(target)
            ),
        ));
    }
    let job_request = JobRequest {
        kind: JobKind::PitrRestore,
        database: db.id.clone(),
        started_by: started_by.to_string(),
        params: serde_json::json!({ "restore_time": utc(target) }),
    };
    let id = db.id.clone();
    Ok(runner
        .submit(job_request, move |ctx| {
            Box::pin(async move {
                let summary = provider.pitr_restore(&id, target, &ctx).await?;
                Ok(WorkOutcome::Succeeded {
                    summary,
                    artifact: None,
                })
            })
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn any_offset_is_read_as_utc() {
        let t = parse_restore_time("2026-11-22T10:30:00+02:00").unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 22, 8, 30, 0).unwrap());
    }

    #[test]
    fn a_time_without_offset_is_refused_naming_the_field() {
        let StartPitrError::Invalid { field, message } =
            parse_restore_time("2026-11-22 08:30").unwrap_err()
        else {
            panic!("expected a validation error");
        };
        assert_eq!(field, "restore_time");
        assert!(message.contains("2026-11-22 08:30"), "{message}");
    }
}
