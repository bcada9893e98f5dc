//! Accounts: who am I, my password, users (admins), API tokens, and the audit log. Thin handlers
//! over `core::ops::accounts`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tidemark_app::model::{AuditRow, TokenRow, UserRow};
use tidemark_core::ops::accounts::{self, parse_role};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody, json_body};
use crate::state::AppState;

/// The caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct AccountView {
    pub name: String,
    /// viewer, operator or admin.
    pub role: String,
    /// session, token or proxy.
    pub via: String,
}

/// Who is calling, with which role.
#[utoipa::path(get, path = "/api/v1/account", tag = "accounts",
    responses((status = 200, description = "The caller", body = AccountView),
              (status = 401, description = "Not logged in", body = ErrorBody)))]
pub(super) async fn me(actor: Actor) -> Json<AccountView> {
    Json(AccountView {
        name: actor.principal.user.clone(),
        role: actor.principal.role.as_str().into(),
        via: accounts::via(&actor.caller()).into(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordBody {
    pub current: String,
    /// At least 12 characters.
    pub new: String,
}

/// Changes the caller's password.
#[utoipa::path(post, path = "/api/v1/account/password", tag = "accounts",
    request_body = PasswordBody,
    responses((status = 204, description = "Changed"),
              (status = 422, description = "Wrong current password, or a weak new one", body = ErrorBody)))]
pub(super) async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<PasswordBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = json_body(b, "a password change")?;
    accounts::change_password(&state.tm, &actor.caller(), &b.current, &b.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every user (admins only).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, description = "The users", body = Vec<UserRow>),
              (status = 403, description = "Not an admin", body = ErrorBody)))]
pub(super) async fn users(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<UserRow>>, ApiError> {
    let users = accounts::users(&state.tm, &actor.caller()).await?;
    Ok(Json(users.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUserBody {
    /// Letters, digits, dots, dashes and underscores.
    pub name: String,
    /// viewer, operator or admin.
    pub role: String,
    /// Left out: one is generated and returned once.
    pub password: Option<String>,
}

/// A created user, with their password when it was generated (shown this once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CreatedUser {
    pub name: String,
    pub role: String,
    pub password: Option<String>,
}

/// Adds a user (admins only).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts",
    request_body = NewUserBody,
    responses((status = 201, description = "Created", body = CreatedUser),
              (status = 409, description = "The name is taken", body = ErrorBody),
              (status = 422, description = "Invalid name, role or password", body = ErrorBody)))]
pub(super) async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = json_body(b, "a new user")?;
    let role = parse_role("role", &b.role)?;
    let password =
        accounts::add_user(&state.tm, &actor.caller(), &b.name, role, b.password).await?;
    let created = CreatedUser {
        name: b.name.trim().into(),
        role: role.as_str().into(),
        password,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserChange {
    pub role: Option<String>,
    /// true disables the account: its sessions and tokens stop working.
    pub disabled: Option<bool>,
}

/// Changes a user's role or disables them (admins only).
#[utoipa::path(patch, path = "/api/v1/users/{name}", tag = "accounts",
    params(("name" = String, Path, description = "The user's name")),
    request_body = UserChange,
    responses((status = 204, description = "Changed"),
              (status = 404, description = "No such user", body = ErrorBody),
              (status = 422, description = "Invalid change", body = ErrorBody)))]
pub(super) async fn change_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
    b: Result<Json<UserChange>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = json_body(b, "a user change")?;
    let role = b
        .role
        .as_deref()
        .map(|r| parse_role("role", r))
        .transpose()?;
    let disable = b.disabled == Some(true);
    accounts::change_user(&state.tm, &actor.caller(), &name, role, disable).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct TokensQuery {
    /// Admins: every user's tokens.
    pub all: Option<bool>,
}

/// The caller's API tokens (an admin's `?all=true`: everyone's).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", params(TokensQuery),
    responses((status = 200, description = "The tokens", body = Vec<TokenRow>)))]
pub(super) async fn tokens(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<TokensQuery>,
) -> Result<Json<Vec<TokenRow>>, ApiError> {
    let tokens = accounts::tokens(&state.tm, &actor.caller(), q.all == Some(true)).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTokenBody {
    /// What the token is for, e.g. "nightly export script".
    pub label: String,
    /// No higher than the caller's own; the caller's role when left out.
    pub role: Option<String>,
}

/// A new token: its secret is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CreatedToken {
    pub id: i64,
    pub label: String,
    pub role: String,
    /// Send it as `Authorization: Bearer <token>`. It cannot be shown again.
    pub token: String,
}

/// Creates an API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts",
    request_body = NewTokenBody,
    responses((status = 201, description = "Created; the secret is shown once", body = CreatedToken),
              (status = 422, description = "A role above the caller's, or no label", body = ErrorBody)))]
pub(super) async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = json_body(b, "a new token")?;
    let role = b
        .role
        .as_deref()
        .map(|r| parse_role("role", r))
        .transpose()?;
    let (id, role, token) =
        accounts::create_token(&state.tm, &actor.caller(), &b.label, role).await?;
    let created = CreatedToken {
        id,
        label: b.label.trim().into(),
        role: role.as_str().into(),
        token,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Revokes a token: the caller's own, or anyone's for an admin.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such live token of yours", body = ErrorBody)))]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    accounts::revoke_token(&state.tm, &actor.caller(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct AuditQuery {
    /// How many entries, newest first (1 to 1000, default 200).
    pub limit: Option<u32>,
}

/// The audit log, newest first (admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "accounts", params(AuditQuery),
    responses((status = 200, description = "The entries", body = Vec<AuditRow>),
              (status = 403, description = "Not an admin", body = ErrorBody),
              (status = 422, description = "The limit is out of range", body = ErrorBody)))]
pub(super) async fn audit(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let entries = accounts::audit_log(&state.tm, &actor.caller(), q.limit.unwrap_or(200)).await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}
