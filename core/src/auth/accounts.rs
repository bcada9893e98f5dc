//! What people do to accounts: change a password, add a user, make and revoke API tokens. Each
//! checks the rules, writes the state, and records the change in the audit log.

use chrono::Utc;

use super::{
    Action, Denied, Principal, Role, check_new_password, generate_password, hash_password_blocking,
    hash_token, new_token, verify_password_blocking,
};
use crate::store::{Store, StoreError, User};

/// Why an account change was refused; the message is for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        message: message.into(),
    }
}

/// Who acts, and from where (for the audit log).
pub struct Acting<'a> {
    pub principal: &'a Principal,
    pub source: Option<&'a str>,
}

impl Acting<'_> {
    async fn record(&self, store: &Store, action: Action, target: &str, outcome: &str) {
        store
            .record(
                &self.principal.user,
                action,
                None,
                Some(target),
                outcome,
                self.source,
            )
            .await;
    }

    /// Checks the role; a refusal is recorded too.
    async fn may(&self, store: &Store, action: Action) -> Result<(), AccountError> {
        if let Err(denied) = self.principal.may(action) {
            store
                .record(
                    &self.principal.user,
                    action,
                    None,
                    None,
                    &format!("denied: {denied}"),
                    self.source,
                )
                .await;
            return Err(denied.into());
        }
        Ok(())
    }
}

/// Reads a role named in a request.
pub fn parse_role(field: &'static str, s: &str) -> Result<Role, AccountError> {
    Role::parse(s).ok_or_else(|| {
        invalid(
            field,
            format!("'{s}' is not a role; use viewer, operator or admin"),
        )
    })
}

/// Changes the caller's own password, which they confirm with the current one.
pub async fn change_password(
    store: &Store,
    who: &Acting<'_>,
    current: &str,
    new: &str,
) -> Result<(), AccountError> {
    let name = &who.principal.user;
    let user = store
        .user(name)
        .await?
        .ok_or_else(|| AccountError::NotFound("Your account no longer exists.".into()))?;
    if !verify_password_blocking(current.to_string(), user.password_hash).await {
        return Err(invalid("current", "The current password is not right."));
    }
    check_new_password(new).map_err(|e| invalid("new", format!("{e}.")))?;
    let hash = hash_password_blocking(new.to_string())
        .await
        .map_err(|e| invalid("new", e.to_string()))?;
    store.set_password(name, &hash).await?;
    who.record(store, Action::ManageUsers, name, "password changed")
        .await;
    Ok(())
}

/// Adds a user (admins); returns the generated password when none was given, to show once.
pub async fn add_user(
    store: &Store,
    who: &Acting<'_>,
    name: &str,
    role: Role,
    password: Option<String>,
) -> Result<Option<String>, AccountError> {
    who.may(store, Action::ManageUsers).await?;
    let name = name.trim();
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
    let (password, shown) = match password {
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    check_new_password(&password).map_err(|e| invalid("password", format!("{e}.")))?;
    let hash = hash_password_blocking(password)
        .await
        .map_err(|e| invalid("password", e.to_string()))?;
    if !store.create_user(name, role, &hash, Utc::now()).await? {
        return Err(AccountError::Conflict(format!(
            "There is already a user named '{name}'."
        )));
    }
    if shown.is_some() {
        // A password someone else has seen: the user chooses their own at first login.
        store.require_password_change(name).await?;
    }
    who.record(
        store,
        Action::ManageUsers,
        name,
        &format!("created as {role}"),
    )
    .await;
    Ok(shown)
}

/// Changes another user's role, or disables them (admins; never themselves).
pub async fn change_user(
    store: &Store,
    who: &Acting<'_>,
    name: &str,
    role: Option<Role>,
    disable: bool,
) -> Result<User, AccountError> {
    who.may(store, Action::ManageUsers).await?;
    if name == who.principal.user {
        return Err(invalid(
            "name",
            "Admins cannot change their own role or disable themselves; ask another admin.",
        ));
    }
    let user = store
        .user(name)
        .await?
        .ok_or_else(|| AccountError::NotFound(format!("There is no user named '{name}'.")))?;
    if let Some(role) = role {
        store.set_role(name, role).await?;
        who.record(
            store,
            Action::ManageUsers,
            name,
            &format!("role set to {role}"),
        )
        .await;
    }
    if disable {
        store.disable_user(name, Utc::now()).await?;
        who.record(store, Action::ManageUsers, name, "disabled")
            .await;
    }
    Ok(user)
}

/// A new API token for the caller, with a role no higher than theirs: its id and its secret,
/// which is shown once and never stored.
pub async fn create_token(
    store: &Store,
    who: &Acting<'_>,
    label: &str,
    role: Option<Role>,
) -> Result<(i64, Role, String), AccountError> {
    let label = label.trim();
    if label.is_empty() || label.len() > 100 {
        return Err(invalid(
            "label",
            "Give the token a label of 1 to 100 characters, saying what it is for.",
        ));
    }
    let mine = who.principal.role;
    let role = role.unwrap_or(mine);
    if role > mine {
        return Err(invalid(
            "role",
            format!("A token cannot have more rights than its owner: you are {mine}."),
        ));
    }
    let secret = new_token("tm_");
    let id = store
        .create_token(
            &who.principal.user,
            label,
            role,
            &hash_token(secret.expose()),
            Utc::now(),
        )
        .await?;
    who.record(
        store,
        Action::ManageUsers,
        &format!("token {id}"),
        &format!("created as {role}"),
    )
    .await;
    Ok((id, role, secret.expose().clone()))
}

/// Revokes a token: the caller's own, or anyone's for an admin.
pub async fn revoke_token(store: &Store, who: &Acting<'_>, id: i64) -> Result<(), AccountError> {
    let owner = (who.principal.role < Role::Admin).then_some(who.principal.user.as_str());
    if !store.revoke_token(id, owner, Utc::now()).await? {
        return Err(AccountError::NotFound(format!(
            "There is no live token {id} of yours."
        )));
    }
    who.record(
        store,
        Action::ManageUsers,
        &format!("token {id}"),
        "revoked",
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Via, verify_password};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        (dir, store)
    }

    fn as_user(user: &str, role: Role) -> Principal {
        Principal {
            user: user.into(),
            role,
            via: Via::Session,
        }
    }

    #[tokio::test]
    async fn users_tokens_and_passwords_follow_the_rules_and_are_audited() {
        let (_dir, store) = store().await;
        let admin = as_user("ada", Role::Admin);
        let who = Acting {
            principal: &admin,
            source: Some("10.0.0.1"),
        };
        let password = add_user(&store, &who, "otto", Role::Operator, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(password.len(), 20);
        assert!(matches!(
            add_user(&store, &who, "otto", Role::Viewer, None).await,
            Err(AccountError::Conflict(_))
        ));
        assert!(matches!(
            add_user(&store, &who, "no spaces", Role::Viewer, None).await,
            Err(AccountError::Invalid { field: "name", .. })
        ));

        let otto = as_user("otto", Role::Operator);
        let as_otto = Acting {
            principal: &otto,
            source: None,
        };
        assert!(matches!(
            add_user(&store, &as_otto, "eve", Role::Admin, None).await,
            Err(AccountError::Denied(_))
        ));
        assert!(matches!(
            create_token(&store, &as_otto, "x", Some(Role::Admin)).await,
            Err(AccountError::Invalid { field: "role", .. })
        ));
        let (id, role, secret) = create_token(&store, &as_otto, "nightly", None)
            .await
            .unwrap();
        assert_eq!(role, Role::Operator);
        assert!(
            store
                .use_token(&hash_token(&secret), Utc::now())
                .await
                .unwrap()
                .is_some()
        );
        revoke_token(&store, &as_otto, id).await.unwrap();
        assert!(
            store
                .use_token(&hash_token(&secret), Utc::now())
                .await
                .unwrap()
                .is_none()
        );

        assert!(matches!(
            change_password(&store, &as_otto, "wrong", "a new long password").await,
            Err(AccountError::Invalid {
                field: "current",
                ..
            })
        ));
        change_password(&store, &as_otto, &password, "a new long password")
            .await
            .unwrap();
        let hash = store.user("otto").await.unwrap().unwrap().password_hash;
        assert!(verify_password("a new long password", &hash));

        assert!(matches!(
            change_user(&store, &who, "ada", Some(Role::Viewer), false).await,
            Err(AccountError::Invalid { field: "name", .. })
        ));
        change_user(&store, &who, "otto", None, true).await.unwrap();
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
        assert!(
            log.iter()
                .any(|e| e.actor == "otto" && e.outcome.starts_with("denied"))
        );
    }
}
