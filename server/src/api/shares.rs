//! Share links to a job's status page or a backup's page: created by operators, read-only,
//! expiring, revocable.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidemark_core::ops;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewShareLink {
    /// Days until it expires: 1 to 90, default 7.
    pub days: Option<i64>,
}

/// A new link; its address is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CreatedShareLink {
    pub id: i64,
    /// The page's path on this server: `/s/<token>`.
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// A link, without its token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ShareLinkView {
    pub id: i64,
    /// What it opens: `job` or `backup`.
    pub kind: String,
    /// The job's or the backup's id.
    pub target: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// Creates a read-only link to the job's status page.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/share-links", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    request_body(content = Option<NewShareLink>),
    responses((status = 201, description = "Created; the path is shown once", body = CreatedShareLink),
              (status = 404, description = "No such job", body = ErrorBody),
              (status = 422, description = "Invalid lifetime", body = ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request = read_request(&body)?;
    let link = ops::shares::create(&state.tm, &actor.caller(), &id, request.days).await?;
    Ok(created(&link))
}

/// Creates a read-only link to a backup's page: the backup and its verifications, without the
/// download or the restore form.
#[utoipa::path(post, path = "/api/v1/databases/{db}/backups/{backup}/share-links", tag = "verifications",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id")),
    request_body(content = Option<NewShareLink>),
    responses((status = 201, description = "Created; the path is shown once", body = CreatedShareLink),
              (status = 404, description = "No such database or logical backup", body = ErrorBody),
              (status = 422, description = "Invalid lifetime", body = ErrorBody)))]
pub(super) async fn create_for_backup(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request = read_request(&body)?;
    let link =
        ops::shares::create_for_backup(&state.tm, &actor.caller(), &db, &backup, request.days)
            .await?;
    Ok(created(&link))
}

/// The body is optional: none means the defaults.
fn read_request(body: &[u8]) -> Result<NewShareLink, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(NewShareLink::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("The request body is not a share link request: {e}"),
        )
    })
}

fn created(link: &ops::shares::CreatedLink) -> Response {
    (
        StatusCode::CREATED,
        Json(CreatedShareLink {
            id: link.id,
            path: link.path(),
            expires_at: link.expires_at,
        }),
    )
        .into_response()
}

/// The job's share links.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/share-links", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The links, newest first", body = Vec<ShareLinkView>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<Vec<ShareLinkView>>, ApiError> {
    let links = ops::shares::list(&state.tm, &actor.caller(), &id).await?;
    Ok(views(links))
}

/// The backup's share links.
#[utoipa::path(get, path = "/api/v1/databases/{db}/backups/{backup}/share-links", tag = "verifications",
    params(("db" = String, Path, description = "The database's id"),
           ("backup" = String, Path, description = "The backup's id")),
    responses((status = 200, description = "The links, newest first", body = Vec<ShareLinkView>),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn list_for_backup(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, backup)): Path<(String, String)>,
) -> Result<Json<Vec<ShareLinkView>>, ApiError> {
    let links = ops::shares::list_for_backup(&state.tm, &actor.caller(), &db, &backup).await?;
    Ok(views(links))
}

fn views(links: Vec<tidemark_core::store::ShareLink>) -> Json<Vec<ShareLinkView>> {
    Json(
        links
            .into_iter()
            .map(|l| ShareLinkView {
                id: l.id,
                kind: l.kind,
                target: l.target,
                created_by: l.created_by,
                created_at: l.created_at,
                expires_at: l.expires_at,
                revoked: l.revoked,
            })
            .collect(),
    )
}

/// Revokes a share link at once.
#[utoipa::path(delete, path = "/api/v1/share-links/{id}", tag = "jobs",
    params(("id" = i64, Path, description = "The link's id")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such live link", body = ErrorBody)))]
pub(super) async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    ops::shares::revoke(&state.tm, &actor.caller(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
