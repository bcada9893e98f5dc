//! What every request handler shares.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tidemark_core::Catalog;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub catalog: Catalog,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
