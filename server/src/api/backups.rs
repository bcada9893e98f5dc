//! Backups: take a manual logical backup, and download an archive (or the latest).

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tidemark_app::model::{Job, StagedDump};
use tidemark_core::ops;
use tidemark_core::ops::backups::Download;

use super::jobs::accepted;
use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Takes a manual logical backup (pg_dump packed in a .tar.gz) as a job.
#[utoipa::path(post, path = "/api/v1/databases/{db}/backups", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 202, description = "The backup job, queued", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database takes no manual backups", body = ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Response, ApiError> {
    let job = ops::backups::take(&state.tm, &actor.caller(), &db).await?;
    Ok(accepted(job.into()))
}

/// Downloads a backup's archive, streamed, with Range to resume; `latest` picks the most recent
/// successful backup.
#[utoipa::path(get, path = "/api/v1/databases/{db}/backups/{backup}/download", tag = "backups",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id, or `latest`")),
    responses((status = 200, description = "The archive", content_type = "application/gzip"),
              (status = 206, description = "The requested range of the archive"),
              (status = 404, description = "No such database or downloadable backup", body = ErrorBody)))]
pub(super) async fn download(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    // Archives the provider keeps (Scalingo) are streamed through, Range passed on.
    let range = request
        .headers()
        .get(axum::http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let who = actor.caller();
    match ops::backups::download(&state.tm, &who, &db, &backup, range.as_deref()).await? {
        Download::Stream(archive) => Ok(super::files::stream(archive)),
        Download::File { path, file_name } => super::files::serve(&path, &file_name, request)
            .await?
            .ok_or_else(|| {
                let name = db.clone();
                ops::backups::backup_not_found(&name, &backup).into()
            }),
    }
}

/// Makes a logical backup ready to restore: its dump is taken out of the archive (Tidemark's own,
/// or streamed from the provider) and kept as an upload, to pass as `source_upload` to a restore.
#[utoipa::path(post, path = "/api/v1/databases/{db}/backups/{backup}/uploads", tag = "jobs",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id, or `latest` for the newest successful logical backup")),
    responses((status = 201, description = "Its dump, stored and checked", body = StagedDump),
              (status = 404, description = "No such database or logical backup", body = ErrorBody),
              (status = 422, description = "The archive holds no dump Tidemark can restore", body = ErrorBody)))]
pub(super) async fn stage(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let up = ops::uploads::stage(&state.tm, &actor.caller(), &db, &backup).await?;
    Ok((StatusCode::CREATED, Json(StagedDump::from_upload(&up))).into_response())
}
