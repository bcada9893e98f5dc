//! Point-in-time drills of managed clusters and the repository checks that come with them.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use tidemark_app::model::Job;
use tidemark_core::ops;
use tidemark_types::{PitrDrill, RepositoryCheck};

use super::jobs::accepted;
use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Runs a drill as a job: `pgbackrest verify` over the repository, then the newest backup
/// restored beside the cluster to a moment between two canary rows, which must replay to it,
/// promote, and hold the row before the moment and not the one after.
#[utoipa::path(post, path = "/api/v1/databases/{db}/pitr-drills", tag = "verifications",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 202, description = "The drill job, queued", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "Not a cluster with continuous archiving, or no recoverable window yet", body = ErrorBody)))]
pub(super) async fn start(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Response, ApiError> {
    let job = ops::drills::start(&state.tm, &actor.caller(), &db).await?;
    Ok(accepted(job.into()))
}

/// The database's drills, newest first, each with its evidence.
#[utoipa::path(get, path = "/api/v1/databases/{db}/pitr-drills", tag = "verifications",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The drills", body = Vec<PitrDrill>),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Vec<PitrDrill>>, ApiError> {
    Ok(Json(
        ops::drills::list(&state.tm, &actor.caller(), &db).await?,
    ))
}

/// The newest `pgbackrest verify` result of each physical backup.
#[utoipa::path(get, path = "/api/v1/databases/{db}/repository-checks", tag = "verifications",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "One check per physical backup, newest first", body = Vec<RepositoryCheck>),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn repository_checks(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Vec<RepositoryCheck>>, ApiError> {
    Ok(Json(
        ops::drills::repository_checks(&state.tm, &actor.caller(), &db).await?,
    ))
}
