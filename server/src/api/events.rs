//! A job's events as server-sent events: what was missed first (from the store), then live events,
//! each with its number as id, until the job ends.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tidemark_core::jobs::{EventHub, JobEvent, JobId};
use tokio::sync::broadcast;

use super::error::{ApiError, ErrorBody};
use super::jobs::{job_not_found, parse_id};
use crate::state::AppState;

struct Follow {
    job: JobId,
    hub: EventHub,
    /// Live events; none for a job that had ended, whose events are all in `queue`.
    rx: Option<broadcast::Receiver<JobEvent>>,
    queue: VecDeque<JobEvent>,
    last: u64,
    ended: bool,
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
                }
                return Some(e);
            }
            let (false, Some(rx)) = (self.ended, self.rx.as_mut()) else {
                return None;
            };
            match rx.recv().await {
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
              (status = 404, description = "No such job", body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    follow_job(&state, &id, query, &headers).await
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
    follow_job(&state, &link.target, query, &headers).await
}

async fn follow_job(
    state: &AppState,
    id: &str,
    query: StreamQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let job_id = parse_id(id)?;
    let hub = state.jobs.hub().clone();
    // Subscribe before reading the store, so that nothing falls between the two.
    let rx = hub.subscribe(&job_id);
    let job = hub.store().job(&job_id).await?;
    let Some(job) = job else {
        drop(rx);
        hub.forget_if_idle(&job_id);
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
    let rx = if ended {
        // Its final event was stored before its record said so: all there is to send is in
        // `missed`, and the channel the subscription made can go.
        drop(rx);
        hub.forget_if_idle(&job_id);
        if missed.is_empty() {
            // The client already has the job's end: 204 tells an EventSource to stop reconnecting.
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        None
    } else {
        Some(rx)
    };
    let follow = Follow {
        job: job_id,
        hub,
        rx,
        queue: missed.into(),
        last,
        ended,
    };
    let events = futures_util::stream::unfold(follow, |mut f| async move {
        let e = f.next().await?;
        Some((Ok::<_, Infallible>(to_sse(&e)), f))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
