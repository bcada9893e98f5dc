//! The REST API under /api/v1: thin handlers over `core`, one error shape, an OpenAPI document.

mod accounts;
mod backups;
mod databases;
mod drills;
mod events;
mod files;
mod firewall;
mod jobs;
mod metrics;
mod openapi;
mod pitr;
mod schedule;
mod shares;
mod verifications;

pub use crate::error::{ApiError, ErrorBody, ErrorDetail};
pub use events::shared_stream;
pub use metrics::{METRIC_NAMES, metrics};
pub use openapi::ApiDoc;

use axum::Router;
use axum::routing::{delete, get, patch, post};

use crate::state::AppState;

/// Every route of the API, mounted at /api/v1 by the caller.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(databases::health))
        .route("/databases", get(databases::list))
        .route("/databases/{db}", get(databases::get_one))
        .route(
            "/databases/{db}/backups",
            get(databases::backups).post(backups::create),
        )
        .route(
            "/databases/{db}/backups/{backup}",
            get(verifications::backup),
        )
        .route(
            "/databases/{db}/backups/{backup}/download",
            get(backups::download),
        )
        .route(
            "/databases/{db}/backups/{backup}/verifications",
            post(verifications::verify),
        )
        .route("/databases/{db}/verifications", get(verifications::list))
        .route(
            "/databases/{db}/pitr-drills",
            post(drills::start).get(drills::list),
        )
        .route(
            "/databases/{db}/repository-checks",
            get(drills::repository_checks),
        )
        .route(
            "/databases/{db}/backups/{backup}/uploads",
            post(backups::stage),
        )
        .route("/databases/{db}/pitr", get(databases::pitr))
        .route(
            "/databases/{db}/schedule",
            get(schedule::get).put(schedule::put),
        )
        .route(
            "/databases/{db}/firewall-rules",
            get(firewall::list).post(firewall::add),
        )
        .route(
            "/databases/{db}/firewall-rules/{rule}",
            delete(firewall::remove),
        )
        .route("/databases/{db}/reachability", get(firewall::reachable))
        .route("/databases/{db}/pitr-restores", post(pitr::create))
        .route("/databases/{db}/safety-copies", get(pitr::safety_copies))
        .route(
            "/databases/{db}/safety-copies/{copy}",
            delete(pitr::discard),
        )
        .route("/databases/{db}/dumps", post(jobs::start_dump_job))
        .route("/databases/{db}/restores", post(jobs::start_restore_job))
        .route("/databases/{db}/restores/preflight", post(jobs::preflight))
        .route("/databases/{db}/uploads", post(jobs::upload))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::get_one))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/jobs/{id}/events", get(events::stream))
        .route("/jobs/{id}/artifact", get(jobs::artifact))
        .route(
            "/jobs/{id}/share-links",
            get(shares::list).post(shares::create),
        )
        .route("/share-links/{id}", delete(shares::revoke))
        .route(
            "/databases/{db}/backups/{backup}/share-links",
            post(shares::create_for_backup).get(shares::list_for_backup),
        )
        .route("/account", get(accounts::me))
        .route("/account/password", post(accounts::change_password))
        .route("/users", get(accounts::users).post(accounts::create_user))
        .route("/users/{name}", patch(accounts::change_user))
        .route(
            "/tokens",
            get(accounts::tokens).post(accounts::create_token),
        )
        .route("/tokens/{id}", delete(accounts::revoke_token))
        .route("/audit", get(accounts::audit))
        .route("/openapi.json", get(openapi::document))
        .fallback(crate::error::route_not_found)
        .method_not_allowed_fallback(crate::error::method_not_allowed)
        .layer(axum::middleware::from_fn(crate::error::json_errors))
}
