//! Share links: read-only links to one job's status page or one backup's page, made by
//! operators, expiring, revocable, and opened by anyone who holds one.

use chrono::{DateTime, Utc};

use super::{Caller, OpsError, Tidemark, job_not_found};
use crate::auth::{Action, ApiTokenSecret, hash_token, new_token};
use crate::jobs::JobId;
use crate::store::{NewShareLink, ShareLink};

/// How long a link lives unless asked otherwise, and at most.
pub const DEFAULT_DAYS: i64 = 7;
pub const MAX_DAYS: i64 = 90;

/// A new link; its token is shown this once.
#[derive(Debug)]
pub struct CreatedLink {
    pub id: i64,
    pub token: ApiTokenSecret,
    pub expires_at: DateTime<Utc>,
}

impl CreatedLink {
    /// The page's path on this server: `/s/<token>`.
    pub fn path(&self) -> String {
        format!("/s/{}", self.token.expose())
    }
}

/// What a link opens.
pub const JOB: &str = "job";
pub const BACKUP: &str = "backup";

/// Makes a link to the job's page, valid `days` days (default 7, at most 90).
pub async fn create(
    tm: &Tidemark,
    who: &Caller,
    job: &str,
    days: Option<i64>,
) -> Result<CreatedLink, OpsError> {
    let id = JobId::parse(job).ok_or_else(|| job_not_found(job))?;
    let found = tm
        .store()
        .job(&id)
        .await?
        .ok_or_else(|| job_not_found(job))?;
    let door = tm
        .door(who, Action::CreateShareLink, Some(&found.database))
        .await?;
    make(tm, who, door, JOB, found.id.as_str(), &found.database, days).await
}

/// Makes a link to a backup's page, read-only: its evidence without the download or the
/// restore form.
pub async fn create_for_backup(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    backup: &str,
    days: Option<i64>,
) -> Result<CreatedLink, OpsError> {
    let door = tm
        .door(who, Action::CreateShareLink, Some(database))
        .await?;
    let db = match tm.catalog.database(database).await {
        Ok(db) => db,
        Err(e) => {
            return door
                .end(Err(e.into()), |_: &CreatedLink| String::new())
                .await;
        }
    };
    match super::verifications::detail_of(tm, &db, backup).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            let e = super::backups::backup_not_found(&db.name, backup).coded("backup_not_found");
            return door.end(Err(e), |_: &CreatedLink| String::new()).await;
        }
        Err(e) => return door.end(Err(e), |_: &CreatedLink| String::new()).await,
    }
    make(tm, who, door, BACKUP, backup, &db.id, days).await
}

async fn make(
    tm: &Tidemark,
    who: &Caller,
    door: super::Door<'_>,
    kind: &str,
    target: &str,
    database: &str,
    days: Option<i64>,
) -> Result<CreatedLink, OpsError> {
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        let e = OpsError::invalid(
            "days",
            format!("days must be from 1 to {MAX_DAYS}; got {days}."),
        );
        return door.end(Err(e), |_: &CreatedLink| String::new()).await;
    }
    let token = new_token("tms_");
    let now = tm.clock.now();
    let expires_at = now + chrono::Duration::days(days);
    let link = tm
        .store()
        .create_share_link(&NewShareLink {
            token_hash: &hash_token(token.expose()),
            kind,
            target,
            database,
            created_by: &who.principal.user,
            created_at: now,
            expires_at,
        })
        .await?;
    door.done(target, &format!("link {link} for {days} days"))
        .await;
    Ok(CreatedLink {
        id: link,
        token,
        expires_at,
    })
}

/// A job's links, newest first, without their tokens.
pub async fn list(tm: &Tidemark, who: &Caller, job: &str) -> Result<Vec<ShareLink>, OpsError> {
    let id = JobId::parse(job).ok_or_else(|| job_not_found(job))?;
    tm.door(who, Action::Read, None).await?;
    Ok(tm.store().share_links(JOB, id.as_str()).await?)
}

/// A backup's links, newest first, without their tokens.
pub async fn list_for_backup(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    backup: &str,
) -> Result<Vec<ShareLink>, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    let db = tm.catalog.database(database).await?;
    let links = tm.store().share_links(BACKUP, backup).await?;
    Ok(links.into_iter().filter(|l| l.database == db.id).collect())
}

/// Revokes a link at once.
pub async fn revoke(tm: &Tidemark, who: &Caller, link: i64) -> Result<(), OpsError> {
    let mut door = tm.door(who, Action::CreateShareLink, None).await?;
    match tm.store().revoke_share_link(link, tm.clock.now()).await? {
        Some(l) => {
            door.about(&l.database);
            door.done(&l.target, &format!("link {link} revoked")).await;
            Ok(())
        }
        None => {
            let e = OpsError::not_found(
                "share_link_not_found",
                format!("There is no live share link {link}."),
            );
            door.end(Err(e), |()| String::new()).await
        }
    }
}

/// The live link a token opens: not expired, not revoked, its creator still enabled. Public:
/// the token is the credential.
pub async fn open(tm: &Tidemark, token: &str) -> Result<Option<ShareLink>, OpsError> {
    Ok(tm
        .store()
        .live_share_link(&hash_token(token), tm.clock.now())
        .await?)
}
