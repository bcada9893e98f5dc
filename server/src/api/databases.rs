//! Health, databases, their backups and their recoverable window.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use tidemark_app::model::{Backup, Database, PitrWindow};

use tidemark_core::ops;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Health {
    /// Always "ok" when the server answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// Whether the server is up; needs no credentials.
#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, description = "The server answers", body = Health)))]
pub(super) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Every database Tidemark serves.
#[utoipa::path(get, path = "/api/v1/databases", tag = "databases",
    responses((status = 200, description = "All databases", body = [Database]),
              (status = 503, description = "A provider did not answer", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<Database>>, ApiError> {
    Ok(Json(ops::databases::all(&state.tm, &actor.caller()).await?))
}

/// One database.
#[utoipa::path(get, path = "/api/v1/databases/{db}", tag = "databases",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The database", body = Database),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Database>, ApiError> {
    Ok(Json(
        ops::databases::get(&state.tm, &actor.caller(), &db).await?,
    ))
}

/// The database's backups, newest first.
#[utoipa::path(get, path = "/api/v1/databases/{db}/backups", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "Backups, newest first", body = [Backup]),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn backups(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Vec<Backup>>, ApiError> {
    Ok(Json(
        ops::backups::list(&state.tm, &actor.caller(), &db).await?,
    ))
}

/// The span of time a point-in-time restore can target, in UTC.
#[utoipa::path(get, path = "/api/v1/databases/{db}/pitr", tag = "pitr",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The recoverable window", body = PitrWindow),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn pitr(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<PitrWindow>, ApiError> {
    Ok(Json(
        ops::pitr::window(&state.tm, &actor.caller(), &db).await?,
    ))
}
