//! Backups: take a manual logical backup, and download an archive (or the latest).

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tidemark_app::model::Job;
use tidemark_core::jobs::backup::{find_archive, start_backup};
use tidemark_core::jobs::dump::StartDumpError;
use tidemark_core::jobs::staging::{StageError, stage_backup};
use tidemark_core::provider::BackupMethod;

use super::error::{ApiError, ErrorBody};
use super::jobs::accepted;
use crate::auth::Actor;
use crate::state::AppState;
use tidemark_core::auth::Action;

impl From<StartDumpError> for ApiError {
    fn from(e: StartDumpError) -> Self {
        match e {
            StartDumpError::Provider(p) => ApiError::from(p),
            StartDumpError::Job(j) => ApiError::from(j),
            StartDumpError::Denied(d) => ApiError::from(d),
            StartDumpError::NotSupported(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_supported", m)
            }
            StartDumpError::Unreachable(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unreachable", m)
            }
        }
    }
}

impl From<StageError> for ApiError {
    fn from(e: StageError) -> Self {
        match e {
            StageError::Denied(d) => ApiError::from(d),
            StageError::Provider(p) => ApiError::from(p),
            StageError::Store(s) => ApiError::from(s),
            StageError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "backup_not_found", m),
            StageError::Upload(u) => super::jobs::upload_error(u),
        }
    }
}

/// Takes a manual logical backup (pg_dump packed in a .tar.gz) as a job.
#[utoipa::path(post, path = "/api/v1/databases/{db}/backups", tag = "backups",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 202, description = "The backup job, queued", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database takes no manual backups", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Response, ApiError> {
    actor
        .may(state.tm.jobs.store(), Action::ManualBackup, Some(&db))
        .await?;
    let result = start_backup(
        &state.tm.jobs,
        &state.tm.catalog,
        &state.tm.config,
        &db,
        BackupMethod::Manual,
        &actor.principal,
    )
    .await;
    let store = state.tm.jobs.store();
    actor
        .audit_result(
            store,
            Action::ManualBackup,
            Some(&db),
            &result.as_ref().map(|j| &j.id),
        )
        .await;
    Ok(accepted(result?.into()))
}

/// Downloads a backup's archive, streamed, with Range to resume; `latest` picks the most recent
/// successful backup.
#[utoipa::path(get, path = "/api/v1/databases/{db}/backups/{backup}/download", tag = "backups",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id, or `latest`")),
    responses((status = 200, description = "The archive", content_type = "application/gzip"),
              (status = 206, description = "The requested range of the archive"),
              (status = 404, description = "No such database or downloadable backup", body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    Path((db, backup)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let database = state.tm.catalog.database(&db).await?;
    let not_found = || {
        let physical = backup.ends_with('F') || backup.ends_with('D') || backup.ends_with('I');
        ApiError::new(
            StatusCode::NOT_FOUND,
            "backup_not_found",
            if backup == "latest" {
                format!(
                    "{} has no successful logical backup to download yet.",
                    database.name
                )
            } else if physical {
                format!(
                    "'{backup}' is a physical backup: it is restored through point-in-time recovery, not downloaded."
                )
            } else {
                format!(
                    "{} has no downloadable backup with the id '{backup}'.",
                    database.name
                )
            },
        )
    };
    // Archives the provider keeps (Scalingo) are streamed through, Range passed on.
    let range = request
        .headers()
        .get(axum::http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(archive) = state
        .tm
        .catalog
        .open_archive(&database.id, &backup, range.as_deref())
        .await?
    {
        return Ok(super::files::stream(archive));
    }
    let (record, path) = find_archive(state.tm.jobs.store(), &state.tm.config, &database.id, &backup)
        .await?
        .ok_or_else(not_found)?;
    super::files::serve(&path, &record.file_name, request)
        .await?
        .ok_or_else(not_found)
}

/// Makes a logical backup ready to restore: its dump is taken out of the archive (Tidemark's own,
/// or streamed from the provider) and kept as an upload, to pass as `source_upload` to a restore.
#[utoipa::path(post, path = "/api/v1/databases/{db}/backups/{backup}/uploads", tag = "jobs",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id, or `latest` for the newest successful logical backup")),
    responses((status = 201, description = "Its dump, stored and checked", body = tidemark_app::model::StagedDump),
              (status = 404, description = "No such database or logical backup", body = ErrorBody),
              (status = 422, description = "The archive holds no dump Tidemark can restore", body = ErrorBody)))]
pub async fn stage(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    actor
        .may(state.tm.jobs.store(), Action::Upload, Some(&db))
        .await?;
    let up = stage_backup(
        &state.tm.catalog,
        state.tm.jobs.store(),
        &state.tm.config,
        &db,
        &actor.principal,
        &backup,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(tidemark_app::model::StagedDump::from_upload(&up)),
    )
        .into_response())
}
