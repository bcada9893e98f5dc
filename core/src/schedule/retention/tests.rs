//! Tests of `retention`.

use super::*;
use std::collections::BTreeSet;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn backup(id: &str, created_at: &str, kind: CandidateKind, successful: bool) -> Candidate {
    Candidate {
        id: id.to_string(),
        created_at: at(created_at),
        kind,
        successful,
        verified: false,
    }
}

/// One successful scheduled backup at 00:00 UTC every day from `first` to `last`, id = the date.
fn dailies(first: &str, last: &str) -> Vec<Candidate> {
    let first: NaiveDate = first.parse().unwrap();
    let last: NaiveDate = last.parse().unwrap();
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| Candidate {
            id: d.to_string(),
            created_at: d.and_hms_opt(0, 0, 0).unwrap().and_utc(),
            kind: CandidateKind::Scheduled,
            successful: true,
            verified: false,
        })
        .collect()
}

fn kept(backups: &[Candidate], deletions: &[Deletion]) -> BTreeSet<String> {
    let gone: BTreeSet<&str> = deletions.iter().map(|d| d.id.as_str()).collect();
    backups
        .iter()
        .map(|b| b.id.clone())
        .filter(|id| !gone.contains(id.as_str()))
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn presets_by_name() {
    assert_eq!(preset("starter"), Some(RetentionPolicy::starter()));
    assert_eq!(preset("business"), Some(RetentionPolicy::business()));
    assert_eq!(preset("enterprise"), None);
}

#[test]
fn starter_keeps_a_week_of_dailies_and_the_last_four_sundays() {
    // Wednesday 13 May 2026.
    let now = at("2026-05-13T12:00:00Z");
    let backups = dailies("2026-04-10", "2026-05-13");
    assert_eq!(backups.len(), 34);
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    let expected = set(&[
        // The last four Sundays on or before today (10 May is also in the last 7 days).
        "2026-04-19",
        "2026-04-26",
        "2026-05-03",
        // The last 7 days.
        "2026-05-07",
        "2026-05-08",
        "2026-05-09",
        "2026-05-10",
        "2026-05-11",
        "2026-05-12",
        "2026-05-13",
    ]);
    assert_eq!(kept(&backups, &deletions), expected);
    assert_eq!(deletions.len(), 24);
    // Sunday 12 April is the fifth Sunday back.
    let old_sunday = deletions.iter().find(|d| d.id == "2026-04-12").unwrap();
    assert_eq!(
        old_sunday.reason,
        "scheduled backup older than 7 days, not a kept Sunday backup"
    );
    // Oldest first.
    assert_eq!(deletions[0].id, "2026-04-10");
    assert_eq!(deletions[23].id, "2026-05-06");
}

#[test]
fn before_this_month_s_first_sunday_last_month_s_is_the_one_kept() {
    // Wednesday 2 September 2026: September's first Sunday (the 6th) has not come yet.
    let now = at("2026-09-02T12:00:00Z");
    let backups = dailies("2026-07-01", "2026-09-02");
    let policy = RetentionPolicy {
        daily_days: 1,
        weekly_weeks: 0,
        monthly_months: 1,
        manual_keep: 10,
    };
    let deletions = plan(&backups, &policy, now);
    assert_eq!(
        kept(&backups, &deletions),
        set(&["2026-08-02", "2026-09-02"])
    );
}

#[test]
fn on_a_sunday_it_is_the_first_of_the_kept_sundays() {
    let now = at("2026-05-17T12:00:00Z");
    let backups = dailies("2026-04-14", "2026-05-17");
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    let kept = kept(&backups, &deletions);
    assert!(kept.contains("2026-04-26"));
    assert!(!kept.contains("2026-04-19"));
    assert_eq!(kept.len(), 7 + 3);
}

#[test]
fn business_keeps_first_sundays_for_a_year() {
    let now = at("2026-05-13T12:00:00Z");
    let backups = dailies("2025-04-01", "2026-05-13");
    let deletions = plan(&backups, &RetentionPolicy::business(), now);
    let expected = set(&[
        // First Sundays, June 2025 to March 2026 (April's and May's are weekly ones too).
        "2025-06-01",
        "2025-07-06",
        "2025-08-03",
        "2025-09-07",
        "2025-10-05",
        "2025-11-02",
        "2025-12-07",
        "2026-01-04",
        "2026-02-01",
        "2026-03-01",
        // The last eight Sundays.
        "2026-03-22",
        "2026-03-29",
        "2026-04-05",
        "2026-04-12",
        "2026-04-19",
        "2026-04-26",
        "2026-05-03",
        // The last 7 days.
        "2026-05-07",
        "2026-05-08",
        "2026-05-09",
        "2026-05-10",
        "2026-05-11",
        "2026-05-12",
        "2026-05-13",
    ]);
    assert_eq!(kept(&backups, &deletions), expected);
    let may_2025 = deletions.iter().find(|d| d.id == "2025-05-04").unwrap();
    assert_eq!(
        may_2025.reason,
        "scheduled backup older than 7 days, not a kept Sunday or first-Sunday backup"
    );
}

#[test]
fn only_the_newest_backup_of_a_kept_sunday_stays() {
    let now = at("2026-05-13T12:00:00Z");
    let mut backups = dailies("2026-05-12", "2026-05-13");
    backups.push(backup(
        "sun-early",
        "2026-05-03T00:00:00Z",
        CandidateKind::Scheduled,
        true,
    ));
    backups.push(backup(
        "sun-late",
        "2026-05-03T09:00:00Z",
        CandidateKind::Scheduled,
        true,
    ));
    backups.push(backup(
        "sun-failed",
        "2026-05-03T10:00:00Z",
        CandidateKind::Scheduled,
        false,
    ));
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    assert_eq!(
        deletions,
        vec![
            Deletion {
                id: "sun-early".into(),
                reason:
                    "scheduled backup older than 7 days; a newer backup of the same day is kept"
                        .into(),
            },
            Deletion {
                id: "sun-failed".into(),
                reason: "failed backup".into(),
            },
        ]
    );
}

#[test]
fn manual_cap_deletes_the_oldest_beyond_it() {
    let now = at("2026-05-13T12:00:00Z");
    let mut backups: Vec<Candidate> = (1..=12)
        .map(|n| {
            backup(
                &format!("m{n:02}"),
                &format!("2026-04-{n:02}T08:00:00Z"),
                CandidateKind::Manual,
                true,
            )
        })
        .collect();
    backups.push(backup(
        "today",
        "2026-05-13T00:00:00Z",
        CandidateKind::Scheduled,
        true,
    ));
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    let reason = "more than 10 manual backups; this is the oldest beyond the cap";
    assert_eq!(
        deletions,
        vec![
            Deletion {
                id: "m01".into(),
                reason: reason.into()
            },
            Deletion {
                id: "m02".into(),
                reason: reason.into()
            },
        ]
    );
}

#[test]
fn the_newest_verified_backup_stays_beyond_the_cap() {
    let now = at("2026-05-13T12:00:00Z");
    let mut backups: Vec<Candidate> = (1..=12)
        .map(|n| {
            backup(
                &format!("m{n:02}"),
                &format!("2026-04-{n:02}T08:00:00Z"),
                CandidateKind::Manual,
                true,
            )
        })
        .collect();
    // m01 and m02 were proven by test restores; m02 is the newer, so it stays.
    backups[0].verified = true;
    backups[1].verified = true;
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    let gone: Vec<&str> = deletions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(gone, ["m01"]);
}

#[test]
fn failed_manual_backups_do_not_count_toward_the_cap() {
    let now = at("2026-05-13T12:00:00Z");
    let policy = RetentionPolicy {
        manual_keep: 1,
        ..RetentionPolicy::starter()
    };
    let backups = vec![
        backup(
            "ok-old",
            "2026-05-01T08:00:00Z",
            CandidateKind::Manual,
            true,
        ),
        backup(
            "ok-new",
            "2026-05-02T08:00:00Z",
            CandidateKind::Manual,
            true,
        ),
        backup(
            "failed-new",
            "2026-05-13T08:00:00Z",
            CandidateKind::Manual,
            false,
        ),
    ];
    let deletions = plan(&backups, &policy, now);
    let ids: Vec<&str> = deletions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["ok-old"]);
}

#[test]
fn a_lone_old_backup_is_never_deleted() {
    let now = at("2026-05-13T12:00:00Z");
    let scheduled = [backup(
        "old",
        "2025-01-01T00:00:00Z",
        CandidateKind::Scheduled,
        true,
    )];
    assert_eq!(plan(&scheduled, &RetentionPolicy::starter(), now), vec![]);
    let manual = [backup(
        "old",
        "2025-01-01T00:00:00Z",
        CandidateKind::Manual,
        true,
    )];
    let no_manual = RetentionPolicy {
        manual_keep: 0,
        ..RetentionPolicy::starter()
    };
    assert_eq!(plan(&manual, &no_manual, now), vec![]);
}

#[test]
fn the_newest_successful_backup_survives_next_to_failed_ones() {
    let now = at("2026-05-13T12:00:00Z");
    let backups = [
        backup("ok", "2026-01-01T00:00:00Z", CandidateKind::Scheduled, true),
        backup(
            "old-ok",
            "2025-12-30T00:00:00Z",
            CandidateKind::Scheduled,
            true,
        ),
        backup(
            "failed",
            "2026-05-10T00:00:00Z",
            CandidateKind::Scheduled,
            false,
        ),
    ];
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    let ids: Vec<&str> = deletions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["old-ok", "failed"]);
}

#[test]
fn failed_backups_are_kept_for_a_day() {
    let now = at("2026-05-13T12:00:00Z");
    let backups = [
        backup("ok", "2026-05-13T00:00:00Z", CandidateKind::Scheduled, true),
        backup(
            "failed-today",
            "2026-05-13T01:00:00Z",
            CandidateKind::Scheduled,
            false,
        ),
        backup(
            "failed-23h",
            "2026-05-12T13:00:00Z",
            CandidateKind::Manual,
            false,
        ),
        backup(
            "failed-25h",
            "2026-05-12T11:00:00Z",
            CandidateKind::Manual,
            false,
        ),
        backup(
            "failed-2d",
            "2026-05-11T00:00:00Z",
            CandidateKind::Scheduled,
            false,
        ),
    ];
    let deletions = plan(&backups, &RetentionPolicy::starter(), now);
    assert_eq!(
        deletions,
        vec![
            Deletion {
                id: "failed-2d".into(),
                reason: "failed backup".into()
            },
            Deletion {
                id: "failed-25h".into(),
                reason: "failed backup".into()
            },
        ]
    );
}

#[test]
fn nothing_to_delete_without_backups() {
    let now = at("2026-05-13T12:00:00Z");
    assert_eq!(plan(&[], &RetentionPolicy::business(), now), vec![]);
}

#[test]
fn policy_fields_can_come_from_config() {
    let policy: RetentionPolicy = serde_json::from_str(
        r#"{"daily_days":14,"weekly_weeks":4,"monthly_months":6,"manual_keep":3}"#,
    )
    .unwrap();
    assert_eq!(policy.daily_days, 14);
    assert_eq!(policy.manual_keep, 3);
}
