//! Jobs: start a dump, list and read jobs, cancel one, download what it produced, and the
//! restores and uploads that feed them. Thin handlers over `core::ops`.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tidemark_app::model::{Job, JobKind, JobState, StagedDump};
use tidemark_core::jobs::JobId;
use tidemark_core::ops;
use tidemark_core::work::restore::{RestoreRequest, RestoreSource, RestoreTarget};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub(super) fn job_not_found(id: &str) -> ApiError {
    ops::job_not_found(id).into()
}

pub(super) fn parse_id(id: &str) -> Result<JobId, ApiError> {
    JobId::parse(id).ok_or_else(|| job_not_found(id))
}

pub(super) fn accepted(job: Job) -> Response {
    let location = format!("/api/v1/jobs/{}", job.id);
    let mut res = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Starts a dump of the database (pg_dump, custom format) as a job.
#[utoipa::path(post, path = "/api/v1/databases/{db}/dumps", tag = "jobs",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 202, description = "The dump job, queued; follow it at its events URL", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database cannot be dumped", body = ErrorBody)))]
pub(super) async fn start_dump_job(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Response, ApiError> {
    let job = ops::dumps::start(&state.tm, &actor.caller(), &db).await?;
    Ok(accepted(job.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct JobsQuery {
    /// Only the jobs of this database.
    pub database: Option<String>,
    /// Only the jobs in this state.
    pub state: Option<JobState>,
    /// Only the jobs of this kind.
    pub kind: Option<JobKind>,
    /// At most this many, newest first (1 to 500, default 100).
    pub limit: Option<u32>,
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobsQuery),
    responses((status = 200, description = "Jobs, newest first", body = [Job]),
              (status = 422, description = "A parameter is out of range", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<JobsQuery>,
) -> Result<Json<Vec<Job>>, ApiError> {
    let filter = ops::jobs::JobFilter {
        database: q.database,
        state: q.state,
        kind: q.kind,
        limit: q.limit,
    };
    let jobs = ops::jobs::list(&state.tm, &actor.caller(), filter).await?;
    Ok(Json(jobs.into_iter().map(Into::into).collect()))
}

/// One job.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job", body = Job),
              (status = 404, description = "No such job", body = ErrorBody)))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(
        ops::jobs::get(&state.tm, &actor.caller(), &id)
            .await?
            .into(),
    ))
}

/// Asks a queued or running job to stop; it ends as cancelled and keeps nothing half-written.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 202, description = "Cancellation asked; the job's events say when it stopped", body = Job),
              (status = 404, description = "No such job", body = ErrorBody),
              (status = 409, description = "The job has already ended", body = ErrorBody)))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = ops::jobs::cancel(&state.tm, &actor.caller(), &id).await?;
    Ok(accepted(job.into()))
}

/// What a finished job produced (a dump), streamed; supports Range requests to resume.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/artifact", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
              (status = 206, description = "The requested range of the file"),
              (status = 404, description = "No such job, or it produced no file", body = ErrorBody)))]
pub(super) async fn artifact(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (path, file_name) = ops::jobs::artifact(&state.tm, &actor.caller(), &id).await?;
    super::files::serve(&path, &file_name, request)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "artifact_not_found",
                format!("The file of job '{id}' is no longer on the server."),
            )
        })
}

/// Where a restore goes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum RestoreTargetKind {
    /// Into a database created for it on the same server (`new_database` names it).
    NewDatabase,
    /// Over the database itself, after a safety copy; needs `confirm` and `confirm_name`.
    InPlace,
}

/// A restore request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RestoreBody {
    /// A finished dump job whose file is restored (or give `source_upload`).
    pub source_job: Option<String>,
    /// An upload whose dump is restored (or give `source_job`).
    pub source_upload: Option<String>,
    pub target: RestoreTargetKind,
    /// The new database's name, for `new_database`.
    pub new_database: Option<String>,
    /// Must be true for `in_place`.
    #[serde(default)]
    pub confirm: bool,
    /// The database's name typed again, for `in_place`.
    pub confirm_name: Option<String>,
}

/// The preflight checks of a restore request.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct PreflightView {
    /// True when every check passed and the restore can start.
    pub ready: bool,
    pub checks: Vec<CheckView>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct CheckView {
    /// reachable, versions, extensions or disk_space.
    pub name: &'static str,
    pub ok: bool,
    pub message: String,
}

/// Runs the checks a restore would make, without starting it.
#[utoipa::path(post, path = "/api/v1/databases/{db}/restores/preflight", tag = "jobs",
    params(("db" = String, Path, description = "The database's id")),
    request_body = RestoreBody,
    responses((status = 200, description = "The checks and whether the restore can start", body = PreflightView),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "The request itself is invalid", body = ErrorBody)))]
pub(super) async fn preflight(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<RestoreBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PreflightView>, ApiError> {
    let request = restore_request(body)?;
    let checks = ops::restores::preflight(&state.tm, &actor.caller(), &db, request).await?;
    Ok(Json(PreflightView {
        ready: checks.iter().all(|c| c.ok),
        checks: checks
            .into_iter()
            .map(|c| CheckView {
                name: c.name,
                ok: c.ok,
                message: c.message,
            })
            .collect(),
    }))
}

/// Turns the request body into a core request, or a 422 naming the field.
fn restore_request(
    body: Result<Json<RestoreBody>, axum::extract::rejection::JsonRejection>,
) -> Result<RestoreRequest, ApiError> {
    let body = crate::error::json_body(body, "a restore request")?;
    let target = match body.target {
        RestoreTargetKind::InPlace => RestoreTarget::InPlace,
        RestoreTargetKind::NewDatabase => match body.new_database {
            Some(name) => RestoreTarget::NewDatabase(name),
            None => {
                let mut e = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    "Name the new database in new_database.",
                );
                e.field = Some("new_database".into());
                return Err(e);
            }
        },
    };
    let source = match (body.source_job, body.source_upload) {
        (Some(job), None) => RestoreSource::DumpJob(job),
        (None, Some(upload)) => RestoreSource::Upload(upload),
        _ => {
            let mut e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "Give exactly one source: source_job (a finished dump) or source_upload (an uploaded dump).",
            );
            e.field = Some("source_job".into());
            return Err(e);
        }
    };
    Ok(RestoreRequest {
        source,
        target,
        confirm: body.confirm,
        confirm_name: body.confirm_name,
    })
}

/// Restores a finished dump into a new database, or in place after a safety copy.
#[utoipa::path(post, path = "/api/v1/databases/{db}/restores", tag = "jobs",
    params(("db" = String, Path, description = "The database's id")),
    request_body = RestoreBody,
    responses((status = 202, description = "The restore job, queued", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 409, description = "The new database already exists", body = ErrorBody),
              (status = 422, description = "The request cannot be carried out; `field` says which part", body = ErrorBody)))]
pub(super) async fn start_restore_job(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<RestoreBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let request = restore_request(body)?;
    let job = ops::restores::start(&state.tm, &actor.caller(), &db, request).await?;
    Ok(accepted(job.into()))
}

/// Uploads a dump to restore (the request body is the file): pg_dump's custom format, or a .tar.gz
/// archive holding one (such as a downloaded Scalingo backup) or holding a directory-format dump.
/// Anything else is refused.
#[utoipa::path(post, path = "/api/v1/databases/{db}/uploads", tag = "jobs",
    params(("db" = String, Path, description = "The database's id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, description = "Stored and checked", body = StagedDump),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 413, description = "Larger than the limit, as sent or once unpacked", body = ErrorBody),
              (status = 422, description = "Not a dump Tidemark can restore", body = ErrorBody),
              (status = 507, description = "The server's disk is nearly full", body = ErrorBody)))]
pub(super) async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    use futures_util::TryStreamExt;
    let reader =
        tokio_util::io::StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    let up = ops::uploads::receive_file(&state.tm, &actor.caller(), &db, reader).await?;
    Ok((StatusCode::CREATED, Json(StagedDump::from_upload(&up))).into_response())
}
