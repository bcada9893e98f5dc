//! The daily backup schedule: when the next backup runs, and whether one is due now.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};

/// How late a slot may start and still count as on time; later than this it was missed.
pub const GRACE: TimeDelta = TimeDelta::minutes(10);

pub use tidemark_types::DailySchedule;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("hour must be a whole number from 0 to 23 (UTC); got {got}")]
    HourOutOfRange { got: i64 },
}

impl ScheduleError {
    /// The schedule field the error is about, so a form can show it next to that field.
    pub fn field(&self) -> &'static str {
        match self {
            Self::HourOutOfRange { .. } => "hour",
        }
    }
}

/// Checks an hour given by a person or a config file.
pub fn validate_hour(hour: i64) -> Result<u8, ScheduleError> {
    u8::try_from(hour)
        .ok()
        .filter(|h| *h <= 23)
        .ok_or(ScheduleError::HourOutOfRange { got: hour })
}

/// The slot of `date`, or None when the hour is out of range.
fn slot_on(date: NaiveDate, hour: u8) -> Option<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(u32::from(hour), 0, 0)?;
    Some(date.and_time(time).and_utc())
}

/// The most recent slot at or before `now`.
fn latest_slot(hour: u8, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = slot_on(now.date_naive(), hour)?;
    if today <= now {
        Some(today)
    } else {
        today.checked_sub_days(Days::new(1))
    }
}

/// The next slot strictly after `now`: today's if it is still ahead, else tomorrow's.
///
/// None when the schedule is disabled (or its hour is out of range).
pub fn next_run(s: &DailySchedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !s.enabled {
        return None;
    }
    let today = slot_on(now.date_naive(), s.hour)?;
    if today > now {
        Some(today)
    } else {
        // UTC has no daylight saving, so the next slot is always exactly one calendar day on.
        today.checked_add_days(Days::new(1))
    }
}

/// The slot that should be backed up now, if any.
///
/// Rules, with `latest` the most recent `hour:00:00` UTC slot at or before `now`:
/// - a disabled schedule is never due;
/// - if `last_run` is at or after `latest`, that slot has already run: None, so a restart
///   never runs the same slot twice;
/// - if `now` is less than [`GRACE`] (10 minutes) after `latest`, the slot is on time: `Some(latest)`;
/// - otherwise the slot was missed (the server was down at the time): `Some(latest)` only when
///   `catch_up` is set, else None and the next slot is waited for.
///
/// A schedule that never ran (`last_run` None) follows the same on-time and catch-up rules.
pub fn due_slot(
    s: &DailySchedule,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    catch_up: bool,
) -> Option<DateTime<Utc>> {
    if !s.enabled {
        return None;
    }
    let latest = latest_slot(s.hour, now)?;
    if last_run.is_some_and(|ran| ran >= latest) {
        return None;
    }
    if now - latest < GRACE || catch_up {
        Some(latest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn daily(hour: u8) -> DailySchedule {
        DailySchedule {
            enabled: true,
            hour,
        }
    }

    #[test]
    fn default_is_enabled_at_midnight_utc() {
        assert_eq!(daily(0), DailySchedule::default());
    }

    #[test]
    fn next_run_before_the_hour_is_today() {
        let next = next_run(&daily(3), at("2026-05-10T02:59:59Z"));
        assert_eq!(next, Some(at("2026-05-10T03:00:00Z")));
    }

    #[test]
    fn next_run_exactly_at_the_hour_is_tomorrow() {
        let next = next_run(&daily(3), at("2026-05-10T03:00:00Z"));
        assert_eq!(next, Some(at("2026-05-11T03:00:00Z")));
    }

    #[test]
    fn next_run_after_the_hour_is_tomorrow() {
        let next = next_run(&daily(3), at("2026-05-10T03:00:01Z"));
        assert_eq!(next, Some(at("2026-05-11T03:00:00Z")));
    }

    #[test]
    fn next_run_crosses_midnight() {
        let next = next_run(&daily(0), at("2026-05-10T23:45:00Z"));
        assert_eq!(next, Some(at("2026-05-11T00:00:00Z")));
    }

    #[test]
    fn next_run_crosses_month_ends_and_leap_days() {
        let cases = [
            ("2026-01-31T23:00:00Z", "2026-02-01T00:00:00Z"),
            ("2027-02-28T12:00:00Z", "2027-03-01T00:00:00Z"),
            ("2028-02-28T12:00:00Z", "2028-02-29T00:00:00Z"),
            ("2028-02-29T12:00:00Z", "2028-03-01T00:00:00Z"),
            ("2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"),
        ];
        for (now, expected) in cases {
            assert_eq!(
                next_run(&daily(0), at(now)),
                Some(at(expected)),
                "from {now}"
            );
        }
    }

    #[test]
    fn disabled_schedule_never_runs() {
        let off = DailySchedule {
            enabled: false,
            hour: 0,
        };
        let now = at("2026-05-10T00:01:00Z");
        assert_eq!(next_run(&off, now), None);
        assert_eq!(due_slot(&off, None, now, true), None);
    }

    #[test]
    fn due_on_time_within_the_grace() {
        let slot = at("2026-05-10T03:00:00Z");
        let yesterday = Some(at("2026-05-09T03:00:05Z"));
        assert_eq!(
            due_slot(&daily(3), yesterday, at("2026-05-10T03:09:59Z"), false),
            Some(slot)
        );
        assert_eq!(
            due_slot(&daily(3), None, at("2026-05-10T03:00:30Z"), false),
            Some(slot)
        );
    }

    #[test]
    fn due_exactly_at_the_slot() {
        let slot = at("2026-05-10T03:00:00Z");
        assert_eq!(due_slot(&daily(3), None, slot, false), Some(slot));
    }

    #[test]
    fn not_due_again_after_it_ran_even_after_a_restart() {
        let ran = Some(at("2026-05-10T03:00:02Z"));
        assert_eq!(
            due_slot(&daily(3), ran, at("2026-05-10T03:05:00Z"), false),
            None
        );
        assert_eq!(
            due_slot(&daily(3), ran, at("2026-05-10T15:00:00Z"), true),
            None
        );
        // Running exactly at the slot counts as having run it.
        let ran = Some(at("2026-05-10T03:00:00Z"));
        assert_eq!(
            due_slot(&daily(3), ran, at("2026-05-10T03:01:00Z"), true),
            None
        );
    }

    #[test]
    fn missed_slot_runs_only_with_catch_up() {
        let yesterday = Some(at("2026-05-09T03:00:05Z"));
        let now = at("2026-05-10T03:10:00Z");
        assert_eq!(due_slot(&daily(3), yesterday, now, false), None);
        assert_eq!(
            due_slot(&daily(3), yesterday, now, true),
            Some(at("2026-05-10T03:00:00Z"))
        );
        assert_eq!(due_slot(&daily(3), None, now, false), None);
        assert_eq!(
            due_slot(&daily(3), None, now, true),
            Some(at("2026-05-10T03:00:00Z"))
        );
    }

    #[test]
    fn before_todays_hour_the_latest_slot_is_yesterdays() {
        let now = at("2026-05-10T01:00:00Z");
        let yesterday_slot = at("2026-05-09T03:00:00Z");
        // It ran yesterday: nothing to do until 03:00.
        let ran = Some(at("2026-05-09T03:00:04Z"));
        assert_eq!(due_slot(&daily(3), ran, now, true), None);
        // It last ran the day before: yesterday's slot was missed.
        let ran = Some(at("2026-05-08T03:00:04Z"));
        assert_eq!(due_slot(&daily(3), ran, now, true), Some(yesterday_slot));
        assert_eq!(due_slot(&daily(3), ran, now, false), None);
    }

    #[test]
    fn due_slot_across_the_new_year() {
        let ran = Some(at("2026-12-31T00:00:03Z"));
        let now = at("2027-01-01T00:02:00Z");
        assert_eq!(
            due_slot(&daily(0), ran, now, false),
            Some(at("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn validate_hour_accepts_0_to_23() {
        assert_eq!(validate_hour(0), Ok(0));
        assert_eq!(validate_hour(23), Ok(23));
        for bad in [-1, 24, 256] {
            let err = validate_hour(bad).unwrap_err();
            assert_eq!(err.field(), "hour");
            assert_eq!(
                err.to_string(),
                format!("hour must be a whole number from 0 to 23 (UTC); got {bad}")
            );
        }
    }

    #[test]
    fn deserialising_checks_the_hour() {
        let ok: DailySchedule = serde_json::from_str(r#"{"enabled":true,"hour":23}"#).unwrap();
        assert_eq!(ok, daily(23));
        let err = serde_json::from_str::<DailySchedule>(r#"{"enabled":true,"hour":24}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("hour must be a whole number from 0 to 23 (UTC); got 24"),
            "{err}"
        );
    }
}
