//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tidemark_core::clock::Clock;
use tidemark_core::ops::Tidemark;

#[derive(Debug, Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Everything the operations work with; the pages get the same handle.
    pub tm: Arc<Tidemark>,
    pub login_throttle: Arc<crate::auth::LoginThrottle>,
    /// Live event streams open now, per user and per share link.
    pub streams: Arc<StreamLimits>,
}

/// Counts what is open per key, up to a limit.
#[derive(Debug, Default)]
pub struct StreamLimits {
    open: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

/// One open stream; dropping it frees its place.
#[derive(Debug)]
pub struct StreamPermit {
    limits: Arc<StreamLimits>,
    key: String,
}

impl StreamLimits {
    fn open(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for one more stream under `key`, or `None` when `max` are open already.
    pub fn acquire(self: &Arc<Self>, key: &str, max: usize) -> Option<StreamPermit> {
        let mut open = self.open();
        let n = open.entry(key.to_string()).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamPermit {
            limits: self.clone(),
            key: key.to_string(),
        })
    }

    /// How many streams are open under `key`.
    pub fn count(&self, key: &str) -> usize {
        self.open().get(key).copied().unwrap_or(0)
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.limits.open();
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

impl AppState {
    /// The shared state around the site's options, built first from the configuration, and the
    /// operations handle.
    pub fn new(leptos_options: LeptosOptions, tm: Tidemark) -> Self {
        Self {
            leptos_options,
            tm: Arc::new(tm),
            login_throttle: Arc::default(),
            streams: Arc::default(),
        }
    }

    /// The same state with another clock, for tests of time-based rules.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        let tm = (*self.tm).clone().with_clock(clock);
        Self {
            tm: Arc::new(tm),
            ..self
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
