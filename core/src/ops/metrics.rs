//! What the metrics route reports, gathered in one pass: each database's newest backups by method,
//! its recoverable window and WAL archive, its newest verified restore, and the jobs by kind and
//! state. Encoding belongs to the edge.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::provider::{Backup, BackupStatus, ProviderKind};
use tidemark_types::VerificationOutcome;

/// The facts of one backup method of one database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MethodFacts {
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    /// Of the newest successful backup.
    pub last_size_bytes: Option<u64>,
    pub last_duration_seconds: Option<f64>,
}

/// The facts of one database.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseFacts {
    pub id: String,
    /// By method, as the API names it (`manual`, `periodic`, `physical_full`, ...).
    pub methods: BTreeMap<&'static str, MethodFacts>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    /// For clusters Tidemark manages: how old the newest archived WAL is.
    pub wal_archive_age_seconds: Option<f64>,
    /// When the newest passed verification ended, and how long its restore took.
    pub last_verified: Option<DateTime<Utc>>,
    pub restore_seconds: Option<f64>,
}

/// Everything a scrape reports.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsFacts {
    pub databases: Vec<DatabaseFacts>,
    /// (kind, state) -> how many jobs.
    pub jobs: BTreeMap<(String, String), u64>,
    /// Providers that did not answer, named.
    pub problems: Vec<String>,
}

/// The newest successes and failures of each method, from a list of backups.
pub fn method_facts(backups: &[Backup]) -> BTreeMap<&'static str, MethodFacts> {
    let mut out: BTreeMap<&'static str, MethodFacts> = BTreeMap::new();
    for b in backups {
        let facts = out.entry(b.method.as_str()).or_default();
        let at = b.finished_at.unwrap_or(b.created_at);
        match b.status {
            BackupStatus::Done if facts.last_success.is_none_or(|t| at > t) => {
                facts.last_success = Some(at);
                facts.last_size_bytes = b.size_bytes;
                facts.last_duration_seconds = b
                    .finished_at
                    .map(|f| (f - b.created_at).num_milliseconds() as f64 / 1000.0);
            }
            BackupStatus::Error if facts.last_failure.is_none_or(|t| at > t) => {
                facts.last_failure = Some(at);
            }
            _ => {}
        }
    }
    out
}

/// Gathers the facts (anyone signed in, a viewer's token included).
pub async fn gather(tm: &Tidemark, who: &Caller) -> Result<MetricsFacts, OpsError> {
    tm.door(who, Action::Read, None).await?;
    let now = tm.clock.now();
    let (databases, problems) = tm.catalog.listing().await;
    let mut out = Vec::with_capacity(databases.len());
    for db in databases {
        let overview = match tm.catalog.overview(&db.id).await {
            Ok(o) => o,
            Err(e) => {
                tracing::debug!(database = %db.id, error = %e, "no metrics for a database this time");
                continue;
            }
        };
        let verified = tm
            .store()
            .verifications(&db.id, 50)
            .await?
            .into_iter()
            .find(|v| v.outcome == VerificationOutcome::Passed);
        let wal_archive_age_seconds = (db.provider == ProviderKind::Local)
            .then_some(overview.window.latest)
            .flatten()
            .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
        out.push(DatabaseFacts {
            id: db.id.clone(),
            methods: method_facts(&overview.backups),
            window_start: overview.window.earliest,
            window_end: overview.window.latest,
            wal_archive_age_seconds,
            last_verified: verified
                .as_ref()
                .map(|v| v.finished_at.unwrap_or(v.started_at)),
            restore_seconds: verified.and_then(|v| v.evidence.restore_seconds),
        });
    }
    let jobs = tm.store().job_counts().await?;
    Ok(MetricsFacts {
        databases: out,
        jobs,
        problems,
    })
}
