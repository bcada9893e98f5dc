//! Retention: which backups to delete under a daily / weekly / monthly policy like Scalingo's plans.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use serde::Serialize;

/// Failed backups younger than this are kept so people can read what went wrong.
const FAILED_KEPT_FOR: TimeDelta = TimeDelta::days(1);

pub use crate::config::retention::{RetentionPolicy, preset};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    /// Taken by the daily schedule.
    Scheduled,
    /// Asked for by a person.
    Manual,
}

/// A backup as retention sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub kind: CandidateKind,
    pub successful: bool,
    /// Its latest verification passed: a test restore proved it.
    pub verified: bool,
}

/// A backup to delete, with the sentence shown to the person reviewing the deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deletion {
    pub id: String,
    pub reason: String,
}

/// The backups `policy` deletes at `now`, oldest first.
///
/// - Scheduled, successful: kept when made in the last `daily_days` UTC days; older ones are kept
///   only as the newest backup of a Sunday in the last `weekly_weeks` ISO weeks, or of a month's
///   first Sunday in the last `monthly_months` months.
/// - Manual, successful: the `manual_keep` newest are kept.
/// - Failed (either kind): kept for a day, then deleted.
/// - The newest successful backup of all is never deleted, whatever the rules say; nor is the
///   newest verified one, the last a test restore proved.
pub fn plan(backups: &[Candidate], policy: &RetentionPolicy, now: DateTime<Utc>) -> Vec<Deletion> {
    let today = now.date_naive();
    let key = |i: &usize| (backups[*i].created_at, backups[*i].id.as_str());

    // The newest successful scheduled backup of each UTC day, for the weekly and monthly rules.
    let mut newest_of_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (i, b) in backups.iter().enumerate() {
        if b.successful && b.kind == CandidateKind::Scheduled {
            let slot = newest_of_day.entry(b.created_at.date_naive()).or_insert(i);
            if key(&i) > key(slot) {
                *slot = i;
            }
        }
    }

    let mut doomed: Vec<(usize, String)> = Vec::new();
    for (i, b) in backups.iter().enumerate() {
        if !b.successful {
            if now - b.created_at > FAILED_KEPT_FOR {
                doomed.push((i, "failed backup".to_string()));
            }
            continue;
        }
        if b.kind != CandidateKind::Scheduled {
            continue;
        }
        let day = b.created_at.date_naive();
        if days_back(day, today) < i64::from(policy.daily_days) {
            continue;
        }
        let kept_day =
            is_kept_sunday(day, today, policy) || is_kept_first_sunday(day, today, policy);
        if !kept_day {
            doomed.push((i, old_scheduled_reason(policy)));
        } else if newest_of_day.get(&day) != Some(&i) {
            doomed.push((
                i,
                format!(
                    "scheduled backup older than {}; a newer backup of the same day is kept",
                    days(policy.daily_days)
                ),
            ));
        }
    }

    let mut manual: Vec<usize> = (0..backups.len())
        .filter(|i| backups[*i].successful && backups[*i].kind == CandidateKind::Manual)
        .collect();
    manual.sort_by(|a, b| key(b).cmp(&key(a)));
    let cap = usize::try_from(policy.manual_keep).unwrap_or(usize::MAX);
    for i in manual.into_iter().skip(cap) {
        let reason = format!(
            "more than {} manual backups; this is the oldest beyond the cap",
            policy.manual_keep
        );
        doomed.push((i, reason));
    }

    // Whatever the rules say, something restorable must remain.
    let newest_ok = (0..backups.len())
        .filter(|i| backups[*i].successful)
        .max_by_key(key);
    let newest_verified = (0..backups.len())
        .filter(|i| backups[*i].successful && backups[*i].verified)
        .max_by_key(key);
    doomed.retain(|(i, _)| Some(*i) != newest_ok && Some(*i) != newest_verified);

    doomed.sort_by(|(a, _), (b, _)| key(a).cmp(&key(b)));
    doomed
        .into_iter()
        .map(|(i, reason)| Deletion {
            id: backups[i].id.clone(),
            reason,
        })
        .collect()
}

/// Whole days from `day` to `today`: 0 for today.
fn days_back(day: NaiveDate, today: NaiveDate) -> i64 {
    i64::from(today.num_days_from_ce()) - i64::from(day.num_days_from_ce())
}

/// Whole calendar months from `day`'s month to `today`'s: 0 for this month.
fn months_back(day: NaiveDate, today: NaiveDate) -> i64 {
    let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    index(today) - index(day)
}

/// One of the last `weekly_weeks` Sundays on or before today.
fn is_kept_sunday(day: NaiveDate, today: NaiveDate, policy: &RetentionPolicy) -> bool {
    day.weekday() == Weekday::Sun
        && day <= today
        && (today - day).num_days() < 7 * i64::from(policy.weekly_weeks)
}

/// The first Sunday of one of the last `monthly_months` months whose first Sunday has come.
fn is_kept_first_sunday(day: NaiveDate, today: NaiveDate, policy: &RetentionPolicy) -> bool {
    let anchor = if today.day() > 7 || today.weekday().num_days_from_sunday() < today.day() {
        today
    } else {
        today - chrono::Duration::days(i64::from(today.day()))
    };
    day.weekday() == Weekday::Sun
        && day.day() <= 7
        && day <= today
        && months_back(day, anchor) < i64::from(policy.monthly_months)
}

fn old_scheduled_reason(policy: &RetentionPolicy) -> String {
    let not_kept = match (policy.weekly_weeks > 0, policy.monthly_months > 0) {
        (true, true) => ", not a kept Sunday or first-Sunday backup",
        (true, false) => ", not a kept Sunday backup",
        (false, true) => ", not a kept first-Sunday backup",
        (false, false) => "",
    };
    format!(
        "scheduled backup older than {}{not_kept}",
        days(policy.daily_days)
    )
}

fn days(n: u32) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

#[cfg(test)]
mod tests;
