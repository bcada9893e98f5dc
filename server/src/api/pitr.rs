//! Point-in-time recovery: start a restore to a moment in the window, and the safety copies it leaves.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tidemark_app::model::Job;
use tidemark_core::jobs::pitr::{PitrRequest, StartPitrError, start_pitr_restore};

use super::error::{ApiError, ErrorBody};
use super::jobs::accepted;
use crate::auth::Actor;
use crate::state::AppState;
use tidemark_core::auth::Action;

/// A point-in-time restore request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PitrBody {
    /// RFC 3339, any offset (converted to UTC); must lie in the recoverable window.
    pub restore_time: String,
    /// Must be true: the restore replaces the database's current data.
    #[serde(default)]
    pub confirm: bool,
}

/// A data directory kept aside by a point-in-time restore.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SafetyCopyView {
    /// The id of the restore job that set it aside.
    pub id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub restore_time: chrono::DateTime<chrono::Utc>,
    pub size_bytes: u64,
}

impl From<StartPitrError> for ApiError {
    fn from(e: StartPitrError) -> Self {
        match e {
            StartPitrError::Provider(p) => ApiError::from(p),
            StartPitrError::Job(j) => ApiError::from(j),
            StartPitrError::Denied(d) => ApiError::from(d),
            StartPitrError::NotSupported(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_supported", m)
            }
            StartPitrError::Invalid { field, message } => {
                let mut e =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message);
                e.field = Some(field.into());
                e
            }
        }
    }
}

/// Restores the database to a moment in its recoverable window, as a job.
#[utoipa::path(post, path = "/api/v1/databases/{db}/pitr-restores", tag = "pitr",
    params(("db" = String, Path, description = "The database's id")),
    request_body = PitrBody,
    responses((status = 202, description = "The restore job, queued", body = Job),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "Not confirmed, outside the window, or no PITR here", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<PitrBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = super::error::json_body(body, "a point-in-time restore request")?;
    actor
        .may(state.tm.jobs.store(), Action::PitrRestore, Some(&db))
        .await?;
    let request = PitrRequest {
        restore_time: body.restore_time,
        confirm: body.confirm,
    };
    let result =
        start_pitr_restore(&state.tm.jobs, &state.tm.catalog, &db, request, &actor.principal).await;
    let store = state.tm.jobs.store();
    actor
        .audit_result(
            store,
            Action::PitrRestore,
            Some(&db),
            &result.as_ref().map(|j| &j.id),
        )
        .await;
    Ok(accepted(result?.into()))
}

/// The data directories point-in-time restores set aside, newest first.
#[utoipa::path(get, path = "/api/v1/databases/{db}/safety-copies", tag = "pitr",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The safety copies", body = Vec<SafetyCopyView>),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub async fn safety_copies(
    State(state): State<AppState>,
    Path(db): Path<String>,
) -> Result<Json<Vec<SafetyCopyView>>, ApiError> {
    let copies = state.tm.catalog.safety_copies(&db).await?;
    Ok(Json(
        copies
            .into_iter()
            .map(|c| SafetyCopyView {
                id: c.id,
                created_at: c.created_at,
                restore_time: c.restore_time,
                size_bytes: c.size_bytes,
            })
            .collect(),
    ))
}

/// Deletes a safety copy for good.
#[utoipa::path(delete, path = "/api/v1/databases/{db}/safety-copies/{copy}", tag = "pitr",
    params(("db" = String, Path, description = "The database's id"),
           ("copy" = String, Path, description = "The safety copy's id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such database or safety copy", body = ErrorBody)))]
pub async fn discard(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, copy)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let store = state.tm.jobs.store();
    actor
        .may(store, Action::DiscardSafetyCopy, Some(&db))
        .await?;
    if state.tm.catalog.discard_safety_copy(&db, &copy).await? {
        actor
            .audit(
                store,
                Action::DiscardSafetyCopy,
                Some(&db),
                Some(&copy),
                "ok",
            )
            .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "safety_copy_not_found",
            format!("There is no safety copy '{copy}' for this database."),
        ))
    }
}
