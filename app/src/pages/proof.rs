//! What proves a backup, said on the pages: a badge per backup from its latest verification (or,
//! for a physical one, its newest repository check), and the newest restore point a test restore
//! has proven.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::format;
use crate::model::{Backup, RepositoryCheck, Verification, VerificationOutcome};

/// The latest verification of each backup, from a list newest first.
pub(crate) fn latest_by_backup(verifications: &[Verification]) -> HashMap<&str, &Verification> {
    let mut latest = HashMap::new();
    for v in verifications {
        latest.entry(v.backup.as_str()).or_insert(v);
    }
    latest
}

/// The newest backup whose latest verification passed, with that verification.
pub(crate) fn newest_verified<'a>(
    backups: &'a [Backup],
    verifications: &'a [Verification],
) -> Option<(&'a Backup, &'a Verification)> {
    let latest = latest_by_backup(verifications);
    backups
        .iter()
        .filter_map(|b| latest.get(b.id.as_str()).map(|v| (b, *v)))
        .filter(|(_, v)| v.outcome == VerificationOutcome::Passed)
        .max_by_key(|(b, _)| b.created_at)
}

/// A recovery time as people read it: "restores in 41 s".
pub(crate) fn restores_in(v: &Verification) -> Option<String> {
    let seconds = v.evidence.restore_seconds?;
    Some(if seconds < 10.0 {
        format!("restores in {seconds:.1} s")
    } else {
        let whole = chrono::Duration::milliseconds((seconds * 1000.0) as i64);
        let start = DateTime::<Utc>::UNIX_EPOCH;
        format!("restores in {}", format::span(&start, &(start + whole)))
    })
}

/// The badge's words and colour for a backup's latest verification.
pub(crate) fn badge(v: Option<&Verification>, now: &DateTime<Utc>) -> (&'static str, String) {
    match v.map(|v| (v.outcome, v)) {
        Some((VerificationOutcome::Passed, v)) => (
            "pill pill-ok",
            format!(
                "verified {}",
                format::ago(&v.finished_at.unwrap_or(v.started_at), now)
            ),
        ),
        Some((VerificationOutcome::Failed, _)) => ("pill pill-bad", "verification failed".into()),
        Some((VerificationOutcome::Running, _)) => ("pill pill-wait", "verifying…".into()),
        Some((VerificationOutcome::Cancelled, _)) | None => {
            ("pill pill-muted", "not verified yet".into())
        }
    }
}

/// A backup's proof as a badge; the failure's sentence is its title.
#[component]
pub(crate) fn ProofBadge(verification: Option<Verification>) -> impl IntoView {
    let now = Utc::now();
    let (class, words) = badge(verification.as_ref(), &now);
    let title = verification
        .as_ref()
        .and_then(|v| v.evidence.failure.clone().or_else(|| restores_in(v)))
        .unwrap_or_default();
    view! { <span class=class title=title data-testid="proof-badge">{words}</span> }
}

/// A physical backup's proof: pgBackRest's newest check of its files, as a badge whose title is
/// the check's detail.
#[component]
pub(crate) fn RepositoryBadge(check: Option<RepositoryCheck>) -> impl IntoView {
    let now = Utc::now();
    let (class, words, title) = match &check {
        Some(c) if c.valid => (
            "pill pill-ok",
            format!("files checked {}", format::ago(&c.checked_at, &now)),
            c.detail.clone(),
        ),
        Some(c) => (
            "pill pill-bad",
            "repository check failed".to_string(),
            c.detail.clone(),
        ),
        None => (
            "pill pill-muted",
            "not checked yet".to_string(),
            String::new(),
        ),
    };
    view! { <span class=class title=title data-testid="repository-badge">{words}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BackupMethod, BackupStatus, Evidence};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn backup(id: &str, t: &str) -> Backup {
        Backup {
            id: id.into(),
            created_at: at(t),
            finished_at: Some(at(t)),
            size_bytes: Some(1),
            status: BackupStatus::Done,
            method: BackupMethod::Manual,
        }
    }

    fn verification(id: &str, backup: &str, t: &str, outcome: VerificationOutcome) -> Verification {
        Verification {
            id: id.into(),
            database: "demo".into(),
            backup: backup.into(),
            started_at: at(t),
            finished_at: Some(at(t)),
            outcome,
            evidence: Evidence {
                restore_seconds: Some(41.2),
                ..Evidence::default()
            },
        }
    }

    #[test]
    fn the_badge_and_the_restore_point_come_from_each_backup_s_latest_verification() {
        let backups = [
            backup("b2", "2026-12-03T10:00:00Z"),
            backup("b1", "2026-12-02T10:00:00Z"),
        ];
        // Newest first: b2 failed after passing once; b1 passed.
        let vs = [
            verification(
                "v3",
                "b2",
                "2026-12-03T11:00:00Z",
                VerificationOutcome::Failed,
            ),
            verification(
                "v2",
                "b2",
                "2026-12-03T10:30:00Z",
                VerificationOutcome::Passed,
            ),
            verification(
                "v1",
                "b1",
                "2026-12-02T11:00:00Z",
                VerificationOutcome::Passed,
            ),
        ];
        let latest = latest_by_backup(&vs);
        let now = at("2026-12-03T12:00:00Z");
        assert_eq!(
            badge(latest.get("b2").copied(), &now).1,
            "verification failed"
        );
        assert_eq!(
            badge(latest.get("b1").copied(), &now).1,
            "verified 1 day ago"
        );
        assert_eq!(badge(None, &now).1, "not verified yet");
        let (b, v) = newest_verified(&backups, &vs).unwrap();
        assert_eq!((b.id.as_str(), v.id.as_str()), ("b1", "v1"));
        assert_eq!(restores_in(v).as_deref(), Some("restores in 41 s"));
    }
}
