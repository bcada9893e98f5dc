//! What admins change on a database: its schedule, a point-in-time restore, safety copies, and
//! firewall rules.

use leptos::prelude::*;

use crate::error::AppError;

/// Turns the daily backup on or off and sets its hour (UTC). An unchecked box sends nothing.
#[server(prefix = "/_fn", endpoint = "save_schedule")]
pub async fn save_schedule(
    id: String,
    enabled: Option<String>,
    hour: String,
    verification: Option<String>,
) -> Result<(), AppError> {
    use tidemark_core::ops::schedule::{ScheduleChange, change};
    let (tm, who) = super::context::signed_in()?;
    let hour = hour.trim().parse::<i64>().map_err(|_| {
        AppError::invalid(
            "hour",
            format!("The hour must be a whole number from 0 to 23; got '{hour}'."),
        )
    })?;
    let request = ScheduleChange {
        enabled: Some(enabled.is_some()),
        hour: Some(hour),
        verification,
    };
    change(&tm, &who, &id, request).await?;
    Ok(())
}

/// Starts a point-in-time restore to `restore_time` (a UTC date and time); returns the job's id.
#[server(prefix = "/_fn", endpoint = "start_pitr")]
pub async fn start_pitr(
    id: String,
    restore_time: String,
    confirm: Option<String>,
) -> Result<String, AppError> {
    use tidemark_core::work::pitr::PitrRequest;
    let (tm, who) = super::context::signed_in()?;
    let request = PitrRequest {
        restore_time: crate::format::utc_input_to_rfc3339(&restore_time),
        confirm: confirm.is_some(),
    };
    let job = tidemark_core::ops::pitr::restore(&tm, &who, &id, request).await?;
    Ok(job.id.to_string())
}

/// Deletes a safety copy for good.
#[server(prefix = "/_fn", endpoint = "discard_safety_copy")]
pub async fn discard_safety_copy(id: String, copy: String) -> Result<(), AppError> {
    let (tm, who) = super::context::signed_in()?;
    tidemark_core::ops::safety::discard(&tm, &who, &id, &copy).await?;
    Ok(())
}

/// Adds a firewall rule: a CIDR range with its label, or a managed range.
#[server(prefix = "/_fn", endpoint = "add_firewall_rule")]
pub async fn add_firewall_rule(
    id: String,
    cidr: Option<String>,
    label: Option<String>,
    range_id: Option<String>,
) -> Result<(), AppError> {
    use tidemark_core::ops::firewall::{RuleRequest, add};
    let (tm, who) = super::context::signed_in()?;
    let request = RuleRequest {
        cidr,
        label,
        range_id,
    };
    add(&tm, &who, &id, request).await?;
    Ok(())
}

/// Removes a firewall rule.
#[server(prefix = "/_fn", endpoint = "remove_firewall_rule")]
pub async fn remove_firewall_rule(id: String, rule: String) -> Result<(), AppError> {
    let (tm, who) = super::context::signed_in()?;
    tidemark_core::ops::firewall::remove(&tm, &who, &id, &rule).await?;
    Ok(())
}
