//! The progress handle a worker writes to. It knows nothing of HTTP: it records events in the hub.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::hub::EventHub;
use crate::records::JobId;
use crate::records::{EventBody, ProgressView};
use crate::store::StoreError;

/// Progress events closer together than this are merged (the last one always goes out).
const MIN_INTERVAL: Duration = Duration::from_millis(200);
/// At most this many log lines are kept per job; a note says when more were left out.
const MAX_LOG_LINES: u32 = 400;

#[derive(Debug)]
struct State {
    view: ProgressView,
    phase_started: Instant,
    last_sent: Option<Instant>,
    log_lines: u32,
}

/// Cloneable; every clone writes to the same job.
#[derive(Debug, Clone)]
pub struct Progress {
    job: JobId,
    hub: EventHub,
    state: Arc<Mutex<State>>,
}

impl Progress {
    pub fn new(job: JobId, hub: EventHub) -> Self {
        Self {
            job,
            hub,
            state: Arc::new(Mutex::new(State {
                view: ProgressView {
                    phase: "queued".into(),
                    done: 0,
                    total: None,
                    unit: String::new(),
                    current: None,
                    bytes: 0,
                    bytes_per_second: None,
                    eta_seconds: None,
                },
                phase_started: Instant::now(),
                last_sent: None,
                log_lines: 0,
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snapshot(&self) -> ProgressView {
        self.state().view.clone()
    }

    /// Starts a phase: what is being done, what is counted, and how many there are.
    pub async fn phase(
        &self,
        phase: &str,
        unit: &str,
        total: Option<u64>,
    ) -> Result<(), StoreError> {
        let view = {
            let mut s = self.state();
            s.view.phase = phase.to_string();
            s.view.unit = unit.to_string();
            s.view.total = total;
            s.view.done = 0;
            s.view.current = None;
            s.view.eta_seconds = None;
            s.phase_started = Instant::now();
            s.last_sent = Some(Instant::now());
            s.view.clone()
        };
        self.send(view).await
    }

    /// Moves forward: `done` never goes back, and never past the total.
    pub async fn advance(&self, done: u64, current: Option<String>) -> Result<(), StoreError> {
        let view = {
            let mut s = self.state();
            let capped = s.view.total.map_or(done, |t| done.min(t));
            s.view.done = s.view.done.max(capped);
            if current.is_some() {
                s.view.current = current;
            }
            Self::estimate(&mut s);
            let finished = s.view.total == Some(s.view.done);
            if !finished && s.last_sent.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
                return Ok(());
            }
            s.last_sent = Some(Instant::now());
            s.view.clone()
        };
        self.send(view).await
    }

    /// Records bytes written or read so far (sent with the next progress event, or now if due).
    pub async fn bytes(&self, bytes: u64) -> Result<(), StoreError> {
        let view = {
            let mut s = self.state();
            s.view.bytes = s.view.bytes.max(bytes);
            Self::estimate(&mut s);
            if s.last_sent.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
                return Ok(());
            }
            s.last_sent = Some(Instant::now());
            s.view.clone()
        };
        self.send(view).await
    }

    /// A line of the tool's output, already free of secrets.
    pub async fn log(&self, line: &str) -> Result<(), StoreError> {
        let note = {
            let mut s = self.state();
            s.log_lines += 1;
            match s.log_lines.cmp(&(MAX_LOG_LINES + 1)) {
                std::cmp::Ordering::Less => None,
                std::cmp::Ordering::Equal => Some("(further output left out)".to_string()),
                std::cmp::Ordering::Greater => return Ok(()),
            }
        };
        let line = note.unwrap_or_else(|| line.chars().take(2000).collect());
        self.hub.publish(&self.job, EventBody::Log { line }).await?;
        Ok(())
    }

    fn estimate(s: &mut State) {
        let elapsed = s.phase_started.elapsed().as_secs_f64();
        if elapsed > 0.0 && s.view.bytes > 0 {
            s.view.bytes_per_second = Some(s.view.bytes as f64 / elapsed);
        }
        s.view.eta_seconds = match s.view.total {
            Some(total) if s.view.done > 0 && total >= s.view.done => {
                let left = (total - s.view.done) as f64;
                Some((elapsed * left / s.view.done as f64).round() as u64)
            }
            _ => None,
        };
    }

    async fn send(&self, view: ProgressView) -> Result<(), StoreError> {
        self.hub
            .publish(&self.job, EventBody::Progress { progress: view })
            .await?;
        Ok(())
    }
}
