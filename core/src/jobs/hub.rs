//! Records job events in the store and fans them out to whoever is watching, live.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::broadcast;

use crate::records::JobId;
use crate::records::{EventBody, JobEvent};
use crate::store::{Store, StoreError};

/// How many events a slow watcher may fall behind before it re-reads them from the store.
const CHANNEL_CAPACITY: usize = 1024;

/// One watcher's live events of one job; dropping it drops the job's channel once idle.
#[derive(Debug)]
pub struct Subscription {
    hub: EventHub,
    job: JobId,
    rx: Option<broadcast::Receiver<JobEvent>>,
}

impl Subscription {
    /// The next live event; `Lagged` when events were skipped, `Closed` once the job has ended.
    pub async fn recv(&mut self) -> Result<JobEvent, broadcast::error::RecvError> {
        match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The receiver goes first, so the channel counts one listener fewer when checked.
        drop(self.rx.take());
        self.hub.forget_if_idle(&self.job);
    }
}

#[derive(Clone, Debug)]
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
    /// what was already read, and nothing is missed. However the subscription ends (read to the
    /// end, dropped, or abandoned with its request half-way), an idle channel goes with it.
    pub fn subscribe(&self, job: &JobId) -> Subscription {
        let rx = self
            .channels()
            .entry(job.clone())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            job: job.clone(),
            rx: Some(rx),
        }
    }

    /// How many jobs have a live channel, for tests and metrics.
    pub fn channel_count(&self) -> usize {
        self.channels().len()
    }

    /// Drops a job's channel once nobody listens; the next subscriber makes a new one.
    fn forget_if_idle(&self, job: &JobId) {
        let mut channels = self.channels();
        if channels.get(job).is_some_and(|tx| tx.receiver_count() == 0) {
            channels.remove(job);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_abandoned_subscription_leaves_no_channel_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        let hub = EventHub::new(store);
        let job = JobId("20261203000000-abcdefghij".into());
        let a = hub.subscribe(&job);
        let b = hub.subscribe(&job);
        assert_eq!(hub.channel_count(), 1);
        drop(a);
        assert_eq!(hub.channel_count(), 1, "still watched by the other");
        // A request dropped while it awaits something else, as a browser that leaves does.
        let pending = async move {
            let _sub = b;
            std::future::pending::<()>().await;
        };
        let _ = tokio::time::timeout(std::time::Duration::from_millis(10), pending).await;
        assert_eq!(hub.channel_count(), 0);
    }
}
