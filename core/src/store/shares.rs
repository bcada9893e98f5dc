//! Share links in the state database: a hashed token that opens one job's status page, read-only,
//! until it expires or is revoked.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::Row;

use super::database::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ShareLink {
    pub id: i64,
    /// `job` or `backup`.
    pub kind: String,
    /// The job's or the backup's id.
    pub target: String,
    pub database: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// A link to record: the hash of its token, what it opens, who made it, and its life.
#[derive(Debug, Clone, Copy)]
pub struct NewShareLink<'a> {
    pub token_hash: &'a str,
    /// `job` or `backup`.
    pub kind: &'a str,
    pub target: &'a str,
    pub database: &'a str,
    pub created_by: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse(t: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("share link time: {e}")))
}

fn link_of(r: &sqlx::sqlite::SqliteRow) -> Result<ShareLink, StoreError> {
    let revoked: Option<String> = r.try_get("revoked_at")?;
    Ok(ShareLink {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        target: r.try_get("target")?,
        database: r.try_get("database")?,
        created_by: r.try_get("created_by")?,
        created_at: parse(&r.try_get::<String, _>("created_at")?)?,
        expires_at: parse(&r.try_get::<String, _>("expires_at")?)?,
        revoked: revoked.is_some(),
    })
}

impl Store {
    pub async fn create_share_link(&self, l: &NewShareLink<'_>) -> Result<i64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO share_links (token_hash, kind, target, database, created_by, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(l.token_hash)
        .bind(l.kind)
        .bind(l.target)
        .bind(l.database)
        .bind(l.created_by)
        .bind(ts(l.created_at))
        .bind(ts(l.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// The live link with this token hash: not revoked, not expired, and made by a user who is
    /// still enabled (a disabled user's links end with their access).
    pub async fn live_share_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ShareLink>, StoreError> {
        let row = sqlx::query(
            "SELECT l.* FROM share_links l JOIN users u ON u.name = l.created_by
             WHERE l.token_hash = ? AND l.revoked_at IS NULL AND l.expires_at > ?
               AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_of).transpose()
    }

    /// The links of one kind (`job`, `backup`) to one target, newest first.
    pub async fn share_links(
        &self,
        kind: &str,
        target: &str,
    ) -> Result<Vec<ShareLink>, StoreError> {
        sqlx::query("SELECT * FROM share_links WHERE kind = ? AND target = ? ORDER BY id DESC")
            .bind(kind)
            .bind(target)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(link_of)
            .collect()
    }

    pub async fn revoke_share_link(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<ShareLink>, StoreError> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(ts(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("SELECT * FROM share_links WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(link_of)
            .transpose()
    }
}
