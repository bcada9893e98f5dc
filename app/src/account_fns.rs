//! Server functions of the account and admin pages; thin edges over `core::auth::accounts`.

use leptos::prelude::*;

use crate::model::{AccountInfo, AdminView};

#[cfg(feature = "ssr")]
fn internal(e: tidemark_core::store::StoreError) -> ServerFnError {
    tracing::error!(error = %e, "an account query failed");
    ServerFnError::new("Tidemark could not do this; the server log says why.")
}

/// The sentence for a refused account change.
#[cfg(feature = "ssr")]
fn refused(e: tidemark_core::auth::accounts::AccountError) -> ServerFnError {
    use tidemark_core::auth::accounts::AccountError;
    match e {
        AccountError::Store(s) => internal(s),
        AccountError::Denied(d) => crate::server_fns::ssr::forbidden(&d),
        other => ServerFnError::new(other.to_string()),
    }
}

/// Runs an account change as the caller.
#[cfg(feature = "ssr")]
macro_rules! acting {
    ($who:ident) => {
        tidemark_core::auth::accounts::Acting {
            principal: &$who.principal,
            source: $who.source.as_deref(),
        }
    };
}

/// Who is logged in, with their tokens.
#[server(prefix = "/_fn", endpoint = "account")]
pub async fn load_account() -> Result<AccountInfo, ServerFnError> {
    use crate::server_fns::ssr;
    let (cx, who) = ssr::signed_in()?;
    let p = who.principal;
    let store = cx.jobs.store();
    let tokens = store.tokens(Some(&p.user)).await.map_err(internal)?;
    let must_change_password = store
        .user(&p.user)
        .await
        .map_err(internal)?
        .is_some_and(|u| u.must_change_password);
    Ok(AccountInfo {
        name: p.user,
        role: p.role.as_str().into(),
        tokens: tokens.into_iter().map(Into::into).collect(),
        must_change_password,
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
    let (cx, who) = ssr::signed_in()?;
    if new != again {
        return Err(ServerFnError::new("The two new passwords differ."));
    }
    tidemark_core::auth::accounts::change_password(cx.jobs.store(), &acting!(who), &current, &new)
        .await
        .map_err(refused)
}

/// Creates an API token for the caller; returns its secret, shown once.
#[server(prefix = "/_fn", endpoint = "create_token")]
pub async fn create_token(label: String, role: String) -> Result<String, ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::accounts::{self, parse_role};
    let (cx, who) = ssr::signed_in()?;
    let role = parse_role("role", &role).map_err(refused)?;
    let (_, _, secret) = accounts::create_token(cx.jobs.store(), &acting!(who), &label, Some(role))
        .await
        .map_err(refused)?;
    Ok(secret)
}

/// Revokes one of the caller's tokens (an admin: anyone's).
#[server(prefix = "/_fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), ServerFnError> {
    use crate::server_fns::ssr;
    let (cx, who) = ssr::signed_in()?;
    tidemark_core::auth::accounts::revoke_token(cx.jobs.store(), &acting!(who), id)
        .await
        .map_err(refused)
}

/// Users and the newest audit entries (admins only).
#[server(prefix = "/_fn", endpoint = "admin")]
pub async fn load_admin() -> Result<AdminView, ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::Action;
    let (cx, who) = ssr::signed_in()?;
    ssr::allow(&cx, &who, Action::ReadAudit, "").await?;
    let store = cx.jobs.store();
    Ok(AdminView {
        users: store
            .users()
            .await
            .map_err(internal)?
            .into_iter()
            .map(Into::into)
            .collect(),
        audit: store
            .audit_log(200)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Into::into)
            .collect(),
    })
}

/// Adds a user with a generated password, returned once (admins only).
#[server(prefix = "/_fn", endpoint = "add_user")]
pub async fn add_user(name: String, role: String) -> Result<String, ServerFnError> {
    use crate::server_fns::ssr;
    use tidemark_core::auth::accounts::{self, parse_role};
    let (cx, who) = ssr::signed_in()?;
    let role = parse_role("role", &role).map_err(refused)?;
    let password = accounts::add_user(cx.jobs.store(), &acting!(who), &name, role, None)
        .await
        .map_err(refused)?;
    password.ok_or_else(|| ServerFnError::new("No password was generated."))
}
