//! Restores from the Backups tab: the checks first, then the restore.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::PreflightCheck;

/// The restore form's fields as a request: what to read (`dump:<job>` or `upload:<id>`), where
/// to (`new_database` or `in_place`), and the confirmation typed for in place.
#[cfg(feature = "ssr")]
fn restore_request(
    source: String,
    target: String,
    new_database: Option<String>,
    confirm_name: Option<String>,
) -> Result<tidemark_core::work::restore::RestoreRequest, AppError> {
    use tidemark_core::work::restore::{RestoreRequest, RestoreSource, RestoreTarget};
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let source = match crate::model::RestoreFrom::parse(&source) {
        Some(crate::model::RestoreFrom::Dump(job)) => RestoreSource::DumpJob(job),
        Some(crate::model::RestoreFrom::Upload(upload)) => RestoreSource::Upload(upload),
        None => {
            return Err(AppError::invalid(
                "source",
                "Choose what to restore: a dump, a backup made ready, or an uploaded file.",
            ));
        }
    };
    let confirm_name = given(confirm_name);
    let target = match target.as_str() {
        "in_place" => RestoreTarget::InPlace,
        "new_database" => RestoreTarget::NewDatabase(
            given(new_database)
                .ok_or_else(|| AppError::invalid("new_database", "Name the new database."))?,
        ),
        other => {
            return Err(AppError::invalid(
                "target",
                format!(
                    "'{other}' is not a restore target: choose a new database or this database."
                ),
            ));
        }
    };
    Ok(RestoreRequest {
        source,
        confirm: target == RestoreTarget::InPlace && confirm_name.is_some(),
        target,
        confirm_name,
    })
}

/// The checks a restore would make, without starting it.
#[server(prefix = "/_fn", endpoint = "restore_preflight")]
pub async fn restore_preflight(
    id: String,
    source: String,
    target: String,
    new_database: Option<String>,
    confirm_name: Option<String>,
) -> Result<Vec<PreflightCheck>, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let request = restore_request(source, target, new_database, confirm_name)?;
    let checks = tidemark_core::ops::restores::preflight(&tm, &who, &id, request).await?;
    Ok(checks
        .into_iter()
        .map(|c| PreflightCheck {
            name: c.name.to_string(),
            ok: c.ok,
            message: c.message,
        })
        .collect())
}

/// Starts a restore of a dump, into a new database or in place; returns the job's id.
#[server(prefix = "/_fn", endpoint = "start_restore")]
pub async fn start_restore(
    id: String,
    source: String,
    target: String,
    new_database: Option<String>,
    confirm_name: Option<String>,
) -> Result<String, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let request = restore_request(source, target, new_database, confirm_name)?;
    let job = tidemark_core::ops::restores::start(&tm, &who, &id, request).await?;
    Ok(job.id.to_string())
}
