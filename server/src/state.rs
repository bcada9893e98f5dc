//! What every request handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tidemark_core::jobs::{EventHub, JobRunner};
use tidemark_core::store::Store;
use tidemark_core::{Catalog, Config};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub jobs: Arc<JobRunner>,
    pub login_throttle: Arc<crate::auth::LoginThrottle>,
}

impl AppState {
    /// The shared state for a configuration, its providers and its state database.
    pub fn new(config: Config, catalog: Catalog, store: Store, max_concurrent_jobs: usize) -> Self {
        Self {
            leptos_options: crate::startup::leptos_options(&config),
            config: Arc::new(config),
            catalog,
            jobs: Arc::new(JobRunner::new(EventHub::new(store), max_concurrent_jobs)),
            login_throttle: Arc::default(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
