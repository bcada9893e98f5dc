//! The whole HTTP surface: pages (server-rendered, hydrated), server functions, the REST API, static files.

use axum::Router;
use axum::middleware;
use axum::routing::post;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tidemark_app::{App, shell};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::api;
use crate::auth;
use crate::state::AppState;

/// Files under /pkg/ carry a content hash in their names when the site was built so: browsers keep
/// them for a year. Without hashes they are checked again each time.
async fn cache_headers(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let pkg = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if pkg && response.status().is_success() {
        let value = if *HASHED {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static(value),
        );
    }
    response
}

static HASHED: std::sync::LazyLock<bool> = std::sync::LazyLock::new(crate::startup::hashed_site);

pub fn router(state: AppState) -> Router {
    // Pages and server functions get the same operations handle as the REST API.
    let context = state.tm.clone();
    let page_context = context.clone();
    let options = state.leptos_options.clone();
    let sessions = SessionManagerLayer::new(auth::StateSessions(state.tm.jobs.store().clone()))
        .with_name("tidemark_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.tm.config.https)
        .with_expiry(Expiry::OnInactivity(Duration::seconds(
            auth::IDLE_EXPIRY_SECONDS,
        )));
    Router::new()
        .nest("/api/v1", api::routes())
        .route("/login", post(auth::login_form))
        .route("/logout", post(auth::logout))
        .route("/s/{token}/events", axum::routing::get(api::shared_stream))
        .route(
            "/metrics",
            axum::routing::get(api::metrics).fallback(crate::error::method_not_allowed),
        )
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
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(sessions)
        .layer(middleware::from_fn(crate::body_limit::limit_small_bodies))
        .layer(middleware::from_fn(auth::security_headers))
        .layer(middleware::from_fn(cache_headers))
        // Pages, scripts, styles and the wasm bundle travel compressed; event streams (which must
        // flush each event) and archives (already compressed, and served by range) do not.
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("application/octet-stream"))
                    .and(NotForContentType::const_new("application/gzip")),
            ),
        )
        // Odd paths (dot segments, encoded separators) never reach routing's handlers or auth.
        .layer(middleware::from_fn(auth::refuse_odd_paths))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
