//! TimescaleDB around a restore: call `timescaledb_pre_restore()` before and
//! `timescaledb_post_restore()` after (after a failure too), refuse mismatched versions, and say
//! plainly when the role lacks the rights the procedure needs.

use anyhow::Context;
use sqlx::Connection;

use crate::pgtools::acting::Acting;
use crate::pgtools::pg_dump::ConnTarget;

/// TimescaleDB on a database, as far as Tidemark can see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Timescale {
    /// The extension's version, when it is installed as an extension.
    pub version: Option<String>,
}

/// Whether the database has TimescaleDB's restore procedure, and which version.
pub async fn detect(target: &ConnTarget) -> anyhow::Result<Option<Timescale>> {
    let mut conn = target.connect().await?;
    let (version, has_procedure): (Option<String>, bool) = sqlx::query_as(
        "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'),
                to_regprocedure('timescaledb_pre_restore()') IS NOT NULL",
    )
    .fetch_one(&mut conn)
    .await
    .context("cannot look for TimescaleDB")?;
    let _ = conn.close().await;
    Ok((version.is_some() || has_procedure).then_some(Timescale { version }))
}

/// The refusal when the dump's and the target's versions differ; `None` when they match or
/// one of them is unknown.
pub fn version_mismatch(dumped: Option<&str>, target: Option<&str>) -> Option<String> {
    match (dumped, target) {
        (Some(d), Some(t)) if d != t => Some(format!(
            "The dump was taken with TimescaleDB {d} and the target runs TimescaleDB {t}; a TimescaleDB dump restores only onto the same version. Install {d} on the target first, or dump again from a server running {t}."
        )),
        _ => None,
    }
}

/// Runs one of the restore procedure's functions as the role the restore acts as (never a
/// superuser), turning a missing right into a sentence.
pub async fn call(acting: &Acting, function: &str) -> anyhow::Result<()> {
    let mut conn = acting.connect().await?;
    let result = sqlx::query(&format!("SELECT {function}()"))
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => anyhow::bail!(
            "restoring a TimescaleDB database needs a role with admin rights on it (its owner or a superuser) to run {function}(); the role '{}' lacks them. On a hosted platform whose default role has no such rights, the provider's support carries out this restore.",
            acting.role.as_deref().unwrap_or(&acting.login.user)
        ),
        Err(e) => Err(anyhow::Error::new(e).context(format!("{function}() failed"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_and_different_versions_are_refused() {
        assert!(
            version_mismatch(Some("2.13.0"), Some("2.14.2"))
                .unwrap()
                .contains("2.13.0")
        );
        assert_eq!(version_mismatch(Some("2.14.2"), Some("2.14.2")), None);
        assert_eq!(version_mismatch(None, Some("2.14.2")), None);
    }
}
