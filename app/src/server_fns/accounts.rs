//! The account and admin pages: one's password and tokens; users and the audit log (admins).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{AccountInfo, AdminView};

/// Who is logged in, with their tokens.
#[server(prefix = "/_fn", endpoint = "account")]
pub async fn load_account() -> Result<AccountInfo, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let (tokens, must_change_password) = tidemark_core::ops::accounts::own(&tm, &who).await?;
    Ok(AccountInfo {
        name: who.principal.user.clone(),
        role: who.principal.role.as_str().into(),
        tokens: tokens.into_iter().map(Into::into).collect(),
        must_change_password,
    })
}

/// Changes the caller's password; `new` typed twice.
#[server(prefix = "/_fn", endpoint = "change_password")]
pub async fn change_password(current: String, new: String, again: String) -> Result<(), AppError> {
    let (tm, who) = super::context::signed_in()?;
    if new != again {
        return Err(AppError::invalid("again", "The two new passwords differ."));
    }
    tidemark_core::ops::accounts::change_password(&tm, &who, &current, &new).await?;
    Ok(())
}

/// Creates an API token for the caller; returns its secret, shown once.
#[server(prefix = "/_fn", endpoint = "create_token")]
pub async fn create_token(label: String, role: String) -> Result<String, AppError> {
    use tidemark_core::ops::accounts::{create_token, parse_role};
    let (tm, who) = super::context::signed_in()?;
    let role = parse_role("role", &role)?;
    let (_, _, secret) = create_token(&tm, &who, &label, Some(role)).await?;
    Ok(secret)
}

/// Revokes one of the caller's tokens (an admin: anyone's).
#[server(prefix = "/_fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    let (tm, who) = super::context::signed_in()?;
    tidemark_core::ops::accounts::revoke_token(&tm, &who, id).await?;
    Ok(())
}

/// Users and the newest audit entries (admins only).
#[server(prefix = "/_fn", endpoint = "admin")]
pub async fn load_admin() -> Result<AdminView, AppError> {
    use tidemark_core::ops::accounts::{audit_log, users};
    let (tm, who) = super::context::signed_in()?;
    let audit = audit_log(&tm, &who, 200).await?;
    let users = users(&tm, &who).await?;
    Ok(AdminView {
        users: users.into_iter().map(Into::into).collect(),
        audit: audit.into_iter().map(Into::into).collect(),
    })
}

/// Adds a user with a generated password, returned once (admins only).
#[server(prefix = "/_fn", endpoint = "add_user")]
pub async fn add_user(name: String, role: String) -> Result<String, AppError> {
    use tidemark_core::ops::accounts::{add_user, parse_role};
    let (tm, who) = super::context::signed_in()?;
    let role = parse_role("role", &role)?;
    let password = add_user(&tm, &who, &name, role, None).await?;
    password.ok_or_else(|| {
        AppError::new(
            crate::error::ErrorKind::Internal,
            "internal_error",
            "No password was generated.",
        )
    })
}
