//! The overview and a database's Backups tab.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{BackupsTab, DatabaseList, Reachability};

/// Every database Tidemark serves, and a sentence for each provider that did not answer.
#[server(prefix = "/_fn", endpoint = "databases")]
pub async fn list_databases() -> Result<DatabaseList, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let (databases, problems) = tidemark_core::ops::databases::list(&tm, &who).await?;
    Ok(DatabaseList {
        databases,
        problems,
    })
}

/// The Backups tab of one database; `None` when there is no such database.
#[server(prefix = "/_fn", endpoint = "backups_tab")]
pub async fn load_backups_tab(id: String) -> Result<Option<BackupsTab>, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let tab = tidemark_core::ops::databases::backups_tab(&tm, &who, &id).await?;
    Ok(tab.map(|t| BackupsTab {
        database: t.database,
        window: t.window,
        backups: t.backups,
        schedule: t.schedule,
        safety_copies: t.safety_copies,
        firewall: t.firewall,
        verifications: t.verifications,
        drill: t.drill,
        repository: t.repository,
    }))
}

/// Whether this server reaches the database now, and what to do when it does not.
#[server(prefix = "/_fn", endpoint = "check_reachability")]
pub async fn check_reachability(id: String) -> Result<Reachability, AppError> {
    let (tm, who) = super::context::signed_in()?;
    let check = tidemark_core::ops::firewall::reachable(&tm, &who, &id).await?;
    Ok(Reachability {
        reachable: check.ok,
        message: check.message,
    })
}
