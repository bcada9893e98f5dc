//! Following a job's events: what a watcher missed first (from the store), then live events,
//! re-read from the store when the watcher falls behind, until the job's last event. The engine
//! side of every event stream; the HTTP edge only encodes what this yields.

use std::collections::VecDeque;

use tokio::sync::broadcast;

use super::hub::{EventHub, Subscription};
use crate::records::JobId;
use crate::records::{EventBody, JobEvent};
use crate::store::StoreError;

/// Who watches: a signed-in user sees everything; a share link's holder sees the state, the
/// phase and the progress, never log lines or the name of the item worked on (they can name
/// hosts, roles and tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Team,
    ShareLink,
}

/// An event as its audience may see it; `None` when it is not for them.
pub fn for_audience(mut e: JobEvent, audience: Audience) -> Option<JobEvent> {
    if audience == Audience::Team {
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

/// What following a job from event `after` gives.
#[derive(Debug)]
pub enum Following {
    /// No such job.
    Unknown,
    /// The job has ended and the watcher already has its last event.
    AllSeen,
    /// Events to send, until the job's last.
    Events(Follow),
}

/// A watcher's place in a job's events.
pub struct Follow {
    job: JobId,
    hub: EventHub,
    /// Live events; none for a job that had ended, whose events are all in `queue`.
    sub: Option<Subscription>,
    queue: VecDeque<JobEvent>,
    last: u64,
    ended: bool,
    audience: Audience,
}

impl std::fmt::Debug for Follow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("job", &self.job)
            .field("last", &self.last)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// Starts following `job` after event `after`.
pub async fn follow(
    hub: &EventHub,
    job: &JobId,
    after: u64,
    audience: Audience,
) -> Result<Following, StoreError> {
    // Subscribe before reading the store, so that nothing falls between the two. Should the
    // caller go away while this reads, dropping the subscription drops its channel too.
    let sub = hub.subscribe(job);
    let Some(record) = hub.store().job(job).await? else {
        return Ok(Following::Unknown);
    };
    let missed = hub.store().events_after(job, after).await?;
    let ended = record.status.is_finished();
    let sub = if ended {
        // Its final event was stored before its record said so: all there is to send is in
        // `missed`, and the channel the subscription made can go.
        drop(sub);
        if missed.is_empty() {
            return Ok(Following::AllSeen);
        }
        None
    } else {
        Some(sub)
    };
    Ok(Following::Events(Follow {
        job: job.clone(),
        hub: hub.clone(),
        sub,
        queue: missed.into(),
        last: after,
        ended,
        audience,
    }))
}

impl Follow {
    /// The next event to send, or `None` when the job's last event has been sent.
    pub async fn next(&mut self) -> Option<JobEvent> {
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
                match for_audience(e, self.audience) {
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
                ) => match self.hub.store().events_after(&self.job, self.last).await {
                    Ok(events) if events.is_empty() => {
                        // Closed with nothing left to read: the stream is over.
                        self.ended = true;
                    }
                    Ok(events) => self.queue.extend(events),
                    Err(e) => {
                        tracing::error!(job.id = %self.job, error = %e, "cannot read job events");
                        self.ended = true;
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::ProgressView;

    #[test]
    fn a_share_link_sees_the_status_and_progress_only() {
        let at = chrono::Utc::now();
        let log = JobEvent {
            seq: 1,
            at,
            body: EventBody::Log {
                line: "pg_dump: connecting to db.internal as app".into(),
            },
        };
        assert!(for_audience(log.clone(), Audience::ShareLink).is_none());
        assert_eq!(for_audience(log.clone(), Audience::Team), Some(log));
        let progress = JobEvent {
            seq: 2,
            at,
            body: EventBody::Progress {
                progress: ProgressView {
                    phase: "dumping tables".into(),
                    done: 1,
                    total: Some(3),
                    unit: "tables".into(),
                    current: Some("public.customers".into()),
                    bytes: 0,
                    bytes_per_second: None,
                    eta_seconds: None,
                },
            },
        };
        let EventBody::Progress { progress } =
            for_audience(progress, Audience::ShareLink).unwrap().body
        else {
            panic!("a progress event stays one");
        };
        assert_eq!((progress.done, progress.current), (1, None));
    }
}
