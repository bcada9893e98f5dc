//! The OpenAPI document, generated from the handlers' annotations and the shared types.

use axum::Json;
use utoipa::OpenApi;

use super::{
    accounts, backups, databases, drills, events, firewall, jobs, metrics, pitr, schedule, shares,
    verifications,
};
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidemark API",
        description = "Backups, point-in-time recovery, dumps and restores of PostgreSQL databases."
    ),
    paths(
        databases::health,
        databases::list,
        databases::get_one,
        databases::backups,
        databases::pitr,
        schedule::get,
        schedule::put,
        pitr::create,
        pitr::safety_copies,
        pitr::discard,
        firewall::list,
        firewall::add,
        firewall::remove,
        firewall::reachable,
        backups::create,
        backups::download,
        backups::stage,
        verifications::backup,
        verifications::verify,
        verifications::list,
        drills::start,
        drills::list,
        drills::repository_checks,
        jobs::start_dump_job,
        jobs::start_restore_job,
        jobs::upload,
        jobs::preflight,
        jobs::list,
        jobs::get_one,
        jobs::cancel,
        jobs::artifact,
        events::stream,
        metrics::metrics,
        shares::create,
        shares::create_for_backup,
        shares::list_for_backup,
        shares::list,
        shares::revoke,
        accounts::me,
        accounts::change_password,
        accounts::users,
        accounts::create_user,
        accounts::change_user,
        accounts::tokens,
        accounts::create_token,
        accounts::revoke_token,
        accounts::audit
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
#[derive(Debug)]
pub struct ApiDoc;

pub(super) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
