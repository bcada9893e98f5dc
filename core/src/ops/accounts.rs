//! Accounts: who is calling; one's own password and API tokens; users (admins); the audit log
//! (admins).

use super::{Caller, OpsError, Tidemark};
use crate::auth::{
    Action, Role, Via, check_new_password, generate_password, hash_password_blocking, hash_token,
    new_token, verify_password_blocking,
};
use crate::store::{ApiToken, AuditEntry, User};

/// Reads a role named in a request.
pub fn parse_role(field: &str, s: &str) -> Result<Role, OpsError> {
    Role::parse(s).ok_or_else(|| {
        OpsError::invalid(
            field,
            format!("'{s}' is not a role; use viewer, operator or admin"),
        )
    })
}

/// How the caller proved who they are: `session`, `token`, `proxy` or `system`.
pub fn via(who: &Caller) -> &'static str {
    match who.principal.via {
        Via::Session => "session",
        Via::Token(_) => "token",
        Via::Proxy => "proxy",
        Via::System => "system",
    }
}

/// The caller's own account: their tokens, and whether they must choose a new password first.
pub async fn own(tm: &Tidemark, who: &Caller) -> Result<(Vec<ApiToken>, bool), OpsError> {
    let store = tm.store();
    let tokens = store.tokens(Some(&who.principal.user)).await?;
    let must_change = store
        .user(&who.principal.user)
        .await?
        .is_some_and(|u| u.must_change_password);
    Ok((tokens, must_change))
}

/// Changes the caller's own password, which they confirm with the current one.
pub async fn change_password(
    tm: &Tidemark,
    who: &Caller,
    current: &str,
    new: &str,
) -> Result<(), OpsError> {
    let door = tm.own_account(who);
    let name = &who.principal.user;
    let user = tm
        .store()
        .user(name)
        .await?
        .ok_or_else(|| OpsError::not_found("not_found", "Your account no longer exists."))?;
    if !verify_password_blocking(current.to_string(), user.password_hash).await {
        return Err(OpsError::invalid(
            "current",
            "The current password is not right.",
        ));
    }
    check_new_password(new).map_err(|e| OpsError::invalid("new", format!("{e}.")))?;
    let hash = hash_password_blocking(new.to_string())
        .await
        .map_err(|e| OpsError::invalid("new", e.to_string()))?;
    tm.store().set_password(name, &hash).await?;
    door.done(name, "password changed").await;
    Ok(())
}

/// Every user (admins).
pub async fn users(tm: &Tidemark, who: &Caller) -> Result<Vec<User>, OpsError> {
    tm.door(who, Action::ManageUsers, None).await?;
    Ok(tm.store().users().await?)
}

/// The newest audit entries (admins).
pub async fn audit_log(
    tm: &Tidemark,
    who: &Caller,
    limit: u32,
) -> Result<Vec<AuditEntry>, OpsError> {
    tm.door(who, Action::ReadAudit, None).await?;
    Ok(tm.store().audit_log(limit).await?)
}

/// Adds a user (admins); returns the generated password when none was given, to show once. A
/// generated password must be changed at first login.
pub async fn add_user(
    tm: &Tidemark,
    who: &Caller,
    name: &str,
    role: Role,
    password: Option<String>,
) -> Result<Option<String>, OpsError> {
    let door = tm.door(who, Action::ManageUsers, None).await?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !valid {
        return Err(OpsError::invalid(
            "name",
            "A name is 1 to 64 letters, digits, dots, dashes or underscores.",
        ));
    }
    let (password, shown) = match password {
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    check_new_password(&password).map_err(|e| OpsError::invalid("password", format!("{e}.")))?;
    let hash = hash_password_blocking(password)
        .await
        .map_err(|e| OpsError::invalid("password", e.to_string()))?;
    if !tm
        .store()
        .create_user(name, role, &hash, tm.clock.now())
        .await?
    {
        return Err(OpsError::conflict(
            "conflict",
            format!("There is already a user named '{name}'."),
        ));
    }
    if shown.is_some() {
        tm.store().require_password_change(name).await?;
    }
    door.done(name, &format!("created as {role}")).await;
    Ok(shown)
}

/// Changes another user's role, or disables them (admins; never themselves).
pub async fn change_user(
    tm: &Tidemark,
    who: &Caller,
    name: &str,
    role: Option<Role>,
    disable: bool,
) -> Result<User, OpsError> {
    let door = tm.door(who, Action::ManageUsers, None).await?;
    if name == who.principal.user {
        return Err(OpsError::invalid(
            "name",
            "Admins cannot change their own role or disable themselves; ask another admin.",
        ));
    }
    let store = tm.store();
    let user = store.user(name).await?.ok_or_else(|| {
        OpsError::not_found("not_found", format!("There is no user named '{name}'."))
    })?;
    if let Some(role) = role {
        store.set_role(name, role).await?;
        door.done(name, &format!("role set to {role}")).await;
    }
    if disable {
        store.disable_user(name, tm.clock.now()).await?;
        door.done(name, "disabled").await;
    }
    Ok(user)
}

/// The caller's tokens, or everyone's for an admin asking for `all`.
pub async fn tokens(tm: &Tidemark, who: &Caller, all: bool) -> Result<Vec<ApiToken>, OpsError> {
    if all {
        tm.door(who, Action::ManageUsers, None).await?;
    }
    let owner = (!all).then_some(who.principal.user.as_str());
    Ok(tm.store().tokens(owner).await?)
}

/// A new API token for the caller, with a role no higher than theirs: its id, role and secret,
/// which is shown once and never stored.
pub async fn create_token(
    tm: &Tidemark,
    who: &Caller,
    label: &str,
    role: Option<Role>,
) -> Result<(i64, Role, String), OpsError> {
    let door = tm.own_account(who);
    let label = label.trim();
    if label.is_empty() || label.len() > 100 {
        return Err(OpsError::invalid(
            "label",
            "Give the token a label of 1 to 100 characters, saying what it is for.",
        ));
    }
    let mine = who.principal.role;
    let role = role.unwrap_or(mine);
    if role > mine {
        return Err(OpsError::invalid(
            "role",
            format!("A token cannot have more rights than its owner: you are {mine}."),
        ));
    }
    let secret = new_token("tm_");
    let id = tm
        .store()
        .create_token(
            &who.principal.user,
            label,
            role,
            &hash_token(secret.expose()),
            tm.clock.now(),
        )
        .await?;
    door.done(&format!("token {id}"), &format!("created as {role}"))
        .await;
    Ok((id, role, secret.expose().clone()))
}

/// Revokes a token: the caller's own, or anyone's for an admin.
pub async fn revoke_token(tm: &Tidemark, who: &Caller, id: i64) -> Result<(), OpsError> {
    let door = tm.own_account(who);
    let owner = (who.principal.role < Role::Admin).then_some(who.principal.user.as_str());
    if !tm.store().revoke_token(id, owner, tm.clock.now()).await? {
        return Err(OpsError::not_found(
            "not_found",
            format!("There is no live token {id} of yours."),
        ));
    }
    door.done(&format!("token {id}"), "revoked").await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Principal, verify_password};
    use crate::ops::ErrorKind;

    async fn tidemark() -> (tempfile::TempDir, Tidemark) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("t.db"))
            .await
            .unwrap();
        let tm = Tidemark::new(
            crate::config::Config::default(),
            crate::catalog::Catalog::default(),
            store,
            1,
        );
        (dir, tm)
    }

    fn caller(user: &str, role: Role) -> Caller {
        Caller::new(
            Principal {
                user: user.into(),
                role,
                via: Via::Session,
            },
            Some("10.0.0.1".into()),
        )
    }

    #[tokio::test]
    async fn users_tokens_and_passwords_follow_the_rules_and_are_audited() {
        let (_dir, tm) = tidemark().await;
        let store = tm.store().clone();
        let ada = caller("ada", Role::Admin);
        let password = add_user(&tm, &ada, "otto", Role::Operator, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(password.len(), 20);
        assert!(
            store
                .user("otto")
                .await
                .unwrap()
                .unwrap()
                .must_change_password
        );
        assert_eq!(
            add_user(&tm, &ada, "otto", Role::Viewer, None)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Conflict
        );
        let bad = add_user(&tm, &ada, "no spaces", Role::Viewer, None)
            .await
            .unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("name"));

        let otto = caller("otto", Role::Operator);
        assert_eq!(
            add_user(&tm, &otto, "eve", Role::Admin, None)
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Denied
        );
        let e = create_token(&tm, &otto, "x", Some(Role::Admin))
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("role"));
        let (id, role, secret) = create_token(&tm, &otto, "nightly", None).await.unwrap();
        assert_eq!(role, Role::Operator);
        assert!(
            store
                .use_token(&hash_token(&secret), chrono::Utc::now())
                .await
                .unwrap()
                .is_some()
        );
        revoke_token(&tm, &otto, id).await.unwrap();
        assert!(
            store
                .use_token(&hash_token(&secret), chrono::Utc::now())
                .await
                .unwrap()
                .is_none()
        );

        let e = change_password(&tm, &otto, "wrong", "a new long password")
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("current"));
        change_password(&tm, &otto, &password, "a new long password")
            .await
            .unwrap();
        let user = store.user("otto").await.unwrap().unwrap();
        assert!(verify_password("a new long password", &user.password_hash));
        assert!(!user.must_change_password);

        let e = change_user(&tm, &ada, "ada", Some(Role::Viewer), false)
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        change_user(&tm, &ada, "otto", None, true).await.unwrap();
        assert!(store.user("otto").await.unwrap().unwrap().disabled);

        let log = store.audit_log(50).await.unwrap();
        let outcomes: Vec<&str> = log.iter().map(|e| e.outcome.as_str()).collect();
        for expected in [
            "created as operator",
            "revoked",
            "password changed",
            "disabled",
        ] {
            assert!(outcomes.contains(&expected), "{outcomes:?}");
        }
        assert!(log.iter().all(|e| e.source.as_deref() == Some("10.0.0.1")));
        assert!(
            log.iter()
                .any(|e| e.actor == "otto" && e.outcome.starts_with("denied"))
        );
    }
}
