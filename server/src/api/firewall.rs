//! Firewall rules of Dedicated Resources databases, and whether this server reaches a database.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tidemark_app::model::{Firewall, FirewallRule, Reachability};
use tidemark_core::ops;
use tidemark_core::ops::firewall::RuleRequest;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody, json_body};
use crate::state::AppState;

/// A rule to add: a CIDR range with a label, or a managed range's id.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleBody {
    /// e.g. `203.0.113.0/24`.
    pub cidr: Option<String>,
    /// Whose addresses these are, e.g. `Office`.
    pub label: Option<String>,
    /// A range the provider manages, e.g. `mr-scalingo-osc-fr1`.
    pub range_id: Option<String>,
}

/// The rules and the managed ranges a rule can name.
#[utoipa::path(get, path = "/api/v1/databases/{db}/firewall-rules", tag = "firewall",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "The rules", body = Firewall),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 422, description = "This database has no firewall here", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Firewall>, ApiError> {
    Ok(Json(
        ops::firewall::list(&state.tm, &actor.caller(), &db).await?,
    ))
}

/// Adds a rule. It takes a couple of minutes to apply on Scalingo's side.
#[utoipa::path(post, path = "/api/v1/databases/{db}/firewall-rules", tag = "firewall",
    params(("db" = String, Path, description = "The database's id")),
    request_body = RuleBody,
    responses((status = 201, description = "The new rule", body = FirewallRule),
              (status = 404, description = "No such database", body = ErrorBody),
              (status = 409, description = "Too many rules already", body = ErrorBody),
              (status = 422, description = "An invalid CIDR, label or range", body = ErrorBody)))]
pub(super) async fn add(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
    body: Result<Json<RuleBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body, "a firewall rule")?;
    let request = RuleRequest {
        cidr: body.cidr,
        label: body.label,
        range_id: body.range_id,
    };
    let rule = ops::firewall::add(&state.tm, &actor.caller(), &db, request).await?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

/// Removes a rule.
#[utoipa::path(delete, path = "/api/v1/databases/{db}/firewall-rules/{rule}", tag = "firewall",
    params(("db" = String, Path, description = "The database's id"),
           ("rule" = String, Path, description = "The rule's id")),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "No such database or rule", body = ErrorBody)))]
pub(super) async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path((db, rule)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ops::firewall::remove(&state.tm, &actor.caller(), &db, &rule).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether this server can open a connection to the database now.
#[utoipa::path(get, path = "/api/v1/databases/{db}/reachability", tag = "firewall",
    params(("db" = String, Path, description = "The database's id")),
    responses((status = 200, description = "Whether it is reachable, and what to do if not", body = Reachability),
              (status = 404, description = "No such database", body = ErrorBody)))]
pub(super) async fn reachable(
    State(state): State<AppState>,
    actor: Actor,
    Path(db): Path<String>,
) -> Result<Json<Reachability>, ApiError> {
    let check = ops::firewall::reachable(&state.tm, &actor.caller(), &db).await?;
    Ok(Json(Reachability {
        reachable: check.ok,
        message: check.message,
    }))
}
