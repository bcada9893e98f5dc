//! Point-in-time recovery: start a restore to a moment in the window, and the safety copies it leaves.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tidemark_app::model::{Job, SafetyCopy};
use tidemark_core::ops;
use tidemark_core::work::pitr::PitrRequest;

use super::jobs::accepted;
use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A point-in-time restore request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PitrBody {
    /// RFC 3339, any offset (converted to UTC); must lie in the recoverable window.
    pub restore_time: String,
    /// Must be true: the restore replaces the database's current data.
    #[serde(default)]
    pub confirm: bool,
}

/// Restores the database to a moment in its recoverable window, as a job.
#[utoipa::path(post, path = "/api/v1/databases/{db}/pitr-restores", tag = "pitr",
    params(("db" = String, Path, description = "The database's id")),
    request_body = PitrBody,
    responses((status = 202, description = "The restore job, queued", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "Not confirmed, outside the window, or no PITR here", body = ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<PitrBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = crate::error::json_body(body, "a point-in-time restore request")?;
    let request = PitrRequest {
        restore_time: body.restore_time,
        confirm: body.confirm,
    };
    let job = ops::pitr::restore(&state.tm, &actor.caller(), &db, request).await?;
    Ok(accepted(job.into()))
}

/// The data directories point-in-time restores set aside, newest first.
#[utoipa::path(get, path = "/api/v1/databases/{db}/safety-copies", tag = "pitr",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The safety copies", body = Vec<SafetyCopy>),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn safety_copies(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Vec<SafetyCopy>>, ApiError> {
    Ok(Json(
        ops::safety::list(&state.tm, &actor.caller(), &db).await?,
    ))
}

/// Deletes a safety copy for good.
#[utoipa::path(delete, path = "/api/v1/databases/{db}/safety-copies/{copy}", tag = "pitr",
    params(("db" = String, Path, description = "The database's id"),
           ("copy" = String, Path, description = "The safety copy's id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such database or safety copy", body = ErrorBody)))]
pub(super) async fn discard(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, copy)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ops::safety::discard(&state.tm, &actor.caller(), &db, &copy).await?;
    Ok(StatusCode::NO_CONTENT)
}
