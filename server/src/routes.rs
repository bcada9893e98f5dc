//! The whole HTTP surface: pages (server-rendered, hydrated), server functions, the REST API, static files.

use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tidemark_app::server_fns::ssr::ServerContext;
use tidemark_app::{App, shell};
use tower_http::trace::TraceLayer;

use crate::api;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let context = ServerContext {
        catalog: state.catalog.clone(),
        jobs: state.jobs.clone(),
        config: state.config.clone(),
    };
    let page_context = context.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .nest("/api/v1", api::routes())
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            move || provide_context(page_context.clone()),
            move || shell(options.clone()),
        )
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(context.clone()),
            shell,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
