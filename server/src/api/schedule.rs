//! The daily backup schedule of a database: read it with its next run, change it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Deserialize;
use tidemark_core::ops;
use tidemark_core::ops::schedule::ScheduleChange;
use tidemark_types::Schedule;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody, json_body};
use crate::state::AppState;

/// A change of schedule; a field left out keeps its value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ScheduleBody {
    pub enabled: Option<bool>,
    /// The hour of the day in UTC, 0 to 23.
    pub hour: Option<i64>,
    /// When backups are verified on their own: `after_each`, `daily` or `off`.
    pub verification: Option<String>,
}

/// The daily backup schedule and its next run.
#[utoipa::path(get, path = "/api/v1/databases/{db}/schedule", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The schedule", body = Schedule),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database has no schedule", body = ErrorBody)))]
pub(super) async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Schedule>, ApiError> {
    Ok(Json(
        ops::schedule::read(&state.tm, &actor.caller(), &db).await?,
    ))
}

/// Turns the daily backup on or off, moves its hour (UTC), or changes when backups are verified.
#[utoipa::path(put, path = "/api/v1/databases/{db}/schedule", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    request_body = ScheduleBody,
    responses((status = 200, description = "The new schedule", body = Schedule),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "An invalid hour or verification, or no schedule here", body = ErrorBody)))]
pub(super) async fn put(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<ScheduleBody>, JsonRejection>,
) -> Result<Json<Schedule>, ApiError> {
    let body = json_body(body, "a schedule")?;
    let change = ScheduleChange {
        enabled: body.enabled,
        hour: body.hour,
        verification: body.verification,
    };
    Ok(Json(
        ops::schedule::change(&state.tm, &actor.caller(), &db, change).await?,
    ))
}
