//! A job's events as server-sent events: what was missed first (from the store), then live events,
//! each with its number as id, until the job ends.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tidemark_core::jobs::JobEvent;
use tidemark_core::jobs::follow::{Audience, Following, follow};
use tidemark_core::ops::{self, OpsError};

use super::jobs::{job_not_found, parse_id};
use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::{AppState, StreamPermit};

fn to_sse(e: &JobEvent) -> Event {
    Event::default()
        .id(e.seq.to_string())
        .event(e.name())
        .json_data(e)
        .unwrap_or_else(|_| Event::default().comment("unserialisable event"))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Start after this event (for a page that rendered events up to it); `Last-Event-ID` wins.
    pub after: Option<u64>,
}

/// The job's events as `text/event-stream`. A client that reconnects with `Last-Event-ID` gets
/// exactly the events after that one. The stream ends after the event that ends the job; asked
/// again after that event, it answers 204.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "The job's id"),
           ("Last-Event-ID" = Option<u64>, Header, description = "The last event already received"),
           StreamQuery),
    responses((status = 200, description = "Server-sent events: status, progress and log", content_type = "text/event-stream"),
              (status = 204, description = "The job has ended and the client already has its last event"),
              (status = 404, description = "No such job", body = ErrorBody),
              (status = 429, description = "This user follows too many jobs at once", body = ErrorBody)))]
pub(super) async fn stream(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let permit = state
        .streams
        .acquire(&format!("user:{}", actor.principal.user), STREAMS_PER_USER)
        .ok_or_else(too_many)?;
    follow_job(&state, &id, query, &headers, Audience::Team, permit).await
}

/// Live streams one user may hold open at once (tabs and phones together).
pub(super) const STREAMS_PER_USER: usize = 20;
/// Live streams one share link may hold open at once: a team chat's worth of readers.
pub(super) const STREAMS_PER_LINK: usize = 50;

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_streams",
        "Too many live pages follow jobs at once here; close a few and try again.",
    )
}

/// The event stream of a job a share link opens, for its page; the link must be live.
pub async fn shared_stream(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = ops::shares::open(&state.tm, &token)
        .await?
        .filter(|l| l.kind == ops::shares::JOB)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "share_link_not_found",
                "This link is unknown, expired or revoked.",
            )
        })?;
    let permit = state
        .streams
        .acquire(&format!("link:{}", link.id), STREAMS_PER_LINK)
        .ok_or_else(too_many)?;
    follow_job(
        &state,
        &link.target,
        query,
        &headers,
        Audience::ShareLink,
        permit,
    )
    .await
}

async fn follow_job(
    state: &AppState,
    id: &str,
    query: StreamQuery,
    headers: &HeaderMap,
    audience: Audience,
    permit: StreamPermit,
) -> Result<Response, ApiError> {
    let job_id = parse_id(id)?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(query.after)
        .unwrap_or(0);
    let follow = match follow(state.tm.jobs.hub(), &job_id, after, audience)
        .await
        .map_err(|e| ApiError::from(OpsError::from(e)))?
    {
        Following::Unknown => return Err(job_not_found(id)),
        // The client already has the job's end: 204 tells an EventSource to stop reconnecting.
        Following::AllSeen => return Ok(StatusCode::NO_CONTENT.into_response()),
        Following::Events(f) => f,
    };
    // The permit travels with the stream and frees its place when the stream ends.
    let events = futures_util::stream::unfold((follow, permit), |(mut f, permit)| async move {
        let e = f.next().await?;
        Some((Ok::<_, Infallible>(to_sse(&e)), (f, permit)))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
