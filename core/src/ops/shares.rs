//! Share links: read-only links to one job's status page, made by operators, expiring,
//! revocable, and opened by anyone who holds one.

use chrono::{DateTime, Utc};

use super::{Caller, OpsError, Tidemark, job_not_found};
use crate::auth::{Action, ApiTokenSecret, hash_token, new_token};
use crate::jobs::JobId;
use crate::store::ShareLink;

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
        .create_share_link(
            &hash_token(token.expose()),
            found.id.as_str(),
            &found.database,
            &who.principal.user,
            now,
            expires_at,
        )
        .await?;
    door.done(found.id.as_str(), &format!("link {link} for {days} days"))
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
    Ok(tm.store().share_links(id.as_str()).await?)
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
