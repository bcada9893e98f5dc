//! Short-lived caching of reads, with one request in flight for identical reads: callers asking
//! for the same URL while it is being fetched wait for that answer instead of sending their own.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, serde_json::Value)>>>;

#[derive(Debug)]
pub(crate) struct ReadCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl ReadCache {
    pub(super) fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key.to_string()).or_default().clone()
    }

    /// The cached answer for `key` if younger than `ttl`, else the one `fetch` gives (kept when it
    /// succeeds). Errors are not kept.
    pub(super) async fn get<E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        fetch: F,
    ) -> Result<serde_json::Value, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<serde_json::Value, E>>,
    {
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        if let Some((at, value)) = held.as_ref()
            && at.elapsed() < ttl
        {
            return Ok(value.clone());
        }
        let value = fetch().await?;
        *held = Some((Instant::now(), value.clone()));
        Ok(value)
    }

    /// Forgets every answer whose key starts with `prefix`, after a change. A fetch in flight
    /// keeps its old slot, so its answer is not seen by later callers.
    pub(super) fn invalidate(&self, prefix: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|k, _| !k.starts_with(prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn identical_reads_share_one_fetch_and_its_answer() {
        let cache = Arc::new(ReadCache::new());
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get("k", Duration::from_secs(5), || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(serde_json::json!(42))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(serde_json::json!(42)));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn answers_expire_errors_are_not_kept_and_changes_invalidate() {
        let cache = ReadCache::new();
        let n = AtomicU32::new(0);
        let fetch = || async { Ok::<_, ()>(serde_json::json!(n.fetch_add(1, Ordering::SeqCst))) };
        assert_eq!(
            cache.get("a/1", Duration::from_secs(60), fetch).await,
            Ok(serde_json::json!(0))
        );
        assert_eq!(
            cache.get("a/1", Duration::from_secs(60), fetch).await,
            Ok(serde_json::json!(0))
        );
        assert_eq!(
            cache.get("a/1", Duration::ZERO, fetch).await,
            Ok(serde_json::json!(1))
        );
        assert_eq!(
            cache
                .get("b", Duration::from_secs(60), || async {
                    Err::<serde_json::Value, _>("down")
                })
                .await,
            Err("down")
        );
        assert_eq!(
            cache.get("b", Duration::from_secs(60), fetch).await,
            Ok(serde_json::json!(2))
        );
        cache.invalidate("a/");
        assert_eq!(
            cache.get("a/1", Duration::from_secs(60), fetch).await,
            Ok(serde_json::json!(3))
        );
        assert_eq!(
            cache.get("b", Duration::from_secs(60), fetch).await,
            Ok(serde_json::json!(2))
        );
    }
}
