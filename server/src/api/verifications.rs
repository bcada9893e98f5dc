//! Verifications: test restores of a backup on the scratch instance, and the evidence they keep.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use tidemark_app::model::Job;
use tidemark_core::ops;
use tidemark_types::{BackupDetail, Verification};

use super::jobs::accepted;
use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// One of the database's logical backups, with its checksum, its rows at backup time and its
/// verifications, newest first.
#[utoipa::path(get, path = "/api/v1/databases/{db}/backups/{backup}", tag = "verifications",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id")),
    responses((status = 200, description = "The backup and its evidence", body = BackupDetail),
              (status = 404, description = "No such database or logical backup", body = ErrorBody)))]
pub(super) async fn backup(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
) -> Result<Json<BackupDetail>, ApiError> {
    let detail = ops::verifications::backup(&state.tm, &actor.caller(), &db, &backup).await?;
    Ok(Json(detail))
}

/// Verifies a backup: restores it on the scratch instance, compares every table's rows with the
/// backup's, and runs pg_amcheck, as a job.
#[utoipa::path(post, path = "/api/v1/databases/{db}/backups/{backup}/verifications", tag = "verifications",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id")),
    responses((status = 202, description = "The verification job, queued", body = Job),
              (status = 404, description = "No such database or finished logical backup", body = ErrorBody),
              (status = 422, description = "This database's backups are not verified here", body = ErrorBody),
              (status = 507, description = "Too little disk for a test restore", body = ErrorBody)))]
pub(super) async fn verify(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = ops::verifications::start(&state.tm, &actor.caller(), &db, &backup).await?;
    Ok(accepted(job.into()))
}

/// The database's verifications, newest first, each with its evidence.
#[utoipa::path(get, path = "/api/v1/databases/{db}/verifications", tag = "verifications",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The verifications", body = Vec<Verification>),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Vec<Verification>>, ApiError> {
    Ok(Json(
        ops::verifications::list(&state.tm, &actor.caller(), &db).await?,
    ))
}
