//! Server functions of the account and admin pages: password, API tokens, users, audit log.

use leptos::prelude::*;

use crate::model::{AccountInfo, AdminView};

#[cfg(feature = "ssr")]
fn internal(e: tidemark_core::store::StoreError) -> ServerFnError {
    tracing::error!(error = %e, "an account query failed");
    ServerFnError::new("Tidemark could not do this; the server log says why.")
}

#[cfg(feature = "ssr")]
fn token_row(t: tidemark_core::store::ApiToken) -> crate::model::TokenRow {
    crate::model::TokenRow {
        id: t.id,
        user: t.user,
        label: t.label,
        role: t.role.as_str().into(),
        created_at: t.created_at,
        last_used_at: t.last_used_at,
        revoked: t.revoked,
    }
}

/// Who is logged in, with their tokens.
#[server(prefix = "/_fn", endpoint = "account")]
pub async fn load_account() -> Result<AccountInfo, ServerFnError> {
    use crate::server_fns::ssr;
    let cx = ssr::context()?;
    let (p, _) = ssr::actor()?;
    let tokens = cx
        .jobs
        .store()
        .tokens(Some(&p.user))
        .await
        .map_err(internal)?;
    Ok(AccountInfo {
        name: p.user,
        role: p.role.as_str().into(),
        tokens: tokens.into_iter().map(token_row).collect(),
    })
}

/// Changes the caller's password; `new` typed twice.
#[server(prefix = "/_fn", endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new: String,
    again: String,
) -> Result<(), ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::{Action, check_new_password, hash_password, verify_password};
    let cx = ssr::context()?;
    let who = ssr::actor()?;
    if new != again {
        return Err(ServerFnError::new("The two new passwords differ."));
    }
    let store = cx.jobs.store();
    let user = store
        .user(&who.0.user)
        .await
        .map_err(internal)?
        .ok_or_else(|| ServerFnError::new("Your account no longer exists."))?;
    if !verify_password(&current, &user.password_hash) {
        return Err(ServerFnError::new("The current password is not right."));
    }
    check_new_password(&new).map_err(|e| ServerFnError::new(format!("{e}.")))?;
    let hash = hash_password(&new).map_err(|e| ServerFnError::new(e.to_string()))?;
    store
        .set_password(&user.name, &hash)
        .await
        .map_err(internal)?;
    store
        .record(
            &user.name,
            Action::ManageUsers,
            None,
            Some(&user.name),
            "password changed",
            who.1.as_deref(),
        )
        .await;
    Ok(())
}

/// Creates an API token for the caller; returns its secret, shown once.
#[server(prefix = "/_fn", endpoint = "create_token")]
pub async fn create_token(label: String, role: String) -> Result<String, ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::{Action, Role, hash_token, new_token};
    let cx = ssr::context()?;
    let who = ssr::actor()?;
    let label = label.trim();
    if label.is_empty() || label.len() > 100 {
        return Err(ServerFnError::new(
            "Give the token a label of 1 to 100 characters, saying what it is for.",
        ));
    }
    let role =
        Role::parse(&role).ok_or_else(|| ServerFnError::new(format!("'{role}' is not a role.")))?;
    if role > who.0.role {
        return Err(ServerFnError::new(format!(
            "A token cannot have more rights than its owner: you are {}.",
            who.0.role
        )));
    }
    let secret = new_token("tm_");
    let store = cx.jobs.store();
    let id = store
        .create_token(
            &who.0.user,
            label,
            role,
            &hash_token(secret.expose()),
            chrono::Utc::now(),
        )
        .await
        .map_err(internal)?;
    store
        .record(
            &who.0.user,
            Action::ManageUsers,
            None,
            Some(&format!("token {id}")),
            &format!("created as {role}"),
            who.1.as_deref(),
        )
        .await;
    Ok(secret.expose().clone())
}

/// Revokes one of the caller's tokens (an admin: anyone's).
#[server(prefix = "/_fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::{Action, Role};
    let cx = ssr::context()?;
    let who = ssr::actor()?;
    let owner = (who.0.role < Role::Admin).then_some(who.0.user.as_str());
    let store = cx.jobs.store();
    if !store
        .revoke_token(id, owner, chrono::Utc::now())
        .await
        .map_err(internal)?
    {
        return Err(ServerFnError::new(format!(
            "There is no live token {id} of yours."
        )));
    }
    store
        .record(
            &who.0.user,
            Action::ManageUsers,
            None,
            Some(&format!("token {id}")),
            "revoked",
            who.1.as_deref(),
        )
        .await;
    Ok(())
}

/// Users and the newest audit entries (admins only).
#[server(prefix = "/_fn", endpoint = "admin")]
pub async fn load_admin() -> Result<AdminView, ServerFnError> {
    use crate::model::{AuditRow, UserRow};
    use crate::server_fns::ssr;
    use tidemark_core::auth::Action;
    let cx = ssr::context()?;
    ssr::allow(&cx, Action::ReadAudit, "").await?;
    let store = cx.jobs.store();
    let users = store.users().await.map_err(internal)?;
    let audit = store.audit_log(200).await.map_err(internal)?;
    Ok(AdminView {
        users: users
            .into_iter()
            .map(|u| UserRow {
                name: u.name,
                role: u.role.as_str().into(),
                created_at: u.created_at,
                disabled: u.disabled,
            })
            .collect(),
        audit: audit
            .into_iter()
            .map(|e| AuditRow {
                at: e.at,
                actor: e.actor,
                action: e.action,
                database: e.database,
                target: e.target,
                outcome: e.outcome,
                source: e.source,
            })
            .collect(),
    })
}

/// Adds a user with a generated password, returned once (admins only).
#[server(prefix = "/_fn", endpoint = "add_user")]
pub async fn add_user(name: String, role: String) -> Result<String, ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::{Action, Role, generate_password, hash_password};
    let cx = ssr::context()?;
    let who = ssr::allow(&cx, Action::ManageUsers, "").await?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        return Err(ServerFnError::new(
            "A name is 1 to 64 letters, digits, dots, dashes or underscores.",
        ));
    }
    let role =
        Role::parse(&role).ok_or_else(|| ServerFnError::new(format!("'{role}' is not a role.")))?;
    let password = generate_password();
    let hash = hash_password(&password).map_err(|e| ServerFnError::new(e.to_string()))?;
    let store = cx.jobs.store();
    if !store
        .create_user(name, role, &hash, chrono::Utc::now())
        .await
        .map_err(internal)?
    {
        return Err(ServerFnError::new(format!(
            "There is already a user named '{name}'."
        )));
    }
    store
        .record(
            &who.0.user,
            Action::ManageUsers,
            None,
            Some(name),
            &format!("created as {role}"),
            who.1.as_deref(),
        )
        .await;
    Ok(password)
}
