//! A job's events as server-sent events: what was missed first (from the store), then live events,
//! each with its number as id, until the job ends.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tidemark_core::jobs::{EventBody, EventHub, JobEvent, JobId, Subscription};
use tokio::sync::broadcast;

use super::error::{ApiError, ErrorBody};
use super::jobs::{job_not_found, parse_id};
use crate::auth::Actor;
use crate::state::{AppState, StreamPermit};

struct Follow {
    job: JobId,
    hub: EventHub,
    /// Live events; none for a job that had ended, whose events are all in `queue`.
    sub: Option<Subscription>,
    queue: VecDeque<JobEvent>,
    last: u64,
    ended: bool,
    /// A share link's stream: no log lines and no item names, which can name hosts and roles.
    shared: bool,
    /// Counts this stream against its user's or link's limit until it ends.
    _permit: StreamPermit,
}

impl Follow {
    /// The next event to send, or `None` when the job's last event has been sent.
    async fn next(&mut self) -> Option<JobEvent> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                if e.seq <= self.last {
                    continue;
                }
                self.last = e.seq;
                if e.is_final() {
                    self.ended = true;
                    // The job is over: the channel can go now rather than with the connection.
                    self.sub = None;
                }
                match for_audience(e, self.shared) {
                    Some(e) => return Some(e),
                    None => continue,
                }
            }
            let (false, Some(sub)) = (self.ended, self.sub.as_mut()) else {
                return None;
            };
            match sub.recv().await {
                Ok(e) => self.queue.push_back(e),
                // Fell behind or the job ended: what is missing is in the store.
                Err(
                    broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed,
                ) => {
                    match self.hub.store().events_after(&self.job, self.last).await {
                        Ok(events) if events.is_empty() => {
                            // Closed with nothing left to read: the stream is over.
                            self.ended = true;
                        }
                        Ok(events) => self.queue.extend(events),
                        Err(e) => {
                            tracing::error!(job.id = %self.job, error = %e, "cannot read job events");
                            self.ended = true;
                        }
                    }
                }
            }
        }
    }
}

/// An event as its audience may see it: a share link's stream carries the state, the phase and
/// the progress, never log lines or the name of the item being worked on.
fn for_audience(mut e: JobEvent, shared: bool) -> Option<JobEvent> {
    if !shared {
        return Some(e);
    }
    match &mut e.body {
        EventBody::Log { .. } => None,
        EventBody::Progress { progress } => {
            progress.current = None;
            Some(e)
        }
        EventBody::Status { .. } => Some(e),
    }
}

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
pub async fn stream(
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
    follow_job(&state, &id, query, &headers, false, permit).await
}

/// Live streams one user may hold open at once (tabs and phones together).
pub const STREAMS_PER_USER: usize = 20;
/// Live streams one share link may hold open at once: a team chat's worth of readers.
pub const STREAMS_PER_LINK: usize = 50;

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
    let hash = tidemark_core::auth::hash_token(&token);
    let link = state
        .tm
        .jobs
        .store()
        .live_share_link(&hash, chrono::Utc::now())
        .await?
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
    follow_job(&state, &link.target, query, &headers, true, permit).await
}

async fn follow_job(
    state: &AppState,
    id: &str,
    query: StreamQuery,
    headers: &HeaderMap,
    shared: bool,
    permit: StreamPermit,
) -> Result<Response, ApiError> {
    let job_id = parse_id(id)?;
    let hub = state.tm.jobs.hub().clone();
    // Subscribe before reading the store, so that nothing falls between the two. Should this
    // request end while it reads, dropping the subscription drops its channel too.
    let sub = hub.subscribe(&job_id);
    let job = hub.store().job(&job_id).await?;
    let Some(job) = job else {
        return Err(job_not_found(id));
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(query.after)
        .unwrap_or(0);
    let missed = hub.store().events_after(&job_id, last).await?;
    let ended = job.status.is_finished();
    let sub = if ended {
        // Its final event was stored before its record said so: all there is to send is in
        // `missed`, and the channel the subscription made can go.
        drop(sub);
        if missed.is_empty() {
            // The client already has the job's end: 204 tells an EventSource to stop reconnecting.
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        None
    } else {
        Some(sub)
    };
    let follow = Follow {
        job: job_id,
        hub,
        sub,
        queue: missed.into(),
        last,
        ended,
        shared,
        _permit: permit,
    };
    let events = futures_util::stream::unfold(follow, |mut f| async move {
        let e = f.next().await?;
        Some((Ok::<_, Infallible>(to_sse(&e)), f))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
