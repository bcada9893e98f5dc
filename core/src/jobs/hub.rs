//! Records job events in the store and fans them out to whoever is watching, live.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::broadcast;

use super::events::{EventBody, JobEvent};
use super::model::JobId;
use crate::store::{Store, StoreError};

/// How many events a slow watcher may fall behind before it re-reads them from the store.
const CHANNEL_CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct EventHub {
    store: Store,
    channels: Arc<Mutex<HashMap<JobId, broadcast::Sender<JobEvent>>>>,
}

impl EventHub {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            channels: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn channels(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, broadcast::Sender<JobEvent>>> {
        // A panic while holding this lock leaves the map usable: take it back.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores the event (which numbers it), then sends it to live watchers.
    pub async fn publish(&self, job: &JobId, body: EventBody) -> Result<JobEvent, StoreError> {
        let event = self.store.append_event(job, Utc::now(), &body).await?;
        let mut channels = self.channels();
        if let Some(tx) = channels.get(job) {
            let _ = tx.send(event.clone());
        }
        if event.is_final() {
            // Dropping the sender closes every receiver once it has read this last event.
            channels.remove(job);
        }
        Ok(event)
    }

    /// Live events of a job from now on. Subscribe before reading the stored events, then skip
    /// what was already read, and nothing is missed.
    pub fn subscribe(&self, job: &JobId) -> broadcast::Receiver<JobEvent> {
        self.channels()
            .entry(job.clone())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Drops the channel of a job that has already finished, once nobody listens.
    pub fn forget_if_idle(&self, job: &JobId) {
        let mut channels = self.channels();
        if channels.get(job).is_some_and(|tx| tx.receiver_count() == 0) {
            channels.remove(job);
        }
    }
}
