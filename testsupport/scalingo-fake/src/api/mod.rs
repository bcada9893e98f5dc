//! The fake's routes: auth, regional main API and database API, with the control API under
//! /_fake; one file per API, and their shared answers and checks here.
#![expect(
    clippy::result_large_err,
    reason = "handlers answer with a Response on both paths; its size does not matter in a test server"
)]

use std::sync::Arc;

use axum::Router;
use axum::middleware::{self};
use axum::routing::{delete, get, post};

use crate::Inner;

mod apps;
mod auth;
mod backups;
mod common;
mod control;
mod database;
mod firewall;
mod pitr;

pub(crate) use common::expire_tokens;
use common::guard;

use apps::*;
use auth::*;
use backups::*;
use control::*;
use database::*;
use firewall::*;
use pitr::*;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    let guarded = Router::new()
        .route("/v1/tokens/exchange", post(exchange))
        .route("/v1/regions", get(regions))
        .route("/v1/users/self", get(user_self))
        .route("/{region}/v1/apps", get(apps))
        .route("/{region}/v1/apps/{app}/addons", get(addons))
        .route("/{region}/v1/apps/{app}/addons/{addon}", get(addon))
        .route(
            "/{region}/v1/apps/{app}/addons/{addon}/token",
            post(addon_token),
        )
        .route("/{region}/v1/apps/{app}/variables", get(variables))
        .route("/{region}/v1/databases", get(dr_list))
        .route("/{region}/v1/databases/{id}", get(dr_one))
        .route(
            "/{region}/dbapi/api/databases/{db}",
            get(database).patch(update_database).put(update_database),
        )
        .route("/{region}/dbapi/api/databases/{db}/plan", get(plan))
        .route(
            "/{region}/dbapi/api/databases/{db}/backups",
            get(backups).post(create_backup),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/backups/{id}",
            get(backup_nested),
        )
        .route("/{region}/dbapi/api/backups/{id}", get(backup_top))
        .route(
            "/{region}/dbapi/api/databases/{db}/backups/{id}/archive",
            get(archive),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/pitr/recovery_window",
            get(window),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/pitr/restore",
            post(pitr_restore),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/operations/{op}",
            get(operation_nested),
        )
        .route("/{region}/dbapi/api/operations/{op}", get(operation_top))
        .route(
            "/{region}/dbapi/api/databases/{db}/firewall_rules",
            get(rules).post(add_rule),
        )
        .route(
            "/{region}/dbapi/api/databases/{db}/firewall_rules/{id}",
            delete(remove_rule),
        )
        .route(
            "/{region}/dbapi/api/firewall/managed_ranges",
            get(managed_ranges),
        )
        .layer(middleware::from_fn_with_state(inner.clone(), guard));
    Router::new()
        .merge(guarded)
        .route(
            "/{region}/dbapi/api/databases/{db}/backups/{id}/download",
            get(download),
        )
        .route("/_fake/faults", post(control_fault))
        .route(
            "/_fake/requests",
            get(control_requests).delete(control_clear),
        )
        .route("/_fake/expire-tokens", post(control_expire))
        .with_state(inner)
}

// --- Auth API ---
