//! Accounts: who am I, my password, users (admins), API tokens, and the audit log.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidemark_core::auth::{
    Action, Role, Via, check_new_password, generate_password, hash_password, hash_token, new_token,
    verify_password,
};
use tidemark_core::store::AuditEntry;

use super::error::{ApiError, ErrorBody};
use crate::auth::Actor;
use crate::state::AppState;

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message);
    e.field = Some(field.into());
    e
}

fn body<T>(b: Result<Json<T>, JsonRejection>, what: &str) -> Result<T, ApiError> {
    b.map(|Json(t)| t).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("The request body is not {what}: {}", e.body_text()),
        )
    })
}

fn parse_role(field: &str, s: &str) -> Result<Role, ApiError> {
    Role::parse(s).ok_or_else(|| {
        invalid(
            field,
            format!("'{s}' is not a role; use viewer, operator or admin"),
        )
    })
}

/// The caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
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
pub async fn me(actor: Actor) -> Json<AccountView> {
    Json(AccountView {
        name: actor.principal.user.clone(),
        role: actor.principal.role.as_str().into(),
        via: match actor.principal.via {
            Via::Session => "session",
            Via::Token(_) => "token",
            Via::Proxy => "proxy",
            Via::System => "system",
        }
        .into(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current: String,
    /// At least 12 characters.
    pub new: String,
}

/// Changes the caller's password.
#[utoipa::path(post, path = "/api/v1/account/password", tag = "accounts",
    request_body = PasswordBody,
    responses((status = 204, description = "Changed"),
              (status = 422, description = "Wrong current password, or a weak new one", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<PasswordBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = body(b, "a password change")?;
    let store = state.jobs.store();
    let user = store.user(&actor.principal.user).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "user_not_found",
            "Your account no longer exists.",
        )
    })?;
    if !verify_password(&b.current, &user.password_hash) {
        return Err(invalid("current", "The current password is not right."));
    }
    check_new_password(&b.new).map_err(|e| invalid("new", format!("{}.", e)))?;
    let hash = hash_password(&b.new).map_err(|e| invalid("new", e.to_string()))?;
    store.set_password(&user.name, &hash).await?;
    actor
        .audit(
            store,
            Action::ManageUsers,
            None,
            Some(&user.name),
            "password changed",
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// A user as admins see them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

/// Every user (admins only).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, description = "The users", body = Vec<UserView>),
              (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn users(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let store = state.jobs.store();
    actor.may(store, Action::ManageUsers, None).await?;
    Ok(Json(
        store
            .users()
            .await?
            .into_iter()
            .map(|u| UserView {
                name: u.name,
                role: u.role.as_str().into(),
                created_at: u.created_at,
                disabled: u.disabled,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Letters, digits, dots, dashes and underscores.
    pub name: String,
    /// viewer, operator or admin.
    pub role: String,
    /// Left out: one is generated and returned once.
    pub password: Option<String>,
}

/// A created user, with their password when it was generated (shown this once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
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
pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let store = state.jobs.store();
    actor.may(store, Action::ManageUsers, None).await?;
    let b = body(b, "a new user")?;
    let name = b.name.trim();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        return Err(invalid(
            "name",
            "A name is 1 to 64 letters, digits, dots, dashes or underscores.",
        ));
    }
    let role = parse_role("role", &b.role)?;
    let (password, shown) = match b.password {
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    check_new_password(&password).map_err(|e| invalid("password", format!("{e}.")))?;
    let hash = hash_password(&password).map_err(|e| invalid("password", e.to_string()))?;
    if !store.create_user(name, role, &hash, Utc::now()).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "user_exists",
            format!("There is already a user named '{name}'."),
        ));
    }
    actor
        .audit(
            store,
            Action::ManageUsers,
            None,
            Some(name),
            &format!("created as {role}"),
        )
        .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            name: name.into(),
            role: role.as_str().into(),
            password: shown,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
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
pub async fn change_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
    b: Result<Json<UserChange>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let store = state.jobs.store();
    actor.may(store, Action::ManageUsers, None).await?;
    let b = body(b, "a user change")?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "user_not_found",
            format!("There is no user named '{name}'."),
        )
    };
    store.user(&name).await?.ok_or_else(not_found)?;
    if name == actor.principal.user {
        return Err(invalid(
            "name",
            "Admins cannot change their own role or disable themselves; ask another admin.",
        ));
    }
    if let Some(r) = &b.role {
        let role = parse_role("role", r)?;
        store.set_role(&name, role).await?;
        actor
            .audit(
                store,
                Action::ManageUsers,
                None,
                Some(&name),
                &format!("role set to {role}"),
            )
            .await;
    }
    if b.disabled == Some(true) {
        store.disable_user(&name, Utc::now()).await?;
        actor
            .audit(store, Action::ManageUsers, None, Some(&name), "disabled")
            .await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// An API token, without its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub user: String,
    pub label: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TokensQuery {
    /// Admins: every user's tokens.
    pub all: Option<bool>,
}

/// The caller's API tokens (an admin's `?all=true`: everyone's).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", params(TokensQuery),
    responses((status = 200, description = "The tokens", body = Vec<TokenView>)))]
pub async fn tokens(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<TokensQuery>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let store = state.jobs.store();
    let all = q.all == Some(true);
    if all {
        actor.may(store, Action::ManageUsers, None).await?;
    }
    let owner = (!all).then_some(actor.principal.user.as_str());
    Ok(Json(
        store
            .tokens(owner)
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                user: t.user,
                label: t.label,
                role: t.role.as_str().into(),
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                revoked: t.revoked,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// What the token is for, e.g. "nightly export script".
    pub label: String,
    /// No higher than the caller's own; the caller's role when left out.
    pub role: Option<String>,
}

/// A new token: its secret is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
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
pub async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = body(b, "a new token")?;
    let label = b.label.trim();
    if label.is_empty() || label.len() > 100 {
        return Err(invalid(
            "label",
            "Give the token a label of 1 to 100 characters, saying what it is for.",
        ));
    }
    let role = match &b.role {
        Some(r) => parse_role("role", r)?,
        None => actor.principal.role,
    };
    if role > actor.principal.role {
        return Err(invalid(
            "role",
            format!(
                "A token cannot have more rights than its owner: you are {}.",
                actor.principal.role
            ),
        ));
    }
    let secret = new_token("tm_");
    let store = state.jobs.store();
    let id = store
        .create_token(
            &actor.principal.user,
            label,
            role,
            &hash_token(secret.expose()),
            Utc::now(),
        )
        .await?;
    actor
        .audit(
            store,
            Action::ManageUsers,
            None,
            Some(&format!("token {id}")),
            &format!("created as {role}"),
        )
        .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            label: label.into(),
            role: role.as_str().into(),
            token: secret.expose().clone(),
        }),
    )
        .into_response())
}

/// Revokes a token: the caller's own, or anyone's for an admin.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such live token of yours", body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let store = state.jobs.store();
    let owner = (actor.principal.role < Role::Admin).then_some(actor.principal.user.as_str());
    if store.revoke_token(id, owner, Utc::now()).await? {
        actor
            .audit(
                store,
                Action::ManageUsers,
                None,
                Some(&format!("token {id}")),
                "revoked",
            )
            .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "token_not_found",
            format!("There is no live token {id} of yours."),
        ))
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// How many entries, newest first (1 to 1000, default 200).
    pub limit: Option<u32>,
}

/// One audit entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub database: Option<String>,
    pub target: Option<String>,
    pub outcome: String,
    pub source: Option<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            at: e.at,
            actor: e.actor,
            action: e.action,
            database: e.database,
            target: e.target,
            outcome: e.outcome,
            source: e.source,
        }
    }
}

/// The audit log, newest first (admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "accounts", params(AuditQuery),
    responses((status = 200, description = "The entries", body = Vec<AuditView>),
              (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    let store = state.jobs.store();
    actor.may(store, Action::ReadAudit, None).await?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "limit must be from 1 to 1000.",
        );
        e.field = Some("limit".into());
        return Err(e);
    }
    Ok(Json(
        store
            .audit_log(limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}
