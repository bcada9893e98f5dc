//! The daily backup schedule of a database: read it with its next run, change it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidemark_core::schedule::daily::{DailySchedule, next_run, validate_hour};

use super::error::{ApiError, ErrorBody};
use crate::auth::Actor;
use crate::state::AppState;
use tidemark_core::auth::Action;

/// A database's daily backup schedule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub enabled: bool,
    /// The hour of the day, in UTC, when the backup starts (0 to 23).
    pub hour: u8,
    /// When the next scheduled backup starts; null when the schedule is off.
    pub next_run: Option<DateTime<Utc>>,
    /// The slot of the last scheduled backup started.
    pub last_run: Option<DateTime<Utc>>,
}

/// A change of schedule; a field left out keeps its value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub enabled: Option<bool>,
    /// The hour of the day in UTC, 0 to 23.
    pub hour: Option<i64>,
}

async fn view(state: &AppState, db: &str) -> Result<ScheduleView, ApiError> {
    let now = Utc::now();
    let record = state.jobs.store().schedule(db, now).await?;
    Ok(ScheduleView {
        enabled: record.schedule.enabled,
        hour: record.schedule.hour,
        next_run: next_run(&record.schedule, now),
        last_run: record.last_run,
    })
}

/// The database, if it exists and takes scheduled backups.
async fn scheduled(state: &AppState, db: &str) -> Result<String, ApiError> {
    let database = state.catalog.database(db).await?;
    if !database.features.scheduled_backups {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_supported",
            format!("{} has no backup schedule here.", database.name),
        ));
    }
    Ok(database.id)
}

/// The daily backup schedule and its next run.
#[utoipa::path(get, path = "/api/v1/databases/{db}/schedule", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The schedule", body = ScheduleView),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database has no schedule", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(db): Path<String>,
) -> Result<Json<ScheduleView>, ApiError> {
    let id = scheduled(&state, &db).await?;
    Ok(Json(view(&state, &id).await?))
}

/// Turns the daily backup on or off, or moves its hour (UTC).
#[utoipa::path(put, path = "/api/v1/databases/{db}/schedule", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    request_body = ScheduleBody,
    responses((status = 200, description = "The new schedule", body = ScheduleView),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "An invalid hour, or no schedule here", body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<ScheduleBody>, JsonRejection>,
) -> Result<Json<ScheduleView>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("The request body is not a schedule: {}", e.body_text()),
        )
    })?;
    actor
        .may(state.jobs.store(), Action::ChangeSchedule, Some(&db))
        .await?;
    let id = scheduled(&state, &db).await?;
    let now = Utc::now();
    let current = state.jobs.store().schedule(&id, now).await?.schedule;
    let hour = match body.hour {
        Some(h) => validate_hour(h).map_err(|e| {
            let mut err = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                e.to_string(),
            );
            err.field = Some(e.field().into());
            err
        })?,
        None => current.hour,
    };
    let schedule = DailySchedule {
        enabled: body.enabled.unwrap_or(current.enabled),
        hour,
    };
    state.jobs.store().save_schedule(&id, schedule, now).await?;
    tracing::info!(database = %id, enabled = schedule.enabled, hour = schedule.hour, "backup schedule changed");
    let what = format!(
        "{} at {:02}:00 UTC",
        if schedule.enabled { "on" } else { "off" },
        schedule.hour
    );
    actor
        .audit(
            state.jobs.store(),
            Action::ChangeSchedule,
            Some(&id),
            Some(&what),
            "ok",
        )
        .await;
    Ok(Json(view(&state, &id).await?))
}
