//! Users, API tokens and sessions in the state database.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::Row;

use super::database::{Store, StoreError, parse_time};
use tidemark_types::Role;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("role '{s}'")))
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
    /// Given a password by someone else: must choose their own before anything else.
    pub must_change_password: bool,
}

/// An API token's record; the token itself is never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub user: String,
    pub label: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

fn user_of(r: &sqlx::sqlite::SqliteRow) -> Result<User, StoreError> {
    let created: String = r.try_get("created_at")?;
    let disabled: Option<String> = r.try_get("disabled_at")?;
    Ok(User {
        name: r.try_get("name")?,
        role: role(&r.try_get::<String, _>("role")?)?,
        password_hash: r.try_get("password_hash")?,
        created_at: parse_time(&created, "account")?,
        disabled: disabled.is_some(),
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
    })
}

fn token_of(r: &sqlx::sqlite::SqliteRow) -> Result<ApiToken, StoreError> {
    let created: String = r.try_get("created_at")?;
    let used: Option<String> = r.try_get("last_used_at")?;
    let revoked: Option<String> = r.try_get("revoked_at")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        user: r.try_get("user_name")?,
        label: r.try_get("label")?,
        role: role(&r.try_get::<String, _>("role")?)?,
        created_at: parse_time(&created, "account")?,
        last_used_at: used
            .as_deref()
            .map(|t| parse_time(t, "account"))
            .transpose()?,
        revoked: revoked.is_some(),
    })
}

impl Store {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Adds a user; false when the name is taken.
    pub async fn create_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        sqlx::query("SELECT * FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_of)
            .transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query("SELECT * FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_of)
            .collect()
    }

    /// Sets a user's password, chosen by themselves: any pending change is done.
    pub async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE name = ?",
        )
        .bind(password_hash)
        .bind(name)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Makes the user choose a new password at their next login.
    pub async fn require_password_change(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET must_change_password = 1 WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_role(&self, name: &str, role: Role) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET role = ? WHERE name = ?")
            .bind(role.as_str())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables a user (their tokens stop working, their sessions end at the next request).
    pub async fn disable_user(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL")
                .bind(ts(now))
                .bind(name)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn create_token(
        &self,
        user: &str,
        label: &str,
        role: Role,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO api_tokens (user_name, label, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(label)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// The live token with this hash and its user, marking it used; `None` when unknown, revoked,
    /// or its user is disabled.
    pub async fn use_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(
            "SELECT t.* FROM api_tokens t JOIN users u ON u.name = t.user_name
             WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_of(&row)?;
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(ts(now))
            .bind(token.id)
            .execute(&self.pool)
            .await?;
        Ok(Some(token))
    }

    /// A user's tokens (all users' with `None`), newest first.
    pub async fn tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        sqlx::query("SELECT * FROM api_tokens WHERE (? IS NULL OR user_name = ?) ORDER BY id DESC")
            .bind(user)
            .bind(user)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(token_of)
            .collect()
    }

    /// Revokes a token; the owner's name limits it to their own unless `None` (admins).
    pub async fn revoke_token(
        &self,
        id: i64,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ?
             WHERE id = ? AND revoked_at IS NULL AND (? IS NULL OR user_name = ?)",
        )
        .bind(ts(now))
        .bind(id)
        .bind(owner)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // Sessions: opaque records for the session layer, by id, with an expiry in Unix seconds.

    pub async fn save_session(
        &self,
        id: &str,
        data: &[u8],
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates a session; false when the id exists already.
    pub async fn create_session(
        &self,
        id: &str,
        data: &[u8],
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn load_session(&self, id: &str, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT data FROM sessions WHERE id = ? AND expires_at > ?")
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
