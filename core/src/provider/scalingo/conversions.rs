//! How Scalingo's answers read as Tidemark's nouns: ids, engines, statuses, backups, rules, and
//! the client's errors as a provider's.

use super::error::ScalingoError;
use super::model::{ApiBackup, ApiDatabase};
use crate::provider::{
    Backup, BackupMethod, BackupStatus, DatabaseStatus, FirewallRule, FirewallRuleKind,
    ManagedRange, ProviderError,
};

impl From<ScalingoError> for ProviderError {
    fn from(e: ScalingoError) -> Self {
        match e {
            ScalingoError::NotFound { .. } => ProviderError::Missing(e.to_string()),
            ScalingoError::Invalid(fields) => ProviderError::Invalid {
                field: fields.first().map(|f| f.field.clone()),
                message: ScalingoError::Invalid(fields).to_string(),
            },
            ScalingoError::Rejected {
                status: 400 | 422, ..
            } => ProviderError::Invalid {
                field: None,
                message: e.to_string(),
            },
            ScalingoError::Rejected { status: 409, .. } => ProviderError::Conflict(e.to_string()),
            ScalingoError::Rejected {
                status: 416,
                message,
            } => ProviderError::Invalid {
                field: None,
                message,
            },
            ScalingoError::Rejected { .. } => ProviderError::Conflict(e.to_string()),
            ScalingoError::RateLimited | ScalingoError::Unavailable(_) => {
                ProviderError::Unavailable(e.to_string())
            }
            ScalingoError::Unauthorized
            | ScalingoError::Forbidden(_)
            | ScalingoError::Unexpected(_) => ProviderError::Upstream(e.to_string()),
        }
    }
}

/// Tidemark's id for a database: its app's name and its region, in URL-safe form.
pub(super) fn tidemark_id(app: &str, region: &str, n: usize) -> String {
    let clean: String = app
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    match n {
        0 => format!("{clean}-{region}"),
        n => format!("{clean}-{region}-{}", n + 1),
    }
}

pub(super) fn engine(d: &ApiDatabase) -> String {
    match d
        .readable_version
        .split('-')
        .next()
        .filter(|v| !v.is_empty())
    {
        Some(v) => format!("PostgreSQL {v}"),
        None => "PostgreSQL".into(),
    }
}

pub(super) fn status(d: &ApiDatabase) -> DatabaseStatus {
    match d.status.as_str() {
        "stopped" => DatabaseStatus::Stopped,
        _ => DatabaseStatus::Running,
    }
}

pub(super) fn backup_status(s: &str) -> BackupStatus {
    match s {
        "scheduled" | "pending" => BackupStatus::Scheduled,
        "running" | "cancelling" => BackupStatus::Running,
        "done" => BackupStatus::Done,
        _ => BackupStatus::Error,
    }
}

/// A rule as Tidemark shows it, with its managed range's name when the range is known.
pub(super) fn shown_rule(
    r: super::model::ApiFirewallRule,
    ranges: &[impl RangeLike],
) -> FirewallRule {
    FirewallRule {
        range_name: r
            .range_id
            .as_ref()
            .and_then(|id| ranges.iter().find(|m| m.id() == id))
            .map(|m| m.name().to_string()),
        kind: if r.kind == "managed_range" {
            FirewallRuleKind::Managed
        } else {
            FirewallRuleKind::Custom
        },
        id: r.id,
        cidr: r.cidr,
        label: r.label,
        range_id: r.range_id,
    }
}

/// A managed range, as the client reads it or as Tidemark shows it.
pub(super) trait RangeLike {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl RangeLike for super::model::ManagedRange {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl RangeLike for ManagedRange {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

pub(super) fn backup(b: &ApiBackup) -> Backup {
    Backup {
        id: b.id.clone(),
        created_at: b.created_at,
        finished_at: None,
        size_bytes: b.size.filter(|s| *s > 0),
        status: backup_status(&b.status),
        method: if b.method == "manual" {
            BackupMethod::Manual
        } else {
            BackupMethod::Periodic
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_name_the_region() {
        assert_eq!(tidemark_id("my_app", "osc-fr1", 0), "my-app-osc-fr1");
        assert_eq!(
            tidemark_id("Shop", "osc-secnum-fr1", 1),
            "shop-osc-secnum-fr1-2"
        );
    }

    #[test]
    fn backup_statuses_fold_into_four() {
        assert_eq!(backup_status("pending"), BackupStatus::Scheduled);
        assert_eq!(backup_status("running"), BackupStatus::Running);
        assert_eq!(backup_status("done"), BackupStatus::Done);
        assert_eq!(backup_status("cancelled"), BackupStatus::Error);
        assert_eq!(backup_status("something-new"), BackupStatus::Error);
    }
}
