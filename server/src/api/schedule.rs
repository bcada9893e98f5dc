//! The daily backup schedule of a database: read it with its next run, change it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use tidemark_core::schedule::service::{self, ScheduleChangeError};
use tidemark_types::Schedule;

use super::error::{ApiError, ErrorBody, json_body};
use crate::auth::Actor;
use crate::state::AppState;
use tidemark_core::auth::Action;

/// A change of schedule; a field left out keeps its value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub enabled: Option<bool>,
    /// The hour of the day in UTC, 0 to 23.
    pub hour: Option<i64>,
}

impl From<ScheduleChangeError> for ApiError {
    fn from(e: ScheduleChangeError) -> Self {
        match e {
            ScheduleChangeError::Provider(p) => p.into(),
            ScheduleChangeError::Store(s) => s.into(),
            ScheduleChangeError::Denied(d) => d.into(),
            ScheduleChangeError::Invalid(i) => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    i.to_string(),
                );
                err.field = Some(i.field().into());
                err
            }
            ScheduleChangeError::NotSupported(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_supported", m)
            }
        }
    }
}

/// The daily backup schedule and its next run.
#[utoipa::path(get, path = "/api/v1/databases/{db}/schedule", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The schedule", body = Schedule),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database has no schedule", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(db): Path<String>,
) -> Result<Json<Schedule>, ApiError> {
    let s = service::read(&state.tm.catalog, state.tm.jobs.store(), &db, Utc::now()).await?;
    Ok(Json(s))
}

/// Turns the daily backup on or off, or moves its hour (UTC).
#[utoipa::path(put, path = "/api/v1/databases/{db}/schedule", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    request_body = ScheduleBody,
    responses((status = 200, description = "The new schedule", body = Schedule),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "An invalid hour, or no schedule here", body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<ScheduleBody>, JsonRejection>,
) -> Result<Json<Schedule>, ApiError> {
    let body = json_body(body, "a schedule")?;
    actor
        .may(state.tm.jobs.store(), Action::ChangeSchedule, Some(&db))
        .await?;
    let s = service::change(
        &state.tm.catalog,
        state.tm.jobs.store(),
        &db,
        body.enabled,
        body.hour,
        &actor.principal,
        Utc::now(),
    )
    .await?;
    let what = format!(
        "{} at {:02}:00 UTC",
        if s.enabled { "on" } else { "off" },
        s.hour
    );
    actor
        .audit(
            state.tm.jobs.store(),
            Action::ChangeSchedule,
            Some(&db),
            Some(&what),
            "ok",
        )
        .await;
    Ok(Json(s))
}
